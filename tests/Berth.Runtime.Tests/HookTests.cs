using System.Globalization;

namespace Berth.Runtime.Tests;

/// <summary>The six hook kinds: when each runs, in which namespaces, what it receives, and what its failure does.</summary>
public class HookTests
{
    private static JsonObject Hook(string path, params string[] args) => new()
    {
        ["path"] = path,
        ["args"] = new JsonArray(args.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
    };

    /// <summary>A hook on the host that appends its kind, its mount namespace and the state it got to a log.</summary>
    private static JsonObject LoggingHook(string log, string kind) =>
        Hook("/bin/sh", "sh", "-c", $"echo \"{kind} $(readlink /proc/self/ns/mnt) $(cat)\" >> {log}");

    private static string HostMountNs => new FileInfo("/proc/self/ns/mnt").LinkTarget!;

    [Fact]
    public void CreateContainer_hooks_run_in_the_containers_root()
    {
        // runc runs them after the mounts, before pivot_root, with the working directory at the rootfs: a hook can
        // reach the container's files by relative path (runc's hooks.bats binds a library into ./lib that way).
        string marker = "hook-cwd-" + Harness.NewId("m");
        File.WriteAllText(Path.Combine(Harness.Rootfs, marker), "");
        string log = Path.Combine(Directory.CreateTempSubdirectory("berth-hooks").FullName, "log");
        try
        {
            var config = Harness.BaseConfig("true");
            config["hooks"] = new JsonObject
            {
                ["createContainer"] = new JsonArray(Hook("/bin/sh", "sh", "-c", $"test -e ./{marker} && test -d ./proc/self && echo in-root >> {log}; pwd >> {log}")),
            };
            var r = Harness.RunContainer(config);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal(["in-root", Harness.Rootfs], File.ReadAllLines(log));
        }
        finally
        {
            File.Delete(Path.Combine(Harness.Rootfs, marker));
        }
    }

    [Fact]
    public void Every_kind_runs_at_its_point_with_the_state_on_stdin()
    {
        string shared = Directory.CreateTempSubdirectory("berth-hooks").FullName;
        string log = Path.Combine(shared, "log");
        var config = Harness.BaseConfig("sleep", "60");
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/shared", ["type"] = "bind", ["source"] = shared, ["options"] = new JsonArray("bind") });
        config["annotations"] = new JsonObject { ["org.example.note"] = "hooked" };
        config["hooks"] = new JsonObject
        {
            ["prestart"] = new JsonArray(LoggingHook(log, "prestart")),
            ["createRuntime"] = new JsonArray(LoggingHook(log, "createRuntime")),
            ["createContainer"] = new JsonArray(LoggingHook(log, "createContainer")),
            // Resolved inside the container: the rootfs's own /bin/sh, writing through the bind mount.
            ["startContainer"] = new JsonArray(Hook("/bin/sh", "sh", "-c", "echo \"startContainer $(readlink /proc/self/ns/mnt) $(cat)\" >> /shared/log")),
            ["poststart"] = new JsonArray(LoggingHook(log, "poststart")),
            ["poststop"] = new JsonArray(LoggingHook(log, "poststop")),
        };
        string id = Harness.NewId("hooks");
        var create = Harness.Run("create", "--bundle", Harness.Bundle(config), id);
        Assert.True(create.ExitCode == 0, create.ToString());
        int pid = (int)JsonNode.Parse(Harness.Run("state", id).Stdout)!["pid"]!;
        string containerMountNs = new FileInfo($"/proc/{pid}/ns/mnt").LinkTarget!;

        var lines = File.ReadAllLines(log);
        Assert.Equal(new[] { "prestart", "createRuntime", "createContainer" }, lines.Select(l => l.Split(' ')[0]));
        Assert.Equal(HostMountNs, lines[0].Split(' ')[1]);
        Assert.Equal(HostMountNs, lines[1].Split(' ')[1]);
        Assert.Equal(containerMountNs, lines[2].Split(' ')[1]);
        var state = JsonNode.Parse(lines[1][(lines[1].IndexOf('{'))..])!;
        Assert.Equal(id, (string?)state["id"]);
        Assert.Equal(pid, (int)state["pid"]!);
        Assert.Equal("creating", (string?)state["status"]);
        Assert.Equal("hooked", (string?)state["annotations"]!["org.example.note"]);

        var start = Harness.Run("start", id);
        Assert.True(start.ExitCode == 0, start.ToString());
        lines = File.ReadAllLines(log);
        Assert.Equal(new[] { "prestart", "createRuntime", "createContainer", "startContainer", "poststart" }, lines.Select(l => l.Split(' ')[0]));
        Assert.Equal(containerMountNs, lines[3].Split(' ')[1]);
        Assert.Equal(HostMountNs, lines[4].Split(' ')[1]);
        Assert.Equal("running", (string?)JsonNode.Parse(lines[4][(lines[4].IndexOf('{'))..])!["status"]);

        Assert.Equal(0, Harness.Run("delete", "--force", id).ExitCode);
        lines = File.ReadAllLines(log);
        Assert.Equal("poststop", lines[^1].Split(' ')[0]);
        Assert.Equal("stopped", (string?)JsonNode.Parse(lines[^1][(lines[^1].IndexOf('{'))..])!["status"]);
        Harness.AssertNothingLeft(id);
    }

    /// <summary>
    /// A container whose startContainer hook (in the container, after start lets the process go, before its
    /// execve) holds until /shared/go exists, giving up after 5 s and leaving /shared/gave-up.
    /// </summary>
    private static (JsonObject Config, string Shared) HeldAtStartContainer()
    {
        string shared = Directory.CreateTempSubdirectory("berth-hooks").FullName;
        var config = Harness.BaseConfig("sh", "-c", "echo ran > /shared/ran; sleep 60");
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/shared", ["type"] = "bind", ["source"] = shared, ["options"] = new JsonArray("bind") });
        config["hooks"] = new JsonObject
        {
            ["startContainer"] = new JsonArray(Hook("/bin/sh", "sh", "-c",
                "i=0; while [ ! -e /shared/go ]; do i=$((i+1)); [ $i -gt 100 ] && { : > /shared/gave-up; exit 0; }; sleep 0.05; done; echo startContainer >> /shared/log")),
        };
        return (config, shared);
    }

    [Fact]
    public void Without_poststart_or_startContainer_hooks_start_returns_without_waiting_for_the_programs_execve()
    {
        // As crun: nothing is ordered after the execve, so start does not wait for it (runc does: README). The
        // process is held by SIGSTOP where it waits for start; a start that waited for its execve would not return.
        string shared = Directory.CreateTempSubdirectory("berth-hooks").FullName;
        var config = Harness.BaseConfig("sh", "-c", "echo ran > /shared/ran; sleep 60");
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/shared", ["type"] = "bind", ["source"] = shared, ["options"] = new JsonArray("bind") });
        string id = Harness.NewId("nowait");
        Assert.Equal(0, Harness.Run("create", "--bundle", Harness.Bundle(config), id).ExitCode);
        int pid = (int)JsonNode.Parse(Harness.Run("state", id).Stdout)!["pid"]!;
        Assert.Equal(0, Harness.Exec("/bin/kill", ["-STOP", pid.ToString(CultureInfo.InvariantCulture)]).ExitCode);
        var start = Harness.Run("start", id);
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.False(File.Exists(Path.Combine(shared, "ran")));
        Assert.Equal(0, Harness.Exec("/bin/kill", ["-CONT", pid.ToString(CultureInfo.InvariantCulture)]).ExitCode);
        for (int i = 0; i < 200 && !File.Exists(Path.Combine(shared, "ran")); i++)
            Thread.Sleep(50);
        Assert.True(File.Exists(Path.Combine(shared, "ran")), "the program did not run once the process went on");
        Assert.Equal(0, Harness.Run("delete", "--force", id).ExitCode);
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void With_startContainer_hooks_start_returns_after_them()
    {
        // As runc, whose start reads the exec fifo to its end: the hook (holding until it gives up) has ended.
        var (config, shared) = HeldAtStartContainer();
        string id = Harness.NewId("waithook");
        Assert.Equal(0, Harness.Run("create", "--bundle", Harness.Bundle(config), id).ExitCode);
        var start = Harness.Run("start", id);
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.True(File.Exists(Path.Combine(shared, "gave-up")), "start returned while the startContainer hook ran");
        Assert.Equal(0, Harness.Run("delete", "--force", id).ExitCode);
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void With_poststart_hooks_start_waits_for_the_programs_execve_first()
    {
        // The spec orders poststart after the program is executed: start waits for the process's execve, so the
        // startContainer hook (before it) has finished — here by giving up — when poststart runs.
        var (config, shared) = HeldAtStartContainer();
        config["hooks"]!["poststart"] = new JsonArray(Hook("/bin/sh", "sh", "-c", $"echo poststart >> {shared}/log"));
        string id = Harness.NewId("wait");
        Assert.Equal(0, Harness.Run("create", "--bundle", Harness.Bundle(config), id).ExitCode);
        var start = Harness.Run("start", id);
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.True(File.Exists(Path.Combine(shared, "gave-up")), "poststart ran before the startContainer hook ended");
        Assert.Equal(["poststart"], File.ReadAllLines(Path.Combine(shared, "log")));
        Assert.Equal(0, Harness.Run("delete", "--force", id).ExitCode);
        Harness.AssertNothingLeft(id);
    }

    [Theory]
    [InlineData("createRuntime", "exited with status 3")]
    [InlineData("createContainer", "exited with status 3")]
    [InlineData("prestart", "exited with status 3")]
    public void A_failing_hook_before_start_tears_everything_down(string kind, string expected)
    {
        var config = Harness.BaseConfig("true");
        config["hooks"] = new JsonObject { [kind] = new JsonArray(Hook("/bin/sh", "sh", "-c", "exit 3")) };
        Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "hookfail", $"hooks.{kind}[0]", expected, "error running hook #0: ");
    }

    [Fact]
    public void A_hook_that_times_out_is_killed_and_reported()
    {
        var config = Harness.BaseConfig("true");
        var hook = Hook("/bin/sh", "sh", "-c", "sleep 30");
        hook["timeout"] = 1;
        config["hooks"] = new JsonObject { ["createRuntime"] = new JsonArray(hook) };
        string id = Harness.NewId("hooktimeout");
        var started = DateTime.UtcNow;
        var r = Harness.Run("create", "--bundle", Harness.Bundle(config), id);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("timed out after 1 s", r.Stderr);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void A_missing_hook_is_an_error()
    {
        var config = Harness.BaseConfig("true");
        config["hooks"] = new JsonObject { ["createRuntime"] = new JsonArray(Hook("/no/such/hook")) };
        Harness.AssertFailsLeavingNothing("run", Harness.Bundle(config), "hookmissing", "/no/such/hook");
    }

    [Fact]
    public void A_failing_poststart_hook_is_an_error_and_stops_the_container()
    {
        var config = Harness.BaseConfig("sleep", "60");
        config["hooks"] = new JsonObject { ["poststart"] = new JsonArray(Hook("/bin/sh", "sh", "-c", "exit 4")) };
        string id = Harness.NewId("poststart");
        Assert.Equal(0, Harness.Run("create", "--bundle", Harness.Bundle(config), id).ExitCode);
        var r = Harness.Run("start", id);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("hooks.poststart[0]", r.Stderr);
        Assert.Equal("stopped", (string?)JsonNode.Parse(Harness.Run("state", id).Stdout)!["status"]);
        Assert.Equal(0, Harness.Run("delete", id).ExitCode);
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void A_failing_poststop_hook_is_only_a_warning()
    {
        string marker = Path.Combine(Harness.WorkDir, Harness.NewId("poststop"));
        var config = Harness.BaseConfig("true");
        config["hooks"] = new JsonObject
        {
            ["poststop"] = new JsonArray(Hook("/bin/sh", "sh", "-c", "exit 5"), Hook("/bin/sh", "sh", "-c", $"touch {marker}")),
        };
        string id = Harness.NewId("poststop");
        var r = Harness.Run("run", "--bundle", Harness.Bundle(config), id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("warning", r.Stderr);
        Assert.Contains("hooks.poststop[0]", r.Stderr);
        Assert.True(File.Exists(marker), "the poststop hook after the failing one did not run");
        Harness.AssertNothingLeft(id);
    }
}
