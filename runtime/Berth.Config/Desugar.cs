using Berth.Spec;

namespace Berth.Config;

/// <summary>
/// Authoring shorthands → the canonical OCI shapes, in one file's tree, before merging (locations kept: a desugared
/// value carries the location of the shorthand that produced it). Also checks that keyed lists name each key once.
/// </summary>
public sealed class Desugar
{
    private readonly SchemaInfo _schema;
    private readonly List<ConfigDiagnostic> _diagnostics;
    private readonly List<string> _path = new();

    private Desugar(SchemaInfo schema, List<ConfigDiagnostic> diagnostics)
    {
        _schema = schema;
        _diagnostics = diagnostics;
    }

    public static void Apply(MappingNode root, SchemaInfo schema, List<ConfigDiagnostic> diagnostics) =>
        new Desugar(schema, diagnostics).Visit(root);

    /// <summary>Short rlimit names (nofile) → RLIMIT_NOFILE.</summary>
    public static readonly string[] RlimitNames =
    [
        "RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_LOCKS", "RLIMIT_MEMLOCK",
        "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
        "RLIMIT_SIGPENDING", "RLIMIT_STACK",
    ];

    /// <summary>File system types a mount shorthand may name as its source ("tmpfs:/run").</summary>
    public static readonly string[] MountTypes = ["proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2", "ramfs", "devtmpfs"];

    private static readonly string[] NamespaceTypes = ["mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time"];

    public const string Unlimited = "18446744073709551615";

    private string PathText => Paths.Dotted(_path);

    private void Error(string code, SourceLocation at, string message) =>
        _diagnostics.Add(new(Severity.Error, code, at, PathText, message));

    private Node Visit(Node node)
    {
        node = Rewrite(node);
        switch (node)
        {
            case MappingNode m:
                for (int i = 0; i < m.Members.Count; i++)
                {
                    var member = m.Members[i];
                    _path.Add(member.Key);
                    var value = Visit(member.Value);
                    if (!ReferenceEquals(value, member.Value))
                        m.Members[i] = member with { Value = value };
                    _path.RemoveAt(_path.Count - 1);
                }
                break;
            case SequenceNode s:
                for (int i = 0; i < s.Items.Count; i++)
                {
                    _path.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    s.Items[i] = Visit(s.Items[i]);
                    _path.RemoveAt(_path.Count - 1);
                }
                CheckUniqueKeys(s);
                break;
            case ScalarNode sc when sc.Kind is ScalarKind.Integer or ScalarKind.Float or ScalarKind.Boolean && _schema.WantsString(_path):
                // A plain scalar where the schema wants a string is the text the author wrote: `args: [sleep, 10]`.
                return new ScalarNode(ScalarKind.String, sc.SourceText, sc.Location, sc.Tag);
            case ScalarNode { Kind: ScalarKind.Integer } num when num.SourceText.TrimStart('-', '+') is { Length: > 1 } digits && digits[0] == '0' && char.IsAsciiDigit(digits[1]):
                _diagnostics.Add(new(Severity.Warning, Codes.LeadingZero, num.Location, PathText,
                    $"{num.SourceText} is the decimal number {num.Text} in YAML 1.2; for an octal mode write 0o{digits.TrimStart('0')}"));
                break;
        }
        return node;
    }

    /// <summary>The shorthand at the current path, rewritten; or the node itself.</summary>
    private Node Rewrite(Node node)
    {
        int n = _path.Count;
        if (n == 0)
            return node;
        string last = _path[n - 1];
        if (last == "env" && (n == 2 && _path[0] == "process" || n == 4 && _path[0] == "hooks") && node is MappingNode envMap)
            return EnvFromMapping(envMap);
        if (n == 2 && _path[0] == "process")
        {
            switch (last)
            {
                case "rlimits" when node is MappingNode rl: return RlimitsFromMapping(rl);
                case "rlimits" when node is SequenceNode rs: NormalizeRlimitList(rs); return rs;
                case "capabilities" when node is SequenceNode caps: return CapabilitiesFromList(caps);
                case "capabilities" when node is MappingNode capSets: NormalizeCapabilitySets(capSets); return capSets;
                case "user" when node is ScalarNode { Kind: ScalarKind.String } us: return UserFromString(us);
            }
        }
        if (n == 2 && _path[0] == "process" && last == "args" && node is ScalarNode { Kind: ScalarKind.String } argsText)
        {
            // args: "sleep 30" → [sleep, 30] (split on spaces only: quote nothing, or write a list).
            var seq = new SequenceNode(argsText.Location, argsText.Tag);
            foreach (string part in argsText.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                seq.Items.Add(ScalarNode.String(part, argsText.Location));
            return seq;
        }
        if (n == 2 && _path[0] == "mounts" && node is ScalarNode { Kind: ScalarKind.String, Tag: not NodeTag.Delete } mountText)
            return MountFromString(mountText);
        if (n == 3 && _path[0] == "mounts" && last == "options" && node is ScalarNode { Kind: ScalarKind.String } opts)
            return OptionsFromString(opts);
        if (n == 3 && _path[0] == "linux" && _path[1] == "namespaces")
            return NamespaceShorthand(node);
        return node;
    }

    private SequenceNode EnvFromMapping(MappingNode map)
    {
        var seq = new SequenceNode(map.Location, map.Tag, map.Id);
        foreach (var m in map.Members)
        {
            if (m.Key.Length == 0 || m.Key.Contains('='))
            {
                _path.Add(m.Key);
                Error(Codes.BadEnv, m.KeyLocation, "an environment variable's name must not be empty or contain '='");
                _path.RemoveAt(_path.Count - 1);
                continue;
            }
            switch (m.Value)
            {
                case ScalarNode { Kind: ScalarKind.Null } nul:
                    // NAME: null (or NAME: !delete) removes the variable an earlier file set.
                    seq.Items.Add(new ScalarNode(ScalarKind.String, m.Key, nul.Location, NodeTag.Delete));
                    break;
                case ScalarNode s:
                    seq.Items.Add(new ScalarNode(ScalarKind.String, m.Key + "=" + (s.Kind == ScalarKind.String ? s.Text : s.SourceText), s.Location, s.Tag));
                    break;
                default:
                    _path.Add(m.Key);
                    Error(Codes.BadEnv, m.Value.Location, $"an environment variable's value must be a scalar, not {YamlLoader.Describe(m.Value)}");
                    _path.RemoveAt(_path.Count - 1);
                    break;
            }
        }
        return seq;
    }

    private string? RlimitName(string text, SourceLocation at)
    {
        string upper = text.ToUpperInvariant();
        string name = upper.StartsWith("RLIMIT_", StringComparison.Ordinal) ? upper : "RLIMIT_" + upper;
        if (Array.IndexOf(RlimitNames, name) >= 0)
            return name;
        string? suggestion = Suggest.Closest(name, RlimitNames);
        Error(Codes.BadRlimit, at, $"unknown resource limit \"{text}\"" + (suggestion is null ? "" : $"; did you mean \"{suggestion}\"?"));
        return null;
    }

    private ScalarNode? LimitValue(Node value)
    {
        switch (value)
        {
            case ScalarNode { Kind: ScalarKind.Integer } i when i.Text == "-1":
                return new ScalarNode(ScalarKind.Integer, Unlimited, i.Location, i.Tag, i.SourceText);
            case ScalarNode { Kind: ScalarKind.Integer } i:
                return i;
            case ScalarNode { Kind: ScalarKind.String } s when s.Text is "unlimited" or "infinity":
                return new ScalarNode(ScalarKind.Integer, Unlimited, s.Location, s.Tag, s.Text);
            default:
                Error(Codes.BadRlimit, value.Location, $"a limit is a number or \"unlimited\", not {YamlLoader.Describe(value)}");
                return null;
        }
    }

    private SequenceNode RlimitsFromMapping(MappingNode map)
    {
        var seq = new SequenceNode(map.Location, map.Tag, map.Id);
        foreach (var m in map.Members)
        {
            _path.Add(m.Key);
            string? name = RlimitName(m.Key, m.KeyLocation);
            if (name is not null)
            {
                var entry = new MappingNode(m.Value.Location, m.Value.Tag);
                var type = ScalarNode.String(name, m.KeyLocation);
                entry.Members.Add(new Member("type", m.KeyLocation, type));
                switch (m.Value)
                {
                    case ScalarNode { Kind: ScalarKind.Null } nul:
                        // nofile: null removes the limit an earlier file set.
                        seq.Items.Add(new ScalarNode(ScalarKind.String, name, nul.Location, NodeTag.Delete));
                        entry = null;
                        break;
                    case MappingNode limits:
                    {
                        var soft = limits.Get("soft");
                        var hard = limits.Get("hard");
                        foreach (var extra in limits.Members)
                            if (extra.Key is not ("soft" or "hard"))
                                Error(Codes.BadRlimit, extra.KeyLocation, $"a limit has soft and hard, not \"{extra.Key}\"");
                        if (soft is null && hard is null)
                        {
                            Error(Codes.BadRlimit, limits.Location, "a limit needs soft, hard or both");
                            entry = null;
                            break;
                        }
                        var s = LimitValue(soft ?? hard!);
                        var h = LimitValue(hard ?? soft!);
                        if (s is null || h is null) { entry = null; break; }
                        entry.Members.Add(new Member("soft", s.Location, s));
                        entry.Members.Add(new Member("hard", h.Location, h));
                        break;
                    }
                    case ScalarNode { Kind: ScalarKind.String } pair when pair.Text.Contains(':'):
                    {
                        string[] parts = pair.Text.Split(':');
                        var s = LimitValue(YamlLoader.Resolve(parts[0], pair.Location, NodeTag.None, _diagnostics));
                        var h = parts.Length == 2 ? LimitValue(YamlLoader.Resolve(parts[1], pair.Location, NodeTag.None, _diagnostics)) : null;
                        if (s is null || h is null)
                        {
                            if (parts.Length != 2) Error(Codes.BadRlimit, pair.Location, "write a limit as N, \"soft:hard\" or {soft: N, hard: N}");
                            entry = null;
                            break;
                        }
                        entry.Members.Add(new Member("soft", s.Location, s));
                        entry.Members.Add(new Member("hard", h.Location, h));
                        break;
                    }
                    default:
                    {
                        var v = LimitValue(m.Value);
                        if (v is null) { entry = null; break; }
                        entry.Members.Add(new Member("soft", v.Location, v));
                        entry.Members.Add(new Member("hard", v.Location, v));
                        break;
                    }
                }
                if (entry is not null)
                    seq.Items.Add(entry);
            }
            _path.RemoveAt(_path.Count - 1);
        }
        return seq;
    }

    private void NormalizeRlimitList(SequenceNode list)
    {
        for (int i = 0; i < list.Items.Count; i++)
        {
            if (list.Items[i] is MappingNode entry && entry.Get("type") is ScalarNode { Kind: ScalarKind.String } t
                && !t.Text.StartsWith("RLIMIT_", StringComparison.Ordinal))
            {
                _path.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                _path.Add("type");
                string? name = RlimitName(t.Text, t.Location);
                if (name is not null)
                    entry.Set("type", ScalarNode.String(name, t.Location), t.Location);
                _path.RemoveRange(_path.Count - 2, 2);
            }
            else if (list.Items[i] is ScalarNode { Tag: NodeTag.Delete, Kind: ScalarKind.String } del && !del.Text.StartsWith("RLIMIT_", StringComparison.Ordinal))
            {
                string? name = RlimitName(del.Text, del.Location);
                if (name is not null)
                    list.Items[i] = new ScalarNode(ScalarKind.String, name, del.Location, NodeTag.Delete);
            }
        }
    }

    /// <summary>The sets one capability list fills: what a process that "has" a capability needs.</summary>
    public static readonly string[] ShorthandCapabilitySets = ["bounding", "effective", "permitted"];

    private ScalarNode? Capability(Node item)
    {
        if (item is not ScalarNode { Kind: ScalarKind.String } s)
        {
            Error(Codes.BadCapability, item.Location, $"a capability is a name such as CAP_NET_ADMIN or net_admin, not {YamlLoader.Describe(item)}");
            return null;
        }
        string text = s.Text;
        var tag = s.Tag;
        if (text.StartsWith('-'))
        {
            text = text[1..];
            tag = NodeTag.Delete;
        }
        string upper = text.ToUpperInvariant();
        if (!upper.StartsWith("CAP_", StringComparison.Ordinal))
            upper = "CAP_" + upper;
        if (upper.Length == 4 || upper.Any(c => !(char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_')))
        {
            Error(Codes.BadCapability, s.Location, $"\"{s.Text}\" is not a capability name (CAP_NET_ADMIN, net_admin, or -NET_RAW to remove)");
            return null;
        }
        return new ScalarNode(ScalarKind.String, upper, s.Location, tag);
    }

    private MappingNode CapabilitiesFromList(SequenceNode list)
    {
        var map = new MappingNode(list.Location, list.Tag, list.Id);
        foreach (string set in ShorthandCapabilitySets)
        {
            var seq = new SequenceNode(list.Location, list.Tag);
            _path.Add(set);
            foreach (var item in list.Items)
                if (Capability(item) is ScalarNode cap)
                    seq.Items.Add(cap);
            _path.RemoveAt(_path.Count - 1);
            map.Members.Add(new Member(set, list.Location, seq));
        }
        return map;
    }

    private void NormalizeCapabilitySets(MappingNode sets)
    {
        foreach (var m in sets.Members)
        {
            if (m.Value is not SequenceNode seq)
                continue;
            _path.Add(m.Key);
            for (int i = 0; i < seq.Items.Count; i++)
                if (seq.Items[i] is ScalarNode { Kind: ScalarKind.String } && Capability(seq.Items[i]) is ScalarNode cap)
                    seq.Items[i] = cap;
            _path.RemoveAt(_path.Count - 1);
        }
    }

    private Node UserFromString(ScalarNode s)
    {
        string[] parts = s.Text.Split(':');
        if (parts.Length != 2 || !YamlLoader.TryInteger(parts[0], out string uid) || !YamlLoader.TryInteger(parts[1], out string gid))
        {
            Error(Codes.BadUser, s.Location, $"write the user as \"uid:gid\" (numbers, e.g. \"1000:1000\"), not \"{s.Text}\"");
            return s;
        }
        var map = new MappingNode(s.Location, s.Tag);
        map.Members.Add(new Member("uid", s.Location, new ScalarNode(ScalarKind.Integer, uid, s.Location)));
        map.Members.Add(new Member("gid", s.Location, new ScalarNode(ScalarKind.Integer, gid, s.Location)));
        return map;
    }

    private Node MountFromString(ScalarNode s)
    {
        string[] parts = s.Text.Split(':', 3);
        if (parts.Length < 2 || parts[1].Length == 0 || parts[1][0] != '/')
        {
            Error(Codes.BadMount, s.Location, $"write a mount as \"source:/destination[:options]\" (e.g. \"/srv/data:/data:ro\" or \"tmpfs:/run\"), not \"{s.Text}\"");
            return s;
        }
        string source = parts[0];
        string type;
        var options = parts.Length == 3 ? parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries).ToList() : new List<string>();
        if (Array.IndexOf(MountTypes, source) >= 0)
            type = source;
        else if (source.StartsWith('/') || source.StartsWith('.'))
        {
            type = "bind";
            if (!options.Contains("bind") && !options.Contains("rbind"))
                options.Insert(0, "rbind");
        }
        else
        {
            Error(Codes.BadMount, s.Location, $"the source \"{source}\" of a mount shorthand must be a path (a bind mount) or one of {string.Join(", ", MountTypes)}");
            return s;
        }
        var map = new MappingNode(s.Location, s.Tag);
        map.Members.Add(new Member("destination", s.Location, ScalarNode.String(parts[1], s.Location)));
        map.Members.Add(new Member("type", s.Location, ScalarNode.String(type, s.Location)));
        map.Members.Add(new Member("source", s.Location, ScalarNode.String(source, s.Location)));
        if (options.Count > 0)
        {
            var seq = new SequenceNode(s.Location);
            foreach (string o in options)
                seq.Items.Add(ScalarNode.String(o, s.Location));
            map.Members.Add(new Member("options", s.Location, seq));
        }
        return map;
    }

    private static SequenceNode OptionsFromString(ScalarNode s)
    {
        var seq = new SequenceNode(s.Location, s.Tag);
        foreach (string o in s.Text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            seq.Items.Add(ScalarNode.String(o, s.Location));
        return seq;
    }

    private string? NamespaceType(string text, SourceLocation at)
    {
        string t = text switch { "net" => "network", "mnt" => "mount", _ => text };
        if (Array.IndexOf(NamespaceTypes, t) >= 0)
            return t;
        string? suggestion = Suggest.Closest(t, NamespaceTypes);
        Error(Codes.BadNamespace, at, $"unknown namespace type \"{text}\"" + (suggestion is null ? "" : $"; did you mean \"{suggestion}\"?"));
        return null;
    }

    private Node NamespaceShorthand(Node node)
    {
        switch (node)
        {
            case ScalarNode { Kind: ScalarKind.String } s:
            {
                // "pid", "net", "network:/proc/42/ns/net"; !delete pid stays a key for the merge.
                int colon = s.Text.IndexOf(':');
                string typeText = colon < 0 ? s.Text : s.Text[..colon];
                string? type = NamespaceType(typeText, s.Location);
                if (type is null)
                    return s;
                if (s.Tag == NodeTag.Delete)
                    return new ScalarNode(ScalarKind.String, type, s.Location, NodeTag.Delete);
                var map = new MappingNode(s.Location, s.Tag);
                map.Members.Add(new Member("type", s.Location, ScalarNode.String(type, s.Location)));
                if (colon >= 0)
                    map.Members.Add(new Member("path", s.Location, ScalarNode.String(s.Text[(colon + 1)..], s.Location)));
                return map;
            }
            case MappingNode { Members.Count: 1 } m when m.Members[0].Key is not ("type" or "path"):
            {
                // - network: /proc/42/ns/net
                var member = m.Members[0];
                string? type = NamespaceType(member.Key, member.KeyLocation);
                if (type is null)
                    return m;
                var map = new MappingNode(m.Location, m.Tag);
                map.Members.Add(new Member("type", member.KeyLocation, ScalarNode.String(type, member.KeyLocation)));
                if (member.Value is not ScalarNode { Kind: ScalarKind.Null })
                    map.Members.Add(new Member("path", member.Value.Location, member.Value));
                return map;
            }
            case MappingNode m when m.Get("type") is ScalarNode { Kind: ScalarKind.String } t && t.Text is "net" or "mnt":
                m.Set("type", ScalarNode.String(NamespaceType(t.Text, t.Location)!, t.Location), t.Location);
                return m;
        }
        return node;
    }

    /// <summary>Keyed lists whose key must be unique in one file (mounts may stack on one destination).</summary>
    private void CheckUniqueKeys(SequenceNode list)
    {
        var rule = _schema.RuleAt(_path);
        if (rule is null || rule.Kind != MergeKind.ByKey || (_path.Count == 1 && _path[0] == "mounts"))
            return;
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        for (int i = 0; i < list.Items.Count; i++)
        {
            if (list.Items[i] is not MappingNode entry || entry.Get(rule.Key!) is not ScalarNode key)
                continue;
            if (seen.TryGetValue(key.Text, out var first))
            {
                _path.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                _path.Add(rule.Key!);
                string what = Paths.Singular(_path[^3]);
                Error(Codes.DuplicateKey, key.Location, $"duplicate {what} {rule.Key} \"{key.Text}\" (first at {first})");
                _path.RemoveRange(_path.Count - 2, 2);
            }
            else
                seen[key.Text] = key.Location;
        }
    }
}
