namespace Berth.Config;

/// <summary>A public key a trust policy names: its file (absolute, resolved against the host file's directory) and
/// where the policy named it.</summary>
public sealed record TrustKey(string Path, SourceLocation Location);

/// <summary>The keys that must each have signed a container's config (the author's file) and its root's digest; for
/// every container (<see cref="Image"/> null) or for one image, named by its manifest digest.</summary>
public sealed record TrustRule(string? Image, IReadOnlyList<TrustKey> Config, IReadOnlyList<TrustKey> Rootfs);

/// <summary>
/// The host's trust policy: the <c>trust</c> member of host files, taken out of the document before it is merged
/// (it is berth's, not the OCI config's). Only a host file may declare one: the author's file is what it checks, so
/// an author's <c>trust</c> is an error. Several host files add up — every key any of them names must have signed.
/// <code>
/// trust:
///   config: [keys/auditor.pub]      # each must have signed the author's file (FILE.sig beside it)
///   rootfs: [keys/distro.pub]       # each must have signed the root's digest (rootfs.sig in the bundle)
///   images:
///     "sha256:…": {rootfs: [keys/vendor.pub]}   # more keys for containers whose root.image is this manifest
/// </code>
/// </summary>
public sealed class TrustPolicy
{
    public const string Member = "trust";

    private readonly List<TrustRule> _rules = new();

    public IReadOnlyList<TrustRule> Rules => _rules;

    public bool IsEmpty => _rules.Count == 0;

    /// <summary>Every key that must have signed the config and the root of a container whose root.image is
    /// <paramref name="image"/> (null: a root named otherwise), each key once.</summary>
    public (IReadOnlyList<TrustKey> Config, IReadOnlyList<TrustKey> Rootfs) For(string? image)
    {
        var applies = _rules.Where(r => r.Image is null || (image is not null && r.Image == image)).ToList();
        return (Distinct(applies.SelectMany(r => r.Config)), Distinct(applies.SelectMany(r => r.Rootfs)));
    }

    private static List<TrustKey> Distinct(IEnumerable<TrustKey> keys) =>
        keys.GroupBy(k => k.Path, StringComparer.Ordinal).Select(g => g.First()).ToList();

    /// <summary>Takes the <c>trust</c> member out of one file's tree; a host file's is added to the policy, an author's
    /// is an error.</summary>
    internal void Take(MappingNode tree, string file, bool isAuthor, List<ConfigDiagnostic> diagnostics)
    {
        int at = tree.IndexOf(Member);
        if (at < 0)
            return;
        var member = tree.Members[at];
        tree.Members.RemoveAt(at);
        if (isAuthor)
        {
            diagnostics.Add(new(Severity.Error, Codes.TrustInAuthor, member.KeyLocation, Member,
                "only a host file may declare a trust policy: the author's file is what the policy checks"));
            return;
        }
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file)) ?? "/";
        if (member.Value is not MappingNode policy)
        {
            Bad(member.Value, Member, "must be a mapping with config, rootfs and images", diagnostics);
            return;
        }
        int before = diagnostics.Count;
        var rule = Rule(policy, Member, null, directory, diagnostics, allowImages: true);
        if (diagnostics.Count == before && rule is not null && (rule.Config.Count > 0 || rule.Rootfs.Count > 0))
            _rules.Add(rule);
    }

    private TrustRule? Rule(MappingNode node, string path, string? image, string directory, List<ConfigDiagnostic> diagnostics, bool allowImages)
    {
        var config = new List<TrustKey>();
        var rootfs = new List<TrustKey>();
        foreach (var m in node.Members)
        {
            string here = path + "." + m.Key;
            switch (m.Key)
            {
                case "config":
                    Keys(m.Value, here, directory, config, diagnostics);
                    break;
                case "rootfs":
                    Keys(m.Value, here, directory, rootfs, diagnostics);
                    break;
                case "images" when allowImages:
                    Images(m.Value, here, directory, diagnostics);
                    break;
                default:
                    diagnostics.Add(new(Severity.Error, Codes.BadTrustPolicy, m.KeyLocation, here,
                        allowImages ? "unknown member: a trust policy has config, rootfs and images" : "unknown member: an image's policy has config and rootfs"));
                    break;
            }
        }
        return new TrustRule(image, config, rootfs);
    }

    private void Images(Node value, string path, string directory, List<ConfigDiagnostic> diagnostics)
    {
        if (value is not MappingNode images)
        {
            Bad(value, path, "must map manifest digests (sha256:…) to their policies", diagnostics);
            return;
        }
        foreach (var m in images.Members)
        {
            string here = $"{path}[\"{m.Key}\"]";
            if (!IsDigest(m.Key))
                diagnostics.Add(new(Severity.Error, Codes.BadTrustPolicy, m.KeyLocation, here, "an image is named by its manifest digest, \"sha256:\" and 64 lowercase hex digits"));
            else if (m.Value is not MappingNode policy)
                Bad(m.Value, here, "must be a mapping with config and rootfs", diagnostics);
            else if (Rule(policy, here, m.Key, directory, diagnostics, allowImages: false) is { } rule)
                _rules.Add(rule);
        }
    }

    private static void Keys(Node value, string path, string directory, List<TrustKey> keys, List<ConfigDiagnostic> diagnostics)
    {
        if (value is not SequenceNode list)
        {
            Bad(value, path, "must be a list of public key files (PEM)", diagnostics);
            return;
        }
        for (int i = 0; i < list.Items.Count; i++)
        {
            if (list.Items[i] is ScalarNode { Kind: ScalarKind.String, Text.Length: > 0 } key)
                keys.Add(new TrustKey(System.IO.Path.GetFullPath(key.Text, directory), key.Location));
            else
                Bad(list.Items[i], $"{path}[{i}]", "must be the path of a public key file (PEM), absolute or relative to this host file", diagnostics);
        }
    }

    private static void Bad(Node node, string path, string message, List<ConfigDiagnostic> diagnostics) =>
        diagnostics.Add(new(Severity.Error, Codes.BadTrustPolicy, node.Location, path, message));

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static bool IsDigest(string text) =>
        text.Length == 71 && text.StartsWith("sha256:", StringComparison.Ordinal) && text.AsSpan(7).IndexOfAnyExcept(LowerHex) < 0;
}
