using System.Security.Cryptography;
using System.Text;

namespace Berth.Images.Tests;

/// <summary>
/// fs-verity as these tests model it, for a kernel without it (this host's): enabling records a digest of the file's
/// contents under its path; measuring answers that digest, null for a file never enabled, and fails as
/// <see cref="FsVerity.Measure"/> does for a file that is not there. Every path measured is kept, in order.
/// </summary>
internal sealed class FakeVerity
{
    public Dictionary<string, string> Enabled { get; } = new(StringComparer.Ordinal);

    public List<string> Measured { get; } = [];

    public void Enable(string file) =>
        Enabled[file] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData([.. "verity\0"u8, .. File.ReadAllBytes(file)]));

    public string? Measure(string file)
    {
        Measured.Add(file);
        return File.Exists(file) ? Enabled.GetValueOrDefault(file) : throw new ImageException($"cannot open {file}: No such file or directory (errno 2)");
    }

    public static string Other(char digit) => "sha256:" + new string(digit, 64);
}

/// <summary>The layer's fs-verity manifest without the kernel: written, read back, sealed and checked through an
/// injected measurer (<see cref="FakeVerity"/>), as import, create and image verify use it.</summary>
public class VerityManifestTests
{
    private static readonly Digest Layer = Digest.Parse("sha256:" + new string('a', 64), "layer");

    /// <summary>A layer directory LAYER/rootfs holding <paramref name="files"/> (each file's contents its name).</summary>
    private static string Rootfs(TemporaryDirectory temporary, params string[] files)
    {
        string rootfs = temporary["layer/rootfs"];
        Directory.CreateDirectory(rootfs);
        foreach (string file in files)
        {
            string path = Path.Combine(rootfs, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file);
        }
        return rootfs;
    }

    [Fact]
    public void Write_lists_each_file_sorted_by_its_bytes_with_backslashes_and_newlines_escaped()
    {
        using var temporary = Commands.Temporary("verity-write");
        string[] files = ["b", "é", "line\nbreak", "a/c", "back\\slash", "a-c", " a b "];
        string rootfs = Rootfs(temporary, files);
        var verity = new FakeVerity();
        foreach (string file in files)
            verity.Enable(Path.Combine(rootfs, file));
        string Line(string name, string written) => $"{verity.Enabled[Path.Combine(rootfs, name)]} {written}\n";

        string manifest = Encoding.UTF8.GetString(VerityManifest.Write(rootfs, files, verity.Measure));

        // Byte order: " a b " (0x20) < "a-c" (0x2d) < "a/c" (0x2f) < "b" < "back…" < "line…" < "é" (0xc3).
        Assert.Equal("berth fs-verity manifest 1\n"
            + Line(" a b ", " a b ")
            + Line("a-c", "a-c")
            + Line("a/c", "a/c")
            + Line("b", "b")
            + Line("back\\slash", "back\\\\slash")
            + Line("line\nbreak", "line\\nbreak")
            + Line("é", "é"), manifest);
    }

    [Fact]
    public void Parse_reads_back_every_name_as_it_was_written()
    {
        using var temporary = Commands.Temporary("verity-parse");
        // A backslash before an n and a newline stay apart; spaces at either end are kept.
        string[] files = ["x\\n", "x\n", " leading", "trailing ", "in between", "two\\\\", "ü/ß", "\\"];
        string rootfs = Rootfs(temporary, files);
        var verity = new FakeVerity();
        foreach (string file in files)
            verity.Enable(Path.Combine(rootfs, file));

        var manifest = VerityManifest.Parse(VerityManifest.Write(rootfs, files, verity.Measure), "test");

        var expected = files.OrderBy(f => Encoding.UTF8.GetBytes(f), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b)))
            .Select(f => (f, verity.Enabled[Path.Combine(rootfs, f)]));
        Assert.Equal(expected, manifest.Files);
    }

    [Theory]
    [InlineData("berth fs-verity manifest 2\n", "does not start with \"berth fs-verity manifest 1\"")]
    [InlineData("berth fs-verity manifest 1\nsha256:00 a", "line 2: the last line has no newline")]
    [InlineData("berth fs-verity manifest 1\nsha256:00\n", "line 2: there is no space")]
    [InlineData("berth fs-verity manifest 1\nsha256:0g a\n", "line 2: \"sha256:0g\" is not a digest")]
    [InlineData("berth fs-verity manifest 1\nSHA256:00 a\n", "is not a digest")]
    [InlineData("berth fs-verity manifest 1\nsha256:00 \n", "line 2: the path is empty")]
    [InlineData("berth fs-verity manifest 1\nsha256:00 a\\tb\n", "line 2: the path has a backslash")]
    [InlineData("berth fs-verity manifest 1\nsha256:00 a\\\n", "line 2: the path has a backslash")]
    [InlineData("berth fs-verity manifest 1\nsha256:00 b\nsha256:00 a\n", "line 3: the paths are not sorted")]
    [InlineData("berth fs-verity manifest 1\nsha256:00 a\nsha256:01 a\n", "line 3: the paths are not sorted, or one is listed twice")]
    public void Parse_refuses_what_Write_never_writes(string content, string expected)
    {
        var error = Assert.Throws<ImageException>(() => VerityManifest.Parse(Encoding.UTF8.GetBytes(content), "/s/layers/x/verity"));
        Assert.Contains("/s/layers/x/verity", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void An_empty_layer_has_a_manifest_of_its_header_alone()
    {
        using var temporary = Commands.Temporary("verity-empty");
        string rootfs = Rootfs(temporary);
        Assert.Equal(VerityManifest.Header.ToArray(), VerityManifest.Write(rootfs, [], new FakeVerity().Measure));
        Assert.Empty(VerityManifest.Parse(VerityManifest.Header, "test").Files);
    }

    [Fact]
    public void Seal_enables_every_file_then_the_read_only_manifest_and_returns_its_digest()
    {
        using var temporary = Commands.Temporary("verity-seal");
        string rootfs = Rootfs(temporary, "bin/sh", "etc/passwd");
        var verity = new FakeVerity();

        string digest = VerityManifest.Seal(rootfs + "/", ["etc/passwd", "bin/sh"], verity.Enable, verity.Measure);

        string manifest = temporary["layer/verity"];
        Assert.Equal(manifest, VerityManifest.PathOf(rootfs + "/"));
        Assert.Equal(verity.Enabled[manifest], digest);
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(manifest));
        Assert.Equal([Path.Combine(rootfs, "bin/sh"), Path.Combine(rootfs, "etc/passwd"), manifest], verity.Enabled.Keys.Order(StringComparer.Ordinal));
        var listed = VerityManifest.Parse(File.ReadAllBytes(manifest), manifest).Files;
        Assert.Equal([("bin/sh", verity.Enabled[Path.Combine(rootfs, "bin/sh")]), ("etc/passwd", verity.Enabled[Path.Combine(rootfs, "etc/passwd")])], listed);
    }

    [Fact]
    public void Seal_refuses_a_file_that_has_no_fs_verity_after_enabling()
    {
        using var temporary = Commands.Temporary("verity-seal-none");
        string rootfs = Rootfs(temporary, "kept", "skipped");
        var verity = new FakeVerity();
        var error = Assert.Throws<ImageException>(() => VerityManifest.Seal(rootfs, ["kept", "skipped"],
            file => { if (!file.EndsWith("skipped", StringComparison.Ordinal)) verity.Enable(file); }, verity.Measure));
        Assert.Contains(Path.Combine(rootfs, "skipped") + " has no fs-verity after it was enabled", error.Message);
    }

    [Fact]
    public void The_create_check_measures_the_manifest_alone_and_names_the_layer_and_both_digests_when_it_differs()
    {
        using var temporary = Commands.Temporary("verity-mismatch");
        string rootfs = Rootfs(temporary, "a", "b");
        var verity = new FakeVerity();
        string recorded = VerityManifest.Seal(rootfs, ["a", "b"], verity.Enable, verity.Measure);
        string manifest = VerityManifest.PathOf(rootfs);

        verity.Measured.Clear();
        Assert.Null(VerityManifest.Mismatch(Layer, rootfs, recorded, verity.Measure));
        Assert.Equal([manifest], verity.Measured); // One measure a layer, no file of the layer touched.

        // Another manifest with fs-verity in its place (or images.json changed): both digests named.
        string other = FakeVerity.Other('b');
        verity.Enabled[manifest] = other;
        Assert.Equal($"the fs-verity manifest of the layer {Layer} ({manifest}) measures {other}, but images.json records {recorded}",
            VerityManifest.Mismatch(Layer, rootfs, recorded, verity.Measure));

        // A manifest without fs-verity: one written in place of the sealed one.
        verity.Enabled.Remove(manifest);
        Assert.Equal($"the fs-verity manifest of the layer {Layer} ({manifest}) has no fs-verity (so it was replaced), but images.json records its digest {recorded}",
            VerityManifest.Mismatch(Layer, rootfs, recorded, verity.Measure));

        // A measure that fails on a manifest that is there names the failure.
        Assert.Contains($"({manifest}) cannot be measured (Permission denied), but images.json records its digest {recorded}",
            VerityManifest.Mismatch(Layer, rootfs, recorded, _ => throw new ImageException("Permission denied.")));

        File.Delete(manifest);
        Assert.Equal($"the fs-verity manifest of the layer {Layer} ({manifest}) is missing, but images.json records its digest {recorded}",
            VerityManifest.Mismatch(Layer, rootfs, recorded, verity.Measure));
    }

    [Fact]
    public void Verify_measures_each_listed_file_and_names_one_replaced_one_without_verity_and_one_missing()
    {
        using var temporary = Commands.Temporary("verity-check");
        string[] files = ["bin/sh", "etc/passwd", "etc/group", "with space", "untouched"];
        string rootfs = Rootfs(temporary, files);
        var verity = new FakeVerity();
        string recorded = VerityManifest.Seal(rootfs, files, verity.Enable, verity.Measure);
        Assert.Empty(VerityManifest.Check(Layer, rootfs, recorded, verity.Measure));
        string Listed(string file) => verity.Enabled[Path.Combine(rootfs, file)];
        string shListed = Listed("bin/sh"), passwdListed = Listed("etc/passwd"), groupListed = Listed("etc/group"), spaceListed = Listed("with space");

        string swapped = FakeVerity.Other('c');
        verity.Enabled[Path.Combine(rootfs, "bin/sh")] = swapped; // swapped for another file with fs-verity
        verity.Enabled.Remove(Path.Combine(rootfs, "etc/passwd")); // replaced by a plain file
        File.Delete(Path.Combine(rootfs, "etc/group"));
        verity.Enabled[Path.Combine(rootfs, "with space")] = FakeVerity.Other('d');

        verity.Measured.Clear();
        var problems = VerityManifest.Check(Layer, rootfs, recorded, verity.Measure);

        Assert.Equal([
            $"the layer {Layer}: bin/sh measures {swapped}, but its fs-verity manifest lists {shListed} (the file was replaced).",
            $"the layer {Layer}: etc/group cannot be measured (cannot open {Path.Combine(rootfs, "etc/group")}: No such file or directory (errno 2)); its fs-verity manifest lists {groupListed}.",
            $"the layer {Layer}: etc/passwd has no fs-verity (so it was replaced), but its fs-verity manifest lists {passwdListed}.",
            $"the layer {Layer}: with space measures {FakeVerity.Other('d')}, but its fs-verity manifest lists {spaceListed} (the file was replaced).",
        ], problems);
        // The manifest, then every listed file once: an ioctl each, nothing read.
        Assert.Equal([VerityManifest.PathOf(rootfs), .. files.Order(StringComparer.Ordinal).Select(f => Path.Combine(rootfs, f))], verity.Measured);
    }

    [Fact]
    public void Verify_does_not_compare_the_files_with_a_manifest_images_json_does_not_record()
    {
        using var temporary = Commands.Temporary("verity-check-manifest");
        string rootfs = Rootfs(temporary, "a");
        var verity = new FakeVerity();
        VerityManifest.Seal(rootfs, ["a"], verity.Enable, verity.Measure);
        verity.Measured.Clear();
        string recorded = FakeVerity.Other('e');

        var problems = VerityManifest.Check(Layer, rootfs, recorded, verity.Measure);

        var problem = Assert.Single(problems);
        Assert.Contains($"but images.json records {recorded}; the layer's files were not compared with it.", problem);
        Assert.Equal([VerityManifest.PathOf(rootfs)], verity.Measured);
    }

    [Fact]
    public void Verify_names_a_manifest_it_cannot_parse()
    {
        using var temporary = Commands.Temporary("verity-check-parse");
        string rootfs = Rootfs(temporary);
        string manifest = VerityManifest.PathOf(rootfs);
        File.WriteAllText(manifest, "not a manifest\n");
        var verity = new FakeVerity();
        verity.Enable(manifest);

        var problem = Assert.Single(VerityManifest.Check(Layer, rootfs, verity.Enabled[manifest], verity.Measure));

        Assert.StartsWith($"the layer {Layer}: the fs-verity manifest {manifest} does not start with", problem);
    }
}
