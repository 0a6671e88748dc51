using System;
using System.Collections.Generic;
using System.Globalization;

namespace Berth.Generator
{
    /// <summary>Schema JSON text → <see cref="SchemaFile"/>; reports BERTHGEN001 (unsupported keyword) and BERTHGEN003 (bad JSON).</summary>
    internal sealed class Parser
    {
        private const string UnsupportedKeyword = DiagnosticIds.UnsupportedKeyword;
        private const string BadJson = DiagnosticIds.BadJson;

        private readonly string _path;
        private readonly string _fileName;
        private readonly string _text;
        private readonly List<int> _lineStarts = new List<int>();
        private readonly List<DiagnosticInfo> _diagnostics = new List<DiagnosticInfo>();

        private Parser(string path, string text)
        {
            _path = path;
            _fileName = FileNameOf(path);
            _text = text;
            _lineStarts.Add(0);
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] == '\n') _lineStarts.Add(i + 1);
            }
        }

        public static string FileNameOf(string path)
        {
            int slash = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
            return slash >= 0 ? path.Substring(slash + 1) : path;
        }

        public static SchemaFile Parse(string path, string text, string ns)
        {
            var parser = new Parser(path, text);
            SchemaNode? root = null;
            string? id = null;
            try
            {
                JNode json = JsonTextParser.Parse(text);
                if (json.Kind == JKind.Object)
                {
                    foreach (JProperty p in json.Properties!)
                    {
                        if (p.Name == "$id" && p.Value.Kind == JKind.String) id = p.Value.Text;
                    }
                }
                root = parser.ParseSchema(json, "");
            }
            catch (JsonSyntaxException e)
            {
                parser.Report(BadJson, "schema file is not valid JSON: " + e.Message, e.Position, Math.Min(e.Position + 1, text.Length));
            }
            return new SchemaFile(path, parser._fileName, ns, root, id, new EquatableArray<DiagnosticInfo>(parser._diagnostics.ToArray()));
        }

        public TextLocation LocationOf(int start, int end)
        {
            (int l1, int c1) = LineColumn(start);
            (int l2, int c2) = LineColumn(end);
            return new TextLocation(start, end - start, l1, c1, l2, c2);
        }

        private (int Line, int Column) LineColumn(int offset)
        {
            int lo = 0, hi = _lineStarts.Count - 1;
            while (lo < hi)
            {
                int mid = (lo + hi + 1) / 2;
                if (_lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
            }
            return (lo, offset - _lineStarts[lo]);
        }

        private void Report(string id, string message, int start, int end) =>
            _diagnostics.Add(new DiagnosticInfo(id, message, _path, LocationOf(start, end)));

        private static string Escape(string segment) => segment.Replace("~", "~0").Replace("/", "~1");

        private SchemaNode ParseSchema(JNode json, string pointer)
        {
            if (json.Kind == JKind.True || json.Kind == JKind.False)
            {
                return new SchemaNode { File = _fileName, Pointer = pointer, Bool = json.Kind == JKind.True };
            }
            if (json.Kind != JKind.Object)
            {
                Report(UnsupportedKeyword, "a schema must be an object or a boolean", json.Start, json.End);
                return new SchemaNode { File = _fileName, Pointer = pointer, Bool = true };
            }
            var node = new SchemaNode { File = _fileName, Pointer = pointer };
            foreach (JProperty p in json.Properties!)
            {
                JNode v = p.Value;
                string at = pointer + "/" + Escape(p.Name);
                switch (p.Name)
                {
                    case "$schema":
                    case "$id":
                    case "$comment":
                    case "title":
                    case "description":
                    case "format":
                        if (!Expect(p, JKind.String)) break;
                        if (p.Name == "title") node = node with { Title = v.Text };
                        else if (p.Name == "description") node = node with { Description = v.Text };
                        break;
                    case "default":
                    case "examples":
                        break;
                    case "deprecated":
                        if (v.Kind != JKind.True && v.Kind != JKind.False) Bad(p, "must be a boolean");
                        break;
                    case "uniqueItems":
                        if (v.Kind != JKind.True && v.Kind != JKind.False) Bad(p, "must be a boolean");
                        else node = node with { UniqueItems = v.Kind == JKind.True };
                        break;
                    case "type":
                        node = node with { Types = ParseTypes(p) };
                        break;
                    case "$ref":
                        if (Expect(p, JKind.String)) node = node with { Ref = v.Text, RefLocation = LocationOf(v.Start, v.End) };
                        break;
                    case "$defs":
                        node = node with { Defs = ParseSchemaMap(p, at) };
                        break;
                    case "properties":
                        node = node with { Properties = ParseSchemaMap(p, at) };
                        break;
                    case "patternProperties":
                        node = node with { PatternProperties = ParseSchemaMap(p, at) };
                        foreach (NamedSchema pp in node.PatternProperties) CheckRegex(p, pp.Name);
                        break;
                    case "additionalProperties":
                        node = node with { AdditionalProperties = ParseSchema(v, at) };
                        break;
                    case "items":
                        if (v.Kind == JKind.Array) Bad(p, "must be a schema (the array form is draft-07; use prefixItems, which berth does not support)");
                        else node = node with { Items = ParseSchema(v, at) };
                        break;
                    case "not":
                        node = node with { Not = ParseSchema(v, at) };
                        break;
                    case "allOf":
                        node = node with { AllOf = ParseSchemaList(p, at) };
                        break;
                    case "anyOf":
                        node = node with { AnyOf = ParseSchemaList(p, at) };
                        break;
                    case "oneOf":
                        node = node with { OneOf = ParseSchemaList(p, at) };
                        break;
                    case "required":
                        if (v.Kind != JKind.Array) { Bad(p, "must be an array of strings"); break; }
                        var required = new List<string>();
                        foreach (JNode item in v.Items!)
                        {
                            if (item.Kind != JKind.String) Report(UnsupportedKeyword, "\"required\" must list strings", item.Start, item.End);
                            else if (!required.Contains(item.Text)) required.Add(item.Text);
                        }
                        node = node with { Required = new EquatableArray<string>(required.ToArray()) };
                        break;
                    case "enum":
                        if (v.Kind != JKind.Array) { Bad(p, "must be an array"); break; }
                        var values = new List<string>();
                        foreach (JNode item in v.Items!) values.Add(item.ToJson());
                        node = node with { HasEnum = true, Enum = new EquatableArray<string>(values.ToArray()) };
                        break;
                    case "const":
                        node = node with { HasConst = true, Const = v.ToJson() };
                        break;
                    case "pattern":
                        if (Expect(p, JKind.String)) { CheckRegex(p, v.Text); node = node with { Pattern = v.Text }; }
                        break;
                    case "minLength": node = node with { MinLength = NonNegative(p) }; break;
                    case "maxLength": node = node with { MaxLength = NonNegative(p) }; break;
                    case "minItems": node = node with { MinItems = NonNegative(p) }; break;
                    case "maxItems": node = node with { MaxItems = NonNegative(p) }; break;
                    case "minimum": if (Expect(p, JKind.Number)) node = node with { Minimum = v.Text }; break;
                    case "maximum": if (Expect(p, JKind.Number)) node = node with { Maximum = v.Text }; break;
                    case "exclusiveMinimum": if (Expect(p, JKind.Number)) node = node with { ExclusiveMinimum = v.Text }; break;
                    case "exclusiveMaximum": if (Expect(p, JKind.Number)) node = node with { ExclusiveMaximum = v.Text }; break;
                    case "x-merge-key":
                        if (Expect(p, JKind.String)) node = node with { MergeKey = v.Text };
                        break;
                    case "x-merge":
                        if (!Expect(p, JKind.String)) break;
                        if (v.Text != "set" && v.Text != "replace" && v.Text != "append") Bad(p, "must be \"set\", \"replace\" or \"append\"");
                        else node = node with { Merge = v.Text };
                        break;
                    default:
                        Report(UnsupportedKeyword, "unsupported schema keyword \"" + p.Name + "\" (berth's generator does not understand it)", p.NameStart, p.NameEnd);
                        break;
                }
            }
            return node;
        }

        private void CheckRegex(JProperty p, string pattern)
        {
            try
            {
                _ = new System.Text.RegularExpressions.Regex(pattern);
            }
            catch (ArgumentException e)
            {
                Report(UnsupportedKeyword, "pattern \"" + pattern + "\" is not a valid regular expression: " + e.Message, p.Value.Start, p.Value.End);
            }
        }

        private bool Expect(JProperty p, JKind kind)
        {
            if (p.Value.Kind == kind) return true;
            Bad(p, kind == JKind.String ? "must be a string" : kind == JKind.Number ? "must be a number" : "has the wrong type");
            return false;
        }

        private void Bad(JProperty p, string what) =>
            Report(UnsupportedKeyword, "keyword \"" + p.Name + "\" " + what, p.Value.Start, p.Value.End);

        private string? NonNegative(JProperty p)
        {
            if (p.Value.Kind == JKind.Number && ulong.TryParse(p.Value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) && n <= int.MaxValue)
            {
                return n.ToString(CultureInfo.InvariantCulture);
            }
            Bad(p, "must be a non-negative integer");
            return null;
        }

        private static readonly string[] KnownTypes = { "object", "array", "string", "integer", "number", "boolean", "null" };

        private EquatableArray<string> ParseTypes(JProperty p)
        {
            var list = new List<string>();
            var items = p.Value.Kind == JKind.Array ? p.Value.Items! : new List<JNode> { p.Value };
            foreach (JNode item in items)
            {
                if (item.Kind != JKind.String || Array.IndexOf(KnownTypes, item.Text) < 0)
                {
                    Report(UnsupportedKeyword, "\"type\" must be one of object, array, string, integer, number, boolean, null", item.Start, item.End);
                    continue;
                }
                if (!list.Contains(item.Text)) list.Add(item.Text);
            }
            return new EquatableArray<string>(list.ToArray());
        }

        private EquatableArray<NamedSchema> ParseSchemaMap(JProperty p, string at)
        {
            if (p.Value.Kind != JKind.Object) { Bad(p, "must be an object"); return EquatableArray<NamedSchema>.Empty; }
            var list = new List<NamedSchema>();
            foreach (JProperty member in p.Value.Properties!)
            {
                list.Add(new NamedSchema(member.Name, ParseSchema(member.Value, at + "/" + Escape(member.Name))));
            }
            return new EquatableArray<NamedSchema>(list.ToArray());
        }

        private EquatableArray<SchemaNode> ParseSchemaList(JProperty p, string at)
        {
            if (p.Value.Kind != JKind.Array || p.Value.Items!.Count == 0) { Bad(p, "must be a non-empty array of schemas"); return EquatableArray<SchemaNode>.Empty; }
            var list = new List<SchemaNode>();
            for (int i = 0; i < p.Value.Items.Count; i++)
            {
                list.Add(ParseSchema(p.Value.Items[i], at + "/" + i.ToString(CultureInfo.InvariantCulture)));
            }
            return new EquatableArray<SchemaNode>(list.ToArray());
        }
    }
}
