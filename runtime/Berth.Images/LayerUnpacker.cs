using System.Formats.Tar;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Berth.Images;

/// <summary>
/// Unpacks one layer's tar stream into an empty directory, safely against a hostile layer, in the form overlayfs
/// stacks: image-spec whiteouts (<c>.wh.NAME</c>) become 0/0 character devices, opaque markers
/// (<c>.wh..wh..opq</c>) become the <c>trusted.overlay.opaque</c> attribute on their directory.
/// <para>Safety: names are relative and have no ".." (else the layer is refused); every parent directory is reached
/// component by component from the layer's own descriptor with O_NOFOLLOW|O_DIRECTORY, so a symbolic link an earlier
/// entry made is never followed (an entry going through one refuses the layer); a name that exists is unlinked before
/// it is made again (O_CREAT|O_EXCL|O_NOFOLLOW), so no write lands through a link; a hard link's target is reached
/// the same way and must be in this layer. Layers are unpacked in a fresh directory nobody else can reach (the
/// store's 0700 temporary directory), so only the tar itself can race these checks, and it is read in order.</para>
/// </summary>
internal sealed class LayerUnpacker : IDisposable
{
    private const string OpaqueMarker = ".wh..wh..opq";
    private const string WhiteoutPrefix = ".wh.";
    private static readonly byte[] Dot = Native.Z(".");
    private static readonly byte[] Empty = [0];

    private readonly int root;
    private readonly string layer;
    private readonly bool privileged = Native.Geteuid() == 0;
    private readonly byte[] buffer = new byte[128 * 1024];

    // Directory modes and times are set at the end: a child written later would change the time, and a directory
    // without write permission would stop its children being written (when not root).
    private readonly Dictionary<string, (string[] Components, int Mode, DateTimeOffset Mtime)> directories = new(StringComparer.Ordinal);

    private LayerUnpacker(int root, string layer)
    {
        this.root = root;
        this.layer = layer;
    }

    /// <summary>The opaque-directory attribute overlayfs reads: trusted.* as root, user.* for a rootless
    /// overlay mounted with "userxattr".</summary>
    public static string OpaqueAttribute => Native.Geteuid() == 0 ? "trusted.overlay.opaque" : "user.overlay.opaque";

    /// <summary>Unpacks <paramref name="tar"/> into <paramref name="directory"/> (existing, empty);
    /// <paramref name="layer"/> names the layer in errors.</summary>
    public static void Unpack(Stream tar, string directory, string layer)
    {
        int fd = Native.OpenAt(Native.AT_FDCWD, Native.Z(directory), Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW);
        if (fd < 0)
            throw new ImageException($"cannot open {directory} to unpack the layer {layer}: {Native.Describe(Native.Errno)}");
        using var unpacker = new LayerUnpacker(fd, layer);
        unpacker.Run(tar);
    }

    public void Dispose() => Native.Close(root);

    private void Run(Stream tar)
    {
        var reader = new TarReader(new EndMarkerStream(tar), leaveOpen: true);
        try
        {
            for (TarEntry? entry; (entry = reader.GetNextEntry(copyData: false)) is not null;)
                Extract(entry);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new ImageException($"the layer {layer} is not a readable tar archive: {e.Message}", e);
        }
        foreach (var (name, (components, mode, mtime)) in directories)
        {
            int fd = OpenDirectory(components, components.Length, create: false, name, Native.O_RDONLY);
            try
            {
                Check(Native.Fchmod(fd, (uint)mode), name, "set the mode of");
                Check(Native.SetTimes(fd, Clamp(mtime)), name, "set the time of");
            }
            finally
            {
                Native.Close(fd);
            }
        }
    }

    private void Extract(TarEntry entry)
    {
        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
            return;
        string name = entry.Name;
        string[] components = Components(name, "name");
        if (components.Length == 0)
        {
            if (entry.EntryType != TarEntryType.Directory)
                throw Hostile(name, "names the layer's root as something other than a directory");
            SetDirectoryMetadata(entry, components, ".");
            return;
        }
        string last = components[^1];
        if (last.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            Whiteout(components, last, name);
            return;
        }

        int parent = OpenDirectory(components, components.Length - 1, create: true, name, Native.O_PATH);
        try
        {
            byte[] z = Native.Z(last);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    if (Native.StatAt(parent, z, out var existing) == 0 && existing.Type != Native.S_IFDIR)
                        Remove(parent, z, name);
                    if (Native.MkdirAt(parent, z, 0b111_000_000) != 0 && Native.Errno != Native.EEXIST)
                        Fail(name, "create the directory", Native.Errno);
                    SetDirectoryMetadata(entry, components, string.Join('/', components));
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    Remove(parent, z, name);
                    WriteFile(parent, z, entry, name);
                    break;
                case TarEntryType.SymbolicLink:
                    Remove(parent, z, name);
                    if (Native.SymlinkAt(Native.Z(entry.LinkName), parent, z) != 0)
                        Fail(name, "create the symbolic link", Native.Errno);
                    SetOwnerAt(parent, z, entry, name);
                    Native.SetTimesAt(parent, z, Clamp(entry.ModificationTime));
                    break;
                case TarEntryType.HardLink:
                    Remove(parent, z, name);
                    HardLink(parent, z, entry, name);
                    break;
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                    Remove(parent, z, name);
                    int type = entry.EntryType switch
                    {
                        TarEntryType.CharacterDevice => Native.S_IFCHR,
                        TarEntryType.BlockDevice => Native.S_IFBLK,
                        _ => Native.S_IFIFO,
                    };
                    var posix = entry as PosixTarEntry;
                    if (Native.MknodAt(parent, z, (uint)(type | 0b110_000_000), (uint)(posix?.DeviceMajor ?? 0), (uint)(posix?.DeviceMinor ?? 0)) != 0)
                        Fail(name, Native.Errno == Native.EPERM ? "create the device node (only root may)" : "create the node", Native.Errno);
                    SetOwnerAt(parent, z, entry, name);
                    Check(Native.ChmodAt(parent, z, (uint)entry.Mode), name, "set the mode of");
                    Native.SetTimesAt(parent, z, Clamp(entry.ModificationTime));
                    break;
                default:
                    throw new ImageException($"the layer {layer} has the entry \"{name}\" of tar type {entry.EntryType}, which this reader does not unpack; refusing the layer.");
            }
        }
        finally
        {
            Native.Close(parent);
        }
    }

    private void WriteFile(int parent, byte[] z, TarEntry entry, string name)
    {
        int fd = Native.OpenAt(parent, z, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW, 0b110_000_000);
        if (fd < 0)
            Fail(name, "create the file", Native.Errno);
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (entry.DataStream is { } data)
        {
            long offset = 0;
            for (int read; (read = data.Read(buffer)) > 0; offset += read)
                RandomAccess.Write(handle, buffer.AsSpan(0, read), offset);
        }
        // Owner before mode: chown clears setuid and setgid.
        if (Native.Fchown(fd, entry.Uid, entry.Gid) != 0 && privileged)
            Fail(name, "set the owner of", Native.Errno);
        Check(Native.Fchmod(fd, (uint)entry.Mode), name, "set the mode of");
        SetAttributes(fd, entry);
        Native.SetTimes(fd, Clamp(entry.ModificationTime));
    }

    private void HardLink(int parent, byte[] z, TarEntry entry, string name)
    {
        string[] target = Components(entry.LinkName, "hard link target", name);
        if (target.Length == 0)
            throw Hostile(name, "is a hard link to the layer's root");
        int targetParent = OpenDirectory(target, target.Length - 1, create: false, name, Native.O_PATH);
        try
        {
            // linkat without AT_SYMLINK_FOLLOW links the target itself, never what a symbolic link points to.
            if (Native.LinkAt(targetParent, Native.Z(target[^1]), parent, z) != 0)
            {
                int error = Native.Errno;
                throw error == Native.ENOENT
                    ? Hostile(name, $"is a hard link to \"{entry.LinkName}\", which is not in this layer before it")
                    : new ImageException($"the layer {layer}: cannot create the hard link \"{name}\" to \"{entry.LinkName}\": {Native.Describe(error)}");
            }
        }
        finally
        {
            Native.Close(targetParent);
        }
    }

    private void Whiteout(string[] components, string last, string name)
    {
        if (last == OpaqueMarker)
        {
            int directory = OpenDirectory(components, components.Length - 1, create: true, name, Native.O_RDONLY);
            try
            {
                Check(Native.SetXattr(directory, OpaqueAttribute, "y"u8), name, $"set {OpaqueAttribute} on the directory of");
            }
            finally
            {
                Native.Close(directory);
            }
            return;
        }
        if (last.StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal))
            return; // Other ".wh..wh." names are aufs' own bookkeeping, meaningless here.
        string hidden = last[WhiteoutPrefix.Length..];
        if (hidden is "." or "..")
            throw Hostile(name, "is a whiteout of \".\" or \"..\"");
        int parent = OpenDirectory(components, components.Length - 1, create: true, name, Native.O_PATH);
        try
        {
            byte[] z = Native.Z(hidden);
            Remove(parent, z, name);
            if (Native.MknodAt(parent, z, Native.S_IFCHR, 0, 0) != 0)
                Fail(name, "create the overlay whiteout (a 0/0 character device) for", Native.Errno);
            Native.ChownAt(parent, z, 0, 0, Native.AT_SYMLINK_NOFOLLOW);
        }
        finally
        {
            Native.Close(parent);
        }
    }

    private void SetDirectoryMetadata(TarEntry entry, string[] components, string key)
    {
        int fd = OpenDirectory(components, components.Length, create: false, key, Native.O_RDONLY);
        try
        {
            if (Native.Fchown(fd, entry.Uid, entry.Gid) != 0 && privileged)
                Fail(key, "set the owner of", Native.Errno);
            SetAttributes(fd, entry);
        }
        finally
        {
            Native.Close(fd);
        }
        directories[key] = (components, (int)entry.Mode, entry.ModificationTime);
    }

    /// <summary>PAX extended attributes (SCHILY.xattr.* as GNU tar writes them, LIBARCHIVE.xattr.* base64), where the
    /// file system and this process may set them. overlay's own attributes are never taken from a layer: they
    /// would let a layer hide or redirect what is below it other than by the whiteouts the spec defines.</summary>
    private static void SetAttributes(int fd, TarEntry entry)
    {
        if (entry is not PaxTarEntry pax)
            return;
        foreach (var (key, value) in pax.ExtendedAttributes)
        {
            string name;
            byte[] bytes;
            if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
            {
                // The reader decodes values as UTF-8; a binary value (a file capability) did not survive that.
                if (value.Contains('\uFFFD'))
                    continue;
                name = key["SCHILY.xattr.".Length..];
                bytes = Encoding.UTF8.GetBytes(value);
            }
            else if (key.StartsWith("LIBARCHIVE.xattr.", StringComparison.Ordinal))
            {
                name = Uri.UnescapeDataString(key["LIBARCHIVE.xattr.".Length..]);
                try
                {
                    bytes = Convert.FromBase64String(value);
                }
                catch (FormatException)
                {
                    continue;
                }
            }
            else
            {
                continue;
            }
            if (name.StartsWith("trusted.overlay.", StringComparison.Ordinal) || name.StartsWith("user.overlay.", StringComparison.Ordinal))
                continue;
            Native.SetXattr(fd, name, bytes); // Best effort: "where permitted".
        }
    }

    private void SetOwnerAt(int parent, byte[] z, TarEntry entry, string name)
    {
        if (Native.ChownAt(parent, z, entry.Uid, entry.Gid, Native.AT_SYMLINK_NOFOLLOW) != 0 && privileged)
            Fail(name, "set the owner of", Native.Errno);
    }

    /// <summary>
    /// The directory named by the first <paramref name="count"/> components, reached one component at a time from
    /// the layer's root without following symbolic links; missing ones are created (0755) when <paramref name="create"/>.
    /// </summary>
    private int OpenDirectory(string[] components, int count, bool create, string name, int access)
    {
        int current = Native.OpenAt(root, Dot, (count == 0 ? access : Native.O_PATH) | Native.O_DIRECTORY);
        if (current < 0)
            Fail(name, "open the layer directory for", Native.Errno);
        for (int i = 0; i < count; i++)
        {
            byte[] z = Native.Z(components[i]);
            int flags = (i == count - 1 ? access : Native.O_PATH) | Native.O_DIRECTORY | Native.O_NOFOLLOW;
            int next = Native.OpenAt(current, z, flags);
            if (next < 0 && Native.Errno == Native.ENOENT && create)
            {
                if (Native.MkdirAt(current, z, 0b111_101_101) == 0)
                    Native.ChmodAt(current, z, 0b111_101_101);
                next = Native.OpenAt(current, z, flags);
            }
            int error = Native.Errno;
            Native.Close(current);
            if (next < 0)
            {
                string through = string.Join('/', components.Take(i + 1));
                if (error is Native.ELOOP or Native.ENOTDIR)
                    throw Hostile(name, $"goes through \"{through}\", which is a symbolic link or not a directory");
                throw new ImageException($"the layer {layer}: cannot open \"{through}\" for the entry \"{name}\": {Native.Describe(error)}");
            }
            current = next;
        }
        return current;
    }

    /// <summary>Removes what <paramref name="z"/> names in this layer, if anything (a directory with its contents).</summary>
    private void Remove(int parent, byte[] z, string name)
    {
        if (Native.UnlinkAt(parent, z, 0) == 0 || Native.Errno == Native.ENOENT)
            return;
        if (Native.Errno is not (Native.EISDIR or Native.EPERM))
            Fail(name, "replace", Native.Errno);
        int directory = Native.OpenAt(parent, z, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW);
        if (directory < 0)
            Fail(name, "replace", Native.Errno);
        int listing = Native.OpenAt(directory, Dot, Native.O_RDONLY | Native.O_DIRECTORY);
        try
        {
            foreach (byte[] child in Native.ReadDirectory(listing))
                Remove(directory, Native.Z(child), name);
        }
        finally
        {
            Native.Close(directory);
        }
        if (Native.UnlinkAt(parent, z, Native.AT_REMOVEDIR) != 0)
            Fail(name, "replace", Native.Errno);
    }

    /// <summary>The name's components: "./" prefixes, empty and "." components dropped; absolute names and ".."
    /// refuse the layer.</summary>
    private string[] Components(string path, string what, string? entry = null)
    {
        if (path.StartsWith('/'))
            throw Hostile(entry ?? path, $"has the absolute {what} \"{path}\"");
        var components = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(c => c != ".").ToArray();
        if (components.Contains(".."))
            throw Hostile(entry ?? path, $"has \"..\" in its {what} \"{path}\"");
        return components;
    }

    private ImageException Hostile(string name, string why) =>
        new($"the layer {layer} has the entry \"{name}\", which {why}; refusing the layer (nothing is written outside it).");

    private void Check(int result, string name, string what)
    {
        if (result != 0)
            Fail(name, what, Native.Errno);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Fail(string name, string what, int errno) =>
        throw new ImageException($"the layer {layer}: cannot {what} \"{name}\": {Native.Describe(errno)}");

    private static DateTimeOffset Clamp(DateTimeOffset time) => time < DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : time;
}
