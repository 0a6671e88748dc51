using System.Globalization;

namespace Berth.Generator
{
    /// <summary>Writes the members of a class that write it back as JSON: WriteTo (unknown members in place), and ToUtf8Json for roots.</summary>
    internal static class WriterEmitter
    {
        private const string Writer = "global::System.Text.Json.Utf8JsonWriter";

        /// <summary>WriteTo: known members in schema order; each unknown member goes back to the index it had in the
        /// document it was read from (exact for documents in schema order).</summary>
        public static void EmitWriteTo(IndentedWriter w, BoundSchema s)
        {
            string count = s.Members.Count.ToString(CultureInfo.InvariantCulture);
            w.Line("/// <summary>Writes this object as JSON, unknown members included (in place).</summary>");
            w.Open("public void WriteTo(" + Writer + " writer)");
            w.Line("writer.WriteStartObject();");
            w.Open("if (UnknownMembers is { } unknownInPlace && _unknownPositions is { } positions && positions.Length == unknownInPlace.Count)");
            w.Line("int written = 0, u = 0;");
            w.Open("for (int k = 0; k < " + count + "; k++)");
            w.Open("while (u < unknownInPlace.Count && positions[u] <= written)");
            w.Line("writer.WritePropertyName(unknownInPlace[u].Key);");
            w.Line("unknownInPlace[u].Value.WriteTo(writer);");
            w.Line("u++;");
            w.Line("written++;");
            w.Close();
            w.Line("if (WriteMember(writer, k)) written++;");
            w.Close();
            w.Open("for (; u < unknownInPlace.Count; u++)");
            w.Line("writer.WritePropertyName(unknownInPlace[u].Key);");
            w.Line("unknownInPlace[u].Value.WriteTo(writer);");
            w.Close();
            w.Line("writer.WriteEndObject();");
            w.Line("return;");
            w.Close();
            w.Line("for (int k = 0; k < " + count + "; k++) _ = WriteMember(writer, k);");
            w.Open("if (UnknownMembers is { } unknown)");
            w.Open("for (int i = 0; i < unknown.Count; i++)");
            w.Line("writer.WritePropertyName(unknown[i].Key);");
            w.Line("unknown[i].Value.WriteTo(writer);");
            w.Close();
            w.Close();
            w.Line("writer.WriteEndObject();");
            w.Close();
            w.Line();
            w.Open("private bool WriteMember(" + Writer + " writer, int index)");
            w.Open("switch (index)");
            foreach (BoundMember m in s.Members)
            {
                w.Line("case " + m.Index.ToString(CultureInfo.InvariantCulture) + ":");
                w.Open();
                if (m.Required && m.Shape.IsValueType)
                {
                    w.Line("writer.WritePropertyName(" + Naming.Literal(m.Json) + "u8);");
                    WriteValue(w, m.Shape, m.Cs, 0);
                    w.Line("return true;");
                }
                else
                {
                    string v = "v" + m.Index.ToString(CultureInfo.InvariantCulture);
                    w.Open("if (" + m.Cs + " is { } " + v + ")");
                    w.Line("writer.WritePropertyName(" + Naming.Literal(m.Json) + "u8);");
                    WriteValue(w, m.Shape, v, 0);
                    w.Line("return true;");
                    w.Close();
                    w.Line("return false;");
                }
                w.Close();
            }
            w.Close();
            w.Line("return false;");
            w.Close();
            w.Line();
            w.Line("/// <summary>For each unknown member, how many members came before it in the document it was read from.</summary>");
            w.Line("private int[]? _unknownPositions;");
            w.Line();
        }

        /// <summary>ToUtf8Json of a root class: the document as UTF-8 JSON.</summary>
        public static void EmitToUtf8Json(IndentedWriter w)
        {
            w.Line("/// <summary>The document as UTF-8 JSON.</summary>");
            w.Open("public byte[] ToUtf8Json(bool indented = true)");
            w.Line("var buffer = new global::System.Buffers.ArrayBufferWriter<byte>();");
            w.Open("using (var writer = new " + Writer + "(buffer, new global::System.Text.Json.JsonWriterOptions { Indented = indented, Encoder = global::System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))");
            w.Line("WriteTo(writer);");
            w.Close();
            w.Line("return buffer.WrittenSpan.ToArray();");
            w.Close();
            w.Line();
        }

        private static void WriteValue(IndentedWriter w, BoundShape shape, string expr, int depth)
        {
            string d = depth.ToString(CultureInfo.InvariantCulture);
            switch (shape.Kind)
            {
                case ShapeKind.Class:
                case ShapeKind.Element:
                    w.Line(expr + ".WriteTo(writer);");
                    break;
                case ShapeKind.Enum:
                    w.Line("writer.WriteStringValue(" + shape.Cs + "Extensions.ToWireName(" + expr + "));");
                    break;
                case ShapeKind.String:
                    w.Line("writer.WriteStringValue(" + expr + ");");
                    break;
                case ShapeKind.Bool:
                    w.Line("writer.WriteBooleanValue(" + expr + ");");
                    break;
                case ShapeKind.List:
                    w.Line("writer.WriteStartArray();");
                    w.Open("for (int i" + d + " = 0; i" + d + " < " + expr + ".Count; i" + d + "++)");
                    w.Line("var e" + d + " = " + expr + "[i" + d + "];");
                    WriteValue(w, shape.Elem!, "e" + d, depth + 1);
                    w.Close();
                    w.Line("writer.WriteEndArray();");
                    break;
                case ShapeKind.Dict:
                    w.Line("writer.WriteStartObject();");
                    w.Open("foreach (var kv" + d + " in " + expr + ")");
                    w.Line("writer.WritePropertyName(kv" + d + ".Key);");
                    WriteValue(w, shape.Elem!, "kv" + d + ".Value", depth + 1);
                    w.Close();
                    w.Line("writer.WriteEndObject();");
                    break;
                default:
                    w.Line("writer.WriteNumberValue(" + expr + ");");
                    break;
            }
        }
    }
}
