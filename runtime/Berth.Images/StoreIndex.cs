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

    /// <summary>
    /// Reads images.json with JsonDocument rather than the serializer: create reads it on every start from an image,
    /// and the serializer's first use builds its type metadata (~1 ms a process, measured with perf). The names are
    /// those <see cref="Save"/> writes (camelCase).
    /// </summary>
    public static StoreIndex Load(string path)
    {
        if (!File.Exists(path))
            return new StoreIndex();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var index = new StoreIndex();
            foreach (var image in Items(root, "images"))
                index.Images.Add(new StoredImage
                {
                    Digest = Text(image, "digest"),
                    Tags = Strings(image, "tags"),
                    Config = Text(image, "config"),
                    Indexes = Strings(image, "indexes"),
                    Layers = Items(image, "layers").Select(l => new StoredImageLayer
                    {
                        Digest = Text(l, "digest"),
                        DiffId = Text(l, "diffId"),
                        MediaType = Text(l, "mediaType"),
                        Size = l.TryGetProperty("size", out var size) ? size.GetInt64() : 0,
                    }).ToList(),
                    Imported = image.TryGetProperty("imported", out var imported) ? imported.GetDateTimeOffset() : default,
                });
            if (root.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Object)
                foreach (var layer in layers.EnumerateObject())
                    index.Layers[layer.Name] = new StoredLayer
                    {
                        Tree = Text(layer.Value, "tree"),
                        Opaque = Strings(layer.Value, "opaque"),
                        // A string: the manifest's digest. Stores from before the manifest wrote true or false here.
                        Verity = layer.Value.TryGetProperty("verity", out var verity) && verity.ValueKind == JsonValueKind.String ? verity.GetString() : null,
                    };
            return index;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ImageException($"the store's image list {path} is not readable JSON: {e.Message}", e);
        }
    }

    private static List<JsonElement> Items(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? [.. array.EnumerateArray()] : [];

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static List<string> Strings(JsonElement element, string name) => Items(element, name).Select(v => v.GetString() ?? "").ToList();

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

    /// <summary>
    /// The fs-verity digest of the layer's manifest (<see cref="VerityManifest"/>), "sha256:…", when import enabled
    /// fs-verity on its files; absent otherwise. Create measures the manifest and compares.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Verity { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StoreIndex))]
internal sealed partial class StoreIndexJson : JsonSerializerContext;
