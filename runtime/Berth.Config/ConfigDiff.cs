using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Berth.Spec;

namespace Berth.Config;

public enum DiffKind { Changed, Added, Removed }

/// <summary>One value the host files changed: the path, the author's value and where it was written, the value that ran and where.</summary>
public sealed record DiffEntry(DiffKind Kind, string Path, string? Before, SourceLocation BeforeAt, string? After, SourceLocation AfterAt)
{
    public override string ToString()
    {
        static string At(SourceLocation l) => l.IsKnown ? " (" + l + ")" : "";
        return Kind switch
        {
            DiffKind.Changed => $"~ {Path}: {Before}{At(BeforeAt)} -> {After}{At(AfterAt)}",
            DiffKind.Added => $"+ {Path}: {After}{At(AfterAt)}",
            _ => $"- {Path}: {Before}{At(BeforeAt)}" + (AfterAt.IsKnown ? $" removed by {AfterAt}" : ""),
        };
    }
}

/// <summary>
/// The author's document against the merged one, value by value. Lists are aligned as they were merged: keyed
/// lists by key (<c>mounts["/data"]</c>), env by name, sets by value, appended lists by position; a list replaced
/// whole is one change.
/// </summary>
public static class ConfigDiff
{
    public static List<DiffEntry> Compute(MappingNode author, MappingNode final, IReadOnlyDictionary<int, SourceLocation> deletions, SchemaInfo schema)
    {
        var result = new List<DiffEntry>();
        Walk(author, final, new List<string>(), "", deletions, schema, result);
        return result;
    }

    private static void Walk(Node? a, Node? b, List<string> path, string display, IReadOnlyDictionary<int, SourceLocation> deletions, SchemaInfo schema, List<DiffEntry> result)
    {
        if (a is null && b is null)
            return;
        if (a is null)
        {
            result.Add(new DiffEntry(DiffKind.Added, display, null, SourceLocation.None, Compact(b!), b!.Location));
            return;
        }
        if (b is null)
        {
            result.Add(new DiffEntry(DiffKind.Removed, display, Compact(a), a.Location, null, deletions.TryGetValue(a.Id, out var by) ? by : SourceLocation.None));
            return;
        }
        switch (a, b)
        {
            case (MappingNode ma, MappingNode mb):
                foreach (var m in ma.Members)
                {
                    path.Add(m.Key);
                    Walk(m.Value, mb.Get(m.Key), path, Append(display, m.Key), deletions, schema, result);
                    path.RemoveAt(path.Count - 1);
                }
                foreach (var m in mb.Members)
                    if (ma.IndexOf(m.Key) < 0)
                    {
                        path.Add(m.Key);
                        Walk(null, m.Value, path, Append(display, m.Key), deletions, schema, result);
                        path.RemoveAt(path.Count - 1);
                    }
                return;
            case (SequenceNode sa, SequenceNode sb):
                WalkList(sa, sb, path, display, deletions, schema, result);
                return;
            case (ScalarNode xa, ScalarNode xb):
                if (!xa.ValueEquals(xb))
                    result.Add(new DiffEntry(DiffKind.Changed, display, Compact(a), a.Location, Compact(b), b.Location));
                return;
            default:
                result.Add(new DiffEntry(DiffKind.Changed, display, Compact(a), a.Location, Compact(b), b.Location));
                return;
        }
    }

    private static void WalkList(SequenceNode a, SequenceNode b, List<string> path, string display, IReadOnlyDictionary<int, SourceLocation> deletions, SchemaInfo schema, List<DiffEntry> result)
    {
        var rule = schema.RuleAt(path);
        switch (rule?.Kind ?? MergeKind.Replace)
        {
            case MergeKind.ByKey or MergeKind.ByName:
            {
                var matched = new HashSet<Node>(ReferenceEqualityComparer.Instance);
                for (int j = 0; j < b.Items.Count; j++)
                {
                    string? key = Merger.KeyOf(b.Items[j], rule!);
                    var counterpart = key is null ? null : a.Items.LastOrDefault(x => Merger.KeyOf(x, rule!) == key);
                    if (counterpart is not null)
                        matched.Add(counterpart);
                    path.Add(j.ToString(CultureInfo.InvariantCulture));
                    Walk(counterpart, b.Items[j], path, display + "[" + (key ?? j.ToString(CultureInfo.InvariantCulture)) + "]", deletions, schema, result);
                    path.RemoveAt(path.Count - 1);
                }
                foreach (var item in a.Items)
                    if (!matched.Contains(item))
                    {
                        string key = Merger.KeyOf(item, rule!) ?? "?";
                        Walk(item, null, path, display + "[" + key + "]", deletions, schema, result);
                    }
                return;
            }
            case MergeKind.Set:
                foreach (var item in a.Items)
                    if (!b.Items.Any(x => Same(x, item)))
                        Walk(item, null, path, display, deletions, schema, result);
                foreach (var item in b.Items)
                    if (!a.Items.Any(x => Same(x, item)))
                        Walk(null, item, path, display, deletions, schema, result);
                return;
            case MergeKind.Append:
                for (int i = 0; i < Math.Max(a.Items.Count, b.Items.Count); i++)
                {
                    path.Add(i.ToString(CultureInfo.InvariantCulture));
                    Walk(i < a.Items.Count ? a.Items[i] : null, i < b.Items.Count ? b.Items[i] : null, path,
                        display + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", deletions, schema, result);
                    path.RemoveAt(path.Count - 1);
                }
                return;
            default:
                if (Compact(a) != Compact(b))
                    result.Add(new DiffEntry(DiffKind.Changed, display, Compact(a), a.Location, Compact(b), b.Location));
                return;
        }
    }

    private static bool Same(Node x, Node y) => x is ScalarNode sx && y is ScalarNode sy ? sx.ValueEquals(sy) : Compact(x) == Compact(y);

    private static string Append(string display, string key)
    {
        var sb = new StringBuilder(display);
        Paths.AppendSegment(sb, key);
        return sb.ToString();
    }

    /// <summary>A value as one line of JSON.</summary>
    public static string Compact(Node node)
    {
        var sb = new StringBuilder();
        Compact(node, sb);
        return sb.ToString();
    }

    private static void Compact(Node node, StringBuilder sb)
    {
        switch (node)
        {
            case ScalarNode s:
                sb.Append(s.ToJsonText());
                break;
            case SequenceNode q:
                sb.Append('[');
                for (int i = 0; i < q.Items.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Compact(q.Items[i], sb);
                }
                sb.Append(']');
                break;
            case MappingNode m:
                sb.Append('{');
                for (int i = 0; i < m.Members.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append(Berth.Spec.SchemaJson.Quote(m.Members[i].Key)).Append(':');
                    Compact(m.Members[i].Value, sb);
                }
                sb.Append('}');
                break;
        }
    }

    /// <summary>The entries as JSON (stored in the state directory; `berth diff --format json`).</summary>
    public static byte[] ToJson(IReadOnlyList<DiffEntry> entries, IReadOnlyList<ConfigFile> files)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("sources");
            for (int i = 0; i < files.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("path", files[i].Name);
                w.WriteString("role", i == 0 ? "author" : "host");
                w.WriteString("digest", files[i].Digest);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("changes");
            foreach (var e in entries)
            {
                w.WriteStartObject();
                w.WriteString("kind", e.Kind switch { DiffKind.Changed => "changed", DiffKind.Added => "added", _ => "removed" });
                w.WriteString("path", e.Path);
                if (e.Before is not null)
                {
                    w.WritePropertyName("before");
                    w.WriteRawValue(e.Before);
                }
                if (e.BeforeAt.IsKnown)
                    w.WriteString("beforeAt", e.BeforeAt.ToString());
                if (e.After is not null)
                {
                    w.WritePropertyName("after");
                    w.WriteRawValue(e.After);
                }
                if (e.AfterAt.IsKnown)
                    w.WriteString(e.Kind == DiffKind.Removed ? "removedAt" : "afterAt", e.AfterAt.ToString());
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static List<DiffEntry> FromJson(ReadOnlySpan<byte> json)
    {
        var result = new List<DiffEntry>();
        using var doc = JsonDocument.Parse(json.ToArray());
        foreach (var c in doc.RootElement.GetProperty("changes").EnumerateArray())
        {
            var kind = c.GetProperty("kind").GetString() switch { "changed" => DiffKind.Changed, "added" => DiffKind.Added, _ => DiffKind.Removed };
            string? before = c.TryGetProperty("before", out var b) ? b.GetRawText() : null;
            string? after = c.TryGetProperty("after", out var a) ? a.GetRawText() : null;
            var beforeAt = c.TryGetProperty("beforeAt", out var ba) ? ParseLocation(ba.GetString()!) : SourceLocation.None;
            var afterAt = c.TryGetProperty("afterAt", out var aa) ? ParseLocation(aa.GetString()!)
                : c.TryGetProperty("removedAt", out var ra) ? ParseLocation(ra.GetString()!) : SourceLocation.None;
            result.Add(new DiffEntry(kind, c.GetProperty("path").GetString()!, before, beforeAt, after, afterAt));
        }
        return result;
    }

    public static SourceLocation ParseLocation(string text)
    {
        int c2 = text.LastIndexOf(':');
        int c1 = c2 > 0 ? text.LastIndexOf(':', c2 - 1) : -1;
        if (c1 > 0 && int.TryParse(text[(c1 + 1)..c2], out int line) && int.TryParse(text[(c2 + 1)..], out int col))
            return new SourceLocation(text[..c1], line, col);
        return new SourceLocation(text, 0, 0);
    }
}
