using System.Text;
using System.Text.Json;
using Berth.Config;
using Berth.Images;
using Berth.Runtime.State;

namespace Berth.Runtime.Bundles;

/// <summary>One signature the trust policy asked for and found: what was signed (the author's file or the root's
/// digest), its digest, and the key that verified it.</summary>
public sealed record VerifiedSignature(string What, string Subject, string Digest, string KeyFingerprint, string KeyFile);

/// <summary>
/// The host's trust policy applied at create, before anything is made: the author's file must carry a signature by
/// every key the policy names for configs (in <c>FILE.sig</c> beside it), and the root's digest one by every key it
/// names for roots (in the bundle's <c>rootfs.sig</c>). A <c>.sig</c> file holds base64 signatures, one a line (what
/// <c>berth sign</c> and <c>cosign sign-blob</c> write; several keys' signatures are lines of one file). What a root's
/// signature signs is its digest as text with a newline — what <c>berth digest DIR</c> prints for root.digest, the
/// manifest digest for root.image, the layer digests one a line for root.layers — so that a rootfs can be signed
/// apart from any config, by another party. The host's own files are local policy and are not signed.
/// </summary>
public static class TrustCheck
{
    public const string RootSignatureFile = "rootfs.sig";

    /// <summary>Checks the policy; returns what verified (empty when the policy asks nothing) or throws, naming what is
    /// unsigned or signed by whom.</summary>
    public static IReadOnlyList<VerifiedSignature> Verify(TrustPolicy policy, ConfigFile author, Berth.Spec.Spec spec, string bundle)
    {
        var (configKeys, rootKeys) = policy.For(spec.Root?.Image);
        var verified = new List<VerifiedSignature>();
        string authorPath = Path.GetFullPath(author.Name);
        foreach (var key in configKeys)
            verified.Add(Check(key, "config", authorPath, author.Content, authorPath + ".sig"));
        if (rootKeys.Count > 0)
        {
            string signed = RootDigestText(spec, rootKeys[0]);
            string signatures = Path.Combine(bundle, RootSignatureFile);
            foreach (var key in rootKeys)
                verified.Add(Check(key, "rootfs", signed.TrimEnd('\n').Replace('\n', ','), Encoding.UTF8.GetBytes(signed), signatures));
        }
        return verified;
    }

    /// <summary>The text a root's signature signs: its digest(s), each followed by a newline.</summary>
    public static string RootDigestText(Berth.Spec.Spec spec, TrustKey askedBy)
    {
        var root = spec.Root;
        if (root?.Image is { } image)
            return image + "\n";
        if (root?.Layers is { Count: > 0 } layers)
            return string.Concat(layers.Select(l => l + "\n"));
        if (root?.Digest is { } digest)
            return digest + "\n";
        throw new BerthException($"root: the host's trust policy ({askedBy.Location}) asks for a signed root, so the root must be named by digest: root.image, root.layers, or root.path with root.digest (`berth digest DIR` prints it)");
    }

    private static VerifiedSignature Check(TrustKey key, string what, string subject, byte[] content, string signatureFile)
    {
        string keyPem = ReadText(key.Path, $"the public key {key.Path} that the trust policy names ({key.Location})");
        string fingerprint;
        try
        {
            fingerprint = BlobSignature.Fingerprint(keyPem);
        }
        catch (ImageException e)
        {
            throw new BerthException($"the public key {key.Path} that the trust policy names ({key.Location}): {e.Message}");
        }
        string asked = $"the trust policy ({key.Location}) requires the {what} {subject} to be signed by the key {fingerprint} ({key.Path})";
        if (!File.Exists(signatureFile))
            throw new BerthException($"{asked}, but it is not signed: {signatureFile} does not exist");
        var check = BlobSignature.VerifyAny(keyPem, ReadText(signatureFile, $"the signatures {signatureFile}"), content);
        if (!check.Valid)
            throw new BerthException($"{asked}, but {signatureFile} holds no signature by that key: {check.Reason}");
        return new VerifiedSignature(what, subject, Digest.Of(content).ToString(), fingerprint, key.Path);
    }

    private static string ReadText(string path, string what) =>
        SmallFiles.ReadRegular(path, out int error) is { } bytes ? Encoding.UTF8.GetString(bytes)
            : throw BerthException.Errno($"read {what}", error);

    /// <summary>What the state directory keeps of the check (<see cref="StateStore.TrustFile"/>).</summary>
    public static byte[] ToJson(IReadOnlyList<VerifiedSignature> verified)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonText.Options(indented: true)))
        {
            w.WriteStartArray();
            foreach (var v in verified)
            {
                w.WriteStartObject();
                w.WriteString("what", v.What);
                w.WriteString("subject", v.Subject);
                w.WriteString("digest", v.Digest);
                w.WriteString("key", v.KeyFingerprint);
                w.WriteString("keyFile", v.KeyFile);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return buffer.ToArray();
    }

    /// <summary>The record of a container's check, or null when create checked nothing.</summary>
    public static IReadOnlyList<VerifiedSignature>? Read(StateStore store, string id)
    {
        using var dir = store.Open(id);
        byte[]? json = dir.Read(StateStore.TrustFile, out _);
        if (json is null)
            return null;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => new VerifiedSignature(
            e.GetProperty("what").GetString() ?? "", e.GetProperty("subject").GetString() ?? "", e.GetProperty("digest").GetString() ?? "",
            e.GetProperty("key").GetString() ?? "", e.GetProperty("keyFile").GetString() ?? "")).ToList();
    }

    /// <summary>One line a signature: "config /b/config.yaml (sha256:…) signed by key sha256:… (/etc/…/a.pub)".</summary>
    public static string Render(IReadOnlyList<VerifiedSignature> verified) =>
        string.Concat(verified.Select(v => $"verified: {v.What} {v.Subject} ({v.Digest}) signed by key {v.KeyFingerprint} ({v.KeyFile})\n"));
}
