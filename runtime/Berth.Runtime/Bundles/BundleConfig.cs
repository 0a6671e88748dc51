using System.Text.Json;
using Berth.Config;
using Berth.Runtime.Lifecycle;
using Berth.Runtime.State;
using Berth.Spec;

namespace Berth.Runtime.Bundles;

/// <summary>
/// Which config a bundle runs and how it is read: the bundle's config.json, or its config.yaml / config.yml, with the
/// host rules merged in — the files of the host directory (<see cref="HostDirectory"/>, in name order), then each
/// --host file. A config.json with no host file at all is read as it is; everything else goes through the config
/// front-end (Berth.Config), and the author's compiled document, the provenance of every value and the host files'
/// diff are kept for the state directory (<see cref="StateStore"/> names those files).
/// </summary>
public static class BundleConfig
{
    /// <summary>The names a bundle's config may have, in the order they are looked for.</summary>
    public static readonly string[] ConfigNames = [StateStore.ConfigFile, "config.yaml", "config.yml"];

    /// <summary>Reads, merges and validates the bundle's config; every finding goes to <paramref name="sink"/> before
    /// an error is thrown.</summary>
    /// <param name="imageStore">The content store a root.image is read from (null: the default store).</param>
    public static LoadedConfig Load(string bundle, IReadOnlyList<string> hostFiles, IDiagnosticSink sink, string? imageStore = null)
    {
        string path = Path.Combine(bundle, StateStore.ConfigFile);
        // Only a regular file (a symlink to one is followed): a FIFO or a device is refused without blocking.
        byte[]? json = SmallFiles.ReadRegular(path, out int readError);
        if (json is null && readError != Tmds.Linux.LibC.ENOENT)
            throw BerthException.Errno($"read {path}", readError);
        if (json is null)
        {
            string yaml = ConfigNames.Skip(1).Select(n => Path.Combine(bundle, n)).FirstOrDefault(Path.Exists)
                ?? throw new BerthException($"{path} does not exist (nor config.yaml)");
            return Compile(yaml, hostFiles, sink, imageStore);
        }
        if (hostFiles.Count > 0 || HostDirectory.Files().Count > 0)
            return Compile(path, hostFiles, sink, imageStore);
        byte[] file = json;
        var diagnostics = new List<SchemaDiagnostic>();
        var spec = SpecRules.Validate(json, diagnostics); // schema + prose rules
        if (spec?.Root?.Image is not null)
        {
            // The image fills in what the process leaves out; then the filled-in document is what is checked and run.
            try
            {
                json = ImageFill.ApplyToJson(json, ImageConfigReader.For(imageStore), JsonText.Options(indented: true));
            }
            catch (ImageLookupException e)
            {
                throw new BerthException($"{path}: root.image: {e.Message}");
            }
            diagnostics.Clear();
            spec = SpecRules.Validate(json, diagnostics);
        }
        int errors = Report(path, diagnostics, sink);
        if (errors > 0 || spec is null)
            throw new BerthException($"{path}: {errors} error(s) in the configuration");
        string digest = Digest.Sha256Text(file); // the file as written: an image's values are not in it
        sink.DebugLine($"config {path} ({digest}, {file.Length} bytes, {diagnostics.Count} warning(s))");
        return new LoadedConfig(spec, json, [new(path, digest)]);
    }

    /// <summary>
    /// An author's config through the front-end with the host directory's files, then <paramref name="hostFiles"/>.
    /// Keeps the author's compiled document, the provenance of every value and the diff for the state directory.
    /// </summary>
    public static LoadedConfig Compile(string author, IReadOnlyList<string> hostFiles, IDiagnosticSink sink, string? imageStore = null)
    {
        var hosts = HostDirectory.Files();
        hosts.AddRange(hostFiles);
        sink.DebugLine($"config {author} compiled with host files [{string.Join(", ", hosts)}]");
        var result = ConfigCompiler.Compile(author, hosts, ReadConfigFile, ImageConfigReader.For(imageStore));
        Print(result.Diagnostics, sink);
        if (!result.Success)
            throw new BerthException($"{result.ErrorCount} error(s) in the configuration");
        var document = result.Document!;
        var sources = result.Files.Select(f => new KeyValuePair<string, string>(Path.GetFullPath(f.Name), f.Digest)).ToList();
        var extra = new List<KeyValuePair<string, byte[]>>
        {
            new(StateStore.ProvenanceFile, ProvenanceJson(document)),
        };
        if (hosts.Count > 0)
        {
            extra.Add(new(StateStore.AuthorFile, result.Author!.Json));
            extra.Add(new(StateStore.DiffFile, ConfigDiff.ToJson(result.Diff(), result.Files)));
        }
        // The host's trust policy, before anything is made: a refusal leaves nothing behind.
        if (!result.Trust.IsEmpty)
        {
            var verified = TrustCheck.Verify(result.Trust, result.Files[0], result.Spec!, Path.GetDirectoryName(Path.GetFullPath(author))!);
            foreach (var v in verified)
                sink.DebugLine($"trust: {v.What} {v.Subject} signed by key {v.KeyFingerprint}");
            extra.Add(new(StateStore.TrustFile, TrustCheck.ToJson(verified)));
        }
        return new LoadedConfig(result.Spec!, document.Json, sources) { ExtraFiles = extra };
    }

    /// <summary>Reads a config file (author or host) for the front-end: only a regular file (a symlink to one is
    /// followed); a FIFO, device or directory is refused without blocking.</summary>
    public static byte[] ReadConfigFile(string path) =>
        SmallFiles.ReadRegular(path, out int error) ?? throw new IOException(Linux.Describe(error));

    /// <summary>Every finding of the front-end as a compiler prints it (file:line:column: error CODE: path: message).</summary>
    public static void Print(IEnumerable<ConfigDiagnostic> diagnostics, IDiagnosticSink sink)
    {
        foreach (var d in diagnostics)
            sink.Line(d.Severity == Severity.Error ? "error" : "warning", d.ToString());
    }

    /// <summary>Every finding of the schema and the prose rules on a JSON config; returns the number of errors.</summary>
    public static int Report(string file, IEnumerable<SchemaDiagnostic> diagnostics, IDiagnosticSink sink)
    {
        int errors = 0;
        foreach (var d in diagnostics)
        {
            string where = d.InstancePointer.Length == 0 ? "(root)" : d.InstancePointer;
            if (d.Severity == SchemaSeverity.Error)
            {
                errors++;
                sink.Error($"{file}: error: {where}: {d.Message}");
            }
            else
                sink.Warning($"{file}: {where}: {d.Message}");
        }
        return errors;
    }

    private static byte[] ProvenanceJson(CompiledDocument document)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            foreach (var (pointer, at) in document.Provenance)
                w.WriteString(pointer, at.ToString());
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
