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
    /// create's resources, compiled with the plan before anything is made (so a resource the host cannot apply leaves
    /// nothing behind): join versus join-and-modify. A cgroup berth makes gets the config's resources and the default
    /// device rules; one that exists already is only joined when the config gives no resources, and modified when it
    /// gives some. Null when there is nothing to write. Warnings (deprecated fields) go to <paramref name="warnings"/>.
    /// </summary>
    public static CgroupPlan? CompileOnCreate(CgroupLayout layout, LinuxResources? resources, bool made, List<string> warnings) =>
        !made && !ResourceCompiler.HasAny(resources) ? null : For(layout).Compile(resources, made, warnings);
}
