using static Tmds.Linux.LibC;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// Removes a directory tree the container wrote (its upper layer), whatever it put there: names are handled as the
/// bytes they are (a name that is not UTF-8 must not survive as an undeletable entry), nothing is followed (every
/// entry is unlinked or opened O_NOFOLLOW relative to its parent's descriptor), and the depth a container chose does
/// not decide how many descriptors berth holds: below <see cref="MaxDepth"/> levels a subtree is renamed up into the
/// top directory and removed from there afterwards.
/// </summary>
internal static class LayerRemoval
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
            int fd = Sys.OpenAt(topFd, next, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (fd < 0)
                return Sys.Errno;
            err = Empty(fd, topFd, 0, pending, ref moved);
            Sys.Close(fd);
            if (err == 0)
                err = Sys.UnlinkAt(topFd, next, AT_REMOVEDIR);
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
            int err = Sys.UnlinkAt(dirFd, entry, 0);
            if (err == EISDIR)
            {
                if (depth >= MaxDepth)
                {
                    // Renamed up, out of this path: removed later from the top, with descriptors to spare.
                    byte[] alias = Sys.Utf8($"removing-{Environment.ProcessId}-{moved++}");
                    err = Sys.RenameAt(dirFd, entry, topFd, alias);
                    if (err == 0)
                        pending.Enqueue(alias);
                }
                else
                {
                    int sub = Sys.OpenAt(dirFd, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                    err = sub < 0 ? Sys.Errno : Empty(sub, topFd, depth + 1, pending, ref moved);
                    if (sub >= 0)
                        Sys.Close(sub);
                    if (err == 0)
                        err = Sys.UnlinkAt(dirFd, entry, AT_REMOVEDIR);
                }
            }
            if (err != 0 && err != ENOENT)
                return err;
        }
        return 0;
    }
}
