using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth pause ID` and `berth resume ID`: the container's freezer, one way or the other.</summary>
public static class PauseCommand
{
    public static readonly CommandDefinition Pause = Define("pause", "freeze every process of the container", freeze: true);

    public static readonly CommandDefinition Resume = Define("resume", "thaw a paused container", freeze: false);

    private static CommandDefinition Define(string name, string summary, bool freeze) => new(name, "<container-id>", summary, [],
        call =>
        {
            call.Runtime.Pause(call.Arguments.Single("container id"), freeze);
            return 0;
        });
}
