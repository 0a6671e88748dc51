using System.Text;

namespace Berth.Config;

/// <summary>Where a value was written: file, 1-based line and column.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public bool IsKnown => File.Length > 0;
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
    public static SourceLocation None => new("", 0, 0);
}

/// <summary>The merge instruction a YAML tag carries.</summary>
public enum NodeTag
{
    None,
    /// <summary><c>!replace</c>: the value replaces the earlier one whole, no merging.</summary>
    Replace,
    /// <summary><c>!delete</c> (alias <c>!remove</c>): the key, keyed entry, named entry or set item is removed.</summary>
    Delete,
    /// <summary><c>!merge</c>: a keyed-list entry merges deeply with the entry of the same key instead of replacing it.</summary>
    Merge,
}

public enum ScalarKind { String, Integer, Float, Boolean, Null }

/// <summary>
/// The front-end's value tree: what YAML (or JSON) said, typed as the YAML 1.2 core schema types it, each node with
/// its location. Containers keep an <see cref="Id"/> across merges so that later stages can tell which author value a
/// merged value came from.
/// </summary>
public abstract class Node
{
    private static int s_nextId;

    protected Node(SourceLocation location, NodeTag tag, int id = 0)
    {
        Location = location;
        Tag = tag;
        Id = id == 0 ? Interlocked.Increment(ref s_nextId) : id;
    }

    public SourceLocation Location { get; }
    public NodeTag Tag { get; set; }
    public int Id { get; }
}

public sealed class ScalarNode : Node
{
    public ScalarNode(ScalarKind kind, string text, SourceLocation location, NodeTag tag = NodeTag.None, string? source = null)
        : base(location, tag)
    {
        Kind = kind;
        Text = text;
        SourceText = source ?? text;
    }

    public ScalarKind Kind { get; }

    /// <summary>The value: a string's text, a number's JSON text, "true"/"false", "null".</summary>
    public string Text { get; }

    /// <summary>The text as written in the file (for a plain scalar used where a string is meant: `1.10` stays "1.10").</summary>
    public string SourceText { get; }

    public ScalarNode WithTag(NodeTag tag) => new(Kind, Text, Location, tag, SourceText);

    public static ScalarNode String(string text, SourceLocation location) => new(ScalarKind.String, text, location);

    public bool ValueEquals(ScalarNode other) => Kind == other.Kind && Text == other.Text;

    public string ToJsonText() => Kind switch
    {
        ScalarKind.String => Berth.Spec.SchemaJson.Quote(Text),
        _ => Text,
    };
}

public sealed class MappingNode : Node
{
    public MappingNode(SourceLocation location, NodeTag tag = NodeTag.None, int id = 0) : base(location, tag, id) { }

    /// <summary>Members in document order.</summary>
    public List<Member> Members { get; } = new();

    public Node? Get(string key)
    {
        foreach (var m in Members)
            if (m.Key == key)
                return m.Value;
        return null;
    }

    public int IndexOf(string key)
    {
        for (int i = 0; i < Members.Count; i++)
            if (Members[i].Key == key)
                return i;
        return -1;
    }

    public void Set(string key, Node value, SourceLocation keyLocation)
    {
        int i = IndexOf(key);
        if (i >= 0)
            Members[i] = Members[i] with { Value = value };
        else
            Members.Add(new Member(key, keyLocation, value));
    }
}

/// <summary>One member of a mapping: the key, where the key was written, the value.</summary>
public sealed record Member(string Key, SourceLocation KeyLocation, Node Value);

public sealed class SequenceNode : Node
{
    public SequenceNode(SourceLocation location, NodeTag tag = NodeTag.None, int id = 0) : base(location, tag, id) { }

    public List<Node> Items { get; } = new();
}
