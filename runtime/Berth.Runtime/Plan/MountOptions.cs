using static Berth.Runtime.Linux;

namespace Berth.Runtime.Plan;

/// <summary>An fstab-style option list split into mount(2) flags, propagation flags, recursive mount attributes
/// (MOUNT_ATTR_* to set and to clear on a mount and everything below it: rro, rnosuid, …) and file system data.</summary>
public sealed record ParsedMountOptions(long Flags, long ClearFlags, long Propagation, bool Bind, bool Recursive, string Data, IReadOnlyList<string> Ignored)
{
    public long RecursiveSet { get; init; }
    public long RecursiveClear { get; init; }
}

public static class MountOptions
{
    private static readonly Dictionary<string, (bool Clear, long Flag)> FlagTable = new(StringComparer.Ordinal)
    {
        ["defaults"] = (false, 0),
        ["ro"] = (false, MS_RDONLY), ["rw"] = (true, MS_RDONLY),
        ["nosuid"] = (false, MS_NOSUID), ["suid"] = (true, MS_NOSUID),
        ["nodev"] = (false, MS_NODEV), ["dev"] = (true, MS_NODEV),
        ["noexec"] = (false, MS_NOEXEC), ["exec"] = (true, MS_NOEXEC),
        ["sync"] = (false, MS_SYNCHRONOUS), ["async"] = (true, MS_SYNCHRONOUS),
        ["dirsync"] = (false, MS_DIRSYNC),
        ["remount"] = (false, MS_REMOUNT),
        ["mand"] = (false, MS_MANDLOCK), ["nomand"] = (true, MS_MANDLOCK),
        ["noatime"] = (false, MS_NOATIME), ["atime"] = (true, MS_NOATIME),
        ["nodiratime"] = (false, MS_NODIRATIME), ["diratime"] = (true, MS_NODIRATIME),
        ["relatime"] = (false, MS_RELATIME), ["norelatime"] = (true, MS_RELATIME),
        ["strictatime"] = (false, MS_STRICTATIME), ["nostrictatime"] = (true, MS_STRICTATIME),
        ["lazytime"] = (false, MS_LAZYTIME), ["nolazytime"] = (true, MS_LAZYTIME),
        ["nosymfollow"] = (false, MS_NOSYMFOLLOW), ["symfollow"] = (true, MS_NOSYMFOLLOW),
        ["silent"] = (false, MS_SILENT), ["loud"] = (true, MS_SILENT),
    };

    /// <summary>
    /// The recursive attribute options runc 1.1.5 knows, as MOUNT_ATTR_* bits to set and to clear. The access times are
    /// one field: each of those options clears the whole field and sets the one it names (relatime is 0), so that
    /// "ratime" and "rnostrictatime" leave the kernel's default (relatime) where runc's mount_setattr fails with EINVAL;
    /// "rnorelatime" changes nothing, as in runc (the kernel has no "not relatime" of its own).
    /// </summary>
    private static readonly Dictionary<string, (long Set, long Clear)> RecursiveTable = new(StringComparer.Ordinal)
    {
        ["rro"] = (MOUNT_ATTR_RDONLY, 0), ["rrw"] = (0, MOUNT_ATTR_RDONLY),
        ["rnosuid"] = (MOUNT_ATTR_NOSUID, 0), ["rsuid"] = (0, MOUNT_ATTR_NOSUID),
        ["rnodev"] = (MOUNT_ATTR_NODEV, 0), ["rdev"] = (0, MOUNT_ATTR_NODEV),
        ["rnoexec"] = (MOUNT_ATTR_NOEXEC, 0), ["rexec"] = (0, MOUNT_ATTR_NOEXEC),
        ["rnodiratime"] = (MOUNT_ATTR_NODIRATIME, 0), ["rdiratime"] = (0, MOUNT_ATTR_NODIRATIME),
        ["rnosymfollow"] = (MOUNT_ATTR_NOSYMFOLLOW, 0), ["rsymfollow"] = (0, MOUNT_ATTR_NOSYMFOLLOW),
        ["rnoatime"] = (MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME), ["rstrictatime"] = (MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME),
        ["rrelatime"] = (MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME), ["ratime"] = (MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME),
        ["rnostrictatime"] = (MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME), ["rnorelatime"] = (0, 0),
    };

    private static readonly Dictionary<string, long> PropagationTable = new(StringComparer.Ordinal)
    {
        ["private"] = MS_PRIVATE, ["rprivate"] = MS_PRIVATE | MS_REC,
        ["shared"] = MS_SHARED, ["rshared"] = MS_SHARED | MS_REC,
        ["slave"] = MS_SLAVE, ["rslave"] = MS_SLAVE | MS_REC,
        ["unbindable"] = MS_UNBINDABLE, ["runbindable"] = MS_UNBINDABLE | MS_REC,
    };

    /// <summary>MOUNT_ATTR_* bits and the mount(2) flags that mean the same (the access times apart).</summary>
    private static readonly (long Flag, long Attr)[] AttributeFlags =
    [
        (MS_RDONLY, MOUNT_ATTR_RDONLY), (MS_NOSUID, MOUNT_ATTR_NOSUID), (MS_NODEV, MOUNT_ATTR_NODEV),
        (MS_NOEXEC, MOUNT_ATTR_NOEXEC), (MS_NODIRATIME, MOUNT_ATTR_NODIRATIME), (MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW),
    ];

    /// <summary>Options some clients send that are for the runtime, not the kernel; accepted and not acted on.</summary>
    private static readonly HashSet<string> RuntimeOnly = new(StringComparer.Ordinal) { "tmpcopyup", "notmpcopyup", "copy-symlink", "z", "Z", "U" };

    public static ParsedMountOptions Parse(IReadOnlyList<string>? options, string field)
    {
        long flags = 0, clear = 0, propagation = 0, recursiveSet = 0, recursiveClear = 0;
        bool bind = false, recursive = false;
        var data = new List<string>();
        var ignored = new List<string>();
        for (int i = 0; options is not null && i < options.Count; i++)
        {
            string option = options[i];
            if (FlagTable.TryGetValue(option, out var entry))
            {
                if (entry.Clear)
                {
                    flags &= ~entry.Flag;
                    clear |= entry.Flag;
                }
                else
                {
                    flags |= entry.Flag;
                    clear &= ~entry.Flag;
                }
            }
            else if (RecursiveTable.TryGetValue(option, out var attr))
            {
                // The later option wins; an access time replaces the one before it.
                recursiveSet = (recursiveSet & ~attr.Clear & ~attr.Set) | attr.Set;
                recursiveClear = (recursiveClear & ~attr.Set) | attr.Clear;
            }
            else if (PropagationTable.TryGetValue(option, out long p))
                propagation = p;
            else if (option == "bind")
                bind = true;
            else if (option == "rbind")
                (bind, recursive) = (true, true);
            else if (RuntimeOnly.Contains(option))
                ignored.Add(option);
            else if (option is "idmap" or "ridmap" || (option.Length > 2 && option[0] == 'r' && FlagTable.ContainsKey(option[1..])))
                throw new BerthException($"{field}[{i}]: mount option \"{option}\" is not supported by berth");
            else
                data.Add(option);
        }
        return new ParsedMountOptions(flags, clear, propagation, bind, recursive, string.Join(',', data), ignored)
        {
            RecursiveSet = recursiveSet,
            RecursiveClear = recursiveClear,
        };
    }

    /// <summary>The flag options as MOUNT_ATTR_* bits to set and to clear on one mount (mount_setattr, not recursive).</summary>
    public static (long Set, long Clear) Attributes(ParsedMountOptions options)
    {
        long set = 0, clear = 0;
        foreach (var (flag, attr) in AttributeFlags)
        {
            if ((options.Flags & flag) != 0)
                set |= attr;
            else if ((options.ClearFlags & flag) != 0)
                clear |= attr;
        }
        long atime = MS_NOATIME | MS_STRICTATIME | MS_RELATIME;
        if (((options.Flags | options.ClearFlags) & atime) != 0)
        {
            clear |= MOUNT_ATTR__ATIME;
            if ((options.Flags & MS_NOATIME) != 0)
                set |= MOUNT_ATTR_NOATIME;
            else if ((options.Flags & MS_STRICTATIME) != 0)
                set |= MOUNT_ATTR_STRICTATIME;
        }
        return (set, clear);
    }

    /// <summary>
    /// The mount(2) flags of a new mount that is not a bind, with its recursive attributes folded in: nothing is below
    /// a file system that is being mounted, so "rro" on it is "ro". (runc 1.1.5 applies r* options to bind mounts only
    /// and drops them silently elsewhere; berth does what they say.)
    /// </summary>
    public static long FlagsWithRecursive(ParsedMountOptions options)
    {
        long flags = options.Flags;
        foreach (var (flag, attr) in AttributeFlags)
        {
            if ((options.RecursiveSet & attr) != 0)
                flags |= flag;
            else if ((options.RecursiveClear & attr) != 0)
                flags &= ~flag;
        }
        if ((options.RecursiveClear & MOUNT_ATTR__ATIME) != 0)
        {
            flags &= ~(MS_NOATIME | MS_STRICTATIME | MS_RELATIME);
            flags |= (options.RecursiveSet & MOUNT_ATTR__ATIME) switch
            {
                MOUNT_ATTR_NOATIME => MS_NOATIME,
                MOUNT_ATTR_STRICTATIME => MS_STRICTATIME,
                _ => MS_RELATIME,
            };
        }
        return flags;
    }
}
