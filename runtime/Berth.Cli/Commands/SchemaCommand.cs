using Berth.Cli.Parsing;
using Berth.Config;

namespace Berth.Cli.Commands;

/// <summary>`berth schema [-o FILE]`: the JSON Schema of the YAML config format.</summary>
public static class SchemaCommand
{
    public static readonly CommandDefinition Definition = new("schema", "", "berth's own: the JSON Schema of the YAML config format",
        [Flag.Value("output", "write it to this file (- or none: standard output)", "o")], Run)
    { FromRunc = false };

    private static int Run(Invocation call)
    {
        var a = call.Arguments.NoPositionals();
        byte[] schema = YamlSchema.Build();
        string? target = a.Value("output");
        if (target is null || target == "-")
            StandardStreams.WriteDocument(schema);
        else
            File.WriteAllBytes(target, [.. schema, (byte)'\n']);
        return 0;
    }
}
