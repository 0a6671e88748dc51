using System.Text.Json.Nodes;

namespace Berth.Config.Tests;

/// <summary>root.image: the image's config fills in what the author left out (Env, Entrypoint+Cmd, WorkingDir, User).</summary>
public class ImageFillTests
{
    private const string Image = "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    private static readonly ImageDefaults Busybox = new(Image, ["PATH=/usr/bin:/bin", "GREETING=from-the-image"], ["/bin/sh", "-c"], ["echo hi"], "/srv", "1000:100");

    private static CompileResult Compile(string author, ImageDefaults? image = null, params string[] hosts)
    {
        var files = new List<ConfigFile> { Support.MakeFile("author.yaml", author) };
        files.AddRange(hosts.Select((h, i) => Support.MakeFile($"host{i}.yaml", h)));
        return ConfigCompiler.Compile(files, images: digest =>
            digest == Image ? image ?? Busybox : throw new ImageLookupException($"the store has no image {digest}"));
    }

    private static JsonNode Process(CompileResult r)
    {
        Assert.True(r.Success, Support.Errors(r));
        return Support.Json(r)["process"]!;
    }

    [Fact]
    public void An_author_who_gives_no_process_gets_the_images()
    {
        var p = Process(Compile($"ociVersion: 1.3.0\nroot: {{image: \"{Image}\"}}\n"));
        Assert.Equal("""["PATH=/usr/bin:/bin","GREETING=from-the-image"]""", p["env"]!.ToJsonString());
        Assert.Equal("""["/bin/sh","-c","echo hi"]""", p["args"]!.ToJsonString());
        Assert.Equal("/srv", (string?)p["cwd"]);
        Assert.Equal("""{"uid":1000,"gid":100}""", p["user"]!.ToJsonString());
    }

    [Fact]
    public void The_authors_values_win()
    {
        var p = Process(Compile($"""
            ociVersion: 1.3.0
            root: {"{"}image: "{Image}"{"}"}
            process:
              env: {"{"}GREETING: from-the-author, MINE: 1{"}"}
              args: [/bin/true]
              cwd: /tmp
              user: {"{"}uid: 5, gid: 6{"}"}
            """));
        Assert.Equal("""["PATH=/usr/bin:/bin","GREETING=from-the-author","MINE=1"]""", p["env"]!.ToJsonString());
        Assert.Equal("""["/bin/true"]""", p["args"]!.ToJsonString());
        Assert.Equal("/tmp", (string?)p["cwd"]);
        Assert.Equal("""{"uid":5,"gid":6}""", p["user"]!.ToJsonString());
    }

    [Fact]
    public void No_working_dir_means_slash_and_a_uid_alone_means_group_0()
    {
        var p = Process(Compile($"ociVersion: 1.3.0\nroot: {{image: \"{Image}\"}}\n", Busybox with { WorkingDir = null, User = "7", Entrypoint = null }));
        Assert.Equal("/", (string?)p["cwd"]);
        Assert.Equal("""["echo hi"]""", p["args"]!.ToJsonString());
        Assert.Equal("""{"uid":7,"gid":0}""", p["user"]!.ToJsonString());
    }

    [Fact]
    public void A_user_name_without_a_resolver_is_an_error_naming_root_image()
    {
        var r = Compile($"ociVersion: 1.3.0\nroot: {{image: \"{Image}\"}}\n", Busybox with { User = "nobody" });
        Assert.False(r.Success);
        Assert.Contains(r.Diagnostics, d => d.Code == Codes.Image && d.Path == "root.image" && d.Message.Contains("\"nobody\" is not numeric", StringComparison.Ordinal)
            && d.Location.File == "author.yaml" && d.Location.Line == 2);
    }

    [Fact]
    public void An_image_the_store_does_not_have_is_an_error_at_its_line()
    {
        string other = "sha256:" + new string('e', 64);
        var r = Compile($"ociVersion: 1.3.0\nroot:\n  image: \"{other}\"\nprocess: {{cwd: /, args: [sh]}}\n");
        var d = Assert.Single(r.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal($"author.yaml:3:10: error BERTH0601: root.image: the store has no image {other}", d.ToString());
    }

    [Fact]
    public void Explain_names_the_image_as_the_source_of_each_value_it_gave()
    {
        var r = Compile($"ociVersion: 1.3.0\nroot: {{image: \"{Image}\"}}\nprocess:\n  cwd: /\n");
        Assert.True(r.Success, Support.Errors(r));
        string explained = Explain.Render(r.Document!.Root);
        Assert.Contains("process.cwd = \"/\"", explained, StringComparison.Ordinal);
        Assert.Matches(@"process\.cwd = ""/"" +author\.yaml:4:8", explained);
        Assert.Matches(@"process\.env\[1\] = ""GREETING=from-the-image"" +image sha256:001122334455 Env", explained);
        Assert.Matches(@"process\.args\[2\] = ""echo hi"" +image sha256:001122334455 Entrypoint\+Cmd", explained);
        Assert.Matches(@"process\.user\.uid = 1000 +image sha256:001122334455 User ""1000:100""", explained);
        Assert.Equal($"image sha256:001122334455 Env", r.Document.Provenance["/process/env/0"].ToString());
    }

    [Fact]
    public void Host_files_see_the_same_fill_in_so_the_diff_shows_only_theirs()
    {
        var r = Compile($"ociVersion: 1.3.0\nroot: {{image: \"{Image}\"}}\n", null, "annotations: {a: b}\nprocess:\n  env: {EXTRA: 1}\n");
        Assert.True(r.Success, Support.Errors(r));
        var diff = r.Diff().Select(d => d.ToString()).ToList();
        Assert.Equal(2, diff.Count);
        Assert.Contains(diff, d => d.StartsWith("+ annotations", StringComparison.Ordinal) && d.Contains("\"b\"", StringComparison.Ordinal));
        Assert.Contains(diff, d => d.Contains("EXTRA=1", StringComparison.Ordinal));
    }

    [Fact]
    public void A_plain_config_json_is_filled_in_as_the_front_end_fills_in_its_tree()
    {
        string json = $$$"""{"ociVersion":"1.3.0","root":{"image":"{{{Image}}}"},"process":{"env":["GREETING=mine","X=1"],"cwd":"/tmp"}}""";
        var viaTree = Process(Compile(json));
        Func<string, ImageDefaults> read = digest => digest == Image ? Busybox : throw new ImageLookupException("no such image");
        var viaJson = JsonNode.Parse(ImageFill.ApplyToJson(System.Text.Encoding.UTF8.GetBytes(json), read))!["process"]!;
        Assert.Equal(viaTree.ToJsonString(), viaJson.ToJsonString());
        Assert.Equal("""["PATH=/usr/bin:/bin","GREETING=mine","X=1"]""", viaJson["env"]!.ToJsonString());
        Assert.Equal("/tmp", (string?)viaJson["cwd"]);

        // Without root.image the bytes come back untouched.
        byte[] plain = System.Text.Encoding.UTF8.GetBytes("""{"ociVersion":"1.3.0","root":{"path":"r"}}""");
        Assert.Same(plain, ImageFill.ApplyToJson(plain, read));
    }

    [Theory]
    [InlineData("""{"ociVersion":"1.3.0","root":{"image":"IMAGE"}}""", """{"env":["PATH=/usr/bin:/bin","GREETING=from-the-image"],"args":["/bin/sh","-c","echo hi"],"cwd":"/srv","user":{"uid":1000,"gid":100}}""")]
    [InlineData("""{"root":{"image":"IMAGE"},"process":{}}""", """{"env":["PATH=/usr/bin:/bin","GREETING=from-the-image"],"args":["/bin/sh","-c","echo hi"],"cwd":"/srv","user":{"uid":1000,"gid":100}}""")]
    [InlineData("""{"root":{"image":"IMAGE"},"process":{"args":[],"env":[],"user":{"uid":1,"gid":2}}}""", """{"args":["/bin/sh","-c","echo hi"],"env":["PATH=/usr/bin:/bin","GREETING=from-the-image"],"user":{"uid":1,"gid":2},"cwd":"/srv"}""")]
    [InlineData("""{"root":{"image":"IMAGE"},"process":{"args":"not a list","cwd":"/x","env":[1,"GREETING=x"]}}""", """{"args":"not a list","cwd":"/x","env":["PATH=/usr/bin:/bin",1,"GREETING=x"],"user":{"uid":1000,"gid":100}}""")]
    public void A_plain_config_json_is_spliced_without_touching_the_rest(string document, string process)
    {
        byte[] json = System.Text.Encoding.UTF8.GetBytes(document.Replace("IMAGE", Image, StringComparison.Ordinal));
        var filled = JsonNode.Parse(ImageFill.ApplyToJson(json, _ => Busybox))!;
        Assert.Equal(process, filled["process"]!.ToJsonString());
        Assert.Equal(Image, (string?)filled["root"]!["image"]);
    }

    [Fact]
    public void Without_an_image_reader_nothing_is_filled_in()
    {
        var r = ConfigCompiler.Compile([Support.MakeFile("author.yaml", $"ociVersion: 1.3.0\nroot: {{image: \"{Image}\"}}\nprocess: {{cwd: /}}\n")]);
        Assert.False(r.Success);
        Assert.Contains("missing member \"args\"", Support.Errors(r), StringComparison.Ordinal);
    }
}
