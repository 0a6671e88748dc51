namespace Berth.Runtime.Tests;

/// <summary>
/// --pid-file may name a directory that a container can write (a shared volume): a link planted at the file's name,
/// or at the temporary name berth writes first, must never make berth write through it to a host file.
/// </summary>
public class PidFileAttackTests
{
    [Theory]
    [InlineData(".pid.tmp")]
    [InlineData("pid")]
    public void A_link_planted_where_the_pid_file_goes_is_not_followed(string planted)
    {
        string dir = Directory.CreateTempSubdirectory("berth-pidfile").FullName;
        string canary = Path.Combine(Directory.CreateTempSubdirectory("berth-canary").FullName, "host-file");
        File.WriteAllText(canary, "HOST");
        File.CreateSymbolicLink(Path.Combine(dir, planted), canary);
        string id = Harness.NewId("pidfile");
        try
        {
            var r = Harness.Run("create", "--bundle", Harness.Bundle(Harness.BaseConfig("sleep", "30")), "--pid-file", Path.Combine(dir, "pid"), id);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("HOST", File.ReadAllText(canary));
            var pidFile = new FileInfo(Path.Combine(dir, "pid"));
            Assert.Null(pidFile.LinkTarget);
            Assert.True(int.Parse(File.ReadAllText(pidFile.FullName), System.Globalization.CultureInfo.InvariantCulture) > 0);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
            Directory.Delete(dir, recursive: true);
        }
    }
}
