using Berth.Config;
using Berth.Images;
using Berth.Runtime.Lifecycle;

namespace Berth.Runtime.Bundles;

/// <summary>
/// <c>root.image</c> for the config front-end: the image's config (Env, Entrypoint, Cmd, WorkingDir, User) from berth's
/// content store, checked against its digest, so that it fills in what the author left out; a user given by name is
/// looked up in the image's own /etc/passwd and /etc/group (<see cref="ImageUsers"/>).
/// </summary>
public static class ImageConfigReader
{
    /// <summary>The reader for the store at <paramref name="storeRoot"/> (null: <see cref="ImageStore.DefaultRoot"/>).</summary>
    public static Func<string, ImageDefaults> For(string? storeRoot) => image => Read(storeRoot, image);

    private static ImageDefaults Read(string? storeRoot, string image)
    {
        try
        {
            var store = ImageStores.Open(storeRoot, "root.image");
            var record = ImageStores.Find(store, image)
                ?? throw new ImageLookupException($"the store {store.Root} has no image {image}; import it first (berth image import)");
            var config = store.Config(record);
            var layersTopFirst = record.Layers.Select(l => l.Path).Reverse().ToList();
            return new ImageDefaults(record.Digest.ToString(), config.Env, config.Entrypoint, config.Cmd, config.WorkingDir, config.User)
            {
                ResolveUser = user => ImageUsers.Resolve(layersTopFirst, user),
            };
        }
        catch (BerthException e)
        {
            // ImageStores' sentences start with the field, which the front-end's finding names already.
            throw new ImageLookupException(e.Message.StartsWith("root.image: ", StringComparison.Ordinal) ? e.Message["root.image: ".Length..] : e.Message);
        }
        catch (ImageException e)
        {
            throw new ImageLookupException(e.Message, e);
        }
    }
}
