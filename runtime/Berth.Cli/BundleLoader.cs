using System.Security.Cryptography;
using Berth.Runtime;
using Berth.Runtime.Lifecycle;
using Berth.Spec;

namespace Berth.Cli;

/// <summary>Reads a bundle's config, validates it, and reports every problem at once.</summary>
public static class BundleLoader
{
    public static LoadedConfig Load(string bundle, IReadOnlyList<string> hostFiles, Log log, string command)
    {
        string path = Path.Combine(bundle, "config.json");
        if (!File.Exists(path))
            throw new BerthException($"{command}: {path} does not exist");
        if (hostFiles.Count > 0)
            throw new BerthException($"{command}: --host needs the YAML front-end, which this build does not have yet");
        byte[] json = File.ReadAllBytes(path);
        var diagnostics = new List<SchemaDiagnostic>();
        var spec = Berth.Spec.Spec.Parse(json, diagnostics);
        int errors = Report(path, diagnostics, log);
        if (errors > 0 || spec is null)
            throw new BerthException($"{command}: {path}: {errors} error(s) in the configuration");
        string digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(json));
        return new LoadedConfig(spec, json, [new(path, digest)]);
    }

    public static int Report(string file, List<SchemaDiagnostic> diagnostics, Log log)
    {
        int errors = 0;
        foreach (var d in diagnostics)
        {
            string where = d.InstancePointer.Length == 0 ? "(root)" : d.InstancePointer;
            if (d.Severity == SchemaSeverity.Error)
            {
                errors++;
                log.Error($"{file}: error: {where}: {d.Message}");
            }
            else
                log.Warning($"{file}: {where}: {d.Message}");
        }
        return errors;
    }
}
