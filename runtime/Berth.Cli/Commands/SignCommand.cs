using Berth.Cli.Parsing;
using Berth.Images;

namespace Berth.Cli.Commands;

/// <summary>`berth sign --key KEY [--output SIG] FILE`: a detached signature as cosign sign-blob writes it (ECDSA P-256
/// over SHA-256, base64 DER; <see cref="BlobSignature.Sign"/>), into FILE.sig unless --output says where.</summary>
public static class SignCommand
{
    public static readonly CommandDefinition Definition = new("sign", "--key KEY FILE",
        "berth's own: sign a file (a config, a digest) with an ECDSA P-256 key; the signature is cosign's (sign-blob)",
    [
        Flag.Value("key", "the private key, PEM: \"PRIVATE KEY\" (PKCS#8) or \"EC PRIVATE KEY\" (SEC1), as openssl writes them"),
        Flag.Value("output", "where the base64 signature goes, - for standard output (default: FILE.sig)", "output-signature"),
    ], Run)
    { FromRunc = false };

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        string? output = a.Value("output");
        string key = a.Value("key") ?? throw SignatureFiles.Missing("key", "the private key to sign with");
        string file = a.Single("file to sign");
        byte[] content = SignatureFiles.Read(file, null);
        var (signature, fingerprint) = SignatureFiles.WithKey(key, pem => (BlobSignature.Sign(pem, content), BlobSignature.Fingerprint(pem)));
        if (output == "-")
        {
            StandardStreams.WriteLine(signature);
            return 0;
        }
        output ??= file + ".sig";
        SignatureFiles.Write(output, signature);
        StandardStreams.WriteLine($"{output}: signed {file} with the key {fingerprint}");
        return 0;
    }
}
