using System.Diagnostics;
using System.Text.Json;
using Berth.Spec;

namespace Berth.Benchmarks;

/// <summary>
/// `dotnet run -c Release -- floor`: how close the generated reader is to the cost of only tokenizing the document
/// (Utf8JsonReader over every token) and of tokenizing plus materializing every string. Interleaved rounds,
/// best round reported, so that a busy machine disturbs all three alike.
/// </summary>
internal static class Floor
{
    public static void Run()
    {
        foreach (string name in new[] { "default", "seccomp" })
        {
            byte[] utf8 = File.ReadAllBytes(Documents.File(name));
            var diagnostics = new List<SchemaDiagnostic>();
            var best = new double[3];
            Array.Fill(best, double.MaxValue);
            int n = name == "default" ? 20000 : 3000;
            for (int round = 0; round < 15; round++)
            {
                best[0] = Math.Min(best[0], Time(n, () => Tokens(utf8, strings: false)));
                best[1] = Math.Min(best[1], Time(n, () => Tokens(utf8, strings: true)));
                best[2] = Math.Min(best[2], Time(n, () => { diagnostics.Clear(); Berth.Spec.Spec.Parse(utf8, diagnostics); }));
            }
            Console.WriteLine($"{name}: tokens only {best[0]:F2} µs, tokens + strings {best[1]:F2} µs, generated Parse {best[2]:F2} µs ({best[2] / best[0]:F1}× tokens, {best[2] / best[1]:F1}× tokens + strings)");
        }
    }

    private static int Tokens(byte[] utf8, bool strings)
    {
        var reader = new Utf8JsonReader(utf8);
        int n = 0;
        while (reader.Read())
        {
            if (strings && reader.TokenType is JsonTokenType.String) n += reader.GetString()!.Length;
            n++;
        }
        return n;
    }

    private static double Time(int n, Action action)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) action();
        return sw.Elapsed.TotalMicroseconds / n;
    }
}
