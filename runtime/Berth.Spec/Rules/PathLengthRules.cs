namespace Berth.Spec;

/// <summary>
/// A path berth hands to the kernel may be at most PATH_MAX - 1 (4095) bytes: anything longer fails there anyway, after
/// berth has walked it component by component (a destination of 500,000 components took seconds before failing).
/// Checked where a container path or the root's path is given.
/// </summary>
internal static class PathLengthRules
{
    private const int PathMax = 4096;

    public static void Check(Spec spec, RuleSink sink)
    {
        Limit("/root/path", spec.Root?.Path, sink);
        Limit("/process/cwd", spec.Process?.Cwd, sink);
        for (int i = 0; spec.Mounts is { } mounts && i < mounts.Count; i++)
            Limit(Paths.Join("/mounts", i) + "/destination", mounts[i]?.Destination, sink);
        var linux = spec.Linux;
        for (int i = 0; linux?.MaskedPaths is { } masked && i < masked.Count; i++)
            Limit(Paths.Join("/linux/maskedPaths", i), masked[i], sink);
        for (int i = 0; linux?.ReadonlyPaths is { } readOnly && i < readOnly.Count; i++)
            Limit(Paths.Join("/linux/readonlyPaths", i), readOnly[i], sink);
        for (int i = 0; linux?.Devices is { } devices && i < devices.Count; i++)
            Limit(Paths.Join("/linux/devices", i) + "/path", devices[i]?.Path, sink);
    }

    private static void Limit(string pointer, string? path, RuleSink sink)
    {
        if (path is null || path.Length < PathMax / 4)
            return;
        int bytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (bytes >= PathMax)
            sink.Error(pointer, "x-path-max", $"the path is {bytes} bytes long; the kernel takes at most {PathMax - 1}", Sections.Config);
    }
}
