using System.Text;

namespace Berth.Generator
{
    /// <summary>Writes C# text with indentation; braces via <see cref="Open"/>/<see cref="Close"/>.</summary>
    internal sealed class IndentedWriter
    {
        private readonly StringBuilder _sb = new StringBuilder();
        private int _indent;

        public IndentedWriter Line(string text = "")
        {
            if (text.Length > 0)
            {
                _sb.Append(' ', _indent * 4);
                _sb.Append(text);
            }
            _sb.Append('\n');
            return this;
        }

        public IndentedWriter Open(string? header = null)
        {
            if (header != null) Line(header);
            Line("{");
            _indent++;
            return this;
        }

        public IndentedWriter Close(string suffix = "")
        {
            _indent--;
            Line("}" + suffix);
            return this;
        }

        public void Indent() => _indent++;

        public void Unindent() => _indent--;

        public override string ToString() => _sb.ToString();
    }
}
