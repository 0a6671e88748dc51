namespace Berth.Runtime.Lifecycle;

/// <summary>A config ready to run: the model, the exact JSON that will be recorded as what ran, and its sources.</summary>
public sealed record LoadedConfig(Berth.Spec.Spec Spec, byte[] Json, IReadOnlyList<KeyValuePair<string, string>> Sources)
{
    /// <summary>More files stored next to config.json in the state directory (name → content), e.g. the author's
    /// compiled document and the provenance `berth diff` reads.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> ExtraFiles { get; init; } = [];
}
