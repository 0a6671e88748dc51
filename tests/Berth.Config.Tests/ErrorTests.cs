using Berth.Config;

namespace Berth.Config.Tests;

/// <summary>Every finding at the exact file, line and column of the value that caused it; all at once.</summary>
public class ErrorTests
{
    private static List<string> Lines(CompileResult r) => r.Diagnostics.Select(d => d.ToString()).ToList();

    [Fact]
    public void Duplicate_namespace_type_in_a_host_file_points_at_the_duplicate()
    {
        string host = """
            # host overrides
            linux:
              namespaces:
                - type: pid
                - type: ipc
                - type: pid
            """;
        var r = Support.Compile(("author.yaml", Support.Minimal), ("host.yaml", host));
        Assert.False(r.Success);
        Assert.Contains("host.yaml:6:13: error BERTH0203: linux.namespaces[2].type: duplicate namespace type \"pid\" (first at host.yaml:4:13)", Lines(r));
    }

    [Fact]
    public void Syntax_errors_of_several_files_are_all_reported()
    {
        var r = Support.Compile(("author.yaml", "ociVersion: 1.3.0\nprocess: [a\n"), ("host.yaml", "a: b\n  c: d\n"));
        Assert.False(r.Success);
        Assert.Equal(2, r.ErrorCount);
        Assert.StartsWith("author.yaml:3:1: error BERTH0102: ", Lines(r)[0]);
        Assert.StartsWith("host.yaml:2:4: error BERTH0102: ", Lines(r)[1]);
    }

    [Fact]
    public void Duplicate_yaml_keys_are_syntax_errors_at_the_second_key()
    {
        var r = Support.Compile(("author.yaml", "ociVersion: 1.3.0\nhostname: a\nhostname: b\n"));
        var d = Assert.Single(r.Diagnostics);
        Assert.Equal((Codes.Syntax, 3, 1), (d.Code, d.Location.Line, d.Location.Column));
    }

    [Fact]
    public void Validation_errors_point_at_the_value_in_the_file_that_wrote_it()
    {
        string author = Support.Minimal + "\nhostname: ok\n";
        string host = """
            process:
              user:
                uid: -1
            linux:
              resources:
                memory:
                  swappiness: 101
            """;
        var r = Support.Compile(("author.yaml", author), ("host.yaml", host));
        Assert.False(r.Success);
        var errors = r.Diagnostics.Where(d => d.Severity == Severity.Error).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Equal(("host.yaml", 3, 10, "process.user.uid", Codes.Schema), (errors[0].Location.File, errors[0].Location.Line, errors[0].Location.Column, errors[0].Path, errors[0].Code));
        Assert.Equal(("host.yaml", 7, 19, "linux.resources.memory.swappiness"), (errors[1].Location.File, errors[1].Location.Line, errors[1].Location.Column, errors[1].Path));
    }

    [Fact]
    public void A_missing_required_member_points_at_the_object()
    {
        var r = Support.Compile(("author.yaml", "ociVersion: 1.3.0\nprocess:\n  args: [sh]\n"));
        var d = Assert.Single(r.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal(("author.yaml", 3, 3, "process"), (d.Location.File, d.Location.Line, d.Location.Column, d.Path));
        Assert.Contains("cwd", d.Message);
    }

    [Fact]
    public void Unknown_keys_are_warnings_at_the_key()
    {
        var r = Support.Compile(("author.yaml", Support.Minimal + "\nhostnmae: x\n"));
        Assert.True(r.Success, Support.Errors(r));
        var d = Assert.Single(r.Diagnostics);
        Assert.Equal((Severity.Warning, Codes.UnknownMember, 7, 1), (d.Severity, d.Code, d.Location.Line, d.Location.Column));
        Assert.Contains("did you mean \"hostname\"", d.Message);
    }

    [Fact]
    public void Unknown_keys_get_a_suggestion_for_abbreviations_too()
    {
        var r = Support.Compile(("author.yaml", Support.Minimal), ("host.yaml", "process:\n  noNewPrivs: true\nmounts:\n  - {destination: /x, type: tmpfs, source: tmpfs, option: [ro]}\n"));
        Assert.Equal(new[]
        {
            "host.yaml:2:3: warning BERTH0402: process.noNewPrivs: unknown member \"noNewPrivs\"; did you mean \"noNewPrivileges\"?",
            "host.yaml:4:51: warning BERTH0402: mounts[0].option: unknown member \"option\"; did you mean \"options\"?",
        }, r.Diagnostics.Select(d => d.ToString()).ToArray());
    }

    [Fact]
    public void Yaml_1_1_habits_get_a_hint()
    {
        var r = Support.Compile(("author.yaml", Support.Minimal), ("host.yaml", "root: {readonly: yes}\nprocess:\n  user: {umask: 0022}\n  args: [chmod, 0755, /x]\n"));
        Assert.Equal(new[]
        {
            "host.yaml:1:18: error BERTH0401: root.readonly: expected a boolean but found the string \"yes\"; YAML 1.2 reads yes as a string: write true or false",
            "host.yaml:3:17: warning BERTH0108: process.user.umask: 0022 is the decimal number 22 in YAML 1.2; for an octal mode write 0o22",
        }, r.Diagnostics.Select(d => d.ToString()).ToArray());
    }

    [Fact]
    public void Shorthand_errors_are_reported_once_each()
    {
        string author = Support.Minimal + """

            mounts:
              - nowhere
              - tmpfs:relative
            linux:
              namespaces: [pid, netwrk]
            """;
        var r = Support.Compile(("author.yaml", author));
        Assert.Equal(new[] { "author.yaml:8:5: error BERTH0201", "author.yaml:9:5: error BERTH0201", "author.yaml:11:21: error BERTH0206" },
            r.Diagnostics.Select(d => $"{d.Location}: error {d.Code}").ToArray());
        Assert.Contains("did you mean \"network\"", r.Diagnostics[2].Message);
    }

    [Fact]
    public void A_list_cannot_merge_into_a_mapping()
    {
        var r = Support.Compile(("author.yaml", Support.Minimal), ("host.yaml", "process:\n  user: [1, 2]\n"));
        var d = Assert.Single(r.Diagnostics);
        Assert.Equal(("host.yaml:2:9", Codes.MergeConflict, "process.user"), (d.Location.ToString(), d.Code, d.Path));
        Assert.Contains("author.yaml:6:9", d.Message);
    }

    [Fact]
    public void Unknown_tags_and_special_floats_are_errors()
    {
        var r = Support.Compile(("author.yaml", Support.Minimal + "\nhostname: !frobnicate x\nannotations: {a: .inf}\n"));
        Assert.Contains(r.Diagnostics, d => d.Code == Codes.UnknownTag && d.Location.Line == 7 && d.Location.Column == 11);
        Assert.Contains(r.Diagnostics, d => d.Code == Codes.BadScalar && d.Location.Line == 8 && d.Location.Column == 18);
    }

    [Fact]
    public void Delete_of_something_absent_is_a_warning()
    {
        var r = Support.Compile(("author.yaml", Support.Minimal), ("host.yaml", "mounts: [!delete /nothing]\nhostname: !delete\n"));
        Assert.True(r.Success, Support.Errors(r));
        Assert.Equal(2, r.Diagnostics.Count(d => d.Code == Codes.NothingToDelete));
    }

    [Fact]
    public void A_missing_file_is_an_error_not_an_exception()
    {
        var r = ConfigCompiler.Compile("/nonexistent/author.yaml", []);
        var d = Assert.Single(r.Diagnostics);
        Assert.Equal(Codes.CannotRead, d.Code);
        Assert.False(r.Success);
    }

    [Fact]
    public void Prose_rules_are_reported_with_file_and_line()
    {
        // Two rlimits of one type is a rule the spec states in prose (and a keyed list's duplicate in one file).
        var r = Support.Compile(("author.yaml", Support.Minimal), ("host.yaml", "process:\n  cwd: relative/dir\n"));
        Assert.False(r.Success);
        var d = Assert.Single(r.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal(("host.yaml:2:8", Codes.Rule, "process.cwd"), (d.Location.ToString(), d.Code, d.Path));
    }
}
