using Berth.Cli.Parsing;
using Berth.Runtime;
using Berth.Runtime.Bundles;
using Berth.Runtime.Lifecycle;

namespace Berth.Cli.Commands;

/// <summary>`berth create [flags] ID`: set the container up and leave its process waiting for `start`.</summary>
public static class CreateCommand
{
    public static readonly Flag Bundle = Flag.Value("bundle", "the bundle directory (default: the current directory)", "b");
    public static readonly Flag Host = Flag.Value("host", "berth's own: a host file merged into the config after those of $BERTH_HOST_DIR (default /etc/berth/host.d)").Many();
    public static readonly Flag NoPivot = Flag.Switch("no-pivot", "enter the root file system with MS_MOVE and chroot instead of pivot_root");

    /// <summary>runc ≥ 1.2's flag. Sending the pidfd needs the process's descriptor from the lifecycle code.</summary>
    public static readonly Flag PidfdSocket = Flag.Value("pidfd-socket", "a unix socket that receives a pidfd of the process (runc 1.2)")
        .RefusedBecause("berth does not send a pidfd yet; use --pid-file");

    /// <summary>The flags create and run share; run adds its own.</summary>
    public static readonly Flag[] SharedFlags =
    [
        Bundle,
        Flag.Value("console-socket", "a unix socket that receives the pty master when process.terminal is true"),
        Flag.Value("pid-file", "write the container process's pid to this file"),
        NoPivot,
        Flag.Switch("no-new-keyring", "keep the caller's session keyring instead of a new one"),
        Flag.Value("preserve-fds", "hand this many more descriptors (from 3, after LISTEN_FDS) to the process"),
        Host,
        PidfdSocket,
    ];

    public static readonly CommandDefinition Definition = new("create", "<container-id>",
        "create a container: set it up and leave its process waiting for start",
        [.. SharedFlags, Flag.Switch("no-subreaper", "do not make berth a subreaper")
            .HonouredBecause("always so: create returns once the container waits for start, and is never a subreaper")],
        Run);

    private static int Run(Invocation call)
    {
        call.Runtime.Create(Options(call));
        return 0;
    }

    /// <summary>The container id, the bundle's config read with the host files, and the flags create and run share.</summary>
    public static CreateOptions Options(Invocation call)
    {
        // Every flag is read before the bundle: a usage error comes before any finding in the config.
        var a = call.Arguments;
        int preserveFds = a.Count("preserve-fds");
        string? pidFile = a.Value("pid-file"), consoleSocket = a.Value("console-socket");
        bool noNewKeyring = a.Flag("no-new-keyring");
        return ForPlan(call) with { PidFile = pidFile, ConsoleSocket = consoleSocket, NoNewKeyring = noNewKeyring, PreserveFds = preserveFds };
    }

    /// <summary>What plan reads too: the id, the bundle's config with the host files, --no-pivot.</summary>
    public static CreateOptions ForPlan(Invocation call)
    {
        var a = call.Arguments;
        string id = a.Single("container id");
        string bundle = Path.GetFullPath(a.Value(Bundle.Name) ?? ".");
        var hostFiles = a.Values(Host.Name);
        bool noPivot = a.Flag(NoPivot.Name);
        return new CreateOptions(id, bundle, BundleConfig.Load(bundle, hostFiles, call.Log, call.Runtime.ImageStoreRoot)) { NoPivot = noPivot };
    }

    /// <summary>A foreground run or exec waits for its process, which needs berth to be a subreaper (the process's
    /// parent may be an intermediate that exits, in a joined pid namespace): --no-subreaper is refused there.</summary>
    public static readonly Flag NoSubreaperUnlessDetached = Flag.Switch("no-subreaper", "do not make berth a subreaper")
        .HonouredBecause("honoured with --detach, where berth never becomes a subreaper; refused in the foreground, where berth must be one to wait for a process whose parent exits (a joined pid namespace)");

    public static void CheckNoSubreaper(Arguments a, bool detach)
    {
        if (a.Flag("no-subreaper") && !detach)
            throw new BerthException("--no-subreaper is not supported in the foreground: berth must be a subreaper to wait for a process whose parent exits (a joined pid namespace); add --detach", 2);
    }
}
