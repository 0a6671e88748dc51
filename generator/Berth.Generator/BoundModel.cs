namespace Berth.Generator
{
    /// <summary>What C# type holds a schema's value.</summary>
    internal enum ShapeKind { Class, Enum, String, Bool, Int, UInt, Long, ULong, Double, List, Dict, Element }

    /// <summary>The C# type of a schema's value: <paramref name="Cs"/> is its full name, <paramref name="Elem"/> the item or
    /// map value shape, <paramref name="TypeId"/> the id of the schema that declares the class or enum (-1 otherwise).</summary>
    internal sealed record BoundShape(ShapeKind Kind, string Cs, BoundShape? Elem, int TypeId)
    {
        public bool IsValueType => Kind == ShapeKind.Enum || Kind == ShapeKind.Bool || Kind == ShapeKind.Int || Kind == ShapeKind.UInt ||
            Kind == ShapeKind.Long || Kind == ShapeKind.ULong || Kind == ShapeKind.Double || Kind == ShapeKind.Element;

        public bool IsNumber => Kind == ShapeKind.Int || Kind == ShapeKind.UInt || Kind == ShapeKind.Long || Kind == ShapeKind.ULong || Kind == ShapeKind.Double;
    }

    /// <summary>An enum or const value: its compact JSON, its kind and (for strings and numbers) its text.</summary>
    internal sealed record BoundLiteral(string Json, JKind Kind, string Text);

    /// <summary>One step of a pattern compiled to a table: a character class (ranges) repeated Min..Max times.</summary>
    internal sealed record BoundPatternAtom(string Ranges, int Min, int Max);

    /// <summary>One sequence of a compiled pattern.</summary>
    internal sealed record BoundPatternSequence(EquatableArray<BoundPatternAtom> Atoms);

    /// <summary>A schema pattern: tables when <see cref="SimplePattern"/> compiles it (one per alternative its groups
    /// stand for; a string matches when one of them does), else left to Regex.</summary>
    internal sealed record BoundPattern(string Source, EquatableArray<BoundPatternSequence> Alternatives, bool AnchoredEnd)
    {
        /// <summary>Compiled to tables (a simple pattern has at least one sequence, if an empty one).</summary>
        public bool IsSimple => Alternatives.Count > 0;
    }

    /// <summary>Integer bounds that fit the reader's 64-bit value, so a number is checked without its text.</summary>
    internal sealed record BoundIntegerRange(bool MinNegative, ulong MinMagnitude, bool MaxNegative, ulong MaxMagnitude);

    /// <summary>An enum member: the exact JSON string and the C# member that stands for it.</summary>
    internal sealed record BoundEnumMember(string Wire, string Member);

    /// <summary>A property of an object schema: JSON name, C# property, the reader of its value and its shape.</summary>
    internal sealed record BoundMember(string Json, string Cs, string? ReadMethod, BoundShape Shape, bool Required, int Index, string? Description);

    /// <summary>A patternProperties entry and the reader that validates the values it matches.</summary>
    internal sealed record BoundPatternProperty(BoundPattern Pattern, string ReadMethod);

    /// <summary>A merge rule of a root document (from x-merge-key / x-merge): pointer with /* for items, MergeKind member, key.</summary>
    internal sealed record BoundMergeRule(string Pointer, string Kind, string? Key);

    /// <summary>How a bound schema appears in the output: a class, an enum (with its reader method) or a reader method only.</summary>
    internal enum BoundKind { Class, Enum, Reader }

    /// <summary>
    /// One schema that the output declares (class, enum or reader method), fully resolved: every <c>$ref</c> is the read
    /// method it leads to, every choice (C# shapes, names, which token kinds get checks, which part gives the model value)
    /// is made. The emitters write it as it stands.
    /// </summary>
    internal sealed record BoundSchema
    {
        public int Id { get; init; }
        public string Namespace { get; init; } = "";
        public string File { get; init; } = "";
        public string Pointer { get; init; } = "";
        public BoundKind Kind { get; init; }

        /// <summary>Class or enum name (Class/Enum kinds), else null.</summary>
        public string? TypeName { get; init; }

        /// <summary>The class of a root document (gets Parse, ToUtf8Json and MergeRules).</summary>
        public bool IsRoot { get; init; }

        /// <summary>Doc comment of the class or enum.</summary>
        public string? Summary { get; init; }

        /// <summary>The reader method of this schema in the readers class (Reader and Enum kinds).</summary>
        public string? MethodName { get; init; }

        /// <summary>The shape the reader returns.</summary>
        public BoundShape Shape { get; init; } = null!;

        public EquatableArray<BoundEnumMember> EnumMembers { get; init; } = EquatableArray<BoundEnumMember>.Empty;

        /// <summary>properties, in schema order (the class's properties for a class).</summary>
        public EquatableArray<BoundMember> Members { get; init; } = EquatableArray<BoundMember>.Empty;

        public EquatableArray<BoundMergeRule> MergeRules { get; init; } = EquatableArray<BoundMergeRule>.Empty;

        // ---- the body of the reader

        /// <summary>true/false for a boolean schema (the rest of the body is then empty).</summary>
        public bool? Bool { get; init; }

        /// <summary>Reader of the <c>$ref</c> target validated beside the node's own keywords.</summary>
        public string? RefCheck { get; init; }

        /// <summary>Readers of the allOf parts that validate the same value (the primary part excluded).</summary>
        public EquatableArray<string> AllOfChecks { get; init; } = EquatableArray<string>.Empty;

        public EquatableArray<string> AnyOf { get; init; } = EquatableArray<string>.Empty;
        public EquatableArray<string> OneOf { get; init; } = EquatableArray<string>.Empty;
        public string? Not { get; init; }

        /// <summary>When the node's own keywords give the value: the shape they build; null when the value comes from elsewhere.</summary>
        public BoundShape? OwnModel { get; init; }

        /// <summary>Without <see cref="OwnModel"/>: whether the node's own keywords are checked (on a copy of the reader).</summary>
        public bool ChecksOwnKeywords { get; init; }

        /// <summary>Without <see cref="OwnModel"/>: the reader of the part that gives the value, and whether it runs as a trial (an anyOf/oneOf branch).</summary>
        public string? Primary { get; init; }
        public bool PrimaryInTrial { get; init; }

        // ---- the node's own keywords, as the token switch checks them

        public bool ObjectCase { get; init; }
        public bool ArrayCase { get; init; }
        public bool StringCase { get; init; }
        public bool NumberCase { get; init; }
        public bool BoolCase { get; init; }
        public bool NullCase { get; init; }

        /// <summary>JsonTokenType members the type forbids (a type error when met).</summary>
        public EquatableArray<string> ForbiddenTokens { get; init; } = EquatableArray<string>.Empty;

        public EquatableArray<string> Types { get; init; } = EquatableArray<string>.Empty;
        public bool IntegerOnly { get; init; }

        /// <summary>Set when integer bounds can be checked on the 64-bit value (see <see cref="BoundIntegerRange"/>).</summary>
        public BoundIntegerRange? IntegerRange { get; init; }

        /// <summary>required members that are not among the properties.</summary>
        public EquatableArray<string> RequiredOther { get; init; } = EquatableArray<string>.Empty;

        public EquatableArray<BoundPatternProperty> PatternProperties { get; init; } = EquatableArray<BoundPatternProperty>.Empty;

        /// <summary>additionalProperties is the false schema.</summary>
        public bool NoAdditionalProperties { get; init; }

        /// <summary>Reader of additionalProperties (a schema other than false), else null.</summary>
        public string? AdditionalProperties { get; init; }

        /// <summary>Map built from members that patternProperties match: the reader of the values' model.</summary>
        public string? DictValueSource { get; init; }

        public string? Items { get; init; }
        public string? MinItems { get; init; }
        public string? MaxItems { get; init; }
        public bool UniqueItems { get; init; }
        public bool HasEnum { get; init; }
        public EquatableArray<BoundLiteral> Enum { get; init; } = EquatableArray<BoundLiteral>.Empty;
        public BoundLiteral? Const { get; init; }
        public BoundPattern? Pattern { get; init; }
        public string? MinLength { get; init; }
        public string? MaxLength { get; init; }
        public string? Minimum { get; init; }
        public string? Maximum { get; init; }
        public string? ExclusiveMinimum { get; init; }
        public string? ExclusiveMaximum { get; init; }
    }

    /// <summary>Everything the emitters write, in output order, and every diagnostic of the schema set.</summary>
    internal sealed record BoundSchemaSet(EquatableArray<BoundSchema> Schemas, EquatableArray<DiagnosticInfo> Diagnostics);
}
