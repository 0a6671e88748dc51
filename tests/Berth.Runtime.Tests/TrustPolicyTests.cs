namespace Berth.Runtime.Tests;

/// <summary>
/// The host's trust policy (issue 13): a host file names the keys that must have signed the author's config and the
/// root's digest; create runs what is signed as asked and refuses anything else before making anything. Keys and
/// signatures are made by openssl here, as cosign's format (ECDSA P-256 over SHA-256, base64 DER).
/// </summary>
public class TrustPolicyTests
{
    private static string? LacksOpenssl => HostSupport.LacksProgram("openssl", "openssl");

    /// <summary>A bundle with an author's config.json (root.path pinned by root.digest), two key pairs — A for the
    /// config, B for the rootfs — and a host file whose policy asks for both.</summary>
    private sealed class Signed
    {
        public required string Bundle { get; init; }
        public required string Config { get; init; }
        public required string Host { get; init; }
        public required string Keys { get; init; }
    }

    private static void Tool(string directory, params string[] args)
    {
        var r = Harness.Exec(args[0], args[1..], workingDirectory: directory);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    /// <summary>openssl's signature of a file, base64 on one line: what cosign sign-blob writes.</summary>
    private static string OpensslSignature(string keys, string key, string file)
    {
        var r = Harness.Exec("sh", ["-c", $"openssl dgst -sha256 -sign {key} '{file}' | base64 -w0"], workingDirectory: keys);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Trim();
    }

    private static Signed NewBundle(string policy)
    {
        HostSupport.SkipIfLacking(HostSupport.LacksRoot); // the containers run as root
        string keys = Directory.CreateTempSubdirectory("berth-trust-keys").FullName;
        foreach (string name in new[] { "a", "b", "c" })
        {
            Tool(keys, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + ".pem");
            Tool(keys, "openssl", "ec", "-in", name + ".pem", "-pubout", "-out", name + ".pub");
        }
        var digest = Harness.Run("digest", Harness.Rootfs);
        Assert.True(digest.ExitCode == 0, digest.ToString());
        var config = Harness.BaseConfig("echo", "signed and running");
        config["root"] = new JsonObject { ["path"] = Harness.Rootfs, ["digest"] = digest.Stdout.Trim() };
        string bundle = Harness.Bundle(config);
        string host = Path.Combine(keys, "host.yaml");
        File.WriteAllText(host, policy);
        File.WriteAllText(Path.Combine(keys, "root.digest"), digest.Stdout.Trim() + "\n");
        return new Signed { Bundle = bundle, Config = Path.Combine(bundle, "config.json"), Host = host, Keys = keys };
    }

    private const string BothPolicy = "trust:\n  config: [a.pub]\n  rootfs: [b.pub]\n";

    private static void SignConfig(Signed s, string key) =>
        Assert.Equal(0, Harness.Run("sign", "--key", Path.Combine(s.Keys, key + ".pem"), "--output", s.Config + ".sig", s.Config).ExitCode);

    private static void SignRoot(Signed s, string key) =>
        File.WriteAllText(Path.Combine(s.Bundle, "rootfs.sig"), OpensslSignature(s.Keys, key + ".pem", Path.Combine(s.Keys, "root.digest")) + "\n");

    private static string Fingerprint(Signed s, string key)
    {
        // berth verify names the key it checked with: the same fingerprint the state records.
        File.WriteAllText(Path.Combine(s.Keys, "probe"), "probe");
        Assert.Equal(0, Harness.Run("sign", "--key", Path.Combine(s.Keys, key + ".pem"), Path.Combine(s.Keys, "probe")).ExitCode);
        var v = Harness.Run("verify", "--key", Path.Combine(s.Keys, key + ".pub"), "--signature", Path.Combine(s.Keys, "probe.sig"), Path.Combine(s.Keys, "probe"));
        Assert.True(v.ExitCode == 0, v.ToString());
        return System.Text.RegularExpressions.Regex.Match(v.Stdout, "sha256:[0-9a-f]{64}").Value;
    }

    [SkippableFact]
    public void A_config_signed_by_A_and_a_rootfs_signed_by_B_run_and_state_and_diff_show_who_signed_what()
    {
        HostSupport.SkipIfLacking(LacksOpenssl);
        var s = NewBundle(BothPolicy);
        SignConfig(s, "a");
        SignRoot(s, "b");
        string id = Harness.NewId("trust-ok");
        var r = Harness.Run("run", "--keep", "--bundle", s.Bundle, "--host", s.Host, id);
        try
        {
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("signed and running\n", r.Stdout);
            var state = JsonNode.Parse(Harness.Run("state", id).Stdout)!;
            var verified = state["verified"]!.AsArray();
            Assert.Equal(2, verified.Count);
            Assert.Equal("config", (string?)verified[0]!["what"]);
            Assert.Equal(s.Config, (string?)verified[0]!["subject"]);
            Assert.Equal(Fingerprint(s, "a"), (string?)verified[0]!["key"]);
            Assert.Equal("rootfs", (string?)verified[1]!["what"]);
            Assert.Equal(Fingerprint(s, "b"), (string?)verified[1]!["key"]);

            var diff = Harness.Run("diff", id);
            Assert.True(diff.ExitCode == 0, diff.ToString());
            Assert.Contains($"verified: config {s.Config} (sha256:", diff.Stdout);
            Assert.Contains($"signed by key {Fingerprint(s, "b")} ({Path.Combine(s.Keys, "b.pub")})", diff.Stdout);
            var json = JsonNode.Parse(Harness.Run("diff", "--format", "json", id).Stdout)!;
            Assert.Equal(2, json["verified"]!.AsArray().Count);
            Assert.NotNull(json["sources"]);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
        Harness.AssertNothingLeft(id);
    }

    [SkippableTheory]
    [InlineData("no config signature", "config is not signed")]
    [InlineData("config signed by another key", "config by the wrong key")]
    [InlineData("no rootfs signature", "rootfs is not signed")]
    [InlineData("rootfs signed by another key", "rootfs by the wrong key")]
    [InlineData("config changed after signing", "config changed")]
    public void Anything_unsigned_or_signed_by_another_key_is_refused_and_nothing_is_left(string _, string situation)
    {
        HostSupport.SkipIfLacking(LacksOpenssl);
        var s = NewBundle(BothPolicy);
        SignConfig(s, situation == "config by the wrong key" ? "c" : "a");
        SignRoot(s, situation == "rootfs by the wrong key" ? "c" : "b");
        if (situation == "config is not signed")
            File.Delete(s.Config + ".sig");
        if (situation == "rootfs is not signed")
            File.Delete(Path.Combine(s.Bundle, "rootfs.sig"));
        if (situation == "config changed")
            File.WriteAllText(s.Config, File.ReadAllText(s.Config).Replace("signed and running", "changed after signing"));
        string id = Harness.NewId("trust-no");
        var r = Harness.Run("run", "--bundle", s.Bundle, "--host", s.Host, id);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("the trust policy (" + s.Host + ":", r.Stderr);
        string what = situation.StartsWith("config", StringComparison.Ordinal) ? $"the config {s.Config}" : "the rootfs sha256:";
        Assert.Contains($"requires {what}", r.Stderr);
        Assert.Contains(situation.EndsWith("not signed", StringComparison.Ordinal) ? "it is not signed" : "holds no signature by that key", r.Stderr);
        Assert.DoesNotContain("signed and running", r.Stdout);
        Harness.AssertNothingLeft(id);
    }

    [SkippableFact]
    public void A_rootfs_policy_needs_a_root_named_by_digest()
    {
        HostSupport.SkipIfLacking(LacksOpenssl);
        var s = NewBundle("trust:\n  rootfs: [b.pub]\n");
        var config = JsonNode.Parse(File.ReadAllText(s.Config))!.AsObject();
        config["root"]!.AsObject().Remove("digest");
        File.WriteAllText(s.Config, config.ToJsonString());
        string id = Harness.NewId("trust-nodigest");
        var r = Harness.Run("run", "--bundle", s.Bundle, "--host", s.Host, id);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("the root must be named by digest: root.image, root.layers, or root.path with root.digest", r.Stderr);
        Harness.AssertNothingLeft(id);
    }

    [SkippableFact]
    public void Only_a_host_file_may_declare_a_trust_policy()
    {
        HostSupport.SkipIfLacking(LacksOpenssl);
        var s = NewBundle("hostname: h\n");
        string yaml = Path.Combine(s.Bundle, "config.yaml");
        File.WriteAllText(yaml, $"ociVersion: 1.3.0\nroot: {{path: {Harness.Rootfs}}}\nprocess: {{args: [true], cwd: /}}\ntrust:\n  config: [{s.Keys}/a.pub]\n");
        File.Delete(s.Config);
        string id = Harness.NewId("trust-author");
        var r = Harness.Run("run", "--bundle", s.Bundle, id);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains($"{yaml}:4:1: error BERTH0701: trust: only a host file may declare a trust policy", r.Stderr);
        Harness.AssertNothingLeft(id);
    }
}
