using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth start ID`: the created container's process goes on to execute its program.</summary>
public static class StartCommand
{
    public static readonly CommandDefinition Definition = new("start", "<container-id>", "start the process of a created container", [],
        call =>
        {
            call.Runtime.Start(call.Arguments.Single("container id"));
            return 0;
        });
}
