namespace Berth.Cgroups.Tests;

public class DeviceTests
{
    private static DeviceRule R(bool allow, char type, long major, long minor, string access) => new(allow, type, major, minor, access, "t");

    [Fact]
    public void Default_rules_follow_runc()
    {
        var rules = DeviceRules.Effective(null);
        Assert.Equal("a", rules[0].ToV1Line());
        Assert.False(rules[0].Allow);
        string[] expected = ["c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm", "c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm"];
        Assert.Equal(expected, rules.Skip(1).Select(r => r.ToV1Line()));
        Assert.All(rules.Skip(1), r => Assert.True(r.Allow));
    }

    [Fact]
    public void Rules_not_starting_with_deny_all_are_applied_as_given()
    {
        var rules = DeviceRules.Effective([new LinuxDeviceCgroup { Allow = false, Type = LinuxDeviceCgroupType.C, Major = 1, Minor = 5, Access = "wr" }]);
        Assert.Single(rules);
        Assert.Equal("c 1:5 rw", rules[0].ToV1Line());
    }

    [Fact]
    public void A_config_can_deny_a_default_device()
    {
        var rules = DeviceRules.Effective([
            new LinuxDeviceCgroup { Allow = false, Access = "rwm" },
            new LinuxDeviceCgroup { Allow = false, Type = LinuxDeviceCgroupType.C, Major = 1, Minor = 5, Access = "rwm" },
        ]);
        Assert.False(DeviceRules.Allows(rules, 'c', 1, 5, "r"));
        Assert.False(DeviceRules.Allows(rules, 'c', 1, 5, "w"));
        Assert.True(DeviceRules.Allows(rules, 'c', 1, 3, "rw"));
        // As the v1 kernel (and runc on v2) decides: the deny takes away the "c 1:5" exception, but "c *:* m" still
        // grants mknod of every char device — so the node can be made and then not opened.
        Assert.True(DeviceRules.Allows(rules, 'c', 1, 5, "m"));
        Assert.True(DeviceRules.Allows(rules, 'c', 1, 11, "m"));
        Assert.False(DeviceRules.Allows(rules, 'c', 1, 11, "r"));
    }

    [Fact]
    public void Emulation_keeps_exceptions_as_the_kernel_does()
    {
        // deny-all, allow c 1:5 rw, allow c 1:5 m (merged), deny c 1:5 w (taken away), deny b *:* m (no such exception)
        var state = DeviceRules.Emulate([R(false, 'a', -1, -1, "rwm"), R(true, 'c', 1, 5, "rw"), R(true, 'c', 1, 5, "m"), R(false, 'c', 1, 5, "w"), R(false, 'b', -1, -1, "m")]);
        Assert.False(state.DefaultAllow);
        Assert.Equal(["c 1:5 rm"], state.ListLines());
        // allow-all, deny c 1:3 w: one deny exception; "a" again clears it.
        Assert.Equal(["a *:* rwm"], DeviceRules.Emulate([R(false, 'c', 1, 3, "w")]).ListLines());
        Assert.Single(DeviceRules.Emulate([R(false, 'c', 1, 3, "w")]).Exceptions);
        Assert.Empty(DeviceRules.Emulate([R(false, 'c', 1, 3, "w"), R(true, 'a', -1, -1, "rwm")]).Exceptions);
    }

    /// <summary>
    /// The emulation against the kernel itself: random rule lists written to a real v1 devices cgroup on this host,
    /// then its devices.list compared with what <see cref="DeviceRules.Emulate"/> says it holds.
    /// </summary>
    [SkippableFact]
    public void Emulation_matches_the_v1_kernel_on_random_rule_lists()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksRoot ?? HostSupport.LacksV1("devices"));
        string mount = HostSupport.V1Mount("devices")!;
        string dir = Path.Combine(mount, $"berth-test-emulate-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            var random = new Random(11);
            char[] types = ['a', 'c', 'b'];
            string[] accesses = ["r", "w", "m", "rw", "rm", "wm", "rwm"];
            for (int round = 0; round < 200; round++)
            {
                // Start from the parent's allow-all, as the emulation does.
                File.WriteAllText(Path.Combine(dir, "devices.allow"), "a");
                var rules = new List<DeviceRule>();
                int n = random.Next(1, 10);
                for (int i = 0; i < n; i++)
                {
                    char type = types[random.Next(8) == 0 ? 0 : random.Next(1, 3)];
                    bool all = type == 'a';
                    var rule = R(random.Next(2) == 0, type, all || random.Next(3) == 0 ? -1 : random.Next(1, 4), all || random.Next(3) == 0 ? -1 : random.Next(0, 3),
                        all ? "rwm" : accesses[random.Next(accesses.Length)]);
                    rules.Add(rule);
                    File.WriteAllText(Path.Combine(dir, rule.Allow ? "devices.allow" : "devices.deny"), rule.ToV1Line());
                }
                var kernel = File.ReadAllLines(Path.Combine(dir, "devices.list")).Order();
                var emulated = DeviceRules.Emulate(rules).ListLines().Order();
                Assert.True(kernel.SequenceEqual(emulated),
                    $"round {round}: rules [{string.Join("; ", rules.Select(r => (r.Allow ? "allow " : "deny ") + r.ToV1Line()))}] kernel [{string.Join("; ", kernel)}] emulated [{string.Join("; ", emulated)}]");
            }
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void Program_decides_like_the_rules_on_many_random_rule_lists()
    {
        var random = new Random(4);
        char[] types = ['a', 'c', 'b'];
        string[] accesses = ["r", "w", "m", "rw", "rm", "wm", "rwm"];
        for (int round = 0; round < 300; round++)
        {
            var rules = new List<DeviceRule>();
            int n = random.Next(0, 8);
            for (int i = 0; i < n; i++)
            {
                char type = types[random.Next(3)];
                bool all = type == 'a';
                rules.Add(R(random.Next(2) == 0, type, all || random.Next(4) == 0 ? -1 : random.Next(1, 4), all || random.Next(4) == 0 ? -1 : random.Next(0, 4),
                    all && random.Next(2) == 0 ? "rwm" : accesses[random.Next(accesses.Length)]));
            }
            byte[] program = DeviceProgram.Compile(rules);
            foreach (char type in "cb")
                for (int major = 0; major < 5; major++)
                    for (int minor = 0; minor < 5; minor++)
                        foreach (string access in accesses)
                        {
                            bool expected = DeviceRules.Allows(rules, type, major, minor, access);
                            bool actual = DeviceProgram.Evaluate(program, type == 'c' ? DeviceProgram.DevChar : DeviceProgram.DevBlock, (uint)major, (uint)minor, DeviceProgram.AccessBits(access));
                            Assert.True(expected == actual, $"round {round}: {type} {major}:{minor} {access} rules [{string.Join("; ", rules.Select(r => (r.Allow ? "allow " : "deny ") + r.ToV1Line()))}]");
                        }
        }
    }

    [Fact]
    public void Partial_deny_keeps_the_other_accesses()
    {
        var rules = new List<DeviceRule> { R(false, 'a', -1, -1, "rwm"), R(true, 'c', 1, 5, "rw"), R(false, 'c', 1, 5, "w") };
        byte[] p = DeviceProgram.Compile(rules);
        Assert.True(DeviceProgram.Evaluate(p, DeviceProgram.DevChar, 1, 5, DeviceProgram.AccRead));
        Assert.False(DeviceProgram.Evaluate(p, DeviceProgram.DevChar, 1, 5, DeviceProgram.AccWrite));
        Assert.False(DeviceProgram.Evaluate(p, DeviceProgram.DevChar, 1, 5, DeviceProgram.AccRead | DeviceProgram.AccWrite));
        Assert.False(DeviceProgram.Evaluate(p, DeviceProgram.DevChar, 1, 3, DeviceProgram.AccRead));
    }

    /// <summary>
    /// The program for real: loaded with bpf(2), attached to a fresh cgroup under this host's cgroup2 mount; a shell
    /// moves itself into it and opens an allowed and a denied device.
    /// </summary>
    [SkippableFact]
    public void Program_attached_on_the_real_cgroup2_mount_refuses_a_denied_device_with_EPERM()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksV2CoreFile("cgroup.procs"));
        string mount = HostCgroup2.Mount!;
        string dir = Path.Combine(mount, $"berth-test-devices-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            var rules = DeviceRules.Effective([
                new LinuxDeviceCgroup { Allow = false, Access = "rwm" },
                new LinuxDeviceCgroup { Allow = false, Type = LinuxDeviceCgroupType.C, Major = 1, Minor = 5, Access = "rwm" },
            ]);
            var layout = new CgroupLayout(CgroupMode.V2, new Dictionary<string, string>(), mount, []);
            new V2Driver(layout).Apply(new CgroupPlan([], rules), "/" + Path.GetFileName(dir));
            Assert.Single(Query(dir));

            var zero = HostCgroup2.RunIn(dir, "head -c1 /dev/zero | wc -c");
            Assert.Contains("Operation not permitted", zero.Stderr);
            var nul = HostCgroup2.RunIn(dir, "head -c1 /dev/null; echo ok:$?");
            Assert.Equal("ok:0", nul.Stdout.Trim());
            var kmsg = HostCgroup2.RunIn(dir, "head -c1 /dev/kmsg >/dev/null; echo $?");
            Assert.Contains("Operation not permitted", kmsg.Stderr);

            // Applying again replaces the program instead of stacking a second one.
            new V2Driver(layout).Apply(new CgroupPlan([], DeviceRules.Effective(null)), "/" + Path.GetFileName(dir));
            Assert.Single(Query(dir));
            Assert.Equal("1", HostCgroup2.RunIn(dir, "head -c1 /dev/zero | wc -c").Stdout.Trim());
        }
        finally
        {
            HostCgroup2.RemoveWhenEmpty(dir);
        }
    }

    private static List<uint> Query(string dir) => Bpf.QueryDevicePrograms(dir);
}
