namespace Berth.Runtime.Tests;

/// <summary>
/// Settings berth refused or ignored where runc 1.1.5 goes on (issue 10): root propagation, recursive mount attributes,
/// the pty's owner, capabilities the process cannot have, HOME. Each is checked from inside a real container.
/// </summary>
public class RuncParityTests
{
    private static BerthResult Sh(JsonObject config, string script) => Harness.RunScript(config, script);

    /// <summary>The base config with CAP_SYS_ADMIN, so that the container can mount.</summary>
    private static JsonObject Mounting()
    {
        var config = Harness.BaseConfig();
        foreach (string set in new[] { "bounding", "effective", "permitted" })
            config["process"]!["capabilities"]![set]!.AsArray().Add("CAP_SYS_ADMIN");
        return config;
    }

    private static void Mount(params string[] args)
    {
        var r = Harness.Exec("mount", args);
        Assert.True(r.ExitCode == 0, "mount " + string.Join(' ', args) + ": " + r);
    }

    /// <summary>A host directory that is a shared mount of its own (the host's "/" here is private), unmounted with
    /// everything below it by the returned action.</summary>
    private static (string Dir, Action Unmount) SharedHostDirectory()
    {
        string dir = Directory.CreateTempSubdirectory("berth-shared").FullName;
        Mount("-t", "tmpfs", "tmpfs", dir);
        Mount("--make-shared", dir);
        return (dir, () => Harness.Exec("umount", ["-R", "-l", dir]));
    }

    [Fact]
    public void Shared_root_propagation_reaches_a_bind_of_the_root_inside_the_container()
    {
        // runtime-tools' check: a bind of "/" inside the container sees a mount made under "/" afterwards.
        var config = Mounting();
        config["linux"]!["rootfsPropagation"] = "shared";
        var r = Sh(config, """
            t=$(mktemp -d /target.XXXXXX) && m=$(mktemp -d /mount.XXXXXX) && d=$(mktemp -d /test.XXXXXX) && touch $d/example
            mount -o rbind / $t && mount -o bind $d $m && test -e $t$m/example && echo EXPOSED
            awk '$5 == "/" { print "root:", $7 }' /proc/self/mountinfo; umount -l $m; umount -l $t; rm -r $t $m $d
            """);
        Assert.Contains("EXPOSED", r.Stdout);
        Assert.Matches(@"root: shared:\d+", r.Stdout);
    }

    [Fact]
    public void Unbindable_root_cannot_be_bound_and_volumes_still_can()
    {
        string volume = Directory.CreateTempSubdirectory("berth-vol").FullName;
        File.WriteAllText(Path.Combine(volume, "marker"), "volume");
        var config = Mounting();
        config["linux"]!["rootfsPropagation"] = "unbindable";
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/vol", ["type"] = "bind", ["source"] = volume, ["options"] = new JsonArray("rbind") });
        var r = Sh(config, """
            cat /vol/marker; t=$(mktemp -d /target.XXXXXX); mount -o rbind / $t 2>&1 || echo REFUSED; rmdir $t
            awk '$5 == "/" { print "root:", $7 }' /proc/self/mountinfo
            """);
        Assert.Contains("volume", r.Stdout);
        Assert.Contains("Invalid argument", r.Stdout);
        Assert.Contains("REFUSED", r.Stdout);
        Assert.Contains("root: unbindable", r.Stdout);
    }

    [Theory]
    [InlineData("rslave", true)]
    [InlineData("rshared", true)]
    [InlineData("rprivate", false)]
    public void Recursive_root_propagation_decides_what_a_volume_receives_from_the_host(string propagation, bool receives)
    {
        var (dir, unmount) = SharedHostDirectory();
        string id = Harness.NewId("prop");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "later"));
            var config = Harness.BaseConfig("sleep", "600");
            config["linux"]!["rootfsPropagation"] = propagation;
            config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/vol", ["type"] = "bind", ["source"] = dir, ["options"] = new JsonArray("rbind", propagation) });
            var run = Harness.Run("run", "--detach", "--bundle", Harness.Bundle(config), id);
            Assert.True(run.ExitCode == 0, run.ToString());

            // A mount the host makes below the volume after the container started.
            Mount("-t", "tmpfs", "tmpfs", Path.Combine(dir, "later"));
            File.WriteAllText(Path.Combine(dir, "later", "file"), "from the host");
            var r = Harness.Run("exec", id, "cat", "/vol/later/file");
            Assert.Equal(receives, r.Stdout.Contains("from the host"));
        }
        finally
        {
            Harness.Run("delete", "--force", id);
            unmount();
        }
    }

    [Fact]
    public void Rshared_root_propagation_carries_a_volumes_mounts_to_the_host()
    {
        // Kubernetes' Bidirectional mount: containerd's CRI sets rootfsPropagation rshared and the mount's own rshared.
        var (dir, unmount) = SharedHostDirectory();
        string id = Harness.NewId("bidi");
        try
        {
            var config = Mounting();
            config["process"]!["args"] = new JsonArray("sleep", "600");
            config["linux"]!["rootfsPropagation"] = "rshared";
            config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/vol", ["type"] = "bind", ["source"] = dir, ["options"] = new JsonArray("rbind", "rshared") });
            var run = Harness.Run("run", "--detach", "--bundle", Harness.Bundle(config), id);
            Assert.True(run.ExitCode == 0, run.ToString());
            var r = Harness.Run("exec", id, "sh", "-c", "mkdir /vol/inner && mount -t tmpfs tmpfs /vol/inner && echo from-the-container > /vol/inner/file");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("from-the-container\n", File.ReadAllText(Path.Combine(dir, "inner", "file")));
            // The rootfs itself never shows on the host: its parent was made private before it was bound.
            Assert.DoesNotContain(Harness.Rootfs + " ", File.ReadAllText("/proc/self/mountinfo"));
        }
        finally
        {
            Harness.Run("delete", "--force", id);
            unmount();
        }
    }

    [Fact]
    public void Rro_makes_every_mount_of_a_recursive_bind_read_only()
    {
        // A source with a mount below it: "ro" covers only the top mount (as in runc); "rro" covers the tree.
        string source = Directory.CreateTempSubdirectory("berth-rro").FullName;
        string sub = Path.Combine(source, "sub");
        Directory.CreateDirectory(sub);
        Mount("-t", "tmpfs", "tmpfs", sub);
        try
        {
            var config = Harness.BaseConfig();
            config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/rro", ["type"] = "bind", ["source"] = source, ["options"] = new JsonArray("rbind", "rro", "rnosuid") });
            config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/ro", ["type"] = "bind", ["source"] = source, ["options"] = new JsonArray("rbind", "ro") });
            var r = Sh(config, "touch /rro/sub/x 2>&1 && echo RRO-WROTE; touch /ro/sub/y && echo RO-SUB-WROTE; grep ' /rro/sub ' /proc/self/mountinfo");
            Assert.DoesNotContain("RRO-WROTE", r.Stdout);
            Assert.Contains("Read-only file system", r.Stdout);
            Assert.Contains("RO-SUB-WROTE", r.Stdout);
            var options = r.Stdout.Split('\n').Single(l => l.Contains(" /rro/sub ")).Split(' ')[5];
            Assert.StartsWith("ro,", options);
            Assert.Contains("nosuid", options);
        }
        finally
        {
            Harness.Exec("umount", ["-l", sub]);
        }
    }

    [Fact]
    public void Mountinfo_lists_the_configs_mounts_in_the_configs_order()
    {
        // runtime-tools' "mounts" checks it: the kernel lists mounts by age, and a bind berth copied on the host before
        // clone would be older than the root it goes into unless it is copied again once attached.
        string source = Directory.CreateTempSubdirectory("berth-order").FullName;
        try
        {
            var config = Harness.BaseConfig("sh", "-c", "awk '{print $5}' /proc/self/mountinfo");
            var mounts = config["mounts"]!.AsArray();
            mounts.Add(new JsonObject { ["destination"] = "/m1", ["type"] = "bind", ["source"] = source, ["options"] = new JsonArray("bind", "ro") });
            mounts.Add(new JsonObject { ["destination"] = "/m2", ["type"] = "tmpfs", ["source"] = "tmpfs" });
            mounts.Add(new JsonObject { ["destination"] = "/m3", ["type"] = "bind", ["source"] = source, ["options"] = new JsonArray("rbind") });
            var r = Harness.RunContainer(config);
            Assert.True(r.ExitCode == 0, r.ToString());
            var points = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            string[] expected = ["/", "/proc", "/dev", "/m1", "/m2", "/m3"];
            var at = expected.Select(p => points.IndexOf(p)).ToArray();
            Assert.True(at.All(i => i >= 0) && at.SequenceEqual(at.Order()), "mountinfo order: " + string.Join(' ', points));
        }
        finally
        {
            Directory.Delete(source, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_read_only_dev_and_tmpfs_get_their_devices_first_then_become_read_only(bool terminal)
    {
        // runc's mounts.bats "ro /dev mount": the tmpfs is made writable, the devices and links go in, then it is
        // remounted read-only once the root is in place. A read-only tmpfs volume likewise.
        var config = Harness.BaseConfig("sh", "-c", "grep -E '^tmpfs (/dev|/ro-tmp) ' /proc/mounts; test -c /dev/null && echo null; touch /dev/x 2>/dev/null || echo refused");
        foreach (var mount in config["mounts"]!.AsArray())
            if ((string?)mount!["destination"] == "/dev")
                mount["options"]!.AsArray().Add("ro");
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/ro-tmp", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("ro", "mode=700") });
        // With a terminal, /dev/console (the pty) goes into /dev too, before it becomes read-only.
        config["process"]!["terminal"] = terminal;
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = r.Stdout.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("tmpfs /dev tmpfs ro,", lines[0]);
        Assert.StartsWith("tmpfs /ro-tmp tmpfs ro,", lines[1]);
        Assert.Contains("mode=700", lines[1]);
        Assert.Equal(["null", "refused"], lines[2..]);
    }

    [Fact]
    public void The_pty_belongs_to_the_processs_user()
    {
        var config = Harness.BaseConfig("sh", "-c", "stat -L -c owner=%u:%g /proc/self/fd/0");
        config["process"]!["terminal"] = true;
        config["process"]!["user"] = new JsonObject { ["uid"] = 1000, ["gid"] = 1000 };
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        // The group stays the one devpts gave it (the creator's, root's, here), as runc leaves it.
        Assert.Contains("owner=1000:0", r.Stdout);
    }

    [Fact]
    public void Ambient_capabilities_without_inheritable_ones_are_left_out_with_a_warning()
    {
        // What `runc spec` writes: ambient capabilities and no inheritable set.
        var config = Harness.BaseConfig("grep", "CapAmb", "/proc/self/status");
        var caps = config["process"]!["capabilities"]!;
        caps["ambient"] = caps["bounding"]!.DeepClone();
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("CapAmb:\t0000000000000000", r.Stdout);
        Assert.Contains("warning: run: process.capabilities.ambient[0]: CAP_AUDIT_WRITE is not in both the inheritable and the permitted set", r.Stderr);
    }

    [Fact]
    public void Ambient_capabilities_in_inheritable_and_permitted_are_raised_for_a_user()
    {
        var config = Harness.BaseConfig("grep", "Cap", "/proc/self/status");
        config["process"]!["user"] = new JsonObject { ["uid"] = 1000, ["gid"] = 1000 };
        var caps = config["process"]!["capabilities"]!;
        caps["inheritable"] = new JsonArray("CAP_KILL");
        caps["ambient"] = new JsonArray("CAP_KILL", "CAP_NET_BIND_SERVICE");
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("CapAmb:\t0000000000000020", r.Stdout); // CAP_KILL (5) only
        Assert.Contains("process.capabilities.ambient[1]: CAP_NET_BIND_SERVICE", r.Stderr);
    }

    [Fact]
    public void Unknown_capability_names_are_ignored_with_a_warning()
    {
        var config = Harness.BaseConfig("grep", "CapBnd", "/proc/self/status");
        foreach (string set in new[] { "bounding", "effective", "permitted" })
            config["process"]!["capabilities"]![set]!.AsArray().Add("CAP_NO_SUCH_THING");
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("CapBnd:\t0000000020000420", r.Stdout); // AUDIT_WRITE, KILL, NET_BIND_SERVICE
        Assert.Contains("/process/capabilities/bounding/3: \"CAP_NO_SUCH_THING\" is not a capability", r.Stderr);
    }

    [Fact]
    public void Home_comes_from_the_containers_passwd_when_the_config_has_none()
    {
        // /etc/passwd of the rootfs knows root and nobody; a volume may put another one in its place.
        string passwd = Path.Combine(Directory.CreateTempSubdirectory("berth-passwd").FullName, "passwd");
        File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000::/srv/web:/bin/sh\n");
        var cases = new (uint Uid, string Env, string? Volume, string Home)[]
        {
            (0, "", null, "/root"), (65534, "", null, "/"), (4242, "", null, "/"), (1000, "", passwd, "/srv/web"),
            (0, "HOME=", null, "/root"), (0, "HOME=/mine", null, "/mine"),
        };
        foreach (var (uid, env, volume, home) in cases)
        {
            var config = Harness.BaseConfig("sh", "-c", "echo \"HOME=$HOME\"; env | grep -c ^HOME=");
            config["process"]!["user"] = new JsonObject { ["uid"] = uid, ["gid"] = uid };
            if (env.Length > 0)
                config["process"]!["env"]!.AsArray().Add(env);
            if (volume is not null)
                config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/etc/passwd", ["type"] = "bind", ["source"] = volume, ["options"] = new JsonArray("bind", "ro") });
            var r = Harness.RunContainer(config);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal($"HOME={home}\n1\n", r.Stdout);
        }
    }

    [Fact]
    public void Home_is_found_under_small_address_space_and_data_limits()
    {
        // The OCI suite's limits (RLIMIT_AS 1 GiB soft, RLIMIT_DATA 5 GiB): the container's own program runs under
        // them; finding HOME must not need memory they forbid.
        var config = Harness.BaseConfig("sh", "-c", "echo \"HOME=$HOME\"; ulimit -v");
        config["process"]!["rlimits"]!.AsArray().Add(new JsonObject { ["type"] = "RLIMIT_AS", ["hard"] = 2L << 30, ["soft"] = 1L << 30 });
        config["process"]!["rlimits"]!.AsArray().Add(new JsonObject { ["type"] = "RLIMIT_DATA", ["hard"] = 6L << 30, ["soft"] = 5L << 30 });
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal($"HOME=/root\n{1L << 20}\n", r.Stdout);
    }

    [Fact]
    public void Home_never_comes_from_the_setup_process_itself()
    {
        // /etc/passwd a link to /proc/self/environ: until its execve the container's process is a copy of berth, with
        // berth's environment. A passwd line hidden in that environment must not reach the container as HOME.
        string rootfs = Path.Combine(Harness.WorkDir, "rootfs-" + Harness.NewId("home"));
        Harness.Exec("bash", [Path.Combine(Harness.RepoRoot, "scripts/make-rootfs.sh"), rootfs]);
        File.Delete(Path.Combine(rootfs, "etc/passwd"));
        File.CreateSymbolicLink(Path.Combine(rootfs, "etc/passwd"), "/proc/self/environ");
        var config = Harness.BaseConfig("sh", "-c", "echo \"HOME=$HOME\"");
        config["root"]!["path"] = rootfs;
        var psi = new System.Diagnostics.ProcessStartInfo(Harness.Berth) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--root", Harness.StateRoot, "run", "--bundle", Harness.Bundle(config), Harness.NewId("home") })
            psi.ArgumentList.Add(a);
        psi.Environment["BERTH_TEST_PASSWD_LINE"] = "\nroot:x:0:0:root:/leaked-from-berth:/bin/sh\n";
        using var p = System.Diagnostics.Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000) && p.ExitCode == 0, stdout + stderr);
        Assert.Equal("HOME=/\n", stdout);
    }

    [Fact]
    public void Proc_on_a_symbolic_link_is_refused_in_runcs_words()
    {
        // A rootfs whose /proc is a link (to a folder inside it): procfs goes on an ordinary directory only.
        string rootfs = Path.Combine(Harness.WorkDir, "rootfs-" + Harness.NewId("proclink"));
        Harness.Exec("bash", [Path.Combine(Harness.RepoRoot, "scripts/make-rootfs.sh"), rootfs]);
        Directory.Delete(Path.Combine(rootfs, "proc"));
        Directory.CreateDirectory(Path.Combine(rootfs, "elsewhere"));
        File.CreateSymbolicLink(Path.Combine(rootfs, "proc"), "/elsewhere");
        var config = Harness.BaseConfig("true");
        config["root"]!["path"] = rootfs;
        Harness.AssertFailsLeavingNothing("run", Harness.Bundle(config), "proclink", "must be mounted on ordinary directory", "/proc");
    }
}
