namespace Berth.Spec;

/// <summary>
/// <c>root</c>: required on every platform but Windows. Its path may be absolute or relative to the bundle
/// (both are fine on POSIX), but not empty.
/// </summary>
internal static class RootRules
{
    public static void Check(Spec spec, RuleSink sink)
    {
        if (spec.Root is null)
        {
            sink.Error("", "x-required-on-linux", "missing member \"root\": a Linux container needs a root file system", Sections.Root);
            return;
        }
        if (spec.Root.Path is { Length: 0 })
            sink.Error("/root/path", "x-non-empty", "root.path is empty: give the root file system's path, absolute or relative to the bundle", Sections.Root);
    }
}
