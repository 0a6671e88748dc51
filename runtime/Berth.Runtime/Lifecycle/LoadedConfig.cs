namespace Berth.Runtime.Lifecycle;

/// <summary>A config ready to run: the model, the exact JSON that will be recorded as what ran, and its sources.</summary>
public sealed record LoadedConfig(Berth.Spec.Spec Spec, byte[] Json, IReadOnlyList<KeyValuePair<string, string>> Sources);
