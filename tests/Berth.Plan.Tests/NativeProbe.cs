using System.Diagnostics;

namespace Berth.Plan.Tests;

/// <summary>Small C programs compiled by the tests against runtime/Berth.Runtime/native, and run.</summary>
internal static class NativeProbe
{
    public static string NativeDir([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "../../runtime/Berth.Runtime/native"));

    /// <summary>Runs a program to its end; its standard output, or a failed assertion with its standard error.</summary>
    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed ({p.ExitCode}): {error}");
        return output;
    }
}
