using System.Formats.Tar;
using System.Text;

namespace Berth.Images.Tests;

/// <summary>Layers written to escape: every one is refused (or contained) and nothing lands outside the layer.</summary>
public class HostileTarTests
{
    internal sealed record Entry(TarEntryType Type, string Name, string? Content = null, string? Link = null, UnixFileMode Mode = (UnixFileMode)0b110_100_100, int Uid = 0, int Gid = 0);

    internal static MemoryStream Tar(params Entry[] entries) => Tar(TarEntryFormat.Pax, entries);

    /// <summary>A tar of the entries in pax or GNU format (GNU's headers can carry a newline in a name; .NET's reader
    /// refuses one in a pax record).</summary>
    internal static MemoryStream Tar(TarEntryFormat format, params Entry[] entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, format, leaveOpen: true))
            foreach (var e in entries)
            {
                TarEntry entry = format == TarEntryFormat.Gnu ? new GnuTarEntry(e.Type, e.Name) : new PaxTarEntry(e.Type, e.Name);
                entry.Mode = e.Mode;
                entry.Uid = e.Uid;
                entry.Gid = e.Gid;
                entry.ModificationTime = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);
                if (e.Link is not null)
                    entry.LinkName = e.Link;
                if (e.Content is not null)
                    entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(e.Content));
                writer.WriteEntry(entry);
            }
        stream.Position = 0;
        return stream;
    }

    /// <summary>Unpacks into DIR/layer beside DIR/outside (which holds one file); returns the refusal, if any.</summary>
    private static ImageException? Unpack(TemporaryDirectory temporary, params Entry[] entries)
    {
        Directory.CreateDirectory(temporary["layer"]);
        Directory.CreateDirectory(temporary["outside"]);
        File.WriteAllText(temporary["outside/kept"], "outside\n");
        try
        {
            LayerUnpacker.Unpack(Tar(entries), temporary["layer"], "sha256:test");
            return null;
        }
        catch (ImageException e)
        {
            return e;
        }
    }

    private static void AssertOutsideUntouched(TemporaryDirectory temporary)
    {
        Assert.Equal(["kept"], Directory.GetFileSystemEntries(temporary["outside"]).Select(Path.GetFileName));
        Assert.Equal("outside\n", File.ReadAllText(temporary["outside/kept"]));
        Assert.Equal(["layer", "outside"], Directory.GetFileSystemEntries(temporary.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_name_with_dot_dot_is_refused()
    {
        using var temporary = Commands.Temporary("dotdot");
        var error = Unpack(temporary, new Entry(TarEntryType.RegularFile, "../outside/kept", "pwned"));
        Assert.NotNull(error);
        Assert.Contains("\"..\"", error.Message);
        Assert.Contains("sha256:test", error.Message);
        AssertOutsideUntouched(temporary);
        var inner = Unpack(temporary, new Entry(TarEntryType.RegularFile, "a/../../x", "pwned"));
        Assert.NotNull(inner);
        AssertOutsideUntouched(temporary);
    }

    [Fact]
    public void An_absolute_name_is_refused()
    {
        using var temporary = Commands.Temporary("absolute");
        var error = Unpack(temporary, new Entry(TarEntryType.RegularFile, temporary["outside/kept"], "pwned"));
        Assert.NotNull(error);
        Assert.Contains("absolute", error.Message);
        AssertOutsideUntouched(temporary);
    }

    [Theory]
    [InlineData("absolute")]
    [InlineData("relative")]
    public void A_write_through_a_symbolic_link_an_earlier_entry_made_is_refused(string kind)
    {
        using var temporary = Commands.Temporary("symlink");
        string target = kind == "absolute" ? temporary["outside"] : "../outside";
        var error = Unpack(temporary,
            new Entry(TarEntryType.SymbolicLink, "escape", Link: target),
            new Entry(TarEntryType.RegularFile, "escape/pwned", "pwned"));
        Assert.NotNull(error);
        Assert.Contains("goes through \"escape\", which is a symbolic link", error.Message);
        AssertOutsideUntouched(temporary);

        // Through a link inside a directory, and a directory entry through a link: the same.
        Assert.NotNull(Unpack(temporary,
            new Entry(TarEntryType.Directory, "d", Mode: (UnixFileMode)0b111_101_101),
            new Entry(TarEntryType.SymbolicLink, "d/up", Link: target),
            new Entry(TarEntryType.Directory, "d/up/made", Mode: (UnixFileMode)0b111_101_101)));
        AssertOutsideUntouched(temporary);
    }

    [Fact]
    public void A_file_over_a_symbolic_link_replaces_the_link_and_writes_nothing_through_it()
    {
        using var temporary = Commands.Temporary("replace");
        var error = Unpack(temporary,
            new Entry(TarEntryType.SymbolicLink, "kept", Link: temporary["outside/kept"]),
            new Entry(TarEntryType.RegularFile, "kept", "inside"));
        Assert.Null(error);
        Assert.Equal("inside", File.ReadAllText(temporary["layer/kept"]));
        Assert.Null(new FileInfo(temporary["layer/kept"]).LinkTarget);
        AssertOutsideUntouched(temporary);
    }

    [Theory]
    [InlineData("../outside/kept")]
    [InlineData("/etc/passwd")]
    [InlineData("escape/kept")]
    [InlineData("missing")]
    public void A_hard_link_to_anything_outside_the_layer_is_refused(string target)
    {
        using var temporary = Commands.Temporary("hardlink");
        var error = Unpack(temporary,
            new Entry(TarEntryType.SymbolicLink, "escape", Link: temporary["outside"]),
            new Entry(TarEntryType.HardLink, "linked", Link: target));
        Assert.NotNull(error);
        Assert.Contains("\"linked\"", error.Message);
        Assert.False(File.Exists(temporary["layer/linked"]));
        AssertOutsideUntouched(temporary);
    }

    [Fact]
    public void A_hard_link_inside_the_layer_shares_the_file()
    {
        using var temporary = Commands.Temporary("hardlink-inside");
        Assert.Null(Unpack(temporary,
            new Entry(TarEntryType.RegularFile, "a/file", "shared"),
            new Entry(TarEntryType.HardLink, "b/link", Link: "./a/file")));
        Assert.Equal("shared", File.ReadAllText(temporary["layer/b/link"]));
        Assert.Equal("2", Commands.Succeed("stat", "-c", "%h", temporary["layer/a/file"]).Trim());
    }

    [SkippableFact]
    public void Modes_owners_times_devices_and_attributes_are_kept()
    {
        Skip.IfNot(Commands.IsRoot, "owners and device nodes need root");
        using var temporary = Commands.Temporary("metadata");
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            var time = new DateTimeOffset(2021, 5, 6, 7, 8, 9, TimeSpan.Zero);
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "tmp") { Mode = (UnixFileMode)0b1_111_111_111, ModificationTime = time });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/su", new Dictionary<string, string> { ["SCHILY.xattr.user.note"] = "kept", ["SCHILY.xattr.trusted.overlay.opaque"] = "y" })
            {
                Mode = (UnixFileMode)0b100_111_101_101, Uid = 1000, Gid = 1001, ModificationTime = time, DataStream = new MemoryStream("su"u8.ToArray()),
            });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { Mode = (UnixFileMode)0b110_110_110, DeviceMajor = 1, DeviceMinor = 3, ModificationTime = time });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "run/fifo") { Mode = (UnixFileMode)0b110_000_000, Uid = 7, ModificationTime = time });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/sh") { LinkName = "/bin/busybox", Uid = 5, Gid = 6, ModificationTime = time });
        }
        stream.Position = 0;
        Directory.CreateDirectory(temporary["layer"]);
        LayerUnpacker.Unpack(stream, temporary["layer"], "sha256:test");

        string Stat(string path) => Commands.Succeed("stat", "-c", "%A %u:%g %Y %t,%T", temporary["layer/" + path]).Trim();
        Assert.Equal("drwxrwxrwt 0:0 1620284889 0,0", Stat("tmp"));
        Assert.Equal("-rwsr-xr-x 1000:1001 1620284889 0,0", Stat("bin/su"));
        Assert.Equal("crw-rw-rw- 0:0 1620284889 1,3", Stat("dev/null"));
        Assert.Equal("prw------- 7:0 1620284889 0,0", Stat("run/fifo"));
        Assert.Equal("lrwxrwxrwx 5:6 1620284889 0,0", Stat("bin/sh"));
        Assert.Equal("/bin/busybox", new FileInfo(temporary["layer/bin/sh"]).LinkTarget);
        Assert.Equal("kept", ImportTests.Attribute(temporary["layer/bin/su"], "user.note"));
        // overlay's own attributes never come from a layer's headers.
        Assert.Null(ImportTests.Attribute(temporary["layer/bin/su"], "trusted.overlay.opaque"));
    }

    [Fact]
    public void A_layer_with_a_hostile_entry_leaves_nothing_in_the_store()
    {
        using var temporary = Commands.Temporary("hostile-import");
        string layout = temporary["layout"];
        var tar = Tar(new Entry(TarEntryType.RegularFile, "fine", "ok"), new Entry(TarEntryType.RegularFile, "../escape", "pwned")).ToArray();
        HandLayout.Write(layout, tar);
        var store = new ImageStore(temporary["store"]);
        var error = Assert.Throws<ImageException>(() => store.Import(layout));
        Assert.Contains("\"../escape\"", error.Message);
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "layers")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
        Assert.False(File.Exists(Path.Combine(store.Root, "escape")));
    }
}
