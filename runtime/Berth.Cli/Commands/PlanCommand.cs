using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth plan [flags] ID`: the operations create would run, each with the config field it comes from.</summary>
public static class PlanCommand
{
    public static readonly CommandDefinition Definition = new("plan", "<container-id>",
        "berth's own: print the operations create would run",
        [CreateCommand.Bundle, CreateCommand.Host, CreateCommand.NoPivot], Run)
    { FromRunc = false };

    private static int Run(Invocation call)
    {
        var options = CreateCommand.ForPlan(call);
        foreach (var op in call.Runtime.Plan(options))
            StandardStreams.WriteLine(op.ToString());
        return 0;
    }
}
