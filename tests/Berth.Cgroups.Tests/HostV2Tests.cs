using System.Diagnostics;

namespace Berth.Cgroups.Tests;

/// <summary>The v2 code paths on this host's real cgroup2 mount, for what it offers: groups, procs, freeze, kill, hugetlb.</summary>
public class HostV2Tests
{
    private static (string Dir, System.Diagnostics.Process Sleeper) Group(string name)
    {
        string dir = Path.Combine(HostCgroup2.Mount!, $"berth-test-{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"echo $$ > {dir}/cgroup.procs && echo in && exec sleep 100");
        var p = System.Diagnostics.Process.Start(psi)!;
        Assert.Equal("in", p.StandardOutput.ReadLine());
        return (dir, p);
    }

    [Fact]
    public void Freeze_and_thaw_through_cgroup_freeze()
    {
        if (HostCgroup2.Mount is null)
            return;
        var (dir, sleeper) = Group("freeze");
        try
        {
            Assert.True(Freezer.FreezeAll([dir], true));
            Assert.Contains("frozen 1", File.ReadAllLines(Path.Combine(dir, "cgroup.events")));
            Assert.True(Freezer.IsFrozen(dir));
            Assert.True(Freezer.FreezeAll([dir], false));
            Assert.Contains("frozen 0", File.ReadAllLines(Path.Combine(dir, "cgroup.events")));
            Assert.False(Freezer.IsFrozen(dir));
        }
        finally
        {
            CgroupManager.KillAll([dir], 9);
            sleeper.WaitForExit(5000);
            HostCgroup2.RemoveWhenEmpty(dir);
        }
    }

    [Fact]
    public void Kill_all_through_cgroup_kill_even_when_frozen()
    {
        if (HostCgroup2.Mount is null)
            return;
        var (dir, sleeper) = Group("kill");
        try
        {
            Freezer.FreezeAll([dir], true);
            CgroupManager.KillAll([dir], 9);
            Assert.True(sleeper.WaitForExit(5000));
            Assert.Empty(CgroupManager.Processes([dir]));
        }
        finally
        {
            HostCgroup2.RemoveWhenEmpty(dir);
        }
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Kill_all_with_another_signal_signals_every_process()
    {
        if (HostCgroup2.Mount is null)
            return;
        var (dir, sleeper) = Group("term");
        try
        {
            CgroupManager.KillAll([dir], 15);
            Assert.True(sleeper.WaitForExit(5000));
            Assert.Equal(143, sleeper.ExitCode);
        }
        finally
        {
            HostCgroup2.RemoveWhenEmpty(dir);
        }
    }

    [Fact]
    public void Hugetlb_limit_written_where_the_host_keeps_hugetlb()
    {
        if (HostCgroup2.Mount is null || !File.Exists("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"))
            return;
        var layout = CgroupLayout.Host;
        string path = $"/berth-test-hugetlb-{Environment.ProcessId}";
        var manager = new CgroupManager(layout);
        var (all, created) = manager.Prepare(path);
        try
        {
            var driver = CgroupDrivers.For(layout);
            var resources = new LinuxResources { HugepageLimits = [new LinuxHugepageLimit { PageSize = "2MB", Limit = 4194304 }] };
            driver.Apply(driver.Compile(resources, created: false, []), path);
            string expectedFile = layout.V1Mounts.ContainsKey("hugetlb") ? Path.Combine(layout.V1Mounts["hugetlb"], path.TrimStart('/'), "hugetlb.2MB.limit_in_bytes")
                : Path.Combine(layout.V2Mount!, path.TrimStart('/'), "hugetlb.2MB.max");
            Assert.Equal("4194304", File.ReadAllText(expectedFile).Trim());
        }
        finally
        {
            CgroupManager.Remove(created);
        }
        Assert.All(all, d => Assert.False(Directory.Exists(d)));
    }
}
