namespace Berth.Spec;

/// <summary>
/// The rules of the OCI runtime-spec 1.3 that its text states in prose and a JSON Schema cannot express
/// (unique namespace and rlimit types, absolute paths, id-mapping ranges, members that need another member, …).
/// Findings have the shape of the generated validator's: pointer, keyword (<c>x-…</c>), sentence, spec section.
/// </summary>
public static class SpecRules
{
    /// <summary>Checks a config model; appends every finding to <paramref name="diagnostics"/>.</summary>
    public static void Check(Spec spec, List<SchemaDiagnostic> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var sink = new RuleSink(diagnostics);
        VersionRules.Check(spec.OciVersion, "/ociVersion", sink);
        RootRules.Check(spec, sink);
        MountRules.Check(spec, sink);
        ProcessRules.Check(spec, sink);
        HookRules.Check(spec, sink);
        PathLengthRules.Check(spec, sink);
        AnnotationRules.Check(spec.Annotations, "/annotations", sink);
        if (spec.Linux is { } linux)
        {
            NamespaceRules.Check(spec, linux, sink);
            DeviceRules.Check(linux, sink);
            ResourceRules.Check(linux, sink);
            SeccompRules.Check(linux, sink);
            LinuxPathRules.Check(linux, sink);
        }
        else
        {
            NamespaceRules.CheckWithoutLinux(spec, sink);
        }
    }

    /// <summary>
    /// Reads and validates a config: the schema first, then — when the schema found no error, so that the model
    /// holds exactly what the document says — the prose rules. Returns the model (null when the JSON does not parse
    /// or its root is not an object).
    /// </summary>
    public static Spec? Validate(ReadOnlySpan<byte> utf8Json, List<SchemaDiagnostic> diagnostics)
    {
        int before = diagnostics.Count;
        Spec? spec = Spec.Parse(utf8Json, diagnostics);
        if (spec is not null && !HasError(diagnostics, before)) Check(spec, diagnostics);
        if (spec is not null) NulRules.Check(utf8Json, new RuleSink(diagnostics));
        return spec;
    }

    internal static bool HasError(List<SchemaDiagnostic> diagnostics, int from)
    {
        for (int i = from; i < diagnostics.Count; i++)
            if (diagnostics[i].Severity == SchemaSeverity.Error) return true;
        return false;
    }
}

/// <summary>The prose rules of the container state (runtime.md, "State").</summary>
public static class StateRules
{
    /// <summary>Checks a state model; appends every finding to <paramref name="diagnostics"/>.</summary>
    public static void Check(State state, List<SchemaDiagnostic> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var sink = new RuleSink(diagnostics);
        VersionRules.Check(state.OciVersion, "/ociVersion", sink);
        if (state.Status is StateStatus.Created or StateStatus.Running && state.Pid is null)
            sink.Error("", "x-required-when", $"\"pid\" is required while the status is \"{state.Status.ToWireName()}\"", Sections.State);
        if (state.Pid is { } pid && pid <= 0)
            sink.Error("/pid", "x-positive", $"pid {pid} is not a process id: it must be greater than zero", Sections.State);
        sink.RequireAbsolute("/bundle", state.Bundle, "the bundle path", Sections.State);
        AnnotationRules.Check(state.Annotations, "/annotations", sink);
    }

    /// <summary>Reads and validates a state document: the schema, then (when it passed) the prose rules.</summary>
    public static State? Validate(ReadOnlySpan<byte> utf8Json, List<SchemaDiagnostic> diagnostics)
    {
        int before = diagnostics.Count;
        State? state = State.Parse(utf8Json, diagnostics);
        if (state is not null && !SpecRules.HasError(diagnostics, before)) Check(state, diagnostics);
        return state;
    }
}
