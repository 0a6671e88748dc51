using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth delete [--force] ID`: what a container holds (state, cgroups) goes.</summary>
public static class DeleteCommand
{
    public static readonly CommandDefinition Definition = new("delete", "<container-id>",
        "delete what a container holds (state, cgroups), usually once it has stopped",
        [Flag.Switch("force", "kill the container first (SIGKILL) if it still runs", "f")],
        call =>
        {
            call.Runtime.Delete(call.Arguments.Single("container id"), call.Arguments.Flag("force"));
            return 0;
        });
}
