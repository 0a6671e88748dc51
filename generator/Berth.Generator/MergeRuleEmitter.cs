namespace Berth.Generator
{
    /// <summary>Writes the MergeRules table of a root class: how the configuration front-end merges each array.</summary>
    internal static class MergeRuleEmitter
    {
        public static void Emit(IndentedWriter w, BoundSchema s)
        {
            w.Line("/// <summary>How the configuration front-end merges each array of this document (from x-merge-key / x-merge).</summary>");
            w.Line("public static global::System.Collections.Generic.IReadOnlyList<MergeRule> MergeRules { get; } = new MergeRule[]");
            w.Line("{");
            w.Indent();
            foreach (BoundMergeRule rule in s.MergeRules)
            {
                w.Line("new MergeRule(" + Naming.Literal(rule.Pointer) + ", MergeKind." + rule.Kind + ", " + (rule.Key != null ? Naming.Literal(rule.Key) : "null") + "),");
            }
            w.Unindent();
            w.Line("};");
        }
    }
}
