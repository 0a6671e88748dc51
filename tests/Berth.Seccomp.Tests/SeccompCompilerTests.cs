using System.Diagnostics;
using Xunit.Abstractions;

namespace Berth.Seccomp.Tests;

public class SeccompCompilerTests(ITestOutputHelper output)
{
    private const uint X64 = ClassicBpf.AuditArchX8664, I386 = ClassicBpf.AuditArchI386, X32 = ClassicBpf.X32SyscallBit;
    private const uint Allow = 0x7fff0000, Eperm = 0x00050001, KillThread = 0, KillProcess = 0x80000000;
    private const uint Mkdir = 83, Personality = 135, Kill = 62, Getpid = 39, Execve = 59;

    private static Berth.Spec.Seccomp Profile(SeccompAction defaultAction, params SeccompSyscall[] syscalls) => new()
    {
        DefaultAction = defaultAction,
        Syscalls = syscalls,
    };

    private static SeccompSyscall Rule(SeccompAction action, string[] names, uint? errno = null, params SeccompArg[] args) => new()
    {
        Names = names,
        Action = action,
        ErrnoRet = errno,
        Args = args.Length == 0 ? null : args,
    };

    private static SeccompArg Arg(uint index, SeccompOperator op, ulong value, ulong? valueTwo = null) =>
        new() { Index = index, Op = op, Value = value, ValueTwo = valueTwo };

    private static BpfInstruction[] Program(Berth.Spec.Seccomp s)
    {
        var program = SeccompCompiler.Compile(s).Decode();
        BpfInterpreter.Check(program);
        return program;
    }

    private static Berth.Spec.Seccomp LargeProfile()
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Corpus", "seccomp-large.json"));
        var diagnostics = new List<SchemaDiagnostic>();
        var spec = Spec.Spec.Parse(bytes, diagnostics);
        Assert.DoesNotContain(diagnostics, d => d.Severity == SchemaSeverity.Error);
        return spec!.Linux!.Seccomp!;
    }

    [Fact]
    public void Syscall_numbers_match_the_kernel_tables()
    {
        (SeccompArch, string, uint)[] known =
        [
            (SeccompArch.ScmpArchX8664, "read", 0), (SeccompArch.ScmpArchX8664, "mkdir", 83), (SeccompArch.ScmpArchX8664, "execve", 59),
            (SeccompArch.ScmpArchX8664, "execveat", 322), (SeccompArch.ScmpArchX8664, "clone3", 435), (SeccompArch.ScmpArchX8664, "fchmodat2", 452),
            (SeccompArch.ScmpArchX8664, "file_setattr", 469), (SeccompArch.ScmpArchX32, "read", X32 | 0), (SeccompArch.ScmpArchX32, "execve", X32 | 520),
            (SeccompArch.ScmpArchX32, "mkdir", X32 | 83), (SeccompArch.ScmpArchX86, "mkdir", 39), (SeccompArch.ScmpArchX86, "execve", 11),
            (SeccompArch.ScmpArchX86, "socket", 359), (SeccompArch.ScmpArchX86, "clone3", 435), (SeccompArch.ScmpArchX86, "mseal", 462),
        ];
        foreach (var (arch, name, nr) in known)
        {
            Assert.True(SyscallTable.TryGet(arch, name, out uint got), $"{arch} {name}");
            Assert.Equal(nr, got);
        }
        Assert.False(SyscallTable.TryGet(SeccompArch.ScmpArchX32, "rt_sigaction_64bit_only", out _));
        Assert.False(SyscallTable.TryGet(SeccompArch.ScmpArchX8664, "socketcall", out _)); // i386 only
        Assert.True(SyscallTable.TryGet(SeccompArch.ScmpArchX86, "socketcall", out _));
    }

    [Fact]
    public void Denies_mkdir_with_errno_and_allows_the_rest()
    {
        var p = Program(Profile(SeccompAction.ScmpActAllow, Rule(SeccompAction.ScmpActErrno, ["mkdir"], 1)));
        Assert.Equal(Eperm, BpfInterpreter.Run(p, X64, Mkdir));
        Assert.Equal(Allow, BpfInterpreter.Run(p, X64, Getpid));
        Assert.Equal(Allow, BpfInterpreter.Run(p, X64, Mkdir + 1));
        Assert.Equal(Allow, BpfInterpreter.Run(p, X64, Mkdir - 1));
        Assert.Equal(Allow, BpfInterpreter.Run(p, X64, uint.MaxValue)); // a tracer skipping the call
        Assert.Equal(KillThread, BpfInterpreter.Run(p, X64, X32 | Mkdir)); // x32 not listed
        Assert.Equal(KillThread, BpfInterpreter.Run(p, I386, 39)); // i386 not listed
        Assert.Equal(KillThread, BpfInterpreter.Run(p, 0xC00000B7, Mkdir)); // aarch64
    }

    [Theory]
    [InlineData(SeccompAction.ScmpActKill, null, 0u)]
    [InlineData(SeccompAction.ScmpActKillThread, null, 0u)]
    [InlineData(SeccompAction.ScmpActKillProcess, null, 0x80000000u)]
    [InlineData(SeccompAction.ScmpActTrap, null, 0x00030000u)]
    [InlineData(SeccompAction.ScmpActErrno, null, 0x00050001u)]
    [InlineData(SeccompAction.ScmpActErrno, 38u, 0x00050026u)]
    [InlineData(SeccompAction.ScmpActErrno, 0u, 0x00050000u)]
    [InlineData(SeccompAction.ScmpActTrace, null, 0x7ff00001u)]
    [InlineData(SeccompAction.ScmpActTrace, 1234u, 0x7ff004d2u)]
    [InlineData(SeccompAction.ScmpActLog, null, 0x7ffc0000u)]
    [InlineData(SeccompAction.ScmpActAllow, null, 0x7fff0000u)]
    public void Actions_map_to_seccomp_return_values(SeccompAction action, uint? errno, uint expected)
    {
        var p = Program(Profile(action == SeccompAction.ScmpActAllow ? SeccompAction.ScmpActKillProcess : SeccompAction.ScmpActAllow,
            Rule(action, ["getpid"], errno)));
        Assert.Equal(expected, BpfInterpreter.Run(p, X64, Getpid));
        var q = Program(new Berth.Spec.Seccomp { DefaultAction = action, DefaultErrnoRet = errno });
        Assert.Equal(expected, BpfInterpreter.Run(q, X64, Getpid));
    }

    public static TheoryData<SeccompOperator, ulong, ulong?> Operators()
    {
        var data = new TheoryData<SeccompOperator, ulong, ulong?>();
        ulong[] values = [0, 1, 5, 0xffffffff, 0x1_0000_0000, 0x1_0000_0005, 0xffff_ffff_0000_0000, ulong.MaxValue, 0x8000_0000_0000_0001];
        foreach (var op in Enum.GetValues<SeccompOperator>())
            foreach (ulong v in values)
                data.Add(op, v, op == SeccompOperator.ScmpCmpMaskedEq ? v & 0x0000_00ff_0000_00f0 : null);
        return data;
    }

    [Theory]
    [MemberData(nameof(Operators))]
    public void Every_operator_compares_64_bit_values_in_halves(SeccompOperator op, ulong value, ulong? valueTwo)
    {
        var s = Profile(SeccompAction.ScmpActAllow, Rule(SeccompAction.ScmpActErrno, ["personality"], 1, Arg(0, op, value, valueTwo)));
        var p = Program(s);
        var probes = new HashSet<ulong> { 0, 1, ulong.MaxValue, 0xffffffff, 0x1_0000_0000 };
        foreach (ulong d in new ulong[] { 0, 1, 0x1_0000_0000, 0xffffffff })
        {
            probes.Add(value + d);
            probes.Add(value - d);
            probes.Add(value ^ d);
        }
        foreach (ulong a in probes)
        {
            ulong[] args = [a, 0, 0, 0, 0, 0];
            Assert.Equal(ReferenceModel.Verdict(s, X64, Personality, args), BpfInterpreter.Run(p, X64, Personality, args));
        }
    }

    [Fact]
    public void Syscalls_newer_than_the_profile_get_enosys_as_runc_gives_them()
    {
        // Default errno, x86_64 and i386 listed, the highest syscall named is exit (60 on x86_64, 1 on i386).
        var rule = Rule(SeccompAction.ScmpActAllow, ["read", "write", "exit"]);
        Berth.Spec.Seccomp With(SeccompAction action, SeccompArch[]? arches) => new() { DefaultAction = action, Architectures = arches, Syscalls = [rule] };
        SeccompArch[] listed = [SeccompArch.ScmpArchX8664, SeccompArch.ScmpArchX86];
        var p = Program(With(SeccompAction.ScmpActErrno, listed));
        const uint Enosys = 0x00050000 | 38;
        Assert.Equal(Allow, BpfInterpreter.Run(p, X64, 0));
        Assert.Equal(Eperm, BpfInterpreter.Run(p, X64, Getpid));          // below the highest: the default action
        Assert.Equal(Enosys, BpfInterpreter.Run(p, X64, 61));             // above it: newer than the profile
        Assert.Equal(Enosys, BpfInterpreter.Run(p, X64, 435));            // clone3
        Assert.Equal(Eperm, BpfInterpreter.Run(p, X64, uint.MaxValue));   // a tracer skipping the call
        Assert.Equal(KillThread, BpfInterpreter.Run(p, X64, X32 | 435)); // x32 not listed: bad arch, as before
        Assert.Equal(Allow, BpfInterpreter.Run(p, I386, 4));              // i386 write
        Assert.Equal(Enosys, BpfInterpreter.Run(p, I386, 5));             // above i386's highest (write = 4)

        // A default that lets calls through, or no arch listed (runc patches only listed arches): no ENOSYS.
        Assert.Equal(Allow, BpfInterpreter.Run(Program(With(SeccompAction.ScmpActAllow, listed)), X64, 435));
        Assert.Equal(Eperm, BpfInterpreter.Run(Program(With(SeccompAction.ScmpActErrno, null)), X64, 435));
    }

    [Fact]
    public void Comparisons_on_different_arguments_are_anded()
    {
        var s = Profile(SeccompAction.ScmpActAllow, Rule(SeccompAction.ScmpActErrno, ["kill"], 1,
            Arg(0, SeccompOperator.ScmpCmpEq, 1), Arg(1, SeccompOperator.ScmpCmpEq, 0)));
        var p = Program(s);
        Assert.Equal(Eperm, BpfInterpreter.Run(p, X64, Kill, 1, 0));
        Assert.Equal(Allow, BpfInterpreter.Run(p, X64, Kill, 1, 9));
        Assert.Equal(Allow, BpfInterpreter.Run(p, X64, Kill, 2, 0));
    }

    [Fact]
    public void A_repeated_argument_makes_separate_rules_as_runc_does()
    {
        // mmap 1 <= prot <= 7 in one entry: runc adds each comparison as its own rule, so either allows.
        var s = Profile(SeccompAction.ScmpActErrno, Rule(SeccompAction.ScmpActAllow, ["mmap"], null,
            Arg(2, SeccompOperator.ScmpCmpGe, 1), Arg(2, SeccompOperator.ScmpCmpLe, 7)));
        var p = Program(s);
        foreach (ulong prot in new ulong[] { 0, 1, 7, 8, ulong.MaxValue })
            Assert.Equal(Allow, BpfInterpreter.Run(p, X64, 9, 0, 0, prot));
    }

    [Fact]
    public void The_first_matching_entry_decides()
    {
        var s = Profile(SeccompAction.ScmpActAllow,
            Rule(SeccompAction.ScmpActErrno, ["personality"], 22, Arg(0, SeccompOperator.ScmpCmpEq, 8)),
            Rule(SeccompAction.ScmpActAllow, ["personality"], null, Arg(0, SeccompOperator.ScmpCmpLt, 10)),
            Rule(SeccompAction.ScmpActErrno, ["personality", "mkdir"], 1),
            Rule(SeccompAction.ScmpActKillProcess, ["personality"]));
        var p = Program(s);
        Assert.Equal(0x00050016u, BpfInterpreter.Run(p, X64, Personality, 8));
        Assert.Equal(Allow, BpfInterpreter.Run(p, X64, Personality, 9));
        Assert.Equal(Eperm, BpfInterpreter.Run(p, X64, Personality, 10));
        Assert.Equal(Eperm, BpfInterpreter.Run(p, X64, Mkdir));
    }

    [Fact]
    public void Unknown_names_are_skipped_and_counted()
    {
        var s = Profile(SeccompAction.ScmpActAllow, Rule(SeccompAction.ScmpActErrno, ["no_such_call", "mkdir", "vm86old"], 1));
        var filter = SeccompCompiler.Compile(s);
        Assert.Equal(["no_such_call"], filter.UnknownNames); // vm86old is an i386 call: known, just not on x86_64
        Assert.Equal(Eperm, BpfInterpreter.Run(filter.Decode(), X64, Mkdir));
    }

    [Fact]
    public void X32_and_i386_follow_their_own_numbers_when_listed()
    {
        var s = new Berth.Spec.Seccomp
        {
            DefaultAction = SeccompAction.ScmpActAllow,
            Architectures = [SeccompArch.ScmpArchX8664, SeccompArch.ScmpArchX86, SeccompArch.ScmpArchX32],
            Syscalls = [Rule(SeccompAction.ScmpActErrno, ["execve", "mkdir"], 1), Rule(SeccompAction.ScmpActErrno, ["socket"], 13, Arg(0, SeccompOperator.ScmpCmpEq, 16))],
        };
        var p = Program(s);
        Assert.Equal(Eperm, BpfInterpreter.Run(p, X64, Execve));
        Assert.Equal(Eperm, BpfInterpreter.Run(p, X64, X32 | 520));      // x32 execve
        Assert.Equal(Allow, BpfInterpreter.Run(p, X64, X32 | Execve));   // 59 | bit is not execve on x32
        Assert.Equal(Eperm, BpfInterpreter.Run(p, X64, X32 | Mkdir));
        Assert.Equal(Eperm, BpfInterpreter.Run(p, I386, 11));            // i386 execve
        Assert.Equal(Eperm, BpfInterpreter.Run(p, I386, 39));            // i386 mkdir
        Assert.Equal(Allow, BpfInterpreter.Run(p, I386, Mkdir));         // 83 is symlink on i386
        Assert.Equal(0x0005000du, BpfInterpreter.Run(p, I386, 359, 16)); // i386 socket(AF_NETLINK)
        Assert.Equal(0x0005000du, BpfInterpreter.Run(p, I386, 359, 0xdead_0000_0000_0010)); // high half ignored on i386
        Assert.Equal(Allow, BpfInterpreter.Run(p, X64, 41, 0xdead_0000_0000_0010));          // but not on x86_64
        Assert.Equal(KillThread, BpfInterpreter.Run(p, 0xC00000B7, Execve));
    }

    [Fact]
    public void Flags_map_to_seccomp2_flags()
    {
        var s = new Berth.Spec.Seccomp
        {
            DefaultAction = SeccompAction.ScmpActAllow,
            Flags = [SeccompFlag.SeccompFilterFlagTsync, SeccompFlag.SeccompFilterFlagLog, SeccompFlag.SeccompFilterFlagSpecAllow],
        };
        Assert.Equal(7u, SeccompCompiler.Compile(s).Flags);
        Assert.Equal(0u, SeccompCompiler.Compile(Profile(SeccompAction.ScmpActAllow)).Flags);
    }

    public static TheoryData<string, Berth.Spec.Seccomp> Invalid() => new()
    {
        { "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY needs the path", Profile(SeccompAction.ScmpActAllow,
            Rule(SeccompAction.ScmpActErrno, ["mkdir"]), Rule(SeccompAction.ScmpActNotify, ["mkdir"])) },
        { "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as default action", Profile(SeccompAction.ScmpActNotify) },
        { "linux.seccomp.syscalls[0].names: SCMP_ACT_NOTIFY cannot be used for the write syscall", new Berth.Spec.Seccomp
            { DefaultAction = SeccompAction.ScmpActAllow, ListenerPath = "/run/l.sock", Syscalls = [Rule(SeccompAction.ScmpActNotify, ["read", "write"])] } },
        { "linux.seccomp.syscalls[0].args[1].index: 6 is not an argument index", Profile(SeccompAction.ScmpActAllow,
            Rule(SeccompAction.ScmpActErrno, ["kill"], null, Arg(0, SeccompOperator.ScmpCmpEq, 1), Arg(6, SeccompOperator.ScmpCmpEq, 1))) },
        { "linux.seccomp.syscalls[0].args[0].valueTwo: only SCMP_CMP_MASKED_EQ", Profile(SeccompAction.ScmpActAllow,
            Rule(SeccompAction.ScmpActErrno, ["kill"], null, Arg(0, SeccompOperator.ScmpCmpEq, 1, 3))) },
        { "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE", Profile(SeccompAction.ScmpActErrno,
            Rule(SeccompAction.ScmpActAllow, ["kill"], 1)) },
        { "linux.seccomp.syscalls[0].errnoRet: 70000 is out of range", Profile(SeccompAction.ScmpActAllow,
            Rule(SeccompAction.ScmpActErrno, ["kill"], 70000)) },
        { "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV applies to a seccomp listener, and no rule is SCMP_ACT_NOTIFY", new Berth.Spec.Seccomp { DefaultAction = SeccompAction.ScmpActAllow,
            Flags = [SeccompFlag.SeccompFilterFlagLog, SeccompFlag.SeccompFilterFlagWaitKillableRecv] } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Errors_name_the_field(string expected, Berth.Spec.Seccomp s)
    {
        var e = Assert.ThrowsAny<Exception>(() => SeccompCompiler.Compile(s));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void A_filter_over_the_kernel_limit_is_an_error()
    {
        var rules = Enumerable.Range(0, 700).Select(i =>
            Rule(SeccompAction.ScmpActErrno, ["personality"], 1, Arg(0, SeccompOperator.ScmpCmpGt, (ulong)i << 33), Arg(1, SeccompOperator.ScmpCmpEq, (ulong)i))).ToArray();
        var e = Assert.ThrowsAny<Exception>(() => SeccompCompiler.Compile(Profile(SeccompAction.ScmpActAllow, rules)));
        Assert.Contains("linux.seccomp: the filter needs", e.Message);
        Assert.Contains("limit of 4096", e.Message);
    }

    [Fact]
    public void The_large_profile_fits_and_agrees_with_the_model_on_random_calls()
    {
        var s = LargeProfile();
        var filter = SeccompCompiler.Compile(s);
        var p = filter.Decode();
        BpfInterpreter.Check(p);
        output.WriteLine($"seccomp-large.json: {filter.Rules} rules, {filter.Instructions} instructions, unknown names: {string.Join(", ", filter.UnknownNames)}");
        Differential(s, p, seed: 1, iterations: 60_000, out int maxSteps);
        output.WriteLine($"longest path: {maxSteps} instructions");
        Assert.Equal(0x7fff0000u, BpfInterpreter.Run(p, X64, Execve));
        Assert.Equal(0x00050026u, BpfInterpreter.Run(p, X64, 435)); // clone3 → ENOSYS
        Assert.Equal(0x00050026u, BpfInterpreter.Run(p, X64, 5000)); // not listed → default ERRNO(38)
    }

    [Fact]
    public void Far_jumps_go_through_trampolines()
    {
        // Many argument rules on many syscalls: bodies and returns end up more than 255 instructions from the tree.
        var rng = new Random(7);
        string[] names = ["read", "write", "openat", "close", "mmap", "mprotect", "ioctl", "socket", "connect", "kill", "personality", "prctl", "clone", "futex", "fcntl"];
        var ops = Enum.GetValues<SeccompOperator>();
        var rules = new List<SeccompSyscall>();
        for (int i = 0; i < 120; i++)
        {
            var args = Enumerable.Range(0, rng.Next(0, 3)).Select(_ =>
            {
                var op = ops[rng.Next(ops.Length)];
                ulong v = RandomValue(rng, []);
                return Arg((uint)rng.Next(0, 3), op, v, op == SeccompOperator.ScmpCmpMaskedEq ? v & RandomValue(rng, []) : null);
            }).ToArray();
            var actions = new[] { SeccompAction.ScmpActAllow, SeccompAction.ScmpActErrno, SeccompAction.ScmpActTrap, SeccompAction.ScmpActLog, SeccompAction.ScmpActKillProcess };
            var action = actions[rng.Next(actions.Length)];
            rules.Add(Rule(action, [names[rng.Next(names.Length)], names[rng.Next(names.Length)]], action == SeccompAction.ScmpActErrno ? (uint)rng.Next(1, 100) : null, args));
        }
        var s = new Berth.Spec.Seccomp
        {
            DefaultAction = SeccompAction.ScmpActErrno,
            Architectures = [SeccompArch.ScmpArchX8664, SeccompArch.ScmpArchX86, SeccompArch.ScmpArchX32],
            Syscalls = rules,
        };
        var filter = SeccompCompiler.Compile(s);
        var p = filter.Decode();
        BpfInterpreter.Check(p);
        output.WriteLine($"{filter.Instructions} instructions, {p.Count(i => i.Code == ClassicBpf.Ja)} trampolines");
        Assert.Contains(p, i => i.Code == ClassicBpf.Ja);
        Differential(s, p, seed: 2, iterations: 60_000, out _);
    }

    private static void Differential(Berth.Spec.Seccomp s, BpfInstruction[] p, int seed, int iterations, out int maxSteps)
    {
        var rng = new Random(seed);
        var archs = new[] { X64, X64, X64, I386, 0xC00000B7u };
        var values = (s.Syscalls ?? []).SelectMany(r => r.Args ?? []).SelectMany(a => new[] { a.Value, a.ValueTwo ?? 0 }).Distinct().ToArray();
        var numbers = new List<uint>();
        foreach (var r in s.Syscalls ?? [])
            foreach (string name in r.Names)
                foreach (var arch in new[] { SeccompArch.ScmpArchX8664, SeccompArch.ScmpArchX32, SeccompArch.ScmpArchX86 })
                    if (SyscallTable.TryGet(arch, name, out uint nr))
                        numbers.Add(nr);
        maxSteps = 0;
        var args = new ulong[6];
        for (int i = 0; i < iterations; i++)
        {
            uint arch = archs[rng.Next(archs.Length)];
            uint nr = rng.Next(10) switch
            {
                < 6 => numbers[rng.Next(numbers.Count)],
                6 => numbers[rng.Next(numbers.Count)] + (uint)rng.Next(-1, 2),
                7 => (uint)rng.Next(0, 600),
                8 => X32 | (uint)rng.Next(0, 600),
                _ => rng.Next(3) == 0 ? uint.MaxValue : (uint)rng.NextInt64(0, 1L << 32),
            };
            for (int k = 0; k < 6; k++)
                args[k] = arch == I386 && rng.Next(4) != 0 ? (uint)RandomValue(rng, values) : RandomValue(rng, values);
            uint got = BpfInterpreter.Run(p, arch, nr, args, out int steps);
            maxSteps = Math.Max(maxSteps, steps);
            uint want = ReferenceModel.Verdict(s, arch, nr, args);
            Assert.True(want == got, $"arch 0x{arch:x} nr {nr} args [{string.Join(", ", args.Select(a => $"0x{a:x}"))}]: want 0x{want:x}, got 0x{got:x}");
        }
    }

    private static ulong RandomValue(Random rng, ulong[] values)
    {
        ulong Near(ulong v) => rng.Next(5) switch { 0 => v + 1, 1 => v - 1, 2 => v ^ (1UL << rng.Next(64)), 3 => v | ((ulong)rng.NextInt64() << 32), _ => v };
        return rng.Next(6) switch
        {
            0 => 0,
            1 => (ulong)rng.Next(0, 20),
            2 => (ulong)rng.NextInt64(),
            3 => values.Length > 0 ? values[rng.Next(values.Length)] : 0,
            4 => values.Length > 0 ? Near(values[rng.Next(values.Length)]) : ulong.MaxValue,
            _ => (uint)rng.NextInt64(),
        };
    }
}
