using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Berth.Spec.Tests;

/// <summary>
/// The published (Native AOT) <c>berth validate</c>: exit 0 on a valid config, 1 on an invalid one, and JSON output
/// that parses. The binary is $BERTH_BIN, else artifacts/bin-spec/berth or artifacts/bin/berth; when none exists
/// it is published into artifacts/bin-spec (scripts/publish.sh).
/// </summary>
public class ValidateCommandTests
{
    private static readonly Lazy<string> s_binary = new(FindOrPublish);

    private static string FindOrPublish()
    {
        if (Environment.GetEnvironmentVariable("BERTH_BIN") is { Length: > 0 } env) return env;
        foreach (string folder in new[] { "bin-spec", "bin" })
        {
            string candidate = ExternalConfigTests.Repo("artifacts", folder, "berth");
            if (File.Exists(candidate)) return candidate;
        }
        var psi = new ProcessStartInfo("bash", [ExternalConfigTests.Repo("scripts", "publish.sh")]) { WorkingDirectory = ExternalConfigTests.Repo() };
        psi.Environment["BERTH_OUT"] = ExternalConfigTests.Repo("artifacts", "bin-spec");
        var (code, output) = Run(psi);
        Assert.True(code == 0, "publish failed:\n" + output);
        return ExternalConfigTests.Repo("artifacts", "bin-spec", "berth");
    }

    private static (int Code, string Output) Run(ProcessStartInfo psi)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = System.Diagnostics.Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }

    private static (int Code, string Output) Validate(params string[] args) =>
        Run(new ProcessStartInfo(s_binary.Value, ["validate", .. args]));

    private static string Invalid()
    {
        string path = Path.Combine(Path.GetTempPath(), "berth-spec-tests-" + Environment.ProcessId + ".json");
        File.WriteAllText(path, RuleAssert.Doc(d =>
        {
            d.Namespaces().Add(new System.Text.Json.Nodes.JsonObject { ["type"] = "pid" });
            d["mounts"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["destination"] = "tmp" });
        }).ToJsonString());
        return path;
    }

    [Fact]
    public void Valid_config_exits_0()
    {
        string file = ExternalConfigTests.Repo("tests", "corpus", "external", "runc-1.1.5-spec.json");
        var (code, output) = Validate(file);
        Assert.True(code == 0, output);
        Assert.Contains(": valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_config_exits_1_with_errors_and_warnings()
    {
        var (code, output) = Validate(Invalid());
        Assert.True(code == 1, output);
        Assert.Contains("error: /linux/namespaces/3/type: duplicate namespace type \"pid\" (first at /linux/namespaces/0)", output, StringComparison.Ordinal);
        Assert.Contains("warning: /mounts/0/destination: mount destination \"tmp\" is relative", output, StringComparison.Ordinal);
        Assert.Contains("1 error(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_format_parses_and_carries_rule_findings()
    {
        var (code, output) = Validate("--format", "json", Invalid());
        Assert.Equal(1, code);
        using JsonDocument doc = JsonDocument.Parse(output);
        Assert.False(doc.RootElement.GetProperty("valid").GetBoolean());
        var findings = doc.RootElement.GetProperty("diagnostics").EnumerateArray()
            .Select(d => (d.GetProperty("severity").GetString(), d.GetProperty("pointer").GetString(), d.GetProperty("keyword").GetString()))
            .ToList();
        Assert.Equal([("warning", "/mounts/0/destination", "x-absolute-path"), ("error", "/linux/namespaces/3/type", "x-unique")], findings);

        var (validCode, validOutput) = Validate("--format", "json", ExternalConfigTests.Repo("tests", "corpus", "external", "podman-4.3.1-create.json"));
        Assert.Equal(0, validCode);
        using JsonDocument valid = JsonDocument.Parse(validOutput);
        Assert.True(valid.RootElement.GetProperty("valid").GetBoolean());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Berth_spec_output_passes_berth_validate(bool rootless)
    {
        string bundle = Path.Combine(Path.GetTempPath(), "berth-spec-tests-bundle-" + Environment.ProcessId + (rootless ? "-rootless" : ""));
        Directory.CreateDirectory(bundle);
        File.Delete(Path.Combine(bundle, "config.json"));
        string[] args = rootless ? ["spec", "--rootless", "--bundle", bundle] : ["spec", "--bundle", bundle];
        var (specCode, specOutput) = Run(new ProcessStartInfo(s_binary.Value, args));
        Assert.True(specCode == 0, specOutput);
        var (code, output) = Validate(Path.Combine(bundle, "config.json"));
        Assert.True(code == 0, output);
        Assert.DoesNotContain("warning", output, StringComparison.Ordinal);
    }
}
