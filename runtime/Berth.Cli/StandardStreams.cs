using System.Text;
using Berth.Runtime;
using Microsoft.Win32.SafeHandles;

namespace Berth.Cli;

/// <summary>
/// stdout and stdin as plain descriptors. .NET's Console must not be touched: its first use sets the terminal up for
/// interactive input and writes the keypad-mode sequence (ESC [ ? 1 h ESC =) to whichever of stdout and stdin is a
/// terminal, so `berth list &gt; file` typed at a shell would put control bytes on that terminal, which runc never does.
/// A write that fails (stdout closed, EPIPE) is dropped, as runc's output would be.
/// </summary>
internal static class StandardStreams
{
    private const int StandardOutput = 1;
    private const int StandardInput = 0;

    public static void Write(string text) => Descriptors.Write(StandardOutput, Encoding.UTF8.GetBytes(text));

    public static void WriteLine(string text) => Write(text + "\n");

    public static void Write(ReadOnlySpan<byte> bytes) => Descriptors.Write(StandardOutput, bytes);

    /// <summary>A document (JSON) and the newline after it.</summary>
    public static void WriteDocument(ReadOnlySpan<byte> bytes)
    {
        Write(bytes);
        Write("\n"u8);
    }

    /// <summary>stdout as a stream that writes through at once (events prints a line at a time).</summary>
    public static Stream OpenOutput() => new FileStream(new SafeFileHandle(StandardOutput, ownsHandle: false), FileAccess.Write, bufferSize: 0);

    /// <summary>All of stdin, as text.</summary>
    public static string ReadInputToEnd()
    {
        using var input = new FileStream(new SafeFileHandle(StandardInput, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
