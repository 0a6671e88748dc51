using Berth.Runtime.Cgroups;

namespace Berth.Runtime.Tests;

/// <summary>
/// linux.resources on this host (hybrid: v1 controllers, hugetlb on cgroup2): limits read back from the host's
/// cgroup files and felt from inside, device rules, pause/resume, kill --all, join versus join-and-modify, and errors
/// that leave nothing behind.
/// </summary>
public class CgroupTests
{
    private static readonly CgroupLayout Layout = CgroupLayout.Host;

    private static string V1File(string controller, string cgroupsPath, string file) =>
        Path.Combine(Layout.V1Mounts[controller], cgroupsPath.TrimStart('/'), file);

    private static string ReadV1(string controller, string cgroupsPath, string file) => File.ReadAllText(V1File(controller, cgroupsPath, file)).Trim();

    private static JsonObject WithResources(JsonObject config, JsonObject resources)
    {
        config["linux"]!["resources"] = resources;
        return config;
    }

    private static JsonObject CgroupMount(JsonObject config)
    {
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/sys/fs/cgroup", ["type"] = "cgroup", ["source"] = "cgroup", ["options"] = new JsonArray("nosuid", "noexec", "nodev", "relatime", "ro") });
        return config;
    }

    private static string Status(string id) => (string)JsonNode.Parse(Harness.Run("state", id).Stdout)!["status"]!;

    private static string CreateAndStart(JsonObject config, string prefix)
    {
        string id = Harness.NewId(prefix);
        var create = Harness.Run("create", "--bundle", Harness.Bundle(config), id);
        Assert.True(create.ExitCode == 0, create.ToString());
        var start = Harness.Run("start", id);
        Assert.True(start.ExitCode == 0, start.ToString());
        return id;
    }

    private static void ForceDelete(string id)
    {
        var delete = Harness.Run("delete", "--force", id);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Harness.AssertNothingLeft(id);
    }

    /// <summary>A block device of this host as "major:minor" (its throttle is set so high that nothing slows down).</summary>
    private static (int Major, int Minor) BlockDevice()
    {
        string dev = File.ReadAllText(Directory.GetDirectories("/sys/block").Select(d => Path.Combine(d, "dev")).First(File.Exists)).Trim();
        return (int.Parse(dev.Split(':')[0]), int.Parse(dev.Split(':')[1]));
    }

    [Fact]
    public void Limits_are_written_to_the_host_cgroup_files()
    {
        var (major, minor) = BlockDevice();
        var config = WithResources(Harness.BaseConfig("sleep", "60"), new JsonObject
        {
            ["memory"] = new JsonObject { ["limit"] = 64 << 20, ["reservation"] = 32 << 20, ["swap"] = 128 << 20, ["swappiness"] = 10, ["kernel"] = 1 << 20 },
            ["cpu"] = new JsonObject { ["shares"] = 512, ["quota"] = 20000, ["period"] = 100000, ["cpus"] = "0", ["mems"] = "0" },
            ["pids"] = new JsonObject { ["limit"] = 10 },
            ["blockIO"] = new JsonObject { ["weight"] = 300, ["throttleReadBpsDevice"] = new JsonArray(new JsonObject { ["major"] = major, ["minor"] = minor, ["rate"] = 1L << 40 }) },
            ["hugepageLimits"] = new JsonArray(new JsonObject { ["pageSize"] = "2MB", ["limit"] = 4194304 }),
        });
        string id = Harness.NewId("cglimits");
        var create = Harness.Run("create", "--bundle", Harness.Bundle(config), id);
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Contains("linux.resources.memory.kernel is deprecated", create.Stderr);
        try
        {
            string path = "/berth/" + id;
            Assert.Equal("67108864", ReadV1("memory", path, "memory.limit_in_bytes"));
            Assert.Equal("33554432", ReadV1("memory", path, "memory.soft_limit_in_bytes"));
            Assert.Equal("134217728", ReadV1("memory", path, "memory.memsw.limit_in_bytes"));
            Assert.Equal("10", ReadV1("memory", path, "memory.swappiness"));
            Assert.Equal("512", ReadV1("cpu", path, "cpu.shares"));
            Assert.Equal("20000", ReadV1("cpu", path, "cpu.cfs_quota_us"));
            Assert.Equal("100000", ReadV1("cpu", path, "cpu.cfs_period_us"));
            Assert.Equal("0", ReadV1("cpuset", path, "cpuset.cpus"));
            Assert.Equal("10", ReadV1("pids", path, "pids.max"));
            Assert.Contains("300", ReadV1("blkio", path, "blkio.bfq.weight"));
            Assert.Equal($"{major}:{minor} {1L << 40}", ReadV1("blkio", path, "blkio.throttle.read_bps_device"));
            Assert.Equal("4194304", File.ReadAllText(Path.Combine(Layout.V2Mount!, "berth", id, "hugetlb.2MB.max")).Trim());
            // The device list berth starts from: deny all, then runc's defaults.
            string devices = ReadV1("devices", path, "devices.list");
            Assert.Contains("c 1:3 rwm", devices);
            Assert.Contains("c 136:* rwm", devices);
            Assert.Contains("b *:* m", devices);
            Assert.DoesNotContain("a *:* rwm", devices);
        }
        finally
        {
            ForceDelete(id);
        }
    }

    [Fact]
    public void Memory_limit_is_visible_inside_and_pids_limit_stops_fork()
    {
        var config = CgroupMount(WithResources(Harness.BaseConfig("sh", "-c",
            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/pids/pids.max; " +
            "i=0; while [ $i -lt 12 ]; do sleep 30 & i=$((i+1)); done; echo forked"),
            new JsonObject { ["memory"] = new JsonObject { ["limit"] = 48 << 20 }, ["pids"] = new JsonObject { ["limit"] = 5 } }));
        var r = Harness.RunContainer(config);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 2, r.ToString());
        Assert.Equal("50331648", lines[0]);
        Assert.Equal("5", lines[1]);
        Assert.Contains("fork", r.Stderr);              // busybox sh: can't fork: Resource temporarily unavailable
        Assert.Contains("Resource temporarily unavailable", r.Stderr);
    }

    [Fact]
    public void A_denied_device_is_refused_with_EPERM_and_an_allowed_one_works()
    {
        var config = WithResources(Harness.BaseConfig("sh", "-c", "head -c1 /dev/zero | wc -c; head -c1 /dev/null; echo null=$?; head -c1 /dev/urandom | wc -c"),
            new JsonObject
            {
                ["devices"] = new JsonArray(
                    new JsonObject { ["allow"] = false, ["access"] = "rwm" },
                    new JsonObject { ["allow"] = false, ["type"] = "c", ["major"] = 1, ["minor"] = 5, ["access"] = "rwm" }),
            });
        var r = Harness.RunContainer(config);
        Assert.Contains("/dev/zero: Operation not permitted", r.Stderr);
        Assert.Equal(["0", "null=0", "1"], r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Pause_and_resume_freeze_the_container_and_delete_force_kills_it_paused()
    {
        string id = CreateAndStart(Harness.BaseConfig("sh", "-c", "sleep 60 & sleep 60"), "cgpause");
        try
        {
            string freezer = V1File("freezer", "/berth/" + id, "freezer.state");
            var pause = Harness.Run("pause", id);
            Assert.True(pause.ExitCode == 0, pause.ToString());
            Assert.Equal("paused", Status(id));
            Assert.Equal("FROZEN", File.ReadAllText(freezer).Trim());
            Assert.Equal(1, Harness.Run("pause", id).ExitCode);

            var resume = Harness.Run("resume", id);
            Assert.True(resume.ExitCode == 0, resume.ToString());
            Assert.Equal("running", Status(id));
            Assert.Equal("THAWED", File.ReadAllText(freezer).Trim());
            Assert.Equal(1, Harness.Run("resume", id).ExitCode);

            Assert.Equal(0, Harness.Run("pause", id).ExitCode);
        }
        finally
        {
            ForceDelete(id);
        }
    }

    [Fact]
    public void Kill_all_kills_every_process_of_the_container()
    {
        // sh, two background sleeps and the last sleep (sh may exec it in its own place): at least three processes.
        string id = CreateAndStart(Harness.BaseConfig("sh", "-c", "sleep 60 & sleep 60 & sleep 60; echo"), "cgkillall");
        try
        {
            string procs = V1File("pids", "/berth/" + id, "cgroup.procs");
            for (int i = 0; i < 200 && File.ReadAllLines(procs).Length < 4; i++)
                Thread.Sleep(10);
            Assert.Equal(4, File.ReadAllLines(procs).Length); // sh and three sleeps
            var kill = Harness.Run("kill", "--all", id, "KILL");
            Assert.True(kill.ExitCode == 0, kill.ToString());
            for (int i = 0; i < 500 && File.ReadAllLines(procs).Length > 0; i++)
                Thread.Sleep(10);
            Assert.Empty(File.ReadAllLines(procs));
            Assert.Equal("stopped", Status(id));
        }
        finally
        {
            ForceDelete(id);
        }
    }

    [Fact]
    public void Existing_cgroup_is_joined_untouched_without_resources_and_modified_with_them()
    {
        string path = $"/berth-test-join-{Environment.ProcessId}";
        var (all, created) = new CgroupManager(Layout).Prepare(path);
        try
        {
            File.WriteAllText(V1File("pids", path, "pids.max"), "77");
            string devicesBefore = ReadV1("devices", path, "devices.list");

            var config = Harness.BaseConfig("sh", "-c", "cat /proc/self/cgroup");
            config["linux"]!["cgroupsPath"] = path;
            var join = Harness.RunContainer(config);
            Assert.True(join.ExitCode == 0, join.ToString());
            Assert.Contains($"pids:{path}", join.Stdout);
            Assert.Equal("77", ReadV1("pids", path, "pids.max"));
            Assert.Equal(devicesBefore, ReadV1("devices", path, "devices.list"));
            Assert.All(all, d => Assert.True(Directory.Exists(d), $"{d} was removed, but berth did not create it"));

            config = WithResources(Harness.BaseConfig("cat", "/proc/self/cgroup"), new JsonObject { ["pids"] = new JsonObject { ["limit"] = 33 } });
            config["linux"]!["cgroupsPath"] = path;
            var modify = Harness.RunContainer(config);
            Assert.True(modify.ExitCode == 0, modify.ToString());
            Assert.Equal("33", ReadV1("pids", path, "pids.max"));
            Assert.Equal(devicesBefore, ReadV1("devices", path, "devices.list")); // no device rules given: untouched
            Assert.All(all, d => Assert.True(Directory.Exists(d), $"{d} was removed, but berth did not create it"));
        }
        finally
        {
            CgroupManager.Remove(created);
        }
    }

    [Theory]
    [InlineData("{\"network\":{\"classID\":1048577}}", "linux.resources.network.classID: the net_cls controller is not mounted on this host")]
    [InlineData("{\"network\":{\"priorities\":[{\"name\":\"eth0\",\"priority\":3}]}}", "linux.resources.network.priorities[0]: the net_prio controller is not mounted on this host")]
    [InlineData("{\"blockIO\":{\"leafWeight\":100}}", "linux.resources.blockIO.leafWeight: this host's kernel has no blkio.leaf_weight")]
    [InlineData("{\"rdma\":{\"mlx5_0\":{\"hcaHandles\":2}}}", "linux.resources.rdma[\"mlx5_0\"]: the rdma controller is not mounted on this host")]
    [InlineData("{\"unified\":{\"memory.max\":\"1G\"}}", "linux.resources.unified[\"memory.max\"]: the memory controller is a cgroup v1 controller on this host")]
    [InlineData("{\"unified\":{\"bogus.max\":\"1\"}}", "linux.resources.unified[\"bogus.max\"]: the bogus controller is not mounted on this host")]
    [InlineData("{\"cpu\":{\"cpus\":\"63\"}}", "linux.resources.cpu.cpus: write \"63\" to /sys/fs/cgroup/cpuset/berth/")]
    public void A_resource_the_host_cannot_apply_is_an_error_that_leaves_nothing(string resources, string message)
    {
        var config = WithResources(Harness.BaseConfig("true"), JsonNode.Parse(resources)!.AsObject());
        Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "cgerr", message);
    }

    [Theory]
    [InlineData("../..")]
    [InlineData("/berth/../../escape")]
    public void A_cgroups_path_escaping_the_hierarchy_is_an_error_that_leaves_nothing(string cgroupsPath)
    {
        var config = Harness.BaseConfig("true");
        config["linux"]!["cgroupsPath"] = cgroupsPath;
        Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "cgesc", $"linux.cgroupsPath \"{cgroupsPath}\" leaves the cgroup hierarchy");
        Assert.False(Directory.Exists("/sys/fs/cgroup/escape"));
    }
}
