namespace Berth.Runtime;

/// <summary>
/// Whether berth runs rootless, decided as runc decides it: --rootless true|false, or (auto, the default) when berth is
/// not root, or is root only inside a user namespace it did not get the whole id range in (podman's rootless mode runs
/// the runtime as uid 0 in such a namespace, with no --root and XDG_RUNTIME_DIR set). Rootless means: the state root
/// under $XDG_RUNTIME_DIR, and no cgroups berth may not write when nothing asks for a limit.
/// </summary>
public static class RootlessContext
{
    /// <summary>--rootless: "true", "false" or "auto".</summary>
    public static string Mode { get; set; } = "auto";

    private static bool? _inUserNamespace;

    public static bool IsRootless => Mode switch
    {
        "true" => true,
        "false" => false,
        _ => Sys.Geteuid() != 0 || InUserNamespace,
    };

    /// <summary>In a user namespace that maps less than the whole id range: /proc/self/uid_map is not "0 0 4294967295".</summary>
    public static bool InUserNamespace => _inUserNamespace ??= ReadInUserNamespace();

    private static bool ReadInUserNamespace()
    {
        // A raw read: no FileStream on the start path.
        if (Sys.ReadSmall("/proc/self/uid_map", out _) is not { } map)
            return false;
        string[] fields = map.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return !(fields.Length == 3 && fields[0] == "0" && fields[1] == "0" && fields[2] == "4294967295");
    }

    /// <summary>The default state root: $XDG_RUNTIME_DIR/berth where runc would use $XDG_RUNTIME_DIR/runc (not root, or
    /// root in a user namespace where USER is not "root"), else /run/berth.</summary>
    public static string DefaultStateRoot()
    {
        string? runtimeDir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        bool honour = !string.IsNullOrEmpty(runtimeDir)
            && (Sys.Geteuid() != 0 || (InUserNamespace && Environment.GetEnvironmentVariable("USER") != "root"));
        if (honour)
            return Path.Combine(runtimeDir!, "berth");
        if (Sys.Geteuid() != 0)
            throw new BerthException("no state directory: XDG_RUNTIME_DIR is not set and berth is not running as root; pass --root DIR");
        return "/run/berth";
    }
}
