using System.Text;
using System.Text.Json;
using Berth.Spec;
using Xunit;

namespace Berth.Generator.Tests;

/// <summary>The generated code in runtime/Berth.Spec, driven with realistic configs.</summary>
public class SpecTests
{
    private const string Config = """
    {
      "ociVersion": "1.2.0",
      "x-vendor": { "keep": [1, 2.50, "three"] },
      "root": { "path": "rootfs", "readonly": true },
      "process": {
        "terminal": false,
        "user": { "uid": 4294967295, "gid": 0, "additionalGids": [1, 2] },
        "args": ["/bin/sh", "-c", "echo hi"],
        "env": ["PATH=/usr/bin:/bin", "TERM=xterm"],
        "cwd": "/",
        "capabilities": { "bounding": ["CAP_CHOWN", "CAP_KILL"] },
        "rlimits": [{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }],
        "noNewPrivileges": true,
        "oomScoreAdj": -17,
        "customProcessThing": "kept"
      },
      "hostname": "box",
      "mounts": [
        { "destination": "/proc", "type": "proc", "source": "proc" },
        { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755"], "future": { "a": null } }
      ],
      "annotations": { "org.example/key": "value", "a~b": "c" },
      "linux": {
        "namespaces": [{ "type": "pid" }, { "type": "mount" }, { "type": "network", "path": "/proc/1/ns/net" }],
        "resources": { "memory": { "limit": 9223372036854775807 }, "cpu": { "shares": 18446744073709551615 } },
        "maskedPaths": ["/proc/kcore"],
        "rootfsPropagation": "private"
      }
    }
    """;

    private static (Spec.Spec? Spec, List<SchemaDiagnostic> Diagnostics) Parse(string json)
    {
        var diagnostics = new List<SchemaDiagnostic>();
        return (Spec.Spec.Parse(Encoding.UTF8.GetBytes(json), diagnostics), diagnostics);
    }

    private static List<SchemaDiagnostic> Errors(string json) => Parse(json).Diagnostics.Where(d => d.Severity == SchemaSeverity.Error).ToList();

    [Fact]
    public void Realistic_config_reads_into_the_model()
    {
        var (spec, diagnostics) = Parse(Config);
        Assert.NotNull(spec);
        Assert.DoesNotContain(diagnostics, d => d.Severity == SchemaSeverity.Error);
        Assert.Equal("1.2.0", spec.OciVersion);
        Assert.Equal(4294967295u, spec.Process!.User!.Uid);
        Assert.Equal(["/bin/sh", "-c", "echo hi"], spec.Process.Args);
        Assert.Equal(LinuxNamespaceType.Network, spec.Linux!.Namespaces![2].Type);
        Assert.Equal("/proc/1/ns/net", spec.Linux.Namespaces[2].Path);
        Assert.Equal("value", spec.Annotations!["org.example/key"]);
        Assert.Equal("x-vendor", Assert.Single(spec.UnknownMembers!).Key);
        Assert.Equal("customProcessThing", Assert.Single(spec.Process.UnknownMembers!).Key);
        // unknown members are warnings with a pointer
        Assert.Contains(diagnostics, d => d.Severity == SchemaSeverity.Warning && d.Keyword == "unknown-member" && d.InstancePointer == "/process/customProcessThing");
        Assert.Contains(diagnostics, d => d.Severity == SchemaSeverity.Warning && d.InstancePointer == "/mounts/1/future");
    }

    [Fact]
    public void Read_write_read_round_trips_with_unknown_members()
    {
        var (spec, _) = Parse(Config);
        byte[] written = spec!.ToUtf8Json();
        using var original = JsonDocument.Parse(Config);
        using var again = JsonDocument.Parse(written);
        Assert.True(JsonElement.DeepEquals(original.RootElement, again.RootElement), Encoding.UTF8.GetString(written));
        var diagnostics = new List<SchemaDiagnostic>();
        Spec.Spec? reread = Spec.Spec.Parse(written, diagnostics);
        Assert.NotNull(reread);
        Assert.Equal(written, reread.ToUtf8Json());
        Assert.Equal(spec.ToUtf8Json(indented: false), reread.ToUtf8Json(indented: false));
    }

    [Fact]
    public void Unknown_members_are_written_back_in_place()
    {
        const string json = """{"ociVersion":"1.0.0","x-first":1,"root":{"path":"rootfs"},"x-second":[true],"hostname":"h"}""";
        var (spec, _) = Parse(json);
        Assert.Equal(json, Encoding.UTF8.GetString(spec!.ToUtf8Json(indented: false)));
        // without unknown members, schema order
        var (plain, _) = Parse("""{"hostname":"h","ociVersion":"1.0.0"}""");
        Assert.Equal("""{"ociVersion":"1.0.0","hostname":"h"}""", Encoding.UTF8.GetString(plain!.ToUtf8Json(indented: false)));
    }

    [Fact]
    public void Every_violation_is_reported_with_pointer_and_sentence()
    {
        const string json = """
        {
          "ociVersion": 1,
          "process": { "cwd": "/", "user": { "uid": 4294967296, "gid": -1 }, "oomScoreAdj": 1.5 },
          "mounts": [ { "type": "bind" }, { "destination": "/x", "options": "ro" } ],
          "linux": { "namespaces": [ { "type": "pidd" } ], "resources": { "cpu": { "shares": 18446744073709551616 } } }
        }
        """;
        var errors = Errors(json);
        string report = string.Join("\n", errors);
        void Has(string pointer, string keyword, string message) =>
            Assert.True(errors.Any(e => e.InstancePointer == pointer && e.Keyword == keyword && e.Message == message), $"missing {pointer} {keyword} {message}\n{report}");
        Has("/ociVersion", "type", "expected a string but found the number 1");
        Has("/process/user/uid", "maximum", "value 4294967296 is greater than the maximum 4294967295");
        Has("/process/user/gid", "minimum", "value -1 is less than the minimum 0");
        Has("/process/oomScoreAdj", "type", "expected an integer but found the number 1.5");
        Has("/mounts/0", "required", "missing required member \"destination\"");
        Has("/mounts/1/options", "type", "expected an array but found the string \"ro\"");
        Has("/linux/namespaces/0/type", "enum", "\"pidd\" is not one of: mount, pid, network, uts, ipc, user, cgroup, time");
        Has("/linux/resources/cpu/shares", "maximum", "value 18446744073709551616 is greater than the maximum 18446744073709551615");
        Assert.Equal(8, errors.Count);
        Assert.All(errors, e => Assert.StartsWith("config.schema.json#", e.SchemaLocation.StartsWith("defs", StringComparison.Ordinal) ? "config.schema.json#" : e.SchemaLocation));
    }

    [Fact]
    public void Integral_json_numbers_count_as_integers()
    {
        var (spec, diagnostics) = Parse("""{ "ociVersion": "1.0.0", "process": { "cwd": "/", "user": { "uid": 1.0, "gid": 2e0 } } }""");
        Assert.DoesNotContain(diagnostics, d => d.Severity == SchemaSeverity.Error);
        Assert.Equal(1u, spec!.Process!.User!.Uid);
        Assert.Equal(2u, spec.Process.User!.Gid);
    }

    [Fact]
    public void Unknown_member_warning_suggests_the_closest_name()
    {
        var (_, diagnostics) = Parse("""{ "ociVersion": "1.0.0", "linux": { "rootPropagation": "shared" }, "annotations": { "rootPropagation": "x" } }""");
        SchemaDiagnostic warning = Assert.Single(diagnostics);
        Assert.Equal(SchemaSeverity.Warning, warning.Severity);
        Assert.Equal("unknown-member", warning.Keyword);
        Assert.Equal("/linux/rootPropagation", warning.InstancePointer);
        Assert.Equal("unknown member \"rootPropagation\"; did you mean \"rootfsPropagation\"?", warning.Message);
    }

    [Fact]
    public void Missing_required_root_member()
    {
        var errors = Errors("{}");
        SchemaDiagnostic e = Assert.Single(errors);
        Assert.Equal("", e.InstancePointer);
        Assert.Equal("missing required member \"ociVersion\"", e.Message);
        Assert.Equal("config.schema.json#/required", e.SchemaLocation);
    }

    [Fact]
    public void Bad_json_and_non_object_root_return_null()
    {
        var (spec, diagnostics) = Parse("""{ "ociVersion": "1.0.0", """);
        Assert.Null(spec);
        Assert.Contains(diagnostics, d => d.Keyword == "json");
        (spec, diagnostics) = Parse("[1]");
        Assert.Null(spec);
        Assert.Equal("type", Assert.Single(diagnostics).Keyword);
    }

    [Fact]
    public void Invalid_utf8_is_a_json_error_not_a_crash()
    {
        byte[] json = [.. "{ \"ociVersion\": \""u8, 0xC3, 0x28, .. "\" }"u8];
        var diagnostics = new List<SchemaDiagnostic>();
        Assert.Null(Spec.Spec.Parse(json, diagnostics));
        Assert.Equal("json", Assert.Single(diagnostics).Keyword);
    }

    [Fact]
    public void Pointer_segments_are_escaped()
    {
        var errors = Errors("""{ "ociVersion": "1.0.0", "annotations": { "a/b": 1, "c~d": false } }""");
        Assert.Equal(["/annotations/a~1b", "/annotations/c~0d"], errors.Select(e => e.InstancePointer).Order());
    }

    [Fact]
    public void Merge_rules_come_from_the_schema()
    {
        Assert.Contains(Spec.Spec.MergeRules, r => r.PointerPattern == "/mounts" && r.Kind == MergeKind.ByKey && r.Key == "destination");
        Assert.Contains(Spec.Spec.MergeRules, r => r.PointerPattern == "/process/env" && r.Kind == MergeKind.ByName && r.Key == "@name");
        Assert.Contains(Spec.Spec.MergeRules, r => r.PointerPattern == "/process/capabilities/bounding" && r.Kind == MergeKind.Set);
        Assert.Contains(Spec.Spec.MergeRules, r => r.PointerPattern == "/linux/namespaces" && r.Kind == MergeKind.ByKey && r.Key == "type");
    }

    [Fact]
    public void Enum_wire_names_round_trip()
    {
        Assert.Equal("network", LinuxNamespaceType.Network.ToWireName());
        Assert.True(LinuxNamespaceTypeExtensions.TryParseWireName("cgroup", out var t));
        Assert.Equal(LinuxNamespaceType.Cgroup, t);
        Assert.False(LinuxNamespaceTypeExtensions.TryParseWireName("Cgroup", out _));
    }
}
