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
        Assert.Equal(expected, PlanCompiler.ContainerPath(path));

    [Fact]
    public void Mount_targets_are_container_paths_resolved_when_used()
    {
        var plan = Compile(PlanFixture.Config(mounts: """, { "destination": "/vol/../data//x", "type": "tmpfs", "source": "tmpfs" }"""));
        var mount = Assert.Single(plan.Operations, o => o.Kind == OpKind.Mount && o.S3 == "tmpfs" && o.Field == "mounts[2]");
        // Not a host path below the rootfs: the C helper resolves it inside the root when it mounts.
        Assert.Equal("/data/x", mount.S2);
        Assert.Equal(PathFlags.InRoot, mount.Flags & PathFlags.InRoot);
        Assert.DoesNotContain(plan.Operations, o => o.Kind is OpKind.Mount or OpKind.MkdirAll or OpKind.Bind or OpKind.Mknod
            && (o.Flags & PathFlags.InRoot) != 0 && (o.S2 ?? o.S1 ?? "").StartsWith("/bundle", StringComparison.Ordinal));
    }

    [Fact]
    public void The_root_is_opened_after_it_is_bound_onto_itself_and_before_any_container_path()
    {
        var ops = Compile(PlanFixture.Config()).Operations.ToList();
        int bind = ops.FindIndex(o => o.Kind == OpKind.Mount && o.S1 == "/bundle/rootfs" && o.S2 == "/bundle/rootfs");
        int open = ops.FindIndex(o => o.Kind == OpKind.OpenRoot);
        int firstInRoot = ops.FindIndex(o => o.Kind is OpKind.MkdirAll or OpKind.Bind or OpKind.Mknod or OpKind.Symlink or OpKind.CreateFile);
        Assert.True(bind >= 0 && bind < open && open < firstInRoot, string.Join("\n", ops));
        Assert.Equal("/bundle/rootfs", ops[open].S1);
    }

    [Fact]
    public void Proc_and_sysfs_go_only_onto_real_directories()
    {
        var ops = Compile(PlanFixture.Config()).Operations;
        foreach (string type in new[] { "proc", "sysfs" })
        {
            var mount = Assert.Single(ops, o => o.Kind == OpKind.Mount && o.S3 == type);
            Assert.Equal(PathFlags.NoSymlinks | PathFlags.Directory, mount.Flags & (PathFlags.NoSymlinks | PathFlags.Directory));
            var mkdir = Assert.Single(ops, o => o.Kind == OpKind.MkdirAll && o.S1 == mount.S2);
            Assert.Equal(PathFlags.NoSymlinks, mkdir.Flags & PathFlags.NoSymlinks);
        }
        var tmpfs = Compile(PlanFixture.Config(mounts: """, { "destination": "/t", "type": "tmpfs", "source": "tmpfs" }""")).Operations
            .Single(o => o.Kind == OpKind.Mount && o.S2 == "/t");
        Assert.Equal(0, tmpfs.Flags & PathFlags.NoSymlinks);
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
            .Operations.Single(o => o.Kind == OpKind.Bind);
        Assert.Equal("/srv/data", bind.S1);
        Assert.Equal("/data", bind.S2);
        Assert.Equal(set, bind.B);
        Assert.Equal(clear, bind.C);
        Assert.Equal(propagation, bind.D);
        Assert.Equal(options.Contains("rbind"), (bind.A & Linux.MS_REC) != 0);
    }

    [Fact]
    public void A_relative_bind_source_is_taken_from_the_bundle_and_a_file_source_gets_a_file_mount_point()
    {
        var ops = Compile(PlanFixture.Config(mounts: """, { "destination": "/etc/resolv.conf", "type": "bind", "source": "resolv.conf", "options": ["bind"] }""")).Operations;
        var bind = ops.Single(o => o.Kind == OpKind.Bind);
        Assert.Equal("/bundle/resolv.conf", bind.S1);
        Assert.Single(ops, o => o.Kind == OpKind.CreateFile && o.S1 == "/etc/resolv.conf");
        Assert.DoesNotContain(ops, o => o.Kind == OpKind.MkdirAll && o.S1 == "/etc/resolv.conf");
    }

    [Fact]
    public void Devices_are_made_below_their_resolved_parent_with_mode_and_owner_in_one_operation()
    {
        var ops = Compile(PlanFixture.Config(linux: """, "devices": [ { "type": "c", "path": "/dev/../dev/fuse", "major": 10, "minor": 229, "fileMode": 416, "uid": 7, "gid": 8 } ]""")).Operations;
        var fuse = ops.Single(o => o.Kind == OpKind.Mknod && o.S1 == "/dev/fuse");
        Assert.Equal(Linux.S_IFCHR | 416, fuse.A);
        Assert.Equal(Linux.MakeDev(10, 229), fuse.B);
        Assert.Equal((7L << 32) | 8, fuse.C);
        Assert.Equal(PathFlags.ExistingIsFine, fuse.Flags & PathFlags.ExistingIsFine);
        Assert.Single(ops, o => o.Kind == OpKind.Mknod && o.S1 == "/dev/null" && o.B == Linux.MakeDev(1, 3));
    }

    [Fact]
    public void In_a_user_namespace_devices_are_bound_from_the_host()
    {
        var ops = Compile(PlanFixture.Config(namespaces: """{ "type": "mount" }, { "type": "user" }""",
            linux: """, "uidMappings": [ { "containerID": 0, "hostID": 1000, "size": 1 } ], "gidMappings": [ { "containerID": 0, "hostID": 1000, "size": 1 } ]""")).Operations;
        Assert.DoesNotContain(ops, o => o.Kind == OpKind.Mknod);
        Assert.Single(ops, o => o.Kind == OpKind.Bind && o.S1 == "/dev/null" && o.S2 == "/dev/null");
    }

    [Fact]
    public void Masked_and_read_only_paths_are_container_paths_and_the_root_is_flagged()
    {
        var ops = Compile(PlanFixture.Config(linux: """, "maskedPaths": ["/proc/kcore", "/proc/../proc/keys"], "readonlyPaths": ["/proc/sys"]""")
            .Replace("\"root\": { \"path\": \"rootfs\" }", "\"root\": { \"path\": \"rootfs\", \"readonly\": true }")).Operations;
        Assert.Equal(["/proc/kcore", "/proc/keys"], ops.Where(o => o.Kind == OpKind.MaskPath).Select(o => o.S1!));
        Assert.Single(ops, o => o.Kind == OpKind.ReadonlyPath && o.S1 == "/proc/sys" && (o.Flags & PathFlags.Root) == 0);
        Assert.Single(ops, o => o.Kind == OpKind.ReadonlyPath && (o.Flags & PathFlags.Root) != 0);
    }

    [Fact]
    public void Proc_files_are_written_below_berths_own_procfs_handle()
    {
        var ops = Compile(PlanFixture.Config(process: """, "oomScoreAdj": 100""", namespaces: """{ "type": "mount" }, { "type": "network" }""",
            linux: """, "sysctl": { "net.ipv4.ip_forward": "1" }""")).Operations;
        Assert.Single(ops, o => o.Kind == OpKind.WriteFile && o.S1 == "self/oom_score_adj" && o.S2 == "100");
        Assert.Single(ops, o => o.Kind == OpKind.WriteFile && o.S1 == "sys/net/ipv4/ip_forward" && o.S2 == "1");
        Assert.DoesNotContain(ops, o => o.Kind == OpKind.WriteFile && o.S1!.StartsWith('/'));
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
        var exec = ops.Single(o => o.Kind == OpKind.Exec);
        Assert.Equal(["/bin/sh", "/work/sh", "/work/bin/sh"], exec.V1!);
        Assert.Equal(exec.V1, ops.Single(o => o.Kind == OpKind.CheckExec).V1);
        Assert.Same(exec, ops[^1]);
        var chdir = ops.Single(o => o.Kind == OpKind.Chdir);
        Assert.Equal("/work", chdir.S1);
        Assert.True(ops.IndexOf(chdir) < ops.IndexOf(exec));
    }

    [Fact]
    public void A_terminal_binds_the_pty_from_its_descriptor_onto_dev_console_for_create_but_not_for_exec()
    {
        string json = PlanFixture.Config(process: """, "terminal": true""");
        var ops = Compile(json).Operations;
        var ptmx = ops.Single(o => o.Kind == OpKind.OpenSlot && o.S1 == "/dev/ptmx");
        Assert.Equal(PathFlags.InRoot, ptmx.Flags & PathFlags.InRoot);
        Assert.Equal(Linux.MakeDev(5, 2), ptmx.C);
        var console = ops.Single(o => o.Kind == OpKind.Bind && o.S2 == "/dev/console");
        Assert.Null(console.S1);
        Assert.Equal(PathFlags.SourceSlot | PathFlags.NoSymlinks | ContainerPlan.ConsolePeerSlot, console.Flags);

        var exec = PlanCompiler.CompileExec(PlanFixture.Request(PlanFixture.Parse(json)), 4242).Operations;
        Assert.DoesNotContain(exec, o => o.Kind == OpKind.Bind);
    }

    [Fact]
    public void Exec_joins_the_containers_namespaces_then_opens_its_root()
    {
        var ops = PlanCompiler.CompileExec(PlanFixture.Request(PlanFixture.Parse(PlanFixture.Config())), 4242).Operations.ToList();
        Assert.Equal(["/proc/4242/ns/mnt", "/proc/4242/ns/pid"], ops.Where(o => o.Kind == OpKind.Setns).Select(o => o.S1!).Order());
        int lastJoin = ops.FindLastIndex(o => o.Kind is OpKind.Setns or OpKind.Fork);
        int open = ops.FindIndex(o => o.Kind == OpKind.OpenRoot);
        Assert.True(open > lastJoin, string.Join("\n", ops));
        Assert.Equal("/", ops[open].S1);
        Assert.True(open < ops.FindIndex(o => o.Kind == OpKind.Chdir));
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
