using System.Net.Sockets;
using System.Runtime.InteropServices;
using Berth.Runtime.Exec;
using Tmds.Linux;
using static Tmds.Linux.LibC;
using tcflag_t = uint;

namespace Berth.Runtime.Lifecycle;

/// <summary>Where the pty master of a container with process.terminal goes.</summary>
public static unsafe class ConsoleHandoff
{
    /// <summary>The pty master the container made: sent to --console-socket when there is one (then -1 is
    /// returned), else kept for berth's own terminal (returned).</summary>
    public static int Take(int master, string? consoleSocket)
    {
        if (consoleSocket is null)
            return master;
        SendToSocket(consoleSocket, master);
        return -1;
    }

    /// <summary>--console-socket: connect to the client's unix socket and pass the master over SCM_RIGHTS.</summary>
    public static void SendToSocket(string socketPath, int master)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            int rc = NativeMethods.SendFd((int)socket.Handle, master, "/dev/ptmx");
            if (rc < 0)
                throw BerthException.Errno($"send the terminal to --console-socket {socketPath}", -rc);
        }
        catch (SocketException e)
        {
            throw new BerthException($"connect to --console-socket {socketPath}: {e.Message}");
        }
        finally
        {
            Sys.Close(master);
        }
    }
}

/// <summary>
/// `berth run` with a terminal and no console socket: the container's pty is connected to berth's own terminal,
/// which is put in raw mode for the duration; window size changes follow.
/// </summary>
public sealed unsafe class ForegroundConsole : IDisposable
{
    private readonly int _master;
    private termios _saved;
    private readonly bool _restore;
    private PosixSignalRegistration? _winch;
    private readonly Thread _output;

    public ForegroundConsole(int master)
    {
        _master = master;
        if (isatty(0) == 1)
        {
            termios raw;
            if (tcgetattr(0, &raw) == 0)
            {
                _saved = raw;
                MakeRaw(ref raw);
                // Restored at the end only if it was changed: a terminal that refused stays as it was.
                _restore = tcsetattr(0, (int)TCSANOW, &raw) == 0;
            }
            CopyWindowSize();
#pragma warning disable CA1416 // berth runs on Linux only
            _winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => CopyWindowSize());
#pragma warning restore CA1416
            // That set up .NET's own terminal signal handling, which takes SIGINT and SIGQUIT: give them back to the
            // forwarding handlers of the foreground run/exec this console belongs to (berth_exec.c).
            Exec.NativeMethods.ForwardBegin();
        }
        new Thread(() => Pump(0, _master)) { IsBackground = true, Name = "stdin → pty" }.Start();
        _output = new Thread(() => Pump(_master, 1)) { IsBackground = true, Name = "pty → stdout" };
        _output.Start();
    }

    private static void MakeRaw(ref termios t)
    {
        t.c_iflag &= ~(uint)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        t.c_oflag &= ~(uint)OPOST;
        t.c_lflag &= ~(uint)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        t.c_cflag &= ~(uint)(CSIZE | PARENB);
        t.c_cflag |= (uint)CS8;
    }

    private void CopyWindowSize()
    {
        winsize size;
        if (ioctl(0, (int)TIOCGWINSZ, &size) == 0)
            ioctl(_master, (int)TIOCSWINSZ, &size);
    }

    private static void Pump(int from, int to)
    {
        byte* buffer = stackalloc byte[4096];
        while (true)
        {
            ssize_t n = read(from, buffer, 4096);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return;
            if (Sys.WriteAll(to, new ReadOnlySpan<byte>(buffer, (int)n)) != 0)
                return;
        }
    }

    /// <summary>Copies what the container wrote last, then puts the user's terminal back as it was.</summary>
    public void Dispose()
    {
        // Once the process is gone the master reads what is left, then EIO; a process that still holds the pty
        // (one it left running in the background) is not waited for longer than this.
        _output.Join(TimeSpan.FromSeconds(1));
        _winch?.Dispose();
        if (_restore)
        {
            termios saved = _saved;
            _ = tcsetattr(0, (int)TCSANOW, &saved); // a terminal gone meanwhile needs no restoring
        }
    }
}
