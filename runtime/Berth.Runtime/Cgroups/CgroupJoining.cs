using Berth.Spec;

namespace Berth.Runtime.Cgroups;

/// <summary>
/// How the container's first process gets into its cgroups. Writing a pid into cgroup.procs takes the kernel's global
/// threadgroup lock, which waits for an RCU grace period (~7 ms on this host, paid by runc and crun too). So, where
/// it can, berth avoids it: the child writes "0" into each v1 hierarchy's "tasks" file itself (moving the current,
/// single thread skips that lock) and is created directly in its cgroup2 directory with clone3(CLONE_INTO_CGROUP).
/// In a user namespace the child cannot write host cgroup files, and the grandchild of a joined pid namespace must
/// be born inside: there berth joins it the ordinary way.
/// </summary>
public sealed record CgroupJoining(IReadOnlyList<string> SelfJoinTasks, string? BornInV2, bool ParentJoins)
{
    /// <summary>No cgroups at all: rootless berth, no resources asked for, and no hierarchy it may write (as runc).</summary>
    public static readonly CgroupJoining None = new([], null, ParentJoins: false);

    public bool Skipped => ReferenceEquals(this, None);

    /// <summary>
    /// Rootless (see <see cref="RootlessContext"/>) and no limit asked for (no linux.resources, or one that sets
    /// nothing, as podman sends): cgroups are used only if the caller may create them; otherwise the container runs
    /// without its own cgroups, as runc does in rootless mode.
    /// </summary>
    public static bool SkipForRootless(Berth.Spec.Spec spec, CgroupLayout layout)
    {
        if (!RootlessContext.IsRootless || ResourceCompiler.HasAny(spec.Linux?.Resources))
            return false;
        string? probe = layout.V1Mounts.Values.FirstOrDefault() ?? layout.V2Mount;
        return probe is null || !Sys.Writable(probe);
    }

    /// <summary>
    /// exec: the same for the container's cgroup directories (or the --cgroup sub-cgroups): the child writes "0" into
    /// each v1 directory's "tasks" before it joins any namespace, and is born in the cgroup2 one, so an exec pays no
    /// grace period either. A joined user namespace, or a directory that is not there (its error is the parent's,
    /// naming the cgroup.procs file, as runc's), leaves the joining to berth.
    /// </summary>
    public static CgroupJoining ForExec(Berth.Spec.Spec spec, IReadOnlyList<string> dirs)
    {
        if (HasUserNamespace(spec))
            return new CgroupJoining([], null, ParentJoins: true);
        // Each directory says itself whether it is on cgroup2 (one statfs each, which also finds a missing one):
        // cheaper than reading the host's mount table for the layout.
        string? v2 = null;
        var tasks = new List<string>(dirs.Count);
        foreach (string dir in dirs)
        {
            long? type = Sys.FileSystemType(dir);
            if (type is null)
                return new CgroupJoining([], null, ParentJoins: true);
            if (type == Cgroup2Magic && v2 is null)
                v2 = dir;
            else if (dir != v2)
                tasks.Add(Path.Combine(dir, "tasks"));
        }
        return new CgroupJoining(tasks, v2, ParentJoins: false);
    }

    /// <summary>CGROUP2_SUPER_MAGIC, statfs's f_type of a cgroup2 file system.</summary>
    private const long Cgroup2Magic = 0x63677270;

    public static CgroupJoining For(Berth.Spec.Spec spec, CgroupLayout layout, string cgroupsPath)
    {
        if (HasUserNamespace(spec) || JoinsPidNamespace(spec))
            return new CgroupJoining([], null, ParentJoins: true);
        string relative = cgroupsPath.TrimStart('/');
        // Plain loops, not LINQ: its operators over interfaces are generic virtual methods, which Native AOT resolves
        // through its type loader at the first call (~0.1 ms, perf).
        var tasks = new List<string>(layout.V1Mounts.Count);
        foreach (string mount in layout.V1Mounts.Values)
        {
            string file = Path.Combine(mount, relative, "tasks");
            if (!tasks.Contains(file))
                tasks.Add(file);
        }
        string? v2 = layout.V2Mount is null ? null : Path.Combine(layout.V2Mount, relative);
        return new CgroupJoining(tasks, v2, ParentJoins: false);
    }

    private static bool HasUserNamespace(Berth.Spec.Spec spec) => AnyNamespace(spec, ns => ns.Type == LinuxNamespaceType.User);

    private static bool JoinsPidNamespace(Berth.Spec.Spec spec) =>
        AnyNamespace(spec, ns => ns.Type == LinuxNamespaceType.Pid && !string.IsNullOrEmpty(ns.Path));

    private static bool AnyNamespace(Berth.Spec.Spec spec, Func<LinuxNamespace, bool> match)
    {
        if (spec.Linux?.Namespaces is { } namespaces)
            foreach (var ns in namespaces)
                if (match(ns))
                    return true;
        return false;
    }
}
