using static Tmds.Linux.LibC;

namespace Berth.Runtime;

/// <summary>
/// Writes straight to a descriptor, reporting failure as an errno rather than an exception: berth's stderr may be a
/// read-only /dev/null (go-runc's null IO gives the runtime one), and a message must then still reach --log.
/// </summary>
public static class Descriptors
{
    public const int StandardError = 2;

    /// <summary>Opens (creating, mode 0644 less the umask) a file every write of which goes to its end, whoever else
    /// writes it (O_APPEND): a log several berth processes share. -1 with <paramref name="error"/> when it cannot.</summary>
    public static int OpenForAppend(string path, out int error)
    {
        int fd = Sys.Open(path, O_WRONLY | O_CREAT | O_APPEND, 0b110_100_100);
        error = fd < 0 ? Sys.Errno : 0;
        return fd;
    }

    /// <summary>Writes all of <paramref name="data"/>; 0 or the errno of the write that failed.</summary>
    public static int Write(int fd, ReadOnlySpan<byte> data) => Sys.WriteAll(fd, data);
}
