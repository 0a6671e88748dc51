using System.Text.Json.Nodes;
using Berth.Runtime.State;

namespace Berth.Runtime.UnitTests;

/// <summary>What a container's record carries so that later commands need not parse its config again.</summary>
public class ContainerRecordTests
{
    private static Berth.Spec.Spec Spec(string json)
    {
        var diagnostics = new List<Berth.Spec.SchemaDiagnostic>();
        var spec = Berth.Spec.SpecRules.Validate(System.Text.Encoding.UTF8.GetBytes(json), diagnostics);
        Assert.NotNull(spec);
        Assert.DoesNotContain(diagnostics, d => d.Severity == Berth.Spec.SchemaSeverity.Error);
        return spec;
    }

    private const string Config = """
        {"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "hostname": "h",
         "process": {"args": ["sh"], "cwd": "/", "env": ["A=1"], "noNewPrivileges": true},
         "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
         "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}, {"type": "uts"}],
                   "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]},
                   "resources": {"pids": {"limit": 10}},
                   "maskedPaths": ["/proc/kcore"]}}
        """;

    [Fact]
    public void The_exec_base_holds_the_process_namespaces_and_seccomp_and_nothing_else()
    {
        var based = JsonNode.Parse(ContainerRecord.ExecBaseOf(Spec(Config)))!.AsObject();
        Assert.Equal(["ociVersion", "process", "linux"], based.Select(m => m.Key));
        Assert.Equal(["namespaces", "seccomp"], based["linux"]!.AsObject().Select(m => m.Key));
        Assert.Equal("sh", (string?)based["process"]!["args"]![0]);
        Assert.Equal(3, based["linux"]!["namespaces"]!.AsArray().Count);
    }

    [Fact]
    public void Exec_base_and_resources_survive_the_round_trip_through_state_json()
    {
        var spec = Spec(Config);
        var record = new ContainerRecord
        {
            Id = "c1", Bundle = "/b", Rootfs = "/b/rootfs",
            ExecBase = ContainerRecord.ExecBaseOf(spec), Resources = ContainerRecord.ResourcesOf(spec),
        };
        var read = ContainerRecord.FromJson(record.ToJson());
        Assert.Equal(record.ExecBase, read.ExecBase);
        Assert.Equal(record.Resources, read.Resources);
        Assert.Equal(10, (int)JsonNode.Parse(read.Resources)!["pids"]!["limit"]!);
    }

    [Fact]
    public void A_config_without_resources_records_none_and_an_old_record_reads_as_empty()
    {
        var spec = Spec("""{"ociVersion": "1.3.0", "root": {"path": "r"}, "process": {"args": ["sh"], "cwd": "/"}}""");
        Assert.Empty(ContainerRecord.ResourcesOf(spec));
        var record = new ContainerRecord { Id = "c1", Bundle = "/b", Rootfs = "/b/r" };
        string json = System.Text.Encoding.UTF8.GetString(record.ToJson());
        Assert.DoesNotContain("\"exec\"", json);
        Assert.DoesNotContain("\"resources\"", json);
        var read = ContainerRecord.FromJson(record.ToJson());
        Assert.Empty(read.ExecBase);
        Assert.Empty(read.Resources);
    }

    [Fact]
    public void Every_member_survives_the_round_trip_and_unknown_members_are_skipped()
    {
        var spec = Spec("""
            {"ociVersion": "1.3.0", "root": {"path": "r"}, "process": {"args": ["sh"], "cwd": "/"},
             "hooks": {"poststop": [{"path": "/bin/echo", "args": ["echo", "bye"], "timeout": 3}]}}
            """);
        var record = new ContainerRecord
        {
            Id = "c1", Bundle = "/b", Rootfs = "/b/r", OciVersion = "1.2.0", Pid = 42, PidStartTime = 123456789012,
            Created = new DateTimeOffset(2026, 12, 7, 1, 2, 3, TimeSpan.Zero), SharesMountNamespace = true,
            ImageStore = "/var/lib/berth/images", CgroupsPath = "/berth/c1", LateHooks = ContainerRecord.LateHooksOf(spec),
            Annotations = { ["a"] = "1", ["b.c/d"] = "x \"y\"" },
            CreatedCgroups = { "/sys/fs/cgroup/pids/berth/c1" },
            Cgroups = { "/sys/fs/cgroup/pids/berth/c1", "/sys/fs/cgroup/freezer/berth/c1", "/sys/fs/cgroup/unified/berth/c1" },
            FreezerCgroup = "/sys/fs/cgroup/freezer/berth/c1", Cgroup2 = "/sys/fs/cgroup/unified/berth/c1",
            Sources = { new("/b/config.json", "sha256:00"), new("/etc/host.yaml", "sha256:11") },
        };
        // A later berth may add members: this one reads past them, objects and arrays included.
        var node = JsonNode.Parse(record.ToJson())!.AsObject();
        node.Insert(0, "future", JsonNode.Parse("""{"x": [1, {"y": null}], "z": "w"}"""));
        node.Add("later", JsonNode.Parse("[true, false]"));
        var read = ContainerRecord.FromJson(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()));

        Assert.Equal(("c1", "/b", "/b/r", "1.2.0", 42, 123456789012UL), (read.Id, read.Bundle, read.Rootfs, read.OciVersion, read.Pid, read.PidStartTime));
        Assert.Equal(record.Created, read.Created);
        Assert.True(read.SharesMountNamespace);
        Assert.Equal(("/var/lib/berth/images", "/berth/c1"), (read.ImageStore, read.CgroupsPath));
        Assert.Equal(record.Annotations, read.Annotations);
        Assert.Equal(record.CreatedCgroups, read.CreatedCgroups);
        Assert.Equal(record.Cgroups, read.Cgroups);
        Assert.Equal(["/sys/fs/cgroup/freezer/berth/c1", "/sys/fs/cgroup/unified/berth/c1"], read.FreezableCgroups);
        Assert.Equal(["/sys/fs/cgroup/unified/berth/c1"], read.KillableCgroups);
        Assert.Equal(record.Sources, read.Sources);
        var hook = Assert.Single(read.LateHooks!.Poststop!);
        Assert.Equal("/bin/echo", hook.Path);
        Assert.Equal(3, (int?)hook.Timeout);
        Assert.Equal(["echo", "bye"], hook.Args!);
        Assert.Equal(record.ToJson(), read.ToJson());
    }

    [Fact]
    public void Which_cgroups_can_freeze_or_kill_is_every_one_in_an_older_record_and_none_where_the_host_had_none()
    {
        var older = new ContainerRecord { Id = "c1", Bundle = "/b", Rootfs = "/b/r", Cgroups = { "/a/c1", "/b/c1" } };
        var read = ContainerRecord.FromJson(older.ToJson());
        Assert.Null(read.FreezerCgroup);
        Assert.Equal(older.Cgroups, read.FreezableCgroups);
        Assert.Equal(older.Cgroups, read.KillableCgroups);
        var v1WithoutFreezer = new ContainerRecord { Id = "c1", Bundle = "/b", Rootfs = "/b/r", Cgroups = { "/a/c1" }, FreezerCgroup = "", Cgroup2 = "" };
        read = ContainerRecord.FromJson(v1WithoutFreezer.ToJson());
        Assert.Empty(read.FreezableCgroups);
        Assert.Empty(read.KillableCgroups);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("[]", "not an object")]
    [InlineData("{\"id\": \"c1\"", "truncated")]
    [InlineData("{\"id\": \"c1\", \"bundle\": \"/b\"}", "required members missing")]
    [InlineData("{\"id\": 7}", "a number where a string belongs")]
    [InlineData("{\"id\": null}", "null where a string belongs")]
    [InlineData("{\"pid\": \"7\"}", "a string where a number belongs")]
    [InlineData("{\"pid\": 99999999999}", "a pid out of range")]
    [InlineData("{\"annotations\": {\"a\": 1}}", "an annotation that is not a string")]
    [InlineData("{\"cgroups\": [\"/a\", 1]}", "a cgroup that is not a string")]
    [InlineData("{\"cgroups\": {}}", "an object where the list belongs")]
    [InlineData("{\"sources\": [\"/a\"]}", "a source that is not an object")]
    [InlineData("{\"sources\": [{\"path\": \"/a\"}]}", "a source without its digest")]
    [InlineData("{\"exec\": []}", "an exec base that is not an object")]
    [InlineData("{\"hooks\": {\"poststop\": [{\"args\": []}]}}", "a hook without its path")]
    public void A_damaged_state_file_throws_what_IsUnreadable_names(string json, string why)
    {
        var e = Record.Exception(() => ContainerRecord.FromJson(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.True(e is not null && ContainerRecord.IsUnreadable(e), $"{why}: {e?.GetType().Name ?? "no exception"}");
    }

    [Theory]
    [InlineData("created", true)]
    [InlineData("paused", true)]
    [InlineData("stopped", false)]
    public void The_oci_state_is_written_by_the_generated_writer_and_reads_back_valid(string status, bool alive)
    {
        var record = new ContainerRecord { Id = "c1", Bundle = "/b", Rootfs = "/b/rootfs", Pid = 42 };
        record.Annotations["a"] = "b";
        byte[] cli = record.OciState(status, alive ? 42 : 0, forCli: true);
        var diagnostics = new List<Berth.Spec.SchemaDiagnostic>();
        // The schema only: runc's pid 0 of a stopped container is what clients read, though the spec's prose wants none.
        var state = Berth.Spec.State.Parse(cli, diagnostics);
        Assert.NotNull(state);
        Assert.DoesNotContain(diagnostics, d => d.Severity == Berth.Spec.SchemaSeverity.Error);
        Assert.Equal(status, Berth.Spec.StateStatusExtensions.ToWireName(state.Status));
        Assert.Equal("/b/rootfs", state.Rootfs);
        Assert.Equal(alive ? 42 : 0, state.Pid);
        Assert.Equal("b", state.Annotations!["a"]);

        // For hooks: compact, no runc extras, no pid once there is none.
        var hook = JsonNode.Parse(record.OciState(status, alive ? 42 : 0, forCli: false))!.AsObject();
        Assert.False(hook.ContainsKey("rootfs"));
        Assert.False(hook.ContainsKey("created"));
        Assert.Equal(alive, hook.ContainsKey("pid"));
    }

    [Fact]
    public void An_unknown_status_is_a_programming_error()
    {
        var record = new ContainerRecord { Id = "c1", Bundle = "/b", Rootfs = "/b/rootfs" };
        Assert.Throws<ArgumentException>(() => record.OciState("sleeping", 1, forCli: true));
    }
}
