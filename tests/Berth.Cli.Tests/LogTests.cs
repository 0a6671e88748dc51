namespace Berth.Cli.Tests;

/// <summary>Log lines as logrus writes them: one message is one line, whatever it contains.</summary>
public class LogTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("C:\\path", "\"C:\\\\path\"")]
    [InlineData("two\nlines\r\tend", "\"two\\nlines\\r\\tend\"")]
    public void Quotes_escapes_quotes_backslashes_and_line_breaks(string message, string quoted) =>
        Assert.Equal(quoted, Log.Quote(message));

    [Fact]
    public void A_text_line_is_one_line()
    {
        string line = System.Text.Encoding.UTF8.GetString(Log.TextLine("error", "a\nb\\c"));
        Assert.EndsWith(" level=error msg=\"a\\nb\\\\c\"\n", line);
        Assert.Equal(1, line.Count(c => c == '\n'));
    }
}
