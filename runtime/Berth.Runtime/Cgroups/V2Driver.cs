namespace Berth.Runtime.Cgroups;

/// <summary>cgroup v2: one unified hierarchy; controllers listed in its root's cgroup.controllers; devices by eBPF.</summary>
public sealed class V2Driver(CgroupLayout layout) : CgroupDriver(layout)
{
    public override string Name => "v2";

    public override CgroupVersion Place(string? v1, string? v2, string field)
    {
        if (v2 is null)
            throw new BerthException($"{field}: cgroup v2 has no {v1} controller (it exists only in cgroup v1)");
        if (v2.Length > 0 && !Layout.V2Controllers.Contains(v2))
            throw new BerthException($"{field}: the {v2} controller is not available in this host's cgroup v2 hierarchy");
        return CgroupVersion.V2;
    }

    protected override CgroupVersion PlaceDevices() => CgroupVersion.V2;
}
