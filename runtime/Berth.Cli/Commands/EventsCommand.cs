using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth events [--stats] [--interval D] ID`: runc's JSON lines (OOM events, statistics).</summary>
public static class EventsCommand
{
    public static readonly CommandDefinition Definition = new("events", "<container-id>",
        "print the container's events (OOM, and with --stats its resource use) as JSON lines",
    [
        Flag.Value("interval", "how often statistics are collected (default: 5s)"),
        Flag.Switch("stats", "print the statistics once and exit"),
    ], Run);

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        string id = a.Single("container id");
        var interval = Durations.Parse(a.Value("interval") ?? "5s", "--interval");
        using var stdout = StandardStreams.OpenOutput();
        call.Runtime.Events(id, a.Flag("stats"), interval, stdout);
        return 0;
    }
}
