using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Runtime.Exec;
using Berth.Runtime.Plan;
using Berth.Runtime.State;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// `berth exec`: either an OCI process object (--process FILE, as podman/conmon and containerd's shim pass it), or
/// the container's own process with the arguments and flags in place of its values.
/// </summary>
public sealed record ExecOptions(string Id)
{
    /// <summary>The bytes of an OCI "process" object; when set, Args and the process flags are not used.</summary>
    public byte[]? ProcessJson { get; init; }
    public IReadOnlyList<string> Args { get; init; } = [];
    public string? PidFile { get; init; }
    public bool Detach { get; init; }
    public bool Tty { get; init; }
    public string? ConsoleSocket { get; init; }
    public string? Cwd { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    /// <summary>UID[:GID], numeric.</summary>
    public string? User { get; init; }
    public IReadOnlyList<string> Caps { get; init; } = [];
    public bool NoNewPrivs { get; init; }
    public int PreserveFds { get; init; }
    /// <summary>--additional-gids: appended to the process's additional groups (not with --process, as in runc).</summary>
    public IReadOnlyList<uint> AdditionalGids { get; init; } = [];
    /// <summary>--cgroup: sub-cgroups of the container's to run the process in, "PATH" or "CONTROLLER[,…]:PATH".</summary>
    public IReadOnlyList<string> Cgroups { get; init; } = [];
    /// <summary>--ignore-paused: exec into a paused container too (the process starts once it is resumed).</summary>
    public bool IgnorePaused { get; init; }
}

public sealed partial class ContainerRuntime
{
    /// <summary>exec: runs one more process in a running container; returns its exit status (0 with --detach).</summary>
    public int Exec(ExecOptions options)
    {
        if (options.Detach)
            return ExecCore(options);
        // INT/TERM/HUP/QUIT that come from now on are kept for the process (berth_exec.c).
        NativeMethods.ForwardBegin();
        try
        {
            return ExecCore(options);
        }
        finally
        {
            NativeMethods.ForwardEnd();
        }
    }

    private int ExecCore(ExecOptions options)
    {
        var say = NarratorFor("exec");
        SpawnedProcess process;
        int master;
        bool terminal;
        var dir = Store.Lock(options.Id);
        try
        {
            var record = dir.Load();
            var status = dir.StatusOf(record);
            if (status == ContainerStatus.Paused && !options.IgnorePaused)
                throw new BerthException($"container \"{options.Id}\": cannot exec in a paused container (use --ignore-paused to override)");
            // As runc: a created container (its process waiting for start) takes an exec too; only a stopped one does not.
            if (status != ContainerStatus.Running && status != ContainerStatus.Paused && status != ContainerStatus.Created)
                throw new BerthException($"container \"{options.Id}\": cannot exec in a {Describe(status)} container");
            // The host's cgroup layout (its mount table, read and parsed) only when --cgroup names a controller.
            var cgroups = options.Cgroups.Count == 0
                ? record.Cgroups
                : Cgroups.CgroupManager.SubCgroups(Cgroups.CgroupLayout.Host, record.Cgroups, options.Cgroups);

            var spec = ExecSpec(options, record, out terminal, say.Warn);
            if (terminal && options.ConsoleSocket is null && options.Detach)
                throw new BerthException($"a terminal with --detach needs --console-socket to hand the terminal to");
            var joining = Cgroups.CgroupJoining.ForExec(spec, cgroups);
            var plan = PlanCompiler.CompileExec(new PlanRequest(spec, record.Bundle, options.Id)
            {
                PreserveFds = options.PreserveFds,
                CgroupSelfJoin = joining.SelfJoinTasks,
                Host = HostFactsReader.Current,
                Rootfs = record.Rootfs,
            }, record.Pid);
            WarnAbout(plan, say.Warn);

            if (!options.Detach)
                // Orphans of the joined pid namespace's extra fork come back to us, so we can wait for the process.
                NativeMethods.Prctl(NativeMethods.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
            // The child inherits the lock's descriptor until its first step closes it; frozen as soon as it joins a
            // paused container's cgroups, it would hold the lock for good, and `resume` could never take it to thaw
            // the container. So exec lets a paused container's lock go before the clone.
            if (status == ContainerStatus.Paused)
                dir.Dispose();
            say.Debug?.Invoke($"nsexec container setup: container \"{options.Id}\": clone a process into its namespaces ({plan.Operations.Count} operations)");
            int cgroupFd = joining.BornInV2 is { } v2 ? Sys.Open(v2, O_RDONLY | O_DIRECTORY) : -1;
            using var closeCgroupFd = new FdCloser(cgroupFd);
            (process, master) = Spawn(new SpawnRequest(plan) { WaitForExec = true, CgroupFd = cgroupFd },
                new SpawnDuties(record, "running")
                {
                    BornIn = joining.BornInV2,
                    Join = joining.ParentJoins ? cgroups : [],
                    InitMustLive = true,
                    ConsoleSocket = options.ConsoleSocket,
                });
            say.Debug?.Invoke($"child process in init(): container \"{options.Id}\": process {process.Pid} joined it");
            say.Debug?.Invoke($"setns_init: about to exec: container \"{options.Id}\": process {process.Pid} runs {string.Join(' ', spec.Process?.Args ?? [])}");
        }
        finally
        {
            dir.Dispose();
        }
        if (options.PidFile is not null)
        {
            try
            {
                WritePidFile(options.PidFile, process.Pid);
            }
            catch
            {
                Spawner.KillAndReap(process.Pid);
                throw;
            }
        }
        if (options.Detach)
            return 0;

        var console = master >= 0 ? new ForegroundConsole(master) : null;
        try
        {
            // INT, TERM, HUP and QUIT sent to berth meanwhile go to the process (berth_exec.c).
            int exitCode = ExitCode(NativeMethods.WaitForwarding(process.Pid, out int status), status);
            say.Debug?.Invoke($"container \"{options.Id}\": process {process.Pid} ended with exit status {exitCode}");
            return exitCode;
        }
        finally
        {
            console?.Dispose();
        }
    }

    /// <summary>
    /// The spec exec compiles: the record's exec base (the process, namespaces and seccomp profile create compiled)
    /// with the exec'd process in place of the container's own — --process's object, or the recorded process with the
    /// flags applied — read and validated the same way either way.
    /// </summary>
    private static Berth.Spec.Spec ExecSpec(ExecOptions options, ContainerRecord record, out bool terminal, Action<string> warn)
    {
        if (record.ExecBase.Length == 0)
            throw new BerthException($"container \"{options.Id}\" was created by an older berth, whose record lacks what exec needs: delete it and create it again");
        var config = JsonNode.Parse(record.ExecBase) as JsonObject ?? throw new BerthException($"the record of container \"{options.Id}\" is damaged (exec)");
        config["root"] = new JsonObject { ["path"] = Text(record.Rootfs) };

        JsonObject process;
        if (options.ProcessJson is not null)
        {
            try
            {
                process = JsonNode.Parse(options.ProcessJson) as JsonObject ?? throw new BerthException($"--process: the file does not hold a JSON object");
            }
            catch (JsonException e)
            {
                throw new BerthException($"--process: not valid JSON: {e.Message}");
            }
        }
        else
        {
            if (options.Args.Count == 0)
                throw new BerthException($"name the program to run (berth exec ID PROGRAM [ARGS…]) or pass --process FILE", 2);
            process = config["process"]?.DeepClone() as JsonObject ?? new JsonObject { ["cwd"] = Text("/") };
            ApplyFlags(process, options);
        }
        config["process"] = process;

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonText.Options()))
            config.WriteTo(writer);
        byte[] json = buffer.WrittenSpan.ToArray();
        var diagnostics = new List<Berth.Spec.SchemaDiagnostic>();
        var spec = Berth.Spec.SpecRules.Validate(json, diagnostics); // schema + prose rules
        var errors = diagnostics.Where(d => d.Severity == Berth.Spec.SchemaSeverity.Error).ToList();
        if (spec is null || errors.Count > 0)
        {
            string where = options.ProcessJson is not null ? "--process" : "the process";
            throw new BerthException($"{where}: " + string.Join("; ", errors.Select(d => $"{(d.InstancePointer.Length == 0 ? "(root)" : d.InstancePointer)}: {d.Message}")));
        }
        // Warnings about the process only: the rest of the config was reported when the container was created.
        foreach (var d in diagnostics.Where(d => d.InstancePointer.StartsWith("/process", StringComparison.Ordinal)))
            warn($"{d.InstancePointer}: {d.Message}");
        terminal = spec.Process?.Terminal == true;
        return spec;
    }

    private static void ApplyFlags(JsonObject process, ExecOptions options)
    {
        var args = new JsonArray();
        foreach (string a in options.Args)
            args.Add(Text(a));
        process["args"] = args;
        process["terminal"] = Literal(options.Tty);
        process.Remove("consoleSize");
        if (options.Cwd is not null)
            process["cwd"] = Text(options.Cwd);
        if (options.Env.Count > 0)
        {
            var env = (process["env"] as JsonArray)?.Select(e => (string?)e ?? "").ToList() ?? [];
            foreach (string kv in options.Env)
            {
                int eq = kv.IndexOf('=');
                if (eq <= 0)
                    throw new BerthException($"--env must be KEY=VALUE, not \"{kv}\"", 2);
                string prefix = kv[..(eq + 1)];
                int at = env.FindIndex(e => e.StartsWith(prefix, StringComparison.Ordinal));
                if (at >= 0)
                    env[at] = kv;
                else
                    env.Add(kv);
            }
            var array = new JsonArray();
            foreach (string e in env)
                array.Add(Text(e));
            process["env"] = array;
        }
        if (options.User is not null)
        {
            string[] parts = options.User.Split(':');
            if (parts.Length > 2 || !uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid))
                throw new BerthException($"--user must be UID[:GID] (numbers), not \"{options.User}\"", 2);
            uint gid = 0;
            if (parts.Length == 2 && !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out gid))
                throw new BerthException($"--user must be UID[:GID] (numbers), not \"{options.User}\"", 2);
            var user = process["user"] as JsonObject ?? new JsonObject();
            user["uid"] = Number(uid);
            user["gid"] = Number(gid);
            process["user"] = user;
        }
        if (options.Caps.Count > 0)
        {
            var caps = process["capabilities"] as JsonObject ?? new JsonObject();
            // Ambient capabilities need inheritable ones too: raise them only where the process already has inheritable bits.
            var sets = new List<string> { "bounding", "effective", "permitted" };
            if (caps["inheritable"] is JsonArray { Count: > 0 })
                sets.Add("ambient");
            foreach (string set in sets)
            {
                var list = caps[set] as JsonArray ?? new JsonArray();
                var names = list.Select(n => (string?)n).ToHashSet(StringComparer.Ordinal);
                foreach (string cap in options.Caps)
                {
                    string name = cap.StartsWith("CAP_", StringComparison.OrdinalIgnoreCase) ? cap.ToUpperInvariant() : "CAP_" + cap.ToUpperInvariant();
                    if (names.Add(name))
                        list.Add(Text(name));
                }
                caps[set] = list;
            }
            process["capabilities"] = caps;
        }
        if (options.NoNewPrivs)
            process["noNewPrivileges"] = Literal(true);
        if (options.AdditionalGids.Count > 0)
        {
            var user = process["user"] as JsonObject ?? new JsonObject { ["uid"] = Number(0), ["gid"] = Number(0) };
            var gids = user["additionalGids"] as JsonArray ?? new JsonArray();
            foreach (uint gid in options.AdditionalGids)
                gids.Add(Number(gid));
            user["additionalGids"] = gids;
            process["user"] = user;
        }
    }

    // The exec'd process's values are made from their JSON text, not with JsonValue.Create: a created value carries
    // the serializer's converter, whose first use sets up the serializer's metadata (a measured part of every exec);
    // a parsed one writes itself out as the element it is.
    private static JsonNode Text(string value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonText.Options()))
            writer.WriteStringValue(value);
        return JsonNode.Parse(buffer.WrittenSpan)!;
    }

    private static JsonNode Literal(bool value) => JsonNode.Parse(value ? "true"u8 : "false"u8)!;

    private static JsonNode Number(uint value) => JsonNode.Parse(System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)))!;
}
