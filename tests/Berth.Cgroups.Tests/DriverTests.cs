namespace Berth.Cgroups.Tests;

/// <summary>The three drivers on fake cgroup trees: what each resource becomes, and where.</summary>
public class DriverTests
{
    private static LinuxResources Full() => new()
    {
        Memory = new LinuxMemory { Limit = 100 << 20, Reservation = 50 << 20, Swap = 300 << 20 },
        Cpu = new LinuxCpu { Shares = 1024, Quota = 50000, Period = 100000, Burst = 1000, Idle = 0, Cpus = "0", Mems = "0" },
        Pids = new LinuxPids { Limit = 42 },
        BlockIO = new LinuxBlockIO
        {
            Weight = 500,
            ThrottleReadBpsDevice = [new LinuxThrottleDevice { Major = 254, Minor = 0, Rate = 1048576 }],
        },
        HugepageLimits = [new LinuxHugepageLimit { PageSize = "2MB", Limit = 4194304 }],
        Rdma = new Dictionary<string, LinuxRdma> { ["mlx5_0"] = new LinuxRdma { HcaHandles = 3, HcaObjects = 1000 } },
    };

    private static void Apply(CgroupLayout layout, LinuxResources resources, bool created = false, List<string>? warnings = null)
    {
        var driver = CgroupDrivers.For(layout);
        var plan = driver.Compile(resources, created, warnings ?? []);
        driver.Apply(plan, FakeTree.Container);
    }

    [Fact]
    public void V2_every_resource_in_its_v2_file_with_v1_values_converted()
    {
        using var tree = new FakeTree();
        Apply(tree.V2(), Full());
        Assert.Equal("104857600", tree.Read("unified", "memory.max"));
        Assert.Equal("52428800", tree.Read("unified", "memory.low"));
        Assert.Equal("209715200", tree.Read("unified", "memory.swap.max")); // swap − limit
        Assert.Equal("100", tree.Read("unified", "cpu.weight"));             // 1024 shares
        Assert.Equal("50000 100000", tree.Read("unified", "cpu.max"));
        Assert.Equal("1000", tree.Read("unified", "cpu.max.burst"));
        Assert.Equal("0", tree.Read("unified", "cpu.idle"));
        Assert.Equal("0", tree.Read("unified", "cpuset.cpus"));
        Assert.Equal("42", tree.Read("unified", "pids.max"));
        Assert.Equal("default 4950", tree.Read("unified", "io.weight"));     // no io.bfq.weight: converted
        Assert.Equal("254:0 rbps=1048576", tree.Read("unified", "io.max"));
        Assert.Equal("4194304", tree.Read("unified", "hugetlb.2MB.max"));
        Assert.Equal("mlx5_0 hca_handle=3 hca_object=1000", tree.Read("unified", "rdma.max"));
    }

    [Fact]
    public void V2_unlimited_values_are_max_and_bfq_weight_is_preferred()
    {
        using var tree = new FakeTree();
        var layout = tree.V2();
        File.WriteAllText(Path.Combine(layout.V2Mount!, "berth/c1/io.bfq.weight"), "");
        Apply(layout, new LinuxResources
        {
            Memory = new LinuxMemory { Limit = -1 },
            Cpu = new LinuxCpu { Quota = -1 },
            Pids = new LinuxPids { Limit = -1 },
            BlockIO = new LinuxBlockIO { Weight = 500 },
        });
        Assert.Equal("max", tree.Read("unified", "memory.max"));
        Assert.Equal("max", tree.Read("unified", "memory.swap.max"));
        Assert.Equal("max 100000", tree.Read("unified", "cpu.max"));
        Assert.Equal("max", tree.Read("unified", "pids.max"));
        Assert.Equal("500", tree.Read("unified", "io.bfq.weight"));
        Assert.Equal("", tree.Read("unified", "io.weight"));
    }

    [Fact]
    public void V2_enables_the_controllers_it_needs_in_every_parent()
    {
        using var tree = new FakeTree();
        var layout = tree.V2(enabled: false);
        Apply(layout, new LinuxResources { Pids = new LinuxPids { Limit = 5 } });
        Assert.Equal("+pids", File.ReadAllText(Path.Combine(layout.V2Mount!, "cgroup.subtree_control")));
        Assert.Equal("+pids", File.ReadAllText(Path.Combine(layout.V2Mount!, "berth/cgroup.subtree_control")));
        Assert.Equal("5", tree.Read("unified", "pids.max"));
    }

    [Fact]
    public void V2_unified_keys_are_written_as_given()
    {
        using var tree = new FakeTree();
        Apply(tree.V2(), new LinuxResources { Unified = new Dictionary<string, string> { ["memory.max"] = "1G", ["cgroup.max.depth"] = "3" } });
        Assert.Equal("1G", tree.Read("unified", "memory.max"));
        Assert.Equal("3", tree.Read("unified", "cgroup.max.depth"));
    }

    [Theory]
    [InlineData("{\"memory\":{\"swappiness\":10}}", "linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness")]
    [InlineData("{\"memory\":{\"disableOOMKiller\":true}}", "linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer")]
    [InlineData("{\"cpu\":{\"realtimeRuntime\":1000}}", "linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime")]
    [InlineData("{\"blockIO\":{\"leafWeight\":100}}", "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight")]
    [InlineData("{\"network\":{\"classID\":1}}", "linux.resources.network.classID: cgroup v2 has no net_cls controller")]
    [InlineData("{\"network\":{\"priorities\":[{\"name\":\"eth0\",\"priority\":1}]}}", "linux.resources.network.priorities[0]: cgroup v2 has no net_prio controller")]
    [InlineData("{\"unified\":{\"misc.max\":\"1\"}}", "linux.resources.unified[\"misc.max\"]: the misc controller is not available")]
    [InlineData("{\"unified\":{\"../etc/passwd\":\"1\"}}", "linux.resources.unified[\"../etc/passwd\"]: \"../etc/passwd\" is not a cgroup v2 file name")]
    [InlineData("{\"unified\":{\"cgroup.procs\":\"1\"}}", "linux.resources.unified[\"cgroup.procs\"]: cgroup.procs is managed by berth")]
    [InlineData("{\"memory\":{\"limit\":100,\"swap\":50}}", "linux.resources.memory.swap: memory+swap (50) is smaller than the memory limit (100)")]
    public void V2_what_it_cannot_apply_is_an_error_naming_the_field(string json, string message)
    {
        using var tree = new FakeTree();
        var e = Assert.Throws<BerthException>(() => Apply(tree.V2(), ParseResources(json)));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Values_the_schema_also_refuses_are_refused_without_it()
    {
        using var tree = new FakeTree();
        var e = Assert.Throws<BerthException>(() => Apply(tree.V2(), new LinuxResources { HugepageLimits = [new LinuxHugepageLimit { PageSize = "2M", Limit = 1 }] }));
        Assert.StartsWith("linux.resources.hugepageLimits[0].pageSize: \"2M\" is not a page size", e.Message);
        e = Assert.Throws<BerthException>(() => Apply(tree.V1(), new LinuxResources { Devices = [new LinuxDeviceCgroup { Allow = true, Access = "xa" }] }));
        Assert.StartsWith("linux.resources.devices[0].access: \"xa\" holds none of r, w and m", e.Message);
    }

    [Fact]
    public void V2_a_file_the_kernel_lacks_is_an_error_naming_the_field()
    {
        using var tree = new FakeTree();
        var layout = tree.V2();
        tree.Remove("unified", "cpu.max.burst");
        var e = Assert.Throws<BerthException>(() => Apply(layout, new LinuxResources { Cpu = new LinuxCpu { Burst = 10 } }));
        Assert.StartsWith("linux.resources.cpu.burst: this host's kernel has no cpu.max.burst in the cpu controller", e.Message);
    }

    [Fact]
    public void V2_check_before_update_refuses_a_limit_below_usage()
    {
        using var tree = new FakeTree();
        var layout = tree.V2();
        File.WriteAllText(Path.Combine(layout.V2Mount!, "berth/c1/memory.current"), "5000\n");
        var e = Assert.Throws<BerthException>(() => Apply(layout, new LinuxResources { Memory = new LinuxMemory { Limit = 4096, CheckBeforeUpdate = true } }));
        Assert.StartsWith("linux.resources.memory.limit: the cgroup already uses 5000 bytes", e.Message);
        Apply(layout, new LinuxResources { Memory = new LinuxMemory { Limit = 8192, CheckBeforeUpdate = true } });
        Assert.Equal("8192", tree.Read("unified", "memory.max"));
    }

    [Fact]
    public void V2_device_rules_become_a_program_not_files()
    {
        using var tree = new FakeTree();
        var plan = CgroupDrivers.For(tree.V2()).Compile(new LinuxResources(), created: true, []);
        Assert.Empty(plan.Writes);
        Assert.NotNull(plan.DeviceProgramRules);
        Assert.Equal(1 + DeviceRules.Defaults.Count, plan.DeviceProgramRules!.Count);
    }

    [Fact]
    public void V1_every_resource_in_its_controller_hierarchy()
    {
        using var tree = new FakeTree();
        var full = Full();
        var resources = new LinuxResources
        {
            Memory = new LinuxMemory { Limit = 100 << 20, Reservation = 50 << 20, Swap = 300 << 20, Swappiness = 10, DisableOOMKiller = true },
            Cpu = new LinuxCpu { Shares = 512, Quota = 50000, Period = 100000, Burst = 1000, RealtimePeriod = 1000000, RealtimeRuntime = 0, Idle = 0, Cpus = "0", Mems = "0" },
            Pids = full.Pids,
            BlockIO = new LinuxBlockIO
            {
                Weight = 500,
                WeightDevice = [new LinuxWeightDevice { Major = 254, Minor = 0, Weight = 300 }],
                ThrottleWriteIOPSDevice = [new LinuxThrottleDevice { Major = 254, Minor = 0, Rate = 100 }],
            },
            HugepageLimits = full.HugepageLimits,
            Rdma = full.Rdma,
        };
        Apply(tree.V1(), resources);
        Assert.Equal("104857600", tree.Read("memory", "memory.limit_in_bytes"));
        Assert.Equal("52428800", tree.Read("memory", "memory.soft_limit_in_bytes"));
        Assert.Equal("314572800", tree.Read("memory", "memory.memsw.limit_in_bytes"));
        Assert.Equal("10", tree.Read("memory", "memory.swappiness"));
        Assert.Equal("1", tree.Read("memory", "memory.oom_control"));
        Assert.Equal("512", tree.Read("cpu", "cpu.shares"));
        Assert.Equal("50000", tree.Read("cpu", "cpu.cfs_quota_us"));
        Assert.Equal("100000", tree.Read("cpu", "cpu.cfs_period_us"));
        Assert.Equal("1000", tree.Read("cpu", "cpu.cfs_burst_us"));
        Assert.Equal("1000000", tree.Read("cpu", "cpu.rt_period_us"));
        Assert.Equal("0", tree.Read("cpu", "cpu.rt_runtime_us"));
        Assert.Equal("0", tree.Read("cpuset", "cpuset.cpus"));
        Assert.Equal("42", tree.Read("pids", "pids.max"));
        Assert.Equal("500", tree.Read("blkio", "blkio.bfq.weight"));            // no blkio.weight here: the BFQ file
        Assert.Equal("254:0 300", tree.Read("blkio", "blkio.bfq.weight_device"));
        Assert.Equal("254:0 100", tree.Read("blkio", "blkio.throttle.write_iops_device"));
        Assert.Equal("4194304", tree.Read("hugetlb", "hugetlb.2MB.limit_in_bytes"));
        Assert.Equal("mlx5_0 hca_handle=3 hca_object=1000", tree.Read("rdma", "rdma.max"));
    }

    [Fact]
    public void V1_memory_limit_above_the_current_memsw_raises_memsw_first()
    {
        using var tree = new FakeTree();
        var layout = tree.V1("memory");
        File.WriteAllText(Path.Combine(layout.V1Mounts["memory"], "berth/c1/memory.memsw.limit_in_bytes"), "1000\n");
        var plan = CgroupDrivers.For(layout).Compile(new LinuxResources { Memory = new LinuxMemory { Limit = 2000, Swap = 4000 } }, false, []);
        Assert.Equal(["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"], plan.Writes.Select(w => w.File));
        CgroupDrivers.For(layout).Apply(plan, FakeTree.Container);
        Assert.Equal("2000", tree.Read("memory", "memory.limit_in_bytes"));
        Assert.Equal("4000", tree.Read("memory", "memory.memsw.limit_in_bytes"));
    }

    [Theory]
    [InlineData("{\"network\":{\"classID\":1048577}}", "linux.resources.network.classID: the net_cls controller is not mounted on this host")]
    [InlineData("{\"network\":{\"priorities\":[{\"name\":\"eth0\",\"priority\":1}]}}", "linux.resources.network.priorities[0]: the net_prio controller is not mounted on this host")]
    [InlineData("{\"blockIO\":{\"leafWeight\":100}}", "linux.resources.blockIO.leafWeight: this host's kernel has no blkio.leaf_weight in the blkio controller")]
    [InlineData("{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"leafWeight\":100}]}}", "linux.resources.blockIO.weightDevice[0].leafWeight: this host's kernel has no blkio.leaf_weight_device")]
    [InlineData("{\"unified\":{\"memory.max\":\"1G\"}}", "linux.resources.unified[\"memory.max\"]: this is a cgroup v2 setting and this host has cgroup v1 only")]
    [InlineData("{\"hugepageLimits\":[{\"pageSize\":\"1GB\",\"limit\":1073741824}]}", "linux.resources.hugepageLimits[0]: this host's kernel has no hugetlb.1GB.limit_in_bytes")]
    public void V1_what_it_cannot_apply_is_an_error_naming_the_field(string json, string message)
    {
        using var tree = new FakeTree();
        var e = Assert.Throws<BerthException>(() => Apply(tree.V1(), ParseResources(json)));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void V1_device_rules_in_order_from_deny_all_with_the_defaults()
    {
        using var tree = new FakeTree();
        var layout = tree.V1();
        var resources = ParseResources("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"rw\"}]}");
        var plan = CgroupDrivers.For(layout).Compile(resources, created: false, []);
        var lines = plan.Writes.Where(w => w.Controller == "devices").Select(w => $"{w.File} {w.Value}").ToList();
        Assert.Equal("devices.deny a", lines[0]);
        Assert.Contains("devices.allow c *:* m", lines);
        Assert.Contains("devices.allow c 136:* rwm", lines);
        Assert.Contains("devices.allow c 1:5 rwm", lines);
        Assert.Equal("devices.deny c 1:5 rw", lines[^1]);
        Assert.Null(plan.DeviceProgramRules);
    }

    [Fact]
    public void Device_access_letters_other_than_r_w_m_are_ignored_as_runc_ignores_them()
    {
        // runc's own suite denies "rwa": the a means nothing to runc, which reads the r and the w.
        using var tree = new FakeTree();
        var resources = ParseResources("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":11,\"access\":\"rwa\"}]}");
        var plan = CgroupDrivers.For(tree.V1()).Compile(resources, created: false, []);
        var lines = plan.Writes.Where(w => w.Controller == "devices").Select(w => $"{w.File} {w.Value}").ToList();
        Assert.Equal("devices.deny c 1:11 rw", lines[^1]);
    }

    [Fact]
    public void Joined_cgroup_without_resources_gets_no_writes_and_created_one_gets_default_devices()
    {
        using var tree = new FakeTree();
        var driver = CgroupDrivers.For(tree.V1());
        Assert.True(driver.Compile(null, created: false, []).IsEmpty);
        Assert.Equal(1 + DeviceRules.Defaults.Count, driver.Compile(null, created: true, []).Writes.Count);
        Assert.False(ResourceCompiler.HasAny(new LinuxResources()));
        Assert.True(ResourceCompiler.HasAny(new LinuxResources { Pids = new LinuxPids { Limit = 1 } }));
    }

    [Fact]
    public void Kernel_memory_is_deprecated_with_a_warning()
    {
        using var tree = new FakeTree();
        var warnings = new List<string>();
        Apply(tree.V1(), new LinuxResources { Memory = new LinuxMemory { Kernel = 1 << 20, KernelTCP = 1 << 20 } }, warnings: warnings);
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("linux.resources.memory.kernel is deprecated", warnings[0]);
        Assert.StartsWith("linux.resources.memory.kernelTCP is deprecated", warnings[1]);
    }

    [Fact]
    public void Hybrid_each_controller_where_it_lives()
    {
        using var tree = new FakeTree();
        var layout = tree.Hybrid();
        var driver = CgroupDrivers.For(layout);
        var plan = driver.Compile(Full() is var r ? new LinuxResources
        {
            Memory = r.Memory, Pids = r.Pids, HugepageLimits = r.HugepageLimits,
            Unified = new Dictionary<string, string> { ["hugetlb.1GB.max"] = "0" },
        } : null, created: true, []);
        driver.Apply(plan, FakeTree.Container);
        Assert.Equal("104857600", tree.Read("memory", "memory.limit_in_bytes"));
        Assert.Equal("42", tree.Read("pids", "pids.max"));
        Assert.Equal("4194304", tree.Read("unified", "hugetlb.2MB.max"));
        Assert.Equal("0", tree.Read("unified", "hugetlb.1GB.max"));
        // The default rules through one descriptor, one write each (the kernel takes each write on its own; a plain
        // file shows them one after another), in order.
        string allowed = tree.Read("devices", "devices.allow");
        Assert.StartsWith("c *:* mb *:* mc 1:3 rwm", allowed);
        Assert.EndsWith("c 10:200 rwm", allowed);
        Assert.Null(plan.DeviceProgramRules);                                // devices is a v1 controller here

        var e = Assert.Throws<BerthException>(() => driver.Compile(new LinuxResources { Unified = new Dictionary<string, string> { ["memory.max"] = "1" } }, false, []));
        Assert.Equal("linux.resources.unified[\"memory.max\"]: invalid configuration: the memory controller is a cgroup v1 controller on this host, so its cgroup v2 files cannot be set", e.Message);
        e = Assert.Throws<BerthException>(() => driver.Compile(new LinuxResources { Network = new LinuxNetwork { ClassID = 1 } }, false, []));
        Assert.Equal("linux.resources.network.classID: the net_cls controller is not mounted on this host", e.Message);
        e = Assert.Throws<BerthException>(() => driver.Compile(new LinuxResources { Rdma = r.Rdma }, false, []));
        Assert.Equal("linux.resources.rdma[\"mlx5_0\"]: the rdma controller is not mounted on this host", e.Message);
    }

    [Fact]
    public void Hybrid_without_a_v1_devices_controller_uses_the_program()
    {
        using var tree = new FakeTree();
        var hybrid = tree.Hybrid();
        var mounts = hybrid.V1Mounts.Where(m => m.Key != "devices").ToDictionary();
        var layout = hybrid with { V1Mounts = mounts };
        var plan = CgroupDrivers.For(layout).Compile(null, created: true, []);
        Assert.Empty(plan.Writes);
        Assert.NotNull(plan.DeviceProgramRules);
    }

    public static LinuxResources ParseResources(string json)
    {
        string config = "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":" + json + "}}";
        var diagnostics = new List<SchemaDiagnostic>();
        var spec = Berth.Spec.Spec.Parse(System.Text.Encoding.UTF8.GetBytes(config), diagnostics);
        Assert.True(spec is not null && diagnostics.All(d => d.Severity != SchemaSeverity.Error), string.Join("; ", diagnostics.Select(d => d.Message)));
        return spec!.Linux!.Resources!;
    }
}
