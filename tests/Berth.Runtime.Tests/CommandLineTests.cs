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

    [Theory]
    [InlineData("mounts", "destination")]
    [InlineData("process", "cwd")]
    [InlineData("linux", "cgroupsPath")]
    public void A_nul_character_in_a_config_string_is_refused_by_validate_and_create(string section, string member)
    {
        var config = Harness.BaseConfig("true");
        if (section == "mounts")
            config["mounts"]!.AsArray().Add(new JsonObject { [member] = "/x\u0000y", ["type"] = "tmpfs", ["source"] = "tmpfs" });
        else
            config[section]![member] = "/a\u0000b";
        string bundle = Harness.Bundle(config);
        var validate = Harness.Run("validate", Path.Combine(bundle, "config.json"));
        Assert.True(validate.ExitCode == 1, validate.ToString());
        Assert.Contains("NUL", validate.Stdout + validate.Stderr);
        Harness.AssertFailsLeavingNothing("run", bundle, "nul", "NUL");
    }
}
