using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth image verify`: re-hashes every stored blob and layer file against what import recorded, and measures
/// the fs-verity manifest and files of each layer import sealed (<see cref="Berth.Images.ImageStore.Verify"/>); prints
/// each problem, exit 1 when there is one.</summary>
public static class ImageVerifyCommand
{
    public static readonly CommandDefinition Definition = new("image verify", "",
        "re-hash every blob and every layer file in the store; print what changed since import (exit 1 if anything did)",
        [], Run)
    { FromRunc = false };

    private static int Run(Invocation call)
    {
        call.Arguments.NoPositionals();
        var store = ImageCommand.Store(call);
        var problems = store.Verify();
        foreach (string problem in problems)
            StandardStreams.WriteLine(problem);
        var images = store.List();
        int layers = images.SelectMany(i => i.Layers).Select(l => l.DiffId).Distinct().Count();
        StandardStreams.WriteLine(problems.Count == 0
            ? $"{store.Root}: verified ({images.Count} image(s), {layers} layer(s))"
            : $"{store.Root}: {problems.Count} problem(s)");
        return problems.Count == 0 ? 0 : 1;
    }
}
