using System.Globalization;
using Berth.Spec;

namespace Berth.Runtime.Cgroups;

/// <summary>Where a controller's settings go on this host; each driver answers for its layout.</summary>
public interface IControllerPlacement
{
    /// <summary>The hierarchy that holds the controller, or a BerthException naming <paramref name="field"/> when the
    /// host has it nowhere. <paramref name="v1"/> or <paramref name="v2"/> is null when that version has no such controller.</summary>
    CgroupVersion Place(string? v1, string? v2, string field);
}

/// <summary>
/// Lowers linux.resources to the ordered cgroup file writes of a layout. Pure: nothing is read or written here
/// (whether the kernel offers each file is checked when the writes are applied). Device rules are compiled
/// separately (<see cref="DeviceRules"/>).
/// </summary>
public static class ResourceCompiler
{
    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static string N(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>True when the config gives any resource at all (join versus join-and-modify).</summary>
    public static bool HasAny(LinuxResources? r) =>
        r is not null && (r.Devices is { Count: > 0 } || r.Memory is not null || r.Cpu is not null || r.Pids is not null
            || r.BlockIO is not null || r.HugepageLimits is { Count: > 0 } || r.Network is not null || r.Rdma is { Count: > 0 }
            || r.Unified is { Count: > 0 });

    public static List<CgroupWrite> Compile(LinuxResources resources, IControllerPlacement placement, List<string> warnings)
    {
        var writes = new List<CgroupWrite>();
        if (resources.Memory is { } memory)
            Memory(memory, placement, writes, warnings);
        if (resources.Cpu is { } cpu)
            Cpu(cpu, placement, writes);
        if (resources.Pids is { Limit: { } pids })
        {
            const string field = "linux.resources.pids.limit";
            var v = placement.Place("pids", "pids", field);
            writes.Add(new(v, "pids", "pids.max", pids > 0 ? N(pids) : "max", field));
        }
        if (resources.BlockIO is { } blockIO)
            BlockIO(blockIO, placement, writes);
        if (resources.HugepageLimits is { } hugepages)
            for (int i = 0; i < hugepages.Count; i++)
            {
                string field = $"linux.resources.hugepageLimits[{i}]";
                string size = hugepages[i].PageSize;
                if (!Conversions.IsPageSize(size))
                    throw new BerthException($"{field}.pageSize: \"{size}\" is not a page size such as 2MB or 1GB");
                var v = placement.Place("hugetlb", "hugetlb", field);
                writes.Add(new(v, "hugetlb", v == CgroupVersion.V1 ? $"hugetlb.{size}.limit_in_bytes" : $"hugetlb.{size}.max", N(hugepages[i].Limit), field));
            }
        if (resources.Network is { } network)
        {
            if (network.ClassID is { } classId)
            {
                const string field = "linux.resources.network.classID";
                placement.Place("net_cls", null, field);
                writes.Add(new(CgroupVersion.V1, "net_cls", "net_cls.classid", N((ulong)classId), field));
            }
            if (network.Priorities is { } priorities)
                for (int i = 0; i < priorities.Count; i++)
                {
                    string field = $"linux.resources.network.priorities[{i}]";
                    if (priorities[i].Name.Length == 0 || priorities[i].Name.Any(c => c is ' ' or '\n' or '/'))
                        throw new BerthException($"{field}.name: \"{priorities[i].Name}\" is not an interface name");
                    placement.Place("net_prio", null, field);
                    writes.Add(new(CgroupVersion.V1, "net_prio", "net_prio.ifpriomap", $"{priorities[i].Name} {priorities[i].Priority}", field));
                }
        }
        if (resources.Rdma is { } rdma)
            foreach (var (device, limit) in rdma)
            {
                string field = $"linux.resources.rdma[\"{device}\"]";
                if (device.Length == 0 || device.Any(c => c is ' ' or '\n' or '='))
                    throw new BerthException($"{field}: \"{device}\" is not an RDMA device name");
                var parts = new List<string> { device };
                if (limit.HcaHandles is { } handles)
                    parts.Add("hca_handle=" + N((ulong)handles));
                if (limit.HcaObjects is { } objects)
                    parts.Add("hca_object=" + N((ulong)objects));
                if (parts.Count == 1)
                    continue; // neither limit given: nothing to set
                var v = placement.Place("rdma", "rdma", field);
                writes.Add(new(v, "rdma", "rdma.max", string.Join(' ', parts), field));
            }
        if (resources.Unified is { } unified)
            foreach (var (key, value) in unified)
            {
                string field = $"linux.resources.unified[\"{key}\"]";
                if (key.Length == 0 || key.Contains('/') || key.StartsWith('.') || !key.Contains('.'))
                    throw new BerthException($"{field}: \"{key}\" is not a cgroup v2 file name");
                if (key is "cgroup.procs" or "cgroup.threads" or "cgroup.subtree_control" or "cgroup.kill" or "cgroup.freeze")
                    throw new BerthException($"{field}: {key} is managed by berth and cannot be set here");
                string controller = key[..key.IndexOf('.')];
                if (controller == "cgroup")
                    controller = "";
                placement.Place(null, controller, field);
                writes.Add(new(CgroupVersion.V2, controller, key, value, field));
            }
        return writes;
    }

    private static void Memory(LinuxMemory m, IControllerPlacement placement, List<CgroupWrite> writes, List<string> warnings)
    {
        const string f = "linux.resources.memory";
        if (m.Kernel is not null)
            warnings.Add($"{f}.kernel is deprecated (the kernel no longer limits kernel memory separately) and is ignored");
        if (m.KernelTCP is not null)
            warnings.Add($"{f}.kernelTCP is deprecated (the kernel no longer limits TCP buffer memory separately) and is ignored");
        if (m.Limit is { } limit)
        {
            var v = placement.Place("memory", "memory", $"{f}.limit");
            writes.Add(new(v, "memory", v == CgroupVersion.V1 ? "memory.limit_in_bytes" : "memory.max",
                v == CgroupVersion.V1 ? N(limit) : Conversions.MaxOrNumber(limit), $"{f}.limit")
            {
                UsageFile = m.CheckBeforeUpdate == true && limit >= 0 ? (v == CgroupVersion.V1 ? "memory.usage_in_bytes" : "memory.current") : null,
            });
        }
        if (m.Swap is not null || m.Limit == -1)
        {
            var v = placement.Place("memory", "memory", $"{f}.swap");
            if (v == CgroupVersion.V1)
            {
                if (m.Swap is { } swap)
                {
                    if (swap >= 0 && m.Limit is > 0 && swap < m.Limit)
                        throw new BerthException($"{f}.swap: memory+swap ({swap}) is smaller than the memory limit ({m.Limit})");
                    writes.Add(new(v, "memory", "memory.memsw.limit_in_bytes", N(swap), $"{f}.swap"));
                }
                else
                {
                    // As runc: lifting the memory limit (-1) with no swap given lifts memory+swap too, where swap is
                    // accounted; a memsw limit left in place would keep the old limit and make the kernel refuse -1.
                    writes.Add(new(v, "memory", "memory.memsw.limit_in_bytes", "-1", $"{f}.limit") { IfPresent = true });
                }
            }
            else if (Conversions.SwapMaxFromMemsw(m.Swap, m.Limit, $"{f}.swap") is { } swapMax)
                writes.Add(new(v, "memory", "memory.swap.max", swapMax, $"{f}.swap"));
        }
        if (m.Reservation is { } reservation)
        {
            var v = placement.Place("memory", "memory", $"{f}.reservation");
            writes.Add(new(v, "memory", v == CgroupVersion.V1 ? "memory.soft_limit_in_bytes" : "memory.low",
                v == CgroupVersion.V1 ? N(reservation) : Conversions.MaxOrNumber(reservation), $"{f}.reservation"));
        }
        if (m.Swappiness is { } swappiness)
        {
            if (swappiness > 100)
                throw new BerthException($"{f}.swappiness: {swappiness} is not between 0 and 100");
            var v = placement.Place("memory", "memory", $"{f}.swappiness");
            if (v == CgroupVersion.V2)
                throw new BerthException($"{f}.swappiness: cgroup v2 has no per-cgroup swappiness (memory.swappiness is a cgroup v1 file)");
            writes.Add(new(v, "memory", "memory.swappiness", N((ulong)swappiness), $"{f}.swappiness"));
        }
        if (m.DisableOOMKiller is { } disable)
        {
            var v = placement.Place("memory", "memory", $"{f}.disableOOMKiller");
            if (v == CgroupVersion.V1)
                writes.Add(new(v, "memory", "memory.oom_control", disable ? "1" : "0", $"{f}.disableOOMKiller"));
            else if (disable)
                throw new BerthException($"{f}.disableOOMKiller: cgroup v2 cannot disable the OOM killer for a cgroup");
        }
        if (m.UseHierarchy is { } hierarchy)
        {
            var v = placement.Place("memory", "memory", $"{f}.useHierarchy");
            if (v == CgroupVersion.V1)
                writes.Add(new(v, "memory", "memory.use_hierarchy", hierarchy ? "1" : "0", $"{f}.useHierarchy"));
            else if (!hierarchy)
                throw new BerthException($"{f}.useHierarchy: cgroup v2 is always hierarchical");
        }
    }

    private static void Cpu(LinuxCpu c, IControllerPlacement placement, List<CgroupWrite> writes)
    {
        const string f = "linux.resources.cpu";
        if (c.Shares is { } shares)
        {
            var v = placement.Place("cpu", "cpu", $"{f}.shares");
            if (v == CgroupVersion.V1)
                writes.Add(new(v, "cpu", "cpu.shares", N(shares), $"{f}.shares"));
            else if (shares != 0)
                writes.Add(new(v, "cpu", "cpu.weight", N(Conversions.CpuWeightFromShares(shares)), $"{f}.shares"));
        }
        if (c.Quota is not null || c.Period is not null)
        {
            string field = c.Quota is not null ? $"{f}.quota" : $"{f}.period";
            var v = placement.Place("cpu", "cpu", field);
            if (v == CgroupVersion.V1)
            {
                // The period first: a quota is checked against the period already in place. A shorter period can be
                // refused while the old quota is in place (old quota / new period above the parent's limit): as runc,
                // it is then written again after the quota.
                if (c.Period is { } period)
                    writes.Add(new(v, "cpu", "cpu.cfs_period_us", N(period), $"{f}.period") { RetryAfterNextWhenInvalid = c.Quota is not null });
                if (c.Quota is { } quota)
                    writes.Add(new(v, "cpu", "cpu.cfs_quota_us", N(quota), $"{f}.quota"));
            }
            else
            {
                string quota = c.Quota is { } q && q > 0 ? N(q) : "max";
                string period = N(c.Period is { } p && p != 0 ? p : 100000UL);
                writes.Add(new(v, "cpu", "cpu.max", $"{quota} {period}", field));
            }
        }
        if (c.Burst is { } burst)
        {
            var v = placement.Place("cpu", "cpu", $"{f}.burst");
            writes.Add(new(v, "cpu", v == CgroupVersion.V1 ? "cpu.cfs_burst_us" : "cpu.max.burst", N(burst), $"{f}.burst"));
        }
        if (c.RealtimePeriod is not null || c.RealtimeRuntime is not null)
        {
            string field = c.RealtimePeriod is not null ? $"{f}.realtimePeriod" : $"{f}.realtimeRuntime";
            var v = placement.Place("cpu", "cpu", field);
            if (v == CgroupVersion.V2)
                throw new BerthException($"{field}: cgroup v2 has no realtime scheduling budget (cpu.rt_* are cgroup v1 files)");
            if (c.RealtimePeriod is { } rtPeriod)
                writes.Add(new(v, "cpu", "cpu.rt_period_us", N(rtPeriod), $"{f}.realtimePeriod"));
            if (c.RealtimeRuntime is { } rtRuntime)
                writes.Add(new(v, "cpu", "cpu.rt_runtime_us", N(rtRuntime), $"{f}.realtimeRuntime"));
        }
        if (c.Idle is { } idle)
        {
            var v = placement.Place("cpu", "cpu", $"{f}.idle");
            writes.Add(new(v, "cpu", "cpu.idle", N(idle), $"{f}.idle"));
        }
        if (!string.IsNullOrEmpty(c.Cpus))
        {
            var v = placement.Place("cpuset", "cpuset", $"{f}.cpus");
            writes.Add(new(v, "cpuset", "cpuset.cpus", c.Cpus, $"{f}.cpus"));
        }
        if (!string.IsNullOrEmpty(c.Mems))
        {
            var v = placement.Place("cpuset", "cpuset", $"{f}.mems");
            writes.Add(new(v, "cpuset", "cpuset.mems", c.Mems, $"{f}.mems"));
        }
    }

    private static void BlockIO(LinuxBlockIO b, IControllerPlacement placement, List<CgroupWrite> writes)
    {
        const string f = "linux.resources.blockIO";
        if (b.Weight is { } weight)
        {
            if (weight is < 10 or > 1000)
                throw new BerthException($"{f}.weight: {weight} is not between 10 and 1000");
            var v = placement.Place("blkio", "io", $"{f}.weight");
            writes.Add(v == CgroupVersion.V1
                ? new(v, "blkio", "blkio.weight", N((ulong)weight), $"{f}.weight") { Fallback = ("blkio.bfq.weight", N((ulong)weight)) }
                : new(v, "io", "io.bfq.weight", N((ulong)weight), $"{f}.weight") { Fallback = ("io.weight", "default " + N(Conversions.IoWeightFromBlkioWeight(weight))) });
        }
        if (b.LeafWeight is { } leafWeight)
        {
            var v = placement.Place("blkio", "io", $"{f}.leafWeight");
            if (v == CgroupVersion.V2)
                throw new BerthException($"{f}.leafWeight: cgroup v2 has no leaf weight");
            writes.Add(new(v, "blkio", "blkio.leaf_weight", N((ulong)leafWeight), $"{f}.leafWeight"));
        }
        if (b.WeightDevice is { } devices)
            for (int i = 0; i < devices.Count; i++)
            {
                var d = devices[i];
                string field = $"{f}.weightDevice[{i}]";
                string dev = Device(d.Major, d.Minor, field);
                if (d.Weight is { } w)
                {
                    var v = placement.Place("blkio", "io", field + ".weight");
                    writes.Add(v == CgroupVersion.V1
                        ? new(v, "blkio", "blkio.weight_device", $"{dev} {w}", field + ".weight") { Fallback = ("blkio.bfq.weight_device", $"{dev} {w}") }
                        : new(v, "io", "io.bfq.weight", $"{dev} {w}", field + ".weight") { Fallback = ("io.weight", $"{dev} {Conversions.IoWeightFromBlkioWeight(w)}") });
                }
                if (d.LeafWeight is { } lw)
                {
                    var v = placement.Place("blkio", "io", field + ".leafWeight");
                    if (v == CgroupVersion.V2)
                        throw new BerthException($"{field}.leafWeight: cgroup v2 has no leaf weight");
                    writes.Add(new(v, "blkio", "blkio.leaf_weight_device", $"{dev} {lw}", field + ".leafWeight"));
                }
            }
        Throttle(b.ThrottleReadBpsDevice, "throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps", placement, writes);
        Throttle(b.ThrottleWriteBpsDevice, "throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps", placement, writes);
        Throttle(b.ThrottleReadIOPSDevice, "throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops", placement, writes);
        Throttle(b.ThrottleWriteIOPSDevice, "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops", placement, writes);
    }

    private static void Throttle(IReadOnlyList<LinuxThrottleDevice>? list, string name, string v1File, string v2Key, IControllerPlacement placement, List<CgroupWrite> writes)
    {
        if (list is null)
            return;
        for (int i = 0; i < list.Count; i++)
        {
            string field = $"linux.resources.blockIO.{name}[{i}]";
            string dev = Device(list[i].Major, list[i].Minor, field);
            var v = placement.Place("blkio", "io", field);
            writes.Add(v == CgroupVersion.V1
                ? new(v, "blkio", v1File, $"{dev} {list[i].Rate}", field)
                : new(v, "io", "io.max", $"{dev} {v2Key}={(list[i].Rate == 0 ? "max" : N(list[i].Rate))}", field));
        }
    }

    private static string Device(long major, long minor, string field)
    {
        if (major < 0 || minor < 0)
            throw new BerthException($"{field}: device {major}:{minor} has a negative number");
        return $"{major}:{minor}";
    }
}
