using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Berth.Runtime.Tests;

/// <summary>process.terminal: the pty master handed over a console socket, as podman's conmon receives it.</summary>
public class TerminalTests
{
    [Fact]
    public async Task The_console_socket_receives_a_pty_that_talks_to_a_shell()
    {
        string socketPath = Path.Combine(Harness.WorkDir, Harness.NewId("console") + ".sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        var accepted = listener.AcceptAsync();

        var config = Harness.BaseConfig("sh");
        config["process"]!["terminal"] = true;
        config["process"]!["consoleSize"] = new JsonObject { ["height"] = 33, ["width"] = 121 };
        string id = Harness.NewId("tty");
        var create = Harness.Run("create", "--bundle", Harness.Bundle(config), "--console-socket", socketPath, id);
        Assert.True(create.ExitCode == 0, create.ToString());
        try
        {
            using var connection = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
            int master = Harness.ReceiveFd(connection);
            using var pty = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(master, ownsHandle: true), FileAccess.ReadWrite, 1, isAsync: false);
            Assert.Equal(0, Harness.Run("start", id).ExitCode);

            byte[] command = "echo marker-$((6*7)); tty; stty size; exit\n"u8.ToArray();
            pty.Write(command);
            pty.Flush();
            var output = new System.Text.StringBuilder();
            var buffer = new byte[4096];
            var reader = Task.Run(() =>
            {
                int n;
                try
                {
                    while ((n = pty.Read(buffer)) > 0)
                        output.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
                }
                catch (IOException)
                {
                    // EIO once the shell exits and the last peer closes.
                }
            });
            await Task.WhenAny(reader, Task.Delay(10_000));
            string text = output.ToString();
            Assert.Contains("marker-42", text);
            Assert.Matches(@"/dev/pts/\d+", text);
            Assert.Contains("33 121", text);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void Create_with_a_terminal_and_no_console_socket_is_an_error()
    {
        var config = Harness.BaseConfig("sh");
        config["process"]!["terminal"] = true;
        Harness.AssertFailsLeavingNothing("create", Harness.Bundle(config), "notty", "--console-socket");
    }

    [Fact]
    public void Run_in_the_foreground_connects_the_terminal_to_berths_own()
    {
        // berth's stdin is not a terminal here, so raw mode is skipped, but the pty is still proxied.
        var config = Harness.BaseConfig("sh", "-c", "tty; echo through-the-pty");
        config["process"]!["terminal"] = true;
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("through-the-pty", r.Stdout);
        Assert.Matches(@"/dev/pts/\d+", r.Stdout);
    }
}
