namespace Berth.Runtime.Plan;

/// <summary>The operations the C helper knows; values match enum berth_op_kind in native/berth_exec.h (a test compares
/// the two).</summary>
public enum OpKind
{
    Mount = 1, MkdirAll, CreateFile, Mknod, Bind, OpenRoot, Symlink, WriteFile, PivotRoot, MoveRoot, MaskPath,
    ReadonlyPath, SetHostname, SetDomainname, SetRlimit, Chdir, Umask, SetGroups, SetResGid, SetResUid, KeepCaps,
    DropBounding, Capset, Ambient, NoNewPrivs, Seccomp, Setns, OpenSlot, WaitSlot, CheckExec, CloseFrom, Setsid,
    Dup2, IoctlSlot, Exec, Fork, ReportReady, Unshare, Sync, RunHook, PtyPeer, SendSlot, NewKeyring, WaitParent, JoinCgroup,
    ChownSlot, HomeFromPasswd, EndSetup, AttachLayers,
}

/// <summary>
/// A container path: absolute, with ".", ".." and repeated slashes taken out lexically (as runc cleans it). It is never
/// resolved against the rootfs ahead of time: the C helper resolves it inside the container's root when the operation
/// runs, after the mounts before it exist, and acts on the descriptor it gets.
/// </summary>
public readonly record struct ContainerPath
{
    public string Value { get; }

    private ContainerPath(string value) => Value = value;

    public static ContainerPath Of(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split('/'))
        {
            if (part is "" or ".")
                continue;
            if (part == "..")
            {
                if (parts.Count > 0)
                    parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return new ContainerPath("/" + string.Join('/', parts));
    }

    public ContainerPath Join(string relative) => Of(Value + "/" + relative);

    public override string ToString() => Value;
}

/// <summary>
/// One step the container's first process takes between clone() and execve(), as a typed record; Exec/Lowering.cs
/// turns each into the C struct in one place, PlanText prints it in words. <see cref="What"/> and <see cref="Field"/>
/// make the error when it fails: "mount proc on /proc (mounts[0]): permission denied (EACCES)".
/// </summary>
public abstract record Operation(string What, string Field)
{
    public abstract OpKind Kind { get; }

    public sealed override string ToString() => PlanText.Render(this);
}

// Host-side steps: paths here are the host's, chosen by berth itself (state directory, cgroups, the rootfs).

/// <summary>Write "0" into a cgroup v1 "tasks" file: the process moves itself, without the kernel's global lock.</summary>
public sealed record JoinCgroupOp(string What, string Field, string TasksFile) : Operation(What, Field) { public override OpKind Kind => OpKind.JoinCgroup; }
/// <summary>Join the namespace at Path (opened by berth before clone).</summary>
public sealed record SetnsOp(string What, string Field, string Path, int CloneFlag) : Operation(What, Field) { public override OpKind Kind => OpKind.Setns; }
/// <summary>Fork once more: a joined pid namespace applies to children only.</summary>
public sealed record ForkOp(string What, string Field) : Operation(What, Field) { public override OpKind Kind => OpKind.Fork; }
public sealed record UnshareOp(string What, string Field, int CloneFlags) : Operation(What, Field) { public override OpKind Kind => OpKind.Unshare; }
/// <summary>Open the exec fifo in the state directory (a host path) into a slot.</summary>
public sealed record OpenFifoOp(string What, string Field, string HostPath, int Slot) : Operation(What, Field) { public override OpKind Kind => OpKind.OpenSlot; }
public sealed record NewKeyringOp(string What, string Field, string Name) : Operation(What, Field) { public override OpKind Kind => OpKind.NewKeyring; }
/// <summary>A mount(2) on a host path: the propagation of "/", the rootfs bound onto itself.</summary>
public sealed record HostMountOp(string What, string Field, string Source, string Target, string? Type, long Flags) : Operation(What, Field) { public override OpKind Kind => OpKind.Mount; }
/// <summary>Stack the stored layers (host paths, bottom first) with overlayfs into a detached mount — berth does it
/// before clone, with a tmpfs of the container's own as the writable layer when Writable — and attach it on MountPoint,
/// an empty directory in the state directory, inside the container's mount namespace only: nothing is mounted on the
/// host.</summary>
public sealed record AttachLayersOp(string What, string Field, IReadOnlyList<string> Layers, bool Writable, string MountPoint) : Operation(What, Field) { public override OpKind Kind => OpKind.AttachLayers; }
/// <summary>Open the root that every container path is resolved in: the rootfs (once bound onto itself) or "/" after
/// joining the container's mount namespace.</summary>
public sealed record OpenRootOp(string What, string Field, string HostPath) : Operation(What, Field) { public override OpKind Kind => OpKind.OpenRoot; }
/// <summary>pivot_root into the opened root; the old root gets OldRootPropagation (if any) before it is detached.</summary>
public sealed record PivotRootOp(string What, string Field) : Operation(What, Field)
{
    public override OpKind Kind => OpKind.PivotRoot;
    public long OldRootPropagation { get; init; }
}
/// <summary>--no-pivot: move the rootfs at HostPath onto / and chroot; HostPath null: chroot only (no mount namespace of
/// the container's own, nothing to move).</summary>
public sealed record MoveRootOp(string What, string Field, string? HostPath) : Operation(What, Field) { public override OpKind Kind => OpKind.MoveRoot; }
/// <summary>Write Value to a file below berth's own procfs handle (ProcPath like "sys/net/ipv4/ip_forward").</summary>
public sealed record WriteProcOp(string What, string Field, string ProcPath, string Value) : Operation(What, Field) { public override OpKind Kind => OpKind.WriteFile; }

// Steps on container paths, each resolved inside the root when it runs.

public sealed record MkdirAllOp(string What, string Field, ContainerPath Path, int Mode, bool NoSymlinks = false) : Operation(What, Field) { public override OpKind Kind => OpKind.MkdirAll; }
public sealed record CreateFileOp(string What, string Field, ContainerPath Path, int Mode) : Operation(What, Field) { public override OpKind Kind => OpKind.CreateFile; }
/// <summary>mount(2) of a file system (not a bind) onto Target; Propagation, if any, is set on the new mount after it.
/// RealDirectory: no symbolic link anywhere in Target (proc, sysfs).</summary>
public sealed record MountOp(string What, string Field, string Source, ContainerPath Target, string Type, string? Data, long Flags, long Propagation = 0, bool RealDirectory = false) : Operation(What, Field) { public override OpKind Kind => OpKind.Mount; }
/// <summary>A bind mount of a host path (or, with SourceSlot, of a descriptor the child holds) onto Target, with mount
/// attributes (MOUNT_ATTR_*) set and cleared on its top mount, then the recursive ones on it and every mount below it
/// (rro, rnosuid…), all before it becomes visible; then Propagation.</summary>
public sealed record BindOp(string What, string Field, string? Source, ContainerPath Target) : Operation(What, Field)
{
    public override OpKind Kind => OpKind.Bind;
    public int? SourceSlot { get; init; }
    public bool Recursive { get; init; }
    public long SetAttributes { get; init; }
    public long ClearAttributes { get; init; }
    public long RecursiveSetAttributes { get; init; }
    public long RecursiveClearAttributes { get; init; }
    public long Propagation { get; init; }
    public bool NoSymlinks { get; init; }
    /// <summary>A mount of the config's own list: once attached, it is copied again in the container's namespace, so
    /// that /proc/self/mountinfo lists it in the config's order (a tree copied on the host before clone is older
    /// than the mounts made in the child, and the kernel lists mounts by age).</summary>
    public bool InConfigOrder { get; init; }
}
/// <summary>mknod below the resolved parent; mode and owner go to the node just made; an existing file stays as it is.</summary>
public sealed record MknodOp(string What, string Field, ContainerPath Path, long TypeAndMode, long Device, uint Uid, uint Gid) : Operation(What, Field) { public override OpKind Kind => OpKind.Mknod; }
public sealed record SymlinkOp(string What, string Field, string Target, ContainerPath Link) : Operation(What, Field) { public override OpKind Kind => OpKind.Symlink; }
/// <summary>Cover Path: a tmpfs on a directory, the container's /dev/null (checked to be char 1:3) on a file.</summary>
public sealed record MaskPathOp(string What, string Field, ContainerPath Path, string TmpfsData) : Operation(What, Field) { public override OpKind Kind => OpKind.MaskPath; }
/// <summary>Make Path (null: the root itself) a read-only mount.</summary>
public sealed record ReadonlyPathOp(string What, string Field, ContainerPath? Path) : Operation(What, Field) { public override OpKind Kind => OpKind.ReadonlyPath; }
/// <summary>Change to Path; then the working directory is checked to lie inside the root.</summary>
public sealed record ChdirOp(string What, string Field, ContainerPath Path) : Operation(What, Field) { public override OpKind Kind => OpKind.Chdir; }
/// <summary>Open Path, checked to be the character device Device, into a slot (/dev/ptmx).</summary>
public sealed record OpenDeviceOp(string What, string Field, ContainerPath Path, int OpenFlags, long Device, int Slot) : Operation(What, Field) { public override OpKind Kind => OpKind.OpenSlot; }
/// <summary>The first of Candidates that is an executable regular file must exist.</summary>
public sealed record CheckExecOp(string What, string Field, IReadOnlyList<ContainerPath> Candidates) : Operation(What, Field) { public override OpKind Kind => OpKind.CheckExec; }
/// <summary>Execute the first of Candidates through the sealed stage program, with Argv and Env.</summary>
public sealed record ExecOp(string What, string Field, IReadOnlyList<ContainerPath> Candidates, IReadOnlyList<string> Argv, IReadOnlyList<string> Env) : Operation(What, Field) { public override OpKind Kind => OpKind.Exec; }

// Process settings.

public sealed record SetHostnameOp(string What, string Field, string Name) : Operation(What, Field) { public override OpKind Kind => OpKind.SetHostname; }
public sealed record SetDomainnameOp(string What, string Field, string Name) : Operation(What, Field) { public override OpKind Kind => OpKind.SetDomainname; }
public sealed record SetRlimitOp(string What, string Field, int Resource, ulong Soft, ulong Hard) : Operation(What, Field) { public override OpKind Kind => OpKind.SetRlimit; }
public sealed record UmaskOp(string What, string Field, uint Mask) : Operation(What, Field) { public override OpKind Kind => OpKind.Umask; }
public sealed record SetGroupsOp(string What, string Field, IReadOnlyList<uint> Groups) : Operation(What, Field) { public override OpKind Kind => OpKind.SetGroups; }
public sealed record SetResGidOp(string What, string Field, uint Gid) : Operation(What, Field) { public override OpKind Kind => OpKind.SetResGid; }
public sealed record SetResUidOp(string What, string Field, uint Uid) : Operation(What, Field) { public override OpKind Kind => OpKind.SetResUid; }
public sealed record KeepCapsOp(string What, string Field, bool Keep) : Operation(What, Field) { public override OpKind Kind => OpKind.KeepCaps; }
public sealed record DropBoundingOp(string What, string Field, ulong Keep, int LastCapability) : Operation(What, Field) { public override OpKind Kind => OpKind.DropBounding; }
public sealed record CapsetOp(string What, string Field, ulong Effective, ulong Permitted, ulong Inheritable) : Operation(What, Field) { public override OpKind Kind => OpKind.Capset; }
public sealed record AmbientOp(string What, string Field, ulong Raise) : Operation(What, Field) { public override OpKind Kind => OpKind.Ambient; }
public sealed record NoNewPrivsOp(string What, string Field) : Operation(What, Field) { public override OpKind Kind => OpKind.NoNewPrivs; }
/// <summary>Load a classic BPF filter (Program holds Instructions sock_filter records).</summary>
public sealed record SeccompOp(string What, string Field, byte[] Program, int Instructions, uint Flags) : Operation(What, Field)
{
    public override OpKind Kind => OpKind.Seccomp;
    /// <summary>Where berth sends the filter's listener (SCMP_ACT_NOTIFY rules): the seccomp agent's unix socket.</summary>
    public string? ListenerPath { get; init; }
    /// <summary>linux.seccomp.listenerMetadata, passed to the agent as is.</summary>
    public string? ListenerMetadata { get; init; }
}
/// <summary>Mark every descriptor from FirstFd on close-on-exec.</summary>
public sealed record CloseFromOp(string What, string Field, int FirstFd) : Operation(What, Field) { public override OpKind Kind => OpKind.CloseFrom; }

// The pty and the exchange with berth.

public sealed record IoctlOp(string What, string Field, int Slot, long Request, byte[]? Argument) : Operation(What, Field) { public override OpKind Kind => OpKind.IoctlSlot; }
public sealed record PtyPeerOp(string What, string Field, int MasterSlot, int Slot) : Operation(What, Field) { public override OpKind Kind => OpKind.PtyPeer; }
/// <summary>fchown the descriptor in Slot to Uid and Gid (-1: the group stays).</summary>
public sealed record ChownSlotOp(string What, string Field, int Slot, uint Uid, long Gid) : Operation(What, Field) { public override OpKind Kind => OpKind.ChownSlot; }
/// <summary>HOME for the program, as runc sets it when the config has none: the child opens File in the root (after the
/// mounts, resolved in the root, a regular file only) and hands the descriptor to berth, which looks Uid up in it
/// (<see cref="Passwd"/>) and answers "HOME=…", or Default when there is no such file or entry.</summary>
public sealed record HomeFromPasswdOp(string What, string Field, ContainerPath File, uint Uid, string Default) : Operation(What, Field) { public override OpKind Kind => OpKind.HomeFromPasswd; }
public sealed record SendSlotOp(string What, string Field, int Slot) : Operation(What, Field) { public override OpKind Kind => OpKind.SendSlot; }
public sealed record SetsidOp(string What, string Field) : Operation(What, Field) { public override OpKind Kind => OpKind.Setsid; }
public sealed record Dup2Op(string What, string Field, int Slot, int Fd) : Operation(What, Field) { public override OpKind Kind => OpKind.Dup2; }
/// <summary>Wait for a byte on Slot (the exec fifo: `berth start`).</summary>
public sealed record WaitSlotOp(string What, string Field, int Slot) : Operation(What, Field) { public override OpKind Kind => OpKind.WaitSlot; }
public sealed record ReportReadyOp(string What, string Field) : Operation(What, Field) { public override OpKind Kind => OpKind.ReportReady; }
/// <summary>The child closes its end of the channel: setup is over, berth (create) may return.</summary>
public sealed record EndSetupOp(string What, string Field) : Operation(What, Field) { public override OpKind Kind => OpKind.EndSetup; }
/// <summary>Report SYNC and wait for berth (createRuntime hooks), which sends the state for the hooks that follow.</summary>
public sealed record SyncOp(string What, string Field) : Operation(What, Field) { public override OpKind Kind => OpKind.Sync; }
/// <summary>Wait until berth has put the process in its cgroups.</summary>
public sealed record WaitParentOp(string What, string Field) : Operation(What, Field) { public override OpKind Kind => OpKind.WaitParent; }
/// <summary>Run a hook inside the container's namespaces, through the stage, with the state on its stdin.</summary>
public sealed record RunHookOp(string What, string Field, string Path, IReadOnlyList<string> Argv, IReadOnlyList<string> Env, long TimeoutMs, int Index = 0) : Operation(What, Field)
{
    public override OpKind Kind => OpKind.RunHook;
    /// <summary>Run with the working directory at the container's root (runc's createContainer hooks).</summary>
    public bool InRootCwd { get; init; }
}

/// <summary>Bits of the C struct's flags for path operations (native/berth_exec.h BERTH_PATH_*); the low byte is a slot
/// number where an operation has one. Only Exec/Lowering.cs sets them.</summary>
public static class PathFlags
{
    /// <summary>A Mount's target, or an OpenSlot's path, is a container path resolved inside the root.</summary>
    public const int InRoot = 0x100;
    /// <summary>No symbolic link anywhere in the path: proc and sysfs go only onto real directories.</summary>
    public const int NoSymlinks = 0x200;
    public const int Directory = 0x400;
    /// <summary>ReadonlyPath: the container's root itself.</summary>
    public const int Root = 0x800;
    /// <summary>Bind: the source is the descriptor in slot (Flags &amp; 0xff), not a path.</summary>
    public const int SourceSlot = 0x1000;
    public const int ExistingIsFine = 0x2000;
    /// <summary>Bind: the whole tree below the source (rbind).</summary>
    public const int BindRecursive = 0x4000;
    /// <summary>RunHook: the hook's working directory is the container's root (createContainer, before pivot_root).</summary>
    public const int HookInRoot = 0x8000;
    /// <summary>Bind: a tree copied on the host is copied again once attached, to take its place in mount order.</summary>
    public const int BindInOrder = 0x10000;
}

/// <summary>A namespace the container joins by path.</summary>
public sealed record NamespaceJoin(string Type, string Path, int CloneFlag, string Field);

/// <summary>One uid or gid mapping line as written to /proc/PID/{uid,gid}_map.</summary>
public sealed record IdMap(uint ContainerId, uint HostId, uint Size);

/// <summary>Everything `create` needs to start a container, decided ahead of time. Pure data.</summary>
public sealed record ContainerPlan
{
    public required string RootfsPath { get; init; }
    public int CloneFlags { get; init; }
    public IReadOnlyList<NamespaceJoin> Joins { get; init; } = [];
    public IReadOnlyList<IdMap> UidMappings { get; init; } = [];
    public IReadOnlyList<IdMap> GidMappings { get; init; } = [];
    public required IReadOnlyList<Operation> Operations { get; init; }
    /// <summary>What the compiler left out of the config and why, each naming its field (shown as warnings).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>--preserve-fds: fds 3 .. 3+N-1 pass to the container; the child closes every other one at once.</summary>
    public int PreserveFds { get; init; }
    /// <summary>Slot that receives the exec fifo (opened before pivot_root, read after setup).</summary>
    public const int FifoSlot = 0;
    public const int ConsoleSlot = 1;
    public const int ConsolePeerSlot = 2;
    public bool CreatesUserNamespace => (CloneFlags & Linux.CLONE_NEWUSER) != 0;
    public bool CreatesPidNamespace => (CloneFlags & Linux.CLONE_NEWPID) != 0;
    public bool JoinsPidNamespace => Joins.Any(j => j.CloneFlag == Linux.CLONE_NEWPID);
    /// <summary>The child sets up while berth joins it to its cgroups, and waits for that before it goes further.</summary>
    public bool JoinsCgroupsConcurrently => Operations.Any(o => o is WaitParentOp);
}
