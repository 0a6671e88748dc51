using System.Buffers;
using System.Text;

namespace Berth.Images;

/// <summary>
/// A stored layer's fs-verity manifest, <c>layers/HEX/verity</c> beside its rootfs: the fs-verity digest of every
/// regular file of the layer, made at import where the kernel has fs-verity. The manifest itself is read-only and has
/// fs-verity on, and images.json records its measured digest, so one <c>FS_IOC_MEASURE_VERITY</c> on it at create
/// proves the whole listing unchanged (<see cref="Mismatch"/>); <c>image verify</c> also measures each listed file
/// (<see cref="Check"/>). Every measuring goes through a <c>Func&lt;string, string?&gt;</c> — <see cref="FsVerity.Measure"/>
/// in berth, a fake in the tests: the digest of the file at that path, null when it has no fs-verity, an
/// <see cref="ImageException"/> when it cannot be opened.
/// <para>
/// Format: the line <c>berth fs-verity manifest 1</c>, then one line per regular file, sorted by the bytes of its
/// path: the digest as measured (<c>sha256:</c> and hex digits), one space, and the path relative to the rootfs,
/// components joined by <c>/</c> as in the tree records. A name may hold any byte but NUL and <c>/</c>, so the path is
/// written as its UTF-8 bytes with two escapes: a backslash as <c>\\</c> and a newline as <c>\n</c>; everything else,
/// spaces included, is written as it is (the path runs to the end of the line). Every line ends in a newline.
/// </para>
/// </summary>
public sealed class VerityManifest
{
    /// <summary>The manifest's name in the layer's directory (beside <c>rootfs</c> and <c>files</c>).</summary>
    public const string FileName = "verity";

    private static readonly SearchValues<char> AlgorithmCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789");
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>The first line; a later format changes it.</summary>
    public static ReadOnlySpan<byte> Header => "berth fs-verity manifest 1\n"u8;

    /// <summary>Each regular file's path (relative to the rootfs) and fs-verity digest, in the manifest's order.</summary>
    public IReadOnlyList<(string Path, string Digest)> Files { get; }

    private VerityManifest(IReadOnlyList<(string Path, string Digest)> files) => Files = files;

    /// <summary>Where the manifest of the layer whose files are in <paramref name="rootfs"/> is.</summary>
    public static string PathOf(string rootfs) => Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(rootfs))!, FileName);

    /// <summary>
    /// At import, once every file of the new layer is unpacked and checked: fs-verity enabled on each regular file
    /// (<paramref name="files"/>, relative to <paramref name="rootfs"/>), the manifest of their digests written 0400
    /// beside the rootfs, fs-verity enabled on it too. Returns the manifest's measured digest, for images.json.
    /// </summary>
    public static string Seal(string rootfs, IEnumerable<string> files, Action<string> enable, Func<string, string?> measure)
    {
        var paths = files.ToList();
        foreach (string file in paths)
            enable(Path.Combine(rootfs, file));
        string manifest = PathOf(rootfs);
        File.WriteAllBytes(manifest, Write(rootfs, paths, measure));
        File.SetUnixFileMode(manifest, UnixFileMode.UserRead);
        enable(manifest);
        return measure(manifest) ?? throw new ImageException($"the fs-verity manifest {manifest} has no fs-verity after it was enabled.");
    }

    /// <summary>The manifest's bytes: each file measured, sorted by its path's bytes.</summary>
    public static byte[] Write(string rootfs, IEnumerable<string> files, Func<string, string?> measure)
    {
        var sorted = files.Select(f => (Path: f, Bytes: Encoding.UTF8.GetBytes(f))).ToList();
        sorted.Sort((a, b) => a.Bytes.AsSpan().SequenceCompareTo(b.Bytes));
        var output = new MemoryStream();
        output.Write(Header);
        foreach (var (path, bytes) in sorted)
        {
            string file = Path.Combine(rootfs, path);
            string digest = measure(file) ?? throw new ImageException($"{file} has no fs-verity after it was enabled.");
            if (!IsDigest(digest))
                throw new ImageException($"the fs-verity digest of {file} is not \"algorithm:hex\": \"{digest}\".");
            output.Write(Encoding.ASCII.GetBytes(digest));
            output.WriteByte((byte)' ');
            WriteEscaped(output, bytes);
            output.WriteByte((byte)'\n');
        }
        return output.ToArray();
    }

    /// <summary>Reads a manifest back; an <see cref="ImageException"/> naming <paramref name="shown"/> and the line when
    /// it is not one this format writes (a wrong header, a bad escape, paths out of order or repeated).</summary>
    public static VerityManifest Parse(ReadOnlySpan<byte> content, string shown)
    {
        if (!content.StartsWith(Header))
            throw new ImageException($"the fs-verity manifest {shown} does not start with \"{Encoding.ASCII.GetString(Header).TrimEnd()}\".");
        content = content[Header.Length..];
        var files = new List<(string, string)>();
        byte[]? previous = null;
        for (int line = 2; !content.IsEmpty; line++)
        {
            int end = content.IndexOf((byte)'\n');
            if (end < 0)
                throw Malformed(shown, line, "the last line has no newline");
            var text = content[..end];
            content = content[(end + 1)..];
            int space = text.IndexOf((byte)' ');
            if (space < 0)
                throw Malformed(shown, line, "there is no space between the digest and the path");
            string digest = Encoding.ASCII.GetString(text[..space]);
            if (!IsDigest(digest))
                throw Malformed(shown, line, $"\"{digest}\" is not a digest");
            byte[] path = Unescape(text[(space + 1)..]) ?? throw Malformed(shown, line, "the path has a backslash that is not \\\\ or \\n");
            if (path.Length == 0)
                throw Malformed(shown, line, "the path is empty");
            if (previous is not null && previous.AsSpan().SequenceCompareTo(path) >= 0)
                throw Malformed(shown, line, "the paths are not sorted, or one is listed twice");
            files.Add((Encoding.UTF8.GetString(path), digest));
            previous = path;
        }
        return new VerityManifest(files);
    }

    /// <summary>
    /// At create, O(1) a layer: the manifest beside <paramref name="rootfs"/> measured once, no content read. Null when
    /// its digest is <paramref name="recorded"/> (what images.json holds); else the sentence saying what differs,
    /// naming the layer and both digests.
    /// </summary>
    public static string? Mismatch(Digest layer, string rootfs, string recorded, Func<string, string?> measure)
    {
        string manifest = PathOf(rootfs);
        string? measured;
        try
        {
            measured = measure(manifest);
        }
        catch (ImageException e)
        {
            string why = File.Exists(manifest) ? $"cannot be measured ({e.Message.TrimEnd('.')})" : "is missing";
            return $"the fs-verity manifest of the layer {layer} ({manifest}) {why}, but images.json records its digest {recorded}";
        }
        if (measured == recorded)
            return null;
        return measured is null
            ? $"the fs-verity manifest of the layer {layer} ({manifest}) has no fs-verity (so it was replaced), but images.json records its digest {recorded}"
            : $"the fs-verity manifest of the layer {layer} ({manifest}) measures {measured}, but images.json records {recorded}";
    }

    /// <summary>
    /// For <c>image verify</c>: the manifest checked as at create, then read and each file it lists measured (one
    /// ioctl a file, no content read). One sentence per problem: a file whose digest differs from the manifest's, one
    /// without fs-verity, one that cannot be measured; an empty list when all match.
    /// </summary>
    public static List<string> Check(Digest layer, string rootfs, string recorded, Func<string, string?> measure)
    {
        if (Mismatch(layer, rootfs, recorded, measure) is { } why)
            return [$"{why}; the layer's files were not compared with it."];
        string path = PathOf(rootfs);
        VerityManifest manifest;
        try
        {
            manifest = Parse(File.ReadAllBytes(path), path);
        }
        catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException)
        {
            return [$"the layer {layer}: {e.Message.TrimEnd('.')}."];
        }
        var problems = new List<string>();
        foreach (var (file, listed) in manifest.Files)
        {
            string? measured;
            try
            {
                measured = measure(Path.Combine(rootfs, file));
            }
            catch (ImageException e)
            {
                problems.Add($"the layer {layer}: {file} cannot be measured ({e.Message.TrimEnd('.')}); its fs-verity manifest lists {listed}.");
                continue;
            }
            if (measured is null)
                problems.Add($"the layer {layer}: {file} has no fs-verity (so it was replaced), but its fs-verity manifest lists {listed}.");
            else if (measured != listed)
                problems.Add($"the layer {layer}: {file} measures {measured}, but its fs-verity manifest lists {listed} (the file was replaced).");
        }
        return problems;
    }

    /// <summary>"algorithm:hex", as <see cref="FsVerity.Measure"/> writes a digest (no space, newline or backslash).</summary>
    private static bool IsDigest(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && colon < text.Length - 1
            && !text.AsSpan(0, colon).ContainsAnyExcept(AlgorithmCharacters)
            && !text.AsSpan(colon + 1).ContainsAnyExcept(HexDigits);
    }

    private static void WriteEscaped(Stream output, byte[] path)
    {
        foreach (byte b in path)
        {
            if (b == '\\')
                output.Write("\\\\"u8);
            else if (b == '\n')
                output.Write("\\n"u8);
            else
                output.WriteByte(b);
        }
    }

    /// <summary>The path's bytes; null for a backslash followed by anything but a backslash or "n".</summary>
    private static byte[]? Unescape(ReadOnlySpan<byte> escaped)
    {
        var path = new List<byte>(escaped.Length);
        for (int i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != '\\')
            {
                path.Add(escaped[i]);
                continue;
            }
            if (++i == escaped.Length)
                return null;
            if (escaped[i] == '\\')
                path.Add((byte)'\\');
            else if (escaped[i] == 'n')
                path.Add((byte)'\n');
            else
                return null;
        }
        return [.. path];
    }

    private static ImageException Malformed(string shown, int line, string why) =>
        new($"the fs-verity manifest {shown} is malformed at line {line}: {why}.");
}
