using System.Text;
using Berth.Cli.Parsing;
using Berth.Images;
using Berth.Runtime;

namespace Berth.Cli.Commands;

/// <summary>`berth verify --key PUB --signature SIG FILE`: checks a detached signature made by berth sign, cosign
/// sign-blob or openssl dgst -sha256 -sign (<see cref="BlobSignature.VerifyAny"/>: one signature a line, any of them by
/// the key); exit 0, or 1 with the reason.</summary>
public static class VerifyCommand
{
    public static readonly CommandDefinition Definition = new("verify", "--key PUB --signature SIG FILE",
        "berth's own: check a file's detached signature (berth sign, cosign sign-blob, openssl dgst -sha256 -sign | base64)",
    [
        Flag.Value("key", "the public key, PEM \"PUBLIC KEY\" (cosign.pub, openssl ec -pubout); a private key is read for its public half"),
        Flag.Value("signature", "the file holding the base64 signature"),
    ], Run)
    { FromRunc = false };

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        string? key = a.Value("key"), signature = a.Value("signature");
        if (key is null || signature is null)
            throw key is null ? SignatureFiles.Missing("key", "the public key to check with") : SignatureFiles.Missing("signature", "the signature file");
        string file = a.Single("file to verify");
        string signatureText = Encoding.ASCII.GetString(SignatureFiles.Read(signature, "signature"));
        byte[] content = SignatureFiles.Read(file, null);
        var check = SignatureFiles.WithKey(key, pem => BlobSignature.VerifyAny(pem, signatureText, content));
        if (!check.Valid)
            throw new BerthException($"{file}: {check.Reason}");
        StandardStreams.WriteLine($"verified: signed by key {check.KeyFingerprint}");
        return 0;
    }
}
