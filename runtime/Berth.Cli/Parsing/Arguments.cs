using Berth.Runtime;

namespace Berth.Cli.Parsing;

/// <summary>
/// A command line read against a flag table, as runc (urfave/cli) reads one: `--flag value`, `--flag=value`, `-f value`,
/// single-dash long flags, switches with an optional `=true|false`, flags after positionals, `--` ending the flags.
/// Every error is a usage error (exit 2) naming the flag; the dispatcher puts the command's name in front.
/// </summary>
public sealed class Arguments
{
    private readonly IReadOnlyList<Flag> _table;
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private Arguments(IReadOnlyList<Flag> table) => _table = table;

    public List<string> Positionals { get; } = new();

    /// <summary>-h or --help was among the flags: the command's help is printed, whatever else is wrong.</summary>
    public bool HelpAsked { get; private set; }

    /// <param name="table">The command's flags (-h/--help are added).</param>
    /// <param name="flagsEndAtFirstPositional">exec and ps: what follows the container id is the program's or ps(1)'s.</param>
    /// <param name="unknownFlagHint">Added to the "unknown flag" error (ps: where ps(1)'s options go).</param>
    public static Arguments Parse(IReadOnlyList<string> args, int start, IReadOnlyList<Flag> table, bool flagsEndAtFirstPositional = false, string? unknownFlagHint = null)
    {
        var result = new Arguments(table);
        BerthException? firstError = null;
        bool flagsDone = false;
        for (int i = start; i < args.Count; i++)
        {
            string arg = args[i];
            if (flagsDone || arg.Length < 2 || arg[0] != '-' || IsNegativeNumber(arg))
            {
                result.Positionals.Add(arg);
                flagsDone |= flagsEndAtFirstPositional;
                continue;
            }
            if (arg == "--")
            {
                flagsDone = true;
                continue;
            }
            string name = arg.TrimStart('-');
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
                (name, inline) = (name[..eq], name[(eq + 1)..]);
            if (name is "help" or "h")
            {
                result.HelpAsked = true;
                continue;
            }
            try
            {
                var flag = table.FirstOrDefault(f => f.Names.Contains(name))
                    ?? throw new BerthException($"unknown flag {arg}{unknownFlagHint}", 2);
                string value;
                if (flag.TakesValue)
                    value = inline ?? (i + 1 < args.Count ? args[++i] : throw new BerthException($"flag --{name} needs a value", 2));
                else if (inline is null or "true" or "false")
                    value = inline ?? "true";
                else
                    throw new BerthException($"flag --{name} takes true or false, not \"{inline}\"", 2);
                // No flag of berth's means anything empty (a path, a size, a format): say so rather than guess.
                if (value.Length == 0)
                    throw new BerthException($"flag --{name} needs a value, not an empty string", 2);
                if (flag.Support == FlagSupport.Refused && value != "false")
                    throw new BerthException($"{Parsing.Flag.Spelled(name)} is not supported: {flag.Reason}", 2);
                if (!result._values.TryGetValue(flag.Name, out var list))
                    result._values[flag.Name] = list = new List<string>();
                list.Add(value);
            }
            catch (BerthException e) when (firstError is null)
            {
                firstError = e;
            }
        }
        if (firstError is not null && !result.HelpAsked)
            throw firstError;
        return result;
    }

    private static bool IsNegativeNumber(string arg) => arg.Length > 1 && arg[0] == '-' && char.IsDigit(arg[1]);

    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>The flags the command has looked at (tests check that every flag that "works" is read).</summary>
    internal IReadOnlyCollection<string> Read => _read;

    private Flag Row(string name)
    {
        var row = _table.FirstOrDefault(f => f.Name == name)
            ?? throw new InvalidOperationException($"--{name} is read but is not in the command's flag table");
        _read.Add(name);
        return row;
    }

    /// <summary>The flag's value (the last one given), or null.</summary>
    public string? Value(string name) => Values(name) is [.., var last] ? last : null;

    /// <summary>Every value of a repeatable flag, in order.</summary>
    public IReadOnlyList<string> Values(string name)
    {
        Row(name);
        return _values.TryGetValue(name, out var list) ? list : [];
    }

    /// <summary>Whether a switch is on.</summary>
    public bool Flag(string name) => Value(name) is { } value && value != "false";

    /// <summary>A count (a number, 0 or more), 0 when not given: --preserve-fds.</summary>
    public int Count(string name)
    {
        string? text = Value(name);
        if (text is null)
            return 0;
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new BerthException($"--{name} must be a number, not \"{text}\"", 2);
    }

    /// <summary>A value from a fixed set (--format table|json), the first of <paramref name="allowed"/> when not given.</summary>
    public string Choice(string name, params string[] allowed)
    {
        string value = Value(name) ?? allowed[0];
        return allowed.Contains(value)
            ? value
            : throw new BerthException($"--{name} must be {string.Join(", ", allowed[..^1])} or {allowed[^1]}, not \"{value}\"", 2);
    }

    /// <summary>For commands that take no positional argument.</summary>
    public Arguments NoPositionals()
    {
        if (Positionals.Count > 0)
            throw new BerthException($"takes no arguments, but was given \"{Positionals[0]}\"", 2);
        return this;
    }

    /// <summary>The one positional argument (a container id, a file).</summary>
    public string Single(string what)
    {
        if (Positionals.Count != 1)
            throw new BerthException($"expects exactly one {what}, got {Positionals.Count}", 2);
        return Positionals[0];
    }
}
