namespace Berth.Spec;

/// <summary>
/// Ranges of uid/gid mappings (user namespace and id-mapped mounts), as the kernel accepts them in
/// /proc/PID/uid_map: a size above zero, a range that stays below id 4294967295 ((uid_t)-1 is not an id) on both
/// sides, no two ranges overlapping on either side, at most 340 ranges.
/// </summary>
internal static class IdMappingRules
{
    public const int MaxRanges = 340;
    private const ulong IdLimit = uint.MaxValue; // first + size must stay ≤ 4294967295

    public static void CheckRanges(IReadOnlyList<IDMapping>? mappings, string pointer, string kind, RuleSink sink)
    {
        if (mappings is null) return;
        if (mappings.Count > MaxRanges)
            sink.Error(pointer, "x-id-mapping", $"{mappings.Count} {kind} mapping ranges: the kernel accepts at most {MaxRanges}", Sections.IdMappings);
        for (int i = 0; i < mappings.Count; i++)
        {
            if (mappings[i] is not { } m) continue;
            string at = Paths.Join(pointer, i);
            if (m.Size == 0)
            {
                sink.Error(at + "/size", "x-id-mapping", $"{kind} mapping size is 0: a range maps at least one id", Sections.IdMappings);
                continue;
            }
            if ((ulong)m.ContainerID + m.Size > IdLimit)
                sink.Error(at, "x-id-mapping", $"{kind} range containerID {m.ContainerID} + size {m.Size} = {(ulong)m.ContainerID + m.Size} goes past 4294967295 (2^32 - 1, which is not an id)", Sections.IdMappings);
            if ((ulong)m.HostID + m.Size > IdLimit)
                sink.Error(at, "x-id-mapping", $"{kind} range hostID {m.HostID} + size {m.Size} = {(ulong)m.HostID + m.Size} goes past 4294967295 (2^32 - 1, which is not an id)", Sections.IdMappings);
            for (int j = 0; j < i; j++)
            {
                if (mappings[j] is not { Size: > 0 } o) continue;
                if (Overlap(m.ContainerID, m.Size, o.ContainerID, o.Size))
                    sink.Error(at, "x-id-mapping", $"{kind} range of container ids {Range(m.ContainerID, m.Size)} overlaps {Paths.Join(pointer, j)} ({Range(o.ContainerID, o.Size)})", Sections.IdMappings);
                if (Overlap(m.HostID, m.Size, o.HostID, o.Size))
                    sink.Error(at, "x-id-mapping", $"{kind} range of host ids {Range(m.HostID, m.Size)} overlaps {Paths.Join(pointer, j)} ({Range(o.HostID, o.Size)})", Sections.IdMappings);
            }
        }
    }

    private static bool Overlap(uint a, uint aSize, uint b, uint bSize) =>
        (ulong)a < (ulong)b + bSize && (ulong)b < (ulong)a + aSize;

    private static string Range(uint first, uint size) => $"{first}–{(ulong)first + size - 1}";
}
