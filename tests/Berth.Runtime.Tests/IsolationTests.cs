namespace Berth.Runtime.Tests;

/// <summary>Namespaces, mounts, devices and the filesystem view, checked from inside real containers.</summary>
public class IsolationTests
{
    private static BerthResult Sh(JsonObject config, string script) => Harness.RunScript(config, script);

    private static string HostNs(string type) => new FileInfo($"/proc/self/ns/{type}").LinkTarget!;

    [Fact]
    public void Listed_namespaces_are_new_and_unlisted_ones_are_the_hosts()
    {
        var config = Harness.BaseConfig();
        // No network namespace this time: the container must share the host's.
        config["linux"]!["namespaces"] = new JsonArray(
            new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "ipc" }, new JsonObject { ["type"] = "uts" },
            new JsonObject { ["type"] = "mount" }, new JsonObject { ["type"] = "cgroup" });
        var r = Sh(config, "for n in pid ipc uts mnt cgroup net user; do readlink /proc/self/ns/$n; done; echo $$");
        var lines = r.Stdout.Split('\n');
        Assert.NotEqual(HostNs("pid"), lines[0]);
        Assert.NotEqual(HostNs("ipc"), lines[1]);
        Assert.NotEqual(HostNs("uts"), lines[2]);
        Assert.NotEqual(HostNs("mnt"), lines[3]);
        Assert.NotEqual(HostNs("cgroup"), lines[4]);
        Assert.Equal(HostNs("net"), lines[5]);
        Assert.Equal(HostNs("user"), lines[6]);
        Assert.Equal("1", lines[7]); // pid 1 in its own pid namespace
    }

    [Fact]
    public void A_namespace_given_by_path_is_joined()
    {
        // A long-lived container provides a network namespace; a second one joins it by path.
        var provider = Harness.BaseConfig("sleep", "30");
        string bundle = Harness.Bundle(provider);
        string id = Harness.NewId("netns");
        var created = Harness.Run("create", "--bundle", bundle, id);
        Assert.True(created.ExitCode == 0, created.ToString());
        try
        {
            int pid = int.Parse(JsonNode.Parse(Harness.Run("state", id).Stdout)!["pid"]!.ToString());
            string providerNet = new FileInfo($"/proc/{pid}/ns/net").LinkTarget!;
            var config = Harness.BaseConfig();
            config["linux"]!["namespaces"]!.AsArray()[1] = new JsonObject { ["type"] = "network", ["path"] = $"/proc/{pid}/ns/net" };
            var r = Sh(config, "readlink /proc/self/ns/net");
            Assert.Equal(providerNet + "\n", r.Stdout);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
    }

    [Fact]
    public void Hostname_and_domainname_are_set()
    {
        var config = Harness.BaseConfig();
        config["hostname"] = "harbour";
        config["domainname"] = "example.test";
        var r = Sh(config, "hostname; cat /proc/sys/kernel/domainname");
        Assert.Equal("harbour\nexample.test\n", r.Stdout);
    }

    [Fact]
    public void Mounts_have_their_types_and_options()
    {
        string shared = Directory.CreateTempSubdirectory("berth-bind").FullName;
        File.WriteAllText(Path.Combine(shared, "marker"), "from the host");
        var config = Harness.BaseConfig();
        var mounts = config["mounts"]!.AsArray();
        mounts.Add(new JsonObject { ["destination"] = "/data/ro", ["type"] = "bind", ["source"] = shared, ["options"] = new JsonArray("rbind", "ro", "nosuid", "nodev") });
        mounts.Add(new JsonObject { ["destination"] = "/data/rw", ["type"] = "none", ["source"] = shared, ["options"] = new JsonArray("bind", "rw") });
        mounts.Add(new JsonObject { ["destination"] = "/scratch", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("size=1m", "noexec", "noatime") });
        var r = Sh(config, "cat /proc/self/mountinfo; echo ---; cat /data/ro/marker; echo; touch /data/ro/x 2>&1 && echo WROTE; touch /data/rw/y && echo RW-OK");
        var (mountinfo, rest) = (r.Stdout.Split("---")[0], r.Stdout.Split("---")[1]);
        var byTarget = mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).GroupBy(f => f[4]).ToDictionary(g => g.Key, g => g.Last());
        Assert.StartsWith("ro", byTarget["/data/ro"][5]);
        Assert.Contains("nosuid", byTarget["/data/ro"][5]);
        Assert.Contains("nodev", byTarget["/data/ro"][5]);
        Assert.StartsWith("rw", byTarget["/data/rw"][5]);
        Assert.Contains("noexec", byTarget["/scratch"][5]);
        Assert.Contains("noatime", byTarget["/scratch"][5]);
        Assert.Equal("proc", byTarget["/proc"][^3]);
        Assert.Equal("tmpfs", byTarget["/dev"][^3]);
        Assert.Equal("devpts", byTarget["/dev/pts"][^3]);
        Assert.Equal("mqueue", byTarget["/dev/mqueue"][^3]);
        Assert.Equal("sysfs", byTarget["/sys"][^3]);
        Assert.Contains("from the host", rest);
        Assert.DoesNotContain("WROTE", rest);
        Assert.Contains("RW-OK", rest);
        Assert.True(File.Exists(Path.Combine(shared, "y")));
    }

    [Fact]
    public void Mount_propagation_options_are_applied()
    {
        string shared = Directory.CreateTempSubdirectory("berth-prop").FullName;
        var config = Harness.BaseConfig();
        var mounts = config["mounts"]!.AsArray();
        mounts.Add(new JsonObject { ["destination"] = "/p/shared", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("shared") });
        mounts.Add(new JsonObject { ["destination"] = "/p/unbindable", ["type"] = "bind", ["source"] = shared, ["options"] = new JsonArray("bind", "unbindable") });
        var r = Sh(config, "grep ' /p/' /proc/self/mountinfo");
        Assert.Matches(@" /p/shared \S+ shared:\d+", r.Stdout);
        Assert.Matches(@" /p/unbindable \S+ unbindable", r.Stdout);
    }

    [Fact]
    public void A_symlink_in_the_rootfs_cannot_send_a_mount_outside_it()
    {
        // The bundle's own rootfs has /escape -> /tmp/…host dir…; the mount must land inside the rootfs.
        string rootfs = Path.Combine(Harness.WorkDir, "rootfs-" + Harness.NewId("esc"));
        Harness.Exec("bash", [Path.Combine(Harness.RepoRoot, "scripts/make-rootfs.sh"), rootfs]);
        string outside = Directory.CreateTempSubdirectory("berth-outside").FullName;
        File.CreateSymbolicLink(Path.Combine(rootfs, "escape"), outside);
        var config = Harness.BaseConfig();
        config["root"]!["path"] = rootfs;
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/escape/sub", ["type"] = "tmpfs", ["source"] = "tmpfs" });
        var r = Sh(config, "grep -c tmpfs /proc/self/mountinfo");
        Assert.False(Directory.Exists(Path.Combine(outside, "sub")), "a mount point was created outside the rootfs");
        Assert.True(Directory.Exists(Path.Combine(rootfs, outside.TrimStart('/'), "sub")));
    }

    [Fact]
    public void Default_devices_and_links_exist_with_their_numbers()
    {
        var r = Sh(Harness.BaseConfig(), "for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; done; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; test -d /dev/shm && echo shm");
        Assert.Contains("/dev/null character special file 1:3 666", r.Stdout);
        Assert.Contains("/dev/zero character special file 1:5 666", r.Stdout);
        Assert.Contains("/dev/full character special file 1:7 666", r.Stdout);
        Assert.Contains("/dev/random character special file 1:8 666", r.Stdout);
        Assert.Contains("/dev/urandom character special file 1:9 666", r.Stdout);
        Assert.Contains("/dev/tty character special file 5:0 666", r.Stdout);
        Assert.Contains("/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\npts/ptmx\n", r.Stdout);
        Assert.Contains("shm", r.Stdout);
    }

    [Fact]
    public void Configured_devices_are_created_with_mode_and_owner()
    {
        var config = Harness.BaseConfig();
        config["linux"]!["devices"] = new JsonArray(
            new JsonObject { ["type"] = "c", ["path"] = "/dev/fuse-like", ["major"] = 10, ["minor"] = 229, ["fileMode"] = 0x1a0, ["uid"] = 7, ["gid"] = 8 },
            new JsonObject { ["type"] = "b", ["path"] = "/dev/blocky", ["major"] = 7, ["minor"] = 200 });
        var r = Sh(config, "stat -c '%n %F %t:%T %a %u:%g' /dev/fuse-like /dev/blocky");
        Assert.Contains("/dev/fuse-like character special file a:e5 640 7:8", r.Stdout);
        Assert.Contains("/dev/blocky block special file 7:c8 666 0:0", r.Stdout);
    }

    [Fact]
    public void Readonly_root_masked_and_readonly_paths()
    {
        var config = Harness.BaseConfig();
        config["root"]!["readonly"] = true;
        var r = Sh(config, "touch /rootfile 2>/dev/null && echo ROOT-WRITABLE; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; grep ' /sys/firmware ' /proc/self/mountinfo; echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo SYS-WRITABLE; grep ' /proc/sys ' /proc/self/mountinfo; awk '$5 == \"/\"' /proc/self/mountinfo; echo done");
        Assert.DoesNotContain("ROOT-WRITABLE", r.Stdout);
        Assert.DoesNotContain("SYS-WRITABLE", r.Stdout);
        Assert.Matches(@"(?m)^0\n0\n", r.Stdout); // /proc/timer_list masked by /dev/null, /sys/firmware by an empty tmpfs
        Assert.Matches(@" /sys/firmware ro,.* - tmpfs ", r.Stdout);
        Assert.Matches(@" /proc/sys ro,", r.Stdout);
        Assert.Matches(@"(?m)^\S+ \S+ \S+ \S+ / ro,", r.Stdout);
        Assert.EndsWith("done\n", r.Stdout);
    }

    [Fact]
    public void Sysctls_are_written_in_the_containers_namespaces()
    {
        var config = Harness.BaseConfig();
        config["linux"]!["sysctl"] = new JsonObject { ["net.ipv4.ip_forward"] = "1", ["kernel.shmmni"] = "1234" };
        var r = Sh(config, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni");
        Assert.Equal("1\n1234\n", r.Stdout);
    }

    [Fact]
    public void A_sysctl_that_is_not_namespaced_is_refused()
    {
        var config = Harness.BaseConfig("true");
        config["linux"]!["sysctl"] = new JsonObject { ["vm.swappiness"] = "10" };
        Harness.AssertFailsLeavingNothing("run", Harness.Bundle(config), "sysctl", "vm.swappiness");
    }

    [Fact]
    public void User_namespace_with_id_mappings()
    {
        var config = Harness.BaseConfig();
        config["linux"]!["namespaces"]!.AsArray().Add(new JsonObject { ["type"] = "user" });
        config["linux"]!["uidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 100000, ["size"] = 65536 });
        config["linux"]!["gidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 100000, ["size"] = 65536 });
        // sysfs cannot be mounted from a user namespace that does not own the network namespace's... it does here.
        var r = Sh(config, "cat /proc/self/uid_map /proc/self/gid_map; id -u; readlink /proc/self/ns/user");
        Assert.Matches(@"^\s*0\s+100000\s+65536\n\s*0\s+100000\s+65536\n0\n", r.Stdout);
        Assert.DoesNotContain(HostNs("user"), r.Stdout);
    }

    [Fact]
    public void A_bind_source_below_a_0700_directory_is_bound_into_a_user_namespace()
    {
        // The container's root is host uid 100000, which may not enter the 0700 directory: berth copies the source's
        // mount tree on the host before clone, and the container only attaches it (runc opens sources first too).
        string parent = Directory.CreateTempSubdirectory("berth-0700").FullName;
        Harness.Exec("chmod", ["0700", parent]);
        string source = Path.Combine(parent, "data");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "hello"), "from the host\n");
        try
        {
            var config = Harness.BaseConfig();
            config["linux"]!["namespaces"]!.AsArray().Add(new JsonObject { ["type"] = "user" });
            config["linux"]!["uidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 100000, ["size"] = 65536 });
            config["linux"]!["gidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 100000, ["size"] = 65536 });
            config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/tmp", ["type"] = "bind", ["source"] = source, ["options"] = new JsonArray("rbind", "ro") });
            var r = Sh(config, "cat /tmp/hello; touch /tmp/x 2>/dev/null || echo read-only");
            Assert.Equal("from the host\nread-only\n", r.Stdout);
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public void No_pivot_moves_the_root_instead()
    {
        var r = Harness.RunContainer(Harness.BaseConfig("sh", "-c", "ls / | grep -c busybox-root-marker; cat /proc/self/mountinfo | head -1"), "--no-pivot");
        Assert.True(r.ExitCode is 0 or 1, r.ToString());
        Assert.StartsWith("0\n", r.Stdout);
    }

    [Fact]
    public void The_container_cannot_overwrite_the_berth_binary()
    {
        // CVE-2019-5736: nothing of berth may stay reachable from inside. Try every /proc/*/exe the container sees.
        byte[] before = File.ReadAllBytes(Harness.Berth);
        var r = Harness.RunContainer(Harness.BaseConfig("sh", "-c", "for e in /proc/[0-9]*/exe; do readlink $e; echo x > $e 2>/dev/null && echo WROTE $e; done; true"));
        Assert.DoesNotContain("berth", r.Stdout);
        Assert.DoesNotContain("WROTE", r.Stdout);
        Assert.Equal(before, File.ReadAllBytes(Harness.Berth));
    }

    [Fact]
    public void A_setting_berth_does_not_apply_is_an_error_not_a_silent_skip()
    {
        var config = Harness.BaseConfig("true");
        config["linux"]!["personality"] = new JsonObject { ["domain"] = "LINUX32" };
        Harness.AssertFailsLeavingNothing("run", Harness.Bundle(config), "unsupported", "linux.personality");
    }

    [Fact]
    public void The_process_is_in_its_cgroups_and_its_cgroup_namespace_is_rooted_there()
    {
        var config = Harness.BaseConfig("sleep", "30");
        config["linux"]!["namespaces"]!.AsArray().Add(new JsonObject { ["type"] = "cgroup" });
        string id = Harness.NewId("cgns");
        Assert.Equal(0, Harness.Run("create", "--bundle", Harness.Bundle(config), id).ExitCode);
        try
        {
            int pid = (int)JsonNode.Parse(Harness.Run("state", id).Stdout)!["pid"]!;
            // Seen from the host: every hierarchy holds the container's process in /berth/ID (one line each in
            // /proc/PID/cgroup, and its pid in the cgroup.procs of each hierarchy this host mounts).
            var lines = File.ReadAllLines($"/proc/{pid}/cgroup");
            Assert.NotEmpty(lines);
            Assert.All(lines, line => Assert.EndsWith($"/berth/{id}", line));
            Assert.All(HostSupport.Cgroups.DirectoriesFor($"/berth/{id}"), dir => Assert.Contains(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllLines(Path.Combine(dir, "cgroup.procs"))));
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
        Harness.AssertNothingLeft(id);

        // Seen from inside: the cgroup namespace starts at the container's own cgroup in every hierarchy.
        config["process"]!["args"] = new JsonArray("cat", "/proc/self/cgroup");
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.All(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.EndsWith(":/", line));
    }

    [Fact]
    public void User_and_cgroup_namespaces_together()
    {
        var config = Harness.BaseConfig("cat", "/proc/self/cgroup");
        var namespaces = config["linux"]!["namespaces"]!.AsArray();
        namespaces.Add(new JsonObject { ["type"] = "user" });
        namespaces.Add(new JsonObject { ["type"] = "cgroup" });
        config["linux"]!["uidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 100000, ["size"] = 65536 });
        config["linux"]!["gidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 100000, ["size"] = 65536 });
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.All(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.EndsWith(":/", line));
    }

    [Fact]
    public void A_pid_namespace_given_by_path_is_joined()
    {
        var provider = Harness.BaseConfig("sleep", "31");
        string id = Harness.NewId("pidns");
        Assert.Equal(0, Harness.Run("run", "--detach", "--bundle", Harness.Bundle(provider), id).ExitCode);
        try
        {
            int pid = int.Parse(JsonNode.Parse(Harness.Run("state", id).Stdout)!["pid"]!.ToString());
            var config = Harness.BaseConfig();
            config["linux"]!["namespaces"]!.AsArray()[0] = new JsonObject { ["type"] = "pid", ["path"] = $"/proc/{pid}/ns/pid" };
            var r = Sh(config, "readlink /proc/self/ns/pid; echo $$; ps -o args");
            var lines = r.Stdout.Split('\n');
            Assert.Equal(new FileInfo($"/proc/{pid}/ns/pid").LinkTarget, lines[0]);
            Assert.NotEqual("1", lines[1]); // the provider's sleep is pid 1 of that namespace
            Assert.Contains("sleep 31", r.Stdout);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
    }
}
