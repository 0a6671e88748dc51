using Berth.Cli.Parsing;
using Berth.Images;
using Berth.Runtime;

namespace Berth.Cli.Commands;

/// <summary>`berth digest DIR`: the tree digest (berth-tree-v1, <see cref="TreeDigest"/>) that pins a plain directory
/// root (<c>root: {path, digest}</c>) and that a rootfs is signed by.</summary>
public static class DigestCommand
{
    public static readonly CommandDefinition Definition = new("digest", "DIR",
        "berth's own: print the tree digest of a directory (names, types, modes, owners, contents, link targets; berth-tree-v1)",
        [], Run)
    { FromRunc = false };

    private static int Run(Invocation call)
    {
        string directory = call.Arguments.Single("directory");
        if (!Directory.Exists(directory))
            throw new BerthException($"{directory} is not a directory");
        StandardStreams.WriteLine(TreeDigest.Compute(directory).ToString());
        return 0;
    }
}
