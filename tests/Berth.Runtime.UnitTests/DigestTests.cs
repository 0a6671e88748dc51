using System.Security.Cryptography;

namespace Berth.Runtime.UnitTests;

/// <summary>berth's own SHA-256 (it keeps OpenSSL off the start path) must agree with the platform's.</summary>
public class DigestTests
{
    [Fact]
    public void Sha256_agrees_with_the_platform_at_every_padding_boundary()
    {
        var random = new Random(20261130);
        foreach (int length in Enumerable.Range(0, 200).Concat([447, 448, 511, 512, 4096, 65537]))
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(SHA256.HashData(data), Berth.Spec.Digest.Sha256(data));
        }
        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Berth.Spec.Digest.Sha256Text("abc"u8));
    }
}
