using System.Runtime.InteropServices;
using System.Text.Json;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Exec;
using Berth.Runtime.Plan;
using Berth.Runtime.State;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Lifecycle;

public sealed record CreateOptions(string Id, string Bundle, LoadedConfig Config)
{
    public string? PidFile { get; init; }
    public string? ConsoleSocket { get; init; }
    public bool NoPivot { get; init; }
    public bool NoNewKeyring { get; init; }
    public int PreserveFds { get; init; }
}

/// <summary>One line of `list`: the container, its status now, and the name of the user who owns its state directory.</summary>
public sealed record ListedContainer(ContainerRecord Record, ContainerStatus Status, string Owner);

/// <summary>The OCI lifecycle: create, start, run, state, kill, delete, pause, resume, list.</summary>
public sealed partial class ContainerRuntime(StateStore store)
{
    public StateStore Store { get; } = store;

    /// <summary>Where warnings go (a failing poststop hook, a deprecated setting).</summary>
    public Action<string> Warn { get; init; } = _ => { };

    /// <summary>Where debug lines go (--debug): what berth does, step by step; null when not debugging, so that the
    /// lines are not even formatted.</summary>
    public Action<string>? Debug { get; init; }

    /// <summary>create: the container's process is set up and waits on the exec fifo.</summary>
    public void Create(CreateOptions options) => CreateCore(options, NarratorFor("create"), waitForStart: true);

    /// <summary>A container just made: its record, its process, and for a foreground run with a terminal the pty
    /// master (else -1), which the caller owns.</summary>
    private sealed record CreatedContainer(ContainerRecord Record, SpawnedProcess Process, int Console);

    /// <summary>Where one command's warnings and debug lines go, each naming the command the user typed (run, not
    /// create). Errors name no command: the command line adds the one it ran.</summary>
    private readonly record struct Narrator(Action<string> Warn, Action<string>? Debug);

    private Narrator NarratorFor(string command) =>
        new(message => Warn($"{command}: {message}"), Debug is { } debug ? message => debug($"{command}: {message}") : null);

    private CreatedContainer CreateCore(CreateOptions options, Narrator say, bool waitForStart)
    {
        StateStore.CheckId(options.Id);
        var spec = options.Config.Spec;
        string bundle = Path.GetFullPath(options.Bundle);
        if (Store.Exists(options.Id))
            throw new BerthException($"container \"{options.Id}\" already exists");
        bool terminal = spec.Process?.Terminal == true;
        if (terminal && options.ConsoleSocket is null && waitForStart)
            throw new BerthException($"process.terminal is true, so berth needs --console-socket to hand the terminal to (or use run in the foreground)");

        var layout = CgroupLayout.Host;
        string cgroupsPath = CgroupManager.ResolvePath(spec.Linux?.CgroupsPath, options.Id);
        string fifo = Path.Combine(Store.DirectoryOf(options.Id), StateStore.FifoFile);
        var root = RootLayers.Resolve(spec, bundle, Store.Root, ImageStoreRoot);
        string rootfs = root.Rootfs;

        // Compile before touching anything: a config the plan compiler rejects leaves nothing behind.
        var joining = CgroupJoining.SkipForRootless(spec, layout) ? CgroupJoining.None : CgroupJoining.For(spec, layout, cgroupsPath);
        var plan = CompilePlan(options, layout, cgroupsPath, joining, waitForStart ? fifo : null, root);
        WarnAbout(plan, say.Warn);
        var manager = new CgroupManager(layout);
        List<string> cgroupDirs = joining.Skipped ? [] : [.. layout.DirectoriesFor(cgroupsPath)];
        List<string> plannedCgroups = joining.Skipped ? [] : manager.Planned(cgroupsPath);
        bool willMake = cgroupDirs.Exists(plannedCgroups.Contains);
        var resourceWarnings = new List<string>();
        var resources = joining.Skipped ? null : CgroupDrivers.CompileOnCreate(layout, spec.Linux?.Resources, willMake, resourceWarnings);
        foreach (string warning in resourceWarnings)
            say.Warn(warning);

        using var dir = Store.CreateDirectory(options.Id);
        var record = new ContainerRecord
        {
            Id = options.Id,
            Bundle = bundle,
            Rootfs = rootfs,
            OciVersion = spec.OciVersion,
            SharesMountNamespace = spec.Linux?.Namespaces?.Any(n => n.Type == Berth.Spec.LinuxNamespaceType.Mount) != true,
            ImageStore = root.StoreRoot,
            CgroupsPath = cgroupsPath,
            LateHooks = ContainerRecord.LateHooksOf(spec),
            ExecBase = ContainerRecord.ExecBaseOf(spec),
            Resources = ContainerRecord.ResourcesOf(spec),
        };
        if (spec.Annotations is not null)
            foreach (var (k, v) in spec.Annotations)
                record.Annotations[k] = v;
        record.Sources.AddRange(options.Config.Sources);
        SpawnedProcess? process = null;
        int console = -1;
        try
        {
            // The intent first: state.json names the cgroup directories berth is about to make before it makes any, so
            // that delete --force can clean up after a create killed at any moment. Then the directories, and the
            // record says what was really made (another create may have made a shared parent meanwhile).
            record.Cgroups.AddRange(cgroupDirs);
            record.CreatedCgroups.AddRange(plannedCgroups);
            dir.SaveNew(record);
            var (all, created) = joining.Skipped ? ([], []) : manager.Prepare(cgroupsPath);
            record.Cgroups.Clear();
            record.Cgroups.AddRange(all);
            record.CreatedCgroups.Clear();
            record.CreatedCgroups.AddRange(created);
            (record.FreezerCgroup, record.Cgroup2) = Freezer.Roles(layout, all);
            dir.WriteNew(StateStore.ConfigFile, options.Config.Json);
            foreach (var (name, content) in options.Config.ExtraFiles)
                dir.WriteNew(name, content);
            root.MakeMountPoint();
            if (waitForStart)
            {
                int err = dir.MakeFifo(StateStore.FifoFile, 0x180);
                if (err != 0)
                    throw BerthException.Errno($"create exec fifo {fifo}", err);
            }
            // Another create may have made (or removed) a shared directory since the plan: compile for what is.
            bool made = all.Exists(created.Contains);
            if (made != willMake)
                resources = CgroupDrivers.CompileOnCreate(layout, spec.Linux?.Resources, made, []);
            if (resources is not null)
                CgroupDrivers.For(layout).Apply(resources, cgroupsPath);
            WarnIfOccupied(all, created, say.Warn);
            // A joined cgroup that is frozen would hold the container's process before it could report: refuse, as runc.
            if (Freezer.Select(layout, all).FirstOrDefault(Freezer.IsFrozen) is { } frozen)
                throw new BerthException($"the container's cgroup {frozen} is frozen (linux.cgroupsPath): thaw it first (container's cgroup unexpectedly frozen)");

            // The child moves itself into v1 cgroups and is born in the cgroup2 one; berth writes cgroup.procs only
            // where it must (user namespaces, joined pid namespaces, or a kernel without CLONE_INTO_CGROUP).
            int cgroupFd = joining.BornInV2 is { } v2 ? Sys.Open(v2, O_RDONLY | O_DIRECTORY) : -1;
            using var closeCgroupFd = new FdCloser(cgroupFd);
            // The steps are named as runc's debug lines name them (nsexec, init), for logs read side by side.
            say.Debug?.Invoke($"nsexec container setup: container \"{options.Id}\": clone its process into its namespaces ({plan.Operations.Count} operations)");
            (process, console) = Spawn(new SpawnRequest(plan)
            {
                CgroupFd = cgroupFd,
                WaitForExec = !waitForStart,
                MemoryCgroup = (layout, cgroupsPath),
            }, new SpawnDuties(record, "creating")
            {
                BornIn = joining.BornInV2,
                Join = joining.ParentJoins ? all : [],
                Hooks = spec,
                ConsoleSocket = options.ConsoleSocket,
            });
            record.Pid = process.Pid;
            record.PidStartTime = Sys.ProcessStartTime(process.Pid, out _) ?? 0;
            dir.Save(record);
            say.Debug?.Invoke($"child process in init(): container \"{options.Id}\": process {process.Pid} set up in {rootfs}; state in {dir.Path}; cgroups {string.Join(", ", all)}");
            say.Debug?.Invoke($"init: closing the pipe to signal completion: container \"{options.Id}\": process {process.Pid} is ready{(waitForStart ? " and waits for start" : "")}");
            if (options.PidFile is not null)
                WritePidFile(options.PidFile, process.Pid);
            return new CreatedContainer(record, process, console);
        }
        catch
        {
            if (console >= 0)
                Sys.Close(console);
            if (process is not null)
                Spawner.KillAndReap(process.Pid);
            Cleanup(record, dir);
            throw;
        }
    }

    /// <summary>poststart hooks: a failure is an error and stops the container (runtime-spec 1.3).</summary>
    private static void PoststartHooks(ContainerRecord record)
    {
        if (record.LateHooks?.Poststart is not { Count: > 0 } hooks)
            return;
        string? error = HookRunner.Run(hooks, "poststart", HookRunner.StateJson(record, "running", record.Pid));
        if (error is null)
            return;
        Stop(record);
        throw new BerthException($"{error}; the container was stopped");
    }

    /// <summary>
    /// What a "cgroup" mount binds from each hierarchy: the container's cgroup, or, when berth makes none (rootless
    /// with nothing to limit), the cgroup berth is in, which the container inherits (the other does not exist). A
    /// hierarchy mounted from berth's own cgroup (berth in a container) shows that cgroup at the mount's root.
    /// </summary>
    private static List<KeyValuePair<string, string>> CgroupMountsFor(CgroupLayout layout, string cgroupsPath, bool cgroupsSkipped)
    {
        var inherited = cgroupsSkipped && Sys.ReadSmall("/proc/self/cgroup", out _) is { } text
            ? layout.CurrentPaths(text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            : [];
        string Source(string mount)
        {
            if (!cgroupsSkipped)
                return Path.Combine(mount, cgroupsPath.TrimStart('/'));
            string own = Path.Combine(mount, (inherited.TryGetValue(mount, out string? path) ? path : "/").TrimStart('/'));
            return Sys.Exists(own) ? own : mount;
        }
        var result = new List<KeyValuePair<string, string>>();
        if (layout.Mode == CgroupMode.V2)
        {
            result.Add(new("", Source(layout.V2Mount!)));
            return result;
        }
        foreach (var group in layout.V1Mounts.GroupBy(m => m.Value))
            result.Add(new(Path.GetFileName(group.Key), Source(group.Key)));
        if (layout.V2Mount is not null)
            result.Add(new(Path.GetFileName(layout.V2Mount), Source(layout.V2Mount)));
        return result;
    }

    private static void WritePidFile(string path, int pid)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp");
        // The directory may be one a container can write (a shared volume): ReplaceAt follows no link there.
        int err = Sys.ReplaceAt(AT_FDCWD, full, temp, System.Text.Encoding.ASCII.GetBytes(pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (err != 0)
            throw BerthException.Errno($"--pid-file: write {full}", err);
    }

    /// <summary>The operations create would run, without running them (berth plan).</summary>
    public IReadOnlyList<Operation> Plan(CreateOptions options)
    {
        var layout = CgroupLayout.Host;
        string cgroupsPath = CgroupManager.ResolvePath(options.Config.Spec.Linux?.CgroupsPath, options.Id);
        var joining = CgroupJoining.SkipForRootless(options.Config.Spec, layout) ? CgroupJoining.None : CgroupJoining.For(options.Config.Spec, layout, cgroupsPath);
        var root = RootLayers.Resolve(options.Config.Spec, Path.GetFullPath(options.Bundle), Store.Root, ImageStoreRoot);
        var plan = CompilePlan(options, layout, cgroupsPath, joining, Path.Combine(Store.DirectoryOf(options.Id), StateStore.FifoFile), root);
        WarnAbout(plan, NarratorFor("plan").Warn);
        return plan.Operations;
    }

    /// <summary>
    /// A cgroup berth did not make that holds processes already is used all the same, with a warning, as runc 1.1.5
    /// does (the processes would share the container's limits and be killed with it).
    /// </summary>
    private static void WarnIfOccupied(List<string> all, List<string> created, Action<string> warn)
    {
        foreach (string cgroup in all)
        {
            if (created.Contains(cgroup))
                continue;
            byte[]? procs = SmallFiles.ReadRegular(Path.Combine(cgroup, "cgroup.procs"), out _);
            int count = procs is null ? 0 : procs.Count(b => b == (byte)'\n');
            if (count == 0)
                continue;
            warn($"container's cgroup is not empty: {count} process(es) found in {cgroup} (linux.cgroupsPath); they share its limits and die with the container");
            return;
        }
    }

    /// <summary>What the plan compiler left out of the config (as runc would), each naming its field.</summary>
    private static void WarnAbout(ContainerPlan plan, Action<string> warn)
    {
        foreach (string warning in plan.Warnings)
            warn(warning);
    }

    private static ContainerPlan CompilePlan(CreateOptions options, CgroupLayout layout, string cgroupsPath, CgroupJoining joining, string? fifo, RootLayers root) =>
        PlanCompiler.Compile(new PlanRequest(options.Config.Spec, Path.GetFullPath(options.Bundle), options.Id)
        {
            NoPivot = options.NoPivot,
            NoNewKeyring = options.NoNewKeyring,
            FifoPath = fifo,
            PreserveFds = options.PreserveFds,
            CgroupMounts = CgroupMountsFor(layout, cgroupsPath, joining.Skipped),
            Rootless = RootlessContext.IsRootless,
            CgroupSelfJoin = joining.SelfJoinTasks,
            ParentJoinsCgroups = joining.ParentJoins,
            Host = HostFactsReader.Current,
            Rootfs = root.Rootfs,
            Stack = root.Stack,
        });

    /// <summary>start: lets the created container's process go on to execve.</summary>
    public void Start(string id)
    {
        using var dir = Store.Lock(id);
        var record = dir.Load();
        var status = dir.StatusOf(record);
        if (status != ContainerStatus.Created)
            throw new BerthException($"cannot start container \"{id}\": it is {Describe(status)}, not created");
        // Watch the fifo before writing: it hangs up once the container's process has no writer left, which is
        // when its copy (opened close-on-exec) is gone, i.e. when the program has been executed (or setup died).
        // Waiting for that is needed only when poststart hooks must follow the program's execve (as the spec says) or
        // startContainer hooks run before it (runc's start returns after them); otherwise start returns once the
        // process is let go, as crun does (runc always waits: README).
        bool awaitExecve = record.LateHooks is { Poststart.Count: > 0 } or { StartContainer.Count: > 0 };
        int watch = dir.OpenFile(StateStore.FifoFile, O_RDONLY | O_NONBLOCK);
        if (watch < 0)
            throw BerthException.Errno($"open exec fifo of \"{id}\"", errno);
        try
        {
            if (Sys.FileType(watch) != (int)S_IFIFO)
                throw new BerthException($"the exec fifo of \"{id}\", {dir.PathOf(StateStore.FifoFile)}, is not a FIFO");
            // The write end through the descriptor we hold: the name is not looked up again.
            int fd = Sys.Open($"/proc/self/fd/{watch}", O_WRONLY | O_NONBLOCK);
            if (fd < 0)
                throw BerthException.Errno($"open exec fifo of \"{id}\"", errno);
            try
            {
                int err = Sys.WriteAll(fd, [0]);
                if (err != 0)
                    throw BerthException.Errno($"signal container \"{id}\"", err);
            }
            finally
            {
                Sys.Close(fd);
            }
            if (awaitExecve)
                Sys.WaitForHangup(watch);
        }
        finally
        {
            Sys.Close(watch);
        }
        dir.Unlink(StateStore.FifoFile);
        Debug?.Invoke(awaitExecve
            ? $"start: container \"{id}\": process {record.Pid} went on to execute its program"
            : $"start: container \"{id}\": process {record.Pid} was let go to execute its program");
        PoststartHooks(record);
    }

    /// <summary>run: create and start; in the foreground, wait and return the container's exit status.</summary>
    public int Run(CreateOptions options, bool detach, bool keep)
    {
        if (detach)
            return RunCore(options, detach, keep);
        // Orphans of a joined pid namespace come back to us, so we can wait for the container's process.
        NativeMethods.Prctl(NativeMethods.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        // From here, INT/TERM/HUP/QUIT are kept for the container rather than ending berth half-way (berth_exec.c).
        NativeMethods.ForwardBegin();
        try
        {
            return RunCore(options, detach, keep);
        }
        finally
        {
            NativeMethods.ForwardEnd();
        }
    }

    private int RunCore(CreateOptions options, bool detach, bool keep)
    {
        var (record, process, master) = CreateCore(options, NarratorFor("run"), waitForStart: false);
        try
        {
            PoststartHooks(record);
        }
        catch (BerthException)
        {
            if (master >= 0)
                Sys.Close(master);
            if (!keep)
                CleanupLocked(record);
            throw;
        }
        if (detach)
        {
            if (master >= 0)
                Sys.Close(master);
            return 0;
        }

        int exitCode;
        var console = master >= 0 ? new ForegroundConsole(master) : null;
        try
        {
            // INT, TERM, HUP and QUIT sent to berth meanwhile go to the container's process (berth_exec.c).
            exitCode = ExitCode(NativeMethods.WaitForwarding(process.Pid, out int status), status);
        }
        finally
        {
            console?.Dispose();
        }
        Debug?.Invoke($"run: container \"{options.Id}\": process {process.Pid} ended with exit status {exitCode}");
        if (!keep && CleanupLocked(record))
            PoststopHooks(record);
        return exitCode;
    }

    /// <summary>The exit status as a shell reports it (255 when the process could not be waited for).</summary>
    private static int ExitCode(int waitResult, int status) => waitResult < 0 ? 255 : new WaitStatus(status).ShellExitCode;

    public ContainerRecord Load(string id) => Store.Load(id);

    /// <summary>The OCI state document, with the status computed now.</summary>
    public byte[] StateJson(string id)
    {
        using var dir = Store.Open(id);
        var record = dir.Load();
        var status = dir.StatusOf(record);
        bool alive = status is ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Paused;
        // berth's own member, after runc's: the signatures the host's trust policy verified at create.
        byte[]? verified = dir.Read(StateStore.TrustFile, out _);
        using var trust = verified is null ? null : System.Text.Json.JsonDocument.Parse(verified);
        return record.OciState(Describe(status), alive ? record.Pid : 0, forCli: true,
            trust is null ? null : [new("verified", trust.RootElement)]);
    }

    public static string Describe(ContainerStatus status) => status switch
    {
        ContainerStatus.Creating => "creating",
        ContainerStatus.Created => "created",
        ContainerStatus.Running => "running",
        ContainerStatus.Paused => "paused",
        _ => "stopped",
    };

    /// <summary>
    /// kill as runc 1.1.5 does it, whose words containerd's shim matches ("container not running", "no such process",
    /// "does not exist"): with --all, whatever is left in the container's cgroups gets the signal whatever the status,
    /// so a stopped container succeeds (the shim sends `kill --all ID 9` after the process exited); without it only the
    /// process of a created, running or paused container is signalled. Signal 0 checks that the process exists.
    /// SIGKILL thaws a paused container afterwards: a frozen process dies only once it is thawed.
    /// </summary>
    public void Kill(string id, int signal, bool all)
    {
        using var dir = Store.Open(id);
        var record = dir.Load();
        var status = dir.StatusOf(record);
        if (all)
        {
            Debug?.Invoke($"kill: signal {signal} to every process in the cgroups of container \"{id}\" ({Describe(status)}): {string.Join(", ", record.Cgroups)}");
            CgroupManager.KillAll(record.Cgroups, signal, record.KillableCgroups, record.FreezableCgroups);
        }
        else
        {
            if (status is ContainerStatus.Stopped or ContainerStatus.Creating)
                throw NotRunning(id, signal, status);
            Debug?.Invoke($"kill: signal {signal} to process {record.Pid} of container \"{id}\" ({Describe(status)})");
            if (!ProcessHandle.Signal(record, signal))
                throw NotRunning(id, signal, ContainerStatus.Stopped);
        }
        if (signal == 9 && status == ContainerStatus.Paused)
            Freezer.FreezeAll(record.FreezableCgroups, false);
    }

    private static BerthException NotRunning(string id, int signal, ContainerStatus status) =>
        new($"cannot send signal {signal} to container \"{id}\": container not running ({(status == ContainerStatus.Creating ? "it is still being created" : "its process has exited")})");

    public void Delete(string id, bool force)
    {
        // Only a directory is a container: a symlink or anything else planted as ROOT/ID "does not exist", and
        // delete --force of a container that does not exist succeeds (clients rely on it) without touching it.
        using var dir = force ? Store.TryLock(id) : Store.Lock(id);
        if (dir is null)
            return;
        if (!dir.TryLoad(out var record) || record is null)
        {
            // A directory without a readable state: a create that died half-way. Remove it, and only it.
            Store.Remove(dir);
            return;
        }
        var status = dir.StatusOf(record);
        if (status is ContainerStatus.Running or ContainerStatus.Paused && !force)
            throw new BerthException($"cannot delete container \"{id}\" that is {Describe(status)}; stop it first or use --force");
        if (status != ContainerStatus.Stopped)
            Stop(record);
        Cleanup(record, dir);
        Debug?.Invoke($"delete: container \"{id}\" ({Describe(status)}) removed: state {dir.Path}, cgroups {string.Join(", ", record.CreatedCgroups)}");
        PoststopHooks(record);
    }

    /// <summary>poststop hooks: after the container is gone; a failure is only a warning.</summary>
    private void PoststopHooks(ContainerRecord record)
    {
        if (record.LateHooks?.Poststop is not { Count: > 0 } hooks)
            return;
        foreach (string error in HookRunner.RunAll(hooks, "poststop", HookRunner.StateJson(record, "stopped", 0)))
            Warn("delete: " + error);
    }

    /// <summary>Kills every process of the container and waits until the init process is gone.</summary>
    private static void Stop(ContainerRecord record)
    {
        foreach (string cgroup in record.FreezableCgroups)
            if (Freezer.IsFrozen(cgroup))
                Freezer.Freeze(cgroup, false);
        CgroupManager.KillAll(record.Cgroups, 9, record.KillableCgroups, record.FreezableCgroups);
        ProcessHandle.Signal(record, 9);
        ProcessHandle.WaitGone(record, TimeSpan.FromSeconds(10));
    }

    /// <summary>Removes everything berth made for the container: its cgroups and its state directory (held by the caller).</summary>
    private void Cleanup(ContainerRecord record, ContainerDirectory dir)
    {
        if (record.Pid > 0 && StateStore.IsAlive(record))
            Stop(record);
        CgroupManager.Remove(record.CreatedCgroups);
        if (record.SharesMountNamespace)
            foreach (string error in HostMounts.DetachBelow(record.Rootfs))
                Warn("delete: " + error);
        Store.Remove(dir);
    }

    /// <summary><see cref="Cleanup"/> under the container's lock; false when its directory is gone already.</summary>
    private bool CleanupLocked(ContainerRecord record)
    {
        using var dir = Store.TryLock(record.Id);
        if (dir is null)
            return false;
        Cleanup(record, dir);
        return true;
    }

    public void Pause(string id, bool pause)
    {
        using var dir = Store.Lock(id);
        var record = dir.Load();
        var status = dir.StatusOf(record);
        if (pause && status != ContainerStatus.Running)
            throw new BerthException($"container \"{id}\" is {Describe(status)}, not running");
        if (!pause && status != ContainerStatus.Paused)
            throw new BerthException($"container \"{id}\" is {Describe(status)}, not paused");
        if (!Freezer.FreezeAll(record.FreezableCgroups, pause))
            throw new BerthException($"no freezer controller for container \"{id}\"");
    }

    /// <summary>The containers of the root, each with its status and owner (the user who owns its state directory, as
    /// runc shows it); an entry that is not a readable state directory (a symlink, a file, a damaged directory) is skipped.</summary>
    public IReadOnlyList<ListedContainer> List()
    {
        var containers = new List<ListedContainer>();
        Users? users = null;
        foreach (string id in Store.Ids().Order(StringComparer.Ordinal))
        {
            try
            {
                using var dir = Store.TryOpen(id, locked: false, out _);
                if (dir is not null && dir.TryLoad(out var record) && record is not null)
                    containers.Add(new ListedContainer(record, dir.StatusOf(record), (users ??= Users.FromPasswd()).NameOf(dir.OwnerUid)));
            }
            catch (BerthException)
            {
                // Not a container berth can read (an unreadable directory): not listed.
            }
        }
        return containers;
    }

    /// <summary>The pids in the container's cgroups, in order.</summary>
    public IReadOnlyList<int> Processes(string id) =>
        CgroupManager.Processes(Store.Load(id).Cgroups).Order().ToList();
}
