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

    /// <summary>Whether berth's effective set holds the capability: one capget, not a parse of /proc/self/status.</summary>
    private static bool HasCapability(int number)
    {
        uint* header = stackalloc uint[2] { Exec.NativeMethods.LINUX_CAPABILITY_VERSION_3, 0 };
        // Two {effective, permitted, inheritable} triples of 32-bit words: capabilities 0-31, then 32-63.
        uint* data = stackalloc uint[6];
        if (Exec.NativeMethods.Capget(header, data) != 0)
            return false;
        return ((data[3 * (number / 32)] >> (number % 32)) & 1) != 0;
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
