using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Berth.Spec.Tests;

/// <summary>
/// Configs written by runc, podman and containerd (tests/corpus/external) get the right verdict from schema + rules,
/// and so does the schema-valid corpus: the documents listed here are valid for the schema but break a prose rule.
/// </summary>
public class ExternalConfigTests
{
    internal static string Repo(params string[] parts)
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Compiler.sln"))) dir = Path.GetDirectoryName(dir);
        Assert.NotNull(dir);
        return Path.Combine([dir!, .. parts]);
    }

    private static List<string> Errors(byte[] json)
    {
        var diagnostics = new List<SchemaDiagnostic>();
        SpecRules.Validate(json, diagnostics);
        return diagnostics.Where(d => d.Severity == SchemaSeverity.Error).Select(RuleAssert.Format).ToList();
    }

    [Theory]
    [InlineData("runc-1.1.5-spec.json")]
    [InlineData("runc-1.1.5-spec-rootless.json")]
    [InlineData("podman-4.3.1-create.json")]
    [InlineData("podman-4.3.1-uidmap-readonly.json")]
    [InlineData("containerd-1.6.20-ctr-oci-spec-with-args.json")]
    public void Real_configs_are_valid(string file) =>
        Assert.Empty(Errors(File.ReadAllBytes(Repo("tests", "corpus", "external", file))));

    [Fact]
    public void Containerd_template_without_args_is_invalid() =>
        Assert.Equal(["error /process x-required-on-linux: missing member \"args\": on Linux the process needs at least one argument, the program to run"],
            Errors(File.ReadAllBytes(Repo("tests", "corpus", "external", "containerd-1.6.20-ctr-oci-spec.json"))));

    [Fact]
    public void Real_configs_broken_by_hand_are_invalid()
    {
        JsonObject runc = JsonNode.Parse(File.ReadAllText(Repo("tests", "corpus", "external", "runc-1.1.5-spec-rootless.json")))!.AsObject();
        runc["linux"]!["namespaces"]!.AsArray().Add(new JsonObject { ["type"] = "user" });
        runc["linux"]!["uidMappings"]!.AsArray().Add(new JsonObject { ["containerID"] = 0, ["hostID"] = 5000, ["size"] = 1 });
        Assert.Equal(
            [
                "error /linux/namespaces/5/type x-unique: duplicate namespace type \"user\" (first at /linux/namespaces/4)",
                "error /linux/uidMappings/1 x-id-mapping: uid range of container ids 0–0 overlaps /linux/uidMappings/0 (0–0)",
            ],
            Errors(Encoding.UTF8.GetBytes(runc.ToJsonString())).ToList());
    }

    /// <summary>Schema-valid corpus documents that a prose rule refuses, with the rule's pointer.</summary>
    private static readonly Dictionary<string, string[]> RuleInvalid = new(StringComparer.Ordinal)
    {
        ["integers-extremes.json"] = ["error /linux/resources/memory/reservation x-range"],
        ["minimal.json"] = ["error  x-required-on-linux"],
        ["seccomp-actions-args.json"] = ["error /linux/seccomp/defaultErrnoRet x-requires"],
        ["unicode-strings.json"] = ["error /hostname x-requires"],
    };

    [Fact]
    public void Schema_valid_corpus_meets_the_rules_except_known_documents()
    {
        var unexpected = new List<string>();
        foreach (string file in Directory.GetFiles(Repo("tests", "corpus", "valid"), "*.json").Order(StringComparer.Ordinal))
        {
            var errors = Errors(File.ReadAllBytes(file)).Select(e => e[..e.IndexOf(':')]).ToList();
            string[] expected = RuleInvalid.GetValueOrDefault(Path.GetFileName(file), []);
            if (!errors.SequenceEqual(expected)) unexpected.Add(Path.GetFileName(file) + ": " + string.Join("; ", errors));
        }
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
    }
}
