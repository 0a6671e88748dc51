using System.IO.Compression;
using System.Security.Cryptography;

namespace Berth.Images;

/// <summary>
/// A layer blob opened for unpacking: the file, hashed as read (the blob's digest), decompressed by its media type,
/// hashed again (the diff_id), so both digests are checked on the very bytes that were unpacked.
/// </summary>
internal sealed class LayerStreams : IDisposable
{
    private readonly HashingStream compressed;

    /// <summary>The uncompressed tar stream, hashed as read.</summary>
    public HashingStream Tar { get; }

    private LayerStreams(HashingStream compressed, HashingStream tar)
    {
        this.compressed = compressed;
        Tar = tar;
    }

    public static LayerStreams Open(string path, Descriptor layer)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 128 * 1024);
        var compressed = new HashingStream(file);
        return Compression(layer) switch
        {
            "gzip" => new LayerStreams(compressed, new HashingStream(new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true))),
            "zstd" => new LayerStreams(compressed, new HashingStream(new ZstdSharp.DecompressionStream(compressed, leaveOpen: true))),
            _ => new LayerStreams(compressed, new HashingStream(compressed, ownsInner: false)),
        };
    }

    /// <summary>Refuses a layer media type this reader cannot unpack, before anything is read.</summary>
    public static void CheckMediaType(Descriptor layer) => Compression(layer);

    /// <summary>Reads both streams to their ends and returns (blob digest, blob size, diff_id).</summary>
    public (Digest Blob, long Size, Digest DiffId) Finish()
    {
        var diffId = Tar.Finish();
        var blob = compressed.Finish();
        return (blob, compressed.BytesRead, diffId);
    }

    public void Dispose()
    {
        Tar.Dispose();
        compressed.Dispose();
    }

    private static string Compression(Descriptor layer) => layer.MediaType switch
    {
        "application/vnd.oci.image.layer.v1.tar" or "application/vnd.oci.image.layer.nondistributable.v1.tar" => "none",
        "application/vnd.oci.image.layer.v1.tar+gzip" or "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            or "application/vnd.docker.image.rootfs.diff.tar.gzip" => "gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd" or "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" => "zstd",
        _ => throw new ImageException($"the layer {layer.Digest} has the media type \"{layer.MediaType}\", which is not a tar layer (plain, gzip or zstd) this reader can unpack."),
    };
}

/// <summary>A stream that hashes what is read through it and counts the bytes.</summary>
internal sealed class HashingStream(Stream inner, bool ownsInner = true) : ReadOnlyStream
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    /// <summary>Reads what is left (tar's end padding, a compressor's trailer) so the digest covers it all.</summary>
    public Digest Finish()
    {
        var buffer = new byte[64 * 1024];
        while (Read(buffer, 0, buffer.Length) > 0)
        {
        }
        return Digest.FromHash(hash);
    }

    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        hash.AppendData(buffer[..read]);
        BytesRead += read;
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            hash.Dispose();
            if (ownsInner)
                inner.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// A tar stream that stops without its last block's padding or tar's end-of-archive marker (two zero blocks) gets
/// them: umoci 0.4.7's <c>insert</c> writes its layers that way, GNU tar reads them, .NET's TarReader would not. The
/// digests are taken below this stream, on the layer's own bytes, so a layer cut short still fails its diff_id.
/// </summary>
internal sealed class EndMarkerStream(Stream inner) : ReadOnlyStream
{
    private long position;
    private int markerLeft = -1;

    public override int Read(Span<byte> buffer)
    {
        if (markerLeft < 0)
        {
            int read = inner.Read(buffer);
            position += read;
            if (read > 0 || buffer.IsEmpty)
                return read;
            markerLeft = (int)((512 - position % 512) % 512) + 1024;
        }
        int count = Math.Min(markerLeft, buffer.Length);
        buffer[..count].Clear();
        markerLeft -= count;
        return count;
    }
}

/// <summary>The parts of a forward-only, read-only stream every one here shares.</summary>
internal abstract class ReadOnlyStream : Stream
{
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public abstract override int Read(Span<byte> buffer);
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
