namespace Berth.Benchmarks;

/// <summary>
/// Loads specs/config.schema.json (with its $refs into defs.schema.json) into NJsonSchema. NJsonSchema 11.6.2 does not
/// resolve 2020-12 <c>$defs</c> ("Could not resolve the path '#/$defs/FilePath'"), so the comparison uses a copy of the
/// schemas in a temporary folder with <c>$defs</c> renamed to draft-07's <c>definitions</c> (same meaning).
/// </summary>
internal static class NJsonSchemaLoader
{
    public static NJsonSchema.JsonSchema? TryLoadOriginal(out string? problem) => Load(Documents.Repo("specs", "config.schema.json"), out problem);

    public static NJsonSchema.JsonSchema? TryLoad(out string? problem)
    {
        string dir = Path.Combine(Path.GetTempPath(), "berth-njsonschema-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        foreach (string file in Documents.SchemaFiles())
            File.WriteAllText(Path.Combine(dir, Path.GetFileName(file)), File.ReadAllText(file).Replace("\"$defs\"", "\"definitions\"").Replace("#/$defs/", "#/definitions/"));
        return Load(Path.Combine(dir, "config.schema.json"), out problem);
    }

    private static NJsonSchema.JsonSchema? Load(string path, out string? problem)
    {
        try
        {
            var schema = NJsonSchema.JsonSchema.FromFileAsync(path).GetAwaiter().GetResult();
            problem = null;
            return schema;
        }
        catch (Exception e)
        {
            problem = e.GetType().Name + ": " + e.Message;
            return null;
        }
    }
}
