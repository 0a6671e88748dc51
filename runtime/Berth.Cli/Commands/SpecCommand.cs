using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth spec [--bundle DIR] [--rootless]`: a starting config.json, as `runc spec` writes one.</summary>
public static class SpecCommand
{
    public static readonly CommandDefinition Definition = new("spec", "", "write a default config.json",
    [
        Flag.Value("bundle", "where to write it (default: the current directory)", "b"),
        Flag.Switch("rootless", "a config for a container run by an unprivileged user"),
    ], call =>
    {
        var a = call.Arguments.NoPositionals();
        DefaultSpec.Write(a.Value("bundle") ?? ".", a.Flag("rootless"));
        return 0;
    });
}
