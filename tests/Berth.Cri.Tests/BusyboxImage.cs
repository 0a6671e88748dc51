using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Berth.Cri.Tests;

/// <summary>
/// A one-layer OCI image archive made from the project's busybox root filesystem (scripts/make-rootfs.sh), so the test
/// needs no registry. Its default command sleeps until SIGTERM: it serves as the pod's sandbox ("pause") image too.
/// </summary>
public static class BusyboxImage
{
    public const string Name = "berth.test/busybox:cri";

    /// <summary>The sandbox process: pid 1 of the pod, which must outlive every container and stop on TERM.</summary>
    public static readonly string[] SandboxCommand = ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"];

    /// <summary>Writes the archive (an OCI image layout in a tar) to <paramref name="archive"/>, using
    /// <paramref name="workDir"/> for the root filesystem and the layout.</summary>
    public static void Build(string repoRoot, string workDir, string archive)
    {
        string rootfs = Path.Combine(workDir, "rootfs");
        var made = ProcessRunner.Run("bash", [Path.Combine(repoRoot, "scripts/make-rootfs.sh"), rootfs]);
        if (made.ExitCode != 0)
            throw new InvalidOperationException("make-rootfs.sh failed: " + made);

        string layout = Path.Combine(workDir, "layout");
        string blobs = Path.Combine(layout, "blobs", "sha256");
        Directory.CreateDirectory(blobs);

        // An uncompressed layer: its digest is also its diff id.
        string layerFile = Path.Combine(workDir, "layer.tar");
        TarFile.CreateFromDirectory(rootfs, layerFile, includeBaseDirectory: false);
        var layer = AddBlob(blobs, File.ReadAllBytes(layerFile));
        File.Delete(layerFile);

        var config = AddBlob(blobs, Json(new JsonObject
        {
            ["architecture"] = GoArchitecture(),
            ["os"] = "linux",
            ["config"] = new JsonObject
            {
                ["Cmd"] = new JsonArray(SandboxCommand.Select(a => (JsonNode)a).ToArray()),
                ["Env"] = new JsonArray("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
            },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layer.Digest) },
        }));
        var manifest = AddBlob(blobs, Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", config),
            ["layers"] = new JsonArray(Descriptor("application/vnd.oci.image.layer.v1.tar", layer)),
        }));
        var entry = Descriptor("application/vnd.oci.image.manifest.v1+json", manifest);
        entry["platform"] = new JsonObject { ["architecture"] = GoArchitecture(), ["os"] = "linux" };
        // containerd's importer names the image after this annotation.
        entry["annotations"] = new JsonObject { ["io.containerd.image.name"] = Name, ["org.opencontainers.image.ref.name"] = "cri" };
        File.WriteAllBytes(Path.Combine(layout, "index.json"), Json(new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(entry) }));
        File.WriteAllBytes(Path.Combine(layout, "oci-layout"), Json(new JsonObject { ["imageLayoutVersion"] = "1.0.0" }));

        TarFile.CreateFromDirectory(layout, archive, includeBaseDirectory: false);
        Directory.Delete(layout, recursive: true);
        Directory.Delete(rootfs, recursive: true);
    }

    private sealed record Blob(string Digest, long Size);

    private static Blob AddBlob(string blobs, byte[] content)
    {
        string hex = Convert.ToHexStringLower(SHA256.HashData(content));
        File.WriteAllBytes(Path.Combine(blobs, hex), content);
        return new Blob("sha256:" + hex, content.LongLength);
    }

    private static JsonObject Descriptor(string mediaType, Blob blob) =>
        new() { ["mediaType"] = mediaType, ["digest"] = blob.Digest, ["size"] = blob.Size };

    private static byte[] Json(JsonObject document) => System.Text.Encoding.UTF8.GetBytes(document.ToJsonString());

    /// <summary>This machine's architecture as OCI images name it (Go's names).</summary>
    private static string GoArchitecture() => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
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
