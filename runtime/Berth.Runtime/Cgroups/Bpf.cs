using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Cgroups;

/// <summary>bpf(2), the few commands cgroup v2 device filtering needs: load, attach, query, detach.</summary>
public static unsafe partial class Bpf
{
    private const int BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
    private const int BPF_PROG_TYPE_CGROUP_DEVICE = 15;
    private const int BPF_CGROUP_DEVICE = 6;
    private const int BPF_F_ALLOW_MULTI = 2;
    private const int AttrSize = 128;

    private static long SysBpf => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        _ => throw new BerthException($"bpf: no system call number known for {RuntimeInformation.ProcessArchitecture}"),
    };

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall3(long number, long a, long b, long c);

    private static int Call(int command, byte* attr) =>
        (int)Syscall3(SysBpf, command, (long)attr, AttrSize);

    /// <summary>Loads a device program; returns its fd. Errors carry the verifier's log.</summary>
    public static int LoadDeviceProgram(byte[] instructions, string what)
    {
        byte[] license = "Apache-2.0\0"u8.ToArray();
        var log = new byte[65536];
        fixed (byte* insns = instructions)
        fixed (byte* lic = license)
        fixed (byte* logBuf = log)
        {
            byte* attr = stackalloc byte[AttrSize];
            for (int attempt = 0; attempt < 2; attempt++)
            {
                new Span<byte>(attr, AttrSize).Clear();
                *(uint*)(attr + 0) = BPF_PROG_TYPE_CGROUP_DEVICE;
                *(uint*)(attr + 4) = (uint)(instructions.Length / 8);
                *(ulong*)(attr + 8) = (ulong)insns;
                *(ulong*)(attr + 16) = (ulong)lic;
                if (attempt == 1)
                {
                    *(uint*)(attr + 24) = 1; // log_level
                    *(uint*)(attr + 28) = (uint)log.Length;
                    *(ulong*)(attr + 32) = (ulong)logBuf;
                }
                "berth_devices"u8.CopyTo(new Span<byte>(attr + 48, 16));
                *(uint*)(attr + 68) = BPF_CGROUP_DEVICE; // expected_attach_type
                int fd = Call(BPF_PROG_LOAD, attr);
                if (fd >= 0)
                    return fd;
                int err = Marshal.GetLastPInvokeError();
                if (attempt == 1 || err != EINVAL && err != EACCES)
                {
                    string verifier = System.Text.Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
                    throw new BerthException($"{what}: load the device filter program (bpf BPF_PROG_LOAD): {Linux.Describe(err)}"
                        + (verifier.Length > 0 ? $"; verifier: {verifier}" : ""));
                }
            }
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>The ids of the device programs attached to a cgroup2 directory.</summary>
    public static List<uint> QueryDevicePrograms(string cgroupDir)
    {
        int cg = Sys.Open(cgroupDir, O_RDONLY | O_DIRECTORY);
        if (cg < 0)
            throw BerthException.Errno($"open {cgroupDir}", Sys.Errno);
        try
        {
            return QueryDevicePrograms(cg);
        }
        finally
        {
            Sys.Close(cg);
        }
    }

    private static List<uint> QueryDevicePrograms(int cgroupFd)
    {
        var ids = new uint[64];
        fixed (uint* p = ids)
        {
            byte* attr = stackalloc byte[AttrSize];
            new Span<byte>(attr, AttrSize).Clear();
            *(uint*)(attr + 0) = (uint)cgroupFd;
            *(uint*)(attr + 4) = BPF_CGROUP_DEVICE;
            *(ulong*)(attr + 16) = (ulong)p;
            *(uint*)(attr + 24) = (uint)ids.Length;
            if (Call(BPF_PROG_QUERY, attr) < 0)
                throw BerthException.Errno("query device filter programs (bpf BPF_PROG_QUERY)", Marshal.GetLastPInvokeError());
            int count = (int)*(uint*)(attr + 24);
            return ids.Take(Math.Min(count, ids.Length)).ToList();
        }
    }

    /// <summary>
    /// Attaches the program to the cgroup (BPF_F_ALLOW_MULTI, so programs of parent cgroups keep applying) and then
    /// detaches the device programs that were there before, so that applying new rules replaces the old ones.
    /// </summary>
    public static void AttachDeviceProgram(string cgroupDir, int programFd, string what)
    {
        int cg = Sys.Open(cgroupDir, O_RDONLY | O_DIRECTORY);
        if (cg < 0)
            throw BerthException.Errno($"{what}: open {cgroupDir}", Sys.Errno);
        try
        {
            var before = QueryDevicePrograms(cg);
            byte* attr = stackalloc byte[AttrSize];
            new Span<byte>(attr, AttrSize).Clear();
            *(uint*)(attr + 0) = (uint)cg;
            *(uint*)(attr + 4) = (uint)programFd;
            *(uint*)(attr + 8) = BPF_CGROUP_DEVICE;
            *(uint*)(attr + 12) = BPF_F_ALLOW_MULTI;
            if (Call(BPF_PROG_ATTACH, attr) < 0)
                throw BerthException.Errno($"{what}: attach the device filter program to {cgroupDir} (bpf BPF_PROG_ATTACH)", Marshal.GetLastPInvokeError());
            foreach (uint id in before)
                Detach(cg, id, what);
        }
        finally
        {
            Sys.Close(cg);
        }
    }

    private static void Detach(int cgroupFd, uint id, string what)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = id;
        int prog = Call(BPF_PROG_GET_FD_BY_ID, attr);
        if (prog < 0)
            return; // gone meanwhile
        try
        {
            new Span<byte>(attr, AttrSize).Clear();
            *(uint*)(attr + 0) = (uint)cgroupFd;
            *(uint*)(attr + 4) = (uint)prog;
            *(uint*)(attr + 8) = BPF_CGROUP_DEVICE;
            if (Call(BPF_PROG_DETACH, attr) < 0)
                throw BerthException.Errno($"{what}: detach the previous device filter program (bpf BPF_PROG_DETACH)", Marshal.GetLastPInvokeError());
        }
        finally
        {
            Sys.Close(prog);
        }
    }
}
