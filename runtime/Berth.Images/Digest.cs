using System.Security.Cryptography;

namespace Berth.Images;

/// <summary>
/// A content digest as OCI writes it, "sha256:" and 64 lowercase hex digits. Only sha256 is accepted: it is what every
/// tool named in issue 13 writes, and a digest this library cannot check must not be trusted.
/// </summary>
public readonly record struct Digest
{
    public const string Prefix = "sha256:";

    /// <summary>The 64 lowercase hex digits (used as file and directory names in the store).</summary>
    public string Hex { get; }

    private Digest(string hex) => Hex = hex;

    public override string ToString() => Prefix + Hex;

    /// <summary>The digest in <paramref name="text"/>; an ImageException naming <paramref name="what"/> otherwise.</summary>
    public static Digest Parse(string? text, string what)
    {
        if (TryParse(text, out var digest))
            return digest;
        throw new ImageException($"{what} is not a sha256 digest (\"sha256:\" and 64 lowercase hex digits): \"{text}\".");
    }

    public static bool TryParse(string? text, out Digest digest)
    {
        digest = default;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length != Prefix.Length + 64)
            return false;
        foreach (char c in text.AsSpan(Prefix.Length))
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
                return false;
        digest = new Digest(text[Prefix.Length..]);
        return true;
    }

    /// <summary>The digest of a document held in memory (a manifest, a config, an index): with berth's own SHA-256
    /// (Berth.Spec.Digest), so that reading an image's config at create does not load OpenSSL (~2 ms a start).
    /// Streams (layers, trees) keep .NET's IncrementalHash, whose hardware SHA-256 pays off on large inputs.</summary>
    public static Digest Of(ReadOnlySpan<byte> content) => new(Convert.ToHexStringLower(Berth.Spec.Digest.Sha256(content)));

    public static Digest FromHash(IncrementalHash hash) => new(Convert.ToHexStringLower(hash.GetHashAndReset()));
}
