namespace Berth.Runtime.Tests;

/// <summary>create, start, state, kill, delete and list, seen from outside, plus every error case leaving nothing behind.</summary>
public class LifecycleTests
{
    private static JsonObject State(string id)
    {
        var r = Harness.Run("state", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonNode.Parse(r.Stdout)!.AsObject();
    }

    private static void WaitForStatus(string id, string status)
    {
        for (int i = 0; i < 500; i++)
        {
            if ((string?)State(id)["status"] == status)
                return;
            Thread.Sleep(10);
        }
        Assert.Fail($"container {id} never became {status}; it is {State(id)["status"]}");
    }

    [Fact]
    public void Create_start_kill_delete_walks_through_every_status()
    {
        string shared = Directory.CreateTempSubdirectory("berth-life").FullName;
        string marker = Path.Combine(shared, "started");
        var config = Harness.BaseConfig("sh", "-c", "touch /shared/started; exec sleep 60");
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/shared", ["type"] = "bind", ["source"] = shared, ["options"] = new JsonArray("bind") });
        string bundle = Harness.Bundle(config);
        string id = Harness.NewId("life");
        string pidFile = marker + ".pid";

        var create = Harness.Run("create", "--bundle", bundle, "--pid-file", pidFile, id);
        Assert.True(create.ExitCode == 0, create.ToString());
        var state = State(id);
        Assert.Equal("created", (string?)state["status"]);
        Assert.Equal(id, (string?)state["id"]);
        Assert.Equal(bundle, (string?)state["bundle"]);
        int pid = (int)state["pid"]!;
        Assert.Equal(pid.ToString(), File.ReadAllText(pidFile));
        // Created means set up but not started: the user's program has not run yet.
        Thread.Sleep(100);
        Assert.False(File.Exists(marker), "the program ran before start");

        var start = Harness.Run("start", id);
        Assert.True(start.ExitCode == 0, start.ToString());
        WaitForStatus(id, "running");
        Assert.Equal(pid, (int)State(id)["pid"]!);
        for (int i = 0; i < 500 && !File.Exists(marker); i++)
            Thread.Sleep(10);
        Assert.True(File.Exists(marker), "the program did not run after start");

        var secondStart = Harness.Run("start", id);
        Assert.Equal(1, secondStart.ExitCode);
        Assert.Contains("running", secondStart.Stderr);

        var deleteRunning = Harness.Run("delete", id);
        Assert.Equal(1, deleteRunning.ExitCode);
        Assert.Contains("running", deleteRunning.Stderr);

        var list = Harness.Run("list", "--format", "json");
        Assert.Contains(JsonNode.Parse(list.Stdout)!.AsArray(), c => (string?)c!["id"] == id && (string?)c["status"] == "running");

        var kill = Harness.Run("kill", id, "KILL");
        Assert.True(kill.ExitCode == 0, kill.ToString());
        WaitForStatus(id, "stopped");

        var killStopped = Harness.Run("kill", id, "TERM");
        Assert.Equal(1, killStopped.ExitCode);
        Assert.Contains("not running", killStopped.Stderr);

        var delete = Harness.Run("delete", id);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Harness.AssertNothingLeft(id);
        Assert.Equal(1, Harness.Run("state", id).ExitCode);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("SIGTERM")]
    [InlineData("15")]
    public void Kill_accepts_names_with_and_without_SIG_and_numbers(string signal)
    {
        string id = Harness.NewId("sig");
        // pid 1 of a pid namespace ignores signals it has no handler for: give TERM one.
        var config = Harness.BaseConfig("sh", "-c", "trap 'exit 0' TERM; sleep 60 & wait");
        Assert.Equal(0, Harness.Run("create", "--bundle", Harness.Bundle(config), id).ExitCode);
        Assert.Equal(0, Harness.Run("start", id).ExitCode);
        WaitForStatus(id, "running");
        Thread.Sleep(100); // let the shell install its trap
        var r = Harness.Run("kill", id, signal);
        Assert.True(r.ExitCode == 0, r.ToString());
        WaitForStatus(id, "stopped");
        Assert.Equal(0, Harness.Run("delete", id).ExitCode);
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void Delete_force_kills_a_running_container_and_a_missing_one_is_fine()
    {
        string id = Harness.NewId("force");
        Assert.Equal(0, Harness.Run("run", "--detach", "--bundle", Harness.Bundle(Harness.BaseConfig("sleep", "60")), id).ExitCode);
        int pid = (int)State(id)["pid"]!;
        Assert.Equal("running", (string?)State(id)["status"]);
        var r = Harness.Run("delete", "--force", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(IsGone(pid), "the container's process survived delete --force");
        Harness.AssertNothingLeft(id);
        Assert.Equal(0, Harness.Run("delete", "--force", id).ExitCode);
        Assert.Equal(1, Harness.Run("delete", id).ExitCode);
    }

    [Fact]
    public void Delete_of_a_created_container_removes_it()
    {
        string id = Harness.NewId("created");
        Assert.Equal(0, Harness.Run("create", "--bundle", Harness.Bundle(Harness.BaseConfig("true")), id).ExitCode);
        int pid = (int)State(id)["pid"]!;
        var r = Harness.Run("delete", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Harness.AssertNothingLeft(id);
        Assert.True(IsGone(pid), $"process {pid} survived delete");
    }

    /// <summary>Gone, or a zombie waiting for whoever inherited it to reap it.</summary>
    private static bool IsGone(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    [Fact]
    public void A_duplicate_id_is_refused_and_the_first_container_is_untouched()
    {
        string id = Harness.NewId("dup");
        string bundle = Harness.Bundle(Harness.BaseConfig("sleep", "60"));
        Assert.Equal(0, Harness.Run("create", "--bundle", bundle, id).ExitCode);
        try
        {
            var r = Harness.Run("create", "--bundle", bundle, id);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("already exists", r.Stderr);
            Assert.Equal("created", (string?)State(id)["status"]);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
        Harness.AssertNothingLeft(id);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("../escape")]
    public void An_id_with_a_slash_or_dot_dot_is_refused(string id)
    {
        var r = Harness.Run("create", "--bundle", Harness.Bundle(Harness.BaseConfig("true")), id);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("invalid container id", r.Stderr);
        Assert.False(Directory.Exists(Path.GetFullPath(Path.Combine(Harness.StateRoot, id))) && id != "..");
    }

    [Fact]
    public void A_missing_rootfs_is_an_error_that_leaves_nothing()
    {
        var config = Harness.BaseConfig("true");
        config["root"]!["path"] = "/nonexistent/rootfs";
        Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "norootfs", "root.path", "/nonexistent/rootfs");
    }

    [Fact]
    public void A_config_that_fails_validation_names_the_fields_and_leaves_nothing()
    {
        var config = Harness.BaseConfig("true");
        config["process"]!["user"]!["uid"] = -1;
        config["linux"]!["namespaces"]!.AsArray().Add(new JsonObject { ["type"] = "pidd" });
        Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "badconfig", "/process/user/uid", "/linux/namespaces/5/type");
    }

    [Fact]
    public void A_failing_mount_names_the_operation_and_the_field_and_leaves_nothing()
    {
        var config = Harness.BaseConfig("true");
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/broken", ["type"] = "no-such-fs", ["source"] = "none" });
        Harness.AssertFailsLeavingNothing("run", Harness.Bundle(config), "badmount", "mounts[6]", "no-such-fs", "(ENODEV)");
    }

    [Fact]
    public void State_of_a_missing_container_fails()
    {
        var r = Harness.Run("state", "never-created");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("does not exist", r.Stderr);
    }

    [Fact]
    public void Unknown_commands_and_flags_are_usage_errors()
    {
        Assert.Equal(2, Harness.Run("frobnicate").ExitCode);
        Assert.Equal(2, Harness.Run("create", "--no-such-flag", "x").ExitCode);
    }

    [Fact]
    public void Version_names_berth_the_runc_it_stands_in_for_the_commit_and_the_spec_in_runcs_lines()
    {
        foreach (string flag in new[] { "--version", "-v" })
        {
            var r = Harness.Exec(Harness.Berth, [flag]);
            Assert.Equal(0, r.ExitCode);
            Assert.Matches(@"^berth version \d+\.\d+\.\d+, a drop-in for runc version 1\.1\.5\ncommit: \S+\nspec: 1\.3\.0\n$", r.Stdout);
        }
    }

    [Fact]
    public void Json_log_gets_the_error_as_runc_writes_it()
    {
        string log = Path.Combine(Harness.WorkDir, Harness.NewId("log") + ".json");
        var r = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, "--log", log, "--log-format", "json", "state", "missing-one"]);
        Assert.Equal(1, r.ExitCode);
        var line = JsonNode.Parse(File.ReadAllLines(log)[0])!;
        Assert.Equal("error", (string?)line["level"]);
        Assert.Contains("does not exist", (string?)line["msg"]);
        Assert.NotNull(line["time"]);
    }

    [Fact]
    public void The_state_root_is_configurable_for_unprivileged_users()
    {
        string root = Path.Combine(Harness.WorkDir, Harness.NewId("altroot"));
        string id = Harness.NewId("alt");
        var r = Harness.RunWithRoot(root, "run", "--bundle", Harness.Bundle(Harness.BaseConfig("true")), "--keep", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(root, id, "state.json")));
        Assert.True(File.Exists(Path.Combine(root, id, "config.json")), "the config that ran is recorded");
        Assert.Equal("stopped", (string?)JsonNode.Parse(Harness.RunWithRoot(root, "state", id).Stdout)!["status"]);
        Assert.Equal(0, Harness.RunWithRoot(root, "delete", id).ExitCode);
        Harness.AssertNothingLeft(id, root);
    }

    [Fact]
    public async Task Two_deletes_at_once_do_not_trip_over_each_other()
    {
        string id = Harness.NewId("race");
        Assert.Equal(0, Harness.Run("run", "--detach", "--bundle", Harness.Bundle(Harness.BaseConfig("sleep", "60")), id).ExitCode);
        var a = Task.Run(() => Harness.Run("delete", "--force", id));
        var b = Task.Run(() => Harness.Run("delete", "--force", id));
        Assert.Equal(0, (await a).ExitCode);
        Assert.Equal(0, (await b).ExitCode);
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void A_recorded_pid_now_used_by_another_process_is_never_signalled()
    {
        // The container stops; then its recorded pid is pointed at a live process that is not the container (this
        // test's own shell child), as if the pid had been reused. berth must see "stopped" and signal nothing.
        string id = Harness.NewId("reuse");
        Assert.Equal(0, Harness.Run("run", "--detach", "--bundle", Harness.Bundle(Harness.BaseConfig("sleep", "60")), id).ExitCode);
        Assert.Equal(0, Harness.Run("kill", id, "KILL").ExitCode);
        WaitForStatus(id, "stopped");
        using var bystander = System.Diagnostics.Process.Start("sleep", "30");
        try
        {
            string statePath = Path.Combine(Harness.StateRoot, id, "state.json");
            var record = JsonNode.Parse(File.ReadAllText(statePath))!;
            record["pid"] = bystander.Id;
            File.WriteAllText(statePath, record.ToJsonString());
            Assert.Equal("stopped", (string?)State(id)["status"]);
            var kill = Harness.Run("kill", id, "KILL");
            Assert.Equal(1, kill.ExitCode);
            Thread.Sleep(100);
            Assert.False(bystander.HasExited, "berth signalled a process that was not the container");
        }
        finally
        {
            bystander.Kill();
            Harness.Run("delete", "--force", id);
        }
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void Preserve_fds_passes_extra_descriptors_through()
    {
        string file = Path.Combine(Harness.WorkDir, Harness.NewId("fd3"));
        File.WriteAllText(file, "through fd 3\n");
        string bundle = Harness.Bundle(Harness.BaseConfig("sh", "-c", "cat <&3 || exit 9"));
        string id = Harness.NewId("fds");
        var r = Harness.Exec("sh", ["-c", $"exec 3<{file}; exec \"$0\" --root {Harness.StateRoot} run --preserve-fds 1 --bundle {bundle} {id}", Harness.Berth]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith("through fd 3\n", r.Stdout);
        var without = Harness.Exec("sh", ["-c", $"exec 3<{file}; exec \"$0\" --root {Harness.StateRoot} run --bundle {bundle} {id}-no", Harness.Berth]);
        Assert.Equal(9, without.ExitCode); // not preserved: fd 3 is closed before the program runs
    }
    [Theory]
    [InlineData(15, "TERM")]
    [InlineData(2, "INT")]
    [InlineData(1, "HUP")]
    public void Foreground_run_forwards_signals_to_the_container(int signal, string name)
    {
        // The container traps the signal and exits with a code of its own: berth must deliver it and report that code.
        string shared = Directory.CreateTempSubdirectory("berth-signal").FullName;
        var config = Harness.BaseConfig("sh", "-c", $"trap 'echo got-{name}; exit 7' {name}; touch /shared/ready; while true; do sleep 0.05; done");
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/shared", ["type"] = "bind", ["source"] = shared, ["options"] = new JsonArray("bind") });
        string bundle = Harness.Bundle(config);
        string id = Harness.NewId("sig");
        var psi = new System.Diagnostics.ProcessStartInfo(Harness.Berth)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in new[] { "--root", Harness.StateRoot, "run", "--bundle", bundle, id })
            psi.ArgumentList.Add(a);
        using var berth = System.Diagnostics.Process.Start(psi)!;
        string ready = Path.Combine(shared, "ready");
        for (int i = 0; i < 1000 && !File.Exists(ready) && !berth.HasExited; i++)
            Thread.Sleep(10);
        if (!File.Exists(ready))
        {
            berth.Kill(entireProcessTree: true);
            Assert.Fail("the container never started: " + berth.StandardError.ReadToEnd());
        }

        Assert.Equal(0, Tmds.Linux.LibC.kill(berth.Id, signal));
        Assert.True(berth.WaitForExit(30_000), "berth did not end after the container got the signal");
        Assert.Equal(7, berth.ExitCode);
        Assert.Contains($"got-{name}", berth.StandardOutput.ReadToEnd());
        Harness.AssertNothingLeft(id);
    }
}
