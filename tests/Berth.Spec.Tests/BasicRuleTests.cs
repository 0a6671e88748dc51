using System.Text.Json.Nodes;
using Xunit;
using static Berth.Spec.Tests.RuleAssert;

namespace Berth.Spec.Tests;

/// <summary>ociVersion, root, mounts, process, hooks, annotations.</summary>
public class BasicRuleTests
{
    [Fact]
    public void Base_document_has_no_finding() => Exactly(Doc());

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("1.0.2-dev")]
    [InlineData("1.1.0+build.5")]
    [InlineData("1.2.1")]
    [InlineData("1.3.0")]
    [InlineData("1.3.17-rc.1")]
    public void Versions_1_0_through_1_3_are_accepted(string version) => Exactly(Doc(d => d["ociVersion"] = version));

    [Theory]
    [InlineData("1.4.0")]
    [InlineData("2.0.0")]
    [InlineData("1.10.0")]
    public void Later_versions_are_errors_of_schema_and_rules(string version)
    {
        // The schema's pattern refuses them; the rule says the same for a model built in code (no schema pass).
        List<string> schema = Findings(Doc(d => d["ociVersion"] = version).ToJsonString());
        Assert.Equal(["error /ociVersion pattern"], schema.Select(f => f[..f.IndexOf(':')]).ToList());
        var diagnostics = new List<SchemaDiagnostic>();
        var spec = new Spec { OciVersion = version, Root = new Root { Path = "rootfs" } };
        SpecRules.Check(spec, diagnostics);
        Assert.Equal([$"error /ociVersion x-oci-version: ociVersion \"{version}\" is newer than the runtime-spec berth implements: 1.0.0 through 1.3.x are accepted"],
            diagnostics.Select(Format).ToList());
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("01.0.0")]
    [InlineData("1.0.0-")]
    [InlineData("v1.0.0")]
    public void Version_that_is_not_semver_is_an_error_of_the_rule(string version)
    {
        var diagnostics = new List<SchemaDiagnostic>();
        SpecRules.Check(new Spec { OciVersion = version, Root = new Root { Path = "/r" } }, diagnostics);
        Assert.Equal([$"error /ociVersion x-oci-version: ociVersion \"{version}\" is not a SemVer 2.0.0 version (MAJOR.MINOR.PATCH)"], diagnostics.Select(Format).ToList());
    }

    [Fact]
    public void Root_is_required_on_linux() =>
        Exactly(Doc(d => d.Remove("root")), "error  x-required-on-linux: missing member \"root\": a Linux container needs a root file system");

    [Theory]
    [InlineData("rootfs")]
    [InlineData("/var/lib/c/rootfs")]
    [InlineData("../shared/rootfs")]
    public void Root_path_absolute_or_relative_is_fine(string path) => Exactly(Doc(d => d["root"]!["path"] = path));

    [Fact]
    public void Empty_root_path_is_an_error() =>
        Exactly(Doc(d => d["root"]!["path"] = ""), "error /root/path x-non-empty: root.path is empty: give the root file system's path, absolute or relative to the bundle");

    private const string SomeDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Root_naming_nothing_is_an_error() =>
        Exactly(Doc(d => d["root"] = new JsonObject { ["readonly"] = true }),
            "error /root x-one-of: root names no root file system: give root.path (a directory), root.image (an image digest) or root.layers (layer digests)");

    [Fact]
    public void Root_image_or_layers_instead_of_path_is_fine()
    {
        Exactly(Doc(d => d["root"] = new JsonObject { ["image"] = SomeDigest, ["readonly"] = true }));
        Exactly(Doc(d => d["root"] = new JsonObject { ["layers"] = new JsonArray(SomeDigest, SomeDigest) }));
        Exactly(Doc(d => d["root"]!["digest"] = SomeDigest));
    }

    [Fact]
    public void Root_named_two_ways_is_an_error_naming_both() =>
        Exactly(Doc(d => d["root"]!["image"] = SomeDigest),
            "error /root/image x-one-of: root.path and root.image exclude each other: the root file system is named one way, a directory (path), an image (image) or layers (layers)");

    [Fact]
    public void Root_digest_needs_a_path() =>
        Exactly(Doc(d => d["root"] = new JsonObject { ["image"] = SomeDigest, ["digest"] = SomeDigest }),
            "error /root/digest x-requires: root.digest pins the tree of a directory and needs root.path; an image or a layer list is named by its digest already");

    [Theory]
    [InlineData("image", "sha256:ABC")]
    [InlineData("digest", "md5:0123")]
    public void Root_digests_must_be_sha256(string member, string value)
    {
        var diagnostics = new List<SchemaDiagnostic>();
        var doc = Doc(d => d["root"]![member] = value);
        SpecRules.Validate(System.Text.Encoding.UTF8.GetBytes(doc.ToJsonString()), diagnostics);
        Assert.Contains(diagnostics, x => x.Severity == SchemaSeverity.Error && x.InstancePointer == "/root/" + member && x.Keyword == "pattern");
    }

    [Fact]
    public void Relative_mount_destination_is_a_warning() =>
        Exactly(Doc(d => d["mounts"] = new JsonArray(
                new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" },
                new JsonObject { ["destination"] = "tmp", ["type"] = "tmpfs" })),
            "warning /mounts/1/destination x-absolute-path: mount destination \"tmp\" is relative: relative destinations are deprecated and are read as relative to \"/\"");

    [Fact]
    public void Paths_longer_than_the_kernel_takes_are_errors()
    {
        string deep = "/" + string.Join('/', Enumerable.Repeat("d", 2048)); // 4096 bytes
        string fits = deep[..4095];
        Exactly(Doc(d =>
            {
                d["mounts"] = new JsonArray(new JsonObject { ["destination"] = deep, ["type"] = "tmpfs" }, new JsonObject { ["destination"] = fits, ["type"] = "tmpfs" });
                d["process"]!["cwd"] = deep;
            }),
            "error /process/cwd x-path-max: the path is 4096 bytes long; the kernel takes at most 4095",
            "error /mounts/0/destination x-path-max: the path is 4096 bytes long; the kernel takes at most 4095");
    }

    [Fact]
    public void Empty_mount_destination_is_an_error() =>
        Exactly(Doc(d => d["mounts"] = new JsonArray(new JsonObject { ["destination"] = "" })),
            "error /mounts/0/destination x-non-empty: the mount destination is empty");

    [Fact]
    public void Idmapped_mount_ranges_are_checked() =>
        Exactly(Doc(d => d["mounts"] = new JsonArray(new JsonObject
        {
            ["destination"] = "/data", ["type"] = "bind", ["source"] = "/srv", ["options"] = new JsonArray("rbind", "idmap"),
            ["uidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 1000, ["size"] = 0 }),
            ["gidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 1000, ["size"] = 10 }),
        })),
            "error /mounts/0/uidMappings/0/size x-id-mapping: uid mapping size is 0: a range maps at least one id");

    [Fact]
    public void Process_without_args_is_an_error() =>
        Exactly(Doc(d => d.Process().Remove("args")),
            "error /process x-required-on-linux: missing member \"args\": on Linux the process needs at least one argument, the program to run");

    [Fact]
    public void Empty_args_is_a_schema_error()
    {
        List<string> findings = Findings(Doc(d => d.Process()["args"] = new JsonArray()).ToJsonString());
        Assert.Single(findings);
        Assert.StartsWith("error /process/args minItems", findings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void No_process_is_fine() => Exactly(Doc(d => d.Remove("process")));

    [Fact]
    public void Relative_cwd_is_an_error() =>
        Exactly(Doc(d => d.Process()["cwd"] = "home"), "error /process/cwd x-absolute-path: the working directory \"home\" must be an absolute path");

    [Fact]
    public void Env_entry_without_equals_is_a_warning() =>
        Exactly(Doc(d => d.Process()["env"] = new JsonArray("PATH=/bin", "TERM", "=x", "EMPTY=")),
            "warning /process/env/1 x-env: environment entry \"TERM\" is not NAME=value",
            "warning /process/env/2 x-env: environment entry \"=x\" is not NAME=value");

    [Fact]
    public void ConsoleSize_without_terminal_is_a_warning()
    {
        Exactly(Doc(d => d.Process()["consoleSize"] = new JsonObject { ["height"] = 24, ["width"] = 80 }),
            "warning /process/consoleSize x-ignored: consoleSize is ignored because process.terminal is not true");
        Exactly(Doc(d =>
        {
            d.Process()["consoleSize"] = new JsonObject { ["height"] = 24, ["width"] = 80 };
            d.Process()["terminal"] = true;
        }));
    }

    [Fact]
    public void Rlimit_types_are_unique() =>
        Exactly(Doc(d => d.Process()["rlimits"] = new JsonArray(
                new JsonObject { ["type"] = "RLIMIT_NOFILE", ["soft"] = 1024, ["hard"] = 1024 },
                new JsonObject { ["type"] = "RLIMIT_NPROC", ["soft"] = 10, ["hard"] = 10 },
                new JsonObject { ["type"] = "RLIMIT_NOFILE", ["soft"] = 10, ["hard"] = 10 })),
            "error /process/rlimits/2/type x-unique: duplicate rlimit type \"RLIMIT_NOFILE\" (first at /process/rlimits/0)");

    [Fact]
    public void Rlimit_type_must_be_a_linux_resource() =>
        Exactly(Doc(d => d.Process()["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_FOO", ["soft"] = 1, ["hard"] = 1 })),
            "error /process/rlimits/0/type x-rlimit-type: \"RLIMIT_FOO\" is not a Linux resource limit (see getrlimit(2))");

    [Fact]
    public void Rlimit_soft_above_hard_is_an_error() =>
        Exactly(Doc(d => d.Process()["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_CORE", ["soft"] = 2048, ["hard"] = 1024 })),
            "error /process/rlimits/0 x-rlimit-range: soft limit 2048 is greater than hard limit 1024: setrlimit(2) refuses it");

    [Fact]
    public void Unknown_capability_is_a_warning() =>
        Exactly(Doc(d => d.Process()["capabilities"] = new JsonObject
        {
            ["bounding"] = new JsonArray("CAP_CHOWN", "CAP_CHECKPOINT_RESTORE", "CAP_BPF"),
            ["ambient"] = new JsonArray("CAP_NET_BIND", "CAP_KILL"),
        }),
            "warning /process/capabilities/ambient/0 x-capability: \"CAP_NET_BIND\" is not a capability this kernel generation knows (CAP_CHOWN … CAP_CHECKPOINT_RESTORE); berth leaves it out, as runc does");

    [Fact]
    public void Scheduler_values_the_kernel_refuses_are_errors()
    {
        Exactly(Doc(d => d.Process()["scheduler"] = new JsonObject { ["policy"] = "SCHED_OTHER", ["nice"] = 20 }),
            "error /process/scheduler/nice x-range: nice value 20 is outside -20 to 19");
        Exactly(Doc(d => d.Process()["scheduler"] = new JsonObject { ["policy"] = "SCHED_FIFO", ["priority"] = 100 }),
            "error /process/scheduler/priority x-range: priority 100 is outside 1 to 99, the range of SCHED_FIFO");
        Exactly(Doc(d => d.Process()["scheduler"] = new JsonObject { ["policy"] = "SCHED_BATCH", ["priority"] = 5 }),
            "error /process/scheduler/priority x-range: priority 5 must be 0 with SCHED_BATCH: only SCHED_FIFO and SCHED_RR use a static priority");
        Exactly(Doc(d => d.Process()["scheduler"] = new JsonObject { ["policy"] = "SCHED_DEADLINE", ["runtime"] = 20, ["deadline"] = 10, ["period"] = 30 }),
            "error /process/scheduler x-deadline: SCHED_DEADLINE needs runtime ≤ deadline ≤ period (runtime 20, deadline 10, period 30)");
        Exactly(Doc(d => d.Process()["scheduler"] = new JsonObject { ["policy"] = "SCHED_DEADLINE", ["period"] = 30 }),
            "error /process/scheduler x-deadline: SCHED_DEADLINE needs a runtime greater than 0");
        Exactly(Doc(d => d.Process()["scheduler"] = new JsonObject { ["policy"] = "SCHED_DEADLINE", ["runtime"] = 10, ["deadline"] = 20, ["period"] = 30 }));
        Exactly(Doc(d => d.Process()["scheduler"] = new JsonObject { ["policy"] = "SCHED_RR", ["priority"] = 99, ["nice"] = -20 }));
    }

    [Fact]
    public void Io_priority_level_is_0_to_7() =>
        Exactly(Doc(d => d.Process()["ioPriority"] = new JsonObject { ["class"] = "IOPRIO_CLASS_BE", ["priority"] = 8 }),
            "error /process/ioPriority/priority x-range: I/O priority 8 is outside 0 (highest) to 7 (lowest), the levels ioprio_set(2) accepts");

    [Fact]
    public void Hook_paths_are_absolute_in_every_kind()
    {
        var hooks = new JsonObject();
        foreach (string kind in new[] { "createRuntime", "createContainer", "startContainer", "poststart", "poststop" })
            hooks[kind] = new JsonArray(new JsonObject { ["path"] = "/bin/ok" }, new JsonObject { ["path"] = "bin/" + kind });
        Exactly(Doc(d => d["hooks"] = hooks),
            "error /hooks/createRuntime/1/path x-absolute-path: createRuntime hook path \"bin/createRuntime\" must be an absolute path",
            "error /hooks/createContainer/1/path x-absolute-path: createContainer hook path \"bin/createContainer\" must be an absolute path",
            "error /hooks/startContainer/1/path x-absolute-path: startContainer hook path \"bin/startContainer\" must be an absolute path",
            "error /hooks/poststart/1/path x-absolute-path: poststart hook path \"bin/poststart\" must be an absolute path",
            "error /hooks/poststop/1/path x-absolute-path: poststop hook path \"bin/poststop\" must be an absolute path");
    }

    [Fact]
    public void Prestart_is_deprecated() =>
        Exactly(Doc(d => d["hooks"] = new JsonObject { ["prestart"] = new JsonArray(new JsonObject { ["path"] = "hook" }) }),
            "warning /hooks/prestart x-deprecated: prestart hooks are deprecated: use createRuntime, createContainer or startContainer",
            "error /hooks/prestart/0/path x-absolute-path: prestart hook path \"hook\" must be an absolute path");

    [Fact]
    public void Annotation_key_must_not_be_empty()
    {
        Exactly(Doc(d => d["annotations"] = new JsonObject { [""] = "x", ["com.example.key"] = "" }),
            "error /annotations/ x-non-empty: an annotation key must not be an empty string");
        Exactly(Doc(d => d["annotations"] = new JsonObject { ["org.opencontainers.image.title"] = "t" }));
    }
}
