using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Berth.Generator
{
    /// <summary>
    /// Writes the one-pass UTF-8 readers: each schema's reader validates the value at the reader and returns its model
    /// value, reporting every violation to a <c>SchemaReadContext</c>. Writes only what the <see cref="BoundSchema"/> says.
    /// </summary>
    internal sealed class ReaderEmitter
    {
        private const string JE = "global::System.Text.Json.JsonElement";
        private const string Reader = "global::System.Text.Json.Utf8JsonReader";
        private const string Tok = "global::System.Text.Json.JsonTokenType";
        private const string Ctx = "SchemaReadContext";
        private const string SJ = "SchemaJson";

        private readonly StaticMembers _statics;
        private readonly HashSet<int> _matchers = new HashSet<int>();
        private int _tmp;

        public ReaderEmitter(StaticMembers statics) => _statics = statics;

        private string Tmp(string prefix) => prefix + (++_tmp).ToString(CultureInfo.InvariantCulture);

        private static string Loc(BoundSchema s, string keyword) =>
            Naming.Literal(s.File + "#" + s.Pointer + (keyword.Length > 0 ? "/" + keyword : ""));

        /// <summary>The reader method of a schema without a class of its own, in the readers class.</summary>
        public void EmitReaderMethod(IndentedWriter r, BoundSchema s)
        {
            r.Line("/// <summary>Reads <c>" + Naming.Xml(s.File + "#" + s.Pointer) + "</c>.</summary>");
            r.Open("internal static " + s.Shape.Cs + "? " + s.MethodName + "(ref " + Reader + " reader, " + Ctx + " context)");
            _tmp = 0;
            EmitBody(r, s, "reader");
            r.Close();
            r.Line();
        }

        /// <summary>The Read method of a class.</summary>
        public void EmitClassRead(IndentedWriter w, BoundSchema s)
        {
            w.Line("/// <summary>Reads and validates one value; the reader is on its first token and is left on its last.</summary>");
            w.Open("public static " + s.TypeName + "? Read(ref " + Reader + " reader, " + Ctx + " context)");
            _tmp = 0;
            EmitBody(w, s, "reader");
            w.Close();
            w.Line();
        }

        /// <summary>The Parse method of a root class: a whole document in one pass.</summary>
        public static void EmitParse(IndentedWriter w, BoundSchema s)
        {
            string name = s.TypeName!;
            string rootLoc = Naming.Literal(s.File + "#");
            w.Line();
            w.Line("/// <summary>Reads and validates a whole document in one pass, reporting every violation. Null only when the root is not an object or the JSON does not parse.</summary>");
            w.Open("public static " + name + "? Parse(global::System.ReadOnlySpan<byte> utf8Json, global::System.Collections.Generic.List<SchemaDiagnostic> diagnostics)");
            w.Line("var context = new " + Ctx + "(diagnostics);");
            w.Line("var reader = new " + Reader + "(utf8Json, new global::System.Text.Json.JsonReaderOptions { CommentHandling = global::System.Text.Json.JsonCommentHandling.Disallow, MaxDepth = 256 });");
            w.Open("try");
            w.Open("if (!reader.Read())");
            w.Line("diagnostics.Add(new SchemaDiagnostic(SchemaSeverity.Error, \"\", \"json\", \"the document is empty\", " + rootLoc + "));");
            w.Line("return null;");
            w.Close();
            w.Line(name + "? result = Read(ref reader, context);");
            w.Line("while (reader.Read()) { }");
            w.Line("return result;");
            w.Close();
            w.Open("catch (global::System.Text.Json.JsonException e)");
            w.Line(SJ + ".AddSyntaxError(diagnostics, e, " + rootLoc + ");");
            w.Line("return null;");
            w.Close();
            w.Open("catch (global::System.InvalidOperationException)");
            w.Line("diagnostics.Add(new SchemaDiagnostic(SchemaSeverity.Error, context.CurrentPointer, \"json\", \"the document is not valid UTF-8\", " + rootLoc + "));");
            w.Line("return null;");
            w.Close();
            w.Close();
            w.Line();
        }

        // ------------------------------------------------------------------ bodies

        /// <summary>The statements that validate the value at <paramref name="rd"/> and return its model value.</summary>
        private void EmitBody(IndentedWriter w, BoundSchema s, string rd)
        {
            w.Line(s.Shape.Cs + "? result = null;");
            if (s.Bool != null)
            {
                if (s.Bool == false)
                {
                    w.Line("if (context.Fail()) context.AddError(\"false\", \"no value is allowed here\", " + Loc(s, "") + ");");
                }
                w.Line("result = " + JE + ".ParseValue(ref " + rd + ");");
                w.Line("return result;");
                return;
            }

            // $ref beside other keywords, and allOf: every part validates the same value.
            if (s.RefCheck != null) EmitCheckOnCopy(w, s.RefCheck, rd);
            foreach (string part in s.AllOfChecks) EmitCheckOnCopy(w, part, rd);
            if (!s.AnyOf.IsEmpty) EmitAlternatives(w, s, s.AnyOf, "anyOf", rd);
            if (!s.OneOf.IsEmpty) EmitAlternatives(w, s, s.OneOf, "oneOf", rd);
            if (s.Not != null)
            {
                string mark = Tmp("m"), c = Tmp("c");
                w.Open();
                w.Line("int " + mark + " = context.BeginTrial();");
                w.Line("var " + c + " = " + rd + ";");
                w.Line("_ = " + s.Not + "(ref " + c + ", context);");
                w.Line("bool matched = context.Passed(" + mark + ");");
                w.Line("context.EndTrial();");
                w.Line("if (matched && context.Fail()) context.AddError(\"not\", \"the value must not match the schema given under \\\"not\\\"\", " + Loc(s, "not") + ");");
                w.Close();
            }

            if (s.OwnModel != null)
            {
                EmitOwn(w, s, s.OwnModel, rd);
            }
            else
            {
                if (s.ChecksOwnKeywords)
                {
                    string c = Tmp("c");
                    w.Open();
                    w.Line("var " + c + " = " + rd + ";");
                    EmitOwn(w, s, null, c);
                    w.Close();
                }
                if (s.Primary != null && !s.PrimaryInTrial)
                {
                    w.Line("result = " + s.Primary + "(ref " + rd + ", context);");
                }
                else if (s.Primary != null)
                {
                    string mark = Tmp("m");
                    w.Line("int " + mark + " = context.BeginTrial();");
                    w.Line("result = " + s.Primary + "(ref " + rd + ", context);");
                    w.Line("context.Passed(" + mark + ");");
                    w.Line("context.EndTrial();");
                }
                else if (s.Shape.Kind == ShapeKind.Element)
                {
                    w.Line("result = " + JE + ".ParseValue(ref " + rd + ");");
                }
                else
                {
                    w.Line(rd + ".Skip();");
                }
            }
            w.Line("return result;");
        }

        private void EmitCheckOnCopy(IndentedWriter w, string readMethod, string rd)
        {
            string c = Tmp("c");
            w.Line("{ var " + c + " = " + rd + "; _ = " + readMethod + "(ref " + c + ", context); }");
        }

        private void EmitAlternatives(IndentedWriter w, BoundSchema s, EquatableArray<string> branches, string keyword, string rd)
        {
            string mark = Tmp("m"), count = Tmp("n");
            w.Open();
            w.Line("int " + mark + " = context.BeginTrial();");
            w.Line("int " + count + " = 0;");
            foreach (string b in branches)
            {
                string c = Tmp("c");
                w.Open(keyword == "anyOf" ? "if (" + count + " == 0)" : "if (" + count + " < 2)");
                w.Line("var " + c + " = " + rd + ";");
                w.Line("_ = " + b + "(ref " + c + ", context);");
                w.Line("if (context.Passed(" + mark + ")) " + count + "++;");
                w.Close();
            }
            w.Line("context.EndTrial();");
            // No alternative matched: say so, then report why each alternative failed (only when reporting).
            w.Open("if (" + count + " == 0 && context.IsReporting)");
            foreach (string b in branches) EmitCheckOnCopy(w, b, rd);
            w.Close();
            if (keyword == "anyOf")
            {
                w.Line("if (" + count + " == 0 && context.Fail()) context.AddError(\"anyOf\", \"the value matches none of the " + branches.Count.ToString(CultureInfo.InvariantCulture) + " allowed alternatives\", " + Loc(s, "anyOf") + ");");
            }
            else
            {
                w.Line("if (" + count + " == 0 && context.Fail()) context.AddError(\"oneOf\", \"the value matches none of the " + branches.Count.ToString(CultureInfo.InvariantCulture) + " alternatives, but must match exactly one\", " + Loc(s, "oneOf") + ");");
                w.Line("if (" + count + " > 1 && context.Fail()) context.AddError(\"oneOf\", \"the value matches more than one alternative, but must match exactly one\", " + Loc(s, "oneOf") + ");");
            }
            w.Close();
        }

        private static string TypePhrase(EquatableArray<string> types)
        {
            var parts = new List<string>();
            foreach (string t in types)
            {
                parts.Add(t switch
                {
                    "object" => "an object",
                    "array" => "an array",
                    "string" => "a string",
                    "integer" => "an integer",
                    "number" => "a number",
                    "boolean" => "a boolean",
                    _ => "null",
                });
            }
            return string.Join(" or ", parts);
        }

        private static string EnumList(BoundSchema s) => string.Join(", ", s.Enum.Select(v => v.Kind == JKind.String ? v.Text : v.Json));

        private static string EnumError(BoundSchema s, string rd) =>
            "context.AddError(\"enum\", " + SJ + ".Text(ref " + rd + ") + " + Naming.Literal(" is not one of: " + EnumList(s)) + ", " + Loc(s, "enum") + ");";

        private static string ConstError(BoundSchema s, string rd) =>
            "context.AddError(\"const\", " + SJ + ".Text(ref " + rd + ") + " + Naming.Literal(" is not the required value " + s.Const!.Json) + ", " + Loc(s, "const") + ");";

        /// <summary>The enum and const checks; <paramref name="test"/> gives the test of a value against the token, null when the value cannot match this token kind.</summary>
        private static void EmitEnumConst(IndentedWriter w, BoundSchema s, string rd, Func<BoundLiteral, string?> test)
        {
            if (s.HasEnum)
            {
                var checks = new List<string>();
                foreach (BoundLiteral v in s.Enum) if (test(v) is { } t) checks.Add(t);
                string cond = checks.Count == 0 ? "true" : "!(" + string.Join(" || ", checks) + ")";
                w.Line("if (" + cond + " && context.Fail()) " + EnumError(s, rd));
            }
            if (s.Const != null)
            {
                string cond = test(s.Const) is { } t ? "!(" + t + ")" : "true";
                w.Line("if (" + cond + " && context.Fail()) " + ConstError(s, rd));
            }
        }

        /// <summary>Enum/const checks for values of a kind that cannot be compared on the reader's bytes (objects, arrays), or of a token kind with no literal.</summary>
        private void EmitGenericEnumConst(IndentedWriter w, BoundSchema s, string rd, Func<BoundLiteral, bool> relevant) =>
            EmitEnumConst(w, s, rd, v => relevant(v) ? LiteralTest(s, rd, v) : null);

        /// <summary>
        /// JSON equality of the current token with a literal. Strings, booleans and null compare on the reader's
        /// token; numbers, objects and arrays need a parsed literal (a static field, parsed when the class starts:
        /// keep those rare, they cost start-up time).
        /// </summary>
        private string LiteralTest(BoundSchema s, string rd, BoundLiteral v)
        {
            switch (v.Kind)
            {
                case JKind.String:
                    return "(" + rd + ".TokenType == " + Tok + ".String && " + rd + ".ValueTextEquals(" + Naming.Literal(v.Text) + "u8))";
                case JKind.True:
                case JKind.False:
                case JKind.Null:
                    return TokenTest(rd, v)!;
                default:
                    string field = _statics.Field(s.Namespace, "literal", v.Json, f => new[] { "internal static readonly " + JE + " " + f + " = " + SJ + ".Literal(" + Naming.Literal(v.Json) + ");" });
                    return SJ + ".ValueEquals(" + rd + ", " + field + ")";
            }
        }

        private static string? TokenTest(string rd, BoundLiteral v) =>
            v.Kind == JKind.True ? rd + ".TokenType == " + Tok + ".True" :
            v.Kind == JKind.False ? rd + ".TokenType == " + Tok + ".False" :
            v.Kind == JKind.Null ? rd + ".TokenType == " + Tok + ".Null" : null;

        /// <summary>The boolean expression that tests <paramref name="value"/> (a string) against a schema pattern.</summary>
        private string PatternTest(BoundSchema s, BoundPattern pattern, string value)
        {
            if (!pattern.IsSimple)
                return _statics.Field(s.Namespace, "pattern", pattern.Source, field => new[]
                {
                    "internal static readonly global::System.Text.RegularExpressions.Regex " + field + " = new global::System.Text.RegularExpressions.Regex(" +
                        Naming.Literal(pattern.Source) + ", global::System.Text.RegularExpressions.RegexOptions.None);",
                }) + ".IsMatch(" + value + ")";
            if (pattern.Alternatives.Count > 1)
            {
                string alternativesField = _statics.Field(s.Namespace, "simplePatterns", pattern.Source, field => new[]
                {
                    "/// <summary>Pattern " + Naming.Xml(pattern.Source) + ", one table per alternative of its groups</summary>",
                    "internal static readonly PatternAtom[][] " + field + " = { " +
                        string.Join(", ", pattern.Alternatives.Select(a => "new PatternAtom[] { " + Atoms(a) + " }")) + " };",
                });
                return SJ + ".MatchAnySimple(" + value + ", " + alternativesField + ", " + (pattern.AnchoredEnd ? "true" : "false") + ")";
            }
            string atomsField = _statics.Field(s.Namespace, "simplePattern", pattern.Source, field => new[]
            {
                "/// <summary>Pattern " + Naming.Xml(pattern.Source) + "</summary>",
                "internal static readonly PatternAtom[] " + field + " = { " + Atoms(pattern.Alternatives[0]) + " };",
            });
            return SJ + ".MatchSimple(" + value + ", " + atomsField + ", " + (pattern.AnchoredEnd ? "true" : "false") + ")";
        }

        private static string Atoms(BoundPatternSequence sequence) => string.Join(", ", sequence.Atoms.Select(a =>
            "new PatternAtom(" + Naming.Literal(a.Ranges) + ", " + a.Min.ToString(CultureInfo.InvariantCulture) + ", " +
            (a.Max == int.MaxValue ? "int.MaxValue" : a.Max.ToString(CultureInfo.InvariantCulture)) + ")"));

        /// <summary>The switch over the token type that checks the node's own keywords; builds the model when <paramref name="model"/> is set.</summary>
        private void EmitOwn(IndentedWriter w, BoundSchema s, BoundShape? model, string rd)
        {
            w.Open("switch (" + rd + ".TokenType)");
            if (s.ObjectCase)
            {
                Case(w, () =>
                {
                    EmitGenericEnumConst(w, s, rd, v => v.Kind == JKind.Object);
                    EmitObject(w, s, model, rd);
                }, "StartObject");
            }
            if (s.ArrayCase)
            {
                Case(w, () =>
                {
                    EmitGenericEnumConst(w, s, rd, v => v.Kind == JKind.Array);
                    EmitArray(w, s, model, rd);
                }, "StartArray");
            }
            if (s.StringCase) Case(w, () => EmitString(w, s, model, rd), "String");
            if (s.NumberCase) Case(w, () => EmitNumber(w, s, model != null && model.IsNumber ? model : null, rd), "Number");
            if (s.BoolCase)
            {
                Case(w, () =>
                {
                    EmitEnumConst(w, s, rd, v => TokenTest(rd, v));
                    if (model?.Kind == ShapeKind.Bool) w.Line("result = " + rd + ".TokenType == " + Tok + ".True;");
                }, "True", "False");
            }
            if (s.NullCase) Case(w, () => EmitEnumConst(w, s, rd, v => TokenTest(rd, v)), "Null");
            w.Line("default:");
            w.Open();
            if (s.ForbiddenTokens.Count > 0)
            {
                // Only tokens the type forbids reach here with a type error; allowed ones without checks just pass.
                string cond = string.Join(" || ", s.ForbiddenTokens.Select(t => rd + ".TokenType == " + Tok + "." + t));
                w.Open("if (" + cond + ")");
                w.Line("context.TypeError(ref " + rd + ", " + Naming.Literal(TypePhrase(s.Types)) + ", " + Loc(s, "type") + ");");
                if (s.HasEnum || s.Const != null) EmitGenericEnumConst(w, s, rd, v => true);
                w.Close();
            }
            w.Line(rd + ".Skip();");
            w.Line("break;");
            w.Close();
            w.Close();
        }

        /// <summary>One case of the token switch: its labels, then a block that ends in break.</summary>
        private static void Case(IndentedWriter w, Action body, params string[] tokens)
        {
            foreach (string token in tokens) w.Line("case " + Tok + "." + token + ":");
            w.Open();
            body();
            w.Line("break;");
            w.Close();
        }

        private void EmitString(IndentedWriter w, BoundSchema s, BoundShape? model, string rd)
        {
            bool needText = model?.Kind == ShapeKind.String || s.Pattern != null || s.MinLength != null || s.MaxLength != null;
            string text = Tmp("s");
            if (needText) w.Line("string " + text + " = " + rd + ".GetString()!;");
            if (s.HasEnum)
            {
                var strings = s.Enum.Where(v => v.Kind == JKind.String).Select(v => v.Text).ToList();
                string error = "if (context.Fail()) " + EnumError(s, rd);
                if (strings.Count == 0)
                {
                    w.Line(error);
                }
                else
                {
                    // Match on the bytes: switch on the length, then compare.
                    string ev = Tmp("ev"), ei = Tmp("ei");
                    bool isEnum = model?.Kind == ShapeKind.Enum;
                    var wires = isEnum ? s.EnumMembers.Select(m => m.Wire).ToList() : strings;
                    w.Line("global::System.ReadOnlySpan<byte> " + ev + " = " + SJ + ".Name(ref " + rd + ");");
                    w.Line("int " + ei + " = -1;");
                    w.Open("switch (" + ev + ".Length)");
                    foreach (var group in wires.Select((wire, index) => (wire, index)).GroupBy(x => System.Text.Encoding.UTF8.GetByteCount(x.wire)).OrderBy(g => g.Key))
                    {
                        w.Line("case " + group.Key.ToString(CultureInfo.InvariantCulture) + ":");
                        w.Indent();
                        bool first = true;
                        foreach (var x in group)
                        {
                            w.Line((first ? "if" : "else if") + " (global::System.MemoryExtensions.SequenceEqual(" + ev + ", " + Naming.Literal(x.wire) + "u8)) " + ei + " = " + x.index.ToString(CultureInfo.InvariantCulture) + ";");
                            first = false;
                        }
                        w.Line("break;");
                        w.Unindent();
                    }
                    w.Close();
                    if (isEnum)
                    {
                        w.Open("switch (" + ei + ")");
                        for (int i = 0; i < s.EnumMembers.Count; i++) w.Line("case " + i.ToString(CultureInfo.InvariantCulture) + ": result = " + model!.Cs + "." + s.EnumMembers[i].Member + "; break;");
                        w.Line("default: " + error + " break;");
                        w.Close();
                    }
                    else
                    {
                        w.Line("if (" + ei + " < 0) " + error);
                    }
                }
            }
            if (s.Const != null)
            {
                string cond = s.Const.Kind == JKind.String ? "!" + rd + ".ValueTextEquals(" + Naming.Literal(s.Const.Text) + "u8)" : "true";
                w.Line("if (" + cond + " && context.Fail()) " + ConstError(s, rd));
            }
            if (s.Pattern != null)
            {
                w.Line("if (!" + PatternTest(s, s.Pattern, text) + " && context.Fail()) context.AddError(\"pattern\", " + SJ + ".Quote(" + text + ") + " +
                    Naming.Literal(" does not match the pattern " + s.Pattern.Source) + ", " + Loc(s, "pattern") + ");");
            }
            if (s.MinLength != null || s.MaxLength != null)
            {
                string len = Tmp("len");
                w.Line("int " + len + " = " + SJ + ".Length(" + text + ");");
                if (s.MinLength != null)
                    w.Line("if (" + len + " < " + s.MinLength + " && context.Fail()) context.AddError(\"minLength\", " + SJ + ".Quote(" + text + ") + \" is \" + " + len + ".ToString(global::System.Globalization.CultureInfo.InvariantCulture) + " +
                        Naming.Literal(" characters long, shorter than the minimum length " + s.MinLength) + ", " + Loc(s, "minLength") + ");");
                if (s.MaxLength != null)
                    w.Line("if (" + len + " > " + s.MaxLength + " && context.Fail()) context.AddError(\"maxLength\", " + SJ + ".Quote(" + text + ") + \" is \" + " + len + ".ToString(global::System.Globalization.CultureInfo.InvariantCulture) + " +
                        Naming.Literal(" characters long, longer than the maximum length " + s.MaxLength) + ", " + Loc(s, "maxLength") + ");");
            }
            if (model?.Kind == ShapeKind.String) w.Line("result = " + text + ";");
        }

        /// <summary>Integers with integer bounds: compare on the 64-bit value the reader gives (the common case), exact text comparison otherwise.</summary>
        private void EmitNumber(IndentedWriter w, BoundSchema s, BoundShape? model, string rd)
        {
            if (s.IntegerRange is not { } range)
            {
                EmitNumberExact(w, s, model, rd);
                return;
            }
            string neg = Tmp("neg"), mag = Tmp("mag");
            w.Open("if (" + SJ + ".TryGetExactInteger(ref " + rd + ", out bool " + neg + ", out ulong " + mag + "))");
            string M(ulong v) => v.ToString(CultureInfo.InvariantCulture) + "UL";
            if (s.Minimum != null)
            {
                string fails = !range.MinNegative ? (range.MinMagnitude == 0 ? neg : "(" + neg + " || " + mag + " < " + M(range.MinMagnitude) + ")") : "(" + neg + " && " + mag + " > " + M(range.MinMagnitude) + ")";
                w.Line("if (" + fails + " && context.Fail()) context.AddError(\"minimum\", \"value \" + " + SJ + ".Text(ref " + rd + ") + " +
                    Naming.Literal(" is less than the minimum " + s.Minimum) + ", " + Loc(s, "minimum") + ");");
            }
            if (s.Maximum != null)
            {
                string fails = !range.MaxNegative ? "(!" + neg + " && " + mag + " > " + M(range.MaxMagnitude) + ")" : "(!" + neg + " || " + mag + " < " + M(range.MaxMagnitude) + ")";
                w.Line("if (" + fails + " && context.Fail()) context.AddError(\"maximum\", \"value \" + " + SJ + ".Text(ref " + rd + ") + " +
                    Naming.Literal(" is greater than the maximum " + s.Maximum) + ", " + Loc(s, "maximum") + ");");
            }
            switch (model?.Kind)
            {
                case ShapeKind.UInt:
                    w.Line("if (!" + neg + " && " + mag + " <= 4294967295UL) result = (uint)" + mag + ";");
                    break;
                case ShapeKind.ULong:
                    w.Line("if (!" + neg + ") result = " + mag + ";");
                    break;
                case ShapeKind.Int:
                    w.Line("if (" + mag + " <= (" + neg + " ? 2147483648UL : 2147483647UL)) result = " + neg + " ? unchecked((int)(0UL - " + mag + ")) : (int)" + mag + ";");
                    break;
                case ShapeKind.Long:
                    w.Line("if (" + mag + " <= (" + neg + " ? 9223372036854775808UL : 9223372036854775807UL)) result = " + neg + " ? unchecked((long)(0UL - " + mag + ")) : (long)" + mag + ";");
                    break;
            }
            w.Close();
            w.Open("else");
            EmitNumberExact(w, s, model, rd);
            w.Close();
        }

        private void EmitNumberExact(IndentedWriter w, BoundSchema s, BoundShape? model, string rd)
        {
            bool needRaw = s.IntegerOnly || s.Minimum != null || s.Maximum != null || s.ExclusiveMinimum != null || s.ExclusiveMaximum != null || s.HasEnum || s.Const != null;
            string raw = Tmp("raw");
            if (needRaw) w.Line("global::System.ReadOnlySpan<byte> " + raw + " = " + SJ + ".Raw(ref " + rd + ");");
            if (s.IntegerOnly)
            {
                w.Line("if (!" + SJ + ".IsInteger(" + raw + ")) context.TypeError(ref " + rd + ", " + Naming.Literal(TypePhrase(s.Types)) + ", " + Loc(s, "type") + ");");
            }
            void BoundCheck(string? value, string op, string keyword, string phrase)
            {
                if (value == null) return;
                w.Line("if (" + SJ + ".Compare(" + raw + ", " + Naming.Literal(value) + "u8) " + op + " && context.Fail()) context.AddError(\"" + keyword + "\", \"value \" + " + SJ + ".Text(ref " + rd + ") + " +
                    Naming.Literal(" " + phrase + " " + value) + ", " + Loc(s, keyword) + ");");
            }
            BoundCheck(s.Minimum, "< 0", "minimum", "is less than the minimum");
            BoundCheck(s.Maximum, "> 0", "maximum", "is greater than the maximum");
            BoundCheck(s.ExclusiveMinimum, "<= 0", "exclusiveMinimum", "is not greater than the exclusive minimum");
            BoundCheck(s.ExclusiveMaximum, ">= 0", "exclusiveMaximum", "is not less than the exclusive maximum");
            if (s.HasEnum)
            {
                var checks = new List<string>();
                foreach (BoundLiteral v in s.Enum)
                {
                    if (v.Kind == JKind.Number) checks.Add(SJ + ".Compare(" + raw + ", " + Naming.Literal(v.Text) + "u8) == 0");
                }
                string cond = checks.Count == 0 ? "true" : "!(" + string.Join(" || ", checks) + ")";
                w.Line("if (" + cond + " && context.Fail()) " + EnumError(s, rd));
            }
            if (s.Const != null)
            {
                string cond = s.Const.Kind == JKind.Number ? SJ + ".Compare(" + raw + ", " + Naming.Literal(s.Const.Text) + "u8) != 0" : "true";
                w.Line("if (" + cond + " && context.Fail()) " + ConstError(s, rd));
            }
            if (model != null)
            {
                string fn = model.Kind switch
                {
                    ShapeKind.Int => "TryGetInt32",
                    ShapeKind.UInt => "TryGetUInt32",
                    ShapeKind.ULong => "TryGetUInt64",
                    ShapeKind.Double => "TryGetDouble",
                    _ => "TryGetInt64",
                };
                string v = Tmp("n");
                w.Line("if (" + SJ + "." + fn + "(ref " + rd + ", out " + model.Cs + " " + v + ")) result = " + v + ";");
            }
        }

        private void EmitArray(IndentedWriter w, BoundSchema s, BoundShape? model, string rd)
        {
            bool list = model?.Kind == ShapeKind.List;
            string items = Tmp("items"), count = Tmp("count"), seen = Tmp("seen");
            if (list) w.Line("var " + items + " = SchemaListBuilder<" + model!.Elem!.Cs + ">.Create();");
            if (s.UniqueItems) w.Line("var " + seen + " = new global::System.Collections.Generic.List<" + JE + ">();");
            w.Line("int " + count + " = 0;");
            w.Open("while (" + rd + ".Read() && " + rd + ".TokenType != " + Tok + ".EndArray)");
            w.Line("context.Push(" + count + ");");
            if (s.UniqueItems)
            {
                string c = Tmp("c");
                w.Line("{ var " + c + " = " + rd + "; " + seen + ".Add(" + JE + ".ParseValue(ref " + c + ")); }");
            }
            if (s.Items != null)
            {
                if (list)
                {
                    string item = Tmp("item");
                    w.Line("if (" + s.Items + "(ref " + rd + ", context) is { } " + item + ") " + items + ".Add(" + item + ");");
                }
                else
                {
                    w.Line("_ = " + s.Items + "(ref " + rd + ", context);");
                }
            }
            else if (list)
            {
                w.Line(items + ".Add(" + JE + ".ParseValue(ref " + rd + "));");
            }
            else
            {
                w.Line(rd + ".Skip();");
            }
            w.Line("context.Pop();");
            w.Line(count + "++;");
            w.Close();
            if (s.MinItems != null)
                w.Line("if (" + count + " < " + s.MinItems + " && context.Fail()) context.AddError(\"minItems\", \"the array has \" + " + count + ".ToString(global::System.Globalization.CultureInfo.InvariantCulture) + " +
                    Naming.Literal(" items, fewer than the minimum " + s.MinItems) + ", " + Loc(s, "minItems") + ");");
            if (s.MaxItems != null)
                w.Line("if (" + count + " > " + s.MaxItems + " && context.Fail()) context.AddError(\"maxItems\", \"the array has \" + " + count + ".ToString(global::System.Globalization.CultureInfo.InvariantCulture) + " +
                    Naming.Literal(" items, more than the maximum " + s.MaxItems) + ", " + Loc(s, "maxItems") + ");");
            if (s.UniqueItems)
            {
                w.Open("for (int i = 0; i < " + seen + ".Count; i++)");
                w.Open("for (int j = i + 1; j < " + seen + ".Count; j++)");
                w.Open("if (" + JE + ".DeepEquals(" + seen + "[i], " + seen + "[j]))");
                w.Line("if (context.Fail()) context.AddError(\"uniqueItems\", \"items \" + i.ToString(global::System.Globalization.CultureInfo.InvariantCulture) + \" and \" + j.ToString(global::System.Globalization.CultureInfo.InvariantCulture) + \" are equal, but the items must be unique\", " + Loc(s, "uniqueItems") + ");");
                w.Line("i = " + seen + ".Count;");
                w.Line("break;");
                w.Close();
                w.Close();
                w.Close();
            }
            if (list) w.Line("result = " + items + ".ToArray();");
        }

        private static string ReadersMember(BoundSchema s, string member) => "global::" + s.Namespace + "." + SchemaBinder.ReadersClass + "." + member;

        private static string Id(BoundSchema s) => s.Id.ToString(CultureInfo.InvariantCulture);

        private void EmitObject(IndentedWriter w, BoundSchema s, BoundShape? model, string rd)
        {
            bool isClass = model?.Kind == ShapeKind.Class;
            bool isDict = model?.Kind == ShapeKind.Dict;
            EquatableArray<BoundMember> members = s.Members;
            bool hasProps = members.Count > 0;
            EquatableArray<string> requiredOther = s.RequiredOther;
            bool nameAlways = !s.PatternProperties.IsEmpty || requiredOther.Count > 0;
            string unknown = Tmp("unknown"), map = Tmp("map"), member = Tmp("member"), name = Tmp("name");
            if (isClass)
            {
                foreach (BoundMember m in members) w.Line(m.Shape.Cs + "? p" + m.Index.ToString(CultureInfo.InvariantCulture) + " = null;");
                w.Line("global::System.Collections.Generic.List<global::System.Collections.Generic.KeyValuePair<string, " + JE + ">>? " + unknown + " = null;");
            }
            foreach (BoundMember m in members) if (m.Required) w.Line("bool s" + m.Index.ToString(CultureInfo.InvariantCulture) + " = false;");
            for (int i = 0; i < requiredOther.Count; i++) w.Line("bool q" + i.ToString(CultureInfo.InvariantCulture) + " = false;");
            if (isDict) w.Line("var " + map + " = new global::System.Collections.Generic.Dictionary<string, " + model!.Elem!.Cs + ">();");
            string seenCount = Tmp("seenCount"), positions = Tmp("positions");
            if (isClass)
            {
                w.Line("int " + seenCount + " = 0;");
                w.Line("global::System.Collections.Generic.List<int>? " + positions + " = null;");
            }
            w.Open("while (" + rd + ".Read() && " + rd + ".TokenType == " + Tok + ".PropertyName)");
            if (hasProps)
            {
                EnsureMatcher(s);
                w.Line("int " + member + " = " + ReadersMember(s, "M" + Id(s)) + "(ref " + rd + ");");
                w.Line("string? " + name + " = " + (nameAlways ? "" : member + " < 0 ? ") + rd + ".GetString()" + (nameAlways ? ";" : " : null;"));
            }
            else
            {
                w.Line("string? " + name + " = " + rd + ".GetString();");
            }
            w.Line(rd + ".Read();");
            w.Line("context.Push(" + name + " ?? " + (hasProps ? ReadersMember(s, "s_knownMembersOf" + Id(s)) + "[" + member + "]" : "\"\"") + ");");
            for (int i = 0; i < requiredOther.Count; i++) w.Line("if (" + name + " == " + Naming.Literal(requiredOther[i]) + ") q" + i.ToString(CultureInfo.InvariantCulture) + " = true;");
            string matched = Tmp("matched");
            if (!s.PatternProperties.IsEmpty)
            {
                w.Line("bool " + matched + " = false;");
                foreach (BoundPatternProperty pp in s.PatternProperties)
                {
                    string c = Tmp("c");
                    w.Open("if (" + PatternTest(s, pp.Pattern, name + "!") + ")");
                    w.Line(matched + " = true;");
                    w.Line("var " + c + " = " + rd + ";");
                    w.Line("_ = " + pp.ReadMethod + "(ref " + c + ", context);");
                    w.Close();
                }
            }
            if (hasProps)
            {
                w.Open("switch (" + member + ")");
                foreach (BoundMember m in members)
                {
                    string idx = m.Index.ToString(CultureInfo.InvariantCulture);
                    w.Line("case " + idx + ":");
                    w.Indent();
                    if (isClass) w.Line("p" + idx + " = " + m.ReadMethod + "(ref " + rd + ", context);");
                    else w.Line("_ = " + m.ReadMethod + "(ref " + rd + ", context);");
                    if (m.Required) w.Line("s" + idx + " = true;");
                    w.Line("break;");
                    w.Unindent();
                }
                w.Line("default:");
                w.Indent();
            }
            w.Open();
            // A member not in properties.
            string notMatched = s.PatternProperties.IsEmpty ? "true" : "!" + matched;
            if (s.NoAdditionalProperties)
            {
                w.Line("if (" + notMatched + " && context.Fail()) context.AddError(\"additionalProperties\", \"member \" + " + SJ + ".Quote(" + name + "!) + \" is not allowed here\", " + Loc(s, "additionalProperties") + ");");
            }
            else if (s.AdditionalProperties != null)
            {
                if (isDict && s.PatternProperties.IsEmpty)
                {
                    string v = Tmp("v");
                    w.Line("if (" + s.AdditionalProperties + "(ref " + rd + ", context) is { } " + v + ") " + map + "[" + name + "!] = " + v + ";");
                }
                else
                {
                    string c = Tmp("c");
                    w.Open("if (" + notMatched + ")");
                    w.Line("var " + c + " = " + rd + ";");
                    w.Line("_ = " + s.AdditionalProperties + "(ref " + c + ", context);");
                    w.Close();
                }
            }
            else if (isClass)
            {
                w.Line((s.PatternProperties.IsEmpty ? "" : "if (" + notMatched + ") ") + "context.UnknownMember(" + name + "!, s_knownMembers, " + Loc(s, "properties") + ");");
            }
            if (isClass)
            {
                w.Line("(" + positions + " ??= new()).Add(" + seenCount + ");");
                w.Line("(" + unknown + " ??= new()).Add(new global::System.Collections.Generic.KeyValuePair<string, " + JE + ">(" + name + "!, " + JE + ".ParseValue(ref " + rd + ")));");
            }
            else if (s.DictValueSource != null)
            {
                string mark = Tmp("m"), v = Tmp("v");
                w.Line("int " + mark + " = context.BeginTrial();");
                w.Line("if (" + s.DictValueSource + "(ref " + rd + ", context) is { } " + v + ") " + map + "[" + name + "!] = " + v + ";");
                w.Line("context.Passed(" + mark + ");");
                w.Line("context.EndTrial();");
            }
            else if (!(isDict && s.AdditionalProperties != null))
            {
                w.Line(rd + ".Skip();");
            }
            w.Close();
            if (hasProps)
            {
                w.Line("break;");
                w.Unindent();
                w.Close();
            }
            w.Line("context.Pop();");
            if (isClass) w.Line(seenCount + "++;");
            w.Close();
            foreach (BoundMember m in members)
            {
                if (!m.Required) continue;
                w.Line("if (!s" + m.Index.ToString(CultureInfo.InvariantCulture) + " && context.Fail()) context.AddError(\"required\", " + Naming.Literal("missing required member " + Naming.Literal(m.Json)) + ", " + Loc(s, "required") + ");");
            }
            for (int i = 0; i < requiredOther.Count; i++)
            {
                w.Line("if (!q" + i.ToString(CultureInfo.InvariantCulture) + " && context.Fail()) context.AddError(\"required\", " + Naming.Literal("missing required member " + Naming.Literal(requiredOther[i])) + ", " + Loc(s, "required") + ");");
            }
            if (isClass)
            {
                var inits = new List<string>();
                foreach (BoundMember m in members)
                {
                    string p = "p" + m.Index.ToString(CultureInfo.InvariantCulture);
                    inits.Add(m.Cs + " = " + (m.Required ? (m.Shape.IsValueType ? p + ".GetValueOrDefault()" : p + "!") : p));
                }
                inits.Add("UnknownMembers = " + unknown);
                inits.Add("_unknownPositions = " + positions + "?.ToArray()");
                w.Line("result = new " + model!.Cs + " { " + string.Join(", ", inits) + " };");
            }
            if (isDict) w.Line("result = " + map + ";");
        }

        /// <summary>The method that maps the current property name to its index among the properties (switch on length, then bytes).</summary>
        private void EnsureMatcher(BoundSchema s)
        {
            if (!_matchers.Add(s.Id)) return;
            string id = Id(s);
            var w = new IndentedWriter();
            w.Indent();
            w.Indent();
            w.Line("internal static readonly string[] s_knownMembersOf" + id + " = { " + string.Join(", ", s.Members.Select(m => Naming.Literal(m.Json))) + " };");
            w.Line();
            w.Line("/// <summary>Index of the current property name in <c>" + Naming.Xml(s.File + "#" + s.Pointer) + "/properties</c>, or -1.</summary>");
            w.Open("internal static int M" + id + "(ref " + Reader + " reader)");
            w.Line("global::System.ReadOnlySpan<byte> name = " + SJ + ".Name(ref reader);");
            w.Open("switch (name.Length)");
            foreach (var group in s.Members.GroupBy(m => System.Text.Encoding.UTF8.GetByteCount(m.Json)).OrderBy(g => g.Key))
            {
                w.Line("case " + group.Key.ToString(CultureInfo.InvariantCulture) + ":");
                w.Indent();
                foreach (BoundMember m in group)
                {
                    w.Line("if (global::System.MemoryExtensions.SequenceEqual(name, " + Naming.Literal(m.Json) + "u8)) return " + m.Index.ToString(CultureInfo.InvariantCulture) + ";");
                }
                w.Line("break;");
                w.Unindent();
            }
            w.Close();
            w.Line("return -1;");
            w.Close();
            w.Line();
            _statics.Add(s.Namespace, w.ToString().Trim('\n').TrimStart(' '));
        }
    }
}
