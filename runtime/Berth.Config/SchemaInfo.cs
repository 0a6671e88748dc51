using System.Text.Json;
using Berth.Spec;

namespace Berth.Config;

/// <summary>
/// What the front-end needs to know about the config schema: the merge rule of each list (from the generated
/// <see cref="Spec.MergeRules"/>) and where the schema wants a string (so a plain <c>10</c> in <c>args</c> stays "10").
/// </summary>
public sealed class SchemaInfo
{
    private readonly string[][] _rulePatterns;
    private readonly MergeRule[] _rules;
    private readonly string[][] _stringPatterns;

    private readonly (string[] Pattern, string[] Members)[] _objects;

    public static SchemaInfo Config { get; } = Create("config.schema.json");

    private static SchemaInfo Create(string rootFile)
    {
        var strings = new List<string>();
        var objects = new List<(string, string[])>();
        Walk(LoadDocs(), rootFile, LoadDocs()[rootFile], "", strings, objects, 0);
        return new SchemaInfo(Spec.Spec.MergeRules, strings, objects);
    }

    public SchemaInfo(IReadOnlyList<MergeRule> rules, IEnumerable<string> stringPatterns, IEnumerable<(string Pattern, string[] Members)>? objects = null)
    {
        _rules = rules.ToArray();
        _rulePatterns = _rules.Select(r => Split(r.PointerPattern)).ToArray();
        _stringPatterns = stringPatterns.Select(Split).ToArray();
        _objects = (objects ?? []).Select(o => (Split(o.Pattern), o.Members)).ToArray();
    }

    /// <summary>The member names the schema defines for the object at <paramref name="path"/> (empty when unknown).</summary>
    public IReadOnlyList<string> MembersAt(IReadOnlyList<string> path)
    {
        var all = new List<string>();
        foreach (var (pattern, members) in _objects)
            if (Matches(pattern, path))
                all.AddRange(members);
        return all;
    }

    private static string[] Split(string pointer) => pointer.Length == 0 ? [] : pointer[1..].Split('/');

    public MergeRule? RuleAt(IReadOnlyList<string> path)
    {
        for (int i = 0; i < _rules.Length; i++)
            if (Matches(_rulePatterns[i], path))
                return _rules[i];
        return null;
    }

    public bool WantsString(IReadOnlyList<string> path)
    {
        foreach (var p in _stringPatterns)
            if (Matches(p, path))
                return true;
        return false;
    }

    private static bool Matches(string[] pattern, IReadOnlyList<string> path)
    {
        if (pattern.Length != path.Count)
            return false;
        for (int i = 0; i < pattern.Length; i++)
            if (pattern[i] != "*" && pattern[i] != path[i])
                return false;
        return true;
    }

    /// <summary>The embedded schema text (config.schema.json, defs.schema.json).</summary>
    public static byte[] SchemaResource(string name)
    {
        using var s = typeof(SchemaInfo).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"resource {name} is missing");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private static Dictionary<string, JsonElement>? s_docs;

    private static Dictionary<string, JsonElement> LoadDocs() => s_docs ??= new Dictionary<string, JsonElement>
    {
        ["config.schema.json"] = JsonDocument.Parse(SchemaResource("config.schema.json")).RootElement,
        ["defs.schema.json"] = JsonDocument.Parse(SchemaResource("defs.schema.json")).RootElement,
    };

    private static void Walk(Dictionary<string, JsonElement> docs, string file, JsonElement schema, string pointer, List<string> strings, List<(string, string[])> objects, int depth)
    {
        if (depth > 30 || schema.ValueKind != JsonValueKind.Object)
            return;
        if (schema.TryGetProperty("$ref", out var r))
        {
            string reference = r.GetString()!;
            int hash = reference.IndexOf('#');
            string target = hash > 0 ? reference[..hash] : file;
            var node = docs[target];
            foreach (string seg in reference[(hash + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries))
                node = node.GetProperty(seg);
            Walk(docs, target, node, pointer, strings, objects, depth + 1);
        }
        if (schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "string")
            strings.Add(pointer);
        if (schema.TryGetProperty("properties", out var props))
        {
            objects.Add((pointer, props.EnumerateObject().Select(p => p.Name).ToArray()));
            foreach (var p in props.EnumerateObject())
                Walk(docs, file, p.Value, pointer + "/" + p.Name, strings, objects, depth + 1);
        }
        if (schema.TryGetProperty("items", out var items))
            Walk(docs, file, items, pointer + "/*", strings, objects, depth + 1);
        if (schema.TryGetProperty("additionalProperties", out var additional))
            Walk(docs, file, additional, pointer + "/*", strings, objects, depth + 1);
    }
}
