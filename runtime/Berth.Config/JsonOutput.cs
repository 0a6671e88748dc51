using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Berth.Config;

/// <summary>A compiled document: the JSON bytes and, for every value, where it was written.</summary>
public sealed class CompiledDocument
{
    public required byte[] Json { get; init; }

    /// <summary>JSON pointer → location of the value (for a member: of its value; see <see cref="KeyLocations"/>).</summary>
    public required Dictionary<string, SourceLocation> Provenance { get; init; }

    /// <summary>JSON pointer of a member → location of its key.</summary>
    public required Dictionary<string, SourceLocation> KeyLocations { get; init; }

    public required MappingNode Root { get; init; }

    /// <summary>The location of the value at the pointer, or of its closest ancestor that has one.</summary>
    public SourceLocation Locate(string pointer, bool preferKey = false)
    {
        while (true)
        {
            if (preferKey && KeyLocations.TryGetValue(pointer, out var k))
                return k;
            if (Provenance.TryGetValue(pointer, out var v))
                return v;
            if (pointer.Length == 0)
                return SourceLocation.None;
            pointer = pointer[..pointer.LastIndexOf('/')];
        }
    }
}

/// <summary>Node tree → UTF-8 JSON (Utf8JsonWriter) plus the pointer → location maps.</summary>
public static class JsonOutput
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static CompiledDocument Write(MappingNode root, bool trackProvenance = true)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        var provenance = new Dictionary<string, SourceLocation>();
        var keys = new Dictionary<string, SourceLocation>();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            var path = new System.Text.StringBuilder();
            WriteNode(writer, root, path, trackProvenance ? provenance : null, keys);
        }
        return new CompiledDocument { Json = buffer.WrittenSpan.ToArray(), Provenance = provenance, KeyLocations = keys, Root = root };
    }

    private static void WriteNode(Utf8JsonWriter w, Node node, System.Text.StringBuilder path, Dictionary<string, SourceLocation>? provenance, Dictionary<string, SourceLocation> keys)
    {
        provenance?.Add(path.ToString(), node.Location);
        switch (node)
        {
            case MappingNode m:
                w.WriteStartObject();
                foreach (var member in m.Members)
                {
                    int length = path.Length;
                    path.Append('/').Append(member.Key.Replace("~", "~0").Replace("/", "~1"));
                    if (provenance is not null)
                        keys[path.ToString()] = member.KeyLocation;
                    w.WritePropertyName(member.Key);
                    WriteNode(w, member.Value, path, provenance, keys);
                    path.Length = length;
                }
                w.WriteEndObject();
                break;
            case SequenceNode s:
                w.WriteStartArray();
                for (int i = 0; i < s.Items.Count; i++)
                {
                    int length = path.Length;
                    path.Append('/').Append(i);
                    WriteNode(w, s.Items[i], path, provenance, keys);
                    path.Length = length;
                }
                w.WriteEndArray();
                break;
            case ScalarNode sc:
                switch (sc.Kind)
                {
                    case ScalarKind.String: w.WriteStringValue(sc.Text); break;
                    case ScalarKind.Null: w.WriteNullValue(); break;
                    case ScalarKind.Boolean: w.WriteBooleanValue(sc.Text == "true"); break;
                    default: w.WriteRawValue(sc.Text, skipInputValidation: true); break;
                }
                break;
        }
    }
}
