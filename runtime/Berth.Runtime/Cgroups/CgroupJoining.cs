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
    public static CgroupJoining ForExec(Berth.Spec.Spec spec, CgroupLayout layout, IReadOnlyList<string> dirs)
    {
        bool userNamespace = spec.Linux?.Namespaces?.Any(n => n.Type == LinuxNamespaceType.User) == true;
        if (userNamespace || !dirs.All(Sys.Exists))
            return new CgroupJoining([], null, ParentJoins: true);
        string? v2Mount = layout.V2Mount?.TrimEnd('/');
        string? v2 = v2Mount is null ? null : dirs.FirstOrDefault(d => d == v2Mount || d.StartsWith(v2Mount + "/", StringComparison.Ordinal));
        return new CgroupJoining(dirs.Where(d => d != v2).Select(d => Path.Combine(d, "tasks")).ToList(), v2, ParentJoins: false);
    }

    public static CgroupJoining For(Berth.Spec.Spec spec, CgroupLayout layout, string cgroupsPath)
    {
        var namespaces = spec.Linux?.Namespaces ?? [];
        bool userNamespace = namespaces.Any(n => n.Type == LinuxNamespaceType.User);
        bool joinsPid = namespaces.Any(n => n.Type == LinuxNamespaceType.Pid && !string.IsNullOrEmpty(n.Path));
        if (userNamespace || joinsPid)
            return new CgroupJoining([], null, ParentJoins: true);
        string relative = cgroupsPath.TrimStart('/');
        var tasks = layout.V1Mounts.Values.Distinct().Select(mount => Path.Combine(mount, relative, "tasks")).ToList();
        string? v2 = layout.V2Mount is null ? null : Path.Combine(layout.V2Mount, relative);
        return new CgroupJoining(tasks, v2, ParentJoins: false);
    }
}
