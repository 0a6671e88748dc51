using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Berth.Config;

namespace Berth.Config.Benchmarks;

/// <summary>
/// The front-end in process: specs/examples/author.yaml plus two host files (specs/examples/host.yaml and a second,
/// small one) → parsed, desugared, merged, written as JSON with provenance, validated (schema + prose rules).
/// </summary>
[MemoryDiagnoser]
public class CompileBenchmarks
{
    private List<ConfigFile> _files = null!;
    private List<ConfigFile> _authorOnly = null!;

    private const string SecondHost = """
        # A second host file: site-wide defaults from /etc/berth/host.d.
        process:
          env: {HTTP_PROXY: "http://proxy.internal:3128"}
          rlimits: {core: 0}
        linux:
          maskedPaths: [/proc/scsi]
        annotations:
          site.example/region: eu-west
        """;

    [GlobalSetup]
    public void Setup()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "examples");
        var author = new ConfigFile("author.yaml", File.ReadAllBytes(Path.Combine(dir, "author.yaml")));
        var host = new ConfigFile("host.yaml", File.ReadAllBytes(Path.Combine(dir, "host.yaml")));
        var second = new ConfigFile("site.yaml", Encoding.UTF8.GetBytes(SecondHost));
        _files = [author, host, second];
        _authorOnly = [author];
        var check = ConfigCompiler.Compile(_files);
        if (!check.Success)
            throw new InvalidOperationException(string.Join("\n", check.Diagnostics));
    }

    [Benchmark(Description = "author + 2 hosts → validated config.json")]
    public byte[] AuthorPlusTwoHosts() => ConfigCompiler.Compile(_files).Document!.Json;

    [Benchmark(Description = "author alone")]
    public byte[] AuthorAlone() => ConfigCompiler.Compile(_authorOnly).Document!.Json;

    [Benchmark(Description = "author + 2 hosts, then diff")]
    public int WithDiff() => ConfigCompiler.Compile(_files).Diff().Count;
}

public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
