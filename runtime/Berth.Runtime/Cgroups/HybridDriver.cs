namespace Berth.Runtime.Cgroups;

/// <summary>
/// Hybrid: v1 hierarchies for most controllers plus a cgroup2 mount holding the rest (on this project's host: v1 for
/// everything but hugetlb, which lives only in /sys/fs/cgroup/unified). Each setting goes where its controller lives;
/// device rules go to the v1 devices controller when it is mounted, else to an eBPF program on the cgroup2 directory.
/// </summary>
public sealed class HybridDriver(CgroupLayout layout) : CgroupDriver(layout)
{
    public override string Name => "hybrid";

    public override CgroupVersion Place(string? v1, string? v2, string field)
    {
        if (v1 is not null && Layout.V1Mounts.ContainsKey(v1))
            return CgroupVersion.V1;
        if (v2 is not null && (v2.Length == 0 || Layout.V2Controllers.Contains(v2)))
            return CgroupVersion.V2;
        if (v1 is null && v2 is not null && Layout.V1Mounts.ContainsKey(v2))
            throw new BerthException($"{field}: invalid configuration: the {v2} controller is a cgroup v1 controller on this host, so its cgroup v2 files cannot be set");
        throw new BerthException($"{field}: the {v1 ?? v2} controller is not mounted on this host");
    }

    protected override CgroupVersion PlaceDevices() =>
        Layout.V1Mounts.ContainsKey("devices") ? CgroupVersion.V1
            : Layout.V2Mount is not null ? CgroupVersion.V2
            : throw new BerthException($"{DeviceRules.Field}: the devices controller is not mounted on this host");
}
