using Berth.Config;
using Berth.Spec;

namespace Berth.Runtime.Bundles;

/// <summary>One finding of `validate`: the schema's and the prose rules' (a JSON pointer) or the front-end's (a
/// dotted path with the file, line and column it came from, and a BERTH code).</summary>
public sealed record ValidationFinding(bool IsError, string Message)
{
    /// <summary>The JSON pointer of a finding on a JSON config ("" for the root).</summary>
    public string? Pointer { get; init; }
    public string? Keyword { get; init; }
    public string? SchemaLocation { get; init; }

    /// <summary>The dotted path, BERTH code and file:line:column of a front-end finding.</summary>
    public string? Path { get; init; }
    public string? Code { get; init; }
    public string? Location { get; init; }

    /// <summary>The line `validate` prints for it.</summary>
    public required string Text { get; init; }
}

public sealed record ValidationReport(string File, IReadOnlyList<ValidationFinding> Findings)
{
    public int Errors => Findings.Count(f => f.IsError);
}

/// <summary>
/// `validate`: a config file against the schema and the rules the spec states in prose. A JSON file is checked as it
/// is (findings at JSON pointers); a YAML file, or any file with host files to merge, goes through the front-end as
/// create would take it, so every finding names its file, line and column.
/// </summary>
public static class ConfigValidation
{
    public static ValidationReport Validate(string file, IReadOnlyList<string> hostFiles)
    {
        byte[] content = SmallFiles.ReadRegular(file, out int error) ?? throw (error == Tmds.Linux.LibC.ENOENT
            ? new BerthException($"{file} does not exist")
            : BerthException.Errno($"read {file}", error));
        bool yaml = file.EndsWith(".yaml", StringComparison.Ordinal) || file.EndsWith(".yml", StringComparison.Ordinal);
        return yaml || hostFiles.Count > 0 ? ThroughFrontEnd(file, hostFiles) : AsJson(file, content);
    }

    private static ValidationReport AsJson(string file, byte[] content)
    {
        var diagnostics = new List<SchemaDiagnostic>();
        SpecRules.Validate(content, diagnostics);
        return new(file, diagnostics.Select(d =>
        {
            bool isError = d.Severity == SchemaSeverity.Error;
            string where = d.InstancePointer.Length == 0 ? "(root)" : d.InstancePointer;
            return new ValidationFinding(isError, d.Message)
            {
                Pointer = d.InstancePointer,
                Keyword = d.Keyword,
                SchemaLocation = d.SchemaLocation,
                Text = $"{file}: {(isError ? "error" : "warning")}: {where}: {d.Message}",
            };
        }).ToList());
    }

    private static ValidationReport ThroughFrontEnd(string file, IReadOnlyList<string> hostFiles)
    {
        var result = ConfigCompiler.Compile(file, hostFiles, BundleConfig.ReadConfigFile);
        return new(file, result.Diagnostics.Select(d => new ValidationFinding(d.Severity == Severity.Error, d.Message)
        {
            Path = d.Path,
            Code = d.Code,
            Location = d.Location.IsKnown ? d.Location.ToString() : null,
            Text = d.ToString(),
        }).ToList());
    }
}
