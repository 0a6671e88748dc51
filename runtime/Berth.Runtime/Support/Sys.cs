using System.Runtime.InteropServices;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Berth.Runtime;

/// <summary>Small wrappers over libc for the parent process: each throws a BerthException that names what failed.</summary>
internal static unsafe partial class Sys
{
    public static int Errno => errno;

    public static int Open(string path, int flags, int mode = 0)
    {
        int fd;
        fixed (byte* p = Utf8(path))
            fd = open(p, flags | O_CLOEXEC, (mode_t)mode);
        return fd;
    }

    /// <summary>openat(2), close-on-exec: <paramref name="name"/> relative to the directory <paramref name="dirfd"/>.</summary>
    public static int OpenAt(int dirfd, string name, int flags, int mode = 0)
    {
        fixed (byte* p = Utf8(name))
            return openat(dirfd, p, flags | O_CLOEXEC, (mode_t)mode);
    }

    /// <summary>Detaches the mount at <paramref name="target"/> (umount2 with MNT_DETACH), usually a /proc/self/fd
    /// path of a descriptor opened without following links; 0 or the errno (EINVAL: not a mount point).</summary>
    public static int DetachMount(string target)
    {
        const int MNT_DETACH = 2;
        fixed (byte* t = Utf8(target))
            return Umount2(t, MNT_DETACH) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true)]
    private static partial int Umount2(byte* target, int flags);

    /// <summary>The type bits (S_IFMT) of an open file's mode, or -1 with errno set.</summary>
    public static int FileType(int fd)
    {
        stat st;
        return fstat(fd, &st) == 0 ? (int)(st.st_mode & S_IFMT) : -1;
    }

    public static byte[] Utf8(string s)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    /// <summary>Closes a descriptor whose use is over. Its error is dropped: Linux frees the descriptor whatever close
    /// returns, and after a read the error says nothing (a write's is checked where it is made, <see cref="WriteSmallAt"/>).</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
            _ = close(fd);
    }

    public static bool Kill(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>Writes all of <paramref name="data"/> at the file position; returns 0 or errno.</summary>
    public static int WriteAll(int fd, ReadOnlySpan<byte> data) => WriteAllAt(fd, data, -1);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/> (pwrite); returns 0 or errno.</summary>
    public static int PwriteAll(int fd, ReadOnlySpan<byte> data, long offset) => WriteAllAt(fd, data, offset);

    private static int WriteAllAt(int fd, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                ssize_t n = offset < 0 ? write(fd, p + done, data.Length - done) : pwrite(fd, p + done, data.Length - done, offset + done);
                if (n < 0)
                {
                    if (errno == EINTR)
                        continue;
                    return errno;
                }
                done += (int)n;
            }
        }
        return 0;
    }

    // The start path reads and writes a few dozen small files (cgroup, proc, state). FileStream would add an fstat,
    // a pair of flock calls and an lseek to each: these go straight to the kernel instead.

    /// <summary>Reads a whole small file; returns null and sets <paramref name="error"/> when it cannot.</summary>
    public static string? ReadSmall(string path, out int error)
    {
        byte[]? bytes = ReadSmallBytes(path, out error);
        return bytes is null ? null : System.Text.Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Reads a whole file into an exact-size array (no ArrayPool: its first use calibrates a per-CPU
    /// cache, a cost this short-lived process would pay once for nothing).</summary>
    public static byte[]? ReadSmallBytes(string path, out int error, bool sharedLock = false)
    {
        int fd = Open(path, O_RDONLY);
        if (fd < 0)
        {
            error = errno;
            return null;
        }
        return ReadAndClose(fd, out error, sharedLock);
    }

    /// <summary>
    /// Reads a whole file that must be a regular file: <paramref name="name"/> relative to <paramref name="dirfd"/>
    /// (AT_FDCWD for a path), opened with <paramref name="flags"/> added (O_NOFOLLOW in a state directory). It is opened
    /// O_NONBLOCK, so that a FIFO in its place cannot block, and refused after fstat unless it is a regular file: then
    /// <paramref name="error"/> is <see cref="Linux.NotRegularFile"/> with the file's type.
    /// </summary>
    public static byte[]? ReadRegularFile(int dirfd, string name, int flags, out int error, bool sharedLock = false)
    {
        int fd = OpenAt(dirfd, name, O_RDONLY | O_NONBLOCK | flags);
        if (fd < 0)
        {
            error = errno;
            return null;
        }
        int type = FileType(fd);
        if (type != (int)S_IFREG)
        {
            error = type < 0 ? errno : Linux.NotRegularFile | type;
            Close(fd);
            return null;
        }
        return ReadAndClose(fd, out error, sharedLock);
    }

    /// <summary>
    /// Reads a whole regular file or a pipe (a FIFO, or a shell's process substitution /dev/fd/N), as a file a caller
    /// hands over on the command line may be; anything else (a device, a directory) is refused without blocking, as
    /// <see cref="Linux.NotRegularFile"/>. A pipe is read until its writers close it.
    /// </summary>
    public static byte[]? ReadRegularFileOrPipe(string path, out int error)
    {
        int fd = OpenAt(AT_FDCWD, path, O_RDONLY | O_NONBLOCK);
        if (fd < 0)
        {
            error = errno;
            return null;
        }
        int type = FileType(fd);
        if (type == (int)S_IFIFO)
        {
            // Opened again without O_NONBLOCK: a reader then waits for the writer rather than seeing an early end.
            int blocking = OpenAt(AT_FDCWD, $"/proc/self/fd/{fd}", O_RDONLY);
            int openError = errno;
            Close(fd);
            if (blocking < 0)
            {
                error = openError;
                return null;
            }
            return ReadAndClose(blocking, out error, sharedLock: false);
        }
        if (type != (int)S_IFREG)
        {
            error = type < 0 ? errno : Linux.NotRegularFile | type;
            Close(fd);
            return null;
        }
        return ReadAndClose(fd, out error, sharedLock: false);
    }

    /// <summary>Reads an open file from its offset to the end, then closes it; null with <paramref name="error"/>.</summary>
    public static byte[]? ReadToEndAndClose(int fd, out int error) => ReadAndClose(fd, out error, sharedLock: false);

    /// <summary>Reads an open file from its position to its end, or its first <paramref name="limit"/> bytes, and
    /// closes it.</summary>
    public static byte[]? ReadAndClose(int fd, int limit, out int error) => ReadAndClose(fd, out error, sharedLock: false, limit);

    private static byte[]? ReadAndClose(int fd, out int error, bool sharedLock, int limit = int.MaxValue)
    {
        try
        {
            if (sharedLock)
                LockFile(fd, Exec.NativeMethods.LOCK_SH);
            byte* first = stackalloc byte[4096];
            byte[]? buffer = null;
            int length = 0;
            while (true)
            {
                int capacity = buffer?.Length ?? 4096;
                if (length == capacity)
                {
                    var larger = new byte[capacity * 2];
                    if (buffer is null)
                        new ReadOnlySpan<byte>(first, length).CopyTo(larger);
                    else
                        buffer.AsSpan(0, length).CopyTo(larger);
                    buffer = larger;
                    capacity = larger.Length;
                }
                ssize_t n;
                if (buffer is null)
                    n = read(fd, first + length, capacity - length);
                else
                    fixed (byte* p = &buffer[length])
                        n = read(fd, p, capacity - length);
                if (n < 0)
                {
                    if (errno == EINTR)
                        continue;
                    error = errno;
                    return null;
                }
                if (n == 0)
                    break;
                length += (int)n;
                if (length >= limit)
                {
                    length = limit;
                    break;
                }
            }
            error = 0;
            return buffer is null ? new ReadOnlySpan<byte>(first, length).ToArray() : buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>flock on an open file, waiting (and retrying EINTR); released when the fd is closed. A file system
    /// without flock (ENOLCK) leaves the file unlocked rather than failing.</summary>
    public static void LockFile(int fd, int operation)
    {
        while (Exec.NativeMethods.Flock(fd, operation) < 0 && Marshal.GetLastPInvokeError() == EINTR)
        {
        }
    }

    /// <summary>Opens with <paramref name="flags"/> (O_WRONLY plus O_CREAT/O_TRUNC as wanted) and writes
    /// <paramref name="content"/>; returns 0 or errno.</summary>
    public static int WriteSmall(string path, ReadOnlySpan<byte> content, int flags, int mode = 0b110_100_100) =>
        WriteSmallAt(AT_FDCWD, path, content, flags, mode);

    /// <summary><see cref="WriteSmall(string, ReadOnlySpan{byte}, int, int)"/> of a name relative to a directory descriptor.</summary>
    public static int WriteSmallAt(int dirfd, string name, ReadOnlySpan<byte> content, int flags, int mode = 0b110_100_100)
    {
        int fd = OpenAt(dirfd, name, flags, mode);
        if (fd < 0)
            return errno;
        int err = WriteAll(fd, content);
        // A write's error may come only at close (a file system that defers it); EINTR still closed the descriptor.
        int closeError = close(fd) < 0 && errno != EINTR ? errno : 0;
        return err != 0 ? err : closeError;
    }

    public static int WriteSmall(string path, string content, int flags, int mode = 0b110_100_100) =>
        WriteSmall(path, System.Text.Encoding.UTF8.GetBytes(content), flags, mode);

    public static int Mkdir(string path, int mode)
    {
        fixed (byte* p = Utf8(path))
            return mkdir(p, (mode_t)mode) == 0 ? 0 : errno;
    }

    public static int Rmdir(string path)
    {
        fixed (byte* p = Utf8(path))
            return rmdir(p) == 0 ? 0 : errno;
    }

    public static int Unlink(string path)
    {
        fixed (byte* p = Utf8(path))
            return unlink(p) == 0 ? 0 : errno;
    }

    /// <summary>mkdirat(2); returns 0 or errno.</summary>
    public static int MkdirAt(int dirfd, string name, int mode)
    {
        fixed (byte* p = Utf8(name))
            return mkdirat(dirfd, p, (mode_t)mode) == 0 ? 0 : errno;
    }

    /// <summary>mkfifoat(3); returns 0 or errno.</summary>
    public static int MkfifoAt(int dirfd, string name, int mode)
    {
        fixed (byte* p = Utf8(name))
            return mkfifoat(dirfd, p, (mode_t)mode) == 0 ? 0 : errno;
    }

    /// <summary>unlinkat(2) (AT_REMOVEDIR for a directory); never follows a symlink; returns 0 or errno.</summary>
    /// <summary>
    /// Replaces <paramref name="name"/> whole: written under <paramref name="temp"/> (made anew, never through a link
    /// planted there), then renamed over it, so a reader sees the old file or the new one; the rename replaces
    /// whatever is at the name without following it. Both names are relative to <paramref name="dirfd"/> (or
    /// absolute, with AT_FDCWD). Returns 0 or the errno, the temporary file removed.
    /// </summary>
    public static int ReplaceAt(int dirfd, string name, string temp, ReadOnlySpan<byte> content)
    {
        UnlinkAt(dirfd, temp);
        int err = WriteSmallAt(dirfd, temp, content, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW);
        if (err == 0)
            err = RenameAt(dirfd, temp, dirfd, name);
        if (err != 0)
            UnlinkAt(dirfd, temp);
        return err;
    }

    public static int UnlinkAt(int dirfd, string name, int flags = 0)
    {
        fixed (byte* p = Utf8(name))
            return unlinkat(dirfd, p, flags) == 0 ? 0 : errno;
    }

    /// <summary>The type bits (S_IFMT) of <paramref name="name"/> in <paramref name="dirfd"/>, a symlink itself not
    /// followed; -1 when it does not exist (or cannot be seen).</summary>
    public static int TypeAt(int dirfd, string name)
    {
        stat st;
        fixed (byte* p = Utf8(name))
            return fstatat(dirfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 ? (int)(st.st_mode & S_IFMT) : -1;
    }

    /// <summary>The owner (uid) of an open file, or -1 with errno set.</summary>
    public static long Owner(int fd)
    {
        stat st;
        return fstat(fd, &st) == 0 ? (long)(uint)st.st_uid : -1;
    }

    /// <summary>The size of an open file, or -1.</summary>
    public static long FileSize(int fd)
    {
        stat st;
        return fstat(fd, &st) == 0 ? st.st_size : -1;
    }

    /// <summary>The link count of an open file: 0 once a directory has been removed.</summary>
    public static long LinkCount(int fd)
    {
        stat st;
        return fstat(fd, &st) == 0 ? (long)(ulong)st.st_nlink : -1;
    }

    [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)]
    private static partial nint FdOpenDir(int fd);

    [LibraryImport("libc", EntryPoint = "readdir64")]
    private static partial byte* ReadDir(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(nint dir);

    /// <summary>The names in the directory <paramref name="dirfd"/> (not "." and ".."), read through a descriptor of
    /// its own so that <paramref name="dirfd"/> stays open; null with errno when it cannot be read.</summary>
    public static List<string>? Names(int dirfd, out int error) =>
        RawNames(dirfd, out error)?.Select(name => System.Text.Encoding.UTF8.GetString(name.AsSpan(0, name.Length - 1))).ToList();

    /// <summary>The names as the bytes they are, each NUL-terminated (for the *at calls): a name that is not UTF-8
    /// stays the name it is.</summary>
    public static List<byte[]>? RawNames(int dirfd, out int error)
    {
        int fd = OpenAt(dirfd, ".", O_RDONLY | O_DIRECTORY);
        nint dir = fd < 0 ? 0 : FdOpenDir(fd);
        if (dir == 0)
        {
            error = errno;
            Close(fd);
            return null;
        }
        var names = new List<byte[]>();
        // struct dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), then d_name.
        for (byte* entry; (entry = ReadDir(dir)) != null;)
        {
            var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + 19);
            if (!(name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)))
                names.Add([.. name, 0]);
        }
        _ = CloseDir(dir); // a directory stream that was only read: nothing to report
        error = 0;
        return names;
    }

    /// <summary>
    /// Empties the directory <paramref name="dirfd"/> without following a symlink: every entry is unlinked by name
    /// relative to it, a subdirectory (up to <paramref name="depth"/> levels) emptied through its own O_NOFOLLOW
    /// descriptor first. Returns 0 or the first errno.
    /// </summary>
    public static int EmptyDirectory(int dirfd, int depth = 8)
    {
        var names = Names(dirfd, out int error);
        if (names is null)
            return error;
        foreach (string name in names)
        {
            int err = UnlinkAt(dirfd, name);
            if (err == EISDIR && depth > 0)
            {
                int sub = OpenAt(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                err = sub < 0 ? errno : EmptyDirectory(sub, depth - 1);
                Close(sub);
                if (err == 0)
                    err = UnlinkAt(dirfd, name, AT_REMOVEDIR);
            }
            if (err != 0 && err != ENOENT)
                return err;
        }
        return 0;
    }

    public static int Rename(string from, string to)
    {
        fixed (byte* f = Utf8(from))
        fixed (byte* t = Utf8(to))
            return Exec.NativeMethods.Rename(f, t) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public static int RenameAt(int fromDir, string from, int toDir, string to)
    {
        fixed (byte* f = Utf8(from))
        fixed (byte* t = Utf8(to))
            return Exec.NativeMethods.RenameAt(fromDir, f, toDir, t) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The magic number of the file system <paramref name="path"/> is on (statfs f_type), or null when the
    /// path is not there.</summary>
    public static long? FileSystemType(string path)
    {
        long* buffer = stackalloc long[16];
        fixed (byte* p = Utf8(path))
            return Exec.NativeMethods.StatFs(p, buffer) == 0 ? buffer[0] : null;
    }

    /// <summary>lstat without following a final symlink; false when the path does not exist (or cannot be seen).</summary>
    public static bool Exists(string path)
    {
        stat st;
        fixed (byte* p = Utf8(path))
            return lstat(p, &st) == 0;
    }

    /// <summary>Writes a kernel file (proc, cgroup) the way the kernel wants it: one write call, no truncation
    /// dance; the error names what was being done, the value, the file and errno.</summary>
    public static void WriteKernelFile(string path, string value, string what)
    {
        int err = WriteSmall(path, value, O_WRONLY);
        if (err != 0)
            throw BerthException.Errno($"{what}: write {Berth.Spec.SchemaJson.Quote(value)} to {path}", err);
    }

    /// <summary>Blocks until the fd reports POLLHUP (or an error).</summary>
    public static void WaitForHangup(int fd)
    {
        var p = new pollfd { fd = fd, events = 0 };
        while (poll(&p, 1, -1) < 0 && errno == EINTR)
        {
        }
    }

    /// <summary>Waits until the fd is readable (POLLIN), an error or hang-up included; false when the timeout passes.</summary>
    public static bool WaitReadable(int fd, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var p = new pollfd { fd = fd, events = POLLIN };
        while (true)
        {
            long left = Math.Max(0, deadline - Environment.TickCount64);
            int rc = poll(&p, 1, (int)Math.Min(left, int.MaxValue));
            if (rc > 0)
                return true;
            if (rc == 0 || errno != EINTR)
                return false;
        }
    }

    public static (int Parent, int Child) SocketPair()
    {
        int* fds = stackalloc int[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
            throw BerthException.Errno("socketpair", errno);
        return (fds[0], fds[1]);
    }

    public static int Geteuid() => (int)(uint)geteuid();

    public static bool Writable(string path)
    {
        fixed (byte* p = Utf8(path))
            return access(p, W_OK) == 0;
    }

    /// <summary>Whether the caller may execute the file (access X_OK).</summary>
    public static bool Executable(string path)
    {
        fixed (byte* p = Utf8(path))
            return access(p, X_OK) == 0;
    }

    /// <summary>The start time of a process (field 22 of /proc/PID/stat), to tell a process from a later one with the same pid.</summary>
    public static ulong? ProcessStartTime(int pid, out char state)
    {
        state = '?';
        string? text = ReadSmall($"/proc/{pid}/stat", out _);
        if (text is null)
            return null;
        int close = text.LastIndexOf(')');
        if (close < 0)
            return null;
        var fields = text.AsSpan(close + 2);
        // Fields after the command: state(3) ppid(4) … starttime(22): index 19 after the state.
        int index = 0;
        foreach (var range in fields.Split(' '))
        {
            var field = fields[range];
            if (index == 0 && field.Length > 0)
                state = field[0];
            if (index == 19)
                return ulong.TryParse(field, out ulong start) ? start : null;
            index++;
        }
        return null;
    }
}

/// <summary>Closes an fd at the end of a scope (-1: nothing).</summary>
internal readonly struct FdCloser(int fd) : IDisposable
{
    public void Dispose() => Sys.Close(fd);
}

/// <summary>Whole-file reads for the command line's start path, straight to the kernel (see <see cref="Sys.ReadSmallBytes"/>).</summary>
public static class SmallFiles
{
    /// <summary>
    /// The bytes of a file that must be a regular file (a symlink to one is followed), or null with errno in
    /// <paramref name="error"/>; a FIFO, device or directory is refused without blocking, as
    /// <see cref="Linux.NotRegularFile"/> (<see cref="Linux.Describe"/> words it).
    /// </summary>
    public static byte[]? ReadRegular(string path, out int error) => Sys.ReadRegularFile(AT_FDCWD, path, 0, out error);

    /// <summary>As <see cref="ReadRegular"/>, but a pipe is read too (see <see cref="Sys.ReadRegularFileOrPipe"/>).</summary>
    public static byte[]? ReadRegularOrPipe(string path, out int error) => Sys.ReadRegularFileOrPipe(path, out error);
}
