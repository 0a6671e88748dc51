using System.Text;
using Berth.Images;
using Berth.Runtime;

namespace Berth.Cli.Commands;

/// <summary>What sign and verify share: their required flags and the key file.</summary>
internal static class SignatureFiles
{
    /// <summary>The usage error of a missing required flag.</summary>
    public static BerthException Missing(string flag, string what) => new($"needs --{flag} ({what})", 2);

    /// <summary>The bytes of a file named on the command line (a regular file or a pipe: `--signature <(…)`); an error
    /// naming the flag it came from (null: the file argument) and errno otherwise.</summary>
    public static byte[] Read(string path, string? flag) =>
        SmallFiles.ReadRegularOrPipe(path, out int error) ?? throw BerthException.Errno($"{(flag is null ? "" : $"--{flag}: ")}read {path}", error);

    /// <summary>Writes the signature file (replacing one that is there, as cosign does).</summary>
    public static void Write(string path, string signature)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
            throw new BerthException($"--output: write {path}: the directory {directory} does not exist");
        try
        {
            File.WriteAllText(path, signature);
        }
        catch (UnauthorizedAccessException)
        {
            throw new BerthException($"--output: write {path}: permission denied, or it is a directory");
        }
    }

    /// <summary>A key file's text; a file too large to be a PEM key is refused before it is read whole.</summary>
    private static string ReadKey(string path)
    {
        const long MaxKeyBytes = 64 * 1024;
        if (new FileInfo(path) is { Exists: true, Length: > MaxKeyBytes })
            throw new BerthException($"the key {path} is larger than {MaxKeyBytes / 1024} KiB: not a PEM key");
        return Encoding.UTF8.GetString(Read(path, "key"));
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
