using System.Text;
using Berth.Config;
using Berth.Runtime;
using Berth.Runtime.Lifecycle;

namespace Berth.Cli;

/// <summary>
/// The config front-end's commands: `compile` (author + host files → config.json), `diff` (what the host files
/// changed in a container's config) and `schema` (JSON Schema of the YAML format).
/// </summary>
public static class ConfigCommands
{
    public static readonly string[] CompileValueFlags = ["host", "output", "o", "host-dir"];
    public static readonly string[] CompileBoolFlags = ["explain", "to-yaml", "diff"];

    public const string DiffFile = "config.diff.json", AuthorFile = "config.author.json", ProvenanceFile = "config.provenance.json";

    /// <summary>Prints every finding as a compiler does (file:line:column: error CODE: path: message) on stderr, and
    /// into --log with its level.</summary>
    public static void Print(IEnumerable<ConfigDiagnostic> diagnostics, Log log)
    {
        foreach (var d in diagnostics)
            log.Line(d.Severity == Severity.Error ? "error" : "warning", d.ToString());
    }

    /// <summary>Reads a config file (author or host) for the front-end: only a regular file (a symlink to one is
    /// followed); a FIFO, device or directory is refused without blocking.</summary>
    public static byte[] ReadConfigFile(string path) =>
        SmallFiles.ReadRegular(path, out int error) ?? throw new IOException(Linux.Describe(error));

    /// <summary>The host directory's files in name order: $BERTH_HOST_DIR, or /etc/berth/host.d (empty: none).</summary>
    public static List<string> HostDirectoryFiles(string? dir = null)
    {
        dir ??= Environment.GetEnvironmentVariable("BERTH_HOST_DIR") ?? "/etc/berth/host.d";
        var files = new List<string>();
        if (dir.Length == 0 || !Directory.Exists(dir))
            return files;
        foreach (string f in Directory.GetFiles(dir))
            if (f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
                files.Add(f);
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    public static int Compile(Arguments a, Log log)
    {
        string author = a.Single("compile", "author file");
        var hosts = new List<string>();
        if (a.Value("host-dir") is string dir)
        {
            if (!Directory.Exists(dir))
                throw new BerthException($"compile: --host-dir {dir} does not exist", 2);
            hosts.AddRange(HostDirectoryFiles(dir));
        }
        hosts.AddRange(a.Values("host"));
        var result = ConfigCompiler.Compile(author, hosts, ReadConfigFile);
        Print(result.Diagnostics, log);
        if (!result.Success)
            throw new BerthException($"compile: {result.ErrorCount} error(s); nothing written");
        var document = result.Document!;
        byte[] output;
        if (a.Flag("explain"))
            output = Encoding.UTF8.GetBytes(Explain.Render(document.Root));
        else if (a.Flag("diff"))
            output = Encoding.UTF8.GetBytes(RenderDiff(result.Diff()));
        else if (a.Flag("to-yaml"))
            output = Encoding.UTF8.GetBytes(YamlWriter.FromJson(document.Json));
        else
            output = [.. document.Json, (byte)'\n'];
        string? target = a.Value("output", "o");
        if (target is null || target == "-")
        {
            StandardStreams.Write(output);
        }
        else
        {
            string full = Path.GetFullPath(target);
            string temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp");
            File.WriteAllBytes(temp, output);
            File.Move(temp, full, overwrite: true);
        }
        return 0;
    }

    public static string RenderDiff(IReadOnlyList<DiffEntry> entries)
    {
        var sb = new StringBuilder();
        foreach (var e in entries)
            sb.Append(e.ToString()).Append('\n');
        return sb.ToString();
    }

    public static int Diff(Arguments a, ContainerRuntime runtime, Log log)
    {
        string id = a.Single("diff", "container id");
        string format = a.Value("format") ?? "text";
        if (format is not ("text" or "json"))
            throw new BerthException($"diff: --format must be text or json, not \"{format}\"", 2);
        using var dir = runtime.Store.Open(id);
        dir.Load(); // "does not exist" when it is not a container
        byte[]? json = dir.Read(DiffFile, out int error);
        if (json is null && error == Tmds.Linux.LibC.ENOENT)
        {
            log.Line("info", $"berth: diff: container \"{id}\" ran its bundle's config.json as it was (no host files)");
            return 0;
        }
        if (json is null)
            throw BerthException.Errno($"diff: read {dir.PathOf(DiffFile)}", error);
        if (format == "json")
        {
            Commands.WriteOut(json);
            return 0;
        }
        StandardStreams.Write(RenderDiff(ConfigDiff.FromJson(json)));
        return 0;
    }

    public static int Schema(Arguments a)
    {
        byte[] schema = YamlSchema.Build();
        string? target = a.Value("output", "o");
        if (target is null || target == "-")
            Commands.WriteOut(schema);
        else
            File.WriteAllBytes(target, [.. schema, (byte)'\n']);
        return 0;
    }

    /// <summary>
    /// A bundle's config through the front-end: config.json (or config.yaml / config.yml) as the author's file, then
    /// the host directory's files, then each --host file. Stores the author's compiled document, the provenance of
    /// every value and the diff next to config.json in the state directory.
    /// </summary>
    public static LoadedConfig LoadBundle(string author, IReadOnlyList<string> hostFiles, string command, Log log)
    {
        var hosts = HostDirectoryFiles();
        hosts.AddRange(hostFiles);
        log.DebugLine($"{command}: config {author} compiled with host files [{string.Join(", ", hosts)}]");
        var result = ConfigCompiler.Compile(author, hosts, ReadConfigFile);
        Print(result.Diagnostics, log);
        if (!result.Success)
            throw new BerthException($"{command}: {result.ErrorCount} error(s) in the configuration");
        var document = result.Document!;
        var sources = result.Files.Select(f => new KeyValuePair<string, string>(Path.GetFullPath(f.Name), f.Digest)).ToList();
        var extra = new List<KeyValuePair<string, byte[]>>
        {
            new(ProvenanceFile, ProvenanceJson(document)),
        };
        if (hosts.Count > 0)
        {
            extra.Add(new(AuthorFile, result.Author!.Json));
            extra.Add(new(DiffFile, ConfigDiff.ToJson(result.Diff(), result.Files)));
        }
        return new LoadedConfig(result.Spec!, document.Json, sources) { ExtraFiles = extra };
    }

    private static byte[] ProvenanceJson(CompiledDocument document)
    {
        using var buffer = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            foreach (var (pointer, at) in document.Provenance)
                w.WriteString(pointer, at.ToString());
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
