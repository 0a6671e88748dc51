using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Runtime.Cgroups;
using Berth.Runtime.State;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// `berth update`: resources of a created, running or paused container changed live, as runc does. What is given is
/// written into the container's cgroups (devices are left as they are); the record takes the new values, so that a
/// later update merges into them (config.json stays the config create compiled).
/// </summary>
public sealed partial class ContainerRuntime
{
    /// <param name="patch">linux.resources members to change: runc's --resources JSON, or built from its flags.</param>
    public void Update(string id, JsonObject patch)
    {
        using var dir = Store.Lock(id);
        var record = dir.Load();
        var status = dir.StatusOf(record);
        if (status is ContainerStatus.Stopped or ContainerStatus.Creating)
            throw new BerthException($"container \"{id}\" is {Describe(status)}: only a created, running or paused container can be updated (container not running)");
        // Device rules stay as they are, as with runc, which ignores them here: containerd's shim sends the container's
        // whole linux.resources, devices included, on every CRI UpdateContainerResources.
        if (patch.ContainsKey("devices"))
        {
            patch = (JsonObject)patch.DeepClone();
            patch.Remove("devices");
        }

        var resources = record.Resources.Length > 0
            ? JsonNode.Parse(record.Resources) as JsonObject ?? throw new BerthException($"the record of container \"{id}\" is damaged (resources)")
            : new JsonObject();
        Merge(resources, patch);

        // The merged resources must still be valid; then only what the patch names is written to the cgroups.
        Validate(ResourcesConfig(record, resources), "the updated resources");
        var only = Validate(ResourcesConfig(record, (JsonObject)patch.DeepClone()), "the resources to update");
        if (record.Cgroups.Count == 0)
            throw new BerthException($"container \"{id}\" has no cgroups of its own (rootless without resources), so there is nothing to update");
        string cgroupsPath = RecordedCgroupsPath(record);
        var driver = CgroupDrivers.For(CgroupLayout.Host);
        var warnings = new List<string>();
        var plan = driver.Compile(only.Linux?.Resources, created: false, warnings);
        var say = NarratorFor("update");
        foreach (string w in warnings)
            say.Warn(w);
        driver.Apply(plan, cgroupsPath);
        record.Resources = System.Text.Encoding.UTF8.GetBytes(resources.ToJsonString());
        dir.Save(record);
    }

    /// <summary>A config that holds only these resources: what the schema and the prose rules check.</summary>
    private static byte[] ResourcesConfig(ContainerRecord record, JsonObject resources) =>
        System.Text.Encoding.UTF8.GetBytes(new JsonObject
        {
            ["ociVersion"] = record.OciVersion,
            ["root"] = new JsonObject { ["path"] = record.Rootfs },
            ["linux"] = new JsonObject { ["resources"] = resources },
        }.ToJsonString());

    private static Berth.Spec.Spec Validate(byte[] json, string what)
    {
        var diagnostics = new List<Berth.Spec.SchemaDiagnostic>();
        var spec = Berth.Spec.SpecRules.Validate(json, diagnostics);
        var errors = diagnostics.Where(d => d.Severity == Berth.Spec.SchemaSeverity.Error).ToList();
        if (spec is null || errors.Count > 0)
            throw new BerthException($"{what}: " + string.Join("; ", errors.Select(d => $"{Dotted(d.InstancePointer)}: {d.Message}")));
        return spec;
    }

    private static string Dotted(string pointer) => pointer.Length == 0 ? "(root)" : pointer.TrimStart('/').Replace('/', '.');

    /// <summary>Objects merge member by member; anything else replaces.</summary>
    private static void Merge(JsonObject into, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            if (value is JsonObject child && into[name] is JsonObject existing)
                Merge(existing, child);
            else
                into[name] = value?.DeepClone();
        }
    }

    /// <summary>
    /// runc's update flags as a linux.resources patch. Memory sizes take runc's units (bytes, or k/m/g/t/p with
    /// 1024 steps, "-1" for unlimited); a flag that is not given changes nothing.
    /// </summary>
    public static JsonObject UpdatePatch(Func<string, string?> flag)
    {
        var patch = new JsonObject();
        void Set(string group, string member, JsonNode value)
        {
            if (patch[group] is not JsonObject o)
                patch[group] = o = new JsonObject();
            o[member] = value;
        }
        if (flag("blkio-weight") is { } weight)
            Set("blockIO", "weight", Unsigned(weight, "--blkio-weight"));
        foreach (var (name, member) in new[] { ("cpu-period", "period"), ("cpu-rt-period", "realtimePeriod"), ("cpu-share", "shares") })
            if (flag(name) is { } v)
                Set("cpu", member, Unsigned(v, "--" + name));
        foreach (var (name, member) in new[] { ("cpu-quota", "quota"), ("cpu-rt-runtime", "realtimeRuntime") })
            if (flag(name) is { } v)
                Set("cpu", member, Signed(v, "--" + name));
        if (flag("cpuset-cpus") is { } cpus)
            Set("cpu", "cpus", cpus);
        if (flag("cpuset-mems") is { } mems)
            Set("cpu", "mems", mems);
        foreach (var (name, member) in new[] { ("memory", "limit"), ("memory-reservation", "reservation"), ("memory-swap", "swap"), ("kernel-memory", "kernel"), ("kernel-memory-tcp", "kernelTCP") })
            if (flag(name) is { } v)
                Set("memory", member, Bytes(v, "--" + name));
        if (flag("pids-limit") is { } pids)
            Set("pids", "limit", Signed(pids, "--pids-limit"));
        foreach (string name in new[] { "l3-cache-schema", "mem-bw-schema" })
            if (flag(name) is not null)
                throw new BerthException($"--{name}: Intel RDT is not supported by berth (linux.intelRdt)");
        return patch;
    }

    private static JsonValue Unsigned(string value, string flag) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? JsonValue.Create(v)
            : throw new BerthException($"{flag}: \"{value}\" is not a whole number", 2);

    private static JsonValue Signed(string value, string flag) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? JsonValue.Create(v)
            : throw new BerthException($"{flag}: \"{value}\" is not a whole number", 2);

    /// <summary>A size as runc takes it (go-units RAMInBytes): a number, optionally with a fraction, then an optional
    /// k/m/g/t/p (1024 steps) and an optional "i" and "b".</summary>
    public static JsonNode Bytes(string value, string flag)
    {
        if (value == "-1")
            return JsonValue.Create(-1L);
        string s = value.Trim();
        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
            end++;
        string unit = s[end..].Trim().ToLowerInvariant();
        if (unit.EndsWith('b'))
            unit = unit[..^1];
        if (unit.EndsWith('i'))
            unit = unit[..^1];
        int power = unit switch { "" => 0, "k" => 1, "m" => 2, "g" => 3, "t" => 4, "p" => 5, _ => -1 };
        if (end == 0 || power < 0 || !double.TryParse(s[..end], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            throw new BerthException($"{flag}: \"{value}\" is not a size (bytes, or a number with k, m, g, t or p)", 2);
        return JsonValue.Create((long)(number * Math.Pow(1024, power)));
    }
}
