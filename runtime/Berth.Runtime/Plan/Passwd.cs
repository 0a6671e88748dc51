using System.Globalization;

namespace Berth.Runtime.Plan;

/// <summary>
/// The home directory of a uid in a passwd(5) file (name:password:uid:gid:gecos:home:shell), found the way runc finds
/// it for HOME: lines trimmed, empty ones skipped, the first whose uid field is the uid wins; a line that ends early
/// has an empty home.
/// </summary>
public static class Passwd
{
    public static string? Home(ReadOnlySpan<byte> file, uint uid)
    {
        foreach (string raw in System.Text.Encoding.UTF8.GetString(file).Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0)
                continue;
            string[] fields = line.Split(':');
            if (fields.Length > 2 && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint id) && id == uid)
                return fields.Length > 5 ? fields[5] : "";
        }
        return null;
    }
}
