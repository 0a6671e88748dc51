namespace Berth.Runtime;

/// <summary>A wait(2) status, decoded in one place: how a process ended, in words and as a shell's exit code.</summary>
public readonly record struct WaitStatus(int Raw)
{
    public bool Exited => (Raw & 0x7f) == 0;
    public int ExitStatus => (Raw >> 8) & 0xff;
    public int Signal => Raw & 0x7f;

    /// <summary>"exit status 1" or "killed by signal 9 (killed)".</summary>
    public override string ToString() => Exited ? $"exit status {ExitStatus}" : Linux.KilledBy(Signal);

    /// <summary>The exit status as a shell reports it: the code, or 128 + the signal that killed the process.</summary>
    public int ShellExitCode => Exited ? ExitStatus : 128 + Signal;
}
