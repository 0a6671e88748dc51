using System.Text.Json;
using Berth.Images;
using Berth.Runtime.State;

namespace Berth.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>berth's content store (issue 13), where root.image and root.layers are looked up and `berth image …`
    /// works; null: Berth.Images.ImageStore.DefaultRoot() (/var/lib/berth/store as root, else
    /// $XDG_DATA_HOME/berth/store). The command line's --store sets it.</summary>
    public string? ImageStoreRoot { get; init; }

    /// <summary>
    /// For `berth image rm` (ImageStore.Remove's question): which container of this state root uses an image or a
    /// layer of <paramref name="store"/>, asked by manifest digest, diff_id or layer blob digest; null when none.
    /// Read from each container's recorded config.json (root.image and its layers, root.layers), which create writes
    /// before its process exists; a container whose record names another store (state.json's imageStore) uses none of
    /// this one's, whatever digests the two share.
    /// </summary>
    public Func<Digest, string?> StoreUsage(ImageStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var images = store.List();
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        void Use(string digest, string id) => users.TryAdd(digest, id);
        void UseLayer(LayerRecord layer, string id)
        {
            Use(layer.DiffId.ToString(), id);
            Use(layer.Digest.ToString(), id);
        }
        foreach (string id in Store.Ids())
        {
            using var dir = Store.TryOpen(id, locked: false, out _);
            if (dir?.Read(StateStore.ConfigFile, out _) is not { } config)
                continue;
            if (dir.TryLoad(out var record) && record?.ImageStore is { } used && used != store.Root)
                continue;
            try
            {
                using var document = JsonDocument.Parse(config);
                if (!document.RootElement.TryGetProperty("root", out var root) || root.ValueKind != JsonValueKind.Object)
                    continue;
                if (root.TryGetProperty("image", out var image) && image.ValueKind == JsonValueKind.String)
                {
                    Use(image.GetString()!, id);
                    foreach (var layer in images.Where(i => i.Digest.ToString() == image.GetString()).SelectMany(i => i.Layers))
                        UseLayer(layer, id);
                }
                if (root.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
                    foreach (string digest in layers.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.String).Select(l => l.GetString()!))
                    {
                        Use(digest, id);
                        foreach (var layer in images.SelectMany(i => i.Layers).Where(l => l.DiffId.ToString() == digest || l.Digest.ToString() == digest))
                            UseLayer(layer, id);
                    }
            }
            catch (JsonException)
            {
                // A damaged record names nothing: it cannot run from the store either.
            }
        }
        return digest => users.GetValueOrDefault(digest.ToString());
    }

    /// <summary>
    /// `berth image rm`'s guard (ImageStore.Remove's question): an image is in use when a container names it or any
    /// of its layers; a layer when a container names it or an image that has it. The answer names the container.
    /// </summary>
    public Func<Digest, string?> RemovalGuard(ImageStore store)
    {
        var usage = StoreUsage(store);
        var images = store.List();
        return digest =>
        {
            var layers = images.FirstOrDefault(i => i.Digest == digest)?.Layers ?? [];
            string? id = usage(digest) ?? layers.Select(l => usage(l.DiffId) ?? usage(l.Digest)).FirstOrDefault(u => u is not null);
            return id is null ? null : $"the container \"{id}\"";
        };
    }
}
