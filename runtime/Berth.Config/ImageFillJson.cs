using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Berth.Config;

/// <summary>
/// Where a config.json keeps what the image may fill in, found in one pass of <see cref="Utf8JsonReader"/>: root.image,
/// the process object and its env, args, cwd and user. The fill-in is then spliced into the document's bytes (the
/// author's text is kept as written around it): a tree of JsonNode costs ~0.3 ms a start, the pass a few µs.
/// </summary>
internal sealed class ImageFillJson
{
    public string? Image { get; private set; }

    /// <summary>The root object's closing brace, and how many members it has.</summary>
    public int RootEnd { get; private set; } = -1;
    public int RootMembers { get; private set; }

    /// <summary>The process object's closing brace (-1: no process object), and how many members it has.</summary>
    public int ProcessEnd { get; private set; } = -1;
    public int ProcessMembers { get; private set; }

    /// <summary>The env array's value range, and each element's text as written.</summary>
    public (int Start, int End)? Env { get; private set; }
    public List<(int Start, int End, string? Text)> EnvItems { get; } = [];

    /// <summary>The args array's value range and its number of items.</summary>
    public (int Start, int End)? Args { get; private set; }
    public int ArgsCount { get; private set; }

    private readonly HashSet<string> _processMembers = new(StringComparer.Ordinal);

    /// <summary>Whether the process object has the member, whatever its value (a fill-in never adds a second one).</summary>
    public bool HasMember(string name) => _processMembers.Contains(name);

    /// <summary>Scans <paramref name="json"/>; null when it is not a JSON object (the validator says why).</summary>
    public static ImageFillJson? Scan(byte[] json)
    {
        var scan = new ImageFillJson();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                scan.RootMembers++;
                string name = reader.GetString()!;
                reader.Read();
                if (name == "root" && reader.TokenType == JsonTokenType.StartObject)
                    scan.ScanRoot(ref reader);
                else if (name == "process" && reader.TokenType == JsonTokenType.StartObject)
                    scan.ScanProcess(ref reader);
                else
                    reader.Skip();
            }
            scan.RootEnd = (int)reader.TokenStartIndex;
            return reader.TokenType == JsonTokenType.EndObject ? scan : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void ScanRoot(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool image = reader.ValueTextEquals("image"u8);
            reader.Read();
            if (image && reader.TokenType == JsonTokenType.String)
                Image = reader.GetString();
            else
                reader.Skip();
        }
    }

    private void ScanProcess(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ProcessMembers++;
            string name = reader.GetString()!;
            _processMembers.Add(name);
            reader.Read();
            int start = (int)reader.TokenStartIndex;
            switch (name)
            {
                case "env" when reader.TokenType == JsonTokenType.StartArray:
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        int item = (int)reader.TokenStartIndex;
                        string? text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                        reader.Skip();
                        EnvItems.Add((item, (int)reader.BytesConsumed, text));
                    }
                    Env = (start, (int)reader.BytesConsumed);
                    break;
                case "args" when reader.TokenType == JsonTokenType.StartArray:
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        ArgsCount++;
                        reader.Skip();
                    }
                    Args = (start, (int)reader.BytesConsumed);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        ProcessEnd = (int)reader.TokenStartIndex;
    }

    /// <summary>A JSON string as <paramref name="options"/>' encoder writes it.</summary>
    public static byte[] Quote(string value, JsonWriterOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(value.Length + 8);
        using (var writer = new Utf8JsonWriter(buffer, options with { Indented = false }))
            writer.WriteStringValue(value);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The edits, applied back to front so that earlier offsets stay valid.</summary>
    public static byte[] Splice(byte[] json, List<(int Start, int End, byte[] Text)> edits)
    {
        var output = new List<byte>(json.Length + 256);
        int at = 0;
        foreach (var (start, end, text) in edits.OrderBy(e => e.Start))
        {
            output.AddRange(json.AsSpan(at, start - at));
            output.AddRange(text);
            at = end;
        }
        output.AddRange(json.AsSpan(at));
        return [.. output];
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
