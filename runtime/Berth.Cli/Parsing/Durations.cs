using Berth.Runtime;

namespace Berth.Cli.Parsing;

/// <summary>Go-style durations as runc's flags take them: "5s", "100ms", "1m30s", "2h"; a bare number is seconds.</summary>
internal static class Durations
{
    public static TimeSpan Parse(string text, string flag)
    {
        if (double.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double bare))
            return TimeSpan.FromSeconds(bare);
        var total = TimeSpan.Zero;
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
                i++;
            int unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
                i++;
            if (start == unitStart || !double.TryParse(text[start..unitStart], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double n))
                throw new BerthException($"{flag}: \"{text}\" is not a duration (like 5s, 100ms, 1m)", 2);
            total += text[unitStart..i] switch
            {
                "ns" => TimeSpan.FromTicks((long)(n / 100)),
                "us" or "µs" => TimeSpan.FromTicks((long)(n * 10)),
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => throw new BerthException($"{flag}: \"{text}\" is not a duration (like 5s, 100ms, 1m)", 2),
            };
        }
        return total;
    }
}
