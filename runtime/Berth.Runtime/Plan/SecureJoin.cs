namespace Berth.Runtime.Plan;

/// <summary>
/// Resolves a container path to a host path under the rootfs, following symlinks as the container would see them,
/// so that no symlink in the rootfs can make berth create or mount something outside it.
/// </summary>
public static class SecureJoin
{
    public static string Resolve(string rootfs, string containerPath, Func<string, string?> readLink)
    {
        var parts = new List<string>();
        var pending = new Stack<string>();
        PushComponents(pending, containerPath);
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part is "" or ".")
                continue;
            if (part == "..")
            {
                if (parts.Count > 0)
                    parts.RemoveAt(parts.Count - 1);
                continue;
            }
            string candidate = Join(rootfs, parts) + "/" + part;
            string? target = readLink(candidate);
            if (target is null)
            {
                parts.Add(part);
                continue;
            }
            if (++links > 255)
                throw new BerthException($"too many symbolic links resolving {containerPath} in the rootfs");
            if (target.StartsWith('/'))
                parts.Clear();
            PushComponents(pending, target);
        }
        return Join(rootfs, parts);
    }

    private static void PushComponents(Stack<string> pending, string path)
    {
        string[] components = path.Split('/');
        for (int i = components.Length - 1; i >= 0; i--)
            pending.Push(components[i]);
    }

    private static string Join(string rootfs, List<string> parts) =>
        parts.Count == 0 ? rootfs.TrimEnd('/') : rootfs.TrimEnd('/') + "/" + string.Join('/', parts);

    /// <summary>The readLink that looks at the real filesystem: the link's target, or null for anything else.</summary>
    public static string? ReadHostLink(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
