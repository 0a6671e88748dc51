using System.Text;
using System.Text.Json;
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

    private const string Usage = """
        usage: berth [global flags] COMMAND [flags] ARGS

        Commands (runc-compatible):
          create   --bundle DIR [--pid-file F] [--console-socket S] [--no-pivot] [--preserve-fds N] ID
          start    ID
          run      [create flags] [--detach] [--keep] ID
          exec     [--process FILE | ID PROGRAM ARGS…] [--detach] [--pid-file F] [--tty] [--console-socket S] [--cwd DIR]
                   [--env K=V]… [--user UID[:GID]] [--additional-gids GID]… [--cap CAP]… [--no-new-privs]
                   [--preserve-fds N] [--cgroup [CONTROLLER[,CONTROLLER]:]PATH]… [--ignore-paused] ID
          state    ID
          kill     [--all] ID [SIGNAL]
          delete   [--force] ID
          list     [--format table|json] [--quiet]
          pause    ID
          resume   ID
          ps       [--format table|json] ID
          spec     [--rootless] [--bundle DIR]
          features
        berth's own:
          validate [--format text|json] FILE
          plan     [--bundle DIR] ID       print the operations create would run
          compile  AUTHOR.yaml [--host HOST.yaml]… [--host-dir DIR] [-o config.json] [--explain|--diff|--to-yaml]
          diff     [--format text|json] ID   what the host files changed in the author's config, with file:line
          schema   [-o FILE]               JSON Schema of the YAML config format (for editors)
        create/run/plan read config.json or config.yaml, then $BERTH_HOST_DIR (default /etc/berth/host.d) and --host FILE…

        Global flags: --root DIR, --log FILE, --log-format text|json, --debug, --systemd-cgroup, --rootless true|false|auto,
                      --version, --help
        """;

    public static int Execute(string[] args)
    {
        Log log = new(null, "text", false);
        try
        {
            var global = ParseGlobal(args, out int commandIndex);
            log = new Log(global.Value("log"), global.Value("log-format") ?? "text", global.Flag("debug"));
            if (global.Flag("version", "v"))
            {
                Console.Out.Write($"berth version {Version}\nspec: {SpecVersion}\n");
                return 0;
            }
            if (global.Flag("help", "h") || commandIndex >= args.Length)
            {
                Console.Out.WriteLine(Usage);
                return commandIndex >= args.Length && !global.Flag("help", "h") ? 2 : 0;
            }
            if (global.Flag("systemd-cgroup") && !Directory.Exists("/run/systemd/system"))
                throw new BerthException("--systemd-cgroup: systemd is not running on this host, so there is no systemd cgroup manager to use");
            string? rootless = global.Value("rootless");
            if (rootless is not null and not ("true" or "false" or "auto"))
                throw new BerthException($"--rootless must be true, false or auto, not \"{rootless}\"", 2);
            var store = new StateStore(global.Value("root"));
            var runtime = new ContainerRuntime(store) { Warn = log.Warning };
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

    private static int Dispatch(string[] args, int at, ContainerRuntime runtime, Log log)
    {
        string command = args[at];
        int first = at + 1;
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
                return ListCommand(Arguments.Parse(args, first, command, ["format", "f"], ["quiet", "q"]), runtime);
            case "pause":
            case "resume":
                runtime.Pause(Arguments.Parse(args, first, command, [], []).Single(command, "container id"), command == "pause");
                return 0;
            case "ps":
                return PsCommand(Arguments.Parse(args, first, command, ["format", "f"], []), runtime);
            case "spec":
            {
                var a = Arguments.Parse(args, first, command, ["bundle", "b"], ["rootless"]);
                DefaultSpec.Write(a.Value("bundle", "b") ?? ".", a.Flag("rootless"));
                return 0;
            }
            case "features":
                Arguments.Parse(args, first, command, [], []);
                WriteOut(Encoding.UTF8.GetBytes(FeaturesDocument.Json));
                return 0;
            case "validate":
                return ValidateCommand.Run(Arguments.Parse(args, first, command, ["format", "host"], []), log);
            case "compile":
                return ConfigCommands.Compile(Arguments.Parse(args, first, command, ConfigCommands.CompileValueFlags, ConfigCommands.CompileBoolFlags));
            case "diff":
                return ConfigCommands.Diff(Arguments.Parse(args, first, command, ["format"], []), runtime);
            case "schema":
                return ConfigCommands.Schema(Arguments.Parse(args, first, command, ["output", "o"], []));
            case "plan":
            {
                var a = Arguments.Parse(args, first, command, ["bundle", "b", "host"], ["no-pivot"]);
                var options = CreateOptionsFrom(a, command, log);
                foreach (var op in runtime.Plan(options))
                    Console.Out.WriteLine(op.ToString());
                return 0;
            }
            default:
                throw new BerthException($"unknown command \"{command}\"; see berth --help", 2);
        }
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
            ProcessJson = processFile is null ? null : File.ReadAllBytes(processFile),
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

    private static int ListCommand(Arguments a, ContainerRuntime runtime)
    {
        string format = a.Value("format", "f") ?? "table";
        var items = runtime.List().ToList();
        if (a.Flag("quiet", "q"))
        {
            foreach (var (record, _) in items)
                Console.Out.WriteLine(record.Id);
            return 0;
        }
        if (format == "json")
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, Berth.Runtime.JsonText.Options()))
            {
                w.WriteStartArray();
                foreach (var (record, status) in items)
                {
                    w.WriteStartObject();
                    w.WriteString("ociVersion", record.OciVersion);
                    w.WriteString("id", record.Id);
                    w.WriteNumber("pid", status == ContainerStatus.Stopped ? 0 : record.Pid);
                    w.WriteString("status", ContainerRuntime.Describe(status));
                    w.WriteString("bundle", record.Bundle);
                    w.WriteString("rootfs", record.Rootfs);
                    w.WriteString("created", record.Created);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            WriteOut(buffer.ToArray());
            return 0;
        }
        if (format != "table")
            throw new BerthException($"list: --format must be table or json, not \"{format}\"", 2);
        Console.Out.WriteLine("ID\tPID\tSTATUS\tBUNDLE\tCREATED");
        foreach (var (record, status) in items)
            Console.Out.WriteLine($"{record.Id}\t{(status == ContainerStatus.Stopped ? 0 : record.Pid)}\t{ContainerRuntime.Describe(status)}\t{record.Bundle}\t{record.Created:O}");
        return 0;
    }

    private static int PsCommand(Arguments a, ContainerRuntime runtime)
    {
        string id = a.Single("ps", "container id");
        var pids = runtime.Processes(id);
        if ((a.Value("format", "f") ?? "table") == "json")
        {
            Console.Out.WriteLine("[" + string.Join(",", pids) + "]");
            return 0;
        }
        Console.Out.WriteLine("PID");
        foreach (int pid in pids)
            Console.Out.WriteLine(pid);
        return 0;
    }

    internal static void WriteOut(byte[] bytes)
    {
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(bytes);
        stdout.Write("\n"u8);
    }
}
