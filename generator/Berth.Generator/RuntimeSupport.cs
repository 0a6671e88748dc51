using System;
using System.IO;

namespace Berth.Generator
{
    /// <summary>
    /// The support types emitted once per namespace (diagnostics, read context, number/JSON helpers, merge rules). Their
    /// source is generator/Berth.Generator.Support/GeneratedRuntimeSupport.cs, compiled and analysed by its own project for
    /// the consuming target and embedded here as a resource.
    /// </summary>
    internal static class RuntimeSupport
    {
        public const string ResourceName = "Berth.Generator.GeneratedRuntimeSupport.cs";

        private static string? s_text;

        public static string Text => s_text ??= Load();

        private static string Load()
        {
            using Stream stream = typeof(RuntimeSupport).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException("the generator assembly lacks its embedded resource " + ResourceName);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Replace("\r\n", "\n").TrimEnd('\n');
        }
    }
}
