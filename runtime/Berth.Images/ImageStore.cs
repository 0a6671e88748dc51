using System.Security.Cryptography;

namespace Berth.Images;

/// <summary>An image in the store: its manifest digest, tags, config and layers (bottom first).</summary>
public sealed record ImageRecord(Digest Digest, IReadOnlyList<string> Tags, Digest ConfigDigest, IReadOnlyList<LayerRecord> Layers, DateTimeOffset Imported);

/// <summary>One layer of an image: the blob digest the manifest names, its uncompressed digest (diff_id, which keys
/// the store), the read-only directory overlayfs stacks (<see cref="Path"/>), and the recorded fs-verity digest of its
/// manifest (<see cref="VerityManifest"/>) when import enabled fs-verity on it.</summary>
public sealed record LayerRecord(Digest Digest, Digest DiffId, string MediaType, long Size, string Path, Digest TreeDigest, string? Verity);

/// <summary>A stored layer as create stacks it: its diff_id, its directory, and its manifest's recorded fs-verity
/// digest (null when import did not enable fs-verity on it).</summary>
public sealed record LayerLocation(Digest DiffId, string Path, string? Verity);

/// <summary>
/// The content store (issue 13): images imported from OCI layouts, each layer unpacked once into a directory keyed by
/// its diff_id. Layout under <see cref="Root"/> (0700, root's only):
/// <code>
/// images.json              the images and layers (StoreIndex), rewritten atomically
/// blobs/sha256/HEX         manifests, configs and nested indexes as imported (0400)
/// layers/HEX/rootfs        a layer's files, overlayfs form (whiteouts as 0/0 devices, opaque attributes)
/// layers/HEX/files         the layer's tree-digest records (TreeDigest), which Verify compares against
/// layers/HEX/verity        where the kernel has fs-verity: its files' fs-verity digests (VerityManifest), itself verity
/// tmp/                     layers being unpacked; renamed into layers/ only once every check passed
/// lock                     flock'd by whoever changes the store
/// </code>
/// </summary>
public sealed class ImageStore
{
    private const string IndexFile = "images.json";

    public string Root { get; }

    private string IndexPath => Path.Combine(Root, IndexFile);
    private string BlobDirectory => Path.Combine(Root, "blobs", "sha256");
    private string LayerDirectory => Path.Combine(Root, "layers");
    private string TemporaryDirectory => Path.Combine(Root, "tmp");

    /// <summary>Opens (creating when missing) the store at <paramref name="root"/>, or at <see cref="DefaultRoot"/>.</summary>
    public ImageStore(string? root = null)
    {
        Root = Path.GetFullPath(root ?? DefaultRoot());
        // Made 0700 when berth makes it; an existing directory keeps its mode (a --store naming a shared directory
        // must not have it changed under others).
        try
        {
            if (!Directory.Exists(Root))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Root)!);
                Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            foreach (string directory in new[] { BlobDirectory, LayerDirectory, TemporaryDirectory })
                Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // The framework's own text is a resource key in this build (UseSystemResourceKeys): say it in words.
            string why = e is UnauthorizedAccessException ? "permission denied" : "an I/O error";
            throw new ImageException($"cannot make the image store {Root}: {why} (pass --store, or set XDG_DATA_HOME or HOME)", e);
        }
    }

    /// <summary>/var/lib/berth/store as root; else $XDG_DATA_HOME/berth/store, or ~/.local/share/berth/store.</summary>
    public static string DefaultRoot()
    {
        if (Native.Geteuid() == 0)
            return "/var/lib/berth/store";
        string? data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(data) || !Path.IsPathRooted(data))
        {
            string? home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrEmpty(home) || !Path.IsPathRooted(home))
                home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);
            // Never a store relative to the working directory: a home that cannot be found is an error.
            if (!Path.IsPathRooted(home))
                throw new ImageException("the image store has no default place: neither HOME nor the password database gives an absolute home directory; set HOME or XDG_DATA_HOME, or pass --store");
            data = Path.Combine(home, ".local", "share");
        }
        return Path.Combine(data, "berth", "store");
    }

    /// <summary>
    /// Imports the image <paramref name="reference"/> ("DIR" or "DIR:TAG", see <see cref="OciLayout.Open"/>): every
    /// blob checked against its digest and size, each new layer unpacked and its diff_id checked, then moved into the
    /// store. A layer already stored is not unpacked again. On any failure nothing is added to the store.
    /// </summary>
    public ImageRecord Import(string reference)
    {
        var image = OciLayout.Open(reference);
        using var storeLock = Lock();
        CleanTemporary();
        var index = StoreIndex.Load(IndexPath);
        var pending = new Dictionary<string, string>(StringComparer.Ordinal);
        var layers = new List<StoredImageLayer>();
        try
        {
            for (int i = 0; i < image.Layers.Count; i++)
            {
                var descriptor = image.Layers[i];
                var diffId = image.Config.DiffIds[i];
                if (index.Layers.ContainsKey(diffId.Hex) || pending.ContainsKey(diffId.Hex))
                    CheckStoredCopy(image, descriptor);
                else
                    pending[diffId.Hex] = Unpack(image, descriptor, diffId, index);
                layers.Add(new StoredImageLayer { Digest = descriptor.Digest.ToString(), DiffId = diffId.ToString(), MediaType = descriptor.MediaType, Size = descriptor.Size });
            }
        }
        catch
        {
            foreach (string directory in pending.Values)
                RemoveTree(directory);
            foreach (string hex in pending.Keys)
                index.Layers.Remove(hex);
            throw;
        }

        foreach (var (hex, directory) in pending)
        {
            string final = Path.Combine(LayerDirectory, hex);
            if (Directory.Exists(final))
                RemoveTree(directory); // A crash after the rename but before images.json was written: keep the stored one.
            else
                Directory.Move(directory, final);
        }
        WriteBlob(image.ManifestDigest, image.Manifest);
        WriteBlob(image.ConfigDigest, image.ConfigBlob);
        foreach (var (digest, content) in image.Indexes)
            WriteBlob(digest, content);

        string manifest = image.ManifestDigest.ToString();
        var tags = image.Tag is null ? new List<string>() : [image.Tag];
        foreach (var other in index.Images)
            other.Tags.RemoveAll(tags.Contains);
        var existing = index.Images.FirstOrDefault(i => i.Digest == manifest);
        if (existing is not null)
            existing.Tags = existing.Tags.Union(tags).ToList();
        else
            index.Images.Add(new StoredImage
            {
                Digest = manifest,
                Tags = tags,
                Config = image.ConfigDigest.ToString(),
                Indexes = image.Indexes.Select(x => x.Digest.ToString()).ToList(),
                Layers = layers,
                Imported = DateTimeOffset.UtcNow,
            });
        index.Save(IndexPath);
        return ToRecord(index.Images.First(i => i.Digest == manifest), index);
    }

    /// <summary>Every image in the store, in import order.</summary>
    public IReadOnlyList<ImageRecord> List()
    {
        var index = StoreIndex.Load(IndexPath);
        return index.Images.Select(i => ToRecord(i, index)).ToList();
    }

    /// <summary>The image a reference names: its manifest digest ("sha256:…"), a unique prefix of at least 12 hex
    /// digits, or a tag; null when none.</summary>
    public ImageRecord? Find(string reference)
    {
        var images = List();
        if (Digest.TryParse(reference, out var digest))
            return images.FirstOrDefault(i => i.Digest == digest);
        string hex = reference.StartsWith(Digest.Prefix, StringComparison.Ordinal) ? reference[Digest.Prefix.Length..] : reference;
        if (hex.Length >= 12 && hex.All(Uri.IsHexDigit))
        {
            var matches = images.Where(i => i.Digest.Hex.StartsWith(hex, StringComparison.Ordinal)).ToList();
            if (matches.Count == 1)
                return matches[0];
        }
        return images.FirstOrDefault(i => i.Tags.Contains(reference));
    }

    /// <summary>The image's config (Env, Cmd, Entrypoint, WorkingDir, User), read from the store and checked
    /// against its digest.</summary>
    public ImageConfig Config(ImageRecord image) => ImageConfig.Parse(ReadBlob(image.ConfigDigest), image.ConfigDigest);

    /// <summary>A stored manifest, config or index, checked against its digest.</summary>
    public byte[] ReadBlob(Digest digest)
    {
        string path = Path.Combine(BlobDirectory, digest.Hex);
        if (!File.Exists(path))
            throw new ImageException($"the blob {digest} is not in the store {Root}.");
        byte[] content = File.ReadAllBytes(path);
        var actual = Digest.Of(content);
        if (actual != digest)
            throw new ImageException($"the stored blob {digest} ({path}) has changed: it now hashes to {actual}; run berth image verify.");
        return content;
    }

    /// <summary>The layer <paramref name="digest"/> names (a diff_id, or a layer blob digest some stored manifest
    /// names), or null when the store does not have it.</summary>
    public LayerLocation? FindLayer(Digest digest)
    {
        var index = StoreIndex.Load(IndexPath);
        string hex = index.Layers.ContainsKey(digest.Hex)
            ? digest.Hex
            : index.Images.SelectMany(i => i.Layers).FirstOrDefault(l => l.Digest == digest.ToString()) is { } layer ? Digest.Parse(layer.DiffId, "diffId").Hex : "";
        return hex.Length > 0 && index.Layers.TryGetValue(hex, out var stored) ? new LayerLocation(Digest.Parse(Digest.Prefix + hex, "diffId"), RootfsOf(hex), stored.Verity) : null;
    }

    /// <summary>
    /// Removes the image <paramref name="reference"/> names (see <see cref="Find"/>), its blobs and the layers no other
    /// image uses. <paramref name="usedBy"/> is asked for the image and for each layer about to go: a non-null answer
    /// (what uses it, e.g. a container id) refuses the removal of the image, and keeps a layer.
    /// </summary>
    public ImageRecord Remove(string reference, Func<Digest, string?> usedBy)
    {
        using var storeLock = Lock();
        var record = Find(reference) ?? throw new ImageException($"the store {Root} has no image \"{reference}\".");
        if (usedBy(record.Digest) is { } user)
            throw new ImageException($"the image {record.Digest} is used by {user}; delete that first.");
        var index = StoreIndex.Load(IndexPath);
        var image = index.Images.First(i => i.Digest == record.Digest.ToString());
        index.Images.Remove(image);

        var keptLayers = index.Images.SelectMany(i => i.Layers).Select(l => l.DiffId).ToHashSet(StringComparer.Ordinal);
        var layersToRemove = image.Layers.Select(l => Digest.Parse(l.DiffId, "diffId"))
            .Where(d => !keptLayers.Contains(d.ToString()) && usedBy(d) is null).Distinct().ToList();
        var keptBlobs = index.Images.SelectMany(i => i.Indexes.Append(i.Digest).Append(i.Config)).ToHashSet(StringComparer.Ordinal);
        var blobsToRemove = image.Indexes.Append(image.Digest).Append(image.Config).Where(b => !keptBlobs.Contains(b)).Distinct().ToList();
        foreach (var layer in layersToRemove)
            index.Layers.Remove(layer.Hex);
        index.Save(IndexPath);

        // Out of layers/ first (a rename: atomic), then deleted.
        foreach (var layer in layersToRemove)
        {
            string directory = Path.Combine(LayerDirectory, layer.Hex);
            if (!Directory.Exists(directory))
                continue;
            string doomed = Path.Combine(TemporaryDirectory, "removing-" + layer.Hex);
            Directory.Move(directory, doomed);
            RemoveTree(doomed);
        }
        foreach (string blob in blobsToRemove)
            File.Delete(Path.Combine(BlobDirectory, Digest.Parse(blob, "blob").Hex));
        return record;
    }

    /// <summary>
    /// Re-hashes every stored blob and every unpacked layer against the records made at import, and where import
    /// enabled fs-verity measures the layer's manifest against images.json and each file against the manifest.
    /// Returns one sentence per problem, naming the blob or the file that changed; an empty list when everything matches.
    /// </summary>
    public IReadOnlyList<string> Verify()
    {
        var problems = new List<string>();
        var index = StoreIndex.Load(IndexPath);
        foreach (string blob in index.Images.SelectMany(i => i.Indexes.Append(i.Digest).Append(i.Config)).Distinct())
        {
            try
            {
                ReadBlob(Digest.Parse(blob, "blob"));
            }
            catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException)
            {
                problems.Add(e.Message);
            }
        }
        foreach (var (hex, layer) in index.Layers)
            problems.AddRange(VerifyLayer(hex, layer));
        return problems;
    }

    private List<string> VerifyLayer(string hex, StoredLayer layer)
    {
        string name = Digest.Prefix + hex;
        string filesPath = Path.Combine(LayerDirectory, hex, "files");
        if (!Directory.Exists(RootfsOf(hex)) || !File.Exists(filesPath))
            return [$"the layer {name} is missing from the store ({Path.Combine(LayerDirectory, hex)})."];
        List<string> problems = layer.Verity is { } verity ? VerityManifest.Check(Digest.Parse(name, "diffId"), RootfsOf(hex), verity, FsVerity.Measure) : [];
        byte[] stored = File.ReadAllBytes(filesPath);
        if (Digest.Of(stored).ToString() != layer.Tree || !stored.AsSpan().StartsWith(TreeDigest.Header))
            return [.. problems, $"the file list of the layer {name} ({filesPath}) has changed."];

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(TreeDigest.Header);
        var now = new List<TreeRecord>();
        var opaque = new List<string>();
        TreeDigest.Walk(RootfsOf(hex), record =>
        {
            hash.AppendData(record.Bytes);
            now.Add(record);
        }, OpaqueCollector(opaque));
        foreach (string directory in layer.Opaque.Except(opaque))
            problems.Add($"the layer {name}: {directory} is no longer marked opaque ({LayerUnpacker.OpaqueAttribute} was removed).");
        foreach (string directory in opaque.Except(layer.Opaque))
            problems.Add($"the layer {name}: {directory} was marked opaque after import ({LayerUnpacker.OpaqueAttribute}), which hides the layers below it.");
        if (Digest.FromHash(hash).ToString() == layer.Tree)
            return problems;

        var before = TreeRecord.Parse(stored.AsSpan(TreeDigest.Header.Length)).ToDictionary(r => r.PathText, StringComparer.Ordinal);
        var after = now.ToDictionary(r => r.PathText, StringComparer.Ordinal);
        foreach (var (path, record) in before)
        {
            if (!after.TryGetValue(path, out var current))
                problems.Add($"the layer {name}: {path} is missing (was {record.Describe()}).");
            else if (!current.Bytes.AsSpan().SequenceEqual(record.Bytes))
                problems.Add($"the layer {name}: {path} has changed (was {record.Describe()}, now {current.Describe()}).");
        }
        foreach (var path in after.Keys.Where(p => !before.ContainsKey(p)))
            problems.Add($"the layer {name}: {path} was added after import ({after[path].Describe()}).");
        return problems;
    }

    /// <summary>Unpacks one layer into tmp/ and checks its blob digest, size and diff_id; returns the directory.</summary>
    private string Unpack(OciImage image, Descriptor descriptor, Digest diffId, StoreIndex index)
    {
        string path = image.BlobPath(descriptor.Digest);
        if (!File.Exists(path))
            throw new ImageException($"the layer {descriptor.Digest} is missing from the layout ({path}).");
        string directory = Path.Combine(TemporaryDirectory, $"{diffId.Hex}-{Guid.NewGuid():N}");
        string rootfs = Path.Combine(directory, "rootfs");
        Directory.CreateDirectory(rootfs);
        try
        {
            using (var streams = LayerStreams.Open(path, descriptor))
            {
                Digest actual, actualDiffId;
                long size;
                try
                {
                    LayerUnpacker.Unpack(streams.Tar, rootfs, descriptor.Digest.ToString());
                    // Reading to the end checks the compressor's trailer too: gzip's CRC is what finds an altered
                    // byte inside a file's data, after the tar itself has ended.
                    (actual, size, actualDiffId) = streams.Finish();
                }
                catch (Exception e)
                {
                    // A tampered blob usually breaks its tar or its compression first: say so by its digest.
                    var (blob, _) = HashBlob(path);
                    if (blob != descriptor.Digest)
                        throw new ImageException($"the layer {descriptor.Digest} does not match its digest: the layout's blob hashes to {blob}; refusing the image.", e);
                    if (e is ImageException)
                        throw;
                    throw new ImageException($"the layer {descriptor.Digest} cannot be unpacked: {e.Message}", e);
                }
                OciLayout.CheckBlob(descriptor, "the layer", size, actual);
                if (actualDiffId != diffId)
                    throw new ImageException($"the layer {descriptor.Digest} unpacks to {actualDiffId}, but the image config {image.ConfigDigest} says its diff_id is {diffId}; refusing the image.");
            }

            var files = new MemoryStream();
            files.Write(TreeDigest.Header);
            var opaque = new List<string>();
            TreeDigest.Walk(rootfs, record => files.Write(record.Bytes), OpaqueCollector(opaque));
            byte[] list = files.ToArray();
            string filesPath = Path.Combine(directory, "files");
            File.WriteAllBytes(filesPath, list);
            File.SetUnixFileMode(filesPath, UnixFileMode.UserRead);
            string? verity = EnableVerity(rootfs, list);
            index.Layers[diffId.Hex] = new StoredLayer { Tree = Digest.Of(list).ToString(), Opaque = opaque, Verity = verity };
            return directory;
        }
        catch
        {
            RemoveTree(directory);
            throw;
        }
    }

    /// <summary>A layer already in the store: the layout's blob is still checked (every blob is verified).</summary>
    private static void CheckStoredCopy(OciImage image, Descriptor descriptor)
    {
        string path = image.BlobPath(descriptor.Digest);
        if (!File.Exists(path))
            throw new ImageException($"the layer {descriptor.Digest} is missing from the layout ({path}).");
        var (actual, size) = HashBlob(path);
        OciLayout.CheckBlob(descriptor, "the layer", size, actual);
    }

    private static (Digest Digest, long Size) HashBlob(string path)
    {
        using var stream = new HashingStream(File.OpenRead(path));
        var digest = stream.Finish();
        return (digest, stream.BytesRead);
    }

    /// <summary>Adds to <paramref name="opaque"/> each directory the walk meets that overlayfs would take as opaque.</summary>
    private static Action<string, int> OpaqueCollector(List<string> opaque) => (path, fd) =>
    {
        if (Native.GetXattr(fd, LayerUnpacker.OpaqueAttribute) is { } value && value.AsSpan().SequenceEqual("y"u8))
            opaque.Add(path);
    };

    /// <summary>Where the kernel and file system can: fs-verity on for every regular file of a new layer, and the
    /// layer's manifest of their digests written and sealed; returns the manifest's digest (null where they cannot).</summary>
    private static string? EnableVerity(string rootfs, byte[] list)
    {
        if (!FsVerity.Supported(rootfs, out _))
            return null;
        var files = TreeRecord.Parse(list.AsSpan(TreeDigest.Header.Length))
            .Where(record => record.Bytes.AsSpan(record.Path.Length + 1).StartsWith("f\0"u8))
            .Select(record => record.PathText);
        return VerityManifest.Seal(rootfs, files, FsVerity.Enable, FsVerity.Measure);
    }

    private ImageRecord ToRecord(StoredImage image, StoreIndex index) => new(
        Digest.Parse(image.Digest, "digest"),
        image.Tags,
        Digest.Parse(image.Config, "config"),
        image.Layers.Select(l =>
        {
            var diffId = Digest.Parse(l.DiffId, "diffId");
            var tree = index.Layers.TryGetValue(diffId.Hex, out var stored) ? Digest.Parse(stored.Tree, "tree") : diffId;
            return new LayerRecord(Digest.Parse(l.Digest, "digest"), diffId, l.MediaType, l.Size, RootfsOf(diffId.Hex), tree, stored?.Verity);
        }).ToList(),
        image.Imported);

    private string RootfsOf(string hex) => Path.Combine(LayerDirectory, hex, "rootfs");

    private void WriteBlob(Digest digest, byte[] content)
    {
        string path = Path.Combine(BlobDirectory, digest.Hex);
        if (File.Exists(path) && Digest.Of(File.ReadAllBytes(path)) == digest)
            return;
        string temporary = Path.Combine(TemporaryDirectory, digest.Hex + ".blob");
        File.WriteAllBytes(temporary, content);
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>What a crashed import or removal left in tmp/ (nothing there is referenced).</summary>
    private void CleanTemporary()
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(TemporaryDirectory))
            if (Directory.Exists(entry))
                RemoveTree(entry);
            else
                File.Delete(entry);
    }

    /// <summary>Deletes a directory tree of the store's own (read-only modes included).</summary>
    private static void RemoveTree(string directory)
    {
        if (!Directory.Exists(directory))
            return;
        if (Native.Geteuid() != 0)
            foreach (string sub in Directory.EnumerateDirectories(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Prepend(directory))
                File.SetUnixFileMode(sub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(directory, recursive: true);
    }

    private StoreLock Lock() => new(Path.Combine(Root, "lock"));

    /// <summary>An exclusive flock on the store's lock file, held while the store changes.</summary>
    private sealed class StoreLock : IDisposable
    {
        private readonly int fd;

        public StoreLock(string path)
        {
            fd = Native.OpenAt(Native.AT_FDCWD, Native.Z(path), Native.O_RDONLY | Native.O_CREAT | Native.O_NOFOLLOW, 0b110_000_000);
            if (fd < 0 || Native.Flock(fd, Native.LOCK_EX) != 0)
                throw new ImageException($"cannot lock the store ({path}): {Native.Describe(Native.Errno)}");
        }

        public void Dispose() => Native.Close(fd);
    }
}
