namespace Berth.Runtime.Tests;

/// <summary>An unprivileged user runs a container: state under its own --root / XDG_RUNTIME_DIR, a user namespace
/// mapping only its own uid, no cgroups it may not write.</summary>
public class RootlessTests
{
    private const string Nobody = "65534";

    private static BerthResult AsNobody(string runtimeDir, string workDir, params string[] args) =>
        Harness.Exec("setpriv", ["--reuid=" + Nobody, "--regid=" + Nobody, "--clear-groups", "env", "XDG_RUNTIME_DIR=" + runtimeDir,
            "sh", "-c", "cd \"$0\" && exec \"$@\"", workDir, Harness.Berth, .. args]);

    [SkippableFact]
    public void An_unprivileged_user_runs_a_container_in_its_own_user_namespace()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksUnprivilegedUserNamespaces());
        string home = Path.Combine(Harness.WorkDir, Harness.NewId("rootless"));
        string runtimeDir = Path.Combine(home, "run");
        string bundle = Path.Combine(home, "bundle");
        Directory.CreateDirectory(runtimeDir);
        Directory.CreateDirectory(bundle);
        _ = Harness.Rootfs;
        Harness.Exec("chown", ["-R", $"{Nobody}:{Nobody}", home]);

        var spec = AsNobody(runtimeDir, bundle, "spec", "--rootless");
        Assert.True(spec.ExitCode == 0, spec.ToString());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!.AsObject();
        Assert.Equal(65534, (int)config["linux"]!["uidMappings"]![0]!["hostID"]!);
        config["root"]!["path"] = Harness.Rootfs;
        config["process"]!["terminal"] = false;
        config["process"]!["args"] = new JsonArray("sh", "-c", "id -u; cat /proc/self/uid_map; touch /proc/x 2>/dev/null || echo no-host-root");
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());

        string id = Harness.NewId("rl");
        var r = AsNobody(runtimeDir, bundle, "run", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0", lines[0]);
        Assert.Matches(@"^\s*0\s+65534\s+1$", lines[1]);
        Assert.Equal("no-host-root", lines[2]);
        Assert.False(Directory.Exists(Path.Combine(runtimeDir, "berth", id)), "state left behind");
        Harness.AssertNothingLeft(id, Path.Combine(runtimeDir, "berth"));
    }

    /// <summary>
    /// What rootless podman does: it runs the runtime as uid 0 inside a user namespace of its own (mapping only the
    /// user's id), passes no --root, sets XDG_RUNTIME_DIR, leaves USER unset, sends "resources": {} and mounts the
    /// cgroups. berth must take its state root from XDG_RUNTIME_DIR, make no cgroups it may not write (so mount those
    /// it is in), and bind devices instead of mknod.
    /// </summary>
    [SkippableFact]
    public void Root_inside_an_unprivileged_user_namespace_is_rootless_as_under_podman()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksUnprivilegedUserNamespaces());
        string home = Path.Combine(Harness.WorkDir, Harness.NewId("podmanlike"));
        string runtimeDir = Path.Combine(home, "run");
        Directory.CreateDirectory(runtimeDir);
        var config = Harness.BaseConfig("sh", "-c", "id -u; test -c /dev/null && echo null-is-a-device; for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs; do test -r $f && echo cgroups-mounted && break; done");
        config["linux"]!["resources"] = new JsonObject();
        // podman's config mounts the cgroups; with none of its own the container sees those berth is in.
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/sys/fs/cgroup", ["type"] = "cgroup", ["source"] = "cgroup", ["options"] = new JsonArray("ro") });
        string bundle = Harness.Bundle(config);
        Harness.Exec("chown", ["-R", $"{Nobody}:{Nobody}", home]);
        string id = Harness.NewId("pl");
        var r = Harness.Exec("setpriv", ["--reuid=" + Nobody, "--regid=" + Nobody, "--clear-groups",
            "env", "-u", "USER", "XDG_RUNTIME_DIR=" + runtimeDir,
            "unshare", "--user", "--map-root-user", "--mount", Harness.Berth, "run", "--bundle", bundle, id]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("null-is-a-device", r.Stdout);
        Assert.Contains("cgroups-mounted", r.Stdout);
        Assert.True(Directory.Exists(Path.Combine(runtimeDir, "berth")), "the state root is not under XDG_RUNTIME_DIR");
        Harness.AssertNothingLeft(id, Path.Combine(runtimeDir, "berth"));
    }

    /// <summary>`crun spec --rootless` writes a user namespace with no mappings; berth, as crun, maps the caller.</summary>
    [SkippableFact]
    public void A_user_namespace_without_mappings_maps_the_calling_user_to_root()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksUnprivilegedUserNamespaces());
        string home = Path.Combine(Harness.WorkDir, Harness.NewId("nomaps"));
        string runtimeDir = Path.Combine(home, "run");
        Directory.CreateDirectory(runtimeDir);
        var config = Harness.BaseConfig("sh", "-c", "id -u; cat /proc/self/uid_map");
        config["linux"]!["namespaces"]!.AsArray().Add(new JsonObject { ["type"] = "user" });
        string bundle = Harness.Bundle(config);
        Harness.Exec("chown", ["-R", $"{Nobody}:{Nobody}", home]);
        string id = Harness.NewId("nm");
        var r = AsNobody(runtimeDir, bundle, "run", "--bundle", bundle, id);
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0", lines[0]);
        Assert.Matches(@"^\s*0\s+65534\s+1$", lines[1]);
        Harness.AssertNothingLeft(id, Path.Combine(runtimeDir, "berth"));
    }
}
