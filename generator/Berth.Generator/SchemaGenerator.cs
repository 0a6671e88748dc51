using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Berth.Generator
{
    /// <summary>
    /// specs/*.schema.json (AdditionalFiles) → models, one-pass reader/validators, writers and merge tables.
    /// Pipeline: ParseSchema (per file) → SchemaSet (all files) → Emit → source output.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class SchemaGenerator : IIncrementalGenerator
    {
        public const string ParseStep = "ParseSchema";
        public const string SetStep = "SchemaSet";
        public const string EmitStep = "Emit";

        private static readonly DiagnosticDescriptor Unsupported = new DiagnosticDescriptor(
            Parser.UnsupportedKeyword, "Unsupported schema keyword", "{0}", "Berth.Generator", DiagnosticSeverity.Error, isEnabledByDefault: true);

        private static readonly DiagnosticDescriptor BrokenRef = new DiagnosticDescriptor(
            Parser.BrokenRef, "Unresolved $ref", "{0}", "Berth.Generator", DiagnosticSeverity.Error, isEnabledByDefault: true);

        private static readonly DiagnosticDescriptor BadJson = new DiagnosticDescriptor(
            Parser.BadJson, "Schema file is not valid JSON", "{0}", "Berth.Generator", DiagnosticSeverity.Error, isEnabledByDefault: true);

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

            IncrementalValueProvider<EmitResult> emitted = set
                .Select(static (s, ct) => Emitter.Emit(s, ct))
                .WithTrackingName(EmitStep);

            context.RegisterSourceOutput(emitted, static (spc, result) =>
            {
                foreach (DiagnosticInfo d in result.Diagnostics) spc.ReportDiagnostic(ToDiagnostic(d));
                foreach (GeneratedSource source in result.Sources) spc.AddSource(source.HintName, SourceText.From(source.Text, System.Text.Encoding.UTF8));
            });
        }

        private static Diagnostic ToDiagnostic(DiagnosticInfo d)
        {
            DiagnosticDescriptor descriptor = d.Id == Parser.BrokenRef ? BrokenRef : d.Id == Parser.BadJson ? BadJson : Unsupported;
            Location location = d.Location is { } l
                ? Location.Create(d.FilePath, new TextSpan(l.Start, l.Length), new LinePositionSpan(new LinePosition(l.StartLine, l.StartColumn), new LinePosition(l.EndLine, l.EndColumn)))
                : Location.Create(d.FilePath, default, default);
            return Diagnostic.Create(descriptor, location, d.Message);
        }
    }
}
