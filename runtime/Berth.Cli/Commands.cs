using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Runtime;
using Berth.Runtime.Lifecycle;
using Berth.Runtime.State;

namespace Berth.Cli;

public static class Commands
{
    public const string Version = "0.1.0";
    public const string SpecVersion = "1.3.0";

    private static readonly string[] GlobalValueFlags = ["root", "log", "log-format", "rootless", "criu"];
    private static readonly string[] GlobalBoolFlags = ["debug", "systemd-cgroup", "version", "v", "help", "h"];
    private static readonly string[] CreateValueFlags = ["bundle", "b", "pid-file", "console-socket", "preserve-fds", "host", "pidfd-socket"];
    private static readonly string[] CreateBoolFlags = ["no-pivot", "no-new-keyring", "no-subreaper"];

    public static int Execute(string[] args)
    {
        Log log = new(null, "text", false);
        try
        {
            var global = ParseGlobal(args, out int commandIndex);
            log = new Log(global.Value("log"), global.Value("log-format") ?? "text", global.Flag("debug"));
            if (global.Flag("version", "v"))
            {
                StandardStreams.Write(VersionText());
                return 0;
            }
            if (global.Flag("help", "h") || commandIndex >= args.Length)
            {
                // As runc: no command at all prints the help too, and is not an error.
                return Help.Print(null, Version, log);
            }
            if (args[commandIndex] is "help" or "h")
                return Help.Print(commandIndex + 1 < args.Length ? args[commandIndex + 1] : null, Version, log);
            if (Help.Asked(args[commandIndex], args, commandIndex + 1))
                return Help.Print(args[commandIndex], Version, log);
            if (global.Flag("systemd-cgroup") && !Directory.Exists("/run/systemd/system"))
                throw new BerthException("--systemd-cgroup: systemd is not running on this host, so there is no systemd cgroup manager to use");
            string? rootless = global.Value("rootless");
            if (rootless is not null and not ("true" or "false" or "auto"))
                throw new BerthException($"--rootless must be true, false or auto, not \"{rootless}\"", 2);
            RootlessContext.Mode = rootless ?? "auto";
            var store = new StateStore(global.Value("root"));
            if (log.Debug)
                log.DebugLine($"{args[commandIndex]}: berth {string.Join(' ', args)} (pid {Environment.ProcessId}, state root {RootForDebug(store)})");
            var runtime = new ContainerRuntime(store) { Warn = log.Warning, Debug = log.Debug ? log.DebugLine : null };
            return Dispatch(args, commandIndex, runtime, log);
        }
        catch (BerthException e)
        {
            log.Error(e.Message);
            return e.ExitCode;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Error(e.Message);
            return 1;
        }
        catch (Exception e)
        {
            // The last resort: every known failure has its own sentence; this one is a bug, but still no abort.
            log.Error($"{(args.Length > 0 ? string.Join(' ', args.Take(2)) + ": " : "")}unexpected error (a bug in berth, please report it): {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// --version in runc's three lines: "… version X.Y.Z", "commit: …", "spec: …". The first line names berth and the
    /// runc release whose command line it follows (docker reads the name before "version" and the number after the
    /// last "version"); the commit is the one berth was built from, when the build knew it.
    /// </summary>
    public static string VersionText()
    {
        string? informational = typeof(Commands).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
        int plus = informational?.IndexOf('+') ?? -1;
        string commit = plus >= 0 ? informational![(plus + 1)..] : "unknown";
        return $"berth version {Version}, a drop-in for runc version {Help.RuncVersion}\ncommit: {commit}\nspec: {SpecVersion}\n";
    }

    private static string RootForDebug(StateStore store)
    {
        try
        {
            return store.Root;
        }
        catch (BerthException)
        {
            return "(none: not root and no XDG_RUNTIME_DIR)";
        }
    }

    private static Arguments ParseGlobal(string[] args, out int commandIndex)
    {
        // Global flags come before the command.
        int i = 0;
        var globalArgs = new List<string>();
        while (i < args.Length && args[i].StartsWith('-'))
        {
            string name = args[i].TrimStart('-');
            globalArgs.Add(args[i]);
            if (!name.Contains('=') && GlobalValueFlags.Contains(name) && i + 1 < args.Length)
                globalArgs.Add(args[++i]);
            i++;
        }
        commandIndex = i;
        return Arguments.Parse(globalArgs, 0, "berth", GlobalValueFlags, GlobalBoolFlags);
    }

    private static readonly string[] KnownCommands =
    [
        "create", "run", "start", "exec", "state", "kill", "delete", "list", "ls", "pause", "resume", "ps", "update", "events", "checkpoint", "restore", "spec",
        "features", "validate", "compile", "diff", "schema", "plan",
    ];

    /// <summary>
    /// Runs one command. Every error names the command it came from; `exec`'s own errors (before the process runs)
    /// exit 255 as runc's do, so that a client can tell them from the status of the process, which exec returns as is.
    /// </summary>
    private static int Dispatch(string[] args, int at, ContainerRuntime runtime, Log log)
    {
        string command = args[at];
        if (!KnownCommands.Contains(command))
            throw new BerthException($"unknown command \"{command}\"; see berth --help", 2);
        try
        {
            return DispatchCommand(command, args, at + 1, runtime, log);
        }
        catch (Exception e) when (e is BerthException or IOException or UnauthorizedAccessException)
        {
            int code = e is BerthException b ? b.ExitCode : 1;
            if (command == "exec" && code == 1)
                code = ExecFailed;
            string message = e.Message.StartsWith(command + ": ", StringComparison.Ordinal) ? e.Message : $"{command}: {e.Message}";
            throw new BerthException(message, code, e);
        }
    }

    /// <summary>The exit code of an exec that failed before its process ran (runc's).</summary>
    public const int ExecFailed = 255;

    private static int DispatchCommand(string command, string[] args, int first, ContainerRuntime runtime, Log log)
    {
        switch (command)
        {
            case "create":
            {
                var a = Arguments.Parse(args, first, command, CreateValueFlags, CreateBoolFlags);
                runtime.Create(CreateOptionsFrom(a, command, log));
                return 0;
            }
            case "run":
            {
                var a = Arguments.Parse(args, first, command, CreateValueFlags, [.. CreateBoolFlags, "detach", "d", "keep"]);
                return runtime.Run(CreateOptionsFrom(a, command, log), a.Flag("detach", "d"), a.Flag("keep"));
            }
            case "start":
                runtime.Start(Arguments.Parse(args, first, command, [], []).Single(command, "container id"));
                return 0;
            case "exec":
                return runtime.Exec(ExecOptionsFrom(args, first));
            case "state":
            {
                string id = Arguments.Parse(args, first, command, [], []).Single(command, "container id");
                WriteOut(runtime.StateJson(id));
                return 0;
            }
            case "kill":
            {
                var a = Arguments.Parse(args, first, command, [], ["all", "a"]);
                if (a.Positionals.Count is < 1 or > 2)
                    throw new BerthException("kill: usage: berth kill [--all] ID [SIGNAL]", 2);
                int signal = Signals.Parse(a.Positionals.Count == 2 ? a.Positionals[1] : "TERM");
                runtime.Kill(a.Positionals[0], signal, a.Flag("all", "a"));
                return 0;
            }
            case "delete":
            {
                var a = Arguments.Parse(args, first, command, [], ["force", "f"]);
                runtime.Delete(a.Single(command, "container id"), a.Flag("force", "f"));
                return 0;
            }
            case "list":
            case "ls":
                return ListCommand(Arguments.Parse(args, first, command, ["format", "f"], ["quiet", "q"]), runtime, command);
            case "pause":
            case "resume":
                runtime.Pause(Arguments.Parse(args, first, command, [], []).Single(command, "container id"), command == "pause");
                return 0;
            case "ps":
                return PsCommand(args, first, runtime);
            case "update":
            {
                var a = Arguments.Parse(args, first, command, UpdateValueFlags, []);
                string id = a.Single(command, "container id");
                JsonObject patch;
                if (a.Value("resources", "r") is { } file)
                {
                    // As runc: with --resources, the other flags are not read.
                    string text = file == "-" ? StandardStreams.ReadInputToEnd() : ReadResourcesFile(file);
                    try
                    {
                        patch = JsonNode.Parse(text) as JsonObject ?? throw new BerthException("update: --resources: the document is not a JSON object (linux.resources)");
                    }
                    catch (JsonException e)
                    {
                        throw new BerthException($"update: --resources: not valid JSON: {e.Message}");
                    }
                }
                else
                    patch = ContainerRuntime.UpdatePatch(name => a.Value(name));
                runtime.Update(id, patch);
                return 0;
            }
            case "events":
            {
                var a = Arguments.Parse(args, first, command, ["interval"], ["stats"]);
                string id = a.Single(command, "container id");
                var interval = Durations.Parse(a.Value("interval") ?? "5s", "events: --interval");
                using var stdout = StandardStreams.OpenOutput();
                runtime.Events(id, a.Flag("stats"), interval, stdout);
                return 0;
            }
            case "checkpoint":
            case "restore":
                CheckImagePaths(args, first, command);
                throw new BerthException($"{command}: berth does not checkpoint or restore containers: criu 3.17, the one this host has, cannot dump on this kernel (\"vdso: Unexpected rt vDSO area bounds\"), for runc either");
            case "spec":
            {
                var a = Arguments.Parse(args, first, command, ["bundle", "b"], ["rootless"]).NoPositionals(command);
                DefaultSpec.Write(a.Value("bundle", "b") ?? ".", a.Flag("rootless"));
                return 0;
            }
            case "features":
                Arguments.Parse(args, first, command, [], []).NoPositionals(command);
                WriteOut(Encoding.UTF8.GetBytes(FeaturesDocument.Json));
                return 0;
            case "validate":
                return ValidateCommand.Run(Arguments.Parse(args, first, command, ["format", "host"], []), log);
            case "compile":
                return ConfigCommands.Compile(Arguments.Parse(args, first, command, ConfigCommands.CompileValueFlags, ConfigCommands.CompileBoolFlags), log);
            case "diff":
                return ConfigCommands.Diff(Arguments.Parse(args, first, command, ["format"], []), runtime, log);
            case "schema":
                return ConfigCommands.Schema(Arguments.Parse(args, first, command, ["output", "o"], []));
            case "plan":
            {
                var a = Arguments.Parse(args, first, command, ["bundle", "b", "host"], ["no-pivot"]);
                var options = CreateOptionsFrom(a, command, log);
                foreach (var op in runtime.Plan(options))
                    StandardStreams.WriteLine(op.ToString());
                return 0;
            }
            default:
                throw new InvalidOperationException($"{command} is in KnownCommands but not dispatched");
        }
    }

    /// <summary>
    /// The image folders of checkpoint and restore, checked as runc checks them before it calls criu: --parent-path is
    /// relative to --image-path and must be a folder there. berth checkpoints nothing, but a mistaken path is still
    /// named before it says so.
    /// </summary>
    private static void CheckImagePaths(string[] args, int first, string command)
    {
        string? image = null, parent = null;
        for (int i = first; i < args.Length; i++)
        {
            string name = args[i].TrimStart('-');
            string? value = null;
            if (name.IndexOf('=') is var eq and >= 0)
                (name, value) = (name[..eq], name[(eq + 1)..]);
            else if (args[i].StartsWith('-') && name is "image-path" or "parent-path" && i + 1 < args.Length)
                value = args[++i];
            if (name == "image-path")
                image = value;
            else if (name == "parent-path")
                parent = value;
        }
        if (string.IsNullOrEmpty(parent))
            return;
        if (Path.IsPathRooted(parent))
            throw new BerthException($"{command}: --parent-path must be relative (to --image-path), not \"{parent}\"");
        string real = Path.Combine(string.IsNullOrEmpty(image) ? "checkpoint" : image, parent);
        if (!Directory.Exists(real))
            throw new BerthException($"{command}: invalid --parent-path: {real} is not a directory");
    }

    private static readonly string[] UpdateValueFlags =
    [
        "resources", "r", "blkio-weight", "cpu-period", "cpu-quota", "cpu-share", "cpu-rt-period", "cpu-rt-runtime",
        "cpuset-cpus", "cpuset-mems", "kernel-memory", "kernel-memory-tcp", "memory", "memory-reservation", "memory-swap",
        "pids-limit", "l3-cache-schema", "mem-bw-schema",
    ];

    private static string ReadResourcesFile(string file)
    {
        byte[] bytes = SmallFiles.ReadRegularOrPipe(file, out int error)
            ?? throw BerthException.Errno($"update: --resources: read {file}", error);
        return Encoding.UTF8.GetString(bytes);
    }

    private static CreateOptions CreateOptionsFrom(Arguments a, string command, Log log)
    {
        string id = a.Single(command, "container id");
        string bundle = Path.GetFullPath(a.Value("bundle", "b") ?? ".");
        int preserve = 0;
        if (a.Value("preserve-fds") is string p && (!int.TryParse(p, out preserve) || preserve < 0))
            throw new BerthException($"{command}: --preserve-fds must be a number, not \"{p}\"", 2);
        var config = BundleLoader.Load(bundle, a.Values("host"), log, command);
        return new CreateOptions(id, bundle, config)
        {
            PidFile = a.Value("pid-file"),
            ConsoleSocket = a.Value("console-socket"),
            NoPivot = a.Flag("no-pivot"),
            NoNewKeyring = a.Flag("no-new-keyring"),
            PreserveFds = preserve,
        };
    }

    private static readonly string[] ExecValueFlags = ["process", "p", "pid-file", "console-socket", "cwd", "env", "e", "user", "u", "cap", "c", "preserve-fds", "process-label", "apparmor", "additional-gids", "g", "cgroup", "pidfd-socket"];
    private static readonly string[] ExecBoolFlags = ["detach", "d", "tty", "t", "no-new-privs", "ignore-paused", "no-subreaper"];

    /// <summary>berth exec [flags] ID [PROGRAM ARGS…]: flags come before the id; everything after the id is the program's.</summary>
    private static ExecOptions ExecOptionsFrom(string[] args, int first)
    {
        const string command = "exec";
        // Find the id: the first positional, skipping the values of value flags. What follows it belongs to the program.
        int idAt = -1;
        for (int i = first; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                idAt = i + 1 < args.Length ? i + 1 : -1;
                break;
            }
            if (arg.Length < 2 || arg[0] != '-')
            {
                idAt = i;
                break;
            }
            string name = arg.TrimStart('-');
            if (!name.Contains('=') && ExecValueFlags.Contains(name))
                i++;
        }
        if (idAt < 0)
            throw new BerthException("exec: usage: berth exec [flags] ID [PROGRAM ARGS…]", 2);
        var flagArgs = args[first..idAt].Where(a => a != "--").ToArray();
        var a = Arguments.Parse(flagArgs, 0, command, ExecValueFlags, ExecBoolFlags);
        foreach (string unsupported in new[] { "process-label", "apparmor" })
            if (a.Value(unsupported) is not null)
                throw new BerthException($"exec: --{unsupported} is not supported by berth yet", 2);
        var gids = new List<uint>();
        foreach (string g in a.Values("additional-gids", "g"))
        {
            if (!uint.TryParse(g, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint gid))
                throw new BerthException($"exec: --additional-gids must be a group id (a number, 0 or more), not \"{g}\"", 2);
            gids.Add(gid);
        }
        int preserve = 0;
        if (a.Value("preserve-fds") is string p && (!int.TryParse(p, out preserve) || preserve < 0))
            throw new BerthException($"exec: --preserve-fds must be a number, not \"{p}\"", 2);
        string? processFile = a.Value("process", "p");
        var programArgs = args[(idAt + 1)..];
        if (processFile is not null && programArgs.Length > 0)
            throw new BerthException("exec: --process and a program on the command line exclude each other", 2);
        return new ExecOptions(args[idAt])
        {
            ProcessJson = processFile is null ? null : SmallFiles.ReadRegularOrPipe(processFile, out int readError) ?? throw BerthException.Errno($"exec: --process: read {processFile}", readError),
            Args = programArgs,
            PidFile = a.Value("pid-file"),
            Detach = a.Flag("detach", "d"),
            Tty = a.Flag("tty", "t"),
            ConsoleSocket = a.Value("console-socket"),
            Cwd = a.Value("cwd"),
            Env = a.Values("env", "e"),
            User = a.Value("user", "u"),
            Caps = a.Values("cap", "c"),
            NoNewPrivs = a.Flag("no-new-privs"),
            PreserveFds = preserve,
            AdditionalGids = gids,
            Cgroups = a.Values("cgroup"),
            IgnorePaused = a.Flag("ignore-paused"),
        };
    }

    /// <summary>list as runc prints it: a table (ID PID STATUS BUNDLE CREATED OWNER), JSON with runc's members, or the ids.</summary>
    private static int ListCommand(Arguments a, ContainerRuntime runtime, string command)
    {
        if (a.Positionals.Count != 0)
            throw new BerthException($"{command}: takes no arguments (the containers are those of --root), got {a.Positionals.Count}", 2);
        string format = a.Value("format", "f") ?? "table";
        if (format is not ("table" or "json"))
            throw new BerthException($"{command}: --format must be table or json, not \"{format}\"", 2);
        var items = runtime.List();
        if (a.Flag("quiet", "q"))
        {
            var ids = new StringBuilder();
            foreach (var item in items)
                ids.Append(item.Record.Id).Append('\n');
            StandardStreams.Write(ids.ToString());
            return 0;
        }
        if (format == "json")
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, Berth.Runtime.JsonText.Options()))
            {
                w.WriteStartArray();
                foreach (var (record, status, owner) in items)
                {
                    w.WriteStartObject();
                    w.WriteString("ociVersion", record.OciVersion);
                    w.WriteString("id", record.Id);
                    w.WriteNumber("pid", ListedPid(record, status));
                    w.WriteString("status", ContainerRuntime.Describe(status));
                    w.WriteString("bundle", record.Bundle);
                    w.WriteString("rootfs", record.Rootfs);
                    w.WriteString("created", Rfc3339Nano(record.Created));
                    if (record.Annotations.Count > 0)
                    {
                        w.WriteStartObject("annotations");
                        foreach (var (key, value) in record.Annotations)
                            w.WriteString(key, value);
                        w.WriteEndObject();
                    }
                    w.WriteString("owner", owner);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            WriteOut(buffer.ToArray());
            return 0;
        }
        var rows = new List<string[]> { new[] { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" } };
        foreach (var (record, status, owner) in items)
            rows.Add([record.Id, ListedPid(record, status).ToString(System.Globalization.CultureInfo.InvariantCulture), ContainerRuntime.Describe(status), record.Bundle, Rfc3339Nano(record.Created), owner]);
        StandardStreams.Write(TextTable.Render(rows));
        return 0;
    }

    /// <summary>The pid list shows: 0 once the container's process is gone.</summary>
    private static int ListedPid(ContainerRecord record, ContainerStatus status) => status == ContainerStatus.Stopped ? 0 : record.Pid;

    /// <summary>A time as Go's RFC3339Nano writes it (UTC, "Z", no trailing zeros in the fraction), as runc lists it.</summary>
    public static string Rfc3339Nano(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private const string PsUsage = "ps: usage: berth ps [--format table|json] ID [PS OPTIONS…]";

    /// <summary>
    /// ps as runc does it: its flags come before the id; whatever follows the id goes to ps(1) (a "--" right after the
    /// id is dropped), which prints its own table, kept to its header and the container's processes.
    /// </summary>
    private static int PsCommand(string[] args, int first, ContainerRuntime runtime)
    {
        string format = "table";
        int at = first;
        for (; at < args.Length && args[at].Length > 1 && args[at][0] == '-'; at++)
        {
            string arg = args[at];
            if (arg == "--")
            {
                at++;
                break;
            }
            string name = arg.TrimStart('-');
            string? inline = null;
            if (name.IndexOf('=') is var eq and >= 0)
                (name, inline) = (name[..eq], name[(eq + 1)..]);
            if (name is not ("format" or "f"))
                throw new BerthException($"ps: unknown flag {arg} (ps(1)'s own options go after the container id)", 2);
            format = inline ?? (at + 1 < args.Length ? args[++at] : throw new BerthException("ps: flag --format needs a value", 2));
        }
        if (at >= args.Length)
            throw new BerthException(PsUsage, 2);
        if (format is not ("table" or "json"))
            throw new BerthException($"ps: --format must be table or json, not \"{format}\"", 2);
        string id = args[at];
        var psOptions = args[(at + 1)..];
        if (psOptions.Length > 0 && psOptions[0] == "--")
            psOptions = psOptions[1..];
        var pids = runtime.Processes(id);
        if (format == "json")
        {
            StandardStreams.WriteLine("[" + string.Join(",", pids) + "]");
            return 0;
        }
        StandardStreams.Write(ProcessTable.Render(id, pids, psOptions, runtime.Debug));
        return 0;
    }

    internal static void WriteOut(byte[] bytes)
    {
        StandardStreams.Write(bytes);
        StandardStreams.Write("\n"u8);
    }
}

/// <summary>Go-style durations as runc's flags take them: "5s", "100ms", "1m30s", "2h"; a bare number is seconds.</summary>
internal static class Durations
{
    public static TimeSpan Parse(string text, string flag)
    {
        if (double.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double bare))
            return TimeSpan.FromSeconds(bare);
        var total = TimeSpan.Zero;
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
                i++;
            int unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
                i++;
            if (start == unitStart || !double.TryParse(text[start..unitStart], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double n))
                throw new BerthException($"{flag}: \"{text}\" is not a duration (like 5s, 100ms, 1m)", 2);
            total += text[unitStart..i] switch
            {
                "ns" => TimeSpan.FromTicks((long)(n / 100)),
                "us" or "µs" => TimeSpan.FromTicks((long)(n * 10)),
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => throw new BerthException($"{flag}: \"{text}\" is not a duration (like 5s, 100ms, 1m)", 2),
            };
        }
        return total;
    }
}
