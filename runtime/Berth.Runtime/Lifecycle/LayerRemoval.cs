using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// Removes a directory tree the container wrote (its upper layer), whatever it put there: names are handled as the
/// bytes they are (a name that is not UTF-8 must not survive as an undeletable entry), nothing is followed (every
/// entry is unlinked or opened O_NOFOLLOW relative to its parent's descriptor), and the depth a container chose does
/// not decide how many descriptors berth holds: below <see cref="MaxDepth"/> levels a subtree is renamed up into the
/// top directory and removed from there afterwards.
/// </summary>
internal static unsafe partial class LayerRemoval
{
    private const int MaxDepth = 32;

    /// <summary>Empties the directory <paramref name="topFd"/> (the container's layers/), everything below it
    /// included; 0 or the first errno.</summary>
    public static int EmptyAll(int topFd)
    {
        var pending = new Queue<byte[]>();
        int moved = 0;
        int err = Empty(topFd, topFd, 0, pending, ref moved);
        while (err == 0 && pending.Count > 0)
        {
            byte[] next = pending.Dequeue();
            int fd = OpenAt(topFd, next);
            if (fd < 0)
                return Marshal.GetLastPInvokeError();
            err = Empty(fd, topFd, 0, pending, ref moved);
            Sys.Close(fd);
            if (err == 0)
                err = UnlinkAt(topFd, next, AT_REMOVEDIR);
        }
        return err == ENOENT ? 0 : err;
    }

    private static int Empty(int dirFd, int topFd, int depth, Queue<byte[]> pending, ref int moved)
    {
        var names = Sys.RawNames(dirFd, out int error);
        if (names is null)
            return error;
        foreach (byte[] entry in names)
        {
            int err = UnlinkAt(dirFd, entry, 0);
            if (err == EISDIR)
            {
                if (depth >= MaxDepth)
                {
                    // Renamed up, out of this path: removed later from the top, with descriptors to spare.
                    byte[] alias = Sys.Utf8($"removing-{Environment.ProcessId}-{moved++}");
                    err = RenameAt(dirFd, entry, topFd, alias);
                    if (err == 0)
                        pending.Enqueue(alias);
                }
                else
                {
                    int sub = OpenAt(dirFd, entry);
                    err = sub < 0 ? Marshal.GetLastPInvokeError() : Empty(sub, topFd, depth + 1, pending, ref moved);
                    if (sub >= 0)
                        Sys.Close(sub);
                    if (err == 0)
                        err = UnlinkAt(dirFd, entry, AT_REMOVEDIR);
                }
            }
            if (err != 0 && err != ENOENT)
                return err;
        }
        return 0;
    }

    /// <summary>Names are NUL-terminated byte arrays here (Sys.Utf8 makes them so).</summary>
    private static int UnlinkAt(int dirFd, byte[] name, int flags)
    {
        fixed (byte* p = name)
            return Unlinkat(dirFd, p, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    private static int RenameAt(int fromFd, byte[] from, int toFd, byte[] to)
    {
        fixed (byte* f = from)
        fixed (byte* t = to)
            return Renameat(fromFd, f, toFd, t) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    private static int OpenAt(int dirFd, byte[] name)
    {
        byte[] terminated = name.Length > 0 && name[^1] == 0 ? name : [.. name, 0];
        fixed (byte* p = terminated)
            return Openat(dirFd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int Unlinkat(int dirfd, byte* name, int flags);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true)]
    private static partial int Renameat(int fromFd, byte* from, int toFd, byte* to);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int Openat(int dirfd, byte* name, int flags);
}
