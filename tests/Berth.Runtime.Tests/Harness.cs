using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Berth.Runtime.Tests;

/// <summary>The result of one berth invocation.</summary>
public sealed record BerthResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>
/// Shared by every integration test: the published berth binary, a busybox rootfs built once, and a state root of
/// its own so tests never see containers that are not theirs.
/// </summary>
public static class Harness
{
    private static readonly Lazy<string> RootfsLazy = new(BuildRootfs);
    private static int _counter;

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Berth { get; } = Environment.GetEnvironmentVariable("BERTH_BIN") ?? Path.Combine(RepoRoot, "artifacts/bin/berth");

    public static string WorkDir { get; } = CreateWorkDir();

    public static string StateRoot => Path.Combine(WorkDir, "state");

    public static string Rootfs => RootfsLazy.Value;

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Compiler.sln")))
                return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Compiler.sln)");
    }

    private static string CreateWorkDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"berth-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string BuildRootfs()
    {
        if (!File.Exists(Berth))
            throw new InvalidOperationException($"{Berth} is missing: publish it first (scripts/publish.sh, which ./test.sh runs)");
        string rootfs = Path.Combine(WorkDir, "rootfs");
        var r = Exec("bash", [Path.Combine(RepoRoot, "scripts/make-rootfs.sh"), rootfs]);
        if (r.ExitCode != 0)
            throw new InvalidOperationException("make-rootfs.sh failed: " + r);
        return rootfs;
    }

    public static string NewId(string prefix) => $"{prefix}-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}";

    public static BerthResult Exec(string file, IEnumerable<string> args, string? stdin = null, int timeoutMs = 60_000, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = Pump(p.StandardOutput);
        var stderr = Pump(p.StandardError);
        if (stdin is not null)
            p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        // A created container keeps berth's stdout open (it inherited it): do not wait for end-of-file for long.
        Task.WaitAll([stdout.Done, stderr.Done], 3000);
        return new BerthResult(p.ExitCode, stdout.Text, stderr.Text);
    }

    private sealed record Output(System.Text.StringBuilder Builder, Task Done)
    {
        public string Text
        {
            get
            {
                lock (Builder)
                    return Builder.ToString();
            }
        }
    }

    private static Output Pump(StreamReader reader)
    {
        var builder = new System.Text.StringBuilder();
        // A thread of its own: tests run in parallel and block, so the thread pool may be slow to start a task.
        var task = Task.Factory.StartNew(() =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = reader.Read(buffer)) > 0)
                lock (builder)
                    builder.Append(buffer, 0, n);
        }, TaskCreationOptions.LongRunning);
        return new Output(builder, task);
    }

    /// <summary>Runs berth with the test state root.</summary>
    public static BerthResult Run(params string[] args) => Exec(Berth, ["--root", StateRoot, .. args]);

    public static BerthResult RunWithRoot(string root, params string[] args) => Exec(Berth, ["--root", root, .. args]);

    /// <summary>
    /// Runs berth with the test state root and stdin, stdout and stderr each a read-only /dev/null, as go-runc's null
    /// IO (containerd's shim) gives them: every write to stderr fails. Only the exit code tells what happened.
    /// </summary>
    public static BerthResult RunWithReadOnlyStdio(params string[] args) =>
        Exec("bash", ["-c", "exec 0</dev/null 1</dev/null 2</dev/null; exec \"$@\"", "berth", Berth, "--root", StateRoot, .. args]);

    /// <summary>A file name in the test work directory (not created).</summary>
    public static string NewFile(string prefix, string extension = "") => Path.Combine(WorkDir, NewId(prefix) + extension);

    /// <summary>The container's status as `state` reports it (null when state fails).</summary>
    public static string? Status(string id, string? root = null)
    {
        var r = Exec(Berth, ["--root", root ?? StateRoot, "state", id]);
        return r.ExitCode == 0 ? (string?)JsonNode.Parse(r.Stdout)?["status"] : null;
    }

    /// <summary>Waits (up to 10 s) until the container has the status.</summary>
    public static void WaitForStatus(string id, string status, string? root = null)
    {
        for (int i = 0; i < 1000 && Status(id, root) != status; i++)
            Thread.Sleep(10);
        Assert.Equal(status, Status(id, root));
    }

    /// <summary>The config most tests start from: a busybox container with the usual namespaces and mounts.</summary>
    public static JsonObject BaseConfig(params string[] args) => new()
    {
        ["ociVersion"] = "1.3.0",
        ["process"] = new JsonObject
        {
            ["terminal"] = false,
            ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
            ["args"] = new JsonArray(args.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
            ["env"] = new JsonArray("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
            ["cwd"] = "/",
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = new JsonArray("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
                ["effective"] = new JsonArray("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
                ["permitted"] = new JsonArray("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
            },
            ["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 1024, ["soft"] = 1024 }),
            ["noNewPrivileges"] = true,
        },
        ["root"] = new JsonObject { ["path"] = Rootfs, ["readonly"] = false },
        ["hostname"] = "berth-test",
        ["mounts"] = new JsonArray(
            new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" },
            new JsonObject { ["destination"] = "/dev", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "strictatime", "mode=755", "size=65536k") },
            new JsonObject { ["destination"] = "/dev/pts", ["type"] = "devpts", ["source"] = "devpts", ["options"] = new JsonArray("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620") },
            new JsonObject { ["destination"] = "/dev/shm", ["type"] = "tmpfs", ["source"] = "shm", ["options"] = new JsonArray("nosuid", "noexec", "nodev", "mode=1777", "size=65536k") },
            new JsonObject { ["destination"] = "/dev/mqueue", ["type"] = "mqueue", ["source"] = "mqueue", ["options"] = new JsonArray("nosuid", "noexec", "nodev") },
            new JsonObject { ["destination"] = "/sys", ["type"] = "sysfs", ["source"] = "sysfs", ["options"] = new JsonArray("nosuid", "noexec", "nodev", "ro") }),
        ["linux"] = new JsonObject
        {
            ["namespaces"] = new JsonArray(
                new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "network" }, new JsonObject { ["type"] = "ipc" },
                new JsonObject { ["type"] = "uts" }, new JsonObject { ["type"] = "mount" }),
            ["maskedPaths"] = new JsonArray("/proc/kcore", "/proc/timer_list", "/sys/firmware"),
            ["readonlyPaths"] = new JsonArray("/proc/sys", "/proc/sysrq-trigger"),
        },
    };

    /// <summary>Writes a bundle directory holding config.json; the rootfs is shared and named by absolute path.</summary>
    public static string Bundle(JsonObject config)
    {
        string dir = Path.Combine(WorkDir, "bundles", NewId("b"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return dir;
    }

    /// <summary>berth run of a config; the container is removed afterwards.</summary>
    public static BerthResult RunContainer(JsonObject config, params string[] extra)
    {
        string bundle = Bundle(config);
        string id = NewId("run");
        return Run(["run", "--bundle", bundle, .. extra, id]);
    }

    /// <summary>berth run of a config whose process is `sh -c SCRIPT`; it must exit 0.</summary>
    public static BerthResult RunScript(JsonObject config, string script)
    {
        config["process"]!["args"] = new JsonArray("sh", "-c", script);
        var r = RunContainer(config);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    /// <summary>Receives one fd sent with SCM_RIGHTS on an accepted console-socket connection (as conmon does).</summary>
    public static unsafe int ReceiveFd(System.Net.Sockets.Socket connection)
    {
        byte* data = stackalloc byte[256];
        byte* control = stackalloc byte[64];
        var iov = new Tmds.Linux.iovec { iov_base = data, iov_len = 256 };
        var msg = new Tmds.Linux.msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = 64 };
        long n = Tmds.Linux.LibC.recvmsg((int)connection.Handle, &msg, 0);
        Assert.True(n >= 0, "recvmsg failed");
        var cmsg = Tmds.Linux.LibC.CMSG_FIRSTHDR(&msg);
        Assert.True(cmsg != null, "no fd was sent");
        return *(int*)Tmds.Linux.LibC.CMSG_DATA(cmsg);
    }

    /// <summary>
    /// `berth COMMAND --bundle BUNDLE ID` must fail with exit code 1, its error must mention each of
    /// <paramref name="mentions"/> (field names, paths, errno), and nothing of the container may be left.
    /// </summary>
    public static BerthResult AssertFailsLeavingNothing(string command, string bundle, string idPrefix, params string[] mentions)
    {
        string id = NewId(idPrefix);
        var r = Run(command, "--bundle", bundle, id);
        Assert.True(r.ExitCode == 1, r.ToString());
        foreach (string mention in mentions)
            Assert.Contains(mention, r.Stderr);
        AssertNothingLeft(id);
        return r;
    }

    /// <summary>A container running `sleep 60` detached, with these resources, and its own cgroups mounted at
    /// /sys/fs/cgroup (read-only, as runc's default config has them) so that it can read its limits.</summary>
    public static string StartDetached(string prefix, JsonObject? resources = null)
    {
        var config = BaseConfig("sleep", "60");
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/sys/fs/cgroup", ["type"] = "cgroup", ["source"] = "cgroup", ["options"] = new JsonArray("ro") });
        if (resources is not null)
            config["linux"]!["resources"] = resources;
        string id = NewId(prefix);
        var r = Run("run", "--detach", "--bundle", Bundle(config), id);
        Assert.True(r.ExitCode == 0, r.ToString());
        return id;
    }

    /// <summary>Nothing of a container may survive a failed or finished command: no state, no cgroup, no mount.</summary>
    public static void AssertNothingLeft(string id, string? root = null)
    {
        Assert.False(Directory.Exists(Path.Combine(root ?? StateRoot, id)), $"state directory of {id} is left behind");
        // Wherever this host keeps its hierarchies (v1 mounts, the cgroup2 mount, or both).
        foreach (string directory in HostSupport.Cgroups.DirectoriesFor("/berth/" + id))
            Assert.False(Directory.Exists(directory), $"cgroup {directory} is left behind");
        string mounts = File.ReadAllText("/proc/self/mountinfo");
        Assert.DoesNotContain(id, mounts);
    }
}
