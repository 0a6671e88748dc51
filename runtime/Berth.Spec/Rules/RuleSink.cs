namespace Berth.Spec;

/// <summary>
/// Collects the findings of the prose rules in the same shape as the generated validator's: a JSON pointer, a keyword
/// (<c>x-unique</c>, <c>x-absolute-path</c>, …), a sentence, and the section of the runtime-spec the rule comes from
/// (in <see cref="SchemaDiagnostic.SchemaLocation"/>).
/// </summary>
internal readonly struct RuleSink(List<SchemaDiagnostic> diagnostics)
{
    public void Error(string pointer, string keyword, string message, string section) =>
        diagnostics.Add(new SchemaDiagnostic(SchemaSeverity.Error, pointer, keyword, message, section));

    public void Warning(string pointer, string keyword, string message, string section) =>
        diagnostics.Add(new SchemaDiagnostic(SchemaSeverity.Warning, pointer, keyword, message, section));

    /// <summary>Reports <paramref name="path"/> when it does not start with '/'.</summary>
    public void RequireAbsolute(string pointer, string? path, string what, string section)
    {
        if (Paths.IsRelative(path)) NotAbsolute(pointer, path!, what, section);
    }

    /// <summary>The error for a relative path (callers build the pointer only when they need it).</summary>
    public void NotAbsolute(string pointer, string path, string what, string section) =>
        Error(pointer, "x-absolute-path", $"{what} \"{path}\" must be an absolute path", section);
}

/// <summary>Small helpers shared by the rules.</summary>
internal static class Paths
{
    public static bool IsAbsolute(string path) => path.Length > 0 && path[0] == '/';

    /// <summary>A path that is present and not absolute.</summary>
    public static bool IsRelative(string? path) => path is not null && !IsAbsolute(path);

    /// <summary>Appends one RFC 6901 reference token (escaping '~' and '/').</summary>
    public static string Join(string pointer, string token) =>
        pointer + "/" + token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    public static string Join(string pointer, int index) => pointer + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Runtime-spec sections named in <see cref="SchemaDiagnostic.SchemaLocation"/> by the rules.</summary>
internal static class Sections
{
    public const string Config = "runtime-spec config.md";
    public const string Version = "runtime-spec config.md#specification-version";
    public const string Root = "runtime-spec config.md#root";
    public const string Mounts = "runtime-spec config.md#mounts";
    public const string Process = "runtime-spec config.md#process";
    public const string PosixProcess = "runtime-spec config.md#posix-process";
    public const string LinuxProcess = "runtime-spec config.md#linux-process";
    public const string Hostname = "runtime-spec config.md#hostname";
    public const string Hooks = "runtime-spec config.md#posix-platform-hooks";
    public const string Annotations = "runtime-spec config.md#annotations";
    public const string Namespaces = "runtime-spec config-linux.md#namespaces";
    public const string IdMappings = "runtime-spec config-linux.md#user-namespace-mappings";
    public const string TimeOffsets = "runtime-spec config-linux.md#offset-for-time-namespace";
    public const string Devices = "runtime-spec config-linux.md#devices";
    public const string NetDevices = "runtime-spec config-linux.md#network-devices";
    public const string Memory = "runtime-spec config-linux.md#memory";
    public const string Cpu = "runtime-spec config-linux.md#cpu";
    public const string BlockIO = "runtime-spec config-linux.md#block-io";
    public const string Pids = "runtime-spec config-linux.md#pids";
    public const string Rdma = "runtime-spec config-linux.md#rdma";
    public const string Unified = "runtime-spec config-linux.md#unified";
    public const string IntelRdt = "runtime-spec config-linux.md#intelrdt";
    public const string Seccomp = "runtime-spec config-linux.md#seccomp";
    public const string MaskedPaths = "runtime-spec config-linux.md#masked-paths";
    public const string ReadonlyPaths = "runtime-spec config-linux.md#readonly-paths";
    public const string MemoryPolicy = "runtime-spec config-linux.md#memory-policy";
    public const string State = "runtime-spec runtime.md#state";
}
