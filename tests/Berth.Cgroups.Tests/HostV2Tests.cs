using System.Diagnostics;

namespace Berth.Cgroups.Tests;

/// <summary>The v2 code paths on this host's real cgroup2 mount, for what it offers: groups, procs, freeze, kill, hugetlb.
/// Each test asks the host for the file it relies on and is skipped, with the reason, where it is missing.</summary>
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

    [SkippableFact]
    public void Freeze_and_thaw_through_cgroup_freeze()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksV2CoreFile("cgroup.freeze"));
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

    [SkippableFact]
    public void Kill_all_through_cgroup_kill_even_when_frozen()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksV2CoreFile("cgroup.kill") ?? HostSupport.LacksV2CoreFile("cgroup.freeze"));
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

    [SkippableFact]
    public void Kill_all_with_another_signal_signals_every_process()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksV2CoreFile("cgroup.procs"));
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

    [SkippableFact]
    public void Hugetlb_limit_written_where_the_host_keeps_hugetlb()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksRoot);
        Skip.If(HostSupport.ControllerVersion("hugetlb") is null, "this host has no hugetlb controller (neither a v1 hierarchy nor in cgroup2's cgroup.controllers)");
        var sizes = HostSupport.HugePageSizes();
        Skip.If(sizes.Count == 0, "this host's kernel lists no huge page size in /sys/kernel/mm/hugepages");
        var (pageSize, limit) = (sizes[0].Name, 2 * sizes[0].Bytes);
        var layout = CgroupLayout.Host;
        string path = $"/berth-test-hugetlb-{Environment.ProcessId}";
        var manager = new CgroupManager(layout);
        var (all, created) = manager.Prepare(path);
        try
        {
            var driver = CgroupDrivers.For(layout);
            var resources = new LinuxResources { HugepageLimits = [new LinuxHugepageLimit { PageSize = pageSize, Limit = (ulong)limit }] };
            driver.Apply(driver.Compile(resources, created: false, []), path);
            string expectedFile = layout.V1Mounts.ContainsKey("hugetlb") ? Path.Combine(layout.V1Mounts["hugetlb"], path.TrimStart('/'), $"hugetlb.{pageSize}.limit_in_bytes")
                : Path.Combine(layout.V2Mount!, path.TrimStart('/'), $"hugetlb.{pageSize}.max");
            Assert.Equal(limit.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(expectedFile).Trim());
        }
        finally
        {
            CgroupManager.Remove(created);
        }
        Assert.All(all, d => Assert.False(Directory.Exists(d)));
    }
}
