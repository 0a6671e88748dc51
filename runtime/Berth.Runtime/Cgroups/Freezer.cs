namespace Berth.Runtime.Cgroups;

/// <summary>pause and resume: the v1 freezer (freezer.state) or v2 cgroup.freeze, whichever the directory has.</summary>
public static class Freezer
{
    public static bool IsFrozen(string cgroupDir)
    {
        string v1 = Path.Combine(cgroupDir, "freezer.state");
        if (File.Exists(v1))
            return File.ReadAllText(v1).Trim() is "FROZEN" or "FREEZING";
        return false;
    }

    public static bool CanFreeze(string cgroupDir) =>
        File.Exists(Path.Combine(cgroupDir, "freezer.state"));

    public static void Freeze(string cgroupDir, bool frozen)
    {
        string v1 = Path.Combine(cgroupDir, "freezer.state");
        if (File.Exists(v1))
        {
            File.WriteAllText(v1, frozen ? "FROZEN" : "THAWED");
            // v1 freezing is asynchronous: wait until the kernel says it is done.
            for (int i = 0; i < 1000 && frozen && File.ReadAllText(v1).Trim() != "FROZEN"; i++)
                Thread.Sleep(1);
            return;
        }
        string v2 = Path.Combine(cgroupDir, "cgroup.freeze");
        if (File.Exists(v2))
            File.WriteAllText(v2, frozen ? "1" : "0");
    }
}
