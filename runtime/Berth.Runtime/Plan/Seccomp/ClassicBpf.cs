namespace Berth.Runtime.Plan;

/// <summary>
/// Classic BPF as seccomp runs it (linux/filter.h, linux/bpf_common.h, linux/seccomp.h). One instruction is
/// <c>struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }</c>, 8 bytes, little-endian on x86_64.
/// </summary>
public readonly record struct BpfInstruction(ushort Code, byte Jt, byte Jf, uint K)
{
    public const int Size = 8;

    public override string ToString() => Code switch
    {
        ClassicBpf.LdAbs => $"ld [{K}]",
        ClassicBpf.AndK => $"and #0x{K:x}",
        ClassicBpf.Ja => $"ja +{K}",
        ClassicBpf.JeqK => $"jeq #0x{K:x} +{Jt} +{Jf}",
        ClassicBpf.JgtK => $"jgt #0x{K:x} +{Jt} +{Jf}",
        ClassicBpf.JgeK => $"jge #0x{K:x} +{Jt} +{Jf}",
        ClassicBpf.RetK => $"ret #0x{K:x}",
        _ => $"op 0x{Code:x} {Jt} {Jf} 0x{K:x}",
    };
}

/// <summary>Opcodes, <c>struct seccomp_data</c> offsets and return values the filter compiler uses.</summary>
public static class ClassicBpf
{
    /// <summary>The kernel refuses longer programs (BPF_MAXINSNS).</summary>
    public const int MaxInstructions = 4096;

    // BPF_LD|BPF_W|BPF_ABS, BPF_ALU|BPF_AND|BPF_K, BPF_JMP|{BPF_JA, BPF_JEQ|BPF_K, BPF_JGT|BPF_K, BPF_JGE|BPF_K}, BPF_RET|BPF_K
    public const ushort LdAbs = 0x20, AndK = 0x54, Ja = 0x05, JeqK = 0x15, JgtK = 0x25, JgeK = 0x35, RetK = 0x06;

    // struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
    public const uint NrOffset = 0, ArchOffset = 4, ArgsOffset = 16;
    public static uint ArgLow(uint index) => ArgsOffset + 8 * index;
    public static uint ArgHigh(uint index) => ArgsOffset + 8 * index + 4;

    // AUDIT_ARCH_* (linux/audit.h): EM_X86_64 | 64BIT | LE, EM_386 | LE. x32 reports AUDIT_ARCH_X86_64 with this bit in nr.
    public const uint AuditArchX8664 = 0xC000003E, AuditArchI386 = 0x40000003, X32SyscallBit = 0x40000000;

    // SECCOMP_RET_* (linux/seccomp.h); the low 16 bits (SECCOMP_RET_DATA) carry errno or the trace message.
    public const uint RetKillProcess = 0x80000000, RetKillThread = 0x00000000, RetTrap = 0x00030000, RetErrno = 0x00050000,
        RetUserNotif = 0x7fc00000, RetTrace = 0x7ff00000, RetLog = 0x7ffc0000, RetAllow = 0x7fff0000, RetData = 0x0000ffff;

    // SECCOMP_FILTER_FLAG_* for seccomp(SECCOMP_SET_MODE_FILTER, flags, prog).
    public const uint FlagTsync = 1, FlagLog = 2, FlagSpecAllow = 4, FlagNewListener = 8, FlagTsyncEsrch = 16, FlagWaitKillableRecv = 32;

    public static byte[] Encode(IReadOnlyList<BpfInstruction> program)
    {
        var bytes = new byte[program.Count * BpfInstruction.Size];
        var span = bytes.AsSpan();
        for (int i = 0; i < program.Count; i++)
        {
            var ins = program[i];
            var at = span[(i * BpfInstruction.Size)..];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(at, ins.Code);
            at[2] = ins.Jt;
            at[3] = ins.Jf;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(at[4..], ins.K);
        }
        return bytes;
    }

    public static BpfInstruction[] Decode(ReadOnlySpan<byte> bytes)
    {
        var program = new BpfInstruction[bytes.Length / BpfInstruction.Size];
        for (int i = 0; i < program.Length; i++)
        {
            var at = bytes[(i * BpfInstruction.Size)..];
            program[i] = new BpfInstruction(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(at), at[2], at[3],
                System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(at[4..]));
        }
        return program;
    }
}
