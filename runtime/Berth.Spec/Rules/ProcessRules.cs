namespace Berth.Spec;

/// <summary>
/// <c>process</c>: args (at least one entry on POSIX), an absolute cwd, rlimits (each type once, a type the kernel
/// has, soft ≤ hard), capability names the kernel knows, consoleSize only with a terminal, scheduler and I/O priority
/// values the kernel accepts.
/// </summary>
internal static class ProcessRules
{
    /// <summary>The resources of getrlimit(2) on Linux.</summary>
    internal static readonly HashSet<string> RlimitTypes = new(StringComparer.Ordinal)
    {
        "RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_LOCKS", "RLIMIT_MEMLOCK",
        "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO",
        "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
    };

    /// <summary>The capabilities of capabilities(7), 0 (CAP_CHOWN) through 40 (CAP_CHECKPOINT_RESTORE).</summary>
    internal static readonly HashSet<string> Capabilities = new(StringComparer.Ordinal)
    {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    };

    public static void Check(Spec spec, RuleSink sink)
    {
        if (spec.Process is not { } process) return;
        if (process.Args is null)
            sink.Error("/process", "x-required-on-linux", "missing member \"args\": on Linux the process needs at least one argument, the program to run", Sections.Process);
        sink.RequireAbsolute("/process/cwd", process.Cwd, "the working directory", Sections.Process);
        if (process.Env is { } env)
        {
            for (int i = 0; i < env.Count; i++)
            {
                string? entry = env[i];
                if (entry is not null && entry.IndexOf('=', StringComparison.Ordinal) <= 0)
                    sink.Warning(Paths.Join("/process/env", i), "x-env", $"environment entry {SchemaJson.Quote(entry)} is not NAME=value", Sections.Process);
            }
        }
        if (process.ConsoleSize is not null && process.Terminal != true)
            sink.Warning("/process/consoleSize", "x-ignored", "consoleSize is ignored because process.terminal is not true", Sections.Process);
        CheckRlimits(process.Rlimits, sink);
        CheckCapabilities(process.Capabilities, sink);
        CheckScheduler(process.Scheduler, sink);
        if (process.IoPriority is { } io && io.Priority is < 0 or > 7)
            sink.Error("/process/ioPriority/priority", "x-range", $"I/O priority {io.Priority} is outside 0 (highest) to 7 (lowest), the levels ioprio_set(2) accepts", Sections.Process);
    }

    private static void CheckRlimits(IReadOnlyList<Rlimit>? rlimits, RuleSink sink)
    {
        if (rlimits is null) return;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < rlimits.Count; i++)
        {
            if (rlimits[i] is not { } r || r.Type is null) continue;
            if (seen.TryGetValue(r.Type, out int first))
                sink.Error(Paths.Join("/process/rlimits", i) + "/type", "x-unique", $"duplicate rlimit type \"{r.Type}\" (first at /process/rlimits/{first})", Sections.PosixProcess);
            else
                seen.Add(r.Type, i);
            if (!RlimitTypes.Contains(r.Type))
                sink.Error(Paths.Join("/process/rlimits", i) + "/type", "x-rlimit-type", $"\"{r.Type}\" is not a Linux resource limit (see getrlimit(2))", Sections.PosixProcess);
            if (r.Soft > r.Hard)
                sink.Error(Paths.Join("/process/rlimits", i), "x-rlimit-range", $"soft limit {r.Soft} is greater than hard limit {r.Hard}: setrlimit(2) refuses it", Sections.PosixProcess);
        }
    }

    private static void CheckCapabilities(Capabilities? caps, RuleSink sink)
    {
        if (caps is null) return;
        Set(caps.Bounding, "bounding");
        Set(caps.Effective, "effective");
        Set(caps.Inheritable, "inheritable");
        Set(caps.Permitted, "permitted");
        Set(caps.Ambient, "ambient");

        void Set(IReadOnlyList<string>? names, string set)
        {
            if (names is null) return;
            for (int i = 0; i < names.Count; i++)
            {
                if (names[i] is { } name && !Capabilities.Contains(name))
                    sink.Warning(Paths.Join("/process/capabilities/" + set, i), "x-capability", $"{SchemaJson.Quote(name)} is not a capability this kernel generation knows (CAP_CHOWN … CAP_CHECKPOINT_RESTORE); berth leaves it out, as runc does", Sections.LinuxProcess);
            }
        }
    }

    private static void CheckScheduler(Scheduler? s, RuleSink sink)
    {
        if (s is null) return;
        if (s.Nice is { } nice && nice is < -20 or > 19)
            sink.Error("/process/scheduler/nice", "x-range", $"nice value {nice} is outside -20 to 19", Sections.Process);
        if (s.Policy is SchedulerPolicy.SchedFifo or SchedulerPolicy.SchedRr)
        {
            if (s.Priority is { } p && p is < 1 or > 99)
                sink.Error("/process/scheduler/priority", "x-range", $"priority {p} is outside 1 to 99, the range of {s.Policy.ToWireName()}", Sections.Process);
        }
        else if (s.Priority is { } p && p != 0)
            sink.Error("/process/scheduler/priority", "x-range", $"priority {p} must be 0 with {s.Policy.ToWireName()}: only SCHED_FIFO and SCHED_RR use a static priority", Sections.Process);
        if (s.Policy == SchedulerPolicy.SchedDeadline)
        {
            ulong runtime = s.Runtime ?? 0, deadline = s.Deadline ?? 0, period = s.Period ?? 0;
            if (deadline == 0) deadline = period; // sched_setattr: an unset deadline defaults to the period
            if (runtime == 0)
                sink.Error("/process/scheduler", "x-deadline", "SCHED_DEADLINE needs a runtime greater than 0", Sections.Process);
            else if (runtime > deadline || (period != 0 && deadline > period))
                sink.Error("/process/scheduler", "x-deadline", $"SCHED_DEADLINE needs runtime ≤ deadline ≤ period (runtime {runtime}, deadline {s.Deadline ?? 0}, period {period})", Sections.Process);
        }
    }
}
