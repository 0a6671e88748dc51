using Berth.Runtime.Exec;
using Berth.Runtime.State;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// Signals the container's process through a pidfd, opened and then checked against the recorded start time, so a
/// signal never reaches an unrelated process that happens to have been given the same pid later.
/// </summary>
public static class ProcessHandle
{
    public static bool Signal(ContainerRecord record, int signal)
    {
        long pidfd = NativeMethods.Syscall2(NativeMethods.SYS_pidfd_open, record.Pid, 0);
        if (pidfd < 0)
            return false;
        try
        {
            if (!StateStore.IsAlive(record))
                return false;
            long rc = NativeMethods.Syscall4(NativeMethods.SYS_pidfd_send_signal, pidfd, signal, 0, 0);
            if (rc < 0)
                throw BerthException.Errno($"send signal {signal} to process {record.Pid} of container \"{record.Id}\"", errno);
            return true;
        }
        finally
        {
            Sys.Close((int)pidfd);
        }
    }

    /// <summary>
    /// Waits until the recorded process has exited, up to the timeout: on its pidfd, which becomes readable the moment
    /// the process exits (a poll every few milliseconds would add up to its period to every delete). Where the kernel
    /// has no pidfd (before 5.3), it polls as before.
    /// </summary>
    public static bool WaitGone(ContainerRecord record, TimeSpan timeout)
    {
        long pidfd = NativeMethods.Syscall2(NativeMethods.SYS_pidfd_open, record.Pid, 0);
        if (pidfd < 0)
            return PollGone(record, timeout);
        try
        {
            // Opened before the check: when the recorded process is the one alive now, the descriptor is that process.
            return !StateStore.IsAlive(record) || Sys.WaitReadable((int)pidfd, timeout);
        }
        finally
        {
            Sys.Close((int)pidfd);
        }
    }

    private static bool PollGone(ContainerRecord record, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (StateStore.IsAlive(record))
        {
            if (DateTime.UtcNow > deadline)
                return false;
            Thread.Sleep(2);
        }
        return true;
    }
}
