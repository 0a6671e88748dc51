using System.Text;
using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth features`: what this build implements (<see cref="FeaturesDocument"/>), as JSON.</summary>
public static class FeaturesCommand
{
    public static readonly CommandDefinition Definition = new("features", "", "print the features berth supports, as JSON", [],
        call =>
        {
            call.Arguments.NoPositionals();
            StandardStreams.WriteDocument(Encoding.UTF8.GetBytes(FeaturesDocument.Json));
            return 0;
        });
}
