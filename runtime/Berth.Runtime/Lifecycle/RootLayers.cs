using Berth.Images;
using Berth.Runtime.State;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// The container's root file system as the config names it (issue 13): a directory (<c>root.path</c>, its tree
/// checked against <c>root.digest</c> when given), or layers of berth's content store (<c>root.image</c>,
/// <c>root.layers</c>). Stored layers are stacked by berth before clone into a detached mount — overlayfs with every
/// layer given by descriptor, read-only, and a tmpfs of the container's own as its writable layer (none when
/// <c>root.readonly</c>; one read-only layer is then a read-only clone of its directory) — which the container's first
/// process attaches on <c>STATE/@layers</c> in its own mount namespace (the plan's <see cref="Plan.AttachLayersOp"/>).
/// <para>
/// Nothing is mounted on the host and nothing is made per container: every stacked container attaches its own stack on
/// the same empty directory of the state root, each in a mount namespace of its own (the host's mounts already made
/// slaves there, so nothing propagates back). The stack, and what the container wrote, go away with the container's
/// mount namespace; a berth killed at any moment leaves no mount and no layer behind, and delete has nothing to
/// remove. The name cannot be a container id ('@'), so no container's state directory can take it.
/// </para>
/// <para><see cref="Resolve"/> decides everything and changes nothing, so a refused root leaves nothing behind.</para>
/// </summary>
internal sealed class RootLayers
{
    /// <summary>The empty directory of the state root that stacked roots are attached on, each in its own namespace.</summary>
    public const string MountPoint = "@layers";

    /// <summary>The rootfs the plan uses: root.path made absolute, or the mount point of the layers.</summary>
    public string Rootfs { get; }

    /// <summary>The stored layers, bottom first; empty for a directory root.</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>The content store the layers are in (its full path); null for a directory root.</summary>
    public string? StoreRoot { get; private init; }

    /// <summary>The config field that named the layers (root.image or root.layers), for errors.</summary>
    private readonly string _field;
    private readonly bool _readonly;

    private RootLayers(string rootfs, IReadOnlyList<string> layers, string field, bool readOnly)
    {
        Rootfs = rootfs;
        Layers = layers;
        _field = field;
        _readonly = readOnly;
    }

    public bool Stacked => Layers.Count > 0;

    /// <summary>What the plan stacks on <see cref="Rootfs"/>; null for a directory root.</summary>
    public Plan.StackedRoot? Stack => Stacked ? new Plan.StackedRoot(_field, Layers, !_readonly) : null;

    /// <summary>
    /// Where the root comes from, checked before anything is made: the directory exists (and has the tree digest
    /// root.digest names), or the store has every layer and berth may mount them (a kernel without overlayfs is
    /// named when the mount fails: asking first costs every start), and each layer import sealed with fs-verity still
    /// has the manifest images.json records (<see cref="CheckVerity"/>).
    /// </summary>
    public static RootLayers Resolve(Berth.Spec.Spec spec, string bundle, string stateRoot, string? storeRoot)
    {
        var root = spec.Root;
        if (root?.Image is null && root?.Layers is null)
        {
            string rootfs = Path.GetFullPath(root?.Path ?? "", bundle);
            if (!System.IO.Directory.Exists(rootfs))
                throw new BerthException($"root.path: the rootfs {rootfs} does not exist");
            if (root?.Digest is { } expected)
                CheckTree(rootfs, expected);
            return new RootLayers(rootfs, [], "root.path", false);
        }

        string field = root.Image is not null ? "root.image" : "root.layers";
        if (RootlessContext.IsRootless)
            throw new BerthException($"{field}: a rootless berth cannot stack the image's layers: mounting overlayfs on the host needs CAP_SYS_ADMIN there; run berth as root, or unpack the image into a directory and give root.path");
        var store = ImageStores.Open(storeRoot, field);
        List<LayerLocation> layers;
        try
        {
            layers = root.Image is { } image
                ? (ImageStores.Find(store, image) ?? throw new BerthException($"root.image: the store {store.Root} has no image {image}; import it first (berth image import)")).Layers.Select(l => new LayerLocation(l.DiffId, l.Path, l.Verity)).ToList()
                : root.Layers!.Select((digest, i) => LayerOf(store, digest, i)).ToList();
        }
        catch (ImageException e)
        {
            throw new BerthException($"{field}: {e.Message}");
        }
        if (layers.Count == 0)
            throw new BerthException($"{field}: the image has no layers, so there is no root file system to stack");
        CheckVerity(field, layers, FsVerity.Measure);
        // A layer missing from the store is named when berth opens it to stack it (Exec/Lowering): asking first costs every start.
        return new RootLayers(Path.Combine(stateRoot, MountPoint), layers.ConvertAll(l => l.Path), field, root.Readonly == true) { StoreRoot = store.Root };
    }

    private static LayerLocation LayerOf(ImageStore store, string digest, int index) =>
        store.FindLayer(Images.Digest.Parse(digest, $"root.layers[{index}]"))
            ?? throw new BerthException($"root.layers[{index}]: the store {store.Root} has no layer {digest}; import an image that has it first (berth image import)");

    /// <summary>
    /// Each layer import sealed with fs-verity: its manifest measured once (one ioctl, no content read) and compared
    /// with images.json, so a listing changed since import is refused before anything is made. A layer without a
    /// recorded digest costs nothing here: no syscall. The kernel then checks every read of each file against that
    /// file's own Merkle tree; a file swapped for another verity file is what <c>berth image verify</c> finds.
    /// </summary>
    internal static void CheckVerity(string field, IReadOnlyList<LayerLocation> layers, Func<string, string?> measure)
    {
        foreach (var layer in layers)
            if (layer.Verity is { } recorded && VerityManifest.Mismatch(layer.DiffId, layer.Path, recorded, measure) is { } mismatch)
                throw new BerthException($"{field}: {mismatch}; refusing to stack a layer changed since import: run berth image verify");
    }

    /// <summary>root.digest: the tree digest of the directory, computed now, must be the one the config names.</summary>
    private static void CheckTree(string rootfs, string expected)
    {
        Images.Digest found;
        try
        {
            found = TreeDigest.Compute(rootfs);
        }
        catch (ImageException e)
        {
            throw new BerthException($"root.digest: cannot compute the tree digest of {rootfs}: {e.Message}");
        }
        if (found.ToString() != expected)
            throw new BerthException($"root.digest: the rootfs {rootfs} has the tree digest {found}, but the config expects {expected}; refusing to run a root that changed");
    }

    /// <summary>The empty directory of the state root the child attaches the layers on; made by the first stacked
    /// container and kept (an existing one is fine).</summary>
    public void MakeMountPoint()
    {
        if (!Stacked)
            return;
        int err = Sys.Mkdir(Rootfs, 0b111_101_101);
        if (err != 0 && err != EEXIST)
            throw new BerthException($"{_field}: make the mount point {Rootfs} for the container's layers: {Linux.Describe(err)}");
        // What is there already must be the directory itself: the child opens it without following a link anyway.
        if (err == EEXIST && Sys.TypeAt(AT_FDCWD, Rootfs) != (int)S_IFDIR)
            throw new BerthException($"{_field}: the mount point of stacked roots {Rootfs} is not a directory (a link or another file was put there): remove it, and berth makes it again");
    }
}

/// <summary>Opening berth's content store for a container: only a store that exists (a lookup must not make one),
/// once a process (the config's fill-in and create both look the image up).</summary>
internal static class ImageStores
{
    private static readonly Dictionary<string, ImageStore> Opened = new(StringComparer.Ordinal);
    private static readonly Dictionary<(string Store, string Image), ImageRecord?> Found = [];

    /// <summary>The image <paramref name="image"/> names in the store, or null; read once a process.</summary>
    public static ImageRecord? Find(ImageStore store, string image)
    {
        if (!Found.TryGetValue((store.Root, image), out var record))
            Found[(store.Root, image)] = record = store.Find(image);
        return record;
    }

    public static ImageStore Open(string? root, string field)
    {
        string path = Path.GetFullPath(root ?? ImageStore.DefaultRoot());
        if (Opened.TryGetValue(path, out var opened))
            return opened;
        if (!System.IO.Directory.Exists(path))
            throw new BerthException($"{field}: the content store {path} does not exist: import the image first (berth image import), or name the store");
        try
        {
            return Opened[path] = new ImageStore(path);
        }
        catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException)
        {
            throw new BerthException($"{field}: cannot open the content store {path}: {e.Message}");
        }
    }
}
