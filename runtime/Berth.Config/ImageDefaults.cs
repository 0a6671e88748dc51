using System.Globalization;

namespace Berth.Config;

/// <summary>
/// What an image's config says about running it (image-spec config.md, its "config" object), as the front-end fills
/// in what a container's author left out when the root is <c>root.image</c> (issue 13). The front-end is pure: whoever
/// compiles (berth's runtime, from its content store) reads the image and hands this over.
/// </summary>
/// <param name="Digest">The image's manifest digest, as root.image names it.</param>
public sealed record ImageDefaults(
    string Digest,
    IReadOnlyList<string> Env,
    IReadOnlyList<string>? Entrypoint,
    IReadOnlyList<string>? Cmd,
    string? WorkingDir,
    string? User)
{
    /// <summary>Turns the image's User into numbers; asked only when the author gave no process.user. The default
    /// takes numeric users only (a name needs the image's /etc/passwd, which only the runtime can read safely).</summary>
    public Func<string, ImageUser> ResolveUser { get; init; } = ImageUser.Numeric;
}

/// <summary>A process identity an image's User resolved to.</summary>
public sealed record ImageUser(uint Uid, uint Gid)
{
    /// <summary>"uid" or "uid:gid" in decimal; null when either part is a name (or empty).</summary>
    public static ImageUser? TryNumeric(string user, uint gidWhenOmitted = 0)
    {
        int colon = user.IndexOf(':', StringComparison.Ordinal);
        string uidText = colon < 0 ? user : user[..colon];
        if (!uint.TryParse(uidText, NumberStyles.None, CultureInfo.InvariantCulture, out uint uid))
            return null;
        if (colon < 0)
            return new ImageUser(uid, gidWhenOmitted);
        return uint.TryParse(user.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out uint gid) ? new ImageUser(uid, gid) : null;
    }

    /// <summary>A numeric user; an <see cref="ImageLookupException"/> for a name.</summary>
    public static ImageUser Numeric(string user) => TryNumeric(user)
        ?? throw new ImageLookupException($"the image's user \"{user}\" is not numeric (uid or uid:gid), and names cannot be looked up here: set process.user");
}

/// <summary>An image that cannot be read, or a value of it that cannot be used; the message is a sentence.</summary>
public sealed class ImageLookupException : Exception
{
    public ImageLookupException(string message) : base(message) { }

    public ImageLookupException(string message, Exception inner) : base(message, inner) { }

    public ImageLookupException() { }
}
