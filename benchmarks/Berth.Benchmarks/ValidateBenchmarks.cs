using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Berth.Spec;

namespace Berth.Benchmarks;

/// <summary>
/// Read + validate one config.json from its UTF-8 bytes. Every method starts from the bytes (or the text, for the
/// libraries that take text) and ends with a verdict; the schema objects are built once.
/// </summary>
[MemoryDiagnoser]
public class ValidateBenchmarks
{
    [Params("default", "seccomp")]
    public string Document { get; set; } = "default";

    private byte[] _utf8 = [];
    private string _text = "";
    private Json.Schema.JsonSchema _jsonSchemaNet = null!;
    private Json.Schema.EvaluationOptions _options = null!;
    private Json.Schema.EvaluationOptions _listOptions = null!;
    private NJsonSchema.JsonSchema? _njson;
    private readonly List<SchemaDiagnostic> _diagnostics = new();

    [GlobalSetup]
    public void Setup()
    {
        _utf8 = File.ReadAllBytes(Documents.File(Document));
        _text = File.ReadAllText(Documents.File(Document));
        _options = new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.Flag };
        _listOptions = new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List };
        foreach (string file in Documents.SchemaFiles())
        {
            var schema = Json.Schema.JsonSchema.FromText(File.ReadAllText(file));
            _options.SchemaRegistry.Register(schema);
            _listOptions.SchemaRegistry.Register(schema);
            if (file.EndsWith("config.schema.json", StringComparison.Ordinal)) _jsonSchemaNet = schema;
        }
        _njson = NJsonSchemaLoader.TryLoad(out _);
        if (!Generated() || !JsonSchemaNet()) throw new InvalidOperationException(Document + " must be valid");
    }

    /// <summary>berth's generated reader: the typed model and every schema diagnostic in one pass.</summary>
    [Benchmark(Baseline = true)]
    public bool Generated()
    {
        _diagnostics.Clear();
        return Berth.Spec.Spec.Parse(_utf8, _diagnostics) is not null && _diagnostics.Count == 0;
    }

    /// <summary>The same plus the prose rules (what `berth validate` runs).</summary>
    [Benchmark]
    public bool GeneratedWithRules()
    {
        _diagnostics.Clear();
        return SpecRules.Validate(_utf8, _diagnostics) is not null && _diagnostics.Count == 0;
    }

    /// <summary>JsonSchema.Net 7.4.0: JsonNode.Parse + Evaluate with the Flag output (cheapest: verdict only).</summary>
    [Benchmark]
    public bool JsonSchemaNet() => _jsonSchemaNet.Evaluate(JsonNode.Parse(_utf8), _options).IsValid;

    /// <summary>JsonSchema.Net asked for what the generated reader gives: every failing location (List output).</summary>
    [Benchmark]
    public bool JsonSchemaNetList() => _jsonSchemaNet.Evaluate(JsonNode.Parse(_utf8), _listOptions).IsValid;

    /// <summary>Not a validator: Utf8JsonReader over every token plus every string materialized — the floor of any reader that builds a model.</summary>
    [Benchmark]
    public int TokenizeOnly()
    {
        var reader = new System.Text.Json.Utf8JsonReader(_utf8);
        int n = 0;
        while (reader.Read())
        {
            if (reader.TokenType == System.Text.Json.JsonTokenType.String) n += reader.GetString()!.Length;
            n++;
        }
        return n;
    }

    /// <summary>NJsonSchema 11.6.2: Validate(text) (it parses the text itself), on the $defs→definitions copy (see NJsonSchemaLoader).</summary>
    [Benchmark]
    public bool NJsonSchema() => _njson is null || _njson.Validate(_text).Count == 0;
}
