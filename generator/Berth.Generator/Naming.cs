using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Berth.Generator
{
    internal static class Naming
    {
        /// <summary>PascalCase of a JSON name: <c>ociVersion</c> → <c>OciVersion</c>, <c>SCMP_ACT_KILL</c> → <c>ScmpActKill</c>.</summary>
        public static string Pascal(string name)
        {
            var words = new List<string>();
            var current = new StringBuilder();
            foreach (char c in name)
            {
                if (char.IsLetterOrDigit(c) && c < 128) current.Append(c);
                else if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
            }
            if (current.Length > 0) words.Add(current.ToString());
            var sb = new StringBuilder();
            foreach (string w in words)
            {
                bool allUpper = true;
                foreach (char c in w) if (char.IsLower(c)) { allUpper = false; break; }
                if (allUpper && w.Length > 1 && words.Count > 1)
                {
                    sb.Append(w[0]).Append(w.Substring(1).ToLowerInvariant());
                }
                else if (allUpper && w.Length > 1 && IsAllLetters(w))
                {
                    sb.Append(w[0]).Append(w.Substring(1).ToLowerInvariant());
                }
                else
                {
                    sb.Append(char.ToUpperInvariant(w[0])).Append(w.Substring(1));
                }
            }
            if (sb.Length == 0) return "Empty";
            if (char.IsDigit(sb[0])) sb.Insert(0, "Value");
            return sb.ToString();
        }

        private static bool IsAllLetters(string w)
        {
            foreach (char c in w) if (!char.IsLetter(c)) return false;
            return true;
        }

        /// <summary>A type name: the key itself when it is a valid identifier, else its PascalCase.</summary>
        public static string TypeName(string key)
        {
            if (key.Length == 0) return "Empty";
            bool ok = char.IsLetter(key[0]) || key[0] == '_';
            foreach (char c in key) if (!(char.IsLetterOrDigit(c) || c == '_') || c > 127) ok = false;
            return ok ? key : Pascal(key);
        }

        /// <summary>
        /// A string in double quotes that reads the same as a C# regular string literal and as JSON text: quote,
        /// backslash, \n \r \t escaped by name, every other control character and the characters C# takes as line
        /// ends (U+0085, U+2028, U+2029) as \uXXXX.
        /// </summary>
        public static string Literal(string s)
        {
            var sb = new StringBuilder(s.Length + 2);
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20 || c == '\u2028' || c == '\u2029' || c == '\u0085') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
            return sb.ToString();
        }

        public static string Xml(string s) =>
            s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\r", "").Replace("\n", " ");
    }
}
