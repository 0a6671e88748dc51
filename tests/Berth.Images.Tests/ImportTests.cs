using System.Text;

namespace Berth.Images.Tests;

/// <summary>Importing the layouts umoci and skopeo wrote: verified, unpacked once, stacked, tampered with, removed.</summary>
public class ImportTests
{
    [SkippableFact]
    public void Import_verifies_and_unpacks_three_layers_in_overlay_form()
    {
        Skip.If(ImageLayouts.Unavailable is not null, ImageLayouts.Unavailable);
        using var temporary = Commands.Temporary("import");
        var store = new ImageStore(temporary["store"]);

        var image = store.Import(ImageLayouts.Gzip + ":bb");

        Assert.Equal(["bb"], image.Tags);
        Assert.Equal(3, image.Layers.Count);
        Assert.True(File.Exists(Path.Combine(image.Layers[0].Path, "bin", "busybox")));
        Assert.Equal("root:x:0:0:root:/root:/bin/sh\n", File.ReadAllLines(Path.Combine(image.Layers[0].Path, "etc", "passwd"))[0] + "\n");
        // The whiteout: a 0/0 character device where the spec's .wh.removed.txt was.
        string whiteout = Path.Combine(image.Layers[1].Path, "etc", "removed.txt");
        Assert.Equal("c 0 0 0:0", Commands.Succeed("stat", "-c", "%F %t %T %u:%g", whiteout).Trim().Replace("character special file", "c"));
        Assert.False(File.Exists(Path.Combine(image.Layers[1].Path, "etc", ".wh.removed.txt")));
        // The opaque directory: overlay's attribute on it, no marker file.
        string opaque = Path.Combine(image.Layers[2].Path, "opaque");
        Assert.Equal("y", Attribute(opaque, "trusted.overlay.opaque"));
        Assert.False(File.Exists(Path.Combine(opaque, ".wh..wh..opq")));
        Assert.True(File.Exists(Path.Combine(opaque, "new.txt")));

        var config = store.Config(image);
        Assert.Equal(["/bin/sh"], config.Cmd);
        Assert.Contains("GREETING=from-the-image", config.Env);
        Assert.Equal("/opaque", config.WorkingDir);
        Assert.Equal(config.DiffIds, image.Layers.Select(l => l.DiffId));
        Assert.Empty(store.Verify());
        // The store is root's only.
        Assert.Equal("700", Commands.Succeed("stat", "-c", "%a", store.Root).Trim());
        Assert.Equal(image.Digest, store.Find("bb")?.Digest);
        Assert.Equal(image.Digest, store.Find(image.Digest.ToString())?.Digest);
        Assert.Equal(image.Digest, store.Find(image.Digest.Hex[..12])?.Digest);
        Assert.Null(store.Find("nothing"));
    }

    [SkippableFact]
    public void A_whiteout_and_an_opaque_directory_hide_lower_files_under_a_real_overlay_mount()
    {
        Skip.If(ImageLayouts.Unavailable is not null, ImageLayouts.Unavailable);
        Skip.IfNot(Commands.IsRoot, "mounting an overlay needs root");
        Skip.IfNot(Overlay.Available(out string reason), reason);
        using var temporary = Commands.Temporary("overlay");
        var store = new ImageStore(temporary["store"]);
        var image = store.Import(ImageLayouts.Gzip + ":bb");
        string merged = temporary["merged"];
        Directory.CreateDirectory(merged);
        Directory.CreateDirectory(temporary["upper"]);
        Directory.CreateDirectory(temporary["work"]);
        string options = Overlay.MountOptions(image.Layers.Select(l => l.Path).ToList(), temporary["upper"], temporary["work"]);
        Commands.Succeed("mount", "-t", "overlay", "overlay", "-o", options, merged);
        try
        {
            Assert.True(File.Exists(Path.Combine(merged, "bin", "busybox")));
            Assert.False(File.Exists(Path.Combine(merged, "etc", "removed.txt")), "the whiteout did not hide /etc/removed.txt");
            Assert.True(File.Exists(Path.Combine(merged, "etc", "passwd")));
            Assert.False(File.Exists(Path.Combine(merged, "opaque", "old.txt")), "the opaque directory did not hide /opaque/old.txt");
            Assert.Equal("the third layer's\n", File.ReadAllText(Path.Combine(merged, "opaque", "new.txt")));
            // A write lands in the upper directory; the stored layer is untouched.
            File.WriteAllText(Path.Combine(merged, "etc", "passwd"), "changed\n");
            Assert.StartsWith("root:", File.ReadAllText(Path.Combine(image.Layers[0].Path, "etc", "passwd")));
            Assert.Equal("changed\n", File.ReadAllText(Path.Combine(temporary["upper"], "etc", "passwd")));
        }
        finally
        {
            Commands.Run("umount", merged);
        }
        Assert.Empty(store.Verify());
    }

    [SkippableFact]
    public void The_same_layers_gzip_zstd_or_uncompressed_are_stored_once()
    {
        Skip.If(ImageLayouts.Unavailable is not null, ImageLayouts.Unavailable);
        using var temporary = Commands.Temporary("dedupe");
        var store = new ImageStore(temporary["store"]);
        // What a crashed import would leave in tmp/ is cleared by the next one.
        Directory.CreateDirectory(Path.Combine(store.Root, "tmp", "half-a-layer", "rootfs"));
        var gzip = store.Import(ImageLayouts.Gzip + ":bb");
        var again = store.Import(ImageLayouts.Gzip + ":bb");
        var zstd = store.Import(ImageLayouts.Zstd + ":bb");
        var plain = store.Import(ImageLayouts.Plain);

        Assert.Equal(gzip.Digest, again.Digest);
        Assert.Equal(gzip.Imported, again.Imported);
        Assert.All(zstd.Layers, l => Assert.Equal("application/vnd.oci.image.layer.v1.tar+zstd", l.MediaType));
        Assert.All(plain.Layers, l => Assert.Equal("application/vnd.oci.image.layer.v1.tar", l.MediaType));
        Assert.Equal(gzip.Layers.Select(l => l.DiffId), zstd.Layers.Select(l => l.DiffId));
        Assert.Equal(gzip.Layers.Select(l => l.DiffId), plain.Layers.Select(l => l.DiffId));
        Assert.Equal(gzip.Layers.Select(l => l.Path), zstd.Layers.Select(l => l.Path));
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(store.Root, "layers")).Length);
        Assert.Equal(3, store.List().Count); // Three manifests (the compression differs), one set of layers.
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
    }

    [SkippableTheory]
    [InlineData("layer")]
    [InlineData("file data")]
    [InlineData("config")]
    [InlineData("manifest")]
    public void A_blob_altered_in_the_layout_is_refused_by_its_digest_and_nothing_is_stored(string which)
    {
        Skip.If(ImageLayouts.Unavailable is not null, ImageLayouts.Unavailable);
        using var temporary = Commands.Temporary("tamper");
        string layout = ImageLayouts.CopyOf(ImageLayouts.Gzip, temporary);
        var image = OciLayout.Open(layout + ":bb");
        var target = which switch
        {
            "layer" => image.Layers[2].Digest,
            // Inside busybox's bytes in the first layer: the tar stays whole, only gzip's trailer (its CRC) tells.
            "file data" => image.Layers[0].Digest,
            "config" => image.ConfigDigest,
            _ => image.ManifestDigest,
        };
        string blob = image.BlobPath(target);
        byte[] content = File.ReadAllBytes(blob);
        content[which == "file data" ? content.Length * 9 / 10 : content.Length / 2] ^= 0x01; // Same size, one bit.
        File.SetAttributes(blob, FileAttributes.Normal);
        File.WriteAllBytes(blob, content);

        var store = new ImageStore(temporary["store"]);
        var error = Assert.Throws<ImageException>(() => store.Import(layout + ":bb"));
        Assert.Contains(target.ToString(), error.Message);
        Assert.Contains("does not match its digest", error.Message);
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "layers")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "blobs", "sha256")));
    }

    [SkippableFact]
    public void A_diff_id_that_does_not_match_the_unpacked_layer_is_refused()
    {
        Skip.If(ImageLayouts.Unavailable is not null, ImageLayouts.Unavailable);
        using var temporary = Commands.Temporary("diffid");
        string layout = ImageLayouts.CopyOf(ImageLayouts.Plain, temporary);
        var image = OciLayout.Open(layout);
        // Rewrite the chain with a wrong diff_id for the top layer: new config, new manifest, new index entry.
        string wrong = "sha256:" + new string('0', 64);
        string config = Encoding.UTF8.GetString(image.ConfigBlob).Replace(image.Config.DiffIds[2].ToString(), wrong);
        var configDigest = WriteBlob(layout, Encoding.UTF8.GetBytes(config));
        string manifest = Encoding.UTF8.GetString(image.Manifest)
            .Replace(image.ConfigDigest.ToString(), configDigest.Digest.ToString())
            .Replace($"\"size\":{image.ConfigBlob.Length}", $"\"size\":{configDigest.Size}");
        var manifestDigest = WriteBlob(layout, Encoding.UTF8.GetBytes(manifest));
        string index = File.ReadAllText(Path.Combine(layout, "index.json"))
            .Replace(image.ManifestDigest.ToString(), manifestDigest.Digest.ToString())
            .Replace($"\"size\":{image.Manifest.Length}", $"\"size\":{manifestDigest.Size}");
        File.WriteAllText(Path.Combine(layout, "index.json"), index);

        var store = new ImageStore(temporary["store"]);
        var error = Assert.Throws<ImageException>(() => store.Import(layout));
        Assert.Contains($"says its diff_id is {wrong}", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "layers")));
    }

    [SkippableFact]
    public void A_file_altered_in_the_store_is_named_by_verify()
    {
        Skip.If(ImageLayouts.Unavailable is not null, ImageLayouts.Unavailable);
        using var temporary = Commands.Temporary("verify");
        var store = new ImageStore(temporary["store"]);
        var image = store.Import(ImageLayouts.Gzip + ":bb");
        string bottom = image.Layers[0].Path;
        File.AppendAllText(Path.Combine(bottom, "etc", "passwd"), "intruder:x:0:0::/:/bin/sh\n");
        Commands.Succeed("chmod", "4755", Path.Combine(bottom, "bin", "busybox"));
        File.Delete(Path.Combine(bottom, "etc", "group"));
        File.WriteAllText(Path.Combine(bottom, "planted"), "x");
        string config = Path.Combine(store.Root, "blobs", "sha256", image.ConfigDigest.Hex);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.AppendAllText(config, " ");

        // An opaque marker added after import would hide the layers below: named too.
        int fd = Native.OpenAt(Native.AT_FDCWD, Native.Z(Path.Combine(image.Layers[2].Path, "opaque")), Native.O_RDONLY);
        Native.SetXattr(fd, "trusted.overlay.opaque", "y"u8);
        Native.Close(fd);
        fd = Native.OpenAt(Native.AT_FDCWD, Native.Z(Path.Combine(bottom, "etc")), Native.O_RDONLY);
        Assert.Equal(0, Native.SetXattr(fd, "trusted.overlay.opaque", "y"u8));
        Native.Close(fd);

        var problems = store.Verify();
        Assert.Contains(problems, p => p.Contains("etc was marked opaque after import"));
        Assert.Contains(problems, p => p.Contains("etc/passwd has changed") && p.Contains(image.Layers[0].DiffId.ToString()));
        Assert.Contains(problems, p => p.Contains("bin/busybox has changed") && p.Contains("f 4755"));
        Assert.Contains(problems, p => p.Contains("etc/group is missing"));
        Assert.Contains(problems, p => p.Contains("planted was added"));
        Assert.Contains(problems, p => p.Contains($"stored blob {image.ConfigDigest}"));
        Assert.Equal(6, problems.Count);
    }

    [SkippableFact]
    public void Remove_refuses_while_a_container_uses_the_image_and_keeps_layers_another_image_shares()
    {
        Skip.If(ImageLayouts.Unavailable is not null, ImageLayouts.Unavailable);
        using var temporary = Commands.Temporary("remove");
        var store = new ImageStore(temporary["store"]);
        var bb = store.Import(ImageLayouts.Gzip + ":bb");
        var bb2 = store.Import(ImageLayouts.Gzip + ":bb2");
        Assert.Equal(bb.Layers.Select(l => l.DiffId), bb2.Layers.Take(3).Select(l => l.DiffId));
        Assert.Equal(4, Directory.GetDirectories(Path.Combine(store.Root, "layers")).Length);

        var refused = Assert.Throws<ImageException>(() => store.Remove("bb", d => d == bb.Digest ? "the container web" : null));
        Assert.Contains("used by the container web", refused.Message);
        Assert.Equal(2, store.List().Count);

        store.Remove("bb", _ => null);
        Assert.Equal([bb2.Digest], store.List().Select(i => i.Digest));
        Assert.Equal(4, Directory.GetDirectories(Path.Combine(store.Root, "layers")).Length);
        Assert.Empty(store.Verify());

        // The top layer is kept while something (a container with root.layers) still uses it.
        store.Remove("bb2", d => d == bb2.Layers[3].DiffId ? "the container db" : null);
        Assert.Empty(store.List());
        Assert.Equal([bb2.Layers[3].DiffId.Hex], Directory.GetDirectories(Path.Combine(store.Root, "layers")).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "blobs", "sha256")));
        Assert.Throws<ImageException>(() => store.Remove("bb2", _ => null));
    }

    [SkippableFact]
    public void A_tag_the_layout_does_not_have_is_refused_naming_the_tags_it_has()
    {
        Skip.If(ImageLayouts.Unavailable is not null, ImageLayouts.Unavailable);
        var error = Assert.Throws<ImageException>(() => OciLayout.Open(ImageLayouts.Gzip + ":nope"));
        Assert.Contains("no manifest tagged \"nope\"", error.Message);
        Assert.Contains("bb, bb2", error.Message);
        var many = Assert.Throws<ImageException>(() => OciLayout.Open(ImageLayouts.Gzip));
        Assert.Contains("name one with", many.Message);
    }

    /// <summary>An extended attribute's value as text, or null.</summary>
    internal static string? Attribute(string path, string name)
    {
        int fd = Native.OpenAt(Native.AT_FDCWD, Native.Z(path), Native.O_RDONLY | Native.O_NOFOLLOW);
        Assert.True(fd >= 0, $"cannot open {path}");
        try
        {
            return Native.GetXattr(fd, name) is { } value ? Encoding.UTF8.GetString(value) : null;
        }
        finally
        {
            Native.Close(fd);
        }
    }

    private static (Digest Digest, long Size) WriteBlob(string layout, byte[] content)
    {
        var digest = Digest.Of(content);
        File.WriteAllBytes(Path.Combine(layout, "blobs", "sha256", digest.Hex), content);
        return (digest, content.Length);
    }
}
