using System.Runtime.InteropServices;
using Berth.Images;
using Berth.Runtime.State;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// The container's root file system as the config names it (issue 13): a directory (<c>root.path</c>, its tree
/// checked against <c>root.digest</c> when given), or layers of berth's content store (<c>root.image</c>,
/// <c>root.layers</c>) stacked with overlayfs on the host: the stored layers read-only below, a writable upper and
/// work directory of the container's own in its state directory (none when <c>root.readonly</c>; one read-only layer
/// is then a read-only bind mount, overlayfs wanting two lower layers without an upper one), mounted on
/// <c>STATE/ID/layers/root</c>, which becomes the rootfs the plan pivots into.
/// <para>
/// <see cref="Resolve"/> decides everything and changes nothing, so a refused root leaves nothing behind;
/// <see cref="Mount"/> runs only after state.json records the container, so a create killed after it leaves a record
/// that delete finds; <see cref="Remove"/> (delete, a failed create) detaches the mount and removes the container's
/// layer, and never touches the store.
/// </para>
/// </summary>
internal sealed unsafe partial class RootLayers
{
    /// <summary>The directory in the container's state directory that holds root/, upper/ and work/.</summary>
    public const string Directory = "layers";


    /// <summary>The rootfs the plan uses: root.path made absolute, or the mount point of the layers.</summary>
    public string Rootfs { get; }

    /// <summary>The stored layers, bottom first; empty for a directory root.</summary>
    public IReadOnlyList<string> Layers { get; }

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

    /// <summary>
    /// Where the root comes from, checked before anything is made: the directory exists (and has the tree digest
    /// root.digest names), or the store has every layer and berth may mount them (a kernel without overlayfs is
    /// named when the mount fails: asking first costs every start).
    /// </summary>
    public static RootLayers Resolve(Berth.Spec.Spec spec, string bundle, string stateDirectory, string? storeRoot)
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
        List<string> layers;
        try
        {
            layers = root.Image is { } image
                ? (ImageStores.Find(store, image) ?? throw new BerthException($"root.image: the store {store.Root} has no image {image}; import it first (berth image import)")).Layers.Select(l => l.Path).ToList()
                : root.Layers!.Select((digest, i) => LayerOf(store, digest, i)).ToList();
        }
        catch (ImageException e)
        {
            throw new BerthException($"{field}: {e.Message}");
        }
        if (layers.Count == 0)
            throw new BerthException($"{field}: the image has no layers, so there is no root file system to stack");
        foreach (string layer in layers)
            if (!System.IO.Directory.Exists(layer))
                throw new BerthException($"{field}: the stored layer {layer} is missing; run berth image verify");
        return new RootLayers(Path.Combine(stateDirectory, Directory, "root"), layers, field, root.Readonly == true);
    }

    private static string LayerOf(ImageStore store, string digest, int index) =>
        store.LayerPath(Images.Digest.Parse(digest, $"root.layers[{index}]"))
            ?? throw new BerthException($"root.layers[{index}]: the store {store.Root} has no layer {digest}; import an image that has it first (berth image import)");

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

    /// <summary>
    /// Makes layers/ (root/, and upper/ and work/ unless read-only) in the container's state directory and mounts the
    /// layers on root/. The caller has recorded the container (state.json) first.
    /// </summary>
    public void Mount(ContainerDirectory dir)
    {
        if (!Stacked)
            return;
        int layersFd = MakeDirectory(dir.Descriptor, Directory, 0b111_000_000);
        using var closeLayers = new FdCloser(layersFd);
        int rootFd = MakeDirectory(layersFd, "root", 0b111_101_101);
        using var closeRoot = new FdCloser(rootFd);
        string target = $"/proc/self/fd/{rootFd}";
        string layersPath = Path.Combine(dir.Path, Directory);
        if (_readonly && Layers.Count == 1)
        {
            // overlayfs wants two lower layers when there is no upper one: a read-only bind of the one layer.
            Check(MountCall(Layers[0], target, null, (ulong)Linux.MS_BIND, null), $"bind the layer {Layers[0]} read-only on {layersPath}/root");
            // The remount goes through a descriptor of the bind itself: rootFd still names the directory under it.
            int top = Sys.OpenAt(layersFd, "root", O_PATH | O_DIRECTORY | O_NOFOLLOW);
            if (top < 0)
                Check(Sys.Errno, $"open the bind of {Layers[0]}");
            using var closeTop = new FdCloser(top);
            Check(MountCall(null, $"/proc/self/fd/{top}", null, (ulong)(Linux.MS_BIND | Linux.MS_REMOUNT | Linux.MS_RDONLY), null), $"make the bind of {Layers[0]} read-only");
            return;
        }
        string? upper = null, work = null;
        if (!_readonly)
        {
            // The upper directory's root is the container's "/": the usual 0755; work/ is overlayfs's own.
            Sys.Close(MakeDirectory(layersFd, "upper", 0b111_101_101));
            Sys.Close(MakeDirectory(layersFd, "work", 0b111_000_000));
            upper = Path.Combine(layersPath, "upper");
            work = Path.Combine(layersPath, "work");
        }
        // volatile: no sync of the upper file system when the overlay goes (overlayfs would otherwise flush the whole
        // host file system under the state directory at every delete, 10+ ms here). The container's layer lives as
        // long as the container and is removed with it, as podman does for --rm containers; its fsync()s are no-ops.
        string options = Overlay.MountOptions(Layers, upper, work) + (upper is null ? "" : ",volatile");
        // mount(2) copies one page of options; more layers than fit would be cut off.
        if (System.Text.Encoding.UTF8.GetByteCount(options) >= 4096)
            throw new BerthException($"{_field}: {Layers.Count} layers make overlayfs options of more than 4095 bytes, more than mount(2) takes");
        int error = MountCall("overlay", target, "overlay", 0, options);
        // Whether the kernel has overlayfs is asked only when the mount fails (reading /proc/filesystems costs a start).
        if (error == ENODEV && !Overlay.Available(out string reason))
            throw new BerthException($"{_field}: cannot stack the image's layers: {reason}");
        Check(error, $"mount the {Layers.Count} layer(s) of {_field} with overlayfs on {layersPath}/root");
    }

    private void Check(int error, string what)
    {
        if (error != 0)
            throw new BerthException($"{_field}: {what}: {Linux.Describe(error)}");
    }

    /// <summary>
    /// delete (and a create that failed): detaches whatever is mounted on layers/root, then removes layers/ with the
    /// container's upper and work directories. Nothing of the store is touched: only mounts are detached there.
    /// Returns what could not be removed, each a sentence (an empty list when there was nothing or all went); a mount
    /// that cannot be detached is an error, and the state directory must then stay.
    /// </summary>
    public static List<string> Remove(ContainerDirectory dir)
    {
        var problems = new List<string>();
        int layersFd = Sys.OpenAt(dir.Descriptor, Directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (layersFd < 0)
        {
            if (Sys.Errno != ENOENT)
                problems.Add($"open {Path.Combine(dir.Path, Directory)}: {Linux.Describe(Sys.Errno)}");
            return problems;
        }
        using var closeLayers = new FdCloser(layersFd);
        // A mount stacked on another is detached one at a time, each through a descriptor of what is on top now.
        bool detached = false;
        for (int i = 0; i < 16 && !detached; i++)
        {
            int rootFd = Sys.OpenAt(layersFd, "root", O_PATH | O_DIRECTORY | O_NOFOLLOW);
            if (rootFd < 0)
            {
                detached = true;
                break;
            }
            int error = Sys.DetachMount($"/proc/self/fd/{rootFd}");
            Sys.Close(rootFd);
            detached = error == EINVAL; // not a mount point (any more)
            if (detached)
                break;
            // Removing the state directory through a mount that is still there would reach into the layers: stop.
            if (error != 0)
                throw new BerthException($"cannot detach the container's root file system {Path.Combine(dir.Path, Directory, "root")}: {Linux.Describe(error)}; its state is kept, try delete again");
        }
        // Sixteen mounts stacked and one still there: removing through it would reach into the store's layers.
        if (!detached)
            throw new BerthException($"cannot detach the container's root file system {Path.Combine(dir.Path, Directory, "root")}: more than 16 mounts are stacked on it; its state is kept, try delete again");
        // The upper directory holds what the container wrote: any names, as deep as it made it.
        int err = LayerRemoval.EmptyAll(layersFd);
        if (err == 0)
            err = Sys.UnlinkAt(dir.Descriptor, Directory, AT_REMOVEDIR);
        if (err != 0 && err != ENOENT)
            problems.Add($"remove the container's layer {Path.Combine(dir.Path, Directory)}: {Linux.Describe(err)}");
        return problems;
    }

    /// <summary>mkdirat (an existing directory is fine: a create retried after a crash) and an O_NOFOLLOW descriptor.</summary>
    private int MakeDirectory(int parent, string name, int mode)
    {
        int err = Sys.MkdirAt(parent, name, mode);
        if (err != 0 && err != EEXIST)
            throw new BerthException($"{_field}: make {name}/ for the container's layers: {Linux.Describe(err)}");
        int fd = Sys.OpenAt(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0)
            throw new BerthException($"{_field}: open {name}/ for the container's layers: {Linux.Describe(Sys.Errno)}");
        return fd;
    }

    private static int MountCall(string? source, string target, string? type, ulong flags, string? data)
    {
        fixed (byte* s = source is null ? null : Sys.Utf8(source))
        fixed (byte* t = Sys.Utf8(target))
        fixed (byte* f = type is null ? null : Sys.Utf8(type))
        fixed (byte* d = data is null ? null : Sys.Utf8(data))
            return Mount(s, t, f, flags, d) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true)]
    private static partial int Mount(byte* source, byte* target, byte* type, ulong flags, byte* data);
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
