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
        (0x1, "ro"), (0x2, "nosuid"), (0x4, "nodev"), (0x8, "noexec"), (0x10, "noatime"), (0x20, "strictatime"),
        (0x70, "atime"), (0x80, "nodiratime"), (0x200000, "nosymfollow"),
    ];

    public static string Render(Operation op) => $"{Words(op)}    # {op.What} ({op.Field})";

    private static string Words(Operation op)
    {
        int slot = op.Flags & 0xff;
        string strict = (op.Flags & PathFlags.NoSymlinks) != 0 ? " no-symlinks" : "";
        return op.Kind switch
        {
            OpKind.Mount when (op.Flags & PathFlags.InRoot) == 0 =>
                $"mount {Quote(op.S1)} on host path {Quote(op.S2)}{Type(op.S3)} flags {Flags(op.A)}{Data(op.S4)}",
            OpKind.Mount => $"mount {Quote(op.S1)} on {op.S2}{Type(op.S3)} flags {Flags(op.A)}{Data(op.S4)}{Propagation(op.D)}{strict}",
            OpKind.Bind => $"bind {((op.Flags & PathFlags.SourceSlot) != 0 ? $"slot {slot}" : op.S1)} on {op.S2}"
                + ((op.A & Linux.MS_REC) != 0 ? " recursive" : "") + Attributes(" set", op.B) + Attributes(" clear", op.C)
                + Propagation(op.D) + strict,
            OpKind.OpenRoot => $"open-root {op.S1}",
            OpKind.MkdirAll => $"mkdir-all {op.S1} mode {Octal(op.A)}{strict}",
            OpKind.CreateFile => $"create-file {op.S1} mode {Octal(op.A)}",
            OpKind.Mknod => $"mknod {op.S1} {NodeType(op.A)} {Major(op.B)}:{Minor(op.B)} mode {Octal(op.A & 0xfff)} owner {(ulong)op.C >> 32}:{op.C & 0xffffffff}"
                + ((op.Flags & PathFlags.ExistingIsFine) != 0 ? " (an existing file stays)" : ""),
            OpKind.Symlink => $"symlink {op.S2} -> {op.S1}",
            OpKind.WriteFile => $"write /proc/{op.S1} {Quote(op.S2)}",
            OpKind.PivotRoot => "pivot-root into the opened root",
            OpKind.MoveRoot => $"move-root {op.S1} to /",
            OpKind.MaskPath => $"mask {op.S1} (tmpfs {op.S2} on a directory, /dev/null on a file)",
            OpKind.ReadonlyPath => (op.Flags & PathFlags.Root) != 0 ? "read-only the root" : $"read-only {op.S1}",
            OpKind.SetHostname => $"sethostname {op.S1}",
            OpKind.SetDomainname => $"setdomainname {op.S1}",
            OpKind.SetRlimit => $"setrlimit {Rlimits.Name((int)op.A)} soft {Limit(op.B)} hard {Limit(op.C)}",
            OpKind.Chdir => $"chdir {op.S1} (checked to be inside the root)",
            OpKind.Umask => $"umask {Octal(op.A)}",
            OpKind.SetGroups => $"setgroups {op.A} group(s)",
            OpKind.SetResGid => $"setresgid {op.A}",
            OpKind.SetResUid => $"setresuid {op.A}",
            OpKind.KeepCaps => $"keep-caps {(op.A != 0 ? "on" : "off")}",
            OpKind.DropBounding => $"drop-bounding keep {Hex(op.A)}",
            OpKind.Capset => $"capset effective {Hex(op.A)} permitted {Hex(op.B)} inheritable {Hex(op.C)}",
            OpKind.Ambient => $"ambient raise {Hex(op.A)}",
            OpKind.NoNewPrivs => "no-new-privs",
            OpKind.Seccomp => $"seccomp load {op.A} instructions" + (op.B != 0 ? $" flags {Hex(op.B)}" : ""),
            OpKind.Setns => $"setns {op.S1}",
            OpKind.OpenSlot => $"open {op.S1} into slot {slot}" + ((op.Flags & PathFlags.InRoot) != 0 ? $" (in the root, device {Major(op.C)}:{Minor(op.C)})" : ""),
            OpKind.WaitSlot => $"wait for a byte on slot {slot}",
            OpKind.CheckExec => $"find-executable {string.Join(" ", op.V1 ?? [])}",
            OpKind.CloseFrom => $"close-on-exec from fd {op.A}",
            OpKind.Setsid => "setsid",
            OpKind.Dup2 => $"dup2 slot {slot} to fd {op.A}",
            OpKind.IoctlSlot => $"ioctl slot {slot} request {Hex(op.A)}",
            OpKind.Exec => $"exec through the sealed stage: first of {string.Join(" ", op.V1 ?? [])} with argv [{string.Join(", ", (op.V2 ?? []).Select(a => Quote(a)))}]",
            OpKind.Fork => "fork (the child goes on)",
            OpKind.ReportReady => "report ready",
            OpKind.Unshare => $"unshare {Hex(op.A)}",
            OpKind.Sync => "sync with berth (hooks)",
            OpKind.RunHook => $"run-hook {op.S1}" + (op.B > 0 ? $" timeout {op.B / 1000} s" : ""),
            OpKind.PtyPeer => $"pty-peer of slot {op.A} into slot {slot}",
            OpKind.SendSlot => $"send slot {slot} to berth",
            OpKind.NewKeyring => $"new-session-keyring {op.S1}",
            OpKind.WaitParent => "wait for berth (cgroups joined)",
            OpKind.JoinCgroup => $"join-cgroup {op.S1}",
            OpKind.SetDumpable => $"set-dumpable {op.A}",
            _ => op.Kind.ToString(),
        };
    }

    private static string Quote(string? s) => s is null ? "none" : s.Length == 0 || s.Contains(' ') ? $"\"{s}\"" : s;

    private static string Type(string? type) => string.IsNullOrEmpty(type) ? "" : $" type {type}";

    private static string Data(string? data) => string.IsNullOrEmpty(data) ? "" : $" data {data}";

    private static string Octal(long value) => "0" + Convert.ToString(value, 8);

    private static string Hex(long value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    private static string Limit(long value) => value == -1 ? "unlimited" : value.ToString(CultureInfo.InvariantCulture);

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
        var names = MountAttributes.Where(a => a.Attr == 0x70 ? (attributes & 0x70) == 0x70 : (attributes & a.Attr) == a.Attr && a.Attr != 0x70).Select(a => a.Name);
        return $"{label} {string.Join(",", names)}";
    }

    private static string Propagation(long propagation) => propagation == 0 ? "" : $" then propagation {Flags(propagation)}";
}
