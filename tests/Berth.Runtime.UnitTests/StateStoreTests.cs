using Berth.Runtime.State;

namespace Berth.Runtime.UnitTests;

/// <summary>The state directory's files: written in place under the lock, read without it.</summary>
public class StateStoreTests
{
    private static (StateStore Store, ContainerRecord Record) NewContainer()
    {
        var store = new StateStore(Directory.CreateTempSubdirectory("berth-store").FullName);
        var record = new ContainerRecord { Id = "c1", Bundle = "/b", Rootfs = "/b/rootfs", OciVersion = "1.3.0" };
        using (var dir = store.CreateDirectory(record.Id))
            dir.SaveNew(record);
        return (store, record);
    }

    [Fact]
    public void Save_rewrites_in_place_and_load_reads_the_new_record()
    {
        var (store, record) = NewContainer();
        using var dir = store.Lock(record.Id);
        record.Pid = 4242;
        record.Cgroups.Add("/sys/fs/cgroup/pids/berth/c1");
        dir.Save(record);
        var loaded = store.Load(record.Id);
        Assert.Equal(4242, loaded.Pid);
        Assert.Equal(["/sys/fs/cgroup/pids/berth/c1"], loaded.Cgroups);

        // A shorter record is one write padded with spaces to the old length (a kill between a write and a truncation
        // would leave a torn record): no tail of the longer one, only whitespace JSON allows after the value.
        string file = Path.Combine(store.DirectoryOf(record.Id), StateStore.StateFile);
        long longer = new FileInfo(file).Length;
        record.Cgroups.Clear();
        record.Pid = 7;
        dir.Save(record);
        Assert.Equal(7, store.Load(record.Id).Pid);
        byte[] bytes = File.ReadAllBytes(file);
        Assert.Equal(longer, bytes.Length);
        Assert.Equal(record.ToJson(), bytes[..record.ToJson().Length]);
        Assert.All(bytes[record.ToJson().Length..], b => Assert.Equal((byte)' ', b));
    }

    [Fact]
    public void Load_waits_out_a_half_written_file()
    {
        var (store, record) = NewContainer();
        string path = Path.Combine(store.DirectoryOf(record.Id), StateStore.StateFile);
        byte[] full = record.ToJson();
        File.WriteAllBytes(path, full.AsSpan(0, full.Length / 2).ToArray());
        // The writer finishes a moment later, as Save does under the lock (its own thread: a pool thread may be late).
        var writer = new Thread(() =>
        {
            Thread.Sleep(30);
            File.WriteAllBytes(path, full);
        });
        writer.Start();
        var loaded = store.Load(record.Id);
        writer.Join();
        Assert.Equal(record.Id, loaded.Id);
        Assert.Equal("/b", loaded.Bundle);
    }

    [Fact]
    public void Load_of_a_missing_container_says_it_does_not_exist()
    {
        var store = new StateStore(Directory.CreateTempSubdirectory("berth-store").FullName);
        var e = Assert.Throws<BerthException>(() => store.Load("nope"));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Remove_deletes_the_directory_with_everything_in_it()
    {
        var (store, record) = NewContainer();
        File.WriteAllText(Path.Combine(store.DirectoryOf(record.Id), "config.provenance.json"), "{}");
        Directory.CreateDirectory(Path.Combine(store.DirectoryOf(record.Id), "sub", "deeper"));
        using (var dir = store.Lock(record.Id))
            store.Remove(dir);
        Assert.False(Directory.Exists(store.DirectoryOf(record.Id)));
    }

    [Fact]
    public void Readers_never_see_a_mix_of_two_writes()
    {
        var (store, record) = NewContainer();
        using var dir = store.Lock(record.Id);
        bool stop = false;
        // The writer alternates a short and a long record (the long one adds cgroups), as create does.
        var writer = new Thread(() =>
        {
            for (int i = 0; !Volatile.Read(ref stop); i++)
            {
                var next = new ContainerRecord { Id = record.Id, Bundle = "/b", Rootfs = "/b/rootfs", OciVersion = "1.3.0", Pid = i % 2 == 0 ? 1 : 123456 };
                if (i % 2 == 1)
                    next.Cgroups.AddRange(Enumerable.Range(0, 10).Select(n => $"/sys/fs/cgroup/h{n}/berth/c1"));
                // Records of several pages, so that an unprotected read could straddle a write.
                next.Annotations["filler"] = new string(i % 2 == 0 ? 'a' : 'b', 20_000 + (i % 2) * 5_000);
                dir.Save(next);
            }
        });
        writer.Start();
        try
        {
            for (int i = 0; i < 3000; i++)
            {
                var seen = store.Load(record.Id);
                bool first = seen.Pid == 1 && seen.Cgroups.Count == 0 && seen.Annotations.GetValueOrDefault("filler") is { Length: 20_000 } a && !a.Contains('b');
                bool second = seen.Pid == 123456 && seen.Cgroups.Count == 10 && seen.Annotations.GetValueOrDefault("filler") is { Length: 25_000 } b && !b.Contains('a');
                Assert.True(first || second || seen.Pid == 0, $"read {i}: pid {seen.Pid} with {seen.Cgroups.Count} cgroups, a mixed record");
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            writer.Join();
        }
    }
}
