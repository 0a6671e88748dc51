using Berth.Runtime;
using Berth.Runtime.Lifecycle;
using Berth.Spec;

namespace Berth.Cli;

/// <summary>Reads a bundle's config, validates it, and reports every problem at once.</summary>
public static class BundleLoader
{
    /// <summary>
    /// The bundle's config.json, or its config.yaml / config.yml, with the host overrides: the files of the host
    /// directory ($BERTH_HOST_DIR, default /etc/berth/host.d, in name order), then each --host file. A config.json with
    /// no host file at all is read as it is; everything else goes through the config front-end (runtime/Berth.Config).
    /// </summary>
    public static LoadedConfig Load(string bundle, IReadOnlyList<string> hostFiles, Log log, string command)
    {
        string path = Path.Combine(bundle, "config.json");
        // Only a regular file (a symlink to one is followed): a FIFO or a device is refused without blocking.
        byte[]? json = SmallFiles.ReadRegular(path, out int readError);
        if (json is null && readError != Tmds.Linux.LibC.ENOENT)
            throw BerthException.Errno($"{command}: read {path}", readError);
        if (json is null)
        {
            string? yaml = new[] { "config.yaml", "config.yml" }.Select(n => Path.Combine(bundle, n)).FirstOrDefault(Path.Exists);
            if (yaml is null)
                throw new BerthException($"{command}: {path} does not exist (nor config.yaml)");
            return ConfigCommands.LoadBundle(yaml, hostFiles, command, log);
        }
        if (hostFiles.Count > 0 || ConfigCommands.HostDirectoryFiles().Count > 0)
            return ConfigCommands.LoadBundle(path, hostFiles, command, log);
        var diagnostics = new List<SchemaDiagnostic>();
        var spec = SpecRules.Validate(json, diagnostics); // schema + prose rules
        int errors = Report(path, diagnostics, log);
        if (errors > 0 || spec is null)
            throw new BerthException($"{command}: {path}: {errors} error(s) in the configuration");
        string digest = Digest.Sha256Text(json);
        log.DebugLine($"{command}: config {path} ({digest}, {json.Length} bytes, {diagnostics.Count} warning(s))");
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
