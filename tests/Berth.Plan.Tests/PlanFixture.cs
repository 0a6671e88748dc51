using System.Text;
using Berth.Spec;

namespace Berth.Plan.Tests;

/// <summary>Configs for the plan compiler, and one fixed set of host facts so that a plan is the same on any machine.</summary>
public static class PlanFixture
{
    public static readonly HostFacts Host = new()
    {
        HardLimit = _ => null,
        HasSysResource = false,
        LastCapability = 40,
        IsDirectory = path => !path.EndsWith(".conf", StringComparison.Ordinal) && !path.EndsWith("/hosts", StringComparison.Ordinal) && !path.EndsWith("hostname", StringComparison.Ordinal),
        MountPoints = () => ["/", "/run"],
    };

    public static Berth.Spec.Spec Parse(string json)
    {
        var diagnostics = new List<SchemaDiagnostic>();
        var spec = SpecRules.Validate(Encoding.UTF8.GetBytes(json), diagnostics);
        Assert.True(spec is not null, string.Join("\n", diagnostics));
        return spec!;
    }

    public static PlanRequest Request(Berth.Spec.Spec spec) => new(spec, "/bundle", "golden")
    {
        FifoPath = "/run/berth/golden/exec.fifo",
        CgroupMounts = [new("memory", "/sys/fs/cgroup/memory/berth/golden"), new("pids", "/sys/fs/cgroup/pids/berth/golden")],
        CgroupSelfJoin = ["/sys/fs/cgroup/memory/berth/golden/tasks"],
        Host = Host,
    };

    /// <summary>A small config with the given mounts (JSON objects) and process settings merged in.</summary>
    public static string Config(string mounts = "", string process = "", string linux = "", string env = "\"PATH=/bin:/usr/bin\"",
        string namespaces = "{ \"type\": \"mount\" }, { \"type\": \"pid\" }") => $$"""
        {
          "ociVersion": "1.2.0",
          "root": { "path": "rootfs" },
          "process": { "cwd": "/work", "args": ["sh"], "env": [{{env}}] {{process}} },
          "mounts": [ { "destination": "/proc", "type": "proc", "source": "proc" }, { "destination": "/sys", "type": "sysfs", "source": "sysfs" } {{mounts}} ],
          "linux": { "namespaces": [ {{namespaces}} ] {{linux}} }
        }
        """;
}
