using Berth.Runtime.Cgroups;

namespace Berth.Runtime.Tests;

/// <summary>
/// linux.resources on this host: limits read back from the host's cgroup files and felt from inside, device rules,
/// pause/resume, kill --all, join versus join-and-modify, and errors that leave nothing behind. Every test asks the
/// host first (<see cref="HostSupport"/>): where a hierarchy it reads is not there it is skipped with the reason, and
/// where the kernel lacks what a config asks for, berth's error naming the field is what is checked.
/// </summary>
public class CgroupTests(CgroupTests.LimitsContainer limits) : IClassFixture<CgroupTests.LimitsContainer>
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

    /// <summary>One setting of a limits case: its config field, the value read back, and the v1 file(s) it may land in
    /// (a second file is the one berth falls back to when the kernel lacks the first).</summary>
    private sealed record Setting(string Field, string Value, params string[] Files);

    /// <summary>The resources of one case of <see cref="Limits_are_written_to_the_host_cgroup_files"/>, the controller
    /// whose v1 files it reads, and what each setting must read back as. Values come from the host where they must
    /// (its CPUs, memory nodes and block devices).</summary>
    private static (string Controller, JsonObject Resources, Setting[] Settings) LimitCase(string part)
    {
        const string m = "linux.resources.memory", c = "linux.resources.cpu";
        switch (part)
        {
            case "memory":
                return ("memory", new JsonObject { ["memory"] = new JsonObject { ["limit"] = 64 << 20, ["reservation"] = 32 << 20, ["swappiness"] = 10, ["kernel"] = 1 << 20 } },
                    [new($"{m}.limit", "67108864", "memory.limit_in_bytes"), new($"{m}.reservation", "33554432", "memory.soft_limit_in_bytes"), new($"{m}.swappiness", "10", "memory.swappiness")]);
            case "memory.swap":
                return ("memory", new JsonObject { ["memory"] = new JsonObject { ["limit"] = 64 << 20, ["swap"] = 128 << 20 } },
                    [new($"{m}.limit", "67108864", "memory.limit_in_bytes"), new($"{m}.swap", "134217728", "memory.memsw.limit_in_bytes")]);
            case "cpu":
                return ("cpu", new JsonObject { ["cpu"] = new JsonObject { ["shares"] = 512, ["quota"] = 20000, ["period"] = 100000 } },
                    [new($"{c}.shares", "512", "cpu.shares"), new($"{c}.period", "100000", "cpu.cfs_period_us"), new($"{c}.quota", "20000", "cpu.cfs_quota_us")]);
            case "cpuset":
                string cpu = HostSupport.RootCpuset("cpus").First().ToString(System.Globalization.CultureInfo.InvariantCulture);
                string mem = HostSupport.RootCpuset("mems").First().ToString(System.Globalization.CultureInfo.InvariantCulture);
                return ("cpuset", new JsonObject { ["cpu"] = new JsonObject { ["cpus"] = cpu, ["mems"] = mem } },
                    [new($"{c}.cpus", cpu, "cpuset.cpus"), new($"{c}.mems", mem, "cpuset.mems")]);
            case "pids":
                return ("pids", new JsonObject { ["pids"] = new JsonObject { ["limit"] = 10 } }, [new("linux.resources.pids.limit", "10", "pids.max")]);
            case "blockIO.weight":
                return ("blkio", new JsonObject { ["blockIO"] = new JsonObject { ["weight"] = 300 } },
                    [new("linux.resources.blockIO.weight", "300", "blkio.weight", "blkio.bfq.weight")]);
            case "blockIO.throttleReadBpsDevice":
                var (major, minor) = HostSupport.BlockDevice()!.Value; // set so high that nothing slows down
                return ("blkio", new JsonObject { ["blockIO"] = new JsonObject { ["throttleReadBpsDevice"] = new JsonArray(new JsonObject { ["major"] = major, ["minor"] = minor, ["rate"] = 1L << 40 }) } },
                    [new("linux.resources.blockIO.throttleReadBpsDevice[0]", $"{major}:{minor} {1L << 40}", "blkio.throttle.read_bps_device")]);
            default:
                throw new ArgumentException(part);
        }
    }

    private static readonly string[] LimitParts = ["memory", "memory.swap", "cpu", "cpuset", "pids", "blockIO.weight", "blockIO.throttleReadBpsDevice"];

    /// <summary>Whether this host can take a limits case: null and null when it can; else why it is skipped (the
    /// controller is held by cgroup v2 here, or there is nothing to set), or what berth's refusal must name: the
    /// controller when the host has it nowhere, the setting whose file the kernel does not offer.</summary>
    private static (string? Skip, string[]? Refusal) Availability(string part)
    {
        if (part == "blockIO.throttleReadBpsDevice" && HostSupport.BlockDevice() is null)
            return ("this host has no block device (/sys/block) to throttle", null);
        if (part == "cpuset" && (HostSupport.RootCpuset("cpus").Count == 0 || HostSupport.RootCpuset("mems").Count == 0))
            return ("this host's cpuset root lists no CPUs or memory nodes", null);
        var (controller, _, settings) = LimitCase(part);
        if (HostSupport.ControllerVersion(controller) is null)
            return (null, [settings[0].Field + ": ", "controller"]);
        if (HostSupport.LacksV1(controller) is { } lacks)
            return (lacks + "; the v2 files are checked on fake trees in Berth.Cgroups.Tests", null);
        var missing = settings.FirstOrDefault(s => !s.Files.Any(f => HostSupport.V1CgroupHas(controller, f)));
        return (null, missing is null ? null : [$"{missing.Field}: this host's kernel has "]);
    }

    /// <summary>The hugetlb case: where the controller is (null: nowhere), the smallest huge page size the kernel has
    /// and a limit of two such pages.</summary>
    private static (string? Version, string PageSize, long Limit, bool NoSizes) HugepageCase()
    {
        var sizes = HostSupport.HugePageSizes();
        return sizes.Count > 0
            ? (HostSupport.ControllerVersion("hugetlb"), sizes[0].Name, 2 * sizes[0].Bytes, false)
            : (HostSupport.ControllerVersion("hugetlb"), "2MB", 4 << 20, true);
    }

    private static JsonObject HugepageResources(string pageSize, long limit) =>
        new() { ["hugepageLimits"] = new JsonArray(new JsonObject { ["pageSize"] = pageSize, ["limit"] = limit }) };

    /// <summary>
    /// One created container holding every limit this host can take (the resources of each available case merged),
    /// made when a case first needs it and deleted with the class: each created container costs seconds here.
    /// </summary>
    public sealed class LimitsContainer : IDisposable
    {
        private readonly Lazy<(string Id, BerthResult Create)> _container = new(Create);

        public string Id => _container.Value.Id;

        public string CreateStderr => _container.Value.Create.Stderr;

        private static (string Id, BerthResult Create) Create()
        {
            var resources = new JsonObject();
            var parts = LimitParts.Where(p => Availability(p) is (null, null)).Select(p => LimitCase(p).Resources).ToList();
            if (HugepageCase() is ({ }, var pageSize, var limit, false))
                parts.Add(HugepageResources(pageSize, limit));
            foreach (var part in parts)
                foreach (var (key, value) in part)
                {
                    if (resources[key] is JsonObject existing && value is JsonObject more)
                        foreach (var (name, setting) in more)
                            existing[name] = setting!.DeepClone();
                    else
                        resources[key] = value!.DeepClone();
                }
            string id = Harness.NewId("cglimits");
            var create = Harness.Run("create", "--bundle", Harness.Bundle(WithResources(Harness.BaseConfig("sleep", "60"), resources)), id);
            Assert.True(create.ExitCode == 0, create.ToString());
            return (id, create);
        }

        public void Dispose()
        {
            if (_container.IsValueCreated)
                ForceDelete(_container.Value.Id);
        }
    }

    /// <summary>
    /// Each case asks the host: the controller needs a cgroup v1 hierarchy here (held by cgroup v2 instead: a skip, the
    /// files read are v1 files), and each setting's file must be one a new cgroup of that hierarchy has. Where the
    /// kernel lacks it (blkio.weight and blkio.bfq.weight on a kernel without BFQ, memory.memsw.* without swap
    /// accounting, cpu.cfs_* without CFS bandwidth) or has the controller nowhere, create must fail naming the field
    /// and leave nothing behind.
    /// </summary>
    [SkippableTheory]
    [InlineData("memory")]
    [InlineData("memory.swap")]
    [InlineData("cpu")]
    [InlineData("cpuset")]
    [InlineData("pids")]
    [InlineData("blockIO.weight")]
    [InlineData("blockIO.throttleReadBpsDevice")]
    public void Limits_are_written_to_the_host_cgroup_files(string part)
    {
        Assert.Contains(part, LimitParts);
        var (skip, refusal) = Availability(part);
        HostSupport.SkipIfLacking(skip);
        var (controller, resources, settings) = LimitCase(part);
        if (refusal is not null) // the host lacks the controller or the file: berth's error instead of the limit
        {
            var config = WithResources(Harness.BaseConfig("true"), resources);
            Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "cglimits", refusal);
        }
        else
        {
            if (part == "memory")
                Assert.Contains("linux.resources.memory.kernel is deprecated", limits.CreateStderr);
            foreach (var setting in settings)
            {
                string file = setting.Files.First(f => HostSupport.V1CgroupHas(controller, f));
                string read = ReadV1(controller, "/berth/" + limits.Id, file);
                Assert.True(read == setting.Value || read.EndsWith(" " + setting.Value, StringComparison.Ordinal), $"{setting.Field}: {file} reads \"{read}\", not {setting.Value}");
            }
        }
    }

    [SkippableFact]
    public void The_default_device_rules_are_written_to_the_v1_devices_list()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksV1("devices"), "on cgroup v2 the rules are an eBPF program: see Berth.Cgroups.Tests");
        // The device list berth starts from: deny all, then runc's defaults.
        string devices = ReadV1("devices", "/berth/" + limits.Id, "devices.list");
        Assert.Contains("c 1:3 rwm", devices);
        Assert.Contains("c 136:* rwm", devices);
        Assert.Contains("b *:* m", devices);
        Assert.DoesNotContain("a *:* rwm", devices);
    }

    /// <summary>hugetlb wherever the host keeps it (a v1 hierarchy or cgroup2), for the smallest huge page size the
    /// kernel has; with no hugetlb controller at all, berth's error naming the field.</summary>
    [SkippableFact]
    public void Hugepage_limit_is_written_where_the_host_keeps_hugetlb()
    {
        var (version, pageSize, limit, noSizes) = HugepageCase();
        Skip.If(version is not null && noSizes, "this host has a hugetlb controller but /sys/kernel/mm/hugepages lists no page size");
        if (version is null) // no hugetlb controller on this host: berth's error instead of the limit
        {
            var config = WithResources(Harness.BaseConfig("true"), HugepageResources(pageSize, limit));
            Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "cghuge", "linux.resources.hugepageLimits[0]: ", "hugetlb");
        }
        else
        {
            string file = version == "cgroup v1" ? $"hugetlb.{pageSize}.limit_in_bytes" : $"hugetlb.{pageSize}.max";
            string dir = Layout.ControllerDirectory("hugetlb", "/berth/" + limits.Id)!;
            Assert.Equal(limit.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(dir, file)).Trim());
        }
    }

    [SkippableFact]
    public void Memory_limit_is_visible_inside_and_pids_limit_stops_fork()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksV1("memory", "pids"));
        // Inside, each v1 hierarchy is bound under /sys/fs/cgroup by the name of its host mount point.
        string memory = "/sys/fs/cgroup/" + Path.GetFileName(HostSupport.V1Mount("memory")), pids = "/sys/fs/cgroup/" + Path.GetFileName(HostSupport.V1Mount("pids"));
        var config = CgroupMount(WithResources(Harness.BaseConfig("sh", "-c",
            $"cat {memory}/memory.limit_in_bytes; cat {pids}/pids.max; " +
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
    public void An_access_with_a_letter_runc_ignores_denies_the_letters_it_knows()
    {
        // "rwa" as runc's suite writes it: the a is ignored, r and w are denied, and the container runs.
        var config = WithResources(Harness.BaseConfig("sh", "-c", "head -c1 /dev/zero | wc -c; head -c1 /dev/urandom | wc -c"),
            new JsonObject
            {
                ["devices"] = new JsonArray(
                    new JsonObject { ["allow"] = false, ["access"] = "rwm" },
                    new JsonObject { ["allow"] = false, ["type"] = "c", ["major"] = 1, ["minor"] = 5, ["access"] = "rwa" }),
            });
        var r = Harness.RunContainer(config);
        Assert.Contains("/dev/zero: Operation not permitted", r.Stderr);
        Assert.Equal(["0", "1"], r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The freezer pause uses here, asked of the host: the v1 freezer where it is mounted, else cgroup2's
    /// cgroup.freeze where the kernel has it; with neither, pause must fail naming the missing freezer.</summary>
    [Fact]
    public void Pause_and_resume_freeze_the_container_and_delete_force_kills_it_paused()
    {
        string id = CreateAndStart(Harness.BaseConfig("sh", "-c", "sleep 60 & sleep 60"), "cgpause");
        try
        {
            string? freezer = null, frozen = null, thawed = null;
            if (HostSupport.V1Mount("freezer") is not null)
                (freezer, frozen, thawed) = (V1File("freezer", "/berth/" + id, "freezer.state"), "FROZEN", "THAWED");
            else if (HostSupport.LacksV2CoreFile("cgroup.freeze") is null)
                (freezer, frozen, thawed) = (Path.Combine(Layout.V2Mount!, "berth", id, "cgroup.freeze"), "1", "0");
            var pause = Harness.Run("pause", id);
            if (freezer is null)
            {
                Assert.True(pause.ExitCode == 1, pause.ToString());
                Assert.Contains($"pause: no freezer controller for container \"{id}\"", pause.Stderr);
            }
            else
            {
                Assert.True(pause.ExitCode == 0, pause.ToString());
                Assert.Equal("paused", Status(id));
                Assert.Equal(frozen, File.ReadAllText(freezer).Trim());
                Assert.Equal(1, Harness.Run("pause", id).ExitCode);

                var resume = Harness.Run("resume", id);
                Assert.True(resume.ExitCode == 0, resume.ToString());
                Assert.Equal("running", Status(id));
                Assert.Equal(thawed, File.ReadAllText(freezer).Trim());
                Assert.Equal(1, Harness.Run("resume", id).ExitCode);

                Assert.Equal(0, Harness.Run("pause", id).ExitCode);
            }
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
            // Any hierarchy of this host lists the container's processes.
            string procs = Layout.DirectoriesFor("/berth/" + id).Select(d => Path.Combine(d, "cgroup.procs")).First(File.Exists);
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

    [SkippableFact]
    public void Existing_cgroup_is_joined_untouched_without_resources_and_modified_with_them()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksV1("pids", "devices"));
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

    [SkippableFact]
    public void A_cgroup_that_holds_processes_is_joined_with_runcs_warning()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksRoot);
        string path = $"/berth-test-occupied-{Environment.ProcessId}";
        var first = Harness.BaseConfig("sleep", "60");
        first["linux"]!["cgroupsPath"] = path;
        string id = Harness.NewId("occupied");
        var run = Harness.Run("run", "--detach", "--bundle", Harness.Bundle(first), id);
        Assert.True(run.ExitCode == 0, run.ToString());
        try
        {
            Assert.DoesNotContain("not empty", run.Stderr);
            var second = Harness.BaseConfig("cat", "/proc/self/cgroup");
            second["linux"]!["cgroupsPath"] = path;
            var join = Harness.RunContainer(second);
            Assert.True(join.ExitCode == 0, join.ToString());
            Assert.Contains(path, join.Stdout);
            Assert.Contains("warning: run: container's cgroup is not empty: 1 process(es) found", join.Stderr);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
        Harness.AssertNothingLeft(id);
    }

    /// <summary>
    /// Whether this host must refuse the setting at <paramref name="field"/> (else why the case is skipped), and the
    /// words berth's refusal has whichever driver (v1, hybrid, v2) this host's layout picks; the drivers' exact
    /// messages are checked on fake trees in Berth.Cgroups.Tests.
    /// </summary>
    private static (string? Skip, string Words) Refusal(string field) => field switch
    {
        "linux.resources.network.classID" => HostSupport.V1Mount("net_cls") is { } mount
            ? ($"this host mounts net_cls ({mount}): a classID is applied, not refused", "")
            : (null, "net_cls controller"),
        "linux.resources.network.priorities[0]" => HostSupport.V1Mount("net_prio") is { } mount
            ? ($"this host mounts net_prio ({mount}): an interface priority is applied, not refused", "")
            : (null, "net_prio controller"),
        "linux.resources.blockIO.leafWeight" => HostSupport.V1CgroupHas("blkio", "blkio.leaf_weight")
            ? ("this host's kernel has blkio.leaf_weight: a leaf weight is applied, not refused", "")
            : (null, HostSupport.V1Mount("blkio") is not null ? "this host's kernel has no blkio.leaf_weight" : ""),
        "linux.resources.rdma[\"mlx5_0\"]" => HostSupport.ControllerVersion("rdma") is { } version
            ? ($"this host has the rdma controller ({version}): an RDMA limit is applied, not refused", "")
            : (null, "rdma controller"),
        "linux.resources.unified[\"memory.max\"]" => HostSupport.V1Mount("memory") is null
            ? ("memory has no cgroup v1 hierarchy on this host: a cgroup v2 memory key is not refused for being v1", "")
            : (null, "cgroup v1"),
        "linux.resources.unified[\"bogus.max\"]" => (null, Layout.Mode == CgroupMode.V1 ? "cgroup v1 only" : "the bogus controller is not"),
        _ => throw new ArgumentException(field),
    };

    [SkippableTheory]
    [InlineData("{\"network\":{\"classID\":1048577}}", "linux.resources.network.classID")]
    [InlineData("{\"network\":{\"priorities\":[{\"name\":\"eth0\",\"priority\":3}]}}", "linux.resources.network.priorities[0]")]
    [InlineData("{\"blockIO\":{\"leafWeight\":100}}", "linux.resources.blockIO.leafWeight")]
    [InlineData("{\"rdma\":{\"mlx5_0\":{\"hcaHandles\":2}}}", "linux.resources.rdma[\"mlx5_0\"]")]
    [InlineData("{\"unified\":{\"memory.max\":\"1G\"}}", "linux.resources.unified[\"memory.max\"]")]
    [InlineData("{\"unified\":{\"bogus.max\":\"1\"}}", "linux.resources.unified[\"bogus.max\"]")]
    public void A_resource_the_host_cannot_apply_is_an_error_that_leaves_nothing(string resources, string field)
    {
        var (skip, words) = Refusal(field);
        HostSupport.SkipIfLacking(skip);
        var config = WithResources(Harness.BaseConfig("true"), JsonNode.Parse(resources)!.AsObject());
        Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "cgerr", field + ": ", words);
    }

    /// <summary>A CPU past the last one the host's cpuset root hands out: the kernel's refusal, named by field and file.</summary>
    [SkippableFact]
    public void A_cpu_the_host_does_not_have_is_an_error_that_leaves_nothing()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksV1("cpuset"), "cgroup v1's cpuset refuses a CPU outside its parent's; this test relies on that");
        var cpus = HostSupport.RootCpuset("cpus");
        Skip.If(cpus.Count == 0, "this host's cpuset root lists no CPUs");
        string cpu = (cpus.Max() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var config = WithResources(Harness.BaseConfig("true"), new JsonObject { ["cpu"] = new JsonObject { ["cpus"] = cpu } });
        Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "cgerr",
            $"linux.resources.cpu.cpus: write \"{cpu}\" to {Path.Combine(HostSupport.V1Mount("cpuset")!, "berth")}/");
    }

    [Theory]
    [InlineData("../..")]
    [InlineData("/berth/../../escape")]
    public void A_cgroups_path_escaping_the_hierarchy_is_an_error_that_leaves_nothing(string cgroupsPath)
    {
        var config = Harness.BaseConfig("true");
        config["linux"]!["cgroupsPath"] = cgroupsPath;
        // Refused when the config is read (validate says the same), before anything is made.
        Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "cgesc", "/linux/cgroupsPath", $"cgroupsPath \"{cgroupsPath}\" has a \"..\" component, which would leave the cgroup hierarchy");
        // Where a named escape would have led from each of this host's hierarchies.
        if (Path.GetFileName(cgroupsPath) == "escape")
            foreach (string dir in Layout.DirectoriesFor(cgroupsPath).Select(Path.GetFullPath))
                Assert.False(Directory.Exists(dir), $"{dir} was created outside the cgroup hierarchy");
    }
}
