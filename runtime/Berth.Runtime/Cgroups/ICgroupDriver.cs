using Berth.Spec;

namespace Berth.Runtime.Cgroups;

/// <summary>What applying resources to one cgroup amounts to: file writes in order, and on cgroup v2 a device program.</summary>
/// <param name="Writes">Every file write, in order (v1 device rules included).</param>
/// <param name="DeviceProgramRules">Rules to compile into an eBPF device program for the cgroup2 directory, or null.</param>
public sealed record CgroupPlan(IReadOnlyList<CgroupWrite> Writes, IReadOnlyList<DeviceRule>? DeviceProgramRules)
{
    public bool IsEmpty => Writes.Count == 0 && DeviceProgramRules is null;
}

/// <summary>
/// One driver per cgroup layout (v1, v2, hybrid). Each knows where every controller lives on its host, lowers
/// linux.resources to a <see cref="CgroupPlan"/> (errors name the config field that the host cannot apply) and
/// applies a plan to a container's cgroup.
/// </summary>
public interface ICgroupDriver : IControllerPlacement
{
    CgroupLayout Layout { get; }

    /// <summary>"v1", "v2" or "hybrid".</summary>
    string Name { get; }

    /// <summary>
    /// The plan for these resources. <paramref name="created"/>: berth made this cgroup, so the default device rules
    /// apply even when the config gives none; a joined cgroup gets only what the config names.
    /// </summary>
    CgroupPlan Compile(LinuxResources? resources, bool created, List<string> warnings);

    /// <summary>Writes the plan into the cgroup at <paramref name="cgroupsPath"/> (already made).</summary>
    void Apply(CgroupPlan plan, string cgroupsPath);
}

public static class CgroupDrivers
{
    public static ICgroupDriver For(CgroupLayout layout) => layout.Mode switch
    {
        CgroupMode.V1 => new V1Driver(layout),
        CgroupMode.V2 => new V2Driver(layout),
        _ => new HybridDriver(layout),
    };

    /// <summary>
    /// create's step: join versus join-and-modify. A cgroup berth made gets the config's resources and the default
    /// device rules; a cgroup that already existed is only joined when the config gives no resources, and modified
    /// when it gives some. Warnings (deprecated fields) go to <paramref name="warn"/>.
    /// </summary>
    public static void ApplyOnCreate(CgroupLayout layout, string cgroupsPath, IReadOnlyList<string> all, IReadOnlyList<string> created,
        LinuxResources? resources, Action<string> warn)
    {
        bool made = all.Any(created.Contains);
        if (!made && !ResourceCompiler.HasAny(resources))
            return;
        var driver = For(layout);
        var warnings = new List<string>();
        var plan = driver.Compile(resources, made, warnings);
        foreach (string w in warnings)
            warn(w);
        driver.Apply(plan, cgroupsPath);
    }
}
