using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Cli.Parsing;
using Berth.Runtime;
using Berth.Runtime.Lifecycle;

namespace Berth.Cli.Commands;

/// <summary>
/// `berth update [flags] ID`: new resource limits, applied live to the container's cgroups and recorded in its
/// config.json. With --resources the other flags are not read, as with runc.
/// </summary>
public static class UpdateCommand
{
    private const string NoRdt = "Intel RDT (linux.intelRdt) is not supported by berth";

    public static readonly CommandDefinition Definition = new("update", "<container-id>", "change the container's resource limits",
    [
        Flag.Value("resources", "a JSON file (or - for stdin) in the form of linux.resources", "r"),
        Flag.Value("blkio-weight", "the block IO weight (10 to 1000)"),
        Flag.Value("cpu-period", "the CPU CFS period, in microseconds"),
        Flag.Value("cpu-quota", "the CPU CFS quota, in microseconds"),
        Flag.Value("cpu-share", "the CPU shares (a relative weight)"),
        Flag.Value("cpu-rt-period", "the CPU realtime period, in microseconds"),
        Flag.Value("cpu-rt-runtime", "the CPU realtime runtime, in microseconds"),
        Flag.Value("cpuset-cpus", "the CPUs the container may use (0-3, 0,1)"),
        Flag.Value("cpuset-mems", "the memory nodes the container may use"),
        Flag.Value("kernel-memory", "the kernel memory limit (cgroup v1), a size"),
        Flag.Value("kernel-memory-tcp", "the kernel TCP buffer limit (cgroup v1), a size"),
        Flag.Value("memory", "the memory limit, a size (1g, 512m) or -1"),
        Flag.Value("memory-reservation", "the memory soft limit, a size"),
        Flag.Value("memory-swap", "the memory plus swap limit, a size or -1"),
        Flag.Value("pids-limit", "the most processes the container may have"),
        Flag.Value("l3-cache-schema", "the Intel RDT L3 cache schema").RefusedBecause(NoRdt),
        Flag.Value("mem-bw-schema", "the Intel RDT memory bandwidth schema").RefusedBecause(NoRdt),
    ], Run);

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        string id = a.Single("container id");
        var patch = a.Value("resources") is { } file ? ReadResources(file) : ContainerRuntime.UpdatePatch(a.Value);
        call.Runtime.Update(id, patch);
        return 0;
    }

    private static JsonObject ReadResources(string file)
    {
        string text;
        if (file == "-")
            text = StandardStreams.ReadInputToEnd();
        else
            text = Encoding.UTF8.GetString(SmallFiles.ReadRegularOrPipe(file, out int error) ?? throw BerthException.Errno($"--resources: read {file}", error));
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new BerthException("--resources: the document is not a JSON object (linux.resources)");
        }
        catch (JsonException e)
        {
            throw new BerthException($"--resources: not valid JSON: {e.Message}");
        }
    }
}
