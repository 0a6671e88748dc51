namespace Berth.Images;

/// <summary>What stacking stored layers with overlayfs needs: whether the kernel has it, and the mount options.</summary>
public static class Overlay
{
    /// <summary>Whether this kernel has overlayfs (built in or loaded: listed in /proc/filesystems); else why not.</summary>
    public static bool Available(out string reason)
    {
        bool listed = File.Exists("/proc/filesystems")
            && File.ReadLines("/proc/filesystems").Any(line => line.Split('\t', ' ').LastOrDefault() == "overlay");
        reason = listed ? "" : "this kernel has no overlayfs (\"overlay\" is not in /proc/filesystems; modprobe overlay?)";
        return listed;
    }

    /// <summary>
    /// The options of an overlay mount of <paramref name="layersBottomFirst"/> (as <see cref="LayerRecord.Path"/> lists
    /// them), with a writable <paramref name="upper"/> and <paramref name="work"/> directory (on one file system,
    /// outside the store) or none for a read-only root. Without an upper directory the kernel wants at least two lower
    /// ones: a one-layer read-only root is a read-only bind mount of the layer instead. Stored layers mark opaque
    /// directories with trusted.* attributes, so a rootless overlay (userxattr) needs layers imported rootless.
    /// </summary>
    public static string MountOptions(IReadOnlyList<string> layersBottomFirst, string? upper, string? work)
    {
        if (layersBottomFirst.Count == 0)
            throw new ImageException("an overlay needs at least one layer.");
        if ((upper is null) != (work is null))
            throw new ImageException("an overlay's upper and work directories go together: give both or neither.");
        string options = "lowerdir=" + string.Join(':', layersBottomFirst.Reverse().Select(Escape));
        return upper is null ? options : $"{options},upperdir={Escape(upper)},workdir={Escape(work!)}";
    }

    /// <summary>overlayfs splits lowerdir at ':' and the options at ','; a backslash keeps either in a path.</summary>
    private static string Escape(string path) => path.Replace("\\", "\\\\").Replace(":", "\\:").Replace(",", "\\,");
}
