using System.Collections.Immutable;
using Berth.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Berth.Generator.Tests;

/// <summary>An additional file held in memory.</summary>
public sealed class InMemoryText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>Analyzer options: a global RootNamespace and per-file BerthNamespace metadata.</summary>
public sealed class TestOptionsProvider(string? ns) : AnalyzerConfigOptionsProvider
{
    private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }

    private readonly Options _global = new(new() { ["build_property.RootNamespace"] = "Test.Root" });
    private readonly Options _file = new(ns is null ? new() : new() { ["build_metadata.AdditionalFiles.BerthNamespace"] = ns });

    public override AnalyzerConfigOptions GlobalOptions => _global;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _global;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _file;
}

public static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static ImmutableArray<MetadataReference>? s_references;

    public static ImmutableArray<MetadataReference> References => s_references ??=
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal) &&
                        Path.GetDirectoryName(p) == Path.GetDirectoryName(typeof(object).Assembly.Location))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create(
            "Generated",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

    public static GeneratorDriver Driver(IEnumerable<AdditionalText> files, string? ns = "Test.Schemas", bool track = true) =>
        CSharpGeneratorDriver.Create(
            new[] { new SchemaGenerator().AsSourceGenerator() },
            files,
            ParseOptions,
            new TestOptionsProvider(ns),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

    public static (Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics, GeneratorDriver Driver) Run(IEnumerable<AdditionalText> files, string? ns = "Test.Schemas")
    {
        GeneratorDriver driver = Driver(files, ns);
        driver = driver.RunGeneratorsAndUpdateCompilation(Compilation("class Placeholder { }"), out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return (output, diagnostics, driver);
    }

    public static string Repo(params string[] parts)
    {
        string dir = AppContext.BaseDirectory;
        while (!System.IO.File.Exists(Path.Combine(dir, "ARCHITECTURE.md"))) dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("repository root not found");
        return Path.Combine([dir, .. parts]);
    }

    public static AdditionalText File(string path) => new InMemoryText(path, System.IO.File.ReadAllText(path));

    public static IEnumerable<AdditionalText> Specs() =>
        Directory.GetFiles(Repo("specs"), "*.schema.json").OrderBy(p => p, StringComparer.Ordinal).Select(File);

    public static AdditionalText Sample() => File(Path.Combine(AppContext.BaseDirectory, "TestSchemas", "sample.schema.json"));
}
