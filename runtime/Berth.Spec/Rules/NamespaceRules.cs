namespace Berth.Spec;

/// <summary>
/// <c>linux.namespaces</c> and what depends on them: each type at most once, absolute namespace paths, id mappings
/// with a new user namespace (and only with a user namespace), hostname/domainname with a UTS namespace,
/// time offsets with a new time namespace, network devices with a network namespace.
/// </summary>
internal static class NamespaceRules
{
    /// <summary>A config without <c>linux</c> creates no namespace: what needs one is an error.</summary>
    public static void CheckWithoutLinux(Spec spec, RuleSink sink) => CheckUts(spec, hasUts: false, sink);

    public static void Check(Spec spec, Linux linux, RuleSink sink)
    {
        // type → (index, joined by path?), for the 8 namespace types
        var found = new NamespaceTable();
        if (linux.Namespaces is { } namespaces)
        {
            for (int i = 0; i < namespaces.Count; i++)
            {
                if (namespaces[i] is not { } ns) continue;
                if (found.TryGetValue(ns.Type, out var first))
                    sink.Error(Paths.Join("/linux/namespaces", i) + "/type", "x-unique", $"duplicate namespace type \"{ns.Type.ToWireName()}\" (first at /linux/namespaces/{first.Index})", Sections.Namespaces);
                else
                    found.Add(ns.Type, (i, ns.Path is not null));
                if (Paths.IsRelative(ns.Path))
                    sink.NotAbsolute(Paths.Join("/linux/namespaces", i) + "/path", ns.Path!, $"{ns.Type.ToWireName()} namespace path", Sections.Namespaces);
            }
        }

        bool hasUser = found.TryGetValue(LinuxNamespaceType.User, out var user);
        bool newUser = hasUser && !user.Joined;
        bool anyMappings = linux.UidMappings is not null || linux.GidMappings is not null;
        if (newUser)
        {
            // As crun: without mappings, the runtime maps the calling user to root in the new namespace.
            if (linux.UidMappings is not { Count: > 0 })
                sink.Warning("/linux", "x-defaulted", "a new user namespace without uidMappings: the calling user's uid becomes root in it", Sections.IdMappings);
            if (linux.GidMappings is not { Count: > 0 })
                sink.Warning("/linux", "x-defaulted", "a new user namespace without gidMappings: the calling user's gid becomes root in it", Sections.IdMappings);
        }
        else if (hasUser && anyMappings)
        {
            sink.Warning(linux.UidMappings is not null ? "/linux/uidMappings" : "/linux/gidMappings", "x-ignored",
                "id mappings are ignored when the user namespace is joined by path: it has its mappings already", Sections.IdMappings);
        }
        else if (!hasUser && anyMappings)
        {
            sink.Error(linux.UidMappings is not null ? "/linux/uidMappings" : "/linux/gidMappings", "x-requires",
                "id mappings need a user namespace: add {\"type\": \"user\"} to linux.namespaces", Sections.IdMappings);
        }
        IdMappingRules.CheckRanges(linux.UidMappings, "/linux/uidMappings", "uid", sink);
        IdMappingRules.CheckRanges(linux.GidMappings, "/linux/gidMappings", "gid", sink);

        CheckUts(spec, found.ContainsKey(LinuxNamespaceType.Uts), sink);

        if (linux.TimeOffsets is { Count: > 0 } offsets)
        {
            if (!found.TryGetValue(LinuxNamespaceType.Time, out var time) || time.Joined)
                sink.Error("/linux/timeOffsets", "x-requires", "timeOffsets need a new time namespace: add {\"type\": \"time\"} (without path) to linux.namespaces", Sections.TimeOffsets);
            foreach (var (clock, offset) in offsets)
            {
                string pointer = Paths.Join("/linux/timeOffsets", clock);
                if (clock is not ("monotonic" or "boottime"))
                    sink.Error(pointer, "x-clock", $"{SchemaJson.Quote(clock)} is not a clock a time namespace can offset: use \"monotonic\" or \"boottime\"", Sections.TimeOffsets);
                if (offset?.Nanosecs is >= 1_000_000_000)
                    sink.Error(pointer + "/nanosecs", "x-range", $"nanosecs {offset.Nanosecs} must be less than 1000000000", Sections.TimeOffsets);
            }
        }

        if (linux.NetDevices is { Count: > 0 } netDevices)
        {
            if (!found.ContainsKey(LinuxNamespaceType.Network))
                sink.Error("/linux/netDevices", "x-requires", "netDevices need a network namespace to move the devices into: add {\"type\": \"network\"} to linux.namespaces", Sections.NetDevices);
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (hostName, device) in netDevices)
            {
                string pointer = Paths.Join("/linux/netDevices", hostName);
                CheckInterfaceName(hostName, pointer, "network device", sink);
                string inside = device?.Name ?? hostName;
                if (device?.Name is { } name) CheckInterfaceName(name, pointer + "/name", "network device name", sink);
                if (names.TryGetValue(inside, out string? other))
                    sink.Error(pointer, "x-unique", $"devices {SchemaJson.Quote(other)} and {SchemaJson.Quote(hostName)} would both be named {SchemaJson.Quote(inside)} in the container", Sections.NetDevices);
                else
                    names.Add(inside, hostName);
            }
        }
    }

    /// <summary>A small map from namespace type (an enum of 8 values) to where it was first seen.</summary>
    private struct NamespaceTable
    {
        private ulong _present;
        private (int Index, bool Joined)[]? _entries;

        public readonly bool ContainsKey(LinuxNamespaceType type) => (_present & (1UL << (int)type)) != 0;

        public readonly bool TryGetValue(LinuxNamespaceType type, out (int Index, bool Joined) value)
        {
            value = ContainsKey(type) ? _entries![(int)type] : default;
            return ContainsKey(type);
        }

        public void Add(LinuxNamespaceType type, (int Index, bool Joined) value)
        {
            _entries ??= new (int, bool)[64];
            _entries[(int)type] = value;
            _present |= 1UL << (int)type;
        }
    }

    private static void CheckUts(Spec spec, bool hasUts, RuleSink sink)
    {
        if (hasUts) return;
        if (spec.Hostname is { Length: > 0 })
            sink.Error("/hostname", "x-requires", "setting hostname needs a UTS namespace: add {\"type\": \"uts\"} to linux.namespaces", Sections.Hostname);
        if (spec.Domainname is { Length: > 0 })
            sink.Error("/domainname", "x-requires", "setting domainname needs a UTS namespace: add {\"type\": \"uts\"} to linux.namespaces", Sections.Hostname);
    }

    /// <summary>What the kernel takes as an interface name (dev_valid_name): 1–15 bytes, not "." or "..", no '/', ':' or white space.</summary>
    private static void CheckInterfaceName(string name, string pointer, string what, RuleSink sink)
    {
        bool valid = name.Length is > 0 and <= 15 && name is not ("." or "..")
            && System.Text.Encoding.UTF8.GetByteCount(name) <= 15
            && !name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c));
        if (!valid)
            sink.Error(pointer, "x-interface-name", $"{what} {SchemaJson.Quote(name)} is not a valid interface name (1 to 15 bytes, not \".\" or \"..\", no '/', ':' or white space)", Sections.NetDevices);
    }
}
