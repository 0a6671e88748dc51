global using Xunit;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Config;

namespace Berth.Config.Tests;

public static class Support
{
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Compiler.sln")))
                return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Compiler.sln)");
    }

    public static ConfigFile MakeFile(string name, string text) => new(name, Encoding.UTF8.GetBytes(text));

    /// <summary>Compiles in-memory files: the first is the author's, then the hosts.</summary>
    public static CompileResult Compile(params (string Name, string Text)[] files) =>
        ConfigCompiler.Compile(files.Select(f => MakeFile(f.Name, f.Text)).ToList());

    public static JsonNode Json(CompileResult r)
    {
        Assert.True(r.Document is not null, string.Join("\n", r.Diagnostics));
        return JsonNode.Parse(r.Document!.Json)!;
    }

    public static string Errors(CompileResult r) => string.Join("\n", r.Diagnostics);

    public const string Minimal = """
        ociVersion: 1.3.0
        root: {path: rootfs}
        process:
          cwd: /
          args: [sh]
          user: {uid: 0, gid: 0}
        """;
}
