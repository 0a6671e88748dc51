using System.Text;
using System.Text.Json;

namespace Berth.Config;

/// <summary>
/// JSON → YAML in block style, for `berth compile --to-yaml`: strings stay strings (quoted wherever a plain scalar
/// would be read as something else), numbers keep their JSON text, so compiling the YAML gives the JSON back.
/// </summary>
public static class YamlWriter
{
    public static string FromJson(ReadOnlySpan<byte> json)
    {
        using var doc = JsonDocument.Parse(json.ToArray());
        var sb = new StringBuilder();
        if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.EnumerateObject().Any())
            WriteMembers(doc.RootElement, sb, 0);
        else
            sb.Append(Inline(doc.RootElement)).Append('\n');
        return sb.ToString();
    }

    private static bool IsEmptyContainer(JsonElement e) =>
        (e.ValueKind == JsonValueKind.Object && !e.EnumerateObject().Any()) || (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 0);

    private static string Inline(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "{}",
        JsonValueKind.Array => "[]",
        JsonValueKind.String => Scalar(e.GetString()!),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    private static void WriteMembers(JsonElement obj, StringBuilder sb, int indent)
    {
        foreach (var p in obj.EnumerateObject())
        {
            sb.Append(' ', indent).Append(Scalar(p.Name)).Append(':');
            WriteValue(p.Value, sb, indent, inSequence: false);
        }
    }

    private static void WriteValue(JsonElement value, StringBuilder sb, int indent, bool inSequence)
    {
        if (value.ValueKind == JsonValueKind.Object && !IsEmptyContainer(value))
        {
            if (inSequence)
            {
                // "- key: value" with the following members aligned under the first.
                bool first = true;
                foreach (var p in value.EnumerateObject())
                {
                    if (!first)
                        sb.Append(' ', indent + 2);
                    else
                        sb.Append(' ');
                    first = false;
                    sb.Append(Scalar(p.Name)).Append(':');
                    WriteValue(p.Value, sb, indent + 2, inSequence: false);
                }
            }
            else
            {
                sb.Append('\n');
                WriteMembers(value, sb, indent + 2);
            }
        }
        else if (value.ValueKind == JsonValueKind.Array && !IsEmptyContainer(value))
        {
            if (inSequence)
                sb.Append('\n');
            else
                sb.Append('\n');
            foreach (var item in value.EnumerateArray())
            {
                sb.Append(' ', indent + (inSequence ? 2 : 0)).Append('-');
                WriteValue(item, sb, indent + (inSequence ? 2 : 0), inSequence: true);
            }
        }
        else
            sb.Append(' ').Append(Inline(value)).Append('\n');
    }

    /// <summary>A string as a YAML scalar: plain when that reads back as the same string, else double-quoted.</summary>
    public static string Scalar(string s)
    {
        if (IsPlainSafe(s))
            return s;
        return Berth.Spec.SchemaJson.Quote(s);
    }

    private static bool IsPlainSafe(string s)
    {
        if (s.Length == 0 || s.Length > 200)
            return false;
        char first = s[0];
        if (!(char.IsAsciiLetterOrDigit(first) || first is '_' or '/' or '.'))
            return false;
        foreach (char c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '/' or '.' or '=' or '+' or '@' or ',' or ':' or '-'))
                return false;
        if (s.EndsWith(':'))
            return false;
        var ignored = new List<ConfigDiagnostic>();
        return YamlLoader.Resolve(s, SourceLocation.None, NodeTag.None, ignored).Kind == ScalarKind.String && ignored.Count == 0;
    }
}
