using System.Diagnostics;

namespace Berth.Images.Tests;

/// <summary>The outcome of a command the tests ran.</summary>
public sealed record CommandOutcome(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs the Debian tools the tests build images and vectors with (umoci, skopeo, openssl, mount).</summary>
public static class Commands
{
    public static CommandOutcome Run(string program, params string[] arguments) => RunIn(null, program, arguments);

    public static CommandOutcome RunIn(string? directory, string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(180_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran over 3 minutes");
        }
        return new CommandOutcome(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs and requires exit 0; returns standard output.</summary>
    public static string Succeed(string program, params string[] arguments) => SucceedIn(null, program, arguments);

    public static string SucceedIn(string? directory, string program, params string[] arguments)
    {
        var outcome = RunIn(directory, program, arguments);
        Assert.True(outcome.ExitCode == 0, $"{program} {string.Join(' ', arguments)}\n{outcome}");
        return outcome.Stdout;
    }

    /// <summary>Null when every program is on PATH; else which are missing.</summary>
    public static string? Missing(params string[] programs)
    {
        var paths = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries);
        var missing = programs.Where(p => !paths.Any(d => File.Exists(Path.Combine(d, p)))).ToList();
        return missing.Count == 0 ? null : $"{string.Join(", ", missing)} not installed (scripts/install-deps.sh installs them)";
    }

    public static bool IsRoot => Environment.UserName == "root" || Succeed("id", "-u").Trim() == "0";

    /// <summary>The repository's root (the directory holding Compiler.sln), from the test's output directory.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
                if (File.Exists(Path.Combine(directory.FullName, "Compiler.sln")))
                    return directory.FullName;
            throw new InvalidOperationException("the repository root (Compiler.sln) is not above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A fresh directory for one test, removed by the caller's <c>using</c>.</summary>
    public static TemporaryDirectory Temporary(string name) => new(name);
}

public sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; }

    public TemporaryDirectory(string name)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"berth-images-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Commands.Run("rm", "-rf", "--one-file-system", Path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary directory is not a test failure.
        }
    }
}
