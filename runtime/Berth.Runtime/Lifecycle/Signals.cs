namespace Berth.Runtime.Lifecycle;

/// <summary>Signal names and numbers as `kill` accepts them: "TERM", "SIGTERM", "15"; 0 only checks that the process
/// exists, as kill(2) does.</summary>
public static class Signals
{
    private static readonly string[] Names =
    [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM",
        "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF",
        "WINCH", "IO", "PWR", "SYS",
    ];

    /// <summary>"signal 31 (SIGSYS: bad system call)": the number, the name and what the signal usually means.</summary>
    public static string Describe(int signal)
    {
        string name = signal > 0 && signal < Names.Length ? "SIG" + Names[signal] : signal >= 34 && signal <= 64 ? $"SIGRTMIN+{signal - 34}" : "";
        string? meaning = signal switch
        {
            1 => "hangup", 2 => "interrupt", 3 => "quit", 4 => "illegal instruction", 5 => "trace/breakpoint trap",
            6 => "aborted", 7 => "bus error", 8 => "floating point exception", 9 => "killed", 11 => "segmentation fault",
            13 => "broken pipe", 14 => "alarm clock", 15 => "terminated", 24 => "CPU time limit exceeded",
            25 => "file size limit exceeded", 31 => "bad system call",
            _ => null,
        };
        return name.Length == 0 ? $"signal {signal}" : meaning is null ? $"signal {signal} ({name})" : $"signal {signal} ({name}: {meaning})";
    }

    public static int Parse(string text)
    {
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
        {
            if (number is >= 0 and <= 64)
                return number;
            throw new BerthException($"invalid signal \"{text}\"", 1);
        }
        string name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
            name = name[3..];
        int index = Array.IndexOf(Names, name);
        if (index > 0)
            return index;
        if (name == "IOT")
            return 6;
        if (name == "POLL")
            return 29;
        if (name.StartsWith("RTMIN", StringComparison.Ordinal) || name.StartsWith("RTMAX", StringComparison.Ordinal))
        {
            int offset = name.Length > 5 && int.TryParse(name.AsSpan(5), out int o) ? o : 0;
            int value = name.StartsWith("RTMIN", StringComparison.Ordinal) ? 34 + offset : 64 + offset;
            if (value is >= 34 and <= 64)
                return value;
        }
        throw new BerthException($"invalid signal \"{text}\"", 1);
    }
}
