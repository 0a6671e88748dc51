using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Berth.Generator.Tests;

public class GeneratorTests
{
    private static void AssertClean(Compilation output, ImmutableArray<Diagnostic> generatorDiagnostics)
    {
        Assert.Empty(generatorDiagnostics);
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning || d.IsWarningAsError).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
    }

    [Fact]
    public void Sample_schema_compiles_without_warnings()
    {
        var (output, diagnostics, _) = GeneratorHarness.Run([GeneratorHarness.Sample()]);
        AssertClean(output, diagnostics);
        Assert.Contains(output.SyntaxTrees, t => t.FilePath.EndsWith("Test.Schemas.Schemas.g.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void Real_specs_compile_without_warnings()
    {
        var (output, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Specs(), "Berth.Spec");
        AssertClean(output, diagnostics);
        var spec = output.GetTypeByMetadataName("Berth.Spec.Spec");
        Assert.NotNull(spec);
        Assert.NotNull(output.GetTypeByMetadataName("Berth.Spec.State"));
        Assert.NotNull(output.GetTypeByMetadataName("Berth.Spec.Features"));
        Assert.NotNull(output.GetTypeByMetadataName("Berth.Spec.Mount"));
    }

    [Fact]
    public void Namespace_defaults_to_root_namespace()
    {
        var (output, diagnostics, _) = GeneratorHarness.Run([GeneratorHarness.Sample()], ns: null);
        AssertClean(output, diagnostics);
        Assert.NotNull(output.GetTypeByMetadataName("Test.Root.Sample"));
    }

    [Fact]
    public void Root_members_have_the_contract_signatures()
    {
        var (output, _, _) = GeneratorHarness.Run([GeneratorHarness.Sample()]);
        INamedTypeSymbol sample = output.GetTypeByMetadataName("Test.Schemas.Sample")!;
        string Sig(string name) => sample.GetMembers(name).Single().ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
        Assert.Equal("Sample.Parse(ReadOnlySpan<byte>, List<SchemaDiagnostic>)", Sig("Parse"));
        Assert.Equal("Sample.Read(ref Utf8JsonReader, SchemaReadContext)", Sig("Read"));
        Assert.Equal("Sample.WriteTo(Utf8JsonWriter)", Sig("WriteTo"));
        Assert.Equal("Sample.ToUtf8Json(bool)", Sig("ToUtf8Json"));
        Assert.Equal("Sample.MergeRules", Sig("MergeRules"));
        var version = (IPropertySymbol)sample.GetMembers("Version").Single();
        Assert.Equal(NullableAnnotation.NotAnnotated, version.Type.NullableAnnotation);
        var count = (IPropertySymbol)sample.GetMembers("Count").Single();
        Assert.Equal("uint?", count.Type.ToDisplayString());
        Assert.Equal("ulong?", ((IPropertySymbol)sample.GetMembers("Big").Single()).Type.ToDisplayString());
        Assert.Equal("long?", ((IPropertySymbol)sample.GetMembers("Offset").Single()).Type.ToDisplayString());
        Assert.Equal("Test.Schemas.Kind", ((IPropertySymbol)sample.GetMembers("Kind").Single()).Type.ToDisplayString());
        Assert.Equal("System.Collections.Generic.IReadOnlyDictionary<string, string>?", ((IPropertySymbol)sample.GetMembers("Labels").Single()).Type.ToDisplayString());
        Assert.Equal("Test.Schemas.SampleInline?", ((IPropertySymbol)sample.GetMembers("Inline").Single()).Type.ToDisplayString());
        Assert.Equal("System.Text.Json.JsonElement?", ((IPropertySymbol)sample.GetMembers("Either").Single()).Type.ToDisplayString());
        Assert.Equal("long?", ((IPropertySymbol)sample.GetMembers("Exactly").Single()).Type.ToDisplayString());
        Assert.True(((IPropertySymbol)sample.GetMembers("Version").Single()).SetMethod!.IsInitOnly);
        INamedTypeSymbol kind = output.GetTypeByMetadataName("Test.Schemas.Kind")!;
        Assert.Equal(TypeKind.Enum, kind.TypeKind);
        Assert.Equal(["Pid", "Network", "Mount", "Ipc", "Uts", "User", "Cgroup", "Time"], kind.GetMembers().OfType<IFieldSymbol>().Select(f => f.Name));
    }

    private static Diagnostic Single(string schemaText, string id, string path = "/specs/broken.schema.json")
    {
        var (_, diagnostics, _) = GeneratorHarness.Run([new InMemoryText(path, schemaText)]);
        Assert.Contains(diagnostics, d => d.Id == id);
        return diagnostics.First(d => d.Id == id);
    }

    [Fact]
    public void Unsupported_keyword_is_BERTHGEN001_with_file_line_and_column()
    {
        string schema = "{\n  \"title\": \"Broken\",\n  \"type\": \"object\",\n  \"properties\": {\n    \"a\": { \"type\": \"string\", \"minProperties\": 1 }\n  }\n}\n";
        Diagnostic d = Single(schema, "BERTHGEN001");
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        FileLinePositionSpan span = d.Location.GetLineSpan();
        Assert.Equal("/specs/broken.schema.json", span.Path);
        Assert.Equal(4, span.StartLinePosition.Line);
        Assert.Equal(29, span.StartLinePosition.Character);
        Assert.Contains("minProperties", d.GetMessage());
    }

    [Fact]
    public void Broken_ref_is_BERTHGEN002_at_the_ref()
    {
        string schema = "{\n  \"title\": \"Broken\",\n  \"type\": \"object\",\n  \"properties\": {\n    \"a\": { \"$ref\": \"#/$defs/Missing\" },\n    \"b\": { \"$ref\": \"other.schema.json#/$defs/X\" }\n  }\n}\n";
        var (_, diagnostics, _) = GeneratorHarness.Run([new InMemoryText("/specs/broken.schema.json", schema)]);
        var refs = diagnostics.Where(d => d.Id == "BERTHGEN002").OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.Equal(2, refs.Count);
        Assert.Equal(4, refs[0].Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal(19, refs[0].Location.GetLineSpan().StartLinePosition.Character);
        Assert.Contains("#/$defs/Missing", refs[0].GetMessage());
        Assert.Equal(5, refs[1].Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal("/specs/broken.schema.json", refs[1].Location.GetLineSpan().Path);
    }

    [Fact]
    public void Bad_json_is_BERTHGEN003_at_the_error()
    {
        string schema = "{\n  \"title\": \"Broken\",\n  \"type\": \"object\"\n  \"properties\": {}\n}\n";
        Diagnostic d = Single(schema, "BERTHGEN003");
        FileLinePositionSpan span = d.Location.GetLineSpan();
        Assert.Equal(3, span.StartLinePosition.Line);
        Assert.Equal(2, span.StartLinePosition.Character);
        Assert.Equal("/specs/broken.schema.json", span.Path);
    }

    [Fact]
    public void Invalid_keyword_value_is_BERTHGEN001()
    {
        Diagnostic d = Single("{ \"type\": \"object\", \"properties\": { \"a\": { \"minimum\": \"1\" } } }", "BERTHGEN001");
        Assert.Contains("minimum", d.GetMessage());
    }

    private static IEnumerable<IncrementalGeneratorRunStep> Steps(GeneratorDriver driver, string name) =>
        driver.GetRunResult().Results.Single().TrackedSteps.TryGetValue(name, out var steps) ? steps : [];

    private static void AssertCachedOrUnchanged(GeneratorDriver driver, string step)
    {
        var reasons = Steps(driver, step).SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, step + ": " + r));
    }

    [Fact]
    public void Unrelated_syntax_tree_edit_keeps_every_step_cached()
    {
        GeneratorDriver driver = GeneratorHarness.Driver([GeneratorHarness.Sample(), .. GeneratorHarness.Specs()]);
        CSharpCompilation compilation = GeneratorHarness.Compilation("class A { }");
        driver = driver.RunGenerators(compilation);
        Assert.All(Steps(driver, SchemaGenerator.EmitStep).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.New, o.Reason));

        driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class B { int X; }", GeneratorHarness.ParseOptions)));
        AssertCachedOrUnchanged(driver, SchemaGenerator.ParseStep);
        AssertCachedOrUnchanged(driver, SchemaGenerator.SetStep);
        AssertCachedOrUnchanged(driver, SchemaGenerator.BindStep);
        AssertCachedOrUnchanged(driver, SchemaGenerator.EmitStep);
    }

    [Fact]
    public void Unrelated_additional_file_keeps_emission_cached()
    {
        GeneratorDriver driver = GeneratorHarness.Driver([GeneratorHarness.Sample()]);
        CSharpCompilation compilation = GeneratorHarness.Compilation("class A { }");
        driver = driver.RunGenerators(compilation);
        driver = driver.AddAdditionalTexts([new InMemoryText("/specs/README.txt", "notes")]);
        driver = driver.RunGenerators(compilation);
        AssertCachedOrUnchanged(driver, SchemaGenerator.ParseStep);
        AssertCachedOrUnchanged(driver, SchemaGenerator.SetStep);
        AssertCachedOrUnchanged(driver, SchemaGenerator.BindStep);
        AssertCachedOrUnchanged(driver, SchemaGenerator.EmitStep);
    }

    /// <summary>Runs the generator on the sample, then again after <paramref name="edit"/> of its text.</summary>
    private static GeneratorDriver RunEditedSample(Func<string, string> edit)
    {
        AdditionalText sample = GeneratorHarness.Sample();
        GeneratorDriver driver = GeneratorHarness.Driver([sample]);
        CSharpCompilation compilation = GeneratorHarness.Compilation("class A { }");
        driver = driver.RunGenerators(compilation);
        var edited = new InMemoryText(sample.Path, edit(sample.GetText()!.ToString()));
        return driver.ReplaceAdditionalText(sample, edited).RunGenerators(compilation);
    }

    [Fact]
    public void Whitespace_edit_of_a_schema_reparses_but_does_not_re_emit()
    {
        // The reparse yields an equal model only if positions are not part of it; refs carry positions, so the set may change,
        // but a pure trailing-whitespace edit keeps every position.
        GeneratorDriver driver = RunEditedSample(text => text + "\n\n");
        AssertCachedOrUnchanged(driver, SchemaGenerator.ParseStep);
        AssertCachedOrUnchanged(driver, SchemaGenerator.BindStep);
        AssertCachedOrUnchanged(driver, SchemaGenerator.EmitStep);
    }

    [Fact]
    public void An_edit_that_moves_refs_rebinds_to_an_equal_model_and_does_not_re_emit()
    {
        // Leading whitespace moves every $ref's position: the parse changes, the bound model (no positions) does not.
        GeneratorDriver driver = RunEditedSample(text => "  " + text);
        Assert.Contains(Steps(driver, SchemaGenerator.ParseStep).SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.All(Steps(driver, SchemaGenerator.BindStep).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        AssertCachedOrUnchanged(driver, SchemaGenerator.EmitStep);
    }
}

public class SimplePatternTests
{
    [Theory]
    [InlineData("^CAP_[A-Z0-9_]+$")]
    [InlineData("^RLIMIT_[A-Z]+$")]
    [InlineData("^[0-9, -]*$")]
    [InlineData("^[0-9]+[KMGTPE]?B$")]
    [InlineData("^[rwm]*$")]
    [InlineData("^MB:")]
    [InlineData("^a{2,3}b?\\.c{2}$")]
    [InlineData("^[a-z]+a$")]
    public void Compiled_patterns_match_like_Regex(string pattern)
    {
        Assert.True(SimplePattern.TryCompileAlternatives(pattern, out var alternatives, out bool anchoredEnd));
        var atoms = Assert.Single(alternatives);
        var regex = new System.Text.RegularExpressions.Regex(pattern);
        var table = atoms.Select(a => new Berth.Spec.PatternAtom(a.Ranges, a.Min, a.Max)).ToArray();
        string[] inputs = ["", "CAP_", "CAP_SYS_ADMIN", "CAP_SYS_ADMIN\n", "cap_x", "CAP_X\n\n", "RLIMIT_NOFILE", "1-3, 5", "2MB", "64KB", "1GB\n", "B", "rw", "rwx", "MB:1",
            "aab.cc", "aaab.cc", "aaaab.cc", "aa.cc", "aab.c", "banana", "aa", "a", "xa"];
        foreach (string input in inputs)
        {
            Assert.True(regex.IsMatch(input) == Berth.Spec.SchemaJson.MatchSimple(input, table, anchoredEnd), $"{pattern} on {input.Replace("\n", "\\n")}");
        }
    }

    [Theory]
    [InlineData("^1\\.[0-3]\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$", 8)]
    [InlineData("^1\\.[0-3]\\.(0|[1-9][0-9]*)$", 2)]
    [InlineData("^(?:ab|a)(c|)d?$", 4)]
    [InlineData("^x(y(z|w)?)?", 4)]
    [InlineData("^(a|b)(c|d)(e|f)$", 8)]
    public void Patterns_with_groups_compile_to_alternatives_that_match_like_Regex(string pattern, int alternatives)
    {
        Assert.True(SimplePattern.TryCompileAlternatives(pattern, out List<List<SimplePattern.Atom>> sequences, out bool anchoredEnd));
        Assert.Equal(alternatives, sequences.Count);
        var regex = new System.Text.RegularExpressions.Regex(pattern);
        var tables = sequences.Select(s => s.Select(a => new Berth.Spec.PatternAtom(a.Ranges, a.Min, a.Max)).ToArray()).ToArray();
        string[] inputs = ["", "1.0.0", "1.3.0", "1.4.0", "1.3.01", "1.3.10", "1.3.0-rc.1", "1.3.0-", "1.3.0+build.5", "1.3.0-rc1+b",
            "1.3.0+b-c", "1.3.0\n", "1.3.0-rc\n", "1.3.0-rc\n\n", "1.3", "2.0.0", "1.1.0-dev", "1.3.0 ", "abcd", "abd", "acd", "ac",
            "ab", "a", "abcc", "x", "xy", "xyz", "xyw", "xyzw", "xz", "ace", "bdf", "acf\n", "abc"];
        foreach (string input in inputs)
            Assert.True(regex.IsMatch(input) == Berth.Spec.SchemaJson.MatchAnySimple(input, tables, anchoredEnd), $"{pattern} on {input.Replace("\n", "\\n")}");
    }

    [Theory]
    [InlineData("^(ab)+$")]
    [InlineData("^(a|b)*$")]
    [InlineData("^a|b$")]
    [InlineData("^(a$")]
    [InlineData("^(?=a)a$")]
    [InlineData("^a{ 2}$")]
    [InlineData("^a{+2}$")]
    [InlineData("^a{-1}$")]
    [InlineData("^(a|b)(c|d)(e|f)(g|h)(i|j)(k|l)$")]
    [InlineData("[a-z]+")]
    [InlineData("^\\d+$")]
    [InlineData("^.*$")]
    [InlineData("^[^a]$")]
    public void Other_patterns_are_left_to_Regex(string pattern) => Assert.False(SimplePattern.TryCompileAlternatives(pattern, out _, out _));
}
