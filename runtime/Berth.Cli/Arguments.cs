using Berth.Runtime;

namespace Berth.Cli;

/// <summary>
/// runc-style command-line arguments: `--flag value`, `--flag=value`, `-f value`, single-dash long flags as
/// urfave/cli accepts them, and boolean flags with an optional `=true|false`. Flags may follow positionals.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _lists = new(StringComparer.Ordinal);
    public List<string> Positionals { get; } = new();

    /// <param name="valueFlags">Flags that take a value, by every name they have ("bundle", "b").</param>
    /// <param name="boolFlags">Flags that are switches.</param>
    public static Arguments Parse(IReadOnlyList<string> args, int start, string command, IReadOnlyCollection<string> valueFlags, IReadOnlyCollection<string> boolFlags)
    {
        var result = new Arguments();
        bool flagsDone = false;
        for (int i = start; i < args.Count; i++)
        {
            string arg = args[i];
            if (flagsDone || arg.Length < 2 || arg[0] != '-' || IsNegativeNumber(arg))
            {
                result.Positionals.Add(arg);
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
            {
                inline = name[(eq + 1)..];
                name = name[..eq];
            }
            if (valueFlags.Contains(name))
            {
                string value = inline ?? (i + 1 < args.Count ? args[++i] : throw new BerthException($"{command}: flag --{name} needs a value", 2));
                // No flag of berth's means anything empty (a path, a size, a format): say so rather than guess.
                if (value.Length == 0)
                    throw new BerthException($"{command}: flag --{name} needs a value, not an empty string", 2);
                result._values[name] = value;
                if (!result._lists.TryGetValue(name, out var list))
                    result._lists[name] = list = new List<string>();
                list.Add(value);
            }
            else if (boolFlags.Contains(name))
            {
                if (inline is not null && inline is not ("true" or "false"))
                    throw new BerthException($"{command}: flag --{name} takes true or false, not \"{inline}\"", 2);
                result._values[name] = inline ?? "true";
            }
            else
                throw new BerthException($"{command}: unknown flag {arg}", 2);
        }
        return result;
    }

    /// <summary>For commands that take no positional argument.</summary>
    public Arguments NoPositionals(string command)
    {
        if (Positionals.Count > 0)
            throw new BerthException($"{command}: takes no arguments, but was given \"{Positionals[0]}\"", 2);
        return this;
    }

    private static bool IsNegativeNumber(string arg) => arg.Length > 1 && arg[0] == '-' && char.IsDigit(arg[1]);

    public string? Value(params string[] names)
    {
        foreach (string name in names)
            if (_values.TryGetValue(name, out string? value))
                return value;
        return null;
    }

    public IReadOnlyList<string> Values(params string[] names)
    {
        var all = new List<string>();
        foreach (string name in names)
            if (_lists.TryGetValue(name, out var list))
                all.AddRange(list);
        return all;
    }

    public bool Flag(params string[] names)
    {
        string? value = Value(names);
        return value is not null && value != "false";
    }

    public string Single(string command, string what)
    {
        if (Positionals.Count != 1)
            throw new BerthException($"{command}: expects exactly one {what}, got {Positionals.Count}", 2);
        return Positionals[0];
    }
}
