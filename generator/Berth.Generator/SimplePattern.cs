using System.Collections.Generic;
using System.Text;

namespace Berth.Generator
{
    /// <summary>
    /// Compiles the regular expressions schemas usually hold (<c>^CAP_[A-Z0-9_]+$</c>: anchored sequences of literals and
    /// character classes with quantifiers, and groups of alternatives taken once or optionally) to tables matched without
    /// System.Text.RegularExpressions, whose construction costs every start that validates a config (~0.1 ms, perf).
    /// Anything else (repeated groups, alternation outside a group, \d, ., negated classes) is left to Regex.
    /// </summary>
    internal static class SimplePattern
    {
        /// <summary>More alternatives than this (groups multiply them) are left to Regex.</summary>
        public const int MaxAlternatives = 32;

        public sealed class Atom
        {
            public string Ranges = "";
            public int Min;
            public int Max;
        }

        /// <summary>
        /// A pattern whose groups hold alternatives of sequences, each group once or optional (<c>(0|[1-9][0-9]*)</c>,
        /// <c>(-[a-z]+)?</c>): the sequences it stands for, one per choice. An anchored pattern matches a string exactly
        /// when one of them does, so no Regex is built for it.
        /// </summary>
        public static bool TryCompileAlternatives(string pattern, out List<List<Atom>> alternatives, out bool anchoredEnd)
        {
            alternatives = new List<List<Atom>>();
            anchoredEnd = false;
            if (pattern.Length == 0 || pattern[0] != '^') return false;
            int i = 1;
            if (!Sequence(pattern, ref i, topLevel: true, out List<List<Atom>>? sequences)) return false;
            if (i < pattern.Length && pattern[i] == '$')
            {
                anchoredEnd = true;
                i++;
            }
            if (i != pattern.Length) return false;
            alternatives = sequences!;
            return true;
        }

        /// <summary>Reads items up to the end, a '$' (top level), or a '|' or ')' (in a group).</summary>
        private static bool Sequence(string pattern, ref int i, bool topLevel, out List<List<Atom>>? sequences)
        {
            sequences = new List<List<Atom>> { new List<Atom>() };
            while (i < pattern.Length)
            {
                char c = pattern[i];
                if (c == '$') return topLevel && i == pattern.Length - 1;
                if (c == '|' || c == ')') return !topLevel;
                List<List<Atom>> choices;
                if (c == '(')
                {
                    i++;
                    if (i + 1 < pattern.Length && pattern[i] == '?' && pattern[i + 1] == ':') i += 2;
                    choices = new List<List<Atom>>();
                    while (true)
                    {
                        if (!Sequence(pattern, ref i, topLevel: false, out List<List<Atom>>? branch)) return false;
                        choices.AddRange(branch!);
                        if (i >= pattern.Length) return false;
                        if (pattern[i++] == ')') break;
                    }
                    if (i < pattern.Length && pattern[i] == '?')
                    {
                        i++;
                        if (i < pattern.Length && (pattern[i] == '?' || pattern[i] == '+')) return false;
                        choices.Add(new List<Atom>());
                    }
                    else if (i < pattern.Length && "*+{".IndexOf(pattern[i]) >= 0)
                        return false;
                }
                else
                {
                    if (!Item(pattern, ref i, out Atom? atom)) return false;
                    choices = new List<List<Atom>> { new List<Atom> { atom! } };
                }
                var product = new List<List<Atom>>();
                foreach (List<Atom> head in sequences)
                    foreach (List<Atom> tail in choices)
                    {
                        var joined = new List<Atom>(head);
                        joined.AddRange(tail);
                        product.Add(joined);
                    }
                if (product.Count > MaxAlternatives) return false;
                sequences = product;
            }
            return topLevel;
        }

        /// <summary>One literal, escape or character class, with its quantifier.</summary>
        private static bool Item(string pattern, ref int i, out Atom? atom)
        {
            atom = null;
            char c = pattern[i];
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
            else if (".*+?{}]^".IndexOf(c) >= 0)
            {
                return false;
            }
            else
            {
                ranges.Append(c).Append(c);
                i++;
            }
            atom = new Atom { Ranges = ranges.ToString(), Min = 1, Max = 1 };
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
                    // Only ASCII digits make a quantifier ({ 2}, {+2} are literal text to .NET): left to Regex.
                    if (parts.Length > 2 || !Digits(parts[0], out atom.Min)) return false;
                    if (parts.Length == 1) atom.Max = atom.Min;
                    else if (parts[1].Length == 0) atom.Max = int.MaxValue;
                    else if (!Digits(parts[1], out atom.Max) || atom.Max < atom.Min) return false;
                    i = close + 1;
                }
                // Lazy and possessive quantifiers are left to Regex.
                if (i < pattern.Length && (pattern[i] == '?' || pattern[i] == '+') && (q == '*' || q == '+' || q == '?' || q == '{')) return false;
            }
            return true;
        }

        private static bool Digits(string text, out int value)
        {
            value = 0;
            if (text.Length == 0 || text.Length > 9) return false;
            foreach (char c in text)
            {
                if (c < '0' || c > '9') return false;
                value = value * 10 + (c - '0');
            }
            return true;
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
