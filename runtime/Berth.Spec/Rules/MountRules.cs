namespace Berth.Spec;

/// <summary>
/// <c>mounts</c>: a destination should be absolute; a relative one is deprecated but allowed (read as relative to
/// "/"), so it is a warning. The id mappings of an id-mapped mount follow the user-namespace range rules.
/// </summary>
internal static class MountRules
{
    public static void Check(Spec spec, RuleSink sink)
    {
        if (spec.Mounts is not { } mounts) return;
        for (int i = 0; i < mounts.Count; i++)
        {
            Mount? m = mounts[i];
            if (m is null) continue;
            if (m.Destination is { } destination && !Paths.IsAbsolute(destination))
            {
                string pointer = Paths.Join("/mounts", i);
                if (destination.Length == 0)
                    sink.Error(pointer + "/destination", "x-non-empty", "the mount destination is empty", Sections.Mounts);
                else
                    sink.Warning(pointer + "/destination", "x-absolute-path", $"mount destination {SchemaJson.Quote(destination)} is relative: relative destinations are deprecated and are read as relative to \"/\"", Sections.Mounts);
            }
            if (m.UidMappings is not null) IdMappingRules.CheckRanges(m.UidMappings, Paths.Join("/mounts", i) + "/uidMappings", "uid", sink);
            if (m.GidMappings is not null) IdMappingRules.CheckRanges(m.GidMappings, Paths.Join("/mounts", i) + "/gidMappings", "gid", sink);
        }
    }
}
