using System.Diagnostics;

namespace Berth.Runtime.Tests;

/// <summary>
/// The config front-end end to end: a container runs from an author's config.yaml with host overrides (a --host file
/// and a host directory), the overrides take effect inside it, and `berth diff` shows exactly what they changed.
/// </summary>
public class ConfigFrontEndTests
{
    /// <summary>berth with the test state root and an environment of its own (BERTH_HOST_DIR never the real /etc).</summary>
    private static BerthResult Berth(string? hostDir, params string[] args)
    {
        var psi = new ProcessStartInfo(Harness.Berth)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["BERTH_HOST_DIR"] = hostDir ?? Path.Combine(Harness.WorkDir, "no-host-dir");
        foreach (string a in new[] { "--root", Harness.StateRoot }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("berth " + string.Join(' ', args));
        }
        return new BerthResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string AuthorYaml(string script) => $"""
        ociVersion: 1.3.0
        hostname: from-author
        root: {"{"}path: {Harness.Rootfs}{"}"}
        process:
          user: "0:0"
          cwd: /
          args: [sh, -c, '{script}']
          env: {"{"}PATH: /usr/sbin:/usr/bin:/sbin:/bin{"}"}
          capabilities: [AUDIT_WRITE, KILL, NET_BIND_SERVICE]
          rlimits: {"{"}nofile: 1024{"}"}
          noNewPrivileges: false
        mounts:
          - proc:/proc
          - tmpfs:/dev:nosuid,strictatime,mode=755,size=65536k
          - sysfs:/sys:nosuid,noexec,nodev,ro
        linux:
          namespaces: [pid, ipc, uts, mount, network]
        """;

    private static string NewBundle(string authorYaml)
    {
        string dir = Path.Combine(Harness.WorkDir, "bundles", Harness.NewId("yaml"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.yaml"), authorYaml);
        return dir;
    }

    [Fact]
    public void A_host_override_adds_a_mount_and_forces_no_new_privileges_and_diff_shows_exactly_that()
    {
        string shared = Directory.CreateTempSubdirectory("berth-yaml-bind").FullName;
        File.WriteAllText(Path.Combine(shared, "marker"), "from the host");
        string bundle = NewBundle(AuthorYaml("grep NoNewPrivs /proc/self/status; grep \" /data \" /proc/self/mountinfo; cat /data/marker"));
        string host = Path.Combine(bundle, "host.yaml");
        File.WriteAllText(host, $"""
            # The host's rules for this container.
            mounts:
              - {shared}:/data:ro,nosuid,nodev
            process:
              noNewPrivileges: true
            """);
        string id = Harness.NewId("yaml");
        var r = Berth(null, "run", "--keep", "--bundle", bundle, "--host", host, id);
        try
        {
            Assert.True(r.ExitCode == 0, r.ToString());
            var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Matches(@"^NoNewPrivs:\s+1$", lines[0]);
            Assert.Contains(" /data ", lines[1]);
            Assert.Contains(" ro,", lines[1]); // mount options field: read-only
            Assert.Equal("from the host", lines[2]);

            var diff = Berth(null, "diff", id);
            Assert.True(diff.ExitCode == 0, diff.ToString());
            var changes = diff.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, changes.Length);
            Assert.Equal($"~ process.noNewPrivileges: false ({bundle}/config.yaml:11:20) -> true ({host}:5:20)", changes[0]);
            Assert.StartsWith("+ mounts[/data]: {\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"" + shared + "\"", changes[1]);
            Assert.EndsWith($"({host}:3:5)", changes[1]);

            // What ran is stored with the digest of each source file.
            string state = File.ReadAllText(Path.Combine(Harness.StateRoot, id, "state.json"));
            Assert.Contains("config.yaml", state);
            Assert.Contains("host.yaml", state);
            Assert.True(File.Exists(Path.Combine(Harness.StateRoot, id, "config.author.json")));
            string ran = File.ReadAllText(Path.Combine(Harness.StateRoot, id, "config.json"));
            Assert.Contains("\"noNewPrivileges\": true", ran);
        }
        finally
        {
            Berth(null, "delete", "--force", id);
        }
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void The_host_directory_applies_in_name_order_before_host_flags()
    {
        string hostDir = Path.Combine(Harness.WorkDir, Harness.NewId("host.d"));
        Directory.CreateDirectory(hostDir);
        File.WriteAllText(Path.Combine(hostDir, "20-second.yaml"), "hostname: second\nannotations: {b: two}\n");
        File.WriteAllText(Path.Combine(hostDir, "10-first.yaml"), "hostname: first\nannotations: {a: one}\n");
        File.WriteAllText(Path.Combine(hostDir, "README"), "not a config");
        string bundle = NewBundle(AuthorYaml("hostname"));
        var r = Berth(hostDir, "run", "--bundle", bundle, Harness.NewId("hostd"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("second\n", r.Stdout);

        string flag = Path.Combine(bundle, "last.yaml");
        File.WriteAllText(flag, "hostname: from-flag\n");
        r = Berth(hostDir, "run", "--bundle", bundle, "--host", flag, Harness.NewId("hostd"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("from-flag\n", r.Stdout);
    }

    [Fact]
    public void A_config_json_bundle_takes_host_files_too()
    {
        var config = Harness.BaseConfig("sh", "-c", "hostname");
        string bundle = Harness.Bundle(config);
        string host = Path.Combine(bundle, "host.yaml");
        File.WriteAllText(host, "hostname: overridden\n");
        var r = Berth(null, "run", "--bundle", bundle, "--host", host, Harness.NewId("jsonhost"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("overridden\n", r.Stdout);
    }

    [Fact]
    public void A_bad_host_file_fails_create_with_compiler_errors_and_leaves_nothing()
    {
        string bundle = NewBundle(AuthorYaml("true"));
        string host = Path.Combine(bundle, "host.yaml");
        File.WriteAllText(host, "process:\n  rlimits:\n    nofiles: 10\nlinux:\n  namespaces: [pid, pid]\n");
        string id = Harness.NewId("badyaml");
        var r = Berth(null, "create", "--bundle", bundle, "--host", host, id);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{host}:3:5: error BERTH0202: process.rlimits.nofiles: unknown resource limit \"nofiles\"; did you mean \"RLIMIT_NOFILE\"?", r.Stderr);
        Assert.Contains($"{host}:5:21: error BERTH0203: linux.namespaces[1].type: duplicate namespace type \"pid\"", r.Stderr);
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void Compile_writes_nothing_on_errors_and_the_config_on_success()
    {
        string dir = Path.Combine(Harness.WorkDir, Harness.NewId("compile"));
        Directory.CreateDirectory(dir);
        string author = Path.Combine(dir, "author.yaml");
        string output = Path.Combine(dir, "config.json");
        File.WriteAllText(author, "ociVersion: 1.3.0\nroot: {path: /}\nhostname: [x]\nprocess: {cwd: /, args: [true], user: 0:0}\n");
        var r = Berth(null, "compile", author, "-o", output);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{author}:3:11: error BERTH0401: hostname: ", r.Stderr);
        Assert.False(File.Exists(output));

        File.WriteAllText(author, "ociVersion: 1.3.0\nroot: {path: /}\nprocess: {cwd: /, args: [true], user: '0:0'}\n");
        r = Berth(null, "compile", author, "-o", output);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("\"uid\": 0", File.ReadAllText(output));
    }
}
