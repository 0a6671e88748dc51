using System.Text;

namespace Berth.Config;

/// <summary>Path texts: RFC 6901 pointers and the dotted form people read (<c>linux.namespaces[2].type</c>).</summary>
public static class Paths
{
    public static string Pointer(IReadOnlyList<string> path)
    {
        if (path.Count == 0)
            return "";
        var sb = new StringBuilder();
        foreach (string seg in path)
            sb.Append('/').Append(seg.Replace("~", "~0").Replace("/", "~1"));
        return sb.ToString();
    }

    public static List<string> Segments(string pointer)
    {
        var result = new List<string>();
        if (pointer.Length == 0)
            return result;
        foreach (string seg in pointer[1..].Split('/'))
            result.Add(seg.Replace("~1", "/").Replace("~0", "~"));
        return result;
    }

    public static string Dotted(IReadOnlyList<string> path)
    {
        var sb = new StringBuilder();
        foreach (string seg in path)
            AppendSegment(sb, seg);
        return sb.ToString();
    }

    public static string DottedFromPointer(string pointer) => Dotted(Segments(pointer));

    public static void AppendSegment(StringBuilder sb, string seg)
    {
        if (seg.Length > 0 && seg.All(char.IsAsciiDigit))
            sb.Append('[').Append(seg).Append(']');
        else if (seg.Length > 0 && seg.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(seg[0]))
        {
            if (sb.Length > 0)
                sb.Append('.');
            sb.Append(seg);
        }
        else
            sb.Append('[').Append(Berth.Spec.SchemaJson.Quote(seg)).Append(']');
    }

    public static string Singular(string plural) => plural switch
    {
        "hugepageLimits" => "hugepage limit",
        "priorities" => "interface priority",
        _ => plural.EndsWith('s') ? plural[..^1] : plural,
    };
}

/// <summary>Did-you-mean: the closest candidate by edit distance, if it is close enough.</summary>
public static class Suggest
{
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string c in candidates)
        {
            int d = Distance(name.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = c;
            }
        }
        if (best is not null && bestDistance <= Math.Max(2, name.Length / 3))
            return best;
        // An abbreviation or a longer spelling: noNewPrivs → noNewPrivileges, namespace → namespaces.
        // The candidate sharing the longest start with the name, when that start is most of the name.
        string lower = name.ToLowerInvariant();
        string? byPrefix = null;
        int longest = 0;
        foreach (string c in candidates)
        {
            string cl = c.ToLowerInvariant();
            int n = 0;
            while (n < cl.Length && n < lower.Length && cl[n] == lower[n])
                n++;
            if (n > longest)
            {
                longest = n;
                byPrefix = c;
            }
        }
        return longest >= 4 && longest * 10 >= lower.Length * 7 ? byPrefix : null;
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
