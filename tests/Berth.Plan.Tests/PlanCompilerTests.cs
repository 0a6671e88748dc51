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

    [Theory]
    [InlineData("\"rbind\", \"rro\"", 0x1, 0L)]
    [InlineData("\"rbind\", \"rro\", \"rnosuid\", \"rnodev\", \"rnoexec\", \"rnodiratime\", \"rnosymfollow\"", 0x1 | 0x2 | 0x4 | 0x8 | 0x80 | 0x200000, 0L)]
    [InlineData("\"rbind\", \"rrw\", \"rsuid\", \"rdev\", \"rexec\", \"rdiratime\", \"rsymfollow\"", 0L, 0x1 | 0x2 | 0x4 | 0x8 | 0x80 | 0x200000)]
    [InlineData("\"rbind\", \"rnoatime\"", 0x10, 0x70L)]
    [InlineData("\"rbind\", \"rstrictatime\"", 0x20, 0x70L)]
    [InlineData("\"rbind\", \"rrelatime\"", 0L, 0x70L)]
    [InlineData("\"rbind\", \"rnoatime\", \"ratime\"", 0L, 0x70L)]
    [InlineData("\"rbind\", \"rro\", \"rrw\"", 0L, 0x1L)]
    [InlineData("\"rbind\", \"rrw\", \"rro\"", 0x1, 0L)]
    public void Recursive_attribute_options_are_fields_of_the_bind_of_their_own(string options, long set, long clear)
    {
        var bind = Compile(PlanFixture.Config(mounts: $$""", { "destination": "/data", "type": "bind", "source": "/srv/data", "options": [{{options}}] }"""))
            .Operations.OfType<BindOp>().Single();
        Assert.Equal(set, bind.RecursiveSetAttributes);
        Assert.Equal(clear, bind.RecursiveClearAttributes);
        // They leave the top mount's own attributes alone: those come from ro, nosuid… (applied first).
        Assert.Equal((0L, 0L), (bind.SetAttributes, bind.ClearAttributes));
    }

    [Fact]
    public void Kubernetes_recursive_read_only_bind_prints_in_words()
    {
        var text = string.Join("\n", Compile(PlanFixture.Config(mounts: """, { "destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro", "rro", "nosuid"] }""")).Operations);
        Assert.Contains("bind /srv/data on /data recursive set ro,nosuid set-recursive ro    # bind /srv/data on /data (mounts[2])", text);
    }

    [Theory]
    [InlineData("\"rro\"", Linux.MS_RDONLY)]
    [InlineData("\"ro\", \"rrw\", \"rnosuid\"", Linux.MS_NOSUID)]
    [InlineData("\"noatime\", \"rstrictatime\"", Linux.MS_STRICTATIME)]
    public void Recursive_options_on_a_new_file_system_are_its_flags(string options, long flags)
    {
        var ops = Compile(PlanFixture.Config(mounts: $$""", { "destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": [{{options}}] }"""))
            .Operations.OfType<MountOp>().Where(o => o.Target.Value == "/t").ToList();
        var mount = Assert.Single(ops, o => o.Type == "tmpfs");
        // A read-only tmpfs is mounted writable and remounted read-only after pivot_root (as runc).
        var remount = ops.SingleOrDefault(o => (o.Flags & Linux.MS_REMOUNT) != 0);
        Assert.Equal(flags, mount.Flags | (remount is null ? 0 : remount.Flags & ~Linux.MS_REMOUNT));
        Assert.True(remount is null || ops.IndexOf(remount) > ops.IndexOf(mount));
        Assert.Null(mount.Data);
    }

    [Theory]
    [InlineData("ridmap")]
    [InlineData("rsync")]
    public void Recursive_options_berth_does_not_know_are_refused(string option)
    {
        var e = Assert.Throws<BerthException>(() => Compile(PlanFixture.Config(mounts: $$""", { "destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "{{option}}"] }""")));
        Assert.Contains($"mounts[2].options[1]: mount option \"{option}\"", e.Message);
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

    [Theory]
    // rootfsPropagation, the propagation of the host's mounts before the binds, the parent made private, the old root's
    // propagation before it is detached, the container root's own after pivot_root.
    [InlineData(null, Linux.MS_SLAVE | Linux.MS_REC, false, 0L, 0L)]
    [InlineData("rslave", Linux.MS_SLAVE | Linux.MS_REC, false, 0L, 0L)]
    [InlineData("slave", Linux.MS_SLAVE | Linux.MS_REC, false, 0L, 0L)]
    [InlineData("rprivate", Linux.MS_PRIVATE | Linux.MS_REC, false, 0L, 0L)]
    [InlineData("private", Linux.MS_SLAVE | Linux.MS_REC, false, 0L, Linux.MS_PRIVATE)]
    [InlineData("rshared", Linux.MS_SHARED | Linux.MS_REC, true, Linux.MS_SLAVE | Linux.MS_REC, Linux.MS_SHARED | Linux.MS_REC)]
    [InlineData("shared", Linux.MS_SLAVE | Linux.MS_REC, false, 0L, Linux.MS_SHARED)]
    [InlineData("unbindable", Linux.MS_SLAVE | Linux.MS_REC, false, 0L, Linux.MS_UNBINDABLE)]
    [InlineData("runbindable", Linux.MS_SLAVE | Linux.MS_REC, false, 0L, Linux.MS_UNBINDABLE | Linux.MS_REC)]
    public void Rootfs_propagation_is_set_on_the_containers_root_after_pivot_root(string? propagation, long before, bool parentPrivate, long oldRoot, long after)
    {
        var ops = Compile(PlanFixture.Config(linux: propagation is null ? "" : $$""", "rootfsPropagation": "{{propagation}}" """)).Operations.ToList();
        Assert.Equal(before, ops.OfType<HostMountOp>().First(o => o.Target == "/").Flags);
        int bind = ops.FindIndex(o => o is HostMountOp { Source: "/bundle/rootfs" });
        int parent = ops.FindIndex(o => o is HostMountOp { Flags: Linux.MS_PRIVATE });
        Assert.Equal(parentPrivate, parent >= 0);
        Assert.True(parent < bind);
        int pivot = ops.FindIndex(o => o is PivotRootOp);
        Assert.Equal(oldRoot, ((PivotRootOp)ops[pivot]).OldRootPropagation);
        var root = ops.OfType<MountOp>().Where(o => o.Field == "linux.rootfsPropagation").ToList();
        if (after == 0)
        {
            Assert.Empty(root);
            return;
        }
        var set = Assert.Single(root);
        Assert.Equal("/", set.Target.Value);
        Assert.Equal(after, set.Flags);
        // Right after pivot_root: on the container's own root, before the masks and read-only paths are mounted.
        Assert.Equal(pivot + 1, ops.IndexOf(set));
    }

    [Fact]
    public void Without_pivot_root_the_root_propagation_follows_the_move()
    {
        var request = PlanFixture.Request(PlanFixture.Parse(PlanFixture.Config(linux: """, "rootfsPropagation": "shared" """))) with { NoPivot = true };
        var ops = PlanCompiler.Compile(request).Operations.ToList();
        int move = ops.FindIndex(o => o is MoveRootOp);
        Assert.True(ops[move + 1] is MountOp { Field: "linux.rootfsPropagation", Flags: Linux.MS_SHARED });
    }

    [Fact]
    public void A_stacked_root_is_attached_on_its_mount_point_in_the_containers_namespace_after_the_host_mounts_are_slaves()
    {
        var stack = new StackedRoot("root.image", ["/store/layers/a/rootfs", "/store/layers/b/rootfs"], Writable: true);
        var request = PlanFixture.Request(PlanFixture.Parse(PlanFixture.Config())) with { Rootfs = "/run/berth/golden/rootfs", Stack = stack };
        var ops = PlanCompiler.Compile(request).Operations.ToList();
        var attach = Assert.Single(ops.OfType<AttachLayersOp>());
        Assert.Equal(("root.image", "/run/berth/golden/rootfs", true), (attach.Field, attach.MountPoint, attach.Writable));
        Assert.Equal(stack.Layers, attach.Layers);
        // Never a bind of the mount point onto itself (nothing is mounted there on the host to bind).
        Assert.DoesNotContain(ops, o => o is HostMountOp { Target: "/run/berth/golden/rootfs" });
        int slave = ops.FindIndex(o => o is HostMountOp { Target: "/" });
        Assert.True(slave >= 0 && slave < ops.IndexOf(attach), "the layers were attached before the host's mounts became slaves");
        var open = (OpenRootOp)ops[ops.IndexOf(attach) + 1];
        Assert.Equal(("root.image", "/run/berth/golden/rootfs"), (open.Field, open.HostPath));
        Assert.Equal("root.image", ops.OfType<PivotRootOp>().Single().Field);
        Assert.Contains("attach-layers /store/layers/b/rootfs /store/layers/a/rootfs (topmost first) under a writable tmpfs layer", PlanText.Render(attach));
    }

    [Fact]
    public void A_stacked_root_without_a_mount_namespace_of_its_own_is_refused_naming_its_field()
    {
        var request = PlanFixture.Request(PlanFixture.Parse(PlanFixture.Config(namespaces: """{ "type": "pid" }""")))
            with
        { Rootfs = "/run/berth/golden/rootfs", Stack = new StackedRoot("root.layers", ["/l"], Writable: false) };
        var e = Assert.Throws<BerthException>(() => PlanCompiler.Compile(request));
        Assert.StartsWith("root.layers: a root stacked from the store needs a mount namespace of the container's own", e.Message);
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
    public void The_pty_is_given_to_the_processs_uid_and_keeps_its_group()
    {
        string json = PlanFixture.Config(process: """, "terminal": true, "user": { "uid": 1000, "gid": 1000 }""");
        foreach (var ops in new[] { Compile(json).Operations.ToList(), PlanCompiler.CompileExec(PlanFixture.Request(PlanFixture.Parse(json)), 4242).Operations.ToList() })
        {
            var chown = ops.OfType<ChownSlotOp>().Single();
            Assert.Equal((ContainerPlan.ConsolePeerSlot, 1000u, -1L), (chown.Slot, chown.Uid, chown.Gid));
            // On the peer once it is open, and before the process gives up the privilege to change an owner.
            Assert.True(ops.FindIndex(o => o is PtyPeerOp) < ops.IndexOf(chown));
            Assert.True(ops.IndexOf(chown) < ops.FindIndex(o => o is SetResUidOp));
        }
        // Root's pty is root's already.
        Assert.Empty(Compile(PlanFixture.Config(process: """, "terminal": true""")).Operations.OfType<ChownSlotOp>());
    }

    [Theory]
    [InlineData("\"PATH=/bin\"", true, new[] { "PATH=/bin" })]
    [InlineData("\"PATH=/bin\", \"HOME=\"", true, new[] { "PATH=/bin" })]
    [InlineData("\"HOME=/srv\", \"PATH=/bin\"", false, new[] { "HOME=/srv", "PATH=/bin" })]
    public void Home_is_looked_up_in_the_containers_passwd_when_the_config_has_none(string env, bool lookup, string[] execEnv)
    {
        string json = PlanFixture.Config(env: env, process: """, "user": { "uid": 1000, "gid": 1000 }""");
        foreach (var ops in new[] { Compile(json).Operations.ToList(), PlanCompiler.CompileExec(PlanFixture.Request(PlanFixture.Parse(json)), 4242).Operations.ToList() })
        {
            Assert.Equal(execEnv, ops.OfType<ExecOp>().Single().Env);
            var home = ops.OfType<HomeFromPasswdOp>().SingleOrDefault();
            Assert.Equal(lookup, home is not null);
            if (home is null)
                continue;
            Assert.Equal(("/etc/passwd", 1000u, "/"), (home.File.Value, home.Uid, home.Default));
            // Read after the mounts and pivot_root (a volume may hold it), while the process is still root.
            Assert.True(ops.FindIndex(o => o is PivotRootOp or OpenRootOp) < ops.IndexOf(home));
            Assert.True(ops.IndexOf(home) < ops.FindIndex(o => o is DropBoundingOp));
        }
    }

    [Fact]
    public void Without_a_mount_namespace_the_rootfs_is_only_opened_and_chrooted_into()
    {
        var ops = Compile(PlanFixture.Config(namespaces: "{ \"type\": \"pid\" }")).Operations.ToList();
        Assert.DoesNotContain(ops, o => o is HostMountOp or PivotRootOp);
        int open = ops.FindIndex(o => o is OpenRootOp);
        int chroot = ops.FindIndex(o => o is MoveRootOp { HostPath: null });
        int proc = ops.FindIndex(o => o is MountOp { Type: "proc" });
        Assert.True(open >= 0 && open < proc && proc < chroot, string.Join("\n", ops));
        Assert.Contains(ops, o => o is MountOp { Type: "sysfs" });
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

    private static string Caps(string sets) => $$""", "capabilities": { {{sets}} }""";

    [Fact]
    public void Ambient_capabilities_outside_inheritable_and_permitted_are_left_out_with_a_warning()
    {
        // What `runc spec` writes: ambient capabilities, no inheritable set. runc goes on without raising them.
        const string three = """["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]""";
        var plan = Compile(PlanFixture.Config(process: Caps($"\"bounding\": {three}, \"effective\": {three}, \"permitted\": {three}, \"ambient\": {three}")));
        Assert.Empty(plan.Operations.OfType<AmbientOp>());
        Assert.Equal(3, plan.Warnings.Count);
        Assert.StartsWith("process.capabilities.ambient[1]: CAP_KILL is not in both the inheritable and the permitted set", plan.Warnings[1]);
    }

    [Fact]
    public void Ambient_capabilities_in_inheritable_and_permitted_are_raised_and_only_those()
    {
        var plan = Compile(PlanFixture.Config(process: Caps("""
            "bounding": ["CAP_KILL", "CAP_CHOWN", "CAP_NET_RAW"], "permitted": ["CAP_KILL", "CAP_CHOWN"],
            "inheritable": ["CAP_KILL", "CAP_NET_RAW"], "ambient": ["CAP_KILL", "CAP_CHOWN", "CAP_NET_RAW"]
            """)));
        Assert.Equal(1UL << 5, Assert.Single(plan.Operations.OfType<AmbientOp>()).Raise);
        Assert.Equal(["process.capabilities.ambient[1]", "process.capabilities.ambient[2]"], plan.Warnings.Select(w => w[..w.IndexOf(':')]));
    }

    [Fact]
    public void Unknown_capability_names_are_left_out_not_refused()
    {
        var plan = Compile(PlanFixture.Config(process: Caps("""
            "bounding": ["CAP_KILL", "CAP_NO_SUCH_THING"], "effective": ["CAP_NO_SUCH_THING"], "permitted": ["CAP_KILL"]
            """)));
        var capset = plan.Operations.OfType<CapsetOp>().Single();
        Assert.Equal((0UL, 1UL << 5), (capset.Effective, capset.Permitted));
        Assert.Equal(1UL << 5, plan.Operations.OfType<DropBoundingOp>().Single().Keep);
        // The config's validation already warned about the name (SpecRules): no second warning from the plan.
        Assert.Empty(plan.Warnings);
    }

    [Fact]
    public void Capabilities_the_kernel_lacks_are_left_out_with_a_warning()
    {
        var request = PlanFixture.Request(PlanFixture.Parse(PlanFixture.Config(process: Caps("""
            "bounding": ["CAP_KILL", "CAP_CHECKPOINT_RESTORE"], "permitted": ["CAP_BPF"]
            """)))) with { Host = PlanFixture.Host with { LastCapability = 38 } };
        var plan = PlanCompiler.Compile(request);
        Assert.Equal(1UL << 5, plan.Operations.OfType<DropBoundingOp>().Single().Keep);
        Assert.Equal(["process.capabilities.bounding[1]: this kernel does not have CAP_CHECKPOINT_RESTORE (its last capability is CAP_PERFMON); left out, as runc does",
            "process.capabilities.permitted[0]: this kernel does not have CAP_BPF (its last capability is CAP_PERFMON); left out, as runc does"], plan.Warnings);
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
