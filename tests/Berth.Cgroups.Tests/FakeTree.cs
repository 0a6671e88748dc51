namespace Berth.Cgroups.Tests;

/// <summary>
/// A temporary directory laid out like cgroup hierarchies: the files a driver writes exist as plain files, so a
/// test reads back exactly what the driver wrote. A file left out stands for a file this kernel lacks.
/// </summary>
public sealed class FakeTree : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("berth-fake-cgroup-").FullName;

    public const string Container = "/berth/c1";

    public static readonly string[] V2Files =
    [
        "cgroup.procs", "cgroup.freeze", "cgroup.kill", "cgroup.events", "cgroup.max.depth",
        "memory.max", "memory.low", "memory.swap.max", "memory.current",
        "cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle", "cpuset.cpus", "cpuset.mems",
        "pids.max", "io.weight", "io.max", "hugetlb.2MB.max", "hugetlb.1GB.max", "rdma.max",
    ];

    public static readonly Dictionary<string, string[]> V1Files = new()
    {
        ["memory"] = ["memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.swappiness", "memory.oom_control", "memory.use_hierarchy", "memory.usage_in_bytes"],
        ["cpu"] = ["cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.cfs_burst_us", "cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.idle"],
        ["cpuset"] = ["cpuset.cpus", "cpuset.mems"],
        ["pids"] = ["pids.max"],
        ["blkio"] = ["blkio.bfq.weight", "blkio.bfq.weight_device", "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"],
        ["hugetlb"] = ["hugetlb.2MB.limit_in_bytes"],
        ["devices"] = ["devices.allow", "devices.deny", "devices.list"],
        ["freezer"] = ["freezer.state"],
        ["rdma"] = ["rdma.max"],
    };

    /// <summary>A v2 hierarchy at Root/unified with these controllers; the container's directory made with every file.</summary>
    public CgroupLayout V2(string controllers = "cpuset cpu io memory hugetlb pids rdma", bool enabled = true)
    {
        string mount = Path.Combine(Root, "unified");
        foreach (string dir in new[] { mount, Path.Combine(mount, "berth") })
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "cgroup.controllers"), controllers + "\n");
            File.WriteAllText(Path.Combine(dir, "cgroup.subtree_control"), enabled ? controllers + "\n" : "");
        }
        MakeFiles(Path.Combine(mount, "berth", "c1"), V2Files);
        return new CgroupLayout(CgroupMode.V2, new Dictionary<string, string>(), mount, controllers.Split(' '));
    }

    /// <summary>v1 hierarchies, one directory per controller, with these controllers mounted.</summary>
    public CgroupLayout V1(params string[] controllers)
    {
        if (controllers.Length == 0)
            controllers = V1Files.Keys.ToArray();
        var mounts = new Dictionary<string, string>();
        foreach (string c in controllers)
        {
            string mount = Path.Combine(Root, c);
            mounts[c] = mount;
            MakeFiles(Path.Combine(mount, "berth", "c1"), V1Files[c]);
        }
        return new CgroupLayout(CgroupMode.V1, mounts, null, []);
    }

    /// <summary>This project's host: v1 controllers plus a cgroup2 mount holding only hugetlb.</summary>
    public CgroupLayout Hybrid()
    {
        var v1 = V1("memory", "cpu", "cpuset", "pids", "blkio", "devices", "freezer");
        var v2 = V2("hugetlb");
        return new CgroupLayout(CgroupMode.Hybrid, v1.V1Mounts, v2.V2Mount, v2.V2Controllers);
    }

    private static void MakeFiles(string dir, IEnumerable<string> files)
    {
        Directory.CreateDirectory(dir);
        foreach (string f in files)
            File.WriteAllText(Path.Combine(dir, f), "");
    }

    public string Read(string hierarchy, string file) =>
        File.ReadAllText(Path.Combine(Root, hierarchy, "berth", "c1", file));

    public void Remove(string hierarchy, string file) => File.Delete(Path.Combine(Root, hierarchy, "berth", "c1", file));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
