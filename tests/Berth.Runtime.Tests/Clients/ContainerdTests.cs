using System.Diagnostics;
using System.Globalization;

namespace Berth.Runtime.Tests.Clients;

/// <summary>
/// containerd's ctr with berth as the runc binary of its runc v2 shim (ctr run --runc-binary): a foreground run, a
/// detached task with exec and kill, and --null-io, where the shim gives berth a read-only /dev/null as stdin,
/// stdout and stderr. The test starts a containerd of its own (config, root, state and socket in a temporary
/// directory) and stops it afterwards; berth's state goes to a --runc-root of the test's.
/// </summary>
public class ContainerdTests(ContainerdTests.Daemon daemon) : IClassFixture<ContainerdTests.Daemon>
{
    private static void SkipUnlessUsable() =>
        HostSupport.SkipIfLacking(HostSupport.LacksRoot ?? ClientSupport.LacksPrograms("containerd", "ctr", "containerd-shim-runc-v2"));

    [SkippableFact]
    public void A_foreground_run_gives_the_exit_code_and_output_and_leaves_nothing()
    {
        SkipUnlessUsable();
        string id = Harness.NewId("ctr-fg");
        var r = daemon.Ctr(["run", "--rm", .. daemon.RunFlags(id), ClientSupport.ImageName, id, "sh", "-c", "echo hello from pid $$; exit 7"]);
        Assert.True(r.ExitCode == 7, r.ToString());
        // The shell is the first process of the container's own pid namespace.
        Assert.Equal("hello from pid 1", r.Stdout.Trim());
        daemon.AssertNothingLeft(id);
    }

    /// <summary>
    /// A detached task with a memory limit (read back on the host by this host's cgroup file name), listed by
    /// task ps (berth ps --format json), paused and resumed (the host's freezer file), exec'd into, and stopped by
    /// task kill.
    /// </summary>
    [SkippableFact]
    public void A_detached_task_takes_ps_pause_exec_kill_and_delete()
    {
        SkipUnlessUsable();
        HostSupport.SkipIfLacking(ClientSupport.LacksController("memory"));
        string id = Harness.NewId("ctr-bg");
        var run = daemon.Ctr(["run", "--detach", "--memory-limit", (64L << 20).ToString(CultureInfo.InvariantCulture), .. daemon.RunFlags(id),
            ClientSupport.ImageName, id, .. ClientSupport.ExitsOnTermWith42]);
        Assert.True(run.ExitCode == 0, run.ToString());
        try
        {
            // berth's own view: the shim ran it with the test's --runc-root (one directory per containerd namespace).
            Assert.Equal("running", Harness.Status(id, daemon.BerthStateRoot));
            Assert.Equal((64L << 20).ToString(CultureInfo.InvariantCulture),
                ClientSupport.HostValue("memory", Daemon.CgroupsPath(id), "memory.limit_in_bytes", "memory.max"));

            string pid = Assert.Single(daemon.Ctr(["task", "ls"]).Stdout.Split('\n'), l => l.StartsWith(id + " ", StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            var ps = daemon.Ctr(["task", "ps", id]);
            Assert.True(ps.ExitCode == 0, ps.ToString());
            Assert.Contains(ps.Stdout.Split('\n'), l => l.StartsWith(pid + " ", StringComparison.Ordinal));

            var pause = daemon.Ctr(["task", "pause", id]);
            Assert.True(pause.ExitCode == 0, pause.ToString());
            Assert.Equal("frozen", ClientSupport.FreezerState(Daemon.CgroupsPath(id)));
            var resume = daemon.Ctr(["task", "resume", id]);
            Assert.True(resume.ExitCode == 0, resume.ToString());
            Assert.Equal("thawed", ClientSupport.FreezerState(Daemon.CgroupsPath(id)));

            var exec = daemon.Ctr(["task", "exec", "--exec-id", "probe", "--fifo-dir", daemon.FifoDir, id, "sh", "-c", "echo $((6 * 7)); exit 3"]);
            Assert.True(exec.ExitCode == 3, exec.ToString());
            Assert.Equal("42", exec.Stdout.Trim());

            var kill = daemon.Ctr(["task", "kill", "--signal", "SIGTERM", id]);
            Assert.True(kill.ExitCode == 0, kill.ToString());
            for (int i = 0; i < 200 && !daemon.Ctr(["task", "ls"]).Stdout.Contains("STOPPED", StringComparison.Ordinal); i++)
                Thread.Sleep(50);
            // ctr reports the exit status on delete; 42 is the shell's answer to SIGTERM.
            var delete = daemon.Ctr(["task", "delete", id]);
            Assert.True(delete.ExitCode == 0, delete.ToString());
            Assert.Contains("exit code 42", delete.Stderr);
        }
        finally
        {
            daemon.Ctr(["task", "delete", "--force", id]);
            daemon.Ctr(["container", "delete", id]);
        }
        daemon.AssertNothingLeft(id);
    }

    /// <summary>
    /// With --null-io the shim opens /dev/null read-only for berth's stdin, stdout and stderr. The task's exit code
    /// comes back, and a file it writes to a bind mount shows that it ran.
    /// </summary>
    [SkippableFact]
    public void Null_io_runs_the_task_and_gives_its_exit_code()
    {
        SkipUnlessUsable();
        string id = Harness.NewId("ctr-nullio");
        string outDir = Path.Combine(daemon.Home, id);
        Directory.CreateDirectory(outDir);
        var r = daemon.Ctr(["run", "--rm", "--null-io", .. daemon.RunFlags(id), "--mount", $"type=bind,src={outDir},dst=/out,options=rbind:rw",
            ClientSupport.ImageName, id, "sh", "-c", "echo ran as $(id -u) > /out/proof; echo lost; exit 9"]);
        Assert.True(r.ExitCode == 9, r.ToString());
        Assert.Equal("", r.Stdout);
        Assert.Equal("ran as 0", File.ReadAllText(Path.Combine(outDir, "proof")).Trim());
        daemon.AssertNothingLeft(id);
    }

    /// <summary>
    /// berth once aborted with exit 134 on its first write to that stderr, before writing the shim's log, so ctr
    /// could only say "exit status 134". Now a create error under --null-io reaches ctr through the log.
    /// </summary>
    [SkippableFact]
    public void Null_io_create_errors_reach_ctr_through_the_log()
    {
        SkipUnlessUsable();
        string id = Harness.NewId("ctr-nullio-error");
        try
        {
            var r = daemon.Ctr(["run", "--rm", "--null-io", .. daemon.RunFlags(id), ClientSupport.ImageName, id, "/no/such/program"]);
            Assert.True(r.ExitCode != 0, r.ToString());
            Assert.Contains("/no/such/program", r.Stderr);
            Assert.Contains("no such file or directory", r.Stderr);
            Assert.DoesNotContain("exit status", r.Stderr);
        }
        finally
        {
            daemon.Ctr(["container", "delete", id]);
        }
        daemon.AssertNothingLeft(id);
    }

    /// <summary>A containerd of the test's own with the image imported once; stopped and removed with the class.</summary>
    public sealed class Daemon : IDisposable
    {
        private const string Namespace = "berth-clients";
        private readonly Lazy<Process> _daemon;

        public Daemon()
        {
            Home = Path.Combine(Harness.WorkDir, Harness.NewId("containerd"));
            _daemon = new Lazy<Process>(Start);
        }

        public string Home { get; }

        private string Socket => Path.Combine(Home, "containerd.sock");

        /// <summary>Where ctr makes the task's stdio fifos (else under /run/containerd).</summary>
        public string FifoDir => Path.Combine(Home, "fifo");

        /// <summary>The shim runs berth with --root RUNC_ROOT/NAMESPACE.</summary>
        public string BerthStateRoot => Path.Combine(Home, "runc-root", Namespace);

        /// <summary>The cgroup ctr gives a container (its default, named here so that the test knows it).</summary>
        public static string CgroupsPath(string id) => $"/{Namespace}/{id}";

        /// <summary>berth as the shim's runc, its state root, the native snapshotter (no overlay needed), the
        /// fifos in the test's directory.</summary>
        public string[] RunFlags(string id) =>
        [
            "--runc-binary", Harness.Berth, "--runc-root", Path.Combine(Home, "runc-root"), "--snapshotter", "native",
            "--fifo-dir", FifoDir, "--cgroup", CgroupsPath(id),
        ];

        public BerthResult Ctr(string[] args)
        {
            _ = _daemon.Value;
            return Run(args);
        }

        private BerthResult Run(string[] args) =>
            Harness.Exec("ctr", ["--address", Socket, "--namespace", Namespace, .. args], timeoutMs: 120_000);

        public void AssertNothingLeft(string id)
        {
            ClientSupport.AssertNothingLeft(BerthStateRoot, id, CgroupsPath(id));
            Assert.DoesNotContain(id, Run(["container", "ls", "--quiet"]).Stdout);
        }

        private Process Start()
        {
            Directory.CreateDirectory(Home);
            string config = Path.Combine(Home, "config.toml");
            // CRI off (it wants networking and more); the opt plugin would write to /opt/containerd.
            File.WriteAllText(config, $"""
                version = 2
                root = "{Home}/root"
                state = "{Home}/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri"]
                [grpc]
                  address = "{Socket}"
                [ttrpc]
                  address = "{Socket}.ttrpc"
                [plugins."io.containerd.internal.v1.opt"]
                  path = "{Home}/opt"
                """);
            var psi = new ProcessStartInfo("bash") { UseShellExecute = false };
            foreach (string arg in new[] { "-c", "exec containerd --config \"$1\" >\"$2\" 2>&1", "containerd", config, Path.Combine(Home, "containerd.log") })
                psi.ArgumentList.Add(arg);
            var process = Process.Start(psi)!;
            for (int i = 0; i < 200 && Run(["version"]).ExitCode != 0; i++)
            {
                Assert.False(process.HasExited, "containerd exited: " + File.ReadAllText(Path.Combine(Home, "containerd.log")));
                Thread.Sleep(100);
            }
            var import = Run(["images", "import", "--snapshotter", "native", ClientSupport.OciArchive]);
            Assert.True(import.ExitCode == 0, "ctr images import: " + import);
            return process;
        }

        public void Dispose()
        {
            if (!_daemon.IsValueCreated)
                return;
            var process = _daemon.Value;
            foreach (string id in Run(["container", "ls", "--quiet"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Run(["task", "delete", "--force", id]);
                Run(["container", "delete", id]);
            }
            Harness.Exec("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
            if (!process.WaitForExit(20_000))
                process.Kill();
            process.Dispose();
            Directory.Delete(Home, recursive: true);
        }
    }
}
