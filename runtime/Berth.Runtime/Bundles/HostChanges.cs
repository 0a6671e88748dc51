using Berth.Config;
using Berth.Runtime.State;

namespace Berth.Runtime.Bundles;

/// <summary>What the host files changed in a container's config, as create recorded it in the state directory.</summary>
public static class HostChanges
{
    /// <summary>
    /// The container's recorded diff (JSON, as <see cref="ConfigDiff.ToJson"/> wrote it), or null when it ran its
    /// bundle's config as it was (no host file). "does not exist" when there is no such container.
    /// </summary>
    public static byte[]? Read(StateStore store, string id)
    {
        using var dir = store.Open(id);
        dir.Load(); // "does not exist" when it is not a container
        byte[]? json = dir.Read(StateStore.DiffFile, out int error);
        if (json is null && error != Tmds.Linux.LibC.ENOENT)
            throw BerthException.Errno($"read {dir.PathOf(StateStore.DiffFile)}", error);
        return json;
    }

    /// <summary>The recorded diff with what the trust policy verified beside its sources (a "verified" member).</summary>
    public static byte[] WithVerified(byte[] diffJson, byte[] verifiedJson)
    {
        var diff = System.Text.Json.Nodes.JsonNode.Parse(diffJson)!.AsObject();
        diff["verified"] = System.Text.Json.Nodes.JsonNode.Parse(verifiedJson);
        return System.Text.Encoding.UTF8.GetBytes(diff.ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
    }

    /// <summary>The diff as text, one change a line ("~ path: before (where) -> after (where)").</summary>
    public static string Render(IReadOnlyList<DiffEntry> entries) => string.Concat(entries.Select(e => e + "\n"));
}
