using Berth.Runtime.Plan;

namespace Berth.Runtime.Exec;

/// <summary>
/// What the setup of a container process reports to berth, one message at a time (<see cref="SpawnSession.Next"/>).
/// A closed set: the lifecycle code handles each in one switch. Messages marked "answer" wait for
/// <see cref="SpawnSession.Continue"/>; the child waits meanwhile.
/// </summary>
public abstract record SpawnEvent
{
    private protected SpawnEvent() { }
}

/// <summary>The child was cloned outside the container's cgroup2 directory (no clone3 or CLONE_INTO_CGROUP) and
/// must be moved there. Answer when it is.</summary>
public sealed record BornOutsideCgroup(int Pid) : SpawnEvent;

/// <summary>The child was cloned and its id maps written; it waits while berth joins it to the cgroups berth must
/// write for it. Answer when that is done.</summary>
public sealed record ChildWaiting(int Pid) : SpawnEvent;

/// <summary>A Sync operation (operation <paramref name="Index"/>): berth runs what must happen in its own namespaces
/// (createRuntime hooks). Answer with the state JSON for the hooks the child runs.</summary>
public sealed record SyncPoint(int Index, int ContainerPid) : SpawnEvent;

/// <summary>The pty master made in the container; the receiver owns the descriptor. No answer.</summary>
public sealed record ConsoleReceived(int Fd) : SpawnEvent;

/// <summary>The listener of the seccomp filter of <paramref name="Op"/>, for the seccomp agent. The session closes the
/// descriptor once answered; answer when the agent has it.</summary>
public sealed record SeccompListenerReceived(SeccompOp Op, int ContainerPid, int Fd) : SpawnEvent;

/// <summary>Setup failed; the child is dead and reaped. <paramref name="Reason"/> says which operation failed and why,
/// or how the process ended and the likely cause. The last message.</summary>
public sealed record SetupFailed(string Reason) : SpawnEvent;

/// <summary>Setup is over: the process waits for start (create) or has executed its program. The last message.</summary>
public sealed record Ready(SpawnedProcess Process) : SpawnEvent;
