using System.Text.Json;

namespace Berth.Images;

/// <summary>
/// One image chosen from an OCI image layout (image-spec image-layout.md): the manifest and config, read into memory
/// and checked against their digests and sizes, and the layer descriptors (checked as they are unpacked).
/// </summary>
public sealed class OciImage
{
    public required string LayoutDirectory { get; init; }

    /// <summary>The tag the image was chosen by, or the only manifest's <c>org.opencontainers.image.ref.name</c>.</summary>
    public required string? Tag { get; init; }

    public required Digest ManifestDigest { get; init; }
    public required byte[] Manifest { get; init; }
    public required Digest ConfigDigest { get; init; }
    public required byte[] ConfigBlob { get; init; }
    public required ImageConfig Config { get; init; }

    /// <summary>Bottom layer first, as the manifest lists them.</summary>
    public required IReadOnlyList<Descriptor> Layers { get; init; }

    /// <summary>The nested indexes followed on the way to the manifest (stored with the image so it is complete).</summary>
    public required IReadOnlyList<(Digest Digest, byte[] Content)> Indexes { get; init; }

    /// <summary>The path of a blob in the layout.</summary>
    public string BlobPath(Digest digest) => OciLayout.BlobPath(LayoutDirectory, digest);
}

/// <summary>Reads an OCI image layout as skopeo (<c>oci:DIR[:TAG]</c>), umoci, buildah and podman write it.</summary>
public static class OciLayout
{
    private const string IndexMediaType = "application/vnd.oci.image.index.v1+json";
    private const string DockerListMediaType = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>
    /// Opens <paramref name="reference"/>, "DIR" or "DIR:TAG" (a tag selects the index entry whose
    /// <c>org.opencontainers.image.ref.name</c> is TAG), and follows index → nested indexes → the manifest for this
    /// machine's platform (or the only one) → config, checking each blob's digest and size before it is used.
    /// </summary>
    public static OciImage Open(string reference)
    {
        var (directory, tag) = SplitReference(reference);
        if (!File.Exists(Path.Combine(directory, "oci-layout")))
            throw new ImageException($"{directory} is not an OCI image layout: it has no oci-layout file.");
        CheckLayoutVersion(directory);
        byte[] indexJson = ReadLimited(Path.Combine(directory, "index.json"), $"{directory}/index.json");
        var indexes = new List<(Digest, byte[])>();
        var entry = Choose(directory, indexJson, $"{directory}/index.json", tag, indexes);
        while (entry.MediaType is IndexMediaType or DockerListMediaType)
        {
            byte[] nested = ReadBlob(directory, entry, "the nested index");
            indexes.Add((entry.Digest, nested));
            entry = Choose(directory, nested, $"the index {entry.Digest}", tag: null, indexes);
        }

        byte[] manifest = ReadBlob(directory, entry, "the manifest");
        string where = $"the manifest {entry.Digest}";
        using var document = OciJson.Parse(manifest, where);
        var root = document.RootElement;
        if (!root.TryGetProperty("config", out var configElement))
            throw new ImageException($"{where} has no config descriptor (is it an image manifest?).");
        var configDescriptor = Descriptor.Read(configElement, $"{where} config");
        if (!root.TryGetProperty("layers", out var layersElement) || layersElement.ValueKind != JsonValueKind.Array)
            throw new ImageException($"{where} has no layers list.");
        var layers = layersElement.EnumerateArray().Select((l, i) => Descriptor.Read(l, $"{where} layers[{i}]")).ToList();
        foreach (var layer in layers)
            LayerStreams.CheckMediaType(layer);

        byte[] configBlob = ReadBlob(directory, configDescriptor, "the image config");
        var config = ImageConfig.Parse(configBlob, configDescriptor.Digest);
        if (config.DiffIds.Count != layers.Count)
            throw new ImageException($"the image config {configDescriptor.Digest} lists {config.DiffIds.Count} rootfs.diff_ids but {where} lists {layers.Count} layers.");

        return new OciImage
        {
            LayoutDirectory = directory,
            Tag = tag ?? entry.RefName,
            ManifestDigest = entry.Digest,
            Manifest = manifest,
            ConfigDigest = configDescriptor.Digest,
            ConfigBlob = configBlob,
            Config = config,
            Layers = layers,
            Indexes = indexes,
        };
    }

    /// <summary>"DIR:TAG" split at its last colon, unless the whole reference names a directory.</summary>
    public static (string Directory, string? Tag) SplitReference(string reference)
    {
        int colon = reference.LastIndexOf(':');
        if (Directory.Exists(reference) || colon <= 0 || reference[(colon + 1)..].Contains('/'))
            return (reference, null);
        string tag = reference[(colon + 1)..];
        return tag.Length == 0 ? (reference[..colon], null) : (reference[..colon], tag);
    }

    public static string BlobPath(string directory, Digest digest) => Path.Combine(directory, "blobs", "sha256", digest.Hex);

    /// <summary>A blob of the layout, read whole and checked against the descriptor's digest and size.</summary>
    public static byte[] ReadBlob(string directory, Descriptor descriptor, string what)
    {
        if (descriptor.Size > OciJson.MaxDocumentBytes)
            throw new ImageException($"{what} {descriptor.Digest} is {descriptor.Size} bytes, more than the {OciJson.MaxDocumentBytes} this reader accepts.");
        string path = BlobPath(directory, descriptor.Digest);
        if (!File.Exists(path))
            throw new ImageException($"{what} {descriptor.Digest} is missing from the layout ({path}).");
        byte[] content = ReadLimited(path, $"{what} {descriptor.Digest}");
        CheckBlob(descriptor, what, content.LongLength, Digest.Of(content));
        return content;
    }

    /// <summary>Refuses a blob whose size or digest is not the descriptor's, naming it.</summary>
    public static void CheckBlob(Descriptor descriptor, string what, long size, Digest actual)
    {
        if (actual != descriptor.Digest)
            throw new ImageException($"{what} {descriptor.Digest} does not match its digest: the layout's blob hashes to {actual}; refusing the image.");
        if (size != descriptor.Size)
            throw new ImageException($"{what} {descriptor.Digest} is {size} bytes but its descriptor says {descriptor.Size}; refusing the image.");
    }

    private static void CheckLayoutVersion(string directory)
    {
        byte[] text = ReadLimited(Path.Combine(directory, "oci-layout"), $"{directory}/oci-layout");
        using var document = OciJson.Parse(text, $"{directory}/oci-layout");
        string? version = OciJson.String(document.RootElement, "imageLayoutVersion", $"{directory}/oci-layout");
        if (version is null || !version.StartsWith("1.", StringComparison.Ordinal))
            throw new ImageException($"{directory}/oci-layout: imageLayoutVersion \"{version}\" is not 1.x, the version this reader knows.");
    }

    /// <summary>The entry of an index to follow: the tagged one, else the only one, else the one for this platform.</summary>
    private static Descriptor Choose(string directory, byte[] indexJson, string where, string? tag, List<(Digest, byte[])> seen)
    {
        using var document = OciJson.Parse(indexJson, where);
        if (!document.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
            throw new ImageException($"{where} has no manifests list.");
        var entries = manifests.EnumerateArray().Select((m, i) => Descriptor.Read(m, $"{where} manifests[{i}]")).ToList();
        if (tag is not null)
        {
            var tagged = entries.Where(e => e.RefName == tag).ToList();
            if (tagged.Count == 0)
            {
                var tags = entries.Select(e => e.RefName).OfType<string>().ToList();
                throw new ImageException($"{where} has no manifest tagged \"{tag}\" (org.opencontainers.image.ref.name); its tags: {(tags.Count == 0 ? "none" : string.Join(", ", tags))}.");
            }
            entries = tagged;
        }
        if (entries.Count == 1)
            return entries[0];
        if (entries.Count == 0)
            throw new ImageException($"{where} lists no manifests.");
        var forHost = entries.Where(e => e.Platform == OciJson.HostPlatform).ToList();
        if (forHost.Count == 1)
            return forHost[0];
        if (seen.Count > 8)
            throw new ImageException($"{where}: indexes nest more than 8 deep.");
        throw new ImageException(forHost.Count == 0
            ? $"{where} lists {entries.Count} manifests and none for {OciJson.HostPlatform}; name one with {directory}:TAG."
            : $"{where} lists {forHost.Count} manifests for {OciJson.HostPlatform}; name one with {directory}:TAG.");
    }

    private static byte[] ReadLimited(string path, string what)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            if (stream.Length > OciJson.MaxDocumentBytes)
                throw new ImageException($"{what} is {stream.Length} bytes, more than the {OciJson.MaxDocumentBytes} this reader accepts.");
            var content = new byte[stream.Length];
            stream.ReadExactly(content);
            return content;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"cannot read {what}: {e.Message}", e);
        }
    }
}
