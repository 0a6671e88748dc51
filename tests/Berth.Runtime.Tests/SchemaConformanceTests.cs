using Json.Schema;

namespace Berth.Runtime.Tests;

/// <summary>
/// What `berth state` and `berth features` print, checked against specs/state.schema.json and
/// specs/features.schema.json by JsonSchema.Net, the reference evaluator (not by berth's own generated validator).
/// </summary>
public class SchemaConformanceTests
{
    private static readonly Lazy<(EvaluationOptions Options, Dictionary<string, JsonSchema> ByName)> Schemas = new(() =>
    {
        var options = new EvaluationOptions { OutputFormat = OutputFormat.List };
        var byName = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        // Every schema, so that references between them (defs.schema.json) resolve.
        foreach (string file in Directory.GetFiles(Path.Combine(Harness.RepoRoot, "specs"), "*.schema.json"))
        {
            var schema = JsonSchema.FromText(File.ReadAllText(file));
            options.SchemaRegistry.Register(schema);
            byName[Path.GetFileName(file)] = schema;
        }
        return (options, byName);
    });

    private static void AssertValid(string schemaFile, string json)
    {
        var (options, byName) = Schemas.Value;
        var results = byName[schemaFile].Evaluate(JsonNode.Parse(json), options);
        var errors = (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")).ToList();
        Assert.True(results.IsValid, $"{schemaFile}: {string.Join("; ", errors)}\n{json}");
    }

    [Fact]
    public void State_output_is_valid_against_the_state_schema_when_created_running_and_stopped()
    {
        var config = Harness.BaseConfig("sleep", "100");
        string bundle = Harness.Bundle(config);
        string id = Harness.NewId("schema-state");
        try
        {
            Assert.Equal(0, Harness.Run("create", "--bundle", bundle, id).ExitCode);
            var created = Harness.Run("state", id);
            Assert.Equal("created", (string?)JsonNode.Parse(created.Stdout)!["status"]);
            AssertValid("state.schema.json", created.Stdout);

            Assert.Equal(0, Harness.Run("start", id).ExitCode);
            Harness.WaitForStatus(id, "running");
            var running = Harness.Run("state", id);
            AssertValid("state.schema.json", running.Stdout);

            Assert.Equal(0, Harness.Run("kill", id, "KILL").ExitCode);
            Harness.WaitForStatus(id, "stopped");
            var stopped = Harness.Run("state", id);
            Assert.Equal(0, (int)JsonNode.Parse(stopped.Stdout)!["pid"]!);
            AssertValid("state.schema.json", stopped.Stdout);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
    }

    /// <summary>runc's "paused", which berth reports too, is in specs/state.schema.json: a paused container's state
    /// is valid against it. Needs a freezer, asked of the host (the v1 controller or cgroup2's cgroup.freeze).</summary>
    [SkippableFact]
    public void State_of_a_paused_container_is_valid_against_the_state_schema()
    {
        HostSupport.SkipIfLacking(HostSupport.V1Mount("freezer") is null && HostSupport.LacksV2CoreFile("cgroup.freeze") is not null
            ? "this host has neither the v1 freezer nor cgroup2's cgroup.freeze" : null);
        string id = Harness.StartDetached("schema-paused");
        try
        {
            var pause = Harness.Run("pause", id);
            Assert.True(pause.ExitCode == 0, pause.ToString());
            var paused = Harness.Run("state", id);
            Assert.Equal("paused", (string?)JsonNode.Parse(paused.Stdout)!["status"]);
            AssertValid("state.schema.json", paused.Stdout);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
    }

    [Fact]
    public void Features_output_is_valid_against_the_features_schema_by_the_reference_evaluator()
    {
        var r = Harness.Exec(Harness.Berth, ["features"]);
        Assert.Equal(0, r.ExitCode);
        AssertValid("features.schema.json", r.Stdout);
    }
}
