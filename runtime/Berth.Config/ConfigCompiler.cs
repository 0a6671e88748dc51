using System.Text;
using Berth.Spec;

namespace Berth.Config;

/// <summary>One input: a display name (the path as the user gave it) and its bytes.</summary>
public sealed record ConfigFile(string Name, byte[] Content)
{
    public string Digest => Berth.Spec.Digest.Sha256Text(Content); // berth's own SHA-256: no OpenSSL in the binary

    public static ConfigFile Read(string path) => new(path, File.ReadAllBytes(path));
}

/// <summary>What <see cref="ConfigCompiler.Compile"/> produced.</summary>
public sealed class CompileResult
{
    public required List<ConfigDiagnostic> Diagnostics { get; init; }
    public required IReadOnlyList<ConfigFile> Files { get; init; }

    /// <summary>The merged document (null when a file could not be read or parsed).</summary>
    public CompiledDocument? Document { get; init; }

    /// <summary>The author's file compiled alone (same as <see cref="Document"/> when there are no host files);
    /// written on first use.</summary>
    public CompiledDocument? Author => _author ??= AuthorRoot is null ? null : ReferenceEquals(AuthorRoot, Document?.Root) ? Document : JsonOutput.Write(AuthorRoot);

    private CompiledDocument? _author;

    /// <summary>The author's merged tree (tags resolved, shorthands desugared).</summary>
    public MappingNode? AuthorRoot { get; init; }

    /// <summary>Where each removed author value was removed (node id → location of the !delete).</summary>
    public Dictionary<int, SourceLocation> Deletions { get; init; } = new();

    public Spec.Spec? Spec { get; init; }

    /// <summary>The host files' trust policy (empty when none declares one).</summary>
    public TrustPolicy Trust { get; init; } = new();

    public bool Success => Document is not null && Spec is not null && !Diagnostics.Any(d => d.Severity == Severity.Error);

    public int ErrorCount => Diagnostics.Count(d => d.Severity == Severity.Error);

    /// <summary>What the host files changed relative to the author's file.</summary>
    public List<DiffEntry> Diff() =>
        Document is null || AuthorRoot is null ? new() : ConfigDiff.Compute(AuthorRoot, Document.Root, Deletions, SchemaInfo.Config);
}

/// <summary>
/// The front-end: files (author first, then hosts) → parsed → shorthands desugared → merged → JSON with provenance →
/// validated by the generated validator (and the prose rules) → every finding at the location of the value that caused it.
/// </summary>
public static class ConfigCompiler
{
    /// <summary>
    /// Compiles files read from disk (with <paramref name="read"/>, else File.ReadAllBytes); a file that cannot be read
    /// (an IOException, whose message says why) is an error (BERTH0101), not an exception.
    /// </summary>
    /// <param name="images">Reads the image a <c>root.image</c> names (<see cref="ImageDefaults"/>), whose config then
    /// fills in what the process leaves out; null: no fill-in.</param>
    public static CompileResult Compile(string authorPath, IReadOnlyList<string> hostPaths, Func<string, byte[]>? read = null, Func<string, ImageDefaults>? images = null)
    {
        var diagnostics = new List<ConfigDiagnostic>();
        var files = new List<ConfigFile>();
        foreach (string path in hostPaths.Prepend(authorPath))
        {
            try
            {
                files.Add(read is null ? ConfigFile.Read(path) : new ConfigFile(path, read(path)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                diagnostics.Add(new(Severity.Error, Codes.CannotRead, new SourceLocation(path, 0, 0), "", "cannot read: " + e.Message));
            }
        }
        if (diagnostics.Count > 0)
            return new CompileResult { Diagnostics = diagnostics, Files = files };
        return Compile(files, diagnostics, images);
    }

    public static CompileResult Compile(IReadOnlyList<ConfigFile> files, List<ConfigDiagnostic>? diagnostics = null, Func<string, ImageDefaults>? images = null)
    {
        diagnostics ??= new List<ConfigDiagnostic>();
        var schema = SchemaInfo.Config;
        var trees = new List<MappingNode?>();
        var trust = new TrustPolicy();
        foreach (var file in files)
        {
            string text = Decode(file, diagnostics);
            var tree = YamlLoader.Load(file.Name, text, diagnostics);
            if (tree is not null)
            {
                trust.Take(tree, file.Name, isAuthor: trees.Count == 0, diagnostics);
                Desugar.Apply(tree, schema, diagnostics);
            }
            trees.Add(tree);
        }
        if (trees.Any(t => t is null) || files.Count == 0)
            return new CompileResult { Diagnostics = diagnostics, Files = files };

        var merger = new Merger(schema, diagnostics);
        MappingNode merged = merger.Merge(null, trees[0]!);
        var authorRoot = merged;
        for (int i = 1; i < trees.Count; i++)
            merged = merger.Merge(merged, trees[i]!);

        if (images is not null)
        {
            // The author's tree gets the same fill-in, so that the host files' diff shows only what they changed.
            var read = new Dictionary<string, ImageDefaults>(StringComparer.Ordinal);
            ImageDefaults Once(string image) => read.TryGetValue(image, out var known) ? known : read[image] = images(image);
            ImageFill.Apply(merged, Once, diagnostics);
            if (!ReferenceEquals(authorRoot, merged))
                ImageFill.Apply(authorRoot, Once, []); // its findings are the merged tree's, reported once

        }

        var document = JsonOutput.Write(merged);
        // A value already reported (a malformed shorthand) is not reported again by the validator.
        var reported = diagnostics.Where(d => d.Severity == Severity.Error).Select(d => d.Location).ToHashSet();
        var found = new List<ConfigDiagnostic>();
        var spec = Validate(document, found);
        diagnostics.AddRange(found.Where(d => d.Severity == Severity.Warning || !reported.Contains(d.Location)));
        Sort(diagnostics, files);
        return new CompileResult
        {
            Diagnostics = diagnostics,
            Files = files,
            Document = document,
            AuthorRoot = trees.Count == 1 ? document.Root : authorRoot,
            Deletions = merger.Deletions,
            Spec = spec,
            Trust = trust,
        };
    }

    private static Node? NodeAt(Node node, List<string> segments)
    {
        foreach (string seg in segments)
        {
            node = node switch
            {
                MappingNode m => m.Get(seg),
                SequenceNode q when int.TryParse(seg, out int i) && i >= 0 && i < q.Items.Count => q.Items[i],
                _ => null,
            } ?? null!;
            if (node is null)
                return null;
        }
        return node;
    }

    /// <summary>Findings in file order (author first), then by line and column.</summary>
    private static void Sort(List<ConfigDiagnostic> diagnostics, IReadOnlyList<ConfigFile> files)
    {
        int FileIndex(ConfigDiagnostic d)
        {
            for (int i = 0; i < files.Count; i++)
                if (files[i].Name == d.Location.File)
                    return i;
            return files.Count;
        }
        var sorted = diagnostics.Select((d, i) => (d, i)).OrderBy(x => FileIndex(x.d)).ThenBy(x => x.d.Location.Line)
            .ThenBy(x => x.d.Location.Column).ThenBy(x => x.i).Select(x => x.d).ToList();
        diagnostics.Clear();
        diagnostics.AddRange(sorted);
    }

    private static string Decode(ConfigFile file, List<ConfigDiagnostic> diagnostics)
    {
        try
        {
            var span = file.Content.AsSpan();
            if (span.StartsWith("\uFEFF"u8))
                span = span[3..];
            return new UTF8Encoding(false, true).GetString(span);
        }
        catch (DecoderFallbackException)
        {
            diagnostics.Add(new(Severity.Error, Codes.Syntax, new SourceLocation(file.Name, 1, 1), "", "the file is not valid UTF-8"));
            return "";
        }
    }

    /// <summary>
    /// Runs the generated validator and then the prose rules (Berth.Spec's <c>SpecRules</c>, run when the schema found
    /// no error) on the merged JSON, and maps each finding back to the file that wrote the value.
    /// </summary>
    public static Spec.Spec? Validate(CompiledDocument document, List<ConfigDiagnostic> diagnostics)
    {
        var found = new List<SchemaDiagnostic>();
        var spec = SpecRules.Validate(document.Json, found);
        foreach (var d in found)
        {
            bool unknown = d.Keyword == "unknown-member";
            var at = document.Locate(d.InstancePointer, preferKey: unknown);
            string path = Paths.DottedFromPointer(d.InstancePointer);
            var severity = d.Severity == SchemaSeverity.Error ? Severity.Error : Severity.Warning;
            string message = d.Message;
            if (unknown && !message.Contains("did you mean", StringComparison.Ordinal))
            {
                // The generated suggestion is by edit distance only; try abbreviations against the object's members too.
                var segments = Paths.Segments(d.InstancePointer);
                string name = segments.Count > 0 ? segments[^1] : "";
                var members = SchemaInfo.Config.MembersAt(segments.Take(segments.Count - 1).ToList());
                if (Suggest.Closest(name, members) is string suggestion)
                    message += "; did you mean \"" + suggestion + "\"?";
            }
            if (d.Keyword == "type" && message.Contains("boolean", StringComparison.Ordinal)
                && NodeAt(document.Root, Paths.Segments(d.InstancePointer)) is ScalarNode { Kind: ScalarKind.String } s
                && s.Text.ToLowerInvariant() is "yes" or "no" or "on" or "off" or "y" or "n")
                message += "; YAML 1.2 reads " + s.Text + " as a string: write true or false";
            string code = unknown ? Codes.UnknownMember : d.Keyword.StartsWith("x-", StringComparison.Ordinal) ? Codes.Rule : Codes.Schema;
            diagnostics.Add(new ConfigDiagnostic(severity, code, at, path, message));
        }
        return spec;
    }
}
