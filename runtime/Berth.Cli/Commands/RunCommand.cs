using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth run [flags] ID`: create and start; in the foreground, the exit status is the container's.</summary>
public static class RunCommand
{
    public static readonly CommandDefinition Definition = new("run", "<container-id>", "create a container and start it",
    [
        .. CreateCommand.SharedFlags,
        Flag.Switch("detach", "do not wait for the container's process", "d"),
        Flag.Switch("keep", "keep the container's state after it exits"),
        CreateCommand.NoSubreaperUnlessDetached,
    ], Run);

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        bool detach = a.Flag("detach"), keep = a.Flag("keep");
        CreateCommand.CheckNoSubreaper(a, detach);
        return call.Runtime.Run(CreateCommand.Options(call), detach, keep);
    }
}
