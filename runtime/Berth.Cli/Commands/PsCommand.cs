using Berth.Cli.Parsing;
using Berth.Runtime;
using Berth.Runtime.Lifecycle;

namespace Berth.Cli.Commands;

/// <summary>
/// `berth ps [--format table|json] ID [PS OPTIONS…]` as runc does it: its flags come before the id; whatever follows
/// the id goes to ps(1) (a "--" right after the id is dropped), which prints its own table, kept to its header and
/// the container's processes.
/// </summary>
public static class PsCommand
{
    public static readonly CommandDefinition Definition = new("ps", "<container-id> [ps options]",
        "show the container's processes (ps(1) options go after the id)",
        [Flag.Value("format", "table or json (default: table)", "f")], Run)
    {
        FlagsEndAtFirstPositional = true,
        UnknownFlagHint = " (ps(1)'s own options go after the container id)",
    };

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        if (a.Positionals.Count == 0)
            throw new BerthException("usage: berth ps [--format table|json] ID [PS OPTIONS…]", 2);
        string format = a.Choice("format", "table", "json");
        string id = a.Positionals[0];
        var psOptions = a.Positionals.Skip(1).ToArray();
        if (psOptions is ["--", ..])
            psOptions = psOptions[1..];
        var pids = call.Runtime.Processes(id);
        if (format == "json")
            StandardStreams.WriteLine("[" + string.Join(",", pids) + "]");
        else
            StandardStreams.Write(ProcessTable.Render(id, pids, psOptions, call.Runtime.Debug));
        return 0;
    }
}
