namespace Berth.Spec;

/// <summary>
/// <c>root</c>: required on every platform but Windows. It names the root file system one way: a directory
/// (<c>path</c>, absolute or relative to the bundle, not empty), or berth's content store (issue 13): an image by
/// its manifest digest (<c>image</c>) or a list of layers (<c>layers</c>). A tree digest (<c>digest</c>) pins a
/// directory only: an image or a layer list is named by digest already.
/// </summary>
internal static class RootRules
{
    public static void Check(Spec spec, RuleSink sink)
    {
        if (spec.Root is not { } root)
        {
            sink.Error("", "x-required-on-linux", "missing member \"root\": a Linux container needs a root file system", Sections.Root);
            return;
        }
        var named = new List<string>(3);
        if (root.Path is not null) named.Add("path");
        if (root.Image is not null) named.Add("image");
        if (root.Layers is not null) named.Add("layers");
        if (named.Count == 0)
            sink.Error("/root", "x-one-of", "root names no root file system: give root.path (a directory), root.image (an image digest) or root.layers (layer digests)", Sections.Root);
        else if (named.Count > 1)
            sink.Error("/root/" + named[1], "x-one-of", $"root.{named[0]} and root.{named[1]} exclude each other: the root file system is named one way, a directory (path), an image (image) or layers (layers)", Sections.Root);
        if (root.Path is { Length: 0 })
            sink.Error("/root/path", "x-non-empty", "root.path is empty: give the root file system's path, absolute or relative to the bundle", Sections.Root);
        if (root.Digest is not null && root.Path is null)
            sink.Error("/root/digest", "x-requires", "root.digest pins the tree of a directory and needs root.path; an image or a layer list is named by its digest already", Sections.Root);
    }
}
