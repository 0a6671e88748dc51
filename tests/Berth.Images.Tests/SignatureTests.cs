using System.Security.Cryptography;
using System.Text;

namespace Berth.Images.Tests;

/// <summary>Signatures against openssl in both directions (cosign's sign-blob format: ECDSA P-256, SHA-256, base64
/// of the DER signature), and every refusal with its reason.</summary>
public class SignatureTests
{
    private sealed class Keys : IDisposable
    {
        public readonly TemporaryDirectory Directory = Commands.Temporary("keys");

        public Keys()
        {
            // SEC1 ("EC PRIVATE KEY") from ecparam, its PKCS#8 form, and the SPKI public key.
            Commands.Succeed("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", this["sec1.pem"]);
            Commands.Succeed("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", this["sec1.pem"], "-out", this["pkcs8.pem"]);
            Commands.Succeed("openssl", "pkey", "-in", this["sec1.pem"], "-pubout", "-out", this["pub.pem"]);
            File.WriteAllText(this["file.yaml"], "process:\n  args: [/bin/true]\n");
        }

        public string this[string name] => Directory[name];

        public string Text(string name) => File.ReadAllText(this[name]);

        public void Dispose() => Directory.Dispose();
    }

    private static string? Unavailable => Commands.Missing("openssl", "base64");

    [SkippableFact]
    public void A_signature_openssl_made_verifies()
    {
        Skip.If(Unavailable is not null, Unavailable);
        using var keys = new Keys();
        Commands.Succeed("sh", "-c", $"openssl dgst -sha256 -sign {keys["sec1.pem"]} {keys["file.yaml"]} | base64 -w0 > {keys["file.sig"]}");
        var check = BlobSignature.Verify(keys.Text("pub.pem"), keys.Text("file.sig"), File.ReadAllBytes(keys["file.yaml"]));
        Assert.True(check.Valid, check.Reason);
        Assert.Equal(BlobSignature.Fingerprint(keys.Text("pub.pem")), check.KeyFingerprint);
        Assert.Contains(check.KeyFingerprint, check.Reason);
    }

    [SkippableTheory]
    [InlineData("sec1.pem")]
    [InlineData("pkcs8.pem")]
    public void A_signature_berth_made_verifies_with_openssl(string privateKey)
    {
        Skip.If(Unavailable is not null, Unavailable);
        using var keys = new Keys();
        string signature = BlobSignature.Sign(keys.Text(privateKey), File.ReadAllBytes(keys["file.yaml"]));
        File.WriteAllBytes(keys["file.der"], Convert.FromBase64String(signature));
        string verified = Commands.Succeed("openssl", "dgst", "-sha256", "-verify", keys["pub.pem"], "-signature", keys["file.der"], keys["file.yaml"]);
        Assert.Equal("Verified OK", verified.Trim());
        Assert.True(BlobSignature.Verify(keys.Text("pub.pem"), signature, File.ReadAllBytes(keys["file.yaml"])).Valid);
    }

    [SkippableFact]
    public void A_signature_file_of_several_parties_verifies_with_each_key_and_an_empty_one_with_none()
    {
        Skip.If(Unavailable is not null, Unavailable);
        using var keys = new Keys();
        using var other = new Keys();
        byte[] content = File.ReadAllBytes(keys["file.yaml"]);
        string both = BlobSignature.Sign(other.Text("sec1.pem"), content) + "\n" + BlobSignature.Sign(keys.Text("sec1.pem"), content) + "\n";
        Assert.True(BlobSignature.VerifyAny(keys.Text("pub.pem"), both, content).Valid);
        Assert.True(BlobSignature.VerifyAny(other.Text("pub.pem"), both, content).Valid);
        var onlyOther = BlobSignature.VerifyAny(keys.Text("pub.pem"), BlobSignature.Sign(other.Text("sec1.pem"), content), content);
        Assert.False(onlyOther.Valid);
        Assert.Contains("does not match", onlyOther.Reason);
        var empty = BlobSignature.VerifyAny(keys.Text("pub.pem"), "\n\n", content);
        Assert.False(empty.Valid);
        Assert.Equal("the signature file holds no signature.", empty.Reason);
    }

    [SkippableFact]
    public void The_wrong_key_an_altered_file_and_a_garbage_signature_are_refused_with_a_reason()
    {
        Skip.If(Unavailable is not null, Unavailable);
        using var keys = new Keys();
        using var other = new Keys();
        byte[] file = File.ReadAllBytes(keys["file.yaml"]);
        string signature = BlobSignature.Sign(keys.Text("sec1.pem"), file);

        var wrongKey = BlobSignature.Verify(other.Text("pub.pem"), signature, file);
        Assert.False(wrongKey.Valid);
        Assert.Contains("signed by another key than " + BlobSignature.Fingerprint(other.Text("pub.pem")), wrongKey.Reason);

        byte[] altered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(file).Replace("true", "false"));
        Assert.False(BlobSignature.Verify(keys.Text("pub.pem"), signature, altered).Valid);

        var notBase64 = BlobSignature.Verify(keys.Text("pub.pem"), "not a signature!", file);
        Assert.False(notBase64.Valid);
        Assert.Contains("not base64", notBase64.Reason);

        var junk = BlobSignature.Verify(keys.Text("pub.pem"), Convert.ToBase64String(RandomNumberGenerator.GetBytes(70)), file);
        Assert.False(junk.Valid);
        Assert.False(BlobSignature.Verify(keys.Text("pub.pem"), "", file).Valid);
    }

    [SkippableFact]
    public void The_fingerprint_is_the_sha256_of_the_public_key_der_and_names_both_halves()
    {
        Skip.If(Unavailable is not null, Unavailable);
        using var keys = new Keys();
        Commands.Succeed("openssl", "pkey", "-pubin", "-in", keys["pub.pem"], "-outform", "DER", "-out", keys["pub.der"]);
        string expected = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(keys["pub.der"])));
        Assert.Equal(expected, BlobSignature.Fingerprint(keys.Text("pub.pem")));
        Assert.Equal(expected, BlobSignature.Fingerprint(keys.Text("sec1.pem")));
        Assert.Equal(expected, BlobSignature.Fingerprint(keys.Text("pkcs8.pem")));
    }

    [Fact]
    public void An_encrypted_cosign_key_is_refused_with_what_to_do_instead()
    {
        const string cosignKey = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
        var error = Assert.Throws<ImageException>(() => BlobSignature.Sign(cosignKey, "x"u8));
        Assert.Contains("without its password", error.Message);
        Assert.Contains("export it unencrypted", error.Message);
        Assert.Contains("sign with cosign", error.Message);
    }

    [SkippableFact]
    public void Keys_berth_cannot_use_are_refused_with_a_sentence()
    {
        Skip.If(Unavailable is not null, Unavailable);
        using var keys = new Keys();
        Assert.Contains("signing needs the private key", Assert.Throws<ImageException>(() => BlobSignature.Sign(keys.Text("pub.pem"), "x"u8)).Message);
        Assert.Contains("not a PEM file", Assert.Throws<ImageException>(() => BlobSignature.Sign("hello", "x"u8)).Message);
        Commands.Succeed("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", keys["rsa.pem"]);
        Assert.Contains("not an ECDSA P-256 key", Assert.Throws<ImageException>(() => BlobSignature.Sign(keys.Text("rsa.pem"), "x"u8)).Message);
        Commands.Succeed("openssl", "ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", keys["p384.pem"]);
        Assert.Contains("P-256", Assert.Throws<ImageException>(() => BlobSignature.Sign(keys.Text("p384.pem"), "x"u8)).Message);
    }
}
