namespace Berth.Seccomp.Tests;

/// <summary>Runs a seccomp classic BPF program on one <c>struct seccomp_data</c>, checking what the kernel's checker checks.</summary>
public static class BpfInterpreter
{
    public static void Check(BpfInstruction[] program)
    {
        Assert.InRange(program.Length, 1, ClassicBpf.MaxInstructions);
        Assert.Equal(ClassicBpf.RetK, program[^1].Code); // the kernel wants a return last
        for (int pc = 0; pc < program.Length; pc++)
        {
            var ins = program[pc];
            switch (ins.Code)
            {
                case ClassicBpf.LdAbs:
                    Assert.True(ins.K % 4 == 0 && ins.K < 64, $"{pc}: load outside seccomp_data");
                    break;
                case ClassicBpf.Ja:
                    Assert.True(pc + 1 + (long)ins.K < program.Length, $"{pc}: ja out of the program");
                    break;
                case ClassicBpf.JeqK or ClassicBpf.JgtK or ClassicBpf.JgeK:
                    Assert.True(pc + 1 + ins.Jt < program.Length && pc + 1 + ins.Jf < program.Length, $"{pc}: jump out of the program");
                    break;
                case ClassicBpf.AndK or ClassicBpf.RetK:
                    break;
                default:
                    Assert.Fail($"{pc}: unexpected opcode 0x{ins.Code:x}");
                    break;
            }
        }
    }

    public static uint Run(BpfInstruction[] program, uint arch, uint nr, ReadOnlySpan<ulong> args, out int steps)
    {
        Span<uint> data = stackalloc uint[16];
        data[0] = nr;
        data[1] = arch;
        for (int i = 0; i < 6; i++)
        {
            ulong a = i < args.Length ? args[i] : 0;
            data[4 + 2 * i] = (uint)a;
            data[5 + 2 * i] = (uint)(a >> 32);
        }
        uint acc = 0;
        int pc = 0;
        steps = 0;
        while (true)
        {
            var ins = program[pc];
            steps++;
            switch (ins.Code)
            {
                case ClassicBpf.LdAbs: acc = data[(int)(ins.K / 4)]; pc++; break;
                case ClassicBpf.AndK: acc &= ins.K; pc++; break;
                case ClassicBpf.Ja: pc += 1 + (int)ins.K; break;
                case ClassicBpf.JeqK: pc += 1 + (acc == ins.K ? ins.Jt : ins.Jf); break;
                case ClassicBpf.JgtK: pc += 1 + (acc > ins.K ? ins.Jt : ins.Jf); break;
                case ClassicBpf.JgeK: pc += 1 + (acc >= ins.K ? ins.Jt : ins.Jf); break;
                case ClassicBpf.RetK: return ins.K;
                default: throw new InvalidOperationException($"opcode 0x{ins.Code:x}");
            }
        }
    }

    public static uint Run(BpfInstruction[] program, uint arch, uint nr, params ulong[] args) => Run(program, arch, nr, args, out _);
}
