using System.Globalization;

namespace Berth.Spec;

/// <summary>
/// <c>ociVersion</c>: SemVer 2.0.0, and a version berth can run. The spec keeps compatibility within a major version
/// going forward only: a 1.1 config runs on a 1.1-or-later runtime, not on a 1.0 one. berth implements 1.3, so it
/// accepts 1.0.0 through 1.3.x (pre-releases such as podman's 1.0.2-dev included) and refuses 1.4 and 2.x.
/// </summary>
internal static class VersionRules
{
    public const int SupportedMinor = 3;

    public static void Check(string? version, string pointer, RuleSink sink)
    {
        if (version is null) return;
        if (!TryParse(version, out int major, out int minor))
        {
            sink.Error(pointer, "x-oci-version", $"ociVersion {SchemaJson.Quote(version)} is not a SemVer 2.0.0 version (MAJOR.MINOR.PATCH)", Sections.Version);
            return;
        }
        if (major != 1 || minor > SupportedMinor)
            sink.Error(pointer, "x-oci-version", $"ociVersion {SchemaJson.Quote(version)} is newer than the runtime-spec berth implements: 1.0.0 through 1.{SupportedMinor}.x are accepted", Sections.Version);
    }

    /// <summary>MAJOR.MINOR.PATCH with no leading zeros, then an optional -pre-release and +build.</summary>
    internal static bool TryParse(string version, out int major, out int minor)
    {
        major = minor = 0;
        int end = version.Length;
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            if (!IsIdentifiers(version.AsSpan(plus + 1))) return false;
            end = plus;
        }
        int dash = version.AsSpan(0, end).IndexOf('-');
        if (dash >= 0)
        {
            if (!IsIdentifiers(version.AsSpan(dash + 1, end - dash - 1))) return false;
            end = dash;
        }
        string[] parts = version.Substring(0, end).Split('.');
        if (parts.Length != 3) return false;
        foreach (string p in parts)
        {
            if (p.Length == 0 || (p.Length > 1 && p[0] == '0')) return false;
            foreach (char c in p) if (c is < '0' or > '9') return false;
        }
        return int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out major)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out minor)
            && ulong.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }

    private static bool IsIdentifiers(ReadOnlySpan<char> s)
    {
        if (s.Length == 0) return false;
        bool empty = true;
        foreach (char c in s)
        {
            if (c == '.')
            {
                if (empty) return false;
                empty = true;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c == '-') empty = false;
            else return false;
        }
        return !empty;
    }
}
