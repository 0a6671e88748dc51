using System;
using System.Collections.Generic;
using System.Globalization;

namespace Berth.Generator
{
    /// <summary>
    /// Static members of each namespace's readers class (patterns, literals, member lookups), in the order they were
    /// first needed. A field is declared once per namespace, kind and value; its number counts every field of the run.
    /// </summary>
    internal sealed class StaticMembers
    {
        private readonly Dictionary<string, string> _fields = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string>> _declarations = new Dictionary<string, List<string>>(StringComparer.Ordinal);

        /// <summary>The fully qualified name of the field holding <paramref name="value"/> as <paramref name="declare"/> declares it.</summary>
        public string Field(string ns, string kind, string value, Func<string, IEnumerable<string>> declare)
        {
            string key = ns + "\0" + kind + "\0" + value;
            if (!_fields.TryGetValue(key, out string? field))
            {
                field = "s_" + kind + _fields.Count.ToString(CultureInfo.InvariantCulture);
                DeclarationsOf(ns).AddRange(declare(field));
                _fields[key] = field;
            }
            return "global::" + ns + "." + SchemaBinder.ReadersClass + "." + field;
        }

        /// <summary>Adds a member declaration (a method or field) to the namespace's readers class.</summary>
        public void Add(string ns, string declaration) => DeclarationsOf(ns).Add(declaration);

        public bool TryGet(string ns, out List<string>? declarations) => _declarations.TryGetValue(ns, out declarations);

        private List<string> DeclarationsOf(string ns)
        {
            if (!_declarations.TryGetValue(ns, out List<string>? list)) _declarations[ns] = list = new List<string>();
            return list;
        }
    }
}
