namespace Berth.Runtime.Tests;

/// <summary>
/// The help as runc lays it out (clients and runc's suite read its second line), and no terminal control bytes from
/// berth's own output: .NET's Console, once touched, writes the keypad-mode sequence to the terminal.
/// </summary>
public class HelpAndTerminalTests
{
    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public void The_programs_help_starts_with_runcs_name_lines(string flag)
    {
        var r = Harness.Exec(Harness.Berth, [flag]);
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = r.Stdout.Split('\n');
        Assert.Equal("NAME:", lines[0]);
        Assert.Contains("berth - Open Container Initiative runtime", lines[1]);
        Assert.Contains("runc - Open Container Initiative runtime", lines[1]);
        Assert.Contains("COMMANDS:", r.Stdout);
    }

    [Theory]
    [InlineData("checkpoint")]
    [InlineData("create")]
    [InlineData("delete")]
    [InlineData("events")]
    [InlineData("exec")]
    [InlineData("kill")]
    [InlineData("list")]
    [InlineData("pause")]
    [InlineData("ps")]
    [InlineData("restore")]
    [InlineData("resume")]
    [InlineData("run")]
    [InlineData("spec")]
    [InlineData("start")]
    [InlineData("state")]
    [InlineData("update")]
    public void Each_commands_help_names_berth_and_the_runc_command(string command)
    {
        foreach (string[] args in new[] { new[] { command, "-h" }, new[] { command, "--help" }, new[] { "help", command } })
        {
            var r = Harness.Exec(Harness.Berth, args);
            Assert.True(r.ExitCode == 0, string.Join(' ', args) + ": " + r);
            string[] lines = r.Stdout.Split('\n');
            Assert.Equal("NAME:", lines[0]);
            Assert.StartsWith($"   berth {command} - ", lines[1]);
            Assert.Contains($"runc {command}", lines[1]);
            Assert.Contains("USAGE:", r.Stdout);
        }
    }

    [Fact]
    public void An_unknown_help_topic_fails_with_runcs_words()
    {
        foreach (string[] args in new[] { new[] { "foo", "-h" }, new[] { "help", "foo" } })
        {
            var r = Harness.Exec(Harness.Berth, args);
            Assert.True(r.ExitCode == 3, string.Join(' ', args) + ": " + r);
            Assert.Contains("No help topic for 'foo'", r.Stderr);
        }
    }

    [Fact]
    public void A_help_flag_after_execs_container_id_belongs_to_the_program()
    {
        string id = Harness.StartDetached("helparg");
        try
        {
            var r = Harness.Run("exec", id, "echo", "-h");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("-h\n", r.Stdout);
        }
        finally
        {
            Harness.Run("delete", "--force", id);
        }
    }

    [Theory]
    [InlineData("list")]
    [InlineData("--version")]
    [InlineData("--help")]
    [InlineData("features")]
    public void Output_redirected_from_a_terminal_puts_no_control_bytes_on_the_terminal(string command)
    {
        HostSupport.SkipIfLacking(HostSupport.LacksProgram("script", "util-linux"));
        // script gives berth a terminal as stdin; stdout goes to a file. Whatever reaches script's stdout came from
        // berth writing to the terminal.
        string file = Harness.NewFile("redirected", ".out");
        string line = $"TERM=xterm '{Harness.Berth}' --root '{Harness.StateRoot}' {command} > '{file}'";
        var r = Harness.Exec("script", ["-qec", line, "/dev/null"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(new FileInfo(file).Length > 0, "berth wrote nothing to the file");
        Assert.DoesNotContain('\u001b', r.Stdout);
        Assert.Equal("", r.Stdout.Replace("\r", "").Replace("\n", ""));
    }
}
