using System.Runtime.InteropServices;
using System.Text;

namespace Berth.Images;

/// <summary>
/// The libc calls this library needs, bound here so it stands alone. Every path call is relative to a directory
/// descriptor (the *at family) so a walk never resolves a name twice or follows a symbolic link it did not mean to.
/// </summary>
internal static unsafe partial class Native
{
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
    public const int AT_EMPTY_PATH = 0x1000;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int O_PATH = 0x200000;

    // The two flags whose values differ between architectures (asm-generic vs arm's).
    private static readonly bool ArmFlags = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64;
    public static readonly int O_DIRECTORY = ArmFlags ? 0x4000 : 0x10000;
    public static readonly int O_NOFOLLOW = ArmFlags ? 0x8000 : 0x20000;

    public const int S_IFMT = 0xF000;
    public const int S_IFSOCK = 0xC000;
    public const int S_IFLNK = 0xA000;
    public const int S_IFREG = 0x8000;
    public const int S_IFBLK = 0x6000;
    public const int S_IFDIR = 0x4000;
    public const int S_IFCHR = 0x2000;
    public const int S_IFIFO = 0x1000;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ENOTTY = 25;
    public const int ENODATA = 61;
    public const int ELOOP = 40;
    public const int ENOTEMPTY = 39;
    public const int EOPNOTSUPP = 95;

    public const int LOCK_EX = 2;

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>strerror's words for <paramref name="errno"/> (with the number, for searching).</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int openat(int dirfd, byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int mkdirat(int dirfd, byte* path, uint mode);

    [LibraryImport("libc", EntryPoint = "mknodat", SetLastError = true)]
    private static partial int mknodat(int dirfd, byte* path, uint mode, ulong dev);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true)]
    private static partial int symlinkat(byte* target, int dirfd, byte* path);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true)]
    private static partial int linkat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int unlinkat(int dirfd, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true)]
    private static partial int fchownat(int dirfd, byte* path, uint uid, uint gid, int flags);

    [LibraryImport("libc", EntryPoint = "fchmodat", SetLastError = true)]
    private static partial int fchmodat(int dirfd, byte* path, uint mode, int flags);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true)]
    private static partial int utimensat(int dirfd, byte* path, long* times, int flags);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int fchown(int fd, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int futimens(int fd, long* times);

    [LibraryImport("libc", EntryPoint = "fsetxattr", SetLastError = true)]
    private static partial int fsetxattr(int fd, byte* name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "fgetxattr", SetLastError = true)]
    private static partial nint fgetxattr(int fd, byte* name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint readlinkat(int dirfd, byte* path, byte* buffer, nuint size);

    [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)]
    private static partial nint fdopendir(int fd);

    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static partial nint readdir(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir", SetLastError = true)]
    private static partial int closedir(nint dir);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, ulong request, void* argument);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    public static void Close(int fd)
    {
        if (fd >= 0)
            close(fd);
    }

    /// <summary>A NUL-terminated copy of <paramref name="name"/> (file names are bytes; no NUL may be inside).</summary>
    public static byte[] Z(ReadOnlySpan<byte> name)
    {
        var z = new byte[name.Length + 1];
        name.CopyTo(z);
        return z;
    }

    public static byte[] Z(string name) => Z(Encoding.UTF8.GetBytes(name));

    public static int OpenAt(int dirfd, byte[] name, int flags, uint mode = 0)
    {
        fixed (byte* p = name)
            return openat(dirfd, p, flags | O_CLOEXEC, mode);
    }

    public static int MkdirAt(int dirfd, byte[] name, uint mode)
    {
        fixed (byte* p = name)
            return mkdirat(dirfd, p, mode);
    }

    public static int MknodAt(int dirfd, byte[] name, uint mode, uint major, uint minor)
    {
        // glibc's makedev: the low 8 bits of minor, the low 12 bits of major, then the rest of each.
        ulong dev = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8)
                  | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        fixed (byte* p = name)
            return mknodat(dirfd, p, mode, dev);
    }

    public static int SymlinkAt(byte[] target, int dirfd, byte[] name)
    {
        fixed (byte* t = target)
        fixed (byte* p = name)
            return symlinkat(t, dirfd, p);
    }

    public static int LinkAt(int olddirfd, byte[] oldname, int newdirfd, byte[] newname)
    {
        fixed (byte* o = oldname)
        fixed (byte* n = newname)
            return linkat(olddirfd, o, newdirfd, n, 0);
    }

    public static int UnlinkAt(int dirfd, byte[] name, int flags)
    {
        fixed (byte* p = name)
            return unlinkat(dirfd, p, flags);
    }

    public static int ChownAt(int dirfd, byte[] name, int uid, int gid, int flags)
    {
        fixed (byte* p = name)
            return fchownat(dirfd, p, (uint)uid, (uint)gid, flags);
    }

    public static int ChmodAt(int dirfd, byte[] name, uint mode)
    {
        fixed (byte* p = name)
            return fchmodat(dirfd, p, mode, 0);
    }

    /// <summary>Sets access and modification time to <paramref name="mtime"/> without following a symbolic link.</summary>
    public static int SetTimesAt(int dirfd, byte[] name, DateTimeOffset mtime)
    {
        long* times = stackalloc long[4];
        Timespecs(mtime, times);
        fixed (byte* p = name)
            return utimensat(dirfd, p, times, AT_SYMLINK_NOFOLLOW);
    }

    public static int Fchown(int fd, int uid, int gid) => fchown(fd, (uint)uid, (uint)gid);

    /// <summary>Sets an open file's access and modification time to <paramref name="mtime"/>.</summary>
    public static int SetTimes(int fd, DateTimeOffset mtime)
    {
        long* times = stackalloc long[4];
        Timespecs(mtime, times);
        return futimens(fd, times);
    }

    private static void Timespecs(DateTimeOffset mtime, long* times)
    {
        times[0] = times[2] = mtime.ToUnixTimeSeconds();
        times[1] = times[3] = (mtime.UtcTicks % TimeSpan.TicksPerSecond) * 100;
    }

    public static int SetXattr(int fd, string name, ReadOnlySpan<byte> value)
    {
        byte[] z = Z(name);
        fixed (byte* n = z)
        fixed (byte* v = value)
            return fsetxattr(fd, n, v, (nuint)value.Length, 0);
    }

    /// <summary>The value of the extended attribute, or null when the file has none by that name (or errno).</summary>
    public static byte[]? GetXattr(int fd, string name)
    {
        byte[] z = Z(name);
        byte* buffer = stackalloc byte[256];
        fixed (byte* n = z)
        {
            nint length = fgetxattr(fd, n, buffer, 256);
            return length < 0 ? null : new ReadOnlySpan<byte>(buffer, (int)length).ToArray();
        }
    }

    /// <summary>lstat of <paramref name="name"/> under <paramref name="dirfd"/> (or of dirfd itself for an empty
    /// name), through statx, whose layout is the same on every architecture.</summary>
    public static int StatAt(int dirfd, byte[] name, out FileStatus status)
    {
        byte* buffer = stackalloc byte[256];
        int flags = AT_SYMLINK_NOFOLLOW | (name.Length <= 1 ? AT_EMPTY_PATH : 0);
        int result;
        fixed (byte* p = name)
            result = statx(dirfd, p, flags, 0x7ff /* STATX_BASIC_STATS */, buffer);
        status = result != 0 ? default : new FileStatus(
            Mode: *(ushort*)(buffer + 28),
            Uid: *(uint*)(buffer + 20),
            Gid: *(uint*)(buffer + 24),
            Size: *(long*)(buffer + 40),
            Nlink: *(uint*)(buffer + 16),
            RdevMajor: *(uint*)(buffer + 128),
            RdevMinor: *(uint*)(buffer + 132));
        return result;
    }

    /// <summary>The target of the symbolic link, as bytes; null with errno set on failure.</summary>
    public static byte[]? ReadLinkAt(int dirfd, byte[] name)
    {
        var buffer = new byte[4096];
        nint length;
        fixed (byte* p = name)
        fixed (byte* b = buffer)
            length = readlinkat(dirfd, p, b, (nuint)buffer.Length);
        return length < 0 ? null : buffer.AsSpan(0, (int)length).ToArray();
    }

    /// <summary>The names in the open directory <paramref name="dirfd"/> (which this call takes over and closes),
    /// without "." and "..", as bytes in the order the file system returns them.</summary>
    public static List<byte[]> ReadDirectory(int dirfd)
    {
        nint dir = fdopendir(dirfd);
        if (dir == 0)
        {
            int error = Errno;
            Close(dirfd);
            throw new ImageException($"cannot read a directory: {Describe(error)}");
        }
        var names = new List<byte[]>();
        try
        {
            for (nint entry = readdir(dir); entry != 0; entry = readdir(dir))
            {
                // struct dirent (64-bit glibc): d_ino 8, d_off 8, d_reclen 2, d_type 1, then the name.
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)entry + 19);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                    continue;
                names.Add(name.ToArray());
            }
        }
        finally
        {
            closedir(dir);
        }
        return names;
    }
}

/// <summary>What statx reports about one file, the fields this library uses.</summary>
internal readonly record struct FileStatus(ushort Mode, uint Uid, uint Gid, long Size, uint Nlink, uint RdevMajor, uint RdevMinor)
{
    public int Type => Mode & Native.S_IFMT;
}
