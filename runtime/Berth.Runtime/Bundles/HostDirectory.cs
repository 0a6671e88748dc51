namespace Berth.Runtime.Bundles;

/// <summary>The host directory: files of host rules merged into every config that create, run and plan read.</summary>
public static class HostDirectory
{
    /// <summary>The environment variable that names it; set to "" for none.</summary>
    public const string Variable = "BERTH_HOST_DIR";

    public const string Default = "/etc/berth/host.d";

    /// <summary>$BERTH_HOST_DIR, or the default.</summary>
    public static string Current => Environment.GetEnvironmentVariable(Variable) ?? Default;

    /// <summary>The directory's .yaml, .yml and .json files in name order (none when it is "" or missing).</summary>
    public static List<string> Files(string? dir = null)
    {
        dir ??= Current;
        var files = new List<string>();
        if (dir.Length == 0 || !Directory.Exists(dir))
            return files;
        foreach (string f in Directory.GetFiles(dir))
            if (f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
                files.Add(f);
        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
