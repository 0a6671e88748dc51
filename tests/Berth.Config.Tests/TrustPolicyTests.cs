namespace Berth.Config.Tests;

/// <summary>The host's trust policy as the front-end reads it: only from host files, taken out of the config, every
/// malformed part an error at its location.</summary>
public class TrustPolicyTests
{
    private const string Author = "ociVersion: 1.3.0\nroot: {path: rootfs}\nprocess: {args: [sh], cwd: /}\n";
    private const string Image = "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    private static CompileResult Compile(string author, params string[] hosts)
    {
        var files = new List<ConfigFile> { Support.MakeFile("/b/author.yaml", author) };
        files.AddRange(hosts.Select((h, i) => Support.MakeFile($"/etc/berth/host{i}.yaml", h)));
        return ConfigCompiler.Compile(files);
    }

    private static List<string> Errors(CompileResult r) => r.Diagnostics.Where(d => d.Severity == Severity.Error).Select(d => d.ToString()).ToList();

    [Fact]
    public void Host_files_add_up_keys_resolve_against_their_file_and_the_policy_is_not_in_the_config()
    {
        var r = Compile(Author,
            "trust:\n  config: [keys/a.pub]\n  rootfs: [/k/b.pub]\n",
            $"trust:\n  config: [keys/a.pub, c.pub]\n  images:\n    \"{Image}\": {{rootfs: [vendor.pub]}}\n");
        Assert.True(r.Success, Support.Errors(r));
        Assert.DoesNotContain("trust", Support.Json(r).AsObject().Select(m => m.Key));
        var (config, rootfs) = r.Trust.For(null);
        Assert.Equal(["/etc/berth/keys/a.pub", "/etc/berth/c.pub"], config.Select(k => k.Path));
        Assert.Equal(["/k/b.pub"], rootfs.Select(k => k.Path));
        Assert.Equal("/etc/berth/host0.yaml:3:12", rootfs[0].Location.ToString());
        var (_, imageRoot) = r.Trust.For(Image);
        Assert.Equal(["/k/b.pub", "/etc/berth/vendor.pub"], imageRoot.Select(k => k.Path));
    }

    [Fact]
    public void An_authors_trust_policy_is_an_error_at_its_key()
    {
        var r = Compile(Author + "trust:\n  config: [a.pub]\n");
        Assert.Equal(["/b/author.yaml:4:1: error BERTH0701: trust: only a host file may declare a trust policy: the author's file is what the policy checks"], Errors(r));
        Assert.True(r.Trust.IsEmpty);
    }

    [Theory]
    [InlineData("trust: [a.pub]\n", "/etc/berth/host0.yaml:1:8: error BERTH0702: trust: must be a mapping with config, rootfs and images")]
    [InlineData("trust:\n  config: a.pub\n", "/etc/berth/host0.yaml:2:11: error BERTH0702: trust.config: must be a list of public key files (PEM)")]
    [InlineData("trust:\n  rootfs: [\"\"]\n", "/etc/berth/host0.yaml:2:12: error BERTH0702: trust.rootfs[0]: must be the path of a public key file (PEM), absolute or relative to this host file")]
    [InlineData("trust:\n  signers: [a.pub]\n", "/etc/berth/host0.yaml:2:3: error BERTH0702: trust.signers: unknown member: a trust policy has config, rootfs and images")]
    [InlineData("trust:\n  images:\n    app: {rootfs: [a.pub]}\n", "/etc/berth/host0.yaml:3:5: error BERTH0702: trust.images[\"app\"]: an image is named by its manifest digest, \"sha256:\" and 64 lowercase hex digits")]
    public void A_malformed_policy_is_an_error_naming_the_member(string host, string expected)
    {
        var r = Compile(Author, host);
        Assert.Equal([expected], Errors(r));
    }
}
