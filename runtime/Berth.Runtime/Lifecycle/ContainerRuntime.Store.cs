namespace Berth.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>
    /// The content store of imported images (issue 13): the global --store, or null for the default that
    /// Berth.Images' <c>ImageStore.DefaultRoot()</c> decides (/var/lib/berth/store as root, else
    /// $XDG_DATA_HOME/berth/store). Kept here, beside the state root, so that every command — `image …` and a create
    /// whose root names an image — opens the same store.
    /// </summary>
    public string? ImageStoreRoot { get; init; }
}
