namespace Berth.Runtime.Plan;

/// <summary>The operations the C helper knows; values match enum berth_op_kind in native/berth_exec.h (a test compares
/// the two).</summary>
public enum OpKind
{
    Mount = 1, MkdirAll, CreateFile, Mknod, Bind, OpenRoot, Symlink, WriteFile, PivotRoot, MoveRoot, MaskPath,
    ReadonlyPath, SetHostname, SetDomainname, SetRlimit, Chdir, Umask, SetGroups, SetResGid, SetResUid, KeepCaps,
    DropBounding, Capset, Ambient, NoNewPrivs, Seccomp, Setns, OpenSlot, WaitSlot, CheckExec, CloseFrom, Setsid,
    Dup2, IoctlSlot, Exec, Fork, ReportReady, Unshare, Sync, RunHook, PtyPeer, SendSlot, NewKeyring, WaitParent, JoinCgroup, SetDumpable,
}

/// <summary>
/// One step the container's first process takes between clone() and execve(). <see cref="What"/> and
/// <see cref="Field"/> make the error when it fails: "mount proc on /proc (mounts[0]): permission denied (EACCES)".
/// </summary>
public sealed record Operation(OpKind Kind, string What, string Field)
{
    public string? S1 { get; init; }
    public string? S2 { get; init; }
    public string? S3 { get; init; }
    public string? S4 { get; init; }
    public long A { get; init; }
    public long B { get; init; }
    public long C { get; init; }
    public long D { get; init; }
    public int Flags { get; init; }
    public IReadOnlyList<string>? V1 { get; init; }
    public IReadOnlyList<string>? V2 { get; init; }
    public IReadOnlyList<string>? V3 { get; init; }
    /// <summary>Raw bytes pointed to by the operation (gid list, seccomp filter).</summary>
    public byte[]? Data { get; init; }

    public override string ToString() => PlanText.Render(this);
}

/// <summary>Bits of <see cref="Operation.Flags"/> for path operations (native/berth_exec.h BERTH_PATH_*); the low byte
/// is a slot number where an operation has one.</summary>
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
    public bool JoinsCgroupsConcurrently => Operations.Any(o => o.Kind == OpKind.WaitParent);
}
