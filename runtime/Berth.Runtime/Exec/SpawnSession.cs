using Berth.Runtime.Cgroups;
using Berth.Runtime.Plan;

namespace Berth.Runtime.Exec;

/// <summary>
/// The exchange with a setting-up child, as one loop: <see cref="Next"/> returns what the child reports (or needs),
/// <see cref="Continue"/> answers the messages that wait for berth. It ends with <see cref="Ready"/> or
/// <see cref="SetupFailed"/>. Disposed before it ended (berth failed meanwhile), it kills the child.
/// </summary>
public sealed unsafe class SpawnSession : IDisposable
{
    private readonly SpawnRequest _request;
    private readonly int _channel;
    /// <summary>berth's own child: the container's process, or the intermediate one that forks it into a joined pid
    /// namespace.</summary>
    private readonly int _child;
    private int _containerPid;
    private int _intermediate;
    private bool _childReaped; // waited for: its pid may belong to someone else now
    private bool _bornOutside;
    private bool _waitingForParent = true;
    private bool _ready;
    private bool _ended;
    private SpawnEvent? _unanswered;
    private bool _disposed;

    internal SpawnSession(SpawnRequest request, int channel, int pid, bool bornOutside)
    {
        _request = request;
        _channel = channel;
        _child = _containerPid = pid;
        _bornOutside = bornOutside;
    }

    private ContainerPlan Plan => _request.Plan;

    /// <summary>The next message; the one before must have been answered if it waits for an answer.</summary>
    public SpawnEvent Next()
    {
        if (_unanswered is not null)
            throw new InvalidOperationException($"{_unanswered.GetType().Name} was not answered");
        if (_ended)
            throw new InvalidOperationException("the spawn session has ended");
        if (_bornOutside)
        {
            _bornOutside = false;
            return _unanswered = new BornOutsideCgroup(_child);
        }
        if (_waitingForParent)
        {
            _waitingForParent = false;
            // Let the child set up while the kernel takes its time moving it into the cgroups; it waits for the
            // second go (WaitParent) before anything that needs them.
            if (Plan.JoinsCgroupsConcurrently && NativeMethods.SendGo(_channel) is int rc and < 0)
                throw BerthException.Errno("start the container process", -rc);
            return _unanswered = new ChildWaiting(_child);
        }
        return ReadReport();
    }

    /// <summary>Answers the last message: <paramref name="syncState"/> is the state JSON for a <see cref="SyncPoint"/>.</summary>
    public void Continue(byte[]? syncState = null)
    {
        var answered = _unanswered ?? throw new InvalidOperationException("no message waits for an answer");
        _unanswered = null;
        int rc;
        switch (answered)
        {
            case BornOutsideCgroup:
                return;
            case ChildWaiting:
                rc = NativeMethods.SendGo(_channel);
                // With a concurrent join a child that already failed is gone: its report, read next, says why.
                if (rc < 0 && !Plan.JoinsCgroupsConcurrently)
                    throw BerthException.Errno("start the container process", -rc);
                return;
            case SyncPoint:
                byte[] blob = syncState ?? [];
                fixed (byte* data = blob)
                    rc = NativeMethods.SendBlob(_channel, data, blob.Length);
                if (rc < 0)
                    throw BerthException.Errno("resume the container process after hooks", -rc);
                return;
            case SeccompListenerReceived listener:
                Sys.Close(listener.Fd);
                rc = NativeMethods.SendGo(_channel);
                if (rc < 0)
                    throw BerthException.Errno("resume the container process after handing over the seccomp listener", -rc);
                return;
        }
    }

    private SpawnEvent ReadReport()
    {
        string? ended = null;
        while (true)
        {
            int rc = NativeMethods.ReadReport(_channel, out var report, out int receivedFd);
            if (rc < 0 && _ready)
            {
                // After Ready, end-of-file means setup is over: the child closed the channel before waiting for
                // start (create), or its end closed on exec. A create's child must still be there, waiting.
                if (_request.WaitForExec || _child != _containerPid || NativeMethods.Wait(_child, out int status, NativeMethods.WNOHANG) != _child)
                    return End(new Ready(new SpawnedProcess(_containerPid, _intermediate)));
                _childReaped = true;
                ended = new WaitStatus(status).ToString();
            }
            if (rc < 0)
            {
                ended ??= ExitDescription(_child);
                _childReaped = true;
                if (_containerPid != _child)
                    Spawner.KillAndReap(_containerPid);
                return End(new SetupFailed($"the container process exited during setup ({ended}{Cause(ended)})"));
            }
            switch (report.Kind)
            {
                case NativeReport.ChildPid:
                    // The grandchild is the container: the cgroup and maps follow it through fork.
                    _intermediate = _child;
                    _containerPid = report.Pid;
                    NativeMethods.Wait(_intermediate, out _, 0);
                    _childReaped = true;
                    continue;
                case NativeReport.Fd when report.Index >= 0 && report.Index < Plan.Operations.Count && Plan.Operations[report.Index] is SeccompOp seccomp:
                    return _unanswered = new SeccompListenerReceived(seccomp, _containerPid, receivedFd);
                case NativeReport.Fd:
                    return new ConsoleReceived(receivedFd);
                case NativeReport.Sync:
                    return _unanswered = new SyncPoint(report.Index, _containerPid);
                case NativeReport.Ready:
                    _ready = true;
                    continue;
                case NativeReport.Failed:
                    Spawner.KillAndReap(_containerPid);
                    _childReaped = true;
                    if (report.Index < 0 || report.Index >= Plan.Operations.Count)
                        return End(new SetupFailed($"open the host's /proc for the container process: {SetupErrors.Describe(null, report.Errno)}"));
                    var op = Plan.Operations[report.Index];
                    return End(new SetupFailed($"{(op is RunHookOp hook ? Lifecycle.HookRunner.Failed(hook.Index) : "")}{op.What} ({op.Field}): {SetupErrors.Describe(op, report.Errno)}"));
            }
        }
    }

    private SpawnEvent End(SpawnEvent last)
    {
        _ended = true;
        return last;
    }

    private static string ExitDescription(int pid) =>
        NativeMethods.Wait(pid, out int status, 0) < 0 ? "status unknown" : new WaitStatus(status).ToString();

    /// <summary>The likely cause of a setup child's death, where berth can tell: the container's seccomp filter (it
    /// was in the plan, and the child could not report or died of SIGSYS), or the memory limit (the cgroup says OOM).</summary>
    private string Cause(string ended)
    {
        var seccomp = Plan.Operations.OfType<SeccompOp>().FirstOrDefault();
        if (seccomp is not null && ended == $"exit status {NativeReport.ExitNoReport}")
            return $"; it could not report back to berth: the seccomp profile ({seccomp.Field}) denies a call the setup needs after it is loaded (write, close)";
        if (seccomp is not null && ended.StartsWith("killed by signal 31", StringComparison.Ordinal))
            return $"; the seccomp profile ({seccomp.Field}) killed it for a call the setup makes";
        if (ended.StartsWith("killed by signal 9", StringComparison.Ordinal) && _request.MemoryCgroup is var (layout, path) && CgroupStats.OomKills(layout, path) > 0)
            return "; the container's cgroup ran out of memory (linux.resources.memory.limit)";
        return "";
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_unanswered is SeccompListenerReceived listener)
            Sys.Close(listener.Fd);
        _unanswered = null;
        if (!_ended)
        {
            // berth failed during setup: the half-made process goes, and with a joined pid namespace its grandchild too.
            _ended = true;
            if (_containerPid != _child)
                Spawner.KillAndReap(_containerPid);
            if (!_childReaped)
                Spawner.KillAndReap(_child);
        }
        Sys.Close(_channel);
    }
}
