namespace Berth.Runtime.Tests;

/// <summary>Where an unprivileged user's image store goes when nothing names it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ImageStoreDefaultTests
{
    [SkippableFact]
    public void Without_HOME_the_store_is_never_relative_to_the_working_directory()
    {
        Skip.IfNot(File.Exists("/usr/bin/setpriv"), "no setpriv(1) to run berth as nobody");
        Skip.IfNot(File.ReadAllLines("/etc/passwd").Any(l => l.StartsWith("nobody:", StringComparison.Ordinal)), "no user nobody on this host");
        // nobody's home in the password database does not exist; .NET's default lookup then answers "", which made
        // the store ./.local/share/berth/store below whatever directory berth was started in.
        string cwd = Directory.CreateTempSubdirectory("berth-nohome").FullName;
        File.SetUnixFileMode(cwd, (UnixFileMode)0x1FF); // 0777: nobody may write here, as a careless cwd would allow
        try
        {
            var r = Harness.Exec("/usr/bin/setpriv", ["--reuid=nobody", "--regid=65534", "--clear-groups", "--",
                "env", "-i", "PATH=/usr/bin:/bin", Harness.Berth, "image", "import", "/nonexistent-layout"], workingDirectory: cwd);
            Assert.False(Directory.Exists(Path.Combine(cwd, ".local")), r.ToString());
            Assert.True(r.ExitCode == 1, r.ToString());
            // nobody's home from the password database (Debian: /nonexistent): the store cannot be made there, and
            // berth says so in words.
            string home = File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == "nobody")[5];
            Skip.If(Directory.Exists(home), $"nobody's home {home} exists on this host");
            Assert.StartsWith($"berth: image import: cannot make the image store {home}/.local/share/berth/store: permission denied", r.Stderr);
        }
        finally
        {
            Directory.Delete(cwd, recursive: true);
        }
    }
}
