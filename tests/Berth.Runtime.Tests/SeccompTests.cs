namespace Berth.Runtime.Tests;

/// <summary>linux.seccomp, checked from inside real containers: the filter berth compiles is the one the kernel runs.</summary>
public class SeccompTests
{
    private const int SIGSYS = 31;

    private static BerthResult Sh(JsonObject config, string script)
    {
        config["process"]!["args"] = new JsonArray("sh", "-c", script);
        return Harness.RunContainer(config);
    }

    private static JsonObject Rule(string action, int? errno, string[] names, params JsonObject[] args)
    {
        var rule = new JsonObject { ["names"] = new JsonArray(names.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()), ["action"] = action };
        if (errno is not null)
            rule["errnoRet"] = errno;
        if (args.Length > 0)
            rule["args"] = new JsonArray(args);
        return rule;
    }

    private static JsonObject Arg(int index, ulong value, string op) => new() { ["index"] = index, ["value"] = value, ["op"] = op };

    private static JsonObject WithSeccomp(JsonObject seccomp, bool noNewPrivileges = true)
    {
        var config = Harness.BaseConfig();
        config["linux"]!["seccomp"] = seccomp;
        config["process"]!["noNewPrivileges"] = noNewPrivileges;
        return config;
    }

    private static JsonObject AllowBut(params JsonObject[] rules) => new()
    {
        ["defaultAction"] = "SCMP_ACT_ALLOW",
        ["architectures"] = new JsonArray("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
        ["syscalls"] = new JsonArray(rules),
    };

    /// <summary>Runs `true` under the config: berth must fail (exit 1) within 20 s, saying each of the mentions, and
    /// leave nothing behind.</summary>
    private static void AssertRunFails(JsonObject config, string prefix, params string[] mentions)
    {
        config["process"]!["args"] = new JsonArray("true");
        string id = Harness.NewId(prefix);
        var r = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, "run", "--bundle", Harness.Bundle(config), id], timeoutMs: 20_000);
        Assert.True(r.ExitCode == 1, r.ToString());
        foreach (string mention in mentions)
            Assert.Contains(mention, r.Stderr);
        Harness.AssertNothingLeft(id);
    }

    private static JsonObject LargeProfile() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Harness.RepoRoot, "tests/corpus/valid/seccomp-large.json")))!["linux"]!["seccomp"]!.DeepClone().AsObject();

    [Fact]
    public void A_profile_loaded_before_the_program_is_found_may_deny_openat2_and_faccessat2()
    {
        // Without no_new_privs and CAP_SYS_ADMIN the filter is loaded before the user change, so it is in force while
        // berth finds the program (as runc orders it). Profiles that predate openat2/faccessat2 do not list them:
        // the lookup must still work (runtime-tools' default profile is one).
        var config = WithSeccomp(AllowBut(Rule("SCMP_ACT_ERRNO", 1, ["openat2", "faccessat2"])), noNewPrivileges: false);
        config["process"]!["args"] = new JsonArray("echo", "found");
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("found\n", r.Stdout);
    }

    [Fact]
    public void A_profile_that_denies_execveat_is_named_as_the_reason_the_stage_cannot_start()
    {
        // The program's last execve is made by the sealed stage, which berth starts with execveat(memfd).
        AssertRunFails(WithSeccomp(AllowBut(Rule("SCMP_ACT_ERRNO", 1, ["execveat"]))), "seccomp-execveat", "(process.args)", "must allow execveat");
    }

    [Fact]
    public void A_denied_mkdir_fails_with_the_errno_of_the_rule()
    {
        var config = WithSeccomp(AllowBut(Rule("SCMP_ACT_ERRNO", 1, ["mkdir", "mkdirat"])));
        var r = Sh(config, "mkdir /tmp/x; echo \"status $?\"; test -d /tmp/x && echo exists; grep -E '^Seccomp:' /proc/self/status");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Operation not permitted", r.Stderr);
        Assert.Contains("status 1\n", r.Stdout);
        Assert.DoesNotContain("exists", r.Stdout);
        Assert.Contains("Seccomp:\t2\n", r.Stdout);
    }

    [Fact]
    public void Argument_comparisons_use_both_halves_of_the_64_bit_value()
    {
        // kill(pid, 0) is denied with EPERM; a rule on 1 << 32 (low half 0) must not match it, nor SIGCONT.
        var config = WithSeccomp(AllowBut(
            Rule("SCMP_ACT_ERRNO", 13, ["kill"], Arg(1, 1UL << 32, "SCMP_CMP_EQ")),
            Rule("SCMP_ACT_ERRNO", 1, ["kill"], Arg(1, 0, "SCMP_CMP_EQ"))));
        var r = Sh(config, "kill -0 $$ && echo zero-allowed || echo zero-denied; kill -CONT $$ && echo cont-allowed");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("zero-denied", r.Stdout);
        Assert.Contains("cont-allowed", r.Stdout);
        Assert.Contains("Operation not permitted", r.Stderr);
        Assert.DoesNotContain("Permission denied", r.Stderr);
    }

    [Fact]
    public void Masked_and_range_comparisons_decide_on_the_real_kernel()
    {
        // umask(mode) denied when mode & 0o7 == 0o7, or when mode > 0o700: umask 0026 passes, 0007 and 0770 do not.
        var config = WithSeccomp(AllowBut(
            Rule("SCMP_ACT_ERRNO", 1, ["umask"], Arg(0, 7, "SCMP_CMP_MASKED_EQ").Also("valueTwo", 7)),
            Rule("SCMP_ACT_ERRNO", 1, ["umask"], Arg(0, 0x1c0, "SCMP_CMP_GT"))));
        var r = Sh(config, "umask 0026; umask; umask 0007; umask; umask 0770; umask");
        Assert.Equal(["0026", "0026", "0026"], r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_realistic_default_deny_profile_runs_a_shell(bool noNewPrivileges)
    {
        // Without no_new_privs and without CAP_SYS_ADMIN the filter goes in before the user change, so the profile
        // must also allow what the setup does after it (setresuid, capset…); seccomp-large.json, like podman's, does.
        var config = WithSeccomp(LargeProfile(), noNewPrivileges);
        config["process"]!["user"] = new JsonObject { ["uid"] = 1000, ["gid"] = 1000, ["additionalGids"] = new JsonArray(10) };
        var r = Sh(config, "echo hi; ls / > /dev/null && echo listed; cat /proc/self/status | grep -E '^(Seccomp|NoNewPrivs):'; id -u; sh -c 'exit 3'; echo \"child $?\"");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("hi\nlisted\n", r.Stdout);
        Assert.Contains("Seccomp:\t2\n", r.Stdout);
        Assert.Contains($"NoNewPrivs:\t{(noNewPrivileges ? 1 : 0)}\n", r.Stdout);
        Assert.Contains("1000\nchild 3\n", r.Stdout);
    }

    [Fact]
    public void The_default_action_applies_to_calls_not_listed()
    {
        // seccomp-large.json answers calls it does not list with ENOSYS (defaultErrnoRet 38): take mkdir off its list.
        var profile = LargeProfile();
        foreach (var rule in profile["syscalls"]!.AsArray())
        {
            var names = rule!["names"]!.AsArray();
            foreach (var name in names.Where(n => (string)n! is "mkdir" or "mkdirat").ToList())
                names.Remove(name);
        }
        var r = Sh(WithSeccomp(profile), "mkdir /tmp/x; echo \"mkdir $?\"; touch /tmp/y && echo touched");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("mkdir 1\ntouched\n", r.Stdout);
        Assert.Contains("Function not implemented", r.Stderr);
    }

    [Fact]
    public void A_syscall_newer_than_the_profile_gets_ENOSYS_not_the_default_errno()
    {
        // runc's rule: unless the default lets calls through, a syscall numbered above every syscall the profile names
        // gets ENOSYS, so that programs fall back (glibc's clone3 -> clone) instead of failing with the default EPERM.
        // The profile: seccomp-large.json without clone3 and everything numbered after it, default errno EPERM. A probe
        // without libc calls clone3(NULL, 0) and prints the errno it got (EINVAL were it allowed).
        string[] newer = ["clone3", "close_range", "openat2", "pidfd_getfd", "faccessat2", "process_madvise", "epoll_pwait2",
            "mount_setattr", "quotactl_fd", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "memfd_secret",
            "process_mrelease", "futex_waitv", "set_mempolicy_home_node", "cachestat", "fchmodat2", "map_shadow_stack", "futex_wake",
            "futex_wait", "futex_requeue", "statmount", "listmount", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules",
            "mseal", "setxattrat", "getxattrat", "listxattrat", "removexattrat", "open_tree_attr", "file_getattr", "file_setattr"];
        var profile = LargeProfile();
        profile["defaultErrnoRet"] = 1;
        var rules = profile["syscalls"]!.AsArray();
        foreach (var rule in rules.ToList())
        {
            var names = rule!["names"]!.AsArray();
            foreach (var name in names.Where(n => newer.Contains((string)n!)).ToList())
                names.Remove(name);
            if (names.Count == 0)
                rules.Remove(rule);
        }
        string probe = Path.Combine(Harness.Rootfs, "clone3-probe-" + Environment.ProcessId);
        string source = Path.Combine(Harness.WorkDir, Harness.NewId("probe") + ".c");
        File.WriteAllText(source, """
            static long sys2(long n, long a, long b)
            {
                long r;
                __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
                return r;
            }
            __attribute__((force_align_arg_pointer)) void _start(void)
            {
                long err = -sys2(435, 0, 0); /* clone3(NULL, 0) */
                char line[] = "clone3 errno 000\n";
                line[13] = (char)('0' + err / 100 % 10);
                line[14] = (char)('0' + err / 10 % 10);
                line[15] = (char)('0' + err % 10);
                sys2(1, 1, (long)line); /* write needs a third argument: the length is set below */
                for (;;)
                    sys2(60, 0, 0);
            }
            """.Replace("sys2(1, 1, (long)line);", "{ long r; __asm__ volatile(\"syscall\" : \"=a\"(r) : \"a\"(1L), \"D\"(1L), \"S\"(line), \"d\"(17L) : \"rcx\", \"r11\", \"memory\"); }"));
        var cc = Harness.Exec("gcc", ["-static", "-nostdlib", "-O2", "-fno-stack-protector", "-o", probe, source]);
        Assert.True(cc.ExitCode == 0, "gcc: " + cc);
        try
        {
            var config = WithSeccomp(profile);
            config["process"]!["args"] = new JsonArray("/" + Path.GetFileName(probe));
            var r = Harness.RunContainer(config);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("clone3 errno 038\n", r.Stdout);
        }
        finally
        {
            File.Delete(probe);
        }
    }

    [Fact]
    public void A_startContainer_hook_runs_under_the_filter_and_its_death_is_named()
    {
        // runc's seccomp.bats: the hook runs in the container with the filter in force; mkdir kills it, and the error
        // says a hook failed and why, in runc's words ("error running hook", "bad system call").
        var config = WithSeccomp(AllowBut(Rule("SCMP_ACT_KILL", null, ["mkdir", "mkdirat"])));
        config["process"]!["args"] = new JsonArray("true");
        config["hooks"] = new JsonObject
        {
            ["startContainer"] = new JsonArray(new JsonObject { ["path"] = "/bin/sh", ["args"] = new JsonArray("sh", "-c", "mkdir /dev/shm/foo") }),
        };
        var r = Harness.RunContainer(config);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("error running hook #0: startContainer hook /bin/sh (hooks.startContainer[0])", r.Stderr);
        Assert.Contains("killed by signal 31 (bad system call)", r.Stderr);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("create")]
    public void A_profile_that_denies_write_still_starts_the_container(string command)
    {
        // As runc orders it: ready is reported before the late filter is in force, and the channel closes with close,
        // so a profile that denies write does not keep berth waiting (it hung forever before).
        var config = WithSeccomp(AllowBut(Rule("SCMP_ACT_ERRNO", 1, ["write", "writev", "pwrite64"])));
        config["process"]!["args"] = new JsonArray("sh", "-c", "exit 7");
        string id = Harness.NewId("sc-nowrite");
        var r = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, command, "--bundle", Harness.Bundle(config), id], timeoutMs: 20_000);
        if (command == "create")
        {
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal(0, Harness.Run("start", id).ExitCode);
            Harness.WaitForStatus(id, "stopped");
            Assert.Equal(0, Harness.Run("delete", id).ExitCode);
        }
        else
            Assert.True(r.ExitCode == 7, r.ToString());
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void An_early_filter_that_denies_write_fails_clearly_instead_of_hanging()
    {
        // Without no_new_privs and CAP_SYS_ADMIN the filter is loaded before the user change (as runc does), so the
        // setup's own report is denied: the child ends, and berth names the profile as the likely cause.
        AssertRunFails(WithSeccomp(AllowBut(Rule("SCMP_ACT_ERRNO", 1, ["write", "writev"])), noNewPrivileges: false), "sc-early",
            "exited during setup (exit status 125", "the seccomp profile (linux.seccomp)");
    }

    [Fact]
    public void A_setup_child_killed_by_the_filter_is_reported_with_the_cause() =>
        // The early filter kills on capset, which the setup calls after loading it (to set the capabilities).
        AssertRunFails(WithSeccomp(AllowBut(Rule("SCMP_ACT_KILL_PROCESS", null, ["capset"])), noNewPrivileges: false), "sc-killed",
            "killed by signal 31 (bad system call); the seccomp profile (linux.seccomp) killed it");

    [Fact]
    public void Kill_action_ends_the_process_with_SIGSYS()
    {
        var config = WithSeccomp(AllowBut(Rule("SCMP_ACT_KILL", null, ["mkdir", "mkdirat"])));
        var r = Sh(config, "echo before; exec mkdir /tmp/y");
        Assert.Contains("before", r.Stdout);
        Assert.Equal(128 + SIGSYS, r.ExitCode);
    }

    [Fact]
    public void Kill_process_action_ends_the_process_with_SIGSYS()
    {
        var config = WithSeccomp(AllowBut(Rule("SCMP_ACT_KILL_PROCESS", null, ["getppid"])));
        var r = Sh(config, "echo $PPID; echo reached");
        Assert.Equal(128 + SIGSYS, r.ExitCode);
    }

    [Fact]
    public void Flags_take_the_seccomp_syscall_path_and_unknown_names_are_skipped()
    {
        var profile = AllowBut(Rule("SCMP_ACT_ERRNO", 1, ["no_such_syscall", "mkdir", "mkdirat"]));
        profile["flags"] = new JsonArray("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC");
        var r = Sh(WithSeccomp(profile), "mkdir /tmp/z || echo denied; grep -E '^Seccomp:' /proc/self/status");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("denied\nSeccomp:\t2\n", r.Stdout);
    }

    [Fact]
    public void Notify_without_a_listener_path_is_an_error_that_names_the_field()
    {
        var config = WithSeccomp(AllowBut(Rule("SCMP_ACT_ERRNO", 1, ["mkdir"]), Rule("SCMP_ACT_NOTIFY", null, ["mkdir"])));
        config["process"]!["args"] = new JsonArray("true");
        string bundle = Harness.Bundle(config);
        string id = Harness.NewId("sc");
        var r = Harness.Run("run", "--bundle", bundle, id);
        Assert.Equal(1, r.ExitCode);
        Assert.True(r.Stderr.Contains("/linux/seccomp/listenerPath") && r.Stderr.Contains("SCMP_ACT_NOTIFY needs the path"), r.ToString());
        Harness.AssertNothingLeft(id);
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject o, string key, ulong value)
    {
        o[key] = value;
        return o;
    }
}
