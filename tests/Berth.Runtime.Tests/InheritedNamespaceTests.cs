using System.Text.Json.Nodes;

namespace Berth.Runtime.Tests;

/// <summary>
/// A namespace type the config does not list is inherited from berth (runtime-spec; runtime-tools' linux_ns_itype):
/// mount included. Such a container shares berth's mount namespace, so its mounts are made below its rootfs there and
/// delete must detach them; settings that would change berth's own mounts are refused. --no-pivot must not leave a
/// full procfs reachable (runc's no_pivot.bats). Each container here gets a rootfs of its own: mounts made in the
/// host's namespace on the shared one would show in other tests' containers.
/// </summary>
public class InheritedNamespaceTests
{
    private static readonly string[] Kinds = ["mnt", "pid", "net", "ipc", "uts", "cgroup"];

    private static string OwnRootfs()
    {
        string rootfs = Path.Combine(Harness.WorkDir, "rootfs-" + Harness.NewId("own"));
        var r = Harness.Exec("bash", [Path.Combine(Harness.RepoRoot, "scripts/make-rootfs.sh"), rootfs]);
        Assert.True(r.ExitCode == 0, "make-rootfs.sh: " + r);
        return rootfs;
    }

    private static JsonObject NoNamespaces(string rootfs, params string[] args)
    {
        var config = Harness.BaseConfig(args);
        config["root"]!["path"] = rootfs;
        config.Remove("hostname");
        var linux = config["linux"]!.AsObject();
        linux["namespaces"] = new JsonArray();
        linux.Remove("maskedPaths");
        linux.Remove("readonlyPaths");
        return config;
    }

    private static string[] MountsBelow(string rootfs) =>
        File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(p => p.StartsWith(rootfs + "/", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void Every_namespace_not_listed_is_berths_own_and_the_mounts_go_with_delete()
    {
        string rootfs = OwnRootfs();
        try
        {
            string script = string.Join("; ", Kinds.Select(k => $"readlink /proc/self/ns/{k}")) + "; ls / | grep -c busybox-root-marker; cat /proc/self/mountinfo | grep -c ' /proc '";
            var config = NoNamespaces(rootfs, "sh", "-c", script);
            string id = Harness.NewId("inherit");
            var r = Harness.Run("run", "--bundle", Harness.Bundle(config), id);
            Assert.True(r.ExitCode == 0, r.ToString());
            string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < Kinds.Length; i++)
            {
                string host = new FileInfo($"/proc/self/ns/{Kinds[i]}").LinkTarget!;
                Assert.True(host == lines[i], $"{Kinds[i]}: container {lines[i]}, berth {host}");
            }
            // Chrooted into the rootfs, which has no marker of the host's root; its /proc is mounted.
            Assert.Equal("0", lines[Kinds.Length]);
            Assert.NotEqual("0", lines[Kinds.Length + 1]);
            // run removes the container: its mounts, made in this (the host's) namespace, are gone with it.
            Assert.Empty(MountsBelow(rootfs));
            Harness.AssertNothingLeft(id);
        }
        finally
        {
            foreach (string point in MountsBelow(rootfs).Reverse())
                Harness.Exec("umount", ["-l", point]);
            Directory.Delete(rootfs, recursive: true);
        }
    }

    [Fact]
    public void Exec_into_a_container_without_a_mount_namespace_lands_in_its_root()
    {
        string rootfs = OwnRootfs();
        string id = Harness.NewId("inherit-exec");
        try
        {
            File.WriteAllText(Path.Combine(rootfs, "exec-marker"), "inside\n");
            var r = Harness.Run("run", "--detach", "--bundle", Harness.Bundle(NoNamespaces(rootfs, "sleep", "60")), id);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.NotEmpty(MountsBelow(rootfs));
            var e = Harness.Run("exec", id, "cat", "/exec-marker");
            Assert.True(e.ExitCode == 0, e.ToString());
            Assert.Equal("inside\n", e.Stdout);
            var d = Harness.Run("delete", "--force", id);
            Assert.True(d.ExitCode == 0, d.ToString());
            Assert.Empty(MountsBelow(rootfs));
            Harness.AssertNothingLeft(id);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
            foreach (string point in MountsBelow(rootfs).Reverse())
                Harness.Exec("umount", ["-l", point]);
            Directory.Delete(rootfs, recursive: true);
        }
    }

    [Theory]
    [InlineData("linux.maskedPaths")]
    [InlineData("linux.readonlyPaths")]
    [InlineData("root.readonly")]
    [InlineData("linux.rootfsPropagation")]
    public void What_would_change_berths_own_mounts_is_refused(string field)
    {
        string rootfs = OwnRootfs();
        try
        {
            var config = NoNamespaces(rootfs, "true");
            switch (field)
            {
                case "linux.maskedPaths": config["linux"]!["maskedPaths"] = new JsonArray("/proc/kcore"); break;
                case "linux.readonlyPaths": config["linux"]!["readonlyPaths"] = new JsonArray("/proc/sys"); break;
                case "root.readonly": config["root"]!["readonly"] = true; break;
                default: config["linux"]!["rootfsPropagation"] = "rshared"; break;
            }
            Harness.AssertFailsLeavingNothing("run", Harness.Bundle(config), "inherit-refused", field, "mount namespace");
            Assert.Empty(MountsBelow(rootfs));
        }
        finally
        {
            Directory.Delete(rootfs, recursive: true);
        }
    }

    [Fact]
    public void No_pivot_leaves_no_full_procfs_to_mount_again()
    {
        // Inside a new user and mount namespace of its own, a process may mount procfs only where a full, unmasked
        // one is visible; with --no-pivot the host's /proc would be, unless berth detaches it (runc's no_pivot.bats).
        var config = Harness.BaseConfig("unshare", "-mrpf", "sh", "-c", "echo INSIDE; mount -t proc none /proc && echo MOUNTED");
        // Mapping root in the new user namespace needs CAP_SETFCAP (Linux 5.12), as runc's test gives it.
        foreach (string set in new[] { "bounding", "effective", "permitted" })
            config["process"]!["capabilities"]![set]!.AsArray().Add("CAP_SETFCAP");
        var r = Harness.RunContainer(config, "--no-pivot");
        Assert.True(r.Stdout.Contains("INSIDE"), "the nested namespaces were not made: " + r);
        Assert.DoesNotContain("MOUNTED", r.Stdout);
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains("ermission denied", r.Stderr + r.Stdout);
    }
}
