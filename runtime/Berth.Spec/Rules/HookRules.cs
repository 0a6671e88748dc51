namespace Berth.Spec;

/// <summary>
/// <c>hooks</c>: every hook's path must be absolute (POSIX hooks extend execv's path that way). <c>prestart</c> is
/// deprecated in favour of createRuntime/createContainer/startContainer: a warning.
/// </summary>
internal static class HookRules
{
    public static void Check(Spec spec, RuleSink sink)
    {
        if (spec.Hooks is not { } hooks) return;
        if (hooks.Prestart is { Count: > 0 })
            sink.Warning("/hooks/prestart", "x-deprecated", "prestart hooks are deprecated: use createRuntime, createContainer or startContainer", Sections.Hooks);
        Each(hooks.Prestart, "prestart", sink);
        Each(hooks.CreateRuntime, "createRuntime", sink);
        Each(hooks.CreateContainer, "createContainer", sink);
        Each(hooks.StartContainer, "startContainer", sink);
        Each(hooks.Poststart, "poststart", sink);
        Each(hooks.Poststop, "poststop", sink);
    }

    private static void Each(IReadOnlyList<Hook>? list, string kind, RuleSink sink)
    {
        if (list is null) return;
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is { } hook && Paths.IsRelative(hook.Path))
                sink.NotAbsolute(Paths.Join("/hooks/" + kind, i) + "/path", hook.Path, $"{kind} hook path", Sections.Hooks);
        }
    }
}
