using System.Diagnostics;

namespace Berth.Runtime.Tests;

/// <summary>
/// SCMP_ACT_NOTIFY with linux.seccomp.listenerPath (runtime-spec 1.3; runc's seccomp-notify.bats): the filter's
/// listener reaches a seccomp agent with the container process's state, and the agent decides the notified calls.
/// The agent is a small C program of the tests (Agents/seccomp-agent.c): mkdir fails with EXDEV, the rest goes on.
/// </summary>
public sealed class SeccompNotifyTests : IDisposable
{
    private static readonly Lazy<string> AgentBinary = new(() =>
    {
        string binary = Path.Combine(Harness.WorkDir, "seccomp-agent");
        var r = Harness.Exec("gcc", ["-O2", "-Wall", "-Werror", "-o", binary, Path.Combine(Harness.RepoRoot, "tests/Berth.Runtime.Tests/Agents/seccomp-agent.c")]);
        Assert.True(r.ExitCode == 0, "gcc: " + r);
        return binary;
    });

    private readonly string _dir = Directory.CreateTempSubdirectory("berth-agent").FullName;
    private readonly Process _agent;
    private string Socket => Path.Combine(_dir, "agent.sock");
    private string Messages => Path.Combine(_dir, "messages");

    public SeccompNotifyTests()
    {
        _agent = Process.Start(new ProcessStartInfo(AgentBinary.Value, [Socket, Messages]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        Assert.Equal("listening", _agent.StandardOutput.ReadLine());
    }

    public void Dispose()
    {
        if (!_agent.HasExited)
            _agent.Kill(entireProcessTree: true);
        _agent.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private JsonObject Notifying(string[] names, string script, bool noNewPrivileges = true)
    {
        var config = Harness.BaseConfig("sh", "-c", script);
        config["process"]!["noNewPrivileges"] = noNewPrivileges;
        config["linux"]!["seccomp"] = new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ALLOW",
            ["listenerPath"] = Socket,
            ["listenerMetadata"] = "from-the-test",
            ["architectures"] = new JsonArray("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
            ["syscalls"] = new JsonArray(new JsonObject { ["names"] = new JsonArray(names.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()), ["action"] = "SCMP_ACT_NOTIFY" }),
        };
        return config;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_agent_gets_the_listener_and_the_state_and_answers_the_calls(bool noNewPrivileges)
    {
        var config = Notifying(["mkdir", "mkdirat"], "mkdir /tmp/notified; echo \"mkdir $?\"; touch /tmp/plain && echo touched", noNewPrivileges);
        string bundle = Harness.Bundle(config);
        string id = Harness.NewId("notify");
        var r = Harness.Run("run", "--bundle", bundle, id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("mkdir 1\ntouched\n", r.Stdout);
        Assert.Contains("Invalid cross-device link", r.Stderr);
        var message = JsonNode.Parse(Assert.Single(File.ReadAllLines(Messages)))!;
        Assert.Equal(["seccompFd"], message["fds"]!.AsArray().Select(f => (string)f!));
        Assert.Equal("from-the-test", (string?)message["metadata"]);
        Assert.Equal(id, (string?)message["state"]!["id"]);
        Assert.Equal(bundle, (string?)message["state"]!["bundle"]);
        Assert.True((int)message["pid"]! > 0);
        Harness.AssertNothingLeft(id);
    }

    [SkippableFact]
    public void Wait_killable_recv_is_passed_to_the_kernel()
    {
        // Linux 5.19: a notified call waits killably once the agent has received it. Ask the kernel whether it knows
        // the flag: seccomp(SECCOMP_SET_MODE_FILTER, that flag alone) gives EINVAL for an unknown flag and EFAULT
        // (no program) for a known one.
        long rc = (long)Tmds.Linux.LibC.syscall(317, 1, 32 | 8, 0);
        Skip.If(rc == 0 || Tmds.Linux.LibC.errno != 14, "this kernel does not know SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
        var config = Notifying(["mkdir", "mkdirat"], "mkdir /tmp/k; echo \"mkdir $?\"");
        config["linux"]!["seccomp"]!["flags"] = new JsonArray("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("mkdir 1\n", r.Stdout);
    }

    [Fact]
    public void The_calls_berth_itself_makes_may_be_notified_too()
    {
        // runc's "important syscalls": the setup's own execve/openat/read/close after the filter is in go through the agent.
        var r = Harness.RunContainer(Notifying(["execve", "execveat", "openat", "open", "read", "close"], "echo ran"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("ran\n", r.Stdout);
    }

    [Fact]
    public void An_exec_gets_its_own_listener_to_the_agent()
    {
        string id = Harness.NewId("notify-exec");
        var r = Harness.Run("run", "--detach", "--bundle", Harness.Bundle(Notifying(["mkdir", "mkdirat"], "sleep 60")), id);
        Assert.True(r.ExitCode == 0, r.ToString());
        try
        {
            var e = Harness.Run("exec", id, "sh", "-c", "mkdir /tmp/by-exec; echo \"mkdir $?\"");
            Assert.True(e.ExitCode == 0, e.ToString());
            Assert.Equal("mkdir 1\n", e.Stdout);
            var lines = File.ReadAllLines(Messages);
            Assert.Equal(2, lines.Length);
            Assert.Equal("running", (string?)JsonNode.Parse(lines[1])!["state"]!["status"]);
        }
        finally
        {
            Assert.Equal(0, Harness.Run("delete", "--force", id).ExitCode);
        }
        Harness.AssertNothingLeft(id);
    }

    [Fact]
    public void Without_an_agent_listening_create_fails_clearly_and_leaves_nothing()
    {
        _agent.Kill();
        _agent.WaitForExit();
        File.Delete(Socket);
        Harness.AssertFailsLeavingNothing("run", Harness.Bundle(Notifying(["mkdir"], "true")), "notify-none",
            "failed to connect with seccomp agent", "linux.seccomp.listenerPath");
    }

    [Theory]
    [InlineData("write", "SCMP_ACT_NOTIFY cannot be used for the write syscall")]
    [InlineData("sendmsg", "SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall")]
    public void Calls_the_handover_needs_cannot_be_notified(string name, string words) =>
        Harness.AssertFailsLeavingNothing("run", Harness.Bundle(Notifying([name], "true")), "notify-refused", words, "/linux/seccomp/syscalls/0/names");

    [Fact]
    public void Notify_needs_a_listener_path()
    {
        var config = Notifying(["mkdir"], "true");
        config["linux"]!["seccomp"]!["listenerPath"] = "";
        Harness.AssertFailsLeavingNothing("run", Harness.Bundle(config), "notify-nopath", "/linux/seccomp/listenerPath", "SCMP_ACT_NOTIFY needs the path");
    }

    [Fact]
    public void A_listener_path_without_notify_rules_is_unused()
    {
        var config = Notifying(["mkdir"], "mkdir /tmp/d && echo made");
        config["linux"]!["seccomp"]!["syscalls"] = new JsonArray();
        var r = Harness.RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("made\n", r.Stdout);
        Assert.False(File.Exists(Messages));
    }
}
