using System.Text.Json;

namespace Berth.Spec;

/// <summary>
/// No string of a config may hold a NUL character: every one ends up as a C string (a path, an argument, a cgroup
/// name), where the kernel would see it cut short at the NUL — "/x\u0000y" would mount at /x. JSON allows \u0000, so
/// the schema does not catch it; this rule does, at the string's JSON pointer.
/// </summary>
internal static class NulRules
{
    public static void Check(ReadOnlySpan<byte> utf8Json, RuleSink sink)
    {
        // Cheap first: a NUL can only be written as \u0000 in JSON text.
        if (utf8Json.IndexOf("\\u0000"u8) < 0)
            return;
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        var path = new List<string>();
        var index = new List<int>(); // -1 for an object level, else the next array index
        string? property = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    property = reader.GetString();
                    if (property is not null && property.Contains('\0'))
                        sink.Error(Pointer(path, property), "x-no-nul", "a member name holds a NUL character", Sections.Config);
                    break;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (index.Count > 0)
                        path.Add(Next(index, property));
                    index.Add(reader.TokenType == JsonTokenType.StartArray ? 0 : -1);
                    property = null;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    index.RemoveAt(index.Count - 1);
                    if (path.Count > 0 && index.Count > 0)
                        path.RemoveAt(path.Count - 1);
                    break;
                case JsonTokenType.String:
                    string segment = index.Count > 0 ? Next(index, property) : "";
                    if (reader.GetString() is { } value && value.Contains('\0'))
                        sink.Error(Pointer(path, segment), "x-no-nul", "the string holds a NUL character, which would cut it short where berth hands it to the kernel", Sections.Config);
                    break;
                default:
                    if (index.Count > 0 && reader.TokenType is not JsonTokenType.Comment)
                        Next(index, property);
                    break;
            }
        }
    }

    /// <summary>The pointer segment of the value being read: its member name, or its array index (then counted).</summary>
    private static string Next(List<int> index, string? property)
    {
        int last = index.Count - 1;
        if (index[last] < 0)
            return Escape(property ?? "");
        return (index[last]++).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Pointer(List<string> path, string last) =>
        "/" + string.Join('/', path.Append(last));

    private static string Escape(string name) => name.Replace("~", "~0").Replace("/", "~1");
}
