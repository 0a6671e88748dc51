using System.Text;
using Xunit;

namespace Berth.Spec.Tests;

/// <summary>runtime.md, "State": pid while created or running, an absolute bundle (a non-empty id is the schema's minLength).</summary>
public class StateRuleTests
{
    private static List<string> Findings(string json)
    {
        var diagnostics = new List<SchemaDiagnostic>();
        Assert.NotNull(StateRules.Validate(Encoding.UTF8.GetBytes(json), diagnostics));
        return diagnostics.Select(RuleAssert.Format).ToList();
    }

    [Theory]
    [InlineData("creating")]
    [InlineData("stopped")]
    public void Pid_is_optional_while_creating_or_stopped(string status) =>
        Assert.Empty(Findings($$"""{"ociVersion":"1.3.0","id":"c1","status":"{{status}}","bundle":"/b"}"""));

    [Theory]
    [InlineData("created")]
    [InlineData("running")]
    public void Pid_is_required_while_created_or_running(string status)
    {
        Assert.Equal([$"error  x-required-when: \"pid\" is required while the status is \"{status}\""],
            Findings($$"""{"ociVersion":"1.3.0","id":"c1","status":"{{status}}","bundle":"/b"}"""));
        Assert.Empty(Findings($$"""{"ociVersion":"1.3.0","id":"c1","status":"{{status}}","pid":42,"bundle":"/b"}"""));
    }

    [Fact]
    public void Pid_zero_and_relative_bundle_are_errors() =>
        Assert.Equal(
            [
                "error /pid x-positive: pid 0 is not a process id: it must be greater than zero",
                "error /bundle x-absolute-path: the bundle path \"bundles/c1\" must be an absolute path",
            ],
            Findings("""{"ociVersion":"1.0.2","id":"c1","status":"running","pid":0,"bundle":"bundles/c1"}"""));
}
