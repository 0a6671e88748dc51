namespace Berth.Runtime.Cgroups;

/// <summary>
/// The cgroup v1 → v2 value mappings that container runtimes agree on (runc, crun), so that one OCI config means the
/// same on either hierarchy.
/// </summary>
public static class Conversions
{
    /// <summary>
    /// cpu.shares [2, 262144] (default 1024) → cpu.weight [1, 10000] (default 100). The log-quadratic mapping that
    /// current runc and crun use: with L = log2(shares), weight = ⌈10^((L² + 125·L)/612 − 7/34)⌉; it keeps the
    /// defaults (1024 → 100) and the end points (2 → 1, 262144 → 10000). 0 means unset.
    /// </summary>
    public static ulong CpuWeightFromShares(ulong shares)
    {
        if (shares == 0)
            return 0;
        shares = Math.Clamp(shares, 2UL, 262144UL);
        double l = Math.Log2(shares);
        double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
        // Rounding noise must not push an exact power of ten (1024 → 100) to the next integer.
        ulong weight = (ulong)Math.Ceiling(Math.Round(Math.Pow(10, exponent), 9));
        return Math.Clamp(weight, 1UL, 10000UL);
    }

    /// <summary>blkio.weight [10, 1000] → io.weight [1, 10000]: 1 + (w − 10)·9999/990. 0 means unset.</summary>
    public static ulong IoWeightFromBlkioWeight(ulong weight)
    {
        if (weight == 0)
            return 0;
        weight = Math.Clamp(weight, 10UL, 1000UL);
        return 1 + (weight - 10) * 9999 / 990;
    }

    /// <summary>
    /// memory.swap in the OCI config is memory+swap (the v1 memsw limit); memory.swap.max on v2 is swap alone:
    /// swap − limit. -1 stays "max"; a swap limit without a memory limit, or smaller than it, is an error.
    /// Returns null when nothing is to be written.
    /// </summary>
    public static string? SwapMaxFromMemsw(long? swap, long? limit, string field)
    {
        if (swap is null)
            return limit == -1 ? "max" : null; // unlimited memory and no swap given: swap unlimited too, as v1 behaves
        if (swap == -1)
            return "max";
        if (swap == 0)
            return null;
        if (limit is null or 0 or -1)
            throw new BerthException($"{field}: a swap limit needs a memory limit (linux.resources.memory.limit) on cgroup v2");
        if (swap < limit)
            throw new BerthException($"{field}: memory+swap ({swap}) is smaller than the memory limit ({limit})");
        return (swap.Value - limit.Value).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A byte limit as cgroup v2 writes it: -1 (or any negative) is "max".</summary>
    public static string MaxOrNumber(long value) =>
        value < 0 ? "max" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>"2MB" / "1GB" as the hugetlb controller names page sizes; checks the form.</summary>
    public static bool IsPageSize(string s)
    {
        int i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
            i++;
        return i > 0 && s.AsSpan(i) is "KB" or "MB" or "GB" or "TB" or "PB";
    }
}
