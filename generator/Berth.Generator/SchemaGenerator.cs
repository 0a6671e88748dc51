using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Berth.Generator
{
    /// <summary>
    /// specs/*.schema.json (AdditionalFiles) → models, one-pass reader/validators, writers and merge tables.
    /// Pipeline: ParseSchema (per file, <see cref="Parser"/>) → SchemaSet (all files) → Bind (<see cref="SchemaBinder"/>:
    /// resolved model plus every diagnostic, as data) → Emit (<see cref="SourceEmitter"/>: text only) → source output.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class SchemaGenerator : IIncrementalGenerator
    {
        public const string ParseStep = "ParseSchema";
        public const string SetStep = "SchemaSet";
        public const string BindStep = "Bind";
        public const string EmitStep = "Emit";

        private static readonly DiagnosticDescriptor Unsupported = new DiagnosticDescriptor(
            DiagnosticIds.UnsupportedKeyword, "Unsupported schema keyword", "{0}", "Berth.Generator", DiagnosticSeverity.Error, isEnabledByDefault: true);

        private static readonly DiagnosticDescriptor BrokenRef = new DiagnosticDescriptor(
            DiagnosticIds.BrokenRef, "Unresolved $ref", "{0}", "Berth.Generator", DiagnosticSeverity.Error, isEnabledByDefault: true);

        private static readonly DiagnosticDescriptor BadJson = new DiagnosticDescriptor(
            DiagnosticIds.BadJson, "Schema file is not valid JSON", "{0}", "Berth.Generator", DiagnosticSeverity.Error, isEnabledByDefault: true);

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<SchemaFile> files = context.AdditionalTextsProvider
                .Where(static t => t.Path.EndsWith(".schema.json", StringComparison.OrdinalIgnoreCase))
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Select(static (pair, ct) =>
                {
                    var options = pair.Right.GetOptions(pair.Left);
                    string? ns = null;
                    if (options.TryGetValue("build_metadata.AdditionalFiles.BerthNamespace", out string? fromItem) && !string.IsNullOrWhiteSpace(fromItem)) ns = fromItem.Trim();
                    else if (pair.Right.GlobalOptions.TryGetValue("build_property.RootNamespace", out string? root) && !string.IsNullOrWhiteSpace(root)) ns = root.Trim();
                    SourceText? text = pair.Left.GetText(ct);
                    return Parser.Parse(pair.Left.Path, text?.ToString() ?? "", ns ?? "Berth.Generated");
                })
                .WithTrackingName(ParseStep);

            IncrementalValueProvider<SchemaSet> set = files.Collect()
                .Select(static (all, _) =>
                {
                    var list = new List<SchemaFile>(all);
                    list.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
                    return new SchemaSet(new EquatableArray<SchemaFile>(list.ToArray()));
                })
                .WithTrackingName(SetStep);

            IncrementalValueProvider<BoundSchemaSet> bound = set
                .Select(static (s, ct) => SchemaBinder.Bind(s, ct))
                .WithTrackingName(BindStep);

            IncrementalValueProvider<EquatableArray<GeneratedSource>> emitted = bound
                .Select(static (b, ct) => SourceEmitter.Emit(b, ct))
                .WithTrackingName(EmitStep);

            context.RegisterSourceOutput(bound, static (spc, b) =>
            {
                foreach (DiagnosticInfo d in b.Diagnostics) spc.ReportDiagnostic(ToDiagnostic(d));
            });
            context.RegisterSourceOutput(emitted, static (spc, sources) =>
            {
                foreach (GeneratedSource source in sources) spc.AddSource(source.HintName, SourceText.From(source.Text, System.Text.Encoding.UTF8));
            });
        }

        private static Diagnostic ToDiagnostic(DiagnosticInfo d)
        {
            DiagnosticDescriptor descriptor = d.Id == DiagnosticIds.BrokenRef ? BrokenRef : d.Id == DiagnosticIds.BadJson ? BadJson : Unsupported;
            Location location = d.Location is { } l
                ? Location.Create(d.FilePath, new TextSpan(l.Start, l.Length), new LinePositionSpan(new LinePosition(l.StartLine, l.StartColumn), new LinePosition(l.EndLine, l.EndColumn)))
                : Location.Create(d.FilePath, default, default);
            return Diagnostic.Create(descriptor, location, d.Message);
        }
    }
}
