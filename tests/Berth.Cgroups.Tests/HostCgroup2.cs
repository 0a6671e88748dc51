using System.Diagnostics;

namespace Berth.Cgroups.Tests;

/// <summary>This host's real cgroup2 mount, as /proc/self/mountinfo says (null when there is none or we are not
/// root); tests ask <see cref="HostSupport"/> first and skip where it is missing.</summary>
public static class HostCgroup2
{
    public static string? Mount => HostSupport.IsRoot ? CgroupLayout.Host.V2Mount : null;

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs a shell command that first moves its shell into the cgroup.</summary>
    public static Result RunIn(string dir, string command)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"echo $$ > {dir}/cgroup.procs || exit 99; {command}");
        using var p = System.Diagnostics.Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.NotEqual(99, p.ExitCode);
        return new Result(p.ExitCode, stdout, stderr);
    }

    public static void RemoveWhenEmpty(string dir)
    {
        for (int i = 0; i < 500 && Directory.Exists(dir); i++)
        {
            try
            {
                Directory.Delete(dir);
            }
            catch (IOException)
            {
                Thread.Sleep(10);
            }
        }
    }
}
