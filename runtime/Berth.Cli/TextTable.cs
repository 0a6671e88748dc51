using System.Text;

namespace Berth.Cli;

/// <summary>
/// Columns laid out as runc's `list` lays them out (Go's text/tabwriter with minimum width 12, padding 3, spaces):
/// every column but the last is as wide as its widest cell plus 3, and at least 12; the last is written as it is.
/// </summary>
public static class TextTable
{
    private const int MinWidth = 12, Padding = 3;

    public static string Render(IReadOnlyList<string[]> rows)
    {
        int columns = rows.Count == 0 ? 0 : rows.Max(r => r.Length);
        var widths = new int[columns];
        foreach (string[] row in rows)
            for (int c = 0; c < row.Length - 1; c++)
                widths[c] = Math.Max(widths[c], Math.Max(MinWidth, Width(row[c]) + Padding));
        var sb = new StringBuilder();
        foreach (string[] row in rows)
        {
            for (int c = 0; c < row.Length; c++)
            {
                sb.Append(row[c]);
                if (c < row.Length - 1)
                    sb.Append(' ', widths[c] - Width(row[c]));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>tabwriter counts runes, not UTF-16 units.</summary>
    private static int Width(string cell) => cell.EnumerateRunes().Count();
}
