using System.Text;
using Berth.Config;

namespace Berth.Config.Tests;

/// <summary>YAML in → config.json out, compared with files checked in under golden/ (BERTH_UPDATE_GOLDEN=1 rewrites them).</summary>
public class GoldenTests
{
    private static string Examples => Path.Combine(Support.RepoRoot, "specs/examples");
    private static string Golden => Path.Combine(Support.RepoRoot, "tests/Berth.Config.Tests/golden");

    private static void Check(string goldenName, string actual)
    {
        string path = Path.Combine(Golden, goldenName);
        if (Environment.GetEnvironmentVariable("BERTH_UPDATE_GOLDEN") == "1")
            File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), $"{path} is missing; run with BERTH_UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    private static CompileResult CompileExamples(params string[] hosts)
    {
        // Relative names, as a person types them: the golden diff output names files that way.
        string cwd = Environment.CurrentDirectory;
        Environment.CurrentDirectory = Support.RepoRoot;
        try
        {
            return ConfigCompiler.Compile("specs/examples/author.yaml", hosts.Select(h => "specs/examples/" + h).ToList());
        }
        finally
        {
            Environment.CurrentDirectory = cwd;
        }
    }

    [Fact]
    public void Author_alone_compiles_to_its_golden_config()
    {
        var r = CompileExamples();
        Assert.True(r.Success, Support.Errors(r));
        Assert.Empty(r.Diagnostics);
        Check("author.config.json", Encoding.UTF8.GetString(r.Document!.Json) + "\n");
    }

    [Fact]
    public void Author_with_host_compiles_to_its_golden_config()
    {
        var r = CompileExamples("host.yaml");
        Assert.True(r.Success, Support.Errors(r));
        Assert.Empty(r.Diagnostics);
        Check("author+host.config.json", Encoding.UTF8.GetString(r.Document!.Json) + "\n");
    }

    [Fact]
    public void The_diff_of_the_examples_is_golden()
    {
        var r = CompileExamples("host.yaml");
        Check("author+host.diff.txt", string.Concat(r.Diff().Select(e => e + "\n")));
    }

    [Fact]
    public void The_explanation_of_the_examples_is_golden()
    {
        var r = CompileExamples("host.yaml");
        Check("author+host.explain.txt", Explain.Render(r.Document!.Root));
    }

    [Fact]
    public void The_yaml_schema_is_valid_json_and_knows_the_shorthands()
    {
        var schema = System.Text.Json.Nodes.JsonNode.Parse(YamlSchema.Build())!;
        Assert.Equal("http://json-schema.org/draft-07/schema#", (string?)schema["$schema"]);
        Assert.NotNull(schema["properties"]!["mounts"]!["items"]!["anyOf"]);
        Assert.NotNull(schema["definitions"]!["Process"]!["properties"]!["rlimits"]!["anyOf"]![1]!["properties"]!["nofile"]);
        Assert.DoesNotContain("$defs", schema.ToJsonString());
    }
}
