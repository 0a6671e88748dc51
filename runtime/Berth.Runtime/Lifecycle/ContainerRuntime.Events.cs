using System.Text.Json;
using Berth.Runtime.Cgroups;
using Berth.Runtime.State;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// `berth events`: runc's event stream for one container, one JSON object a line — {"type":"stats","id":…,"data":…}
/// every interval (or once with --stats) and {"type":"oom","id":…} when the kernel's OOM killer acts in its memory
/// cgroup. It ends when the container is gone.
/// </summary>
public sealed partial class ContainerRuntime
{
    public void Events(string id, bool statsOnce, TimeSpan interval, Stream output, CancellationToken cancel = default)
    {
        if (interval <= TimeSpan.Zero)
            throw new BerthException($"--interval must be positive", 2);
        string cgroupsPath = CgroupPathOf(id, out var record);
        var layout = CgroupLayout.Host;
        if (record.Cgroups.Count == 0)
            throw new BerthException($"container \"{id}\" has no cgroups of its own, so there are no stats to read");
        using var w = new Utf8JsonWriter(output);
        void Emit(string type, bool withStats)
        {
            w.Reset(output);
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WriteString("id", id);
            if (withStats)
            {
                w.WritePropertyName("data");
                CgroupStats.Write(w, layout, cgroupsPath);
            }
            w.WriteEndObject();
            w.Flush();
            output.WriteByte((byte)'\n');
            output.Flush();
        }
        if (statsOnce)
        {
            Emit("stats", withStats: true);
            return;
        }
        ulong? ooms = CgroupStats.OomKills(layout, cgroupsPath);
        var step = TimeSpan.FromMilliseconds(Math.Min(100, interval.TotalMilliseconds));
        var next = DateTime.UtcNow;
        while (!cancel.IsCancellationRequested)
        {
            using (var dir = Store.TryOpen(id, locked: false, out _))
            {
                if (dir is null || !dir.TryLoad(out var now) || now is null || dir.StatusOf(now) == ContainerStatus.Stopped)
                    return;
            }
            if (CgroupStats.OomKills(layout, cgroupsPath) is ulong kills && ooms is ulong before && kills > before)
                Emit("oom", withStats: false);
            ooms = CgroupStats.OomKills(layout, cgroupsPath) ?? ooms;
            if (DateTime.UtcNow >= next)
            {
                Emit("stats", withStats: true);
                next = DateTime.UtcNow + interval;
            }
            Thread.Sleep(step);
        }
    }

    /// <summary>The cgroups path of a container that exists and is not stopped, from its record.</summary>
    private string CgroupPathOf(string id, out ContainerRecord record)
    {
        using var dir = Store.Open(id);
        record = dir.Load();
        if (dir.StatusOf(record) is ContainerStatus.Stopped)
            throw new BerthException($"container \"{id}\" is stopped (container not running)");
        return RecordedCgroupsPath(record);
    }

    /// <summary>The cgroups path create resolved; a record of an older berth has none, and is refused.</summary>
    private static string RecordedCgroupsPath(ContainerRecord record) =>
        record.CgroupsPath.Length > 0 ? record.CgroupsPath
            : throw new BerthException($"container \"{record.Id}\" was created by an older berth whose record lacks its cgroups path: delete it and create it again");
}
