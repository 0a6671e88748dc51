using System.Runtime.InteropServices;
using System.Text.Json;

namespace Berth.Images;

/// <summary>A content descriptor (image-spec descriptor.md): what a blob is, its digest and size.</summary>
public sealed record Descriptor(string MediaType, Digest Digest, long Size, string? Platform, IReadOnlyDictionary<string, string> Annotations)
{
    /// <summary>The tag a layout gives this entry (<c>org.opencontainers.image.ref.name</c>), if any.</summary>
    public string? RefName => Annotations.GetValueOrDefault("org.opencontainers.image.ref.name");

    internal static Descriptor Read(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new ImageException($"{where} is not a descriptor object.");
        string mediaType = OciJson.String(element, "mediaType", where) ?? "";
        var digest = Digest.Parse(OciJson.String(element, "digest", where), $"{where}.digest");
        if (!element.TryGetProperty("size", out var size) || !size.TryGetInt64(out long bytes) || bytes < 0)
            throw new ImageException($"{where}.size is missing or not a byte count.");
        string? platform = null;
        if (element.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object)
            platform = OciJson.PlatformName(p);
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (element.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object)
            foreach (var property in a.EnumerateObject())
                if (property.Value.ValueKind == JsonValueKind.String)
                    annotations[property.Name] = property.Value.GetString()!;
        return new Descriptor(mediaType, digest, bytes, platform, annotations);
    }
}

/// <summary>What an image's config says about running it (image-spec config.md, the "config" object), for create
/// to fill in what a container's author left out.</summary>
public sealed record ImageConfig(
    string Platform,
    IReadOnlyList<string> Env,
    IReadOnlyList<string>? Entrypoint,
    IReadOnlyList<string>? Cmd,
    string? WorkingDir,
    string? User,
    IReadOnlyList<Digest> DiffIds)
{
    /// <summary>Reads a config blob (already checked against its digest).</summary>
    public static ImageConfig Parse(byte[] json, Digest digest)
    {
        string where = $"the image config {digest}";
        using var document = OciJson.Parse(json, where);
        var root = document.RootElement;
        var diffIds = new List<Digest>();
        if (!root.TryGetProperty("rootfs", out var rootfs) || !rootfs.TryGetProperty("diff_ids", out var ids) || ids.ValueKind != JsonValueKind.Array)
            throw new ImageException($"{where} has no rootfs.diff_ids list.");
        foreach (var id in ids.EnumerateArray())
            diffIds.Add(Digest.Parse(id.ValueKind == JsonValueKind.String ? id.GetString() : id.ToString(), $"{where} rootfs.diff_ids[{diffIds.Count}]"));
        root.TryGetProperty("config", out var config);
        bool hasConfig = config.ValueKind == JsonValueKind.Object;
        return new ImageConfig(
            OciJson.PlatformName(root),
            (hasConfig ? OciJson.Strings(config, "Env") : null) ?? [],
            hasConfig ? OciJson.Strings(config, "Entrypoint") : null,
            hasConfig ? OciJson.Strings(config, "Cmd") : null,
            hasConfig ? NonEmpty(OciJson.String(config, "WorkingDir", where)) : null,
            hasConfig ? NonEmpty(OciJson.String(config, "User", where)) : null,
            diffIds);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

/// <summary>The small JSON reading the OCI documents share.</summary>
internal static class OciJson
{
    /// <summary>Blobs read into memory (index, manifest, config) are refused above this size: a layout cannot make
    /// berth allocate without bound.</summary>
    public const int MaxDocumentBytes = 8 * 1024 * 1024;

    public static JsonDocument Parse(byte[] json, string where)
    {
        try
        {
            var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new ImageException($"{where} is not a JSON object.");
            return document;
        }
        catch (JsonException e)
        {
            throw new ImageException($"{where} is not valid JSON: {e.Message}", e);
        }
    }

    public static string? String(JsonElement element, string name, string where)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.String)
            throw new ImageException($"{where}: \"{name}\" is not a string.");
        return value.GetString();
    }

    public static List<string>? Strings(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Array)
            return null;
        return value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList();
    }

    /// <summary>"os/architecture[/variant]" of a platform object or a config.</summary>
    public static string PlatformName(JsonElement element)
    {
        string os = element.TryGetProperty("os", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()! : "";
        string architecture = element.TryGetProperty("architecture", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
        string variant = element.TryGetProperty("variant", out var v) && v.ValueKind == JsonValueKind.String ? "/" + v.GetString() : "";
        return $"{os}/{architecture}{variant}";
    }

    /// <summary>This machine's platform as OCI names it (Go's names), e.g. linux/amd64.</summary>
    public static string HostPlatform => "linux/" + RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.RiscV64 => "riscv64",
        var other => other.ToString().ToLowerInvariant(),
    };
}
