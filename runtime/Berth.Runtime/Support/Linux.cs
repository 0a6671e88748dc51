namespace Berth.Runtime;

/// <summary>Linux constants used by the plan compiler (kept here so the plan stays pure data, testable off-host).</summary>
public static class Linux
{
    public const int CLONE_NEWNS = 0x00020000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000,
        CLONE_NEWIPC = 0x08000000, CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000,
        CLONE_NEWNET = 0x40000000, CLONE_NEWTIME = 0x00000080;

    public const long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16, MS_REMOUNT = 32,
        MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOSYMFOLLOW = 256, MS_NOATIME = 1024, MS_NODIRATIME = 2048,
        MS_BIND = 4096, MS_MOVE = 8192, MS_REC = 16384, MS_SILENT = 32768, MS_UNBINDABLE = 1 << 17,
        MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20, MS_RELATIME = 1 << 21,
        MS_STRICTATIME = 1 << 24, MS_LAZYTIME = 1 << 25;

    /// <summary>mount_setattr(2) attributes (linux/mount.h); the access-time ones are a 3-bit field, not flags:
    /// setting one needs the whole MOUNT_ATTR__ATIME field in attr_clr; MOUNT_ATTR_RELATIME is 0.</summary>
    public const long MOUNT_ATTR_RDONLY = 0x1, MOUNT_ATTR_NOSUID = 0x2, MOUNT_ATTR_NODEV = 0x4, MOUNT_ATTR_NOEXEC = 0x8,
        MOUNT_ATTR__ATIME = 0x70, MOUNT_ATTR_RELATIME = 0x0, MOUNT_ATTR_NOATIME = 0x10, MOUNT_ATTR_STRICTATIME = 0x20,
        MOUNT_ATTR_NODIRATIME = 0x80, MOUNT_ATTR_NOSYMFOLLOW = 0x200000;

    public const long S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFIFO = 0x1000, S_IFREG = 0x8000;

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_NOCTTY = 0x100, O_PATH = 0x200000;

    public static long MakeDev(long major, long minor) =>
        ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);

    private static readonly (int Errno, string Name, string Text)[] Errnos =
    [
        (1, "EPERM", "operation not permitted"), (2, "ENOENT", "no such file or directory"),
        (3, "ESRCH", "no such process"), (4, "EINTR", "interrupted system call"), (5, "EIO", "input/output error"),
        (6, "ENXIO", "no such device or address"), (7, "E2BIG", "argument list too long"),
        (8, "ENOEXEC", "exec format error"), (9, "EBADF", "bad file descriptor"), (10, "ECHILD", "no child processes"),
        (11, "EAGAIN", "resource temporarily unavailable"), (12, "ENOMEM", "cannot allocate memory"),
        (13, "EACCES", "permission denied"), (14, "EFAULT", "bad address"), (16, "EBUSY", "device or resource busy"),
        (17, "EEXIST", "file exists"), (18, "EXDEV", "invalid cross-device link"), (19, "ENODEV", "no such device"),
        (20, "ENOTDIR", "not a directory"), (21, "EISDIR", "is a directory"), (22, "EINVAL", "invalid argument"),
        (23, "ENFILE", "too many open files in system"), (24, "EMFILE", "too many open files"),
        (25, "ENOTTY", "inappropriate ioctl for device"), (26, "ETXTBSY", "text file busy"),
        (28, "ENOSPC", "no space left on device"), (30, "EROFS", "read-only file system"),
        (32, "EPIPE", "broken pipe"), (34, "ERANGE", "numerical result out of range"),
        (36, "ENAMETOOLONG", "file name too long"), (38, "ENOSYS", "function not implemented"),
        (39, "ENOTEMPTY", "directory not empty"), (40, "ELOOP", "too many levels of symbolic links"),
        (95, "EOPNOTSUPP", "operation not supported"), (110, "ETIMEDOUT", "connection timed out"),
    ];

    /// <summary>Not an errno: a file that had to be a regular file is not one; its type (the S_IFMT bits) is or'ed in.</summary>
    public const int NotRegularFile = 0x4000_0000;

    /// <summary>"a FIFO", "a directory"…: the type of a file from the S_IFMT bits of its mode.</summary>
    public static string FileTypeName(int mode) => (mode & 0xF000) switch
    {
        0x1000 => "a FIFO",
        0x2000 => "a character device",
        0x4000 => "a directory",
        0x6000 => "a block device",
        0x8000 => "a regular file",
        0xA000 => "a symbolic link",
        0xC000 => "a socket",
        _ => $"a file of type {mode & 0xF000:x}",
    };

    /// <summary>"permission denied (EACCES)"; for <see cref="NotRegularFile"/>, "not a regular file but a FIFO".</summary>
    public static string Describe(int errno)
    {
        if ((errno & NotRegularFile) != 0)
            return "not a regular file but " + FileTypeName(errno);
        foreach (var e in Errnos)
            if (e.Errno == errno)
                return $"{e.Text} ({e.Name})";
        return $"errno {errno}";
    }

    /// <summary>"killed by signal 31 (bad system call)": the number, and the name runc's messages use.</summary>
    public static string KilledBy(int signal)
    {
        string? name = signal switch
        {
            1 => "hangup",
            2 => "interrupt",
            3 => "quit",
            4 => "illegal instruction",
            5 => "trace/breakpoint trap",
            6 => "aborted",
            7 => "bus error",
            8 => "floating point exception",
            9 => "killed",
            10 => "user defined signal 1",
            11 => "segmentation fault",
            12 => "user defined signal 2",
            13 => "broken pipe",
            14 => "alarm clock",
            15 => "terminated",
            24 => "CPU time limit exceeded",
            25 => "file size limit exceeded",
            31 => "bad system call",
            _ => null,
        };
        return name is null ? $"killed by signal {signal}" : $"killed by signal {signal} ({name})";
    }
}
