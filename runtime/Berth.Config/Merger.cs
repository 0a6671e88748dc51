using System.Globalization;
using Berth.Spec;

namespace Berth.Config;

/// <summary>
/// Merges one file's (desugared) tree onto the result of the files before it, by the schema's merge rules. Never
/// mutates its inputs: containers are copied (keeping the earlier container's <see cref="Node.Id"/>), leaves shared.
/// </summary>
public sealed class Merger
{
    private readonly SchemaInfo _schema;
    private readonly List<ConfigDiagnostic> _diagnostics;
    private readonly List<string> _path = new();

    public Merger(SchemaInfo schema, List<ConfigDiagnostic> diagnostics)
    {
        _schema = schema;
        _diagnostics = diagnostics;
    }

    /// <summary>Node id of a removed value → where the !delete (or null) that removed it was written.</summary>
    public Dictionary<int, SourceLocation> Deletions { get; } = new();

    /// <summary>The merged document; <paramref name="earlier"/> null for the first file.</summary>
    public MappingNode Merge(MappingNode? earlier, MappingNode file)
    {
        _path.Clear();
        var result = earlier is null ? Normalize(file) : MergeNode(earlier, file);
        return result as MappingNode ?? new MappingNode(file.Location);
    }

    private string PathText => Paths.Dotted(_path);

    private void Report(Severity severity, string code, SourceLocation at, string message) =>
        _diagnostics.Add(new(severity, code, at, PathText, message));

    private static bool IsDelete(Node n) => n.Tag == NodeTag.Delete || n is ScalarNode { Kind: ScalarKind.Null };

    private Node? MergeNode(Node? earlier, Node later)
    {
        if (IsDelete(later))
        {
            if (earlier is not null)
                Deletions[earlier.Id] = later.Location;
            return null;
        }
        if (earlier is null || later.Tag == NodeTag.Replace)
            return Normalize(later);
        if (later.Tag == NodeTag.Merge)
            Report(Severity.Warning, Codes.MisplacedTag, later.Location, "!merge only means something on an entry of a keyed list (mounts, namespaces, rlimits, devices …); ignored");
        switch (earlier, later)
        {
            case (MappingNode a, MappingNode b):
            {
                var result = new MappingNode(a.Location, NodeTag.None, a.Id);
                result.Members.AddRange(a.Members);
                foreach (var m in b.Members)
                {
                    _path.Add(m.Key);
                    int i = result.IndexOf(m.Key);
                    var merged = MergeNode(i >= 0 ? result.Members[i].Value : null, m.Value);
                    if (merged is null)
                    {
                        if (i >= 0)
                            result.Members.RemoveAt(i);
                        else if (m.Value.Tag == NodeTag.Delete)
                            Report(Severity.Warning, Codes.NothingToDelete, m.Value.Location, "!delete: no earlier file sets this key");
                    }
                    else if (i >= 0)
                        result.Members[i] = result.Members[i] with { Value = merged };
                    else
                        result.Members.Add(new Member(m.Key, m.KeyLocation, merged));
                    _path.RemoveAt(_path.Count - 1);
                }
                return result;
            }
            case (SequenceNode a, SequenceNode b):
                return MergeList(a, b);
            case (ScalarNode, ScalarNode):
                return Normalize(later);
            default:
                Report(Severity.Error, Codes.MergeConflict, later.Location,
                    $"{YamlLoader.Describe(later)} cannot be merged into {YamlLoader.Describe(earlier)} (set at {earlier.Location}); tag it !replace to replace the value whole");
                return earlier;
        }
    }

    private Node MergeList(SequenceNode a, SequenceNode b)
    {
        var rule = _schema.RuleAt(_path);
        var kind = rule?.Kind ?? MergeKind.Replace;
        if (kind == MergeKind.Replace)
            return Normalize(b)!;
        var result = new SequenceNode(a.Location, NodeTag.None, a.Id);
        result.Items.AddRange(a.Items);
        for (int j = 0; j < b.Items.Count; j++)
        {
            var item = b.Items[j];
            _path.Add(j.ToString(CultureInfo.InvariantCulture));
            switch (kind)
            {
                case MergeKind.Append:
                    if (item.Tag == NodeTag.Delete)
                        Report(Severity.Error, Codes.MisplacedTag, item.Location, "!delete cannot pick an entry of a list that is appended to (it has no key); replace the list with !replace");
                    else
                        result.Items.Add(NormalizeItem(item));
                    break;
                case MergeKind.Set:
                {
                    int at = result.Items.FindIndex(x => x is ScalarNode xs && item is ScalarNode ys && xs.ValueEquals(ys));
                    if (item.Tag == NodeTag.Delete)
                    {
                        if (at < 0)
                            Report(Severity.Warning, Codes.NothingToDelete, item.Location, $"!remove {Text(item)}: not in the set");
                        else
                        {
                            Deletions[result.Items[at].Id] = item.Location;
                            result.Items.RemoveAt(at);
                        }
                    }
                    else if (at < 0)
                        result.Items.Add(NormalizeItem(item));
                    break;
                }
                case MergeKind.ByKey:
                case MergeKind.ByName:
                {
                    string? key = KeyOf(item, rule!);
                    if (key is null)
                    {
                        if (item.Tag == NodeTag.Delete)
                            Report(Severity.Error, Codes.MissingMergeKey, item.Location, $"!delete needs the {KeyName(rule!)} of the entry to remove");
                        else
                            result.Items.Add(NormalizeItem(item)); // the validator reports the missing key
                        break;
                    }
                    int at = result.Items.FindLastIndex(x => KeyOf(x, rule!) == key);
                    if (item.Tag == NodeTag.Delete)
                    {
                        if (at < 0)
                            Report(Severity.Warning, Codes.NothingToDelete, item.Location, $"!delete {key}: no earlier entry has this {KeyName(rule!)}");
                        else
                        {
                            Deletions[result.Items[at].Id] = item.Location;
                            result.Items.RemoveAt(at);
                        }
                    }
                    else if (at < 0)
                        result.Items.Add(Normalize(item)!);
                    else if (item.Tag == NodeTag.Merge && result.Items[at] is MappingNode && item is MappingNode)
                    {
                        var stripped = new MappingNode(item.Location, NodeTag.None, item.Id);
                        stripped.Members.AddRange(((MappingNode)item).Members);
                        result.Items[at] = MergeNode(result.Items[at], stripped) ?? result.Items[at];
                    }
                    else
                        result.Items[at] = Normalize(item)!; // same key: replaces the earlier entry in place
                    break;
                }
            }
            _path.RemoveAt(_path.Count - 1);
        }
        return result;
    }

    private static string KeyName(MergeRule rule) => rule.Kind == MergeKind.ByName ? "variable name" : rule.Key!;

    private static string Text(Node n) => n is ScalarNode s ? s.Text : YamlLoader.Describe(n);

    /// <summary>The merge key of a list entry: the key member, the NAME of NAME=value, or a bare scalar (for !delete).</summary>
    public static string? KeyOf(Node item, MergeRule rule)
    {
        if (rule.Kind == MergeKind.ByName)
        {
            if (item is not ScalarNode { Kind: ScalarKind.String } s)
                return null;
            int eq = s.Text.IndexOf('=');
            return eq < 0 ? s.Text : s.Text[..eq];
        }
        return item switch
        {
            MappingNode m => (m.Get(rule.Key!) as ScalarNode)?.Text,
            ScalarNode { Tag: NodeTag.Delete, Kind: not ScalarKind.Null } s => s.Text,
            _ => null,
        };
    }

    private Node NormalizeItem(Node item) => item is ScalarNode { Kind: ScalarKind.Null, Tag: NodeTag.None } ? item : Normalize(item)!;

    /// <summary>A value taken as it is: tags resolved, null members dropped, !delete entries of the same file reported.</summary>
    private Node? Normalize(Node node)
    {
        if (IsDelete(node))
            return null;
        switch (node)
        {
            case MappingNode m:
            {
                var result = new MappingNode(m.Location, NodeTag.None, m.Id);
                foreach (var member in m.Members)
                {
                    _path.Add(member.Key);
                    var v = Normalize(member.Value);
                    if (v is not null)
                        result.Members.Add(member with { Value = v });
                    else if (member.Value.Tag == NodeTag.Delete)
                        Report(Severity.Warning, Codes.NothingToDelete, member.Value.Location, "!delete: no earlier file sets this key");
                    _path.RemoveAt(_path.Count - 1);
                }
                return result;
            }
            case SequenceNode s:
            {
                var result = new SequenceNode(s.Location, NodeTag.None, s.Id);
                for (int i = 0; i < s.Items.Count; i++)
                {
                    var item = s.Items[i];
                    _path.Add(i.ToString(CultureInfo.InvariantCulture));
                    if (item.Tag == NodeTag.Delete)
                        Report(Severity.Warning, Codes.NothingToDelete, item.Location, $"!delete {Text(item)}: no earlier file has this entry");
                    else if (item is ScalarNode { Kind: ScalarKind.Null } nul)
                        result.Items.Add(nul);
                    else
                        result.Items.Add(Normalize(item)!);
                    _path.RemoveAt(_path.Count - 1);
                }
                return result;
            }
            case ScalarNode sc:
                return sc.Tag == NodeTag.None ? sc : sc.WithTag(NodeTag.None);
        }
        return node;
    }
}
