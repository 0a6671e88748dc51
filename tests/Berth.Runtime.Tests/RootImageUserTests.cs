using Berth.Config;
using Berth.Runtime.Bundles;

namespace Berth.Runtime.Tests;

/// <summary>
/// An image's User looked up in its stored layers (ImageUsers): as overlayfs stacks them (top first, whiteouts and
/// opaque directories hide what is below), and never through a symbolic link, which the image could aim anywhere.
/// </summary>
public sealed class RootImageUserTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("berth-image-users").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Layer(string name, params (string Path, string Content)[] files)
    {
        string layer = Path.Combine(_directory, name);
        Directory.CreateDirectory(Path.Combine(layer, "etc"));
        foreach (var (path, content) in files)
            File.WriteAllText(Path.Combine(layer, path), content);
        return layer;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setxattr", SetLastError = true)]
    private static extern int SetXattr(string path, string name, byte[] value, nuint size, int flags);

    private const string Passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345:app:/:/bin/sh\n";

    [Fact]
    public void A_name_is_looked_up_in_the_top_most_passwd_that_has_it()
    {
        string lower = Layer("lower", ("etc/passwd", "root:x:0:0::/:/bin/sh\n"));
        string upper = Layer("upper", ("etc/passwd", Passwd), ("etc/group", "root:x:0:\nstaff:x:50:\n"));
        Assert.Equal(new ImageUser(1234, 2345), ImageUsers.Resolve([upper, lower], "app"));
        Assert.Equal(new ImageUser(1234, 50), ImageUsers.Resolve([upper, lower], "app:staff"));
        Assert.Equal(new ImageUser(1234, 7), ImageUsers.Resolve([upper, lower], "app:7"));
        // A number alone takes its primary group from passwd, and 0 when no entry names it.
        Assert.Equal(new ImageUser(1234, 2345), ImageUsers.Resolve([upper, lower], "1234"));
        Assert.Equal(new ImageUser(99, 0), ImageUsers.Resolve([upper, lower], "99"));
    }

    [SkippableFact]
    public void A_layer_without_the_file_shows_the_one_below_unless_its_etc_is_opaque()
    {
        string lower = Layer("lower", ("etc/passwd", Passwd));
        string upper = Layer("upper", ("etc/hostname", "h\n"));
        Assert.Equal(new ImageUser(1234, 2345), ImageUsers.Resolve([upper, lower], "app"));
        HostSupport.SkipIfLacking(HostSupport.LacksRoot);
        Assert.Equal(0, SetXattr(Path.Combine(upper, "etc"), "trusted.overlay.opaque", "y"u8.ToArray(), 1, 0));
        var e = Assert.Throws<ImageLookupException>(() => ImageUsers.Resolve([upper, lower], "app"));
        Assert.Contains("no /etc/passwd", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_whiteout_hides_the_file_below()
    {
        HostSupport.SkipIfLacking(HostSupport.LacksRoot);
        string lower = Layer("lower", ("etc/passwd", Passwd));
        string upper = Layer("upper");
        Assert.Equal(0, Harness.Exec("mknod", [Path.Combine(upper, "etc", "passwd"), "c", "0", "0"]).ExitCode);
        var e = Assert.Throws<ImageLookupException>(() => ImageUsers.Resolve([upper, lower], "app"));
        Assert.Contains("no /etc/passwd", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("etc")]
    [InlineData("etc/passwd")]
    public void A_symbolic_link_is_not_followed_but_refused_with_what_to_do(string link)
    {
        string outside = Path.Combine(_directory, "host-etc");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "passwd"), "app:x:0:0::/:/bin/sh\n");
        string upper = Path.Combine(_directory, "upper");
        Directory.CreateDirectory(Path.Combine(upper, "etc"));
        if (link == "etc")
            Directory.Delete(Path.Combine(upper, "etc"));
        File.CreateSymbolicLink(Path.Combine(upper, link), link == "etc" ? outside : Path.Combine(outside, "passwd"));
        var e = Assert.Throws<ImageLookupException>(() => ImageUsers.Resolve([upper], "app"));
        Assert.Contains($"/{link} is a symbolic link", e.Message, StringComparison.Ordinal);
        Assert.Contains("set process.user", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_nobody_has_is_an_error_naming_it()
    {
        string layer = Layer("only", ("etc/passwd", Passwd));
        var e = Assert.Throws<ImageLookupException>(() => ImageUsers.Resolve([layer], "ghost"));
        Assert.Equal("the image's /etc/passwd has no user \"ghost\" (its User is \"ghost\")", e.Message);
        e = Assert.Throws<ImageLookupException>(() => ImageUsers.Resolve([layer], "app:ghosts"));
        Assert.Contains("no /etc/group", e.Message, StringComparison.Ordinal);
    }
}
