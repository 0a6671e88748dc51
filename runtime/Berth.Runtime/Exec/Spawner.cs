using Berth.Runtime.Plan;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Exec;

/// <summary>The container's first process, alive and blocked on the exec fifo (or already exec'd, for run).</summary>
public sealed record SpawnedProcess(int Pid, int IntermediatePid);

/// <summary>
/// Starts the container's first process from a plan: lays the operations out in native memory, lets the C helper
/// clone, writes id maps and joins cgroups while the child waits, then reads the child's report.
/// </summary>
public static unsafe class Spawner
{
    /// <param name="beforeGo">Runs while the child waits: cgroup join, and anything else keyed by its pid.</param>
    /// <param name="onSync">At a Sync operation: runs what must happen in berth (createRuntime hooks) and returns
    /// the state JSON for the hooks the child runs.</param>
    public static SpawnedProcess Spawn(ContainerPlan plan, Action<int> beforeGo, string command, Func<int, byte[]>? onSync = null, Action<int>? onConsole = null, bool waitForExec = false,
        int cgroupFd = -1, Action<int>? notBornInCgroup = null, Action<SeccompOp, int, int>? onSeccompListener = null, Func<bool>? outOfMemory = null)
    {
        var joinFds = new List<int>();
        var (parentFd, childFd) = Sys.SocketPair();
        int pid = -1;
        bool bornOutside = false;
        bool reaped = false; // our child was waited for: its pid may belong to someone else now
        int containerPid = -1;
        try
        {
            using var arena = new OpArena();
            var ops = (NativeOp*)arena.Allocate(sizeof(NativeOp) * plan.Operations.Count);
            for (int i = 0; i < plan.Operations.Count; i++)
                ops[i] = Lowering.Lower(plan.Operations[i], arena, joinFds, command);

            var spawn = new NativeSpawn
            {
                CloneFlags = plan.CloneFlags,
                OpCount = plan.Operations.Count,
                Ops = ops,
                CloseFd = -1,
                CgroupFd = cgroupFd,
                PreserveFds = plan.PreserveFds,
                // Rootless: berth writes the id maps of a child in a new user namespace, which it may only while the
                // child is dumpable; the child stops being dumpable as soon as they are written.
                DumpableUntilGo = plan.CreatesUserNamespace && Sys.Geteuid() != 0 ? 1 : 0,
                ForceWalk = ForceWalk ? 1 : 0,
                // Until it reports ready, the child dies with berth: a berth killed during setup leaves no setup
                // process behind (it would sit outside the container's cgroups, where delete cannot find it).
                ParentDeathSignal = 9,
            };
            int rc = NativeMethods.Spawn(&spawn, childFd, out pid);
            if (rc < 0 && cgroupFd >= 0)
            {
                // A kernel without clone3 or CLONE_INTO_CGROUP: clone plainly and let berth move the child.
                spawn.CgroupFd = -1;
                rc = NativeMethods.Spawn(&spawn, childFd, out pid);
                if (rc == 0)
                    bornOutside = true;
            }
            if (rc == -NativeReport.Stage)
                throw new BerthException($"{command}: make the sealed stage program (memfd_create or its seals were refused)");
            if (rc < 0)
                throw BerthException.Errno($"{command}: clone the container process", -rc);
            containerPid = pid;
        }
        finally
        {
            Sys.Close(childFd);
            foreach (int fd in joinFds)
                Sys.Close(fd);
        }

        try
        {
            if (plan.CreatesUserNamespace)
                WriteIdMaps(pid, plan, command);
            if (bornOutside)
                notBornInCgroup?.Invoke(pid);
            int rc;
            if (plan.JoinsCgroupsConcurrently)
            {
                // Let the child set up while the kernel takes its time moving it into the cgroups.
                rc = NativeMethods.SendGo(parentFd);
                if (rc < 0)
                    throw BerthException.Errno($"{command}: start the container process", -rc);
                beforeGo(pid);
                // A child that already failed is gone: its report, read below, says why.
                NativeMethods.SendGo(parentFd);
                rc = 0;
            }
            else
            {
                beforeGo(pid);
                rc = NativeMethods.SendGo(parentFd);
            }
            if (rc < 0)
                throw BerthException.Errno($"{command}: start the container process", -rc);
            int intermediate = 0;
            bool ready = false;
            string? ended = null;
            while (true)
            {
                rc = NativeMethods.ReadReport(parentFd, out var report, out int receivedFd);
                if (rc < 0 && ready)
                {
                    // After Ready, end-of-file means setup is over: the child closed the channel before waiting for
                    // start (create), or its end closed on exec. A create's child must still be there, waiting.
                    if (waitForExec || pid != containerPid || NativeMethods.Wait(pid, out int status, NativeMethods.WNOHANG) != pid)
                        return new SpawnedProcess(containerPid, intermediate);
                    reaped = true;
                    ended = Ended(status);
                }
                if (rc < 0)
                {
                    ended ??= ExitDescription(pid);
                    reaped = true;
                    throw new BerthException($"{command}: the container process exited during setup ({ended}{Cause(plan, ended, outOfMemory)})");
                }
                switch (report.Kind)
                {
                    case NativeReport.ChildPid:
                        intermediate = pid;
                        containerPid = report.Pid;
                        NativeMethods.Wait(intermediate, out _, 0);
                        // The grandchild is the container: the cgroup and maps follow it through fork.
                        continue;
                    case NativeReport.Fd when report.Index >= 0 && report.Index < plan.Operations.Count && plan.Operations[report.Index] is SeccompOp seccomp:
                    {
                        // The filter's listener: to the seccomp agent, then the child may go on (it waits for this).
                        try
                        {
                            if (onSeccompListener is null)
                                throw new BerthException($"{command}: {seccomp.What} ({seccomp.Field}): no seccomp agent to hand the listener to");
                            onSeccompListener(seccomp, containerPid, receivedFd);
                        }
                        finally
                        {
                            Sys.Close(receivedFd);
                        }
                        rc = NativeMethods.SendGo(parentFd);
                        if (rc < 0)
                            throw BerthException.Errno($"{command}: resume the container process after handing over the seccomp listener", -rc);
                        continue;
                    }
                    case NativeReport.Fd:
                        if (onConsole is null)
                            Sys.Close(receivedFd);
                        else
                            onConsole(receivedFd);
                        continue;
                    case NativeReport.Sync:
                    {
                        byte[] blob = onSync?.Invoke(containerPid) ?? [];
                        fixed (byte* data = blob)
                            rc = NativeMethods.SendBlob(parentFd, data, blob.Length);
                        if (rc < 0)
                            throw BerthException.Errno($"{command}: resume the container process after hooks", -rc);
                        continue;
                    }
                    case NativeReport.Ready:
                        ready = true;
                        continue;
                    case NativeReport.Failed:
                        KillAndReap(containerPid);
                        if (report.Index < 0 || report.Index >= plan.Operations.Count)
                            throw new BerthException($"{command}: open the host's /proc for the container process: {Describe(null, report.Errno)}");
                        var op = plan.Operations[report.Index];
                        throw new BerthException($"{command}: {(op is RunHookOp hook ? Lifecycle.HookRunner.Failed(hook.Index) : "")}{op.What} ({op.Field}): {Describe(op, report.Errno)}");
                }
            }
        }
        catch
        {
            // With a joined pid namespace the container is a grandchild: kill it too, not only our child.
            if (containerPid != pid)
                KillAndReap(containerPid);
            if (!reaped)
                KillAndReap(pid);
            throw;
        }
        finally
        {
            Sys.Close(parentFd);
        }
    }

    /// <summary>Set by the tests' switch (BERTH_TEST_FORCE_WALK=1): paths resolve by the O_NOFOLLOW walk, the way
    /// taken on kernels without openat2.</summary>
    private static readonly bool ForceWalk = Environment.GetEnvironmentVariable("BERTH_TEST_FORCE_WALK") == "1";

    private static string Describe(Operation? op, int err)
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

    private static string ExitDescription(int pid) =>
        NativeMethods.Wait(pid, out int status, 0) < 0 ? "status unknown" : Ended(status);

    private static string Ended(int status) =>
        (status & 0x7f) == 0 ? $"exit status {(status >> 8) & 0xff}" : Linux.KilledBy(status & 0x7f);

    /// <summary>The likely cause of a setup child's death, where berth can tell: the container's seccomp filter (it
    /// was in the plan, and the child could not report or died of SIGSYS), or the memory limit (the cgroup says OOM).</summary>
    private static string Cause(ContainerPlan plan, string ended, Func<bool>? outOfMemory)
    {
        var seccomp = plan.Operations.OfType<SeccompOp>().FirstOrDefault();
        if (seccomp is not null && ended == $"exit status {NativeReport.ExitNoReport}")
            return $"; it could not report back to berth: the seccomp profile ({seccomp.Field}) denies a call the setup needs after it is loaded (write, close)";
        if (seccomp is not null && ended.StartsWith("killed by signal 31", StringComparison.Ordinal))
            return $"; the seccomp profile ({seccomp.Field}) killed it for a call the setup makes";
        if (ended.StartsWith("killed by signal 9", StringComparison.Ordinal) && outOfMemory?.Invoke() == true)
            return "; the container's cgroup ran out of memory (linux.resources.memory.limit)";
        return "";
    }

    internal static void KillAndReap(int pid)
    {
        if (pid <= 0)
            return;
        kill(pid, SIGKILL);
        NativeMethods.Wait(pid, out _, 0);
    }

    private static void WriteIdMaps(int pid, ContainerPlan plan, string command)
    {
        static string Lines(IReadOnlyList<IdMap> maps) =>
            string.Concat(maps.Select(m => $"{m.ContainerId} {m.HostId} {m.Size}\n"));
        if (plan.UidMappings.Count > 0)
            Sys.WriteKernelFile($"/proc/{pid}/uid_map", Lines(plan.UidMappings), $"{command}: write uid mappings (linux.uidMappings)");
        // Without CAP_SETGID in berth's own namespace the kernel takes a gid map only once setgroups is denied.
        if (plan.GidMappings.Count > 0 && Sys.Geteuid() != 0)
            Sys.WriteKernelFile($"/proc/{pid}/setgroups", "deny", $"{command}: deny setgroups in the rootless user namespace");
        if (plan.GidMappings.Count > 0)
            Sys.WriteKernelFile($"/proc/{pid}/gid_map", Lines(plan.GidMappings), $"{command}: write gid mappings (linux.gidMappings)");
    }
}
