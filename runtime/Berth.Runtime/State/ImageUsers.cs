using System.Text.Json;

namespace Berth.Runtime.State;

/// <summary>A container of the state root and what its recorded config names as its root: <c>root.image</c> and
/// each of <c>root.layers</c> (digests, or whatever reference the author wrote).</summary>
public sealed record ImageUse(string ContainerId, IReadOnlyList<string> References);

/// <summary>
/// Which containers use stored images or layers, so that `image rm` can refuse while one does. Read from each
/// container's recorded config.json (what ran), reached through the state root's descriptors like every other file
/// of a container; a container whose config is missing or unreadable names nothing.
/// </summary>
public static class ImageUsers
{
    public static IReadOnlyList<ImageUse> Read(StateStore store)
    {
        var uses = new List<ImageUse>();
        foreach (string id in store.Ids().Order(StringComparer.Ordinal))
        {
            try
            {
                using var dir = store.TryOpen(id, locked: false, out _);
                byte[]? config = dir?.Read(StateStore.ConfigFile, out _);
                if (config is not null && ReferencesIn(config) is { Count: > 0 } references)
                    uses.Add(new ImageUse(id, references));
            }
            catch (BerthException)
            {
                // Not a container berth can read (an unreadable directory): it names nothing.
            }
        }
        return uses;
    }

    /// <summary>root.image and root.layers[] of a config document; empty when it has neither or is not JSON.</summary>
    public static IReadOnlyList<string> ReferencesIn(ReadOnlySpan<byte> config)
    {
        var references = new List<string>();
        try
        {
            var reader = new Utf8JsonReader(config);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("root", out var root) || root.ValueKind != JsonValueKind.Object)
                return references;
            if (root.TryGetProperty("image", out var image) && image.ValueKind == JsonValueKind.String)
                references.Add(image.GetString()!);
            if (root.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
                foreach (var layer in layers.EnumerateArray())
                    if (layer.ValueKind == JsonValueKind.String)
                        references.Add(layer.GetString()!);
        }
        catch (JsonException)
        {
            // A config berth wrote is JSON; anything else was put there by someone else and names no image.
        }
        return references;
    }
}
