using Berth.Runtime.Plan;

namespace Berth.Runtime.Lifecycle;

/// <summary>Reads the host facts the plan compiler needs: limits, capabilities, mount points.</summary>
public static unsafe class HostFactsReader
{
    public static HostFacts Current => new()
    {
        HardLimit = HardLimit,
        HasSysResource = HasCapability(24),
        LastCapability = LastCapability(),
        InUserNamespace = RootlessContext.InUserNamespace,
        CallerUid = Tmds.Linux.LibC.geteuid(),
        CallerGid = Tmds.Linux.LibC.getegid(),
        MountPoints = MountPoints,
    };

    private static ulong? HardLimit(int resource)
    {
        ulong* current = stackalloc ulong[2];
        return Exec.NativeMethods.Prlimit(0, resource, null, current) == 0 ? current[1] : null;
    }

    private static bool HasCapability(int number)
    {
        foreach (string line in (Sys.ReadSmall("/proc/self/status", out _) ?? "").Split('\n'))
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                return ((Convert.ToUInt64(line[7..].Trim(), 16) >> number) & 1) != 0;
        return false;
    }

    private static int LastCapability()
    {
        string? text = Sys.ReadSmall("/proc/sys/kernel/cap_last_cap", out _);
        return text is not null && int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int last)
            ? last : 40;
    }

    private static List<string> MountPoints()
    {
        var result = new List<string>();
        foreach (string line in Cgroups.CgroupLayout.MountInfo())
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 4)
                result.Add(fields[4].Replace("\\040", " "));
        }
        return result;
    }
}
