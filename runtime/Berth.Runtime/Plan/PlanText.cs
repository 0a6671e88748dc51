using System.Globalization;

namespace Berth.Runtime.Plan;

/// <summary>
/// An operation as `berth plan` prints it, in words a person reads: <c>mkdir-all /dev/pts mode 0755</c>,
/// <c>bind /data on /vol set ro,nosuid</c>, then the reason and the config field it came from.
/// </summary>
public static class PlanText
{
    private static readonly (long Flag, string Name)[] MountFlags =
    [
        (Linux.MS_RDONLY, "ro"), (Linux.MS_NOSUID, "nosuid"), (Linux.MS_NODEV, "nodev"), (Linux.MS_NOEXEC, "noexec"),
        (Linux.MS_SYNCHRONOUS, "sync"), (Linux.MS_REMOUNT, "remount"), (Linux.MS_MANDLOCK, "mand"), (Linux.MS_DIRSYNC, "dirsync"),
        (Linux.MS_NOSYMFOLLOW, "nosymfollow"), (Linux.MS_NOATIME, "noatime"), (Linux.MS_NODIRATIME, "nodiratime"),
        (Linux.MS_BIND, "bind"), (Linux.MS_MOVE, "move"), (Linux.MS_REC, "rec"), (Linux.MS_SILENT, "silent"),
        (Linux.MS_UNBINDABLE, "unbindable"), (Linux.MS_PRIVATE, "private"), (Linux.MS_SLAVE, "slave"),
        (Linux.MS_SHARED, "shared"), (Linux.MS_RELATIME, "relatime"), (Linux.MS_STRICTATIME, "strictatime"),
        (Linux.MS_LAZYTIME, "lazytime"),
    ];

    private static readonly (long Attr, string Name)[] MountAttributes =
    [
        (Linux.MOUNT_ATTR_RDONLY, "ro"), (Linux.MOUNT_ATTR_NOSUID, "nosuid"), (Linux.MOUNT_ATTR_NODEV, "nodev"),
        (Linux.MOUNT_ATTR_NOEXEC, "noexec"), (Linux.MOUNT_ATTR_NOATIME, "noatime"), (Linux.MOUNT_ATTR_STRICTATIME, "strictatime"),
        (Linux.MOUNT_ATTR__ATIME, "atime"), (Linux.MOUNT_ATTR_NODIRATIME, "nodiratime"), (Linux.MOUNT_ATTR_NOSYMFOLLOW, "nosymfollow"),
    ];

    public static string Render(Operation op) => $"{Words(op)}    # {op.What} ({op.Field})";

    private static string Words(Operation op) => op switch
    {
        JoinCgroupOp o => $"join-cgroup {o.TasksFile}",
        SetnsOp o => $"setns {o.Path}",
        ForkOp => "fork (the child goes on)",
        UnshareOp o => $"unshare {Hex(o.CloneFlags)}",
        OpenFifoOp o => $"open {o.HostPath} into slot {o.Slot}",
        NewKeyringOp o => $"new-session-keyring {o.Name}",
        HostMountOp o => $"mount {Quote(o.Source)} on host path {Quote(o.Target)}{Type(o.Type)} flags {Flags(o.Flags)}",
        AttachLayersOp o => $"attach-layers {string.Join(" ", o.Layers.Reverse())} (topmost first){(o.Writable ? " under a writable tmpfs layer" : " read-only")} on host path {o.MountPoint}",
        OpenRootOp o => $"open-root {o.HostPath}",
        PivotRootOp o => "pivot-root into the opened root" + (o.OldRootPropagation != 0 ? $" (old root {Flags(o.OldRootPropagation)} before it is detached)" : ""),
        MoveRootOp o => o.HostPath is null ? "chroot into the opened root" : $"move-root {o.HostPath} to /",
        WriteProcOp o => $"write /proc/{o.ProcPath} {Quote(o.Value)}",
        MkdirAllOp o => $"mkdir-all {o.Path} mode {Octal(o.Mode)}{(o.NoSymlinks ? " no-symlinks" : "")}",
        CreateFileOp o => $"create-file {o.Path} mode {Octal(o.Mode)}",
        MountOp o => $"mount {Quote(o.Source)} on {o.Target}{Type(o.Type)} flags {Flags(o.Flags)}{Data(o.Data)}{Propagation(o.Propagation)}{(o.RealDirectory ? " no-symlinks" : "")}",
        BindOp o => $"bind {(o.SourceSlot is int slot ? $"slot {slot}" : o.Source)} on {o.Target}" + (o.Recursive ? " recursive" : "")
            + Attributes(" set", o.SetAttributes) + Attributes(" clear", o.ClearAttributes)
            + Attributes(" set-recursive", o.RecursiveSetAttributes) + Attributes(" clear-recursive", o.RecursiveClearAttributes)
            + Propagation(o.Propagation) + (o.NoSymlinks ? " no-symlinks" : ""),
        MknodOp o => $"mknod {o.Path} {NodeType(o.TypeAndMode)} {Major(o.Device)}:{Minor(o.Device)} mode {Octal(o.TypeAndMode & 0xfff)} owner {o.Uid}:{o.Gid} (an existing file stays)",
        SymlinkOp o => $"symlink {o.Link} -> {o.Target}",
        MaskPathOp o => $"mask {o.Path} (tmpfs {o.TmpfsData} on a directory, /dev/null on a file)",
        ReadonlyPathOp o => o.Path is { } path ? $"read-only {path}" : "read-only the root",
        ChdirOp o => $"chdir {o.Path} (checked to be inside the root)",
        OpenDeviceOp o => $"open {o.Path} into slot {o.Slot} (in the root, device {Major(o.Device)}:{Minor(o.Device)})",
        CheckExecOp o => $"find-executable {string.Join(" ", o.Candidates)}",
        ExecOp o => $"exec through the sealed stage: first of {string.Join(" ", o.Candidates)} with argv [{string.Join(", ", o.Argv.Select(a => Quote(a)))}]",
        SetHostnameOp o => $"sethostname {o.Name}",
        SetDomainnameOp o => $"setdomainname {o.Name}",
        SetRlimitOp o => $"setrlimit {Rlimits.Name(o.Resource)} soft {Limit(o.Soft)} hard {Limit(o.Hard)}",
        UmaskOp o => $"umask {Octal(o.Mask)}",
        SetGroupsOp o => $"setgroups [{string.Join(", ", o.Groups)}]",
        SetResGidOp o => $"setresgid {o.Gid}",
        SetResUidOp o => $"setresuid {o.Uid}",
        KeepCapsOp o => $"keep-caps {(o.Keep ? "on" : "off")}",
        DropBoundingOp o => $"drop-bounding keep {Hex((long)o.Keep)}",
        CapsetOp o => $"capset effective {Hex((long)o.Effective)} permitted {Hex((long)o.Permitted)} inheritable {Hex((long)o.Inheritable)}",
        AmbientOp o => $"ambient raise {Hex((long)o.Raise)}",
        NoNewPrivsOp => "no-new-privs",
        SeccompOp o => $"seccomp load {o.Instructions} instructions" + (o.Flags != 0 ? $" flags {Hex(o.Flags)}" : "") + (o.ListenerPath is null ? "" : $", listener to {o.ListenerPath}"),
        CloseFromOp o => $"close-on-exec from fd {o.FirstFd}",
        IoctlOp o => $"ioctl slot {o.Slot} request {Hex(o.Request)}",
        PtyPeerOp o => $"pty-peer of slot {o.MasterSlot} into slot {o.Slot}",
        ChownSlotOp o => $"fchown slot {o.Slot} to uid {o.Uid}" + (o.Gid < 0 ? " (group unchanged)" : $" gid {o.Gid}"),
        HomeFromPasswdOp o => $"home-from-passwd {o.File} uid {o.Uid} (else {o.Default})",
        SendSlotOp o => $"send slot {o.Slot} to berth",
        SetsidOp => "setsid",
        Dup2Op o => $"dup2 slot {o.Slot} to fd {o.Fd}",
        WaitSlotOp o => $"wait for a byte on slot {o.Slot}",
        ReportReadyOp => "report ready",
        EndSetupOp => "close the channel to berth",
        SyncOp => "sync with berth (hooks)",
        WaitParentOp => "wait for berth (cgroups joined)",
        RunHookOp o => $"run-hook {o.Path}" + (o.TimeoutMs > 0 ? $" timeout {o.TimeoutMs / 1000} s" : "") + (o.InRootCwd ? " in the root" : ""),
        _ => op.Kind.ToString(),
    };

    private static string Quote(string? s) => s is null ? "none" : s.Length == 0 || s.Contains(' ') ? $"\"{s}\"" : s;

    private static string Type(string? type) => string.IsNullOrEmpty(type) ? "" : $" type {type}";

    private static string Data(string? data) => string.IsNullOrEmpty(data) ? "" : $" data {data}";

    private static string Octal(long value) => "0" + Convert.ToString(value, 8);

    private static string Hex(long value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    private static string Limit(ulong value) => value == ulong.MaxValue ? "unlimited" : value.ToString(CultureInfo.InvariantCulture);

    private static long Major(long dev) => ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffL);

    private static long Minor(long dev) => (dev & 0xff) | ((dev >> 12) & ~0xffL);

    private static string NodeType(long mode) => (mode & 0xf000) switch
    {
        Linux.S_IFCHR => "char",
        Linux.S_IFBLK => "block",
        Linux.S_IFIFO => "fifo",
        _ => "file",
    };

    private static string Flags(long flags)
    {
        var names = MountFlags.Where(f => (flags & f.Flag) != 0).Select(f => f.Name).ToList();
        return names.Count == 0 ? "none" : string.Join(",", names);
    }

    private static string Attributes(string label, long attributes)
    {
        if (attributes == 0)
            return "";
        var names = MountAttributes.Where(a => (attributes & a.Attr) == a.Attr).Select(a => a.Name);
        return $"{label} {string.Join(",", names)}";
    }

    private static string Propagation(long propagation) => propagation == 0 ? "" : $" then propagation {Flags(propagation)}";
}
