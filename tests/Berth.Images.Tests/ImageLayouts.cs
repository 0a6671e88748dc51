namespace Berth.Images.Tests;

/// <summary>
/// OCI image layouts built once, offline, from the project's busybox rootfs (scripts/make-rootfs.sh) with Debian's
/// umoci and skopeo: a three-layer image tagged "bb" whose second layer is a whiteout of /etc/removed.txt and whose
/// third makes /opaque an opaque directory; "bb2" adds a fourth layer on top (the first three shared). The same
/// image is copied by skopeo with zstd layers and with uncompressed layers.
/// </summary>
public static class ImageLayouts
{
    private static readonly Lazy<string> Built = new(Build);

    /// <summary>Why the layouts cannot be built here, or null.</summary>
    public static string? Unavailable => Commands.Missing("umoci", "skopeo") ?? (Commands.IsRoot ? null : "building the layouts keeps owners, which needs root");

    /// <summary>The directory holding rootfs/ and the layouts gzip/, zstd/, plain/.</summary>
    public static string Directory => Built.Value;

    /// <summary>The gzip layout (umoci's own); tags "bb" (3 layers) and "bb2" (4 layers).</summary>
    public static string Gzip => Path.Combine(Directory, "gzip");

    /// <summary>"bb" copied by skopeo with zstd layers.</summary>
    public static string Zstd => Path.Combine(Directory, "zstd");

    /// <summary>"bb" copied by skopeo with uncompressed layers.</summary>
    public static string Plain => Path.Combine(Directory, "plain");

    /// <summary>A copy of a layout for one test to alter.</summary>
    public static string CopyOf(string layout, TemporaryDirectory into)
    {
        string copy = into["layout"];
        Commands.Succeed("cp", "-a", layout, copy);
        return copy;
    }

    private static string Build()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"berth-images-layouts-{Environment.ProcessId}");
        Commands.Run("rm", "-rf", directory);
        System.IO.Directory.CreateDirectory(directory);
        string rootfs = Path.Combine(directory, "rootfs");
        Commands.Succeed("bash", Path.Combine(Commands.RepositoryRoot, "scripts", "make-rootfs.sh"), rootfs);
        File.WriteAllText(Path.Combine(rootfs, "etc", "removed.txt"), "removed by the second layer\n");
        System.IO.Directory.CreateDirectory(Path.Combine(rootfs, "opaque"));
        File.WriteAllText(Path.Combine(rootfs, "opaque", "old.txt"), "hidden by the third layer\n");
        string replacement = Path.Combine(directory, "replacement");
        System.IO.Directory.CreateDirectory(replacement);
        File.WriteAllText(Path.Combine(replacement, "new.txt"), "the third layer's\n");
        string extra = Path.Combine(directory, "extra.txt");
        File.WriteAllText(extra, "only in bb2\n");

        string gzip = Path.Combine(directory, "gzip");
        string bundle = Path.Combine(directory, "bundle");
        Commands.SucceedIn(directory, "umoci", "init", "--layout", gzip);
        Commands.SucceedIn(directory, "umoci", "new", "--image", gzip + ":bb");
        Commands.SucceedIn(directory, "umoci", "unpack", "--image", gzip + ":bb", bundle);
        Commands.Succeed("cp", "-a", rootfs + "/.", Path.Combine(bundle, "rootfs"));
        Commands.SucceedIn(directory, "umoci", "repack", "--image", gzip + ":bb", bundle);
        Commands.SucceedIn(directory, "umoci", "insert", "--image", gzip + ":bb", "--whiteout", "/etc/removed.txt");
        Commands.SucceedIn(directory, "umoci", "insert", "--image", gzip + ":bb", "--opaque", replacement, "/opaque");
        Commands.SucceedIn(directory, "umoci", "config", "--image", gzip + ":bb", "--config.cmd", "/bin/sh", "--config.env", "GREETING=from-the-image", "--config.workingdir", "/opaque");
        Commands.SucceedIn(directory, "umoci", "insert", "--image", gzip + ":bb", "--tag", "bb2", extra, "/extra.txt");
        Commands.Succeed("skopeo", "copy", "--dest-compress-format", "zstd", $"oci:{gzip}:bb", $"oci:{Path.Combine(directory, "zstd")}:bb");
        // skopeo decompresses only into its dir: transport, and keeps uncompressed layers in oci: only when told to.
        string dir = Path.Combine(directory, "dir");
        Commands.Succeed("skopeo", "copy", "--dest-decompress", $"oci:{gzip}:bb", $"dir:{dir}");
        Commands.Succeed("skopeo", "copy", "--dest-oci-accept-uncompressed-layers", $"dir:{dir}", $"oci:{Path.Combine(directory, "plain")}:bb");
        Commands.Run("rm", "-rf", bundle, dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Commands.Run("rm", "-rf", directory);
        return directory;
    }
}
