using System.Text.Encodings.Web;
using System.Text.Json;

namespace Berth.Runtime;

/// <summary>
/// Writer options for the JSON berth writes (state, logs, command output). Utf8JsonWriter's default encoder builds
/// its tables in a static constructor that costs ~0.15 ms at every start (measured with perf); this encoder escapes
/// only what JSON itself requires — quote, backslash and control characters — and leaves other text as UTF-8, as
/// runc and crun write it.
/// </summary>
public static class JsonText
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = MinimalJsonEncoder.Instance };
    private static readonly JsonWriterOptions Pretty = new() { Encoder = MinimalJsonEncoder.Instance, Indented = true };

    public static JsonWriterOptions Options(bool indented = false) => indented ? Pretty : Compact;
}

internal sealed class MinimalJsonEncoder : JavaScriptEncoder
{
    public static readonly MinimalJsonEncoder Instance = new();

    public override int MaxOutputCharactersPerInputCharacter => 6; // \u00XX

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        // Surrogates go through the encoder too: a pair is written as its character, a lone one as U+FFFD.
        for (int i = 0; i < textLength; i++)
            if (NeedsEscape(text[i]) || char.IsSurrogate(text[i]))
                return i;
        return -1;
    }

    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        for (int i = 0; i < utf8Text.Length; i++)
            if (NeedsEscape((char)utf8Text[i]))
                return i;
        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        if (!WillEncode(unicodeScalar))
        {
            // Not escaped: the scalar itself (one or two UTF-16 units).
            var rune = new System.Text.Rune(unicodeScalar);
            return rune.TryEncodeToUtf16(new Span<char>(buffer, bufferLength), out numberOfCharactersWritten);
        }
        string escaped = unicodeScalar switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\b' => "\\b",
            '\f' => "\\f",
            _ => "\\u" + unicodeScalar.ToString("x4", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (escaped.Length > bufferLength)
        {
            numberOfCharactersWritten = 0;
            return false;
        }
        escaped.AsSpan().CopyTo(new Span<char>(buffer, bufferLength));
        numberOfCharactersWritten = escaped.Length;
        return true;
    }

    public override bool WillEncode(int unicodeScalar) => unicodeScalar < 0x20 || unicodeScalar == '"' || unicodeScalar == '\\';

    private static bool NeedsEscape(char c) => c < 0x20 || c == '"' || c == '\\';
}
