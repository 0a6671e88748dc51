using static Tmds.Linux.LibC;

namespace Berth.Runtime.Cgroups;

/// <summary>
/// Creates or joins the container's cgroups, puts processes in them, and removes what berth created.
/// A cgroup that already existed is joined, never removed (join versus join-and-modify: see ARCHITECTURE.md).
/// </summary>
public sealed class CgroupManager(CgroupLayout layout)
{
    public CgroupLayout Layout { get; } = layout;

    /// <summary>"/berth/ID" when the config names none; relative paths go under "/berth".</summary>
    public static string ResolvePath(string? cgroupsPath, string id)
    {
        if (string.IsNullOrEmpty(cgroupsPath))
            return "/berth/" + id;
        string path = cgroupsPath.StartsWith('/') ? cgroupsPath : "/berth/" + cgroupsPath;
        // A cgroupsPath may not climb out of the hierarchy: normalise and check.
        var parts = new List<string>();
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
                continue;
            if (part == "..")
                throw new BerthException($"linux.cgroupsPath \"{cgroupsPath}\" leaves the cgroup hierarchy");
            parts.Add(part);
        }
        if (parts.Count == 0)
            throw new BerthException($"linux.cgroupsPath \"{cgroupsPath}\" names the root cgroup");
        return "/" + string.Join('/', parts);
    }

    /// <summary>
    /// The directories <see cref="Prepare"/> is about to make: in each hierarchy, the levels from the container's own
    /// up that do not exist yet, parents first. create records them in state.json before it makes any, so that a
    /// create killed half-way leaves a record that names them and delete --force can remove them.
    /// </summary>
    public List<string> Planned(string cgroupsPath)
    {
        var planned = new List<string>();
        foreach (string dir in Layout.DirectoriesFor(cgroupsPath))
        {
            int at = planned.Count;
            for (string? level = dir; level is not null && !Sys.Exists(level); level = Path.GetDirectoryName(level))
                planned.Insert(at, level);
        }
        return planned;
    }

    /// <summary>Makes the directories; returns every directory and those that berth made.</summary>
    public (List<string> All, List<string> Created) Prepare(string cgroupsPath)
    {
        var all = new List<string>();
        var created = new List<string>();
        try
        {
            // Only a v1 cpuset hierarchy needs its values copied down; cgroup2 inherits the parent's effective ones.
            string? cpusetMount = Layout.V1Mounts.TryGetValue("cpuset", out string? m) ? m.TrimEnd('/') + "/" : null;
            foreach (string dir in Layout.DirectoriesFor(cgroupsPath))
            {
                all.Add(dir);
                MakeDirectory(dir, created);
                if (cpusetMount is not null && dir.StartsWith(cpusetMount, StringComparison.Ordinal))
                    FillCpusetPath(cpusetMount, dir);
            }
        }
        catch (BerthException)
        {
            Remove(created);
            throw;
        }
        return (all, created);
    }

    /// <summary>mkdir first (the usual case: only the last level is missing); parents only on ENOENT. Records every
    /// level made so that delete removes exactly those, deepest first.</summary>
    private static void MakeDirectory(string dir, List<string> created)
    {
        int err = Sys.Mkdir(dir, 0b111_101_101);
        if (err == EEXIST)
            return;
        if (err == ENOENT && Path.GetDirectoryName(dir) is { } parent)
        {
            MakeDirectory(parent, created);
            err = Sys.Mkdir(dir, 0b111_101_101);
            if (err == EEXIST)
                return; // another create made it meanwhile (two containers under one new parent)
        }
        if (err != 0)
            throw BerthException.Errno($"create cgroup {dir}", err);
        created.Add(dir);
    }

    /// <summary>
    /// Every level from the hierarchy's root down to <paramref name="dir"/> needs cpus and mems, not only those berth
    /// made: a parent someone else created with plain mkdir is empty, and a process cannot join below it (ENOSPC).
    /// Filled top-down from each level's parent, as runc does.
    /// </summary>
    private static void FillCpusetPath(string mount, string dir)
    {
        string relative = dir[mount.Length..].Trim('/');
        if (relative.Length == 0)
            return;
        string level = mount.TrimEnd('/');
        // Each level's values, once known, are the next level's parent values: every file is read once.
        string? cpus = null, mems = null;
        foreach (string part in relative.Split('/'))
        {
            string parent = level;
            level += "/" + part;
            cpus = InheritCpuset(parent, level, "cpuset.cpus", cpus);
            mems = InheritCpuset(parent, level, "cpuset.mems", mems);
        }
    }

    /// <summary>
    /// v1 cpuset starts empty in a new group; a process cannot join until cpus and mems are set. Returns the
    /// level's value afterwards (null when its file could not be read).
    /// </summary>
    private static string? InheritCpuset(string parent, string dir, string file, string? parentValue)
    {
        string path = Path.Combine(dir, file);
        string? current = Sys.ReadSmall(path, out _)?.Trim();
        if (current is null || current.Length > 0)
            return current;
        if (parentValue is null)
        {
            string parentPath = Path.Combine(parent, file);
            parentValue = (Sys.ReadSmall(parentPath, out int readError) ?? throw BerthException.Errno($"read {parentPath}", readError)).Trim();
        }
        int err = Sys.WriteSmall(path, parentValue, O_WRONLY);
        if (err != 0)
            throw BerthException.Errno($"write \"{parentValue}\" to {path}", err);
        return parentValue;
    }

    /// <summary>
    /// `exec --cgroup`, as runc reads it: "PATH" (given once) is a sub-cgroup of the container's in every hierarchy;
    /// "CONTROLLER[,CONTROLLER…]:PATH" (repeatable) in those controllers' hierarchies only, the others staying in the
    /// container's own. PATH may not climb out of the container's cgroup; the sub-cgroup must exist already.
    /// </summary>
    public static IReadOnlyList<string> SubCgroups(CgroupLayout layout, IReadOnlyList<string> dirs, IReadOnlyList<string> specs)
    {
        if (specs.Count == 0)
            return dirs;
        var result = dirs.ToList();
        var chosen = new Dictionary<int, string>();
        foreach (string spec in specs)
        {
            string[] parts = spec.Split(':');
            if (parts.Length > 2)
                throw new BerthException($"invalid --cgroup argument \"{spec}\" (CONTROLLER[,CONTROLLER]:PATH or PATH)", 2);
            if (parts.Length == 1)
            {
                if (specs.Count != 1)
                    throw new BerthException($"invalid --cgroup argument \"{spec}\": with more than one --cgroup, each needs its CONTROLLER: prefix", 2);
                for (int i = 0; i < result.Count; i++)
                    result[i] = Below(result[i], spec);
                return result;
            }
            foreach (string controller in parts[0].Split(','))
            {
                string? mount = layout.HierarchyOf(controller);
                int at = mount is null ? -1 : result.FindIndex(d => layout.MountOf(d) == mount);
                if (at < 0)
                    throw new BerthException($"--cgroup {spec}: unknown controller \"{controller}\": the container has no cgroup of it here");
                if (chosen.TryGetValue(at, out string? other) && other != parts[1])
                    throw new BerthException($"--cgroup {spec}: \"{controller}\" shares its hierarchy with a controller already given \"{other}\"");
                chosen[at] = parts[1];
            }
        }
        foreach (var (at, path) in chosen)
            result[at] = Below(dirs[at], path);
        return result;
    }

    /// <summary>dir/path with "." and ".." taken out; an error where it leaves dir.</summary>
    private static string Below(string dir, string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                if (parts.Count == 0)
                    throw new BerthException($"--cgroup: {path} is not a sub cgroup path: it leads out of the container's cgroup");
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return parts.Count == 0 ? dir : dir.TrimEnd('/') + "/" + string.Join('/', parts);
    }

    public static void Join(IEnumerable<string> dirs, int pid)
    {
        foreach (string dir in dirs)
        {
            string procs = Path.Combine(dir, "cgroup.procs");
            int err = Sys.WriteSmall(procs, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), O_WRONLY);
            if (err != 0)
                throw BerthException.Errno($"join cgroup: adding pid {pid} to {procs}", err);
        }
    }

    public static IEnumerable<int> Processes(IEnumerable<string> dirs)
    {
        var seen = new HashSet<int>();
        foreach (string dir in dirs)
        {
            string? procs = Sys.ReadSmall(Path.Combine(dir, "cgroup.procs"), out _);
            if (procs is null)
                continue;
            foreach (string line in procs.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                if (int.TryParse(line, out int pid) && seen.Add(pid))
                    yield return pid;
        }
    }

    /// <summary>
    /// Signals every process in the cgroups. SIGKILL goes through cgroup.kill where the kernel has it (one write, no
    /// race with fork); otherwise, and for every other signal, the cgroup is frozen while the signal is sent to each
    /// process, so that none forks a child that escapes the loop, then thawed (unless it was paused before).
    /// </summary>
    /// <param name="killable">The directories that may have cgroup.kill; <paramref name="freezable"/>: those that may
    /// have a freezer (all of <paramref name="dirs"/> when the caller does not know).</param>
    public static void KillAll(IReadOnlyList<string> dirs, int signal, IReadOnlyList<string>? killable = null, IReadOnlyList<string>? freezable = null)
    {
        if (signal == 9)
        {
            bool killed = false;
            foreach (string dir in killable ?? dirs)
            {
                if (Sys.WriteSmall(Path.Combine(dir, "cgroup.kill"), "1"u8, O_WRONLY) == 0)
                    killed = true;
            }
            if (killed)
                return;
        }
        var freezer = Freezer.Select(freezable ?? dirs);
        bool thaw = false;
        try
        {
            if (freezer.Count > 0 && !freezer.Any(Freezer.IsFrozen))
            {
                foreach (string dir in freezer)
                    Freezer.Freeze(dir, true);
                thaw = true;
            }
        }
        catch (BerthException)
        {
            // A cgroup that does not freeze: signal without it rather than not at all.
        }
        foreach (int pid in Processes(dirs))
            Sys.Kill(pid, signal);
        if (thaw)
            foreach (string dir in freezer)
                Freezer.Freeze(dir, false);
    }

    /// <summary>Removes directories berth created, deepest first, waiting briefly for dying processes to leave.</summary>
    public static void Remove(IEnumerable<string> created)
    {
        string? failure = null;
        foreach (string dir in created.OrderByDescending(d => d.Length))
        {
            for (int attempt = 0; attempt < 200; attempt++)
            {
                int err = Sys.Rmdir(dir);
                if (err == 0 || err == ENOENT)
                    break;
                // A parent berth made (/berth) that now holds other containers' cgroups stays: not an error.
                if (err == ENOTEMPTY || (err == EBUSY && HasSubdirectory(dir)))
                    break;
                if (err != EBUSY && err != EINTR)
                {
                    failure ??= $"remove cgroup {dir}: {Linux.Describe(err)}";
                    break;
                }
                // Killed processes leave their cgroups within a millisecond or so: look again soon, then less often.
                Thread.Sleep(attempt < 20 ? 1 : 5);
            }
        }
        // Every directory was tried; the first failure is reported (the container's record stays for a retry).
        if (failure is not null)
            throw new BerthException(failure);
    }

    private static bool HasSubdirectory(string dir)
    {
        try
        {
            return Directory.EnumerateDirectories(dir).Any();
        }
        catch (IOException)
        {
            return false;
        }
    }
}
