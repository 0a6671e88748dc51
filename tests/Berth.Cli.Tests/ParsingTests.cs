namespace Berth.Cli.Tests;

/// <summary>The parser read against flag tables: runc's spellings, usage errors (exit 2) that name the flag.</summary>
public class ParsingTests
{
    private static readonly Flag[] Table =
    [
        Flag.Value("bundle", "b", "b"),
        Flag.Switch("detach", "d", "d"),
        Flag.Value("env", "e", "e").Many(),
        Flag.Value("preserve-fds", "n"),
    ];

    [Fact]
    public void Runcs_spellings_all_read_the_same()
    {
        foreach (string[] args in new[] { new[] { "--bundle", "/b", "id" }, ["--bundle=/b", "id"], ["-b", "/b", "id"], ["-bundle", "/b", "id"], ["id", "-b=/b"] })
        {
            var a = Arguments.Parse(args, 0, Table);
            Assert.Equal("/b", a.Value("bundle"));
            Assert.Equal(["id"], a.Positionals);
        }
    }

    [Fact]
    public void A_repeatable_flag_keeps_every_value_and_a_switch_takes_true_or_false()
    {
        var a = Arguments.Parse(["-e", "A=1", "--env=B=2", "--detach=false", "id"], 0, Table);
        Assert.Equal(["A=1", "B=2"], a.Values("env"));
        Assert.False(a.Flag("detach"));
        var e = Assert.Throws<BerthException>(() => Arguments.Parse(["--detach=yes"], 0, Table));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("--detach takes true or false", e.Message);
    }

    [Theory]
    [InlineData("unknown flag --nope", "--nope")]
    [InlineData("flag --bundle needs a value", "--bundle")]
    [InlineData("not an empty string", "--bundle=")]
    public void Mistakes_are_usage_errors_naming_the_flag(string words, params string[] args)
    {
        var e = Assert.Throws<BerthException>(() => Arguments.Parse(args, 0, Table));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains(words, e.Message);
    }

    [Fact]
    public void Help_wins_over_a_mistake_anywhere_on_the_line()
    {
        Assert.True(Arguments.Parse(["--nope", "--help"], 0, Table).HelpAsked);
        Assert.True(Arguments.Parse(["id", "-h"], 0, Table).HelpAsked);
        Assert.False(Arguments.Parse(["--", "-h"], 0, Table).HelpAsked);
    }

    [Fact]
    public void Flags_that_end_at_the_first_positional_leave_the_rest_to_the_program()
    {
        var a = Arguments.Parse(["-d", "id", "echo", "-h", "--detach"], 0, Table, flagsEndAtFirstPositional: true);
        Assert.False(a.HelpAsked);
        Assert.True(a.Flag("detach"));
        Assert.Equal(["id", "echo", "-h", "--detach"], a.Positionals);
    }

    [Theory]
    [InlineData("3", 3)]
    [InlineData("0", 0)]
    public void Preserve_fds_is_a_count(string text, int expected) =>
        Assert.Equal(expected, Arguments.Parse(["--preserve-fds", text], 0, Table).Count("preserve-fds"));

    [Theory]
    [InlineData("-1")]
    [InlineData("three")]
    public void Preserve_fds_that_is_not_a_count_is_a_usage_error(string text)
    {
        var e = Assert.Throws<BerthException>(() => Arguments.Parse([$"--preserve-fds={text}"], 0, Table).Count("preserve-fds"));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("--preserve-fds must be a number", e.Message);
    }

    [Fact]
    public void Reading_a_flag_that_is_not_in_the_table_is_a_bug_caught_at_once() =>
        Assert.Throws<InvalidOperationException>(() => Arguments.Parse([], 0, Table).Value("nope"));
}
