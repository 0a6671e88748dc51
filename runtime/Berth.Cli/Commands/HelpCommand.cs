using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth help [COMMAND [SUBCOMMAND]]` (`h`): the program's help, or one command's (`help image import`).</summary>
public static class HelpCommand
{
    public static readonly CommandDefinition Definition = new("help", "[command]", "show the commands, or one command's help", [],
        call => Help.Print(Topic(call.Arguments.Positionals), call.Log))
    { Aliases = ["h"] };

    /// <summary>The first word, and the second too when the first names a group of commands.</summary>
    private static string? Topic(IReadOnlyList<string> words) => words switch
    {
        [] => null,
        [var group, var command, ..] when Dispatcher.Find(group)?.Subcommands.Count > 0 => $"{group} {command}",
        [var name, ..] => name,
    };
}
