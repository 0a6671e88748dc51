using System.Text.Json;
using Berth.Cli.Parsing;
using Berth.Runtime;
using Berth.Runtime.Bundles;

namespace Berth.Cli.Commands;

/// <summary>
/// `berth validate [--format text|json] [--host FILE…] FILE`: every error and warning of the schema and the prose rules
/// (<see cref="ConfigValidation"/>); exit 1 when there are errors. This file owns the JSON report.
/// </summary>
public static class ValidateCommand
{
    public static readonly CommandDefinition Definition = new("validate", "FILE",
        "berth's own: check a config.json or config.yaml against the schema and the spec's rules",
    [
        Flag.Value("format", "text or json (default: text)"),
        Flag.Value("host", "a host file merged into the config first, as create merges it ($BERTH_HOST_DIR is not read)").Many(),
    ], Run)
    { FromRunc = false };

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        string file = a.Single("file");
        string format = a.Choice("format", "text", "json");
        var report = ConfigValidation.Validate(file, a.Values("host"));
        if (format == "json")
            StandardStreams.WriteDocument(Json(report));
        else
        {
            foreach (var finding in report.Findings)
                StandardStreams.WriteLine(finding.Text);
            StandardStreams.WriteLine(report.Errors == 0 ? $"{file}: valid" : $"{file}: {report.Errors} error(s)");
        }
        return report.Errors == 0 ? 0 : 1;
    }

    private static byte[] Json(ValidationReport report)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("file", report.File);
            w.WriteBoolean("valid", report.Errors == 0);
            w.WriteStartArray("diagnostics");
            foreach (var f in report.Findings)
            {
                w.WriteStartObject();
                w.WriteString("severity", f.IsError ? "error" : "warning");
                WriteIfSet(w, "pointer", f.Pointer);
                WriteIfSet(w, "keyword", f.Keyword);
                WriteIfSet(w, "code", f.Code);
                WriteIfSet(w, "path", f.Path);
                WriteIfSet(w, "location", f.Location);
                w.WriteString("message", f.Message);
                WriteIfSet(w, "schemaLocation", f.SchemaLocation);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
            w.WriteString(name, value);
    }
}
