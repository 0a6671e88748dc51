using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Berth.Config;

/// <summary>
/// <c>root.image</c>: the image's config fills in what the author left out, as the OCI image-spec's conversion (and
/// podman) do it — Env merged with the author's value winning per name, Entrypoint + Cmd as process.args only when the
/// author gave no args, WorkingDir as process.cwd only when the author gave none ("/" when the image has none either),
/// User as process.user only when the author gave none. <see cref="Decide"/> holds these rules; the front-end applies
/// them to its value tree (each value put in carries the image as its location, so `berth compile --explain` and the
/// recorded provenance say which values came from the image), and a plain config.json is filled in as JSON
/// (<see cref="ApplyToJson"/>) without the front-end's cost.
/// </summary>
public static class ImageFill
{
    /// <summary>What the image adds: its variables the author did not set (to go before the author's), and args,
    /// cwd and user where the author gave none (null: keep the author's), each with the image field it came from.</summary>
    private sealed record Fill(List<string> Env, List<string>? Args, string ArgsField, string? Cwd, string CwdField, ImageUser? User, string UserField);

    private static Fill Decide(ImageDefaults image, IEnumerable<string> authorEnv, bool hasArgs, bool hasCwd, bool hasUser)
    {
        var set = authorEnv.Select(NameOf).ToHashSet(StringComparer.Ordinal);
        var env = image.Env.Where(entry => set.Add(NameOf(entry))).ToList();
        List<string>? args = null;
        if (!hasArgs && (image.Entrypoint ?? []).Concat(image.Cmd ?? []).ToList() is { Count: > 0 } command)
            args = command;
        string argsField = image.Entrypoint is { Count: > 0 } ? image.Cmd is { Count: > 0 } ? "Entrypoint+Cmd" : "Entrypoint" : "Cmd";
        string? cwd = hasCwd ? null : image.WorkingDir ?? "/";
        string cwdField = image.WorkingDir is null ? "(no WorkingDir: /)" : "WorkingDir";
        // A user name is resolved (in the image's layers) only when it is used.
        var user = hasUser || image.User is null ? null : image.ResolveUser(image.User);
        return new Fill(env, args, argsField, cwd, cwdField, user, $"User \"{image.User}\"");
    }

    /// <summary>The front-end's tree (merged, or the author's alone). A finding goes to <paramref name="diagnostics"/>
    /// at root.image's location.</summary>
    internal static void Apply(MappingNode root, Func<string, ImageDefaults> resolve, List<ConfigDiagnostic> diagnostics)
    {
        if (root.Get("root") is not MappingNode rootMember || rootMember.Get("image") is not ScalarNode { Kind: ScalarKind.String } image)
            return;
        ImageDefaults defaults;
        Fill fill;
        var process = root.Get("process") as MappingNode;
        var authorsEnv = process?.Get("env") as SequenceNode;
        try
        {
            defaults = resolve(image.Text);
            fill = Decide(defaults, authorsEnv?.Items.OfType<ScalarNode>().Select(s => s.Text) ?? [],
                process?.Get("args") is SequenceNode { Items.Count: > 0 }, process?.Get("cwd") is not null, process?.Get("user") is not null);
        }
        catch (ImageLookupException e)
        {
            diagnostics.Add(new(Severity.Error, Codes.Image, image.Location, "root.image", e.Message));
            return;
        }

        string name = "image " + Short(defaults.Digest);
        SourceLocation At(string field) => new($"{name} {field}", 0, 0);
        if (process is null)
        {
            process = new MappingNode(At("config"));
            root.Set("process", process, At("config"));
        }
        if (fill.Env.Count > 0)
        {
            var env = new SequenceNode(authorsEnv?.Location ?? At("Env"), NodeTag.None, authorsEnv?.Id ?? 0);
            env.Items.AddRange(fill.Env.Select(entry => ScalarNode.String(entry, At("Env"))));
            if (authorsEnv is not null)
                env.Items.AddRange(authorsEnv.Items);
            process.Set("env", env, At("Env"));
        }
        if (fill.Args is not null)
        {
            var args = new SequenceNode(At(fill.ArgsField));
            args.Items.AddRange(fill.Args.Select(arg => ScalarNode.String(arg, At(fill.ArgsField))));
            process.Set("args", args, At(fill.ArgsField));
        }
        if (fill.Cwd is not null)
            process.Set("cwd", ScalarNode.String(fill.Cwd, At(fill.CwdField)), At(fill.CwdField));
        if (fill.User is { } user)
        {
            var at = At(fill.UserField);
            var node = new MappingNode(at);
            node.Set("uid", new ScalarNode(ScalarKind.Integer, user.Uid.ToString(CultureInfo.InvariantCulture), at), at);
            node.Set("gid", new ScalarNode(ScalarKind.Integer, user.Gid.ToString(CultureInfo.InvariantCulture), at), at);
            process.Set("user", node, at);
        }
    }

    /// <summary>
    /// A config.json that names root.image, filled in as JSON (the same rules, no provenance: a plain config.json has
    /// none): the document to validate and record. <see cref="ImageLookupException"/> when the image cannot be read
    /// or its user resolved.
    /// </summary>
    /// <param name="options">How the values put in are written (their encoder; default: the front-end's).</param>
    public static byte[] ApplyToJson(byte[] json, Func<string, ImageDefaults> resolve, JsonWriterOptions? options = null)
    {
        if (ImageFillJson.Scan(json) is not { Image: { } image } scan)
            return json;
        var fill = Decide(resolve(image), scan.EnvItems.Select(item => item.Text ?? ""), scan.ArgsCount > 0, scan.HasMember("cwd"), scan.HasMember("user"));
        var write = options ?? new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        byte[] Array(IEnumerable<byte[]> items) => [(byte)'[', .. items.SelectMany((item, i) => i == 0 ? item : [(byte)',', .. item]), (byte)']'];
        var edits = new List<(int Start, int End, byte[] Text)>();
        var added = new List<byte>();
        void Put(string name, (int Start, int End)? range, byte[] value)
        {
            if (range is { } r)
                edits.Add((r.Start, r.End, value));
            else if (!scan.HasMember(name))
                added.AddRange([.. (added.Count > 0 || scan.ProcessMembers > 0 ? ","u8 : ""u8), .. ImageFillJson.Utf8($"\"{name}\":"), .. value]);
        }
        if (fill.Env.Count > 0)
            Put("env", scan.Env, Array(fill.Env.Select(entry => ImageFillJson.Quote(entry, write)).Concat(scan.EnvItems.Select(item => json[item.Start..item.End]))));
        if (fill.Args is { } args)
            Put("args", scan.Args, Array(args.Select(arg => ImageFillJson.Quote(arg, write))));
        if (fill.Cwd is { } cwd)
            Put("cwd", null, ImageFillJson.Quote(cwd, write));
        if (fill.User is { } user)
            Put("user", null, ImageFillJson.Utf8($"{{\"uid\":{user.Uid},\"gid\":{user.Gid}}}"));
        if (added.Count > 0)
            edits.Add(scan.ProcessEnd >= 0
                ? (scan.ProcessEnd, scan.ProcessEnd, [.. added])
                : (scan.RootEnd, scan.RootEnd, [.. (scan.RootMembers > 0 ? ","u8 : ""u8), .. "\"process\":{"u8, .. added, (byte)'}']));
        return ImageFillJson.Splice(json, edits);
    }

    private static string NameOf(string entry)
    {
        int equals = entry.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? entry : entry[..equals];
    }

    /// <summary>sha256: and the first 12 hex digits, as image tools show an id.</summary>
    private static string Short(string digest) => digest.Length > 19 && digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest[..19] : digest;
}
