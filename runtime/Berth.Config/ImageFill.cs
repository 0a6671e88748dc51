using System.Globalization;

namespace Berth.Config;

/// <summary>
/// <c>root.image</c>: the image's config fills in what the author left out, as the OCI image-spec's conversion (and
/// podman) do it — Env merged with the author's value winning per name, Entrypoint + Cmd as process.args only when the
/// author gave no args, WorkingDir as process.cwd only when the author gave none ("/" when the image has none either),
/// User as process.user only when the author gave none. Each value put in carries the image as its location, so
/// `berth compile --explain` and the recorded provenance say which values came from the image.
/// </summary>
internal static class ImageFill
{
    public static void Apply(MappingNode root, Func<string, ImageDefaults> resolve, List<ConfigDiagnostic> diagnostics)
    {
        if (root.Get("root") is not MappingNode rootMember || rootMember.Get("image") is not ScalarNode { Kind: ScalarKind.String } image)
            return;
        ImageDefaults defaults;
        try
        {
            defaults = resolve(image.Text);
        }
        catch (ImageLookupException e)
        {
            diagnostics.Add(new(Severity.Error, Codes.Image, image.Location, "root.image", e.Message));
            return;
        }

        string name = "image " + Short(defaults.Digest);
        SourceLocation At(string field) => new($"{name} {field}", 0, 0);
        var process = root.Get("process") as MappingNode;
        if (process is null)
        {
            process = new MappingNode(At("config"));
            root.Set("process", process, At("config"));
        }

        FillEnv(process, defaults.Env, At("Env"));
        if (process.Get("args") is not SequenceNode { Items.Count: > 0 })
        {
            var args = (defaults.Entrypoint ?? []).Concat(defaults.Cmd ?? []).ToList();
            if (args.Count > 0)
                process.Set("args", Strings(args, At(defaults.Entrypoint is { Count: > 0 } ? (defaults.Cmd is { Count: > 0 } ? "Entrypoint+Cmd" : "Entrypoint") : "Cmd")), At("Cmd"));
        }
        if (process.Get("cwd") is null)
            process.Set("cwd", ScalarNode.String(defaults.WorkingDir ?? "/", At(defaults.WorkingDir is null ? "(no WorkingDir: /)" : "WorkingDir")), At("WorkingDir"));
        if (process.Get("user") is null && defaults.User is { } user)
        {
            ImageUser resolved;
            try
            {
                resolved = defaults.ResolveUser(user);
            }
            catch (ImageLookupException e)
            {
                diagnostics.Add(new(Severity.Error, Codes.Image, image.Location, "root.image", e.Message));
                return;
            }
            var at = At($"User \"{user}\"");
            var node = new MappingNode(at);
            node.Set("uid", Number(resolved.Uid, at), at);
            node.Set("gid", Number(resolved.Gid, at), at);
            process.Set("user", node, at);
        }
    }

    /// <summary>The image's variables the author did not set go first (the image's order), then the author's.</summary>
    private static void FillEnv(MappingNode process, IReadOnlyList<string> imageEnv, SourceLocation at)
    {
        if (imageEnv.Count == 0)
            return;
        var authors = process.Get("env") as SequenceNode;
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (authors is not null)
            foreach (var item in authors.Items.OfType<ScalarNode>())
                set.Add(NameOf(item.Text));
        var env = new SequenceNode(authors?.Location ?? at, NodeTag.None, authors?.Id ?? 0);
        foreach (string entry in imageEnv)
            if (set.Add(NameOf(entry)))
                env.Items.Add(ScalarNode.String(entry, at));
        if (authors is not null)
            env.Items.AddRange(authors.Items);
        process.Set("env", env, at);
    }

    private static string NameOf(string entry)
    {
        int equals = entry.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? entry : entry[..equals];
    }

    private static SequenceNode Strings(IEnumerable<string> values, SourceLocation at)
    {
        var sequence = new SequenceNode(at);
        foreach (string value in values)
            sequence.Items.Add(ScalarNode.String(value, at));
        return sequence;
    }

    private static ScalarNode Number(uint value, SourceLocation at) =>
        new(ScalarKind.Integer, value.ToString(CultureInfo.InvariantCulture), at);

    /// <summary>sha256: and the first 12 hex digits, as image tools show an id.</summary>
    private static string Short(string digest) => digest.Length > 19 && digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest[..19] : digest;
}
