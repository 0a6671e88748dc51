using System.Collections.Generic;
using System.Text;

namespace Berth.Generator
{
    /// <summary>
    /// Compiles the regular expressions schemas usually hold (<c>^CAP_[A-Z0-9_]+$</c>: anchored sequences of literals and
    /// character classes with quantifiers) to a table matched without System.Text.RegularExpressions. Anything else
    /// (groups, alternation, \d, .) is left to Regex.
    /// </summary>
    internal static class SimplePattern
    {
        public sealed class Atom
        {
            public string Ranges = "";
            public int Min;
            public int Max;
        }

        public static bool TryCompile(string pattern, out List<Atom> atoms, out bool anchoredEnd)
        {
            atoms = new List<Atom>();
            anchoredEnd = false;
            if (pattern.Length == 0 || pattern[0] != '^') return false;
            int i = 1;
            while (i < pattern.Length)
            {
                char c = pattern[i];
                if (c == '$')
                {
                    if (i != pattern.Length - 1) return false;
                    anchoredEnd = true;
                    i++;
                    break;
                }
                var ranges = new StringBuilder();
                if (c == '[')
                {
                    i++;
                    if (i < pattern.Length && pattern[i] == '^') return false;
                    bool closed = false;
                    while (i < pattern.Length)
                    {
                        char x = pattern[i];
                        if (x == ']') { closed = true; i++; break; }
                        if (!ClassChar(pattern, ref i, out char lo)) return false;
                        char hi = lo;
                        if (i + 1 < pattern.Length && pattern[i] == '-' && pattern[i + 1] != ']')
                        {
                            i++;
                            if (!ClassChar(pattern, ref i, out hi) || hi < lo) return false;
                        }
                        ranges.Append(lo).Append(hi);
                    }
                    if (!closed || ranges.Length == 0) return false;
                }
                else if (c == '\\')
                {
                    if (i + 1 >= pattern.Length || char.IsLetterOrDigit(pattern[i + 1])) return false;
                    ranges.Append(pattern[i + 1]).Append(pattern[i + 1]);
                    i += 2;
                }
                else if ("()|.*+?{}]^".IndexOf(c) >= 0)
                {
                    return false;
                }
                else
                {
                    ranges.Append(c).Append(c);
                    i++;
                }
                var atom = new Atom { Ranges = ranges.ToString(), Min = 1, Max = 1 };
                if (i < pattern.Length)
                {
                    char q = pattern[i];
                    if (q == '*') { atom.Min = 0; atom.Max = int.MaxValue; i++; }
                    else if (q == '+') { atom.Min = 1; atom.Max = int.MaxValue; i++; }
                    else if (q == '?') { atom.Min = 0; atom.Max = 1; i++; }
                    else if (q == '{')
                    {
                        int close = pattern.IndexOf('}', i);
                        if (close < 0) return false;
                        string body = pattern.Substring(i + 1, close - i - 1);
                        string[] parts = body.Split(',');
                        if (parts.Length > 2 || !int.TryParse(parts[0], out atom.Min)) return false;
                        if (parts.Length == 1) atom.Max = atom.Min;
                        else if (parts[1].Length == 0) atom.Max = int.MaxValue;
                        else if (!int.TryParse(parts[1], out atom.Max) || atom.Max < atom.Min) return false;
                        i = close + 1;
                    }
                    if (i < pattern.Length && (pattern[i] == '?' || pattern[i] == '+') && atom.Ranges.Length > 0 && (q == '*' || q == '+' || q == '?' || q == '{')) return false;
                }
                atoms.Add(atom);
            }
            return i == pattern.Length;
        }

        private static bool ClassChar(string pattern, ref int i, out char c)
        {
            c = pattern[i];
            if (c == '[') return false;
            if (c != '\\') { i++; return true; }
            if (i + 1 >= pattern.Length) return false;
            c = pattern[i + 1];
            if (char.IsLetterOrDigit(c)) return false;
            i += 2;
            return true;
        }
    }
}
