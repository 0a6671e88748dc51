namespace Berth.Runtime.Tests;

/// <summary>Command lines a careless script writes: every one ends with exit 1 or 2 and a sentence, never an abort.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("schema", "-o", "")]
    [InlineData("create", "--bundle", "", "c1")]
    [InlineData("create", "--bundle=", "c1")]
    [InlineData("create", "--bundle", "/nonexistent", "--pid-file", "", "c2")]
    [InlineData("exec", "--process", "", "c1")]
    [InlineData("compile", "x.yaml", "--host", "")]
    [InlineData("compile", "x.yaml", "-o", "")]
    [InlineData("--log", "", "list")]
    public void An_empty_flag_value_is_a_usage_error(params string[] args)
    {
        var r = Harness.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("not an empty string", r.Stderr);
        Assert.DoesNotContain("Unhandled", r.Stderr);
    }

    [Theory]
    [InlineData("spec", "extra")]
    [InlineData("features", "extra")]
    public void Commands_without_arguments_refuse_extra_ones(params string[] args)
    {
        var r = Harness.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("takes no arguments", r.Stderr);
    }
}
