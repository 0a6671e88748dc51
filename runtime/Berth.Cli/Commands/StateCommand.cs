using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth state ID`: the state JSON the library writes (runc's members).</summary>
public static class StateCommand
{
    public static readonly CommandDefinition Definition = new("state", "<container-id>", "print the container's state as JSON", [],
        call =>
        {
            StandardStreams.WriteDocument(call.Runtime.StateJson(call.Arguments.Single("container id")));
            return 0;
        });
}
