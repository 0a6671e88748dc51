using System.Globalization;
using System.Text.Json;

namespace Berth.Runtime.Cgroups;

/// <summary>
/// A container's resource usage read from its cgroups, written as runc's `events` stats (the JSON that runc's types
/// package defines: cpu, cpuset, memory, pids, blkio, hugetlb). A file the host lacks leaves its member out or zero,
/// as runc does; on cgroup v2 the v2 files give the same members.
/// </summary>
public static class CgroupStats
{
    public static void Write(Utf8JsonWriter w, CgroupLayout layout, string cgroupsPath)
    {
        string? Dir(string controller) => layout.ControllerDirectory(controller, cgroupsPath);
        bool V2(string controller) => !layout.V1Mounts.ContainsKey(controller);
        w.WriteStartObject();

        w.WriteStartObject("cpu");
        w.WriteStartObject("usage");
        if (Dir("cpuacct") is { } acct && !V2("cpuacct"))
        {
            Number(w, "total", Read(acct, "cpuacct.usage"));
            Numbers(w, "percpu", Read(acct, "cpuacct.usage_percpu"));
            var stat = Pairs(Read(acct, "cpuacct.stat"));
            long tick = 1_000_000_000L / 100; // USER_HZ
            w.WriteNumber("kernel", stat.GetValueOrDefault("system") * (ulong)tick);
            w.WriteNumber("user", stat.GetValueOrDefault("user") * (ulong)tick);
        }
        else if (Dir("cpu") is { } cpu2 && V2("cpu"))
        {
            var stat = Pairs(Read(cpu2, "cpu.stat"));
            w.WriteNumber("total", stat.GetValueOrDefault("usage_usec") * 1000);
            w.WriteNumber("kernel", stat.GetValueOrDefault("system_usec") * 1000);
            w.WriteNumber("user", stat.GetValueOrDefault("user_usec") * 1000);
        }
        else
        {
            w.WriteNumber("kernel", 0);
            w.WriteNumber("user", 0);
        }
        w.WriteEndObject();
        if (Dir("cpu") is { } cpuDir)
        {
            var stat = Pairs(Read(cpuDir, "cpu.stat"));
            w.WriteStartObject("throttling");
            NonZero(w, "periods", stat.GetValueOrDefault("nr_periods"));
            NonZero(w, "throttledPeriods", stat.GetValueOrDefault("nr_throttled"));
            NonZero(w, "throttledTime", V2("cpu") ? stat.GetValueOrDefault("throttled_usec") * 1000 : stat.GetValueOrDefault("throttled_time"));
            w.WriteEndObject();
        }
        w.WriteEndObject();

        w.WriteStartObject("cpuset");
        if (Dir("cpuset") is { } cpuset)
        {
            string prefix = V2("cpuset") ? "cpuset." : "cpuset.";
            Numbers(w, "cpus", ExpandList(Read(cpuset, V2("cpuset") ? "cpuset.cpus.effective" : prefix + "cpus")));
            Numbers(w, "mems", ExpandList(Read(cpuset, V2("cpuset") ? "cpuset.mems.effective" : prefix + "mems")));
        }
        w.WriteEndObject();

        w.WriteStartObject("memory");
        if (Dir("memory") is { } memory)
        {
            bool v2 = V2("memory");
            var raw = Pairs(Read(memory, "memory.stat"));
            NonZero(w, "cache", raw.GetValueOrDefault(v2 ? "file" : "cache"));
            Entry(w, "usage", memory, v2 ? "memory.max" : "memory.limit_in_bytes", v2 ? "memory.current" : "memory.usage_in_bytes",
                v2 ? "memory.peak" : "memory.max_usage_in_bytes", v2 ? null : "memory.failcnt");
            Entry(w, "swap", memory, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes", v2 ? "memory.swap.current" : "memory.memsw.usage_in_bytes",
                v2 ? null : "memory.memsw.max_usage_in_bytes", v2 ? null : "memory.memsw.failcnt");
            if (raw.Count > 0)
            {
                w.WriteStartObject("raw");
                foreach (var (key, value) in raw)
                    w.WriteNumber(key, value);
                w.WriteEndObject();
            }
        }
        w.WriteEndObject();

        w.WriteStartObject("pids");
        if (Dir("pids") is { } pids)
        {
            NonZero(w, "current", Parse(Read(pids, "pids.current")));
            NonZero(w, "limit", Parse(Read(pids, "pids.max")));
        }
        w.WriteEndObject();

        w.WriteStartObject("blkio");
        if (Dir("blkio") is { } blkio && !V2("blkio"))
            Blkio(w, "ioServiceBytesRecursive", Read(blkio, "blkio.throttle.io_service_bytes_recursive"));
        w.WriteEndObject();

        w.WriteStartObject("hugetlb");
        if (Dir("hugetlb") is { } hugetlb)
        {
            bool v2 = V2("hugetlb");
            foreach (string limit in Directory.EnumerateFiles(hugetlb, v2 ? "hugetlb.*.max" : "hugetlb.*.limit_in_bytes").Order(StringComparer.Ordinal))
            {
                string size = Path.GetFileName(limit).Split('.')[1];
                w.WriteStartObject(size);
                NonZero(w, "usage", Parse(Read(hugetlb, v2 ? $"hugetlb.{size}.current" : $"hugetlb.{size}.usage_in_bytes")));
                NonZero(w, "max", Parse(Read(hugetlb, v2 ? $"hugetlb.{size}.max" : $"hugetlb.{size}.max_usage_in_bytes")));
                w.WriteNumber("failcnt", v2 ? Pairs(Read(hugetlb, $"hugetlb.{size}.events")).GetValueOrDefault("max") : Parse(Read(hugetlb, $"hugetlb.{size}.failcnt")));
                w.WriteEndObject();
            }
        }
        w.WriteEndObject();

        w.WriteStartObject("intel_rdt");
        w.WriteEndObject();
        w.WriteNull("network_interfaces");
        w.WriteEndObject();
    }

    /// <summary>How many times the kernel's OOM killer acted in the container's memory cgroup (v1 memory.oom_control,
    /// v2 memory.events), or null where there is no memory controller.</summary>
    public static ulong? OomKills(CgroupLayout layout, string cgroupsPath)
    {
        if (layout.ControllerDirectory("memory", cgroupsPath) is not { } dir)
            return null;
        var pairs = Pairs(Read(dir, layout.V1Mounts.ContainsKey("memory") ? "memory.oom_control" : "memory.events"));
        return pairs.GetValueOrDefault("oom_kill");
    }

    private static void Entry(Utf8JsonWriter w, string name, string dir, string limit, string usage, string? max, string? failcnt)
    {
        w.WriteStartObject(name);
        w.WriteNumber("limit", Parse(Read(dir, limit)));
        NonZero(w, "usage", Parse(Read(dir, usage)));
        if (max is not null)
            NonZero(w, "max", Parse(Read(dir, max)));
        w.WriteNumber("failcnt", failcnt is null ? 0 : Parse(Read(dir, failcnt)));
        w.WriteEndObject();
    }

    private static void Blkio(Utf8JsonWriter w, string name, string? text)
    {
        var entries = new List<(ulong Major, ulong Minor, string Op, ulong Value)>();
        foreach (string line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[] dev = f[0].Split(':');
            if (f.Length == 3 && dev.Length == 2)
                entries.Add((Parse(dev[0]), Parse(dev[1]), f[1], Parse(f[2])));
        }
        if (entries.Count == 0)
            return;
        w.WriteStartArray(name);
        foreach (var e in entries)
        {
            w.WriteStartObject();
            NonZero(w, "major", e.Major);
            NonZero(w, "minor", e.Minor);
            w.WriteString("op", e.Op);
            NonZero(w, "value", e.Value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>A cgroup file's text, or null when the host has no such file (or the cgroup is gone).</summary>
    private static string? Read(string dir, string file)
    {
        try
        {
            return File.ReadAllText(Path.Combine(dir, file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static ulong Parse(string? text) =>
        ulong.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : 0;

    /// <summary>"key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control).</summary>
    private static Dictionary<string, ulong> Pairs(string? text)
    {
        var pairs = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (string line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int space = line.IndexOf(' ');
            if (space > 0)
                pairs[line[..space]] = Parse(line[(space + 1)..]);
        }
        return pairs;
    }

    private static IEnumerable<ulong> ExpandList(string? list)
    {
        foreach (string part in (list ?? "").Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] range = part.Split('-');
            ulong from = Parse(range[0]), to = range.Length > 1 ? Parse(range[1]) : from;
            for (ulong i = from; i <= to && i < from + 4096; i++)
                yield return i;
        }
    }

    private static void Number(Utf8JsonWriter w, string name, string? text) => NonZero(w, name, Parse(text));

    private static void NonZero(Utf8JsonWriter w, string name, ulong value)
    {
        if (value != 0)
            w.WriteNumber(name, value);
    }

    private static void Numbers(Utf8JsonWriter w, string name, string? text) =>
        Numbers(w, name, (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse));

    private static void Numbers(Utf8JsonWriter w, string name, IEnumerable<ulong> values)
    {
        var list = values.ToList();
        if (list.Count == 0)
            return;
        w.WriteStartArray(name);
        foreach (ulong v in list)
            w.WriteNumberValue(v);
        w.WriteEndArray();
    }
}
