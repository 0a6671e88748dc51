using Berth.Spec;

namespace Berth.Runtime.Plan;

/// <summary>Syscall name → number for the ABIs a filter on an x86_64 host can meet.</summary>
public static partial class SyscallTable
{
    /// <summary>The numbers of one name in all three ABIs, in one lookup.</summary>
    public readonly struct Numbers(ulong packed)
    {
        public bool Known => packed != 0xffff_ffff_ffff;
        public bool X8664(out uint nr) => Get(0, 0, out nr);
        public bool X32(out uint nr) => Get(16, ClassicBpf.X32SyscallBit, out nr);
        public bool I386(out uint nr) => Get(32, 0, out nr);

        private bool Get(int shift, uint bit, out uint nr)
        {
            ulong n = (packed >> shift) & None;
            nr = bit | (uint)n;
            return n != None;
        }
    }

    public static Numbers Find(string name) => new(Lookup(name));

    /// <summary>The number the kernel puts in seccomp_data.nr (x32: with __X32_SYSCALL_BIT), or false if the ABI has no such call.</summary>
    public static bool TryGet(SeccompArch arch, string name, out uint nr) => arch switch
    {
        SeccompArch.ScmpArchX8664 => Find(name).X8664(out nr),
        SeccompArch.ScmpArchX32 => Find(name).X32(out nr),
        SeccompArch.ScmpArchX86 => Find(name).I386(out nr),
        _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, "no syscall table"),
    };
}
