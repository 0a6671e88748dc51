using System.Globalization;

namespace Berth.Runtime.Tests.Clients;

/// <summary>
/// Rootful podman with berth as its OCI runtime (podman --runtime): a foreground run, a detached container with exec,
/// stop and rm, and podman update, each checked from inside the container. podman keeps everything of its own in a
/// temporary store (--root, --runroot, --tmpdir, vfs storage, no network) so that the host's stores stay untouched.
/// </summary>
public class PodmanTests(PodmanTests.Store store) : IClassFixture<PodmanTests.Store>
{
    /// <summary>podman passes no --root to the runtime when rootful: berth keeps its state in its default root.</summary>
    private const string BerthDefaultRoot = "/run/berth";

    private static void SkipUnlessUsable() =>
        HostSupport.SkipIfLacking(HostSupport.LacksRoot ?? ClientSupport.LacksPrograms("podman", "conmon"));

    [SkippableFact]
    public void A_foreground_run_gives_the_exit_code_and_output_and_leaves_nothing()
    {
        SkipUnlessUsable();
        string cidFile = Path.Combine(store.Home, Harness.NewId("cid"));
        var r = store.Podman(["run", "--rm", "--cidfile", cidFile, .. store.RunFlags, ClientSupport.ImageName,
            "sh", "-c", "echo hello from $(hostname); ulimit -n; exit 7"]);
        Assert.True(r.ExitCode == 7, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("hello from ", lines[0]);
        // The rlimit podman put in the config, set by berth.
        Assert.Equal("1024", lines[1]);
        string id = File.ReadAllText(cidFile).Trim();
        ClientSupport.AssertNothingLeft(BerthDefaultRoot, id, null);
        store.AssertNoContainerCgroups();
    }

    [SkippableFact]
    public void A_detached_container_takes_exec_stop_and_rm()
    {
        SkipUnlessUsable();
        string id = store.StartDetached();
        string cgroupsPath = store.CgroupsPathOf(id);
        Assert.True(Directory.Exists(Path.Combine(BerthDefaultRoot, id)), $"berth has no state for {id} in {BerthDefaultRoot}: was it the runtime?");

        // podman pause freezes the container's cgroup (v1 freezer, or cgroup.freeze on v2); unpause thaws it.
        var pause = store.Podman(["pause", id]);
        Assert.True(pause.ExitCode == 0, pause.ToString());
        Assert.Equal("paused", store.Podman(["inspect", "--format", "{{.State.Status}}", id]).Stdout.Trim());
        Assert.Equal("frozen", ClientSupport.FreezerState(cgroupsPath));
        var unpause = store.Podman(["unpause", id]);
        Assert.True(unpause.ExitCode == 0, unpause.ToString());
        Assert.Equal("thawed", ClientSupport.FreezerState(cgroupsPath));

        ClientSupport.PodmanExecStopRemove(store.Podman, id);
        ClientSupport.AssertNothingLeft(BerthDefaultRoot, id, cgroupsPath);
    }

    /// <summary>
    /// podman turns a runtime's create error into its documented exit codes by the error's words: 127 when the
    /// program is not found, 126 when it cannot be run. berth's message must carry them, and nothing may be left.
    /// </summary>
    [SkippableTheory]
    [InlineData("/no/such/program", 127)]
    [InlineData("/etc/passwd", 126)]
    public void A_program_that_cannot_run_gives_podmans_exit_code(string program, int exitCode)
    {
        SkipUnlessUsable();
        string cidFile = Path.Combine(store.Home, Harness.NewId("cid"));
        var r = store.Podman(["run", "--rm", "--cidfile", cidFile, .. store.RunFlags, ClientSupport.ImageName, program]);
        Assert.True(r.ExitCode == exitCode, r.ToString());
        Assert.Contains(program, r.Stderr);
        ClientSupport.AssertNothingLeft(BerthDefaultRoot, File.ReadAllText(cidFile).Trim(), null);
        store.AssertNoContainerCgroups();
    }

    /// <summary>podman -t hands berth conmon's console socket; the container's shell gets a terminal.</summary>
    [SkippableFact]
    public void A_terminal_run_gets_a_pseudo_terminal()
    {
        SkipUnlessUsable();
        var r = store.Podman(["run", "--rm", "--tty", .. store.RunFlags, ClientSupport.ImageName, "sh", "-c", "tty; test -t 1 && echo stdout-is-a-terminal; exit 6"]);
        Assert.True(r.ExitCode == 6, r.ToString());
        var lines = r.Stdout.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches("^/dev/pts/[0-9]+$", lines[0]);
        Assert.Equal("stdout-is-a-terminal", lines[1]);
    }

    /// <summary>
    /// podman update (4.3 changes CPU, memory and block IO limits) hands berth update a resources file; the new
    /// memory limit and reservation and the CFS quota must be what the container reads in its own cgroup files, by the names this host's
    /// cgroup version gives them.
    /// </summary>
    [SkippableFact]
    public void Update_changes_memory_and_cpu_limits_seen_inside()
    {
        SkipUnlessUsable();
        HostSupport.SkipIfLacking(ClientSupport.LacksController("memory") ?? ClientSupport.LacksController("cpu"));
        HostSupport.SkipIfLacking(HostSupport.ControllerVersion("cpu") == "cgroup v1" && !HostSupport.V1CgroupHas("cpu", "cpu.cfs_quota_us")
            ? "this kernel has no CFS bandwidth control (cpu.cfs_quota_us)" : null);
        string id = store.StartDetached("--memory", "64m", "--memory-reservation", "32m", "--cpus", "1");
        string cgroupsPath = store.CgroupsPathOf(id);
        try
        {
            string memory = ClientSupport.InsidePath("memory", "memory.limit_in_bytes", "memory.max");
            string reservation = ClientSupport.InsidePath("memory", "memory.soft_limit_in_bytes", "memory.low");
            string quota = HostSupport.ControllerVersion("cpu") == "cgroup v1"
                ? "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
                : "$(cat /sys/fs/cgroup/cpu.max)";
            string script = $"echo $(cat {memory}) $(cat {reservation}); echo {quota}";
            Assert.Equal(["67108864 33554432", "100000 100000"], Inside(id, script));

            var update = store.Podman(["update", "--memory", "96m", "--memory-reservation", "48m", "--cpus", "0.5", id]);
            Assert.True(update.ExitCode == 0, update.ToString());
            Assert.Equal(["100663296 50331648", "50000 100000"], Inside(id, script));
            Assert.Equal("100663296", ClientSupport.HostValue("memory", cgroupsPath, "memory.limit_in_bytes", "memory.max"));

            // A second update names memory only: the CPU limit stays.
            update = store.Podman(["update", "--memory", "80m", id]);
            Assert.True(update.ExitCode == 0, update.ToString());
            Assert.Equal([$"{(80L << 20).ToString(CultureInfo.InvariantCulture)} 50331648", "50000 100000"], Inside(id, script));
        }
        finally
        {
            store.Podman(["rm", "--force", "--time", "0", id]);
        }
        ClientSupport.AssertNothingLeft(BerthDefaultRoot, id, cgroupsPath);
    }

    private string[] Inside(string id, string script)
    {
        var r = store.Podman(["exec", id, "sh", "-c", script]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// A podman store of the test's own, the image loaded into it once, and a cgroup parent of its own; all removed
    /// with the class. (podman's lock segment in /dev/shm is shared with the host's podman and stays.)
    /// </summary>
    public sealed class Store : IDisposable
    {
        private readonly Lazy<bool> _loaded;
        private readonly IReadOnlySet<string> _besideV1MountsBefore = ClientSupport.EntriesBesideV1Mounts();

        /// <summary>
        /// What rootful podman writes outside its --root and --runroot whatever they say: the image library's blob
        /// cache and the network backend's run directory. Removed afterwards when the tests made them.
        /// </summary>
        private static readonly string[] HostDirectoriesPodmanMakes = ["/var/lib/containers", "/run/containers"];

        private readonly string[] _hostDirectoriesMissingBefore = HostDirectoriesPodmanMakes.Where(d => !Directory.Exists(d)).ToArray();

        public Store()
        {
            Home = Path.Combine(Harness.WorkDir, Harness.NewId("podman"));
            CgroupParent = "/" + Harness.NewId("berth-podman");
            _loaded = new Lazy<bool>(Load);
        }

        /// <summary>The directory holding the store, podman's state and temporary files.</summary>
        public string Home { get; }

        public string CgroupParent { get; }

        /// <summary>
        /// podman asks for RLIMIT_NOFILE and RLIMIT_NPROC of 1048576 for root by default, which takes CAP_SYS_RESOURCE
        /// when above the caller's hard limit; some hosts (sandboxes) withhold it, and runc and crun fail there too.
        /// </summary>
        public string[] RunFlags =>
            ["--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096", "--cgroup-parent", CgroupParent];

        private string[] GlobalFlags =>
        [
            "--root", Path.Combine(Home, "root"), "--runroot", Path.Combine(Home, "runroot"), "--tmpdir", Path.Combine(Home, "libpod"),
            "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", Harness.Berth,
        ];

        /// <summary>Runs podman on this store (TMPDIR too: podman update writes its resources file there).</summary>
        public BerthResult Podman(string[] args)
        {
            _ = _loaded.Value;
            return Run(args);
        }

        private BerthResult Run(string[] args) =>
            Harness.Exec("env", ["TMPDIR=" + Path.Combine(Home, "tmp"), "podman", .. GlobalFlags, .. args], timeoutMs: 120_000);

        private bool Load()
        {
            Directory.CreateDirectory(Path.Combine(Home, "tmp"));
            var r = Run(["load", "--input", ClientSupport.OciArchive]);
            Assert.True(r.ExitCode == 0, "podman load: " + r);
            return true;
        }

        /// <summary>Starts <see cref="ClientSupport.ExitsOnTermWith42"/> detached; returns the container's full id.</summary>
        public string StartDetached(params string[] extra)
        {
            var r = Podman(["run", "--detach", .. RunFlags, .. extra, ClientSupport.ImageName, .. ClientSupport.ExitsOnTermWith42]);
            Assert.True(r.ExitCode == 0, r.ToString());
            return r.Stdout.Trim();
        }

        /// <summary>The cgroupsPath podman gave berth, from the config it wrote for the container.</summary>
        public string CgroupsPathOf(string id)
        {
            var r = Podman(["inspect", "--format", "{{.OCIConfigPath}}", id]);
            Assert.True(r.ExitCode == 0, r.ToString());
            var config = JsonNode.Parse(File.ReadAllText(r.Stdout.Trim()))!;
            string path = (string)config["linux"]!["cgroupsPath"]!;
            Assert.StartsWith(CgroupParent + "/", path);
            return path;
        }

        /// <summary>Below the cgroup parent, only podman's own conmon cgroup may remain.</summary>
        public void AssertNoContainerCgroups()
        {
            foreach (string parent in HostSupport.Cgroups.DirectoriesFor(CgroupParent).Where(Directory.Exists))
                Assert.DoesNotContain(Directory.GetDirectories(parent), d => Path.GetFileName(d) != "conmon");
        }

        public void Dispose()
        {
            if (_loaded.IsValueCreated)
                Run(["rm", "--all", "--force", "--time", "0"]);
            ClientSupport.RemoveCgroupTree(CgroupParent);
            ClientSupport.RemoveClientDirectoriesBesideV1Mounts(_besideV1MountsBefore, CgroupParent);
            if (Directory.Exists(Home))
                Directory.Delete(Home, recursive: true);
            foreach (string dir in _hostDirectoriesMissingBefore.Where(Directory.Exists))
                Directory.Delete(dir, recursive: true);
        }
    }
}
