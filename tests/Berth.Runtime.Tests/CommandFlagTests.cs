using System.Text.Json;
using System.Text.RegularExpressions;

namespace Berth.Runtime.Tests;

/// <summary>
/// The binary's flags as its help states them: every flag the help says is refused is a usage error (exit 2) naming
/// it; `validate --host` validates the merged config; `validate --format json` reads YAML too; --no-subreaper is
/// refused where berth must be a subreaper. (Berth.Cli.Tests walks the tables themselves.)
/// </summary>
public partial class CommandFlagTests
{
    [GeneratedRegex(@"^   (?<names>\S.*?)  +(?<text>\S.*)$")]
    private static partial Regex HelpRow();

    /// <summary>The rows of one section of a help text: the names column (split at ", ") and the text.</summary>
    private static IEnumerable<(string[] Names, string Text)> Rows(string help, string section)
    {
        int start = help.IndexOf(section + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, help);
        foreach (string line in help[(start + section.Length + 1)..].Split('\n').TakeWhile(l => l.Length > 0))
        {
            var m = HelpRow().Match(line);
            Assert.True(m.Success, line);
            yield return (m.Groups["names"].Value.Split(", "), m.Groups["text"].Value);
        }
    }

    [Fact]
    public void Every_flag_the_help_says_is_refused_exits_2_naming_it()
    {
        string program = Harness.Run("--help").Stdout;
        var lines = new List<(string[] Prefix, string[] Names)>();
        foreach (var (names, text) in Rows(program, "GLOBAL OPTIONS:").Where(r => r.Text.Contains("; refused: ")))
            lines.Add(([], names));
        foreach (var (commands, _) in Rows(program, "COMMANDS:"))
        {
            var help = Harness.Run(commands[0], "--help");
            Assert.True(help.ExitCode == 0, help.ToString());
            foreach (var (names, _) in Rows(help.Stdout, "OPTIONS:").Where(r => r.Text.Contains("; refused: ")))
                lines.Add(([commands[0]], names));
        }
        Assert.True(lines.Count >= 5, string.Join("\n", lines.Select(l => string.Join(' ', l.Prefix.Concat(l.Names)))));
        foreach (var (prefix, names) in lines)
        {
            string[] flag = names[0].Split(' '); // "--criu value" → the flag and a value
            string[] args = prefix.Length == 0
                ? [flag[0], .. flag.Length > 1 ? ["x"] : Array.Empty<string>(), "list"]
                : [prefix[0], flag[0], .. flag.Length > 1 ? ["x"] : Array.Empty<string>(), "no-such-container"];
            var r = Harness.Run(args);
            Assert.True(r.ExitCode == 2, string.Join(' ', args) + ": " + r);
            Assert.Contains($"{flag[0]} is not supported: ", r.Stderr);
        }
    }

    [Theory]
    [InlineData("run")]
    [InlineData("exec")]
    public void No_subreaper_in_the_foreground_is_refused_naming_the_flag(string command)
    {
        string[] args = command == "run" ? ["run", "--no-subreaper", "no-such-container"] : ["exec", "--no-subreaper", "no-such-container", "true"];
        var r = Harness.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains($"{command}: --no-subreaper is not supported in the foreground", r.Stderr);
    }

    [Fact]
    public void Validate_with_host_files_checks_the_config_they_make_together()
    {
        string bundle = Harness.Bundle(Harness.BaseConfig("true"));
        string config = Path.Combine(bundle, "config.json");
        string good = Path.Combine(bundle, "good.yaml");
        File.WriteAllText(good, "hostname: from-host\n");
        var r = Harness.Run("validate", "--host", good, config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"{config}: valid", r.Stdout);

        string bad = Path.Combine(bundle, "bad.yaml");
        File.WriteAllText(bad, "linux:\n  namespaces: [pid, pid]\n");
        r = Harness.Run("validate", "--host", good, "--host", bad, config);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains($"{bad}:2:21: error BERTH0203: linux.namespaces[1].type: duplicate namespace type \"pid\"", r.Stdout);
    }

    [Fact]
    public void Validate_format_json_reads_a_yaml_config_and_gives_each_finding_its_place()
    {
        string file = Path.Combine(Harness.WorkDir, Harness.NewId("json-of-yaml") + ".yaml");
        File.WriteAllText(file, "ociVersion: 1.3.0\nroot: {path: rootfs}\nprocess: {cwd: /, args: [sh], user: '0:0'}\nlinux:\n  namespaces: [pid, pid]\n");
        var r = Harness.Run("validate", "--format", "json", file);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.DoesNotContain("not valid JSON", r.Stdout + r.Stderr);
        using var report = JsonDocument.Parse(r.Stdout);
        Assert.False(report.RootElement.GetProperty("valid").GetBoolean());
        var finding = report.RootElement.GetProperty("diagnostics").EnumerateArray().Single(d => d.GetProperty("severity").GetString() == "error");
        Assert.Equal("BERTH0203", finding.GetProperty("code").GetString());
        Assert.Equal($"{file}:5:21", finding.GetProperty("location").GetString());

        File.WriteAllText(file, "ociVersion: 1.3.0\nroot: {path: rootfs}\nprocess: {cwd: /, args: [sh], user: '0:0'}\n");
        r = Harness.Run("validate", "--format", "json", file);
        Assert.True(r.ExitCode == 0, r.ToString());
        using var valid = JsonDocument.Parse(r.Stdout);
        Assert.True(valid.RootElement.GetProperty("valid").GetBoolean());
    }

    [Fact]
    public void Every_command_answers_help_three_ways_with_the_same_text()
    {
        foreach (var (commands, _) in Rows(Harness.Run("--help").Stdout, "COMMANDS:"))
        {
            string name = commands[0];
            var texts = new[] { Harness.Run(name, "--help"), Harness.Run(name, "-h"), Harness.Run("help", name) };
            Assert.All(texts, t => Assert.True(t.ExitCode == 0, name + ": " + t));
            Assert.All(texts, t => Assert.Equal(texts[0].Stdout, t.Stdout));
            Assert.StartsWith($"NAME:\n   berth {name} - ", texts[0].Stdout);
        }
    }
}
