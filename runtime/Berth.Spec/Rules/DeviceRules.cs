namespace Berth.Spec;

/// <summary>
/// <c>linux.devices</c>: absolute paths, each path once, major and minor unless the type is <c>p</c> (a FIFO), and —
/// a SHOULD, so a warning — no two devices with the same type, major and minor.
/// </summary>
internal static class DeviceRules
{
    public static void Check(Linux linux, RuleSink sink)
    {
        if (linux.Devices is not { } devices) return;
        var paths = new Dictionary<string, int>(StringComparer.Ordinal);
        var numbers = new Dictionary<(LinuxDeviceType, long, long), int>();
        for (int i = 0; i < devices.Count; i++)
        {
            if (devices[i] is not { } d) continue;
            if (d.Path is { } path)
            {
                if (!Paths.IsAbsolute(path))
                    sink.NotAbsolute(Paths.Join("/linux/devices", i) + "/path", path, "device path", Sections.Devices);
                if (paths.TryGetValue(path, out int first))
                    sink.Error(Paths.Join("/linux/devices", i) + "/path", "x-unique", $"duplicate device path {SchemaJson.Quote(path)} (first at /linux/devices/{first})", Sections.Devices);
                else
                    paths.Add(path, i);
            }
            if (d.Type == LinuxDeviceType.P) continue;
            if (d.Major is null)
                sink.Error(Paths.Join("/linux/devices", i), "x-required-when", $"missing member \"major\": required for a device of type \"{d.Type.ToWireName()}\" (only \"p\" has none)", Sections.Devices);
            if (d.Minor is null)
                sink.Error(Paths.Join("/linux/devices", i), "x-required-when", $"missing member \"minor\": required for a device of type \"{d.Type.ToWireName()}\" (only \"p\" has none)", Sections.Devices);
            if (d.Major is { } major && d.Minor is { } minor)
            {
                // 'u' (unbuffered character device) and 'c' name the same kind of node.
                LinuxDeviceType kind = d.Type == LinuxDeviceType.U ? LinuxDeviceType.C : d.Type;
                if (numbers.TryGetValue((kind, major, minor), out int same))
                    sink.Warning(Paths.Join("/linux/devices", i), "x-unique", $"device {major}:{minor} of type \"{d.Type.ToWireName()}\" is already at /linux/devices/{same}", Sections.Devices);
                else
                    numbers.Add((kind, major, minor), i);
            }
        }
    }
}
