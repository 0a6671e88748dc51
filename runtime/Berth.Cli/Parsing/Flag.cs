namespace Berth.Cli.Parsing;

/// <summary>What berth does with a flag it accepts. Nothing is accepted and then skipped in silence.</summary>
public enum FlagSupport
{
    /// <summary>Parsed into the command's options and acted on.</summary>
    Works,

    /// <summary>Accepted because berth already behaves as the flag asks; the reason says why (and is in the help).</summary>
    HonouredByConstruction,

    /// <summary>Refused: a run with it exits 2 naming the flag and the reason.</summary>
    Refused,
}

/// <summary>
/// One row of a command's flag table: its names, whether it takes a value and may be repeated, its help text, and what
/// berth does with it. Parsing, `berth COMMAND --help` and the global usage all come from these rows.
/// </summary>
public sealed record Flag(string Name, string Help)
{
    /// <summary>Other names: one letter for `-b`, more for a second long name.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    public bool TakesValue { get; init; }

    /// <summary>May be given more than once; every value is kept (otherwise the last one counts, as with runc).</summary>
    public bool Repeatable { get; init; }

    public FlagSupport Support { get; init; } = FlagSupport.Works;

    /// <summary>Why the flag is honoured by construction, or why it is refused.</summary>
    public string? Reason { get; init; }

    public IEnumerable<string> Names => Aliases.Prepend(Name);

    /// <summary>A flag that takes a value: `--name value`, `--name=value`.</summary>
    public static Flag Value(string name, string help, params string[] aliases) => new(name, help) { TakesValue = true, Aliases = aliases };

    /// <summary>A switch: `--name`, `--name=true|false`.</summary>
    public static Flag Switch(string name, string help, params string[] aliases) => new(name, help) { Aliases = aliases };

    public Flag Many() => this with { Repeatable = true };

    public Flag RefusedBecause(string reason) => this with { Support = FlagSupport.Refused, Reason = reason };

    public Flag HonouredBecause(string reason) => this with { Support = FlagSupport.HonouredByConstruction, Reason = reason };

    /// <summary>How a name is written on the command line: `-b` for one letter, `--bundle` otherwise.</summary>
    public static string Spelled(string name) => (name.Length == 1 ? "-" : "--") + name;

    /// <summary>The left column of the help: `--bundle value, -b value`.</summary>
    public string Synopsis => string.Join(", ", Names.Select(n => Spelled(n) + (TakesValue ? " value" : "")));

    /// <summary>The right column of the help: the text, then what is special about the flag.</summary>
    public string Description => Support switch
    {
        FlagSupport.Refused => $"{Help}; refused: {Reason}",
        FlagSupport.HonouredByConstruction => $"{Help}; {Reason}",
        _ => Repeatable ? $"{Help} (repeatable)" : Help,
    };

    /// <summary>-h and --help, which every command takes.</summary>
    public static readonly Flag HelpFlag = Switch("help", "show this help", "h");
}
