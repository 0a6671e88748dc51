using Berth.Cli.Parsing;
using Berth.Images;
using Berth.Runtime;

namespace Berth.Cli.Commands;

/// <summary>`berth image rm REF…` (`image remove`): removes images and the layers no other image uses, refusing while a
/// container of the state root (--root) uses one (<see cref="Berth.Runtime.Lifecycle.ContainerRuntime.RemovalGuard"/>); prints each removed digest.</summary>
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
        var usedBy = call.Runtime.RemovalGuard(store);
        foreach (string image in images)
            StandardStreams.WriteLine(store.Remove(image, usedBy).Digest.ToString());
        return 0;
    }
}
