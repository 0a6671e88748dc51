namespace Berth.Generator
{
    /// <summary>A place in a schema file: character span plus 0-based line/column of both ends.</summary>
    internal sealed record TextLocation(int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn);

    /// <summary>The generator's diagnostic ids (see AnalyzerReleases.Unshipped.md).</summary>
    internal static class DiagnosticIds
    {
        /// <summary>A keyword berth does not understand, or a keyword value of the wrong kind (parser).</summary>
        public const string UnsupportedKeyword = "BERTHGEN001";

        /// <summary>A $ref that names no schema (binder).</summary>
        public const string BrokenRef = "BERTHGEN002";

        /// <summary>A schema file that is not JSON (parser).</summary>
        public const string BadJson = "BERTHGEN003";
    }

    /// <summary>A diagnostic as plain data (no Location/ISymbol in the pipeline).</summary>
    internal sealed record DiagnosticInfo(string Id, string Message, string FilePath, TextLocation? Location);

    internal sealed record NamedSchema(string Name, SchemaNode Schema);

    /// <summary>One schema (sub)object, with the keywords berth understands.</summary>
    internal sealed record SchemaNode
    {
        /// <summary>File name (e.g. <c>config.schema.json</c>).</summary>
        public string File { get; init; } = "";

        /// <summary>JSON pointer of this schema inside its file ("" for the root).</summary>
        public string Pointer { get; init; } = "";

        /// <summary>true/false for a boolean schema.</summary>
        public bool? Bool { get; init; }

        public EquatableArray<string> Types { get; init; } = EquatableArray<string>.Empty;
        public string? Ref { get; init; }
        public TextLocation? RefLocation { get; init; }
        public EquatableArray<NamedSchema> Properties { get; init; } = EquatableArray<NamedSchema>.Empty;
        public EquatableArray<string> Required { get; init; } = EquatableArray<string>.Empty;
        public SchemaNode? AdditionalProperties { get; init; }
        public EquatableArray<NamedSchema> PatternProperties { get; init; } = EquatableArray<NamedSchema>.Empty;
        public SchemaNode? Items { get; init; }
        public string? MinItems { get; init; }
        public string? MaxItems { get; init; }
        public bool UniqueItems { get; init; }
        public bool HasEnum { get; init; }

        /// <summary>Compact JSON of each enum value.</summary>
        public EquatableArray<string> Enum { get; init; } = EquatableArray<string>.Empty;

        public bool HasConst { get; init; }
        public string? Const { get; init; }
        public string? Pattern { get; init; }
        public string? MinLength { get; init; }
        public string? MaxLength { get; init; }
        public string? Minimum { get; init; }
        public string? Maximum { get; init; }
        public string? ExclusiveMinimum { get; init; }
        public string? ExclusiveMaximum { get; init; }
        public EquatableArray<SchemaNode> AllOf { get; init; } = EquatableArray<SchemaNode>.Empty;
        public EquatableArray<SchemaNode> AnyOf { get; init; } = EquatableArray<SchemaNode>.Empty;
        public EquatableArray<SchemaNode> OneOf { get; init; } = EquatableArray<SchemaNode>.Empty;
        public SchemaNode? Not { get; init; }
        public EquatableArray<NamedSchema> Defs { get; init; } = EquatableArray<NamedSchema>.Empty;
        public string? Title { get; init; }
        public string? Description { get; init; }
        public string? MergeKey { get; init; }
        public string? Merge { get; init; }

        /// <summary>True when the node validates something beyond a plain <c>$ref</c>.</summary>
        public bool HasAssertions =>
            Bool != null || !Types.IsEmpty || !Properties.IsEmpty || !Required.IsEmpty || AdditionalProperties != null ||
            !PatternProperties.IsEmpty || Items != null || MinItems != null || MaxItems != null || UniqueItems || HasEnum ||
            HasConst || Pattern != null || MinLength != null || MaxLength != null || Minimum != null || Maximum != null ||
            ExclusiveMinimum != null || ExclusiveMaximum != null || !AllOf.IsEmpty || !AnyOf.IsEmpty || !OneOf.IsEmpty || Not != null;
    }

    /// <summary>The parse of one schema file: its tree (null if it did not parse) and its diagnostics.</summary>
    internal sealed record SchemaFile(string Path, string FileName, string Namespace, SchemaNode? Root, string? Id, EquatableArray<DiagnosticInfo> Diagnostics);

    /// <summary>Every schema file of the compilation, ordered by path.</summary>
    internal sealed record SchemaSet(EquatableArray<SchemaFile> Files);

    internal sealed record GeneratedSource(string HintName, string Text);
}
