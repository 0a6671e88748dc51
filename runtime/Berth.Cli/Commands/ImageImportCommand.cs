using Berth.Cli.Parsing;

namespace Berth.Cli.Commands;

/// <summary>`berth image import DIR[:TAG]`: an OCI image layout into the store, every blob checked; prints the
/// manifest digest (<see cref="Berth.Images.ImageStore.Import"/>).</summary>
public static class ImageImportCommand
{
    public static readonly CommandDefinition Definition = new("image import", "DIR[:TAG]",
        "import an OCI image layout (skopeo, buildah, umoci, podman save --format oci-dir), checking every blob; prints the manifest digest",
        [], Run)
    { FromRunc = false };

    private static int Run(Invocation call)
    {
        string reference = call.Arguments.Single("image layout (DIR or DIR:TAG)");
        var image = ImageCommand.Store(call).Import(reference);
        StandardStreams.WriteLine(image.Digest.ToString());
        return 0;
    }
}
