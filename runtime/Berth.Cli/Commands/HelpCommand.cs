using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth help [COMMAND]` (`h`): the program's help, or one command's.</summary>
public static class HelpCommand
{
    public static readonly CommandDefinition Definition = new("help", "[command]", "show the commands, or one command's help", [],
        call => Help.Print(call.Arguments.Positionals.FirstOrDefault(), call.Log)) { Aliases = ["h"] };
}
