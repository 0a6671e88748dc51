using System.Reflection;
using System.Runtime.InteropServices;
using Berth.Runtime.Exec;

namespace Berth.Plan.Tests;

/// <summary>
/// The operation records cross from C# to C as raw memory: the managed structs, OpKind and the flag and error numbers
/// must match native/berth_exec.h exactly. A small C program compiled here prints what the C compiler makes of the
/// header, and the managed side is compared with it.
/// </summary>
public class NativeLayoutTests
{
    private static readonly Lazy<Dictionary<string, long>> Native = new(CompileAndRun);

    private static Dictionary<string, long> CompileAndRun()
    {
        string dir = Directory.CreateTempSubdirectory("berth-layout").FullName;
        string header = File.ReadAllText(Path.Combine(NativeProbe.NativeDir(), "berth_exec.h"));
        var lines = new List<string>
        {
            "#include <stdio.h>", "#include <stddef.h>", "#include \"berth_exec.h\"",
            "#define P(name, value) printf(\"%s %lld\\n\", name, (long long)(value))",
            "int main(void) {",
        };
        foreach (var s in new[] { "berth_op", "berth_spawn", "berth_report" })
            lines.Add($"P(\"sizeof {s}\", sizeof(struct {s}));");
        foreach (string f in new[] { "kind", "flags", "a", "b", "c", "d", "s1", "s2", "s3", "s4", "v1", "v2", "v3", "p" })
            lines.Add($"P(\"berth_op.{f}\", offsetof(struct berth_op, {f}));");
        foreach (string f in new[] { "clone_flags", "parent_death_signal", "op_count", "cgroup_fd", "preserve_fds", "dumpable_until_go", "force_walk", "ops" })
            lines.Add($"P(\"berth_spawn.{f}\", offsetof(struct berth_spawn, {f}));");
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(header, @"\b(BERTH_(?:OP|PATH|ERR|SOURCE|EEXIST|BIND|REPORT|HOOK)_[A-Z0-9_]+)\b"))
            if (!lines.Contains($"P(\"{m.Value}\", {m.Value});"))
                lines.Add($"P(\"{m.Value}\", {m.Value});");
        lines.Add("return 0; }");
        File.WriteAllLines(Path.Combine(dir, "layout.c"), lines);
        NativeProbe.Run("gcc", "-Wall", "-Werror", "-I", NativeProbe.NativeDir(), "-o", Path.Combine(dir, "layout"), Path.Combine(dir, "layout.c"));
        var values = new Dictionary<string, long>();
        foreach (string line in NativeProbe.Run(Path.Combine(dir, "layout")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int space = line.LastIndexOf(' ');
            values[line[..space]] = long.Parse(line[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        Directory.Delete(dir, recursive: true);
        return values;
    }

    [Fact]
    public void Structs_have_the_same_size_and_offsets_as_in_C()
    {
        var native = Native.Value;
        Assert.Equal(native["sizeof berth_op"], Marshal.SizeOf<NativeOp>());
        Assert.Equal(native["sizeof berth_spawn"], Marshal.SizeOf<NativeSpawn>());
        Assert.Equal(native["sizeof berth_report"], Marshal.SizeOf<NativeReport>());
        foreach (var (cName, field) in new[] { ("kind", "Kind"), ("flags", "Flags"), ("a", "A"), ("b", "B"), ("c", "C"), ("d", "D"), ("s1", "S1"), ("s2", "S2"), ("s3", "S3"), ("s4", "S4"), ("v1", "V1"), ("v2", "V2"), ("v3", "V3"), ("p", "P") })
            Assert.True(native[$"berth_op.{cName}"] == (long)Marshal.OffsetOf<NativeOp>(field), $"berth_op.{cName}");
        foreach (var (cName, field) in new[] { ("clone_flags", "CloneFlags"), ("parent_death_signal", "ParentDeathSignal"), ("op_count", "OpCount"), ("cgroup_fd", "CgroupFd"), ("preserve_fds", "PreserveFds"), ("dumpable_until_go", "DumpableUntilGo"), ("force_walk", "ForceWalk"), ("ops", "Ops") })
            Assert.True(native[$"berth_spawn.{cName}"] == (long)Marshal.OffsetOf<NativeSpawn>(field), $"berth_spawn.{cName}");
    }

    [Fact]
    public void OpKind_is_the_C_enum()
    {
        var native = Native.Value.Where(kv => kv.Key.StartsWith("BERTH_OP_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["BERTH_OP_".Length..].Replace("_", ""), kv => kv.Value);
        var managed = Enum.GetValues<OpKind>().ToDictionary(k => k.ToString().ToUpperInvariant(), k => (long)k);
        Assert.Equal(native.OrderBy(kv => kv.Value), managed.OrderBy(kv => kv.Value));
    }

    [Fact]
    public void Flag_and_error_numbers_are_the_Cs()
    {
        var native = Native.Value;
        Assert.Equal((long)PathFlags.InRoot, native["BERTH_PATH_IN_ROOT"]);
        Assert.Equal((long)PathFlags.NoSymlinks, native["BERTH_PATH_NO_SYMLINKS"]);
        Assert.Equal((long)PathFlags.Directory, native["BERTH_PATH_DIRECTORY"]);
        Assert.Equal((long)PathFlags.Root, native["BERTH_PATH_ROOT"]);
        Assert.Equal((long)PathFlags.SourceSlot, native["BERTH_SOURCE_SLOT"]);
        Assert.Equal((long)PathFlags.ExistingIsFine, native["BERTH_EEXIST_OK"]);
        Assert.Equal((long)PathFlags.BindRecursive, native["BERTH_BIND_RECURSIVE"]);
        Assert.Equal((long)PathFlags.HookInRoot, native["BERTH_HOOK_IN_ROOT"]);
        Assert.Equal((long)PathFlags.BindInOrder, native["BERTH_BIND_IN_ORDER"]);
        Assert.Equal((long)NativeReport.OutsideRoot, native["BERTH_ERR_OUTSIDE_ROOT"]);
        Assert.Equal((long)NativeReport.NotNullDevice, native["BERTH_ERR_NOT_NULL_DEVICE"]);
        Assert.Equal((long)NativeReport.NotDevice, native["BERTH_ERR_NOT_DEVICE"]);
        Assert.Equal((long)NativeReport.NotProcfs, native["BERTH_ERR_NOT_PROCFS"]);
        Assert.Equal((long)NativeReport.Stage, native["BERTH_ERR_STAGE"]);
        Assert.Equal((long)NativeReport.NotRegular, native["BERTH_ERR_NOT_REGULAR"]);
        Assert.Equal((long)NativeReport.Failed, native["BERTH_REPORT_FAILED"]);
        Assert.Equal((long)NativeReport.HookTimeout, native["BERTH_HOOK_TIMEOUT"]);
    }
}
