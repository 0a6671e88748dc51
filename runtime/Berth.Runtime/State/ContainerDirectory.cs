using static Tmds.Linux.LibC;

namespace Berth.Runtime.State;

/// <summary>
/// One container's state directory, held open by a descriptor that was opened from the root's with
/// O_NOFOLLOW | O_DIRECTORY; locked (an exclusive flock, for a command that changes the container) or not (readers).
/// Every file in it is reached relative to that descriptor and never through a symlink (O_NOFOLLOW, unlinkat,
/// fstatat without following), so nothing outside ROOT/ID can be read, written or removed through it.
/// </summary>
public sealed class ContainerDirectory : IDisposable
{
    private int _fd;

    private ContainerDirectory(int fd, string id, string path)
    {
        _fd = fd;
        Id = id;
        Path = path;
    }

    public string Id { get; }

    /// <summary>ROOT/ID, for messages only: nothing is opened through it.</summary>
    public string Path { get; }

    /// <summary>The directory's descriptor (the lock when locked), which a child process must close so it does not hold it too.</summary>
    public int Descriptor => _fd;

    /// <summary>
    /// Opens <paramref name="id"/> in the root's descriptor. Null when there is no container: nothing there (no
    /// <paramref name="why"/>), something else than a directory (a symlink, a file: <paramref name="why"/> says what),
    /// or a directory removed while we waited for its lock.
    /// </summary>
    internal static ContainerDirectory? Open(int rootFd, string id, string path, bool locked, out string? why)
    {
        why = null;
        int fd = Sys.OpenAt(rootFd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0)
        {
            int err = Sys.Errno;
            if (err == ENOENT)
                return null;
            if (err == ENOTDIR || err == ELOOP)
            {
                int type = Sys.TypeAt(rootFd, id);
                why = $"{path} is {(type < 0 ? "not a directory" : Linux.FileTypeName(type))}, not a state directory";
                return null;
            }
            throw BerthException.Errno($"open state directory {path}", err);
        }
        if (locked)
        {
            Sys.LockFile(fd, Exec.NativeMethods.LOCK_EX);
            // The directory may have been removed while we waited: then there is no container any more.
            if (Sys.LinkCount(fd) == 0)
            {
                Sys.Close(fd);
                return null;
            }
        }
        return new ContainerDirectory(fd, id, path);
    }

    /// <summary>The uid that owns the directory (runc's "owner" of the container), -1 when it cannot be read.</summary>
    public long OwnerUid => Sys.Owner(_fd);

    public string PathOf(string name) => $"{Path}/{name}";

    /// <summary>Opens a file of the directory (O_NOFOLLOW added); -1 with errno.</summary>
    public int OpenFile(string name, int flags, int mode = 0) => Sys.OpenAt(_fd, name, flags | O_NOFOLLOW, mode);

    /// <summary>Whether the directory has an entry of that name (a symlink is not followed).</summary>
    public bool Has(string name) => Sys.TypeAt(_fd, name) >= 0;

    /// <summary>Unlinks a file of the directory (never what a symlink points to); returns 0 or errno.</summary>
    public int Unlink(string name) => Sys.UnlinkAt(_fd, name);

    public int MakeFifo(string name, int mode) => Sys.MkfifoAt(_fd, name, mode);

    /// <summary>The bytes of a regular file of the directory (not through a symlink; a FIFO does not block), or null with errno.</summary>
    public byte[]? Read(string name, out int error, bool sharedLock = false) =>
        Sys.ReadRegularFile(_fd, name, O_NOFOLLOW, out error, sharedLock);

    /// <summary>
    /// Creates a file that does not exist yet in the container's (fresh and locked) directory, in place: no temporary
    /// file and no rename, which on ext4 would cost a new inode and a flush of the data (auto_da_alloc).
    /// </summary>
    public void WriteNew(string name, ReadOnlySpan<byte> content)
    {
        int err = Sys.WriteSmallAt(_fd, name, content, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW);
        if (err != 0)
            throw BerthException.Errno($"write {PathOf(name)}", err);
    }

    /// <summary>Replaces a file of the directory whole: written under a temporary name, then renamed over it, so a
    /// reader sees the old file or the new one (update's config.json).</summary>
    public void Replace(string name, ReadOnlySpan<byte> content)
    {
        int err = Sys.ReplaceAt(_fd, name, "." + name + ".new", content);
        if (err != 0)
            throw BerthException.Errno($"write {PathOf(name)}", err);
    }

    /// <summary>
    /// Reads state.json. Commands that only read (state, list, ps) do not take the container's lock; a writer rewrites
    /// the file in place (see <see cref="Save"/>) holding an exclusive flock on the file itself, and the read holds a
    /// shared one, so it sees the file before or after a write, never during. A file met between its creation and
    /// its first write (empty) is read again. A directory whose state.json is missing, not a regular file, damaged or
    /// names another container is not a container: "does not exist".
    /// </summary>
    public ContainerRecord Load()
    {
        for (int attempt = 0; ; attempt++)
        {
            byte[]? json = Read(StateStore.StateFile, out int error, sharedLock: true);
            if (json is null)
            {
                if (error == ENOENT)
                    throw StateStore.DoesNotExist(Id, $"{Path} holds no {StateStore.StateFile}");
                if (error == ELOOP || (error & Linux.NotRegularFile) != 0)
                    throw StateStore.DoesNotExist(Id, $"{PathOf(StateStore.StateFile)}: {(error == ELOOP ? "a symbolic link" : Linux.Describe(error))}");
                throw BerthException.Errno($"read {PathOf(StateStore.StateFile)}", error);
            }
            ContainerRecord record;
            try
            {
                record = ContainerRecord.FromJson(json);
            }
            catch (Exception e) when (ContainerRecord.IsUnreadable(e))
            {
                if (attempt < 200)
                {
                    Thread.Sleep(1);
                    continue;
                }
                throw StateStore.DoesNotExist(Id, $"{PathOf(StateStore.StateFile)} is damaged: {e.Message}");
            }
            if (record.Id != Id)
                throw StateStore.DoesNotExist(Id, $"{PathOf(StateStore.StateFile)} names container {Berth.Spec.SchemaJson.Quote(record.Id)}");
            return record;
        }
    }

    public bool TryLoad(out ContainerRecord? record)
    {
        try
        {
            record = Load();
            return true;
        }
        catch (BerthException)
        {
            record = null;
            return false;
        }
    }

    /// <summary>
    /// Updates state.json in place: one pwrite at offset 0 (padded to the old length), under the container's lock and an exclusive
    /// flock on the file, which readers share (<see cref="Load"/>). Replacing the file by rename instead would cost a
    /// new inode and, on ext4, a flush of the new data (auto_da_alloc) at every update.
    /// </summary>
    public void Save(ContainerRecord record) => WriteState(record, create: false);

    /// <summary>The first state of a container whose directory was just made (and is locked): written in place.</summary>
    public void SaveNew(ContainerRecord record) => WriteState(record, create: true);

    private void WriteState(ContainerRecord record, bool create)
    {
        byte[] content = record.ToJson();
        // O_NONBLOCK: a FIFO put in place of the file fails (ENXIO) instead of blocking.
        int fd = OpenFile(StateStore.StateFile, O_WRONLY | O_NONBLOCK | (create ? O_CREAT | O_EXCL : 0), 0b110_100_100);
        if (fd < 0)
            throw BerthException.Errno($"write {PathOf(StateStore.StateFile)}", Sys.Errno);
        using var closer = new FdCloser(fd);
        Sys.LockFile(fd, Exec.NativeMethods.LOCK_EX);
        // One write, never a truncation before or after it: a berth killed at any moment leaves either the old record
        // or the new one. A shorter record is padded with spaces (JSON allows them after the value) to the old length.
        if (!create && Sys.FileSize(fd) is > 0 and var size && size > content.Length)
        {
            byte[] padded = new byte[size];
            content.CopyTo(padded, 0);
            padded.AsSpan(content.Length).Fill((byte)' ');
            content = padded;
        }
        int err = Sys.PwriteAll(fd, content, 0);
        if (err != 0)
            throw BerthException.Errno($"write {PathOf(StateStore.StateFile)}", err);
    }

    /// <summary>The status as it is now, derived from the process and the exec fifo, never stored.</summary>
    public ContainerStatus StatusOf(ContainerRecord record)
    {
        if (record.Pid <= 0)
            return ContainerStatus.Creating;
        if (!StateStore.IsAlive(record))
            return ContainerStatus.Stopped;
        if (Has(StateStore.FifoFile))
            return ContainerStatus.Created;
        foreach (string cgroup in record.FreezableCgroups)
            if (Cgroups.Freezer.IsFrozen(cgroup))
                return ContainerStatus.Paused;
        return ContainerStatus.Running;
    }

    public void Dispose()
    {
        Sys.Close(_fd);
        _fd = -1;
    }
}
