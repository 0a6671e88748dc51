using Berth.Spec;
using Xunit;

namespace Berth.Generator.Tests;

/// <summary>tests/corpus: valid documents give no error; invalid ones give errors at exactly the expected instance locations.</summary>
public class CorpusTests
{
    public delegate object? ParseFn(ReadOnlySpan<byte> json, List<SchemaDiagnostic> diagnostics);

    private static string Corpus(params string[] parts) => GeneratorHarness.Repo(["tests", "corpus", .. parts]);

    public static IEnumerable<object[]> Cases()
    {
        foreach (var (folder, schema) in new[] { ("", "config"), ("state", "state"), ("features", "features") })
        {
            foreach (string kind in new[] { "valid", "invalid" })
            {
                string dir = folder.Length == 0 ? Corpus(kind) : Corpus(folder, kind);
                if (!Directory.Exists(dir)) continue;
                foreach (string file in Directory.GetFiles(dir, "*.json").OrderBy(f => f, StringComparer.Ordinal))
                {
                    yield return new object[] { schema, Path.GetRelativePath(Corpus(), file) };
                }
            }
        }
    }

    internal static List<SchemaDiagnostic> Parse(string schema, byte[] json)
    {
        var diagnostics = new List<SchemaDiagnostic>();
        _ = schema switch
        {
            "config" => (object?)Spec.Spec.Parse(json, diagnostics),
            "state" => State.Parse(json, diagnostics),
            _ => Features.Parse(json, diagnostics),
        };
        return diagnostics;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Corpus_document(string schema, string relative)
    {
        string path = Corpus(relative);
        List<SchemaDiagnostic> diagnostics = Parse(schema, File.ReadAllBytes(path));
        var errors = diagnostics.Where(d => d.Severity == SchemaSeverity.Error).ToList();
        string report = string.Join("\n", diagnostics);
        if (relative.Split(Path.DirectorySeparatorChar).Contains("valid"))
        {
            Assert.True(errors.Count == 0, report);
            return;
        }
        var expected = File.ReadAllLines(Path.ChangeExtension(path, ".expect"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal))
            .Select(l => l.Substring(1)).ToHashSet(StringComparer.Ordinal);
        var actual = errors.Select(e => e.InstancePointer).ToHashSet(StringComparer.Ordinal);
        Assert.True(expected.SetEquals(actual), "expected: " + string.Join(", ", expected.Order()) + "\nactual: " + string.Join(", ", actual.Order()) + "\n" + report);
    }
}
