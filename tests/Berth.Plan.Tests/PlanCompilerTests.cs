using Berth.Runtime;

namespace Berth.Plan.Tests;

/// <summary>The plan compiler with fake host facts: what each part of a config becomes, with no root and no kernel.</summary>
public class PlanCompilerTests
{
    private static ContainerPlan Compile(string json) => PlanCompiler.Compile(PlanFixture.Request(PlanFixture.Parse(json)));

    [Theory]
    [InlineData("/a/b", "/a/b")]
    [InlineData("a/b/", "/a/b")]
    [InlineData("//a/./b//c", "/a/b/c")]
    [InlineData("/a/../../b", "/b")]
    [InlineData("/../..", "/")]
    [InlineData("", "/")]
    public void Container_paths_are_cleaned_lexically(string path, string expected) =>
        Assert.Equal(expected, ContainerPath.Of(path).Value);

    [Fact]
    public void Mount_targets_are_container_paths_resolved_when_used()
    {
        var plan = Compile(PlanFixture.Config(mounts: """, { "destination": "/vol/../data//x", "type": "tmpfs", "source": "tmpfs" }"""));
        var mount = Assert.Single(plan.Operations.OfType<MountOp>(), o => o.Type == "tmpfs" && o.Field == "mounts[2]");
        // Not a host path below the rootfs: the C helper resolves it inside the root when it mounts.
        Assert.Equal("/data/x", mount.Target.Value);
        Assert.Equal("/data/x", Assert.Single(plan.Operations.OfType<MkdirAllOp>(), o => o.Field == "mounts[2].destination").Path.Value);
    }

    [Fact]
    public void The_root_is_opened_after_it_is_bound_onto_itself_and_before_any_container_path()
    {
        var ops = Compile(PlanFixture.Config()).Operations.ToList();
        int bind = ops.FindIndex(o => o is HostMountOp { Source: "/bundle/rootfs", Target: "/bundle/rootfs" });
        int open = ops.FindIndex(o => o is OpenRootOp);
        int firstInRoot = ops.FindIndex(o => o is MkdirAllOp or BindOp or MknodOp or SymlinkOp or CreateFileOp or MountOp);
        Assert.True(bind >= 0 && bind < open && open < firstInRoot, string.Join("\n", ops));
        Assert.Equal("/bundle/rootfs", ((OpenRootOp)ops[open]).HostPath);
    }

    [Fact]
    public void Proc_and_sysfs_go_only_onto_real_directories()
    {
        var ops = Compile(PlanFixture.Config()).Operations;
        foreach (string type in new[] { "proc", "sysfs" })
        {
            var mount = Assert.Single(ops.OfType<MountOp>(), o => o.Type == type);
            Assert.True(mount.RealDirectory);
            Assert.True(Assert.Single(ops.OfType<MkdirAllOp>(), o => o.Path == mount.Target).NoSymlinks);
        }
        var tmpfs = Compile(PlanFixture.Config(mounts: """, { "destination": "/t", "type": "tmpfs", "source": "tmpfs" }""")).Operations
            .OfType<MountOp>().Single(o => o.Target.Value == "/t");
        Assert.False(tmpfs.RealDirectory);
    }

    [Theory]
    [InlineData("\"bind\", \"ro\", \"nosuid\"", 0x1 | 0x2, 0, 0L)]
    [InlineData("\"rbind\", \"rw\", \"suid\"", 0, 0x1 | 0x2, 0L)]
    [InlineData("\"bind\", \"noatime\"", 0x10, 0x70, 0L)]
    [InlineData("\"bind\", \"strictatime\", \"nodev\"", 0x20 | 0x4, 0x70, 0L)]
    [InlineData("\"bind\", \"rprivate\"", 0, 0, 0x40000L | 0x4000L)]
    public void Bind_options_become_mount_attributes_set_before_the_mount_is_visible(string options, long set, long clear, long propagation)
    {
        var bind = Compile(PlanFixture.Config(mounts: $$""", { "destination": "/data", "type": "bind", "source": "/srv/data", "options": [{{options}}] }"""))
            .Operations.OfType<BindOp>().Single();
        Assert.Equal("/srv/data", bind.Source);
        Assert.Equal("/data", bind.Target.Value);
        Assert.Equal(set, bind.SetAttributes);
        Assert.Equal(clear, bind.ClearAttributes);
        Assert.Equal(propagation, bind.Propagation);
        Assert.Equal(options.Contains("rbind"), bind.Recursive);
    }

    [Fact]
    public void A_relative_bind_source_is_taken_from_the_bundle_and_a_file_source_gets_a_file_mount_point()
    {
        var ops = Compile(PlanFixture.Config(mounts: """, { "destination": "/etc/resolv.conf", "type": "bind", "source": "resolv.conf", "options": ["bind"] }""")).Operations;
        var bind = ops.OfType<BindOp>().Single();
        Assert.Equal("/bundle/resolv.conf", bind.Source);
        Assert.Single(ops.OfType<CreateFileOp>(), o => o.Path.Value == "/etc/resolv.conf");
        Assert.DoesNotContain(ops.OfType<MkdirAllOp>(), o => o.Path.Value == "/etc/resolv.conf");
    }

    [Fact]
    public void Devices_are_made_below_their_resolved_parent_with_mode_and_owner_in_one_operation()
    {
        var ops = Compile(PlanFixture.Config(linux: """, "devices": [ { "type": "c", "path": "/dev/../dev/fuse", "major": 10, "minor": 229, "fileMode": 416, "uid": 7, "gid": 8 } ]""")).Operations;
        var fuse = ops.OfType<MknodOp>().Single(o => o.Path.Value == "/dev/fuse");
        Assert.Equal(Linux.S_IFCHR | 416, fuse.TypeAndMode);
        Assert.Equal(Linux.MakeDev(10, 229), fuse.Device);
        Assert.Equal((7u, 8u), (fuse.Uid, fuse.Gid));
        Assert.Single(ops.OfType<MknodOp>(), o => o.Path.Value == "/dev/null" && o.Device == Linux.MakeDev(1, 3));
    }

    [Fact]
    public void In_a_user_namespace_devices_are_bound_from_the_host()
    {
        var ops = Compile(PlanFixture.Config(namespaces: """{ "type": "mount" }, { "type": "user" }""",
            linux: """, "uidMappings": [ { "containerID": 0, "hostID": 1000, "size": 1 } ], "gidMappings": [ { "containerID": 0, "hostID": 1000, "size": 1 } ]""")).Operations;
        Assert.Empty(ops.OfType<MknodOp>());
        Assert.Single(ops.OfType<BindOp>(), o => o.Source == "/dev/null" && o.Target.Value == "/dev/null");
    }

    [Fact]
    public void Berth_in_a_user_namespace_of_its_own_binds_devices_and_skips_setgroups_when_rootless()
    {
        // Rootless podman runs the runtime as root of a user namespace; the config then has none of its own.
        var request = PlanFixture.Request(PlanFixture.Parse(PlanFixture.Config())) with { Rootless = true, Host = PlanFixture.Host with { InUserNamespace = true } };
        var ops = PlanCompiler.Compile(request).Operations;
        Assert.Empty(ops.OfType<MknodOp>());
        Assert.Single(ops.OfType<BindOp>(), o => o.Source == "/dev/null");
        Assert.Empty(ops.OfType<SetGroupsOp>());
        Assert.NotEmpty(PlanCompiler.Compile(request with { Rootless = false }).Operations.OfType<SetGroupsOp>());
    }

    [Fact]
    public void Masked_and_read_only_paths_are_container_paths_and_the_root_is_flagged()
    {
        var ops = Compile(PlanFixture.Config(linux: """, "maskedPaths": ["/proc/kcore", "/proc/../proc/keys"], "readonlyPaths": ["/proc/sys"]""")
            .Replace("\"root\": { \"path\": \"rootfs\" }", "\"root\": { \"path\": \"rootfs\", \"readonly\": true }")).Operations;
        Assert.Equal(["/proc/kcore", "/proc/keys"], ops.OfType<MaskPathOp>().Select(o => o.Path.Value));
        Assert.Single(ops.OfType<ReadonlyPathOp>(), o => o.Path is { Value: "/proc/sys" });
        Assert.Single(ops.OfType<ReadonlyPathOp>(), o => o.Path is null);
    }

    [Fact]
    public void Proc_files_are_written_below_berths_own_procfs_handle()
    {
        var ops = Compile(PlanFixture.Config(process: """, "oomScoreAdj": 100""", namespaces: """{ "type": "mount" }, { "type": "network" }""",
            linux: """, "sysctl": { "net.ipv4.ip_forward": "1" }""")).Operations;
        Assert.Single(ops.OfType<WriteProcOp>(), o => o.ProcPath == "self/oom_score_adj" && o.Value == "100");
        Assert.Single(ops.OfType<WriteProcOp>(), o => o.ProcPath == "sys/net/ipv4/ip_forward" && o.Value == "1");
        Assert.DoesNotContain(ops.OfType<WriteProcOp>(), o => o.ProcPath.StartsWith('/'));
    }

    [Theory]
    [InlineData("net.ipv4/../../../sysrq-trigger")]
    [InlineData("net..ipv4.ip_forward")]
    [InlineData("net.ipv4.")]
    public void A_sysctl_key_cannot_walk_out_of_proc_sys(string key)
    {
        var e = Assert.Throws<BerthException>(() => Compile(PlanFixture.Config(namespaces: """{ "type": "mount" }, { "type": "network" }""",
            linux: $$""", "sysctl": { "{{key}}": "1" }""")));
        Assert.Contains($"linux.sysctl[\"{key}\"]", e.Message);
    }

    [Fact]
    public void Program_candidates_are_absolute_inside_the_root_relative_ones_from_the_working_directory()
    {
        var ops = Compile(PlanFixture.Config(env: "\"PATH=/bin::bin\"")).Operations.ToList();
        var exec = ops.OfType<ExecOp>().Single();
        Assert.Equal(["/bin/sh", "/work/sh", "/work/bin/sh"], exec.Candidates.Select(c => c.Value));
        Assert.Equal(exec.Candidates, ops.OfType<CheckExecOp>().Single().Candidates);
        Assert.Same(exec, ops[^1]);
        var chdir = ops.OfType<ChdirOp>().Single();
        Assert.Equal("/work", chdir.Path.Value);
        Assert.True(ops.IndexOf(chdir) < ops.IndexOf(exec));
    }

    [Fact]
    public void A_terminal_binds_the_pty_from_its_descriptor_onto_dev_console_for_create_but_not_for_exec()
    {
        string json = PlanFixture.Config(process: """, "terminal": true""");
        var ops = Compile(json).Operations;
        var ptmx = ops.OfType<OpenDeviceOp>().Single();
        Assert.Equal("/dev/ptmx", ptmx.Path.Value);
        Assert.Equal(Linux.MakeDev(5, 2), ptmx.Device);
        var console = ops.OfType<BindOp>().Single(o => o.Target.Value == "/dev/console");
        Assert.Null(console.Source);
        Assert.Equal(ContainerPlan.ConsolePeerSlot, console.SourceSlot);
        Assert.True(console.NoSymlinks);

        var exec = PlanCompiler.CompileExec(PlanFixture.Request(PlanFixture.Parse(json)), 4242).Operations;
        Assert.Empty(exec.OfType<BindOp>());
    }

    [Fact]
    public void Exec_joins_the_containers_namespaces_then_opens_its_root()
    {
        var ops = PlanCompiler.CompileExec(PlanFixture.Request(PlanFixture.Parse(PlanFixture.Config())), 4242).Operations.ToList();
        Assert.Equal(["/proc/4242/ns/mnt", "/proc/4242/ns/pid"], ops.OfType<SetnsOp>().Select(o => o.Path).Order());
        int lastJoin = ops.FindLastIndex(o => o is SetnsOp or ForkOp);
        int open = ops.FindIndex(o => o is OpenRootOp);
        Assert.True(open > lastJoin, string.Join("\n", ops));
        Assert.Equal("/", ((OpenRootOp)ops[open]).HostPath);
        Assert.True(open < ops.FindIndex(o => o is ChdirOp));
    }

    [Fact]
    public void Preserved_descriptors_are_carried_by_the_plan()
    {
        var request = PlanFixture.Request(PlanFixture.Parse(PlanFixture.Config())) with { PreserveFds = 3 };
        Assert.Equal(3, PlanCompiler.Compile(request).PreserveFds);
        Assert.Equal(3, PlanCompiler.CompileExec(request, 1).PreserveFds);
    }

    [Fact]
    public void Plans_print_in_words()
    {
        var text = string.Join("\n", Compile(PlanFixture.Config()).Operations);
        Assert.Contains("mkdir-all /proc mode 0755 no-symlinks    # create mount point /proc (mounts[0].destination)", text);
        Assert.Contains("mknod /dev/null char 1:3 mode 0666 owner 0:0", text);
        Assert.Contains("symlink /dev/fd -> /proc/self/fd", text);
        Assert.Contains("exec through the sealed stage: first of /bin/sh /usr/bin/sh with argv [sh]", text);
        Assert.DoesNotContain("a=", text);
    }

    [Fact]
    public void A_missing_root_is_an_error_naming_the_field()
    {
        var e = Assert.Throws<BerthException>(() => Compile(PlanFixture.Config().Replace("\"root\": { \"path\": \"rootfs\" },", "")));
        Assert.Contains("root.path", e.Message);
    }
}
