using System.Security.Cryptography;

namespace Berth.Runtime.Tests.Clients;

/// <summary>
/// What the client tests share: the programs they drive (asked for on PATH, a skip when missing), one tiny image built
/// offline from the test busybox rootfs, and the checks that a container left nothing behind.
/// </summary>
public static class ClientSupport
{
    /// <summary>The name the image carries in every client's store.</summary>
    public const string ImageName = "localhost/berth-client-busybox:test";

    private static readonly Lazy<string> ArchiveLazy = new(BuildOciArchive);

    /// <summary>An OCI image archive (oci-layout, index.json, blobs) of the busybox rootfs, one uncompressed layer.</summary>
    public static string OciArchive => ArchiveLazy.Value;

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    /// <summary>Null when every program is on PATH; else which are missing (scripts/install-deps.sh installs them).</summary>
    public static string? LacksPrograms(params string[] programs)
    {
        var missing = programs.Where(p => Find(p) is null).ToList();
        return missing.Count == 0 ? null : $"{string.Join(", ", missing)} not installed (scripts/install-deps.sh installs them)";
    }

    /// <summary>A long-running shell that turns SIGTERM into exit 42: the exit code shows the stop signal arrived.</summary>
    public static readonly string[] ExitsOnTermWith42 = ["sh", "-c", "trap 'exit 42' TERM; sleep 600 & wait"];

    /// <summary>
    /// podman exec (its exit code and output), podman stop (SIGTERM reaching <see cref="ExitsOnTermWith42"/>) and
    /// podman rm of a detached container, through <paramref name="podman"/> (rootful or rootless).
    /// </summary>
    public static void PodmanExecStopRemove(Func<string[], BerthResult> podman, string id)
    {
        var exec = podman(["exec", id, "sh", "-c", "echo $((6 * 7)) $(id -u); exit 3"]);
        Assert.True(exec.ExitCode == 3, exec.ToString());
        Assert.Equal("42 0", exec.Stdout.Trim());
        var stop = podman(["stop", "--time", "20", id]);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        var state = podman(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", id]);
        Assert.Equal("exited 42", state.Stdout.Trim());
        var rm = podman(["rm", id]);
        Assert.True(rm.ExitCode == 0, rm.ToString());
    }

    /// <summary>Null when the host has <paramref name="controller"/> in some cgroup hierarchy; else why not.</summary>
    public static string? LacksController(string controller) =>
        HostSupport.ControllerVersion(controller) is null ? $"this host has no {controller} cgroup controller" : null;

    /// <summary>
    /// Reads a container cgroup file from inside (where the client mounted its cgroups at /sys/fs/cgroup), by the
    /// name this host's cgroup version gives it: /sys/fs/cgroup/CONTROLLER/V1FILE on v1, /sys/fs/cgroup/V2FILE on v2.
    /// </summary>
    public static string InsidePath(string controller, string v1File, string v2File) =>
        HostSupport.ControllerVersion(controller) == "cgroup v1" ? $"/sys/fs/cgroup/{controller}/{v1File}" : $"/sys/fs/cgroup/{v2File}";

    /// <summary>The same file read on the host, below the container's cgroupsPath.</summary>
    public static string HostValue(string controller, string cgroupsPath, string v1File, string v2File)
    {
        string dir = HostSupport.Cgroups.ControllerDirectory(controller, cgroupsPath)!;
        string file = HostSupport.ControllerVersion(controller) == "cgroup v1" ? v1File : v2File;
        return File.ReadAllText(Path.Combine(dir, file)).Trim();
    }

    /// <summary>"frozen" or "thawed", from the host's freezer file of the cgroup (v1 freezer.state or cgroup.freeze).</summary>
    public static string FreezerState(string cgroupsPath)
    {
        if (HostSupport.V1Mount("freezer") is { } mount)
            return File.ReadAllText(Path.Combine(mount, cgroupsPath.TrimStart('/'), "freezer.state")).Trim() == "FROZEN" ? "frozen" : "thawed";
        return File.ReadAllText(Path.Combine(HostSupport.Cgroups.V2Mount!, cgroupsPath.TrimStart('/'), "cgroup.freeze")).Trim() == "1" ? "frozen" : "thawed";
    }

    /// <summary>No berth state directory, no cgroup directory in any hierarchy, no mount naming the container.</summary>
    public static void AssertNothingLeft(string stateRoot, string id, string? cgroupsPath)
    {
        Assert.False(Directory.Exists(Path.Combine(stateRoot, id)), $"berth's state directory {Path.Combine(stateRoot, id)} is left behind");
        if (cgroupsPath is not null)
            foreach (string directory in HostSupport.Cgroups.DirectoriesFor(cgroupsPath))
                Assert.False(Directory.Exists(directory), $"cgroup {directory} is left behind");
        Assert.DoesNotContain(id, File.ReadAllText("/proc/self/mountinfo"));
    }

    /// <summary>Removes cgroup directories a client made as parents (podman's cgroup parent and its conmon
    /// cgroup): deepest first, each only once empty.</summary>
    public static void RemoveCgroupTree(string cgroupsPath)
    {
        foreach (string top in HostSupport.Cgroups.DirectoriesFor(cgroupsPath).Where(Directory.Exists))
            foreach (string dir in Directory.GetDirectories(top, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(top))
                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                    // Still holding a process (the client did not clean up): left rather than failing the cleanup.
                }
    }

    /// <summary>The directories that hold this host's cgroup v1 mounts (usually the tmpfs /sys/fs/cgroup).</summary>
    private static IEnumerable<string> V1MountParents() =>
        HostSupport.Cgroups.V1Mounts.Values.Select(Path.GetDirectoryName).OfType<string>().Distinct();

    /// <summary>The directories now beside the cgroup v1 mounts (to find those a client adds, see below).</summary>
    public static IReadOnlySet<string> EntriesBesideV1Mounts() =>
        V1MountParents().Where(Directory.Exists).SelectMany(Directory.GetDirectories).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// podman with the cgroupfs manager on cgroup v1 makes directories for controllers this host does not mount
    /// (hugetlb, net_cls…) on the tmpfs beside the mounts, with its cgroup parent and conmon's pid file inside: plain
    /// files, gone only when removed. Removes <paramref name="cgroupsPath"/> there, and the directories that were not
    /// there before (<paramref name="before"/>) once empty.
    /// </summary>
    public static void RemoveClientDirectoriesBesideV1Mounts(IReadOnlySet<string> before, string cgroupsPath)
    {
        // Real hierarchies (the cgroup2 mount may sit beside the v1 ones) are RemoveCgroupTree's.
        var mounts = HostSupport.Cgroups.V1Mounts.Values.Append(HostSupport.Cgroups.V2Mount).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (string dir in EntriesBesideV1Mounts().Where(d => !mounts.Contains(d)))
        {
            string inside = Path.Combine(dir, cgroupsPath.TrimStart('/'));
            if (Directory.Exists(inside))
                Directory.Delete(inside, recursive: true);
            if (!before.Contains(dir) && Directory.GetFileSystemEntries(dir).Length == 0)
                Directory.Delete(dir);
        }
    }

    /// <summary>Runs a command and requires exit code 0.</summary>
    public static BerthResult Succeed(string file, params string[] args)
    {
        var r = Harness.Exec(file, args, timeoutMs: 120_000);
        Assert.True(r.ExitCode == 0, $"{file} {string.Join(' ', args)}\n{r}");
        return r;
    }

    private static string BuildOciArchive()
    {
        string dir = Path.Combine(Harness.WorkDir, "client-image");
        string layout = Path.Combine(dir, "layout");
        string blobs = Path.Combine(layout, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        string layerTar = Path.Combine(dir, "layer.tar");
        Succeed("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", Harness.Rootfs, "-cf", layerTar, ".");

        (string Digest, long Size) Blob(byte[] data)
        {
            string hex = Convert.ToHexStringLower(SHA256.HashData(data));
            File.WriteAllBytes(Path.Combine(blobs, hex), data);
            return ("sha256:" + hex, data.Length);
        }

        // An uncompressed layer: its digest is also its diff ID.
        var layer = Blob(File.ReadAllBytes(layerTar));
        var config = Blob(System.Text.Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = Architecture(),
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Env"] = new JsonArray("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), ["Cmd"] = new JsonArray("sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layer.Digest) },
        }.ToJsonString()));
        var manifest = Blob(System.Text.Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = config.Digest, ["size"] = config.Size },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar", ["digest"] = layer.Digest, ["size"] = layer.Size }),
        }.ToJsonString()));
        // containerd names the image from io.containerd.image.name, podman from the same annotation.
        File.WriteAllText(Path.Combine(layout, "index.json"), new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
                ["digest"] = manifest.Digest,
                ["size"] = manifest.Size,
                ["platform"] = new JsonObject { ["architecture"] = Architecture(), ["os"] = "linux" },
                ["annotations"] = new JsonObject { ["io.containerd.image.name"] = ImageName, ["org.opencontainers.image.ref.name"] = "test" },
            }),
        }.ToJsonString());
        File.WriteAllText(Path.Combine(layout, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        string archive = Path.Combine(dir, "image.tar");
        Succeed("tar", "-C", layout, "-cf", archive, "oci-layout", "index.json", "blobs");
        File.Delete(layerTar);
        return archive;
    }

    /// <summary>This machine's architecture as OCI images name it (the image must match it to be run).</summary>
    private static string Architecture() => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
        var other => other.ToString().ToLowerInvariant(),
    };
}
