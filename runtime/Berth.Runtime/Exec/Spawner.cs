using Berth.Runtime.Cgroups;
using Berth.Runtime.Plan;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Exec;

/// <summary>The container's process after setup: alive and blocked on the exec fifo (create), or already running its
/// program (run, exec). <paramref name="IntermediatePid"/> is the child that forked it into a joined pid namespace (0
/// when there was none).</summary>
public sealed record SpawnedProcess(int Pid, int IntermediatePid);

/// <summary>How to start one process from a plan.</summary>
public sealed record SpawnRequest(ContainerPlan Plan)
{
    /// <summary>An open cgroup2 directory to clone the child into (CLONE_INTO_CGROUP), or -1.</summary>
    public int CgroupFd { get; init; } = -1;
    /// <summary>Setup ends when the program runs (run, exec), not when the process waits for start (create).</summary>
    public bool WaitForExec { get; init; }
    /// <summary>The container's cgroups, read to name an out-of-memory kill as the cause of a death during setup.</summary>
    public (CgroupLayout Layout, string CgroupsPath)? MemoryCgroup { get; init; }
}

/// <summary>
/// Starts a process from a plan: lays the operations out in native memory and lets the C helper clone. What follows
/// is a <see cref="SpawnSession"/>: berth writes id maps and joins cgroups while the child waits, then reads the
/// child's reports as typed <see cref="SpawnEvent"/>s.
/// </summary>
public static unsafe class Spawner
{
    public static SpawnSession Start(SpawnRequest request)
    {
        var plan = request.Plan;
        var joinFds = new List<int>();
        var (parentFd, childFd) = Sys.SocketPair();
        int pid;
        bool bornOutside = false;
        try
        {
            using var arena = new OpArena();
            var ops = (NativeOp*)arena.Allocate(sizeof(NativeOp) * plan.Operations.Count);
            for (int i = 0; i < plan.Operations.Count; i++)
                ops[i] = Lowering.Lower(plan.Operations[i], arena, joinFds);

            var spawn = new NativeSpawn
            {
                CloneFlags = plan.CloneFlags,
                OpCount = plan.Operations.Count,
                Ops = ops,
                CgroupFd = request.CgroupFd,
                PreserveFds = plan.PreserveFds,
                // Rootless: berth writes the id maps of a child in a new user namespace, which it may only while the
                // child is dumpable; the child stops being dumpable as soon as they are written.
                DumpableUntilGo = plan.CreatesUserNamespace && Sys.Geteuid() != 0 ? 1 : 0,
                ForceWalk = ForceWalk ? 1 : 0,
                // Until it reports ready, the child dies with berth (create's first process and exec's alike): a
                // berth killed during setup leaves no setup process behind, outside the container's cgroups.
                ParentDeathSignal = SIGKILL,
            };
            int rc = NativeMethods.Spawn(&spawn, childFd, out pid);
            if (rc < 0 && request.CgroupFd >= 0)
            {
                // A kernel without clone3 or CLONE_INTO_CGROUP: clone plainly and let berth move the child.
                spawn.CgroupFd = -1;
                rc = NativeMethods.Spawn(&spawn, childFd, out pid);
                if (rc == 0)
                    bornOutside = true;
            }
            if (rc == -NativeReport.Stage)
                throw new BerthException("make the sealed stage program (memfd_create or its seals were refused)");
            if (rc < 0)
                throw BerthException.Errno("clone the container process", -rc);
        }
        catch
        {
            Sys.Close(parentFd);
            throw;
        }
        finally
        {
            Sys.Close(childFd);
            foreach (int fd in joinFds)
                Sys.Close(fd);
        }

        var session = new SpawnSession(request, parentFd, pid, bornOutside);
        try
        {
            if (plan.CreatesUserNamespace)
                WriteIdMaps(pid, plan);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        return session;
    }

    /// <summary>Set by the tests' switch (BERTH_TEST_FORCE_WALK=1): paths resolve by the O_NOFOLLOW walk, the way
    /// taken on kernels without openat2.</summary>
    private static readonly bool ForceWalk = Environment.GetEnvironmentVariable("BERTH_TEST_FORCE_WALK") == "1";

    internal static void KillAndReap(int pid)
    {
        if (pid <= 0)
            return;
        _ = kill(pid, SIGKILL); // ESRCH: it ended already; the wait reaps it either way
        NativeMethods.Wait(pid, out _, 0);
    }

    private static void WriteIdMaps(int pid, ContainerPlan plan)
    {
        static string Lines(IReadOnlyList<IdMap> maps) =>
            string.Concat(maps.Select(m => $"{m.ContainerId} {m.HostId} {m.Size}\n"));
        if (plan.UidMappings.Count > 0)
            Sys.WriteKernelFile($"/proc/{pid}/uid_map", Lines(plan.UidMappings), "write uid mappings (linux.uidMappings)");
        // Without CAP_SETGID in berth's own namespace the kernel takes a gid map only once setgroups is denied.
        if (plan.GidMappings.Count > 0 && Sys.Geteuid() != 0)
            Sys.WriteKernelFile($"/proc/{pid}/setgroups", "deny", "deny setgroups in the rootless user namespace");
        if (plan.GidMappings.Count > 0)
            Sys.WriteKernelFile($"/proc/{pid}/gid_map", Lines(plan.GidMappings), "write gid mappings (linux.gidMappings)");
    }
}
