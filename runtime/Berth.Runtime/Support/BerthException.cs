namespace Berth.Runtime;

/// <summary>An error that reads as a sentence and carries the process exit code (1 error, 2 usage).</summary>
public class BerthException(string message, int exitCode = 1, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    public static BerthException Errno(string what, int errno) => new($"{what}: {Linux.Describe(errno)}");
}
