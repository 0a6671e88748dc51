using System.Diagnostics;
using System.Text.Json;
using Berth.Spec;

namespace Berth.Benchmarks;

/// <summary>
/// `dotnet run -c Release -- floor`: how close the generated reader is to the cost of only tokenizing the document
/// (Utf8JsonReader over every token), of tokenizing plus materializing every string, and of a bare scanner that finds
/// the tokens and makes the strings but checks nothing; and what those floors mean for the ratio to JsonSchema.Net.
/// Interleaved rounds, best round reported, so that a busy machine disturbs all alike.
/// </summary>
internal static class Floor
{
    public static void Run()
    {
        foreach (string name in new[] { "default", "seccomp" })
        {
            byte[] utf8 = File.ReadAllBytes(Documents.File(name));
            var diagnostics = new List<SchemaDiagnostic>();
            var reference = new ValidateBenchmarks { Document = name };
            reference.Setup();
            var best = new double[5];
            Array.Fill(best, double.MaxValue);
            int n = name == "default" ? 20000 : 3000;
            for (int round = 0; round < 15; round++)
            {
                best[0] = Math.Min(best[0], Time(n, () => Tokens(utf8, strings: false)));
                best[1] = Math.Min(best[1], Time(n, () => Tokens(utf8, strings: true)));
                best[2] = Math.Min(best[2], Time(n, () => BareScan(utf8)));
                best[3] = Math.Min(best[3], Time(n, () => { diagnostics.Clear(); Berth.Spec.Spec.Parse(utf8, diagnostics); }));
                best[4] = Math.Min(best[4], Time(n / 10, () => reference.JsonSchemaNet()));
            }
            Console.WriteLine($"{name}: tokens only {best[0]:F2} µs, tokens + strings {best[1]:F2} µs, bare scan + strings {best[2]:F2} µs, " +
                $"generated Parse {best[3]:F2} µs ({best[3] / best[0]:F1}× tokens, {best[3] / best[1]:F1}× tokens + strings), JsonSchema.Net {best[4]:F1} µs");
            Console.WriteLine($"  JsonSchema.Net ÷ generated Parse = {best[4] / best[3]:F1}×; the most any reader that materializes the strings could reach: " +
                $"{best[4] / best[1]:F1}× on Utf8JsonReader, {best[4] / best[2]:F1}× with a bare scanner that checks nothing");
        }
    }

    /// <summary>
    /// The least a reader must do: find every token and make a string of every string value (the model holds them) —
    /// without checking the grammar, numbers or escapes. Not a JSON parser; a bound on what one could cost.
    /// </summary>
    private static int BareScan(byte[] utf8)
    {
        ReadOnlySpan<byte> s = utf8;
        int i = 0, n = 0;
        while (true)
        {
            while (i < s.Length && s[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') i++;
            if (i >= s.Length) return n;
            switch (s[i])
            {
                case (byte)'"':
                {
                    int start = i + 1, end = start;
                    while (true)
                    {
                        end += s[end..].IndexOfAny(Quotes);
                        if (s[end] == '"') break;
                        end += 2; // an escape: skip it
                    }
                    i = end + 1;
                    int next = i;
                    while (next < s.Length && s[next] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') next++;
                    if (next >= s.Length || s[next] != ':')
                        n += System.Text.Encoding.UTF8.GetString(s[start..end]).Length;
                    n++;
                    break;
                }
                case (byte)'t' or (byte)'n': i += 4; n++; break;
                case (byte)'f': i += 5; n++; break;
                case (byte)'{' or (byte)'}' or (byte)'[' or (byte)']' or (byte)',' or (byte)':': i++; n++; break;
                default:
                    while (i < s.Length && s[i] is (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E' or (>= (byte)'0' and <= (byte)'9')) i++;
                    n++;
                    break;
            }
        }
    }

    private static readonly System.Buffers.SearchValues<byte> Quotes = System.Buffers.SearchValues.Create("\"\\"u8);

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
