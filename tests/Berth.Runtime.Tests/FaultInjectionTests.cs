using System.Diagnostics;
using Xunit.Abstractions;

namespace Berth.Runtime.Tests;

/// <summary>
/// SIGKILL of berth at a spread of moments in create, run, start, exec and delete: whatever berth had made by then,
/// `state` and `list` still answer (exit 0 or 1, never a stack trace), and `delete --force` removes all of it — no
/// state directory, cgroup, mount or process of the container remains. The moments are spread over each command's
/// own duration (measured first on this machine), so every step of it is hit in some trials.
/// </summary>
public class FaultInjectionTests(ITestOutputHelper output)
{
    private const int TrialsPerCommand = 40;

    /// <summary>berth started with stdio of its own (files, so nothing blocks), killed after the given time.</summary>
    private static void RunAndKill(string[] args, TimeSpan after)
    {
        var psi = new ProcessStartInfo(Harness.Berth) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = false, RedirectStandardError = false };
        foreach (string a in (string[])["--root", Harness.StateRoot, .. args])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < after && !p.HasExited)
            Thread.SpinWait(50);
        if (!p.HasExited)
            p.Kill();
        p.WaitForExit();
    }

    private static TimeSpan Duration(string[] args)
    {
        var clock = Stopwatch.StartNew();
        var r = Harness.Run(args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return clock.Elapsed;
    }

    private static string Created(JsonObject config)
    {
        string id = Harness.NewId("fault");
        var r = Harness.Run("create", "--bundle", Harness.Bundle(config), id);
        Assert.True(r.ExitCode == 0, r.ToString());
        return id;
    }

    private static void AssertAnswers(BerthResult r, string what)
    {
        Assert.True(r.ExitCode is 0 or 1, $"{what}: {r}");
        Assert.DoesNotContain("Unhandled exception", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    /// <summary>After a kill: state and list answer, delete --force succeeds and leaves nothing of the container.</summary>
    private static void AssertRecoverable(string id)
    {
        AssertAnswers(Harness.Run("state", id), "state");
        AssertAnswers(Harness.Run("list"), "list");
        var d = Harness.Run("delete", "--force", id);
        Assert.True(d.ExitCode == 0, $"delete --force {id}: {d}");
        Harness.AssertNothingLeft(id);
        // No process of it anywhere: not in a cgroup berth forgot, not an orphaned setup child.
        foreach (string proc in Directory.GetDirectories("/proc").Where(p => char.IsAsciiDigit(Path.GetFileName(p)[0])))
        {
            string cmdline, cgroup;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                cgroup = File.ReadAllText(Path.Combine(proc, "cgroup"));
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }
            Assert.False(cgroup.Contains("/" + id + "\n") || cgroup.Contains("/" + id + "/"), $"process {proc} is still in a cgroup of {id}: {cmdline}");
            Assert.False(cmdline.Contains(" " + id + " ") || cmdline.EndsWith(" " + id + " ", StringComparison.Ordinal), $"process {proc} of {id} is left: {cmdline}");
        }
    }

    private void Trials(string command, Func<int, (string Id, string[] Args)> prepare, TimeSpan span)
    {
        for (int i = 0; i < TrialsPerCommand; i++)
        {
            var (id, args) = prepare(i);
            // Spread over 1.2 times the command's duration, so that some trials let it finish.
            var after = TimeSpan.FromTicks(span.Ticks * 12 / 10 * i / TrialsPerCommand);
            RunAndKill(args, after);
            AssertRecoverable(id);
        }
        output.WriteLine($"{command}: {TrialsPerCommand} trials over {span.TotalMilliseconds:F1} ms");
    }

    [Fact]
    public void Create_killed_at_any_moment_leaves_nothing_delete_cannot_remove()
    {
        var bundle = Harness.Bundle(Harness.BaseConfig("sleep", "60"));
        string probe = Harness.NewId("fault-probe");
        var span = Duration(["create", "--bundle", bundle, probe]);
        Assert.Equal(0, Harness.Run("delete", "--force", probe).ExitCode);
        Trials("create", _ => { string id = Harness.NewId("fault-create"); return (id, ["create", "--bundle", bundle, id]); }, span);
    }

    [Fact]
    public void Run_killed_at_any_moment_leaves_nothing_delete_cannot_remove()
    {
        var bundle = Harness.Bundle(Harness.BaseConfig("sleep", "60"));
        string probe = Harness.NewId("fault-probe");
        var span = Duration(["run", "--detach", "--bundle", bundle, probe]);
        Assert.Equal(0, Harness.Run("delete", "--force", probe).ExitCode);
        Trials("run", i => { string id = Harness.NewId("fault-run"); return (id, i % 2 == 0 ? ["run", "--bundle", bundle, id] : ["run", "--detach", "--bundle", bundle, id]); }, span);
    }

    [Fact]
    public void Start_killed_at_any_moment_leaves_nothing_delete_cannot_remove()
    {
        var config = Harness.BaseConfig("sleep", "60");
        string probe = Created(config);
        var span = Duration(["start", probe]);
        Assert.Equal(0, Harness.Run("delete", "--force", probe).ExitCode);
        Trials("start", _ => { string id = Created(config); return (id, ["start", id]); }, span);
    }

    [Fact]
    public void Exec_killed_at_any_moment_leaves_nothing_delete_cannot_remove()
    {
        var config = Harness.BaseConfig("sleep", "60");
        string probe = Created(config);
        Assert.Equal(0, Harness.Run("start", probe).ExitCode);
        var span = Duration(["exec", probe, "true"]);
        Assert.Equal(0, Harness.Run("delete", "--force", probe).ExitCode);
        Trials("exec", i =>
        {
            string id = Created(config);
            Assert.Equal(0, Harness.Run("start", id).ExitCode);
            return (id, i % 2 == 0 ? ["exec", id, "sleep", "30"] : ["exec", "--detach", id, "sleep", "30"]);
        }, span);
    }

    [Fact]
    public void Delete_killed_at_any_moment_can_be_run_again()
    {
        var config = Harness.BaseConfig("sleep", "60");
        string probe = Created(config);
        Assert.Equal(0, Harness.Run("start", probe).ExitCode);
        var span = Duration(["delete", "--force", probe]);
        Trials("delete", _ =>
        {
            string id = Created(config);
            Assert.Equal(0, Harness.Run("start", id).ExitCode);
            return (id, ["delete", "--force", id]);
        }, span);
    }
}
