using Berth.Runtime.Bundles;
using Berth.Runtime.State;

namespace Berth.Cli.Tests;

/// <summary>
/// The library's bundle reading (Berth.Runtime/Bundles): which file a bundle runs, what the host files add to the
/// state directory, and that every finding reaches the sink before the error, which names no command.
/// </summary>
public class BundleConfigTests
{
    private sealed class Collect : IDiagnosticSink
    {
        public List<string> Lines { get; } = new();
        public void Error(string message) => Lines.Add("error: " + message);
        public void Warning(string message) => Lines.Add("warning: " + message);
        public void Line(string level, string text) => Lines.Add(level + ": " + text);
        public void DebugLine(string message) => Lines.Add("debug: " + message);
    }

    private const string Author = "ociVersion: 1.3.0\nroot: {path: rootfs}\nhostname: author\nprocess: {cwd: /, args: [true], user: '0:0'}\nlinux: {namespaces: [uts, mount]}\n";

    private static string NewBundle()
    {
        Environment.SetEnvironmentVariable(HostDirectory.Variable, "");
        return Directory.CreateTempSubdirectory("berth-bundle").FullName;
    }

    [Fact]
    public void A_bundle_without_config_json_runs_its_config_yaml_and_keeps_the_provenance()
    {
        string bundle = NewBundle();
        File.WriteAllText(Path.Combine(bundle, "config.yaml"), Author);
        var sink = new Collect();
        var loaded = BundleConfig.Load(bundle, [], sink);
        Assert.Equal("author", loaded.Spec.Hostname);
        Assert.Equal([StateStore.ProvenanceFile], loaded.ExtraFiles.Select(f => f.Key));
        Assert.Contains(sink.Lines, l => l.StartsWith("debug: config ", StringComparison.Ordinal));
    }

    [Fact]
    public void Host_files_add_the_authors_document_and_the_diff_under_the_stores_names()
    {
        string bundle = NewBundle();
        File.WriteAllText(Path.Combine(bundle, "config.yml"), Author);
        string host = Path.Combine(bundle, "host.yaml");
        File.WriteAllText(host, "hostname: host\n");
        var loaded = BundleConfig.Load(bundle, [host], new Collect());
        Assert.Equal("host", loaded.Spec.Hostname);
        Assert.Equal([StateStore.ProvenanceFile, StateStore.AuthorFile, StateStore.DiffFile], loaded.ExtraFiles.Select(f => f.Key));
        var diff = Berth.Config.ConfigDiff.FromJson(loaded.ExtraFiles.Single(f => f.Key == StateStore.DiffFile).Value);
        Assert.StartsWith("~ hostname: \"author\"", HostChanges.Render(diff));
    }

    [Fact]
    public void Every_finding_reaches_the_sink_and_the_error_names_no_command()
    {
        string bundle = NewBundle();
        File.WriteAllText(Path.Combine(bundle, "config.json"), "{\"ociVersion\": \"1.3.0\", \"process\": {\"cwd\": \"relative\", \"args\": []}}");
        var sink = new Collect();
        var e = Assert.Throws<BerthException>(() => BundleConfig.Load(bundle, [], sink));
        Assert.StartsWith(Path.Combine(bundle, "config.json") + ": ", e.Message);
        Assert.Contains("error(s) in the configuration", e.Message);
        Assert.Contains(sink.Lines, l => l.StartsWith("error: " + Path.Combine(bundle, "config.json") + ": error: /process", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bundle_with_no_config_says_so()
    {
        string bundle = NewBundle();
        var e = Assert.Throws<BerthException>(() => BundleConfig.Load(bundle, [], new Collect()));
        Assert.Equal($"{Path.Combine(bundle, "config.json")} does not exist (nor config.yaml)", e.Message);
    }
}
