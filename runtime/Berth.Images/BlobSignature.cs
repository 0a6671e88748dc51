using System.Security.Cryptography;

namespace Berth.Images;

/// <summary>The answer of <see cref="BlobSignature.Verify"/>: valid or not, the reason in a sentence, and the
/// fingerprint of the key that was asked (to name it in messages and in the state directory).</summary>
public readonly record struct SignatureCheck(bool Valid, string Reason, string KeyFingerprint);

/// <summary>
/// Detached signatures that interoperate with <c>cosign sign-blob --key</c> / <c>cosign verify-blob --key</c> and
/// <c>openssl dgst -sha256 -sign</c>: ECDSA on P-256 over the SHA-256 of the file, the signature the ASN.1 DER
/// sequence (r, s) written in base64; keys in PEM (PKCS#8 "PRIVATE KEY", SEC1 "EC PRIVATE KEY", SPKI "PUBLIC KEY").
/// Only .NET's own cryptography is used.
/// </summary>
public static class BlobSignature
{
    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>Signs <paramref name="content"/>; returns the base64 signature (what cosign writes to --output-signature).</summary>
    public static string Sign(string privateKeyPem, ReadOnlySpan<byte> content)
    {
        using var key = LoadKey(privateKeyPem, needPrivate: true);
        return Convert.ToBase64String(key.SignData(content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    /// <summary>Checks a base64 signature of <paramref name="content"/> against a public (or private) key.</summary>
    public static SignatureCheck Verify(string publicKeyPem, string base64Signature, ReadOnlySpan<byte> content)
    {
        using var key = LoadKey(publicKeyPem, needPrivate: false);
        string fingerprint = Fingerprint(key);
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(base64Signature.Trim());
        }
        catch (FormatException)
        {
            return new SignatureCheck(false, "the signature is not base64 (cosign and `openssl dgst -sign | base64` write base64).", fingerprint);
        }
        bool valid;
        try
        {
            valid = key.VerifyData(content, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            valid = false;
        }
        return valid
            ? new SignatureCheck(true, $"signed by the key {fingerprint}.", fingerprint)
            : new SignatureCheck(false, signature.Length > 0 && signature[0] == 0x30
                ? $"the signature does not match: the file was changed, or it was signed by another key than {fingerprint}."
                : $"the signature is not an ECDSA DER signature (it does not match the key {fingerprint}).", fingerprint);
    }

    /// <summary>
    /// Checks a signature file's text: one base64 signature a line (what `berth sign` and `cosign sign-blob` write; the
    /// signatures of several parties over one file are lines of one file). Valid when any line verifies with the key;
    /// otherwise the first line's reason, or that there is no signature at all.
    /// </summary>
    public static SignatureCheck VerifyAny(string publicKeyPem, string signatureFileText, ReadOnlySpan<byte> content)
    {
        SignatureCheck? first = null;
        foreach (string line in signatureFileText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var check = Verify(publicKeyPem, line, content);
            if (check.Valid)
                return check;
            first ??= check;
        }
        return first ?? new SignatureCheck(false, "the signature file holds no signature.", Fingerprint(publicKeyPem));
    }

    /// <summary>The key's name: "sha256:" and the SHA-256 of its public key's SubjectPublicKeyInfo DER, in hex (the
    /// same for the private key and its public half).</summary>
    public static string Fingerprint(string keyPem)
    {
        using var key = LoadKey(keyPem, needPrivate: false);
        return Fingerprint(key);
    }

    private static string Fingerprint(ECDsa key) => Digest.Of(key.ExportSubjectPublicKeyInfo()).ToString();

    private static ECDsa LoadKey(string pem, bool needPrivate)
    {
        if (!PemEncoding.TryFind(pem, out var fields))
            throw new ImageException("the key is not a PEM file (-----BEGIN …----- … -----END …-----).");
        string label = pem[fields.Label];
        if (label.StartsWith("ENCRYPTED", StringComparison.Ordinal))
            throw new ImageException(label.Contains("SIGSTORE") || label.Contains("COSIGN")
                ? $"the key is cosign's encrypted private key (\"{label}\"), which berth cannot read without its password: export it unencrypted (a PKCS#8 \"PRIVATE KEY\" PEM), or sign with cosign (cosign sign-blob --key) and verify with berth."
                : $"the key is an encrypted private key (\"{label}\"): decrypt it first (openssl pkey -in KEY -out PLAIN).");
        if (needPrivate && label == "PUBLIC KEY")
            throw new ImageException("the key is a public key; signing needs the private key (\"PRIVATE KEY\" or \"EC PRIVATE KEY\").");
        if (label is not ("PUBLIC KEY" or "PRIVATE KEY" or "EC PRIVATE KEY"))
            throw new ImageException($"the key's PEM label is \"{label}\"; berth reads \"PUBLIC KEY\", \"PRIVATE KEY\" and \"EC PRIVATE KEY\".");
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            var curve = key.ExportParameters(false).Curve;
            if (curve.Oid?.Value != P256Oid && curve.Oid?.FriendlyName is not ("nistP256" or "ECDSA_P256"))
                throw new ImageException($"the key is on the curve {curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "?"}; cosign's keys (and berth's) are ECDSA P-256 (prime256v1).");
            return key;
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new ImageException($"the key is not an ECDSA P-256 key berth can read ({label}): {e.Message}", e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
