using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;

namespace Berth.Generator
{
    /// <summary>
    /// Resolves <c>$ref</c>s and C# shapes of a <see cref="SchemaSet"/> and writes the C# text:
    /// classes, enums, one-pass readers/validators, writers and merge tables.
    /// </summary>
    internal sealed class Emitter
    {
        private const string JE = "global::System.Text.Json.JsonElement";
        private const string Reader = "global::System.Text.Json.Utf8JsonReader";
        private const string Writer = "global::System.Text.Json.Utf8JsonWriter";
        private const string Tok = "global::System.Text.Json.JsonTokenType";
        private const string Ctx = "SchemaReadContext";
        private const string SJ = "SchemaJson";
        private const string ReadersClass = "BerthSchemaReaders";

        private enum ShapeKind { Class, Enum, String, Bool, Int, UInt, Long, ULong, Double, List, Dict, Element }

        private sealed class Shape
        {
            public ShapeKind Kind;
            public string Cs = "";
            public Shape? Elem;
            public Info? Type;

            public bool IsValueType => Kind == ShapeKind.Enum || Kind == ShapeKind.Bool || Kind == ShapeKind.Int || Kind == ShapeKind.UInt ||
                Kind == ShapeKind.Long || Kind == ShapeKind.ULong || Kind == ShapeKind.Double || Kind == ShapeKind.Element;
        }

        private sealed class Info
        {
            public SchemaNode Node = null!;
            public int Id;
            public string Namespace = "";
            public string? ClassName;
            public string? EnumName;
            public bool IsRoot;
            public Shape? Shape;
            public bool ShapeDone;
            public bool Visiting;
            public bool Named;
            public string? Method;
            public bool Queued;
        }

        private sealed class RefComparer : IEqualityComparer<SchemaNode>
        {
            public static readonly RefComparer Instance = new RefComparer();
            public bool Equals(SchemaNode? x, SchemaNode? y) => ReferenceEquals(x, y);
            public int GetHashCode(SchemaNode obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
        }

        private readonly SchemaSet _set;
        private readonly CancellationToken _ct;
        private readonly List<DiagnosticInfo> _diagnostics = new List<DiagnosticInfo>();
        private readonly Dictionary<string, SchemaFile> _files = new Dictionary<string, SchemaFile>(StringComparer.Ordinal);
        private readonly Dictionary<string, Dictionary<string, SchemaNode>> _pointers = new Dictionary<string, Dictionary<string, SchemaNode>>(StringComparer.Ordinal);
        private readonly Dictionary<SchemaNode, Info> _infos = new Dictionary<SchemaNode, Info>(RefComparer.Instance);
        private readonly Dictionary<SchemaNode, SchemaNode?> _resolved = new Dictionary<SchemaNode, SchemaNode?>(RefComparer.Instance);
        private readonly HashSet<string> _typeNames = new HashSet<string>(StringComparer.Ordinal);
        private readonly List<Info> _queue = new List<Info>();
        // Static members of each namespace's readers class: patterns, literals, member lookups. Fields are made once per
        // namespace and value (key: namespace, kind, value).
        private readonly Dictionary<string, string> _staticFields = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string>> _staticDecls = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        private int _tmp;

        private Emitter(SchemaSet set, CancellationToken ct)
        {
            _set = set;
            _ct = ct;
        }

        public static EmitResult Emit(SchemaSet set, CancellationToken ct)
        {
            var emitter = new Emitter(set, ct);
            List<GeneratedSource> sources = emitter.Run();
            return new EmitResult(new EquatableArray<GeneratedSource>(sources.ToArray()), new EquatableArray<DiagnosticInfo>(emitter._diagnostics.ToArray()));
        }

        // ------------------------------------------------------------------ resolution

        private List<GeneratedSource> Run()
        {
            foreach (SchemaFile file in _set.Files)
            {
                _diagnostics.AddRange(file.Diagnostics);
                if (file.Root is null) continue;
                _files[file.FileName] = file;
                var map = new Dictionary<string, SchemaNode>(StringComparer.Ordinal);
                _pointers[file.FileName] = map;
                Index(file.Root, file, map);
            }
            if (_files.Count == 0) return new List<GeneratedSource>();

            // Phase 1: the names given by the schema (root titles, $defs keys).
            foreach (SchemaFile file in _files.Values.OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                SchemaNode root = file.Root!;
                foreach (NamedSchema def in root.Defs)
                {
                    Info info = InfoOf(def.Schema);
                    if (IsClassCandidate(def.Schema)) info.ClassName = Unique(Naming.TypeName(def.Name));
                    else if (IsEnumCandidate(def.Schema)) info.EnumName = Unique(Naming.TypeName(def.Name));
                }
                if (IsClassCandidate(root) || (root.Types.Count == 1 && root.Types[0] == "object" && root.Title != null))
                {
                    Info info = InfoOf(root);
                    info.IsRoot = true;
                    string title = root.Title ?? file.FileName.Replace(".schema.json", "");
                    info.ClassName = Unique(Naming.TypeName(title));
                }
            }
            // Phase 2: inline names.
            foreach (SchemaFile file in _files.Values.OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                SchemaNode root = file.Root!;
                foreach (NamedSchema def in root.Defs) AssignNames(def.Schema, Naming.TypeName(def.Name));
                AssignNames(root, InfoOf(root).ClassName ?? Naming.Pascal(file.FileName.Replace(".schema.json", "")));
            }
            // Resolve every $ref once (reports BERTHGEN002).
            foreach (Info info in _infos.Values.ToList())
            {
                if (info.Node.Ref != null) Resolve(info.Node);
            }

            // Seed: every class/enum named by the schema, roots first.
            foreach (Info info in _infos.Values.OrderBy(i => i.Id).ToList())
            {
                if (info.ClassName != null && ShapeOf(info.Node).Kind == ShapeKind.Class) Enqueue(info);
                if (info.EnumName != null) Enqueue(info);
            }

            var perNamespace = new Dictionary<string, IndentedWriter>(StringComparer.Ordinal);
            var readers = new Dictionary<string, IndentedWriter>(StringComparer.Ordinal);
            for (int i = 0; i < _queue.Count; i++)
            {
                _ct.ThrowIfCancellationRequested();
                Info info = _queue[i];
                if (!perNamespace.TryGetValue(info.Namespace, out IndentedWriter? w))
                {
                    w = new IndentedWriter();
                    w.Indent();
                    perNamespace[info.Namespace] = w;
                }
                if (!readers.TryGetValue(info.Namespace, out IndentedWriter? r))
                {
                    r = new IndentedWriter();
                    r.Indent();
                    r.Indent();
                    readers[info.Namespace] = r;
                }
                Shape shape = ShapeOf(info.Node);
                if (info.EnumName != null && shape.Kind == ShapeKind.Enum)
                {
                    EmitEnum(w, info);
                    EmitReaderMethod(r, info, shape);
                }
                else if (info.ClassName != null && shape.Kind == ShapeKind.Class)
                {
                    EmitClass(w, r, info, shape);
                }
                else
                {
                    EmitReaderMethod(r, info, shape);
                }
            }

            var sources = new List<GeneratedSource>();
            foreach (string ns in perNamespace.Keys.Concat(readers.Keys).Distinct().OrderBy(n => n, StringComparer.Ordinal))
            {
                var file = new IndentedWriter();
                file.Line("// <auto-generated>berth schema generator: do not edit.</auto-generated>");
                file.Line("#nullable enable");
                file.Line("#pragma warning disable CS1591");
                file.Line();
                file.Line("namespace " + ns);
                file.Line("{");
                string body = file.ToString();
                var text = new System.Text.StringBuilder(body);
                text.Append(Indent(RuntimeSupport.Text, 1));
                text.Append('\n');
                if (perNamespace.TryGetValue(ns, out IndentedWriter? types)) text.Append(types.ToString());
                text.Append("    /// <summary>Generated readers for schema values that have no class of their own.</summary>\n");
                text.Append("    internal static partial class " + ReadersClass + "\n    {\n");
                if (_staticDecls.TryGetValue(ns, out List<string>? statics)) foreach (string d in statics) text.Append("        ").Append(d).Append('\n');
                if (readers.TryGetValue(ns, out IndentedWriter? rw)) text.Append(rw.ToString());
                text.Append("    }\n}\n");
                sources.Add(new GeneratedSource(ns + ".Schemas.g.cs", text.ToString()));
            }
            return sources;
        }

        private static string Indent(string text, int levels)
        {
            string pad = new string(' ', levels * 4);
            var sb = new System.Text.StringBuilder();
            foreach (string line in text.Replace("\r\n", "\n").Split('\n'))
            {
                if (line.Length > 0) sb.Append(pad).Append(line);
                sb.Append('\n');
            }
            return sb.ToString();
        }

        private void Index(SchemaNode node, SchemaFile file, Dictionary<string, SchemaNode> map)
        {
            map[node.Pointer] = node;
            Info info = InfoOf(node);
            info.Namespace = file.Namespace;
            foreach (NamedSchema d in node.Defs) Index(d.Schema, file, map);
            foreach (NamedSchema p in node.Properties) Index(p.Schema, file, map);
            foreach (NamedSchema p in node.PatternProperties) Index(p.Schema, file, map);
            if (node.AdditionalProperties != null) Index(node.AdditionalProperties, file, map);
            if (node.Items != null) Index(node.Items, file, map);
            if (node.Not != null) Index(node.Not, file, map);
            foreach (SchemaNode s in node.AllOf) Index(s, file, map);
            foreach (SchemaNode s in node.AnyOf) Index(s, file, map);
            foreach (SchemaNode s in node.OneOf) Index(s, file, map);
        }

        private Info InfoOf(SchemaNode node)
        {
            if (!_infos.TryGetValue(node, out Info? info))
            {
                info = new Info { Node = node, Id = _infos.Count };
                _infos[node] = info;
            }
            return info;
        }

        private string Unique(string name)
        {
            string candidate = name;
            for (int i = 2; !_typeNames.Add(candidate) || IsReservedTypeName(candidate); i++) candidate = name + i.ToString(CultureInfo.InvariantCulture);
            return candidate;
        }

        private static bool IsReservedTypeName(string name) =>
            name == "SchemaSeverity" || name == "SchemaDiagnostic" || name == "SchemaReadContext" || name == "MergeKind" ||
            name == "MergeRule" || name == "SchemaJson" || name == "PatternAtom" || name == ReadersClass;

        private static bool IsClassCandidate(SchemaNode n) =>
            n.Bool == null && !n.Properties.IsEmpty && (n.Types.IsEmpty || (n.Types.Count == 1 && n.Types[0] == "object"));

        private static bool IsEnumCandidate(SchemaNode n)
        {
            if (!n.HasEnum || n.Enum.IsEmpty) return false;
            if (!(n.Types.IsEmpty || (n.Types.Count == 1 && n.Types[0] == "string"))) return false;
            foreach (string v in n.Enum) if (!v.StartsWith("\"", StringComparison.Ordinal)) return false;
            return true;
        }

        private void AssignNames(SchemaNode node, string suggestion)
        {
            Info info = InfoOf(node);
            if (info.Named) return;
            info.Named = true;
            if (info.ClassName == null && IsClassCandidate(node)) info.ClassName = Unique(suggestion);
            string baseName = info.ClassName ?? info.EnumName ?? suggestion;
            foreach (NamedSchema p in node.Properties) AssignNames(p.Schema, baseName + Naming.Pascal(p.Name));
            foreach (NamedSchema p in node.PatternProperties) AssignNames(p.Schema, baseName + "Value");
            if (node.AdditionalProperties != null) AssignNames(node.AdditionalProperties, baseName + "Value");
            if (node.Items != null) AssignNames(node.Items, baseName + "Item");
            if (node.Not != null) AssignNames(node.Not, baseName + "Not");
            for (int i = 0; i < node.AllOf.Count; i++) AssignNames(node.AllOf[i], baseName + "Part" + (i + 1).ToString(CultureInfo.InvariantCulture));
            for (int i = 0; i < node.AnyOf.Count; i++) AssignNames(node.AnyOf[i], baseName + "Option" + (i + 1).ToString(CultureInfo.InvariantCulture));
            for (int i = 0; i < node.OneOf.Count; i++) AssignNames(node.OneOf[i], baseName + "Choice" + (i + 1).ToString(CultureInfo.InvariantCulture));
        }

        /// <summary>The schema a <c>$ref</c> names, or null (BERTHGEN002 reported once).</summary>
        private SchemaNode? Resolve(SchemaNode node)
        {
            if (node.Ref == null) return null;
            if (_resolved.TryGetValue(node, out SchemaNode? cached)) return cached;
            SchemaNode? target = null;
            string reference = node.Ref;
            int hash = reference.IndexOf('#');
            string filePart = hash >= 0 ? reference.Substring(0, hash) : reference;
            string fragment = hash >= 0 ? reference.Substring(hash + 1) : "";
            string? fileName = null;
            if (filePart.Length == 0) fileName = node.File;
            else
            {
                foreach (SchemaFile f in _files.Values)
                {
                    if (f.Id == filePart) fileName = f.FileName;
                }
                fileName ??= Parser.FileNameOf(filePart);
            }
            fragment = Uri.UnescapeDataString(fragment);
            if (fileName != null && _pointers.TryGetValue(fileName, out Dictionary<string, SchemaNode>? map) && (fragment.Length == 0 || fragment[0] == '/'))
            {
                map.TryGetValue(fragment, out target);
            }
            if (target == null)
            {
                string path = _files.TryGetValue(node.File, out SchemaFile? file) ? file.Path : node.File;
                _diagnostics.Add(new DiagnosticInfo(Parser.BrokenRef, "$ref \"" + reference + "\" does not resolve to a schema", path, node.RefLocation));
            }
            _resolved[node] = target;
            return target;
        }

        /// <summary>Follows <c>$ref</c>s that only alias another schema.</summary>
        private SchemaNode Deref(SchemaNode node)
        {
            for (int guard = 0; guard < 64 && node.Ref != null && !node.HasAssertions; guard++)
            {
                SchemaNode? target = Resolve(node);
                if (target == null) return node;
                node = target;
            }
            return node;
        }

        private Shape ShapeOf(SchemaNode node) => TryShape(node) ?? ElementShape();

        private static Shape ElementShape() => new Shape { Kind = ShapeKind.Element, Cs = JE };

        /// <summary>The C# shape of a schema, or null when it constrains no type at all.</summary>
        private Shape? TryShape(SchemaNode node)
        {
            node = Deref(node);
            Info info = InfoOf(node);
            if (info.ShapeDone) return info.Shape;
            if (info.Visiting) return ElementShape();
            info.Visiting = true;
            Shape? shape = ComputeShape(node, info);
            info.Visiting = false;
            info.Shape = shape;
            info.ShapeDone = true;
            return shape;
        }

        private Shape? ComputeShape(SchemaNode node, Info info)
        {
            if (node.Bool != null) return node.Bool == true ? null : ElementShape();
            Shape? own = OwnShape(node, info);
            if (own != null) return own;
            var parts = new List<SchemaNode>();
            if (node.Ref != null && Resolve(node) is { } target) parts.Add(target);
            parts.AddRange(node.AllOf);
            Shape? common = null;
            bool conflict = false;
            foreach (SchemaNode part in parts)
            {
                Shape? s = TryShape(part);
                if (s == null) continue;
                if (common == null) common = s;
                else if (common.Cs != s.Cs) conflict = true;
            }
            if (conflict) return ElementShape();
            if (common != null) return common;
            EquatableArray<SchemaNode> branches = !node.AnyOf.IsEmpty ? node.AnyOf : node.OneOf;
            if (!branches.IsEmpty && (node.AnyOf.IsEmpty || node.OneOf.IsEmpty))
            {
                foreach (SchemaNode b in branches)
                {
                    Shape? s = TryShape(b);
                    if (s == null) return ElementShape();
                    if (common == null) common = s;
                    else if (common.Cs != s.Cs) return ElementShape();
                }
                return common;
            }
            if (!node.AnyOf.IsEmpty || !node.OneOf.IsEmpty) return ElementShape();
            return null;
        }

        /// <summary>Shape from the node's own type keywords (not its applicators).</summary>
        private Shape? OwnShape(SchemaNode node, Info info)
        {
            string? type = null;
            if (node.Types.Count > 1) return ElementShape();
            if (node.Types.Count == 1) type = node.Types[0];
            else if (IsClassCandidate(node)) type = "object";
            else if (node.Items != null) type = "array";
            else if (IsEnumCandidate(node)) type = "string";
            if (type == null) return null;
            switch (type)
            {
                case "object":
                    if (!node.Properties.IsEmpty && info.ClassName != null)
                        return new Shape { Kind = ShapeKind.Class, Cs = "global::" + info.Namespace + "." + info.ClassName, Type = info };
                    if (!node.Properties.IsEmpty) return ElementShape();
                    var values = new List<SchemaNode>();
                    foreach (NamedSchema p in node.PatternProperties) values.Add(p.Schema);
                    if (node.AdditionalProperties != null && node.AdditionalProperties.Bool != false) values.Add(node.AdditionalProperties);
                    if (values.Count == 0) return ElementShape();
                    Shape? value = null;
                    foreach (SchemaNode v in values)
                    {
                        Shape s = ShapeOf(v);
                        if (value == null) value = s;
                        else if (value.Cs != s.Cs) value = ElementShape();
                    }
                    return new Shape { Kind = ShapeKind.Dict, Elem = value, Cs = "global::System.Collections.Generic.IReadOnlyDictionary<string, " + value!.Cs + ">" };
                case "array":
                    Shape item = node.Items != null ? ShapeOf(node.Items) : ElementShape();
                    return new Shape { Kind = ShapeKind.List, Elem = item, Cs = "global::System.Collections.Generic.IReadOnlyList<" + item.Cs + ">" };
                case "string":
                    if (info.EnumName != null) return new Shape { Kind = ShapeKind.Enum, Cs = "global::" + info.Namespace + "." + info.EnumName, Type = info };
                    return new Shape { Kind = ShapeKind.String, Cs = "string" };
                case "boolean":
                    return new Shape { Kind = ShapeKind.Bool, Cs = "bool" };
                case "number":
                    return new Shape { Kind = ShapeKind.Double, Cs = "double" };
                case "integer":
                    return IntegerShape(node);
                default:
                    return ElementShape();
            }
        }

        private static Shape IntegerShape(SchemaNode node)
        {
            decimal? min = Bound(node.Minimum, node.ExclusiveMinimum, true);
            decimal? max = Bound(node.Maximum, node.ExclusiveMaximum, false);
            if (min is decimal lo && lo >= 0 && max is decimal hi)
            {
                if (hi <= uint.MaxValue) return new Shape { Kind = ShapeKind.UInt, Cs = "uint" };
                if (hi <= ulong.MaxValue) return new Shape { Kind = ShapeKind.ULong, Cs = "ulong" };
            }
            if (min is decimal lo2 && max is decimal hi2 && lo2 >= int.MinValue && hi2 <= int.MaxValue) return new Shape { Kind = ShapeKind.Int, Cs = "int" };
            return new Shape { Kind = ShapeKind.Long, Cs = "long" };
        }

        private static decimal? Bound(string? inclusive, string? exclusive, bool lower)
        {
            decimal? result = null;
            if (inclusive != null && decimal.TryParse(inclusive, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal a)) result = a;
            if (exclusive != null && decimal.TryParse(exclusive, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal b))
            {
                if (result == null || (lower ? b > result : b < result)) result = b;
            }
            return result;
        }

        private void Enqueue(Info info)
        {
            if (info.Queued) return;
            info.Queued = true;
            _queue.Add(info);
        }

        /// <summary>The method that reads (and validates) a schema: <c>T? M(ref Utf8JsonReader, SchemaReadContext)</c>.</summary>
        private string ReadFn(SchemaNode node)
        {
            node = Deref(node);
            Info info = InfoOf(node);
            Shape shape = ShapeOf(node);
            Enqueue(info);
            if (shape.Kind == ShapeKind.Class && shape.Type == info) return shape.Cs + ".Read";
            info.Method ??= "R" + info.Id.ToString(CultureInfo.InvariantCulture);
            return "global::" + info.Namespace + "." + ReadersClass + "." + info.Method;
        }

        private string Loc(SchemaNode node, string keyword) =>
            Naming.Literal(node.File + "#" + node.Pointer + (keyword.Length > 0 ? "/" + keyword : ""));

        /// <summary>The boolean expression that tests <paramref name="value"/> (a string) against a schema pattern.</summary>
        private string PatternTest(SchemaNode node, string pattern, string value)
        {
            if (!SimplePattern.TryCompile(pattern, out List<SimplePattern.Atom> atoms, out bool anchoredEnd))
                return StaticField(node, "pattern", pattern, field => new[]
                {
                    "internal static readonly global::System.Text.RegularExpressions.Regex " + field + " = new global::System.Text.RegularExpressions.Regex(" +
                        Naming.Literal(pattern) + ", global::System.Text.RegularExpressions.RegexOptions.None);",
                }) + ".IsMatch(" + value + ")";
            string atomsField = StaticField(node, "simplePattern", pattern, field => new[]
            {
                "/// <summary>Pattern " + Naming.Xml(pattern) + "</summary>",
                "internal static readonly PatternAtom[] " + field + " = { " + string.Join(", ", atoms.Select(a =>
                    "new PatternAtom(" + Naming.Literal(a.Ranges) + ", " + a.Min.ToString(CultureInfo.InvariantCulture) + ", " +
                    (a.Max == int.MaxValue ? "int.MaxValue" : a.Max.ToString(CultureInfo.InvariantCulture)) + ")")) + " };",
            });
            return SJ + ".MatchSimple(" + value + ", " + atomsField + ", " + (anchoredEnd ? "true" : "false") + ")";
        }

        private string LiteralField(SchemaNode node, string json) =>
            StaticField(node, "literal", json, field => new[] { "internal static readonly " + JE + " " + field + " = " + SJ + ".Literal(" + Naming.Literal(json) + ");" });

        /// <summary>The fully qualified name of a static field of the node's readers class holding <paramref name="value"/>
        /// as <paramref name="declare"/> declares it; declared once per namespace, kind and value.</summary>
        private string StaticField(SchemaNode node, string kind, string value, Func<string, IEnumerable<string>> declare)
        {
            string ns = InfoOf(node).Namespace;
            string key = ns + "\0" + kind + "\0" + value;
            if (!_staticFields.TryGetValue(key, out string? field))
            {
                List<string> list = StaticDecls(ns);
                field = "s_" + kind + _staticFields.Count.ToString(CultureInfo.InvariantCulture);
                list.AddRange(declare(field));
                _staticFields[key] = field;
            }
            return "global::" + ns + "." + ReadersClass + "." + field;
        }

        private List<string> StaticDecls(string ns)
        {
            if (!_staticDecls.TryGetValue(ns, out List<string>? list)) _staticDecls[ns] = list = new List<string>();
            return list;
        }

        private string Tmp(string prefix) => prefix + (++_tmp).ToString(CultureInfo.InvariantCulture);

        // ------------------------------------------------------------------ types

        private void EmitEnum(IndentedWriter w, Info info)
        {
            SchemaNode node = info.Node;
            string name = info.EnumName!;
            var members = new List<(string Wire, string Member)>();
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (string json in node.Enum)
            {
                string wire = JsonTextParser.Parse(json).Text;
                string member = Naming.Pascal(wire);
                if (member == name) member += "Value";
                string candidate = member;
                for (int i = 2; !used.Add(candidate); i++) candidate = member + i.ToString(CultureInfo.InvariantCulture);
                members.Add((wire, candidate));
            }
            Doc(w, node.Description);
            w.Open("public enum " + name);
            foreach (var m in members)
            {
                w.Line("/// <summary>Wire name <c>" + Naming.Xml(m.Wire) + "</c>.</summary>");
                w.Line(m.Member + ",");
            }
            w.Close();
            w.Line();
            w.Line("/// <summary>Wire names of <see cref=\"" + name + "\"/>.</summary>");
            w.Open("public static class " + name + "Extensions");
            w.Line("/// <summary>The exact JSON text of the value.</summary>");
            w.Open("public static string ToWireName(this " + name + " value) => value switch");
            foreach (var m in members) w.Line(name + "." + m.Member + " => " + Naming.Literal(m.Wire) + ",");
            w.Line("_ => value.ToString(),");
            w.Close(";");
            w.Line();
            w.Line("/// <summary>Parses the exact JSON text of a value.</summary>");
            w.Open("public static bool TryParseWireName(string? text, out " + name + " value)");
            w.Open("switch (text)");
            foreach (var m in members) w.Line("case " + Naming.Literal(m.Wire) + ": value = " + name + "." + m.Member + "; return true;");
            w.Close();
            w.Line("value = default;");
            w.Line("return false;");
            w.Close();
            w.Close();
            w.Line();
        }

        private static void Doc(IndentedWriter w, string? description)
        {
            if (string.IsNullOrEmpty(description)) return;
            w.Line("/// <summary>" + Naming.Xml(description!) + "</summary>");
        }

        private sealed class Member
        {
            public string Json = "";
            public string Cs = "";
            public SchemaNode Schema = null!;
            public Shape Shape = null!;
            public bool Required;
            public int Index;
        }

        private List<Member> MembersOf(SchemaNode node, string className)
        {
            var members = new List<Member>();
            var used = new HashSet<string>(StringComparer.Ordinal) { className, "Read", "WriteTo", "Parse", "ToUtf8Json", "MergeRules", "UnknownMembers", "KnownMembers" };
            for (int i = 0; i < node.Properties.Count; i++)
            {
                NamedSchema p = node.Properties[i];
                string cs = Naming.Pascal(p.Name);
                string candidate = cs;
                if (used.Contains(candidate)) candidate = cs + "Value";
                for (int k = 2; !used.Add(candidate); k++) candidate = cs + k.ToString(CultureInfo.InvariantCulture);
                members.Add(new Member
                {
                    Json = p.Name,
                    Cs = candidate,
                    Schema = p.Schema,
                    Shape = ShapeOf(p.Schema),
                    Required = node.Required.Contains(p.Name),
                    Index = i,
                });
            }
            return members;
        }

        private void EmitClass(IndentedWriter w, IndentedWriter r, Info info, Shape shape)
        {
            SchemaNode node = info.Node;
            string name = info.ClassName!;
            List<Member> members = MembersOf(node, name);
            Doc(w, node.Description ?? (info.IsRoot ? node.Title : null));
            w.Open("public sealed partial class " + name);
            foreach (Member m in members)
            {
                SchemaNode target = Deref(m.Schema);
                Doc(w, m.Schema.Description ?? target.Description);
                if (m.Required)
                    w.Line("public " + m.Shape.Cs + " " + m.Cs + " { get; init; }" + (m.Shape.IsValueType ? "" : " = null!;"));
                else
                    w.Line("public " + m.Shape.Cs + "? " + m.Cs + " { get; init; }");
                w.Line();
            }
            w.Line("/// <summary>Members the schema does not define, kept in order so that writing loses nothing.</summary>");
            w.Line("public global::System.Collections.Generic.IReadOnlyList<global::System.Collections.Generic.KeyValuePair<string, " + JE + ">>? UnknownMembers { get; init; }");
            w.Line();
            w.Line("/// <summary>The JSON names of the members the schema defines.</summary>");
            w.Line("public static global::System.Collections.Generic.IReadOnlyList<string> KnownMembers => s_knownMembers;");
            w.Line();
            w.Line("private static readonly string[] s_knownMembers = { " + string.Join(", ", members.Select(m => Naming.Literal(m.Json))) + " };");
            w.Line();

            // Read
            w.Line("/// <summary>Reads and validates one value; the reader is on its first token and is left on its last.</summary>");
            w.Open("public static " + name + "? Read(ref " + Reader + " reader, " + Ctx + " context)");
            _tmp = 0;
            EmitBody(w, node, shape, "reader");
            w.Close();
            w.Line();

            // WriteTo: known members in schema order; each unknown member goes back to the index it had in the
            // document it was read from (exact for documents in schema order).
            w.Line("/// <summary>Writes this object as JSON, unknown members included (in place).</summary>");
            w.Open("public void WriteTo(" + Writer + " writer)");
            w.Line("writer.WriteStartObject();");
            w.Open("if (UnknownMembers is { } unknownInPlace && _unknownPositions is { } positions && positions.Length == unknownInPlace.Count)");
            w.Line("int written = 0, u = 0;");
            w.Open("for (int k = 0; k < " + members.Count.ToString(CultureInfo.InvariantCulture) + "; k++)");
            w.Open("while (u < unknownInPlace.Count && positions[u] <= written)");
            w.Line("writer.WritePropertyName(unknownInPlace[u].Key);");
            w.Line("unknownInPlace[u].Value.WriteTo(writer);");
            w.Line("u++;");
            w.Line("written++;");
            w.Close();
            w.Line("if (WriteMember(writer, k)) written++;");
            w.Close();
            w.Open("for (; u < unknownInPlace.Count; u++)");
            w.Line("writer.WritePropertyName(unknownInPlace[u].Key);");
            w.Line("unknownInPlace[u].Value.WriteTo(writer);");
            w.Close();
            w.Line("writer.WriteEndObject();");
            w.Line("return;");
            w.Close();
            w.Line("for (int k = 0; k < " + members.Count.ToString(CultureInfo.InvariantCulture) + "; k++) _ = WriteMember(writer, k);");
            w.Open("if (UnknownMembers is { } unknown)");
            w.Open("for (int i = 0; i < unknown.Count; i++)");
            w.Line("writer.WritePropertyName(unknown[i].Key);");
            w.Line("unknown[i].Value.WriteTo(writer);");
            w.Close();
            w.Close();
            w.Line("writer.WriteEndObject();");
            w.Close();
            w.Line();
            w.Open("private bool WriteMember(" + Writer + " writer, int index)");
            w.Open("switch (index)");
            foreach (Member m in members)
            {
                w.Line("case " + m.Index.ToString(CultureInfo.InvariantCulture) + ":");
                w.Open();
                if (m.Required && m.Shape.IsValueType)
                {
                    w.Line("writer.WritePropertyName(" + Naming.Literal(m.Json) + "u8);");
                    WriteValue(w, m.Shape, m.Cs, 0);
                    w.Line("return true;");
                }
                else
                {
                    string v = "v" + m.Index.ToString(CultureInfo.InvariantCulture);
                    w.Open("if (" + m.Cs + " is { } " + v + ")");
                    w.Line("writer.WritePropertyName(" + Naming.Literal(m.Json) + "u8);");
                    WriteValue(w, m.Shape, v, 0);
                    w.Line("return true;");
                    w.Close();
                    w.Line("return false;");
                }
                w.Close();
            }
            w.Close();
            w.Line("return false;");
            w.Close();
            w.Line();
            w.Line("/// <summary>For each unknown member, how many members came before it in the document it was read from.</summary>");
            w.Line("private int[]? _unknownPositions;");
            w.Line();

            if (info.IsRoot) EmitRootMembers(w, info, name);
            w.Close();
            w.Line();
        }

        private void EmitRootMembers(IndentedWriter w, Info info, string name)
        {
            string rootLoc = Naming.Literal(info.Node.File + "#");
            w.Line();
            w.Line("/// <summary>Reads and validates a whole document in one pass, reporting every violation. Null only when the root is not an object or the JSON does not parse.</summary>");
            w.Open("public static " + name + "? Parse(global::System.ReadOnlySpan<byte> utf8Json, global::System.Collections.Generic.List<SchemaDiagnostic> diagnostics)");
            w.Line("var context = new " + Ctx + "(diagnostics);");
            w.Line("var reader = new " + Reader + "(utf8Json, new global::System.Text.Json.JsonReaderOptions { CommentHandling = global::System.Text.Json.JsonCommentHandling.Disallow, MaxDepth = 256 });");
            w.Open("try");
            w.Open("if (!reader.Read())");
            w.Line("diagnostics.Add(new SchemaDiagnostic(SchemaSeverity.Error, \"\", \"json\", \"the document is empty\", " + rootLoc + "));");
            w.Line("return null;");
            w.Close();
            w.Line(name + "? result = Read(ref reader, context);");
            w.Line("while (reader.Read()) { }");
            w.Line("return result;");
            w.Close();
            w.Open("catch (global::System.Text.Json.JsonException e)");
            w.Line(SJ + ".AddSyntaxError(diagnostics, e, " + rootLoc + ");");
            w.Line("return null;");
            w.Close();
            w.Open("catch (global::System.InvalidOperationException)");
            w.Line("diagnostics.Add(new SchemaDiagnostic(SchemaSeverity.Error, context.CurrentPointer, \"json\", \"the document is not valid UTF-8\", " + rootLoc + "));");
            w.Line("return null;");
            w.Close();
            w.Close();
            w.Line();
            w.Line("/// <summary>The document as UTF-8 JSON.</summary>");
            w.Open("public byte[] ToUtf8Json(bool indented = true)");
            w.Line("var buffer = new global::System.Buffers.ArrayBufferWriter<byte>();");
            w.Open("using (var writer = new " + Writer + "(buffer, new global::System.Text.Json.JsonWriterOptions { Indented = indented, Encoder = global::System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))");
            w.Line("WriteTo(writer);");
            w.Close();
            w.Line("return buffer.WrittenSpan.ToArray();");
            w.Close();
            w.Line();

            var rules = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            CollectMergeRules(info.Node, "", new HashSet<SchemaNode>(RefComparer.Instance), rules, seen);
            w.Line("/// <summary>How the configuration front-end merges each array of this document (from x-merge-key / x-merge).</summary>");
            w.Line("public static global::System.Collections.Generic.IReadOnlyList<MergeRule> MergeRules { get; } = new MergeRule[]");
            w.Line("{");
            w.Indent();
            foreach (string rule in rules) w.Line(rule + ",");
            w.Unindent();
            w.Line("};");
        }

        private void CollectMergeRules(SchemaNode node, string pointer, HashSet<SchemaNode> path, List<string> rules, HashSet<string> seen)
        {
            string? mergeKey = node.MergeKey, merge = node.Merge;
            SchemaNode current = node;
            for (int guard = 0; guard < 64 && current.Ref != null && !current.HasAssertions; guard++)
            {
                SchemaNode? t = Resolve(current);
                if (t == null) break;
                current = t;
                mergeKey ??= current.MergeKey;
                merge ??= current.Merge;
            }
            node = current;
            if (!path.Add(node)) return;
            if ((mergeKey != null || merge != null) && seen.Add(pointer))
            {
                string kind = mergeKey == "@name" ? "ByName" : mergeKey != null ? "ByKey" : merge == "set" ? "Set" : merge == "append" ? "Append" : "Replace";
                rules.Add("new MergeRule(" + Naming.Literal(pointer) + ", MergeKind." + kind + ", " + (mergeKey != null ? Naming.Literal(mergeKey) : "null") + ")");
            }
            foreach (NamedSchema p in node.Properties) CollectMergeRules(p.Schema, pointer + "/" + p.Name.Replace("~", "~0").Replace("/", "~1"), path, rules, seen);
            if (node.Items != null) CollectMergeRules(node.Items, pointer + "/*", path, rules, seen);
            if (node.AdditionalProperties != null) CollectMergeRules(node.AdditionalProperties, pointer + "/*", path, rules, seen);
            foreach (NamedSchema p in node.PatternProperties) CollectMergeRules(p.Schema, pointer + "/*", path, rules, seen);
            if (node.Ref != null && Resolve(node) is { } target) CollectMergeRules(target, pointer, path, rules, seen);
            foreach (SchemaNode s in node.AllOf) CollectMergeRules(s, pointer, path, rules, seen);
            foreach (SchemaNode s in node.AnyOf) CollectMergeRules(s, pointer, path, rules, seen);
            foreach (SchemaNode s in node.OneOf) CollectMergeRules(s, pointer, path, rules, seen);
            path.Remove(node);
        }

        private void WriteValue(IndentedWriter w, Shape shape, string expr, int depth)
        {
            string d = depth.ToString(CultureInfo.InvariantCulture);
            switch (shape.Kind)
            {
                case ShapeKind.Class:
                case ShapeKind.Element:
                    w.Line(expr + ".WriteTo(writer);");
                    break;
                case ShapeKind.Enum:
                    w.Line("writer.WriteStringValue(" + shape.Cs + "Extensions.ToWireName(" + expr + "));");
                    break;
                case ShapeKind.String:
                    w.Line("writer.WriteStringValue(" + expr + ");");
                    break;
                case ShapeKind.Bool:
                    w.Line("writer.WriteBooleanValue(" + expr + ");");
                    break;
                case ShapeKind.List:
                    w.Line("writer.WriteStartArray();");
                    w.Open("for (int i" + d + " = 0; i" + d + " < " + expr + ".Count; i" + d + "++)");
                    w.Line("var e" + d + " = " + expr + "[i" + d + "];");
                    WriteValue(w, shape.Elem!, "e" + d, depth + 1);
                    w.Close();
                    w.Line("writer.WriteEndArray();");
                    break;
                case ShapeKind.Dict:
                    w.Line("writer.WriteStartObject();");
                    w.Open("foreach (var kv" + d + " in " + expr + ")");
                    w.Line("writer.WritePropertyName(kv" + d + ".Key);");
                    WriteValue(w, shape.Elem!, "kv" + d + ".Value", depth + 1);
                    w.Close();
                    w.Line("writer.WriteEndObject();");
                    break;
                default:
                    w.Line("writer.WriteNumberValue(" + expr + ");");
                    break;
            }
        }

        // ------------------------------------------------------------------ readers

        private void EmitReaderMethod(IndentedWriter r, Info info, Shape shape)
        {
            info.Method ??= "R" + info.Id.ToString(CultureInfo.InvariantCulture);
            r.Line("/// <summary>Reads <c>" + Naming.Xml(info.Node.File + "#" + info.Node.Pointer) + "</c>.</summary>");
            r.Open("internal static " + shape.Cs + "? " + info.Method + "(ref " + Reader + " reader, " + Ctx + " context)");
            _tmp = 0;
            EmitBody(r, info.Node, shape, "reader");
            r.Close();
            r.Line();
        }

        /// <summary>Emits the statements that validate <paramref name="node"/> at <paramref name="rd"/> and return the model value.</summary>
        private void EmitBody(IndentedWriter w, SchemaNode node, Shape shape, string rd)
        {
            w.Line(shape.Cs + "? result = null;");
            if (node.Bool != null)
            {
                if (node.Bool == false)
                {
                    w.Line("if (context.Fail()) context.AddError(\"false\", \"no value is allowed here\", " + Loc(node, "") + ");");
                }
                w.Line("result = " + JE + ".ParseValue(ref " + rd + ");");
                w.Line("return result;");
                return;
            }
            Info info = InfoOf(node);
            Shape? own = OwnShape(node, info);
            if (own?.Kind == ShapeKind.Element) own = null; // a JsonElement is parsed whole after the checks
            // Where the model value comes from: the node's own keywords, one of its parts, or a JsonElement.
            SchemaNode? primary = null;
            bool primaryInTrial = false;
            if (own == null && shape.Kind != ShapeKind.Element)
            {
                var parts = new List<SchemaNode>();
                if (node.Ref != null && Resolve(node) is { } target) parts.Add(target);
                parts.AddRange(node.AllOf);
                foreach (SchemaNode p in parts)
                {
                    if (TryShape(p) is { } s && s.Cs == shape.Cs) { primary = p; break; }
                }
                if (primary == null)
                {
                    EquatableArray<SchemaNode> branches = !node.AnyOf.IsEmpty ? node.AnyOf : node.OneOf;
                    if (!branches.IsEmpty) { primary = branches[0]; primaryInTrial = true; }
                }
            }

            // $ref beside other keywords, and allOf: every part validates the same value.
            if (node.Ref != null && node.HasAssertions && Resolve(node) is { } refTarget && !ReferenceEquals(refTarget, primary))
            {
                string c = Tmp("c");
                w.Line("{ var " + c + " = " + rd + "; _ = " + ReadFn(refTarget) + "(ref " + c + ", context); }");
            }
            foreach (SchemaNode part in node.AllOf)
            {
                if (ReferenceEquals(part, primary)) continue;
                string c = Tmp("c");
                w.Line("{ var " + c + " = " + rd + "; _ = " + ReadFn(part) + "(ref " + c + ", context); }");
            }
            if (!node.AnyOf.IsEmpty) EmitAlternatives(w, node, node.AnyOf, "anyOf", rd);
            if (!node.OneOf.IsEmpty) EmitAlternatives(w, node, node.OneOf, "oneOf", rd);
            if (node.Not != null)
            {
                string mark = Tmp("m"), c = Tmp("c");
                w.Open();
                w.Line("int " + mark + " = context.BeginTrial();");
                w.Line("var " + c + " = " + rd + ";");
                w.Line("_ = " + ReadFn(node.Not) + "(ref " + c + ", context);");
                w.Line("bool matched = context.Passed(" + mark + ");");
                w.Line("context.EndTrial();");
                w.Line("if (matched && context.Fail()) context.AddError(\"not\", \"the value must not match the schema given under \\\"not\\\"\", " + Loc(node, "not") + ");");
                w.Close();
            }

            if (own != null)
            {
                EmitOwn(w, node, own, rd);
            }
            else
            {
                if (HasOwnKeywords(node))
                {
                    string c = Tmp("c");
                    w.Open();
                    w.Line("var " + c + " = " + rd + ";");
                    EmitOwn(w, node, null, c);
                    w.Close();
                }
                if (primary != null && !primaryInTrial)
                {
                    w.Line("result = " + ReadFn(primary) + "(ref " + rd + ", context);");
                }
                else if (primary != null)
                {
                    string mark = Tmp("m");
                    w.Line("int " + mark + " = context.BeginTrial();");
                    w.Line("result = " + ReadFn(primary) + "(ref " + rd + ", context);");
                    w.Line("context.Passed(" + mark + ");");
                    w.Line("context.EndTrial();");
                }
                else if (shape.Kind == ShapeKind.Element)
                {
                    w.Line("result = " + JE + ".ParseValue(ref " + rd + ");");
                }
                else
                {
                    w.Line(rd + ".Skip();");
                }
            }
            w.Line("return result;");
        }

        private static bool HasOwnKeywords(SchemaNode n) =>
            !n.Types.IsEmpty || !n.Properties.IsEmpty || !n.Required.IsEmpty || n.AdditionalProperties != null || !n.PatternProperties.IsEmpty ||
            n.Items != null || n.MinItems != null || n.MaxItems != null || n.UniqueItems || n.HasEnum || n.HasConst || n.Pattern != null ||
            n.MinLength != null || n.MaxLength != null || n.Minimum != null || n.Maximum != null || n.ExclusiveMinimum != null || n.ExclusiveMaximum != null;

        private void EmitAlternatives(IndentedWriter w, SchemaNode node, EquatableArray<SchemaNode> branches, string keyword, string rd)
        {
            string mark = Tmp("m"), count = Tmp("n");
            w.Open();
            w.Line("int " + mark + " = context.BeginTrial();");
            w.Line("int " + count + " = 0;");
            foreach (SchemaNode b in branches)
            {
                string c = Tmp("c");
                w.Open(keyword == "anyOf" ? "if (" + count + " == 0)" : "if (" + count + " < 2)");
                w.Line("var " + c + " = " + rd + ";");
                w.Line("_ = " + ReadFn(b) + "(ref " + c + ", context);");
                w.Line("if (context.Passed(" + mark + ")) " + count + "++;");
                w.Close();
            }
            w.Line("context.EndTrial();");
            // No alternative matched: say so, then report why each alternative failed (only when reporting).
            w.Open("if (" + count + " == 0 && context.IsReporting)");
            foreach (SchemaNode b in branches)
            {
                string c = Tmp("c");
                w.Line("{ var " + c + " = " + rd + "; _ = " + ReadFn(b) + "(ref " + c + ", context); }");
            }
            w.Close();
            if (keyword == "anyOf")
            {
                w.Line("if (" + count + " == 0 && context.Fail()) context.AddError(\"anyOf\", \"the value matches none of the " + branches.Count.ToString(CultureInfo.InvariantCulture) + " allowed alternatives\", " + Loc(node, "anyOf") + ");");
            }
            else
            {
                w.Line("if (" + count + " == 0 && context.Fail()) context.AddError(\"oneOf\", \"the value matches none of the " + branches.Count.ToString(CultureInfo.InvariantCulture) + " alternatives, but must match exactly one\", " + Loc(node, "oneOf") + ");");
                w.Line("if (" + count + " > 1 && context.Fail()) context.AddError(\"oneOf\", \"the value matches more than one alternative, but must match exactly one\", " + Loc(node, "oneOf") + ");");
            }
            w.Close();
        }

        private static string TypePhrase(EquatableArray<string> types)
        {
            var parts = new List<string>();
            foreach (string t in types)
            {
                parts.Add(t switch
                {
                    "object" => "an object",
                    "array" => "an array",
                    "string" => "a string",
                    "integer" => "an integer",
                    "number" => "a number",
                    "boolean" => "a boolean",
                    _ => "null",
                });
            }
            return string.Join(" or ", parts);
        }

        private string EnumList(SchemaNode node)
        {
            var parts = new List<string>();
            foreach (string json in node.Enum)
            {
                JNode v = JsonTextParser.Parse(json);
                parts.Add(v.Kind == JKind.String ? v.Text : json);
            }
            return string.Join(", ", parts);
        }

        /// <summary>Emits a check for enum/const values of a kind that cannot be compared on the reader's bytes (objects, arrays), or of a token kind with no literal.</summary>
        private void EmitGenericEnumConst(IndentedWriter w, SchemaNode node, string rd, Func<JNode, bool> relevant)
        {
            if (node.HasEnum)
            {
                var checks = new List<string>();
                foreach (string json in node.Enum)
                {
                    if (relevant(JsonTextParser.Parse(json))) checks.Add(LiteralTest(node, rd, json));
                }
                string cond = checks.Count == 0 ? "true" : "!(" + string.Join(" || ", checks) + ")";
                w.Line("if (" + cond + " && context.Fail()) context.AddError(\"enum\", " + SJ + ".Text(ref " + rd + ") + " + Naming.Literal(" is not one of: " + EnumList(node)) + ", " + Loc(node, "enum") + ");");
            }
            if (node.HasConst)
            {
                string cond = relevant(JsonTextParser.Parse(node.Const!)) ? "!(" + LiteralTest(node, rd, node.Const!) + ")" : "true";
                w.Line("if (" + cond + " && context.Fail()) context.AddError(\"const\", " + SJ + ".Text(ref " + rd + ") + " + Naming.Literal(" is not the required value " + node.Const) + ", " + Loc(node, "const") + ");");
            }
        }

        /// <summary>
        /// JSON equality of the current token with a literal. Strings, booleans and null compare on the reader's
        /// token; numbers, objects and arrays need a parsed literal (a static field, parsed when the class starts:
        /// keep those rare, they cost start-up time).
        /// </summary>
        private string LiteralTest(SchemaNode node, string rd, string json)
        {
            JNode v = JsonTextParser.Parse(json);
            switch (v.Kind)
            {
                case JKind.String:
                    return "(" + rd + ".TokenType == " + Tok + ".String && " + rd + ".ValueTextEquals(" + Naming.Literal(v.Text) + "u8))";
                case JKind.True:
                    return rd + ".TokenType == " + Tok + ".True";
                case JKind.False:
                    return rd + ".TokenType == " + Tok + ".False";
                case JKind.Null:
                    return rd + ".TokenType == " + Tok + ".Null";
                default:
                    return SJ + ".ValueEquals(" + rd + ", " + LiteralField(node, json) + ")";
            }
        }

        private static bool Allows(SchemaNode node, string type) =>
            node.Types.IsEmpty || node.Types.Contains(type) || (type == "integer" && node.Types.Contains("number"));

        /// <summary>The switch over the token type that checks the node's own keywords; builds the model when <paramref name="model"/> is set.</summary>
        private void EmitOwn(IndentedWriter w, SchemaNode node, Shape? model, string rd)
        {
            w.Open("switch (" + rd + ".TokenType)");
            bool objectAllowed = Allows(node, "object");
            bool arrayAllowed = Allows(node, "array");
            bool stringAllowed = Allows(node, "string");
            bool numberAllowed = Allows(node, "number") || Allows(node, "integer");
            bool boolAllowed = Allows(node, "boolean");
            bool nullAllowed = Allows(node, "null");

            if (objectAllowed && (model?.Kind == ShapeKind.Class || model?.Kind == ShapeKind.Dict || !node.Properties.IsEmpty || !node.Required.IsEmpty ||
                node.AdditionalProperties != null || !node.PatternProperties.IsEmpty || node.HasEnum || node.HasConst))
            {
                w.Line("case " + Tok + ".StartObject:");
                w.Open();
                EmitGenericEnumConst(w, node, rd, v => v.Kind == JKind.Object);
                EmitObject(w, node, model, rd);
                w.Line("break;");
                w.Close();
            }
            if (arrayAllowed && (model?.Kind == ShapeKind.List || node.Items != null || node.MinItems != null || node.MaxItems != null || node.UniqueItems || node.HasEnum || node.HasConst))
            {
                w.Line("case " + Tok + ".StartArray:");
                w.Open();
                EmitGenericEnumConst(w, node, rd, v => v.Kind == JKind.Array);
                EmitArray(w, node, model, rd);
                w.Line("break;");
                w.Close();
            }
            if (stringAllowed && (model?.Kind == ShapeKind.String || model?.Kind == ShapeKind.Enum || node.Pattern != null || node.MinLength != null || node.MaxLength != null || node.HasEnum || node.HasConst))
            {
                w.Line("case " + Tok + ".String:");
                w.Open();
                EmitString(w, node, model, rd);
                w.Line("break;");
                w.Close();
            }
            bool numericModel = model != null && (model.Kind == ShapeKind.Int || model.Kind == ShapeKind.UInt || model.Kind == ShapeKind.Long || model.Kind == ShapeKind.ULong || model.Kind == ShapeKind.Double);
            bool integerOnly = !node.Types.IsEmpty && node.Types.Contains("integer") && !node.Types.Contains("number");
            if (numberAllowed && (numericModel || integerOnly || node.Minimum != null || node.Maximum != null || node.ExclusiveMinimum != null || node.ExclusiveMaximum != null || node.HasEnum || node.HasConst))
            {
                w.Line("case " + Tok + ".Number:");
                w.Open();
                EmitNumber(w, node, numericModel ? model : null, integerOnly, rd);
                w.Line("break;");
                w.Close();
            }
            if (boolAllowed && (model?.Kind == ShapeKind.Bool || node.HasEnum || node.HasConst))
            {
                w.Line("case " + Tok + ".True:");
                w.Line("case " + Tok + ".False:");
                w.Open();
                EmitScalarLiteralChecks(w, node, rd, "True", "False");
                if (model?.Kind == ShapeKind.Bool) w.Line("result = " + rd + ".TokenType == " + Tok + ".True;");
                w.Line("break;");
                w.Close();
            }
            if (nullAllowed && (node.HasEnum || node.HasConst))
            {
                w.Line("case " + Tok + ".Null:");
                w.Open();
                EmitScalarLiteralChecks(w, node, rd, "Null", null);
                w.Line("break;");
                w.Close();
            }
            w.Line("default:");
            w.Open();
            var notAllowed = new List<string>();
            if (!objectAllowed) notAllowed.Add("StartObject");
            if (!arrayAllowed) notAllowed.Add("StartArray");
            if (!stringAllowed) notAllowed.Add("String");
            if (!numberAllowed) notAllowed.Add("Number");
            if (!boolAllowed) { notAllowed.Add("True"); notAllowed.Add("False"); }
            if (!nullAllowed) notAllowed.Add("Null");
            if (notAllowed.Count > 0)
            {
                // Only tokens the type forbids reach here with a type error; allowed ones without checks just pass.
                string cond = string.Join(" || ", notAllowed.Select(t => rd + ".TokenType == " + Tok + "." + t));
                w.Open("if (" + cond + ")");
                w.Line("context.TypeError(ref " + rd + ", " + Naming.Literal(TypePhrase(node.Types)) + ", " + Loc(node, "type") + ");");
                if (node.HasEnum || node.HasConst) EmitGenericEnumConst(w, node, rd, v => true);
                w.Close();
            }
            w.Line(rd + ".Skip();");
            w.Line("break;");
            w.Close();
            w.Close();
        }

        private void EmitScalarLiteralChecks(IndentedWriter w, SchemaNode node, string rd, string token1, string? token2)
        {
            Func<JNode, string?> test = v =>
                v.Kind == JKind.True ? rd + ".TokenType == " + Tok + ".True" :
                v.Kind == JKind.False ? rd + ".TokenType == " + Tok + ".False" :
                v.Kind == JKind.Null ? rd + ".TokenType == " + Tok + ".Null" : null;
            if (node.HasEnum)
            {
                var checks = new List<string>();
                foreach (string json in node.Enum) if (test(JsonTextParser.Parse(json)) is { } t) checks.Add(t);
                string cond = checks.Count == 0 ? "true" : "!(" + string.Join(" || ", checks) + ")";
                w.Line("if (" + cond + " && context.Fail()) context.AddError(\"enum\", " + SJ + ".Text(ref " + rd + ") + " + Naming.Literal(" is not one of: " + EnumList(node)) + ", " + Loc(node, "enum") + ");");
            }
            if (node.HasConst)
            {
                string cond = test(JsonTextParser.Parse(node.Const!)) is { } t ? "!(" + t + ")" : "true";
                w.Line("if (" + cond + " && context.Fail()) context.AddError(\"const\", " + SJ + ".Text(ref " + rd + ") + " + Naming.Literal(" is not the required value " + node.Const) + ", " + Loc(node, "const") + ");");
            }
        }

        private void EmitString(IndentedWriter w, SchemaNode node, Shape? model, string rd)
        {
            bool needText = model?.Kind == ShapeKind.String || node.Pattern != null || node.MinLength != null || node.MaxLength != null;
            string s = Tmp("s");
            if (needText) w.Line("string " + s + " = " + rd + ".GetString()!;");
            if (node.HasEnum)
            {
                var strings = new List<(string Json, string Text)>();
                foreach (string json in node.Enum)
                {
                    JNode v = JsonTextParser.Parse(json);
                    if (v.Kind == JKind.String) strings.Add((json, v.Text));
                }
                string error = "if (context.Fail()) context.AddError(\"enum\", " + SJ + ".Text(ref " + rd + ") + " + Naming.Literal(" is not one of: " + EnumList(node)) + ", " + Loc(node, "enum") + ");";
                if (strings.Count == 0)
                {
                    w.Line(error);
                }
                else
                {
                    // Match on the bytes: switch on the length, then compare.
                    string ev = Tmp("ev"), ei = Tmp("ei");
                    List<(string Wire, string Member)>? members = model?.Kind == ShapeKind.Enum ? EnumMembers(model.Type!) : null;
                    var wires = members != null ? members.Select(m => m.Wire).ToList() : strings.Select(x => x.Text).ToList();
                    w.Line("global::System.ReadOnlySpan<byte> " + ev + " = " + SJ + ".Name(ref " + rd + ");");
                    w.Line("int " + ei + " = -1;");
                    w.Open("switch (" + ev + ".Length)");
                    foreach (var group in wires.Select((wire, index) => (wire, index)).GroupBy(x => System.Text.Encoding.UTF8.GetByteCount(x.wire)).OrderBy(g => g.Key))
                    {
                        w.Line("case " + group.Key.ToString(CultureInfo.InvariantCulture) + ":");
                        w.Indent();
                        bool first = true;
                        foreach (var x in group)
                        {
                            w.Line((first ? "if" : "else if") + " (global::System.MemoryExtensions.SequenceEqual(" + ev + ", " + Naming.Literal(x.wire) + "u8)) " + ei + " = " + x.index.ToString(CultureInfo.InvariantCulture) + ";");
                            first = false;
                        }
                        w.Line("break;");
                        w.Unindent();
                    }
                    w.Close();
                    if (members != null)
                    {
                        w.Open("switch (" + ei + ")");
                        for (int i = 0; i < members.Count; i++) w.Line("case " + i.ToString(CultureInfo.InvariantCulture) + ": result = " + model!.Cs + "." + members[i].Member + "; break;");
                        w.Line("default: " + error + " break;");
                        w.Close();
                    }
                    else
                    {
                        w.Line("if (" + ei + " < 0) " + error);
                    }
                }
            }
            if (node.HasConst)
            {
                JNode c = JsonTextParser.Parse(node.Const!);
                string cond = c.Kind == JKind.String ? "!" + rd + ".ValueTextEquals(" + Naming.Literal(c.Text) + "u8)" : "true";
                w.Line("if (" + cond + " && context.Fail()) context.AddError(\"const\", " + SJ + ".Text(ref " + rd + ") + " + Naming.Literal(" is not the required value " + node.Const) + ", " + Loc(node, "const") + ");");
            }
            if (node.Pattern != null)
            {
                w.Line("if (!" + PatternTest(node, node.Pattern, s) + " && context.Fail()) context.AddError(\"pattern\", " + SJ + ".Quote(" + s + ") + " +
                    Naming.Literal(" does not match the pattern " + node.Pattern) + ", " + Loc(node, "pattern") + ");");
            }
            if (node.MinLength != null || node.MaxLength != null)
            {
                string len = Tmp("len");
                w.Line("int " + len + " = " + SJ + ".Length(" + s + ");");
                if (node.MinLength != null)
                    w.Line("if (" + len + " < " + node.MinLength + " && context.Fail()) context.AddError(\"minLength\", " + SJ + ".Quote(" + s + ") + \" is \" + " + len + ".ToString(global::System.Globalization.CultureInfo.InvariantCulture) + " +
                        Naming.Literal(" characters long, shorter than the minimum length " + node.MinLength) + ", " + Loc(node, "minLength") + ");");
                if (node.MaxLength != null)
                    w.Line("if (" + len + " > " + node.MaxLength + " && context.Fail()) context.AddError(\"maxLength\", " + SJ + ".Quote(" + s + ") + \" is \" + " + len + ".ToString(global::System.Globalization.CultureInfo.InvariantCulture) + " +
                        Naming.Literal(" characters long, longer than the maximum length " + node.MaxLength) + ", " + Loc(node, "maxLength") + ");");
            }
            if (model?.Kind == ShapeKind.String) w.Line("result = " + s + ";");
        }

        private List<(string Wire, string Member)> EnumMembers(Info info)
        {
            var members = new List<(string Wire, string Member)>();
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (string json in info.Node.Enum)
            {
                string wire = JsonTextParser.Parse(json).Text;
                string member = Naming.Pascal(wire);
                if (member == info.EnumName) member += "Value";
                string candidate = member;
                for (int i = 2; !used.Add(candidate); i++) candidate = member + i.ToString(CultureInfo.InvariantCulture);
                members.Add((wire, candidate));
            }
            return members;
        }

        private static bool TryIntegerBound(string? text, out bool negative, out ulong magnitude)
        {
            negative = false;
            magnitude = 0;
            if (text == null) return true;
            if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d) || decimal.Truncate(d) != d) return false;
            negative = d < 0;
            decimal m = Math.Abs(d);
            if (m > ulong.MaxValue) return false;
            magnitude = (ulong)m;
            if (magnitude == 0) negative = false;
            return true;
        }

        /// <summary>Integers with integer bounds: compare on the 64-bit value the reader gives (the common case), exact text comparison otherwise.</summary>
        private void EmitNumber(IndentedWriter w, SchemaNode node, Shape? model, bool integerOnly, string rd)
        {
            bool integralModel = model == null || model.Kind == ShapeKind.Int || model.Kind == ShapeKind.UInt || model.Kind == ShapeKind.Long || model.Kind == ShapeKind.ULong;
            if (integerOnly && integralModel && !node.HasEnum && !node.HasConst && node.ExclusiveMinimum == null && node.ExclusiveMaximum == null &&
                TryIntegerBound(node.Minimum, out bool minNeg, out ulong minMag) && TryIntegerBound(node.Maximum, out bool maxNeg, out ulong maxMag))
            {
                string neg = Tmp("neg"), mag = Tmp("mag");
                w.Open("if (" + SJ + ".TryGetExactInteger(ref " + rd + ", out bool " + neg + ", out ulong " + mag + "))");
                string M(ulong v) => v.ToString(CultureInfo.InvariantCulture) + "UL";
                if (node.Minimum != null)
                {
                    string fails = !minNeg ? (minMag == 0 ? neg : "(" + neg + " || " + mag + " < " + M(minMag) + ")") : "(" + neg + " && " + mag + " > " + M(minMag) + ")";
                    w.Line("if (" + fails + " && context.Fail()) context.AddError(\"minimum\", \"value \" + " + SJ + ".Text(ref " + rd + ") + " +
                        Naming.Literal(" is less than the minimum " + node.Minimum) + ", " + Loc(node, "minimum") + ");");
                }
                if (node.Maximum != null)
                {
                    string fails = !maxNeg ? "(!" + neg + " && " + mag + " > " + M(maxMag) + ")" : "(!" + neg + " || " + mag + " < " + M(maxMag) + ")";
                    w.Line("if (" + fails + " && context.Fail()) context.AddError(\"maximum\", \"value \" + " + SJ + ".Text(ref " + rd + ") + " +
                        Naming.Literal(" is greater than the maximum " + node.Maximum) + ", " + Loc(node, "maximum") + ");");
                }
                switch (model?.Kind)
                {
                    case ShapeKind.UInt:
                        w.Line("if (!" + neg + " && " + mag + " <= 4294967295UL) result = (uint)" + mag + ";");
                        break;
                    case ShapeKind.ULong:
                        w.Line("if (!" + neg + ") result = " + mag + ";");
                        break;
                    case ShapeKind.Int:
                        w.Line("if (" + mag + " <= (" + neg + " ? 2147483648UL : 2147483647UL)) result = " + neg + " ? unchecked((int)(0UL - " + mag + ")) : (int)" + mag + ";");
                        break;
                    case ShapeKind.Long:
                        w.Line("if (" + mag + " <= (" + neg + " ? 9223372036854775808UL : 9223372036854775807UL)) result = " + neg + " ? unchecked((long)(0UL - " + mag + ")) : (long)" + mag + ";");
                        break;
                }
                w.Close();
                w.Open("else");
                EmitNumberExact(w, node, model, integerOnly, rd);
                w.Close();
                return;
            }
            EmitNumberExact(w, node, model, integerOnly, rd);
        }

        private void EmitNumberExact(IndentedWriter w, SchemaNode node, Shape? model, bool integerOnly, string rd)
        {
            bool needRaw = integerOnly || node.Minimum != null || node.Maximum != null || node.ExclusiveMinimum != null || node.ExclusiveMaximum != null || node.HasEnum || node.HasConst;
            string raw = Tmp("raw");
            if (needRaw) w.Line("global::System.ReadOnlySpan<byte> " + raw + " = " + SJ + ".Raw(ref " + rd + ");");
            if (integerOnly)
            {
                w.Line("if (!" + SJ + ".IsInteger(" + raw + ")) context.TypeError(ref " + rd + ", " + Naming.Literal(TypePhrase(node.Types)) + ", " + Loc(node, "type") + ");");
            }
            void BoundCheck(string? value, string op, string keyword, string phrase)
            {
                if (value == null) return;
                w.Line("if (" + SJ + ".Compare(" + raw + ", " + Naming.Literal(value) + "u8) " + op + " && context.Fail()) context.AddError(\"" + keyword + "\", \"value \" + " + SJ + ".Text(ref " + rd + ") + " +
                    Naming.Literal(" " + phrase + " " + value) + ", " + Loc(node, keyword) + ");");
            }
            BoundCheck(node.Minimum, "< 0", "minimum", "is less than the minimum");
            BoundCheck(node.Maximum, "> 0", "maximum", "is greater than the maximum");
            BoundCheck(node.ExclusiveMinimum, "<= 0", "exclusiveMinimum", "is not greater than the exclusive minimum");
            BoundCheck(node.ExclusiveMaximum, ">= 0", "exclusiveMaximum", "is not less than the exclusive maximum");
            if (node.HasEnum)
            {
                var checks = new List<string>();
                foreach (string json in node.Enum)
                {
                    JNode v = JsonTextParser.Parse(json);
                    if (v.Kind == JKind.Number) checks.Add(SJ + ".Compare(" + raw + ", " + Naming.Literal(v.Text) + "u8) == 0");
                }
                string cond = checks.Count == 0 ? "true" : "!(" + string.Join(" || ", checks) + ")";
                w.Line("if (" + cond + " && context.Fail()) context.AddError(\"enum\", " + SJ + ".Text(ref " + rd + ") + " + Naming.Literal(" is not one of: " + EnumList(node)) + ", " + Loc(node, "enum") + ");");
            }
            if (node.HasConst)
            {
                JNode c = JsonTextParser.Parse(node.Const!);
                string cond = c.Kind == JKind.Number ? SJ + ".Compare(" + raw + ", " + Naming.Literal(c.Text) + "u8) != 0" : "true";
                w.Line("if (" + cond + " && context.Fail()) context.AddError(\"const\", " + SJ + ".Text(ref " + rd + ") + " + Naming.Literal(" is not the required value " + node.Const) + ", " + Loc(node, "const") + ");");
            }
            if (model != null)
            {
                string fn = model.Kind switch
                {
                    ShapeKind.Int => "TryGetInt32",
                    ShapeKind.UInt => "TryGetUInt32",
                    ShapeKind.ULong => "TryGetUInt64",
                    ShapeKind.Double => "TryGetDouble",
                    _ => "TryGetInt64",
                };
                string v = Tmp("n");
                w.Line("if (" + SJ + "." + fn + "(ref " + rd + ", out " + model.Cs + " " + v + ")) result = " + v + ";");
            }
        }

        private void EmitArray(IndentedWriter w, SchemaNode node, Shape? model, string rd)
        {
            bool list = model?.Kind == ShapeKind.List;
            string items = Tmp("items"), count = Tmp("count"), seen = Tmp("seen");
            if (list) w.Line("var " + items + " = SchemaListBuilder<" + model!.Elem!.Cs + ">.Create();");
            if (node.UniqueItems) w.Line("var " + seen + " = new global::System.Collections.Generic.List<" + JE + ">();");
            w.Line("int " + count + " = 0;");
            w.Open("while (" + rd + ".Read() && " + rd + ".TokenType != " + Tok + ".EndArray)");
            w.Line("context.Push(" + count + ");");
            if (node.UniqueItems)
            {
                string c = Tmp("c");
                w.Line("{ var " + c + " = " + rd + "; " + seen + ".Add(" + JE + ".ParseValue(ref " + c + ")); }");
            }
            if (node.Items != null)
            {
                if (list)
                {
                    string item = Tmp("item");
                    w.Line("if (" + ReadFn(node.Items) + "(ref " + rd + ", context) is { } " + item + ") " + items + ".Add(" + item + ");");
                }
                else
                {
                    w.Line("_ = " + ReadFn(node.Items) + "(ref " + rd + ", context);");
                }
            }
            else if (list)
            {
                w.Line(items + ".Add(" + JE + ".ParseValue(ref " + rd + "));");
            }
            else
            {
                w.Line(rd + ".Skip();");
            }
            w.Line("context.Pop();");
            w.Line(count + "++;");
            w.Close();
            if (node.MinItems != null)
                w.Line("if (" + count + " < " + node.MinItems + " && context.Fail()) context.AddError(\"minItems\", \"the array has \" + " + count + ".ToString(global::System.Globalization.CultureInfo.InvariantCulture) + " +
                    Naming.Literal(" items, fewer than the minimum " + node.MinItems) + ", " + Loc(node, "minItems") + ");");
            if (node.MaxItems != null)
                w.Line("if (" + count + " > " + node.MaxItems + " && context.Fail()) context.AddError(\"maxItems\", \"the array has \" + " + count + ".ToString(global::System.Globalization.CultureInfo.InvariantCulture) + " +
                    Naming.Literal(" items, more than the maximum " + node.MaxItems) + ", " + Loc(node, "maxItems") + ");");
            if (node.UniqueItems)
            {
                w.Open("for (int i = 0; i < " + seen + ".Count; i++)");
                w.Open("for (int j = i + 1; j < " + seen + ".Count; j++)");
                w.Open("if (" + JE + ".DeepEquals(" + seen + "[i], " + seen + "[j]))");
                w.Line("if (context.Fail()) context.AddError(\"uniqueItems\", \"items \" + i.ToString(global::System.Globalization.CultureInfo.InvariantCulture) + \" and \" + j.ToString(global::System.Globalization.CultureInfo.InvariantCulture) + \" are equal, but the items must be unique\", " + Loc(node, "uniqueItems") + ");");
                w.Line("i = " + seen + ".Count;");
                w.Line("break;");
                w.Close();
                w.Close();
                w.Close();
            }
            if (list) w.Line("result = " + items + ".ToArray();");
        }

        private string MatchFn(SchemaNode node)
        {
            Info info = InfoOf(node);
            return "global::" + info.Namespace + "." + ReadersClass + ".M" + info.Id.ToString(CultureInfo.InvariantCulture);
        }

        private readonly HashSet<SchemaNode> _matchEmitted = new HashSet<SchemaNode>(RefComparer.Instance);
        private readonly List<(SchemaNode Node, string Text)> _pendingMatchers = new List<(SchemaNode, string)>();

        private void EmitObject(IndentedWriter w, SchemaNode node, Shape? model, string rd)
        {
            bool isClass = model?.Kind == ShapeKind.Class;
            bool isDict = model?.Kind == ShapeKind.Dict;
            List<Member> members = isClass ? MembersOf(node, model!.Type!.ClassName!) : MembersOf(node, "");
            bool hasProps = members.Count > 0;
            var requiredOther = node.Required.Where(r => !node.Properties.Any(p => p.Name == r)).ToList();
            bool nameAlways = !node.PatternProperties.IsEmpty || requiredOther.Count > 0;
            string unknown = Tmp("unknown"), map = Tmp("map"), member = Tmp("member"), name = Tmp("name");
            if (isClass)
            {
                foreach (Member m in members) w.Line(m.Shape.Cs + "? p" + m.Index.ToString(CultureInfo.InvariantCulture) + " = null;");
                w.Line("global::System.Collections.Generic.List<global::System.Collections.Generic.KeyValuePair<string, " + JE + ">>? " + unknown + " = null;");
            }
            foreach (Member m in members) if (m.Required) w.Line("bool s" + m.Index.ToString(CultureInfo.InvariantCulture) + " = false;");
            for (int i = 0; i < requiredOther.Count; i++) w.Line("bool q" + i.ToString(CultureInfo.InvariantCulture) + " = false;");
            if (isDict) w.Line("var " + map + " = new global::System.Collections.Generic.Dictionary<string, " + model!.Elem!.Cs + ">();");
            string seenCount = Tmp("seenCount"), positions = Tmp("positions");
            if (isClass)
            {
                w.Line("int " + seenCount + " = 0;");
                w.Line("global::System.Collections.Generic.List<int>? " + positions + " = null;");
            }
            w.Open("while (" + rd + ".Read() && " + rd + ".TokenType == " + Tok + ".PropertyName)");
            if (hasProps)
            {
                EnsureMatcher(node, members);
                w.Line("int " + member + " = " + MatchFn(node) + "(ref " + rd + ");");
                w.Line("string? " + name + " = " + (nameAlways ? "" : member + " < 0 ? ") + rd + ".GetString()" + (nameAlways ? ";" : " : null;"));
            }
            else
            {
                w.Line("string? " + name + " = " + rd + ".GetString();");
            }
            w.Line(rd + ".Read();");
            w.Line("context.Push(" + name + " ?? " + (hasProps ? "global::" + InfoOf(node).Namespace + "." + ReadersClass + ".s_knownMembersOf" + InfoOf(node).Id.ToString(CultureInfo.InvariantCulture) + "[" + member + "]" : "\"\"") + ");");
            for (int i = 0; i < requiredOther.Count; i++) w.Line("if (" + name + " == " + Naming.Literal(requiredOther[i]) + ") q" + i.ToString(CultureInfo.InvariantCulture) + " = true;");
            string matched = Tmp("matched");
            if (!node.PatternProperties.IsEmpty)
            {
                w.Line("bool " + matched + " = false;");
                foreach (NamedSchema pp in node.PatternProperties)
                {
                    string c = Tmp("c");
                    w.Open("if (" + PatternTest(node, pp.Name, name + "!") + ")");
                    w.Line(matched + " = true;");
                    w.Line("var " + c + " = " + rd + ";");
                    w.Line("_ = " + ReadFn(pp.Schema) + "(ref " + c + ", context);");
                    w.Close();
                }
            }
            if (hasProps)
            {
                w.Open("switch (" + member + ")");
                foreach (Member m in members)
                {
                    string idx = m.Index.ToString(CultureInfo.InvariantCulture);
                    w.Line("case " + idx + ":");
                    w.Indent();
                    if (isClass) w.Line("p" + idx + " = " + ReadFn(m.Schema) + "(ref " + rd + ", context);");
                    else w.Line("_ = " + ReadFn(m.Schema) + "(ref " + rd + ", context);");
                    if (m.Required) w.Line("s" + idx + " = true;");
                    w.Line("break;");
                    w.Unindent();
                }
                w.Line("default:");
                w.Indent();
                w.Open();
            }
            else
            {
                w.Open();
            }
            // A member not in properties.
            string notMatched = node.PatternProperties.IsEmpty ? "true" : "!" + matched;
            if (node.AdditionalProperties != null)
            {
                if (node.AdditionalProperties.Bool == false)
                {
                    w.Line("if (" + notMatched + " && context.Fail()) context.AddError(\"additionalProperties\", \"member \" + " + SJ + ".Quote(" + name + "!) + \" is not allowed here\", " + Loc(node, "additionalProperties") + ");");
                }
                else if (isDict && node.PatternProperties.IsEmpty)
                {
                    string v = Tmp("v");
                    w.Line("if (" + ReadFn(node.AdditionalProperties) + "(ref " + rd + ", context) is { } " + v + ") " + map + "[" + name + "!] = " + v + ";");
                }
                else
                {
                    string c = Tmp("c");
                    w.Open("if (" + notMatched + ")");
                    w.Line("var " + c + " = " + rd + ";");
                    w.Line("_ = " + ReadFn(node.AdditionalProperties) + "(ref " + c + ", context);");
                    w.Close();
                }
            }
            else if (isClass)
            {
                w.Line((node.PatternProperties.IsEmpty ? "" : "if (" + notMatched + ") ") + "context.UnknownMember(" + name + "!, s_knownMembers, " + Loc(node, "properties") + ");");
            }
            if (isClass)
            {
                w.Line("(" + positions + " ??= new()).Add(" + seenCount + ");");
                w.Line("(" + unknown + " ??= new()).Add(new global::System.Collections.Generic.KeyValuePair<string, " + JE + ">(" + name + "!, " + JE + ".ParseValue(ref " + rd + ")));");
            }
            else if (isDict && !(node.AdditionalProperties != null && node.AdditionalProperties.Bool != false && node.PatternProperties.IsEmpty))
            {
                // Map values come from pattern/additional schemas that were validated above; read the model silently.
                var sources = new List<SchemaNode>();
                foreach (NamedSchema pp in node.PatternProperties) sources.Add(pp.Schema);
                if (node.AdditionalProperties != null && node.AdditionalProperties.Bool != false) sources.Add(node.AdditionalProperties);
                string mark = Tmp("m"), v = Tmp("v");
                w.Line("int " + mark + " = context.BeginTrial();");
                w.Line("if (" + ReadFn(sources[0]) + "(ref " + rd + ", context) is { } " + v + ") " + map + "[" + name + "!] = " + v + ";");
                w.Line("context.Passed(" + mark + ");");
                w.Line("context.EndTrial();");
            }
            else if (!(isDict && node.AdditionalProperties != null && node.AdditionalProperties.Bool != false))
            {
                w.Line(rd + ".Skip();");
            }
            w.Close();
            if (hasProps)
            {
                w.Line("break;");
                w.Unindent();
                w.Close();
            }
            w.Line("context.Pop();");
            if (isClass) w.Line(seenCount + "++;");
            w.Close();
            foreach (Member m in members)
            {
                if (!m.Required) continue;
                w.Line("if (!s" + m.Index.ToString(CultureInfo.InvariantCulture) + " && context.Fail()) context.AddError(\"required\", " + Naming.Literal("missing required member " + Naming.Literal(m.Json)) + ", " + Loc(node, "required") + ");");
            }
            for (int i = 0; i < requiredOther.Count; i++)
            {
                w.Line("if (!q" + i.ToString(CultureInfo.InvariantCulture) + " && context.Fail()) context.AddError(\"required\", " + Naming.Literal("missing required member " + Naming.Literal(requiredOther[i])) + ", " + Loc(node, "required") + ");");
            }
            if (isClass)
            {
                var inits = new List<string>();
                foreach (Member m in members)
                {
                    string p = "p" + m.Index.ToString(CultureInfo.InvariantCulture);
                    inits.Add(m.Cs + " = " + (m.Required ? (m.Shape.IsValueType ? p + ".GetValueOrDefault()" : p + "!") : p));
                }
                inits.Add("UnknownMembers = " + unknown);
                inits.Add("_unknownPositions = " + positions + "?.ToArray()");
                w.Line("result = new " + model!.Cs + " { " + string.Join(", ", inits) + " };");
            }
            if (isDict) w.Line("result = " + map + ";");
        }

        private void EnsureMatcher(SchemaNode node, List<Member> members)
        {
            if (!_matchEmitted.Add(node)) return;
            Info info = InfoOf(node);
            string id = info.Id.ToString(CultureInfo.InvariantCulture);
            var w = new IndentedWriter();
            w.Indent();
            w.Indent();
            w.Line("internal static readonly string[] s_knownMembersOf" + id + " = { " + string.Join(", ", members.Select(m => Naming.Literal(m.Json))) + " };");
            w.Line();
            w.Line("/// <summary>Index of the current property name in <c>" + Naming.Xml(node.File + "#" + node.Pointer) + "/properties</c>, or -1.</summary>");
            w.Open("internal static int M" + id + "(ref " + Reader + " reader)");
            w.Line("global::System.ReadOnlySpan<byte> name = " + SJ + ".Name(ref reader);");
            w.Open("switch (name.Length)");
            foreach (var group in members.GroupBy(m => System.Text.Encoding.UTF8.GetByteCount(m.Json)).OrderBy(g => g.Key))
            {
                w.Line("case " + group.Key.ToString(CultureInfo.InvariantCulture) + ":");
                w.Indent();
                foreach (Member m in group)
                {
                    w.Line("if (global::System.MemoryExtensions.SequenceEqual(name, " + Naming.Literal(m.Json) + "u8)) return " + m.Index.ToString(CultureInfo.InvariantCulture) + ";");
                }
                w.Line("break;");
                w.Unindent();
            }
            w.Close();
            w.Line("return -1;");
            w.Close();
            w.Line();
            StaticDecls(info.Namespace).Add(w.ToString().Trim('\n').TrimStart(' '));
        }
    }
}
