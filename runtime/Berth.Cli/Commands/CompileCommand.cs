using System.Text;
using Berth.Cli.Parsing;
using Berth.Config;
using Berth.Runtime;
using Berth.Runtime.Bundles;

namespace Berth.Cli.Commands;

/// <summary>`berth compile AUTHOR [--host FILE…] [--host-dir DIR] [-o FILE] [--explain|--diff|--to-yaml]`: an author's
/// config and host files → config.json (or its explanation, the host files' diff, or YAML). Nothing is written on errors.</summary>
public static class CompileCommand
{
    public static readonly CommandDefinition Definition = new("compile", "AUTHOR.yaml",
        "berth's own: compile a YAML config and host files into config.json",
    [
        Flag.Value("host", "a host file merged into the author's config, after --host-dir's").Many(),
        Flag.Value("host-dir", "a folder of host files, merged in name order ($BERTH_HOST_DIR is not read)"),
        Flag.Value("output", "write the result to this file (- or none: standard output)", "o"),
        Flag.Switch("explain", "print where every value comes from instead of the config"),
        Flag.Switch("diff", "print what the host files changed instead of the config"),
        Flag.Switch("to-yaml", "print the result as YAML"),
    ], Run)
    { FromRunc = false };

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        string author = a.Single("author file");
        var hosts = new List<string>();
        if (a.Value("host-dir") is string dir)
        {
            if (!Directory.Exists(dir))
                throw new BerthException($"--host-dir {dir} does not exist", 2);
            hosts.AddRange(HostDirectory.Files(dir));
        }
        hosts.AddRange(a.Values("host"));
        bool explain = a.Flag("explain"), diff = a.Flag("diff"), toYaml = a.Flag("to-yaml");
        string? target = a.Value("output");
        if ((explain ? 1 : 0) + (diff ? 1 : 0) + (toYaml ? 1 : 0) > 1)
            throw new BerthException("--explain, --diff and --to-yaml exclude each other: each prints the result its own way", 2);
        var result = ConfigCompiler.Compile(author, hosts, BundleConfig.ReadConfigFile, ImageConfigReader.For(call.Runtime.ImageStoreRoot));
        BundleConfig.Print(result.Diagnostics, call.Log);
        if (!result.Success)
            throw new BerthException($"{result.ErrorCount} error(s); nothing written");
        var document = result.Document!;
        byte[] output;
        if (explain)
            output = Encoding.UTF8.GetBytes(Explain.Render(document.Root));
        else if (diff)
            output = Encoding.UTF8.GetBytes(HostChanges.Render(result.Diff()));
        else if (toYaml)
            output = Encoding.UTF8.GetBytes(YamlWriter.FromJson(document.Json));
        else
            output = [.. document.Json, (byte)'\n'];
        if (target is null || target == "-")
            StandardStreams.Write(output);
        else
        {
            string full = Path.GetFullPath(target);
            string temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp");
            File.WriteAllBytes(temp, output);
            File.Move(temp, full, overwrite: true);
        }
        return 0;
    }
}
