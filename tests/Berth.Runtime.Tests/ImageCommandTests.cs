using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Berth.Images;

namespace Berth.Runtime.Tests;

/// <summary>
/// The commands of issue 13 through the published binary: `image import/ls/rm/verify` on a real OCI layout built
/// offline from the tests' busybox rootfs with umoci, `digest`, and `sign`/`verify` with keys and signatures made by
/// openssl. Each test has a store of its own (--store) so that none sees another's images.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ImageCommandTests
{
    private static readonly Lazy<string> LayoutLazy = new(BuildLayout);

    /// <summary>An OCI layout (umoci's gzip layers) with "base" (the busybox rootfs, one layer) and "more" (base and a
    /// second layer holding /extra.txt): the two share their first layer.</summary>
    private static string Layout => LayoutLazy.Value;

    private static string? LacksLayoutTools =>
        HostSupport.LacksProgram("umoci", "umoci") ?? (HostSupport.IsRoot ? null : "building the layout keeps the rootfs's owners, which needs root");

    private static string? LacksOpenssl => HostSupport.LacksProgram("openssl", "openssl");

    private static string BuildLayout()
    {
        string directory = Path.Combine(Harness.WorkDir, Harness.NewId("layout-build"));
        Directory.CreateDirectory(directory);
        string layout = Path.Combine(directory, "oci");
        string bundle = Path.Combine(directory, "bundle");
        string extra = Path.Combine(directory, "extra.txt");
        File.WriteAllText(extra, "only in more\n");
        Tool(directory, "umoci", "init", "--layout", layout);
        Tool(directory, "umoci", "new", "--image", layout + ":base");
        Tool(directory, "umoci", "unpack", "--image", layout + ":base", bundle);
        Tool(directory, "cp", "-a", Harness.Rootfs + "/.", Path.Combine(bundle, "rootfs"));
        Tool(directory, "umoci", "repack", "--image", layout + ":base", bundle);
        Tool(directory, "umoci", "insert", "--image", layout + ":base", "--tag", "more", extra, "/extra.txt");
        return layout;
    }

    private static string Tool(string directory, string program, params string[] args)
    {
        var r = Harness.Exec(program, args, timeoutMs: 180_000, workingDirectory: directory);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', args)}: {r}");
        return r.Stdout;
    }

    private static string NewStore() => Path.Combine(Harness.WorkDir, Harness.NewId("store"));

    private static BerthResult Berth(string store, params string[] args) => Harness.Run(["--store", store, .. args]);

    private static string Import(string store, string reference)
    {
        var r = Berth(store, "image", "import", reference);
        Assert.True(r.ExitCode == 0, r.ToString());
        string digest = r.Stdout.Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", digest);
        return digest;
    }

    /// <summary>The command failed with <paramref name="exitCode"/> and said <paramref name="says"/> on stderr.</summary>
    private static void AssertFails(BerthResult r, int exitCode, string says)
    {
        Assert.True(r.ExitCode == exitCode, r.ToString());
        Assert.Contains(says, r.Stderr);
    }

    private static string[] Listed(string store)
    {
        var r = Berth(store, "image", "ls", "--quiet");
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string[] StoredLayers(string store) => Directory.GetDirectories(Path.Combine(store, "layers"));

    /// <summary>The digest of the first layer of the manifest <paramref name="tag"/> names, read from the layout.</summary>
    private static string FirstLayerOf(string layout, string tag)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        string manifest = index.RootElement.GetProperty("manifests").EnumerateArray()
            .Single(m => m.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString() == tag)
            .GetProperty("digest").GetString()!;
        using var document = JsonDocument.Parse(File.ReadAllBytes(BlobPath(layout, manifest)));
        return document.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
    }

    private static string BlobPath(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);

    [SkippableFact]
    public void Import_lists_and_removes_an_image()
    {
        HostSupport.SkipIfLacking(LacksLayoutTools);
        string store = NewStore();
        string digest = Import(store, Layout + ":base");

        var table = Berth(store, "image", "ls");
        Assert.True(table.ExitCode == 0, table.ToString());
        string[] lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("IMAGE ID", lines[0]);
        Assert.Matches($"^{digest[7..19]} +base +1 +", lines[1]);

        var json = Berth(store, "image", "ls", "--format", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using (var list = JsonDocument.Parse(json.Stdout))
        {
            var image = Assert.Single(list.RootElement.EnumerateArray());
            Assert.Equal(digest, image.GetProperty("digest").GetString());
            Assert.Equal(["base"], image.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal(FirstLayerOf(Layout, "base"), image.GetProperty("layers")[0].GetProperty("digest").GetString());
        }

        var removed = Berth(store, "image", "rm", "base");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Equal(digest, removed.Stdout.Trim());
        Assert.Empty(Listed(store));
        Assert.Empty(StoredLayers(store));

        var again = Berth(store, "image", "rm", "base");
        AssertFails(again, 1, "image rm: the store");
        Assert.Contains("has no image \"base\"", again.Stderr);
    }

    [SkippableFact]
    public void Importing_twice_stores_each_layer_once()
    {
        HostSupport.SkipIfLacking(LacksLayoutTools);
        string store = NewStore();
        string base1 = Import(store, Layout + ":base");
        string more = Import(store, Layout + ":more");
        Assert.Equal(more, Import(store, Layout + ":more"));
        Assert.Equal(base1, Import(store, Layout + ":base"));
        Assert.Equal([base1, more], Listed(store));
        Assert.Equal(2, StoredLayers(store).Length);

        // The shared layer stays while "more" still has it.
        Assert.Equal(0, Berth(store, "image", "rm", base1).ExitCode);
        Assert.Equal(2, StoredLayers(store).Length);
        Assert.Equal(0, Berth(store, "image", "verify").ExitCode);
        Assert.Equal(0, Berth(store, "image", "rm", more[..19]).ExitCode); // a prefix of 12 hex digits
        Assert.Empty(StoredLayers(store));
    }

    /// <summary>Early in the gzip blob the tar or the deflate stream breaks; late, inside busybox's bytes, only gzip's
    /// CRC at the end tells.</summary>
    [SkippableTheory]
    [InlineData(10)]
    [InlineData(90)]
    public void A_blob_altered_in_the_layout_is_refused_naming_its_digest_and_nothing_is_stored(int percent)
    {
        HostSupport.SkipIfLacking(LacksLayoutTools);
        string copy = Path.Combine(Harness.WorkDir, Harness.NewId("tampered-layout"));
        Tool(Harness.WorkDir, "cp", "-a", Layout, copy);
        string layer = FirstLayerOf(copy, "base");
        string blob = BlobPath(copy, layer);
        byte[] bytes = File.ReadAllBytes(blob);
        bytes[bytes.Length / 100 * percent] ^= 0x55;
        File.WriteAllBytes(blob, bytes);

        string store = NewStore();
        var r = Berth(store, "image", "import", copy + ":base");
        AssertFails(r, 1, "image import: ");
        Assert.Contains(layer, r.Stderr);
        Assert.Equal("", r.Stdout);
        Assert.Empty(Listed(store));
        Assert.Empty(StoredLayers(store));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store, "tmp")));
    }

    [SkippableFact]
    public void A_file_changed_in_the_store_is_named_by_image_verify()
    {
        HostSupport.SkipIfLacking(LacksLayoutTools);
        string store = NewStore();
        Import(store, Layout + ":base");
        var clean = Berth(store, "image", "verify");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Contains("verified (1 image(s), 1 layer(s))", clean.Stdout);

        string passwd = Path.Combine(Assert.Single(StoredLayers(store)), "rootfs", "etc", "passwd");
        File.AppendAllText(passwd, "intruder:x:0:0::/:/bin/sh\n");
        var r = Berth(store, "image", "verify");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("etc/passwd has changed", r.Stdout);
        Assert.Contains("1 problem(s)", r.Stdout);
    }

    /// <summary>A container "uses" an image when the config recorded in its state directory names the image or one of
    /// its layers as root.image / root.layers; the record is written by hand here, as create writes config.json.</summary>
    [SkippableFact]
    public void Image_rm_refuses_while_a_container_of_the_state_root_uses_the_image_or_one_of_its_layers()
    {
        HostSupport.SkipIfLacking(LacksLayoutTools);
        string store = NewStore();
        string stateRoot = Path.Combine(Harness.WorkDir, Harness.NewId("image-users"));
        string baseDigest = Import(store, Layout + ":base");
        string more = Import(store, Layout + ":more");
        string id = Harness.NewId("uses-image");
        string container = Path.Combine(stateRoot, id);
        Directory.CreateDirectory(container);
        BerthResult Remove(string image) => Harness.Exec(Harness.Berth, ["--root", stateRoot, "--store", store, "image", "rm", image]);

        File.WriteAllText(Path.Combine(container, "config.json"), RecordedConfig(new JsonObject { ["image"] = more }));
        var refused = Remove("more");
        AssertFails(refused, 1, $"image rm: the image {more} is used by the container \"{id}\"");
        Assert.Equal([baseDigest, more], Listed(store));

        // By a layer (the blob digest the manifest names): the image that has it is in use too.
        File.WriteAllText(Path.Combine(container, "config.json"), RecordedConfig(new JsonObject { ["layers"] = new JsonArray(FirstLayerOf(Layout, "base")) }));
        refused = Remove(baseDigest);
        AssertFails(refused, 1, $"is used by the container \"{id}\"");

        Directory.Delete(container, recursive: true);
        var removed = Remove(baseDigest);
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Equal([more], Listed(store));
    }

    private static string RecordedConfig(JsonObject root) => new JsonObject { ["ociVersion"] = "1.3.0", ["root"] = root }.ToJsonString();

    [SkippableFact]
    public void Digest_prints_the_tree_digest_and_changes_with_a_mode()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksRoot);
        string copy = Path.Combine(Harness.WorkDir, Harness.NewId("digest"));
        Tool(Harness.WorkDir, "cp", "-a", Harness.Rootfs, copy);
        var r = Harness.Run("digest", copy);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(TreeDigest.Compute(copy).ToString() + "\n", r.Stdout);
        Assert.StartsWith("sha256:", r.Stdout);

        File.SetUnixFileMode(Path.Combine(copy, "etc", "passwd"), UnixFileMode.UserRead);
        var changed = Harness.Run("digest", copy);
        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.NotEqual(r.Stdout, changed.Stdout);

        var missing = Harness.Run("digest", Path.Combine(copy, "nothing-here"));
        AssertFails(missing, 1, "digest: ");
    }

    /// <summary>A directory with an openssl P-256 key pair (k.pem SEC1, k8.pem PKCS#8, k.pub SPKI), a second key
    /// (other.pub) and a file to sign.</summary>
    private static string Keys()
    {
        string directory = Path.Combine(Harness.WorkDir, Harness.NewId("keys"));
        Directory.CreateDirectory(directory);
        Tool(directory, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "k.pem");
        Tool(directory, "openssl", "ec", "-in", "k.pem", "-pubout", "-out", "k.pub");
        Tool(directory, "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", "k.pem", "-out", "k8.pem");
        Tool(directory, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "other.pem");
        Tool(directory, "openssl", "ec", "-in", "other.pem", "-pubout", "-out", "other.pub");
        File.WriteAllText(Path.Combine(directory, "config.yaml"), "ociVersion: 1.3.0\nprocess: {args: [sh]}\n");
        return directory;
    }

    /// <summary>The key's name as berth prints it: the SHA-256 of its SubjectPublicKeyInfo DER, which openssl writes.</summary>
    private static string Fingerprint(string directory, string publicKey)
    {
        Tool(directory, "openssl", "pkey", "-pubin", "-in", publicKey, "-outform", "DER", "-out", publicKey + ".der");
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(directory, publicKey + ".der"))));
    }

    private static BerthResult In(string directory, params string[] args) =>
        Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, .. args], workingDirectory: directory);

    [SkippableFact]
    public void Sign_with_an_openssl_key_then_verify()
    {
        HostSupport.SkipIfLacking(LacksOpenssl);
        string keys = Keys();
        string fingerprint = Fingerprint(keys, "k.pub");

        var signed = In(keys, "sign", "--key", "k.pem", "config.yaml");
        Assert.True(signed.ExitCode == 0, signed.ToString());
        string signature = File.ReadAllText(Path.Combine(keys, "config.yaml.sig"));
        Assert.Equal(0x30, Convert.FromBase64String(signature)[0]); // base64 of a DER sequence, as cosign writes it

        var verified = In(keys, "verify", "--key", "k.pub", "--signature", "config.yaml.sig", "config.yaml");
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Equal($"verified: signed by key {fingerprint}\n", verified.Stdout);

        // PKCS#8, and cosign's name for --output.
        var pkcs8 = In(keys, "sign", "--key", "k8.pem", "--output-signature", "pkcs8.sig", "config.yaml");
        Assert.True(pkcs8.ExitCode == 0, pkcs8.ToString());
        Assert.Equal(0, In(keys, "verify", "--key", "k.pub", "--signature", "pkcs8.sig", "config.yaml").ExitCode);
        // The signature also checks with openssl itself.
        File.WriteAllBytes(Path.Combine(keys, "sig.der"), Convert.FromBase64String(signature));
        Tool(keys, "openssl", "dgst", "-sha256", "-verify", "k.pub", "-signature", "sig.der", "config.yaml");
    }

    [SkippableFact]
    public void A_signature_made_by_openssl_as_cosign_writes_them_verifies()
    {
        HostSupport.SkipIfLacking(LacksOpenssl);
        string keys = Keys();
        Tool(keys, "bash", "-c", "openssl dgst -sha256 -sign k.pem config.yaml | base64 -w0 > openssl.sig");
        var r = In(keys, "verify", "--key", "k.pub", "--signature", "openssl.sig", "config.yaml");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal($"verified: signed by key {Fingerprint(keys, "k.pub")}\n", r.Stdout);
    }

    [SkippableFact]
    public void Another_key_or_an_altered_file_fails_verification_with_the_reason()
    {
        HostSupport.SkipIfLacking(LacksOpenssl);
        string keys = Keys();
        Assert.Equal(0, In(keys, "sign", "--key", "k.pem", "config.yaml").ExitCode);

        var wrongKey = In(keys, "verify", "--key", "other.pub", "--signature", "config.yaml.sig", "config.yaml");
        AssertFails(wrongKey, 1, $"verify: config.yaml: the signature does not match: the file was changed, or it was signed by another key than {Fingerprint(keys, "other.pub")}");
        Assert.Equal("", wrongKey.Stdout);

        File.AppendAllText(Path.Combine(keys, "config.yaml"), "hostname: changed\n");
        var altered = In(keys, "verify", "--key", "k.pub", "--signature", "config.yaml.sig", "config.yaml");
        AssertFails(altered, 1, "the signature does not match");

        File.WriteAllText(Path.Combine(keys, "garbage.sig"), "not base64!");
        var garbage = In(keys, "verify", "--key", "k.pub", "--signature", "garbage.sig", "config.yaml");
        AssertFails(garbage, 1, "the signature is not base64");
    }

    [SkippableFact]
    public void Keys_berth_cannot_use_are_refused_naming_the_file_and_the_format()
    {
        HostSupport.SkipIfLacking(LacksOpenssl);
        string keys = Keys();
        string pem = Convert.ToBase64String(Encoding.ASCII.GetBytes("scrypt-encrypted cosign key material, padded out"));
        File.WriteAllText(Path.Combine(keys, "cosign.key"), $"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{pem}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
        var cosign = In(keys, "sign", "--key", "cosign.key", "config.yaml");
        AssertFails(cosign, 1, "sign: --key cosign.key: the key is cosign's encrypted private key (\"ENCRYPTED SIGSTORE PRIVATE KEY\")");

        var publicKey = In(keys, "sign", "--key", "k.pub", "config.yaml");
        AssertFails(publicKey, 1, "the key is a public key");

        var noKey = In(keys, "verify", "--signature", "x.sig", "config.yaml");
        AssertFails(noKey, 2, "verify: needs --key");
    }

    [Fact]
    public void The_image_group_prints_its_usage_and_each_command_its_help()
    {
        var alone = Harness.Run("image");
        Assert.True(alone.ExitCode == 0, alone.ToString());
        Assert.StartsWith("NAME:\n   berth image - ", alone.Stdout);
        Assert.Contains("USAGE:\n   berth image command [command options] [arguments...]\n", alone.Stdout);
        foreach (string command in new[] { "import", "ls, list", "rm, remove", "verify" })
            Assert.Contains($"\n   {command} ", alone.Stdout);
        Assert.Equal(alone.Stdout, Harness.Run("image", "--help").Stdout);

        foreach (var args in new[] { new[] { "image", "import", "--help" }, ["help", "image", "import"], ["image", "import", "-h"] })
        {
            var help = Harness.Run(args);
            Assert.True(help.ExitCode == 0, help.ToString());
            Assert.StartsWith("NAME:\n   berth image import - ", help.Stdout);
            Assert.Contains("USAGE:\n   berth image import [command options] DIR[:TAG]\n", help.Stdout);
        }
        Assert.StartsWith("NAME:\n   berth image ls - ", Harness.Run("image", "list", "--help").Stdout);

        var unknown = Harness.Run("image", "frobnicate");
        AssertFails(unknown, 2, "image: unknown command \"frobnicate\"");
    }
}
