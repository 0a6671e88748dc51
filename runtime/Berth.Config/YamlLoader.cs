using System.Globalization;
using System.Numerics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Berth.Config;

/// <summary>
/// YAML (or JSON, which is YAML) → <see cref="Node"/> tree. Plain scalars are typed as the YAML 1.2 core schema types
/// them (null, bool, int in decimal/0o/0x, float); quoted and block scalars are strings; the core tags
/// (<c>!!str</c>, <c>!!int</c>, …) force a type; berth's tags (<c>!replace</c>, <c>!delete</c>, <c>!remove</c>,
/// <c>!merge</c>) are merge instructions.
/// </summary>
public static class YamlLoader
{
    public static MappingNode? Load(string file, string text, List<ConfigDiagnostic> diagnostics)
    {
        var stream = new YamlStream();
        try
        {
            // Merge keys (<<: *base) need MergingParser, which buffers every event: only when the text has one.
            IParser parser = new Parser(new StringReader(text));
            if (text.Contains("<<", StringComparison.Ordinal))
                parser = new MergingParser(parser);
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            var at = new SourceLocation(file, (int)e.Start.Line, (int)e.Start.Column);
            diagnostics.Add(new(Severity.Error, Codes.Syntax, at, "", CleanMessage(e)));
            return null;
        }
        if (stream.Documents.Count == 0)
            return new MappingNode(new SourceLocation(file, 1, 1)); // an empty file: changes nothing
        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            diagnostics.Add(new(Severity.Error, Codes.MultipleDocuments, Loc(file, second.Start), "",
                "a config file holds one YAML document; this is the second (split it into two files, or remove the '---')"));
            return null;
        }
        var root = stream.Documents[0].RootNode;
        var node = Convert(file, root, diagnostics, 0);
        if (node is ScalarNode { Kind: ScalarKind.Null })
            return new MappingNode(Loc(file, root.Start));
        if (node is MappingNode m)
            return m;
        if (node is not null)
            diagnostics.Add(new(Severity.Error, Codes.NotMapping, Loc(file, root.Start), "",
                "the document must be a mapping (ociVersion: …, process: …), not " + Describe(node)));
        return null;
    }

    private static string CleanMessage(YamlException e)
    {
        string m = e.Message;
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: …): "; the location is printed by us.
        int close = m.IndexOf("): ", StringComparison.Ordinal);
        if (m.StartsWith("(Line:", StringComparison.Ordinal) && close > 0)
            m = m[(close + 3)..];
        if (e.InnerException is ArgumentException)
            m = "duplicate key: " + m;
        return m.TrimEnd('.');
    }

    public static SourceLocation Loc(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);

    internal static string Describe(Node n) => n switch
    {
        MappingNode => "a mapping",
        SequenceNode => "a list",
        ScalarNode s => s.Kind switch
        {
            ScalarKind.String => "a string",
            ScalarKind.Null => "null",
            ScalarKind.Boolean => "a boolean",
            _ => "a number",
        },
        _ => "a value",
    };

    private static Node? Convert(string file, YamlNode y, List<ConfigDiagnostic> diagnostics, int depth)
    {
        var at = Loc(file, y.Start);
        if (depth > 200)
        {
            diagnostics.Add(new(Severity.Error, Codes.Syntax, at, "", "nested too deeply (or an alias refers to itself)"));
            return null;
        }
        string tagText = y.Tag.IsEmpty ? "" : y.Tag.Value;
        NodeTag tag = NodeTag.None;
        string? coreTag = null;
        switch (tagText)
        {
            case "": case "!": break;
            case "!replace": tag = NodeTag.Replace; break;
            case "!delete": case "!remove": tag = NodeTag.Delete; break;
            case "!merge": tag = NodeTag.Merge; break;
            case "tag:yaml.org,2002:str":
            case "tag:yaml.org,2002:int":
            case "tag:yaml.org,2002:float":
            case "tag:yaml.org,2002:bool":
            case "tag:yaml.org,2002:null":
            case "tag:yaml.org,2002:map":
            case "tag:yaml.org,2002:seq":
                coreTag = tagText["tag:yaml.org,2002:".Length..];
                break;
            default:
                diagnostics.Add(new(Severity.Error, Codes.UnknownTag, at, "",
                    $"unknown tag {tagText}; berth knows !replace, !delete, !remove, !merge and the YAML core tags (!!str, !!int, …)"));
                break;
        }
        switch (y)
        {
            case YamlMappingNode map:
            {
                var result = new MappingNode(at, tag);
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode ks)
                    {
                        diagnostics.Add(new(Severity.Error, Codes.BadKey, Loc(file, k.Start), "", "a key must be a scalar, not a list or mapping"));
                        continue;
                    }
                    var value = Convert(file, v, diagnostics, depth + 1);
                    if (value is not null)
                        result.Members.Add(new Member(ks.Value ?? "", Loc(file, k.Start), value));
                }
                return result;
            }
            case YamlSequenceNode seq:
            {
                var result = new SequenceNode(at, tag);
                foreach (var item in seq.Children)
                {
                    var value = Convert(file, item, diagnostics, depth + 1);
                    if (value is not null)
                        result.Items.Add(value);
                }
                return result;
            }
            case YamlScalarNode scalar:
            {
                string text = scalar.Value ?? "";
                bool plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
                if (coreTag is not null)
                    return Typed(coreTag, text, at, tag, diagnostics);
                if (!plain)
                    return new ScalarNode(ScalarKind.String, text, at, tag);
                return Resolve(text, at, tag, diagnostics);
            }
            default:
                diagnostics.Add(new(Severity.Error, Codes.Syntax, at, "", "unsupported YAML node"));
                return null;
        }
    }

    /// <summary>A plain scalar typed by the YAML 1.2 core schema.</summary>
    public static ScalarNode Resolve(string text, SourceLocation at, NodeTag tag, List<ConfigDiagnostic> diagnostics)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return new ScalarNode(ScalarKind.Null, "null", at, tag, text);
            case "true" or "True" or "TRUE":
                return new ScalarNode(ScalarKind.Boolean, "true", at, tag, text);
            case "false" or "False" or "FALSE":
                return new ScalarNode(ScalarKind.Boolean, "false", at, tag, text);
        }
        if (TryInteger(text, out string? integer))
            return new ScalarNode(ScalarKind.Integer, integer, at, tag, text);
        if (TryFloat(text, out string? number, out bool special))
        {
            if (special)
            {
                diagnostics.Add(new(Severity.Error, Codes.BadScalar, at, "", $"{text} is a YAML float that JSON cannot hold; quote it if a string is meant"));
                return new ScalarNode(ScalarKind.String, text, at, tag);
            }
            return new ScalarNode(ScalarKind.Float, number, at, tag, text);
        }
        return new ScalarNode(ScalarKind.String, text, at, tag);
    }

    private static ScalarNode Typed(string coreTag, string text, SourceLocation at, NodeTag tag, List<ConfigDiagnostic> diagnostics)
    {
        switch (coreTag)
        {
            case "str":
                return new ScalarNode(ScalarKind.String, text, at, tag);
            case "null":
                return new ScalarNode(ScalarKind.Null, "null", at, tag, text);
            case "bool" when text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE":
                return new ScalarNode(ScalarKind.Boolean, text.ToLowerInvariant(), at, tag, text);
            case "int" when TryInteger(text, out string? i):
                return new ScalarNode(ScalarKind.Integer, i, at, tag, text);
            case "float" when TryInteger(text, out string? f):
                return new ScalarNode(ScalarKind.Float, f, at, tag, text);
            case "float" when TryFloat(text, out string? f2, out bool special) && !special:
                return new ScalarNode(ScalarKind.Float, f2, at, tag, text);
            default:
                diagnostics.Add(new(Severity.Error, Codes.BadScalar, at, "", $"\"{text}\" is not a valid !!{coreTag}"));
                return new ScalarNode(ScalarKind.String, text, at, tag);
        }
    }

    /// <summary>YAML 1.2 core integers: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+; written back in decimal.</summary>
    public static bool TryInteger(string text, out string value)
    {
        value = "";
        if (text.Length == 0)
            return false;
        if (text.Length > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o'))
        {
            bool hex = text[1] == 'x';
            BigInteger n = BigInteger.Zero;
            for (int i = 2; i < text.Length; i++)
            {
                int d = HexDigit(text[i]);
                if (d < 0 || (!hex && d > 7))
                    return false;
                n = n * (hex ? 16 : 8) + d;
            }
            value = n.ToString(CultureInfo.InvariantCulture);
            return true;
        }
        int start = text[0] is '-' or '+' ? 1 : 0;
        if (start == text.Length)
            return false;
        for (int i = start; i < text.Length; i++)
            if (text[i] is < '0' or > '9')
                return false;
        string digits = text[start..].TrimStart('0');
        if (digits.Length == 0)
            digits = "0";
        value = (text[0] == '-' && digits != "0" ? "-" : "") + digits;
        return true;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>YAML 1.2 core floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan.</summary>
    public static bool TryFloat(string text, out string value, out bool special)
    {
        value = "";
        special = false;
        string t = text.TrimStart('-', '+');
        if (text.Length - t.Length > 1)
            return false;
        if (t is ".inf" or ".Inf" or ".INF" || (text == t && text is ".nan" or ".NaN" or ".NAN"))
        {
            special = true;
            return true;
        }
        int i = 0, mantissaDigits = 0;
        while (i < t.Length && char.IsAsciiDigit(t[i])) { i++; mantissaDigits++; }
        if (i < t.Length && t[i] == '.')
        {
            i++;
            while (i < t.Length && char.IsAsciiDigit(t[i])) { i++; mantissaDigits++; }
        }
        if (mantissaDigits == 0)
            return false;
        if (i < t.Length && (t[i] == 'e' || t[i] == 'E'))
        {
            i++;
            if (i < t.Length && (t[i] == '-' || t[i] == '+'))
                i++;
            int e = 0;
            while (i < t.Length && char.IsAsciiDigit(t[i])) { i++; e++; }
            if (e == 0)
                return false;
        }
        if (i != t.Length)
            return false;
        value = IsJsonNumber(text) ? text : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture);
        return true;
    }

    private static bool IsJsonNumber(string s)
    {
        int i = 0;
        if (i < s.Length && s[i] == '-') i++;
        if (i >= s.Length) return false;
        if (s[i] == '0') i++;
        else if (s[i] is >= '1' and <= '9') while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        else return false;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            int f = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; f++; }
            if (f == 0) return false;
        }
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            if (i < s.Length && (s[i] == '-' || s[i] == '+')) i++;
            int e = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; e++; }
            if (e == 0) return false;
        }
        return i == s.Length;
    }
}
