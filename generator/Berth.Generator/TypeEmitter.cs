using System.Linq;

namespace Berth.Generator
{
    /// <summary>Writes the model types: enums with their wire names, and classes with their properties; a class's
    /// reader, writer and merge table come from <see cref="ReaderEmitter"/>, <see cref="WriterEmitter"/> and <see cref="MergeRuleEmitter"/>.</summary>
    internal static class TypeEmitter
    {
        private const string JE = "global::System.Text.Json.JsonElement";

        public static void EmitEnum(IndentedWriter w, BoundSchema s)
        {
            string name = s.TypeName!;
            Doc(w, s.Summary);
            w.Open("public enum " + name);
            foreach (BoundEnumMember m in s.EnumMembers)
            {
                w.Line("/// <summary>Wire name <c>" + Naming.Xml(m.Wire) + "</c>.</summary>");
                w.Line(m.Member + ",");
            }
            w.Close();
            w.Line();
            w.Line("/// <summary>Wire names of <see cref=\"" + name + "\"/>.</summary>");
            w.Open("public static class " + name + "Extensions");
            w.Line("/// <summary>The exact JSON text of the value.</summary>");
            w.Open("public static string ToWireName(this " + name + " value) => value switch");
            foreach (BoundEnumMember m in s.EnumMembers) w.Line(name + "." + m.Member + " => " + Naming.Literal(m.Wire) + ",");
            w.Line("_ => value.ToString(),");
            w.Close(";");
            w.Line();
            w.Line("/// <summary>Parses the exact JSON text of a value.</summary>");
            w.Open("public static bool TryParseWireName(string? text, out " + name + " value)");
            w.Open("switch (text)");
            foreach (BoundEnumMember m in s.EnumMembers) w.Line("case " + Naming.Literal(m.Wire) + ": value = " + name + "." + m.Member + "; return true;");
            w.Close();
            w.Line("value = default;");
            w.Line("return false;");
            w.Close();
            w.Close();
            w.Line();
        }

        public static void EmitClass(IndentedWriter w, BoundSchema s, ReaderEmitter readers)
        {
            Doc(w, s.Summary);
            w.Open("public sealed partial class " + s.TypeName);
            foreach (BoundMember m in s.Members)
            {
                Doc(w, m.Description);
                if (m.Required)
                    w.Line("public " + m.Shape.Cs + " " + m.Cs + " { get; init; }" + (m.Shape.IsValueType ? "" : " = null!;"));
                else
                    w.Line("public " + m.Shape.Cs + "? " + m.Cs + " { get; init; }");
                w.Line();
            }
            w.Line("/// <summary>Members the schema does not define, kept in order so that writing loses nothing.</summary>");
            w.Line("public global::System.Collections.Generic.IReadOnlyList<global::System.Collections.Generic.KeyValuePair<string, " + JE + ">>? UnknownMembers { get; init; }");
            w.Line();
            w.Line("/// <summary>The JSON names of the members the schema defines.</summary>");
            w.Line("public static global::System.Collections.Generic.IReadOnlyList<string> KnownMembers => s_knownMembers;");
            w.Line();
            w.Line("private static readonly string[] s_knownMembers = { " + string.Join(", ", s.Members.Select(m => Naming.Literal(m.Json))) + " };");
            w.Line();

            readers.EmitClassRead(w, s);
            WriterEmitter.EmitWriteTo(w, s);
            if (s.IsRoot)
            {
                ReaderEmitter.EmitParse(w, s);
                WriterEmitter.EmitToUtf8Json(w);
                MergeRuleEmitter.Emit(w, s);
            }
            w.Close();
            w.Line();
        }

        private static void Doc(IndentedWriter w, string? description)
        {
            if (string.IsNullOrEmpty(description)) return;
            w.Line("/// <summary>" + Naming.Xml(description!) + "</summary>");
        }
    }
}
