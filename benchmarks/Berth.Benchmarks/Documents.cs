namespace Berth.Benchmarks;

/// <summary>The documents measured and where the schemas are, found from the repository root.</summary>
internal static class Documents
{
    public static string Repo(params string[] parts)
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !System.IO.File.Exists(Path.Combine(dir, "Compiler.sln"))) dir = Path.GetDirectoryName(dir);
        if (dir is null)
        {
            dir = Directory.GetCurrentDirectory();
            while (dir is not null && !System.IO.File.Exists(Path.Combine(dir, "Compiler.sln"))) dir = Path.GetDirectoryName(dir);
        }
        return Path.Combine([dir ?? throw new InvalidOperationException("run from inside the berth repository"), .. parts]);
    }

    /// <summary>"default": runc's default config (what `berth spec` writes); "seccomp": a ~300-syscall seccomp profile.</summary>
    public static string File(string name) => name switch
    {
        "default" => Repo("tests", "corpus", "valid", "runc-default.json"),
        "seccomp" => Repo("tests", "corpus", "valid", "seccomp-large.json"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    public static string[] SchemaFiles() => Directory.GetFiles(Repo("specs"), "*.schema.json").Order(StringComparer.Ordinal).ToArray();
}
