namespace Berth.Runtime.Tests;

/// <summary>What the config asks of the process, checked from inside a real container.</summary>
public class ProcessTests
{
    private static BerthResult Sh(JsonObject config, string script)
    {
        config["process"]!["args"] = new JsonArray("sh", "-c", script);
        return Harness.RunContainer(config);
    }

    [Fact]
    public void Run_prints_the_output_and_returns_the_exit_status()
    {
        var r = Harness.RunContainer(Harness.BaseConfig("sh", "-c", "echo hello from berth; exit 7"));
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("hello from berth\n", r.Stdout);
    }

    [Fact]
    public void Args_env_and_cwd_are_those_of_the_config()
    {
        var config = Harness.BaseConfig();
        config["process"]!["env"] = new JsonArray("PATH=/bin", "GREETING=ahoy there");
        config["process"]!["cwd"] = "/tmp/work/dir";
        var r = Sh(config, "echo \"$GREETING|$(pwd)|$0\"");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("ahoy there|/tmp/work/dir|sh\n", r.Stdout);
    }

    [Fact]
    public void User_groups_and_umask_are_applied()
    {
        var config = Harness.BaseConfig();
        config["process"]!["user"] = new JsonObject { ["uid"] = 1234, ["gid"] = 2345, ["additionalGids"] = new JsonArray(3456, 4567), ["umask"] = 23 };
        var r = Sh(config, "id -u; id -g; id -G; umask");
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n');
        Assert.Equal("1234", lines[0]);
        Assert.Equal("2345", lines[1]);
        Assert.Equal(new[] { "2345", "3456", "4567" }.Order(), lines[2].Split(' ').Order());
        Assert.Equal("0027", lines[3]);
    }

    [Fact]
    public void Capability_sets_and_no_new_privileges_are_applied()
    {
        var config = Harness.BaseConfig();
        config["process"]!["capabilities"] = new JsonObject
        {
            ["bounding"] = new JsonArray("CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"),
            ["effective"] = new JsonArray("CAP_KILL"),
            ["permitted"] = new JsonArray("CAP_KILL", "CAP_CHOWN"),
            ["inheritable"] = new JsonArray("CAP_CHOWN"),
            ["ambient"] = new JsonArray("CAP_CHOWN"),
        };
        config["process"]!["noNewPrivileges"] = true;
        // A non-root user: after execve only the ambient set survives into permitted and effective.
        config["process"]!["user"] = new JsonObject { ["uid"] = 1000, ["gid"] = 1000 };
        var r = Sh(config, "grep -E '^(Cap|NoNewPrivs)' /proc/self/status");
        Assert.True(r.ExitCode == 0, r.ToString());
        var fields = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
        // CAP_CHOWN = 0, CAP_KILL = 5, CAP_NET_BIND_SERVICE = 10.
        Assert.Equal($"{(1UL << 0) | (1UL << 5) | (1UL << 10):x16}", fields["CapBnd"]);
        Assert.Equal($"{1UL << 0:x16}", fields["CapInh"]);
        Assert.Equal($"{1UL << 0:x16}", fields["CapAmb"]);
        Assert.Equal($"{1UL << 0:x16}", fields["CapPrm"]);
        Assert.Equal($"{1UL << 0:x16}", fields["CapEff"]);
        Assert.Equal("1", fields["NoNewPrivs"]);
    }

    [Fact]
    public void Root_gets_exactly_the_bounding_set()
    {
        var config = Harness.BaseConfig();
        config["process"]!["capabilities"] = new JsonObject
        {
            ["bounding"] = new JsonArray("CAP_KILL", "CAP_SYS_CHROOT"),
            ["effective"] = new JsonArray("CAP_KILL", "CAP_SYS_CHROOT"),
            ["permitted"] = new JsonArray("CAP_KILL", "CAP_SYS_CHROOT"),
        };
        var r = Sh(config, "grep -E '^Cap(Bnd|Eff)' /proc/self/status");
        // CAP_KILL = 5, CAP_SYS_CHROOT = 18: nothing else survives (no CAP_SYS_ADMIN).
        string expected = $"{(1UL << 5) | (1UL << 18):x16}";
        Assert.Equal($"CapEff:\t{expected}\nCapBnd:\t{expected}\n", r.Stdout);
    }

    [Fact]
    public void Without_no_new_privileges_the_flag_is_clear()
    {
        var config = Harness.BaseConfig();
        config["process"]!["noNewPrivileges"] = false;
        var r = Sh(config, "grep NoNewPrivs /proc/self/status");
        Assert.Contains("NoNewPrivs:\t0", r.Stdout);
    }

    [Fact]
    public void Rlimits_are_applied()
    {
        var config = Harness.BaseConfig();
        config["process"]!["rlimits"] = new JsonArray(
            new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 1000, ["soft"] = 900 },
            new JsonObject { ["type"] = "RLIMIT_CORE", ["hard"] = 4096, ["soft"] = 2048 });
        var r = Sh(config, "ulimit -n; ulimit -Hn; grep 'Max core' /proc/self/limits");
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n');
        Assert.Equal("900", lines[0]);
        Assert.Equal("1000", lines[1]);
        Assert.Matches(@"Max core file size\s+2048\s+4096", lines[2]);
    }

    [Fact]
    public void An_rlimit_above_what_the_host_allows_is_a_clear_error_and_leaves_nothing()
    {
        var config = Harness.BaseConfig("true");
        config["process"]!["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 100_000_000, ["soft"] = 1024 });
        string bundle = Harness.Bundle(config);
        Harness.AssertFailsLeavingNothing("run", bundle, "rlimit", "process.rlimits[0]", "RLIMIT_NOFILE");
    }

    [Fact]
    public void Oom_score_adj_is_applied()
    {
        var config = Harness.BaseConfig();
        config["process"]!["oomScoreAdj"] = 123;
        var r = Sh(config, "cat /proc/self/oom_score_adj");
        Assert.Equal("123\n", r.Stdout);
    }

    [Fact]
    public void A_program_missing_from_the_rootfs_is_an_error_naming_it()
    {
        string bundle = Harness.Bundle(Harness.BaseConfig("no-such-program"));
        Harness.AssertFailsLeavingNothing("run", bundle, "noexec", "no-such-program", "process.args[0]");
    }

    [Fact]
    public void Each_container_gets_its_own_session_keyring_unless_told_otherwise()
    {
        // /proc/keys lists the keyrings the process can see; a new session keyring is named after the container.
        var config = Harness.BaseConfig("sh", "-c", "grep -c \" $BERTH_ID:\" /proc/keys || true");
        config["linux"]!["maskedPaths"] = new JsonArray();
        string bundle = Harness.Bundle(config);
        foreach (var (flag, expected) in new[] { ("", "1\n"), ("--no-new-keyring", "0\n") })
        {
            string id = Harness.NewId("keyring");
            config["process"]!["env"] = new JsonArray("PATH=/bin", "BERTH_ID=" + id);
            File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());
            var r = flag.Length > 0 ? Harness.Run("run", "--bundle", bundle, flag, id) : Harness.Run("run", "--bundle", bundle, id);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal(expected, r.Stdout);
        }
    }
}
