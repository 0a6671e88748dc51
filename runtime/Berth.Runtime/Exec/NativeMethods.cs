using System.Runtime.InteropServices;

namespace Berth.Runtime.Exec;

/// <summary>The layout of struct berth_op in native/berth_exec.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeOp
{
    public int Kind;
    public int Flags;
    public long A, B, C, D;
    public byte* S1, S2, S3, S4;
    public byte** V1, V2, V3;
    public void* P;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeSpawn
{
    public int CloneFlags;
    public int ParentDeathSignal;
    public int OpCount;
    public int CgroupFd;
    public int PreserveFds;
    public int DumpableUntilGo;
    public int ForceWalk;
    public NativeOp* Ops;
}

[StructLayout(LayoutKind.Sequential)]
internal struct NativeReport
{
    public int Kind;
    public int Index;
    public int Errno;
    public int Pid;

    public const int Ready = 1, Failed = 2, ChildPid = 3, Sync = 4, Fd = 5;

    /// <summary>A failed hook's err: exit status, signal or timeout (berth_exec.h BERTH_HOOK_*).</summary>
    public const int HookExited = 0x10000, HookSignaled = 0x20000, HookTimeout = 0x30000;
    /// <summary>The setup child's exit status when it could not write a report to berth.</summary>
    public const int ExitNoReport = 125;

    /// <summary>Failures that are not errno values (berth_exec.h BERTH_ERR_*).</summary>
    public const int OutsideRoot = 0x40001, NotNullDevice = 0x40002, NotDevice = 0x40003, NotProcfs = 0x40004, Stage = 0x40005, NotRegular = 0x40006;
}

/// <summary>Entry points of the C helper (linked statically into the AOT binary) and the few libc calls Tmds.LibC lacks.</summary>
internal static unsafe partial class NativeMethods
{
    private const string Helper = "berth_exec";

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true)]
    internal static partial int Rename(byte* from, byte* to);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true)]
    internal static partial int RenameAt(int fromDir, byte* from, int toDir, byte* to);

    /// <summary>statfs(2) into a buffer of at least 120 bytes (x86-64's struct statfs); its first field is f_type.</summary>
    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true)]
    internal static partial int StatFs(byte* path, long* buffer);

    [LibraryImport(Helper, EntryPoint = "berth_spawn")]
    internal static partial int Spawn(NativeSpawn* spawn, int syncChildFd, out int pid);

    [LibraryImport(Helper, EntryPoint = "berth_bind_source", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int BindSource(string path, int recursive, ulong set, ulong clear, ulong recursiveSet, ulong recursiveClear);

    [LibraryImport(Helper, EntryPoint = "berth_stack_layers")]
    internal static partial int StackLayers(byte** layers, int count, int writable, out int step);

    [LibraryImport(Helper, EntryPoint = "berth_layout")]
    internal static partial int Layout(int which);

    [LibraryImport(Helper, EntryPoint = "berth_wait")]
    internal static partial int Wait(int pid, out int status, int options);

    [LibraryImport(Helper, EntryPoint = "berth_forward_begin")]
    internal static partial void ForwardBegin();

    [LibraryImport(Helper, EntryPoint = "berth_forward_end")]
    internal static partial void ForwardEnd();

    [LibraryImport(Helper, EntryPoint = "berth_wait_forwarding")]
    internal static partial int WaitForwarding(int pid, out int status);

    [LibraryImport(Helper, EntryPoint = "berth_read_report")]
    internal static partial int ReadReport(int fd, out NativeReport report, out int receivedFd);

    [LibraryImport(Helper, EntryPoint = "berth_send_fd", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SendFd(int socket, int fd, string name);

    [LibraryImport(Helper, EntryPoint = "berth_send_go")]
    internal static partial int SendGo(int fd);

    [LibraryImport(Helper, EntryPoint = "berth_send_blob")]
    internal static partial int SendBlob(int fd, byte* data, int length);

    [LibraryImport(Helper, EntryPoint = "berth_run_hook")]
    internal static partial int RunHook(byte* path, byte** argv, byte** envp, byte* input, nuint length, int timeoutMs);

    [LibraryImport(Helper, EntryPoint = "berth_run_captured")]
    internal static partial int RunCaptured(byte* path, byte** argv, int* outputFd);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall2(long number, long a, long b);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall4(long number, long a, long b, long c, long d);

    /// <summary>capget(2) with the version 3 header: two 32-bit words each of effective, permitted, inheritable.</summary>
    [LibraryImport("libc", EntryPoint = "capget", SetLastError = true)]
    internal static partial int Capget(uint* header, uint* data);

    internal const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    internal static partial int Prlimit(int pid, int resource, ulong* newLimit, ulong* oldLimit);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    internal const int PR_SET_CHILD_SUBREAPER = 36;
    internal const int LOCK_SH = 1, LOCK_EX = 2, LOCK_UN = 8, LOCK_NB = 4;
    internal const long SYS_pidfd_open = 434, SYS_pidfd_send_signal = 424;
    internal const int WNOHANG = 1;
}
