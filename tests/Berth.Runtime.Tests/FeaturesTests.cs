namespace Berth.Runtime.Tests;

/// <summary>`berth features` is a valid OCI features document and tells the truth about what berth applies.</summary>
public class FeaturesTests
{
    [Fact]
    public void Features_output_is_valid_against_the_features_schema()
    {
        var r = Harness.Exec(Harness.Berth, ["features"]);
        Assert.Equal(0, r.ExitCode);
        var diagnostics = new List<Berth.Spec.SchemaDiagnostic>();
        var features = Berth.Spec.Features.Parse(System.Text.Encoding.UTF8.GetBytes(r.Stdout), diagnostics);
        Assert.NotNull(features);
        Assert.DoesNotContain(diagnostics, d => d.Severity == Berth.Spec.SchemaSeverity.Error);
        var json = JsonNode.Parse(r.Stdout)!;
        Assert.Equal("1.3.0", (string?)json["ociVersionMax"]);
        Assert.True((bool)json["linux"]!["seccomp"]!["enabled"]!);
        Assert.False((bool)json["linux"]!["apparmor"]!["enabled"]!);
        Assert.Contains("createContainer", json["hooks"]!.AsArray().Select(h => (string?)h));
    }

    [Fact]
    public void Spec_writes_a_config_that_runs()
    {
        string bundle = Path.Combine(Harness.WorkDir, Harness.NewId("spec"));
        Assert.Equal(0, Harness.Exec(Harness.Berth, ["spec", "--bundle", bundle]).ExitCode);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!.AsObject();
        // runc 1.1.5's namespaces, no cgroup one: scripts written for runc add it themselves.
        Assert.Equal(["pid", "network", "ipc", "uts", "mount"], config["linux"]!["namespaces"]!.AsArray().Select(n => (string)n!["type"]!));
        config["root"]!["path"] = Harness.Rootfs;
        config["root"]!["readonly"] = true;
        config["process"]!["terminal"] = false;
        config["process"]!["args"] = new JsonArray("sh", "-c", "echo spec-ok; hostname");
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("spec-ok\nberth\n", r.Stdout);
    }
}
