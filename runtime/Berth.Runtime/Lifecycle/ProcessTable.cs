using Berth.Runtime.Exec;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// `berth ps ID [ps options]`, as runc does it: runs ps(1) with the options (`-ef` when there are none), then prints
/// its header line and those of its lines whose PID column names a process of the container's cgroups.
/// </summary>
public static unsafe class ProcessTable
{
    public static string Render(string id, IReadOnlyCollection<int> pids, IReadOnlyList<string> psOptions, Action<string>? debug = null)
    {
        IReadOnlyList<string> options = psOptions.Count == 0 ? ["-ef"] : psOptions;
        string ps = FindInPath("ps") ?? throw new BerthException(
            $"cannot list the processes of container \"{id}\": there is no ps program in PATH ({Environment.GetEnvironmentVariable("PATH") ?? "unset"})");
        debug?.Invoke($"ps: running {ps} {string.Join(' ', options)} for container \"{id}\" (pids {string.Join(',', pids)})");
        string output = RunCaptured(ps, ["ps", .. options], out int rc);
        string shown = "ps " + string.Join(' ', options);
        if (rc != 0)
            throw new BerthException($"ps: {shown} for container \"{id}\" {HookRunner.Describe(rc, null)}: {output.Trim()}");
        return Filter(id, shown, output, pids);
    }

    /// <summary>The header and the lines whose PID column is one of <paramref name="pids"/>, each as ps wrote it.</summary>
    public static string Filter(string id, string shown, string output, IReadOnlyCollection<int> pids)
    {
        string[] lines = output.Split('\n');
        int pidColumn = Array.IndexOf(lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries), "PID");
        if (pidColumn < 0)
            throw new BerthException($"ps: the output of {shown} has no PID column, so the processes of container \"{id}\" cannot be told apart (add -o pid,…)");
        var kept = new System.Text.StringBuilder(lines[0]).Append('\n');
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
                continue;
            string[] fields = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length <= pidColumn || !int.TryParse(fields[pidColumn], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid))
                throw new BerthException($"ps: line {i + 1} of the output of {shown} has no number in its PID column: \"{lines[i]}\"");
            if (pids.Contains(pid))
                kept.Append(lines[i]).Append('\n');
        }
        return kept.ToString();
    }

    /// <summary>The first executable file of that name in PATH, as a shell finds it.</summary>
    private static string? FindInPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && Sys.Executable(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>Runs a program with berth's environment, stdout and stderr captured together (as runc's CombinedOutput).</summary>
    private static string RunCaptured(string path, IReadOnlyList<string> argv, out int rc)
    {
        using var arena = new OpArena();
        int fd;
        rc = NativeMethods.RunCaptured(arena.String(path), arena.StringArray(argv), &fd);
        if (fd < 0)
            throw BerthException.Errno($"ps: run {path}", -rc);
        byte[] output = Sys.ReadToEndAndClose(fd, out int error) ?? throw BerthException.Errno($"ps: read the output of {path}", error);
        return System.Text.Encoding.UTF8.GetString(output);
    }
}
