using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Spec;

namespace Berth.Benchmarks;

/// <summary>
/// `dotnet run -c Release -- model-size`: bytes one Parse allocates versus the bytes the returned model keeps alive
/// (measured as the heap growth while 2,000 models are held), with JsonDocument/JsonNode as points of comparison;
/// also whether NJsonSchema loads our 2020-12 schemas and agrees on a valid and an invalid document.
/// </summary>
internal static class ModelSize
{
    public static void Run()
    {
        foreach (string name in new[] { "default", "seccomp" })
        {
            byte[] utf8 = File.ReadAllBytes(Documents.File(name));
            var diagnostics = new List<SchemaDiagnostic>();
            for (int i = 0; i < 100; i++) { diagnostics.Clear(); Berth.Spec.Spec.Parse(utf8, diagnostics); }

            long allocated = Allocated(() => { diagnostics.Clear(); Berth.Spec.Spec.Parse(utf8, diagnostics); });
            long retained = Retained(() => Berth.Spec.Spec.Parse(utf8, new List<SchemaDiagnostic>())!);
            long jsonNodeAllocated = Allocated(() => JsonNode.Parse(utf8)!["ociVersion"]!.GetValue<string>());
            long jsonNodeRetained = Retained(() => { var n = JsonNode.Parse(utf8)!; Touch(n); return n; });
            long documentAllocated = Allocated(() => { using var d = JsonDocument.Parse(utf8); });
            Console.WriteLine($"{name}: {utf8.Length} bytes of JSON; generated Parse allocates {allocated} B, the model it returns retains {retained} B " +
                $"(allocated/retained {(double)allocated / retained:F2}); JsonNode.Parse allocates {jsonNodeAllocated} B (lazy, one member read) and retains {jsonNodeRetained} B once walked; JsonDocument.Parse allocates {documentAllocated} B");
        }

        if (NJsonSchemaLoader.TryLoadOriginal(out string? original) is null)
            Console.WriteLine("NJsonSchema: does not load specs/config.schema.json as written: " + original);
        var njson = NJsonSchemaLoader.TryLoad(out string? problem);
        if (njson is null)
        {
            Console.WriteLine("NJsonSchema: does not load the $defs→definitions copy either: " + problem);
            return;
        }
        string valid = File.ReadAllText(Documents.File("default"));
        string invalid = """{"ociVersion":"9","process":{"cwd":5,"args":[]},"linux":{"namespaces":[{"type":"nope"}]}}""";
        var validErrors = njson.Validate(valid);
        var invalidErrors = njson.Validate(invalid);
        Console.WriteLine($"NJsonSchema ($defs→definitions copy): loads; valid document → {validErrors.Count} errors; invalid document (4 violations) → {invalidErrors.Count} errors: " +
            string.Join("; ", invalidErrors.Select(e => e.Path + " " + e.Kind)));
    }

    private static void Touch(JsonNode node)
    {
        // JsonNode materializes children lazily: walk it so that the retained size is the whole tree.
        switch (node)
        {
            case JsonObject o: foreach (var kv in o) if (kv.Value is not null) Touch(kv.Value); break;
            case JsonArray a: foreach (var v in a) if (v is not null) Touch(v); break;
        }
    }

    private static long Allocated(Action action)
    {
        const int n = 1000;
        action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++) action();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / n;
    }

    private static long Retained(Func<object> make)
    {
        const int n = 2000;
        var keep = new object[n];
        make();
        long before = GC.GetTotalMemory(true);
        for (int i = 0; i < n; i++) keep[i] = make();
        long after = GC.GetTotalMemory(true);
        GC.KeepAlive(keep);
        return (after - before - n * IntPtr.Size) / n;
    }
}
