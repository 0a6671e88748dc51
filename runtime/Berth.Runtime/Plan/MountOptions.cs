namespace Berth.Runtime.Plan;

/// <summary>An fstab-style option list split into mount(2) flags, propagation flags and file system data.</summary>
public sealed record ParsedMountOptions(long Flags, long ClearFlags, long Propagation, bool Bind, bool Recursive, string Data, IReadOnlyList<string> Ignored);

public static class MountOptions
{
    private static readonly Dictionary<string, (bool Clear, long Flag)> FlagTable = new(StringComparer.Ordinal)
    {
        ["defaults"] = (false, 0),
        ["ro"] = (false, Linux.MS_RDONLY), ["rw"] = (true, Linux.MS_RDONLY),
        ["nosuid"] = (false, Linux.MS_NOSUID), ["suid"] = (true, Linux.MS_NOSUID),
        ["nodev"] = (false, Linux.MS_NODEV), ["dev"] = (true, Linux.MS_NODEV),
        ["noexec"] = (false, Linux.MS_NOEXEC), ["exec"] = (true, Linux.MS_NOEXEC),
        ["sync"] = (false, Linux.MS_SYNCHRONOUS), ["async"] = (true, Linux.MS_SYNCHRONOUS),
        ["dirsync"] = (false, Linux.MS_DIRSYNC),
        ["remount"] = (false, Linux.MS_REMOUNT),
        ["mand"] = (false, Linux.MS_MANDLOCK), ["nomand"] = (true, Linux.MS_MANDLOCK),
        ["noatime"] = (false, Linux.MS_NOATIME), ["atime"] = (true, Linux.MS_NOATIME),
        ["nodiratime"] = (false, Linux.MS_NODIRATIME), ["diratime"] = (true, Linux.MS_NODIRATIME),
        ["relatime"] = (false, Linux.MS_RELATIME), ["norelatime"] = (true, Linux.MS_RELATIME),
        ["strictatime"] = (false, Linux.MS_STRICTATIME), ["nostrictatime"] = (true, Linux.MS_STRICTATIME),
        ["lazytime"] = (false, Linux.MS_LAZYTIME), ["nolazytime"] = (true, Linux.MS_LAZYTIME),
        ["nosymfollow"] = (false, Linux.MS_NOSYMFOLLOW), ["symfollow"] = (true, Linux.MS_NOSYMFOLLOW),
        ["silent"] = (false, Linux.MS_SILENT), ["loud"] = (true, Linux.MS_SILENT),
    };

    private static readonly Dictionary<string, long> PropagationTable = new(StringComparer.Ordinal)
    {
        ["private"] = Linux.MS_PRIVATE, ["rprivate"] = Linux.MS_PRIVATE | Linux.MS_REC,
        ["shared"] = Linux.MS_SHARED, ["rshared"] = Linux.MS_SHARED | Linux.MS_REC,
        ["slave"] = Linux.MS_SLAVE, ["rslave"] = Linux.MS_SLAVE | Linux.MS_REC,
        ["unbindable"] = Linux.MS_UNBINDABLE, ["runbindable"] = Linux.MS_UNBINDABLE | Linux.MS_REC,
    };

    /// <summary>Options some clients send that are for the runtime, not the kernel; accepted and not acted on.</summary>
    private static readonly HashSet<string> RuntimeOnly = new(StringComparer.Ordinal) { "tmpcopyup", "notmpcopyup", "copy-symlink", "z", "Z", "U" };

    public static ParsedMountOptions Parse(IReadOnlyList<string>? options, string field)
    {
        long flags = 0, clear = 0, propagation = 0;
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
        return new ParsedMountOptions(flags, clear, propagation, bind, recursive, string.Join(',', data), ignored);
    }
}
