using Berth.Images;
using Berth.Runtime.Lifecycle;

namespace Berth.Runtime.Tests;

/// <summary>
/// The fs-verity check create makes on a stacked root (<see cref="RootLayers.CheckVerity"/>), through an injected
/// measurer: this kernel has no fs-verity. A layer without a recorded digest is never measured (the start path);
/// one with a digest is measured once and refused, naming the config field, the layer and both digests, when its
/// manifest differs. Pure: no root, no berth binary.
/// </summary>
public class RootImageVerityTests
{
    private static readonly Digest First = Digest.Parse("sha256:" + new string('1', 64), "layer");
    private static readonly Digest Second = Digest.Parse("sha256:" + new string('2', 64), "layer");
    private const string Recorded = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    /// <summary>LAYER/rootfs and LAYER/verity (its contents are never read) under a fresh directory.</summary>
    private static string LayerDirectory(string name)
    {
        string layer = Path.Combine(Path.GetTempPath(), $"berth-verity-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(layer, "rootfs"));
        File.WriteAllText(Path.Combine(layer, VerityManifest.FileName), "berth fs-verity manifest 1\n");
        return layer;
    }

    [Fact]
    public void Layers_without_a_recorded_digest_are_not_measured_at_all()
    {
        var layers = new[] { new LayerLocation(First, "/nonexistent/1/rootfs", null), new LayerLocation(Second, "/nonexistent/2/rootfs", null) };
        RootLayers.CheckVerity("root.image", layers, file => throw new InvalidOperationException($"measured {file}"));
    }

    [Fact]
    public void A_manifest_measuring_as_recorded_passes_with_one_measure_a_layer()
    {
        string layer = LayerDirectory("same");
        try
        {
            var measured = new List<string>();
            var layers = new[] { new LayerLocation(First, Path.Combine(layer, "rootfs"), Recorded), new LayerLocation(Second, "/nonexistent/rootfs", null) };
            RootLayers.CheckVerity("root.image", layers, file => { measured.Add(file); return Recorded; });
            Assert.Equal([Path.Combine(layer, VerityManifest.FileName)], measured);
        }
        finally
        {
            Directory.Delete(layer, recursive: true);
        }
    }

    [Theory]
    [InlineData("root.image", "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "measures sha256:bbbb")]
    [InlineData("root.layers", null, "has no fs-verity (so it was replaced)")]
    public void A_manifest_that_differs_is_refused_naming_the_field_the_layer_and_both_digests(string field, string? found, string expected)
    {
        string layer = LayerDirectory("differs");
        try
        {
            var layers = new[] { new LayerLocation(First, "/nonexistent/rootfs", null), new LayerLocation(Second, Path.Combine(layer, "rootfs"), Recorded) };
            var error = Assert.Throws<BerthException>(() => RootLayers.CheckVerity(field, layers, _ => found));
            Assert.StartsWith($"{field}: the fs-verity manifest of the layer {Second} ({Path.Combine(layer, VerityManifest.FileName)}) ", error.Message);
            Assert.Contains(expected, error.Message);
            Assert.Contains(Recorded, error.Message);
            Assert.EndsWith("refusing to stack a layer changed since import: run berth image verify", error.Message);
        }
        finally
        {
            Directory.Delete(layer, recursive: true);
        }
    }

    [Fact]
    public void A_missing_manifest_is_refused()
    {
        string layer = LayerDirectory("missing");
        Directory.Delete(layer, recursive: true);
        var layers = new[] { new LayerLocation(First, Path.Combine(layer, "rootfs"), Recorded) };
        var error = Assert.Throws<BerthException>(() => RootLayers.CheckVerity("root.image", layers, FsVerity.Measure));
        Assert.StartsWith($"root.image: the fs-verity manifest of the layer {First} ({Path.Combine(layer, VerityManifest.FileName)}) is missing, but images.json records its digest {Recorded}", error.Message);
    }
}
