using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Berth.Spec.Tests;

/// <summary>A small valid config to change in each test, and exact assertions on the rule findings.</summary>
internal static class RuleAssert
{
    public const string Base = """
        {
          "ociVersion": "1.3.0",
          "root": { "path": "rootfs" },
          "process": { "args": ["sh"], "cwd": "/", "user": { "uid": 0, "gid": 0 } },
          "hostname": "box",
          "linux": { "namespaces": [ { "type": "pid" }, { "type": "mount" }, { "type": "uts" } ] }
        }
        """;

    public static JsonObject Doc() => JsonNode.Parse(Base)!.AsObject();

    public static JsonObject Doc(Action<JsonObject> change)
    {
        JsonObject doc = Doc();
        change(doc);
        return doc;
    }

    public static JsonObject Linux(this JsonObject doc) => doc["linux"]!.AsObject();
    public static JsonObject Process(this JsonObject doc) => doc["process"]!.AsObject();
    public static JsonArray Namespaces(this JsonObject doc) => doc.Linux()["namespaces"]!.AsArray();

    /// <summary>Every finding of schema + rules, as "severity pointer keyword: message".</summary>
    public static List<string> Findings(string json)
    {
        var diagnostics = new List<SchemaDiagnostic>();
        Spec? spec = SpecRules.Validate(Encoding.UTF8.GetBytes(json), diagnostics);
        Assert.NotNull(spec);
        return diagnostics.Select(Format).ToList();
    }

    public static string Format(SchemaDiagnostic d) =>
        (d.Severity == SchemaSeverity.Error ? "error " : "warning ") + d.InstancePointer + " " + d.Keyword + ": " + d.Message;

    /// <summary>Asserts that the document gives exactly these findings (order ignored).</summary>
    public static void Exactly(JsonObject doc, params string[] expected) => Exactly(doc.ToJsonString(), expected);

    public static void Exactly(string json, params string[] expected)
    {
        List<string> actual = Findings(json);
        Assert.True(expected.Order(StringComparer.Ordinal).SequenceEqual(actual.Order(StringComparer.Ordinal), StringComparer.Ordinal),
            "expected:\n  " + string.Join("\n  ", expected) + "\nactual:\n  " + string.Join("\n  ", actual));
    }
}
