using Berth.Spec;

namespace Berth.Cli;

/// <summary>
/// `berth features`: what this build of berth implements, and nothing it does not (AppArmor, SELinux,
/// Intel RDT and id-mapped mounts are reported as not enabled: berth does not apply them). Written by the model and
/// writer generated from specs/features.schema.json.
/// </summary>
public static class FeaturesDocument
{
    public static string Json => System.Text.Encoding.UTF8.GetString(Document.ToUtf8Json());

    private static Features Document => new()
    {
        OciVersionMin = "1.0.0",
        OciVersionMax = "1.3.0",
        Hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
        MountOptions =
        [
            "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "lazytime", "loud",
            "mand", "noatime", "nodev", "nodiratime", "noexec", "nolazytime", "nomand", "norelatime",
            "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev", "rdiratime",
            "relatime", "remount", "rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec", "rnorelatime",
            "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw",
            "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw", "shared",
            "silent", "slave", "strictatime", "suid", "symfollow", "sync", "unbindable",
        ],
        Linux = new FeaturesLinux
        {
            Namespaces = Wire<LinuxNamespaceType>(LinuxNamespaceTypeExtensions.TryParseWireName, "cgroup", "ipc", "mount", "network", "pid", "user", "uts"),
            Capabilities =
            [
                "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
                "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
                "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
                "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
                "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
                "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
                "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
            ],
            Cgroup = new FeaturesCgroup { V1 = true, V2 = true, Systemd = false, SystemdUser = false, Rdma = false },
            Seccomp = new FeaturesSeccomp
            {
                Enabled = true,
                Actions = Wire<SeccompAction>(SeccompActionExtensions.TryParseWireName,
                    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"),
                Operators = Wire<SeccompOperator>(SeccompOperatorExtensions.TryParseWireName,
                    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
                    "SCMP_CMP_NE"),
                Archs = Wire<SeccompArch>(SeccompArchExtensions.TryParseWireName, "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"),
                KnownFlags = Wire<SeccompFlag>(SeccompFlagExtensions.TryParseWireName,
                    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
                SupportedFlags = Wire<SeccompFlag>(SeccompFlagExtensions.TryParseWireName,
                    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
            },
            Apparmor = new FeaturesApparmor { Enabled = false },
            Selinux = new FeaturesSelinux { Enabled = false },
            IntelRdt = new FeaturesIntelRdt { Enabled = false },
            MountExtensions = new FeaturesMountExtensions { Idmap = new FeaturesIdmap { Enabled = false } },
        },
        Annotations = new Dictionary<string, string>
        {
            ["org.opencontainers.runc.checkpoint.enabled"] = "false",
            ["io.github.berth.version"] = "0.1.0",
        },
    };

    private delegate bool WireParser<T>(string? text, out T value);

    /// <summary>The enum values of their wire names: a name the schema does not know is a bug here.</summary>
    private static T[] Wire<T>(WireParser<T> parse, params string[] names) =>
        names.Select(n => parse(n, out T value) ? value : throw new InvalidOperationException($"features: \"{n}\" is not in the schema")).ToArray();
}
