using Berth.Images;

namespace Berth.Runtime.Tests;

/// <summary>
/// Roots by digest (issue 13), end to end: a real OCI layout built offline in the test's setup with umoci from the
/// busybox rootfs, imported into a content store with the library, then run by the published berth from
/// <c>root.image</c> (the image's Cmd, Env, WorkingDir and User filling in the process), from <c>root.layers</c>, and
/// read-only; two containers on the same layers see only their own writes; delete removes the container's layer and
/// leaves the store as it was; a directory root pinned by <c>root.digest</c> is refused when it differs.
/// </summary>
public class RootImageTests
{
    /// <summary>The store and the images imported into it, built once for the test run.</summary>
    private static readonly Lazy<ImageFixture> Fixture = new(ImageFixture.Build);

    private static ImageFixture Images()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksRoot);
        HostSupport.SkipIfLacking(HostSupport.LacksProgram("umoci", "umoci"));
        Skip.IfNot(Overlay.Available(out string reason), reason);
        var images = Fixture.Value;
        HostSupport.SkipIfLacking(OverlayRefusal.Value);
        return images;
    }

    /// <summary>Whether this kernel's overlayfs takes what berth gives it — every layer by descriptor and a detached tmpfs
    /// as the writable layer (Linux 6.15 on): asked by running a container from the image once, and only berth's own
    /// sentence for that refusal (which names the kernel version) counts as the host lacking it. Null when it can.</summary>
    private static readonly Lazy<string?> OverlayRefusal = new(() =>
    {
        var images = Fixture.Value;
        var probe = Berth(images, "run", "--bundle", Harness.Bundle(WithArgs(ImageConfig(images.Image.Digest.ToString()), "true")), Harness.NewId("img-probe"));
        return probe.ExitCode != 0 && probe.Stderr.Contains("from Linux 6.15 on", StringComparison.Ordinal)
            ? $"this kernel's overlayfs refuses berth's stack: {probe.Stderr.Trim()}" : null;
    });

    /// <summary>The host's view of a running container's root: /proc/PID/root of its process.</summary>
    private static string RootOf(ImageFixture images, string id) => $"/proc/{PidOf(images, id)}/root";

    private static int PidOf(ImageFixture images, string id)
    {
        var state = Berth(images, "state", id);
        Assert.True(state.ExitCode == 0, state.ToString());
        return JsonNode.Parse(state.Stdout)!["pid"]!.GetValue<int>();
    }

    /// <summary>berth with the tests' state root and, when the binary has the global --store flag, the test store.</summary>
    private static BerthResult Berth(ImageFixture images, params string[] args) =>
        Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, .. images.StoreArguments, .. args]);

    /// <summary>The usual test config with root.image and the process left to the image (no args, env, cwd, user).</summary>
    private static JsonObject ImageConfig(string image)
    {
        var config = Harness.BaseConfig();
        var process = config["process"]!.AsObject();
        foreach (string member in new[] { "args", "env", "cwd", "user" })
            process.Remove(member);
        config["root"] = new JsonObject { ["image"] = image };
        return config;
    }

    private static JsonObject WithArgs(JsonObject config, string script)
    {
        config["process"]!["args"] = new JsonArray("sh", "-c", script);
        config["process"]!["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 };
        return config;
    }

    [SkippableFact]
    public void Run_from_an_image_takes_its_cmd_env_working_dir_and_user()
    {
        var images = Images();
        var r = Berth(images, "run", "--bundle", Harness.Bundle(ImageConfig(images.Image.Digest.ToString())), Harness.NewId("img"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("the image's cmd ran in /opt as 1234:2345 GREETING=from-the-image", r.Stdout);
        Assert.Contains("from the second layer", r.Stdout);
    }

    [SkippableFact]
    public void The_author_wins_over_the_image_and_the_recorded_config_shows_the_image_values()
    {
        var images = Images();
        var config = ImageConfig(images.Image.Digest.ToString());
        config["process"]!["env"] = new JsonArray("GREETING=from-the-author");
        config["process"]!["args"] = new JsonArray("sh", "-c", "echo GREETING=$GREETING PATH=$PATH cwd=$(pwd); sleep 30");
        string id = Harness.NewId("img-author");
        var r = Berth(images, "run", "--detach", "--bundle", Harness.Bundle(config), id);
        Assert.True(r.ExitCode == 0, r.ToString());
        try
        {
            var recorded = JsonNode.Parse(File.ReadAllText(Path.Combine(Harness.StateRoot, id, "config.json")))!;
            Assert.Equal(images.Image.Digest.ToString(), (string?)recorded["root"]!["image"]);
            Assert.Equal("/opt", (string?)recorded["process"]!["cwd"]);
            Assert.Equal("""["PATH=/usr/sbin:/usr/bin:/sbin:/bin","GREETING=from-the-author"]""", recorded["process"]!["env"]!.ToJsonString());
            Assert.Equal(1234, (int)recorded["process"]!["user"]!["uid"]!);
            var exec = Berth(images, "exec", id, "cat", "/etc/layer2.txt");
            Assert.True(exec.ExitCode == 0, exec.ToString());
            Assert.Contains("from the second layer", exec.Stdout);

            // What image rm asks: the image and each of its layers (by diff_id and by blob digest) are in use.
            var usage = new Lifecycle.ContainerRuntime(new State.StateStore(Harness.StateRoot)).StoreUsage(images.Store);
            Assert.Equal(id, usage(images.Image.Digest));
            Assert.Equal(id, usage(images.Image.Layers[0].DiffId));
            Assert.Equal(id, usage(images.Image.Layers[2].Digest));
        }
        finally
        {
            Berth(images, "delete", "--force", id);
        }
        Harness.AssertNothingLeft(id);
        var after = new Lifecycle.ContainerRuntime(new State.StateStore(Harness.StateRoot)).StoreUsage(images.Store);
        Assert.Null(after(images.Image.Digest));
    }

    [SkippableFact]
    public void Two_containers_on_the_same_layers_see_only_their_own_writes_and_delete_keeps_the_store()
    {
        var images = Images();
        string image = images.Image.Digest.ToString();
        string a = Harness.NewId("img-a"), b = Harness.NewId("img-b");
        var ra = Berth(images, "run", "--detach", "--bundle", Harness.Bundle(WithArgs(ImageConfig(image),
            "echo written-by-a > /etc/layer2.txt; echo a > /only-a; sleep 30")), a);
        Assert.True(ra.ExitCode == 0, ra.ToString());
        try
        {
            string rootOfA = RootOf(images, a);
            for (int i = 0; i < 500 && !File.Exists(Path.Combine(rootOfA, "only-a")); i++)
                Thread.Sleep(10);
            Assert.True(File.Exists(Path.Combine(rootOfA, "only-a")), "A's write is not in its root");
            // A's layer is a tmpfs of its own in its mount namespace: nothing of it is mounted on the host, the shared
            // mount point of the state root stays empty there, nothing is in the store.
            string mounts = File.ReadAllText("/proc/self/mountinfo");
            Assert.DoesNotContain(a, mounts);
            Assert.DoesNotContain("@layers", mounts);
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(Harness.StateRoot, "@layers")));
            Assert.DoesNotContain(images.Image.Layers, l => File.Exists(Path.Combine(l.Path, "only-a")));

            var rb = Berth(images, "run", "--bundle", Harness.Bundle(WithArgs(ImageConfig(image),
                "cat /etc/layer2.txt; ls /only-a 2>&1; echo b > /only-b; cat /only-b")), b);
            Assert.True(rb.ExitCode == 0, rb.ToString());
            Assert.Contains("from the second layer", rb.Stdout);
            Assert.DoesNotContain("written-by-a", rb.Stdout);
            Assert.Contains("No such file", rb.Stdout);
            Assert.EndsWith("\nb\n", rb.Stdout);

            var seenByA = Berth(images, "exec", a, "sh", "-c", "cat /etc/layer2.txt; ls /only-b 2>&1");
            Assert.Contains("written-by-a", seenByA.Stdout);
            Assert.Contains("No such file", seenByA.Stdout);
        }
        finally
        {
            // No assert here: it would hide the failure that brought us here; what is left is checked below.
            Berth(images, "delete", "--force", a);
        }
        Harness.AssertNothingLeft(a);
        Harness.AssertNothingLeft(b);
        Assert.Equal("from the second layer\n", File.ReadAllText(Path.Combine(images.Image.Layers[1].Path, "etc", "layer2.txt")));
        Assert.Empty(images.Store.Verify());
    }

    [SkippableFact]
    public void Delete_leaves_nothing_of_what_the_container_wrote_however_deep_and_whatever_its_names()
    {
        var images = Images();
        string id = Harness.NewId("img-deep");
        // 300 levels (more than berth keeps descriptors for), a name that is not UTF-8, a link pointing out.
        var r = Berth(images, "run", "--detach", "--bundle", Harness.Bundle(WithArgs(ImageConfig(images.Image.Digest.ToString()),
            "cd /; for i in $(seq 300); do mkdir d; cd d; done; echo deep > f; printf x > \"/$(printf 'bad\\377name')\"; ln -s /etc /link; echo done > /ready; sleep 30")), id);
        Assert.True(r.ExitCode == 0, r.ToString());
        BerthResult delete;
        try
        {
            string root = RootOf(images, id);
            for (int i = 0; i < 1000 && !File.Exists(Path.Combine(root, "ready")); i++)
                Thread.Sleep(10);
            Assert.True(File.Exists(Path.Combine(root, "ready")), "the container did not finish writing");
        }
        finally
        {
            delete = Berth(images, "delete", "--force", id);
        }
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.DoesNotContain("warning", delete.Stderr);
        Harness.AssertNothingLeft(id);
        Assert.Empty(images.Store.Verify());
    }

    [SkippableFact]
    public void A_run_killed_at_any_moment_leaves_what_delete_force_removes_mount_and_layer_included()
    {
        var images = Images();
        string bundle = Harness.Bundle(WithArgs(ImageConfig(images.Image.Digest.ToString()), "echo x > /written; sleep 5"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var whole = Berth(images, "run", "--bundle", Harness.Bundle(WithArgs(ImageConfig(images.Image.Digest.ToString()), "true")), Harness.NewId("img-kill"));
        Assert.True(whole.ExitCode == 0, whole.ToString());
        double duration = clock.Elapsed.TotalMilliseconds;
        for (int trial = 0; trial < 12; trial++)
        {
            string id = Harness.NewId("img-kill");
            var psi = new System.Diagnostics.ProcessStartInfo(Harness.Berth) { UseShellExecute = false, RedirectStandardInput = true };
            foreach (string a in (string[])["--root", Harness.StateRoot, .. images.StoreArguments, "run", "--bundle", bundle, id])
                psi.ArgumentList.Add(a);
            using (var p = System.Diagnostics.Process.Start(psi)!)
            {
                var after = TimeSpan.FromMilliseconds(duration * trial / 10);
                var started = System.Diagnostics.Stopwatch.StartNew();
                while (started.Elapsed < after && !p.HasExited)
                    Thread.SpinWait(50);
                if (!p.HasExited)
                    p.Kill();
                p.WaitForExit();
            }
            var delete = Berth(images, "delete", "--force", id);
            Assert.True(delete.ExitCode == 0, $"trial {trial}: {delete}");
            Harness.AssertNothingLeft(id);
        }
        Assert.Empty(images.Store.Verify());
    }

    [SkippableFact]
    public void A_container_holds_up_image_rm_in_its_own_store_only_even_where_another_store_has_the_same_digests()
    {
        var images = Images();
        string image = images.Image.Digest.ToString();
        string other = Path.Combine(Harness.WorkDir, Harness.NewId("other-store"));
        var copy = new ImageStore(other).Import(images.Layout);
        Assert.Equal(images.Image.Digest, copy.Digest);
        string id = Harness.NewId("img-store");
        var r = Berth(images, "run", "--detach", "--bundle", Harness.Bundle(WithArgs(ImageConfig(image), "sleep 30")), id);
        Assert.True(r.ExitCode == 0, r.ToString());
        try
        {
            var ownStore = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, .. images.StoreArguments, "image", "rm", image]);
            Assert.Equal(1, ownStore.ExitCode);
            Assert.Contains($"is used by the container \"{id}\"", ownStore.Stderr);
            var otherStore = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, "--store", other, "image", "rm", image]);
            Assert.True(otherStore.ExitCode == 0, otherStore.ToString());
        }
        finally
        {
            Berth(images, "delete", "--force", id);
        }
        Harness.AssertNothingLeft(id);
    }

    /// <summary>The container's writable layer is memory, charged to the container's memory cgroup: a write to its root
    /// beyond linux.resources.memory.limit ends in the OOM killer, not in the host's memory (README, "Trusted roots").</summary>
    [SkippableFact]
    public void Writes_to_a_stacked_root_count_against_the_containers_memory_limit()
    {
        var images = Images();
        Skip.If(HostSupport.ControllerVersion("memory") is null, "this host has no memory controller");
        var config = WithArgs(ImageConfig(images.Image.Digest.ToString()), "dd if=/dev/zero of=/big bs=1M count=64 2>/dev/null; echo status=$?");
        config["linux"]!["resources"] = new JsonObject { ["memory"] = new JsonObject { ["limit"] = 32L * 1024 * 1024 } };
        string id = Harness.NewId("img-memory");
        var r = Berth(images, "run", "--bundle", Harness.Bundle(config), id);
        // dd is killed (SIGKILL: 128 + 9) once the layer's pages reach the limit; the container's shell goes on.
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("status=137\n", r.Stdout);
        Harness.AssertNothingLeft(id);
    }

    [SkippableFact]
    public void Root_layers_stacks_the_named_layers_bottom_first()
    {
        var images = Images();
        var config = Harness.BaseConfig("sh", "-c", "cat /etc/layer2.txt; test -e /opt/hello.sh && echo third || echo no-third");
        config["root"] = new JsonObject { ["layers"] = new JsonArray(images.Image.Layers.Take(2).Select(l => (JsonNode)l.DiffId.ToString()).ToArray()) };
        var r = Berth(images, "run", "--bundle", Harness.Bundle(config), Harness.NewId("img-layers"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("from the second layer", r.Stdout);
        Assert.Contains("no-third", r.Stdout);
    }

    [SkippableTheory]
    [InlineData(3)]
    [InlineData(1)]
    public void A_read_only_image_root_has_no_writable_root_and_no_upper_layer(int layers)
    {
        var images = Images();
        var config = Harness.BaseConfig("sh", "-c", "touch /x 2>&1; ls /bin/busybox");
        config["root"] = layers == 3
            ? new JsonObject { ["image"] = images.Image.Digest.ToString(), ["readonly"] = true }
            : new JsonObject { ["layers"] = new JsonArray(images.Image.Layers[0].DiffId.ToString()), ["readonly"] = true };
        string id = Harness.NewId("img-ro");
        var detached = JsonNode.Parse(config.ToJsonString())!.AsObject();
        detached["process"]!["args"] = new JsonArray("sleep", "30");
        var r = Berth(images, "run", "--detach", "--bundle", Harness.Bundle(detached), id);
        Assert.True(r.ExitCode == 0, r.ToString());
        try
        {
            // The root as the container's mount namespace has it: no writable layer at all.
            string rootMount = File.ReadLines($"/proc/{PidOf(images, id)}/mountinfo").First(l => l.Split(' ')[4] == "/");
            Assert.DoesNotContain("upperdir", rootMount);
        }
        finally
        {
            Berth(images, "delete", "--force", id);
        }
        var run = Berth(images, "run", "--bundle", Harness.Bundle(config), Harness.NewId("img-ro"));
        Assert.Contains("Read-only file system", run.Stdout);
        Assert.Contains("/bin/busybox", run.Stdout);
        Harness.AssertNothingLeft(id);
    }

    /// <summary>The shared mount point of stacked roots is opened without following links: a link planted in its place
    /// (pointing at a directory standing for the host) makes create fail naming it, and nothing lands on the target.</summary>
    [SkippableFact]
    public void A_link_planted_as_the_mount_point_of_stacked_roots_is_refused_and_its_target_untouched()
    {
        var images = Images();
        string stateRoot = Path.Combine(Harness.WorkDir, Harness.NewId("planted-root"));
        string target = Path.Combine(Harness.WorkDir, Harness.NewId("planted-target"));
        Directory.CreateDirectory(stateRoot);
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "canary"), "host\n");
        File.CreateSymbolicLink(Path.Combine(stateRoot, "@layers"), target);
        string id = Harness.NewId("img-planted");
        var r = Harness.Exec(Harness.Berth, ["--root", stateRoot, .. images.StoreArguments, "run", "--bundle",
            Harness.Bundle(WithArgs(ImageConfig(images.Image.Digest.ToString()), "echo written > /canary")), id]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"root.image: the mount point of stacked roots {Path.Combine(stateRoot, "@layers")} is not a directory", r.Stderr);
        Assert.Equal("host\n", File.ReadAllText(Path.Combine(target, "canary")));
        Assert.Equal(["canary"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName));
        Assert.DoesNotContain(target, File.ReadAllText("/proc/self/mountinfo"));
        Harness.AssertNothingLeft(id, stateRoot);
    }

    [SkippableFact]
    public void A_rootless_berth_refuses_an_image_root_saying_why_and_leaving_nothing()
    {
        var images = Images();
        var config = WithArgs(ImageConfig(images.Image.Digest.ToString()), "true");
        string id = Harness.NewId("img-rootless");
        var r = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, "--rootless", "true", .. images.StoreArguments, "run", "--bundle", Harness.Bundle(config), id]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("root.image: a rootless berth cannot stack the image's layers", r.Stderr);
        Assert.Contains("root.path", r.Stderr);
        Harness.AssertNothingLeft(id);
    }

    [SkippableFact]
    public void An_image_the_store_does_not_have_is_refused_naming_root_image_and_leaving_nothing()
    {
        var images = Images();
        string missing = "sha256:" + new string('d', 64);
        var config = Harness.BaseConfig("true");
        config["root"] = new JsonObject { ["image"] = missing };
        string id = Harness.NewId("img-missing");
        var r = Berth(images, "run", "--bundle", Harness.Bundle(config), id);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("root.image", r.Stderr);
        Assert.Contains(missing, r.Stderr);
        Harness.AssertNothingLeft(id);
    }

    [SkippableFact]
    public void A_layer_whose_fs_verity_manifest_does_not_measure_as_recorded_is_refused_leaving_nothing()
    {
        var images = Images();
        // A store of the test's own (the fixture's must stay as imported), with images.json recording a digest for the
        // middle layer's manifest that it cannot have: on this kernel (no fs-verity) there is no manifest to measure;
        // where there is one, it measures to its real digest. Either way create measures it and refuses.
        string store = Path.Combine(Harness.WorkDir, Harness.NewId("verity-store"));
        var image = new ImageStore(store).Import(images.Layout);
        var layer = image.Layers[1].DiffId;
        string forged = "sha256:" + new string('e', 64);
        string indexPath = Path.Combine(store, "images.json");
        var index = JsonNode.Parse(File.ReadAllText(indexPath))!;
        index["layers"]![layer.Hex]!["verity"] = forged;
        File.WriteAllText(indexPath, index.ToJsonString());

        string id = Harness.NewId("img-verity");
        var r = Harness.Exec(Harness.Berth, ["--root", Harness.StateRoot, "--store", store, "run", "--bundle", Harness.Bundle(WithArgs(ImageConfig(image.Digest.ToString()), "true")), id]);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains($"root.image: the fs-verity manifest of the layer {layer} ", r.Stderr);
        Assert.Contains(forged, r.Stderr);
        Assert.Contains("run berth image verify", r.Stderr);
        Harness.AssertNothingLeft(id);
        Assert.Contains(new ImageStore(store).Verify(), p => p.Contains(forged, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void A_create_that_fails_after_the_layers_are_mounted_leaves_no_mount_and_no_layer()
    {
        var images = Images();
        var config = WithArgs(ImageConfig(images.Image.Digest.ToString()), "true");
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/data", ["type"] = "bind", ["source"] = "/nonexistent-berth-source", ["options"] = new JsonArray("bind") });
        string id = Harness.NewId("img-fail");
        var r = Berth(images, "run", "--bundle", Harness.Bundle(config), id);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/nonexistent-berth-source", r.Stderr);
        Harness.AssertNothingLeft(id);
        Assert.Empty(images.Store.Verify());
    }

    [SkippableFact]
    public void A_directory_root_pinned_by_its_tree_digest_runs_and_a_mismatch_is_refused_leaving_nothing()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksRoot);
        string actual = TreeDigest.Compute(Harness.Rootfs).ToString();
        var config = Harness.BaseConfig("true");
        config["root"]!["digest"] = actual;
        var ok = Harness.RunContainer(config);
        Assert.True(ok.ExitCode == 0, ok.ToString());

        string wrong = "sha256:" + new string('0', 64);
        config["root"]!["digest"] = wrong;
        var r = Harness.AssertFailsLeavingNothing("run", Harness.Bundle(config), "img-digest", "root.digest", wrong, actual);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [SkippableFact]
    public void A_yaml_bundle_from_an_image_records_where_each_value_came_from()
    {
        var images = Images();
        string bundle = Path.Combine(Harness.WorkDir, "bundles", Harness.NewId("img-yaml-bundle"));
        Directory.CreateDirectory(bundle);
        File.WriteAllText(Path.Combine(bundle, "config.yaml"), $"""
            ociVersion: 1.3.0
            root: {"{"}image: "{images.Image.Digest}"{"}"}
            process:
              args: [sh, -c, 'echo "GREETING=$GREETING cwd=$(pwd) uid=$(id -u)"; sleep 30']
            linux:
              namespaces: [pid, mount, ipc, uts, network]
            """);
        string id = Harness.NewId("img-yaml");
        var r = Berth(images, "run", "--detach", "--bundle", bundle, id);
        Assert.True(r.ExitCode == 0, r.ToString());
        try
        {
            string provenance = File.ReadAllText(Path.Combine(Harness.StateRoot, id, "config.provenance.json"));
            string image = "image " + images.Image.Digest.ToString()[..19];
            Assert.Contains($"\"/process/cwd\": \"{image} WorkingDir\"", provenance);
            Assert.Contains($"\"/process/user/uid\": \"{image} User \\\"app\\\"\"", provenance);
            Assert.Contains("config.yaml:4:", provenance);
        }
        finally
        {
            Berth(images, "delete", "--force", id);
        }
        Harness.AssertNothingLeft(id);
    }

    [SkippableFact]
    public void Compile_explain_says_which_values_came_from_the_image()
    {
        var images = Images();
        string dir = Path.Combine(Harness.WorkDir, Harness.NewId("img-yaml"));
        Directory.CreateDirectory(dir);
        string yaml = Path.Combine(dir, "config.yaml");
        File.WriteAllText(yaml, $"ociVersion: 1.3.0\nroot:\n  image: \"{images.Image.Digest}\"\nprocess:\n  cwd: /\n");
        var r = Berth(images, "compile", "--explain", yaml);
        Assert.True(r.ExitCode == 0, r.ToString());
        string image = "image " + images.Image.Digest.ToString()[..19];
        Assert.Matches(@"process\.args\[0\] = ""/bin/sh"" +" + System.Text.RegularExpressions.Regex.Escape(image) + " Cmd", r.Stdout);
        Assert.Matches(@"process\.env\[\d\] = ""GREETING=from-the-image"" +" + System.Text.RegularExpressions.Regex.Escape(image) + " Env", r.Stdout);
        Assert.Matches(@"process\.user\.uid = 1234 +" + System.Text.RegularExpressions.Regex.Escape(image) + @" User ""app""", r.Stdout);
        Assert.Contains("process.cwd = \"/\"", r.Stdout);
    }
}

/// <summary>
/// A three-layer image built with umoci from the tests' busybox rootfs and imported into a store: the rootfs; then
/// /etc/layer2.txt (umoci insert); then /opt/hello.sh and an /etc/passwd and /etc/group naming the user "app"
/// (1234:2345), repacked from an unpacked copy. Its
/// config: Cmd /bin/sh /opt/hello.sh, Env GREETING=from-the-image, WorkingDir /opt, User app.
/// </summary>
internal sealed class ImageFixture
{
    public required ImageStore Store { get; init; }
    public required ImageRecord Image { get; init; }

    /// <summary>The OCI layout reference the image was imported from (layout:tag).</summary>
    public required string Layout { get; init; }

    /// <summary>"--store DIR" when berth has the global flag (the command line's, connected by the integrator); else
    /// nothing, and the image was imported into berth's default store, where berth looks without the flag.</summary>
    public required string[] StoreArguments { get; init; }

    public static ImageFixture Build()
    {
        string directory = Path.Combine(Harness.WorkDir, "image-fixture");
        string layout = Path.Combine(directory, "layout");
        string bundle = Path.Combine(directory, "bundle");
        Directory.CreateDirectory(directory);
        Tool(directory, "umoci", "init", "--layout", layout);
        Tool(directory, "umoci", "new", "--image", layout + ":bb3");
        Tool(directory, "umoci", "unpack", "--image", layout + ":bb3", bundle);
        Tool(directory, "cp", "-a", Harness.Rootfs + "/.", Path.Combine(bundle, "rootfs"));
        Tool(directory, "umoci", "repack", "--image", layout + ":bb3", bundle);

        string second = Path.Combine(directory, "layer2.txt");
        File.WriteAllText(second, "from the second layer\n");
        Tool(directory, "umoci", "insert", "--image", layout + ":bb3", second, "/etc/layer2.txt");

        // The third layer: what changed in an unpacked copy, as an image build step makes it.
        Tool(directory, "rm", "-rf", bundle);
        Tool(directory, "umoci", "unpack", "--image", layout + ":bb3", bundle);
        string third = Path.Combine(bundle, "rootfs");
        Directory.CreateDirectory(Path.Combine(third, "opt"));
        File.WriteAllText(Path.Combine(third, "opt", "hello.sh"), "echo \"the image's cmd ran in $(pwd) as $(id -u):$(id -g) GREETING=$GREETING\"\ncat /etc/layer2.txt\n");
        File.WriteAllText(Path.Combine(third, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345:app:/opt:/bin/sh\n");
        File.WriteAllText(Path.Combine(third, "etc", "group"), "root:x:0:\napp:x:2345:\n");
        Tool(directory, "umoci", "repack", "--image", layout + ":bb3", bundle);
        Tool(directory, "umoci", "config", "--image", layout + ":bb3", "--config.cmd", "/bin/sh", "--config.cmd", "/opt/hello.sh",
            "--config.env", "GREETING=from-the-image", "--config.env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            "--config.workingdir", "/opt", "--config.user", "app");

        string testStore = Path.Combine(directory, "store");
        bool hasStoreFlag = Harness.Exec(Harness.Berth, ["--store", testStore, "--version"]).ExitCode == 0;
        bool defaultStoreWasThere = Directory.Exists(ImageStore.DefaultRoot());
        var store = new ImageStore(hasStoreFlag ? testStore : null);
        var image = store.Import(layout + ":bb3");
        if (!hasStoreFlag)
        {
            // Taken out of the default store again when the tests end (layers no other image uses go with it).
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try
                {
                    store.Remove(image.Digest.ToString(), _ => null);
                    if (!defaultStoreWasThere)
                        Directory.Delete(store.Root, recursive: true);
                }
                catch (Exception e) when (e is ImageException or IOException)
                {
                }
            };
        }
        Assert.Equal(3, image.Layers.Count);
        return new ImageFixture { Store = store, Image = image, Layout = layout + ":bb3", StoreArguments = hasStoreFlag ? ["--store", testStore] : [] };
    }

    private static void Tool(string directory, string program, params string[] arguments)
    {
        var r = Harness.Exec(program, arguments, workingDirectory: directory, timeoutMs: 180_000);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {r}");
    }
}
