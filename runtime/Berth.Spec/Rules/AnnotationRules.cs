namespace Berth.Spec;

/// <summary><c>annotations</c>: keys must not be empty strings.</summary>
internal static class AnnotationRules
{
    public static void Check(IReadOnlyDictionary<string, string>? annotations, string pointer, RuleSink sink)
    {
        if (annotations is null) return;
        if (annotations.ContainsKey(""))
            sink.Error(Paths.Join(pointer, ""), "x-non-empty", "an annotation key must not be an empty string", Sections.Annotations);
    }
}
