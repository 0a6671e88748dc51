using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Cri.Tests.Wire;
using Berth.Runtime.Tests;
using Xunit.Abstractions;

namespace Berth.Cri.Tests;

/// <summary>
/// berth as containerd's runtime behind the Kubernetes CRI, driven the way kubelet drives it: a host-network pod with
/// RuntimeDefault seccomp and resource limits, volumes, exec, stats, a live resource update, a container that exits by
/// itself, containers stopped by TERM and by KILL, then the pod stopped and removed and nothing of it left on the host.
/// With a PID namespace per container, the pod's shared one and the host's; without its own, containerd's shim runs
/// `kill --all ID 9` after the container's process is gone and must still see the exit. Also restricted and
/// privileged containers, and an out-of-memory kill. Each test has a containerd of its own.
/// </summary>
public class CriLifecycleTests(ITestOutputHelper output)
{
    private const long MiB = 1L << 20;
    private const int ExitCodeOfWorker = 7;
    private const int ExitCodeOnTerm = 42;

    private static string RepoRoot { get; } = FindRepoRoot();

    private static string BerthBinary { get; } = Environment.GetEnvironmentVariable("BERTH_BIN") ?? Path.Combine(RepoRoot, "artifacts/bin/berth");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Compiler.sln")))
                return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Compiler.sln)");
    }

    [SkippableTheory]
    [InlineData(NamespaceMode.Container)]
    [InlineData(NamespaceMode.Pod)]
    [InlineData(NamespaceMode.Node)]
    public Task A_pod_runs_through_its_whole_life_on_berth_and_leaves_nothing_behind(NamespaceMode pidMode) =>
        WithContainerd(containerd => RunPod(containerd, pidMode));

    [SkippableFact]
    public Task Restricted_and_privileged_containers_get_what_kubelet_asks_for() => WithContainerd(async containerd =>
    {
        var namespaces = new NamespaceOption { Network = NamespaceMode.Node, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod };
        var (podId, pod) = await StartPod(containerd, namespaces, privileged: true);

        // The "restricted" pod security standard: not root, read-only root filesystem, no capabilities at all.
        var restricted = Confined(namespaces);
        restricted.RunAsUser = new Int64Value { Value = 65534 };
        restricted.ReadonlyRootfs = true;
        restricted.Capabilities = new Capability { DropCapabilities = { "ALL" } };
        string locked = await CreateAndStart(containerd, podId, pod, "restricted", null, restricted, "while :; do sleep 1; done");
        var exec = await ExecSync(containerd, locked, "id", "-u");
        Assert.Equal("65534\n", exec.Stdout.ToStringUtf8());
        exec = await ExecSync(containerd, locked, "touch", "/tmp/probe");
        Assert.NotEqual(0, exec.ExitCode);
        Assert.Contains("Read-only file system", exec.Stderr.ToStringUtf8(), StringComparison.Ordinal);
        foreach (string process in new[] { "self", "1" })
        {
            string status = (await ExecSync(containerd, locked, "cat", $"/proc/{process}/status")).Stdout.ToStringUtf8();
            Assert.Contains("Uid:\t65534\t65534\t65534\t65534", status, StringComparison.Ordinal);
            Assert.Contains("CapEff:\t0000000000000000", status, StringComparison.Ordinal);
            Assert.Contains("CapBnd:\t0000000000000000", status, StringComparison.Ordinal);
            Assert.Contains("Seccomp:\t2", status, StringComparison.Ordinal);
        }
        await containerd.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = locked, Timeout = 1 }, deadline: ContainerdUnderTest.Deadline);
        await Remove(containerd, locked);

        // A privileged container: containerd's own capabilities, no seccomp filter, /sys writable, the host's devices.
        var privileged = new LinuxContainerSecurityContext { NamespaceOptions = namespaces, Privileged = true };
        string all = await CreateAndStart(containerd, podId, pod, "privileged", null, privileged, "while :; do sleep 1; done");
        string statusInside = (await ExecSync(containerd, all, "cat", "/proc/self/status")).Stdout.ToStringUtf8();
        Assert.Contains("Seccomp:\t0", statusInside, StringComparison.Ordinal);
        string containerdCaps = File.ReadAllLines($"/proc/{containerd.Pid}/status").Single(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        Assert.Contains(containerdCaps + "\n", statusInside, StringComparison.Ordinal);
        exec = await ExecSync(containerd, all, "awk", "$5 == \"/sys\" { print $6 }", "/proc/self/mountinfo");
        Assert.StartsWith("rw", exec.Stdout.ToStringUtf8(), StringComparison.Ordinal);
        if (HostCharacterDevice() is { } device)
        {
            exec = await ExecSync(containerd, all, "ls", "-l", device);
            Assert.True(exec.ExitCode == 0 && exec.Stdout.ToStringUtf8().StartsWith('c'), $"{device} of the host is not in the privileged container: {exec}");
        }
        await containerd.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = all, Timeout = 1 }, deadline: ContainerdUnderTest.Deadline);
        await Remove(containerd, all);

        await StopAndRemovePod(containerd, podId);
    });

    [SkippableFact]
    public Task A_container_over_its_memory_limit_is_reported_OOMKilled() => WithContainerd(async containerd =>
    {
        var namespaces = new NamespaceOption { Network = NamespaceMode.Node, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod };
        var (podId, pod) = await StartPod(containerd, namespaces, privileged: false);
        // dd's one 64 MiB buffer, filled, against a 32 MiB limit (containerd sets swap to the same: nothing to swap).
        var limits = new LinuxContainerResources { MemoryLimitInBytes = 32 * MiB };
        string hungry = await CreateAndStart(containerd, podId, pod, "hungry", limits, Confined(namespaces),
            "exec dd if=/dev/zero of=/dev/null bs=64M count=1");
        var status = await WaitForExit(containerd, hungry, TimeSpan.FromSeconds(60));
        Assert.Equal("OOMKilled", status.Reason);
        Assert.Equal(128 + 9, status.ExitCode);
        await Remove(containerd, hungry);
        await StopAndRemovePod(containerd, podId);
    });

    /// <summary>A character device directly in the host's /dev that an unprivileged container does not get, or null.</summary>
    private static string? HostCharacterDevice()
    {
        string[] usual = ["null", "zero", "full", "random", "urandom", "tty", "console", "ptmx"];
        var found = ProcessRunner.Run("find", ["/dev", "-maxdepth", "1", "-type", "c"]);
        return found.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(d => !usual.Contains(Path.GetFileName(d)));
    }

    /// <summary>
    /// Starts this test's containerd (or skips where the host cannot run it), runs <paramref name="body"/>, then checks
    /// that nothing is left; containerd's log goes to the output when something fails.
    /// </summary>
    private async Task WithContainerd(Func<ContainerdUnderTest, Task> body)
    {
        HostSupport.SkipIfLacking(ContainerdUnderTest.LacksSomething());
        if (!File.Exists(BerthBinary))
            throw new InvalidOperationException($"{BerthBinary} is missing: publish it first (scripts/publish.sh, which ./test.sh runs)");

        using var containerd = new ContainerdUnderTest(BerthBinary, RepoRoot);
        output.WriteLine($"containerd {containerd.Pid} in {containerd.WorkDir}, snapshotter {containerd.Snapshotter}, restrict_oom_score_adj {containerd.RestrictOomScoreAdj}, cgroup parent {containerd.CgroupParent}");
        try
        {
            await body(containerd);
            await AssertNothingLeft(containerd);
        }
        catch (Exception) when (Dump(containerd))
        {
            throw;
        }
    }

    /// <summary>Writes containerd's log to the test output; false, so the exception goes on.</summary>
    private bool Dump(ContainerdUnderTest containerd)
    {
        output.WriteLine("containerd log (end):\n" + containerd.LogTail(80));
        return false;
    }

    private async Task RunPod(ContainerdUnderTest containerd, NamespaceMode pidMode)
    {
        var cri = containerd.Runtime;
        var namespaces = new NamespaceOption { Network = NamespaceMode.Node, Pid = pidMode, Ipc = NamespaceMode.Pod };
        var (podId, pod) = await StartPod(containerd, namespaces, privileged: false);

        // A worker with limits that waits for a file, then exits by itself with a code of its own.
        var limits = new LinuxContainerResources { CpuPeriod = 100_000, CpuQuota = 50_000, CpuShares = 512, MemoryLimitInBytes = 64 * MiB, OomScoreAdj = 500 };
        // Volumes as kubelet passes them (host directories bound in, one read-only) and the environment and working
        // directory it sets.
        string volume = Path.Combine(containerd.WorkDir, "volume");
        string scratch = Path.Combine(containerd.WorkDir, "scratch");
        Directory.CreateDirectory(volume);
        Directory.CreateDirectory(scratch);
        File.WriteAllText(Path.Combine(volume, "config"), "from the host\n");
        string worker = await CreateAndStart(containerd, podId, pod, "worker", limits, Confined(namespaces),
            $"echo worker started; while [ ! -e /tmp/exit-now ]; do sleep 0.2; done; exit {ExitCodeOfWorker}",
            config =>
            {
                config.Mounts.Add(new Mount { ContainerPath = "/etc/app", HostPath = volume, Readonly = true });
                config.Mounts.Add(new Mount { ContainerPath = "/scratch", HostPath = scratch });
                config.Envs.Add(new KeyValue { Key = "POD_GREETING", Value = "hello from CRI" });
                config.WorkingDir = "/scratch";
            });
        var status = await Status(containerd, worker);
        Assert.Equal(ContainerState.ContainerRunning, status.State);
        Assert.True(status.StartedAt > 0, "no start time");
        int pid = InfoPid((await StatusResponse(containerd, worker, verbose: true)).Info);
        Assert.Equal("running", BerthStatus(containerd, worker));
        Assert.Equal(pid, BerthPid(containerd, worker));

        // The limits of CreateContainer are in the container's cgroup, which is below the pod's cgroup parent.
        var cgroup = new ContainerCgroup(pid);
        Assert.StartsWith(containerd.CgroupParent + "/", cgroup.PathOf("memory"), StringComparison.Ordinal);
        Assert.Equal(64 * MiB, cgroup.MemoryLimit());
        Assert.Equal((50_000L, 100_000L), cgroup.CpuQuotaAndPeriod());
        Assert.Equal(ContainerCgroup.CpuWeightOf(512), cgroup.CpuWeight());
        Assert.Equal("500", File.ReadAllText($"/proc/{pid}/oom_score_adj").Trim());

        // ExecSync: output and exit code of a process run in the container.
        var exec = await ExecSync(containerd, worker, "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, exec.ExitCode);
        Assert.Equal("out\n", exec.Stdout.ToStringUtf8());
        Assert.Equal("err\n", exec.Stderr.ToStringUtf8());
        exec = await ExecSync(containerd, worker, "sh", "-c", "cat /etc/app/config; echo \"$POD_GREETING\"; pwd; echo made > made; touch /etc/app/x");
        Assert.Equal("from the host\nhello from CRI\n/scratch\n", exec.Stdout.ToStringUtf8());
        Assert.Contains("Read-only file system", exec.Stderr.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Equal("made\n", File.ReadAllText(Path.Combine(scratch, "made")));
        // A program that is not there fails the call (as with runc: exec fails before any process runs), naming it.
        var missing = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => ExecSync(containerd, worker, "/no/such/program"));
        Assert.Contains("/no/such/program", missing.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("no such file or directory", missing.Status.Detail, StringComparison.Ordinal);
        exec = await ExecSync(containerd, worker, "cat", "/proc/self/status");
        Assert.Equal(0, exec.ExitCode);
        string procStatus = exec.Stdout.ToStringUtf8();
        // RuntimeDefault: the exec'd process runs under a seccomp filter, and without new privileges.
        Assert.Contains("Seccomp:\t2", procStatus, StringComparison.Ordinal);
        Assert.Contains("NoNewPrivs:\t1", procStatus, StringComparison.Ordinal);
        // The container's own process too (read on the host: with the host's PID namespace it is not pid 1 inside).
        Assert.Contains("Seccomp:\t2", File.ReadAllText($"/proc/{pid}/status"), StringComparison.Ordinal);

        // ContainerStats: containerd reads the container's cgroup through the shim.
        var stats = (await cri.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = worker }, deadline: ContainerdUnderTest.Deadline)).Stats;
        Assert.Equal(worker, stats.Attributes.Id);
        Assert.True(stats.Cpu?.UsageCoreNanoSeconds?.Value > 0, $"no CPU usage in {stats}");
        Assert.True(stats.Memory?.WorkingSetBytes?.Value > 0, $"no memory working set in {stats}");

        // UpdateContainerResources: the shim runs `berth update --resources -`; the cgroup has the new limits.
        var raised = new LinuxContainerResources { CpuPeriod = 100_000, CpuQuota = 20_000, CpuShares = 256, MemoryLimitInBytes = 96 * MiB };
        await cri.UpdateContainerResourcesAsync(new UpdateContainerResourcesRequest { ContainerId = worker, Linux = raised }, deadline: ContainerdUnderTest.Deadline);
        Assert.Equal(96 * MiB, cgroup.MemoryLimit());
        Assert.Equal((20_000L, 100_000L), cgroup.CpuQuotaAndPeriod());
        Assert.Equal(ContainerCgroup.CpuWeightOf(256), cgroup.CpuWeight());
        var reported = (await Status(containerd, worker)).Resources?.Linux;
        Assert.True(reported is not null && reported.MemoryLimitInBytes == 96 * MiB && reported.CpuQuota == 20_000,
            $"ContainerStatus does not report the updated resources: {reported}");

        // The worker's own exit, seen through CRI with its code.
        exec = await ExecSync(containerd, worker, "touch", "/tmp/exit-now");
        Assert.Equal(0, exec.ExitCode);
        status = await WaitForExit(containerd, worker, TimeSpan.FromSeconds(30));
        Assert.Equal(ExitCodeOfWorker, status.ExitCode);
        Assert.Equal("Error", status.Reason);
        Assert.True(status.FinishedAt >= status.StartedAt, $"finished {status.FinishedAt} before started {status.StartedAt}");
        Assert.Contains(" stdout F worker started", File.ReadAllText(Path.Combine(containerd.PodLogDir, "worker.log")), StringComparison.Ordinal);
        // kubelet stops a container that already exited before removing it: no error.
        await cri.StopContainerAsync(new StopContainerRequest { ContainerId = worker, Timeout = 10 }, deadline: ContainerdUnderTest.Deadline);
        await Remove(containerd, worker);

        // StopContainer with a grace period: the stop signal (TERM) reaches the process, which exits with its code.
        string polite = await CreateAndStart(containerd, podId, pod, "polite", limits, Confined(namespaces),
            $"trap 'exit {ExitCodeOnTerm}' TERM; touch /tmp/ready; while :; do sleep 1; done");
        await WaitUntilReady(containerd, polite);
        var clock = Stopwatch.StartNew();
        await cri.StopContainerAsync(new StopContainerRequest { ContainerId = polite, Timeout = 60 }, deadline: ContainerdUnderTest.Deadline);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(50), $"TERM did not stop the container: stopped after {clock.Elapsed}");
        status = await Status(containerd, polite);
        Assert.Equal(ContainerState.ContainerExited, status.State);
        Assert.Equal(ExitCodeOnTerm, status.ExitCode);
        await Remove(containerd, polite);

        // A process that ignores TERM is killed when the grace period is over.
        string stubborn = await CreateAndStart(containerd, podId, pod, "stubborn", limits, Confined(namespaces),
            "trap '' TERM; touch /tmp/ready; while :; do sleep 1; done");
        await WaitUntilReady(containerd, stubborn);
        await cri.StopContainerAsync(new StopContainerRequest { ContainerId = stubborn, Timeout = 1 }, deadline: ContainerdUnderTest.Deadline);
        status = await Status(containerd, stubborn);
        Assert.Equal(ContainerState.ContainerExited, status.State);
        Assert.Equal(128 + 9, status.ExitCode);
        await Remove(containerd, stubborn);

        await StopAndRemovePod(containerd, podId);
    }

    /// <summary>Runs a host-network pod on berth and checks that berth runs its sandbox: running, with the pid
    /// containerd knows, under seccomp unless privileged, in the pod's cgroup parent, with its shim's socket.</summary>
    private static async Task<(string Id, PodSandboxConfig Config)> StartPod(ContainerdUnderTest containerd, NamespaceOption namespaces, bool privileged)
    {
        var cri = containerd.Runtime;
        var image = await containerd.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = BusyboxImage.Name } }, deadline: ContainerdUnderTest.Deadline);
        Assert.True(image.Image is not null, $"containerd does not know the imported image {BusyboxImage.Name}");
        var pod = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = "cri-e2e", Uid = Guid.NewGuid().ToString(), Namespace = "berth-tests", Attempt = 0 },
            // No hostname: a host-network pod shares the host's UTS namespace (kubelet leaves it empty too).
            LogDirectory = containerd.PodLogDir,
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = containerd.CgroupParent,
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    NamespaceOptions = namespaces,
                    Privileged = privileged,
                    Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
                },
            },
        };
        string podId = (await cri.RunPodSandboxAsync(new RunPodSandboxRequest { Config = pod, RuntimeHandler = ContainerdUnderTest.Handler }, deadline: ContainerdUnderTest.Deadline)).PodSandboxId;
        containerd.NotePod(podId);
        var podResponse = await cri.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = podId, Verbose = true }, deadline: ContainerdUnderTest.Deadline);
        Assert.Equal(PodSandboxState.SandboxReady, podResponse.Status.State);
        Assert.Equal(ContainerdUnderTest.Handler, podResponse.Status.RuntimeHandler);
        Assert.Equal("running", BerthStatus(containerd, podId));
        int sandboxPid = InfoPid(podResponse.Info);
        Assert.Equal(sandboxPid, BerthPid(containerd, podId));
        Assert.Contains(privileged ? "Seccomp:\t0" : "Seccomp:\t2", File.ReadAllText($"/proc/{sandboxPid}/status"), StringComparison.Ordinal);
        Assert.StartsWith(containerd.CgroupParent + "/", new ContainerCgroup(sandboxPid).PathOf("memory"), StringComparison.Ordinal);
        Assert.True(File.Exists(containerd.ShimSocket(podId)), $"no shim socket {containerd.ShimSocket(podId)} for the running pod");
        return (podId, pod);
    }

    /// <summary>StopPodSandbox and RemovePodSandbox; berth forgets the sandbox and the pod's shim leaves.</summary>
    private static async Task StopAndRemovePod(ContainerdUnderTest containerd, string podId)
    {
        var cri = containerd.Runtime;
        await cri.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = podId }, deadline: ContainerdUnderTest.Deadline);
        var stoppedPod = (await cri.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = podId }, deadline: ContainerdUnderTest.Deadline)).Status;
        Assert.Equal(PodSandboxState.SandboxNotready, stoppedPod.State);
        await cri.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = podId }, deadline: ContainerdUnderTest.Deadline);
        Assert.Null(BerthStatus(containerd, podId));
        // The shim is gone with the pod (checked again, with the processes, once containerd has stopped).
        Assert.True(await Eventually(() => !File.Exists(containerd.ShimSocket(podId)), TimeSpan.FromSeconds(20)),
            $"the pod's shim socket {containerd.ShimSocket(podId)} is left");
    }

    /// <summary>What the pod's workload containers run with: RuntimeDefault seccomp, no new privileges.</summary>
    private static LinuxContainerSecurityContext Confined(NamespaceOption namespaces) => new()
    {
        NamespaceOptions = namespaces,
        NoNewPrivs = true,
        Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
    };

    private async Task<string> CreateAndStart(ContainerdUnderTest containerd, string podId, PodSandboxConfig pod, string name,
        LinuxContainerResources? resources, LinuxContainerSecurityContext security, string script, Action<ContainerConfig>? more = null)
    {
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = name },
            Image = new ImageSpec { Image = BusyboxImage.Name },
            Command = { "/bin/sh", "-c", script },
            LogPath = name + ".log",
            Linux = new LinuxContainerConfig
            {
                Resources = resources,
                SecurityContext = security,
            },
        };
        more?.Invoke(config);
        var cri = containerd.Runtime;
        string id = (await cri.CreateContainerAsync(new CreateContainerRequest { PodSandboxId = podId, Config = config, SandboxConfig = pod }, deadline: ContainerdUnderTest.Deadline)).ContainerId;
        // containerd creates the task (berth create) only on StartContainer.
        Assert.Equal(ContainerState.ContainerCreated, (await Status(containerd, id)).State);
        await cri.StartContainerAsync(new StartContainerRequest { ContainerId = id }, deadline: ContainerdUnderTest.Deadline);
        output.WriteLine($"{name}: container {id}");
        return id;
    }

    private static async Task Remove(ContainerdUnderTest containerd, string id)
    {
        await containerd.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id }, deadline: ContainerdUnderTest.Deadline);
        var listed = await containerd.Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { Id = id } }, deadline: ContainerdUnderTest.Deadline);
        Assert.Empty(listed.Containers);
        Assert.Null(BerthStatus(containerd, id));
    }

    private static async Task<ContainerStatusResponse> StatusResponse(ContainerdUnderTest containerd, string id, bool verbose = false) =>
        await containerd.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id, Verbose = verbose }, deadline: ContainerdUnderTest.Deadline);

    private static async Task<ContainerStatus> Status(ContainerdUnderTest containerd, string id) => (await StatusResponse(containerd, id)).Status;

    private static async Task<ContainerStatus> WaitForExit(ContainerdUnderTest containerd, string id, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await Status(containerd, id);
            if (status.State == ContainerState.ContainerExited)
                return status;
            Assert.True(clock.Elapsed < timeout, $"container {id} not seen EXITED in {timeout}: {status}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the container's script has made /tmp/ready: its trap is set, so a stop signal finds it.</summary>
    private static async Task WaitUntilReady(ContainerdUnderTest containerd, string id)
    {
        var ready = await ExecSync(containerd, id, "sh", "-c", "while [ ! -e /tmp/ready ]; do sleep 0.1; done");
        Assert.Equal(0, ready.ExitCode);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (true) or <paramref name="timeout"/> passes (false).</summary>
    private static async Task<bool> Eventually(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
                return false;
            await Task.Delay(100);
        }
        return true;
    }

    private static async Task<ExecSyncResponse> ExecSync(ContainerdUnderTest containerd, string id, params string[] command) =>
        await containerd.Runtime.ExecSyncAsync(new ExecSyncRequest { ContainerId = id, Cmd = { command }, Timeout = 60 }, deadline: ContainerdUnderTest.Deadline);

    /// <summary>The init pid of a container or sandbox from containerd's verbose status (its "info" document).</summary>
    private static int InfoPid(IDictionary<string, string> verboseInfo)
    {
        Assert.True(verboseInfo.TryGetValue("info", out string? info), "no verbose info in the status");
        return (int)JsonNode.Parse(info!)!["pid"]!;
    }

    /// <summary>The container's status in berth's own state (the shim's root), or null when berth does not know it.</summary>
    private static string? BerthStatus(ContainerdUnderTest containerd, string id)
    {
        var state = containerd.Berth("state", id);
        return state.ExitCode == 0 ? (string?)JsonNode.Parse(state.Stdout)!["status"] : null;
    }

    private static int BerthPid(ContainerdUnderTest containerd, string id)
    {
        var state = containerd.Berth("state", id);
        Assert.True(state.ExitCode == 0, state.ToString());
        return (int)JsonNode.Parse(state.Stdout)!["pid"]!;
    }

    /// <summary>After the pod is removed: no berth container, no process, mount or cgroup of it; then containerd stops
    /// and its directory and the cgroup parent go.</summary>
    private static async Task AssertNothingLeft(ContainerdUnderTest containerd)
    {
        var list = containerd.Berth("list", "--quiet");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal("", list.Stdout.Trim());
        Assert.Empty(Directory.Exists(containerd.BerthStateRoot) ? Directory.EnumerateFileSystemEntries(containerd.BerthStateRoot) : []);

        // The shims leave once their last container is deleted; only containerd itself may still name the directory.
        IReadOnlyList<(int Pid, string CommandLine)> others = [];
        await Eventually(() => (others = containerd.ProcessesUsingWorkDir().Where(p => p.Pid != containerd.Pid).ToList()).Count == 0, TimeSpan.FromSeconds(20));
        Assert.True(others.Count == 0, "processes left: " + string.Join("; ", others.Select(p => $"{p.Pid} {p.CommandLine}")));
        Assert.Empty(containerd.MountsUnderWorkDir());
        foreach (string dir in containerd.CgroupParentDirectories().Where(Directory.Exists))
            Assert.Empty(Directory.EnumerateDirectories(dir));

        Assert.True(containerd.Stop(), "containerd did not stop on SIGTERM in 30 s");
        Assert.Empty(containerd.ProcessesUsingWorkDir());
        Assert.Empty(containerd.MountsUnderWorkDir());
        // The parent directories were made for the pod (by berth, as runc makes missing parents); rmdir fails if a
        // cgroup is still in one.
        foreach (string dir in containerd.CgroupParentDirectories().Where(Directory.Exists))
            Directory.Delete(dir);
        Directory.Delete(containerd.WorkDir, recursive: true);
        Assert.False(Directory.Exists(containerd.WorkDir));
    }
}

/// <summary>The cgroup a process is in, as the kernel reports it in /proc/PID/cgroup, and its limit files.</summary>
public sealed class ContainerCgroup(int pid)
{
    private readonly string[] _lines = File.ReadAllLines($"/proc/{pid}/cgroup");

    private static bool IsV1(string controller) => HostSupport.V1Mount(controller) is not null;

    /// <summary>The cgroup path of the hierarchy holding <paramref name="controller"/>.</summary>
    public string PathOf(string controller)
    {
        foreach (string line in _lines)
        {
            string[] fields = line.Split(':', 3);
            bool matches = IsV1(controller) ? fields[1].Split(',').Contains(controller) : fields[0] == "0";
            if (fields.Length == 3 && matches)
                return fields[2];
        }
        throw new InvalidOperationException($"process {pid} has no {controller} cgroup in /proc/{pid}/cgroup");
    }

    private string Read(string controller, string v1File, string v2File)
    {
        string mount = HostSupport.Cgroups.HierarchyOf(controller) ?? throw new InvalidOperationException($"no {controller} hierarchy");
        string file = Path.Combine(mount, PathOf(controller).TrimStart('/'), IsV1(controller) ? v1File : v2File);
        return File.ReadAllText(file).Trim();
    }

    public long MemoryLimit() => long.Parse(Read("memory", "memory.limit_in_bytes", "memory.max"), CultureInfo.InvariantCulture);

    /// <summary>cpu.shares on cgroup v1; cpu.weight on cgroup v2.</summary>
    public long CpuWeight() => long.Parse(Read("cpu", "cpu.shares", "cpu.weight"), CultureInfo.InvariantCulture);

    /// <summary>What <see cref="CpuWeight"/> reads for CRI's cpu_shares: the shares themselves on v1; on v2 the weight
    /// runtimes map them to (runc's formula: 2..262144 onto 1..10000).</summary>
    public static long CpuWeightOf(long shares) =>
        HostSupport.V1Mount("cpu") is not null ? shares : 1 + (shares - 2) * 9999 / 262142;

    public (long Quota, long Period) CpuQuotaAndPeriod()
    {
        if (IsV1("cpu"))
            return (long.Parse(Read("cpu", "cpu.cfs_quota_us", ""), CultureInfo.InvariantCulture),
                long.Parse(Read("cpu", "cpu.cfs_period_us", ""), CultureInfo.InvariantCulture));
        string[] max = Read("cpu", "", "cpu.max").Split(' ');
        return (long.Parse(max[0], CultureInfo.InvariantCulture), long.Parse(max[1], CultureInfo.InvariantCulture));
    }
}
