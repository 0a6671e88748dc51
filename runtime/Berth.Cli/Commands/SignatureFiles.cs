using Berth.Images;
using Berth.Runtime;

namespace Berth.Cli.Commands;

/// <summary>What sign and verify share: their required flags and the key file.</summary>
internal static class SignatureFiles
{
    /// <summary>The usage error of a missing required flag.</summary>
    public static BerthException Missing(string flag, string what) => new($"needs --{flag} ({what})", 2);

    /// <summary>A key file's text; a file too large to be a PEM key is refused before it is read whole.</summary>
    private static string ReadKey(string path)
    {
        const long MaxKeyBytes = 64 * 1024;
        if (new FileInfo(path) is { Exists: true, Length: > MaxKeyBytes })
            throw new BerthException($"the key {path} is larger than {MaxKeyBytes / 1024} KiB: not a PEM key");
        return File.ReadAllText(path);
    }

    /// <summary>Runs <paramref name="use"/> on the key's PEM text; a key berth cannot read is an error naming the file.</summary>
    public static T WithKey<T>(string path, Func<string, T> use)
    {
        string pem = ReadKey(path);
        try
        {
            return use(pem);
        }
        catch (ImageException e)
        {
            throw new BerthException($"--key {path}: {e.Message}", 1, e);
        }
    }
}
