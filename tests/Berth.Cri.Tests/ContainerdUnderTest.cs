using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Berth.Cri.Tests.Wire;
using Berth.Runtime.Tests;
using Grpc.Core;
using Grpc.Net.Client;

namespace Berth.Cri.Tests;

/// <summary>
/// A containerd of the test's own: config, root, state, socket, berth's state root and pod logs all in one temporary
/// directory, a CRI runtime handler named "berth" that runs the berth binary through containerd's runc v2 shim, and
/// the busybox image imported. Talks CRI over the unix socket. Dispose is the safety net after a failed test; the
/// test itself stops containerd with <see cref="Stop"/> and checks what is left.
/// </summary>
public sealed class ContainerdUnderTest : IDisposable
{
    public const string Handler = "berth";

    /// <summary>The containerd namespace the CRI plugin keeps its containers in.</summary>
    public const string CriNamespace = "k8s.io";

    private static int _instances;
    private readonly List<string> _pods = [];
    private readonly Process _containerd;
    private readonly GrpcChannel _channel;
    private bool _stopped;

    public string WorkDir { get; }
    public string Socket => Path.Combine(WorkDir, "containerd.sock");
    public string LogFile => Path.Combine(WorkDir, "containerd.log");
    public string PodLogDir => Path.Combine(WorkDir, "pod-logs");

    /// <summary>The runc root given to the shim; the shim adds the namespace (see <see cref="BerthStateRoot"/>).</summary>
    public string RuntimeRoot => Path.Combine(WorkDir, "berth-root");

    /// <summary>Where berth keeps the state of the CRI containers: the shim's --root.</summary>
    public string BerthStateRoot => Path.Combine(RuntimeRoot, CriNamespace);

    /// <summary>The pods' cgroup parent (cgroupfs driver): absolute, below each hierarchy's root.</summary>
    public string CgroupParent { get; }

    public string Snapshotter { get; }

    /// <summary>Whether containerd is told to keep oom_score_adj at or above its own (see <see cref="CanLowerOomScoreAdj"/>).</summary>
    public bool RestrictOomScoreAdj { get; } = !CanLowerOomScoreAdj();
    public string BerthBinary { get; }
    public int Pid => _containerd.Id;

    public RuntimeService.RuntimeServiceClient Runtime { get; }
    public ImageService.ImageServiceClient Images { get; }

    /// <summary>Null when this host can run the test; else why not.</summary>
    public static string? LacksSomething()
    {
        if (HostSupport.LacksRoot is { } root)
            return root;
        foreach (string tool in new[] { "containerd", "ctr", "containerd-shim-runc-v2" })
            if (ProcessRunner.FindOnPath(tool) is null)
                return $"{tool} is not installed (Debian's containerd package has it; scripts/install-deps.sh installs it)";
        foreach (string controller in new[] { "memory", "cpu" })
            if (HostSupport.ControllerVersion(controller) is null)
                return $"this host has no {controller} cgroup controller";
        if (!File.ReadAllText("/proc/self/status").Contains("\nSeccomp:", StringComparison.Ordinal))
            return "this kernel has no seccomp (RuntimeDefault would not be applied)";
        return null;
    }

    public ContainerdUnderTest(string berthBinary, string repoRoot)
    {
        BerthBinary = berthBinary;
        int instance = Interlocked.Increment(ref _instances);
        WorkDir = Path.Combine(Path.GetTempPath(), $"berth-cri-{Environment.ProcessId}-{instance}");
        CgroupParent = $"/berth-cri-{Environment.ProcessId}-{instance}";
        Directory.CreateDirectory(WorkDir);
        Directory.CreateDirectory(PodLogDir);
        Snapshotter = Environment.GetEnvironmentVariable("BERTH_CRI_SNAPSHOTTER") ?? ChooseSnapshotter(WorkDir);
        File.WriteAllText(Path.Combine(WorkDir, "config.toml"), Config());

        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        // exec: the pid is containerd's own, so the test can signal it.
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec containerd --config \"$1\" >\"$2\" 2>&1");
        start.ArgumentList.Add("containerd");
        start.ArgumentList.Add(Path.Combine(WorkDir, "config.toml"));
        start.ArgumentList.Add(LogFile);
        _containerd = Process.Start(start) ?? throw new InvalidOperationException("cannot start containerd");

        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancel) =>
                {
                    var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket), cancel);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            },
        });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);
        try
        {
            WaitUntilServing();
            ImportImage(repoRoot);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private string Config() => string.Join('\n',
        "version = 2",
        $"root = {Toml(Path.Combine(WorkDir, "root"))}",
        $"state = {Toml(Path.Combine(WorkDir, "state"))}",
        "[grpc]",
        $"  address = {Toml(Socket)}",
        "[plugins]",
        "  [plugins.\"io.containerd.internal.v1.opt\"]",
        $"    path = {Toml(Path.Combine(WorkDir, "opt"))}",
        "  [plugins.\"io.containerd.grpc.v1.cri\"]",
        $"    sandbox_image = {Toml(BusyboxImage.Name)}",
        $"    restrict_oom_score_adj = {(RestrictOomScoreAdj ? "true" : "false")}",
        "    [plugins.\"io.containerd.grpc.v1.cri\".containerd]",
        $"      snapshotter = {Toml(Snapshotter)}",
        $"      default_runtime_name = {Toml(Handler)}",
        $"      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.{Handler}]",
        "        runtime_type = \"io.containerd.runc.v2\"",
        $"        [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.{Handler}.options]",
        $"          BinaryName = {Toml(BerthBinary)}",
        $"          Root = {Toml(RuntimeRoot)}",
        // Host-network pods need no CNI plugin; empty directories of our own keep the host's CNI setup out.
        "    [plugins.\"io.containerd.grpc.v1.cri\".cni]",
        $"      bin_dir = {Toml(Path.Combine(WorkDir, "cni-bin"))}",
        $"      conf_dir = {Toml(Path.Combine(WorkDir, "cni-conf"))}",
        "");

    /// <summary>
    /// containerd gives the sandbox oom_score_adj -998, which only a process with CAP_SYS_RESOURCE may set (runc and
    /// berth both fail the create without it). Where this test runs without it (some container hosts), containerd's
    /// restrict_oom_score_adj keeps the values at or above its own, as for rootless setups.
    /// </summary>
    private static bool CanLowerOomScoreAdj()
    {
        const int capSysResource = 24;
        string? line = File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return line is not null && (ulong.Parse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << capSysResource)) != 0;
    }

    /// <summary>
    /// The overlay snapshotter, as kubelet nodes use it, where the kernel has overlayfs and the work directory is not
    /// itself on overlayfs (which cannot be an upper layer); else containerd's copying snapshotter.
    /// </summary>
    private static string ChooseSnapshotter(string workDir)
    {
        bool kernelHasOverlay = File.ReadAllText("/proc/filesystems").Split('\n').Any(l => l.EndsWith("\toverlay", StringComparison.Ordinal));
        var fileSystem = ProcessRunner.Run("stat", ["--file-system", "--format=%T", workDir]);
        bool onOverlay = fileSystem.ExitCode != 0 || fileSystem.Stdout.Trim() == "overlayfs";
        return kernelHasOverlay && !onOverlay ? "overlayfs" : "native";
    }

    private static string Toml(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>Deadline of one CRI call: generous for a loaded 2-core machine, finite so a hang fails the test.</summary>
    public static DateTime Deadline => DateTime.UtcNow.AddSeconds(90);

    private void WaitUntilServing()
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_containerd.HasExited)
                throw new InvalidOperationException($"containerd exited with {_containerd.ExitCode}:\n{LogTail()}");
            if (File.Exists(Socket))
            {
                try
                {
                    var version = Runtime.Version(new VersionRequest { Version = "v1" }, deadline: DateTime.UtcNow.AddSeconds(5));
                    if (version.RuntimeApiVersion == "v1")
                        return;
                }
                catch (RpcException) when (DateTime.UtcNow < until)
                {
                    // The socket exists before the CRI service is registered.
                }
            }
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"containerd did not serve CRI on {Socket} in 60 s:\n{LogTail()}");
            Thread.Sleep(100);
        }
    }

    private void ImportImage(string repoRoot)
    {
        string archive = Path.Combine(WorkDir, "busybox-oci.tar");
        BusyboxImage.Build(repoRoot, Path.Combine(WorkDir, "image"), archive);
        var imported = Ctr("images", "import", archive);
        if (imported.ExitCode != 0)
            throw new InvalidOperationException("ctr images import failed: " + imported);
        File.Delete(archive);
    }

    /// <summary>containerd's own client on our socket, in the CRI namespace.</summary>
    public CommandResult Ctr(params string[] args) => ProcessRunner.Run("ctr", ["--address", Socket, "--namespace", CriNamespace, .. args]);

    /// <summary>berth itself on the shim's state root.</summary>
    public CommandResult Berth(params string[] args) => ProcessRunner.Run(BerthBinary, ["--root", BerthStateRoot, .. args]);

    /// <summary>The end of containerd's log, for failure messages.</summary>
    public string LogTail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var all = new StreamReader(stream).ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(no containerd log: {e.Message})";
        }
    }

    /// <summary>Stops containerd with SIGTERM, as its service manager does; true when it exited in time.</summary>
    public bool Stop(int timeoutMs = 30_000)
    {
        _channel.Dispose();
        if (_containerd.HasExited)
            return true;
        _ = Tmds.Linux.LibC.kill(_containerd.Id, Tmds.Linux.LibC.SIGTERM);
        _stopped = _containerd.WaitForExit(timeoutMs);
        return _stopped;
    }

    /// <summary>Every process whose command line names the work directory (containerd, its shims), but ours.</summary>
    public IReadOnlyList<(int Pid, string CommandLine)> ProcessesUsingWorkDir()
    {
        var found = new List<(int, string)>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
                continue;
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (commandLine.Contains(WorkDir, StringComparison.Ordinal))
                found.Add((pid, commandLine));
        }
        return found;
    }

    /// <summary>
    /// The socket of the shim that runs a pod's containers. containerd 1.6 puts shim sockets in its default state
    /// directory whatever its config says: /run/containerd/s/ and the SHA-256 of "ADDRESS/NAMESPACE/GROUP" (the group
    /// is the sandbox id). The shim removes it when it exits.
    /// </summary>
    public string ShimSocket(string podId) =>
        "/run/containerd/s/" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{Socket}/{CriNamespace}/{podId}")));

    /// <summary>Remembers a pod, so that <see cref="Dispose"/> can remove its shim's socket after a failure.</summary>
    public void NotePod(string podId) => _pods.Add(podId);

    /// <summary>This host's mount table lines that name the work directory.</summary>
    public IReadOnlyList<string> MountsUnderWorkDir() =>
        File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(WorkDir, StringComparison.Ordinal)).ToList();

    /// <summary>The pods' cgroup parent directory in every hierarchy of this host (which may not exist).</summary>
    public IReadOnlyList<string> CgroupParentDirectories() => HostSupport.Cgroups.DirectoriesFor(CgroupParent).ToList();

    /// <summary>Best-effort removal of everything after a failed test: processes of this containerd, mounts, cgroups,
    /// the work directory.</summary>
    public void Dispose()
    {
        if (!_stopped)
        {
            _channel.Dispose();
            if (!_containerd.HasExited)
            {
                _ = Tmds.Linux.LibC.kill(_containerd.Id, Tmds.Linux.LibC.SIGTERM);
                if (!_containerd.WaitForExit(30_000))
                    _containerd.Kill();
            }
        }
        // Containers the test left: berth removes them (and their processes); then the shims that ran them.
        if (Directory.Exists(BerthStateRoot))
            foreach (string id in Directory.EnumerateDirectories(BerthStateRoot).Select(Path.GetFileName).OfType<string>())
                Berth("delete", "--force", id);
        foreach (var (pid, _) in ProcessesUsingWorkDir())
            _ = Tmds.Linux.LibC.kill(pid, Tmds.Linux.LibC.SIGKILL);
        foreach (string pod in _pods)
            File.Delete(ShimSocket(pod));
        foreach (string line in MountsUnderWorkDir().Reverse())
            ProcessRunner.Run("umount", ["-l", line.Split(' ')[4]]);
        foreach (string dir in CgroupParentDirectories().Where(Directory.Exists))
        {
            foreach (string child in Directory.EnumerateDirectories(dir))
                TryDelete(child);
            TryDelete(dir);
        }
        if (Directory.Exists(WorkDir))
        {
            try
            {
                Directory.Delete(WorkDir, recursive: true);
            }
            catch (IOException)
            {
                // Left for the reader of the failure.
            }
        }
        _containerd.Dispose();
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory);
        }
        catch (IOException)
        {
        }
    }
}
