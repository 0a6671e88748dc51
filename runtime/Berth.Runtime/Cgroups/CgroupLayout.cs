namespace Berth.Runtime.Cgroups;

public enum CgroupMode { V1, V2, Hybrid }

/// <summary>
/// Where each controller lives on this host, read from /proc/self/mountinfo: cgroup v1 hierarchies, a cgroup2 mount,
/// or both (hybrid, as on this project's CI host: v1 controllers plus /sys/fs/cgroup/unified).
/// </summary>
public sealed record CgroupLayout(CgroupMode Mode, IReadOnlyDictionary<string, string> V1Mounts, string? V2Mount, IReadOnlyList<string> V2Controllers)
{
    private static CgroupLayout? _host;

    public static CgroupLayout Host => _host ??= Detect(MountInfo());

    /// <summary>This process's /proc/self/mountinfo, a line each.</summary>
    public static string[] MountInfo() =>
        (Sys.ReadSmall("/proc/self/mountinfo", out int error) ?? throw BerthException.Errno("read /proc/self/mountinfo", error))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static CgroupLayout Detect(IEnumerable<string> mountinfo)
    {
        var v1 = new Dictionary<string, string>(StringComparer.Ordinal);
        string? v2 = null;
        foreach (string line in mountinfo)
        {
            int dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0)
                continue;
            string[] left = line[..dash].Split(' ');
            string[] right = line[(dash + 3)..].Split(' ');
            if (left.Length < 5 || right.Length < 3)
                continue;
            string mountPoint = Unescape(left[4]);
            if (right[0] == "cgroup2")
                v2 ??= mountPoint;
            else if (right[0] == "cgroup")
            {
                foreach (string option in right[2].Split(','))
                {
                    if (option is "rw" or "ro" || option.StartsWith("release_agent", StringComparison.Ordinal) || option == "clone_children" || option == "noprefix" || option == "xattr")
                        continue;
                    string name = option.StartsWith("name=", StringComparison.Ordinal) ? option : option;
                    v1.TryAdd(name, mountPoint);
                }
            }
        }
        IReadOnlyList<string> v2Controllers = [];
        if (v2 is not null)
        {
            string? text = Sys.ReadSmall(Path.Combine(v2, "cgroup.controllers"), out _);
            v2Controllers = text is null ? [] : text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        var mode = v1.Count == 0 ? CgroupMode.V2 : v2 is null ? CgroupMode.V1 : CgroupMode.Hybrid;
        return new CgroupLayout(mode, v1, v2, v2Controllers);
    }

    private static string Unescape(string s) => s.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");

    /// <summary>Every directory a container with this cgroupsPath lives in, one per hierarchy.</summary>
    public IEnumerable<string> DirectoriesFor(string cgroupsPath)
    {
        string relative = cgroupsPath.TrimStart('/');
        foreach (string mount in V1Mounts.Values.Distinct())
            yield return Path.Combine(mount, relative);
        if (V2Mount is not null)
            yield return Path.Combine(V2Mount, relative);
    }

    public string? ControllerDirectory(string controller, string cgroupsPath) =>
        HierarchyOf(controller) is { } mount ? Path.Combine(mount, cgroupsPath.TrimStart('/')) : null;

    /// <summary>
    /// The cgroup a process is in, per hierarchy mount point, from its /proc/PID/cgroup lines ("4:memory:/a",
    /// "9:name=systemd:/", "0::/b" for cgroup2). Hierarchies this layout has no mount for are left out.
    /// </summary>
    public Dictionary<string, string> CurrentPaths(IEnumerable<string> procCgroupLines)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in procCgroupLines)
        {
            string[] fields = line.Split(':', 3);
            if (fields.Length < 3)
                continue;
            string? mount = fields[1].Length == 0 ? V2Mount
                : fields[1].Split(',').Select(c => V1Mounts.TryGetValue(c, out string? m) ? m : null).FirstOrDefault(m => m is not null);
            if (mount is not null)
                paths.TryAdd(mount, fields[2]);
        }
        return paths;
    }

    /// <summary>The hierarchy <paramref name="dir"/> is in: the deepest of this layout's mount points at or above it
    /// (a v1 hierarchy may be mounted inside the cgroup2 mount, as name=systemd is on v2 hosts that run an old systemd
    /// in containers), or null when none is.</summary>
    public string? MountOf(string dir)
    {
        string? best = null;
        foreach (string mount in V1Mounts.Values)
            if (Holds(mount, dir) && (best is null || mount.Length > best.Length))
                best = mount;
        if (V2Mount is { } v2 && Holds(v2, dir) && (best is null || v2.Length > best.Length))
            best = v2;
        return best;
    }

    private static bool Holds(string mount, string dir)
    {
        string root = mount.TrimEnd('/');
        return dir == root || dir.StartsWith(root + "/", StringComparison.Ordinal);
    }

    /// <summary>The mount point of the hierarchy that holds <paramref name="controller"/> (a v1 hierarchy, or
    /// "name=…"), or null.</summary>
    public string? HierarchyOf(string controller)
    {
        if (V1Mounts.TryGetValue(controller, out string? mount))
            return mount;
        if (V2Mount is not null && (Mode == CgroupMode.V2 || V2Controllers.Contains(controller)))
            return V2Mount;
        return null;
    }
}
