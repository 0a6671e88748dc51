using Berth.Spec;

namespace Berth.Runtime.Cgroups;

/// <summary>One device cgroup rule: type 'a', 'c' or 'b'; -1 for a wildcard number; access some of "rwm".</summary>
public readonly record struct DeviceRule(bool Allow, char Type, long Major, long Minor, string Access, string Field)
{
    /// <summary>"a", "c 1:5 rwm", "c 136:* rwm": the form devices.allow and devices.deny take.</summary>
    public string ToV1Line() => Type == 'a' ? "a" : $"{Type} {Number(Major)}:{Number(Minor)} {Access}";

    /// <summary>A rule for every device with every access: it resets the list instead of adding to it.</summary>
    public bool IsAll => Type == 'a' && Major < 0 && Minor < 0 && Access.Length == 3;

    private static string Number(long n) => n < 0 ? "*" : n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// linux.resources.devices, lowered to the rules berth applies, in order. Default: deny everything, then allow what
/// runc allows every container (mknod of any node; null, zero, full, random, urandom, tty, ptmx, /dev/pts/*, tun),
/// then the config's own rules — so a config can still deny one of the defaults.
/// </summary>
public static class DeviceRules
{
    public const string Field = "linux.resources.devices";

    public static readonly IReadOnlyList<DeviceRule> Defaults =
    [
        new(true, 'c', -1, -1, "m", "default"), new(true, 'b', -1, -1, "m", "default"),
        new(true, 'c', 1, 3, "rwm", "default /dev/null"), new(true, 'c', 1, 8, "rwm", "default /dev/random"),
        new(true, 'c', 1, 7, "rwm", "default /dev/full"), new(true, 'c', 5, 0, "rwm", "default /dev/tty"),
        new(true, 'c', 1, 5, "rwm", "default /dev/zero"), new(true, 'c', 1, 9, "rwm", "default /dev/urandom"),
        new(true, 'c', 136, -1, "rwm", "default /dev/pts/*"), new(true, 'c', 5, 2, "rwm", "default /dev/ptmx"),
        new(true, 'c', 10, 200, "rwm", "default /dev/net/tun"),
    ];

    /// <summary>
    /// The rules in the order they are applied. When the config's rules start with a deny-all (as every generated
    /// config does) or give none, the list starts from deny-all plus the defaults; otherwise the config's rules are
    /// applied as given on top of what the cgroup inherited.
    /// </summary>
    public static List<DeviceRule> Effective(IReadOnlyList<LinuxDeviceCgroup>? rules)
    {
        var parsed = new List<DeviceRule>();
        for (int i = 0; i < (rules?.Count ?? 0); i++)
            parsed.Add(Parse(rules![i], $"{Field}[{i}]"));
        var result = new List<DeviceRule>();
        int skip = 0;
        if (parsed.Count == 0 || (!parsed[0].Allow && parsed[0].IsAll))
        {
            result.Add(new DeviceRule(false, 'a', -1, -1, "rwm", parsed.Count == 0 ? "default" : parsed[0].Field));
            result.AddRange(Defaults);
            skip = parsed.Count == 0 ? 0 : 1;
        }
        result.AddRange(parsed.Skip(skip));
        return result;
    }

    public static DeviceRule Parse(LinuxDeviceCgroup rule, string field)
    {
        char type = rule.Type switch
        {
            null or LinuxDeviceCgroupType.A => 'a',
            LinuxDeviceCgroupType.C => 'c',
            _ => 'b',
        };
        string access = string.IsNullOrEmpty(rule.Access) ? "rwm" : rule.Access;
        // Normalise: each letter once, in the kernel's order. Other letters are ignored, as runc ignores them (its own
        // suite writes "rwa"); an access with none of r, w and m would govern nothing, and is refused.
        access = string.Concat("rwm".Where(access.Contains));
        if (access.Length == 0)
            throw new BerthException($"{field}.access: \"{rule.Access}\" holds none of r, w and m, so the rule would govern nothing");
        long major = rule.Major ?? -1, minor = rule.Minor ?? -1;
        if (major < -1 || minor < -1 || major > int.MaxValue || minor > int.MaxValue)
            throw new BerthException($"{field}: device number {major}:{minor} is out of range");
        if (type == 'a' && (major >= 0 || minor >= 0))
            throw new BerthException($"{field}: a rule for all device types cannot name a device number");
        return new DeviceRule(rule.Allow, type, major, minor, access, field);
    }

    /// <summary>cgroup v1: each rule is one write to devices.allow or devices.deny, in order.</summary>
    public static IEnumerable<CgroupWrite> ToV1Writes(IEnumerable<DeviceRule> rules) =>
        rules.Select(r => new CgroupWrite(CgroupVersion.V1, "devices", r.Allow ? "devices.allow" : "devices.deny", r.ToV1Line(),
            r.Field.StartsWith("default", StringComparison.Ordinal) ? $"{Field} ({r.Field})" : r.Field));

    /// <summary>
    /// What a cgroup v1 devices controller holds once the rules are written to devices.allow / devices.deny in
    /// order, computed the way the kernel does (security/device_cgroup.c): a rule for all devices ("a") sets the
    /// default and clears the exceptions; a rule against the default adds an exception (merging the access of one with
    /// the same type and numbers); a rule with the default takes its access away from the exception with exactly the
    /// same type and numbers. cgroup v2 has no list: berth compiles this state into the eBPF program
    /// (<see cref="DeviceProgram"/>), so a config means the same on both — as runc's emulator does. Example: after
    /// "deny a; allow c *:* m; allow c 1:5 rwm; deny c 1:5 rwm", mknod of /dev/zero is still allowed (by "c *:* m").
    /// </summary>
    public static DeviceState Emulate(IReadOnlyList<DeviceRule> rules)
    {
        // A new v1 cgroup starts from its parent's list; berth's lists start with "a", and a cgroup2 program has
        // nothing to inherit: start from allow-all.
        bool defaultAllow = true;
        var exceptions = new List<DeviceRule>();
        foreach (var rule in rules)
        {
            if (rule.Type == 'a')
            {
                defaultAllow = rule.Allow;
                exceptions.Clear();
                continue;
            }
            int at = exceptions.FindIndex(e => e.Type == rule.Type && e.Major == rule.Major && e.Minor == rule.Minor);
            if (rule.Allow != defaultAllow)
            {
                if (at >= 0)
                    exceptions[at] = exceptions[at] with { Access = Union(exceptions[at].Access, rule.Access) };
                else
                    exceptions.Add(rule with { Allow = !defaultAllow });
            }
            else if (at >= 0)
            {
                string left = string.Concat(exceptions[at].Access.Where(c => !rule.Access.Contains(c)));
                if (left.Length == 0)
                    exceptions.RemoveAt(at);
                else
                    exceptions[at] = exceptions[at] with { Access = left };
            }
        }
        return new DeviceState(defaultAllow, exceptions);
    }

    private static string Union(string a, string b) => string.Concat("rwm".Where(c => a.Contains(c) || b.Contains(c)));

    /// <summary>
    /// Whether an access is allowed under the rules, as the v1 kernel decides from <see cref="Emulate"/>'s state:
    /// with a deny default, one exception must grant every access asked for; with an allow default, no exception may
    /// name any of them.
    /// </summary>
    public static bool Allows(IReadOnlyList<DeviceRule> rules, char type, long major, long minor, string access)
    {
        var state = Emulate(rules);
        foreach (var e in state.Exceptions)
        {
            if (e.Type != type || e.Major >= 0 && e.Major != major || e.Minor >= 0 && e.Minor != minor)
                continue;
            if (state.DefaultAllow && access.Any(e.Access.Contains))
                return false;
            if (!state.DefaultAllow && access.All(e.Access.Contains))
                return true;
        }
        return state.DefaultAllow;
    }
}

/// <summary>A devices cgroup's state: the default, and the exceptions to it (each with Allow = not the default).</summary>
public sealed record DeviceState(bool DefaultAllow, IReadOnlyList<DeviceRule> Exceptions)
{
    /// <summary>What devices.list shows: "a *:* rwm" for allow-all, else one line per exception.</summary>
    public IEnumerable<string> ListLines() =>
        DefaultAllow ? ["a *:* rwm"] : Exceptions.Select(e => e.ToV1Line());
}
