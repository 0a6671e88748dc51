using System.Text.Json;
using Berth.Runtime;
using Berth.Spec;

namespace Berth.Cli;

/// <summary>`berth validate [--format json] FILE`: every error and warning of the schema and of the prose rules; exit 1 when there are errors.</summary>
public static class ValidateCommand
{
    public static int Run(Arguments a, Log log)
    {
        string file = a.Single("validate", "file");
        string format = a.Value("format") ?? "text";
        if (format is not ("text" or "json"))
            throw new BerthException($"validate: --format must be text or json, not \"{format}\"", 2);
        byte[] content = SmallFiles.ReadRegular(file, out int error) ?? throw (error == Tmds.Linux.LibC.ENOENT
            ? new BerthException($"validate: {file} does not exist")
            : BerthException.Errno($"validate: read {file}", error));
        if (format == "text" && (file.EndsWith(".yaml", StringComparison.Ordinal) || file.EndsWith(".yml", StringComparison.Ordinal)))
            return ValidateYaml(file);
        var diagnostics = new List<SchemaDiagnostic>();
        // The schema, then the rules the spec states in prose (Berth.Spec/Rules).
        SpecRules.Validate(content, diagnostics);
        int errors = diagnostics.Count(d => d.Severity == SchemaSeverity.Error);
        if (format == "json")
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("file", file);
                w.WriteBoolean("valid", errors == 0);
                w.WriteStartArray("diagnostics");
                foreach (var d in diagnostics)
                {
                    w.WriteStartObject();
                    w.WriteString("severity", d.Severity == SchemaSeverity.Error ? "error" : "warning");
                    w.WriteString("pointer", d.InstancePointer);
                    w.WriteString("keyword", d.Keyword);
                    w.WriteString("message", d.Message);
                    w.WriteString("schemaLocation", d.SchemaLocation);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            Commands.WriteOut(buffer.ToArray());
        }
        else
        {
            foreach (var d in diagnostics)
            {
                string where = d.InstancePointer.Length == 0 ? "(root)" : d.InstancePointer;
                string severity = d.Severity == SchemaSeverity.Error ? "error" : "warning";
                StandardStreams.WriteLine($"{file}: {severity}: {where}: {d.Message}");
            }
            StandardStreams.WriteLine(errors == 0 ? $"{file}: valid" : $"{file}: {errors} error(s)");
        }
        return errors == 0 ? 0 : 1;
    }

    /// <summary>A YAML config goes through the front-end, so every finding carries its file, line and column.</summary>
    private static int ValidateYaml(string file)
    {
        var result = Berth.Config.ConfigCompiler.Compile(file, [], ConfigCommands.ReadConfigFile);
        foreach (var d in result.Diagnostics)
            StandardStreams.WriteLine(d.ToString());
        StandardStreams.WriteLine(result.Success ? $"{file}: valid" : $"{file}: {result.ErrorCount} error(s)");
        return result.Success ? 0 : 1;
    }
}
