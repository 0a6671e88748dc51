using System.Collections.Concurrent;
using System.Globalization;
using Berth.Runtime.Cgroups;

namespace Berth.Runtime.Tests;

/// <summary>
/// The questions a test asks this host before it relies on something the kernel may or may not have: which cgroup
/// hierarchy holds a controller (from /proc/self/mountinfo), which files a new cgroup gets there, which huge page
/// sizes, CPUs and block devices there are. Each <c>Lacks…</c> answers null when the host has the thing, else the
/// reason to give to <see cref="SkipIfLacking"/>. Nothing is assumed from the machine the tests were written on.
/// (Also compiled into Berth.Cgroups.Tests.)
/// </summary>
public static class HostSupport
{
    private static readonly ConcurrentDictionary<string, IReadOnlySet<string>> NewCgroupFiles = new(StringComparer.Ordinal);
    private static int _probes;

    public static CgroupLayout Cgroups => CgroupLayout.Host;

    /// <summary>Reports the calling test as skipped, with <paramref name="lacking"/> (and <paramref name="note"/>, if
    /// given) as the reason, unless <paramref name="lacking"/> is null.</summary>
    public static void SkipIfLacking(string? lacking, string? note = null) =>
        Skip.If(lacking is not null, note is null ? lacking : $"{lacking} ({note})");

    public static bool IsRoot => Tmds.Linux.LibC.geteuid() == 0;

    public static string? LacksRoot => IsRoot ? null : "needs root (it creates cgroups on this host)";

    /// <summary>The mount point of the cgroup v1 hierarchy holding <paramref name="controller"/>, or null.</summary>
    public static string? V1Mount(string controller) => Cgroups.V1Mounts.TryGetValue(controller, out string? mount) ? mount : null;

    /// <summary>Where <paramref name="controller"/> (a v1 name; blkio is io in cgroup v2) is on this host: "cgroup v1",
    /// "cgroup v2" (listed in the cgroup2 root's cgroup.controllers), or null for nowhere.</summary>
    public static string? ControllerVersion(string controller) =>
        V1Mount(controller) is not null ? "cgroup v1"
        : Cgroups.V2Mount is not null && Cgroups.V2Controllers.Contains(controller == "blkio" ? "io" : controller) ? "cgroup v2"
        : null;

    /// <summary>Null when every controller has a cgroup v1 hierarchy here; else which do not and where they are.</summary>
    public static string? LacksV1(params string[] controllers)
    {
        var missing = controllers.Where(c => V1Mount(c) is null).Select(c => $"{c} ({ControllerVersion(c) ?? "not mounted at all"})").ToList();
        return missing.Count == 0 ? null : $"this test reads cgroup v1 files; this host has no cgroup v1 hierarchy for {string.Join(", ", missing)}";
    }

    /// <summary>
    /// The files a new cgroup gets below the hierarchy mounted at <paramref name="mount"/>: one is made under its
    /// root, listed and removed (files such as blkio.bfq.weight exist in child cgroups only, so the root is no answer).
    /// On cgroup2 a new child has the core files (cgroup.freeze, cgroup.kill…) and no controller files.
    /// </summary>
    public static IReadOnlySet<string> FilesOfANewCgroup(string mount) => NewCgroupFiles.GetOrAdd(mount, m =>
    {
        string dir = Path.Combine(m, $"berth-probe-{Environment.ProcessId}-{Interlocked.Increment(ref _probes)}");
        Directory.CreateDirectory(dir);
        try
        {
            return Directory.GetFiles(dir).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        }
        finally
        {
            Directory.Delete(dir);
        }
    });

    /// <summary>Whether a new cgroup in <paramref name="controller"/>'s v1 hierarchy has <paramref name="file"/>.</summary>
    public static bool V1CgroupHas(string controller, string file) => V1Mount(controller) is { } mount && FilesOfANewCgroup(mount).Contains(file);

    /// <summary>Null when a new cgroup under this host's cgroup2 mount has <paramref name="file"/>; else why not.</summary>
    public static string? LacksV2CoreFile(string file) =>
        LacksRoot ?? (Cgroups.V2Mount is not { } mount ? "this host has no cgroup2 mount"
            : FilesOfANewCgroup(mount).Contains(file) ? null
            : $"this host's kernel offers no {file} in a new cgroup under {mount}");

    /// <summary>The huge page sizes this kernel has, smallest first, named as the hugetlb controller names them
    /// (hugepages-2048kB → 2MB), with their size in bytes; empty without hugetlbfs.</summary>
    public static IReadOnlyList<(string Name, long Bytes)> HugePageSizes()
    {
        const string dir = "/sys/kernel/mm/hugepages";
        if (!Directory.Exists(dir))
            return [];
        var sizes = new List<(string Name, long Bytes)>();
        foreach (string entry in Directory.GetDirectories(dir).Select(Path.GetFileName).OfType<string>())
        {
            if (!entry.StartsWith("hugepages-", StringComparison.Ordinal) || !entry.EndsWith("kB", StringComparison.Ordinal)
                || !long.TryParse(entry["hugepages-".Length..^2], NumberStyles.None, CultureInfo.InvariantCulture, out long kb))
                continue;
            string name = kb % (1024 * 1024) == 0 ? $"{kb / (1024 * 1024)}GB" : kb % 1024 == 0 ? $"{kb / 1024}MB" : $"{kb}KB";
            sizes.Add((name, kb * 1024));
        }
        return sizes.OrderBy(s => s.Bytes).ToList();
    }

    /// <summary>The numbers of a kernel CPU or memory-node list such as "0-3,8,10-11".</summary>
    public static List<int> ParseList(string list)
    {
        var numbers = new List<int>();
        foreach (string part in list.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] range = part.Split('-');
            int first = int.Parse(range[0], CultureInfo.InvariantCulture);
            int last = range.Length > 1 ? int.Parse(range[1], CultureInfo.InvariantCulture) : first;
            for (int n = first; n <= last; n++)
                numbers.Add(n);
        }
        return numbers;
    }

    /// <summary>The CPUs (or, with "mems", memory nodes) the root of the cpuset hierarchy hands out; empty without one.</summary>
    public static List<int> RootCpuset(string what)
    {
        string? dir = Cgroups.ControllerDirectory("cpuset", "/");
        if (dir is null)
            return [];
        foreach (string file in new[] { $"cpuset.effective_{what}", $"cpuset.{what}.effective", $"cpuset.{what}" })
            if (File.Exists(Path.Combine(dir, file)) && ParseList(File.ReadAllText(Path.Combine(dir, file))) is { Count: > 0 } list)
                return list;
        return [];
    }

    /// <summary>A block device of this host as major and minor (from /sys/block), or null when it has none.</summary>
    public static (int Major, int Minor)? BlockDevice()
    {
        if (!Directory.Exists("/sys/block"))
            return null;
        string? file = Directory.GetDirectories("/sys/block").Order(StringComparer.Ordinal).Select(d => Path.Combine(d, "dev")).FirstOrDefault(File.Exists);
        if (file is null)
            return null;
        string[] numbers = File.ReadAllText(file).Trim().Split(':');
        return (int.Parse(numbers[0], CultureInfo.InvariantCulture), int.Parse(numbers[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Null when an unprivileged user may make a user namespace here; else which kernel setting forbids it.</summary>
    /// <summary>Null when <paramref name="program"/> is an executable in a folder of PATH, else why a test skips.</summary>
    public static string? LacksProgram(string program, string package) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, program))) ? null : $"needs {program} (Debian package {package})";

    public static string? LacksUnprivilegedUserNamespaces()
    {
        static string? Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        if (Read("/proc/sys/user/max_user_namespaces") == "0")
            return "user.max_user_namespaces is 0 on this host: no user namespaces";
        if (Read("/proc/sys/kernel/unprivileged_userns_clone") == "0")
            return "kernel.unprivileged_userns_clone is 0 on this host: unprivileged users may not make user namespaces";
        if (Read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1")
            return "kernel.apparmor_restrict_unprivileged_userns is 1 on this host: unprivileged user namespaces are restricted";
        return null;
    }
}
