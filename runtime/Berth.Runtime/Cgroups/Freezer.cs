namespace Berth.Runtime.Cgroups;

/// <summary>
/// pause and resume: the v1 freezer (freezer.state) or v2 cgroup.freeze. On a hybrid host with a v1 freezer, the v1
/// freezer is the one used (freezing through both would have two freezers fight over the same tasks).
/// </summary>
public static class Freezer
{
    public static bool IsFrozen(string cgroupDir)
    {
        // Raw reads: create asks this on its start path, where no FileStream is set up.
        if (Sys.ReadSmall(Path.Combine(cgroupDir, "freezer.state"), out _) is { } v1)
            return v1.Trim() is "FROZEN" or "FREEZING";
        return Sys.ReadSmall(Path.Combine(cgroupDir, "cgroup.freeze"), out _)?.Trim() == "1";
    }

    public static bool CanFreeze(string cgroupDir) =>
        File.Exists(Path.Combine(cgroupDir, "freezer.state")) || File.Exists(Path.Combine(cgroupDir, "cgroup.freeze"));

    /// <summary>The directories whose freezer pause uses: the v1 freezer ones if any, else the v2 ones.</summary>
    public static List<string> Select(IEnumerable<string> dirs)
    {
        var list = dirs.ToList();
        var v1 = list.Where(d => File.Exists(Path.Combine(d, "freezer.state"))).ToList();
        return v1.Count > 0 ? v1 : list.Where(d => File.Exists(Path.Combine(d, "cgroup.freeze"))).ToList();
    }

    /// <summary>Select without asking the file system where the layout already says: the v1 freezer hierarchy's
    /// directories when the host has one (create asks this on its start path).</summary>
    public static List<string> Select(CgroupLayout layout, IEnumerable<string> dirs)
    {
        if (!layout.V1Mounts.TryGetValue("freezer", out string? mount))
            return Select(dirs);
        return dirs.Where(d => layout.MountOf(d) == mount).ToList();
    }

    /// <summary>The container's v1 freezer directory and its cgroup2 directory among <paramref name="dirs"/> ("" for
    /// none), as the layout says: the only ones later commands ask about pausing and cgroup.kill.</summary>
    public static (string Freezer, string Cgroup2) Roles(CgroupLayout layout, IReadOnlyList<string> dirs)
    {
        layout.V1Mounts.TryGetValue("freezer", out string? freezerMount);
        string freezer = "", cgroup2 = "";
        foreach (string dir in dirs)
        {
            string? mount = layout.MountOf(dir);
            if (mount is null)
                continue;
            if (cgroup2.Length == 0 && mount == layout.V2Mount)
                cgroup2 = dir;
            else if (freezer.Length == 0 && mount == freezerMount)
                freezer = dir;
        }
        return (freezer, cgroup2);
    }

    /// <summary>Freezes or thaws the container; false when it has no freezer at all.</summary>
    public static bool FreezeAll(IEnumerable<string> dirs, bool frozen)
    {
        var selected = Select(dirs);
        foreach (string dir in selected)
            Freeze(dir, frozen);
        return selected.Count > 0;
    }

    public static void Freeze(string cgroupDir, bool frozen)
    {
        string v1 = Path.Combine(cgroupDir, "freezer.state");
        if (File.Exists(v1))
        {
            Sys.WriteKernelFile(v1, frozen ? "FROZEN" : "THAWED", frozen ? "pause" : "resume");
            // v1 freezing is asynchronous: wait until the kernel says it is done.
            for (int i = 0; i < 2000 && frozen && Read(v1) != "FROZEN"; i++)
            {
                Thread.Sleep(1);
                if (i % 100 == 99)
                    Sys.WriteKernelFile(v1, "FROZEN", "pause"); // a task that forked meanwhile: ask again
            }
            if (frozen && Read(v1) != "FROZEN")
                throw new BerthException($"{cgroupDir} did not freeze (freezer.state {Read(v1)})");
            return;
        }
        string v2 = Path.Combine(cgroupDir, "cgroup.freeze");
        if (!File.Exists(v2))
            return;
        Sys.WriteKernelFile(v2, frozen ? "1" : "0", frozen ? "pause" : "resume");
        // v2 reports the finished state in cgroup.events ("frozen 1").
        string events = Path.Combine(cgroupDir, "cgroup.events");
        for (int i = 0; i < 2000 && File.Exists(events); i++)
        {
            bool done = File.ReadAllLines(events).Contains(frozen ? "frozen 1" : "frozen 0");
            if (done)
                return;
            Thread.Sleep(1);
        }
        if (File.Exists(events) && frozen)
            throw new BerthException($"{cgroupDir} did not freeze (cgroup.events)");
    }

    private static string Read(string file) => File.ReadAllText(file).Trim();
}
