using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Berth.Images;

/// <summary>
/// The canonical digest of a directory tree ("berth tree digest, version 1"), what <c>root: {path, digest}</c> pins and
/// <c>berth digest DIR</c> prints. Definition:
/// <list type="number">
/// <item>The tree is walked depth first from DIR without following any symbolic link. In each directory the entries
/// are visited in ascending byte-wise order of their names (the raw bytes, unsigned, as <c>memcmp</c>; a shorter name
/// before a longer one it begins); a directory's own record comes before the records of its contents.</item>
/// <item>Each entry, DIR itself first, gives one record of seven fields, each followed by one NUL byte:
/// <c>path type mode uid gid payload</c> and an empty seventh field reserved for later versions (so a record ends in two NULs).
/// <list type="bullet">
/// <item><c>path</c>: the name relative to DIR, components joined by "/", the bytes as stored; DIR itself is ".".</item>
/// <item><c>type</c>: one ASCII letter: <c>d</c> directory, <c>f</c> regular file, <c>l</c> symbolic link, <c>c</c>
/// character device, <c>b</c> block device, <c>p</c> FIFO, <c>s</c> socket.</item>
/// <item><c>mode</c>: the permission bits with setuid, setgid and sticky (<c>mode &amp; 07777</c>) as four octal digits,
/// e.g. <c>0755</c>, <c>1777</c>, <c>4755</c>. (A symbolic link's mode is always 0777 on Linux.)</item>
/// <item><c>uid</c>, <c>gid</c>: the numeric owner and group in decimal, as the file system stores them.</item>
/// <item><c>payload</c>: for a regular file the SHA-256 of its contents in 64 lowercase hex digits; for a symbolic
/// link its target, byte for byte (not resolved); for a device <c>major,minor</c> in decimal; empty otherwise.</item>
/// </list></item>
/// <item>The digest is SHA-256 over the bytes <c>berth-tree-v1</c> NUL followed by every record in walk order, written
/// <c>sha256:</c> and 64 lowercase hex digits.</item>
/// </list>
/// Not part of the digest: timestamps, extended attributes (file capabilities, SELinux labels, overlay markers),
/// link counts (a hard link is a second regular file with the same contents), inode numbers, sizes other than through
/// the contents. Two copies made with <c>cp -a</c> or by tar as root have the same digest.
/// </summary>
public static class TreeDigest
{
    /// <summary>The bytes every record stream starts with; a later definition changes them.</summary>
    public static ReadOnlySpan<byte> Header => "berth-tree-v1\0"u8;

    private static readonly byte[] Dot = Native.Z(".");

    /// <summary>The tree digest of <paramref name="directory"/>.</summary>
    public static Digest Compute(string directory)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Header);
        Walk(directory, record => hash.AppendData(record.Bytes));
        return Digest.FromHash(hash);
    }

    /// <summary>Each record of <paramref name="directory"/> in walk order (the store keeps them to name what changed).</summary>
    /// <param name="onDirectory">When given, also called with each directory's path (as in its record) and an open
    /// descriptor of it, valid during the call (the store reads overlay's attributes through it).</param>
    internal static void Walk(string directory, Action<TreeRecord> visit, Action<string, int>? onDirectory = null)
    {
        int root = Native.OpenAt(Native.AT_FDCWD, Native.Z(directory), Native.O_RDONLY | Native.O_DIRECTORY);
        if (root < 0)
            throw new ImageException($"cannot open the directory {directory}: {Native.Describe(Native.Errno)}");
        try
        {
            var buffer = new byte[128 * 1024];
            if (Native.StatAt(root, [0], out var status) != 0)
                throw new ImageException($"cannot read {directory}: {Native.Describe(Native.Errno)}");
            visit(TreeRecord.Make("."u8, status, ReadOnlySpan<byte>.Empty));
            onDirectory?.Invoke(".", root);
            WalkDirectory(root, [], visit, onDirectory, buffer, directory);
        }
        finally
        {
            Native.Close(root);
        }
    }

    private static void WalkDirectory(int dirfd, byte[] prefix, Action<TreeRecord> visit, Action<string, int>? onDirectory, byte[] buffer, string top)
    {
        int listing = Native.OpenAt(dirfd, Dot, Native.O_RDONLY | Native.O_DIRECTORY);
        if (listing < 0)
            throw new ImageException($"cannot list {Shown(top, prefix)}: {Native.Describe(Native.Errno)}");
        var names = Native.ReadDirectory(listing);
        names.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        foreach (byte[] name in names)
        {
            byte[] path = prefix.Length == 0 ? name : [.. prefix, (byte)'/', .. name];
            byte[] z = Native.Z(name);
            if (Native.StatAt(dirfd, z, out var status) != 0)
                throw new ImageException($"cannot read {Shown(top, path)}: {Native.Describe(Native.Errno)}");
            switch (status.Type)
            {
                case Native.S_IFDIR:
                    visit(TreeRecord.Make(path, status, ReadOnlySpan<byte>.Empty));
                    int child = Native.OpenAt(dirfd, z, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW);
                    if (child < 0)
                        throw new ImageException($"cannot open {Shown(top, path)}: {Native.Describe(Native.Errno)}");
                    try
                    {
                        onDirectory?.Invoke(Encoding.UTF8.GetString(path), child);
                        WalkDirectory(child, path, visit, onDirectory, buffer, top);
                    }
                    finally
                    {
                        Native.Close(child);
                    }
                    break;
                case Native.S_IFREG:
                    visit(TreeRecord.Make(path, status, Encoding.ASCII.GetBytes(HashFile(dirfd, z, buffer, Shown(top, path)))));
                    break;
                case Native.S_IFLNK:
                    byte[] target = Native.ReadLinkAt(dirfd, z)
                        ?? throw new ImageException($"cannot read the link {Shown(top, path)}: {Native.Describe(Native.Errno)}");
                    visit(TreeRecord.Make(path, status, target));
                    break;
                case Native.S_IFCHR or Native.S_IFBLK:
                    visit(TreeRecord.Make(path, status, Encoding.ASCII.GetBytes($"{status.RdevMajor},{status.RdevMinor}")));
                    break;
                default:
                    visit(TreeRecord.Make(path, status, ReadOnlySpan<byte>.Empty));
                    break;
            }
        }
    }

    private static string HashFile(int dirfd, byte[] name, byte[] buffer, string shown)
    {
        int fd = Native.OpenAt(dirfd, name, Native.O_RDONLY | Native.O_NOFOLLOW | Native.O_NONBLOCK);
        if (fd < 0)
            throw new ImageException($"cannot open {shown}: {Native.Describe(Native.Errno)}");
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long offset = 0;
        for (int read; (read = RandomAccess.Read(handle, buffer, offset)) > 0; offset += read)
            hash.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string Shown(string top, byte[] path) => path.Length == 0 ? top : Path.Combine(top, Encoding.UTF8.GetString(path));
}

/// <summary>One entry's record as <see cref="TreeDigest"/> defines it; <see cref="Path"/> is its first field.</summary>
internal sealed class TreeRecord(byte[] path, byte[] bytes)
{
    public byte[] Path { get; } = path;

    /// <summary>The whole record, seven NUL-terminated fields.</summary>
    public byte[] Bytes { get; } = bytes;

    public string PathText => Encoding.UTF8.GetString(Path);

    public static TreeRecord Make(ReadOnlySpan<byte> path, FileStatus status, ReadOnlySpan<byte> payload)
    {
        char type = status.Type switch
        {
            Native.S_IFDIR => 'd',
            Native.S_IFREG => 'f',
            Native.S_IFLNK => 'l',
            Native.S_IFCHR => 'c',
            Native.S_IFBLK => 'b',
            Native.S_IFIFO => 'p',
            _ => 's',
        };
        string middle = $"{type}\0{Convert.ToString(status.Mode & 0xfff, 8).PadLeft(4, '0')}\0{status.Uid}\0{status.Gid}\0";
        var bytes = new List<byte>(path.Length + middle.Length + payload.Length + 3);
        bytes.AddRange(path);
        bytes.Add(0);
        bytes.AddRange(Encoding.ASCII.GetBytes(middle));
        bytes.AddRange(payload);
        bytes.Add(0);
        bytes.Add(0);
        return new TreeRecord(path.ToArray(), [.. bytes]);
    }

    /// <summary>Splits a record stream (after the header) back into records, for comparing a stored one.</summary>
    public static List<TreeRecord> Parse(ReadOnlySpan<byte> stream)
    {
        var records = new List<TreeRecord>();
        while (!stream.IsEmpty)
        {
            int length = 0;
            for (int field = 0; field < 7; field++)
            {
                int end = stream[length..].IndexOf((byte)0);
                if (end < 0)
                    throw new ImageException("a stored file list is cut short.");
                length += end + 1;
            }
            var bytes = stream[..length].ToArray();
            records.Add(new TreeRecord(bytes.AsSpan(0, bytes.AsSpan().IndexOf((byte)0)).ToArray(), bytes));
            stream = stream[length..];
        }
        return records;
    }

    /// <summary>The record in words for a message: type, mode, owner and payload.</summary>
    public string Describe()
    {
        var fields = Encoding.UTF8.GetString(Bytes).Split('\0');
        string payload = fields[1] == "f" ? $"sha256:{fields[5]}" : fields[5];
        return $"{fields[1]} {fields[2]} {fields[3]}:{fields[4]} {payload}".TrimEnd();
    }
}
