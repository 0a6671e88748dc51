namespace Berth.Runtime.Cgroups;

/// <summary>
/// Compiles device rules into an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, the way cgroup v2 filters device
/// access. The kernel calls it with a <c>struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }</c>
/// (access_type = access &lt;&lt; 16 | device type) and lets the access happen when it returns 1.
/// The decision is the v1 kernel's for the same rules (<see cref="DeviceRules.Emulate"/>): the program tests the
/// exceptions to the default, and returns the default when none decides.
/// </summary>
public static class DeviceProgram
{
    // struct bpf_cgroup_dev_ctx values (include/uapi/linux/bpf.h).
    public const int DevBlock = 1, DevChar = 2;
    public const int AccMknod = 1, AccRead = 2, AccWrite = 4;

    // Opcodes: class | op | source.
    private const byte LdxW = 0x61;      // BPF_LDX | BPF_MEM | BPF_W
    private const byte MovReg = 0xbf;    // BPF_ALU64 | BPF_MOV | BPF_X
    private const byte MovImm = 0xb7;    // BPF_ALU64 | BPF_MOV | BPF_K
    private const byte AndImm = 0x57;    // BPF_ALU64 | BPF_AND | BPF_K
    private const byte RshImm = 0x77;    // BPF_ALU64 | BPF_RSH | BPF_K
    private const byte JeqImm = 0x15;    // BPF_JMP | BPF_JEQ | BPF_K
    private const byte JneImm = 0x55;    // BPF_JMP | BPF_JNE | BPF_K
    private const byte Exit = 0x95;      // BPF_JMP | BPF_EXIT

    private readonly record struct Insn(byte Code, byte Dst, byte Src, short Off, int Imm);

    public static int AccessBits(string access) =>
        (access.Contains('m') ? AccMknod : 0) | (access.Contains('r') ? AccRead : 0) | (access.Contains('w') ? AccWrite : 0);

    /// <summary>The program's instructions, 8 bytes each, ready for BPF_PROG_LOAD.</summary>
    public static byte[] Compile(IReadOnlyList<DeviceRule> rules)
    {
        // The v1 kernel's state for these rules: its exceptions are the program's tests, in any order (they all
        // decide the same way), and its default is what the program returns when none decides.
        var state = DeviceRules.Emulate(rules);
        bool defaultAllow = state.DefaultAllow;

        var code = new List<Insn>
        {
            new(LdxW, 2, 1, 0, 0),       // r2 = ctx->access_type
            new(MovReg, 3, 2, 0, 0),     // r3 = r2
            new(AndImm, 3, 0, 0, 0xffff),// r3 = device type
            new(RshImm, 2, 0, 0, 16),    // r2 = access
            new(LdxW, 4, 1, 4, 0),       // r4 = ctx->major
            new(LdxW, 5, 1, 8, 0),       // r5 = ctx->minor
        };
        foreach (var r in state.Exceptions)
        {
            var block = new List<(Insn Insn, bool JumpsToEnd)>();
            if (r.Type != 'a')
                block.Add((new(JneImm, 3, 0, 0, r.Type == 'c' ? DevChar : DevBlock), true));
            if (r.Major >= 0)
                block.Add((new(JneImm, 4, 0, 0, (int)r.Major), true));
            if (r.Minor >= 0)
                block.Add((new(JneImm, 5, 0, 0, (int)r.Minor), true));
            int bits = AccessBits(r.Access);
            block.Add((new(MovReg, 0, 2, 0, 0), false));
            if (r.Allow)
            {
                // Decides only when every access asked for is granted: (access & ~granted) == 0.
                block.Add((new(AndImm, 0, 0, 0, ~bits & 7), false));
                block.Add((new(JneImm, 0, 0, 0, 0), true));
            }
            else
            {
                // Decides when any access asked for is denied: (access & denied) != 0.
                block.Add((new(AndImm, 0, 0, 0, bits), false));
                block.Add((new(JeqImm, 0, 0, 0, 0), true));
            }
            block.Add((new(MovImm, 0, 0, 0, r.Allow ? 1 : 0), false));
            block.Add((new(Exit, 0, 0, 0, 0), false));
            for (int j = 0; j < block.Count; j++)
            {
                var (insn, jumps) = block[j];
                code.Add(jumps ? insn with { Off = checked((short)(block.Count - j - 1)) } : insn);
            }
        }
        code.Add(new(MovImm, 0, 0, 0, defaultAllow ? 1 : 0));
        code.Add(new(Exit, 0, 0, 0, 0));

        var bytes = new byte[code.Count * 8];
        for (int i = 0; i < code.Count; i++)
        {
            var insn = code[i];
            var span = bytes.AsSpan(i * 8, 8);
            span[0] = insn.Code;
            span[1] = (byte)((insn.Src << 4) | insn.Dst);
            System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(span[2..], insn.Off);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[4..], insn.Imm);
        }
        return bytes;
    }

    /// <summary>
    /// Runs a compiled program on one access, as the kernel would (for tests: the interpreter knows exactly the
    /// instructions <see cref="Compile"/> emits and nothing else).
    /// </summary>
    public static bool Evaluate(byte[] program, int type, uint major, uint minor, int access)
    {
        var regs = new ulong[11];
        uint[] ctx = [(uint)(access << 16 | type), major, minor];
        for (int pc = 0; pc < program.Length / 8;)
        {
            var s = program.AsSpan(pc * 8, 8);
            int dst = s[1] & 0xf, src = s[1] >> 4;
            short off = System.Buffers.Binary.BinaryPrimitives.ReadInt16LittleEndian(s[2..]);
            long imm = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(s[4..]);
            pc++;
            switch (s[0])
            {
                case LdxW: regs[dst] = ctx[off / 4]; break;
                case MovReg: regs[dst] = regs[src]; break;
                case MovImm: regs[dst] = (ulong)imm; break;
                case AndImm: regs[dst] &= (ulong)imm; break;
                case RshImm: regs[dst] >>= (int)imm; break;
                case JeqImm: if (regs[dst] == (ulong)imm) pc += off; break;
                case JneImm: if (regs[dst] != (ulong)imm) pc += off; break;
                case Exit: return regs[0] == 1;
                default: throw new InvalidOperationException($"unknown opcode {s[0]:x2}");
            }
        }
        throw new InvalidOperationException("the program ran off its end");
    }
}
