using System.Runtime.CompilerServices;
using Berth.Runtime;

namespace Berth.Plan.Tests;

/// <summary>
/// The plan of every config in tests/corpus/valid, printed in words, against golden/NAME.plan: a change in what berth
/// would do for any of them shows up here as a diff a person can read. BERTH_UPDATE_GOLDEN=1 rewrites the files.
/// The corpus was written for the schema, and most of its configs list no namespaces; a mount namespace is added where
/// it is missing, so that each file shows the usual plan (a container sharing berth's mount namespace is tested
/// elsewhere).
/// </summary>
public class GoldenPlanTests
{
    public static TheoryData<string> Corpus()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Corpus"), "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    private static string WithMountNamespace(string json)
    {
        var doc = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        var linux = doc["linux"] as System.Text.Json.Nodes.JsonObject ?? new System.Text.Json.Nodes.JsonObject();
        doc["linux"] = linux;
        var namespaces = linux["namespaces"] as System.Text.Json.Nodes.JsonArray ?? new System.Text.Json.Nodes.JsonArray();
        linux["namespaces"] = namespaces;
        if (!namespaces.Any(n => (string?)n?["type"] == "mount"))
            namespaces.Add(new System.Text.Json.Nodes.JsonObject { ["type"] = "mount" });
        return doc.ToJsonString();
    }

    private static string GoldenDir([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "golden");

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Plan_matches_its_golden_file(string name)
    {
        string json = WithMountNamespace(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", name + ".json")));
        string text;
        try
        {
            var plan = PlanCompiler.Compile(PlanFixture.Request(PlanFixture.Parse(json)));
            text = string.Join("\n", plan.Operations) + "\n";
        }
        catch (BerthException e)
        {
            text = "error: " + e.Message + "\n";
        }
        string golden = Path.Combine(GoldenDir(), name + ".plan");
        if (Environment.GetEnvironmentVariable("BERTH_UPDATE_GOLDEN") == "1")
            File.WriteAllText(golden, text);
        Assert.True(File.Exists(golden), $"{golden} is missing: run with BERTH_UPDATE_GOLDEN=1 once and review it");
        Assert.Equal(File.ReadAllText(golden), text);
    }
}
