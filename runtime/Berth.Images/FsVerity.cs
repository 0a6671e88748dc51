namespace Berth.Images;

/// <summary>
/// fs-verity (Documentation/filesystems/fsverity.rst): once enabled on a file the kernel checks every page read
/// against a Merkle tree and the file can no longer be written; its measured digest is read in O(1). Needs a kernel
/// built with CONFIG_FS_VERITY and a file system that has it (ext4 and f2fs with the verity feature, btrfs).
/// </summary>
public static unsafe class FsVerity
{
    // _IOW('f', 133, struct fsverity_enable_arg /* 128 bytes */) and _IOWR('f', 134, struct fsverity_digest /* 4 */).
    private const ulong FS_IOC_ENABLE_VERITY = 0x40806685;
    private const ulong FS_IOC_MEASURE_VERITY = 0xC0046686;
    private const ushort FS_VERITY_HASH_ALG_SHA256 = 1;

    /// <summary>
    /// Whether files in <paramref name="directory"/> can have fs-verity enabled: a probe file is made there, verity
    /// enabled on it, and it is removed. <paramref name="reason"/> says why not (the kernel or the file system).
    /// </summary>
    public static bool Supported(string directory, out string reason)
    {
        string probe = Path.Combine(directory, $".berth-verity-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, "berth"u8.ToArray());
            int error = TryEnable(probe);
            reason = error switch
            {
                0 => "",
                Native.ENOTTY or Native.EOPNOTSUPP when KernelBuiltWith() == false => "this kernel is built without fs-verity (no CONFIG_FS_VERITY in /proc/config.gz)",
                Native.ENOTTY => "this kernel or file system does not know the fs-verity ioctl",
                Native.EOPNOTSUPP => $"the file system of {directory} does not support fs-verity (or it is not enabled on it: ext4 needs the verity feature)",
                _ => $"enabling fs-verity on a file in {directory} failed: {Native.Describe(error)}",
            };
            return error == 0;
        }
        finally
        {
            File.Delete(probe);
        }
    }

    /// <summary>Enables fs-verity (SHA-256, 4 KiB blocks) on <paramref name="file"/>, which must not be open for writing.
    /// A file that has it already is left as it is: a layer's hard links are one file under several names.</summary>
    public static void Enable(string file)
    {
        int error = TryEnable(file);
        if (error != 0 && error != Native.EEXIST)
            throw new ImageException($"cannot enable fs-verity on {file}: {Native.Describe(error)}");
    }

    /// <summary>The file's fs-verity digest ("sha256:…", the digest of its verity descriptor, not of its contents),
    /// or null when the file has no fs-verity.</summary>
    public static string? Measure(string file)
    {
        int fd = Native.OpenAt(Native.AT_FDCWD, Native.Z(file), Native.O_RDONLY | Native.O_NOFOLLOW);
        if (fd < 0)
            throw new ImageException($"cannot open {file}: {Native.Describe(Native.Errno)}");
        try
        {
            byte* buffer = stackalloc byte[4 + 64];
            *(ushort*)buffer = 0;
            *(ushort*)(buffer + 2) = 64;
            if (Native.Ioctl(fd, FS_IOC_MEASURE_VERITY, buffer) != 0)
            {
                int error = Native.Errno;
                return error is Native.ENODATA or Native.ENOTTY or Native.EOPNOTSUPP
                    ? null
                    : throw new ImageException($"cannot read the fs-verity digest of {file}: {Native.Describe(error)}");
            }
            ushort algorithm = *(ushort*)buffer;
            ushort size = *(ushort*)(buffer + 2);
            string prefix = algorithm == FS_VERITY_HASH_ALG_SHA256 ? "sha256:" : $"alg{algorithm}:";
            return prefix + Convert.ToHexStringLower(new ReadOnlySpan<byte>(buffer + 4, size));
        }
        finally
        {
            Native.Close(fd);
        }
    }

    private static int TryEnable(string file)
    {
        int fd = Native.OpenAt(Native.AT_FDCWD, Native.Z(file), Native.O_RDONLY | Native.O_NOFOLLOW);
        if (fd < 0)
            return Native.Errno;
        try
        {
            byte* argument = stackalloc byte[128];
            new Span<byte>(argument, 128).Clear();
            *(uint*)argument = 1; // version
            *(uint*)(argument + 4) = FS_VERITY_HASH_ALG_SHA256;
            *(uint*)(argument + 8) = 4096; // block size
            return Native.Ioctl(fd, FS_IOC_ENABLE_VERITY, argument) == 0 ? 0 : Native.Errno;
        }
        finally
        {
            Native.Close(fd);
        }
    }

    /// <summary>Whether this kernel was built with fs-verity, from /proc/config.gz when it has one (null: unknown).</summary>
    public static bool? KernelBuiltWith()
    {
        try
        {
            using var file = File.OpenRead("/proc/config.gz");
            using var reader = new StreamReader(new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress));
            for (string? line; (line = reader.ReadLine()) is not null;)
                if (line.StartsWith("CONFIG_FS_VERITY=", StringComparison.Ordinal))
                    return true;
            return false;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
