namespace Berth.Runtime.Tests;

/// <summary>`berth validate` on a YAML config reports through the front-end, with file:line:col.</summary>
public class ValidateYamlTests
{
    [Fact]
    public void Yaml_findings_carry_file_line_and_column()
    {
        string file = Path.Combine(Harness.WorkDir, Harness.NewId("bad") + ".yaml");
        File.WriteAllText(file, "ociVersion: 1.3.0\nroot: {path: rootfs}\nprocess:\n  cwd: /\n  args: [sh]\n  user: {uid: -1, gid: 0}\nlinux:\n  namespaces: [pid, pid]\n");
        var r = Harness.Exec(Harness.Berth, ["validate", file]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{file}:6:15: error BERTH0401: process.user.uid:", r.Stdout);
        Assert.Contains($"{file}:8:21: error BERTH0203: linux.namespaces[1].type: duplicate namespace type \"pid\"", r.Stdout);

        var good = Harness.Exec(Harness.Berth, ["validate", Path.Combine(Harness.RepoRoot, "specs/examples/author.yaml")]);
        Assert.True(good.ExitCode == 0, good.ToString());
    }
}
