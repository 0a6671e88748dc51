using System.Text;
using System.Text.Json.Nodes;
using Berth.Config;

namespace Berth.Config.Tests;

/// <summary>Properties of the merge, checked on seeded random documents (50 seeds each; the seed is in the failure message).</summary>
public class MergePropertyTests
{
    private static readonly string[] NamespaceTypes = ["mount", "pid", "network", "uts", "ipc", "cgroup"];
    private static readonly string[] Caps = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID", "CAP_SETGID", "CAP_AUDIT_WRITE", "CAP_SYS_ADMIN"];

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(0, 50).Select(i => new object[] { i });

    private static string Word(Random r) => "w" + r.Next(0, 100000).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A random, valid author document, as JSON (written out as YAML by YamlWriter).</summary>
    private static JsonObject RandomAuthor(Random r, out List<string> mountDestinations, out List<string> envNames)
    {
        mountDestinations = Enumerable.Range(0, r.Next(1, 8)).Select(i => "/m" + i).OrderBy(_ => r.Next()).ToList();
        envNames = Enumerable.Range(0, r.Next(1, 8)).Select(i => "V" + i).OrderBy(_ => r.Next()).ToList();
        var annotations = new JsonObject();
        for (int i = 0; i < r.Next(0, 6); i++)
            annotations["org.example.k" + i] = Word(r) + (r.Next(2) == 0 ? " with spaces: and colons" : "");
        var mounts = new JsonArray();
        foreach (string d in mountDestinations)
            mounts.Add(new JsonObject { ["destination"] = d, ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("size=" + r.Next(1, 99) + "m") });
        var env = new JsonArray();
        foreach (string n in envNames)
            env.Add((JsonNode)(n + "=" + Word(r)));
        var ns = new JsonArray();
        // uts and mount always (hostname and mounts need them); the others at random, in random order.
        foreach (string t in NamespaceTypes.Where(t => t is not ("uts" or "mount")).OrderBy(_ => r.Next()).Take(r.Next(0, 4)).Append("uts").Append("mount").OrderBy(_ => r.Next()))
            ns.Add(new JsonObject { ["type"] = t });
        var bounding = new JsonArray();
        foreach (string c in Caps.OrderBy(_ => r.Next()).Take(r.Next(0, Caps.Length)))
            bounding.Add((JsonNode)c);
        return new JsonObject
        {
            ["ociVersion"] = "1.3.0",
            ["hostname"] = Word(r),
            ["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = r.Next(2) == 0 },
            ["process"] = new JsonObject
            {
                ["cwd"] = "/",
                ["args"] = new JsonArray("sh", "-c", "echo " + Word(r)),
                ["user"] = new JsonObject { ["uid"] = r.Next(0, 5000), ["gid"] = r.Next(0, 5000) },
                ["env"] = env,
                ["capabilities"] = new JsonObject { ["bounding"] = bounding },
            },
            ["mounts"] = mounts,
            ["linux"] = new JsonObject { ["namespaces"] = ns },
            ["annotations"] = annotations,
        };
    }

    private static string Yaml(JsonNode node) => YamlWriter.FromJson(Encoding.UTF8.GetBytes(node.ToJsonString()));

    private static JsonNode CompileOk(params (string, string)[] files)
    {
        var r = Support.Compile(files);
        Assert.True(r.Success, Support.Errors(r));
        return Support.Json(r);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void An_empty_host_file_changes_nothing(int seed)
    {
        var author = Yaml(RandomAuthor(new Random(seed), out _, out _));
        var alone = CompileOk(("author.yaml", author));
        foreach (string empty in new[] { "", "# nothing\n", "{}\n", "---\n" })
        {
            var r = Support.Compile(("author.yaml", author), ("host.yaml", empty));
            Assert.True(r.Success, Support.Errors(r));
            Assert.True(JsonNode.DeepEquals(alone, Support.Json(r)), $"seed {seed}, host \"{empty}\"");
            Assert.Empty(r.Diff());
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_author_json_compiles_to_itself(int seed)
    {
        // The YAML written from a document compiles back to exactly that document.
        var doc = RandomAuthor(new Random(seed), out _, out _);
        Assert.True(JsonNode.DeepEquals(doc, CompileOk(("author.yaml", Yaml(doc)))), $"seed {seed}");
        Assert.True(JsonNode.DeepEquals(doc, CompileOk(("author.json", doc.ToJsonString()))), $"seed {seed}");
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_last_file_wins(int seed)
    {
        var r = new Random(seed);
        var author = RandomAuthor(r, out _, out _);
        var keys = ((JsonObject)author["annotations"]!).Select(p => p.Key).ToList();
        string h1Name = Word(r), h2Name = Word(r);
        string onlyInH1 = "only.h1." + Word(r);
        var sb1 = new StringBuilder($"hostname: {h1Name}\nprocess:\n  user: {{uid: 1, gid: 1}}\nannotations:\n  {onlyInH1}: one\n");
        var sb2 = new StringBuilder($"hostname: {h2Name}\nprocess:\n  user: {{uid: 2}}\nannotations:\n  {onlyInH1}: one\n");
        foreach (string k in keys)
        {
            sb1.Append($"  {k}: from-h1\n");
            if (r.Next(2) == 0)
                sb2.Append($"  {k}: from-h2\n");
        }
        var result = CompileOk(("author.yaml", Yaml(author)), ("h1.yaml", sb1.ToString()), ("h2.yaml", sb2.ToString()));
        Assert.Equal(h2Name, (string?)result["hostname"]);
        Assert.Equal(2, (int)result["process"]!["user"]!["uid"]!);
        Assert.Equal(1, (int)result["process"]!["user"]!["gid"]!); // a mapping merges deeply: h2 did not set gid
        Assert.Equal("one", (string?)result["annotations"]![onlyInH1]);
        foreach (string k in keys)
            Assert.Equal(sb2.ToString().Contains($"  {k}: from-h2") ? "from-h2" : "from-h1", (string?)result["annotations"]![k]);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Keyed_entries_are_replaced_in_place_and_new_ones_appended_in_order(int seed)
    {
        var r = new Random(seed);
        var author = RandomAuthor(r, out var dests, out var names);
        var replaced = dests.Where(_ => r.Next(2) == 0).ToList();
        var added = Enumerable.Range(0, r.Next(0, 4)).Select(i => "/new" + i).OrderBy(_ => r.Next()).ToList();
        var hostMounts = replaced.Concat(added).OrderBy(_ => r.Next()).ToList();
        var envReplaced = names.Where(_ => r.Next(2) == 0).ToList();
        var envAdded = Enumerable.Range(0, r.Next(0, 4)).Select(i => "NEW" + i).ToList();
        // An empty block ("mounts:" and nothing) would be null, which deletes; write [] for an empty list.
        var host = new StringBuilder(hostMounts.Count == 0 ? "mounts: []\n" : "mounts:\n");
        foreach (string d in hostMounts)
            host.Append($"  - /host{d}:{d}:ro\n");
        host.Append(envReplaced.Count + envAdded.Count == 0 ? "process:\n  env: []\n" : "process:\n  env:\n");
        foreach (string n in envReplaced.Concat(envAdded))
            host.Append($"    {n}: host\n");
        var result = CompileOk(("author.yaml", Yaml(author)), ("host.yaml", host.ToString()));

        var expected = dests.Concat(hostMounts.Where(d => !dests.Contains(d))).ToList();
        var mounts = result["mounts"]!.AsArray();
        Assert.Equal(expected, mounts.Select(m => (string)m!["destination"]!).ToList());
        foreach (var m in mounts)
        {
            string d = (string)m!["destination"]!;
            bool fromHost = hostMounts.Contains(d);
            Assert.Equal(fromHost ? "/host" + d : "tmpfs", (string?)m["source"]);
            Assert.Equal(fromHost ? "bind" : "tmpfs", (string?)m["type"]);
        }
        var env = result["process"]!["env"]!.AsArray().Select(e => (string)e!).ToList();
        Assert.Equal(names.Concat(envAdded).ToList(), env.Select(e => e[..e.IndexOf('=')]).ToList());
        foreach (string e in env)
            Assert.Equal(envReplaced.Contains(e[..e.IndexOf('=')]) || envAdded.Contains(e[..e.IndexOf('=')]), e.EndsWith("=host", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Delete_removes_exactly_what_it_names(int seed)
    {
        var r = new Random(seed);
        var author = RandomAuthor(r, out var dests, out var names);
        string gone = dests[r.Next(dests.Count)];
        string goneVar = names[r.Next(names.Count)];
        var namespaces = author["linux"]!["namespaces"]!.AsArray().Select(n => (string)n!["type"]!).ToList();
        var removable = namespaces.Where(n => n is not ("uts" or "mount")).ToList();
        string goneNs = removable.Count == 0 ? "uts" : removable[r.Next(removable.Count)];
        string host = $"""
            hostname: !delete
            root:
              readonly: null
            mounts:
              - !delete {gone}
            process:
              env:
                {goneVar}: null
            linux:
              namespaces: [!delete {goneNs}]
            """;
        var result = CompileOk(("author.yaml", Yaml(author)), ("host.yaml", host));
        Assert.Null(result["hostname"]);
        Assert.False(result["root"]!.AsObject().ContainsKey("readonly"));
        Assert.Equal(dests.Where(d => d != gone).ToList(), result["mounts"]!.AsArray().Select(m => (string)m!["destination"]!).ToList());
        Assert.Equal(names.Where(n => n != goneVar).ToList(), result["process"]!["env"]!.AsArray().Select(e => ((string)e!).Split('=')[0]).ToList());
        Assert.Equal(namespaces.Where(n => n != goneNs).ToList(), result["linux"]!["namespaces"]!.AsArray().Select(n => (string)n!["type"]!).ToList());
        // Everything else is untouched.
        Assert.True(JsonNode.DeepEquals(author["annotations"], result["annotations"]), $"seed {seed}");
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Replace_takes_the_value_whole(int seed)
    {
        var r = new Random(seed);
        var author = RandomAuthor(r, out _, out _);
        string host = """
            mounts: !replace
              - tmpfs:/only
            process:
              env: !replace {ONLY: one}
            annotations: !replace
              just: this
            """;
        var result = CompileOk(("author.yaml", Yaml(author)), ("host.yaml", host));
        Assert.Equal(["/only"], result["mounts"]!.AsArray().Select(m => (string)m!["destination"]!).ToList());
        Assert.Equal(["ONLY=one"], result["process"]!["env"]!.AsArray().Select(e => (string)e!).ToList());
        Assert.Equal("""{"just":"this"}""", result["annotations"]!.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Capability_sets_add_and_remove(int seed)
    {
        var r = new Random(seed);
        var author = RandomAuthor(r, out _, out _);
        var before = author["process"]!["capabilities"]!["bounding"]!.AsArray().Select(c => (string)c!).ToList();
        var add = Caps.Where(_ => r.Next(3) == 0).ToList();
        var remove = Caps.Where(c => !add.Contains(c) && r.Next(3) == 0).ToList();
        string list = string.Join(", ", add.Select(c => c.ToLowerInvariant()[4..]).Concat(remove.Select(c => "-" + c)));
        var result = CompileOk(("author.yaml", Yaml(author)), ("host.yaml", $"process:\n  capabilities:\n    bounding: [{list}]\n"));
        var expected = before.Where(c => !remove.Contains(c)).Concat(add.Where(c => !before.Contains(c))).ToList();
        Assert.Equal(expected, result["process"]!["capabilities"]!["bounding"]!.AsArray().Select(c => (string)c!).ToList());
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Merging_is_associative_for_hosts(int seed)
    {
        // author + h1 + h2 == (author + h1) compiled, then + h2.
        var r = new Random(seed);
        var author = RandomAuthor(r, out var dests, out _);
        string h1 = $"hostname: a{seed}\nmounts:\n  - tmpfs:{dests[0]}:size=1m\n  - tmpfs:/x{seed}\n";
        string h2 = $"mounts:\n  - tmpfs:/x{seed}:size=2m\nprocess:\n  noNewPrivileges: true\n";
        var all = CompileOk(("author.yaml", Yaml(author)), ("h1.yaml", h1), ("h2.yaml", h2));
        var first = CompileOk(("author.yaml", Yaml(author)), ("h1.yaml", h1));
        var stepwise = CompileOk(("first.json", first.ToJsonString()), ("h2.yaml", h2));
        Assert.True(JsonNode.DeepEquals(all, stepwise), $"seed {seed}");
    }
}
