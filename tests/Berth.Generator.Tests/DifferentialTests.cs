using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace Berth.Generator.Tests;

/// <summary>
/// Mutated documents: the generated validator and JsonSchema.Net must agree on validity and on the set of
/// instance locations that carry errors.
/// </summary>
public class DifferentialTests(ITestOutputHelper output)
{
    private static EvaluationOptions Options(IEnumerable<string> schemaFiles, out Dictionary<string, JsonSchema> byName)
    {
        var options = new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical };
        byName = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        foreach (string file in schemaFiles)
        {
            JsonSchema schema = JsonSchema.FromText(File.ReadAllText(file));
            options.SchemaRegistry.Register(schema);
            byName[Path.GetFileName(file)] = schema;
        }
        return options;
    }

    private static HashSet<string> ReferenceErrors(JsonSchema schema, EvaluationOptions options, string json)
    {
        EvaluationResults results = schema.Evaluate(JsonNode.Parse(json), options);
        var set = new HashSet<string>(StringComparer.Ordinal);
        // Errors of units inside a subschema that passed (a failed anyOf branch when another matched, the schema
        // under a satisfied "not") do not make the document invalid: only invalid units are followed.
        void Walk(EvaluationResults r)
        {
            if (r.IsValid) return;
            bool invalidChild = r.Details is { } details && details.Any(d => !d.IsValid);
            // A failed "not" carries no error text in JsonSchema.Net's output: it is an invalid leaf all the same.
            if (r.Errors is { Count: > 0 } || !invalidChild) set.Add(r.InstanceLocation.ToString());
            if (r.Details is { } children) foreach (EvaluationResults d in children) Walk(d);
        }
        Walk(results);
        return set;
    }

    private static readonly JsonNode?[] Pool =
    [
        -1, 0, 1, 255, 256, 65536, 2147483648, 4294967295, 4294967296, -2147483649, 9223372036854775807,
        JsonNode.Parse("9223372036854775808"), JsonNode.Parse("18446744073709551615"), JsonNode.Parse("18446744073709551616"),
        JsonNode.Parse("-9223372036854775809"), JsonNode.Parse("1.0"), JsonNode.Parse("1.5"), JsonNode.Parse("-0.5"), JsonNode.Parse("1e3"),
        // (1e400 is left out: JsonSchema.Net 7.4.0 throws on numbers beyond decimal.)
        "", "x", "/abs", "ABC", "XY", "p_b", "é😀a", "\r\n", "ab\n", "pid", "pidd", "CAP_SYS_ADMIN", "cap_chown", "fast", "1.0", true, false, null,
        new JsonArray(), new JsonArray("a"), new JsonArray(1, 2), new JsonArray("a", "a"), new JsonObject(),
        new JsonObject { ["a"] = 1 }, new JsonObject { ["name"] = "n" }, new JsonObject { ["destination"] = "/d" },
    ];

    private static IEnumerable<(JsonNode Parent, object Key)> Slots(JsonNode node)
    {
        if (node is JsonObject o)
        {
            foreach (var kv in o.ToList())
            {
                yield return (o, kv.Key);
                if (kv.Value is not null) foreach (var s in Slots(kv.Value)) yield return s;
            }
        }
        else if (node is JsonArray a)
        {
            for (int i = 0; i < a.Count; i++)
            {
                yield return (a, i);
                if (a[i] is not null) foreach (var s in Slots(a[i]!)) yield return s;
            }
        }
    }

    internal static string Mutate(string json, Random random)
    {
        JsonNode root = JsonNode.Parse(json)!;
        int count = 1 + random.Next(3);
        for (int m = 0; m < count; m++)
        {
            var slots = Slots(root).ToList();
            if (slots.Count == 0) break;
            var (parent, key) = slots[random.Next(slots.Count)];
            JsonNode? value = Pool[random.Next(Pool.Length)]?.DeepClone();
            int op = random.Next(10);
            if (parent is JsonObject o)
            {
                string name = (string)key;
                if (op == 0) o.Remove(name);
                else if (op == 1) o[name + (random.Next(2) == 0 ? "x" : "")] = value;
                else o[name] = value;
            }
            else if (parent is JsonArray a)
            {
                int i = (int)key;
                if (op == 0) a.RemoveAt(i);
                else if (op == 1) a.Add(value);
                else a[i] = value;
            }
        }
        return root.ToJsonString();
    }

    /// <summary>BERTH_DIFF_COUNT scales the number of documents (e.g. 10000 for a long run).</summary>
    private static int Scale(int count) =>
        int.TryParse(Environment.GetEnvironmentVariable("BERTH_DIFF_COUNT"), out int n) && n > 0 ? n : count;

    private void Compare(Func<string, HashSet<string>> ours, Func<string, HashSet<string>> reference, IEnumerable<string> seeds, int count, int seed)
    {
        count = Scale(count);
        var random = new Random(seed);
        var seedList = seeds.ToList();
        var failures = new List<string>();
        int invalid = 0;
        for (int n = 0; n < count; n++)
        {
            string doc = Mutate(seedList[random.Next(seedList.Count)], random);
            HashSet<string> theirs = reference(doc);
            HashSet<string> mine = ours(doc);
            if (theirs.Count > 0) invalid++;
            if (!theirs.SetEquals(mine))
            {
                failures.Add($"reference: [{string.Join(", ", theirs.Order())}] ours: [{string.Join(", ", mine.Order())}]\n  {doc}");
            }
        }
        output.WriteLine($"{count} documents, {invalid} invalid, {failures.Count} disagreements");
        Assert.True(failures.Count == 0, failures.Count + " disagreements, first ones:\n" + string.Join("\n", failures.Take(8)));
    }

    [Fact]
    public void Config_corpus_mutations_agree_with_JsonSchema_Net()
    {
        var options = Options(Directory.GetFiles(GeneratorHarness.Repo("specs"), "*.schema.json"), out var schemas);
        var seeds = Directory.GetFiles(GeneratorHarness.Repo("tests", "corpus", "valid"), "*.json").Select(File.ReadAllText).ToList();
        Compare(
            doc => CorpusTests.Parse("config", Encoding.UTF8.GetBytes(doc)).Where(d => d.Severity == Berth.Spec.SchemaSeverity.Error).Select(d => d.InstancePointer).ToHashSet(StringComparer.Ordinal),
            doc => ReferenceErrors(schemas["config.schema.json"], options, doc),
            seeds, 8000, 1234); // with state/features (2 × 500) and the sample schema (3000): 12,000 documents per default run
    }

    [Fact]
    public void State_and_features_mutations_agree_with_JsonSchema_Net()
    {
        var options = Options(Directory.GetFiles(GeneratorHarness.Repo("specs"), "*.schema.json"), out var schemas);
        foreach (var (name, folder) in new[] { ("state", "state"), ("features", "features") })
        {
            var seeds = Directory.GetFiles(GeneratorHarness.Repo("tests", "corpus", folder, "valid"), "*.json").Select(File.ReadAllText).ToList();
            Compare(
                doc => CorpusTests.Parse(name, Encoding.UTF8.GetBytes(doc)).Where(d => d.Severity == Berth.Spec.SchemaSeverity.Error).Select(d => d.InstancePointer).ToHashSet(StringComparer.Ordinal),
                doc => ReferenceErrors(schemas[name + ".schema.json"], options, doc),
                seeds, 500, 99);
        }
    }

    private const string HarnessSource = """
        namespace Test.Schemas
        {
            public static class Harness
            {
                public static System.Collections.Generic.List<string> Errors(byte[] json)
                {
                    var diagnostics = new System.Collections.Generic.List<SchemaDiagnostic>();
                    Sample.Parse(json, diagnostics);
                    var result = new System.Collections.Generic.List<string>();
                    foreach (var d in diagnostics) if (d.Severity == SchemaSeverity.Error) result.Add(d.InstancePointer);
                    return result;
                }

                public static byte[]? RoundTrip(byte[] json)
                {
                    var diagnostics = new System.Collections.Generic.List<SchemaDiagnostic>();
                    return Sample.Parse(json, diagnostics)?.ToUtf8Json(false);
                }
            }
        }
        """;

    private static Assembly? s_sample;

    internal static Assembly SampleAssembly()
    {
        if (s_sample is not null) return s_sample;
        var (compilation, diagnostics, _) = GeneratorHarness.Run([GeneratorHarness.Sample()]);
        Assert.Empty(diagnostics);
        compilation = compilation.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(HarnessSource, GeneratorHarness.ParseOptions));
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return s_sample = Assembly.Load(stream.ToArray());
    }

    internal const string SampleDocument = """
        {
          "version": "1.2", "count": 7, "big": 18446744073709551615, "offset": -9223372036854775808, "ratio": 0.5,
          "enabled": true, "kind": "pid", "labels": { "a": "b" },
          "items": [ { "name": "one", "rootfsPropagation": "x", "sizes": [1, 2] }, { "name": "two" } ],
          "tags": ["a", "b"], "env": ["A=1"], "inline": { "depth": 3, "mode": "fast" },
          "either": 5, "exactly": 2, "free": { "any": [1] }, "constant": "fixed", "notNull": 0,
          "vars": { "ABC": "x", "XY": "ab" }, "mixed": { "known": 1, "p_a": true, "other": "s" }, "combined": 50, "withRef": 6,
          "nullable": null, "anyEnum": [1], "exclusive": 0.5, "short": "é😀"
        }
        """;

    [Fact]
    public void Sample_schema_mutations_agree_with_JsonSchema_Net()
    {
        Assembly assembly = SampleAssembly();
        MethodInfo errors = assembly.GetType("Test.Schemas.Harness")!.GetMethod("Errors")!;
        string schemaPath = Path.Combine(AppContext.BaseDirectory, "TestSchemas", "sample.schema.json");
        var options = Options([schemaPath], out var schemas);
        Compare(
            doc => ((List<string>)errors.Invoke(null, [Encoding.UTF8.GetBytes(doc)])!).ToHashSet(StringComparer.Ordinal),
            doc => ReferenceErrors(schemas["sample.schema.json"], options, doc),
            [SampleDocument], 3000, 42);
    }

    [Fact]
    public void Sample_round_trips()
    {
        MethodInfo roundTrip = SampleAssembly().GetType("Test.Schemas.Harness")!.GetMethod("RoundTrip")!;
        byte[] once = (byte[])roundTrip.Invoke(null, [Encoding.UTF8.GetBytes(SampleDocument)])!;
        byte[] twice = (byte[])roundTrip.Invoke(null, [once])!;
        Assert.Equal(Encoding.UTF8.GetString(once), Encoding.UTF8.GetString(twice));
        using var a = JsonDocument.Parse(SampleDocument);
        using var b = JsonDocument.Parse(once);
        Assert.True(JsonElement.DeepEquals(a.RootElement, b.RootElement), Encoding.UTF8.GetString(once));
    }
}
