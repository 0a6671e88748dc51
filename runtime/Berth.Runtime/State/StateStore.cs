using static Tmds.Linux.LibC;

namespace Berth.Runtime.State;

public enum ContainerStatus { Creating, Created, Running, Paused, Stopped }

/// <summary>
/// The state root: one directory per container, ROOT/ID/{state.json, config.json, exec.fifo, …}. The root is opened
/// once per operation and each ID below it with openat(O_NOFOLLOW | O_DIRECTORY); every file of a container is then
/// reached through that directory's descriptor (<see cref="ContainerDirectory"/>), never through a path walked again,
/// so a symlink planted as ROOT/ID or as one of its files is never followed out of the root.
/// </summary>
public sealed class StateStore(string? root)
{
    /// <summary>What berth keeps for every container: its state, the config that ran, the fifo `start` writes to.</summary>
    public const string StateFile = "state.json", ConfigFile = "config.json", FifoFile = "exec.fifo";

    /// <summary>What a config read through the front-end adds (Bundles/BundleConfig): where each value came from, and
    /// with host files the author's own compiled document and what the host files changed (`berth diff`).</summary>
    public const string ProvenanceFile = "config.provenance.json", AuthorFile = "config.author.json", DiffFile = "config.diff.json";
    /// <summary>What the host's trust policy verified at create: each signature's subject, digest and key.</summary>
    public const string TrustFile = "trust.json";

    private string? _root = root;

    /// <summary>--root, else the default, resolved at first use: `spec`, `validate` and `features` need no state.</summary>
    public string Root => _root ??= DefaultRoot();

    public static string DefaultRoot() => RootlessContext.DefaultStateRoot();

    /// <summary>
    /// The one check of a container id, for every command: runc's rule (letters, digits, '_', '+', '-' and '.', not
    /// "." or ".."), so that an id is always a single name in the state root and can never climb out of it.
    /// </summary>
    public static void CheckId(string id)
    {
        if (!IsValidId(id))
            throw new BerthException($"invalid container id {Berth.Spec.SchemaJson.Quote(id)}: use 1 to {NameMax} letters, digits, '_', '+', '-' and '.', without '/', and not \".\" or \"..\"");
    }

    public static bool IsValidId(string id)
    {
        bool valid = id.Length is > 0 and <= NameMax && id is not ("." or "..");
        foreach (char c in id)
            valid &= char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '-' or '.';
        return valid;
    }

    /// <summary>The longest name a directory entry can have (NAME_MAX), so the longest id.</summary>
    private const int NameMax = 255;

    /// <summary>ROOT/ID, for messages and for the exec fifo's path in the plan (the id is checked first).</summary>
    public string DirectoryOf(string id)
    {
        CheckId(id);
        return Path.Combine(Root, id);
    }

    /// <summary>Whether ROOT/ID is taken by anything (a symlink planted there too: it is not followed).</summary>
    public bool Exists(string id) => Sys.Exists(DirectoryOf(id));

    public static BerthException DoesNotExist(string id, string? why = null) =>
        new($"container \"{id}\" does not exist{(why is null ? "" : $" ({why})")}");

    /// <summary>The state root's descriptor (-1 with <paramref name="error"/>), made when <paramref name="create"/> and missing.
    /// The root itself is the caller's choice (--root) and may be a symlink; nothing below it is followed.</summary>
    private int OpenRoot(bool create, out int error)
    {
        int fd = Sys.Open(Root, O_RDONLY | O_DIRECTORY);
        if (fd < 0 && create && Sys.Errno == ENOENT)
        {
            // The root itself is private to its user (runc makes its own 0700 too); its parents are made as usual.
            if (Path.GetDirectoryName(Path.GetFullPath(Root)) is { } parent)
                Directory.CreateDirectory(parent);
            Sys.Mkdir(Root, 0b111_000_000);
            fd = Sys.Open(Root, O_RDONLY | O_DIRECTORY);
        }
        error = fd < 0 ? Sys.Errno : 0;
        return fd;
    }

    /// <summary>Makes the container's directory and locks it; fails if ROOT/ID exists (two creates of one id: one wins).</summary>
    public ContainerDirectory CreateDirectory(string id)
    {
        CheckId(id);
        int rootFd = OpenRoot(create: true, out int err);
        if (rootFd < 0)
            throw BerthException.Errno($"open state root {Root}", err);
        using var closeRoot = new FdCloser(rootFd);
        err = Sys.MkdirAt(rootFd, id, 0b111_000_000);
        if (err == EEXIST)
            throw new BerthException($"container \"{id}\" already exists"); // the words of the check before it
        if (err != 0)
            throw BerthException.Errno($"create state directory {DirectoryOf(id)}", err);
        return ContainerDirectory.Open(rootFd, id, DirectoryOf(id), locked: true, out _)
            ?? throw new BerthException($"container \"{id}\" vanished while being created");
    }

    /// <summary>
    /// Opens ROOT/ID without following a symlink, locked (exclusive flock, held until disposed) or not (readers: state,
    /// list, ps, kill); null, with <paramref name="why"/> when it is something else than a missing name, if there is no
    /// such container: nothing there, a symlink, a file, or a directory removed while we waited for its lock.
    /// </summary>
    public ContainerDirectory? TryOpen(string id, bool locked, out string? why)
    {
        CheckId(id);
        why = null;
        int rootFd = OpenRoot(create: false, out int err);
        if (rootFd < 0)
            return err == ENOENT ? null : throw BerthException.Errno($"open state root {Root}", err);
        using var closeRoot = new FdCloser(rootFd);
        return ContainerDirectory.Open(rootFd, id, DirectoryOf(id), locked, out why);
    }

    /// <summary>An existing container's directory, unlocked (for commands that only read); "does not exist" otherwise.</summary>
    public ContainerDirectory Open(string id) => TryOpen(id, locked: false, out string? why) ?? throw DoesNotExist(id, why);

    /// <summary>Locks an existing container's directory, or returns null if there is no such container.</summary>
    public ContainerDirectory? TryLock(string id) => TryOpen(id, locked: true, out _);

    public ContainerDirectory Lock(string id) => TryOpen(id, locked: true, out string? why) ?? throw DoesNotExist(id, why);

    /// <summary>Reads a container's state.json (see <see cref="ContainerDirectory.Load"/>).</summary>
    public ContainerRecord Load(string id)
    {
        using var dir = Open(id);
        return dir.Load();
    }

    /// <summary>
    /// Removes a container's directory, which the caller holds: the files berth keeps are unlinked through its
    /// descriptor, then ROOT/ID is removed by name from the root's; anything else in it is removed entry by entry
    /// through descriptors, never following a symlink.
    /// </summary>
    public void Remove(ContainerDirectory dir)
    {
        dir.Unlink(StateFile);
        dir.Unlink(ConfigFile);
        int rootFd = OpenRoot(create: false, out int err);
        if (rootFd >= 0)
        {
            using var closeRoot = new FdCloser(rootFd);
            err = Sys.UnlinkAt(rootFd, dir.Id, AT_REMOVEDIR);
            if (err == ENOTEMPTY || err == EEXIST)
            {
                err = Sys.EmptyDirectory(dir.Descriptor);
                if (err == 0)
                    err = Sys.UnlinkAt(rootFd, dir.Id, AT_REMOVEDIR);
            }
        }
        if (err != 0 && err != ENOENT)
            throw BerthException.Errno($"remove state directory {dir.Path}", err);
    }

    /// <summary>The ids of the root's entries that can be containers (a valid id); whether each is one is for the caller.</summary>
    public IEnumerable<string> Ids()
    {
        int rootFd = OpenRoot(create: false, out int err);
        if (rootFd < 0)
            return err == ENOENT ? [] : throw BerthException.Errno($"open state root {Root}", err);
        using var closeRoot = new FdCloser(rootFd);
        var names = Sys.Names(rootFd, out err) ?? throw BerthException.Errno($"read state root {Root}", err);
        return names.Where(IsValidId);
    }

    public static bool IsAlive(ContainerRecord record)
    {
        ulong? start = Sys.ProcessStartTime(record.Pid, out char state);
        return start == record.PidStartTime && state != 'Z' && state != 'X';
    }
}
