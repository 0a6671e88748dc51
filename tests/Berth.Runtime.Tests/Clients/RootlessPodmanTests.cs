using System.Globalization;

namespace Berth.Runtime.Tests.Clients;

/// <summary>
/// Rootless podman with berth as its runtime. podman runs berth as uid 0 inside a user namespace of its own (the
/// user's id plus its /etc/subuid range, set up with newuidmap), with no --root and XDG_RUNTIME_DIR set: berth must
/// see that it is rootless, keep its state under XDG_RUNTIME_DIR and make no cgroups it may not write.
/// </summary>
public class RootlessPodmanTests(RootlessPodmanTests.UserStore store) : IClassFixture<RootlessPodmanTests.UserStore>
{
    [SkippableFact]
    public void A_foreground_run_maps_the_user_and_its_subordinate_ids_and_gives_the_exit_code()
    {
        HostSupport.SkipIfLacking(UserStore.Lacks());
        string cidFile = Path.Combine(store.Home, Harness.NewId("cid"));
        var r = store.Podman(["run", "--rm", "--network", "none", "--cidfile", cidFile, ClientSupport.ImageName,
            "sh", "-c", "id -u; cat /proc/self/uid_map; echo written > /tmp/f && cat /tmp/f; exit 5"]);
        Assert.True(r.ExitCode == 5, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0", lines[0]);
        Assert.Matches($@"^\s*0\s+{store.Uid}\s+1$", lines[1]);
        Assert.Matches($@"^\s*1\s+{store.SubordinateStart}\s+{store.SubordinateCount}$", lines[2]);
        Assert.Equal("written", lines[3]);
        string id = File.ReadAllText(cidFile).Trim();
        ClientSupport.AssertNothingLeft(store.BerthStateRoot, id, "/berth/" + id);
    }

    /// <summary>
    /// --userns keep-id: the config asks for a user namespace of its own inside podman's, with the user's id mapped
    /// to itself; berth, root of podman's namespace, makes it and writes the mappings.
    /// </summary>
    [SkippableFact]
    public void Keep_id_runs_the_process_as_the_user_in_a_nested_user_namespace()
    {
        HostSupport.SkipIfLacking(UserStore.Lacks());
        var r = store.Podman(["run", "--rm", "--network", "none", "--userns", "keep-id", ClientSupport.ImageName,
            "sh", "-c", "id -u; cat /proc/self/uid_map"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(store.Uid.ToString(CultureInfo.InvariantCulture), lines[0]);
        // The user's id (0 in podman's namespace) maps to itself.
        Assert.Contains(lines.Skip(1), line => System.Text.RegularExpressions.Regex.IsMatch(line, $@"^\s*{store.Uid}\s+0\s+1$"));
    }

    [SkippableFact]
    public void A_detached_container_keeps_its_state_under_XDG_RUNTIME_DIR_and_takes_exec_stop_and_rm()
    {
        HostSupport.SkipIfLacking(UserStore.Lacks());
        var run = store.Podman(["run", "--detach", "--network", "none", ClientSupport.ImageName, .. ClientSupport.ExitsOnTermWith42]);
        Assert.True(run.ExitCode == 0, run.ToString());
        string id = run.Stdout.Trim();
        try
        {
            Assert.True(Directory.Exists(Path.Combine(store.BerthStateRoot, id)), $"berth keeps no state for {id} under {store.BerthStateRoot}");
            ClientSupport.PodmanExecStopRemove(store.Podman, id);
        }
        finally
        {
            store.Podman(["rm", "--force", "--time", "0", id]);
        }
        ClientSupport.AssertNothingLeft(store.BerthStateRoot, id, "/berth/" + id);
    }

    /// <summary>
    /// The unprivileged user, its store and a copy of berth it can run. The user is <see cref="UserName"/>: this
    /// fixture creates it (no home, no login shell) with an /etc/subuid and /etc/subgid range when it is missing, and
    /// leaves it for later runs. Everything else is removed with the class.
    /// </summary>
    public sealed class UserStore : IDisposable
    {
        public const string UserName = "berth-rootless";
        private const int RangeSize = 65536;

        private readonly Lazy<bool> _ready;
        private bool _lockExisted;

        public UserStore()
        {
            Home = Path.Combine(Path.GetTempPath(), Harness.NewId("berth-rootless-podman"));
            _ready = new Lazy<bool>(Prepare);
        }

        /// <summary>Null when this host can run rootless podman; else what it lacks.</summary>
        public static string? Lacks() =>
            HostSupport.LacksRoot
            ?? ClientSupport.LacksPrograms("podman", "conmon", "newuidmap", "newgidmap", "useradd", "usermod", "setpriv")
            ?? HostSupport.LacksUnprivilegedUserNamespaces();

        /// <summary>A directory of the user's, below /tmp (reachable by it, unlike a checkout under /root).</summary>
        public string Home { get; }

        public string RuntimeDir => Path.Combine(Home, "run");

        /// <summary>Where berth keeps state when run by rootless podman: $XDG_RUNTIME_DIR/berth.</summary>
        public string BerthStateRoot => Path.Combine(RuntimeDir, "berth");

        private string BerthCopy => Path.Combine(Home, "bin", "berth");

        public int Uid { get; private set; }

        public long SubordinateStart { get; private set; }

        public long SubordinateCount { get; private set; }

        private string LockSegment => $"/dev/shm/libpod_rootless_lock_{Uid}";

        private string[] GlobalFlags =>
        [
            "--root", Path.Combine(Home, "storage"), "--runroot", Path.Combine(Home, "runroot"), "--tmpdir", Path.Combine(Home, "libpod"),
            "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", BerthCopy,
        ];

        /// <summary>podman as the user, with nothing of root's environment (no USER, as podman's own runtime call).</summary>
        public BerthResult Podman(string[] args)
        {
            _ = _ready.Value;
            return AsUser(args);
        }

        private BerthResult AsUser(string[] args) =>
            Harness.Exec("setpriv", ["--reuid=" + UserName, "--regid=" + UserName, "--init-groups",
                "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + Home, "XDG_RUNTIME_DIR=" + RuntimeDir, "TMPDIR=" + Path.Combine(Home, "tmp"),
                "podman", .. GlobalFlags, .. args], timeoutMs: 120_000);

        private bool Prepare()
        {
            EnsureUser();
            Directory.CreateDirectory(Path.Combine(Home, "bin"));
            Directory.CreateDirectory(Path.Combine(Home, "tmp"));
            Directory.CreateDirectory(RuntimeDir);
            File.Copy(Harness.Berth, BerthCopy);
            File.Copy(ClientSupport.OciArchive, Path.Combine(Home, "image.tar"));
            ClientSupport.Succeed("chown", "-R", $"{UserName}:{UserName}", Home);
            ClientSupport.Succeed("chmod", "0755", Home, Path.Combine(Home, "bin"), BerthCopy);
            ClientSupport.Succeed("chmod", "0700", RuntimeDir);
            _lockExisted = File.Exists(LockSegment);
            var load = AsUser(["load", "--input", Path.Combine(Home, "image.tar")]);
            Assert.True(load.ExitCode == 0, "podman load: " + load);
            return true;
        }

        private void EnsureUser()
        {
            if (Harness.Exec("id", ["-u", UserName]).ExitCode != 0)
                ClientSupport.Succeed("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment", "berth rootless client tests", UserName);
            Uid = int.Parse(ClientSupport.Succeed("id", "-u", UserName).Stdout.Trim(), CultureInfo.InvariantCulture);
            // useradd gives a new user subordinate ids only on some configurations: add a free range where missing.
            foreach (var (file, flag) in new[] { ("/etc/subuid", "--add-subuids"), ("/etc/subgid", "--add-subgids") })
                if (Range(file) is null)
                {
                    long start = Math.Max(100_000, Ranges(file).Select(r => r.Start + r.Count).DefaultIfEmpty(0).Max());
                    ClientSupport.Succeed("usermod", flag, $"{start}-{start + RangeSize - 1}", UserName);
                }
            (SubordinateStart, SubordinateCount) = Range("/etc/subuid") ?? throw new InvalidOperationException($"{UserName} has no /etc/subuid range");
        }

        private static IEnumerable<(string Owner, long Start, long Count)> Ranges(string file) =>
            File.Exists(file)
                ? File.ReadAllLines(file).Select(l => l.Split(':')).Where(f => f.Length == 3)
                    .Select(f => (f[0], long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture)))
                : [];

        private (long Start, long Count)? Range(string file) =>
            Ranges(file).Where(r => r.Owner == UserName || r.Owner == Uid.ToString(CultureInfo.InvariantCulture))
                .Select(r => ((long Start, long Count)?)(r.Start, r.Count)).FirstOrDefault();

        public void Dispose()
        {
            if (!_ready.IsValueCreated)
                return;
            AsUser(["rm", "--all", "--force", "--time", "0"]);
            // podman's pause process holds the user namespace between podman calls.
            string pauseFile = Path.Combine(Home, "libpod", "pause.pid");
            if (File.Exists(pauseFile) && int.TryParse(File.ReadAllText(pauseFile).Trim(), CultureInfo.InvariantCulture, out int pause))
                Harness.Exec("kill", [pause.ToString(CultureInfo.InvariantCulture)]);
            if (!_lockExisted && File.Exists(LockSegment))
                File.Delete(LockSegment);
            Directory.Delete(Home, recursive: true);
        }
    }
}
