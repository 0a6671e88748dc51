namespace Berth.Runtime.Cgroups;

/// <summary>Which hierarchy a write goes to: a cgroup v1 controller's own mount, or the cgroup2 mount.</summary>
public enum CgroupVersion { V1, V2 }

/// <summary>
/// One value for one cgroup file, with the config field it comes from (for error messages). Resources are lowered to
/// an ordered list of these before anything is written, the way the plan compiler lowers the rest of the config.
/// </summary>
/// <param name="Version">The hierarchy the file lives in.</param>
/// <param name="Controller">v1: the controller whose mount holds the file; v2: the controller to enable in the
/// parents' cgroup.subtree_control ("" for core cgroup.* files).</param>
/// <param name="File">The file name inside the container's cgroup directory.</param>
/// <param name="Value">What is written, in one write call.</param>
/// <param name="Field">The config field, dotted: <c>linux.resources.memory.limit</c>.</param>
public sealed record CgroupWrite(CgroupVersion Version, string Controller, string File, string Value, string Field)
{
    /// <summary>memory.checkBeforeUpdate: a file holding current usage that must not exceed <see cref="Value"/>.</summary>
    public string? UsageFile { get; init; }

    /// <summary>When <see cref="File"/> is not offered by the kernel, this file and value instead (blkio.weight or the
    /// BFQ scheduler's blkio.bfq.weight; io.bfq.weight or io.weight).</summary>
    public (string File, string Value)? Fallback { get; init; }

    /// <summary>Written only where the kernel offers <see cref="File"/>: a value that follows from another one (the
    /// memsw limit lifted with the memory limit) and means nothing where swap is not accounted.</summary>
    public bool IfPresent { get; init; }

    /// <summary>When the kernel refuses the value (EINVAL), it is written again right after the next write, which may
    /// make it valid (a shorter cpu period is checked against the old quota and the parent's limit).</summary>
    public bool RetryAfterNextWhenInvalid { get; init; }

    public override string ToString() => $"{(Version == CgroupVersion.V1 ? Controller : "unified")}/{File} = {Value} ({Field})";
}
