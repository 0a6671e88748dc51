using System.Diagnostics;

namespace Berth.Runtime.Tests;

/// <summary>berth events, as runc's: stats JSON read from the cgroups, a stream that ends with the container, and an
/// "oom" event when the kernel's OOM killer acts in the container's memory cgroup.</summary>
public class EventsTests
{
    [SkippableFact]
    public void Stats_are_one_json_line_in_runcs_shape()
    {
        HostSupport.SkipIfLacking(HostSupport.ControllerVersion("pids") is null ? "this host has no pids controller" : null);
        string id = Harness.StartDetached("events-stats", new JsonObject { ["pids"] = new JsonObject { ["limit"] = 77 } });
        try
        {
            var r = Harness.Run("events", "--stats", id);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.StartsWith($"{{\"type\":\"stats\",\"id\":\"{id}\",", r.Stdout);
            var data = JsonNode.Parse(r.Stdout)!["data"]!;
            Assert.Equal(77, (int)data["pids"]!["limit"]!);
            Assert.True((int)data["pids"]!["current"]! >= 1);
            Assert.NotNull(data["memory"]);
            Assert.NotNull(data["cpu"]!["usage"]);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
    }

    [Fact]
    public void The_stream_ends_when_the_container_is_deleted()
    {
        string id = Harness.StartDetached("events-stream");
        var psi = new ProcessStartInfo(Harness.Berth) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--root", Harness.StateRoot, "events", "--interval", "100ms", id })
            psi.ArgumentList.Add(a);
        using var events = Process.Start(psi)!;
        try
        {
            string? first = events.StandardOutput.ReadLine();
            Assert.StartsWith($"{{\"type\":\"stats\",\"id\":\"{id}\",", first);
            Assert.Equal(0, Harness.Run("delete", "--force", id).ExitCode);
            Assert.True(events.WaitForExit(10_000), "events went on after the container was deleted");
        }
        finally
        {
            if (!events.HasExited)
                events.Kill();
            Harness.Run("delete", "--force", id);
        }
    }

    [SkippableFact]
    public void An_oom_kill_in_the_container_is_an_oom_event()
    {
        HostSupport.SkipIfLacking(HostSupport.ControllerVersion("memory") is null ? "this host has no memory controller" : null);
        bool v1 = HostSupport.ControllerVersion("memory") == "cgroup v1";
        HostSupport.SkipIfLacking(v1 && !HostSupport.V1CgroupHas("memory", "memory.memsw.limit_in_bytes") ? "this host's memory cgroup has no swap accounting (memory.memsw.*), so swap would absorb the hog" : null);
        string id = Harness.StartDetached("events-oom", new JsonObject { ["memory"] = new JsonObject { ["limit"] = 32L << 20, ["swap"] = 32L << 20 } });
        var psi = new ProcessStartInfo(Harness.Berth) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--root", Harness.StateRoot, "events", "--interval", "100ms", id })
            psi.ArgumentList.Add(a);
        using var events = Process.Start(psi)!;
        try
        {
            Assert.StartsWith("{\"type\":\"stats\"", events.StandardOutput.ReadLine());
            var hog = Harness.Run("exec", id, "sh", "-c", "x=$(dd if=/dev/zero bs=1M count=64 2>/dev/null | tr '\\0' a); echo survived");
            Assert.DoesNotContain("survived", hog.Stdout);
            var reader = Task.Run(() =>
            {
                for (string? line; (line = events.StandardOutput.ReadLine()) is not null;)
                    if (line == $"{{\"type\":\"oom\",\"id\":\"{id}\"}}")
                        return true;
                return false;
            });
            Assert.True(reader.Wait(10_000) && reader.Result, "no oom event within 10 s");
        }
        finally
        {
            Harness.Run("delete", "--force", id);
            if (!events.WaitForExit(10_000))
                events.Kill();
        }
    }

    [Fact]
    public void Checkpoint_and_restore_say_why_they_are_not_there()
    {
        foreach (string command in new[] { "checkpoint", "restore" })
        {
            var r = Harness.Run(command, "anything");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("criu", r.Stderr);
        }
    }

    [Fact]
    public void A_wrong_parent_path_is_named_before_checkpoint_says_it_is_not_there()
    {
        // As runc checks it before calling criu: absolute, or not a folder below --image-path.
        string images = Directory.CreateTempSubdirectory("berth-images").FullName;
        var absolute = Harness.Run("checkpoint", "--parent-path", Path.Combine(images, "parent"), "--image-path", images, "anything");
        Assert.True(absolute.ExitCode == 1 && absolute.Stderr.Contains("--parent-path must be relative"), absolute.ToString());
        var missing = Harness.Run("checkpoint", "--parent-path", "./parent", "--image-path", images, "anything");
        Assert.True(missing.ExitCode == 1 && missing.Stderr.Contains("invalid --parent-path"), missing.ToString());
        // With criu's own flags beside it too (runc's suite passes --work-path): still the parent path first.
        var withCriuFlags = Harness.Run("checkpoint", "--parent-path", "./parent", "--work-path", "./work", "--pre-dump", "--image-path", images, "anything");
        Assert.True(withCriuFlags.ExitCode == 1 && withCriuFlags.Stderr.Contains("invalid --parent-path"), withCriuFlags.ToString());
        Directory.CreateDirectory(Path.Combine(images, "parent"));
        var present = Harness.Run("checkpoint", "--parent-path=parent", "--image-path", images, "anything");
        Assert.True(present.ExitCode == 1 && present.Stderr.Contains("criu") && !present.Stderr.Contains("--parent-path"), present.ToString());
    }
}
