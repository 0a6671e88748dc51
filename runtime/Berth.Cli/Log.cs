using System.Text;
using System.Text.Json;
using Berth.Runtime;
using Berth.Runtime.Bundles;

namespace Berth.Cli;

/// <summary>
/// --log, --log-format and --debug, as runc has them. An error or warning goes to stderr and, when a log file is
/// named, also there (text lines, or JSON lines {"level","msg","time"} the way containerd's shim reads runc's log);
/// debug lines go to the log file when there is one, else to stderr. The log file is opened (and created) at start,
/// as runc does, whether or not anything is written to it. Writing to stderr may fail (go-runc gives the runtime a
/// read-only /dev/null): that is ignored, and the log file still gets the message.
/// </summary>
public sealed class Log : IDiagnosticSink
{
    private readonly int _fd = -1;
    private readonly bool _json;

    public Log(string? path, string format, bool debug)
    {
        if (format is not ("text" or "json"))
            throw new BerthException($"--log-format must be text or json, not \"{format}\"", 2);
        _json = format == "json";
        Debug = debug;
        if (path is null)
            return;
        _fd = Descriptors.OpenForAppend(path, out int error);
        if (_fd < 0)
            throw BerthException.Errno($"--log: open {path}", error);
    }

    public bool Debug { get; }

    public void Error(string message)
    {
        ToStderr("berth: " + message);
        ToFile("error", message);
    }

    public void Warning(string message)
    {
        ToStderr("berth: warning: " + message);
        ToFile("warning", message);
    }

    /// <summary>A line worded already (a compiler's "file:line:col: error CODE: …"): on stderr as it is.</summary>
    public void Line(string level, string text)
    {
        ToStderr(text);
        ToFile(level, text);
    }

    public void DebugLine(string message)
    {
        if (!Debug)
            return;
        if (_fd >= 0)
            ToFile("debug", message);
        else
        {
            // As runc's --debug without --log: logrus text lines on stderr, which tools and runc's suite grep for.
            Descriptors.Write(Descriptors.StandardError, TextLine("debug", message));
        }
    }

    private static string Now() => DateTimeOffset.Now.ToString("yyyy-MM-ddTHH:mm:ss.fffffffzzz", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A line as logrus' text formatter writes it: time="…" level=… msg="…".</summary>
    internal static byte[] TextLine(string level, string message) => Encoding.UTF8.GetBytes($"time=\"{Now()}\" level={level} msg={Quote(message)}\n");

    private static void ToStderr(string text) => Descriptors.Write(Descriptors.StandardError, Encoding.UTF8.GetBytes(text + "\n"));

    private void ToFile(string level, string message)
    {
        if (_fd < 0)
            return;
        byte[] line;
        if (_json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, JsonText.Options()))
            {
                w.WriteStartObject();
                w.WriteString("level", level);
                w.WriteString("msg", message);
                w.WriteString("time", Now());
                w.WriteEndObject();
            }
            buffer.WriteByte((byte)'\n');
            line = buffer.ToArray();
        }
        else
            line = TextLine(level, message);
        // One write per line (O_APPEND): lines of several berth processes sharing the file do not interleave.
        Descriptors.Write(_fd, line);
    }

    /// <summary>A double-quoted value with \, ", newlines and tabs escaped: one message stays one line.</summary>
    internal static string Quote(string message)
    {
        var sb = new StringBuilder("\"", message.Length + 2);
        foreach (char c in message)
        {
            string? escaped = c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => null,
            };
            if (escaped is null)
                sb.Append(c);
            else
                sb.Append(escaped);
        }
        return sb.Append('"').ToString();
    }
}
