using Berth.Runtime.Plan;

namespace Berth.Runtime.Exec;

/// <summary>The words for an errno a setup operation reported, with what berth knows about that operation.</summary>
internal static class SetupErrors
{
    public static string Describe(Operation? op, int err)
    {
        const int ELOOP = 40;
        return err switch
        {
            _ when op is RunHookOp hook => Lifecycle.HookRunner.Describe(err, hook.TimeoutMs > 0 ? (uint)(hook.TimeoutMs / 1000) : null),
            // The program was found (CheckExec passed): what failed is the execveat of the sealed stage.
            1 or 38 when op is ExecOp => $"{Linux.Describe(err)}: the sealed stage that executes the program could not be started (a linux.seccomp profile must allow execveat as well as execve)",
            // The fork that enters a joined pid namespace happens inside the container's cgroups: EAGAIN is its pids limit.
            11 when op is ForkOp => $"{Linux.Describe(err)}: no process can be added to the container (linux.resources.pids.limit is reached, or the system's limit)",
            NativeReport.OutsideRoot => "the working directory is outside the container's root",
            NativeReport.NotNullDevice => "/dev/null in the container is not the null device (char 1:3), so it cannot mask anything",
            NativeReport.NotDevice => "the file there is not the device berth made or expects",
            NativeReport.NotProcfs => "/proc is not a procfs",
            ELOOP when op is MountOp { RealDirectory: true } or MkdirAllOp { NoSymlinks: true } or BindOp { NoSymlinks: true } =>
                "the path goes through a symbolic link, and this file system must be mounted on ordinary directory (too many levels of symbolic links, ELOOP)",
            ELOOP => "the path reaches outside the container's root through a magic link, or has too many levels of symbolic links (ELOOP)",
            _ => Linux.Describe(err),
        };
    }
}
