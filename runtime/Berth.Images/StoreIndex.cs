using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Images;

/// <summary>
/// The store's list of images and layers, <c>images.json</c> at the store's root: small, rewritten whole and
/// atomically (temporary file, rename) under the store's lock.
/// </summary>
internal sealed class StoreIndex
{
    public List<StoredImage> Images { get; set; } = [];

    /// <summary>Each unpacked layer by its diff_id's hex digits.</summary>
    public Dictionary<string, StoredLayer> Layers { get; set; } = [];

    public static StoreIndex Load(string path)
    {
        if (!File.Exists(path))
            return new StoreIndex();
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), StoreIndexJson.Default.StoreIndex) ?? new StoreIndex();
        }
        catch (JsonException e)
        {
            throw new ImageException($"the store's image list {path} is not readable JSON: {e.Message}", e);
        }
    }

    public void Save(string path)
    {
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, StoreIndexJson.Default.StoreIndex));
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }
}

internal sealed class StoredImage
{
    public string Digest { get; set; } = "";
    public List<string> Tags { get; set; } = [];
    public string Config { get; set; } = "";
    public List<string> Indexes { get; set; } = [];
    public List<StoredImageLayer> Layers { get; set; } = [];
    public DateTimeOffset Imported { get; set; }
}

internal sealed class StoredImageLayer
{
    /// <summary>The blob's digest as the manifest names it (compressed, when the layer was).</summary>
    public string Digest { get; set; } = "";
    public string DiffId { get; set; } = "";
    public string MediaType { get; set; } = "";
    public long Size { get; set; }
}

internal sealed class StoredLayer
{
    /// <summary>The tree digest of the unpacked layer, which is also the SHA-256 of its stored file list.</summary>
    public string Tree { get; set; } = "";

    /// <summary>The directories marked opaque for overlayfs (not covered by the tree digest, so recorded apart).</summary>
    public List<string> Opaque { get; set; } = [];

    /// <summary>Whether fs-verity was enabled on its files at import.</summary>
    public bool Verity { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StoreIndex))]
internal sealed partial class StoreIndexJson : JsonSerializerContext;
