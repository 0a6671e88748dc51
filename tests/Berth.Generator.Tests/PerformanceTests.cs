using System.Diagnostics;
using System.Text.Json.Nodes;
using Json.Schema;
using Xunit;
using Xunit.Abstractions;

namespace Berth.Generator.Tests;

/// <summary>A smoke measurement (the real benchmark lives in benchmarks/): generated read+validate vs JsonSchema.Net.</summary>
public class PerformanceTests(ITestOutputHelper output)
{
    [Fact]
    public void Generated_reader_is_much_faster_than_JsonSchema_Net()
    {
        string path = Directory.GetFiles(GeneratorHarness.Repo("tests", "corpus", "valid"), "*.json")
            .OrderBy(f => Math.Abs(new FileInfo(f).Length - 3000)).First();
        byte[] json = File.ReadAllBytes(path);
        string text = File.ReadAllText(path);

        var options = new EvaluationOptions { OutputFormat = OutputFormat.List };
        JsonSchema? config = null;
        foreach (string file in Directory.GetFiles(GeneratorHarness.Repo("specs"), "*.schema.json"))
        {
            JsonSchema schema = JsonSchema.FromText(File.ReadAllText(file));
            options.SchemaRegistry.Register(schema);
            if (file.EndsWith("config.schema.json", StringComparison.Ordinal)) config = schema;
        }

        double Measure(Action action, int iterations)
        {
            for (int i = 0; i < iterations / 10 + 1; i++) action();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++) action();
            return sw.Elapsed.TotalMicroseconds / iterations;
        }

        var diagnostics = new List<Berth.Spec.SchemaDiagnostic>();
        double ours = Measure(() => { diagnostics.Clear(); _ = Berth.Spec.Spec.Parse(json, diagnostics); }, 20000);
        double theirs = Measure(() => config!.Evaluate(JsonNode.Parse(text), options), 500);
        output.WriteLine($"{Path.GetFileName(path)} ({json.Length} bytes): generated {ours:F2} µs, JsonSchema.Net {theirs:F1} µs, ratio {theirs / ours:F0}x");
        Assert.True(theirs / ours > 5, $"generated {ours:F2} µs vs JsonSchema.Net {theirs:F1} µs");
    }
}
