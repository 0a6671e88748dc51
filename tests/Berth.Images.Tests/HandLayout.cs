using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Images.Tests;

/// <summary>A one-layer OCI layout written by hand around a tar the test made (for layers no tool would write).</summary>
public static class HandLayout
{
    public static void Write(string layout, byte[] layerTar)
    {
        Directory.CreateDirectory(Path.Combine(layout, "blobs", "sha256"));
        var layer = Blob(layout, layerTar);
        var config = Blob(layout, Json(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layer.Digest) },
        }));
        var manifest = Blob(layout, Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", config),
            ["layers"] = new JsonArray(Descriptor("application/vnd.oci.image.layer.v1.tar", layer)),
        }));
        File.WriteAllBytes(Path.Combine(layout, "index.json"), Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["manifests"] = new JsonArray(Descriptor("application/vnd.oci.image.manifest.v1+json", manifest)),
        }));
        File.WriteAllText(Path.Combine(layout, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    }

    private static (string Digest, long Size) Blob(string layout, byte[] content)
    {
        var digest = Digest.Of(content);
        File.WriteAllBytes(Path.Combine(layout, "blobs", "sha256", digest.Hex), content);
        return (digest.ToString(), content.Length);
    }

    private static JsonObject Descriptor(string mediaType, (string Digest, long Size) blob) =>
        new() { ["mediaType"] = mediaType, ["digest"] = blob.Digest, ["size"] = blob.Size };

    private static byte[] Json(JsonObject node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}
