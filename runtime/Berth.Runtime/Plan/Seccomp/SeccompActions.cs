using Berth.Spec;

namespace Berth.Runtime.Plan;

/// <summary>OCI seccomp actions, flags and operators as the kernel and libseccomp define them.</summary>
public static class SeccompActions
{
    public const uint EPERM = 1;
    /// <summary>The largest errno the kernel passes back (MAX_ERRNO).</summary>
    public const uint MaxErrno = 4095;

    public static readonly IReadOnlyList<SeccompAction> Supported =
    [
        SeccompAction.ScmpActKill, SeccompAction.ScmpActKillProcess, SeccompAction.ScmpActKillThread, SeccompAction.ScmpActTrap,
        SeccompAction.ScmpActErrno, SeccompAction.ScmpActTrace, SeccompAction.ScmpActAllow, SeccompAction.ScmpActLog,
        SeccompAction.ScmpActNotify,
    ];

    public static readonly IReadOnlyList<SeccompOperator> SupportedOperators = Enum.GetValues<SeccompOperator>();

    public static readonly IReadOnlyList<SeccompArch> SupportedArchs = [SeccompArch.ScmpArchX8664, SeccompArch.ScmpArchX86, SeccompArch.ScmpArchX32];

    public static readonly IReadOnlyList<SeccompFlag> SupportedFlags =
        [SeccompFlag.SeccompFilterFlagTsync, SeccompFlag.SeccompFilterFlagLog, SeccompFlag.SeccompFilterFlagSpecAllow, SeccompFlag.SeccompFilterFlagWaitKillableRecv];

    /// <summary>
    /// The filter's return value. SCMP_ACT_KILL is libseccomp's KILL_THREAD; ERRNO and TRACE carry errnoRet, EPERM when
    /// absent (as runc does); other actions take none. <paramref name="field"/> names the action in errors,
    /// <paramref name="errnoField"/> the errnoRet.
    /// </summary>
    public static uint Return(SeccompAction action, uint? errnoRet, string field, string errnoField)
    {
        if (errnoRet is not null && action is not (SeccompAction.ScmpActErrno or SeccompAction.ScmpActTrace))
            throw new BerthException($"{errnoField}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value, not {action.ToWireName()}");
        uint Data(uint max) => (errnoRet ?? EPERM) <= max
            ? errnoRet ?? EPERM
            : throw new BerthException($"{errnoField}: {errnoRet} is out of range (0 to {max})");
        return action switch
        {
            SeccompAction.ScmpActKill or SeccompAction.ScmpActKillThread => ClassicBpf.RetKillThread,
            SeccompAction.ScmpActKillProcess => ClassicBpf.RetKillProcess,
            SeccompAction.ScmpActTrap => ClassicBpf.RetTrap,
            SeccompAction.ScmpActAllow => ClassicBpf.RetAllow,
            SeccompAction.ScmpActLog => ClassicBpf.RetLog,
            SeccompAction.ScmpActErrno => ClassicBpf.RetErrno | Data(MaxErrno),
            SeccompAction.ScmpActTrace => ClassicBpf.RetTrace | Data(ClassicBpf.RetData),
            SeccompAction.ScmpActNotify => ClassicBpf.RetUserNotif,
            _ => throw new BerthException($"{field}: unknown seccomp action {action}"),
        };
    }

    /// <summary>seccomp(2) flags; 0 lets the helper use prctl(PR_SET_SECCOMP).</summary>
    public static uint Flags(IReadOnlyList<SeccompFlag>? flags, string field)
    {
        uint result = 0;
        for (int i = 0; flags is not null && i < flags.Count; i++)
            result |= flags[i] switch
            {
                SeccompFlag.SeccompFilterFlagTsync => ClassicBpf.FlagTsync,
                SeccompFlag.SeccompFilterFlagLog => ClassicBpf.FlagLog,
                SeccompFlag.SeccompFilterFlagSpecAllow => ClassicBpf.FlagSpecAllow,
                SeccompFlag.SeccompFilterFlagWaitKillableRecv => ClassicBpf.FlagWaitKillableRecv,
                var other => throw new BerthException($"{field}[{i}]: unknown seccomp flag {other}"),
            };
        return result;
    }
}
