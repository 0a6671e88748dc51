using System.Text;

namespace Berth.Config;

/// <summary>`berth compile --explain`: every value of the merged document with the file, line and column that set it.</summary>
public static class Explain
{
    public static string Render(MappingNode root)
    {
        var rows = new List<(string Path, string Value, SourceLocation At)>();
        Walk(root, "", rows);
        int width = Math.Min(60, rows.Count == 0 ? 0 : rows.Max(r => r.Path.Length + r.Value.Length + 3));
        var sb = new StringBuilder();
        foreach (var (path, value, at) in rows)
        {
            string left = path + " = " + value;
            sb.Append(left);
            sb.Append(' ', Math.Max(1, width - left.Length + 2));
            sb.Append(at.IsKnown ? at.ToString() : "(default)").Append('\n');
        }
        return sb.ToString();
    }

    private static void Walk(Node node, string path, List<(string, string, SourceLocation)> rows)
    {
        switch (node)
        {
            case MappingNode { Members.Count: > 0 } m:
                foreach (var member in m.Members)
                {
                    var sb = new StringBuilder(path);
                    Paths.AppendSegment(sb, member.Key);
                    Walk(member.Value, sb.ToString(), rows);
                }
                break;
            case SequenceNode { Items.Count: > 0 } s:
                for (int i = 0; i < s.Items.Count; i++)
                    Walk(s.Items[i], path + "[" + i + "]", rows);
                break;
            default:
                rows.Add((path.Length == 0 ? "(root)" : path, ConfigDiff.Compact(node), node.Location));
                break;
        }
    }
}
