namespace Berth.Runtime.Cgroups;

/// <summary>cgroup v1: one hierarchy per controller (or per group of co-mounted controllers).</summary>
public sealed class V1Driver(CgroupLayout layout) : CgroupDriver(layout)
{
    public override string Name => "v1";

    public override CgroupVersion Place(string? v1, string? v2, string field)
    {
        if (v1 is null)
            throw new BerthException($"{field}: this is a cgroup v2 setting and this host has cgroup v1 only");
        if (!Layout.V1Mounts.ContainsKey(v1))
            throw new BerthException($"{field}: the {v1} controller is not mounted on this host");
        return CgroupVersion.V1;
    }

    protected override CgroupVersion PlaceDevices() =>
        Layout.V1Mounts.ContainsKey("devices") ? CgroupVersion.V1
            : throw new BerthException($"{DeviceRules.Field}: the devices controller is not mounted on this host");
}
