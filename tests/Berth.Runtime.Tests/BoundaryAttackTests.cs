using System.Security.Cryptography;

namespace Berth.Runtime.Tests;

/// <summary>
/// Issue 9, the container boundary: each test is an attack, written as a container program (a busybox script or a
/// small static C program compiled here) that tries to reach a canary on the host standing for a host file. A test
/// fails while the attack works. The runtime under attack is berth; BERTH_ATTACK_RUNTIME=/usr/sbin/runc runs the same
/// attacks against runc for comparison (they use only runc-compatible commands).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class BoundaryAttackTests
{
    // ---------------------------------------------------------------------------------------------------------------
    // 1. The binary (CVE-2019-5736 class)
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public void An_exec_of_a_proc_self_exe_script_cannot_overwrite_the_runtime_binary()
    {
        // `exec ID /bin/evil`, where /bin/evil is "#!/proc/self/exe": the kernel runs the image of the process that
        // executes it. If that image is the host's runtime file, the container gets a dumpable process whose
        // /proc/PID/exe is that file; /bin/grab (the container's init) holds it with O_PATH and, once it has exited,
        // reopens it for writing through /proc/self/fd.
        using var lab = new AttackLab();
        lab.CopyLibrariesOf(lab.Runtime); // the runtime image must be able to start inside the container
        lab.Compile("grab", GrabSource);
        lab.WriteExecutable("bin/evil", "#!/proc/self/exe\n");
        string copy = lab.CopyRuntime();
        string before = Sha256(copy);

        var config = lab.Config("sh", "-c", "exec /bin/grab 40 > /out/grab 2>&1");
        string id = lab.NewContainer("cve5736");
        var run = lab.InvokeWith(copy, "run", "--detach", "--bundle", lab.Bundle(config), id);
        Assert.True(run.ExitCode == 0, run.ToString());
        string report = lab.WaitForOutput("grab", "READY", 10_000);

        int attempts = 0;
        for (; attempts < 30 && !report.Contains("SEEN"); attempts++)
        {
            lab.InvokeWith(copy, "exec", id, "/bin/evil");
            report = lab.Output("grab");
        }
        Assert.True(attempts > 0, "the exec was never attempted");
        // What grab saw, it now tries to write once that process is gone (it gives up after a few seconds).
        report = report.Contains("SEEN") ? lab.WaitForOutput("grab", "DONE", 20_000) : report;
        lab.Delete(id);

        Assert.True(before == Sha256(copy), $"the runtime binary {copy} was overwritten from inside the container:\n{report}");
        Assert.DoesNotContain("WROTE", report);
        Assert.False(report.Contains($"exe={copy} "), $"a process of the container had the host's runtime file as /proc/PID/exe:\n{report}");
    }

    [Fact]
    public void A_created_container_in_a_shared_pid_namespace_is_not_readable_by_its_peer()
    {
        // A pod: container A runs, container B joins A's pid namespace by path and is created, not started. B's first
        // process is still the runtime's image, waiting on the exec fifo; a process of A tries to read its memory,
        // environment, descriptors (the host's exec fifo) and executable, and to write that executable once B is gone.
        using var lab = new AttackLab();
        lab.Compile("peek", PeekSource);
        string copy = lab.CopyRuntime();
        string before = Sha256(copy);

        string a = lab.NewContainer("pod-a");
        var run = lab.InvokeWith(copy, "run", "--detach", "--bundle", lab.Bundle(lab.Config("sleep", "600")), a);
        Assert.True(run.ExitCode == 0, run.ToString());
        int aPid = lab.StatePid(a);

        var peerConfig = lab.Config("true");
        peerConfig["linux"]!["namespaces"]!.AsArray()[0] = new JsonObject { ["type"] = "pid", ["path"] = $"/proc/{aPid}/ns/pid" };
        string b = lab.NewContainer("pod-b");
        var create = lab.InvokeWith(copy, "create", "--bundle", lab.Bundle(peerConfig), b);
        Assert.True(create.ExitCode == 0, create.ToString());
        int bPid = lab.StatePid(b);
        Assert.Equal("created", lab.Status(b));
        // B's first process as A sees it: the last NSpid field.
        string nsPid = File.ReadAllLines($"/proc/{bPid}/status").Single(l => l.StartsWith("NSpid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Equal(new FileInfo($"/proc/{aPid}/ns/pid").LinkTarget, new FileInfo($"/proc/{bPid}/ns/pid").LinkTarget);

        var exec = lab.InvokeWith(copy, "exec", "--detach", a, "sh", "-c", $"exec /bin/peek {nsPid} /out/go > /out/peek 2>&1");
        Assert.True(exec.ExitCode == 0, exec.ToString());
        string report = lab.WaitForOutput("peek", "WAITING", 10_000, orMarker: "DONE");
        if (report.Contains("WAITING"))
        {
            // peek holds B's executable: end B (with the real runtime, not the copy under attack), then let it write.
            lab.Delete(b);
            File.WriteAllText(Path.Combine(lab.Out, "go"), "");
            report = lab.WaitForOutput("peek", "DONE", 20_000);
        }
        lab.Delete(b);
        lab.Delete(a);

        var lines = report.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (string probe in new[] { "MAPS", "MEM", "ENVIRON", "EXE-LINK", "EXE-OPATH", "EXE-WRITE-NOW" })
            Assert.True(lines.Any(l => l.StartsWith(probe + " denied", StringComparison.Ordinal)), $"{probe}: the peer was not refused:\n{report}");
        Assert.False(lines.Any(l => l.StartsWith("FD read", StringComparison.Ordinal)), $"the peer read the descriptors of the created container:\n{report}");
        Assert.DoesNotContain("EXE-WRITE-LATER wrote", report);
        Assert.True(before == Sha256(copy), $"the runtime binary {copy} was overwritten by the peer:\n{report}");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. Leaked host descriptors (CVE-2024-21626 class)
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public void A_working_directory_through_a_leaked_descriptor_never_reaches_the_host()
    {
        // process.cwd = /proc/self/fd/N for every N a runtime might leak (the cgroup directory opened for
        // CLONE_INTO_CGROUP, namespace files, the state directory…): the container then tries to read a host file and
        // create one by a relative path up from its working directory.
        using var lab = new AttackLab();
        string secret = "HOST-SECRET-" + Guid.NewGuid().ToString("N");
        string canaryFile = Path.Combine(lab.Canary, "secret");
        File.WriteAllText(canaryFile, secret);
        string up = string.Concat(Enumerable.Repeat("../", 40));
        string Script(string tag) =>
            $"{{ pwd; cat {up}{canaryFile.TrimStart('/')}; touch {up}{lab.Canary.TrimStart('/')}/escaped-{tag} && echo TOUCHED; }} > /out/{tag} 2>&1";

        string running = lab.NewContainer("cwd-exec-target");
        Assert.Equal(0, lab.Invoke("run", "--detach", "--bundle", lab.Bundle(lab.Config("sleep", "600")), running).ExitCode);

        var outcomes = new List<string>();
        var badRefusals = new List<string>();
        for (int n = 3; n <= 15; n++)
        {
            string cwd = $"/proc/self/fd/{n}";
            var config = lab.Config("sh", "-c", Script($"run-{n}"));
            config["process"]!["cwd"] = cwd;
            string id = lab.NewContainer("cwd-run");
            Judge($"run, cwd {cwd}", lab.Invoke("run", "--bundle", lab.Bundle(config), id), id, $"run-{n}");

            config = lab.Config("sh", "-c", Script($"start-{n}"));
            config["process"]!["cwd"] = cwd;
            id = lab.NewContainer("cwd-create");
            var create = lab.Invoke("create", "--bundle", lab.Bundle(config), id);
            if (create.ExitCode == 0)
            {
                var start = lab.Invoke("start", id);
                Assert.True(start.ExitCode == 0, start.ToString());
                AttackLab.WaitFor(() => lab.Status(id) == "stopped", 10_000, $"{id} to stop");
            }
            Judge($"create+start, cwd {cwd}", create, id, $"start-{n}");

            Judge($"exec, cwd {cwd}", lab.Invoke("exec", "--cwd", cwd, running, "sh", "-c", Script($"exec-{n}")), null, $"exec-{n}");
        }
        lab.Delete(running);

        // First the boundary, then how a refusal reads.
        string summary = string.Join('\n', outcomes);
        Assert.True(Directory.GetFileSystemEntries(lab.Canary).Length == 1, $"a container created files in the host directory {lab.Canary}:\n{summary}");
        Assert.False(summary.Contains("ESCAPED"), summary);
        Assert.True(badRefusals.Count == 0, "refused without naming process.cwd, or leaving something behind:\n" + string.Join('\n', badRefusals));

        void Judge(string what, BerthResult r, string? id, string tag)
        {
            string output = lab.Output(tag);
            if (r.ExitCode != 0 && output.Length == 0)
            {
                // Refused: exit 1 (exec: 255, as runc), the error names the working directory, nothing is left.
                outcomes.Add($"{what}: refused: {r.Stderr.Trim()}");
                if (r.ExitCode != (what.StartsWith("exec", StringComparison.Ordinal) ? 255 : 1) || !(r.Stderr.Contains("cwd") || r.Stderr.Contains("working directory")))
                    badRefusals.Add($"{what}: {r}");
                else if (id is not null && lab.LeftBehind(id) is { } left)
                    badRefusals.Add($"{what}: {left}");
            }
            if (id is not null)
                lab.Delete(id);
            if (r.ExitCode != 0 && output.Length == 0)
                return;
            bool escaped = output.Contains(secret) || output.Contains("TOUCHED");
            outcomes.Add($"{what}: started{(escaped ? " ESCAPED" : "")}: {output.Trim().Replace('\n', '|')}");
        }
    }

    [Fact]
    public void The_containers_process_has_only_stdin_stdout_and_stderr_open()
    {
        // Whatever the runtime opened on the host (state files, cgroup directories, the exec fifo, sockets, namespace
        // files) must be closed before the program runs: /bin/fds lists its descriptors before opening anything.
        using var lab = new AttackLab();
        lab.Compile("fds", FdsSource);

        string run = lab.NewContainer("fds-run");
        var r = lab.Invoke("run", "--bundle", lab.Bundle(lab.Config("/bin/fds", "/out/run")), run);
        Assert.True(r.ExitCode == 0, r.ToString());

        string created = lab.NewContainer("fds-create");
        Assert.Equal(0, lab.Invoke("create", "--bundle", lab.Bundle(lab.Config("/bin/fds", "/out/start")), created).ExitCode);
        Assert.Equal(0, lab.Invoke("start", created).ExitCode);

        string running = lab.NewContainer("fds-exec");
        Assert.Equal(0, lab.Invoke("run", "--detach", "--bundle", lab.Bundle(lab.Config("sleep", "600")), running).ExitCode);
        var exec = lab.Invoke("exec", running, "/bin/fds", "/out/exec");
        Assert.True(exec.ExitCode == 0, exec.ToString());

        foreach (string tag in new[] { "run", "start", "exec" })
        {
            string listing = lab.WaitForOutput(tag, "END", 10_000);
            var fds = listing.Split('\n').Where(l => l.StartsWith("FD ", StringComparison.Ordinal)).ToList();
            Assert.Equal(3, fds.Count(l => l.StartsWith("FD 0 ") || l.StartsWith("FD 1 ") || l.StartsWith("FD 2 ")));
            Assert.True(fds.Count == 3, $"{tag}: the container's process has descriptors other than 0, 1 and 2:\n{listing}");
        }
        lab.Delete(run);
        lab.Delete(created);
        lab.Delete(running);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. Symlinks followed out of the rootfs (CVE-2021-30465 class)
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public void A_symlink_in_a_volume_cannot_send_later_mounts_to_the_host()
    {
        // A volume (a host directory bound at /vol) holds evil -> /host/canary; later mounts go below /vol/evil.
        using var lab = new AttackLab();
        string volume = lab.HostDir("volume");
        File.CreateSymbolicLink(Path.Combine(volume, "evil"), lab.Canary);
        string source = lab.HostDir("source");
        string sourceFile = Path.Combine(lab.Dir, "source-file");
        File.WriteAllText(sourceFile, "a file bound into the container");

        var config = lab.Config("sh", "-c", "grep ' /vol' /proc/self/mountinfo; ls -la /vol/evil/");
        AttackLab.Bind(config, volume, "/vol", "rbind");
        config["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/vol/evil/tmp", ["type"] = "tmpfs", ["source"] = "tmpfs" });
        AttackLab.Bind(config, source, "/vol/evil/dir", "bind");
        AttackLab.Bind(config, sourceFile, "/vol/evil/file", "bind");
        string id = lab.NewContainer("volsym");
        var r = lab.Invoke("run", "--bundle", lab.Bundle(config), id);
        lab.Delete(id);

        var entries = Directory.GetFileSystemEntries(lab.Canary);
        Assert.True(entries.Length == 0, $"mount points were created in the host directory {lab.Canary}: {string.Join(", ", entries)}\n{r}");
    }

    [Fact]
    public void A_dev_volume_whose_null_links_to_a_host_file_does_not_change_that_file()
    {
        // A volume bound at /dev holds null -> /host/file (mode 0600, owner 1234:1234). Creating the default devices
        // must not chmod or chown what the link points to.
        using var lab = new AttackLab();
        var (devVolume, canaryFile) = lab.DevVolumeLinking("null", "host file");
        File.SetUnixFileMode(canaryFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(0, Harness.Exec("chown", ["1234:1234", canaryFile]).ExitCode);
        string statBefore = Harness.Exec("stat", ["-c", "%a %u:%g %s %F", canaryFile]).Stdout;

        var config = lab.Config("sh", "-c", "ls -la /dev");
        AttackLab.ReplaceDev(config, devVolume);
        string id = lab.NewContainer("devnull-link");
        var r = lab.Invoke("run", "--bundle", lab.Bundle(config), id);
        lab.Delete(id);

        Assert.Equal("600 1234:1234 9 regular file\n", statBefore);
        Assert.True(statBefore == Harness.Exec("stat", ["-c", "%a %u:%g %s %F", canaryFile]).Stdout,
            $"the host file behind /dev/null changed: {Harness.Exec("stat", ["-c", "%a %u:%g %s %F", canaryFile]).Stdout}\n{r}");
        Assert.Equal("host file", File.ReadAllText(canaryFile));
    }

    [Fact]
    public void A_symlink_swapped_in_by_another_container_never_sends_a_mount_to_the_host()
    {
        // Container A shares a host directory with container B's volume and keeps exchanging (renameat2
        // RENAME_EXCHANGE) a real directory "d" with a symlink "l" -> /host/canary, while B is created again and again
        // with mounts below /vol/d. Bounded: 200 attempts or 60 s.
        using var lab = new AttackLab();
        lab.Compile("swap", SwapSource);
        string shared = lab.HostDir("shared");
        Directory.CreateDirectory(Path.Combine(shared, "d"));
        File.CreateSymbolicLink(Path.Combine(shared, "l"), lab.Canary);
        string sourceFile = Path.Combine(lab.Dir, "source-file");
        File.WriteAllText(sourceFile, "bound");

        var swapper = lab.Config("sh", "-c", "exec /bin/swap /shared/d /shared/l 90 > /out/swap 2>&1");
        AttackLab.Bind(swapper, shared, "/shared", "bind");
        string a = lab.NewContainer("swapper");
        Assert.Equal(0, lab.Invoke("run", "--detach", "--bundle", lab.Bundle(swapper), a).ExitCode);
        lab.WaitForOutput("swap", "SWAPPING", 10_000);

        var victim = lab.Config("true");
        AttackLab.Bind(victim, shared, "/vol", "rbind");
        victim["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/vol/d/tmp", ["type"] = "tmpfs", ["source"] = "tmpfs" });
        AttackLab.Bind(victim, sourceFile, "/vol/d/file", "bind");
        string bundle = lab.Bundle(victim);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        int attempts = 0, created = 0;
        string[] entries = [];
        for (; attempts < 200 && clock.Elapsed < TimeSpan.FromSeconds(60) && entries.Length == 0; attempts++)
        {
            string b = lab.NewContainer("victim");
            if (lab.Invoke("create", "--bundle", bundle, b).ExitCode == 0)
                created++;
            lab.Delete(b);
            entries = Directory.GetFileSystemEntries(lab.Canary);
        }
        string swapReport = lab.Output("swap");
        lab.Delete(a);

        Assert.True(entries.Length == 0, $"after {attempts} attempts ({created} created) the host directory {lab.Canary} got: {string.Join(", ", entries)}");
        Assert.True(swapReport.Contains("SWAPPING") && !swapReport.Contains("renameat2"), $"the swapper did not run: {swapReport}");
    }

    [Theory]
    [InlineData("proc", "proc", "/proc", 0)]
    [InlineData("sys", "sysfs", "/sys", 5)]
    public void Proc_and_sysfs_are_not_mounted_through_a_symlink_in_the_rootfs(string name, string type, string destination, int index)
    {
        // The rootfs's /proc (or /sys) is a symlink to a host-looking path: the runtime must refuse, as runc does
        // ("must be mounted on ordinary directory"), rather than mount it wherever the link leads.
        using var lab = new AttackLab();
        string link = Path.Combine(lab.Rootfs, name);
        Directory.Delete(link);
        File.CreateSymbolicLink(link, lab.Canary);
        var config = lab.Config("sh", "-c", $"readlink {destination}; grep ' {type} ' /proc/self/mountinfo");
        Assert.Equal(type, (string?)config["mounts"]![index]!["type"]);

        string id = lab.NewContainer("symlinked-" + name);
        var r = lab.Invoke("run", "--bundle", lab.Bundle(config), id);
        string? left = lab.LeftBehind(id);
        lab.Delete(id);
        Assert.Empty(Directory.GetFileSystemEntries(lab.Canary));
        Assert.True(r.ExitCode == 1, $"{type} was mounted through the symlink {destination} -> {lab.Canary}: {r}");
        Assert.True(r.Stderr.Contains(destination) || r.Stderr.Contains($"mounts[{index}]"), r.ToString());
        Assert.Null(left);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. /dev/null for masking, /dev/console (CVE-2025-31133 / CVE-2025-52565 class)
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public void A_masked_path_is_never_covered_with_a_file_that_is_not_dev_null()
    {
        // A volume bound at /dev whose "null" is a regular host file: masking /proc/timer_list by binding "/dev/null"
        // over it would expose that file, readable and writable, at a masked path.
        using var lab = new AttackLab();
        string devVolume = lab.HostDir("dev-volume");
        string fakeNull = Path.Combine(devVolume, "null");
        string secret = "HOST-NULL-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(fakeNull, secret);
        File.SetUnixFileMode(fakeNull, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // No redirection to /dev/null in the script: that would write the host file by itself.
        var config = lab.Config("sh", "-c", "cat /proc/timer_list /proc/kcore; echo; echo OVERWRITTEN > /proc/timer_list; stat -c '%F %t:%T' /dev/null; echo END");
        AttackLab.ReplaceDev(config, devVolume);
        string id = lab.NewContainer("masked");
        var r = lab.Invoke("run", "--bundle", lab.Bundle(config), id);
        string? left = lab.LeftBehind(id);
        lab.Delete(id);

        Assert.True(!r.Stdout.Contains(secret), $"a masked path showed the host file that stood in for /dev/null: {r}");
        Assert.True(File.ReadAllText(fakeNull) == secret, $"the container wrote the host file through a masked path: {File.ReadAllText(fakeNull)}\n{r}");
        if (r.ExitCode != 0)
        {
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.True(r.Stderr.Contains("/dev/null") || r.Stderr.Contains("maskedPaths"), r.ToString());
            Assert.Null(left);
        }
        else
        {
            Assert.Contains("END", r.Stdout);
        }
    }

    [Fact]
    public void With_a_terminal_dev_console_is_the_containers_own_pty()
    {
        using var lab = new AttackLab();
        var config = lab.Config("sh", "-c", "echo console=$(stat -c '%F %t:%T' /dev/console); echo stdin=$(stat -L -c '%F %t:%T' /proc/self/fd/0); echo tty=$(readlink /proc/self/fd/0); echo END");
        config["process"]!["terminal"] = true;
        string id = lab.NewContainer("console");
        var (create, output) = lab.RunWithConsole(config, id, "END");
        lab.Delete(id);

        Assert.True(create.ExitCode == 0, create.ToString());
        var stdin = System.Text.RegularExpressions.Regex.Match(output, @"stdin=(character special file \w+:\w+)");
        Assert.True(stdin.Success, output);
        Assert.Matches(@"tty=/dev/pts/\d+", output);
        Assert.True(output.Contains("console=" + stdin.Groups[1].Value), $"/dev/console is not the pty of fd 0: {output}");
    }

    [Fact]
    public void With_a_terminal_a_console_symlink_in_a_dev_volume_is_not_followed()
    {
        // The /dev volume holds console -> a path that exists both on the host and in the rootfs: binding the pty on
        // /dev/console must not land on either file.
        using var lab = new AttackLab();
        var (devVolume, target) = lab.DevVolumeLinking("console", "host console target");
        string inRootfs = Path.Combine(lab.Rootfs, target.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(inRootfs)!);
        File.WriteAllText(inRootfs, "rootfs console target");
        File.CreateSymbolicLink(Path.Combine(devVolume, "ptmx"), "pts/ptmx"); // as a /dev of a real system has it

        var config = lab.Config("sh", "-c", $"echo target=$(stat -c %F {target}); cat {target}; echo; echo END");
        config["process"]!["terminal"] = true;
        AttackLab.ReplaceDev(config, devVolume);
        string id = lab.NewContainer("console-link");
        var (create, output) = lab.RunWithConsole(config, id, "END");
        string? left = create.ExitCode == 0 ? null : lab.LeftBehind(id);
        lab.Delete(id);

        Assert.True(File.ReadAllText(target) == "host console target", $"the host file /dev/console links to was changed:\n{create}\n{output}");
        Assert.True(File.ReadAllText(inRootfs) == "rootfs console target", $"the rootfs file /dev/console links to was changed (truncated, or the pty bound on it):\n{create}\n{output}");
        if (create.ExitCode == 0)
        {
            Assert.True(output.Contains("target=regular file") && output.Contains("rootfs console target"), $"the pty was bound over the file /dev/console links to: {output}");
        }
        else
        {
            Assert.True(create.ExitCode == 1 && create.Stderr.Contains("console"), create.ToString());
            Assert.Null(left);
        }
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    // ---------------------------------------------------------------------------------------------------------------
    // Container programs
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>grab SECONDS: finds a process whose executable is neither busybox nor grab, holds it with O_PATH, and
    /// once that process has exited reopens it for writing and writes.</summary>
    private const string GrabSource = """
        #define _GNU_SOURCE
        #include <dirent.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <time.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            char self[4096], link[64], target[4096];
            ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
            self[n > 0 ? n : 0] = 0;
            time_t end = time(NULL) + atoi(argv[1]);
            int held = -1, pid = 0;
            printf("READY\n");
            fflush(stdout);
            while (held < 0 && time(NULL) < end) {
                DIR *proc = opendir("/proc");
                struct dirent *e;
                while (held < 0 && (e = readdir(proc))) {
                    pid = atoi(e->d_name);
                    if (pid <= 0 || pid == getpid())
                        continue;
                    snprintf(link, sizeof link, "/proc/%d/exe", pid);
                    n = readlink(link, target, sizeof target - 1);
                    if (n < 0)
                        continue;
                    target[n] = 0;
                    if (strstr(target, "busybox") || strcmp(target, self) == 0)
                        continue;
                    held = open(link, O_PATH);
                    printf("SEEN pid=%d exe=%s opath=%s\n", pid, target, held >= 0 ? "ok" : strerror(errno));
                    fflush(stdout);
                }
                closedir(proc);
            }
            if (held < 0) {
                printf("NOTHING\nDONE\n");
                return 0;
            }
            snprintf(link, sizeof link, "/proc/%d", pid);
            for (int i = 0; i < 5000 && access(link, F_OK) == 0; i++)
                usleep(1000);
            snprintf(link, sizeof link, "/proc/self/fd/%d", held);
            for (int i = 0; i < 2000; i++) {
                int w = open(link, O_WRONLY);
                if (w >= 0) {
                    if (pwrite(w, "PWNED", 5, 0) == 5)
                        printf("WROTE into %s\n", target);
                    else
                        printf("WRITE-FAILED %s\n", strerror(errno));
                    break;
                }
                if (errno != ETXTBSY) {
                    printf("REOPEN-DENIED %s\n", strerror(errno));
                    break;
                }
                usleep(1000);
            }
            printf("DONE\n");
            return 0;
        }
        """;

    /// <summary>peek PID GOFILE: reads /proc/PID/{maps,mem,environ,fd,exe} of a peer; holding its exe with O_PATH, waits
    /// for GOFILE (the test ends the peer first) and then tries to write the exe.</summary>
    private const string PeekSource = """
        #define _GNU_SOURCE
        #include <dirent.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        static char buf[65536];
        static void path(char *out, const char *pid, const char *what) { snprintf(out, 512, "/proc/%s/%s", pid, what); }
        int main(int argc, char **argv) {
            char p[512], t[4096];
            unsigned long start = 0;
            path(p, argv[1], "maps");
            FILE *f = fopen(p, "r");
            if (!f)
                printf("MAPS denied %s\n", strerror(errno));
            else {
                if (fscanf(f, "%lx", &start) == 1)
                    printf("MAPS read %lx\n", start);
                else
                    printf("MAPS denied (empty)\n");
                fclose(f);
            }
            path(p, argv[1], "mem");
            int fd = open(p, O_RDONLY);
            ssize_t n = fd < 0 ? -1 : pread(fd, buf, 16, (off_t)start);
            if (n > 0)
                printf("MEM read %zd bytes\n", n);
            else
                printf("MEM denied %s\n", n < 0 ? strerror(errno) : "(nothing)");
            path(p, argv[1], "environ");
            fd = open(p, O_RDONLY);
            n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
            if (n > 0)
                printf("ENVIRON read %zd bytes\n", n);
            else
                printf("ENVIRON denied %s\n", n < 0 ? strerror(errno) : "(nothing)");
            path(p, argv[1], "fd");
            DIR *d = opendir(p);
            if (!d)
                printf("FD denied %s\n", strerror(errno));
            else {
                struct dirent *e;
                while ((e = readdir(d))) {
                    if (e->d_name[0] == '.')
                        continue;
                    char q[600];
                    snprintf(q, sizeof q, "%s/%s", p, e->d_name);
                    n = readlink(q, t, sizeof t - 1);
                    if (n < 0)
                        printf("FD %s denied %s\n", e->d_name, strerror(errno));
                    else {
                        t[n] = 0;
                        printf("FD read %s -> %s\n", e->d_name, t);
                    }
                }
                closedir(d);
            }
            path(p, argv[1], "exe");
            n = readlink(p, t, sizeof t - 1);
            if (n < 0)
                printf("EXE-LINK denied %s\n", strerror(errno));
            else {
                t[n] = 0;
                printf("EXE-LINK read %s\n", t);
            }
            int exe = open(p, O_PATH);
            printf(exe < 0 ? "EXE-OPATH denied %s\n" : "EXE-OPATH opened\n", strerror(errno));
            int w = open(p, O_WRONLY);
            printf(w < 0 ? "EXE-WRITE-NOW denied %s\n" : "EXE-WRITE-NOW opened\n", strerror(errno));
            if (exe >= 0) {
                printf("WAITING\n");
                fflush(stdout);
                for (int i = 0; i < 400 && access(argv[2], F_OK) != 0; i++)
                    usleep(50000);
                snprintf(p, sizeof p, "/proc/self/fd/%d", exe);
                w = open(p, O_WRONLY);
                if (w < 0)
                    printf("EXE-WRITE-LATER denied %s\n", strerror(errno));
                else if (pwrite(w, "PWNED", 5, 0) == 5)
                    printf("EXE-WRITE-LATER wrote\n");
                else
                    printf("EXE-WRITE-LATER denied %s\n", strerror(errno));
            }
            printf("DONE\n");
            return 0;
        }
        """;

    /// <summary>fds FILE: lists its own open descriptors (before opening anything), then writes the list to FILE.</summary>
    private const string FdsSource = """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <stdio.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            static char lines[256][600];
            int count = 0;
            for (int fd = 0; fd < 4096 && count < 256; fd++) {
                if (fcntl(fd, F_GETFD) < 0)
                    continue;
                char link[64], target[512];
                snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
                ssize_t n = readlink(link, target, sizeof target - 1);
                target[n > 0 ? n : 0] = 0;
                snprintf(lines[count++], sizeof lines[0], "FD %d %s", fd, target);
            }
            FILE *out = fopen(argv[1], "w");
            for (int i = 0; i < count; i++)
                fprintf(out, "%s\n", lines[i]);
            fprintf(out, "END\n");
            return fclose(out) == 0 ? 0 : 1;
        }
        """;

    /// <summary>swap A B SECONDS: exchanges two names as fast as it can.</summary>
    private const string SwapSource = """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <time.h>
        #ifndef RENAME_EXCHANGE
        #define RENAME_EXCHANGE (1 << 1)
        #endif
        int main(int argc, char **argv) {
            time_t end = time(NULL) + atoi(argv[3]);
            long swaps = 0;
            printf("SWAPPING\n");
            fflush(stdout);
            while (time(NULL) < end) {
                if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) {
                    perror("renameat2");
                    return 1;
                }
                swaps++;
            }
            printf("SWAPPED %ld\n", swaps);
            return 0;
        }
        """;
}

/// <summary>
/// One attack's world: a directory of its own holding a private busybox rootfs, a canary directory standing for the
/// host, an /out directory bound into containers for reports, a state root, and the runtime under attack (berth, or
/// BERTH_ATTACK_RUNTIME). Disposing deletes every container it made (with the real runtime binary, never a copy that
/// an attack may have damaged) and the directory.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class AttackLab : IDisposable
{
    private readonly List<string> _containers = new();
    private readonly Lazy<string> _rootfs;
    private int _calls;

    public AttackLab()
    {
        Dir = Path.Combine(Harness.WorkDir, Harness.NewId("attack"));
        Directory.CreateDirectory(Dir);
        Canary = HostDir("canary");
        Out = HostDir("out");
        StateRoot = Path.Combine(Dir, "state");
        _rootfs = new(() =>
        {
            string rootfs = Path.Combine(Dir, "rootfs");
            var r = Harness.Exec("bash", [Path.Combine(Harness.RepoRoot, "scripts/make-rootfs.sh"), rootfs]);
            Assert.True(r.ExitCode == 0, "make-rootfs.sh: " + r);
            return rootfs;
        });
    }

    /// <summary>berth, or the runtime named by BERTH_ATTACK_RUNTIME (e.g. /usr/sbin/runc).</summary>
    public string Runtime { get; } = Environment.GetEnvironmentVariable("BERTH_ATTACK_RUNTIME") is { Length: > 0 } r ? r : Harness.Berth;

    public string Dir { get; }
    public string Canary { get; }
    public string Out { get; }
    public string StateRoot { get; }
    public string Rootfs => _rootfs.Value;

    public string HostDir(string name)
    {
        string dir = Path.Combine(Dir, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public string NewContainer(string prefix)
    {
        string id = Harness.NewId(prefix);
        _containers.Add(id);
        return id;
    }

    /// <summary>Harness.BaseConfig on the private rootfs, with /out bound for reports.</summary>
    public JsonObject Config(params string[] args)
    {
        var config = Harness.BaseConfig(args);
        config["root"]!["path"] = Rootfs;
        Bind(config, Out, "/out", "bind");
        return config;
    }

    public static void Bind(JsonObject config, string source, string destination, params string[] options) =>
        config["mounts"]!.AsArray().Add(new JsonObject
        {
            ["destination"] = destination,
            ["type"] = "bind",
            ["source"] = source,
            ["options"] = new JsonArray(options.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray()),
        });

    /// <summary>A host directory to bind at /dev whose entry <paramref name="name"/> is an absolute symlink to a new
    /// canary file holding <paramref name="content"/>.</summary>
    public (string DevVolume, string Target) DevVolumeLinking(string name, string content)
    {
        string devVolume = HostDir("dev-volume");
        string target = Path.Combine(Canary, name + "-target");
        File.WriteAllText(target, content);
        File.CreateSymbolicLink(Path.Combine(devVolume, name), target);
        return (devVolume, target);
    }

    /// <summary>A host directory bound at /dev in place of the tmpfs.</summary>
    public static void ReplaceDev(JsonObject config, string hostDir)
    {
        var mounts = config["mounts"]!.AsArray();
        int dev = mounts.Select((m, i) => (m, i)).Single(x => (string?)x.m!["destination"] == "/dev").i;
        mounts[dev] = new JsonObject { ["destination"] = "/dev", ["type"] = "bind", ["source"] = hostDir, ["options"] = new JsonArray("rbind") };
    }

    public string Bundle(JsonObject config)
    {
        string dir = Path.Combine(Dir, "bundles", Harness.NewId("b"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        return dir;
    }

    /// <summary>Compiles a C program statically into the rootfs's /bin.</summary>
    public void Compile(string name, string source)
    {
        string gcc = new[] { "/usr/bin/gcc", "/usr/local/bin/gcc" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("gcc is missing: the attack programs are compiled with gcc -static (scripts/install-deps.sh installs it)");
        string file = Path.Combine(Dir, name + ".c");
        File.WriteAllText(file, source);
        var r = Harness.Exec(gcc, ["-static", "-O2", "-o", Path.Combine(Rootfs, "bin", name), file]);
        Assert.True(r.ExitCode == 0, $"gcc -static {name}.c: {r}");
    }

    public void WriteExecutable(string relative, string content)
    {
        string file = Path.Combine(Rootfs, relative);
        File.WriteAllText(file, content);
        File.SetUnixFileMode(file, (UnixFileMode)0x1ed);
    }

    /// <summary>The shared libraries a binary needs, copied to the same paths in the rootfs (as an image with glibc has them).</summary>
    public void CopyLibrariesOf(string binary)
    {
        var ldd = Harness.Exec("ldd", [binary]);
        foreach (string token in ldd.Stdout.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Where(t => t.StartsWith('/')))
        {
            string inRootfs = Path.Combine(Rootfs, token.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(inRootfs)!);
            File.Copy(token, inRootfs, overwrite: true);
        }
    }

    /// <summary>A private copy of the runtime binary for attacks that may overwrite it.</summary>
    public string CopyRuntime()
    {
        string copy = Path.Combine(HostDir("bin"), Path.GetFileName(Runtime));
        File.Copy(Runtime, copy);
        File.SetUnixFileMode(copy, (UnixFileMode)0x1ed);
        return copy;
    }

    public BerthResult Invoke(params string[] args) => InvokeWith(Runtime, args);

    /// <summary>
    /// Runs a runtime binary with this lab's state root. Its stdio go to files, not pipes: a detached container inherits
    /// them, and a pipe would keep the caller waiting for end-of-file.
    /// </summary>
    public BerthResult InvokeWith(string binary, params string[] args)
    {
        string logs = HostDir("logs");
        string stem = Path.Combine(logs, Interlocked.Increment(ref _calls).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var r = Harness.Exec("/bin/sh", ["-c", "stem=$1; shift; exec \"$@\" </dev/null >\"$stem.out\" 2>\"$stem.err\"", "sh", stem, binary, "--root", StateRoot, .. args]);
        return new BerthResult(r.ExitCode, File.ReadAllText(stem + ".out"), File.ReadAllText(stem + ".err") + r.Stderr);
    }

    public int StatePid(string id)
    {
        var state = Invoke("state", id);
        Assert.True(state.ExitCode == 0, state.ToString());
        return (int)JsonNode.Parse(state.Stdout)!["pid"]!;
    }

    public string? Status(string id)
    {
        var state = Invoke("state", id);
        return state.ExitCode == 0 ? (string?)JsonNode.Parse(state.Stdout)!["status"] : null;
    }

    /// <summary>delete --force with the real runtime binary.</summary>
    public void Delete(string id)
    {
        var r = Invoke("delete", "--force", id);
        Assert.True(r.ExitCode == 0, $"delete --force {id}: {r}");
    }

    /// <summary>What Harness.AssertNothingLeft finds of a container, or null.</summary>
    public string? LeftBehind(string id)
    {
        try
        {
            Harness.AssertNothingLeft(id, StateRoot);
            return null;
        }
        catch (Xunit.Sdk.XunitException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// create with --console-socket, then start: what a client with no terminal of its own does (runc cannot run a
    /// terminal in the foreground without one). Returns create's result and what the container wrote on its pty,
    /// read until <paramref name="endMarker"/> or the pty hangs up (10 s at most).
    /// </summary>
    public (BerthResult Create, string Output) RunWithConsole(JsonObject config, string id, string endMarker)
    {
        string socketPath = Path.Combine(Dir, Harness.NewId("console") + ".sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        var accepted = listener.AcceptAsync();
        var create = Invoke("create", "--console-socket", socketPath, "--bundle", Bundle(config), id);
        if (create.ExitCode != 0)
            return (create, "");
        Assert.True(accepted.Wait(10_000), "no connection on the console socket");
        using var connection = accepted.Result;
        int master = Harness.ReceiveFd(connection);
        using var pty = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(master, ownsHandle: true), FileAccess.ReadWrite, 1, isAsync: false);
        var start = Invoke("start", id);
        Assert.True(start.ExitCode == 0, start.ToString());
        var output = new System.Text.StringBuilder();
        var reader = Task.Factory.StartNew(() =>
        {
            var buffer = new byte[4096];
            try
            {
                int n;
                while (!output.ToString().Contains(endMarker) && (n = pty.Read(buffer)) > 0)
                    output.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
            }
            catch (IOException)
            {
                // EIO: the last holder of the pty's other end has gone.
            }
        }, TaskCreationOptions.LongRunning);
        Assert.True(reader.Wait(10_000), $"no \"{endMarker}\" on the console within 10 s: {output}");
        return (create, output.ToString());
    }

    /// <summary>A report a container program wrote into /out.</summary>
    public string Output(string name)
    {
        string file = Path.Combine(Out, name);
        return File.Exists(file) ? File.ReadAllText(file) : "";
    }

    public string WaitForOutput(string name, string marker, int timeoutMs, string? orMarker = null)
    {
        string text = "";
        WaitFor(() => (text = Output(name)).Contains(marker) || (orMarker is not null && text.Contains(orMarker)), timeoutMs, $"\"{marker}\" in /out/{name}");
        return text;
    }

    public static void WaitFor(Func<bool> condition, int timeoutMs, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
                Assert.Fail($"timed out after {timeoutMs} ms waiting for {what}");
            Thread.Sleep(20);
        }
    }

    public void Dispose()
    {
        foreach (string id in _containers)
            Invoke("delete", "--force", id);
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the harness's work directory; a mount left behind is reported by the tests themselves.
        }
    }
}
