using Berth.Spec;

namespace Berth.Runtime.Plan;

/// <summary>What the plan compiler needs to know about the host. Tests pass their own.</summary>
public sealed record HostFacts
{
    /// <summary>The hard limit berth itself has for a resource (a container cannot get more without CAP_SYS_RESOURCE).</summary>
    public Func<int, ulong?> HardLimit { get; init; } = _ => null;
    public bool HasSysResource { get; init; }
    public int LastCapability { get; init; } = 40;
    /// <summary>berth itself runs in a user namespace (podman's rootless mode): no mknod, devices are bound.</summary>
    public bool InUserNamespace { get; init; }
    /// <summary>berth's own effective ids: a new user namespace without mappings maps them to root in it.</summary>
    public uint CallerUid { get; init; }
    public uint CallerGid { get; init; }
    public Func<string, bool> IsDirectory { get; init; } = Directory.Exists;
    /// <summary>Mount points of the host, to find the mount that holds the rootfs (read only when needed).</summary>
    public Func<IReadOnlyList<string>> MountPoints { get; init; } = () => [];
}

public sealed record PlanRequest(Berth.Spec.Spec Spec, string BundleDir, string Id)
{
    public bool NoPivot { get; init; }
    /// <summary>berth is not running as root: the user namespace it makes has setgroups denied.</summary>
    public bool Rootless { get; init; }
    /// <summary>--no-new-keyring: keep the caller's session keyring instead of a new one per container.</summary>
    public bool NoNewKeyring { get; init; }
    /// <summary>Host path of the exec fifo; null for `run`, which starts at once.</summary>
    public string? FifoPath { get; init; }
    public int PreserveFds { get; init; }
    /// <summary>Each cgroup hierarchy (name, host directory of the container's cgroup) for a "cgroup" mount.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> CgroupMounts { get; init; } = [];
    /// <summary>cgroup v1 "tasks" files the child writes "0" into itself (no global lock); empty when berth joins it.</summary>
    public IReadOnlyList<string> CgroupSelfJoin { get; init; } = [];
    /// <summary>berth writes the child's pid into some cgroup.procs (the child waits for that before hooks and exec).</summary>
    public bool ParentJoinsCgroups { get; init; } = true;
    public HostFacts Host { get; init; } = new();
    /// <summary>The root file system on the host when it is not root.path: the mount point of the layers root.image or
    /// root.layers name (Lifecycle/RootLayers), or the rootfs a running container recorded (exec). Null: root.path.</summary>
    public string? Rootfs { get; init; }
    /// <summary>root.image or root.layers: the stored layers to stack on <see cref="Rootfs"/> (an empty directory) in the
    /// container's mount namespace. Null: the rootfs is a directory.</summary>
    public StackedRoot? Stack { get; init; }
}

/// <summary>A root stacked from the content store: the config field that named it, the layers' host directories
/// (bottom first), and whether the container gets a writable layer of its own (not with root.readonly).</summary>
public sealed record StackedRoot(string Field, IReadOnlyList<string> Layers, bool Writable);

/// <summary>
/// Lowers a validated config to the ordered operations of the container's first process. Pure: everything it needs
/// about the machine comes in through <see cref="HostFacts"/>; nothing is changed.
/// </summary>
public sealed class PlanCompiler
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static readonly (string Path, long Major, long Minor)[] DefaultDevices =
    [
        ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8),
        ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
    ];

    private readonly PlanRequest _request;
    private readonly Berth.Spec.Spec _spec;
    private readonly List<Operation> _ops = new();
    private readonly List<string> _warnings = new();
    private readonly string _rootfs;
    /// <summary>The field that names the root: root.path, or root.image / root.layers for a stacked one.</summary>
    private readonly string _rootField;

    private PlanCompiler(PlanRequest request)
    {
        _request = request;
        _spec = request.Spec;
        _rootfs = request.Rootfs
            ?? Path.GetFullPath(_spec.Root?.Path ?? throw new BerthException("root.path: the config names no root filesystem"), request.BundleDir);
        _rootField = request.Stack?.Field ?? "root.path";
    }

    public static ContainerPlan Compile(PlanRequest request) => new PlanCompiler(request).Build();

    /// <summary>
    /// `berth exec`: a process that joins the namespaces of the running container whose init is
    /// <paramref name="containerPid"/> (every namespace its config created or joined, through /proc/PID/ns) and gets
    /// the settings of <c>request.Spec.Process</c>. No mounts, no hooks, no fifo: the container is already set up.
    /// </summary>
    public static ContainerPlan CompileExec(PlanRequest request, int containerPid) => new PlanCompiler(request) { _exec = true }.BuildExec(containerPid);

    private bool _exec;

    private ContainerPlan BuildExec(int containerPid)
    {
        var linux = _spec.Linux;
        RefuseUnsupported(linux);
        Namespaces(linux);
        // First, while the host's /sys/fs/cgroup is still in view: the process moves itself into its v1 cgroups.
        JoinCgroupsItself();
        var joins = new List<NamespaceJoin>();
        var namespaces = linux?.Namespaces ?? [];
        for (int i = 0; i < namespaces.Count; i++)
        {
            var (name, flag) = NamespaceOf(namespaces[i].Type) ?? throw new BerthException($"linux.namespaces[{i}].type: unknown namespace type");
            joins.Add(new NamespaceJoin(Wire(namespaces[i].Type), $"/proc/{containerPid}/ns/{name}", flag, $"linux.namespaces[{i}]"));
        }
        bool userNs = joins.Any(j => j.CloneFlag == Linux.CLONE_NEWUSER);
        JoinNamespaces(joins);
        if (joins.Any(j => j.CloneFlag == Linux.CLONE_NEWNS))
        {
            // Joining the mount namespace put the process at the container's root: paths resolve from there.
            Add(new OpenRootOp("open the container's root", "exec", "/"));
        }
        else
        {
            // The container shares berth's mount namespace and was only chrooted: so is the new process.
            Add(new OpenRootOp($"open the rootfs {_rootfs}", _rootField, _rootfs));
            Add(new MoveRootOp($"chroot to {_rootfs}", _rootField, null));
        }
        OomScoreAdj();
        Process(userNs);
        return new ContainerPlan
        {
            RootfsPath = _rootfs,
            CloneFlags = 0,
            Joins = joins,
            Operations = _ops,
            PreserveFds = _request.PreserveFds,
            Warnings = _warnings,
        };
    }

    private void JoinCgroupsItself()
    {
        foreach (string tasks in _request.CgroupSelfJoin)
            Add(new JoinCgroupOp($"join cgroup {Path.GetDirectoryName(tasks)}", "linux.cgroupsPath", tasks));
    }

    /// <summary>A namespace type's name under /proc/PID/ns and its clone flag; null for a type berth does not know.</summary>
    private static (string ProcName, int Flag)? NamespaceOf(LinuxNamespaceType type) => type switch
    {
        LinuxNamespaceType.Mount => ("mnt", Linux.CLONE_NEWNS),
        LinuxNamespaceType.Pid => ("pid", Linux.CLONE_NEWPID),
        LinuxNamespaceType.Network => ("net", Linux.CLONE_NEWNET),
        LinuxNamespaceType.Uts => ("uts", Linux.CLONE_NEWUTS),
        LinuxNamespaceType.Ipc => ("ipc", Linux.CLONE_NEWIPC),
        LinuxNamespaceType.User => ("user", Linux.CLONE_NEWUSER),
        LinuxNamespaceType.Cgroup => ("cgroup", Linux.CLONE_NEWCGROUP),
        LinuxNamespaceType.Time => ("time", Linux.CLONE_NEWTIME),
        _ => null,
    };

    /// <summary>Joined namespaces: the user namespace first, so the others are entered with its privileges; a joined
    /// pid namespace applies to children only, so the process forks once more.</summary>
    private void JoinNamespaces(List<NamespaceJoin> joins)
    {
        foreach (var join in joins.OrderBy(j => j.CloneFlag == Linux.CLONE_NEWUSER ? 0 : 1))
            Add(new SetnsOp($"join {join.Type} namespace {join.Path}", join.Field, join.Path, join.CloneFlag));
        if (joins.Any(j => j.CloneFlag == Linux.CLONE_NEWPID))
            Add(new ForkOp("enter the joined pid namespace", "linux.namespaces"));
    }

    private ContainerPlan Build()
    {
        var linux = _spec.Linux;
        RefuseUnsupported(linux);
        var (cloneFlags, joins) = Namespaces(linux);
        bool newMountNs = (cloneFlags & Linux.CLONE_NEWNS) != 0 || joins.Any(j => j.CloneFlag == Linux.CLONE_NEWNS);
        bool userNs = (cloneFlags & Linux.CLONE_NEWUSER) != 0 || joins.Any(j => j.CloneFlag == Linux.CLONE_NEWUSER);
        if (!newMountNs)
            RefuseWithoutMountNamespace(linux);

        // First, while the host's /sys/fs/cgroup is still in view: the child moves itself into its v1 cgroups.
        JoinCgroupsItself();

        JoinNamespaces(joins);

        if (_request.FifoPath is not null)
            Add(new OpenFifoOp($"open exec fifo {_request.FifoPath}", "exec.fifo", _request.FifoPath, ContainerPlan.FifoSlot));

        // A new user namespace without mappings maps the caller's own ids to root in it, as crun does.
        var uidMaps = IdMaps(linux?.UidMappings);
        var gidMaps = IdMaps(linux?.GidMappings);
        if ((cloneFlags & Linux.CLONE_NEWUSER) != 0)
        {
            if (uidMaps.Count == 0)
                uidMaps = [new IdMap(0, _request.Host.CallerUid, 1)];
            if (gidMaps.Count == 0)
                gidMaps = [new IdMap(0, _request.Host.CallerGid, 1)];
        }
        if ((cloneFlags & Linux.CLONE_NEWUSER) != 0 && MapsRoot(uidMaps) && MapsRoot(gidMaps))
        {
            // Until it changes ids, the child is the unmapped host root: files it creates would fail with EOVERFLOW.
            Add(new SetResGidOp("become root of the user namespace (gid 0)", "linux.gidMappings", 0));
            Add(new SetResUidOp("become root of the user namespace (uid 0)", "linux.uidMappings", 0));
        }

        if (!_request.NoNewKeyring)
            Add(new NewKeyringOp("join a new session keyring", "--no-new-keyring", _request.Id));
        OomScoreAdj();
        Rootfs(linux, userNs, newMountNs);
        // As runc orders them: sysctls are written before /proc/sys becomes read-only.
        Sysctls(linux, cloneFlags, joins);
        ProtectPaths(linux);
        Hostnames(cloneFlags, joins);
        Process(userNs);

        PlaceCgroupBarrier(joins);
        // The cgroup namespace is rooted where the process is when it is made: make it once the process is in
        // its cgroups, so that /proc/self/cgroup inside reads "/".
        if ((cloneFlags & Linux.CLONE_NEWCGROUP) != 0)
        {
            cloneFlags &= ~Linux.CLONE_NEWCGROUP;
            int after = _ops.FindLastIndex(o => o.Kind is OpKind.JoinCgroup or OpKind.WaitParent);
            _ops.Insert(after + 1, new UnshareOp("create the cgroup namespace", "linux.namespaces", Linux.CLONE_NEWCGROUP));
        }
        return new ContainerPlan
        {
            RootfsPath = _rootfs,
            CloneFlags = cloneFlags,
            Joins = joins,
            UidMappings = uidMaps,
            GidMappings = gidMaps,
            Operations = _ops,
            PreserveFds = _request.PreserveFds,
            Warnings = _warnings,
        };
    }

    private void Add(Operation op) => _ops.Add(op);

    /// <summary>Read-only remounts of tmpfs and /dev mounts, made after the root is in place (runc's finalizeRootfs).</summary>
    private readonly List<Operation> _readOnlyLater = [];

    /// <summary>
    /// Joining a cgroup v1 hierarchy waits for an RCU grace period in the kernel (~10 ms here). The child does its
    /// mounts meanwhile and waits only before anything that must happen inside the cgroups: hooks, and the program.
    /// A joined pid namespace forks a grandchild, which must be born in the cgroups: then berth joins first.
    /// </summary>
    private void PlaceCgroupBarrier(List<NamespaceJoin> joins)
    {
        if (!_request.ParentJoinsCgroups || joins.Any(j => j.CloneFlag == Linux.CLONE_NEWPID))
            return;
        // Before hooks, and before the process steps: the cgroup namespace made right after the barrier still
        // needs the capabilities the process is about to drop.
        int at = _ops.FindIndex(o => o.Kind is OpKind.Sync);
        if (at < 0 || at > _processStart)
            at = _processStart;
        _ops.Insert(at, new WaitParentOp("wait until berth has put the process in its cgroups", "linux.cgroupsPath"));
    }

    /// <summary>Settings berth does not apply yet: an error, never a silent skip (see `berth features`).</summary>
    private void RefuseUnsupported(Berth.Spec.Linux? linux)
    {
        var process = _spec.Process;
        (object? Value, string Field)[] unsupported =
        [
            (process?.Scheduler, "process.scheduler"),
            (process?.IoPriority, "process.ioPriority"),
            (process?.ExecCPUAffinity, "process.execCPUAffinity"),
            (linux?.Personality, "linux.personality"),
            (linux?.TimeOffsets, "linux.timeOffsets"),
            (linux?.MemoryPolicy, "linux.memoryPolicy"),
            (linux?.NetDevices, "linux.netDevices"),
            (linux?.IntelRdt, "linux.intelRdt"),
        ];
        foreach (var (value, field) in unsupported)
            if (value is not null)
                throw new BerthException($"{field}: berth does not support this setting yet");
        var mounts = _spec.Mounts ?? [];
        for (int i = 0; i < mounts.Count; i++)
            if (mounts[i].UidMappings is not null || mounts[i].GidMappings is not null)
                throw new BerthException($"mounts[{i}]: id-mapped mounts (uidMappings, gidMappings) are not supported by berth yet");
    }

    private static bool MapsRoot(IReadOnlyList<IdMap> maps) => maps.Any(m => m.ContainerId == 0 && m.Size > 0);

    private static List<IdMap> IdMaps(IReadOnlyList<IDMapping>? maps) =>
        maps is null ? [] : maps.Select(m => new IdMap(m.ContainerID, m.HostID, m.Size)).ToList();

    private static (int Flags, List<NamespaceJoin> Joins) Namespaces(Berth.Spec.Linux? linux)
    {
        int flags = 0;
        var joins = new List<NamespaceJoin>();
        var seen = new HashSet<LinuxNamespaceType>();
        var namespaces = linux?.Namespaces ?? [];
        for (int i = 0; i < namespaces.Count; i++)
        {
            var ns = namespaces[i];
            string field = $"linux.namespaces[{i}]";
            if (!seen.Add(ns.Type))
                throw new BerthException($"{field}.type: duplicate namespace type \"{Wire(ns.Type)}\"");
            int flag = NamespaceOf(ns.Type)?.Flag ?? throw new BerthException($"{field}.type: unknown namespace type");
            if (!string.IsNullOrEmpty(ns.Path))
                joins.Add(new NamespaceJoin(Wire(ns.Type), ns.Path, flag, field + ".path"));
            else if (flag == Linux.CLONE_NEWTIME)
                throw new BerthException($"{field}: creating a time namespace is not supported by berth yet; join one by path");
            else
                flags |= flag;
        }
        if (joins.Any(j => j.CloneFlag == Linux.CLONE_NEWUSER) && flags != 0)
            throw new BerthException("linux.namespaces: joining a user namespace while creating other namespaces is not supported by berth");
        return (flags, joins);
    }

    private static string Wire(LinuxNamespaceType type) => type.ToWireName();

    private void OomScoreAdj()
    {
        if (_spec.Process?.OomScoreAdj is int adj)
            Add(new WriteProcOp($"set oom_score_adj to {adj}", "process.oomScoreAdj", "self/oom_score_adj", adj.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// Without a mount namespace of its own the container shares berth's (the runtime-spec's "inherited"): its mounts
    /// are made there, as runc makes them, and it is only chrooted. What would change mounts berth itself lives on is
    /// refused: masking and read-only paths (runc refuses them too), a read-only root, root propagation.
    /// </summary>
    private void RefuseWithoutMountNamespace(Berth.Spec.Linux? linux)
    {
        const string why = "needs a mount namespace of the container's own (linux.namespaces lists no \"mount\"): without one it would change berth's own mounts";
        if (linux?.MaskedPaths is { Count: > 0 })
            throw new BerthException($"linux.maskedPaths: masking paths {why}");
        if (linux?.ReadonlyPaths is { Count: > 0 })
            throw new BerthException($"linux.readonlyPaths: read-only paths {why}");
        if (_spec.Root?.Readonly == true)
            throw new BerthException($"root.readonly: a read-only root {why}");
        if (linux?.RootfsPropagation is not null)
            throw new BerthException($"linux.rootfsPropagation: the root's propagation {why}");
        if (_request.NoPivot)
            throw new BerthException($"--no-pivot: moving the root {why}");
        // The stacked layers are attached in the container's mount namespace only, never on the host.
        if (_request.Stack is { } stack)
            throw new BerthException($"{stack.Field}: a root stacked from the store {why}");
    }

    private void Rootfs(Berth.Spec.Linux? linux, bool userNs, bool ownMountNs)
    {
        // Before the rootfs and the volumes are bound, the container's copies of the host's mounts get the propagation
        // that decides what the volumes share with the host: rshared keeps them peers (Kubernetes' Bidirectional
        // volumes), rprivate cuts them off, anything else makes them slaves (the host's new mounts reach the container,
        // the container's never reach the host). The root's own propagation is set after pivot_root (RootPropagation).
        var configured = linux?.RootfsPropagation;
        long hostPropagation = configured switch
        {
            RootfsPropagation.Rshared => Linux.MS_SHARED | Linux.MS_REC,
            RootfsPropagation.Rprivate => Linux.MS_PRIVATE | Linux.MS_REC,
            _ => Linux.MS_SLAVE | Linux.MS_REC,
        };
        bool shared = (hostPropagation & Linux.MS_SHARED) != 0;
        if (!ownMountNs)
        {
            // Berth's own mount namespace: the rootfs is not bound or moved, only opened (and later chrooted into).
            Add(new OpenRootOp($"open the rootfs {_rootfs}", _rootField, _rootfs));
        }
        else
            ProtectHostMounts(hostPropagation, shared);
        MountsAndDevices(linux, userNs);

        if (!ownMountNs)
            Add(new MoveRootOp($"chroot to {_rootfs}", _rootField, null));
        else if (_request.NoPivot)
            Add(new MoveRootOp($"move the rootfs {_rootfs} to /", "--no-pivot", _rootfs));
        else
            // A shared old root would carry its detaching to the host's peers: make it a slave first (as runc does).
            Add(new PivotRootOp($"pivot_root to {_rootfs}", _rootField) { OldRootPropagation = shared ? Linux.MS_SLAVE | Linux.MS_REC : 0 });
        if (ownMountNs)
            RootPropagation(configured);
    }

    /// <summary>The container's copies of the host's mounts get their propagation, and the rootfs is bound onto itself
    /// (a mount of its own, for pivot_root) and opened.</summary>
    private void ProtectHostMounts(long hostPropagation, bool shared)
    {
        Add(new HostMountOp("set the propagation of /", "linux.rootfsPropagation", "", "/", null, hostPropagation));
        if (shared)
        {
            // pivot_root refuses a shared parent mount, and the rootfs bound onto itself would show on the host:
            // make the mount that holds the rootfs private.
            string parent = _request.Host.MountPoints().Where(m => _rootfs == m || _rootfs.StartsWith(m.TrimEnd('/') + "/", StringComparison.Ordinal))
                .OrderByDescending(m => m.Length).FirstOrDefault() ?? "/";
            Add(new HostMountOp($"make {parent} private", "linux.rootfsPropagation", "", parent, null, Linux.MS_PRIVATE));
        }
        if (_request.Stack is { } stack)
            // The stack berth made before clone goes on the empty mount point: a mount of its own, for pivot_root.
            Add(new AttachLayersOp($"stack the {stack.Layers.Count} stored layer(s) on {_rootfs}", stack.Field, stack.Layers, stack.Writable, _rootfs));
        else
            Add(new HostMountOp($"bind the rootfs {_rootfs} onto itself", _rootField, _rootfs, _rootfs, "bind", Linux.MS_BIND | Linux.MS_REC));
        // From here on every path in the container is resolved inside this root, when it is used.
        Add(new OpenRootOp($"open the rootfs {_rootfs}", _rootField, _rootfs));
    }

    /// <summary>The config's mounts, the devices and /dev links, the working directory, and the hooks that run before
    /// the root changes.</summary>
    private void MountsAndDevices(Berth.Spec.Linux? linux, bool userNs)
    {
        var fresh = new List<ContainerPath>();
        var mounts = _spec.Mounts ?? [];
        for (int i = 0; i < mounts.Count; i++)
        {
            var mount = mounts[i];
            string field = $"mounts[{i}]";
            var destination = ContainerPath.Of(mount.Destination);
            var options = MountOptions.Parse(mount.Options, field + ".options");
            string type = mount.Type ?? "";
            bool bind = options.Bind || type == "bind";
            if (type == "cgroup" || type == "cgroup2")
            {
                CgroupMount(destination, options, field);
                fresh.Add(destination);
                continue;
            }
            string source = mount.Source ?? type;
            if (bind && !source.StartsWith('/'))
                source = Path.GetFullPath(source, _request.BundleDir);
            // proc and sysfs only onto real directories: a link there could aim the kernel's files anywhere.
            bool strict = type is "proc" or "sysfs";
            bool sourceIsDirectory = !bind || _request.Host.IsDirectory(source);
            MakeMountPoint(destination, sourceIsDirectory, field, strict);
            if (bind)
            {
                var (set, clear) = MountOptions.Attributes(options);
                Add(new BindOp($"bind {source} on {destination}", field, source, destination)
                {
                    Recursive = options.Recursive, SetAttributes = set, ClearAttributes = clear,
                    RecursiveSetAttributes = options.RecursiveSet, RecursiveClearAttributes = options.RecursiveClear,
                    Propagation = options.Propagation, InConfigOrder = true,
                });
            }
            else
            {
                long flags = MountOptions.FlagsWithRecursive(options);
                string? data = options.Data.Length > 0 ? options.Data : null;
                // A read-only tmpfs or /dev is mounted writable and made read-only once the root is in place, as runc
                // does: devices, links and mount points still go into it first.
                if ((flags & Linux.MS_RDONLY) != 0 && (flags & Linux.MS_REMOUNT) == 0 && (type == "tmpfs" || destination.Value == "/dev"))
                {
                    flags &= ~Linux.MS_RDONLY;
                    _readOnlyLater.Add(new MountOp($"make {destination} read-only", field, "", destination, "",
                        data, flags | Linux.MS_RDONLY | Linux.MS_REMOUNT));
                }
                Add(new MountOp($"mount {type} on {destination}", field, source, destination, type, data,
                    flags, options.Propagation, RealDirectory: strict));
                fresh.Add(destination);
            }
        }

        // mknod needs CAP_MKNOD in the initial user namespace: in one, whether the container's or berth's own, bind.
        Devices(linux, userNs || _request.Host.InUserNamespace);
        DevLinks(fresh);

        var cwd = ContainerPath.Of(_spec.Process?.Cwd ?? "/");
        Add(new MkdirAllOp($"create the working directory {cwd}", "process.cwd", cwd, 0x1ed));

        // Hooks that run before pivot_root: createRuntime (and prestart) in berth, createContainer here.
        var hooks = _spec.Hooks;
        if (hooks?.Prestart is { Count: > 0 } || hooks?.CreateRuntime is { Count: > 0 } || hooks?.CreateContainer is { Count: > 0 } || hooks?.StartContainer is { Count: > 0 })
            Add(new SyncOp("wait for the createRuntime hooks", "hooks.createRuntime"));
        // In the container's mount namespace, before pivot_root, with the working directory at its root (as runc).
        AddHooks(hooks?.CreateContainer, "createContainer", inRootCwd: true);
    }

    /// <summary>
    /// linux.rootfsPropagation on the container's own root, once it is "/" (runc ≥ 1.2 does it there too: before
    /// pivot_root it would act on the host's mount, and the rootfs bound from a private parent is private whatever
    /// "/" was). rslave, slave and rprivate are what the root has already.
    /// </summary>
    private void RootPropagation(RootfsPropagation? configured)
    {
        long flags = configured switch
        {
            RootfsPropagation.Shared => Linux.MS_SHARED,
            RootfsPropagation.Rshared => Linux.MS_SHARED | Linux.MS_REC,
            RootfsPropagation.Private => Linux.MS_PRIVATE,
            RootfsPropagation.Unbindable => Linux.MS_UNBINDABLE,
            RootfsPropagation.Runbindable => Linux.MS_UNBINDABLE | Linux.MS_REC,
            _ => 0,
        };
        if (flags != 0)
            Add(new MountOp("set the propagation of the container's root", "linux.rootfsPropagation", "", ContainerPath.Of("/"), "", null, flags));
    }

    private void ProtectPaths(Berth.Spec.Linux? linux)
    {
        var masked = linux?.MaskedPaths ?? [];
        for (int i = 0; i < masked.Count; i++)
            Add(new MaskPathOp($"mask {masked[i]}", $"linux.maskedPaths[{i}]", ContainerPath.Of(masked[i]), "size=0,mode=0755"));
        var readOnly = linux?.ReadonlyPaths ?? [];
        for (int i = 0; i < readOnly.Count; i++)
            Add(new ReadonlyPathOp($"make {readOnly[i]} read-only", $"linux.readonlyPaths[{i}]", ContainerPath.Of(readOnly[i])));
        if (_spec.Root?.Readonly == true)
            Add(new ReadonlyPathOp("make the root file system read-only", "root.readonly", null));
    }

    private void AddHooks(IReadOnlyList<Hook>? hooks, string kind, bool inRootCwd = false)
    {
        for (int i = 0; hooks is not null && i < hooks.Count; i++)
        {
            var hook = hooks[i];
            Add(new RunHookOp($"{kind} hook {hook.Path}", $"hooks.{kind}[{i}]", hook.Path,
                hook.Args is { Count: > 0 } args ? args : [hook.Path], hook.Env ?? [], (hook.Timeout ?? 0) * 1000L, i)
            { InRootCwd = inRootCwd });
        }
    }

    private void MakeMountPoint(ContainerPath destination, bool directory, string field, bool strict)
    {
        if (directory)
            Add(new MkdirAllOp($"create mount point {destination}", field + ".destination", destination, 0x1ed, NoSymlinks: strict));
        else
            Add(new CreateFileOp($"create mount point {destination}", field + ".destination", destination, 0x1a4));
    }

    /// <summary>
    /// A "cgroup" mount: a tmpfs with each hierarchy's container cgroup bound below it (cgroup v1 and hybrid), or the
    /// cgroup2 file system itself when the host has only v2.
    /// </summary>
    private void CgroupMount(ContainerPath destination, ParsedMountOptions options, string field)
    {
        long readOnly = MountOptions.FlagsWithRecursive(options) & Linux.MS_RDONLY;
        long common = Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC;
        // nosuid, nodev, noexec (and ro) as mount_setattr bits.
        long attributes = Linux.MOUNT_ATTR_NOSUID | Linux.MOUNT_ATTR_NODEV | Linux.MOUNT_ATTR_NOEXEC | (readOnly != 0 ? Linux.MOUNT_ATTR_RDONLY : 0);
        Add(new MkdirAllOp($"create mount point {destination}", field + ".destination", destination, 0x1ed));
        if (_request.CgroupMounts.Count == 1 && _request.CgroupMounts[0].Key == "")
        {
            Add(new BindOp($"bind the container's cgroup on {destination}", field, _request.CgroupMounts[0].Value, destination) { SetAttributes = attributes });
            return;
        }
        Add(new MountOp($"mount tmpfs on {destination}", field, "tmpfs", destination, "tmpfs", "mode=755", common));
        foreach (var (name, hostDir) in _request.CgroupMounts)
        {
            var sub = destination.Join(name);
            Add(new MkdirAllOp($"create {sub}", field, sub, 0x1ed));
            Add(new BindOp($"bind the {name} cgroup on {sub}", field, hostDir, sub) { SetAttributes = attributes });
        }
        if (readOnly != 0)
            Add(new MountOp($"make {destination} read-only", field, "", destination, "", "mode=755", Linux.MS_REMOUNT | common | readOnly));
    }

    private void Devices(Berth.Spec.Linux? linux, bool userNs)
    {
        var configured = linux?.Devices ?? [];
        var paths = configured.Select(d => ContainerPath.Of(d.Path)).ToHashSet();
        foreach (var (path, major, minor) in DefaultDevices)
            if (!paths.Contains(ContainerPath.Of(path)))
                Device(ContainerPath.Of(path), Linux.S_IFCHR, major, minor, 0x1b6, 0, 0, userNs, "default device " + path);
        for (int i = 0; i < configured.Count; i++)
        {
            var d = configured[i];
            long type = d.Type switch
            {
                LinuxDeviceType.B => Linux.S_IFBLK,
                LinuxDeviceType.P => Linux.S_IFIFO,
                _ => Linux.S_IFCHR,
            };
            if (type != Linux.S_IFIFO && (d.Major is null || d.Minor is null))
                throw new BerthException($"linux.devices[{i}]: a {d.Type.ToString().ToLowerInvariant()} device needs major and minor");
            Device(ContainerPath.Of(d.Path), type, d.Major ?? 0, d.Minor ?? 0, d.FileMode ?? 0x1b6, d.Uid ?? 0, d.Gid ?? 0, userNs, $"linux.devices[{i}]");
        }
    }

    private void Device(ContainerPath path, long type, long major, long minor, uint mode, uint uid, uint gid, bool userNs, string field)
    {
        if (userNs)
        {
            // mknod is not allowed in a user namespace: bind the host's node instead.
            Add(new CreateFileOp($"create {path}", field, path, 0x1a4));
            Add(new BindOp($"bind {path} from the host", field, path.Value, path));
            return;
        }
        // Made below its resolved parent; mode and owner go to the node just made, never through a link that was there.
        Add(new MknodOp($"create device {path} ({major}:{minor})", field, path, type | (mode & 0xfff), Linux.MakeDev(major, minor), uid, gid));
    }

    private void DevLinks(List<ContainerPath> fresh)
    {
        (string Target, string Link)[] links =
        [
            ("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"), ("/proc/self/fd/1", "/dev/stdout"),
            ("/proc/self/fd/2", "/dev/stderr"), ("pts/ptmx", "/dev/ptmx"),
        ];
        foreach (var (target, link) in links)
        {
            if (link == "/dev/ptmx" && !fresh.Contains(ContainerPath.Of("/dev/pts")))
                continue;
            Add(new SymlinkOp($"link {link} to {target}", "default /dev links", target, ContainerPath.Of(link)));
        }
        Add(new MkdirAllOp("create /dev/shm", "default /dev links", ContainerPath.Of("/dev/shm"), 0x3ff));
    }

    private void Hostnames(int cloneFlags, List<NamespaceJoin> joins)
    {
        bool uts = (cloneFlags & Linux.CLONE_NEWUTS) != 0 || joins.Any(j => j.CloneFlag == Linux.CLONE_NEWUTS);
        if (_spec.Hostname is { Length: > 0 } host)
        {
            if (!uts)
                throw new BerthException("hostname: setting a hostname needs a uts namespace (linux.namespaces)");
            Add(new SetHostnameOp($"set the hostname to {host}", "hostname", host));
        }
        if (_spec.Domainname is { Length: > 0 } domain)
        {
            if (!uts)
                throw new BerthException("domainname: setting a domain name needs a uts namespace (linux.namespaces)");
            Add(new SetDomainnameOp($"set the domain name to {domain}", "domainname", domain));
        }
    }

    private void Sysctls(Berth.Spec.Linux? linux, int cloneFlags, List<NamespaceJoin> joins)
    {
        if (linux?.Sysctl is null)
            return;
        bool Has(int flag) => (cloneFlags & flag) != 0 || joins.Any(j => j.CloneFlag == flag);
        foreach (var (key, value) in linux.Sysctl.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            string field = $"linux.sysctl[\"{key}\"]";
            // The key becomes a path below /proc/sys: "a..b" or a "/" in a part would walk somewhere else.
            if (key.Split('.').Any(part => part.Length == 0 || part.Contains('/')))
                throw new BerthException($"{field}: \"{key}\" is not a sysctl name (dot-separated parts, none empty, no \"/\")");
            bool allowed = key.StartsWith("net.", StringComparison.Ordinal) ? Has(Linux.CLONE_NEWNET)
                : key.StartsWith("fs.mqueue.", StringComparison.Ordinal) || key is "kernel.msgmax" or "kernel.msgmnb" or "kernel.msgmni" or "kernel.sem" or "kernel.shmall" or "kernel.shmmax" or "kernel.shmmni" or "kernel.shm_rmid_forced" ? Has(Linux.CLONE_NEWIPC)
                : key is "kernel.hostname" or "kernel.domainname" ? Has(Linux.CLONE_NEWUTS)
                : false;
            if (!allowed)
                throw new BerthException($"{field}: sysctl \"{key}\" is not namespaced by the container's namespaces, so setting it would change the host");
            // Below berth's own procfs handle; /proc/sys/net, ipc and uts files answer for the writer's namespaces.
            string path = "sys/" + key.Replace('.', '/');
            Add(new WriteProcOp($"set sysctl {key} to {value}", field, path, value));
        }
    }

    /// <summary>Index of the first operation of the process steps (rlimits, terminal, user, capabilities…).</summary>
    private int _processStart;

    private void Process(bool userNs)
    {
        _processStart = _ops.Count;
        var process = _spec.Process ?? throw new BerthException("process: the config has no process to run");
        if (process.Args is not { Count: > 0 } args)
            throw new BerthException("process.args: must name the program to run");

        var user = process.User;
        uint uid = user?.Uid ?? 0, gid = user?.Gid ?? 0;
        // HOME is looked up before the rlimits apply: reading passwd maps memory, which a small RLIMIT_AS or
        // RLIMIT_DATA would refuse (the setup process is a copy of berth, whose address space is large already).
        var env = Home(process.Env ?? [], uid);

        var rlimits = process.Rlimits ?? [];
        var seenLimits = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < rlimits.Count; i++)
        {
            var r = rlimits[i];
            string field = $"process.rlimits[{i}]";
            int resource = Rlimits.Number(r.Type);
            if (resource < 0)
                throw new BerthException($"{field}.type: unknown rlimit \"{r.Type}\"");
            if (!seenLimits.Add(r.Type))
                throw new BerthException($"{field}.type: duplicate rlimit type \"{r.Type}\"");
            if (r.Soft > r.Hard)
                throw new BerthException($"{field}: soft limit {r.Soft} is above the hard limit {r.Hard}");
            if (!_request.Host.HasSysResource && !userNs && _request.Host.HardLimit(resource) is ulong max && r.Hard > max)
                throw new BerthException($"{field}: {r.Type} hard limit {r.Hard} is above what this host allows ({max})");
            Add(new SetRlimitOp($"set {r.Type} to {r.Soft}:{r.Hard}", field, resource, r.Soft, r.Hard));
        }

        if (process.Terminal == true)
            Terminal(process, uid);
        // Read-only tmpfs and /dev mounts become read-only only now, once /dev/console is in place (runc's order).
        _ops.AddRange(_readOnlyLater);
        var cwd = ContainerPath.Of(process.Cwd);
        Add(new ChdirOp($"change to the working directory {process.Cwd}", "process.cwd", cwd));
        Add(new CloseFromOp("close inherited file descriptors", "--preserve-fds", 3 + _request.PreserveFds));

        var caps = process.Capabilities;
        ulong bounding = CapabilityMask(caps?.Bounding, "process.capabilities.bounding");
        ulong effective = CapabilityMask(caps?.Effective, "process.capabilities.effective");
        ulong permitted = CapabilityMask(caps?.Permitted, "process.capabilities.permitted");
        ulong inheritable = CapabilityMask(caps?.Inheritable, "process.capabilities.inheritable");
        ulong ambient = AmbientMask(caps?.Ambient, inheritable & permitted);
        Add(new DropBoundingOp("drop capabilities from the bounding set", "process.capabilities.bounding", bounding, _request.Host.LastCapability));

        // Loading a filter needs no_new_privs or CAP_SYS_ADMIN: without either after capset, load it before the user change (as runc).
        var seccomp = SeccompCompiler.Operation(_spec.Linux?.Seccomp);
        bool seccompLate = process.NoNewPrivileges == true || (effective & (1UL << CapabilityNames.Number("CAP_SYS_ADMIN"))) != 0;
        if (seccomp is not null && !seccompLate)
            Add(seccomp);
        Add(new KeepCapsOp("keep capabilities across the user change", "process.user", true));
        var groups = user?.AdditionalGids ?? [];
        // Rootless in a user namespace (its own, or podman's) may have setgroups denied: with no groups to set, skip it.
        if (!(_request.Rootless && (userNs || _request.Host.InUserNamespace) && groups.Count == 0))
            Add(new SetGroupsOp($"set additional groups [{string.Join(", ", groups)}]", "process.user.additionalGids", groups));
        Add(new SetResGidOp($"set gid {gid}", "process.user.gid", gid));
        Add(new SetResUidOp($"set uid {uid}", "process.user.uid", uid));
        Add(new KeepCapsOp("stop keeping capabilities", "process.user", false));
        Add(new CapsetOp("set capabilities", "process.capabilities", effective, permitted, inheritable));
        if (ambient != 0)
            Add(new AmbientOp("raise ambient capabilities", "process.capabilities.ambient", ambient));
        Add(new UmaskOp("set the umask", "process.user.umask", user?.Umask ?? 0x12));
        if (process.NoNewPrivileges == true)
            Add(new NoNewPrivsOp("set no_new_privs", "process.noNewPrivileges"));

        string path = DefaultPath;
        foreach (string e in env)
            if (e.StartsWith("PATH=", StringComparison.Ordinal))
                path = e[5..];
        string program = args[0];
        // Relative candidates are relative to the working directory; all are resolved inside the root.
        var candidates = (program.Contains('/')
            ? new List<string> { program }
            : path.Split(':').Select(dir => (dir.Length == 0 ? "." : dir.TrimEnd('/')) + "/" + program).ToList())
            .Select(c => c.StartsWith('/') ? ContainerPath.Of(c) : cwd.Join(c)).ToList();
        Add(new CheckExecOp($"find executable \"{program}\" in {(program.Contains('/') ? "the container" : "$PATH")}", "process.args[0]", candidates));
        // As runc orders it: ready is reported before the late filter is in force, so a profile that denies write
        // cannot keep berth from hearing it; the filter comes last (its failure still reaches berth, which reads until
        // the channel closes), then the channel closes before the wait for start.
        Add(new ReportReadyOp("report that setup is done", _exec ? "exec" : "create"));
        if (seccomp is not null && seccompLate)
            Add(seccomp);
        if (_request.FifoPath is not null)
        {
            Add(new EndSetupOp("end the setup", "create"));
            Add(new WaitSlotOp("wait for start", "exec.fifo", ContainerPlan.FifoSlot));
        }
        if (!_exec)
            AddHooks(_spec.Hooks?.StartContainer, "startContainer");
        Add(new ExecOp($"execute {program}", "process.args", candidates, args, env));
    }

    /// <summary>
    /// HOME as runc sets it when the config has none (or an empty one): the home of the process's uid in the
    /// container's /etc/passwd, else "/". The file is read when the process is set up, after the mounts (a volume may
    /// provide it), by the child inside the root (native/passwd.c); the program's environment gets the answer.
    /// Returns the environment without the empty HOME.
    /// </summary>
    private IReadOnlyList<string> Home(IReadOnlyList<string> env, uint uid)
    {
        string? home = env.LastOrDefault(e => e.StartsWith("HOME=", StringComparison.Ordinal));
        if (home is { Length: > 5 })
            return env;
        Add(new HomeFromPasswdOp($"look up the home directory of uid {uid} for HOME", "process.env", ContainerPath.Of("/etc/passwd"), uid, "/"));
        return home is null ? env : env.Where(e => !e.StartsWith("HOME=", StringComparison.Ordinal)).ToList();
    }

    /// <summary>
    /// A pty from the container's own devpts: its master goes to berth (and on to the console socket), its peer
    /// becomes the controlling terminal and stdio of the process, owned by the process's uid (its group stays, as
    /// runc leaves it: devpts' gid= option, usually tty).
    /// </summary>
    private void Terminal(Berth.Spec.Process process, uint uid)
    {
        const long TIOCSPTLCK = 0x40045431, TIOCSWINSZ = 0x5414, TIOCSCTTY = 0x540E;
        int master = ContainerPlan.ConsoleSlot, peer = ContainerPlan.ConsolePeerSlot;
        // Resolved in the root and checked to be a pty multiplexer (5:2), whatever /dev/ptmx links to.
        Add(new OpenDeviceOp("open /dev/ptmx", "process.terminal", ContainerPath.Of("/dev/ptmx"), Linux.O_RDWR | Linux.O_NOCTTY, Linux.MakeDev(5, 2), master));
        Add(new IoctlOp("unlock the pty", "process.terminal", master, TIOCSPTLCK, new byte[4]));
        Add(new PtyPeerOp("open the pty's peer", "process.terminal", master, peer));
        if (uid != 0)
            Add(new ChownSlotOp($"give the pty to uid {uid}", "process.user.uid", peer, uid, -1));
        if (process.ConsoleSize is { } size)
        {
            var winsize = new byte[8];
            BitConverter.TryWriteBytes(winsize.AsSpan(0), (ushort)Math.Min(size.Height, (ulong)ushort.MaxValue));
            BitConverter.TryWriteBytes(winsize.AsSpan(2), (ushort)Math.Min(size.Width, (ulong)ushort.MaxValue));
            Add(new IoctlOp($"set the terminal size to {size.Height}x{size.Width}", "process.consoleSize", master, TIOCSWINSZ, winsize));
        }
        Add(new SendSlotOp("send the pty master to berth", "process.terminal", master));
        if (!_exec)
        {
            // /dev/console is the pty itself, bound from its descriptor onto a file that is not a link.
            Add(new CreateFileOp("create /dev/console", "process.terminal", ContainerPath.Of("/dev/console"), 0x1b6));
            Add(new BindOp("bind the pty on /dev/console", "process.terminal", null, ContainerPath.Of("/dev/console")) { SourceSlot = peer, NoSymlinks = true });
        }
        Add(new SetsidOp("start a new session", "process.terminal"));
        Add(new IoctlOp("make the pty the controlling terminal", "process.terminal", peer, TIOCSCTTY, null));
        for (int fd = 0; fd < 3; fd++)
            Add(new Dup2Op($"connect fd {fd} to the pty", "process.terminal", peer, fd));
    }

    /// <summary>
    /// The capabilities of one set. A name berth does not know is left out (the config's validation warned about it),
    /// and so is one the running kernel does not have, with a warning: runc ignores both the same way.
    /// </summary>
    private ulong CapabilityMask(IReadOnlyList<string>? names, string field)
    {
        ulong mask = 0;
        for (int i = 0; names is not null && i < names.Count; i++)
        {
            int number = CapabilityNames.Number(names[i]);
            if (number < 0)
                continue;
            if (number > _request.Host.LastCapability)
            {
                _warnings.Add($"{field}[{i}]: this kernel does not have {names[i]} (its last capability is {CapabilityNames.All[_request.Host.LastCapability]}); left out, as runc does");
                continue;
            }
            mask |= 1UL << number;
        }
        return mask;
    }

    /// <summary>
    /// The ambient capabilities that can be raised: the kernel raises only one that is both inheritable and permitted.
    /// The others are left out with a warning, as runc goes on without them (the config `runc spec` writes lists
    /// ambient capabilities and no inheritable set).
    /// </summary>
    private ulong AmbientMask(IReadOnlyList<string>? names, ulong raisable)
    {
        const string field = "process.capabilities.ambient";
        ulong ambient = CapabilityMask(names, field);
        for (int i = 0; names is not null && i < names.Count; i++)
        {
            int number = CapabilityNames.Number(names[i]);
            if (number >= 0 && (ambient & (1UL << number)) != 0 && (raisable & (1UL << number)) == 0)
                _warnings.Add($"{field}[{i}]: {names[i]} is not in both the inheritable and the permitted set, so it cannot be raised; left out, as runc does");
        }
        return ambient & raisable;
    }
}

/// <summary>RLIMIT_* names and numbers (asm-generic/resource.h).</summary>
public static class Rlimits
{
    private static readonly string[] Names =
    [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC",
        "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ];

    public static int Number(string name) => Array.IndexOf(Names, name);

    public static string Name(int number) => Names[number];

    public static int Count => Names.Length;
}
