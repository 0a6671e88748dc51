namespace Berth.Runtime.Tests;

/// <summary>
/// berth update, as runc's: resources of a running container changed live (read back from the host's cgroup files
/// and from inside the container), recorded so that a later update and exec see them, and clear errors otherwise.
/// </summary>
public class UpdateTests
{
    /// <summary>A cgroup file of the container, wherever this host keeps the controller (v1 or v2).</summary>
    private static string Read(string controller, string id, string v1File, string v2File)
    {
        string dir = HostSupport.Cgroups.ControllerDirectory(controller, "/berth/" + id)!;
        return File.ReadAllText(Path.Combine(dir, HostSupport.ControllerVersion(controller) == "cgroup v1" ? v1File : v2File)).Trim();
    }

    /// <summary>The resources the container's record holds now (state.json's "resources", which update changes).</summary>
    private static JsonObject Recorded(string id) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Harness.StateRoot, id, "state.json")))!["resources"]!;

    [SkippableFact]
    public void Flags_change_the_limits_live_and_a_later_update_keeps_what_it_does_not_name()
    {
        HostSupport.SkipIfLacking(HostSupport.ControllerVersion("memory") is null ? "this host has no memory controller" : null);
        HostSupport.SkipIfLacking(HostSupport.ControllerVersion("pids") is null ? "this host has no pids controller" : null);
        string id = Harness.StartDetached("update-flags", new JsonObject { ["memory"] = new JsonObject { ["limit"] = 128L << 20 }, ["pids"] = new JsonObject { ["limit"] = 100 } });
        try
        {
            var r = Harness.Run("update", "--memory", "64m", "--pids-limit", "50", id);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal((64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), Read("memory", id, "memory.limit_in_bytes", "memory.max"));
            Assert.Equal("50", Read("pids", id, "pids.max", "pids.max"));
            var inside = Harness.Run("exec", id, "sh", "-c", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max");
            Assert.True(inside.ExitCode == 0, inside.ToString());
            Assert.Equal("50", inside.Stdout.Trim());

            r = Harness.Run("update", "--pids-limit", "40", id);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("40", Read("pids", id, "pids.max", "pids.max"));
            Assert.Equal((64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), Read("memory", id, "memory.limit_in_bytes", "memory.max"));
            var recorded = Recorded(id);
            Assert.Equal(64L << 20, (long)recorded["memory"]!["limit"]!);
            Assert.Equal(40L, (long)recorded["pids"]!["limit"]!);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
    }

    [SkippableFact]
    public void Lifting_the_memory_limit_lifts_a_v1_memsw_limit_too()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksV1("memory"));
        HostSupport.SkipIfLacking(HostSupport.V1CgroupHas("memory", "memory.memsw.limit_in_bytes") ? null : "this host's kernel does not account swap (no memory.memsw.limit_in_bytes)");
        string id = Harness.StartDetached("update-unlimit", new JsonObject { ["memory"] = new JsonObject { ["limit"] = 64L << 20, ["swap"] = 96L << 20 } });
        try
        {
            // As runc: --memory -1 with no --memory-swap lifts both, the memsw limit first (the kernel keeps memory ≤ memsw).
            var r = Harness.Run("update", "--memory", "-1", id);
            Assert.True(r.ExitCode == 0, r.ToString());
            string unlimited = File.ReadAllText(Path.Combine(HostSupport.V1Mount("memory")!, "memory.limit_in_bytes")).Trim();
            Assert.Equal(unlimited, Read("memory", id, "memory.limit_in_bytes", "memory.max"));
            Assert.Equal(unlimited, Read("memory", id, "memory.memsw.limit_in_bytes", "memory.swap.max"));
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
    }

    [SkippableFact]
    public void A_shorter_cpu_period_under_a_parent_quota_is_set_with_its_quota()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksV1("cpu"));
        // The container's parent has a 50% quota, the container 50% of a 1 s period; it then gets 30% of a 10 ms period.
        // The kernel refuses the shorter period while the old quota is in place (5000%): runc writes it after the quota.
        string pod = $"/berth-test-pod-{Environment.ProcessId}-{Harness.NewId("p")}";
        string podDir = Path.Combine(HostSupport.V1Mount("cpu")!, pod.TrimStart('/'));
        Directory.CreateDirectory(podDir);
        File.WriteAllText(Path.Combine(podDir, "cpu.cfs_quota_us"), "50000");
        var config = Harness.BaseConfig("sleep", "60");
        config["linux"]!["cgroupsPath"] = pod + "/ct";
        config["linux"]!["resources"] = new JsonObject { ["cpu"] = new JsonObject { ["quota"] = 500000, ["period"] = 1000000 } };
        string id = Harness.NewId("update-period");
        try
        {
            var run = Harness.Run("run", "--detach", "--bundle", Harness.Bundle(config), id);
            Assert.True(run.ExitCode == 0, run.ToString());
            var over = Harness.Run("update", "--cpu-quota", "600000", id);
            Assert.True(over.ExitCode == 1, "a quota above the parent's limit must fail: " + over);
            var r = Harness.Run("update", "--cpu-period", "10000", "--cpu-quota", "3000", id);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("10000", File.ReadAllText(Path.Combine(podDir, "ct", "cpu.cfs_period_us")).Trim());
            Assert.Equal("3000", File.ReadAllText(Path.Combine(podDir, "ct", "cpu.cfs_quota_us")).Trim());
        }
        finally
        {
            Harness.Run("delete", "--force", id);
            Directory.Delete(podDir);
        }
    }

    [SkippableFact]
    public void Resources_come_from_a_file_or_stdin_and_the_other_flags_are_not_read()
    {
        HostSupport.SkipIfLacking(HostSupport.ControllerVersion("pids") is null ? "this host has no pids controller" : null);
        string id = Harness.StartDetached("update-json", new JsonObject { ["pids"] = new JsonObject { ["limit"] = 100 } });
        try
        {
            var r = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, "update", "--resources", "-", "--pids-limit", "7", id], stdin: """{"pids": {"limit": 33}}""");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("33", Read("pids", id, "pids.max", "pids.max"));

            string file = Path.Combine(Harness.WorkDir, id + "-resources.json");
            File.WriteAllText(file, """{"pids": {"limit": 21}}""");
            r = Harness.Run("update", "-r", file, id);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("21", Read("pids", id, "pids.max", "pids.max"));

            // Device rules in the document are left as they are (containerd's shim sends them on every update).
            var devicesBefore = Recorded(id)["devices"]?.ToJsonString();
            r = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, "update", "-r", "-", id],
                stdin: """{"devices": [{"allow": true, "access": "rwm"}], "pids": {"limit": 19}}""");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("19", Read("pids", id, "pids.max", "pids.max"));
            Assert.Equal(devicesBefore, Recorded(id)["devices"]?.ToJsonString());
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
    }

    [Fact]
    public void Bad_input_and_a_stopped_container_are_clear_errors()
    {
        string id = Harness.StartDetached("update-bad");
        try
        {
            var r = Harness.Run("update", "--memory", "lots", id);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("--memory", r.Stderr);
            r = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, "update", "-r", "-", id], stdin: """{"pids": {"limit": "many"}}""");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("pids.limit", r.Stderr);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
        var gone = Harness.Run("update", "--pids-limit", "5", id);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("does not exist", gone.Stderr);

        var config = Harness.BaseConfig("true");
        string stopped = Harness.NewId("update-stopped");
        Assert.Equal(0, Harness.Run("run", "--detach", "--bundle", Harness.Bundle(config), stopped).ExitCode);
        try
        {
            for (int i = 0; i < 100 && !Harness.Run("state", stopped).Stdout.Contains("\"stopped\""); i++)
                Thread.Sleep(50);
            var r = Harness.Run("update", "--pids-limit", "5", stopped);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("not running", r.Stderr);
        }
        finally
        {
            Harness.Run("delete", "--force", stopped);
        }
    }
}
