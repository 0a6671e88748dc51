using System.Globalization;
using System.Text;
using System.Text.Json;
using Berth.Cli.Parsing;
using Berth.Runtime;
using Berth.Runtime.Lifecycle;
using Berth.Runtime.State;

namespace Berth.Cli.Commands;

/// <summary>`berth list` (`ls`) as runc prints it: a table (ID PID STATUS BUNDLE CREATED OWNER), JSON with runc's
/// members, or the ids. This file owns that JSON.</summary>
public static class ListCommand
{
    public static readonly CommandDefinition Definition = new("list", "", "list the containers of the state root",
    [
        Flag.Value("format", "table or json (default: table)", "f"),
        Flag.Switch("quiet", "print only the ids", "q"),
    ], Run)
    { Aliases = ["ls"] };

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        if (a.Positionals.Count != 0)
            throw new BerthException($"takes no arguments (the containers are those of --root), got {a.Positionals.Count}", 2);
        string format = a.Choice("format", "table", "json");
        bool quiet = a.Flag("quiet");
        var items = call.Runtime.List();
        if (quiet)
            StandardStreams.Write(string.Concat(items.Select(item => item.Record.Id + "\n")));
        else if (format == "json")
            StandardStreams.WriteDocument(Json(items));
        else
            StandardStreams.Write(Table(items));
        return 0;
    }

    private static byte[] Json(IReadOnlyList<ListedContainer> items)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonText.Options()))
        {
            w.WriteStartArray();
            foreach (var (record, status, owner) in items)
            {
                w.WriteStartObject();
                w.WriteString("ociVersion", record.OciVersion);
                w.WriteString("id", record.Id);
                w.WriteNumber("pid", ListedPid(record, status));
                w.WriteString("status", ContainerRuntime.Describe(status));
                w.WriteString("bundle", record.Bundle);
                w.WriteString("rootfs", record.Rootfs);
                w.WriteString("created", Rfc3339Nano(record.Created));
                if (record.Annotations.Count > 0)
                {
                    w.WriteStartObject("annotations");
                    foreach (var (key, value) in record.Annotations)
                        w.WriteString(key, value);
                    w.WriteEndObject();
                }
                w.WriteString("owner", owner);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return buffer.ToArray();
    }

    private static readonly string[] Header = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"];

    private static string Table(IReadOnlyList<ListedContainer> items)
    {
        var rows = new List<string[]> { Header };
        foreach (var (record, status, owner) in items)
            rows.Add([record.Id, ListedPid(record, status).ToString(CultureInfo.InvariantCulture), ContainerRuntime.Describe(status), record.Bundle, Rfc3339Nano(record.Created), owner]);
        return TextTable.Render(rows);
    }

    /// <summary>The pid list shows: 0 once the container's process is gone.</summary>
    private static int ListedPid(ContainerRecord record, ContainerStatus status) => status == ContainerStatus.Stopped ? 0 : record.Pid;

    /// <summary>A time as Go's RFC3339Nano writes it (UTC, "Z", no trailing zeros in the fraction), as runc lists it.</summary>
    public static string Rfc3339Nano(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
