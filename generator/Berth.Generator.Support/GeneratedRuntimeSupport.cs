/// <summary>Whether a schema diagnostic makes the document invalid.</summary>
public enum SchemaSeverity
{
    /// <summary>The document violates the schema.</summary>
    Error,
    /// <summary>Suspicious but valid (e.g. a member the schema does not know).</summary>
    Warning,
}

/// <summary>One finding of the generated reader/validator.</summary>
public sealed class SchemaDiagnostic
{
    /// <summary>Creates a diagnostic.</summary>
    public SchemaDiagnostic(SchemaSeverity severity, string instancePointer, string keyword, string message, string schemaLocation)
    {
        Severity = severity;
        InstancePointer = instancePointer;
        Keyword = keyword;
        Message = message;
        SchemaLocation = schemaLocation;
    }

    /// <summary>Error or warning.</summary>
    public SchemaSeverity Severity { get; }

    /// <summary>RFC 6901 JSON pointer of the offending value ("" for the root).</summary>
    public string InstancePointer { get; }

    /// <summary>The schema keyword that failed (<c>type</c>, <c>required</c>, …, <c>unknown-member</c>, <c>json</c>).</summary>
    public string Keyword { get; }

    /// <summary>A sentence saying what is wrong.</summary>
    public string Message { get; }

    /// <summary>Where the keyword is, e.g. <c>config.schema.json#/$defs/Mount/required</c>.</summary>
    public string SchemaLocation { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        (Severity == SchemaSeverity.Error ? "error" : "warning") + " at '" + InstancePointer + "': " + Message + " [" + Keyword + ", " + SchemaLocation + "]";
}

/// <summary>State of one read: where the reader is (a stack of path segments) and what was found.</summary>
public sealed class SchemaReadContext
{
    private string?[] _names = new string?[16];
    private int[] _indices = new int[16];
    private int _depth;
    private int _trial;

    /// <summary>Creates a context that appends to <paramref name="diagnostics"/>.</summary>
    public SchemaReadContext(global::System.Collections.Generic.List<SchemaDiagnostic> diagnostics) => Diagnostics = diagnostics;

    /// <summary>Where findings go.</summary>
    public global::System.Collections.Generic.List<SchemaDiagnostic> Diagnostics { get; }

    /// <summary>Errors counted so far (including those of alternatives being tried).</summary>
    public int ErrorCount { get; private set; }

    /// <summary>Enters a member.</summary>
    public void Push(string name)
    {
        if (_depth == _names.Length) Grow();
        _names[_depth] = name;
        _depth++;
    }

    /// <summary>Enters an array element.</summary>
    public void Push(int index)
    {
        if (_depth == _names.Length) Grow();
        _names[_depth] = null;
        _indices[_depth] = index;
        _depth++;
    }

    /// <summary>Leaves the current member or element.</summary>
    public void Pop() => _depth--;

    private void Grow()
    {
        global::System.Array.Resize(ref _names, _names.Length * 2);
        global::System.Array.Resize(ref _indices, _indices.Length * 2);
    }

    /// <summary>The JSON pointer of the current value.</summary>
    public string CurrentPointer
    {
        get
        {
            if (_depth == 0) return "";
            var sb = new global::System.Text.StringBuilder();
            for (int i = 0; i < _depth; i++)
            {
                sb.Append('/');
                string? name = _names[i];
                if (name is null) sb.Append(_indices[i].ToString(global::System.Globalization.CultureInfo.InvariantCulture));
                else sb.Append(name.Replace("~", "~0").Replace("/", "~1"));
            }
            return sb.ToString();
        }
    }

    /// <summary>Counts an error; true when it must be reported (not inside an alternative being tried).</summary>
    public bool Fail()
    {
        ErrorCount++;
        return _trial == 0;
    }

    /// <summary>True when findings are being reported (not inside an alternative being tried).</summary>
    public bool IsReporting => _trial == 0;

    /// <summary>Adds an error at the current pointer (call after <see cref="Fail"/> returned true).</summary>
    public void AddError(string keyword, string message, string schemaLocation) =>
        Diagnostics.Add(new SchemaDiagnostic(SchemaSeverity.Error, CurrentPointer, keyword, message, schemaLocation));

    /// <summary>Starts trying an alternative: findings are counted, not reported. Returns the error count to compare with.</summary>
    public int BeginTrial()
    {
        _trial++;
        return ErrorCount;
    }

    /// <summary>True if no error happened since <paramref name="mark"/>; forgets those errors.</summary>
    public bool Passed(int mark)
    {
        bool ok = ErrorCount == mark;
        ErrorCount = mark;
        return ok;
    }

    /// <summary>Ends trying alternatives.</summary>
    public void EndTrial() => _trial--;

    /// <summary>Reports a member that is not in <c>properties</c>, with the closest known name as a suggestion.</summary>
    public void UnknownMember(string name, string[] known, string schemaLocation)
    {
        if (_trial != 0) return;
        string message = "unknown member \"" + name + "\"";
        string? suggestion = SchemaJson.Closest(name, known);
        if (suggestion is not null) message += "; did you mean \"" + suggestion + "\"?";
        Diagnostics.Add(new SchemaDiagnostic(SchemaSeverity.Warning, CurrentPointer, "unknown-member", message, schemaLocation));
    }

    /// <summary>Reports a value of the wrong JSON type.</summary>
    public void TypeError(ref global::System.Text.Json.Utf8JsonReader reader, string expected, string schemaLocation)
    {
        if (Fail()) AddError("type", "expected " + expected + " but found " + SchemaJson.Describe(ref reader), schemaLocation);
    }
}

/// <summary>How the configuration front-end merges an array found at <see cref="PointerPattern"/>.</summary>
public enum MergeKind
{
    /// <summary>A later file replaces the whole array.</summary>
    Replace,
    /// <summary>A later file's items are appended.</summary>
    Append,
    /// <summary>Scalars merged as a set.</summary>
    Set,
    /// <summary>Objects merged by the member named <see cref="MergeRule.Key"/>.</summary>
    ByKey,
    /// <summary><c>NAME=value</c> strings merged by the text before the first '=' (Key is <c>@name</c>).</summary>
    ByName,
}

/// <summary>One row of a root's merge table (from <c>x-merge-key</c>/<c>x-merge</c>).</summary>
public sealed class MergeRule
{
    /// <summary>Creates a rule.</summary>
    public MergeRule(string pointerPattern, MergeKind kind, string? key)
    {
        PointerPattern = pointerPattern;
        Kind = kind;
        Key = key;
    }

    /// <summary>JSON pointer of the array; <c>*</c> stands for any map key or array index.</summary>
    public string PointerPattern { get; }

    /// <summary>How the array merges.</summary>
    public MergeKind Kind { get; }

    /// <summary>The merge key member (<see cref="MergeKind.ByKey"/>) or <c>@name</c> (<see cref="MergeKind.ByName"/>); otherwise null.</summary>
    public string? Key { get; }

    /// <inheritdoc/>
    public override string ToString() => PointerPattern + " " + Kind + (Key is null ? "" : " " + Key);
}

/// <summary>One step of a simple compiled pattern: a set of character ranges repeated Min..Max times.</summary>
public readonly struct PatternAtom
{
    /// <summary>Creates a step; <paramref name="ranges"/> holds pairs of inclusive bounds.</summary>
    public PatternAtom(string ranges, int min, int max)
    {
        Ranges = ranges;
        Min = min;
        Max = max;
    }

    /// <summary>Pairs of inclusive bounds.</summary>
    public string Ranges { get; }

    /// <summary>Fewest repetitions.</summary>
    public int Min { get; }

    /// <summary>Most repetitions.</summary>
    public int Max { get; }

    /// <summary>True if <paramref name="c"/> is in one of the ranges.</summary>
    public bool Contains(char c)
    {
        string r = Ranges;
        for (int i = 0; i + 1 < r.Length; i += 2)
        {
            if (c >= r[i] && c <= r[i + 1]) return true;
        }
        return false;
    }
}

/// <summary>
/// Collects the items of one JSON array while it is read; the model gets an array of exactly the items read, so that
/// reading allocates what the model keeps and little more (no List wrapper, no growth garbage). The working buffer
/// is kept per thread and type between reads; a nested array of the same type takes a fresh one.
/// </summary>
public struct SchemaListBuilder<T>
{
    [global::System.ThreadStatic]
    private static T[]? t_spare;

    private T[] _buffer;
    private int _count;

    /// <summary>Starts collecting, with the thread's spare buffer when it is free.</summary>
    public static SchemaListBuilder<T> Create()
    {
        var builder = new SchemaListBuilder<T> { _buffer = t_spare ?? new T[16] };
        t_spare = null;
        return builder;
    }

    /// <summary>Appends one item.</summary>
    public void Add(T item)
    {
        if (_count == _buffer.Length) global::System.Array.Resize(ref _buffer, _buffer.Length * 2);
        _buffer[_count++] = item;
    }

    /// <summary>The items read, as an array of their exact count; gives the buffer back to the thread.</summary>
    public T[] ToArray()
    {
        T[] result = _count == 0 ? global::System.Array.Empty<T>() : new global::System.ReadOnlySpan<T>(_buffer, 0, _count).ToArray();
        if (global::System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>()) global::System.Array.Clear(_buffer, 0, _count);
        if (_buffer.Length <= 4096) t_spare = _buffer;
        _buffer = null!;
        _count = 0;
        return result;
    }
}

/// <summary>Helpers used by the generated readers (numbers compared exactly on their JSON text).</summary>
public static class SchemaJson
{
    /// <summary>Matches an anchored simple pattern (as .NET's Regex would: <c>$</c> also matches before a final newline).</summary>
    public static bool MatchSimple(string s, PatternAtom[] atoms, bool anchoredEnd) => MatchFrom(s, 0, atoms, 0, anchoredEnd);

    /// <summary>Matches a pattern compiled to one table per alternative of its groups: a string matches the pattern
    /// exactly when it matches one of them.</summary>
    public static bool MatchAnySimple(string s, PatternAtom[][] alternatives, bool anchoredEnd)
    {
        foreach (PatternAtom[] atoms in alternatives)
            if (MatchFrom(s, 0, atoms, 0, anchoredEnd))
                return true;
        return false;
    }

    private static bool MatchFrom(string s, int position, PatternAtom[] atoms, int k, bool anchoredEnd)
    {
        if (k == atoms.Length) return !anchoredEnd || position == s.Length || (position == s.Length - 1 && s[position] == '\n');
        PatternAtom atom = atoms[k];
        int n = 0;
        while (n < atom.Max && position + n < s.Length && atom.Contains(s[position + n])) n++;
        if (k == atoms.Length - 1)
        {
            // Last step: no backtracking needed beyond checking the end.
            if (n < atom.Min) return false;
            if (!anchoredEnd) return true;
            int end = position + n;
            return end == s.Length || (end == s.Length - 1 && s[end] == '\n');
        }
        for (; n >= atom.Min; n--)
        {
            if (MatchFrom(s, position + n, atoms, k + 1, anchoredEnd)) return true;
        }
        return false;
    }

    /// <summary>The raw bytes of the current token.</summary>
    public static global::System.ReadOnlySpan<byte> Raw(ref global::System.Text.Json.Utf8JsonReader reader) =>
        reader.HasValueSequence ? global::System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan;

    /// <summary>The unescaped UTF-8 of the current property name or string.</summary>
    public static global::System.ReadOnlySpan<byte> Name(ref global::System.Text.Json.Utf8JsonReader reader) =>
        reader.HasValueSequence || reader.ValueIsEscaped ? global::System.Text.Encoding.UTF8.GetBytes(reader.GetString() ?? "") : reader.ValueSpan;

    /// <summary>Describes the current value for a message: <c>the string "x"</c>, <c>the number 1.5</c>, <c>an object</c>.</summary>
    public static string Describe(ref global::System.Text.Json.Utf8JsonReader reader) => reader.TokenType switch
    {
        global::System.Text.Json.JsonTokenType.String => "the string " + Quote(reader.GetString() ?? ""),
        global::System.Text.Json.JsonTokenType.Number => "the number " + global::System.Text.Encoding.UTF8.GetString(Raw(ref reader)),
        global::System.Text.Json.JsonTokenType.True => "true",
        global::System.Text.Json.JsonTokenType.False => "false",
        global::System.Text.Json.JsonTokenType.Null => "null",
        global::System.Text.Json.JsonTokenType.StartObject => "an object",
        global::System.Text.Json.JsonTokenType.StartArray => "an array",
        _ => "a value",
    };

    /// <summary>The current value as it reads in a message: <c>"x"</c>, <c>1.5</c>, <c>an object</c>.</summary>
    public static string Text(ref global::System.Text.Json.Utf8JsonReader reader) => reader.TokenType switch
    {
        global::System.Text.Json.JsonTokenType.String => Quote(reader.GetString() ?? ""),
        global::System.Text.Json.JsonTokenType.Number => global::System.Text.Encoding.UTF8.GetString(Raw(ref reader)),
        _ => Describe(ref reader),
    };

    /// <summary>A string in double quotes, JSON-escaped (\n \r \t by name, other control characters as \uXXXX): for
    /// messages and for JSON text written by hand. The one such function of the runtime libraries.</summary>
    public static string Quote(string s)
    {
        var sb = new global::System.Text.StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (char c in s)
        {
            if (c == '"') sb.Append("\\\"");
            else if (c == '\\') sb.Append("\\\\");
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", global::System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        sb.Append('"');
        return sb.ToString();
    }

    /// <summary>Length of a string as JSON Schema counts it here (text elements).</summary>
    public static int Length(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c >= 0x7F || c == '\r') return new global::System.Globalization.StringInfo(s).LengthInTextElements;
        }
        return s.Length;
    }

    /// <summary>The closest name by edit distance, or null when none is close.</summary>
    public static string? Closest(string name, string[] known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in known)
        {
            int d = Distance(name, candidate);
            if (d < bestDistance) { bestDistance = d; best = candidate; }
        }
        int limit = global::System.Math.Max(2, name.Length / 3);
        return bestDistance <= limit ? best : null;
    }

    private static int Distance(string a, string b)
    {
        int[] previous = new int[b.Length + 1];
        int[] current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = global::System.Math.Min(global::System.Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private ref struct Dec
    {
        public bool Negative;
        public bool Zero;
        public global::System.ReadOnlySpan<byte> Mantissa; // digits with an optional '.', no sign
        public int First; // index in Mantissa of the first non-zero digit
        public int Last;  // index of the last non-zero digit
        public long Order; // value = 0.d1d2… × 10^Order
        public int SignificantCount;
    }

    private static bool Parse(global::System.ReadOnlySpan<byte> raw, out Dec d)
    {
        d = default;
        int p = 0;
        if (p < raw.Length && raw[p] == (byte)'-') { d.Negative = true; p++; }
        int start = p;
        while (p < raw.Length && raw[p] != (byte)'e' && raw[p] != (byte)'E') p++;
        d.Mantissa = raw.Slice(start, p - start);
        long exponent = 0;
        if (p < raw.Length)
        {
            p++;
            bool negativeExponent = false;
            if (p < raw.Length && (raw[p] == (byte)'+' || raw[p] == (byte)'-')) { negativeExponent = raw[p] == (byte)'-'; p++; }
            for (; p < raw.Length; p++)
            {
                if (raw[p] < (byte)'0' || raw[p] > (byte)'9') return false;
                if (exponent < 1_000_000_000_000L) exponent = exponent * 10 + (raw[p] - '0');
            }
            if (negativeExponent) exponent = -exponent;
        }
        var m = d.Mantissa;
        int dot = global::System.MemoryExtensions.IndexOf(m, (byte)'.');
        if (dot < 0) dot = m.Length;
        d.First = -1;
        for (int i = 0; i < m.Length; i++)
        {
            byte c = m[i];
            if (c == (byte)'.') continue;
            if (c < (byte)'0' || c > (byte)'9') return false;
            if (c != (byte)'0')
            {
                if (d.First < 0) d.First = i;
                d.Last = i;
            }
        }
        if (d.First < 0) { d.Zero = true; d.Negative = false; return true; }
        d.Order = (d.First < dot ? dot - d.First : -(d.First - dot - 1)) + exponent;
        d.SignificantCount = d.Last - d.First + 1 - (d.First < dot && d.Last > dot ? 1 : 0);
        return true;
    }

    /// <summary>True if the JSON number has no fractional part (<c>1.0</c> and <c>1e3</c> count as integers).</summary>
    public static bool IsInteger(global::System.ReadOnlySpan<byte> raw)
    {
        if (!Parse(raw, out Dec d)) return false;
        return d.Zero || d.SignificantCount <= d.Order;
    }

    /// <summary>Compares two JSON numbers exactly: negative, zero or positive.</summary>
    public static int Compare(global::System.ReadOnlySpan<byte> a, global::System.ReadOnlySpan<byte> b)
    {
        Parse(a, out Dec x);
        Parse(b, out Dec y);
        int sx = x.Zero ? 0 : x.Negative ? -1 : 1;
        int sy = y.Zero ? 0 : y.Negative ? -1 : 1;
        if (sx != sy) return sx < sy ? -1 : 1;
        if (sx == 0) return 0;
        int magnitude;
        if (x.Order != y.Order) magnitude = x.Order < y.Order ? -1 : 1;
        else
        {
            magnitude = 0;
            int i = x.First, j = y.First;
            while (true)
            {
                while (i < x.Mantissa.Length && x.Mantissa[i] == (byte)'.') i++;
                while (j < y.Mantissa.Length && y.Mantissa[j] == (byte)'.') j++;
                bool endX = i > x.Last, endY = j > y.Last;
                if (endX && endY) break;
                int dx = endX ? 0 : x.Mantissa[i] - '0';
                int dy = endY ? 0 : y.Mantissa[j] - '0';
                if (dx != dy) { magnitude = dx < dy ? -1 : 1; break; }
                i++;
                j++;
            }
        }
        return sx < 0 ? -magnitude : magnitude;
    }

    /// <summary>Sign and magnitude of a number written as a plain 64-bit integer (the fast path); false for anything else.</summary>
    public static bool TryGetExactInteger(ref global::System.Text.Json.Utf8JsonReader reader, out bool negative, out ulong magnitude)
    {
        if (reader.TryGetInt64(out long l))
        {
            negative = l < 0;
            magnitude = negative ? unchecked((ulong)(-(l + 1)) + 1UL) : (ulong)l;
            return true;
        }
        if (reader.TryGetUInt64(out ulong u))
        {
            negative = false;
            magnitude = u;
            return true;
        }
        negative = false;
        magnitude = 0;
        return false;
    }

    /// <summary>Reads an integral number (<c>1.0</c> included) as a 64-bit value when it fits.</summary>
    public static bool TryGetInt64(ref global::System.Text.Json.Utf8JsonReader reader, out long value)
    {
        if (reader.TryGetInt64(out value)) return true;
        if (reader.TryGetDecimal(out decimal d) && decimal.Truncate(d) == d && d >= long.MinValue && d <= long.MaxValue) { value = (long)d; return true; }
        value = 0;
        return false;
    }

    /// <summary>Reads an integral non-negative number as a 64-bit value when it fits.</summary>
    public static bool TryGetUInt64(ref global::System.Text.Json.Utf8JsonReader reader, out ulong value)
    {
        if (reader.TryGetUInt64(out value)) return true;
        if (reader.TryGetDecimal(out decimal d) && decimal.Truncate(d) == d && d >= 0 && d <= ulong.MaxValue) { value = (ulong)d; return true; }
        value = 0;
        return false;
    }

    /// <summary>Reads an integral number as an Int32 when it fits.</summary>
    public static bool TryGetInt32(ref global::System.Text.Json.Utf8JsonReader reader, out int value)
    {
        if (TryGetInt64(ref reader, out long v) && v >= int.MinValue && v <= int.MaxValue) { value = (int)v; return true; }
        value = 0;
        return false;
    }

    /// <summary>Reads an integral number as a UInt32 when it fits.</summary>
    public static bool TryGetUInt32(ref global::System.Text.Json.Utf8JsonReader reader, out uint value)
    {
        if (TryGetUInt64(ref reader, out ulong v) && v <= uint.MaxValue) { value = (uint)v; return true; }
        value = 0;
        return false;
    }

    /// <summary>Reads a number as a double (infinite values saturate).</summary>
    public static bool TryGetDouble(ref global::System.Text.Json.Utf8JsonReader reader, out double value)
    {
        if (reader.TryGetDouble(out value)) return true;
        value = Raw(ref reader)[0] == (byte)'-' ? double.MinValue : double.MaxValue;
        return true;
    }

    /// <summary>JSON equality of the current value (not advancing the reader) with a parsed literal.</summary>
    public static bool ValueEquals(global::System.Text.Json.Utf8JsonReader copy, global::System.Text.Json.JsonElement literal) =>
        global::System.Text.Json.JsonElement.DeepEquals(global::System.Text.Json.JsonElement.ParseValue(ref copy), literal);

    /// <summary>Parses a JSON literal once (for enum/const values that are not strings).</summary>
    public static global::System.Text.Json.JsonElement Literal(string json)
    {
        using var document = global::System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>Reports a syntax error as a <c>json</c> diagnostic.</summary>
    public static void AddSyntaxError(global::System.Collections.Generic.List<SchemaDiagnostic> diagnostics, global::System.Text.Json.JsonException e, string schemaLocation)
    {
        string where = e.LineNumber is long line ? " (line " + (line + 1).ToString(global::System.Globalization.CultureInfo.InvariantCulture) + ", byte " + (e.BytePositionInLine ?? 0).ToString(global::System.Globalization.CultureInfo.InvariantCulture) + ")" : "";
        diagnostics.Add(new SchemaDiagnostic(SchemaSeverity.Error, "", "json", "the document is not valid JSON" + where, schemaLocation));
    }
}
