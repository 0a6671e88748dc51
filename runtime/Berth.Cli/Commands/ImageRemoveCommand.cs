using Berth.Cli.Parsing;
using Berth.Images;
using Berth.Runtime;
using Berth.Runtime.State;

namespace Berth.Cli.Commands;

/// <summary>`berth image rm REF…` (`image remove`): removes images and the layers no other image uses, refusing while a
/// container of the state root (--root) uses one (<see cref="ImageUsers"/>); prints each removed digest.</summary>
public static class ImageRemoveCommand
{
    public static readonly CommandDefinition Definition = new("image rm", "<image>...",
        "remove images (a digest, a unique prefix of 12 hex digits or more, or a tag) and the layers no other image uses; refused while a container uses them",
        [], Run)
    { Aliases = ["image remove"], FromRunc = false };

    private static int Run(Invocation call)
    {
        var images = call.Arguments.Positionals;
        if (images.Count == 0)
            throw new BerthException("expects at least one image: a digest, a unique prefix of 12 hex digits or more, or a tag", 2);
        var store = ImageCommand.Store(call);
        var usedBy = UsedBy(store, ImageUsers.Read(call.Runtime.Store));
        foreach (string image in images)
            StandardStreams.WriteLine(store.Remove(image, usedBy).Digest.ToString());
        return 0;
    }

    /// <summary>
    /// Which container uses a stored image or layer. A container uses an image when its config names the image or any
    /// of the image's layers, and a layer when it names the layer (by diff_id or by blob digest) or an image that has it.
    /// </summary>
    private static Func<Digest, string?> UsedBy(ImageStore store, IReadOnlyList<ImageUse> uses)
    {
        var images = store.List();
        var named = uses.Select(u => (u.ContainerId, Digests: u.References.SelectMany(r => DigestsNamedBy(store, images, r)).ToHashSet())).ToList();
        return digest =>
        {
            var related = images.FirstOrDefault(i => i.Digest == digest) is { } image ? image.Layers.Select(l => l.DiffId).Append(digest) : [digest];
            return named.FirstOrDefault(n => n.Digests.Overlaps(related)) is { ContainerId: { } id } ? $"the container \"{id}\"" : null;
        };
    }

    /// <summary>What one reference of a config stands for: an image (with every layer), or a layer (blob digest and
    /// diff_id both), or just the digest it is.</summary>
    private static IEnumerable<Digest> DigestsNamedBy(ImageStore store, IReadOnlyList<ImageRecord> images, string reference)
    {
        if (store.Find(reference) is { } image)
            return image.Layers.SelectMany(l => new[] { l.Digest, l.DiffId }).Append(image.Digest);
        if (!Digest.TryParse(reference, out var digest))
            return [];
        return images.SelectMany(i => i.Layers).Where(l => l.Digest == digest || l.DiffId == digest)
            .SelectMany(l => new[] { l.Digest, l.DiffId }).Append(digest);
    }
}
