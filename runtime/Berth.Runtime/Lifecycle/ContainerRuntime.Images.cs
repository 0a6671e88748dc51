namespace Berth.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>berth's content store (issue 13), where root.image and root.layers are looked up; null:
    /// Berth.Images.ImageStore.DefaultRoot() (/var/lib/berth/store as root). The command line's --store sets it.</summary>
    public string? ImageStoreRoot { get; init; }

    /// <summary>What removing a container's layers could not do: warnings, since the rest of the cleanup goes on.</summary>
    private void WarnAll(IEnumerable<string> problems)
    {
        foreach (string problem in problems)
            Warn("delete: " + problem);
    }
}
