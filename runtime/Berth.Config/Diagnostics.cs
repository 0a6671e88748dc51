using System.Text;

namespace Berth.Config;

public enum Severity { Error, Warning }

/// <summary>
/// One finding, printed like a compiler's: <c>host.yaml:12:7: error BERTH0203: linux.namespaces[2].type: duplicate …</c>.
/// Codes are listed in <see cref="Codes"/> and in the README ("Config files: authors and hosts").
/// </summary>
public sealed record ConfigDiagnostic(Severity Severity, string Code, SourceLocation Location, string Path, string Message)
{
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Location.IsKnown ? Location.ToString() : "berth").Append(": ");
        sb.Append(Severity == Severity.Error ? "error " : "warning ").Append(Code).Append(": ");
        if (Path.Length > 0)
            sb.Append(Path).Append(": ");
        return sb.Append(Message).ToString();
    }
}

/// <summary>The BERTH codes of the config front-end.</summary>
public static class Codes
{
    // 01xx: reading files
    public const string CannotRead = "BERTH0101";          // the file cannot be read
    public const string Syntax = "BERTH0102";              // YAML/JSON syntax error (duplicate keys included)
    public const string NotMapping = "BERTH0103";          // the document is not a mapping
    public const string MultipleDocuments = "BERTH0104";   // more than one YAML document in a file
    public const string BadScalar = "BERTH0105";           // a value JSON cannot hold (.inf, .nan, a binary)
    public const string UnknownTag = "BERTH0106";          // a tag berth does not know
    public const string BadKey = "BERTH0107";              // a mapping key that is not a scalar
    public const string LeadingZero = "BERTH0108";         // warning: 0644 is decimal in YAML 1.2 (0o644 is octal)
    // 02xx: shorthands and keyed lists inside one file
    public const string BadMount = "BERTH0201";            // mount shorthand "source:destination[:options]" malformed
    public const string BadRlimit = "BERTH0202";           // rlimit shorthand malformed or unknown name
    public const string DuplicateKey = "BERTH0203";        // a keyed list names one key twice in one file
    public const string BadEnv = "BERTH0204";              // env entry malformed
    public const string BadCapability = "BERTH0205";       // capabilities shorthand malformed
    public const string BadNamespace = "BERTH0206";        // namespace shorthand malformed
    public const string BadUser = "BERTH0207";             // user shorthand "uid:gid" malformed
    // 03xx: merging
    public const string MergeConflict = "BERTH0301";       // a value of another kind cannot be merged (mapping vs list vs scalar)
    public const string MissingMergeKey = "BERTH0302";     // a keyed-list entry without its key
    public const string MisplacedTag = "BERTH0303";        // a tag where it means nothing (e.g. !merge outside a keyed list)
    public const string NothingToDelete = "BERTH0304";     // warning: !delete matched nothing
    // 04xx: validation of the merged document
    public const string Schema = "BERTH0401";              // the generated validator's finding
    public const string UnknownMember = "BERTH0402";       // warning: a key the schema does not know (with a suggestion)
    public const string Rule = "BERTH0403";                // a rule the runtime spec states in prose
    // 05xx: output
    public const string CannotWrite = "BERTH0501";         // the output cannot be written

    // 06xx: the content store (issue 13)
    public const string Image = "BERTH0601";               // root.image cannot be read, or its config cannot fill in the process
    // 07xx: the host's trust policy
    public const string TrustInAuthor = "BERTH0701";       // an author's file declares a trust policy (only host files may)
    public const string BadTrustPolicy = "BERTH0702";      // a trust policy that is malformed
}
