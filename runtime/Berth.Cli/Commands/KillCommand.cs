using Berth.Cli.Parsing;
using Berth.Runtime;
using Berth.Runtime.Lifecycle;

namespace Berth.Cli.Commands;

/// <summary>`berth kill [--all] ID [SIGNAL]`: a signal by name (with or without SIG) or number; TERM by default.</summary>
public static class KillCommand
{
    public static readonly CommandDefinition Definition = new("kill", "<container-id> [signal]",
        "send a signal (default SIGTERM) to the container's init process",
        [Flag.Switch("all", "send it to every process of the container", "a")], Run);

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        if (a.Positionals.Count is < 1 or > 2)
            throw new BerthException("usage: berth kill [--all] ID [SIGNAL]", 2);
        int signal = Signals.Parse(a.Positionals.Count == 2 ? a.Positionals[1] : "TERM");
        call.Runtime.Kill(a.Positionals[0], signal, a.Flag("all"));
        return 0;
    }
}
