using System.Runtime.InteropServices;
using System.Text;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// The mounts of a container that shares berth's mount namespace (its config lists no "mount" namespace): they were
/// made below its rootfs in berth's own namespace, where nothing takes them away when the container ends. delete
/// detaches them, deepest first. Each is reached by walking from the rootfs one component at a time without
/// following links (a container could have put a link where a directory was, to aim the detach at a host mount) and
/// detached through that descriptor (/proc/self/fd/N), never by the path string.
/// </summary>
internal static unsafe partial class HostMounts
{

    public static List<string> DetachBelow(string rootfs)
    {
        var errors = new List<string>();
        string prefix = rootfs.TrimEnd('/') + "/";
        string? table = Sys.ReadSmall("/proc/self/mountinfo", out int readError);
        if (table is null)
        {
            errors.Add($"read /proc/self/mountinfo to detach the container's mounts: {Linux.Describe(readError)}");
            return errors;
        }
        var points = new List<string>();
        foreach (string line in table.Split('\n'))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) is { } point && point.StartsWith(prefix, StringComparison.Ordinal))
                points.Add(point);
        }
        // Deepest first; a point listed twice (mounts stacked on it) is detached twice, the top one each time.
        foreach (string point in points.OrderByDescending(p => p.Count(c => c == '/')))
        {
            int fd = WalkNoLinks(rootfs, point[prefix.Length..], out int walkError);
            if (fd < 0)
            {
                errors.Add($"detach {point}: {Linux.Describe(walkError)} (left mounted)");
                continue;
            }
            int err = Sys.DetachMount($"/proc/self/fd/{fd}");
            Sys.Close(fd);
            if (err != 0 && err != EINVAL)
                errors.Add($"detach {point}: {Linux.Describe(err)}");
        }
        return errors;
    }

    /// <summary>An O_PATH descriptor of rootfs/relative, every component opened with O_NOFOLLOW; -1 and the error.</summary>
    private static int WalkNoLinks(string rootfs, string relative, out int error)
    {
        int cur = Sys.Open(rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW);
        error = cur < 0 ? Sys.Errno : 0;
        foreach (string name in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (cur < 0)
                return -1;
            if (name is "." or "..")
            {
                Sys.Close(cur);
                error = EINVAL;
                return -1;
            }
            int next = Sys.OpenAt(cur, name, O_PATH | O_NOFOLLOW);
            int err = Sys.Errno;
            Sys.Close(cur);
            if (next >= 0 && Sys.FileType(next) == (int)S_IFLNK)
            {
                Sys.Close(next);
                next = -1;
                err = ELOOP;
            }
            if (next < 0)
            {
                error = err;
                return -1;
            }
            cur = next;
        }
        return cur;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \ooo.</summary>
    private static string? Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                sb.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else
                sb.Append(field[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 2 < s.Length && s[at] is >= '0' and <= '3' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
