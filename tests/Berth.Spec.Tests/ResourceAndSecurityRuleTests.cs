using System.Text.Json.Nodes;
using Xunit;
using static Berth.Spec.Tests.RuleAssert;

namespace Berth.Spec.Tests;

/// <summary>Rules of config-linux.md: resources, seccomp, masked and read-only paths, intelRdt, memoryPolicy.</summary>
public class ResourceAndSecurityRuleTests
{
    private static JsonObject Resources(JsonObject resources) => Doc(d => d.Linux()["resources"] = resources);
    private static JsonObject Seccomp(JsonObject seccomp) => Doc(d => d.Linux()["seccomp"] = seccomp);

    [Fact]
    public void Memory_values_are_bytes_or_minus_one()
    {
        Exactly(Resources(new JsonObject { ["memory"] = new JsonObject { ["limit"] = -1, ["reservation"] = -2, ["kernelTCP"] = -100 } }),
            "error /linux/resources/memory/reservation x-range: memory reservation -2 is neither a number of bytes nor -1 (unlimited)",
            "error /linux/resources/memory/kernelTCP x-range: memory kernelTCP -100 is neither a number of bytes nor -1 (unlimited)");
    }

    [Fact]
    public void Memory_swap_is_not_below_the_limit()
    {
        Exactly(Resources(new JsonObject { ["memory"] = new JsonObject { ["limit"] = 1048576, ["swap"] = 524288 } }),
            "error /linux/resources/memory/swap x-range: swap 524288 is below limit 1048576: swap is the limit of memory plus swap, so it cannot be smaller than the memory limit");
        Exactly(Resources(new JsonObject { ["memory"] = new JsonObject { ["limit"] = 1048576, ["swap"] = -1 } }));
        Exactly(Resources(new JsonObject { ["memory"] = new JsonObject { ["limit"] = 1048576, ["swap"] = 1048576 } }));
    }

    [Fact]
    public void Cpu_burst_is_not_above_a_positive_quota()
    {
        Exactly(Resources(new JsonObject { ["cpu"] = new JsonObject { ["quota"] = 50000, ["burst"] = 60000, ["period"] = 100000 } }),
            "error /linux/resources/cpu/burst x-range: burst 60000 is larger than quota 50000");
        Exactly(Resources(new JsonObject { ["cpu"] = new JsonObject { ["quota"] = -1, ["burst"] = 60000 } }));
    }

    [Fact]
    public void Pids_without_limit_is_a_warning()
    {
        Exactly(Resources(new JsonObject { ["pids"] = new JsonObject() }),
            "warning /linux/resources/pids x-ignored: pids has no limit, so it limits nothing");
        Exactly(Resources(new JsonObject { ["pids"] = new JsonObject { ["limit"] = 0 } }));
        Exactly(Resources(new JsonObject { ["pids"] = new JsonObject { ["limit"] = -1 } }));
    }

    [Fact]
    public void Weight_device_needs_weight_or_leaf_weight() =>
        Exactly(Resources(new JsonObject
        {
            ["blockIO"] = new JsonObject
            {
                ["weightDevice"] = new JsonArray(
                        new JsonObject { ["major"] = 8, ["minor"] = 0, ["weight"] = 500 },
                        new JsonObject { ["major"] = 8, ["minor"] = 16 },
                        new JsonObject { ["major"] = 8, ["minor"] = 32, ["leafWeight"] = 300 }),
            },
        }),
            "error /linux/resources/blockIO/weightDevice/1 x-required-one-of: a weightDevice entry needs weight or leafWeight (or both)");

    [Fact]
    public void Rdma_entry_needs_handles_or_objects() =>
        Exactly(Resources(new JsonObject
        {
            ["rdma"] = new JsonObject
            {
                ["mlx5_1"] = new JsonObject { ["hcaHandles"] = 3 },
                ["mlx/4"] = new JsonObject(),
            },
        }),
            "error /linux/resources/rdma/mlx~14 x-required-one-of: rdma entry \"mlx/4\" needs hcaHandles or hcaObjects (or both)");

    [Fact]
    public void Unified_keys_name_a_cgroup_file() =>
        Exactly(Resources(new JsonObject
        {
            ["unified"] = new JsonObject
            {
                ["memory.max"] = "max", ["io.weight"] = "default 100", ["../../cgroup.procs"] = "1", ["cpu"] = "x", ["pids."] = "1",
            },
        }),
            "error /linux/resources/unified/..~1..~1cgroup.procs x-cgroup-file: unified key \"../../cgroup.procs\" is not a cgroup v2 file name such as \"memory.max\" (controller.file, no '/')",
            "error /linux/resources/unified/cpu x-cgroup-file: unified key \"cpu\" is not a cgroup v2 file name such as \"memory.max\" (controller.file, no '/')",
            "error /linux/resources/unified/pids. x-cgroup-file: unified key \"pids.\" is not a cgroup v2 file name such as \"memory.max\" (controller.file, no '/')");

    [Fact]
    public void Listener_metadata_needs_listener_path()
    {
        Exactly(Seccomp(new JsonObject { ["defaultAction"] = "SCMP_ACT_ALLOW", ["listenerMetadata"] = "m" }),
            "error /linux/seccomp/listenerMetadata x-requires: listenerMetadata must not be set without listenerPath");
        Exactly(Seccomp(new JsonObject { ["defaultAction"] = "SCMP_ACT_ALLOW", ["listenerMetadata"] = "m", ["listenerPath"] = "/run/agent.sock" }));
    }

    [Fact]
    public void Relative_listener_path_is_a_warning() =>
        Exactly(Seccomp(new JsonObject { ["defaultAction"] = "SCMP_ACT_ALLOW", ["listenerPath"] = "agent.sock" }),
            "warning /linux/seccomp/listenerPath x-absolute-path: listenerPath \"agent.sock\" is relative: it is resolved against the runtime's working directory");

    [Fact]
    public void Errno_return_needs_an_action_that_returns_errno()
    {
        Exactly(Seccomp(new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_KILL_PROCESS", ["defaultErrnoRet"] = 1,
            ["syscalls"] = new JsonArray(
                    new JsonObject { ["names"] = new JsonArray("read"), ["action"] = "SCMP_ACT_ALLOW", ["errnoRet"] = 1 },
                    new JsonObject { ["names"] = new JsonArray("mount"), ["action"] = "SCMP_ACT_ERRNO", ["errnoRet"] = 1 },
                    new JsonObject { ["names"] = new JsonArray("ptrace"), ["action"] = "SCMP_ACT_TRACE", ["errnoRet"] = 38 }),
        }),
            "error /linux/seccomp/defaultErrnoRet x-requires: defaultErrnoRet needs a defaultAction that returns an errno (SCMP_ACT_ERRNO or SCMP_ACT_TRACE), not SCMP_ACT_KILL_PROCESS",
            "error /linux/seccomp/syscalls/0/errnoRet x-requires: errnoRet needs an action that returns an errno (SCMP_ACT_ERRNO or SCMP_ACT_TRACE), not SCMP_ACT_ALLOW");
        Exactly(Seccomp(new JsonObject { ["defaultAction"] = "SCMP_ACT_ERRNO", ["defaultErrnoRet"] = 38 }));
    }

    [Fact]
    public void Syscall_argument_index_is_0_to_5() =>
        Exactly(Seccomp(new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ALLOW",
            ["syscalls"] = new JsonArray(new JsonObject
            {
                ["names"] = new JsonArray("personality"), ["action"] = "SCMP_ACT_ERRNO",
                ["args"] = new JsonArray(
                        new JsonObject { ["index"] = 5, ["value"] = 0, ["op"] = "SCMP_CMP_EQ" },
                        new JsonObject { ["index"] = 6, ["value"] = 0, ["op"] = "SCMP_CMP_EQ" }),
            }),
        }),
            "error /linux/seccomp/syscalls/0/args/1/index x-range: argument index 6 is past the sixth argument (indexes are 0 to 5)");

    [Theory]
    [InlineData("/a/../../b", "error /linux/cgroupsPath x-cgroups-path: cgroupsPath \"/a/../../b\" has a \"..\" component, which would leave the cgroup hierarchy")]
    [InlineData("/./", "error /linux/cgroupsPath x-cgroups-path: cgroupsPath \"/./\" names the root cgroup, which a container may not take")]
    public void A_cgroups_path_that_create_refuses_is_refused_by_validate_too(string path, string expected) =>
        Exactly(Doc(d => d.Linux()["cgroupsPath"] = path), expected);

    [Fact]
    public void An_ordinary_cgroups_path_is_fine() =>
        Exactly(Doc(d => d.Linux()["cgroupsPath"] = "/pods/a.b/c"));

    [Fact]
    public void Notify_without_listener_is_an_error() =>
        Exactly(Seccomp(new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ALLOW",
            ["syscalls"] = new JsonArray(new JsonObject { ["names"] = new JsonArray("mknod"), ["action"] = "SCMP_ACT_NOTIFY" }),
        }),
            "error /linux/seccomp/listenerPath x-requires: SCMP_ACT_NOTIFY needs the path of the seccomp agent's unix socket");

    [Fact]
    public void Notify_as_default_or_for_write_is_an_error() =>
        Exactly(Seccomp(new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_NOTIFY",
            ["listenerPath"] = "/run/agent.sock",
            ["syscalls"] = new JsonArray(new JsonObject { ["names"] = new JsonArray("read", "write"), ["action"] = "SCMP_ACT_NOTIFY" }),
        }),
            "error /linux/seccomp/syscalls/0/names x-requires: SCMP_ACT_NOTIFY cannot be used for the write syscall (the listener is handed to the agent with it)",
            "error /linux/seccomp/defaultAction x-requires: SCMP_ACT_NOTIFY cannot be used as default action");

    [Fact]
    public void Masked_and_readonly_paths_are_absolute() =>
        Exactly(Doc(d =>
            {
                d.Linux()["maskedPaths"] = new JsonArray("/proc/kcore", "proc/keys");
                d.Linux()["readonlyPaths"] = new JsonArray("sys");
            }),
            "error /linux/maskedPaths/1 x-absolute-path: masked path \"proc/keys\" must be an absolute path",
            "error /linux/readonlyPaths/0 x-absolute-path: read-only path \"sys\" must be an absolute path");

    [Fact]
    public void Intel_rdt_schemas_are_single_lines() =>
        Exactly(Doc(d => d.Linux()["intelRdt"] = new JsonObject { ["memBwSchema"] = "MB:0=20\nMB:1=70", ["l3CacheSchema"] = "L3:0=7f0\n" }),
            "error /linux/intelRdt/memBwSchema x-single-line: memBwSchema must not contain newlines",
            "warning /linux/intelRdt/l3CacheSchema x-single-line: l3CacheSchema should not contain newlines");

    [Fact]
    public void Memory_policy_nodes_follow_the_mode()
    {
        Exactly(Doc(d => d.Linux()["memoryPolicy"] = new JsonObject { ["mode"] = "MPOL_BIND" }),
            "error /linux/memoryPolicy x-required-when: MPOL_BIND needs nodes");
        Exactly(Doc(d => d.Linux()["memoryPolicy"] = new JsonObject { ["mode"] = "MPOL_DEFAULT", ["nodes"] = "0-1" }),
            "error /linux/memoryPolicy/nodes x-memory-policy: MPOL_DEFAULT takes no nodes");
        Exactly(Doc(d => d.Linux()["memoryPolicy"] = new JsonObject { ["mode"] = "MPOL_INTERLEAVE", ["nodes"] = "0-1" }));
        Exactly(Doc(d => d.Linux()["memoryPolicy"] = new JsonObject { ["mode"] = "MPOL_PREFERRED" }));
    }

    [Fact]
    public void Rules_run_only_when_the_schema_passes()
    {
        // A duplicate namespace type next to a schema error: the model of an invalid document is not trusted.
        List<string> findings = Findings(Doc(d =>
        {
            d.Namespaces().Add(new JsonObject { ["type"] = "pid" });
            d.Process()["cwd"] = 5;
        }).ToJsonString());
        Assert.Single(findings);
        Assert.StartsWith("error /process/cwd type", findings[0], StringComparison.Ordinal);
    }
}
