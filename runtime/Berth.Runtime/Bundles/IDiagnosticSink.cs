namespace Berth.Runtime.Bundles;

/// <summary>
/// Where the bundle code reports what it finds while it reads a config: each error and warning (all of them, before
/// it throws), compiler-style lines of the config front-end, and debug lines. The command line writes them to stderr
/// and its log; a test collects them.
/// </summary>
public interface IDiagnosticSink
{
    /// <summary>An error in the words of the schema or a rule ("FILE: error: POINTER: message").</summary>
    void Error(string message);

    void Warning(string message);

    /// <summary>A line worded already ("file:line:col: error CODE: path: message"), with its level ("error", "warning").</summary>
    void Line(string level, string text);

    /// <summary>What berth did (--debug); ignored when not debugging.</summary>
    void DebugLine(string message);
}
