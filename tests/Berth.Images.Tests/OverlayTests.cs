namespace Berth.Images.Tests;

public class OverlayTests
{
    [Fact]
    public void Mount_options_list_the_top_layer_first_and_escape_separators()
    {
        Assert.Equal("lowerdir=/s/c:/s/b:/s/a", Overlay.MountOptions(["/s/a", "/s/b", "/s/c"], null, null));
        Assert.Equal("lowerdir=/s/b\\:x:/s/a,upperdir=/c/u\\,1,workdir=/c/w", Overlay.MountOptions(["/s/a", "/s/b:x"], "/c/u,1", "/c/w"));
        Assert.Throws<ImageException>(() => Overlay.MountOptions([], null, null));
        Assert.Throws<ImageException>(() => Overlay.MountOptions(["/s/a"], "/u", null));
    }

    [Fact]
    public void The_store_root_defaults_by_user()
    {
        string root = ImageStore.DefaultRoot();
        Assert.Equal(Commands.IsRoot ? "/var/lib/berth/store" : "berth/store", Commands.IsRoot ? root : root[^"berth/store".Length..]);
    }

    [Fact]
    public void Digests_are_sha256_in_lowercase_hex_only()
    {
        Assert.True(Digest.TryParse("sha256:" + new string('a', 64), out _));
        Assert.False(Digest.TryParse("sha256:" + new string('A', 64), out _));
        Assert.False(Digest.TryParse("sha512:" + new string('a', 64), out _));
        Assert.False(Digest.TryParse("sha256:" + new string('a', 63), out _));
        Assert.Contains("config.digest", Assert.Throws<ImageException>(() => Digest.Parse("md5:x", "config.digest")).Message);
    }
}
