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

    /// <summary>Makes the directories; returns every directory and those that berth made.</summary>
    public (List<string> All, List<string> Created) Prepare(string cgroupsPath)
    {
        var all = new List<string>();
        var created = new List<string>();
        try
        {
            foreach (string dir in Layout.DirectoriesFor(cgroupsPath))
            {
                all.Add(dir);
                // Record every level we make so delete can remove exactly those, deepest first.
                var missing = new Stack<string>();
                for (string? d = dir; d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d))
                    missing.Push(d);
                while (missing.Count > 0)
                {
                    string d = missing.Pop();
                    Directory.CreateDirectory(d);
                    created.Add(d);
                    InheritCpuset(d);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Remove(created);
            throw new BerthException($"create cgroup {cgroupsPath}: {e.Message}");
        }
        return (all, created);
    }

    /// <summary>v1 cpuset starts empty in a new group; a process cannot join until cpus and mems are set.</summary>
    private static void InheritCpuset(string dir)
    {
        foreach (string file in new[] { "cpuset.cpus", "cpuset.mems" })
        {
            string path = Path.Combine(dir, file);
            if (!File.Exists(path) || File.ReadAllText(path).Trim().Length > 0)
                continue;
            string parent = Path.Combine(Path.GetDirectoryName(dir)!, file);
            File.WriteAllText(path, File.ReadAllText(parent).Trim());
        }
    }

    public static void Join(IEnumerable<string> dirs, int pid)
    {
        foreach (string dir in dirs)
        {
            string procs = Path.Combine(dir, "cgroup.procs");
            try
            {
                File.WriteAllText(procs, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (IOException e)
            {
                throw new BerthException($"join cgroup {dir}: {e.Message}");
            }
        }
    }

    public static IEnumerable<int> Processes(IEnumerable<string> dirs)
    {
        var seen = new HashSet<int>();
        foreach (string dir in dirs)
        {
            string procs = Path.Combine(dir, "cgroup.procs");
            if (!File.Exists(procs))
                continue;
            foreach (string line in File.ReadAllLines(procs))
                if (int.TryParse(line, out int pid) && seen.Add(pid))
                    yield return pid;
        }
    }

    /// <summary>
    /// Signals every process in the cgroups. SIGKILL goes through cgroup.kill where the kernel has it (one write, no
    /// race with fork); otherwise, and for every other signal, the cgroup is frozen while the signal is sent to each
    /// process, so that none forks a child that escapes the loop, then thawed (unless it was paused before).
    /// </summary>
    public static void KillAll(IReadOnlyList<string> dirs, int signal)
    {
        if (signal == 9)
        {
            bool killed = false;
            foreach (string dir in dirs)
            {
                string kill = Path.Combine(dir, "cgroup.kill");
                if (!File.Exists(kill))
                    continue;
                try
                {
                    File.WriteAllText(kill, "1");
                    killed = true;
                }
                catch (IOException)
                {
                }
            }
            if (killed)
                return;
        }
        var freezer = Freezer.Select(dirs);
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
        foreach (string dir in created.OrderByDescending(d => d.Length))
        {
            for (int attempt = 0; attempt < 200; attempt++)
            {
                try
                {
                    // A parent berth made (/berth) that now holds other containers' cgroups stays: not an error.
                    if (!Directory.Exists(dir) || Directory.EnumerateDirectories(dir).Any())
                        break;
                    Directory.Delete(dir);
                    break;
                }
                catch (IOException)
                {
                    Thread.Sleep(5);
                }
            }
        }
    }
}
