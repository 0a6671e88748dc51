using System.Net.Sockets;

namespace Berth.Runtime.Tests;

/// <summary>berth exec: one more process in a running container, as podman's conmon and containerd's shim start it.</summary>
public class ExecTests
{
    private static readonly string[] Namespaces = ["mnt", "uts", "pid", "ipc", "net"];

    /// <summary>A detached, running container; returns its id and its init's pid (host view).</summary>
    private static (string Id, int Pid) Running(JsonObject? config = null)
    {
        string id = Harness.NewId("exec");
        var r = Harness.Run("run", "--detach", "--bundle", Harness.Bundle(config ?? Harness.BaseConfig("sleep", "600")), id);
        Assert.True(r.ExitCode == 0, r.ToString());
        return (id, StatePid(id));
    }

    private static int StatePid(string id)
    {
        var state = Harness.Run("state", id);
        Assert.True(state.ExitCode == 0, state.ToString());
        return (int)JsonNode.Parse(state.Stdout)!["pid"]!;
    }

    private static void Remove(string id)
    {
        Harness.Run("delete", "--force", id);
        Harness.AssertNothingLeft(id);
    }

    private static string Link(string path) => new FileInfo(path).LinkTarget ?? "";

    [Fact]
    public void Exec_sees_the_namespaces_and_cgroup_of_the_containers_init()
    {
        var (id, pid) = Running();
        try
        {
            string script = string.Join("; ", Namespaces.Select(n => $"echo {n}=$(readlink /proc/self/ns/{n})")) + "; echo host=$(hostname); cat /proc/self/cgroup";
            var r = Harness.Run("exec", id, "sh", "-c", script);
            Assert.True(r.ExitCode == 0, r.ToString());
            foreach (string ns in Namespaces)
                Assert.Contains($"{ns}={Link($"/proc/{pid}/ns/{ns}")}\n", r.Stdout);
            Assert.Contains("host=berth-test\n", r.Stdout);
            // No cgroup namespace in the base config: the paths read the same inside and on the host.
            string cgroups = File.ReadAllText($"/proc/{pid}/cgroup");
            Assert.Contains(cgroups.Trim(), r.Stdout);
        }
        finally
        {
            Remove(id);
        }
    }

    /// <summary>exec compiles its process from the record create wrote (state.json's exec base), not from config.json:
    /// a recorded config.json replaced by something else changes nothing, and the flags still change the recorded
    /// process (its env kept, one more added).</summary>
    [Fact]
    public void Exec_takes_the_process_from_the_record_not_from_the_recorded_config()
    {
        var config = Harness.BaseConfig("sleep", "600");
        config["process"]!["env"]!.AsArray().Add("FROM_CREATE=yes");
        var (id, _) = Running(config);
        try
        {
            File.WriteAllText(Path.Combine(Harness.StateRoot, id, "config.json"), "{\"not\": \"a config\"}");
            var r = Harness.Run("exec", "--env", "FROM_EXEC=too", id, "sh", "-c", "echo $FROM_CREATE $FROM_EXEC");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("yes too", r.Stdout.Trim());
        }
        finally
        {
            Remove(id);
        }
    }

    [Fact]
    public void Exec_into_a_user_namespace_joins_it_first()
    {
        var config = Harness.BaseConfig("sleep", "600");
        config["linux"]!["namespaces"]!.AsArray().Add(new JsonObject { ["type"] = "user" });
        config["linux"]!["uidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 100000, ["size"] = 65536 });
        config["linux"]!["gidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 100000, ["size"] = 65536 });
        var (id, pid) = Running(config);
        try
        {
            var r = Harness.Run("exec", "--user", "1000:1000", id, "sh", "-c", "for n in user mnt pid net; do echo $n=$(readlink /proc/self/ns/$n); done; cat /proc/self/uid_map; id -u");
            Assert.True(r.ExitCode == 0, r.ToString());
            foreach (string ns in new[] { "user", "mnt", "pid", "net" })
                Assert.Contains($"{ns}={Link($"/proc/{pid}/ns/{ns}")}\n", r.Stdout);
            Assert.Matches(@"\s*0\s+100000\s+65536\n1000\n", r.Stdout);
        }
        finally
        {
            Remove(id);
        }
    }

    [Fact]
    public void Exec_into_a_cgroup_namespace_sees_its_root()
    {
        var config = Harness.BaseConfig("sleep", "600");
        config["linux"]!["namespaces"]!.AsArray().Add(new JsonObject { ["type"] = "cgroup" });
        var (id, pid) = Running(config);
        try
        {
            var r = Harness.Run("exec", id, "sh", "-c", "echo cgroup=$(readlink /proc/self/ns/cgroup); cat /proc/self/cgroup");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains($"cgroup={Link($"/proc/{pid}/ns/cgroup")}\n", r.Stdout);
            Assert.Contains("0::/\n", r.Stdout);
            Assert.DoesNotContain("berth", r.Stdout);
        }
        finally
        {
            Remove(id);
        }
    }

    [Fact]
    public void Env_cwd_and_user_flags_are_applied_and_the_exit_status_comes_back()
    {
        var (id, _) = Running();
        try
        {
            var r = Harness.Run("exec", "--env", "FOO=bar", "-e", "PATH=/bin:/usr/bin", "--cwd", "/tmp", "--user", "1000:1001", id,
                "sh", "-c", "echo foo=$FOO path=$PATH; pwd; id -u; id -g; exit 7");
            Assert.True(r.ExitCode == 7, r.ToString());
            Assert.Contains("foo=bar path=/bin:/usr/bin\n", r.Stdout);
            Assert.Contains("/tmp\n1000\n1001\n", r.Stdout);

            var plain = Harness.Run("exec", id, "sh", "-c", "echo foo=$FOO; pwd; id -u");
            Assert.True(plain.ExitCode == 0, plain.ToString());
            Assert.Equal("foo=\n/\n0\n", plain.Stdout);

            var missing = Harness.Run("exec", id, "/no/such/program");
            Assert.Equal(255, missing.ExitCode);
            Assert.Contains("no such file", missing.Stderr);
        }
        finally
        {
            Remove(id);
        }
    }

    [Fact]
    public void Additional_gids_are_added_to_the_processs_groups()
    {
        var (id, _) = Running();
        try
        {
            var r = Harness.Run("exec", "--additional-gids", "77", "-g", "88", "--user", "1000:1001", id, "id", "-G");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("1001 77 88\n", r.Stdout);

            var bad = Harness.Run("exec", "--additional-gids", "-5", id, "true");
            Assert.True(bad.ExitCode == 2, bad.ToString());
            Assert.Contains("--additional-gids", bad.Stderr);
        }
        finally
        {
            Remove(id);
        }
    }

    /// <summary>Makes SUB below the container's cgroup in each of <paramref name="hierarchies"/> (mount points),
    /// ready to be joined (a v1 cpuset group starts with no cpus and no memory nodes).</summary>
    private static List<string> MakeSubCgroups(int pid, string sub, IEnumerable<string> hierarchies)
    {
        var made = new List<string>();
        var mounts = hierarchies.ToHashSet();
        foreach (string line in File.ReadAllLines($"/proc/{pid}/cgroup"))
        {
            string[] f = line.Split(':', 3);
            string? mount = f[1].Length == 0 ? HostSupport.Cgroups.V2Mount : f[1].Split(',').Select(c => HostSupport.Cgroups.HierarchyOf(c)).FirstOrDefault(m => m is not null);
            if (mount is null || !mounts.Contains(mount))
                continue;
            string dir = mount + f[2] + "/" + sub;
            Directory.CreateDirectory(dir);
            made.Add(dir);
            foreach (string file in new[] { "cpuset.cpus", "cpuset.mems" })
                if (File.Exists(Path.Combine(dir, file)))
                    File.WriteAllText(Path.Combine(dir, file), File.ReadAllText(Path.Combine(Path.GetDirectoryName(dir)!, file)).Trim());
        }
        return made;
    }

    [SkippableFact]
    public void Cgroup_runs_the_process_in_a_sub_cgroup_of_the_containers()
    {
        var (id, pid) = Running();
        var made = new List<string>();
        try
        {
            var layout = HostSupport.Cgroups;
            made.AddRange(MakeSubCgroups(pid, "all", layout.DirectoriesFor("/").Select(d => d.TrimEnd('/'))));
            string? memory = layout.HierarchyOf("memory");
            string? pids = layout.HierarchyOf("pids");
            Skip.If(memory is null || pids is null || memory == pids, "needs memory and pids in hierarchies of their own");
            made.AddRange(MakeSubCgroups(pid, "mem", [memory!]));

            // PATH alone: that sub-cgroup in every hierarchy.
            var r = Harness.Run("exec", "--cgroup", "all", id, "cat", "/proc/self/cgroup");
            Assert.True(r.ExitCode == 0, r.ToString());
            var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(lines);
            Assert.All(lines, l => Assert.EndsWith($"/{id}/all", l));

            // CONTROLLER:PATH: that hierarchy only; the others stay in the container's own cgroup.
            r = Harness.Run("exec", "--cgroup", "memory:mem", id, "cat", "/proc/self/cgroup");
            Assert.True(r.ExitCode == 0, r.ToString());
            lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.EndsWith($"/{id}/mem", lines.Single(l => l.Split(':')[1].Split(',').Contains("memory")));
            Assert.EndsWith($"/{id}", lines.Single(l => l.Split(':')[1].Split(',').Contains("pids")));

            var escape = Harness.Run("exec", "--cgroup", "memory:../..", id, "true");
            Assert.True(escape.ExitCode == 255 && escape.Stderr.Contains(".. is not a sub cgroup path"), escape.ToString());
            var unknown = Harness.Run("exec", "--cgroup", "nosuchcontroller:mem", id, "true");
            Assert.True(unknown.ExitCode == 255 && unknown.Stderr.Contains("unknown controller \"nosuchcontroller\""), unknown.ToString());
            var missing = Harness.Run("exec", "--cgroup", "pids:mem", id, "true");
            Assert.True(missing.ExitCode == 255 && missing.Stderr.Contains($"/{id}/mem/cgroup.procs: no such file") && missing.Stderr.Contains(" adding pid "), missing.ToString());
        }
        finally
        {
            // The exec'd processes are gone: the sub-cgroups are empty again, and delete removes only what berth made.
            foreach (string dir in made)
                Directory.Delete(dir);
            Remove(id);
        }
    }

    [Fact]
    public async Task A_paused_container_takes_an_exec_only_with_ignore_paused()
    {
        var (id, _) = Running();
        try
        {
            Assert.Equal(0, Harness.Run("pause", id).ExitCode);
            var refused = Harness.Run("exec", id, "echo", "ok");
            Assert.True(refused.ExitCode == 255 && refused.Stderr.Contains("cannot exec in a paused container") && refused.Stderr.Contains("--ignore-paused"), refused.ToString());

            // The process is frozen with the container until it is resumed; exec waits for it, as runc's does.
            var resume = Task.Run(() =>
            {
                Thread.Sleep(1500);
                return Harness.Run("resume", id);
            });
            var r = Harness.Run("exec", "--ignore-paused", id, "echo", "ok");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("ok\n", r.Stdout);
            Assert.Equal(0, (await resume).ExitCode);
        }
        finally
        {
            Remove(id);
        }
    }

    [Fact]
    public void A_process_file_is_run_as_written()
    {
        var (id, _) = Running();
        try
        {
            string file = Path.Combine(Harness.WorkDir, Harness.NewId("process") + ".json");
            var process = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = 33, ["gid"] = 44, ["additionalGids"] = new JsonArray(55) },
                ["args"] = new JsonArray("sh", "-c", "echo $GREETING; pwd; id -u; id -G; grep CapEff /proc/self/status; exit 5"),
                ["env"] = new JsonArray("PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello"),
                ["cwd"] = "/etc",
                ["capabilities"] = new JsonObject { ["bounding"] = new JsonArray("CAP_KILL"), ["effective"] = new JsonArray("CAP_KILL"), ["permitted"] = new JsonArray("CAP_KILL") },
                ["noNewPrivileges"] = true,
            };
            File.WriteAllText(file, process.ToJsonString());
            var r = Harness.Run("exec", "--process", file, id);
            Assert.True(r.ExitCode == 5, r.ToString());
            Assert.Contains("hello\n/etc\n33\n44 55\n", r.Stdout);
            Assert.Contains("CapEff:\t0000000000000000", r.Stdout); // uid 33 without ambient capabilities

            // From a pipe, as a shell's process substitution hands it over (runc's suite does so).
            string json = process.ToJsonString().Replace("'", "'\\''");
            var piped = Harness.Exec("bash", ["-c", $"exec '{Harness.Berth}' --root '{Harness.StateRoot}' exec --process <(printf '%s' '{json}') {id}"]);
            Assert.True(piped.ExitCode == 5, piped.ToString());
            Assert.Contains("hello\n/etc\n33\n44 55\n", piped.Stdout);

            File.WriteAllText(file, "{\"cwd\": \"/\"}");
            var invalid = Harness.Run("exec", "--process", file, id);
            Assert.Equal(255, invalid.ExitCode);
            Assert.Contains("--process", invalid.Stderr);
        }
        finally
        {
            Remove(id);
        }
    }

    [Fact]
    public void Detach_writes_the_pid_file_and_the_process_is_in_the_container()
    {
        var (id, pid) = Running();
        string pidFile = Path.Combine(Harness.WorkDir, Harness.NewId("exec") + ".pid");
        try
        {
            var r = Harness.Run("exec", "--detach", "--pid-file", pidFile, id, "sleep", "600");
            Assert.True(r.ExitCode == 0, r.ToString());
            int execPid = int.Parse(File.ReadAllText(pidFile));
            Assert.NotEqual(pid, execPid);
            Assert.Equal(File.ReadAllText($"/proc/{pid}/cgroup"), File.ReadAllText($"/proc/{execPid}/cgroup"));
            Assert.Equal(Link($"/proc/{pid}/ns/pid"), Link($"/proc/{execPid}/ns/pid"));
            // It executed the program: nothing of berth is reachable through it.
            Assert.EndsWith("busybox", Link($"/proc/{execPid}/exe"));
            var ps = Harness.Run("ps", "--format", "json", id);
            Assert.Contains(execPid.ToString(), ps.Stdout);

            // kill --all reaches it through the cgroups.
            Assert.Equal(0, Harness.Run("kill", "--all", id, "KILL").ExitCode);
            for (int i = 0; i < 500 && Directory.Exists($"/proc/{execPid}") && !File.ReadAllText($"/proc/{execPid}/stat").Contains(") Z "); i++)
                Thread.Sleep(10);
            Assert.True(!Directory.Exists($"/proc/{execPid}") || File.ReadAllText($"/proc/{execPid}/stat").Contains(") Z "), "the exec'd process survived kill --all");
        }
        finally
        {
            Remove(id);
        }
    }

    [Fact]
    public async Task A_tty_goes_to_the_console_socket()
    {
        var (id, _) = Running();
        string socketPath = Path.Combine(Harness.WorkDir, Harness.NewId("console") + ".sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        var accepted = listener.AcceptAsync();
        try
        {
            var r = Harness.Run("exec", "--tty", "--detach", "--console-socket", socketPath, id, "sh", "-c", "tty; sleep 600");
            Assert.True(r.ExitCode == 0, r.ToString());
            using var connection = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
            int master = Harness.ReceiveFd(connection);
            using var pty = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(master, ownsHandle: true), FileAccess.ReadWrite, 1, isAsync: false);
            var buffer = new byte[256];
            var read = Task.Run(() => System.Text.Encoding.UTF8.GetString(buffer, 0, pty.Read(buffer)));
            string text = await read.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Contains("/dev/pts/", text);

            var noSocket = Harness.Run("exec", "--tty", "--detach", id, "true");
            Assert.Equal(255, noSocket.ExitCode);
            Assert.Contains("console-socket", noSocket.Stderr);
        }
        finally
        {
            Remove(id);
        }
    }

    [Fact]
    public void Exec_into_a_created_container_runs_in_its_namespaces_and_the_container_still_starts()
    {
        // As runc: the process of a created container waits for start, and an exec joins it meanwhile.
        var config = Harness.BaseConfig("sh", "-c", "echo started > /dev/shm/started-marker; sleep 60");
        string created = Harness.NewId("exec");
        var create = Harness.Run("create", "--bundle", Harness.Bundle(config), created);
        Assert.True(create.ExitCode == 0, create.ToString());
        try
        {
            int pid = int.Parse(Harness.Run("state", created).Stdout.Split("\"pid\": ")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
            var r = Harness.Run("exec", created, "sh", "-c", "readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; hostname; test -e /dev/shm/started-marker || echo not-started");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal($"{Link($"/proc/{pid}/ns/pid")}\n{Link($"/proc/{pid}/ns/mnt")}\nberth-test\nnot-started\n", r.Stdout);
            Assert.Equal("created", Harness.Status(created));
            Assert.Equal(0, Harness.Run("start", created).ExitCode);
            Harness.WaitForStatus(created, "running");
            for (int i = 0; i < 500 && Harness.Run("exec", created, "test", "-e", "/dev/shm/started-marker").ExitCode != 0; i++)
                Thread.Sleep(10);
            Assert.Equal(0, Harness.Run("exec", created, "test", "-e", "/dev/shm/started-marker").ExitCode);
        }
        finally
        {
            Remove(created);
        }
    }

    [Fact]
    public void Exec_into_a_stopped_or_missing_container_fails()
    {
        string stopped = Harness.NewId("exec");
        Assert.Equal(0, Harness.Run("run", "--detach", "--bundle", Harness.Bundle(Harness.BaseConfig("true")), stopped).ExitCode);
        try
        {
            for (int i = 0; i < 500 && !Harness.Run("state", stopped).Stdout.Contains("\"stopped\""); i++)
                Thread.Sleep(10);

            var r = Harness.Run("exec", stopped, "true");
            Assert.Equal(255, r.ExitCode);
            Assert.Contains("cannot exec in a stopped container", r.Stderr);
            r = Harness.Run("exec", Harness.NewId("missing"), "true");
            Assert.Equal(255, r.ExitCode);
            Assert.Contains("does not exist", r.Stderr);
        }
        finally
        {
            Remove(stopped);
        }
    }
}
