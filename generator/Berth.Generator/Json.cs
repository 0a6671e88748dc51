using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Berth.Generator
{
    internal enum JKind { Object, Array, String, Number, True, False, Null }

    /// <summary>A JSON value with its character span in the schema text (used only inside the parser).</summary>
    internal sealed class JNode
    {
        public JKind Kind;
        public int Start;
        public int End;
        public string Text = "";
        public List<JNode>? Items;
        public List<JProperty>? Properties;

        /// <summary>The value written back as compact JSON (for enum/const literals).</summary>
        public string ToJson()
        {
            var sb = new StringBuilder();
            Write(sb);
            return sb.ToString();
        }

        private void Write(StringBuilder sb)
        {
            switch (Kind)
            {
                case JKind.String: sb.Append(Naming.Literal(Text)); break;
                case JKind.Number: sb.Append(Text); break;
                case JKind.True: sb.Append("true"); break;
                case JKind.False: sb.Append("false"); break;
                case JKind.Null: sb.Append("null"); break;
                case JKind.Array:
                    sb.Append('[');
                    for (int i = 0; i < Items!.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        Items[i].Write(sb);
                    }
                    sb.Append(']');
                    break;
                case JKind.Object:
                    sb.Append('{');
                    for (int i = 0; i < Properties!.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        sb.Append(Naming.Literal(Properties[i].Name)).Append(':');
                        Properties[i].Value.Write(sb);
                    }
                    sb.Append('}');
                    break;
            }
        }

    }

    internal sealed class JProperty
    {
        public string Name = "";
        public int NameStart;
        public int NameEnd;
        public JNode Value = null!;
    }

    internal sealed class JsonSyntaxException : Exception
    {
        public JsonSyntaxException(int position, string message) : base(message) => Position = position;

        public int Position { get; }
    }

    /// <summary>A small strict JSON (RFC 8259) parser that keeps the position of every value and member name.</summary>
    internal sealed class JsonTextParser
    {
        private readonly string _s;
        private int _p;

        private JsonTextParser(string s) => _s = s;

        public static JNode Parse(string text)
        {
            var parser = new JsonTextParser(text);
            if (text.Length > 0 && text[0] == '\uFEFF') parser._p = 1; // byte order mark
            parser.SkipWs();
            JNode node = parser.ParseValue(0);
            parser.SkipWs();
            if (parser._p != text.Length) throw new JsonSyntaxException(parser._p, "unexpected text after the end of the JSON value");
            return node;
        }

        private void SkipWs()
        {
            while (_p < _s.Length && (_s[_p] == ' ' || _s[_p] == '\t' || _s[_p] == '\n' || _s[_p] == '\r')) _p++;
        }

        private JNode ParseValue(int depth)
        {
            if (depth > 200) throw new JsonSyntaxException(_p, "JSON nested too deeply");
            if (_p >= _s.Length) throw new JsonSyntaxException(_p, "unexpected end of the JSON text");
            char c = _s[_p];
            int start = _p;
            switch (c)
            {
                case '{': return ParseObject(depth);
                case '[': return ParseArray(depth);
                case '"': return new JNode { Kind = JKind.String, Start = start, Text = ParseString(), End = _p };
                case 't': Expect("true"); return new JNode { Kind = JKind.True, Start = start, End = _p, Text = "true" };
                case 'f': Expect("false"); return new JNode { Kind = JKind.False, Start = start, End = _p, Text = "false" };
                case 'n': Expect("null"); return new JNode { Kind = JKind.Null, Start = start, End = _p, Text = "null" };
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
                    throw new JsonSyntaxException(_p, "unexpected character '" + c + "'");
            }
        }

        private void Expect(string word)
        {
            if (string.CompareOrdinal(_s, _p, word, 0, word.Length) != 0) throw new JsonSyntaxException(_p, "invalid literal, expected '" + word + "'");
            _p += word.Length;
        }

        private JNode ParseNumber()
        {
            int start = _p;
            if (_s[_p] == '-') _p++;
            if (_p < _s.Length && _s[_p] == '0') _p++;
            else if (_p < _s.Length && _s[_p] >= '1' && _s[_p] <= '9') { while (_p < _s.Length && char.IsDigit(_s[_p])) _p++; }
            else throw new JsonSyntaxException(_p, "invalid number");
            if (_p < _s.Length && _s[_p] == '.')
            {
                _p++;
                if (_p >= _s.Length || !IsDigit(_s[_p])) throw new JsonSyntaxException(_p, "invalid number: digit expected after '.'");
                while (_p < _s.Length && IsDigit(_s[_p])) _p++;
            }
            if (_p < _s.Length && (_s[_p] == 'e' || _s[_p] == 'E'))
            {
                _p++;
                if (_p < _s.Length && (_s[_p] == '+' || _s[_p] == '-')) _p++;
                if (_p >= _s.Length || !IsDigit(_s[_p])) throw new JsonSyntaxException(_p, "invalid number: digit expected in the exponent");
                while (_p < _s.Length && IsDigit(_s[_p])) _p++;
            }
            return new JNode { Kind = JKind.Number, Start = start, End = _p, Text = _s.Substring(start, _p - start) };
        }

        private static bool IsDigit(char c) => c >= '0' && c <= '9';

        private string ParseString()
        {
            _p++; // opening quote
            var sb = new StringBuilder();
            while (true)
            {
                if (_p >= _s.Length) throw new JsonSyntaxException(_p, "unterminated string");
                char c = _s[_p++];
                if (c == '"') break;
                if (c < 0x20) throw new JsonSyntaxException(_p - 1, "control character in a string");
                if (c != '\\') { sb.Append(c); continue; }
                if (_p >= _s.Length) throw new JsonSyntaxException(_p, "unterminated string");
                char e = _s[_p++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (_p + 4 > _s.Length || !int.TryParse(_s.Substring(_p, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                            throw new JsonSyntaxException(_p, "invalid \\u escape");
                        sb.Append((char)code);
                        _p += 4;
                        break;
                    default: throw new JsonSyntaxException(_p - 1, "invalid escape '\\" + e + "'");
                }
            }
            return sb.ToString();
        }

        private JNode ParseObject(int depth)
        {
            var node = new JNode { Kind = JKind.Object, Start = _p, Properties = new List<JProperty>() };
            _p++;
            SkipWs();
            if (_p < _s.Length && _s[_p] == '}') { _p++; node.End = _p; return node; }
            while (true)
            {
                SkipWs();
                if (_p >= _s.Length || _s[_p] != '"') throw new JsonSyntaxException(_p, "expected a member name in double quotes");
                int nameStart = _p;
                string name = ParseString();
                int nameEnd = _p;
                SkipWs();
                if (_p >= _s.Length || _s[_p] != ':') throw new JsonSyntaxException(_p, "expected ':' after a member name");
                _p++;
                SkipWs();
                JNode value = ParseValue(depth + 1);
                foreach (JProperty existing in node.Properties)
                {
                    if (existing.Name == name) throw new JsonSyntaxException(nameStart, "duplicate member \"" + name + "\"");
                }
                node.Properties.Add(new JProperty { Name = name, NameStart = nameStart, NameEnd = nameEnd, Value = value });
                SkipWs();
                if (_p >= _s.Length) throw new JsonSyntaxException(_p, "unterminated object");
                if (_s[_p] == ',') { _p++; continue; }
                if (_s[_p] == '}') { _p++; node.End = _p; return node; }
                throw new JsonSyntaxException(_p, "expected ',' or '}'");
            }
        }

        private JNode ParseArray(int depth)
        {
            var node = new JNode { Kind = JKind.Array, Start = _p, Items = new List<JNode>() };
            _p++;
            SkipWs();
            if (_p < _s.Length && _s[_p] == ']') { _p++; node.End = _p; return node; }
            while (true)
            {
                SkipWs();
                node.Items.Add(ParseValue(depth + 1));
                SkipWs();
                if (_p >= _s.Length) throw new JsonSyntaxException(_p, "unterminated array");
                if (_s[_p] == ',') { _p++; continue; }
                if (_s[_p] == ']') { _p++; node.End = _p; return node; }
                throw new JsonSyntaxException(_p, "expected ',' or ']'");
            }
        }
    }
}
