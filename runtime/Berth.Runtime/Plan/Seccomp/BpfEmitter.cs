namespace Berth.Runtime.Plan;

/// <summary>Where a jump goes: a return of a value (placed wherever a copy is in reach) or an emitted instruction.</summary>
internal readonly record struct BpfTarget(bool IsReturn, uint Value, int Label)
{
    public static BpfTarget Return(uint value) => new(true, value, 0);
    public static BpfTarget At(int label) => new(false, 0, label);
}

/// <summary>
/// Builds a classic BPF program back to front, so that every jump goes forward to code that already exists.
/// A label is an instruction's distance from the end of the program (1 = the last one). Conditional jumps reach only
/// 255 instructions ahead: a return further away is emitted again close by, any other target gets an unconditional
/// <c>ja</c> (32-bit offset) next to the jump.
/// </summary>
internal sealed class BpfEmitter
{
    private const int MaxShortJump = 254; // one below 255: resolving the other target may insert one more instruction
    private readonly List<BpfInstruction> _reversed = new(512);
    private readonly Dictionary<uint, int> _nearestReturn = new();

    public int Count => _reversed.Count;

    /// <summary>Makes <paramref name="next"/> the instruction that follows, then emits one instruction before it.</summary>
    public BpfTarget Emit(ushort code, uint k, BpfTarget next)
    {
        FallInto(next);
        _reversed.Add(new BpfInstruction(code, 0, 0, k));
        return BpfTarget.At(Count);
    }

    /// <summary>A conditional jump: to <paramref name="whenTrue"/> if the comparison with k holds, else to <paramref name="whenFalse"/>.</summary>
    public BpfTarget Jump(ushort code, uint k, BpfTarget whenTrue, BpfTarget whenFalse)
    {
        int t = Reach(whenTrue);
        int f = Reach(whenFalse);
        if (t == f)
            return BpfTarget.At(t);
        int n = Count;
        _reversed.Add(new BpfInstruction(code, checked((byte)(n - t)), checked((byte)(n - f)), k));
        return BpfTarget.At(Count);
    }

    /// <summary>Ensures the program starts with <paramref name="target"/> (a return or a jump to it).</summary>
    public void FallInto(BpfTarget target)
    {
        if (target.IsReturn)
        {
            if (!(_nearestReturn.TryGetValue(target.Value, out int l) && l == Count))
                EmitReturn(target.Value);
        }
        else if (target.Label != Count)
            _reversed.Add(new BpfInstruction(ClassicBpf.Ja, 0, 0, (uint)(Count - target.Label)));
    }

    public BpfInstruction[] ToProgram()
    {
        var program = new BpfInstruction[_reversed.Count];
        for (int i = 0; i < program.Length; i++)
            program[i] = _reversed[_reversed.Count - 1 - i];
        return program;
    }

    private int Reach(BpfTarget target)
    {
        if (target.IsReturn)
            return _nearestReturn.TryGetValue(target.Value, out int l) && Count - l <= MaxShortJump ? l : EmitReturn(target.Value);
        if (Count - target.Label <= MaxShortJump)
            return target.Label;
        _reversed.Add(new BpfInstruction(ClassicBpf.Ja, 0, 0, (uint)(Count - target.Label)));
        return Count;
    }

    private int EmitReturn(uint value)
    {
        _reversed.Add(new BpfInstruction(ClassicBpf.RetK, 0, 0, value));
        _nearestReturn[value] = Count;
        return Count;
    }
}
