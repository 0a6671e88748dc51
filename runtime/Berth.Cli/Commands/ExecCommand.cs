using System.Globalization;
using Berth.Cli.Parsing;
using Berth.Runtime;
using Berth.Runtime.Lifecycle;

namespace Berth.Cli.Commands;

/// <summary>
/// `berth exec [flags] ID [PROGRAM ARGS…]`: another process in a created or running container. Flags come before the
/// id; everything after it is the program's. Its exit status is the process's (255 when berth fails before it runs).
/// </summary>
public static class ExecCommand
{
    private const string NoLabels = "berth applies no AppArmor or SELinux label (this host has neither; berth features says so)";

    public static readonly CommandDefinition Definition = new("exec",
        "<container-id> <command> [command options]  || -p process.json <container-id>",
        "run another process inside a running or created container",
    [
        Flag.Value("console-socket", "a unix socket that receives the pty master with --tty"),
        Flag.Value("cwd", "the working directory inside the container"),
        Flag.Value("env", "an environment variable NAME=VALUE", "e").Many(),
        Flag.Switch("tty", "give the process a pseudo-terminal", "t"),
        Flag.Value("user", "UID[:GID] to run as", "u"),
        Flag.Value("additional-gids", "another group id for the process", "g").Many(),
        Flag.Value("process", "a process.json that describes the whole process", "p"),
        Flag.Switch("detach", "do not wait for the process", "d"),
        Flag.Value("pid-file", "write the process's pid to this file"),
        Flag.Value("process-label", "the SELinux label of the process").RefusedBecause(NoLabels),
        Flag.Value("apparmor", "the AppArmor profile of the process").RefusedBecause(NoLabels),
        Flag.Switch("no-new-privs", "set no_new_privs for the process"),
        Flag.Value("cap", "add a capability", "c").Many(),
        Flag.Value("preserve-fds", "hand this many more descriptors (from 3) to the process"),
        Flag.Value("cgroup", "the sub-cgroup to join, [CONTROLLER[,CONTROLLER]:]PATH").Many(),
        Flag.Switch("ignore-paused", "run even when the container is paused"),
        CreateCommand.NoSubreaperUnlessDetached,
        CreateCommand.PidfdSocket,
    ], Run)
    { FlagsEndAtFirstPositional = true };

    private static int Run(Invocation call) => call.Runtime.Exec(Options(call.Arguments));

    private static ExecOptions Options(Arguments a)
    {
        if (a.Positionals.Count == 0)
            throw new BerthException("usage: berth exec [flags] ID [PROGRAM ARGS…]", 2);
        bool detach = a.Flag("detach");
        CreateCommand.CheckNoSubreaper(a, detach);
        var gids = new List<uint>();
        foreach (string g in a.Values("additional-gids"))
            gids.Add(uint.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out uint gid)
                ? gid
                : throw new BerthException($"--additional-gids must be a group id (a number, 0 or more), not \"{g}\"", 2));
        int preserveFds = a.Count("preserve-fds");
        string? processFile = a.Value("process");
        var programArgs = a.Positionals.Skip(1).ToArray();
        if (processFile is not null && programArgs.Length > 0)
            throw new BerthException("--process and a program on the command line exclude each other", 2);
        return new ExecOptions(a.Positionals[0])
        {
            ProcessJson = processFile is null ? null : SmallFiles.ReadRegularOrPipe(processFile, out int readError) ?? throw BerthException.Errno($"--process: read {processFile}", readError),
            Args = programArgs,
            PidFile = a.Value("pid-file"),
            Detach = detach,
            Tty = a.Flag("tty"),
            ConsoleSocket = a.Value("console-socket"),
            Cwd = a.Value("cwd"),
            Env = a.Values("env"),
            User = a.Value("user"),
            Caps = a.Values("cap"),
            NoNewPrivs = a.Flag("no-new-privs"),
            PreserveFds = preserveFds,
            AdditionalGids = gids,
            Cgroups = a.Values("cgroup"),
            IgnorePaused = a.Flag("ignore-paused"),
        };
    }
}
