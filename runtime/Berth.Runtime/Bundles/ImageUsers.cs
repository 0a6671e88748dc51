using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Berth.Config;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Bundles;

/// <summary>
/// An image's User ("user[:group]", names or numbers) as numbers, the way Docker and podman read it: a name from the
/// image's /etc/passwd (its uid and primary group) or /etc/group; a numeric uid alone takes the primary group its
/// passwd entry gives, else 0. The files are found in the stored layers as overlayfs would show them — top layer
/// first; a whiteout or an opaque /etc hides what is below — without following any symbolic link: the layers are the
/// image's, and a link in /etc could point anywhere on the host. A link there is refused with a sentence saying what
/// to do instead.
/// </summary>
internal static unsafe partial class ImageUsers
{
    /// <summary>An account file bigger than this is not read (a hostile image must not make berth allocate freely).</summary>
    private const int MaxFileBytes = 16 * 1024 * 1024;

    public static ImageUser Resolve(IReadOnlyList<string> layersTopFirst, string user)
    {
        int colon = user.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? user : user[..colon];
        string? group = colon < 0 ? null : user[(colon + 1)..];
        uint uid, primaryGid = 0;
        if (uint.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out uid))
        {
            if (group is null && TryPrimaryGroup(layersTopFirst, uid) is { } gid)
                primaryGid = gid;
        }
        else
        {
            string passwd = Read(layersTopFirst, "passwd", user)
                ?? throw new ImageLookupException($"the image's user \"{user}\" is a name, but the image has no /etc/passwd to look it up in: set process.user, or use a numeric user");
            var entry = Entries(passwd).FirstOrDefault(fields => fields.Length >= 4 && fields[0] == name)
                ?? throw new ImageLookupException($"the image's /etc/passwd has no user \"{name}\" (its User is \"{user}\")");
            if (!uint.TryParse(entry[2], NumberStyles.None, CultureInfo.InvariantCulture, out uid) || !uint.TryParse(entry[3], NumberStyles.None, CultureInfo.InvariantCulture, out primaryGid))
                throw new ImageLookupException($"the image's /etc/passwd entry of \"{name}\" has no numeric uid and gid");
        }
        if (group is null)
            return new ImageUser(uid, primaryGid);
        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out uint numeric))
            return new ImageUser(uid, numeric);
        string groups = Read(layersTopFirst, "group", user)
            ?? throw new ImageLookupException($"the image's group \"{group}\" is a name, but the image has no /etc/group to look it up in: set process.user, or use a numeric group");
        var line = Entries(groups).FirstOrDefault(fields => fields.Length >= 3 && fields[0] == group)
            ?? throw new ImageLookupException($"the image's /etc/group has no group \"{group}\" (its User is \"{user}\")");
        return uint.TryParse(line[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint groupId)
            ? new ImageUser(uid, groupId)
            : throw new ImageLookupException($"the image's /etc/group entry of \"{group}\" has no numeric gid");
    }

    /// <summary>The primary group of a numeric uid; null when the image has no readable entry (then 0 is used).</summary>
    private static uint? TryPrimaryGroup(IReadOnlyList<string> layersTopFirst, uint uid)
    {
        string? passwd;
        try
        {
            passwd = Read(layersTopFirst, "passwd", uid.ToString(CultureInfo.InvariantCulture));
        }
        catch (ImageLookupException)
        {
            return null; // a numeric user needs no file: what cannot be read safely is not read
        }
        string text = uid.ToString(CultureInfo.InvariantCulture);
        var entry = passwd is null ? null : Entries(passwd).FirstOrDefault(fields => fields.Length >= 4 && fields[2] == text);
        return entry is not null && uint.TryParse(entry[3], NumberStyles.None, CultureInfo.InvariantCulture, out uint gid) ? gid : null;
    }

    private static IEnumerable<string[]> Entries(string file) =>
        file.Split('\n').Where(line => line.Length > 0 && line[0] != '#').Select(line => line.TrimEnd('\r').Split(':'));

    /// <summary>/etc/<paramref name="file"/> as the stacked layers show it; null when there is none.</summary>
    private static string? Read(IReadOnlyList<string> layersTopFirst, string file, string user)
    {
        foreach (string layer in layersTopFirst)
        {
            int layerFd = Sys.Open(layer, O_PATH | O_DIRECTORY);
            if (layerFd < 0)
                throw new ImageLookupException($"cannot open the stored layer {layer}: {Linux.Describe(Sys.Errno)}");
            using var closeLayer = new FdCloser(layerFd);
            int etc = Sys.OpenAt(layerFd, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (etc < 0)
            {
                int error = Sys.Errno;
                if (error == ENOENT)
                    continue;
                // O_DIRECTORY answers ENOTDIR before O_NOFOLLOW's ELOOP: look at what the name is.
                if (error == ELOOP || Sys.TypeAt(layerFd, "etc") == (int)S_IFLNK)
                    throw Link(layer, "/etc", user);
                return null; // a whiteout (or a file) hides /etc of the layers below
            }
            using var closeEtc = new FdCloser(etc);
            // Looked at before it is opened: a layer may hold device nodes with any numbers (a whiteout is char 0:0),
            // and opening one would reach a host device. Stored layers do not change, so the look holds for the open.
            int type = Sys.TypeAt(etc, file);
            if (type == (int)S_IFLNK)
                throw Link(layer, "/etc/" + file, user);
            if (type >= 0 && type != (int)S_IFREG)
                return null; // a whiteout, or anything but a file: no account file here
            int fd = Sys.OpenAt(etc, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
            if (fd < 0)
            {
                int error = Sys.Errno;
                if (error == ELOOP)
                    throw Link(layer, "/etc/" + file, user);
                if (error == ENOENT && !IsOpaque(etc))
                    continue;
                return null;
            }
            if (Sys.FileType(fd) != (int)S_IFREG)
            {
                Sys.Close(fd);
                return null; // a whiteout: removed in this layer
            }
            byte[]? content = Sys.ReadAndClose(fd, MaxFileBytes, out int readError);
            return content is null
                ? throw new ImageLookupException($"cannot read /etc/{file} of the stored layer {layer}: {Linux.Describe(readError)}")
                : Encoding.UTF8.GetString(content);
        }
        return null;
    }

    private static ImageLookupException Link(string layer, string path, string user) =>
        new($"{path} is a symbolic link in the image's layer {layer}, and berth does not follow links in stored layers to look up the user \"{user}\": set process.user, or use a numeric user");

    /// <summary>overlayfs's opaque mark (the store keeps it as trusted.overlay.opaque=y).</summary>
    private static bool IsOpaque(int fd)
    {
        byte value = 0;
        fixed (byte* name = "trusted.overlay.opaque\0"u8)
            return FGetXattr(fd, name, &value, 1) == 1 && value == (byte)'y';
    }

    [LibraryImport("libc", EntryPoint = "fgetxattr", SetLastError = true)]
    private static partial nint FGetXattr(int fd, byte* name, byte* value, nuint size);
}
