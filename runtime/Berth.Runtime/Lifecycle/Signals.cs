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
