namespace Berth.Cgroups.Tests;

public class ConversionTests
{
    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(2UL, 1UL)]
    [InlineData(1024UL, 100UL)]
    [InlineData(262144UL, 10000UL)]
    [InlineData(1UL, 1UL)]
    [InlineData(1_000_000UL, 10000UL)]
    public void Cpu_weight_from_shares_keeps_the_defaults_and_the_ends(ulong shares, ulong weight) =>
        Assert.Equal(weight, Conversions.CpuWeightFromShares(shares));

    [Fact]
    public void Cpu_weight_from_shares_is_monotonic()
    {
        ulong last = 0;
        for (ulong s = 2; s <= 262144; s += 97)
        {
            ulong w = Conversions.CpuWeightFromShares(s);
            Assert.InRange(w, last, 10000UL);
            last = w;
        }
    }

    [Theory]
    [InlineData(10UL, 1UL)]
    [InlineData(1000UL, 10000UL)]
    [InlineData(500UL, 4950UL)]
    [InlineData(0UL, 0UL)]
    public void Io_weight_from_blkio_weight(ulong blkio, ulong io) =>
        Assert.Equal(io, Conversions.IoWeightFromBlkioWeight(blkio));

    [Fact]
    public void Swap_max_is_memsw_minus_limit()
    {
        Assert.Equal("200", Conversions.SwapMaxFromMemsw(300, 100, "f"));
        Assert.Equal("max", Conversions.SwapMaxFromMemsw(-1, 100, "f"));
        Assert.Equal("max", Conversions.SwapMaxFromMemsw(null, -1, "f"));
        Assert.Null(Conversions.SwapMaxFromMemsw(null, 100, "f"));
        Assert.Equal("0", Conversions.SwapMaxFromMemsw(100, 100, "f"));
        Assert.Contains("smaller than the memory limit", Assert.Throws<BerthException>(() => Conversions.SwapMaxFromMemsw(50, 100, "linux.resources.memory.swap")).Message);
        Assert.StartsWith("linux.resources.memory.swap: a swap limit needs a memory limit", Assert.Throws<BerthException>(() => Conversions.SwapMaxFromMemsw(50, null, "linux.resources.memory.swap")).Message);
    }

    [Fact]
    public void Cgroups_path_may_not_leave_the_hierarchy()
    {
        Assert.Equal("/berth/abc", CgroupManager.ResolvePath(null, "abc"));
        Assert.Equal("/berth/x/y", CgroupManager.ResolvePath("x/y", "abc"));
        Assert.Equal("/a/b", CgroupManager.ResolvePath("/a/./b", "abc"));
        var e = Assert.Throws<BerthException>(() => CgroupManager.ResolvePath("../..", "abc"));
        Assert.Equal("linux.cgroupsPath \"../..\" leaves the cgroup hierarchy", e.Message);
        Assert.Throws<BerthException>(() => CgroupManager.ResolvePath("/a/../../etc", "abc"));
        Assert.Throws<BerthException>(() => CgroupManager.ResolvePath("/", "abc"));
    }

    [Theory]
    [InlineData("hybrid", "/sys/fs/cgroup/freezer/berth/c1", "/sys/fs/cgroup/unified/berth/c1")]
    [InlineData("v2 with a name=systemd hierarchy inside it", "", "/sys/fs/cgroup/berth/c1")]
    [InlineData("v1 without cgroup2", "/sys/fs/cgroup/freezer/berth/c1", "")]
    public void The_recorded_freezer_and_cgroup2_directories_are_those_of_the_deepest_mount_above_each(string host, string freezer, string cgroup2)
    {
        string[] mountinfo = host switch
        {
            "hybrid" =>
            [
                "32 31 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
                "33 31 0:30 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer",
                "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
                "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
            ],
            "v1 without cgroup2" =>
            [
                "32 31 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
                "33 31 0:30 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer",
            ],
            _ =>
            [
                "31 23 0:28 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw",
                "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,none,name=systemd",
            ],
        };
        var layout = CgroupLayout.Detect(mountinfo);
        var dirs = layout.DirectoriesFor("/berth/c1").ToList();
        Assert.Equal((freezer, cgroup2), Freezer.Roles(layout, dirs));
        // Every directory belongs to the hierarchy of the deepest mount above it, which pause's selection uses too.
        Assert.All(dirs, d => Assert.Equal(Path.GetDirectoryName(Path.GetDirectoryName(d)), layout.MountOf(d)));
        Assert.Equal(freezer.Length > 0 ? [freezer] : new List<string>(), Freezer.Select(layout, dirs));
    }

    [Fact]
    public void Layout_of_a_hybrid_host_from_mountinfo()
    {
        string[] mountinfo =
        [
            "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
            "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
            "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
            "41 31 0:38 / /nonexistent/unified rw,relatime - cgroup2 cgroup2 rw",
        ];
        var layout = CgroupLayout.Detect(mountinfo);
        Assert.Equal(CgroupMode.Hybrid, layout.Mode);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.V1Mounts["cpu"]);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.V1Mounts["cpuacct"]);
        Assert.Equal("/nonexistent/unified", layout.V2Mount);
        Assert.IsType<HybridDriver>(CgroupDrivers.For(layout));
        Assert.IsType<V1Driver>(CgroupDrivers.For(CgroupLayout.Detect(mountinfo[..4])));
        Assert.IsType<V2Driver>(CgroupDrivers.For(CgroupLayout.Detect([mountinfo[4]])));
    }

    [Fact]
    public void The_cgroups_a_process_is_in_are_found_per_hierarchy_mount()
    {
        var layout = CgroupLayout.Detect(
        [
            "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
            "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
            "41 31 0:38 / /nonexistent/unified rw,relatime - cgroup2 cgroup2 rw",
        ]);
        var paths = layout.CurrentPaths(["5:cpuacct,cpu:/user/a", "9:name=systemd:/b", "4:memory:/not-mounted", "0::/c"]);
        Assert.Equal(3, paths.Count);
        Assert.Equal("/user/a", paths["/sys/fs/cgroup/cpu,cpuacct"]);
        Assert.Equal("/b", paths["/sys/fs/cgroup/systemd"]);
        Assert.Equal("/c", paths["/nonexistent/unified"]);
    }
}
