using System.Text;
using Berth.Runtime.State;

namespace Berth.Runtime.UnitTests;

/// <summary>What `image rm` asks the state root: which containers' recorded configs name an image or layers.</summary>
public class ImageUsersTests
{
    private static IReadOnlyList<string> References(string json) => ImageUsers.ReferencesIn(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Root_image_and_root_layers_are_the_references_of_a_config()
    {
        Assert.Equal(["sha256:aa", "sha256:bb", "sha256:cc"], References("""{"root": {"image": "sha256:aa", "layers": ["sha256:bb", "sha256:cc"]}}"""));
        Assert.Equal(["app"], References("""{"ociVersion": "1.3.0", "root": {"image": "app", "readonly": true}}"""));
    }

    [Theory]
    [InlineData("""{"root": {"path": "rootfs"}}""")]
    [InlineData("""{"root": {"path": "rootfs", "digest": "sha256:aa"}}""")]
    [InlineData("""{"root": "rootfs"}""")]
    [InlineData("""{"root": {"image": 7, "layers": "sha256:aa"}}""")]
    [InlineData("""[]""")]
    [InlineData("""not json""")]
    [InlineData("")]
    public void A_config_without_an_image_root_names_nothing(string json) => Assert.Empty(References(json));

    [Fact]
    public void The_containers_of_a_state_root_that_name_images_are_found_through_their_recorded_configs()
    {
        string root = Directory.CreateTempSubdirectory("berth-image-users").FullName;
        try
        {
            void Container(string id, string? config)
            {
                Directory.CreateDirectory(Path.Combine(root, id));
                if (config is not null)
                    File.WriteAllText(Path.Combine(root, id, StateStore.ConfigFile), config);
            }
            Container("b-image", """{"root": {"image": "sha256:aa"}}""");
            Container("a-layers", """{"root": {"layers": ["sha256:bb"]}}""");
            Container("plain", """{"root": {"path": "rootfs"}}""");
            Container("creating", null);
            File.WriteAllText(Path.Combine(root, "not-a-directory"), "");

            var uses = ImageUsers.Read(new StateStore(root));
            Assert.Equal(["a-layers", "b-image"], uses.Select(u => u.ContainerId));
            Assert.Equal(["sha256:bb"], uses[0].References);
            Assert.Equal(["sha256:aa"], uses[1].References);
            Assert.Empty(ImageUsers.Read(new StateStore(Path.Combine(root, "missing"))));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
