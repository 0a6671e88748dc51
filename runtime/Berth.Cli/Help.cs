using System.Text;

namespace Berth.Cli;

/// <summary>
/// `--help`, `-h`, `COMMAND --help` and `help [COMMAND]` laid out as runc's command line lays its help out (NAME:,
/// USAGE:, DESCRIPTION:/COMMANDS:, OPTIONS:), because scripts and runc's own suite read its second line. The name line
/// says berth and also the runc command it stands in for (clients look for "runc - Open Container Initiative
/// runtime" and "runc COMMAND" there). An unknown topic is an error, exit 3, as runc's.
/// </summary>
internal static class Help
{
    /// <summary>The runc release whose command line berth follows.</summary>
    public const string RuncVersion = "1.1.5";

    private sealed record Topic(string Name, string Arguments, string Summary, string[] Options);

    private static readonly Topic[] Topics =
    [
        new("checkpoint", "<container-id>", "checkpoint a running container (not supported by berth: it says why and fails)", []),
        new("create", "<container-id>", "create a container: set it up and leave its process waiting for start",
        [
            "--bundle value, -b value    the bundle directory (default: the current directory)",
            "--console-socket value      a unix socket that receives the pty master when process.terminal is true",
            "--pid-file value            write the container process's pid to this file",
            "--no-pivot                  enter the root file system with MS_MOVE and chroot instead of pivot_root",
            "--no-new-keyring            keep the caller's session keyring instead of a new one",
            "--preserve-fds value        hand this many more descriptors (from 3, after LISTEN_FDS) to the process",
            "--host value                berth's own: a host file merged into the config (repeatable)",
        ]),
        new("delete", "<container-id>", "delete what a container holds (state, cgroups), usually once it has stopped",
        [
            "--force, -f  kill the container first (SIGKILL) if it still runs",
        ]),
        new("events", "<container-id>", "print the container's events (OOM, and with --stats its resource use) as JSON lines",
        [
            "--interval value  how often statistics are collected (default: 5s)",
            "--stats           print the statistics once and exit",
        ]),
        new("exec", "<container-id> <command> [command options]  || -p process.json <container-id>", "run another process inside a running or created container",
        [
            "--console-socket value        a unix socket that receives the pty master with --tty",
            "--cwd value                   the working directory inside the container",
            "--env value, -e value         an environment variable NAME=VALUE (repeatable)",
            "--tty, -t                     give the process a pseudo-terminal",
            "--user value, -u value        UID[:GID] to run as",
            "--additional-gids value, -g value  another group id for the process (repeatable)",
            "--process value, -p value     a process.json that describes the whole process",
            "--detach, -d                  do not wait for the process",
            "--pid-file value              write the process's pid to this file",
            "--cap value, -c value         add a capability (repeatable)",
            "--no-new-privs                set no_new_privs for the process",
            "--preserve-fds value          hand this many more descriptors (from 3) to the process",
            "--cgroup value                the sub-cgroup to join, [CONTROLLER[,CONTROLLER]:]PATH (repeatable)",
            "--ignore-paused               run even when the container is paused",
        ]),
        new("features", "", "print the features berth supports, as JSON", []),
        new("kill", "<container-id> [signal]", "send a signal (default SIGTERM) to the container's init process",
        [
            "--all, -a  send it to every process of the container",
        ]),
        new("list", "", "list the containers of the state root",
        [
            "--format value, -f value  table or json (default: table)",
            "--quiet, -q               print only the ids",
        ]),
        new("pause", "<container-id>", "freeze every process of the container", []),
        new("ps", "<container-id> [ps options]", "show the container's processes (ps(1) options go after the id)",
        [
            "--format value, -f value  table or json (default: table)",
        ]),
        new("restore", "<container-id>", "restore a container from a checkpoint (not supported by berth: it says why and fails)", []),
        new("resume", "<container-id>", "thaw a paused container", []),
        new("run", "<container-id>", "create a container and start it",
        [
            "the options of create, and:",
            "--detach, -d  do not wait for the container's process",
            "--keep        keep the container's state after it exits",
        ]),
        new("spec", "", "write a default config.json",
        [
            "--bundle value, -b value  where to write it (default: the current directory)",
            "--rootless                a config for a container run by an unprivileged user",
        ]),
        new("start", "<container-id>", "start the process of a created container", []),
        new("state", "<container-id>", "print the container's state as JSON", []),
        new("update", "<container-id>", "change the container's resource limits",
        [
            "--resources value, -r value  a JSON file (or - for stdin) in the form of linux.resources",
            "--memory value, --memory-swap value, --memory-reservation value, --cpu-share value, --cpu-quota value,",
            "--cpu-period value, --cpuset-cpus value, --cpuset-mems value, --pids-limit value, --blkio-weight value",
        ]),
        new("validate", "FILE", "berth's own: check a config.json or config.yaml against the schema",
        [
            "--format value  text or json (default: text)",
        ]),
        new("plan", "<container-id>", "berth's own: print the operations create would run",
        [
            "--bundle value, -b value  the bundle directory (default: the current directory)",
        ]),
        new("compile", "AUTHOR.yaml", "berth's own: compile a YAML config and host files into config.json",
        [
            "--host value, --host-dir value, -o value, --explain, --diff, --to-yaml",
        ]),
        new("diff", "<container-id>", "berth's own: what the host files changed in the author's config",
        [
            "--format value  text or json (default: text)",
        ]),
        new("schema", "", "berth's own: the JSON Schema of the YAML config format",
        [
            "-o value  write it to this file",
        ]),
    ];

    /// <summary>Whether <paramref name="name"/> has a help topic.</summary>
    public static bool Has(string name) => Topics.Any(t => t.Name == name) || name is "ls" or "help" or "h";

    /// <summary>The whole program's help.</summary>
    public static string Program(string version)
    {
        var text = new StringBuilder();
        text.Append("NAME:\n");
        text.Append($"   berth - Open Container Initiative runtime (a drop-in for runc - Open Container Initiative runtime {RuncVersion})\n\n");
        text.Append("USAGE:\n   berth [global options] command [command options] [arguments...]\n\n");
        text.Append($"VERSION:\n   {version}\n\n");
        text.Append("DESCRIPTION:\n   berth runs containers described by OCI bundles; its commands and flags are runc's. Each command's own\n");
        text.Append("   options: berth COMMAND --help. create, run and plan read config.json or config.yaml, then the host files\n");
        text.Append("   of $BERTH_HOST_DIR (default /etc/berth/host.d) and --host FILE...\n\n");
        text.Append("COMMANDS:\n");
        foreach (var t in Topics)
            text.Append($"   {t.Name,-11} {t.Summary}\n");
        text.Append($"   {"help, h",-11} show the commands, or one command's help\n\n");
        text.Append("GLOBAL OPTIONS:\n");
        text.Append("   --debug               write debug lines (to the log file, else stderr)\n");
        text.Append("   --log value           also write errors, warnings and debug lines to this file\n");
        text.Append("   --log-format value    text or json (default: text)\n");
        text.Append("   --root value          the directory of the containers' state (default: /run/berth as root)\n");
        text.Append("   --systemd-cgroup      take linux.cgroupsPath as slice:prefix:name (needs systemd)\n");
        text.Append("   --rootless value      true, false or auto (default: auto)\n");
        text.Append("   --help, -h            show help\n");
        text.Append("   --version, -v         print the version\n");
        return text.ToString();
    }

    /// <summary>One command's help, or null when there is no such command.</summary>
    public static string? Command(string name)
    {
        if (name is "ls")
            name = "list";
        if (name is "help" or "h")
            return "NAME:\n   berth help - show the commands, or one command's help (as runc help)\n\nUSAGE:\n   berth help [command]\n";
        var topic = Topics.FirstOrDefault(t => t.Name == name);
        if (topic is null)
            return null;
        var text = new StringBuilder();
        text.Append("NAME:\n");
        text.Append($"   berth {topic.Name} - {topic.Summary} (as runc {topic.Name})\n\n");
        text.Append("USAGE:\n");
        text.Append($"   berth {topic.Name}{(topic.Options.Length > 0 ? " [command options]" : "")}{(topic.Arguments.Length > 0 ? " " + topic.Arguments : "")}\n");
        if (topic.Options.Length > 0)
        {
            text.Append("\nOPTIONS:\n");
            foreach (string option in topic.Options)
                text.Append("   ").Append(option).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Prints the help of <paramref name="topic"/> (null: the program's); exit 0, or 3 with runc's words when
    /// there is no such topic.</summary>
    public static int Print(string? topic, string version, Log log)
    {
        string? text = topic is null ? Program(version) : Command(topic);
        if (text is null)
        {
            log.Line("error", $"No help topic for '{topic}'");
            return 3;
        }
        StandardStreams.Write(text);
        return 0;
    }

    /// <summary>
    /// Whether the arguments after a command ask for its help: -h or --help among its flags. For exec and ps the flags
    /// end at the container id (what follows is the program's); "--" ends them for every command.
    /// </summary>
    public static bool Asked(string command, string[] args, int first)
    {
        bool flagsEndAtId = command is "exec" or "ps";
        for (int i = first; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg == "--")
                return false;
            if (arg is "-h" or "--help" or "-help")
                return true;
            if (flagsEndAtId && (arg.Length < 2 || arg[0] != '-'))
                return false;
        }
        return false;
    }
}
