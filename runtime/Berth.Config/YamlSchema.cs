using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Config;

/// <summary>
/// `berth schema`: one JSON Schema (draft-07, which yaml-language-server reads) of the YAML format: the OCI config
/// schema with every shorthand the front-end accepts added as an alternative.
/// </summary>
public static class YamlSchema
{
    public static byte[] Build()
    {
        var config = JsonNode.Parse(SchemaInfo.SchemaResource("config.schema.json"))!.AsObject();
        var defs = JsonNode.Parse(SchemaInfo.SchemaResource("defs.schema.json"))!.AsObject();
        var definitions = new JsonObject();
        foreach (var source in new[] { config, defs })
        {
            var d = source["$defs"]!.AsObject();
            foreach (var name in d.Select(p => p.Key).ToList())
            {
                var value = d[name]!;
                d.Remove(name);
                definitions[name] = value;
            }
        }
        config.Remove("$defs");
        config.Remove("$id");
        config["$schema"] = "http://json-schema.org/draft-07/schema#";
        config["title"] = "berth config (YAML: author and host files)";
        config["description"] = "A container config for berth: OCI runtime-spec 1.3 plus berth's shorthands. Tags !replace, !delete, !remove and !merge steer merging (declare them in yaml.customTags).";
        config["definitions"] = definitions;
        RewriteRefs(config);
        LooseStrings(config);

        static JsonObject Ref(string name) => new() { ["$ref"] = "#/definitions/" + name };
        static JsonObject AnyOf(string description, params JsonNode[] alternatives) => new() { ["description"] = description, ["anyOf"] = new JsonArray(alternatives) };
        var scalar = new JsonArray("string", "number", "boolean", "null");

        // mounts: "source:destination[:options]"
        var mounts = config["properties"]!["mounts"]!.AsObject();
        mounts["items"] = new JsonObject
        {
            ["anyOf"] = new JsonArray(Ref("Mount"), new JsonObject
            {
                ["type"] = "string",
                ["pattern"] = "^[^:]+:/[^:]*(:.*)?$",
                ["description"] = "source:destination[:options]; a path source is a bind mount (rbind added), tmpfs/proc/sysfs/… name the type",
            }),
        };
        var mount = definitions["Mount"]!["properties"]!.AsObject();
        mount["options"] = AnyOf("fstab-style options, a list or one comma-separated string", mount["options"]!.DeepClone(), new JsonObject { ["type"] = "string" });

        // env: a mapping NAME: value (null removes)
        var env = definitions["Env"]!.DeepClone();
        definitions["Env"] = AnyOf("Environment: a list of NAME=value, or a mapping NAME: value (null removes an earlier file's variable)",
            env, new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = scalar.DeepClone() } });

        var process = definitions["Process"]!["properties"]!.AsObject();
        // rlimits: a mapping name: N | "soft:hard" | {soft, hard}
        var limit = new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string", ["pattern"] = "^(unlimited|infinity|-?[0-9]+:-?[0-9]+|[0-9]+:unlimited)$" }) };
        var pair = new JsonObject
        {
            ["anyOf"] = new JsonArray(limit.DeepClone(), new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject { ["soft"] = limit.DeepClone(), ["hard"] = limit.DeepClone() },
                ["additionalProperties"] = false,
            }, new JsonObject { ["type"] = "null" }),
        };
        var rlimitProperties = new JsonObject();
        foreach (string name in Desugar.RlimitNames)
        {
            rlimitProperties[name] = pair.DeepClone();
            rlimitProperties[name["RLIMIT_".Length..].ToLowerInvariant()] = pair.DeepClone();
        }
        process["rlimits"] = AnyOf("Resource limits: a list of {type, soft, hard}, or a mapping such as nofile: 1024 or RLIMIT_NPROC: {soft: 512, hard: 1024}",
            process["rlimits"]!.DeepClone(),
            new JsonObject { ["type"] = "object", ["properties"] = rlimitProperties, ["additionalProperties"] = false });
        definitions["Rlimit"]!["properties"]!["type"]!["pattern"] = "^(RLIMIT_[A-Z]+|[A-Za-z]+)$";

        // capabilities: one list for bounding, effective and permitted
        var capability = definitions["Capability"]!.AsObject();
        capability["pattern"] = "^-?([Cc][Aa][Pp]_)?[A-Za-z0-9_]+$";
        capability["description"] = "CAP_NET_ADMIN, net_admin; -NET_RAW removes it from an earlier file's set";
        process["capabilities"] = AnyOf("Capabilities: the five sets, or one list that fills bounding, effective and permitted",
            Ref("Capabilities"), new JsonObject { ["type"] = "array", ["items"] = Ref("Capability") });
        process["user"] = AnyOf("The user: {uid, gid, …} or \"uid:gid\"", Ref("User"), new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9]+:[0-9]+$" });
        process["args"] = AnyOf("Program and arguments: a list, or one string split on spaces", process["args"]!.DeepClone(), new JsonObject { ["type"] = "string" });

        // namespaces: "pid", "net", "network:/path", {network: /path}
        var nsTypes = definitions["LinuxNamespaceType"]!["enum"]!.AsArray();
        nsTypes.Add((JsonNode)JsonValue.Create("net"));
        nsTypes.Add((JsonNode)JsonValue.Create("mnt"));
        var linux = definitions["Linux"]!["properties"]!.AsObject();
        linux["namespaces"]!["items"] = new JsonObject
        {
            ["anyOf"] = new JsonArray(
                Ref("LinuxNamespace"),
                new JsonObject { ["type"] = "string", ["pattern"] = "^(mount|mnt|pid|network|net|uts|ipc|user|cgroup|time)(:/.*)?$" },
                new JsonObject { ["type"] = "object", ["minProperties"] = 1, ["maxProperties"] = 1, ["additionalProperties"] = new JsonObject { ["type"] = new JsonArray("string", "null") } }),
        };
        return JsonSerializerless(config);
    }

    private static byte[] JsonSerializerless(JsonNode node)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            node.WriteTo(w);
        return buffer.ToArray();
    }

    private static void RewriteRefs(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$ref"] is JsonValue v && v.GetValue<string>() is string r)
                {
                    int i = r.IndexOf("#/$defs/", StringComparison.Ordinal);
                    if (i >= 0)
                        o["$ref"] = "#/definitions/" + r[(i + "#/$defs/".Length)..];
                }
                foreach (var p in o.ToList())
                    RewriteRefs(p.Value);
                break;
            case JsonArray a:
                foreach (var item in a)
                    RewriteRefs(item);
                break;
        }
    }

    /// <summary>A free string may be written as a plain number or boolean in YAML (`args: [sleep, 10]`); the front-end
    /// keeps the text. And any value may be null (it removes what an earlier file set).</summary>
    private static void LooseStrings(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                // A host file sets only what it overrides: "required" is checked on the merged config, not here.
                o.Remove("required");
                // null removes a key in any file, so every value may be null.
                if (o["type"] is JsonValue t && t.GetValue<string>() is string single)
                    o["type"] = single == "string" && o["pattern"] is null && o["enum"] is null
                        ? new JsonArray("string", "number", "boolean", "null")
                        : new JsonArray((JsonNode)JsonValue.Create(single), "null");
                if (o["enum"] is JsonArray values && !values.Any(v => v is null))
                    values.Add(null);
                foreach (var p in o.ToList())
                    LooseStrings(p.Value);
                break;
            case JsonArray a:
                foreach (var item in a)
                    LooseStrings(item);
                break;
        }
    }
}
