namespace Berth.Seccomp.Tests;

/// <summary>
/// What a filter must answer, computed straight from the OCI model without BPF: the first matching syscalls[] entry
/// decides (runtime-spec), comparisons on different arguments are ANDed, a repeated argument turns every comparison
/// of the entry into its own rule (runc), x32 is nr | 0x40000000 under AUDIT_ARCH_X86_64, i386 compares low halves;
/// unless the default action is allow, log or trace, a number above every syscall the profile names for a listed arch
/// gets ENOSYS (runc's patch of libseccomp's filter).
/// </summary>
public static class ReferenceModel
{
    public const uint KillThread = ClassicBpf.RetKillThread;

    public static uint Verdict(Berth.Spec.Seccomp s, uint arch, uint nr, ulong[] args)
    {
        var archs = s.Architectures ?? [];
        uint def = Action(s.DefaultAction, s.DefaultErrnoRet);
        SeccompArch table;
        if (arch == ClassicBpf.AuditArchX8664)
        {
            if (nr == uint.MaxValue)
                return def;
            if (nr >= ClassicBpf.X32SyscallBit)
            {
                if (!archs.Contains(SeccompArch.ScmpArchX32))
                    return KillThread;
                table = SeccompArch.ScmpArchX32;
            }
            else
                table = SeccompArch.ScmpArchX8664;
        }
        else if (arch == ClassicBpf.AuditArchI386 && archs.Contains(SeccompArch.ScmpArchX86))
            table = SeccompArch.ScmpArchX86;
        else
            return KillThread;

        bool wide = table != SeccompArch.ScmpArchX86;
        foreach (var entry in s.Syscalls ?? [])
        {
            if (!entry.Names.Any(n => SyscallTable.TryGet(table, n, out uint number) && number == nr))
                continue;
            var cmp = entry.Args ?? [];
            bool repeated = cmp.GroupBy(a => a.Index).Any(g => g.Count() > 1);
            bool match = repeated ? cmp.Any(a => Holds(a, args, wide)) : cmp.All(a => Holds(a, args, wide));
            if (match)
                return Action(entry.Action, entry.ErrnoRet);
        }
        bool permissive = s.DefaultAction is SeccompAction.ScmpActAllow or SeccompAction.ScmpActLog or SeccompAction.ScmpActTrace;
        if (!permissive && archs.Contains(table))
        {
            uint highest = 0;
            foreach (var entry in s.Syscalls ?? [])
                foreach (string name in entry.Names)
                    if (SyscallTable.TryGet(table, name, out uint number))
                        highest = Math.Max(highest, number);
            if (highest > 0 && nr > highest)
                return 0x00050000 | 38;
        }
        return def;
    }

    public static bool Holds(SeccompArg a, ulong[] args, bool wide)
    {
        ulong mask = wide ? ulong.MaxValue : uint.MaxValue;
        ulong x = args[(int)a.Index] & mask, v = a.Value & mask, v2 = (a.ValueTwo ?? 0) & mask;
        return a.Op switch
        {
            SeccompOperator.ScmpCmpEq => x == v,
            SeccompOperator.ScmpCmpNe => x != v,
            SeccompOperator.ScmpCmpLt => x < v,
            SeccompOperator.ScmpCmpLe => x <= v,
            SeccompOperator.ScmpCmpGt => x > v,
            SeccompOperator.ScmpCmpGe => x >= v,
            SeccompOperator.ScmpCmpMaskedEq => (x & v) == v2,
            _ => throw new InvalidOperationException(),
        };
    }

    public static uint Action(SeccompAction action, uint? errno) => action switch
    {
        SeccompAction.ScmpActKill or SeccompAction.ScmpActKillThread => 0,
        SeccompAction.ScmpActKillProcess => 0x80000000,
        SeccompAction.ScmpActTrap => 0x00030000,
        SeccompAction.ScmpActErrno => 0x00050000 | (errno ?? 1),
        SeccompAction.ScmpActTrace => 0x7ff00000 | (errno ?? 1),
        SeccompAction.ScmpActAllow => 0x7fff0000,
        SeccompAction.ScmpActLog => 0x7ffc0000,
        _ => throw new InvalidOperationException(),
    };
}
