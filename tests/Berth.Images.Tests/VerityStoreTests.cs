using System.Formats.Tar;
using System.Text.Json.Nodes;
using Entry = Berth.Images.Tests.HostileTarTests.Entry;

namespace Berth.Images.Tests;

/// <summary>
/// The fs-verity manifest in the store: recorded in images.json at import where the kernel has fs-verity, checked by
/// image verify, absent (and costing nothing) where it has not, and stores from before the manifest still read.
/// The import with the real kernel is one skippable test: it skips, with the probe's reason, on a kernel without
/// fs-verity (this host's); <see cref="VerityManifestTests"/> covers the same code through an injected measurer.
/// </summary>
public class VerityStoreTests
{
    /// <summary>A one-layer layout: a directory, regular files (spaces, a backslash and a newline in names), a hard
    /// link, a symbolic link; in GNU tar format, whose headers can carry the newline.</summary>
    private static void WriteLayout(string layout) => HandLayout.Write(layout, HostileTarTests.Tar(TarEntryFormat.Gnu,
        new Entry(TarEntryType.Directory, "etc", Mode: (UnixFileMode)0b111_101_101),
        new Entry(TarEntryType.RegularFile, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        new Entry(TarEntryType.RegularFile, "etc/a name with spaces", "spaces\n"),
        new Entry(TarEntryType.RegularFile, "etc/back\\slash", "backslash\n"),
        new Entry(TarEntryType.RegularFile, "etc/line\nbreak", "newline\n"),
        new Entry(TarEntryType.HardLink, "etc/passwd-", Link: "etc/passwd"),
        new Entry(TarEntryType.SymbolicLink, "etc/link", Link: "passwd")).ToArray());

    /// <summary>The layout written under <paramref name="temporary"/> and imported into a store there.</summary>
    private static (ImageStore Store, LayerRecord Layer) ImportLayout(TemporaryDirectory temporary)
    {
        WriteLayout(temporary["layout"]);
        var store = new ImageStore(temporary["store"]);
        return (store, Assert.Single(store.Import(temporary["layout"]).Layers));
    }

    private static string IndexPath(ImageStore store) => Path.Combine(store.Root, "images.json");

    /// <summary>images.json with the layer's "verity" member set to <paramref name="value"/> (removed when null).</summary>
    private static void SetRecordedVerity(ImageStore store, Digest layer, JsonNode? value)
    {
        var index = JsonNode.Parse(File.ReadAllText(IndexPath(store)))!;
        var entry = index["layers"]![layer.Hex]!.AsObject();
        entry.Remove("verity");
        if (value is not null)
            entry["verity"] = value;
        File.WriteAllText(IndexPath(store), index.ToJsonString());
    }

    private static JsonNode? RecordedVerity(ImageStore store, Digest layer) => JsonNode.Parse(File.ReadAllText(IndexPath(store)))!["layers"]![layer.Hex]!["verity"];

    [SkippableFact]
    public void Import_with_fs_verity_seals_a_manifest_that_create_and_image_verify_check()
    {
        using var temporary = Commands.Temporary("verity-import");
        Skip.IfNot(FsVerity.Supported(temporary.Path, out string reason), reason);

        var (store, layer) = ImportLayout(temporary);

        string manifest = VerityManifest.PathOf(layer.Path);
        Assert.Equal(Path.Combine(store.Root, "layers", layer.DiffId.Hex, "verity"), manifest);
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(manifest));
        string? measured = FsVerity.Measure(manifest);
        Assert.Matches("^sha256:[0-9a-f]{64}$", measured);
        Assert.Equal(measured, layer.Verity);
        Assert.Equal(measured, RecordedVerity(store, layer.DiffId)?.GetValue<string>());
        Assert.Equal(measured, store.FindLayer(layer.DiffId)?.Verity);
        var listed = VerityManifest.Parse(File.ReadAllBytes(manifest), manifest).Files;
        Assert.Equal(["etc/a name with spaces", "etc/back\\slash", "etc/line\nbreak", "etc/passwd", "etc/passwd-"], listed.Select(f => f.Path));
        foreach (var (file, digest) in listed)
            Assert.Equal(FsVerity.Measure(Path.Combine(layer.Path, file)), digest);
        Assert.Null(VerityManifest.Mismatch(layer.DiffId, layer.Path, measured!, FsVerity.Measure));
        Assert.Empty(store.Verify());

        // images.json altered: the create-time check refuses, naming both digests, and image verify says so.
        string forged = "sha256:" + new string('e', 64);
        SetRecordedVerity(store, layer.DiffId, forged);
        string? refused = VerityManifest.Mismatch(layer.DiffId, layer.Path, store.FindLayer(layer.DiffId)!.Verity!, FsVerity.Measure);
        Assert.Equal($"the fs-verity manifest of the layer {layer.DiffId} ({manifest}) measures {measured}, but images.json records {forged}", refused);
        Assert.Contains(store.Verify(), p => p.StartsWith(refused!, StringComparison.Ordinal));

        // The manifest replaced by a plain file listing other digests: refused as having no fs-verity.
        SetRecordedVerity(store, layer.DiffId, measured);
        File.Delete(manifest);
        File.WriteAllText(manifest, File.ReadAllText(Path.Combine(store.Root, "layers", layer.DiffId.Hex, "files")));
        Assert.Contains("has no fs-verity (so it was replaced)", VerityManifest.Mismatch(layer.DiffId, layer.Path, measured!, FsVerity.Measure));
    }

    [SkippableFact]
    public void Import_without_fs_verity_writes_no_manifest_and_records_no_digest()
    {
        using var temporary = Commands.Temporary("verity-none-import");
        Skip.If(FsVerity.Supported(temporary.Path, out _), "this kernel and file system have fs-verity: the import with it is the test above");

        var (store, layer) = ImportLayout(temporary);

        Assert.True(File.Exists(Path.Combine(layer.Path, "etc/line\nbreak")));
        Assert.False(File.Exists(VerityManifest.PathOf(layer.Path)));
        Assert.Null(layer.Verity);
        Assert.Null(store.FindLayer(layer.DiffId)!.Verity);
        Assert.False(JsonNode.Parse(File.ReadAllText(IndexPath(store)))!["layers"]![layer.DiffId.Hex]!.AsObject().ContainsKey("verity"));
        Assert.Empty(store.Verify());
    }

    [Fact]
    public void A_recorded_digest_the_manifest_does_not_measure_to_is_a_problem_image_verify_names()
    {
        using var temporary = Commands.Temporary("verity-forged");
        var (store, layer) = ImportLayout(temporary);
        string forged = "sha256:" + new string('f', 64);

        SetRecordedVerity(store, layer.DiffId, forged);

        // Here (no fs-verity) the manifest is missing; where the kernel has it, it measures to another digest.
        var problem = Assert.Single(store.Verify());
        Assert.StartsWith($"the fs-verity manifest of the layer {layer.DiffId} ({VerityManifest.PathOf(layer.Path)})", problem);
        Assert.EndsWith($"images.json records {(File.Exists(VerityManifest.PathOf(layer.Path)) ? "" : "its digest ")}{forged}; the layer's files were not compared with it.", problem);
    }

    [Fact]
    public void A_store_from_before_the_manifest_reads_with_no_digest_and_loses_nothing_when_saved()
    {
        using var temporary = Commands.Temporary("verity-old-store");
        var (store, layer) = ImportLayout(temporary);

        // What import wrote before: whether fs-verity was enabled, true or false; nothing create could check.
        SetRecordedVerity(store, layer.DiffId, JsonValue.Create(true));
        Assert.Null(store.FindLayer(layer.DiffId)!.Verity);
        Assert.Null(Assert.Single(Assert.Single(store.List()).Layers).Verity);
        Assert.Empty(store.Verify());

        // Rewritten by the next change of the store: the old member goes, a digest is kept as a string.
        var index = StoreIndex.Load(IndexPath(store));
        index.Save(IndexPath(store));
        Assert.Null(RecordedVerity(store, layer.DiffId));
        index.Layers[layer.DiffId.Hex].Verity = "sha256:" + new string('1', 64);
        index.Save(IndexPath(store));
        Assert.Equal("sha256:" + new string('1', 64), RecordedVerity(store, layer.DiffId)?.GetValue<string>());
        Assert.Equal("sha256:" + new string('1', 64), StoreIndex.Load(IndexPath(store)).Layers[layer.DiffId.Hex].Verity);
    }
}
