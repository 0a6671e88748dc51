using System.Text.Json.Nodes;

namespace Berth.Runtime.Tests;

/// <summary>
/// Seeded fuzzing of configs and command lines (issue 11): every case ends with an exit code berth defines, no stack
/// trace and no hang; a create that fails leaves nothing behind. The seeds are fixed, so a failure is reproducible:
/// the message names the case.
/// </summary>
public class FuzzTests
{
    private const int ConfigCases = 3000;
    private const int CreateEvery = 15;   // one case in 15 is also created for real
    private const int CommandLines = 2000;

    private static void AssertDefined(BerthResult r, string what, params int[] alsoAllowed)
    {
        Assert.True(r.ExitCode is 0 or 1 or 2 || alsoAllowed.Contains(r.ExitCode), $"{what}: exit {r.ExitCode}\n{r}");
        Assert.False(r.Stderr.Contains("Unhandled exception") || r.Stderr.Contains("   at ") || r.Stderr.Contains("IO_") || r.Stderr.Contains("Arg_"),
            $"{what}: a stack trace or a raw resource key\n{r}");
    }

    // ---- configs ---------------------------------------------------------------------------------------------------

    private static readonly string[] Strings =
    [
        "", " ", "\u0000", "a\u0000b", "..", "../../..", "/", "/proc", "/dev/null", "relative/path", "-1", "true", "null",
        "SCMP_ACT_ALLOW", "CAP_SYS_ADMIN", "RLIMIT_NOFILE", "tmpfs", "bind", "rw", "ro", "rbind", "mode=0755", "size=-1",
        "ü∂ß", "\ud83d\ude00", "\t\n", new string('x', 5000), "/" + string.Join('/', Enumerable.Repeat("d", 300)),
    ];

    private static JsonNode? RandomValue(Random rng, int depth = 0) => rng.Next(12) switch
    {
        0 => null,
        1 => JsonValue.Create(rng.Next(2) == 0),
        2 => JsonValue.Create(rng.Next(5) switch { 0 => 0L, 1 => -1L, 2 => long.MaxValue, 3 => long.MinValue, _ => (long)rng.Next() }),
        3 => JsonValue.Create(rng.Next(3) switch { 0 => 1.5, 1 => -0.0, _ => 1e300 }),
        4 => JsonValue.Create(ulong.MaxValue),
        5 or 6 or 7 => JsonValue.Create(Strings[rng.Next(Strings.Length)]),
        8 => new JsonArray(),
        9 => new JsonObject(),
        10 when depth < 2 => new JsonArray(RandomValue(rng, depth + 1), RandomValue(rng, depth + 1)),
        _ when depth < 2 => new JsonObject { [Strings[rng.Next(8)] + "k"] = RandomValue(rng, depth + 1) },
        _ => JsonValue.Create("leaf"),
    };

    /// <summary>Every node of the document with how to replace or remove it.</summary>
    private static List<(JsonNode Parent, string? Key, int Index)> Places(JsonNode root)
    {
        var places = new List<(JsonNode, string?, int)>();
        void Walk(JsonNode node)
        {
            if (node is JsonObject o)
                foreach (var (k, v) in o.ToList())
                {
                    places.Add((o, k, -1));
                    if (v is not null)
                        Walk(v);
                }
            else if (node is JsonArray a)
                for (int i = 0; i < a.Count; i++)
                {
                    places.Add((a, null, i));
                    if (a[i] is { } v)
                        Walk(v);
                }
        }
        Walk(root);
        return places;
    }

    private static void Mutate(JsonObject config, Random rng, bool keepRoot)
    {
        var places = Places(config).Where(p => !keepRoot || !(p.Key == "path" && p.Parent.Parent is null)).ToList();
        if (keepRoot)
            places.RemoveAll(p => p.Parent == config && p.Key == "root" || p.Parent == config["root"]);
        var (parent, key, index) = places[rng.Next(places.Count)];
        switch (rng.Next(4))
        {
            case 0 when parent is JsonObject o:
                o.Remove(key!);
                break;
            case 0 when parent is JsonArray a:
                a.RemoveAt(index);
                break;
            case 1 when parent is JsonObject o:
                o[Strings[rng.Next(Strings.Length)] + "-extra"] = RandomValue(rng);
                break;
            case 1 when parent is JsonArray a:
                a.Add(a.Count > 0 ? a[rng.Next(a.Count)]?.DeepClone() : RandomValue(rng));
                break;
            default:
                if (parent is JsonObject obj)
                    obj[key!] = RandomValue(rng);
                else
                    ((JsonArray)parent)[index] = RandomValue(rng);
                break;
        }
    }

    [Fact]
    public void Mutated_configs_are_refused_clearly_or_run_and_failed_creates_leave_nothing()
    {
        var rng = new Random(20261206);
        string bundle = Harness.Bundle(Harness.BaseConfig("true"));
        string file = Path.Combine(bundle, "config.json");
        int created = 0;
        for (int i = 0; i < ConfigCases; i++)
        {
            bool create = i % CreateEvery == 0;
            var config = Harness.BaseConfig("true");
            for (int m = rng.Next(1, 4); m > 0; m--)
                Mutate(config, rng, keepRoot: create);
            File.WriteAllText(file, config.ToJsonString());
            string what = $"config case {i} (seed 20261206): {config.ToJsonString()[..Math.Min(2000, config.ToJsonString().Length)]}";
            AssertDefined(Harness.Run("validate", file), "validate " + what);
            if (!create)
                continue;
            string id = Harness.NewId("fuzz");
            var r = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, "run", "--bundle", bundle, id], timeoutMs: 20_000);
            AssertDefined(r, "run " + what, 125, 126, 127, 137, 139, 255);
            if (r.ExitCode == 0)
                created++;
            Assert.Equal(0, Harness.Run("delete", "--force", id).ExitCode);
            Harness.AssertNothingLeft(id);
        }
        Assert.True(created > 0, "no mutated config ran at all: the mutations are too destructive to test anything past validation");
    }

    // ---- command lines ---------------------------------------------------------------------------------------------

    private static readonly string[] Commands =
    [
        "create", "start", "run", "exec", "state", "kill", "delete", "list", "pause", "resume", "ps", "update", "events",
        "spec", "features", "validate", "plan", "compile", "diff", "schema", "checkpoint", "restore", "help", "--help", "-h",
        "--version", "", "foo", "-", "--",
    ];

    private static readonly string[] Flags =
    [
        "--log", "--log-format", "--debug", "--bundle", "-b", "--pid-file", "--console-socket", "--detach", "-d", "--force",
        "-f", "--all", "-a", "--format", "--quiet", "-q", "--tty", "-t", "--cwd", "--env", "-e", "--user", "-u", "--cap",
        "--process", "-p", "--preserve-fds", "--no-pivot", "--no-new-keyring", "--resources", "-r", "--memory", "--interval",
        "--stats", "--rootless", "--systemd-cgroup", "-o", "--host", "--host-dir", "--explain", "--diff", "--to-yaml",
        "--keep", "--additional-gids", "--cgroup", "--ignore-paused", "--cpu-quota", "--pids-limit", "--bogus", "--bundle=",
        "--log=", "-x", "--root",
    ];

    private static string[] Values(string dir, string bundle) =>
    [
        "", "0", "-1", "1", "99999999999999999999", "abc", "fuzzid", "KILL", "SIGTERM", "9", "=", "--", "text", "json",
        "table", "true", "false", "auto", "/nonexistent", dir, bundle, Path.Combine(bundle, "config.json"),
        Path.Combine(dir, "out"), "1000:1000", "CAP_KILL", "A=B", "5ms", "1h", new string('v', 5000), "../..", "ü",
    ];

    [Fact]
    public void Random_command_lines_end_with_a_defined_exit_and_nothing_left()
    {
        var rng = new Random(1206);
        string root = Path.Combine(Harness.WorkDir, "fuzz-root-" + Environment.ProcessId);
        string dir = Directory.CreateTempSubdirectory("berth-fuzz").FullName;
        string bundle = Harness.Bundle(Harness.BaseConfig("true"));
        string[] values = Values(dir, bundle);
        var ids = new HashSet<string>();
        try
        {
            for (int i = 0; i < CommandLines; i++)
            {
                var args = new List<string> { "--root", root };
                if (rng.Next(4) == 0)
                    args.Add(Flags[rng.Next(Flags.Length)]);
                string command = Commands[rng.Next(Commands.Length)];
                args.Add(command);
                for (int n = rng.Next(0, 6); n > 0; n--)
                {
                    string word = rng.Next(3) == 0 ? values[rng.Next(values.Length)] : Flags[rng.Next(Flags.Length)];
                    args.Add(word);
                    if (word.StartsWith('-') && rng.Next(2) == 0)
                        args.Add(values[rng.Next(values.Length)]);
                }
                if (rng.Next(3) > 0)
                {
                    string id = rng.Next(2) == 0 ? "fuzzid" : $"fuzz{rng.Next(5)}";
                    ids.Add(id);
                    args.Add(id);
                }
                // A container's own program sets run's and exec's exit code; exec's own errors are runc's 255; a help
                // topic berth does not have is runc's exit 3 (`berth COMMAND --help`, `berth help TOPIC`).
                int[] also = command is "run" or "exec" or "start" ? [3, 125, 126, 127, 137, 255] : [3];
                var r = Harness.Exec(Harness.Berth, args, timeoutMs: 20_000, workingDirectory: dir);
                AssertDefined(r, $"command line {i} (seed 1206): berth {string.Join(' ', args.Select(a => a.Length > 40 ? a[..40] + "…" : a))}", also);
            }
        }
        finally
        {
            foreach (string id in ids)
                Harness.Exec(Harness.Berth, ["--root", root, "delete", "--force", id]);
        }
        foreach (string id in ids)
            Harness.AssertNothingLeft(id, root);
        Directory.Delete(dir, recursive: true);
    }
}
