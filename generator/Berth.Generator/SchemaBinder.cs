using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;

namespace Berth.Generator
{
    /// <summary>
    /// <see cref="SchemaSet"/> → <see cref="BoundSchemaSet"/>: resolves every <c>$ref</c> (BERTHGEN002), names the classes
    /// and enums, gives each schema its C# shape, and decides what each reader checks and which schemas need a reader.
    /// Carries the parser's diagnostics on, so every diagnostic of the set leaves this stage as data.
    /// </summary>
    internal sealed class SchemaBinder
    {
        /// <summary>The class of each namespace that holds the readers of schemas without a class of their own.</summary>
        public const string ReadersClass = "BerthSchemaReaders";

        private const string JE = "global::System.Text.Json.JsonElement";

        /// <summary>What the binder knows about one schema node while it works.</summary>
        private sealed class Info
        {
            public SchemaNode Node = null!;
            public int Id;
            public string Namespace = "";
            public string? ClassName;
            public string? EnumName;
            public bool IsRoot;
            public BoundShape? Shape;
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

        // Schemas the output declares, in output order: the named classes and enums, then every schema a reader reads.
        private readonly List<Info> _queue = new List<Info>();

        private SchemaBinder(SchemaSet set, CancellationToken ct)
        {
            _set = set;
            _ct = ct;
        }

        public static BoundSchemaSet Bind(SchemaSet set, CancellationToken ct)
        {
            var binder = new SchemaBinder(set, ct);
            List<BoundSchema> schemas = binder.Run();
            return new BoundSchemaSet(new EquatableArray<BoundSchema>(schemas.ToArray()), new EquatableArray<DiagnosticInfo>(binder._diagnostics.ToArray()));
        }

        private List<BoundSchema> Run()
        {
            var bound = new List<BoundSchema>();
            foreach (SchemaFile file in _set.Files)
            {
                _diagnostics.AddRange(file.Diagnostics);
                if (file.Root is null) continue;
                _files[file.FileName] = file;
                var map = new Dictionary<string, SchemaNode>(StringComparer.Ordinal);
                _pointers[file.FileName] = map;
                Index(file.Root, file, map);
            }
            if (_files.Count == 0) return bound;

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

            // Binding a schema queues the schemas its reader reads.
            for (int i = 0; i < _queue.Count; i++)
            {
                _ct.ThrowIfCancellationRequested();
                bound.Add(BindQueued(_queue[i]));
            }
            return bound;
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

        // ------------------------------------------------------------------ names

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

        private static EquatableArray<BoundEnumMember> EnumMembers(SchemaNode node, string? enumName)
        {
            var members = new List<BoundEnumMember>();
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (string json in node.Enum)
            {
                string wire = JsonTextParser.Parse(json).Text;
                string member = Naming.Pascal(wire);
                if (member == enumName) member += "Value";
                string candidate = member;
                for (int i = 2; !used.Add(candidate); i++) candidate = member + i.ToString(CultureInfo.InvariantCulture);
                members.Add(new BoundEnumMember(wire, candidate));
            }
            return new EquatableArray<BoundEnumMember>(members.ToArray());
        }

        // ------------------------------------------------------------------ references

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
                _diagnostics.Add(new DiagnosticInfo(DiagnosticIds.BrokenRef, "$ref \"" + reference + "\" does not resolve to a schema", path, node.RefLocation));
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

        private void Enqueue(Info info)
        {
            if (info.Queued) return;
            info.Queued = true;
            _queue.Add(info);
        }

        /// <summary>The method that reads (and validates) a schema: <c>T? M(ref Utf8JsonReader, SchemaReadContext)</c>; queues the schema.</summary>
        private string ReadFn(SchemaNode node)
        {
            node = Deref(node);
            Info info = InfoOf(node);
            BoundShape shape = ShapeOf(node);
            Enqueue(info);
            if (shape.Kind == ShapeKind.Class && shape.TypeId == info.Id) return shape.Cs + ".Read";
            info.Method ??= "R" + info.Id.ToString(CultureInfo.InvariantCulture);
            return "global::" + info.Namespace + "." + ReadersClass + "." + info.Method;
        }

        // ------------------------------------------------------------------ shapes

        private BoundShape ShapeOf(SchemaNode node) => TryShape(node) ?? ElementShape();

        private static BoundShape ElementShape() => Shape(ShapeKind.Element, JE);

        private static BoundShape Shape(ShapeKind kind, string cs) => new BoundShape(kind, cs, null, -1);

        /// <summary>The C# shape of a schema, or null when it constrains no type at all.</summary>
        private BoundShape? TryShape(SchemaNode node)
        {
            node = Deref(node);
            Info info = InfoOf(node);
            if (info.ShapeDone) return info.Shape;
            if (info.Visiting) return ElementShape();
            info.Visiting = true;
            BoundShape? shape = ComputeShape(node, info);
            info.Visiting = false;
            info.Shape = shape;
            info.ShapeDone = true;
            return shape;
        }

        private BoundShape? ComputeShape(SchemaNode node, Info info)
        {
            if (node.Bool != null) return node.Bool == true ? null : ElementShape();
            BoundShape? own = OwnShape(node, info);
            if (own != null) return own;
            var parts = new List<SchemaNode>();
            if (node.Ref != null && Resolve(node) is { } target) parts.Add(target);
            parts.AddRange(node.AllOf);
            BoundShape? common = null;
            bool conflict = false;
            foreach (SchemaNode part in parts)
            {
                BoundShape? s = TryShape(part);
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
                    BoundShape? s = TryShape(b);
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
        private BoundShape? OwnShape(SchemaNode node, Info info)
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
                        return new BoundShape(ShapeKind.Class, "global::" + info.Namespace + "." + info.ClassName, null, info.Id);
                    if (!node.Properties.IsEmpty) return ElementShape();
                    var values = new List<SchemaNode>();
                    foreach (NamedSchema p in node.PatternProperties) values.Add(p.Schema);
                    if (node.AdditionalProperties != null && node.AdditionalProperties.Bool != false) values.Add(node.AdditionalProperties);
                    if (values.Count == 0) return ElementShape();
                    BoundShape? value = null;
                    foreach (SchemaNode v in values)
                    {
                        BoundShape s = ShapeOf(v);
                        if (value == null) value = s;
                        else if (value.Cs != s.Cs) value = ElementShape();
                    }
                    return new BoundShape(ShapeKind.Dict, "global::System.Collections.Generic.IReadOnlyDictionary<string, " + value!.Cs + ">", value, -1);
                case "array":
                    BoundShape item = node.Items != null ? ShapeOf(node.Items) : ElementShape();
                    return new BoundShape(ShapeKind.List, "global::System.Collections.Generic.IReadOnlyList<" + item.Cs + ">", item, -1);
                case "string":
                    if (info.EnumName != null) return new BoundShape(ShapeKind.Enum, "global::" + info.Namespace + "." + info.EnumName, null, info.Id);
                    return Shape(ShapeKind.String, "string");
                case "boolean":
                    return Shape(ShapeKind.Bool, "bool");
                case "number":
                    return Shape(ShapeKind.Double, "double");
                case "integer":
                    return IntegerShape(node);
                default:
                    return ElementShape();
            }
        }

        private static BoundShape IntegerShape(SchemaNode node)
        {
            decimal? min = Bound(node.Minimum, node.ExclusiveMinimum, true);
            decimal? max = Bound(node.Maximum, node.ExclusiveMaximum, false);
            if (min is decimal lo && lo >= 0 && max is decimal hi)
            {
                if (hi <= uint.MaxValue) return Shape(ShapeKind.UInt, "uint");
                if (hi <= ulong.MaxValue) return Shape(ShapeKind.ULong, "ulong");
            }
            if (min is decimal lo2 && max is decimal hi2 && lo2 >= int.MinValue && hi2 <= int.MaxValue) return Shape(ShapeKind.Int, "int");
            return Shape(ShapeKind.Long, "long");
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

        // ------------------------------------------------------------------ binding a queued schema
        // The steps below run in the order the readers use the schemas they reach, so that shapes of recursive schemas
        // and the output order stay as they are.

        private BoundSchema BindQueued(Info info)
        {
            SchemaNode node = info.Node;
            BoundShape shape = ShapeOf(node);
            var result = new BoundSchema { Id = info.Id, Namespace = info.Namespace, File = node.File, Pointer = node.Pointer, Shape = shape };
            if (info.EnumName != null && shape.Kind == ShapeKind.Enum)
            {
                info.Method ??= "R" + info.Id.ToString(CultureInfo.InvariantCulture);
                result = result with
                {
                    Kind = BoundKind.Enum,
                    TypeName = info.EnumName,
                    Summary = node.Description,
                    MethodName = info.Method,
                    EnumMembers = EnumMembers(node, info.EnumName),
                };
                return BindBody(result, node, info, shape);
            }
            if (info.ClassName != null && shape.Kind == ShapeKind.Class)
            {
                result = result with
                {
                    Kind = BoundKind.Class,
                    TypeName = info.ClassName,
                    IsRoot = info.IsRoot,
                    Summary = node.Description ?? (info.IsRoot ? node.Title : null),
                    Members = MembersOf(node, info.ClassName, withDescriptions: true),
                };
                result = BindBody(result, node, info, shape);
                if (info.IsRoot) result = result with { MergeRules = MergeRulesOf(node) };
                return result;
            }
            info.Method ??= "R" + info.Id.ToString(CultureInfo.InvariantCulture);
            return BindBody(result with { Kind = BoundKind.Reader, MethodName = info.Method }, node, info, shape);
        }

        private EquatableArray<BoundMember> MembersOf(SchemaNode node, string className, bool withDescriptions)
        {
            var members = new List<BoundMember>();
            var used = new HashSet<string>(StringComparer.Ordinal) { className, "Read", "WriteTo", "Parse", "ToUtf8Json", "MergeRules", "UnknownMembers", "KnownMembers" };
            for (int i = 0; i < node.Properties.Count; i++)
            {
                NamedSchema p = node.Properties[i];
                string cs = Naming.Pascal(p.Name);
                string candidate = cs;
                if (used.Contains(candidate)) candidate = cs + "Value";
                for (int k = 2; !used.Add(candidate); k++) candidate = cs + k.ToString(CultureInfo.InvariantCulture);
                BoundShape shape = ShapeOf(p.Schema);
                string? description = withDescriptions ? p.Schema.Description ?? Deref(p.Schema).Description : null;
                members.Add(new BoundMember(p.Name, candidate, null, shape, node.Required.Contains(p.Name), i, description));
            }
            return new EquatableArray<BoundMember>(members.ToArray());
        }

        /// <summary>What the reader of <paramref name="node"/> checks and where its value comes from.</summary>
        private BoundSchema BindBody(BoundSchema result, SchemaNode node, Info info, BoundShape shape)
        {
            if (node.Bool != null) return result with { Bool = node.Bool };
            BoundShape? own = OwnShape(node, info);
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
                result = result with { RefCheck = ReadFn(refTarget) };
            }
            var allOf = new List<string>();
            foreach (SchemaNode part in node.AllOf)
            {
                if (!ReferenceEquals(part, primary)) allOf.Add(ReadFn(part));
            }
            result = result with
            {
                AllOfChecks = new EquatableArray<string>(allOf.ToArray()),
                AnyOf = ReadFns(node.AnyOf),
                OneOf = ReadFns(node.OneOf),
            };
            if (node.Not != null) result = result with { Not = ReadFn(node.Not) };

            if (own != null) return BindOwnKeywords(result with { OwnModel = own }, node, own);
            if (HasOwnKeywords(node)) result = BindOwnKeywords(result with { ChecksOwnKeywords = true }, node, null);
            if (primary != null) result = result with { Primary = ReadFn(primary), PrimaryInTrial = primaryInTrial };
            return result;
        }

        private EquatableArray<string> ReadFns(EquatableArray<SchemaNode> nodes)
        {
            var list = new List<string>();
            foreach (SchemaNode n in nodes) list.Add(ReadFn(n));
            return new EquatableArray<string>(list.ToArray());
        }

        private static bool HasOwnKeywords(SchemaNode n) =>
            !n.Types.IsEmpty || !n.Properties.IsEmpty || !n.Required.IsEmpty || n.AdditionalProperties != null || !n.PatternProperties.IsEmpty ||
            n.Items != null || n.MinItems != null || n.MaxItems != null || n.UniqueItems || n.HasEnum || n.HasConst || n.Pattern != null ||
            n.MinLength != null || n.MaxLength != null || n.Minimum != null || n.Maximum != null || n.ExclusiveMinimum != null || n.ExclusiveMaximum != null;

        private static bool Allows(SchemaNode node, string type) =>
            node.Types.IsEmpty || node.Types.Contains(type) || (type == "integer" && node.Types.Contains("number"));

        /// <summary>The token kinds the reader switches on for the node's own keywords; <paramref name="model"/> is the value they build, if any.</summary>
        private BoundSchema BindOwnKeywords(BoundSchema result, SchemaNode node, BoundShape? model)
        {
            bool objectAllowed = Allows(node, "object");
            bool arrayAllowed = Allows(node, "array");
            bool stringAllowed = Allows(node, "string");
            bool numberAllowed = Allows(node, "number") || Allows(node, "integer");
            bool boolAllowed = Allows(node, "boolean");
            bool nullAllowed = Allows(node, "null");
            var enumValues = new List<BoundLiteral>();
            foreach (string json in node.Enum) enumValues.Add(Literal(json));
            result = result with
            {
                Types = node.Types,
                HasEnum = node.HasEnum,
                Enum = new EquatableArray<BoundLiteral>(enumValues.ToArray()),
                Const = node.HasConst ? Literal(node.Const!) : null,
                MinItems = node.MinItems,
                MaxItems = node.MaxItems,
                UniqueItems = node.UniqueItems,
                MinLength = node.MinLength,
                MaxLength = node.MaxLength,
                Minimum = node.Minimum,
                Maximum = node.Maximum,
                ExclusiveMinimum = node.ExclusiveMinimum,
                ExclusiveMaximum = node.ExclusiveMaximum,
            };

            if (objectAllowed && (model?.Kind == ShapeKind.Class || model?.Kind == ShapeKind.Dict || !node.Properties.IsEmpty || !node.Required.IsEmpty ||
                node.AdditionalProperties != null || !node.PatternProperties.IsEmpty || node.HasEnum || node.HasConst))
            {
                result = BindObject(result with { ObjectCase = true }, node, model);
            }
            if (arrayAllowed && (model?.Kind == ShapeKind.List || node.Items != null || node.MinItems != null || node.MaxItems != null || node.UniqueItems || node.HasEnum || node.HasConst))
            {
                result = result with { ArrayCase = true };
                if (node.Items != null) result = result with { Items = ReadFn(node.Items) };
            }
            if (stringAllowed && (model?.Kind == ShapeKind.String || model?.Kind == ShapeKind.Enum || node.Pattern != null || node.MinLength != null || node.MaxLength != null || node.HasEnum || node.HasConst))
            {
                result = result with { StringCase = true };
                if (node.Pattern != null) result = result with { Pattern = Pattern(node.Pattern) };
                if (model?.Kind == ShapeKind.Enum && result.EnumMembers.IsEmpty) result = result with { EnumMembers = EnumMembers(node, InfoOf(node).EnumName) };
            }
            bool numericModel = model != null && model.IsNumber;
            bool integerOnly = !node.Types.IsEmpty && node.Types.Contains("integer") && !node.Types.Contains("number");
            if (numberAllowed && (numericModel || integerOnly || node.Minimum != null || node.Maximum != null || node.ExclusiveMinimum != null || node.ExclusiveMaximum != null || node.HasEnum || node.HasConst))
            {
                result = result with { NumberCase = true, IntegerOnly = integerOnly, IntegerRange = IntegerRange(node, numericModel ? model : null, integerOnly) };
            }
            if (boolAllowed && (model?.Kind == ShapeKind.Bool || node.HasEnum || node.HasConst)) result = result with { BoolCase = true };
            if (nullAllowed && (node.HasEnum || node.HasConst)) result = result with { NullCase = true };

            var forbidden = new List<string>();
            if (!objectAllowed) forbidden.Add("StartObject");
            if (!arrayAllowed) forbidden.Add("StartArray");
            if (!stringAllowed) forbidden.Add("String");
            if (!numberAllowed) forbidden.Add("Number");
            if (!boolAllowed) { forbidden.Add("True"); forbidden.Add("False"); }
            if (!nullAllowed) forbidden.Add("Null");
            return result with { ForbiddenTokens = new EquatableArray<string>(forbidden.ToArray()) };
        }

        private BoundSchema BindObject(BoundSchema result, SchemaNode node, BoundShape? model)
        {
            bool isClass = model?.Kind == ShapeKind.Class;
            bool isDict = model?.Kind == ShapeKind.Dict;
            EquatableArray<BoundMember> members = isClass && !result.Members.IsEmpty
                ? result.Members
                : MembersOf(node, isClass ? InfoOf(node).ClassName! : "", withDescriptions: false);
            var required = new List<string>();
            foreach (string r in node.Required)
            {
                if (!node.Properties.Any(p => p.Name == r)) required.Add(r);
            }
            var patternProperties = new List<BoundPatternProperty>();
            foreach (NamedSchema pp in node.PatternProperties) patternProperties.Add(new BoundPatternProperty(Pattern(pp.Name), ReadFn(pp.Schema)));
            var withReaders = new List<BoundMember>();
            foreach (BoundMember m in members) withReaders.Add(m with { ReadMethod = ReadFn(node.Properties[m.Index].Schema) });
            result = result with
            {
                Members = new EquatableArray<BoundMember>(withReaders.ToArray()),
                RequiredOther = new EquatableArray<string>(required.ToArray()),
                PatternProperties = new EquatableArray<BoundPatternProperty>(patternProperties.ToArray()),
            };
            bool additionalSchema = node.AdditionalProperties != null && node.AdditionalProperties.Bool != false;
            if (node.AdditionalProperties != null && node.AdditionalProperties.Bool == false) result = result with { NoAdditionalProperties = true };
            else if (additionalSchema) result = result with { AdditionalProperties = ReadFn(node.AdditionalProperties!) };
            if (!isClass && isDict && !(additionalSchema && node.PatternProperties.IsEmpty))
            {
                // Map values come from pattern/additional schemas that were validated above; read the model silently.
                SchemaNode source = !node.PatternProperties.IsEmpty ? node.PatternProperties[0].Schema : node.AdditionalProperties!;
                result = result with { DictValueSource = ReadFn(source) };
            }
            return result;
        }

        private static BoundLiteral Literal(string json)
        {
            JNode v = JsonTextParser.Parse(json);
            return new BoundLiteral(json, v.Kind, v.Kind == JKind.String || v.Kind == JKind.Number ? v.Text : "");
        }

        private static BoundPattern Pattern(string pattern)
        {
            if (!SimplePattern.TryCompileAlternatives(pattern, out List<List<SimplePattern.Atom>> alternatives, out bool anchoredEnd))
                return new BoundPattern(pattern, EquatableArray<BoundPatternSequence>.Empty, false);
            var sequences = new List<BoundPatternSequence>();
            foreach (List<SimplePattern.Atom> atoms in alternatives)
            {
                var table = new List<BoundPatternAtom>();
                foreach (SimplePattern.Atom a in atoms) table.Add(new BoundPatternAtom(a.Ranges, a.Min, a.Max));
                sequences.Add(new BoundPatternSequence(new EquatableArray<BoundPatternAtom>(table.ToArray())));
            }
            return new BoundPattern(pattern, new EquatableArray<BoundPatternSequence>(sequences.ToArray()), anchoredEnd);
        }

        /// <summary>Integers with integer bounds compare on the 64-bit value the reader gives (the common case), exact text comparison otherwise.</summary>
        private static BoundIntegerRange? IntegerRange(SchemaNode node, BoundShape? model, bool integerOnly)
        {
            bool integralModel = model == null || model.Kind == ShapeKind.Int || model.Kind == ShapeKind.UInt || model.Kind == ShapeKind.Long || model.Kind == ShapeKind.ULong;
            if (integerOnly && integralModel && !node.HasEnum && !node.HasConst && node.ExclusiveMinimum == null && node.ExclusiveMaximum == null &&
                TryIntegerBound(node.Minimum, out bool minNeg, out ulong minMag) && TryIntegerBound(node.Maximum, out bool maxNeg, out ulong maxMag))
            {
                return new BoundIntegerRange(minNeg, minMag, maxNeg, maxMag);
            }
            return null;
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

        // ------------------------------------------------------------------ merge rules

        private EquatableArray<BoundMergeRule> MergeRulesOf(SchemaNode root)
        {
            var rules = new List<BoundMergeRule>();
            CollectMergeRules(root, "", new HashSet<SchemaNode>(RefComparer.Instance), rules, new HashSet<string>(StringComparer.Ordinal));
            return new EquatableArray<BoundMergeRule>(rules.ToArray());
        }

        private void CollectMergeRules(SchemaNode node, string pointer, HashSet<SchemaNode> path, List<BoundMergeRule> rules, HashSet<string> seen)
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
                rules.Add(new BoundMergeRule(pointer, kind, mergeKey));
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
    }
}
