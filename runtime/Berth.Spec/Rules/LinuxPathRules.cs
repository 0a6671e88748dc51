namespace Berth.Spec;

/// <summary>
/// Other members of <c>linux</c>: maskedPaths and readonlyPaths absolute; intelRdt schemas on one line (memBwSchema
/// MUST, l3CacheSchema SHOULD); memoryPolicy nodes as set_mempolicy(2) takes them for the mode.
/// </summary>
internal static class LinuxPathRules
{
    public static void Check(Linux linux, RuleSink sink)
    {
        All(linux.MaskedPaths, "/linux/maskedPaths", "masked path", Sections.MaskedPaths, sink);
        All(linux.ReadonlyPaths, "/linux/readonlyPaths", "read-only path", Sections.ReadonlyPaths, sink);
        if (linux.IntelRdt is { } rdt)
        {
            if (rdt.MemBwSchema is { } mb && HasNewline(mb))
                sink.Error("/linux/intelRdt/memBwSchema", "x-single-line", "memBwSchema must not contain newlines", Sections.IntelRdt);
            if (rdt.L3CacheSchema is { } l3 && HasNewline(l3))
                sink.Warning("/linux/intelRdt/l3CacheSchema", "x-single-line", "l3CacheSchema should not contain newlines", Sections.IntelRdt);
        }
        if (linux.MemoryPolicy is { } policy)
        {
            bool hasNodes = !string.IsNullOrWhiteSpace(policy.Nodes);
            switch (policy.Mode)
            {
                case MemoryPolicyMode.MpolDefault or MemoryPolicyMode.MpolLocal when hasNodes:
                    sink.Error("/linux/memoryPolicy/nodes", "x-memory-policy", $"{policy.Mode.ToWireName()} takes no nodes", Sections.MemoryPolicy);
                    break;
                case MemoryPolicyMode.MpolBind or MemoryPolicyMode.MpolInterleave or MemoryPolicyMode.MpolWeightedInterleave or MemoryPolicyMode.MpolPreferredMany when !hasNodes:
                    sink.Error("/linux/memoryPolicy", "x-required-when", $"{policy.Mode.ToWireName()} needs nodes", Sections.MemoryPolicy);
                    break;
            }
        }
    }

    private static void All(IReadOnlyList<string>? paths, string pointer, string what, string section, RuleSink sink)
    {
        if (paths is null) return;
        for (int i = 0; i < paths.Count; i++)
            if (Paths.IsRelative(paths[i])) sink.NotAbsolute(Paths.Join(pointer, i), paths[i], what, section);
    }

    private static bool HasNewline(string s) => s.AsSpan().IndexOfAny('\n', '\r') >= 0;
}
