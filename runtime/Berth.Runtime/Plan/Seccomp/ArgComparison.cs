using Berth.Spec;

namespace Berth.Runtime.Plan;

/// <summary>One argument test of a rule: <c>args[Index] Op Value</c> (MASKED_EQ: <c>(args[Index] &amp; Value) == ValueTwo</c>).</summary>
internal readonly record struct ArgComparison(uint Index, SeccompOperator Op, ulong Value, ulong ValueTwo)
{
    /// <summary>
    /// Emits the test, going to <paramref name="whenTrue"/> or <paramref name="whenFalse"/>. Arguments are 64-bit values
    /// that classic BPF reads 32 bits at a time: the high halves decide unless they are equal. On a 32-bit architecture
    /// (<paramref name="wide"/> false) the kernel zero-extends the arguments, so only the low halves are compared, as
    /// libseccomp does.
    /// </summary>
    public BpfTarget Emit(BpfEmitter e, bool wide, BpfTarget whenTrue, BpfTarget whenFalse)
    {
        uint lowValue = (uint)Value, highValue = (uint)(Value >> 32);
        uint low = ClassicBpf.ArgLow(Index), high = ClassicBpf.ArgHigh(Index);
        switch (Op)
        {
            case SeccompOperator.ScmpCmpEq:
                return Equal(e, wide, whenTrue, whenFalse);
            case SeccompOperator.ScmpCmpNe:
                return Equal(e, wide, whenFalse, whenTrue);
            case SeccompOperator.ScmpCmpGt:
                return Above(e, wide, ClassicBpf.JgtK, whenTrue, whenFalse);
            case SeccompOperator.ScmpCmpGe:
                return Above(e, wide, ClassicBpf.JgeK, whenTrue, whenFalse);
            case SeccompOperator.ScmpCmpLe: // not GT
                return Above(e, wide, ClassicBpf.JgtK, whenFalse, whenTrue);
            case SeccompOperator.ScmpCmpLt: // not GE
                return Above(e, wide, ClassicBpf.JgeK, whenFalse, whenTrue);
            case SeccompOperator.ScmpCmpMaskedEq:
            {
                uint lowMask = lowValue, highMask = highValue;
                uint lowDatum = (uint)ValueTwo, highDatum = (uint)(ValueTwo >> 32);
                var next = e.Jump(ClassicBpf.JeqK, lowDatum, whenTrue, whenFalse);
                next = e.Emit(ClassicBpf.AndK, lowMask, next);
                next = e.Emit(ClassicBpf.LdAbs, low, next);
                if (!wide)
                    return next;
                next = e.Jump(ClassicBpf.JeqK, highDatum, next, whenFalse);
                next = e.Emit(ClassicBpf.AndK, highMask, next);
                return e.Emit(ClassicBpf.LdAbs, high, next);
            }
            default:
                throw new InvalidOperationException($"operator {Op}");
        }

        BpfTarget Equal(BpfEmitter e, bool wide, BpfTarget t, BpfTarget f)
        {
            var next = e.Emit(ClassicBpf.LdAbs, low, e.Jump(ClassicBpf.JeqK, lowValue, t, f));
            if (!wide)
                return next;
            return e.Emit(ClassicBpf.LdAbs, high, e.Jump(ClassicBpf.JeqK, highValue, next, f));
        }

        // args > value (jgt) or args >= value (jge), unsigned.
        BpfTarget Above(BpfEmitter e, bool wide, ushort lowJump, BpfTarget t, BpfTarget f)
        {
            var next = e.Emit(ClassicBpf.LdAbs, low, e.Jump(lowJump, lowValue, t, f));
            if (!wide)
                return next;
            next = e.Jump(ClassicBpf.JeqK, highValue, next, f);
            next = e.Jump(ClassicBpf.JgtK, highValue, t, next);
            return e.Emit(ClassicBpf.LdAbs, high, next);
        }
    }
}
