namespace Berth.Spec;

/// <summary>
/// <c>linux.resources</c>: memory values are bytes or -1; memory+swap is not below memory; a positive CPU quota is not
/// below the burst; each blockIO weightDevice entry has weight or leafWeight; each rdma entry has hcaHandles or
/// hcaObjects; pids without a limit limits nothing; unified keys name a file of the container's cgroup directory.
/// </summary>
internal static class ResourceRules
{
    public static void Check(Linux linux, RuleSink sink)
    {
        CgroupsPath(linux.CgroupsPath, sink);
        if (linux.Resources is not { } r) return;
        Memory(r.Memory, sink);
        if (r.Cpu is { Quota: > 0 } cpu && cpu.Burst is { } burst && burst > (ulong)cpu.Quota.Value)
            sink.Error("/linux/resources/cpu/burst", "x-range", $"burst {burst} is larger than quota {cpu.Quota.Value}", Sections.Cpu);
        if (r.Pids is { Limit: null })
            sink.Warning("/linux/resources/pids", "x-ignored", "pids has no limit, so it limits nothing", Sections.Pids);
        if (r.BlockIO?.WeightDevice is { } weights)
        {
            for (int i = 0; i < weights.Count; i++)
            {
                if (weights[i] is { Weight: null, LeafWeight: null })
                    sink.Error(Paths.Join("/linux/resources/blockIO/weightDevice", i), "x-required-one-of", "a weightDevice entry needs weight or leafWeight (or both)", Sections.BlockIO);
            }
        }
        if (r.Rdma is { } rdma)
        {
            foreach (var (device, limit) in rdma)
            {
                if (limit is { HcaHandles: null, HcaObjects: null })
                    sink.Error(Paths.Join("/linux/resources/rdma", device), "x-required-one-of", $"rdma entry {SchemaJson.Quote(device)} needs hcaHandles or hcaObjects (or both)", Sections.Rdma);
            }
        }
        if (r.Unified is { } unified)
        {
            foreach (string key in unified.Keys)
            {
                int dot = key.IndexOf('.', StringComparison.Ordinal);
                if (dot <= 0 || dot == key.Length - 1 || key.Contains('/', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal))
                    sink.Error(Paths.Join("/linux/resources/unified", key), "x-cgroup-file", $"unified key {SchemaJson.Quote(key)} is not a cgroup v2 file name such as \"memory.max\" (controller.file, no '/')", Sections.Unified);
            }
        }
    }

    /// <summary>A cgroupsPath may not climb out of the hierarchy nor name its root: create refuses both.</summary>
    private static void CgroupsPath(string? path, RuleSink sink)
    {
        if (string.IsNullOrEmpty(path))
            return;
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Contains(".."))
            sink.Error("/linux/cgroupsPath", "x-cgroups-path", $"cgroupsPath {SchemaJson.Quote(path)} has a \"..\" component, which would leave the cgroup hierarchy", Sections.Config);
        else if (path.StartsWith('/') && parts.All(p => p == "."))
            sink.Error("/linux/cgroupsPath", "x-cgroups-path", $"cgroupsPath {SchemaJson.Quote(path)} names the root cgroup, which a container may not take", Sections.Config);
    }

    private static void Memory(LinuxMemory? m, RuleSink sink)
    {
        if (m is null) return;
        Bytes(m.Limit, "limit");
        Bytes(m.Reservation, "reservation");
        Bytes(m.Swap, "swap");
        Bytes(m.Kernel, "kernel");
        Bytes(m.KernelTCP, "kernelTCP");
        if (m.Limit is > 0 && m.Swap is > 0 && m.Swap < m.Limit)
            sink.Error("/linux/resources/memory/swap", "x-range", $"swap {m.Swap} is below limit {m.Limit}: swap is the limit of memory plus swap, so it cannot be smaller than the memory limit", Sections.Memory);

        void Bytes(long? value, string name)
        {
            if (value is < -1)
                sink.Error("/linux/resources/memory/" + name, "x-range", $"memory {name} {value} is neither a number of bytes nor -1 (unlimited)", Sections.Memory);
        }
    }
}
