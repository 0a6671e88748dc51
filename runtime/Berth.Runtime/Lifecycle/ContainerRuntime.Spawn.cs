using Berth.Runtime.Cgroups;
using Berth.Runtime.Exec;
using Berth.Runtime.State;

namespace Berth.Runtime.Lifecycle;

/// <summary>What create and exec each do while a process is set up: the cgroups berth joins it to, the hooks it runs at
/// a sync point, the status the seccomp agent is told.</summary>
internal sealed record SpawnDuties(ContainerRecord Record, string Status)
{
    /// <summary>The cgroup2 directory the child should have been born in, for a kernel that could not.</summary>
    public string? BornIn { get; init; }
    /// <summary>The cgroups berth writes the child's pid into while it waits.</summary>
    public IReadOnlyList<string> Join { get; init; } = [];
    /// <summary>The config whose prestart and createRuntime hooks run at the sync point (create); null for exec.</summary>
    public Berth.Spec.Spec? Hooks { get; init; }
    /// <summary>Exec: the container's init must still be the recorded one once its namespace files are open.</summary>
    public bool InitMustLive { get; init; }
    public string? ConsoleSocket { get; init; }
}

public sealed partial class ContainerRuntime
{
    /// <summary>Sets a process up: the spawn session's messages, handled in one loop. Returns the process and the pty
    /// master when it was not handed to a console socket (else -1), which the caller then owns.</summary>
    private static (SpawnedProcess Process, int Console) Spawn(SpawnRequest request, SpawnDuties duties)
    {
        using var session = Spawner.Start(request);
        int console = -1;
        try
        {
            while (true)
            {
                switch (session.Next())
                {
                    case BornOutsideCgroup born:
                        CgroupManager.Join(duties.BornIn is { } v2 ? [v2] : [], born.Pid);
                        session.Continue();
                        break;
                    case ChildWaiting child:
                        // Exec: the namespace files were opened; make sure they were the init's, not a later process's.
                        if (duties.InitMustLive && !StateStore.IsAlive(duties.Record))
                            throw new BerthException($"container \"{duties.Record.Id}\" stopped");
                        CgroupManager.Join(duties.Join, child.Pid);
                        session.Continue();
                        break;
                    case SyncPoint sync:
                        session.Continue(duties.Hooks is { } spec ? RuntimeHooks(spec, duties.Record, sync.ContainerPid) : null);
                        break;
                    case ConsoleReceived received:
                        console = ConsoleHandoff.Take(received.Fd, duties.ConsoleSocket);
                        break;
                    case SeccompListenerReceived listener:
                        SeccompAgent.Send(listener.Op, duties.Record, duties.Status, listener.ContainerPid, listener.Fd);
                        session.Continue();
                        break;
                    case SetupFailed failed:
                        throw new BerthException(failed.Reason);
                    case Ready ready:
                        return (ready.Process, console);
                }
            }
        }
        catch
        {
            if (console >= 0)
                Sys.Close(console);
            throw;
        }
    }

    /// <summary>prestart and createRuntime hooks: in berth's namespaces, after the container's namespaces exist.</summary>
    private static byte[] RuntimeHooks(Berth.Spec.Spec spec, ContainerRecord record, int pid)
    {
        byte[] state = HookRunner.StateJson(record, "creating", pid);
        string? error = HookRunner.Run(spec.Hooks?.Prestart, "prestart", state)
            ?? HookRunner.Run(spec.Hooks?.CreateRuntime, "createRuntime", state);
        if (error is not null)
            throw new BerthException(error);
        return state;
    }
}
