using System.Text.RegularExpressions;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.State;

public enum ContainerStatus { Creating, Created, Running, Paused, Stopped }

/// <summary>
/// The state directory: ROOT/ID/{state.json, config.json, exec.fifo}. Each command on a container holds an
/// exclusive flock on the container's directory while it writes; readers that do not lock retry a half-written file.
/// </summary>
public sealed unsafe partial class StateStore(string? root)
{
    public const string StateFile = "state.json", ConfigFile = "config.json", FifoFile = "exec.fifo";

    private string? _root = root;

    /// <summary>--root, else the default, resolved at first use: `spec`, `validate` and `features` need no state.</summary>
    public string Root => _root ??= DefaultRoot();

    public static string DefaultRoot()
    {
        if (Sys.Geteuid() == 0)
            return "/run/berth";
        string? runtimeDir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        if (string.IsNullOrEmpty(runtimeDir))
            throw new BerthException("no state directory: XDG_RUNTIME_DIR is not set and berth is not running as root; pass --root DIR");
        return Path.Combine(runtimeDir, "berth");
    }

    [GeneratedRegex(@"^[A-Za-z0-9_+\-.]+$")]
    private static partial Regex IdPattern();

    public static void CheckId(string id)
    {
        if (id.Length == 0 || id == "." || id == ".." || !IdPattern().IsMatch(id) || id.Length > 1024)
            throw new BerthException($"invalid container id \"{id}\": use letters, digits, '_', '+', '-' and '.', not '/' or '..'");
    }

    public string DirectoryOf(string id) => Path.Combine(Root, id);

    public bool Exists(string id) => Directory.Exists(DirectoryOf(id));

    /// <summary>Makes the container's directory; fails if it exists (two creates of one id: one wins).</summary>
    public ContainerLock CreateDirectory(string id)
    {
        CheckId(id);
        Directory.CreateDirectory(Root);
        string dir = DirectoryOf(id);
        int rc;
        fixed (byte* p = Sys.Utf8(dir))
            rc = mkdir(p, 0b111_000_000);
        if (rc != 0)
        {
            int err = errno;
            if (err == EEXIST)
                throw new BerthException($"container \"{id}\" already exists");
            throw BerthException.Errno($"create state directory {dir}", err);
        }
        return ContainerLock.Acquire(dir) ?? throw new BerthException($"container \"{id}\" vanished while being created");
    }

    /// <summary>Locks an existing container's directory, or returns null if there is no such container.</summary>
    public ContainerLock? TryLock(string id)
    {
        CheckId(id);
        return ContainerLock.Acquire(DirectoryOf(id));
    }

    public ContainerLock Lock(string id) =>
        TryLock(id) ?? throw new BerthException($"container \"{id}\" does not exist");

    /// <summary>
    /// Reads state.json. Commands that only read (state, list, ps) do not take the container's lock; a writer rewrites
    /// the file in place (see <see cref="Save"/>) holding an exclusive flock on the file itself, and the read holds a
    /// shared one, so it sees the file before or after a write, never during. A file met between its creation and
    /// its first write (empty) is read again.
    /// </summary>
    public ContainerRecord Load(string id)
    {
        string path = Path.Combine(DirectoryOf(id), StateFile);
        for (int attempt = 0; ; attempt++)
        {
            byte[]? json = Sys.ReadSmallBytes(path, out int error, sharedLock: true);
            if (json is null)
            {
                if (error == ENOENT || error == ENOTDIR)
                    throw new BerthException($"container \"{id}\" does not exist");
                throw BerthException.Errno($"read {path}", error);
            }
            try
            {
                return ContainerRecord.FromJson(json);
            }
            catch (Exception e) when (attempt < 200 && IsUnreadable(e))
            {
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>What reading a damaged or unfinished state.json throws.</summary>
    private static bool IsUnreadable(Exception e) =>
        e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException;

    public bool TryLoad(string id, out ContainerRecord? record)
    {
        try
        {
            record = Load(id);
            return true;
        }
        catch (Exception e) when (e is BerthException or IOException || IsUnreadable(e))
        {
            record = null;
            return false;
        }
    }

    /// <summary>
    /// Updates state.json in place: one pwrite at offset 0, then ftruncate, under the container's lock and an exclusive
    /// flock on the file, which readers share (<see cref="Load"/>). Replacing the file by rename instead would cost a
    /// new inode and, on ext4, a flush of the new data (auto_da_alloc) at every update.
    /// </summary>
    public void Save(ContainerRecord record) => WriteState(record, create: false);

    /// <summary>The first state of a container whose directory was just made (and is locked): written in place.</summary>
    public void SaveNew(ContainerRecord record) => WriteState(record, create: true);

    private void WriteState(ContainerRecord record, bool create)
    {
        string path = Path.Combine(DirectoryOf(record.Id), StateFile);
        byte[] content = record.ToJson();
        int fd = Sys.Open(path, O_WRONLY | O_CREAT | (create ? O_EXCL : 0), 0b110_100_100);
        if (fd < 0)
            throw BerthException.Errno($"write {path}", errno);
        using var closer = new FdCloser(fd);
        Sys.LockFile(fd, Exec.NativeMethods.LOCK_EX);
        int err = Sys.PwriteAll(fd, content, 0);
        if (err == 0 && !create && ftruncate(fd, content.Length) != 0)
            err = errno;
        if (err != 0)
            throw BerthException.Errno($"write {path}", err);
    }

    /// <summary>
    /// Creates a file that does not exist yet in a container's directory (fresh and locked), in place: no temporary
    /// file and no rename, which on ext4 would cost a new inode and a flush of the data (auto_da_alloc).
    /// </summary>
    public void WriteNew(string id, string name, ReadOnlySpan<byte> content)
    {
        string path = Path.Combine(DirectoryOf(id), name);
        int err = Sys.WriteSmall(path, content, O_WRONLY | O_CREAT | O_EXCL);
        if (err != 0)
            throw BerthException.Errno($"write {path}", err);
    }

    public void Remove(string id)
    {
        string dir = DirectoryOf(id);
        // The usual content is known: unlink it and rmdir; anything else falls back to a recursive delete.
        Sys.Unlink(Path.Combine(dir, StateFile));
        Sys.Unlink(Path.Combine(dir, ConfigFile));
        int err = Sys.Rmdir(dir);
        if (err == ENOTEMPTY || err == EEXIST)
            Directory.Delete(dir, recursive: true);
        else if (err != 0 && err != ENOENT)
            throw BerthException.Errno($"remove state directory {dir}", err);
    }

    public IEnumerable<string> Ids()
    {
        if (!Directory.Exists(Root))
            yield break;
        foreach (string dir in Directory.EnumerateDirectories(Root))
            yield return Path.GetFileName(dir);
    }

    /// <summary>The status as it is now, derived from the process and the exec fifo, never stored.</summary>
    public ContainerStatus StatusOf(ContainerRecord record)
    {
        if (record.Pid <= 0)
            return ContainerStatus.Creating;
        if (!IsAlive(record))
            return ContainerStatus.Stopped;
        if (Sys.Exists(Path.Combine(DirectoryOf(record.Id), FifoFile)))
            return ContainerStatus.Created;
        foreach (string cgroup in record.Cgroups)
            if (Cgroups.Freezer.IsFrozen(cgroup))
                return ContainerStatus.Paused;
        return ContainerStatus.Running;
    }

    public static bool IsAlive(ContainerRecord record)
    {
        ulong? start = Sys.ProcessStartTime(record.Pid, out char state);
        return start == record.PidStartTime && state != 'Z' && state != 'X';
    }
}

/// <summary>An exclusive flock on a container's directory, held for one command.</summary>
public sealed unsafe class ContainerLock : IDisposable
{
    private int _fd;

    private ContainerLock(int fd) => _fd = fd;

    /// <summary>The locked descriptor, which a child process must close so it does not hold the lock too.</summary>
    public int Descriptor => _fd;

    public static ContainerLock? Acquire(string dir)
    {
        int fd = Sys.Open(dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
            return null;
        while (Exec.NativeMethods.Flock(fd, Exec.NativeMethods.LOCK_EX) < 0)
        {
            int err = errno;
            if (err != EINTR)
            {
                Sys.Close(fd);
                throw BerthException.Errno($"lock {dir}", err);
            }
        }
        // The directory may have been deleted while we waited: then there is no container any more.
        if (!Sys.IsDirectory(dir))
        {
            Sys.Close(fd);
            return null;
        }
        return new ContainerLock(fd);
    }

    public void Dispose()
    {
        Sys.Close(_fd);
        _fd = -1;
    }
}
