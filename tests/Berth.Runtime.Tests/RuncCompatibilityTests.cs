using System.Text.RegularExpressions;

namespace Berth.Runtime.Tests;

/// <summary>
/// What clients that drive runc 1.1.5 rely on (issue 10, "a true drop-in for runc"): containerd's runc shim (kill
/// --all after the process exited, runc's error words, a read-only /dev/null as stderr, --log), exec's exit codes,
/// list's and ps's output.
/// </summary>
public class RuncCompatibilityTests
{
    /// <summary>A detached container running a long sleep; the caller deletes it.</summary>
    private static string Sleeping(string prefix, string? root = null)
    {
        string id = Harness.NewId(prefix);
        var r = Harness.Exec(Harness.Berth, ["--root", root ?? Harness.StateRoot, "run", "--detach", "--bundle", Harness.Bundle(Harness.BaseConfig("sleep", "600")), id]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return id;
    }

    /// <summary>A container whose process has exited (status stopped); the caller deletes it.</summary>
    private static string Stopped(string prefix)
    {
        string id = Harness.NewId(prefix);
        var r = Harness.Run("run", "--detach", "--bundle", Harness.Bundle(Harness.BaseConfig("true")), id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Harness.WaitForStatus(id, "stopped");
        return id;
    }

    private static void Delete(string id, string? root = null) =>
        Assert.Equal(0, Harness.Exec(Harness.Berth, ["--root", root ?? Harness.StateRoot, "delete", "--force", id]).ExitCode);

    private static JsonNode LastLogLine(string log) => JsonNode.Parse(File.ReadAllLines(log).Last())!;

    // 1. kill

    [Fact]
    public void Kill_all_of_a_stopped_container_succeeds_as_containerds_shim_expects()
    {
        string id = Stopped("killall");
        try
        {
            // The shim runs exactly this after the container's process exited, with its usual global flags.
            string log = Harness.NewFile("killall", ".json");
            var r = Harness.Run("--log", log, "--log-format", "json", "kill", "--all", id, "9");
            Assert.True(r.ExitCode == 0, r.ToString());
            var term = Harness.Run("kill", "--all", id);
            Assert.True(term.ExitCode == 0, term.ToString());
            Assert.Equal("stopped", Harness.Status(id));
        }
        finally
        {
            Delete(id);
        }
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void Kill_of_a_stopped_container_fails_with_runcs_words()
    {
        string id = Stopped("killstopped");
        try
        {
            string log = Harness.NewFile("killstopped", ".json");
            var r = Harness.Run("--log", log, "--log-format", "json", "kill", id, "9");
            Assert.True(r.ExitCode == 1, r.ToString());
            // The shim reads the words from stderr and from the last error of the log.
            Assert.Contains("container not running", r.Stderr);
            Assert.Contains("kill", r.Stderr);
            Assert.Contains(id, r.Stderr);
            var line = LastLogLine(log);
            Assert.Equal("error", (string?)line["level"]);
            Assert.Contains("container not running", (string?)line["msg"]);

            var zero = Harness.Run("kill", id, "0");
            Assert.True(zero.ExitCode == 1, zero.ToString());
            Assert.Contains("container not running", zero.Stderr);
        }
        finally
        {
            Delete(id);
        }
    }

    [Fact]
    public void Kill_of_a_missing_container_says_it_does_not_exist()
    {
        string id = Harness.NewId("killmissing");
        foreach (string[] args in new[] { new[] { "kill", id, "9" }, ["kill", "--all", id, "9"] })
        {
            var r = Harness.Run(args);
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Contains("does not exist", r.Stderr);
            Assert.Contains($"kill: container \"{id}\"", r.Stderr);
        }
    }

    [Fact]
    public void Kill_with_signal_0_checks_that_the_process_exists()
    {
        string id = Sleeping("kill0");
        try
        {
            var r = Harness.Run("kill", id, "0");
            Assert.True(r.ExitCode == 0, r.ToString());
            var all = Harness.Run("kill", "--all", id, "0");
            Assert.True(all.ExitCode == 0, all.ToString());
            Thread.Sleep(100);
            Assert.Equal("running", Harness.Status(id));
        }
        finally
        {
            Delete(id);
        }
    }

    [SkippableFact]
    public void Kill_9_of_a_paused_container_stops_it()
    {
        HostSupport.SkipIfLacking(HostSupport.V1Mount("freezer") is null && HostSupport.LacksV2CoreFile("cgroup.freeze") is { } lacking ? lacking : null);
        string id = Sleeping("killpaused");
        try
        {
            Assert.Equal(0, Harness.Run("pause", id).ExitCode);
            Assert.Equal("paused", Harness.Status(id));
            var r = Harness.Run("kill", id, "9");
            Assert.True(r.ExitCode == 0, r.ToString());
            Harness.WaitForStatus(id, "stopped");
        }
        finally
        {
            Delete(id);
        }
    }

    // 2. stderr, --log, --debug

    [Fact]
    public void An_error_with_a_read_only_stderr_still_reaches_the_log()
    {
        string id = Harness.NewId("rostderr");
        string json = Harness.NewFile("rostderr", ".json");
        var r = Harness.RunWithReadOnlyStdio("--log", json, "--log-format", "json", "kill", id, "9");
        Assert.True(r.ExitCode == 1, r.ToString());
        var line = LastLogLine(json);
        Assert.Equal("error", (string?)line["level"]);
        Assert.Equal($"kill: container \"{id}\" does not exist", (string?)line["msg"]);

        string text = Harness.NewFile("rostderr", ".log");
        r = Harness.RunWithReadOnlyStdio("--log", text, "state", id);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Matches($@"^time=""[^""]+"" level=error msg=""state: container \\""{id}\\"" does not exist""\n$", File.ReadAllText(text));

        // Without a log the message is lost, but berth still exits as it should.
        r = Harness.RunWithReadOnlyStdio("kill", id, "9");
        Assert.True(r.ExitCode == 1, r.ToString());
    }

    [Fact]
    public void A_warning_with_a_read_only_stderr_reaches_the_log_and_create_succeeds()
    {
        var config = Harness.BaseConfig("sleep", "600");
        config["process"]!["env"]!.AsArray().Add("NOT_A_PAIR"); // a warning: not NAME=value
        string bundle = Harness.Bundle(config);
        string id = Harness.NewId("rowarn");
        string log = Harness.NewFile("rowarn", ".json");
        try
        {
            var r = Harness.RunWithReadOnlyStdio("--log", log, "--log-format", "json", "create", "--bundle", bundle, id);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("created", Harness.Status(id));
            var lines = File.ReadAllLines(log).Select(l => JsonNode.Parse(l)!).ToList();
            Assert.Contains(lines, l => (string?)l["level"] == "warning" && ((string?)l["msg"])!.Contains("NOT_A_PAIR"));
        }
        finally
        {
            Delete(id);
        }
    }

    [Fact]
    public void The_log_file_is_created_even_when_nothing_fails()
    {
        string log = Harness.NewFile("quietlog", ".json");
        var r = Harness.Run("--log", log, "--log-format", "json", "list");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(log), "--log was not created");
        Assert.Equal("", File.ReadAllText(log));

        var unwritable = Harness.Run("--log", "/nonexistent-dir/log.json", "list");
        Assert.True(unwritable.ExitCode == 1, unwritable.ToString());
        Assert.Contains("--log: open /nonexistent-dir/log.json: no such file or directory", unwritable.Stderr);
    }

    [Fact]
    public void Debug_writes_what_berth_does_to_the_log_or_else_to_stderr()
    {
        string id = Harness.NewId("debug");
        string bundle = Harness.Bundle(Harness.BaseConfig("sleep", "600"));
        string log = Harness.NewFile("debug", ".json");
        try
        {
            var r = Harness.Run("--debug", "--log", log, "--log-format", "json", "run", "--detach", "--bundle", bundle, id);
            Assert.True(r.ExitCode == 0, r.ToString());
            // With --log, debug lines go there only (as runc's do).
            Assert.DoesNotContain("debug", r.Stderr);
            var debug = File.ReadAllLines(log).Select(l => JsonNode.Parse(l)!).Where(l => (string?)l["level"] == "debug").Select(l => (string)l["msg"]!).ToList();
            int pid = (int)JsonNode.Parse(Harness.Run("state", id).Stdout)!["pid"]!;
            Assert.Contains(debug, m => m.StartsWith("run: berth ", StringComparison.Ordinal) && m.Contains($"run --detach --bundle {bundle} {id}"));
            Assert.Contains(debug, m => m.Contains(Path.Combine(bundle, "config.json")));
            Assert.Contains(debug, m => m.Contains($"container \"{id}\"") && m.Contains($"process {pid}"));

            // Without --log, debug lines go to stderr; stdout keeps only the command's output.
            var kill = Harness.Run("--debug", "kill", id, "0");
            Assert.True(kill.ExitCode == 0, kill.ToString());
            Assert.Contains("level=debug msg=\"kill: berth ", kill.Stderr);
            Assert.Contains($"level=debug msg=\"kill: signal 0 to process {pid} of container \\\"{id}\\\"", kill.Stderr);
            Assert.Matches("^time=\"[^\"]+\" level=debug msg=\"", kill.Stderr);

            // The setup steps carry runc's names for them, in every log format.
            string text = Harness.NewFile("debug", ".log");
            var exec = Harness.Run("--debug", "--log", text, "exec", id, "true");
            Assert.True(exec.ExitCode == 0, exec.ToString());
            string lines = File.ReadAllText(text);
            foreach (string step in new[] { "nsexec container setup", "child process in init()", "setns_init: about to exec" })
                Assert.Contains($"level=debug msg=\"exec: {step}: ", lines);
            var run = Harness.Run("--debug", "run", "--bundle", Harness.Bundle(Harness.BaseConfig("true")), Harness.NewId("debug"));
            Assert.True(run.ExitCode == 0, run.ToString());
            foreach (string step in new[] { "nsexec container setup", "child process in init()", "init: closing the pipe to signal completion" })
                Assert.Contains($"level=debug msg=\"run: {step}: ", run.Stderr);
        }
        finally
        {
            Delete(id);
        }
    }

    // 3. exec's exit codes

    [Fact]
    public void Exec_errors_exit_255_and_the_process_status_is_returned_as_is()
    {
        string id = Sleeping("exec255");
        string stopped = Stopped("exec255");
        try
        {
            Assert.Equal(3, Harness.Run("exec", id, "sh", "-c", "exit 3").ExitCode);
            Assert.Equal(1, Harness.Run("exec", id, "sh", "-c", "exit 1").ExitCode);
            Assert.Equal(255, Harness.Run("exec", id, "sh", "-c", "exit 255").ExitCode);

            var missingProgram = Harness.Run("exec", id, "/no/such/program");
            Assert.True(missingProgram.ExitCode == 255, missingProgram.ToString());
            Assert.StartsWith("berth: exec: ", missingProgram.Stderr);

            var inStopped = Harness.Run("exec", stopped, "true");
            Assert.True(inStopped.ExitCode == 255, inStopped.ToString());
            Assert.Contains($"exec: container \"{stopped}\": cannot exec in a stopped container", inStopped.Stderr);

            string missing = Harness.NewId("exec255");
            var inMissing = Harness.Run("exec", missing, "true");
            Assert.True(inMissing.ExitCode == 255, inMissing.ToString());
            Assert.Contains($"exec: container \"{missing}\" does not exist", inMissing.Stderr);

            var noFile = Harness.Run("exec", "--process", "/nonexistent/process.json", id);
            Assert.True(noFile.ExitCode == 255, noFile.ToString());
            Assert.Contains("exec: --process: read /nonexistent/process.json: no such file or directory", noFile.Stderr);

            // A command line berth cannot read is still a usage error.
            Assert.Equal(2, Harness.Run("exec").ExitCode);
        }
        finally
        {
            Delete(id);
            Delete(stopped);
        }
    }

    // 4. list

    private static string NewRoot() => Directory.CreateTempSubdirectory("berth-list").FullName;

    [Fact]
    public void List_prints_runcs_table_with_the_owner()
    {
        string root = NewRoot();
        string id = Sleeping("list", root);
        string other = Sleeping("listother", root);
        try
        {
            // The owner is the user who owns the state directory: a name from /etc/passwd, else #UID.
            Assert.Equal(0, Harness.Exec("chown", ["65534", Path.Combine(root, other)]).ExitCode);
            string nobody = File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')).FirstOrDefault(f => f.Length > 2 && f[2] == "65534")?[0] ?? "#65534";

            var r = Harness.RunWithRoot(root, "list");
            Assert.True(r.ExitCode == 0, r.ToString());
            var json = JsonNode.Parse(Harness.RunWithRoot(root, "list", "--format", "json").Stdout)!.AsArray();
            var rows = new List<string[]> { new[] { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" } };
            foreach (var c in json.OrderBy(c => (string?)c!["id"], StringComparer.Ordinal))
                rows.Add([(string)c!["id"]!, ((int)c["pid"]!).ToString(), (string)c["status"]!, (string)c["bundle"]!, (string)c["created"]!, (string)c["owner"]!]);
            // Go's tabwriter as runc sets it up: every column but the last as wide as its widest cell + 3, at least 12.
            var widths = Enumerable.Range(0, 5).Select(col => Math.Max(12, rows.Max(row => row[col].Length) + 3)).ToArray();
            string expected = string.Concat(rows.Select(row => string.Concat(row.Take(5).Select((cell, col) => cell.PadRight(widths[col]))) + row[5] + "\n"));
            Assert.Equal(expected, r.Stdout);
            Assert.StartsWith("ID" + new string(' ', widths[0] - 2) + "PID" + new string(' ', 9) + "STATUS", r.Stdout);
            Assert.Contains(rows, row => row[0] == id && row[2] == "running" && row[5] == "root");
            Assert.Contains(rows, row => row[0] == other && row[5] == nobody);
        }
        finally
        {
            Delete(id, root);
            Delete(other, root);
            Directory.Delete(root);
        }
    }

    [Fact]
    public void List_json_has_runcs_members_and_quiet_prints_the_ids()
    {
        string root = NewRoot();
        string id = Sleeping("listjson", root);
        try
        {
            Assert.Equal(0, Harness.Exec("chown", ["4242", Path.Combine(root, id)]).ExitCode);
            var r = Harness.RunWithRoot(root, "list", "--format", "json");
            Assert.True(r.ExitCode == 0, r.ToString());
            var c = JsonNode.Parse(r.Stdout)!.AsArray().Single()!.AsObject();
            Assert.Equal(new[] { "ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner" }, c.Select(p => p.Key));
            var state = JsonNode.Parse(Harness.RunWithRoot(root, "state", id).Stdout)!;
            Assert.Equal(id, (string?)c["id"]);
            Assert.Equal((int)state["pid"]!, (int)c["pid"]!);
            Assert.Equal("running", (string?)c["status"]);
            Assert.Equal((string?)state["bundle"], (string?)c["bundle"]);
            Assert.Equal(Harness.Rootfs, (string?)c["rootfs"]);
            Assert.Equal("#4242", (string?)c["owner"]);
            // Go's RFC3339Nano, in UTC.
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$", (string?)c["created"]);

            Assert.Equal(id + "\n", Harness.RunWithRoot(root, "list", "-q").Stdout);
            Assert.Equal(2, Harness.RunWithRoot(root, "list", "extra").ExitCode);
        }
        finally
        {
            Delete(id, root);
            Directory.Delete(root);
        }
    }

    // 5. ps

    [Fact]
    public void Ps_passes_its_options_to_ps_and_keeps_the_containers_lines()
    {
        string id = Harness.NewId("ps");
        var run = Harness.Run("run", "--detach", "--bundle", Harness.Bundle(Harness.BaseConfig("sh", "-c", "sleep 601 & exec sleep 602")), id);
        Assert.True(run.ExitCode == 0, run.ToString());
        try
        {
            var pids = new List<int>();
            for (int i = 0; i < 500 && pids.Count < 2; i++)
            {
                var json = Harness.Run("ps", "--format", "json", id);
                Assert.True(json.ExitCode == 0, json.ToString());
                pids = JsonNode.Parse(json.Stdout)!.AsArray().Select(p => (int)p!).ToList();
                Thread.Sleep(10);
            }
            Assert.Equal(2, pids.Count);

            foreach (string[] args in new[] { new[] { "ps", id }, ["ps", id, "-ef"], ["ps", id, "--", "-e", "-f"] })
            {
                var r = Harness.Run(args);
                Assert.True(r.ExitCode == 0, r.ToString());
                string[] lines = r.Stdout.TrimEnd('\n').Split('\n');
                Assert.Matches(@"^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$", lines[0]);
                Assert.Equal(pids.Order(), lines.Skip(1).Select(l => int.Parse(Regex.Split(l.Trim(), @"\s+")[1])).Order());
                Assert.Contains(lines, l => l.EndsWith("sleep 601", StringComparison.Ordinal));
                Assert.Contains(lines, l => l.EndsWith("sleep 602", StringComparison.Ordinal));
            }

            var custom = Harness.Run("ps", id, "--", "-e", "-o", "pid,args");
            Assert.True(custom.ExitCode == 0, custom.ToString());
            string[] rows = custom.Stdout.TrimEnd('\n').Split('\n');
            Assert.Matches(@"^\s*PID\s+COMMAND$", rows[0]);
            Assert.Equal(3, rows.Length);

            var noPid = Harness.Run("ps", id, "-o", "comm");
            Assert.True(noPid.ExitCode == 1, noPid.ToString());
            Assert.Contains($"ps: the output of ps -o comm has no PID column", noPid.Stderr);
            Assert.Contains(id, noPid.Stderr);

            var bad = Harness.Run("ps", id, "--no-such-ps-option");
            Assert.True(bad.ExitCode == 1, bad.ToString());
            Assert.Contains($"ps: ps --no-such-ps-option for container \"{id}\" exited with status 1", bad.Stderr);
        }
        finally
        {
            Delete(id);
        }
    }

    [SkippableFact]
    public void A_frozen_cgroup_is_refused_instead_of_hanging()
    {
        HostSupport.SkipIfLacking(HostSupport.V1Mount("freezer") is null && HostSupport.LacksV2CoreFile("cgroup.freeze") is { } lacks ? lacks : null);
        string path = $"/berth-test-frozen-{Environment.ProcessId}";
        var layout = HostSupport.Cgroups;
        var (all, created) = new Berth.Runtime.Cgroups.CgroupManager(layout).Prepare(path);
        string freezer = Berth.Runtime.Cgroups.Freezer.Select(all).First();
        Berth.Runtime.Cgroups.Freezer.Freeze(freezer, true);
        try
        {
            var config = Harness.BaseConfig("true");
            config["linux"]!["cgroupsPath"] = path;
            string id = Harness.NewId("frozen");
            var r = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, "run", "--detach", "--bundle", Harness.Bundle(config), id], timeoutMs: 20_000);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("frozen", r.Stderr);
            Assert.False(Directory.Exists(Path.Combine(Harness.StateRoot, id)), "state left behind");
        }
        finally
        {
            Berth.Runtime.Cgroups.Freezer.Freeze(freezer, false);
            Berth.Runtime.Cgroups.CgroupManager.Remove(created);
        }
    }

    [SkippableFact]
    public void A_nested_cgroups_path_below_an_empty_cpuset_parent_works()
    {
        HostSupport.SkipIfLacking(HostSupport.V1Mount("cpuset") is null ? "this host has no cgroup v1 cpuset hierarchy (cgroup2 inherits cpus and mems)" : null);
        string parent = Path.Combine(HostSupport.V1Mount("cpuset")!, $"berth-test-cpuset-{Environment.ProcessId}");
        Directory.CreateDirectory(parent); // made by someone else, with plain mkdir: cpus and mems empty
        try
        {
            var config = Harness.BaseConfig("true");
            config["linux"]!["cgroupsPath"] = $"/berth-test-cpuset-{Environment.ProcessId}/inner";
            var r = Harness.RunContainer(config);
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        finally
        {
            foreach (string dir in HostSupport.Cgroups.DirectoriesFor($"/berth-test-cpuset-{Environment.ProcessId}"))
                try { Directory.Delete(dir); } catch (IOException) { }
        }
    }
}
