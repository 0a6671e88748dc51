using System.Diagnostics;

namespace Berth.Runtime.Tests;

/// <summary>
/// Attacks on the state root and on the bundle's files: ROOT/ID planted as a symlink to a host directory, damaged
/// state directories, a state.json that names another container, ids that climb out of the root, and config files
/// that are FIFOs. berth must say "does not exist" or refuse with one clear sentence (exit 1), never follow a link
/// out of ROOT/ID, never crash with an unhandled exception and never block.
/// </summary>
public class StateRootAttackTests
{
    /// <summary>Long enough for a slow machine, short enough that a blocked berth fails the test rather than the run.</summary>
    private const int TimeoutMs = 20_000;

    private static string NewDir(string prefix)
    {
        string dir = Path.Combine(Harness.WorkDir, Harness.NewId(prefix));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static BerthResult Berth(string root, params string[] args) =>
        Harness.Exec(Harness.Berth, ["--root", root, .. args], timeoutMs: TimeoutMs);

    /// <summary>A state.json that berth would take for its own: a container being created (no pid yet).</summary>
    private static string StateFor(string id, int pid = 0, ulong startTime = 0) =>
        new JsonObject
        {
            ["id"] = id, ["bundle"] = "/nonexistent", ["rootfs"] = "/nonexistent/rootfs", ["ociVersion"] = "1.3.0",
            ["pid"] = pid, ["pidStartTime"] = startTime, ["created"] = "2026-01-01T00:00:00Z",
            ["annotations"] = new JsonObject(), ["createdCgroups"] = new JsonArray(), ["cgroups"] = new JsonArray(),
            ["sources"] = new JsonArray(),
        }.ToJsonString();

    /// <summary>A directory standing for a host directory, holding files with the names berth keeps in a state directory.</summary>
    private sealed class Canary
    {
        private readonly Dictionary<string, string> _files = new();

        public string Dir { get; } = NewDir("canary");

        public Canary(string stateJson)
        {
            Write("state.json", stateJson);
            Write("config.json", "{\"canary\": true}\n");
            Write("exec.fifo", "a regular file, not a fifo\n");
            Write("keep", "host data\n");
        }

        private void Write(string name, string content)
        {
            File.WriteAllText(Path.Combine(Dir, name), content);
            _files[name] = content;
        }

        public string PathOf(string name) => Path.Combine(Dir, name);

        public void AssertIntact(BerthResult r)
        {
            Assert.True(Directory.Exists(Dir), $"the canary directory {Dir} was removed\n{r}");
            Assert.Equal(_files.Keys.Order(StringComparer.Ordinal), Directory.EnumerateFileSystemEntries(Dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            foreach (var (name, content) in _files)
                Assert.True(File.ReadAllText(PathOf(name)) == content, $"canary file {name} was changed\n{r}");
        }
    }

    /// <summary>Exit 0 or 1 as expected, no crash, and "does not exist" when it fails.</summary>
    private static void AssertDoesNotExist(BerthResult r, int expectedExit)
    {
        Assert.True(r.ExitCode == expectedExit, r.ToString());
        Assert.DoesNotContain("Unhandled exception", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        if (expectedExit != 0)
            Assert.Contains("does not exist", r.Stderr);
    }

    /// <summary>Every command that names a container, with the exit code it must have for one that does not exist.</summary>
    private static readonly (string[] Args, int Exit)[] Commands =
    [
        (["delete"], 1), (["delete", "--force"], 0), (["state"], 1), (["kill"], 1), (["ps"], 1),
        (["pause"], 1), (["resume"], 1), (["start"], 1), (["exec"], 255),
    ];

    private static string[] CommandLine(string[] args, string id) => args[0] switch
    {
        "kill" => ["kill", id, "KILL"],
        "exec" => ["exec", id, "true"],
        _ => [.. args, id],
    };

    public static TheoryData<string, bool> CommandsWithCanaryState()
    {
        var data = new TheoryData<string, bool>();
        foreach (var (args, _) in Commands)
        {
            data.Add(string.Join(' ', args), false);
            data.Add(string.Join(' ', args), true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CommandsWithCanaryState))]
    public void A_symlink_planted_as_the_state_directory_is_never_followed(string command, bool validState)
    {
        string root = NewDir("symroot");
        string id = "planted";
        var canary = new Canary(validState ? StateFor(id) : "garbage, not berth's\n");
        File.CreateSymbolicLink(Path.Combine(root, id), canary.Dir);
        var (args, exit) = Commands.Single(c => string.Join(' ', c.Args) == command);

        var r = Berth(root, CommandLine(args, id));

        AssertDoesNotExist(r, exit);
        canary.AssertIntact(r);
    }

    [Fact]
    public void List_skips_whatever_is_not_a_state_directory()
    {
        string root = NewDir("listroot");
        var canary = new Canary(StateFor("link"));
        File.CreateSymbolicLink(Path.Combine(root, "link"), canary.Dir);
        File.WriteAllText(Path.Combine(root, "file"), StateFor("file"));
        Directory.CreateDirectory(Path.Combine(root, "garbage"));
        File.WriteAllText(Path.Combine(root, "garbage", "state.json"), "{\"id\":");
        Directory.CreateDirectory(Path.Combine(root, "fifo"));
        Assert.Equal(0, Harness.Exec("mkfifo", [Path.Combine(root, "fifo", "state.json")]).ExitCode);
        Directory.CreateDirectory(Path.Combine(root, "other"));
        File.WriteAllText(Path.Combine(root, "other", "state.json"), StateFor("someone-else"));
        Directory.CreateDirectory(Path.Combine(root, "bad id"));
        File.WriteAllText(Path.Combine(root, "bad id", "state.json"), StateFor("bad id"));

        foreach (string[] args in new[] { new[] { "list" }, ["list", "--format", "json"], ["list", "--quiet"] })
        {
            var r = Berth(root, args);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.DoesNotContain("Unhandled exception", r.Stderr);
            foreach (string name in new[] { "link", "file", "garbage", "fifo", "other", "someone-else", "bad id" })
                Assert.DoesNotContain(name, r.Stdout);
        }
        canary.AssertIntact(new BerthResult(0, "", "list"));
    }

    /// <summary>How a state directory can be damaged or not be berth's; each is set up in ROOT/ID.</summary>
    public static TheoryData<string> DamagedKinds() =>
        ["no state.json", "empty state.json", "garbage state.json", "state.json with a null id", "fifo state.json",
         "state.json is a directory", "state.json links out", "ID is a regular file", "ID is a fifo"];

    private static void MakeDamaged(string root, string id, string kind, Canary canary)
    {
        string dir = Path.Combine(root, id);
        string state = Path.Combine(dir, "state.json");
        if (kind == "ID is a regular file")
        {
            File.WriteAllText(dir, StateFor(id));
            return;
        }
        if (kind == "ID is a fifo")
        {
            Assert.Equal(0, Harness.Exec("mkfifo", [dir]).ExitCode);
            return;
        }
        Directory.CreateDirectory(dir);
        switch (kind)
        {
            case "empty state.json": File.WriteAllText(state, ""); break;
            case "garbage state.json": File.WriteAllText(state, "{\"id\": [1, 2"); break;
            case "state.json with a null id": File.WriteAllText(state, StateFor(id).Replace($"\"{id}\"", "null")); break;
            case "fifo state.json": Assert.Equal(0, Harness.Exec("mkfifo", [state]).ExitCode); break;
            case "state.json is a directory": Directory.CreateDirectory(state); break;
            case "state.json links out": File.CreateSymbolicLink(state, canary.PathOf("state.json")); break;
        }
        File.CreateSymbolicLink(Path.Combine(dir, "config.json"), canary.PathOf("config.json"));
    }

    [Theory]
    [MemberData(nameof(DamagedKinds))]
    public void A_damaged_state_directory_does_not_exist_and_delete_force_removes_only_it(string kind)
    {
        string root = NewDir("damaged");
        string id = "damaged";
        var canary = new Canary(StateFor(id));
        MakeDamaged(root, id, kind, canary);

        foreach (var (args, exit) in Commands.Where(c => c.Args[0] != "delete"))
        {
            var r = Berth(root, CommandLine(args, id));
            AssertDoesNotExist(r, exit);
            canary.AssertIntact(r);
        }
        var list = Berth(root, "list", "--quiet");
        Assert.True(list.ExitCode == 0 && !list.Stdout.Contains(id), list.ToString());

        var delete = Berth(root, "delete", "--force", id);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.DoesNotContain("Unhandled exception", delete.Stderr);
        canary.AssertIntact(delete);
        // A directory in the root is berth's (a create killed half-way): it goes. Anything else is left alone.
        if (!kind.StartsWith("ID is", StringComparison.Ordinal))
            Assert.False(Path.Exists(Path.Combine(root, id)), $"{kind}: the damaged state directory is left\n{delete}");
    }

    [Theory]
    [InlineData("../{canary}")]
    [InlineData("{victim}")]
    public void A_state_json_naming_another_container_does_not_make_delete_remove_that_one(string recordedId)
    {
        string root = NewDir("otherid");
        var canary = new Canary(StateFor("x"));
        string victim = Path.Combine(root, "victim");
        Directory.CreateDirectory(victim);
        File.WriteAllText(Path.Combine(victim, "state.json"), StateFor("victim"));
        string id = recordedId.Replace("{canary}", Path.GetFileName(canary.Dir)).Replace("{victim}", "victim");
        Directory.CreateDirectory(Path.Combine(root, "liar"));
        File.WriteAllText(Path.Combine(root, "liar", "state.json"), StateFor(id));

        foreach (string[] args in new[] { new[] { "delete", "liar" }, ["delete", "--force", "liar"] })
        {
            var r = Berth(root, args);
            Assert.True(r.ExitCode is 0 or 1, r.ToString());
            Assert.DoesNotContain("Unhandled exception", r.Stderr);
            canary.AssertIntact(r);
            Assert.True(File.ReadAllText(Path.Combine(victim, "state.json")) == StateFor("victim"), $"another container's state was touched\n{r}");
        }
        Assert.False(Path.Exists(Path.Combine(root, "liar")), "the lying state directory is left");
    }

    [Fact]
    public void Start_does_not_follow_an_exec_fifo_that_links_out_of_the_state_directory()
    {
        string root = NewDir("fifolink");
        var canary = new Canary(StateFor("x"));
        string id = "created";
        // A live process stands for the container's, so that the directory reads as a created container.
        using var sleeper = Process.Start("sleep", "60");
        try
        {
            string stat = File.ReadAllText($"/proc/{sleeper.Id}/stat");
            ulong start = ulong.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]);
            string dir = Path.Combine(root, id);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "state.json"), StateFor(id, sleeper.Id, start));
            File.CreateSymbolicLink(Path.Combine(dir, "exec.fifo"), canary.PathOf("exec.fifo"));

            var r = Berth(root, "start", id);
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.DoesNotContain("Unhandled exception", r.Stderr);
            Assert.Contains(id, r.Stderr);
            canary.AssertIntact(r);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    public static TheoryData<string, string> CommandsWithBadIds()
    {
        var data = new TheoryData<string, string>();
        foreach (string command in new[] { "create", "run", "start", "state", "kill", "delete", "delete --force", "pause", "resume", "ps", "exec" })
            foreach (string id in new[] { "a/b", "../x", "..", ".", "", "x\n", "x y", "/abs" })
                data.Add(command, id);
        return data;
    }

    [Theory]
    [MemberData(nameof(CommandsWithBadIds))]
    public void Every_command_refuses_an_invalid_id_with_one_message(string command, string id)
    {
        string root = NewDir("badid");
        string[] args = command switch
        {
            "create" or "run" => [command, "--bundle", Harness.Bundle(Harness.BaseConfig("true")), id],
            "kill" => ["kill", id, "KILL"],
            "exec" => ["exec", id, "true"],
            _ => [.. command.Split(' '), id],
        };
        var r = Berth(root, args);
        // exec's own errors exit 255, as runc's do.
        Assert.True(r.ExitCode == (command == "exec" ? 255 : 1), r.ToString());
        Assert.Contains("invalid container id " + JsonValue.Create(id).ToJsonString(), r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    [Fact]
    public void A_relative_id_cannot_reach_a_container_of_another_root()
    {
        string rootA = NewDir("roota");
        string rootB = NewDir("rootb");
        string victim = Harness.NewId("victim");
        var run = Harness.RunWithRoot(rootB, "run", "--detach", "--bundle", Harness.Bundle(Harness.BaseConfig("sleep", "60")), victim);
        Assert.True(run.ExitCode == 0, run.ToString());
        try
        {
            string climbing = $"../{Path.GetFileName(rootB)}/{victim}";
            foreach (string[] args in new[] { new[] { "kill", climbing, "KILL" }, ["kill", "--all", climbing, "KILL"], ["state", climbing], ["ps", climbing], ["delete", "--force", climbing] })
            {
                var r = Berth(rootA, args);
                Assert.True(r.ExitCode == 1, r.ToString());
                Assert.Contains("invalid container id", r.Stderr);
            }
            Thread.Sleep(100);
            var state = Harness.RunWithRoot(rootB, "state", victim);
            Assert.True(state.ExitCode == 0, state.ToString());
            Assert.Equal("running", (string?)JsonNode.Parse(state.Stdout)!["status"]);
        }
        finally
        {
            Harness.RunWithRoot(rootB, "delete", "--force", victim);
        }
        Harness.AssertNothingLeft(victim, rootB);
    }

    [Theory]
    [InlineData("config.json", "fifo")]
    [InlineData("config.yaml", "fifo")]
    [InlineData("host.yaml", "fifo")]
    [InlineData("config.json", "directory")]
    public void A_config_file_that_is_not_a_regular_file_is_an_error_naming_it_without_blocking(string name, string kind)
    {
        string bundle = NewDir("fifobundle");
        string path = Path.Combine(bundle, name);
        if (name == "host.yaml")
            File.WriteAllText(Path.Combine(bundle, "config.json"), Harness.BaseConfig("true").ToJsonString());
        if (kind == "fifo")
            Assert.Equal(0, Harness.Exec("mkfifo", [path]).ExitCode);
        else
            Directory.CreateDirectory(path);
        string root = NewDir("fiforoot");
        string id = Harness.NewId("fifo");
        string[] host = name == "host.yaml" ? ["--host", path] : [];

        var clock = Stopwatch.StartNew();
        var r = Berth(root, ["create", "--bundle", bundle, .. host, id]);
        clock.Stop();

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains(path, r.Stderr);
        Assert.Contains("not a regular file", r.Stderr);
        Assert.DoesNotContain("Unhandled exception", r.Stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"berth took {clock.Elapsed} to refuse a {kind}");
        Harness.AssertNothingLeft(id, root);
    }
}
