using Berth.Cli.Commands;
using Berth.Cli.Parsing;
using Berth.Images;
using Berth.Runtime;
using Berth.Runtime.Lifecycle;
using Berth.Runtime.State;

namespace Berth.Cli;

/// <summary>
/// The command line: global flags (before the command), then one command from <see cref="Commands"/>, which parses its
/// own flags from its table and calls one library function. This is the one place that puts the command's name in
/// front of an error, and that turns an exception into an exit code.
/// </summary>
public static class Dispatcher
{
    public const string Version = "0.1.0";
    public const string SpecVersion = "1.3.0";

    /// <summary>The exit code of an exec that failed before its process ran (runc's).</summary>
    public const int ExecFailed = 255;

    /// <summary>Every command, in the order the help lists them.</summary>
    public static readonly CommandDefinition[] Commands =
    [
        CheckpointCommand.Checkpoint, CreateCommand.Definition, DeleteCommand.Definition, EventsCommand.Definition,
        ExecCommand.Definition, FeaturesCommand.Definition, KillCommand.Definition, ListCommand.Definition,
        PauseCommand.Pause, PsCommand.Definition, CheckpointCommand.Restore, PauseCommand.Resume, RunCommand.Definition,
        SpecCommand.Definition, StartCommand.Definition, StateCommand.Definition, UpdateCommand.Definition,
        ValidateCommand.Definition, PlanCommand.Definition, CompileCommand.Definition, DiffCommand.Definition,
        SchemaCommand.Definition, ImageCommand.Definition, DigestCommand.Definition, SignCommand.Definition,
        VerifyCommand.Definition, HelpCommand.Definition,
    ];

    /// <summary>Every command with the commands of every group (`image import`), each once.</summary>
    public static IEnumerable<CommandDefinition> EveryCommand => Commands.SelectMany(c => c.Subcommands.Prepend(c));

    /// <summary>The global flags, runc's, and berth's --store.</summary>
    public static readonly Flag[] GlobalFlags =
    [
        Flag.Switch("debug", "write debug lines (to the log file, else stderr)"),
        Flag.Value("log", "also write errors, warnings and debug lines to this file"),
        Flag.Value("log-format", "text or json (default: text)"),
        Flag.Value("root", "the directory of the containers' state (default: /run/berth as root, else $XDG_RUNTIME_DIR/berth)"),
        Flag.Value("store", "berth's own: the content store of imported images and their layers (default: /var/lib/berth/store as root, else $XDG_DATA_HOME/berth/store)"),
        Flag.Value("criu", "the criu binary to checkpoint and restore with")
            .RefusedBecause("berth does not checkpoint or restore, so it runs no criu"),
        Flag.Switch("systemd-cgroup", "take linux.cgroupsPath as slice:prefix:name and let systemd manage the cgroups")
            .RefusedBecause("berth has no systemd cgroup driver: it manages the cgroups of linux.cgroupsPath itself (berth features says systemd: false)"),
        Flag.Value("rootless", "true, false or auto (default: auto: rootless when not root, or root in a user namespace without the whole id range); rootless skips the cgroups when no limit is asked for, and setgroups in a user namespace when there are no groups to set"),
        Flag.Switch("version", "print the version", "v"),
    ];

    /// <summary>What the global flags say. <see cref="StoreRoot"/> is --store (null: the default, which
    /// <see cref="ImageStore.DefaultRoot"/> decides); it reaches the commands as <see cref="ContainerRuntime.ImageStoreRoot"/>.</summary>
    public sealed record GlobalOptions(string? LogFile, string LogFormat, bool Debug, string? Root, string Rootless, bool Version, string? StoreRoot)
    {
        public static GlobalOptions From(Arguments a)
        {
            string rootless = a.Choice("rootless", "auto", "true", "false");
            return new(a.Value("log"), a.Choice("log-format", "text", "json"), a.Flag("debug"), a.Value("root"), rootless, a.Flag("version"), a.Value("store"));
        }
    }

    /// <summary>A command by name or alias; a group's command by its full name ("image import", "image ls").</summary>
    public static CommandDefinition? Find(string name)
    {
        string[] words = name.Split(' ', 2);
        var command = Commands.FirstOrDefault(c => c.Names.Contains(words[0]));
        return words.Length == 1 ? command : command?.Subcommand(words[1]);
    }

    public static int Execute(string[] args)
    {
        Log log = new(null, "text", false);
        try
        {
            var global = Arguments.Parse(args, 0, GlobalFlags, flagsEndAtFirstPositional: true);
            var options = GlobalOptions.From(global);
            log = new Log(options.LogFile, options.LogFormat, options.Debug);
            if (options.Version)
            {
                StandardStreams.Write(VersionText());
                return 0;
            }
            // As runc: no command at all prints the help too, and is not an error.
            if (global.HelpAsked || global.Positionals.Count == 0)
                return Help.Print(null, log);
            string name = global.Positionals[0];
            var rest = global.Positionals.Skip(1).ToList();
            var command = Find(name);
            if (command is null)
            {
                if (rest.Any(a => a is "-h" or "--help"))
                    return Help.Print(name, log);
                throw new BerthException($"unknown command \"{name}\"; see berth --help", 2);
            }
            // A group's command (`image import`) takes the word after the group's name.
            if (rest.Count > 0 && command.Subcommand(rest[0]) is { } subcommand)
            {
                (command, name) = (subcommand, subcommand.Name);
                rest.RemoveAt(0);
            }
            RootlessContext.Mode = options.Rootless;
            var store = new StateStore(options.Root);
            return Run(command, name, rest, store, options.StoreRoot, log, args);
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
    /// Runs one command. Every error names the command it came from; `exec`'s own errors (before the process runs)
    /// exit 255 as runc's do, so that a client can tell them from the status of the process, which exec returns as is.
    /// </summary>
    private static int Run(CommandDefinition command, string name, List<string> args, StateStore store, string? imageStore, Log log, string[] all)
    {
        try
        {
            var arguments = command.Parse(args, 0);
            if (arguments.HelpAsked)
                return Help.Print(command.Name, log);
            if (log.Debug)
                log.DebugLine($"{name}: berth {string.Join(' ', all)} (pid {Environment.ProcessId}, state root {RootForDebug(store)})");
            var runtime = new ContainerRuntime(store) { Warn = log.Warning, Debug = log.Debug ? log.DebugLine : null, ImageStoreRoot = imageStore };
            return command.Run(new Invocation(arguments, runtime, log));
        }
        catch (Exception e) when (e is BerthException or ImageException or IOException or UnauthorizedAccessException)
        {
            int code = e is BerthException b ? b.ExitCode : 1;
            if (command == ExecCommand.Definition && code == 1)
                code = ExecFailed;
            string message = e.Message.StartsWith(name + ": ", StringComparison.Ordinal) ? e.Message : $"{name}: {e.Message}";
            throw new BerthException(message, code, e);
        }
    }

    /// <summary>
    /// --version in runc's three lines: "… version X.Y.Z", "commit: …", "spec: …". The first line names berth and the
    /// runc release whose command line it follows (docker reads the name before "version" and the number after the
    /// last "version"); the commit is the one berth was built from, when the build knew it.
    /// </summary>
    public static string VersionText()
    {
        string? informational = typeof(Dispatcher).Assembly
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
}
