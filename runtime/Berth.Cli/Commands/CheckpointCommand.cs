using Berth.Cli.Parsing;
using Berth.Runtime;

namespace Berth.Cli.Commands;

/// <summary>
/// `berth checkpoint` and `berth restore`: berth does not checkpoint or restore, and says why. The image folders are
/// still checked as runc checks them before it calls criu (a mistaken --parent-path is named first, whatever criu flags
/// come with it); then the command fails with the reason.
/// </summary>
public static class CheckpointCommand
{
    public const string NoCriu = "berth does not checkpoint or restore containers: criu 3.17, the one this host has, cannot dump on this kernel (\"vdso: Unexpected rt vDSO area bounds\"), for runc either";

    private static readonly Flag[] ImageFlags =
    [
        Flag.Value("image-path", "the folder of the checkpoint images (default: ./checkpoint)"),
        Flag.Value("parent-path", "the folder of the previous images, relative to --image-path"),
    ];

    /// <summary>A flag for criu: accepted, because the command as a whole is refused (exit 1, <see cref="NoCriu"/>) —
    /// after runc's own checks of the image folders, which its clients and suite expect named first, whatever criu
    /// flags come with them.</summary>
    private static Flag Criu(string name, bool takesValue, string help) =>
        (takesValue ? Flag.Value(name, help) : Flag.Switch(name, help))
            .HonouredBecause("accepted only to be refused with the command: berth does not checkpoint or restore");

    private static readonly Flag[] Shared =
    [
        Criu("work-path", true, "criu's work and log folder"),
        Criu("tcp-established", false, "allow open TCP connections"),
        Criu("ext-unix-sk", false, "allow external unix sockets"),
        Criu("shell-job", false, "allow shell jobs"),
        Criu("lazy-pages", false, "use userfaultfd to restore memory lazily"),
        Criu("file-locks", false, "handle file locks"),
        Criu("manage-cgroups-mode", true, "soft, full or strict"),
        Criu("empty-ns", true, "a namespace not to checkpoint"),
        Criu("auto-dedup", false, "deduplicate the images"),
    ];

    public static readonly CommandDefinition Checkpoint = new("checkpoint", "<container-id>",
        "checkpoint a running container (not supported by berth: it says why and fails)",
    [
        .. ImageFlags, .. Shared,
        Criu("leave-running", false, "leave the process running after checkpointing"),
        Criu("status-fd", true, "criu writes \\0 to this descriptor when lazy-pages is ready"),
        Criu("page-server", true, "ADDRESS:PORT of the page server"),
        Criu("pre-dump", false, "dump the memory only, leave the container running"),
    ], Refuse);

    public static readonly CommandDefinition Restore = new("restore", "<container-id>",
        "restore a container from a checkpoint (not supported by berth: it says why and fails)",
    [
        .. ImageFlags, .. Shared,
        Criu("console-socket", true, "a unix socket that receives the pty master"),
        Criu("bundle", true, "the bundle directory"),
        Criu("detach", false, "do not wait for the container"),
        Criu("pid-file", true, "write the process's pid to this file"),
        Criu("no-subreaper", false, "do not make berth a subreaper"),
        Criu("no-pivot", false, "do not use pivot_root"),
        Criu("lsm-profile", true, "the LSM profile of the restored process"),
        Criu("lsm-mount-context", true, "the LSM mount context"),
    ], Refuse);

    private static int Refuse(Invocation call)
    {
        var a = call.Arguments;
        string? parent = a.Value("parent-path");
        string images = a.Value("image-path") ?? "checkpoint";
        if (!string.IsNullOrEmpty(parent))
        {
            if (Path.IsPathRooted(parent))
                throw new BerthException($"--parent-path must be relative (to --image-path), not \"{parent}\"");
            string real = Path.Combine(images, parent);
            if (!Directory.Exists(real))
                throw new BerthException($"invalid --parent-path: {real} is not a directory");
        }
        throw new BerthException(NoCriu);
    }
}
