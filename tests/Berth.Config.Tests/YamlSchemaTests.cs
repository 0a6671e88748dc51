using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Config;
using Json.Schema;

namespace Berth.Config.Tests;

/// <summary>`berth schema` checked with an independent validator (JsonSchema.Net, draft-07) on the YAML as written.</summary>
public class YamlSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(System.Text.Encoding.UTF8.GetString(YamlSchema.Build()));

    /// <summary>The YAML as an editor sees it: no shorthand expanded, no merge done.</summary>
    private static JsonNode AsWritten(string name, string yaml)
    {
        var diagnostics = new List<ConfigDiagnostic>();
        var tree = YamlLoader.Load(name, yaml, diagnostics);
        Assert.True(tree is not null, string.Join("\n", diagnostics));
        return JsonNode.Parse(JsonOutput.Write(tree!).Json)!;
    }

    private static EvaluationResults Evaluate(JsonNode node) =>
        Schema.Evaluate(node, new EvaluationOptions { OutputFormat = OutputFormat.List, EvaluateAs = SpecVersion.Draft7 });

    [Theory]
    [InlineData("author.yaml")]
    [InlineData("host.yaml")]
    public void The_examples_with_their_shorthands_are_valid(string file)
    {
        string yaml = File.ReadAllText(Path.Combine(Support.RepoRoot, "specs/examples", file));
        var result = Evaluate(AsWritten(file, yaml));
        Assert.True(result.IsValid, JsonSerializer.Serialize(result.Details.Where(d => d.HasErrors).Select(d => d.InstanceLocation + ": " + string.Join(", ", d.Errors!.Values)).ToList()));
    }

    [Theory]
    [InlineData("mounts: [42]")]
    [InlineData("process: {rlimits: {nofle: 1}}")]
    [InlineData("linux: {namespaces: [pidd]}")]
    [InlineData("process: {user: 'root'}")]
    public void Mistakes_are_flagged(string yaml)
    {
        Assert.False(Evaluate(AsWritten("x.yaml", yaml)).IsValid, yaml);
    }
}
