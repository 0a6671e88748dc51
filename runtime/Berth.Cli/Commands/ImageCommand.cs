using Berth.Cli.Parsing;
using Berth.Images;
using Berth.Runtime;

namespace Berth.Cli.Commands;

/// <summary>`berth image COMMAND`: the content store of issue 13 (import, ls, rm, verify). Alone, it prints its help.</summary>
public static class ImageCommand
{
    public static readonly CommandDefinition Definition = new("image", "command [command options] [arguments...]",
        "berth's own: the content store of images (import, ls, rm, verify)", [], Run)
    {
        FromRunc = false,
        Subcommands = [ImageImportCommand.Definition, ImageListCommand.Definition, ImageRemoveCommand.Definition, ImageVerifyCommand.Definition],
    };

    private static int Run(Invocation call)
    {
        var words = call.Arguments.Positionals;
        if (words.Count == 0)
            return Help.Print(Definition.Name, call.Log);
        throw new BerthException($"unknown command \"{words[0]}\"; the image commands are {string.Join(", ", Definition.Subcommands.Select(c => c.Name[(Definition.Name.Length + 1)..]))} (berth image --help)", 2);
    }

    /// <summary>The store of --store (or the default), for the image commands.</summary>
    public static ImageStore Store(Invocation call) => new(call.Runtime.ImageStoreRoot);
}
