using System.Text.Json;

namespace Berth.Cli;

/// <summary>
/// --log and --log-format: errors (and, with --debug, debug lines) go to stderr and, when a log file is named, also
/// there, as JSON lines {"level","msg","time"} the way containerd's shim reads runc's log.
/// </summary>
public sealed class Log
{
    private readonly string? _path;
    private readonly bool _json;

    public Log(string? path, string format, bool debug)
    {
        if (format is not ("text" or "json"))
            throw new Berth.Runtime.BerthException($"--log-format must be text or json, not \"{format}\"", 2);
        _path = path;
        _json = format == "json";
        Debug = debug;
    }

    public bool Debug { get; }

    public void Error(string message)
    {
        Console.Error.WriteLine("berth: " + message);
        Write("error", message);
    }

    public void Warning(string message)
    {
        Console.Error.WriteLine("berth: warning: " + message);
        Write("warning", message);
    }

    public void DebugLine(string message)
    {
        if (!Debug)
            return;
        Console.Error.WriteLine("berth: debug: " + message);
        Write("debug", message);
    }

    private void Write(string level, string message)
    {
        if (_path is null)
            return;
        try
        {
            string line;
            if (_json)
            {
                using var buffer = new MemoryStream();
                using (var w = new Utf8JsonWriter(buffer, Berth.Runtime.JsonText.Options()))
                {
                    w.WriteStartObject();
                    w.WriteString("level", level);
                    w.WriteString("msg", message);
                    w.WriteString("time", DateTimeOffset.Now.ToString("yyyy-MM-ddTHH:mm:ss.fffffffzzz", System.Globalization.CultureInfo.InvariantCulture));
                    w.WriteEndObject();
                }
                line = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
            }
            else
                line = $"time=\"{DateTimeOffset.Now:O}\" level={level} msg=\"{message.Replace("\"", "\\\"")}\"";
            File.AppendAllText(_path, line + "\n");
        }
        catch (IOException)
        {
        }
    }
}
