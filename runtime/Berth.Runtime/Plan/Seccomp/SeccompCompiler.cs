using Berth.Spec;

namespace Berth.Runtime.Plan;

/// <summary>A compiled filter: the bytes of <c>struct sock_filter[]</c> and the flags for seccomp(2).</summary>
/// <summary>Notify: some rule is SCMP_ACT_NOTIFY, so the filter is loaded with a listener for the agent.</summary>
public sealed record SeccompFilter(byte[] Program, int Instructions, uint Flags, int Rules, IReadOnlyList<string> UnknownNames, bool Notify = false)
{
    public BpfInstruction[] Decode() => ClassicBpf.Decode(Program);
}

/// <summary>
/// Compiles OCI <c>linux.seccomp</c> to a classic BPF program, without libseccomp. Layout:
/// <code>
///   ld arch; jeq AUDIT_ARCH_X86_64 → x86_64; jeq AUDIT_ARCH_I386 → i386 (if listed); ret bad-arch (KILL, as libseccomp)
///   x86_64: ld nr; binary search (jge) over the syscall numbers, x32 numbers (nr | 0x40000000) included when
///           SCMP_ARCH_X32 is listed, else bad-arch for them; -1 (a tracer skipping the call) → default action
///   i386:   ld nr; binary search over the i386 numbers
///   per syscall with argument rules: the rules in config order, the first that matches decides (runtime-spec:
///   "only the first entry is effective"), then the default action
/// </code>
/// The search tree replaces libseccomp's linear list: about log2(intervals) comparisons per syscall.
/// </summary>
public static class SeccompCompiler
{
    private readonly record struct Rule(uint Return, ArgComparison[] Args);

    /// <summary>The operation that loads the filter, or null when the config has no seccomp section.</summary>
    public static SeccompOp? Operation(Berth.Spec.Seccomp? seccomp, string field = "linux.seccomp")
    {
        if (seccomp is null)
            return null;
        var filter = Compile(seccomp, field);
        string skipped = filter.UnknownNames.Count == 0 ? "" : $", {filter.UnknownNames.Count} unknown syscall names skipped";
        return new SeccompOp($"load the seccomp filter ({filter.Rules} rules, {filter.Instructions} instructions{skipped})", field,
            filter.Program, filter.Instructions, filter.Flags)
        {
            // Only a filter with SCMP_ACT_NOTIFY rules has a listener to hand over; a listenerPath alone is unused (as runc).
            ListenerPath = filter.Notify ? seccomp.ListenerPath : null,
            ListenerMetadata = filter.Notify ? seccomp.ListenerMetadata : null,
        };
    }

    public static SeccompFilter Compile(Berth.Spec.Seccomp seccomp, string field = "linux.seccomp")
    {
        uint flags = SeccompActions.Flags(seccomp.Flags, $"{field}.flags");
        bool notify = CheckNotify(seccomp, field);
        if (notify)
            flags |= ClassicBpf.FlagNewListener;
        else if ((flags & ClassicBpf.FlagWaitKillableRecv) != 0)
            throw new BerthException($"{field}.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV applies to a seccomp listener, and no rule is SCMP_ACT_NOTIFY");
        uint defaultReturn = SeccompActions.Return(seccomp.DefaultAction, seccomp.DefaultErrnoRet, $"{field}.defaultAction", $"{field}.defaultErrnoRet");
        const uint badArch = ClassicBpf.RetKillThread;

        bool x86 = false, x32 = false, x8664 = false;
        // The native arch is always in the filter. Arches an x86_64 kernel never reports (arm, s390x…) could only
        // add dead branches, so they are left out; libseccomp would add them and they would never match.
        foreach (var arch in seccomp.Architectures ?? [])
        {
            x86 |= arch == SeccompArch.ScmpArchX86;
            x32 |= arch == SeccompArch.ScmpArchX32;
            x8664 |= arch == SeccompArch.ScmpArchX8664;
        }
        // As runc: unless the default action lets calls through (allow, log, trace), a syscall numbered above every
        // syscall the profile names for a listed arch gets ENOSYS, not the default action — it is newer than the
        // profile, and ENOSYS makes programs fall back (glibc's clone3 → clone) where EPERM makes them fail.
        bool enosysAbove = seccomp.DefaultAction is not (SeccompAction.ScmpActAllow or SeccompAction.ScmpActLog or SeccompAction.ScmpActTrace);
        const uint enosys = ClassicBpf.RetErrno | 38;
        uint maxX8664 = 0, maxX32 = 0, maxI386 = 0;

        // Each (syscall number, entry) pair as number << 32 | sequence: sorting groups a number's entries in config order.
        var syscalls = seccomp.Syscalls ?? [];
        var rules = new List<Rule>[syscalls.Count];
        var wideKeys = new List<ulong>(512);   // x86_64 and x32 numbers: one table, 64-bit arguments
        var i386Keys = new List<ulong>(x86 ? 512 : 0);
        var entryOf = new List<int>(1024);
        var unknown = new List<string>();
        for (int i = 0; i < syscalls.Count; i++)
        {
            var s = syscalls[i];
            string at = $"{field}.syscalls[{i}]";
            uint ret = SeccompActions.Return(s.Action, s.ErrnoRet, $"{at}.action", $"{at}.errnoRet");
            rules[i] = Rules(s, ret, at);
            foreach (string name in s.Names)
            {
                var numbers = SyscallTable.Find(name);
                // As runc: a name the tables do not know is skipped (profiles list calls of other arches and kernels).
                if (!numbers.Known)
                    unknown.Add(name);
                if (numbers.X8664(out uint nr))
                {
                    Add(wideKeys, nr, i);
                    maxX8664 = Math.Max(maxX8664, nr);
                }
                if (x32 && numbers.X32(out nr))
                {
                    Add(wideKeys, nr, i);
                    maxX32 = Math.Max(maxX32, nr);
                }
                if (x86 && numbers.I386(out nr))
                {
                    Add(i386Keys, nr, i);
                    maxI386 = Math.Max(maxI386, nr);
                }
            }
        }
        void Add(List<ulong> keys, uint nr, int entry)
        {
            keys.Add((ulong)nr << 32 | (uint)entryOf.Count);
            entryOf.Add(entry);
        }

        var e = new BpfEmitter();
        // A listed arch with no known syscall in the profile gets no ENOSYS range (runc: "could not find any syscalls").
        bool i386Enosys = enosysAbove && x86 && maxI386 > 0;
        bool x8664Enosys = enosysAbove && x8664 && maxX8664 > 0;
        bool x32Enosys = enosysAbove && x32 && maxX32 > 0;
        var i386Section = x86 ? Section(e, i386Keys, entryOf, rules, wide: false, defaultReturn,
            nr => i386Enosys && nr > maxI386 ? enosys : defaultReturn, i386Enosys ? [maxI386 + 1] : []) : BpfTarget.Return(badArch);
        var x8664Section = Section(e, wideKeys, entryOf, rules, wide: true, defaultReturn, nr =>
            nr == uint.MaxValue ? defaultReturn
            : nr < ClassicBpf.X32SyscallBit ? (x8664Enosys && nr > maxX8664 ? enosys : defaultReturn)
            : !x32 ? badArch
            : x32Enosys && nr > maxX32 ? enosys : defaultReturn,
            [.. x8664Enosys ? new[] { maxX8664 + 1 } : [], .. x32Enosys ? new[] { maxX32 + 1 } : []]);
        var next = x86 ? e.Jump(ClassicBpf.JeqK, ClassicBpf.AuditArchI386, i386Section, BpfTarget.Return(badArch)) : BpfTarget.Return(badArch);
        next = e.Jump(ClassicBpf.JeqK, ClassicBpf.AuditArchX8664, x8664Section, next);
        e.Emit(ClassicBpf.LdAbs, ClassicBpf.ArchOffset, next);
        var program = e.ToProgram();
        if (program.Length > ClassicBpf.MaxInstructions)
            throw new BerthException($"{field}: the filter needs {program.Length} BPF instructions, more than the kernel's limit of {ClassicBpf.MaxInstructions}");
        return new SeccompFilter(ClassicBpf.Encode(program), program.Length, flags, syscalls.Count, unknown, notify);
    }

    /// <summary>
    /// SCMP_ACT_NOTIFY as runc allows it: never the default action, never for write (runc's child reports with it
    /// while the listener is being handed over) nor sendmsg (berth's child hands the listener over with it: a
    /// notification then would wait for an agent that cannot have the listener yet), and only with a listenerPath.
    /// </summary>
    private static bool CheckNotify(Berth.Spec.Seccomp seccomp, string field)
    {
        if (seccomp.DefaultAction == SeccompAction.ScmpActNotify)
            throw new BerthException($"{field}.defaultAction: SCMP_ACT_NOTIFY cannot be used as default action");
        bool notify = false;
        var syscalls = seccomp.Syscalls ?? [];
        for (int i = 0; i < syscalls.Count; i++)
        {
            if (syscalls[i].Action != SeccompAction.ScmpActNotify)
                continue;
            notify = true;
            foreach (string name in syscalls[i].Names)
                if (name is "write" or "sendmsg")
                    throw new BerthException($"{field}.syscalls[{i}].names: SCMP_ACT_NOTIFY cannot be used for the {name} syscall");
        }
        if (notify && string.IsNullOrEmpty(seccomp.ListenerPath))
            throw new BerthException($"{field}.listenerPath: SCMP_ACT_NOTIFY needs the path of the seccomp agent's unix socket");
        return notify;
    }

    /// <summary>
    /// The rules one syscalls[] entry gives. Comparisons on different arguments are ANDed. When one argument is
    /// compared twice, each comparison becomes a rule of its own (ORed), as runc does.
    /// </summary>
    private static List<Rule> Rules(SeccompSyscall s, uint ret, string at)
    {
        var args = s.Args ?? [];
        var comparisons = new ArgComparison[args.Count];
        uint seen = 0;
        bool repeated = false;
        for (int k = 0; k < args.Count; k++)
        {
            var a = args[k];
            if (a.Index > 5)
                throw new BerthException($"{at}.args[{k}].index: {a.Index} is not an argument index (0 to 5)");
            if (a.Op != SeccompOperator.ScmpCmpMaskedEq && a.ValueTwo is not (null or 0))
                throw new BerthException($"{at}.args[{k}].valueTwo: only SCMP_CMP_MASKED_EQ uses a second value, not {a.Op.ToWireName()}");
            if (!Enum.IsDefined(a.Op))
                throw new BerthException($"{at}.args[{k}].op: unknown operator {a.Op}");
            repeated |= (seen & (1u << (int)a.Index)) != 0;
            seen |= 1u << (int)a.Index;
            comparisons[k] = new ArgComparison(a.Index, a.Op, a.Value, a.ValueTwo ?? 0);
        }
        if (!repeated)
            return [new Rule(ret, comparisons)];
        return comparisons.Select(c => new Rule(ret, [c])).ToList();
    }

    /// <summary>One architecture: ld nr, then a binary search over intervals of syscall numbers.</summary>
    private static BpfTarget Section(BpfEmitter e, List<ulong> keys, List<int> entryOf, List<Rule>[] rules, bool wide,
        uint defaultReturn, Func<uint, uint> gap, uint[] gapBreaks)
    {
        var sorted = keys.ToArray();
        Array.Sort(sorted);
        // Groups of equal numbers: [groupStart[g], groupStart[g + 1]) in sorted.
        var groupStart = new List<int>(sorted.Length + 1);
        for (int i = 0; i < sorted.Length; i++)
            if (i == 0 || sorted[i] >> 32 != sorted[i - 1] >> 32)
                groupStart.Add(i);
        int groups = groupStart.Count;
        groupStart.Add(sorted.Length);

        // Bodies are emitted from the highest number down, so each lands after the search tree in number order.
        var bodies = new BpfTarget[groups];
        var scratch = new List<Rule>();
        for (int g = groups - 1; g >= 0; g--)
        {
            scratch.Clear();
            for (int i = groupStart[g]; i < groupStart[g + 1]; i++)
                scratch.AddRange(rules[entryOf[(int)(uint)sorted[i]]]);
            bodies[g] = Body(e, scratch, wide, defaultReturn);
        }

        var starts = new List<uint>(groups * 2 + 4);
        var targets = new List<BpfTarget>(groups * 2 + 4);
        void Add(uint start, BpfTarget target)
        {
            if (targets.Count > 0 && targets[^1] == target)
                return;
            starts.Add(start);
            targets.Add(target);
        }
        // Gap actions change only at the x32 bit, at -1, and where the ENOSYS ranges begin.
        ulong[] breaks = [.. gapBreaks.Select(b => (ulong)b), ClassicBpf.X32SyscallBit, uint.MaxValue];
        Array.Sort(breaks);
        void Gap(ulong from, ulong to) // [from, to)
        {
            foreach (ulong at in breaks)
            {
                if (from < at && at < to)
                {
                    Add((uint)from, BpfTarget.Return(gap((uint)from)));
                    from = at;
                }
            }
            if (from < to)
                Add((uint)from, BpfTarget.Return(gap((uint)from)));
        }

        ulong cursor = 0;
        for (int g = 0; g < groups; g++)
        {
            uint nr = (uint)(sorted[groupStart[g]] >> 32);
            Gap(cursor, nr);
            Add(nr, bodies[g]);
            cursor = (ulong)nr + 1;
        }
        Gap(cursor, (ulong)uint.MaxValue + 1);

        return e.Emit(ClassicBpf.LdAbs, ClassicBpf.NrOffset, Search(e, starts, targets, 0, starts.Count - 1));
    }

    private static BpfTarget Search(BpfEmitter e, List<uint> starts, List<BpfTarget> targets, int lo, int hi)
    {
        if (lo == hi)
            return targets[lo];
        int mid = (lo + hi + 1) / 2;
        var above = Search(e, starts, targets, mid, hi);
        var below = Search(e, starts, targets, lo, mid - 1);
        return e.Jump(ClassicBpf.JgeK, starts[mid], above, below);
    }

    /// <summary>The rules of one syscall in order; the first that matches decides, else the default action.</summary>
    private static BpfTarget Body(BpfEmitter e, List<Rule> rules, bool wide, uint defaultReturn)
    {
        int unconditional = -1;
        for (int i = 0; i < rules.Count && unconditional < 0; i++)
            if (rules[i].Args.Length == 0)
                unconditional = i;
        var next = BpfTarget.Return(unconditional < 0 ? defaultReturn : rules[unconditional].Return);
        for (int i = (unconditional < 0 ? rules.Count : unconditional) - 1; i >= 0; i--)
        {
            var match = BpfTarget.Return(rules[i].Return);
            if (match == next)
                continue; // matching or not, the same action follows
            var current = match;
            for (int k = rules[i].Args.Length - 1; k >= 0; k--)
                current = rules[i].Args[k].Emit(e, wide, current, next);
            next = current;
        }
        return next;
    }
}
