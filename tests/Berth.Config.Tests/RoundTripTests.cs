using System.Text;
using System.Text.Json.Nodes;
using Berth.Config;

namespace Berth.Config.Tests;

/// <summary>config.json → YAML (YamlWriter) → config.json loses nothing, for every valid config of tests/corpus.</summary>
public class RoundTripTests
{
    public static IEnumerable<object[]> Configs()
    {
        var corpus = Path.Combine(Support.RepoRoot, "tests/corpus");
        foreach (string dir in new[] { "valid", "external" })
            foreach (string f in Directory.GetFiles(Path.Combine(corpus, dir), "*.json").Order(StringComparer.Ordinal))
                yield return new object[] { Path.GetRelativePath(corpus, f) };
    }

    /// <summary>The document without null members (a null member means "absent" to the front-end).</summary>
    private static JsonNode? WithoutNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var r = new JsonObject();
                foreach (var (k, v) in o)
                    if (v is not null)
                        r[k] = WithoutNulls(v);
                return r;
            case JsonArray a:
                return new JsonArray(a.Select(x => WithoutNulls(x)).ToArray());
            default:
                return node?.DeepClone();
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Json_to_yaml_to_json_loses_nothing(string name)
    {
        byte[] original = File.ReadAllBytes(Path.Combine(Support.RepoRoot, "tests/corpus", name));
        var first = ConfigCompiler.Compile([new ConfigFile(name, original)]);
        Assert.True(first.Document is not null, Support.Errors(first));
        Assert.True(JsonNode.DeepEquals(WithoutNulls(JsonNode.Parse(original)), JsonNode.Parse(first.Document!.Json)), "compiling the JSON changed it");

        string yaml = YamlWriter.FromJson(first.Document.Json);
        var second = ConfigCompiler.Compile([new ConfigFile("roundtrip.yaml", Encoding.UTF8.GetBytes(yaml))]);
        Assert.True(second.Document is not null, Support.Errors(second) + "\n" + yaml);
        Assert.Equal(Encoding.UTF8.GetString(first.Document.Json), Encoding.UTF8.GetString(second.Document!.Json));
        Assert.Equal(first.Diagnostics.Count(d => d.Severity == Severity.Error), second.Diagnostics.Count(d => d.Severity == Severity.Error));
    }

    [Fact]
    public void Strings_that_look_like_other_things_are_quoted()
    {
        string json = """{"ociVersion":"1.3.0","annotations":{"a":"true","b":"123","c":"null","d":"","e":"- x","f":"a: b","g":"#c","h":"0x1F","i":"~","j":"line\nbreak","k":"@at","l":" lead","m":"1e3","n":".inf"}}""";
        var r = ConfigCompiler.Compile([new ConfigFile("a.json", Encoding.UTF8.GetBytes(json))]);
        string yaml = YamlWriter.FromJson(r.Document!.Json);
        var back = ConfigCompiler.Compile([new ConfigFile("a.yaml", Encoding.UTF8.GetBytes(yaml))]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(back.Document!.Json)), yaml);
    }
}
