using System.Text.Json.Nodes;

namespace Berth.Config.Tests;

/// <summary>Each authoring shorthand and the canonical form it stands for.</summary>
public class ShorthandTests
{
    private static JsonNode Compile(string yaml)
    {
        // The shorthand in a host file: desugared there, then merged onto the author's canonical form.
        var r = Support.Compile(("author.yaml", Support.Minimal), ("host.yaml", yaml));
        Assert.True(r.Success, Support.Errors(r));
        return Support.Json(r);
    }

    [Fact]
    public void Env_as_a_mapping()
    {
        var c = Compile("process:\n  env: {PATH: /bin, DEBUG: 1, ON: true, V: '01'}\n");
        Assert.Equal("""["PATH=/bin","DEBUG=1","ON=true","V=01"]""", c["process"]!["env"]!.ToJsonString());
    }

    [Fact]
    public void Rlimits_as_a_mapping()
    {
        var c = Compile("process:\n  rlimits:\n    nofile: 1024\n    RLIMIT_NPROC: {soft: 10, hard: 20}\n    core: unlimited\n    STACK: '100:200'\n    memlock: {hard: 5}\n");
        Assert.Equal("""[{"type":"RLIMIT_NOFILE","soft":1024,"hard":1024},{"type":"RLIMIT_NPROC","soft":10,"hard":20},{"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615},{"type":"RLIMIT_STACK","soft":100,"hard":200},{"type":"RLIMIT_MEMLOCK","soft":5,"hard":5}]""",
            c["process"]!["rlimits"]!.ToJsonString());
    }

    [Fact]
    public void Mounts_as_strings()
    {
        var c = Compile("mounts:\n  - /srv/data:/data:ro,nosuid\n  - tmpfs:/run\n  - proc:/proc\n  - ./rel:/rel:bind\n");
        Assert.Equal("""[{"destination":"/data","type":"bind","source":"/srv/data","options":["rbind","ro","nosuid"]},{"destination":"/run","type":"tmpfs","source":"tmpfs"},{"destination":"/proc","type":"proc","source":"proc"},{"destination":"/rel","type":"bind","source":"./rel","options":["bind"]}]""",
            c["mounts"]!.ToJsonString());
    }

    [Fact]
    public void Mount_options_as_one_string()
    {
        var c = Compile("mounts:\n  - {destination: /t, type: tmpfs, source: tmpfs, options: 'nosuid, size=1m'}\n");
        Assert.Equal("""["nosuid","size=1m"]""", c["mounts"]![0]!["options"]!.ToJsonString());
    }

    [Fact]
    public void One_capability_list_fills_bounding_effective_and_permitted()
    {
        var c = Compile("process:\n  capabilities: [net_bind_service, CAP_KILL, Chown]\n");
        string expected = """["CAP_NET_BIND_SERVICE","CAP_KILL","CAP_CHOWN"]""";
        var caps = c["process"]!["capabilities"]!.AsObject();
        Assert.Equal(["bounding", "effective", "permitted"], caps.Select(p => p.Key).ToArray());
        foreach (var (_, set) in caps)
            Assert.Equal(expected, set!.ToJsonString());
    }

    [Fact]
    public void Namespaces_as_strings()
    {
        var c = Compile("linux:\n  namespaces: [pid, net, mnt, 'ipc:/proc/1/ns/ipc', {uts: /proc/1/ns/uts}]\n");
        Assert.Equal("""[{"type":"pid"},{"type":"network"},{"type":"mount"},{"type":"ipc","path":"/proc/1/ns/ipc"},{"type":"uts","path":"/proc/1/ns/uts"}]""",
            c["linux"]!["namespaces"]!.ToJsonString());
    }

    [Fact]
    public void User_and_args_as_strings_and_plain_scalars_where_strings_are_meant()
    {
        var c = Compile("process:\n  user: '1000:100'\n  args: sleep 30\nannotations: {version: 1.10, on: yes, n: 0x1F}\nlinux:\n  sysctl: {net.core.somaxconn: 1024}\n");
        Assert.Equal("""{"uid":1000,"gid":100}""", c["process"]!["user"]!.ToJsonString());
        Assert.Equal("""["sleep","30"]""", c["process"]!["args"]!.ToJsonString());
        Assert.Equal("""{"version":"1.10","on":"yes","n":"0x1F"}""", c["annotations"]!.ToJsonString());
        Assert.Equal("1024", (string?)c["linux"]!["sysctl"]!["net.core.somaxconn"]);
    }

    [Fact]
    public void Core_schema_typing_of_plain_scalars()
    {
        var c = Compile("linux:\n  resources:\n    memory: {limit: 0x100000, swap: -1, swappiness: 0o12}\n    pids: {limit: +5}\n");
        Assert.Equal("""{"limit":1048576,"swap":-1,"swappiness":10}""", c["linux"]!["resources"]!["memory"]!.ToJsonString());
        Assert.Equal(5, (int)c["linux"]!["resources"]!["pids"]!["limit"]!);
    }

    [Fact]
    public void Quoted_numbers_stay_strings_and_are_reported_where_numbers_are_meant()
    {
        var r = Support.Compile(("author.yaml", Support.Minimal), ("host.yaml", "linux:\n  resources:\n    pids: {limit: '5'}\n"));
        Assert.False(r.Success);
        Assert.Equal("host.yaml:3:19", r.Diagnostics.Single().Location.ToString());
    }

    [Fact]
    public void Yaml_anchors_and_merge_keys_work()
    {
        var c = Compile("x-common: &opts [nosuid, nodev]\nmounts:\n  - {destination: /a, type: tmpfs, source: tmpfs, options: *opts}\n");
        Assert.Equal("""["nosuid","nodev"]""", c["mounts"]![0]!["options"]!.ToJsonString());
    }

    [Fact]
    public void A_keyed_entry_tagged_merge_merges_deeply()
    {
        var r = Support.Compile(("author.yaml", Support.Minimal + "\nmounts: ['/a:/data:ro']\n"),
            ("host.yaml", "mounts:\n  - !merge {destination: /data, source: /b}\n"));
        Assert.True(r.Success, Support.Errors(r));
        Assert.Equal("""{"destination":"/data","type":"bind","source":"/b","options":["rbind","ro"]}""", Support.Json(r)["mounts"]![0]!.ToJsonString());
    }
}
