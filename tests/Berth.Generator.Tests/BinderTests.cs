using System.Reflection;
using Xunit;

namespace Berth.Generator.Tests;

/// <summary>The binder stage on its own: diagnostics as data, a resolved model, and value equality for caching.</summary>
public class BinderTests
{
    private const string Path = "/specs/bound.schema.json";

    private static SchemaSet Set(params (string Path, string Text)[] files) =>
        new(new EquatableArray<SchemaFile>(files.Select(f => Parser.Parse(f.Path, f.Text, "Test.Bound")).ToArray()));

    private static BoundSchemaSet Bind(string text) => SchemaBinder.Bind(Set((Path, text)), CancellationToken.None);

    private const string Schema = """
        {
          "title": "Pod",
          "type": "object",
          "properties": {
            "name": { "type": "string", "pattern": "^[a-z]+$" },
            "size": { "$ref": "#/$defs/Size" },
            "mode": { "$ref": "#/$defs/Mode" },
            "tags": { "type": "array", "items": { "type": "string" }, "x-merge": "set" }
          },
          "required": ["name"],
          "$defs": {
            "Size": { "type": "integer", "minimum": 0, "maximum": 100 },
            "Mode": { "type": "string", "enum": ["fast", "slow"] }
          }
        }
        """;

    [Fact]
    public void Broken_ref_is_a_diagnostic_record_with_its_place()
    {
        string text = "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"a\": { \"$ref\": \"#/$defs/Missing\" }\n  }\n}\n";
        BoundSchemaSet bound = Bind(text);
        DiagnosticInfo d = Assert.Single(bound.Diagnostics);
        Assert.Equal(DiagnosticIds.BrokenRef, d.Id);
        Assert.Equal(Path, d.FilePath);
        Assert.Contains("#/$defs/Missing", d.Message);
        Assert.NotNull(d.Location);
        Assert.Equal(3, d.Location!.StartLine);
        Assert.Equal(19, d.Location.StartColumn);
        Assert.Equal("\"#/$defs/Missing\"", text.Substring(d.Location.Start, d.Location.Length));
    }

    [Fact]
    public void Parser_diagnostics_leave_the_binder_with_its_own()
    {
        string text = "{ \"type\": \"object\", \"properties\": { \"a\": { \"minimum\": \"1\" }, \"b\": { \"$ref\": \"#/nope\" } } }";
        BoundSchemaSet bound = Bind(text);
        Assert.Equal([DiagnosticIds.UnsupportedKeyword, DiagnosticIds.BrokenRef], bound.Diagnostics.Select(d => d.Id));
    }

    [Fact]
    public void Bad_json_gives_a_diagnostic_and_no_schemas()
    {
        BoundSchemaSet bound = Bind("{ \"type\": ");
        Assert.Equal(DiagnosticIds.BadJson, Assert.Single(bound.Diagnostics).Id);
        Assert.Empty(bound.Schemas);
    }

    [Fact]
    public void A_clean_schema_binds_without_diagnostics()
    {
        Assert.Empty(Bind(Schema).Diagnostics);
        Assert.Empty(SchemaBinder.Bind(Set([.. GeneratorHarness.Specs().Select(f => (f.Path, f.GetText()!.ToString()))]), CancellationToken.None).Diagnostics);
    }

    [Fact]
    public void The_model_holds_resolved_refs_shapes_and_names()
    {
        BoundSchemaSet bound = Bind(Schema);
        BoundSchema pod = bound.Schemas[0];
        Assert.Equal(BoundKind.Class, pod.Kind);
        Assert.Equal("Pod", pod.TypeName);
        Assert.True(pod.IsRoot);
        Assert.Equal(["Name", "Size", "Mode", "Tags"], pod.Members.Select(m => m.Cs));
        Assert.Equal(["string", "uint", "global::Test.Bound.Mode", "global::System.Collections.Generic.IReadOnlyList<string>"], pod.Members.Select(m => m.Shape.Cs));
        Assert.Equal([true, false, false, false], pod.Members.Select(m => m.Required));

        // $ref resolved to the reader of its target; the enum is a type of its own, with a reader method.
        BoundSchema mode = bound.Schemas.Single(s => s.TypeName == "Mode");
        Assert.Equal(BoundKind.Enum, mode.Kind);
        Assert.Equal(["fast", "slow"], mode.EnumMembers.Select(m => m.Wire));
        Assert.Equal("global::Test.Bound." + SchemaBinder.ReadersClass + "." + mode.MethodName, pod.Members[2].ReadMethod);
        BoundSchema size = bound.Schemas.Single(s => s.Pointer == "/$defs/Size");
        Assert.Equal(BoundKind.Reader, size.Kind);
        Assert.Equal("global::Test.Bound." + SchemaBinder.ReadersClass + "." + size.MethodName, pod.Members[1].ReadMethod);
        Assert.True(size.NumberCase);
        Assert.Equal(new BoundIntegerRange(false, 0, false, 100), size.IntegerRange);

        BoundSchema name = bound.Schemas.Single(s => s.Pointer == "/properties/name");
        Assert.True(name.Pattern is { IsSimple: true, AnchoredEnd: true });
        Assert.Equal([new BoundMergeRule("/tags", "Set", null)], pod.MergeRules);
    }

    [Fact]
    public void An_unchanged_schema_binds_to_an_equal_model()
    {
        // Two parses of the same text share no objects; the models must still be equal, or the Emit step never caches.
        BoundSchemaSet first = Bind(Schema);
        BoundSchemaSet second = Bind(Schema);
        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());

        var specs = GeneratorHarness.Specs().Select(f => (f.Path, f.GetText()!.ToString())).ToArray();
        Assert.Equal(SchemaBinder.Bind(Set(specs), CancellationToken.None), SchemaBinder.Bind(Set(specs), CancellationToken.None));
    }

    [Fact]
    public void A_changed_schema_binds_to_a_different_model()
    {
        Assert.NotEqual(Bind(Schema), Bind(Schema.Replace("\"maximum\": 100", "\"maximum\": 101")));
        Assert.NotEqual(Bind(Schema), Bind(Schema.Replace("\"fast\", \"slow\"", "\"fast\", \"slower\"")));
    }

    [Fact]
    public void Emitting_an_equal_model_gives_the_same_text()
    {
        EquatableArray<GeneratedSource> first = SourceEmitter.Emit(Bind(Schema), CancellationToken.None);
        EquatableArray<GeneratedSource> second = SourceEmitter.Emit(Bind(Schema), CancellationToken.None);
        Assert.Equal(first, second);
        Assert.Equal("Test.Bound.Schemas.g.cs", Assert.Single(first).HintName);
    }

    [Fact]
    public void Runtime_support_is_the_compiled_support_file()
    {
        string file = File.ReadAllText(GeneratorHarness.Repo("generator", "Berth.Generator.Support", "GeneratedRuntimeSupport.cs")).Replace("\r\n", "\n").TrimEnd('\n');
        Assert.Equal(file, RuntimeSupport.Text);
        Assert.Contains(RuntimeSupport.ResourceName, typeof(SchemaGenerator).Assembly.GetManifestResourceNames());
    }
}
