using Berth.Runtime.Lifecycle;

namespace Berth.Cli.Parsing;

/// <summary>What a command is given when it runs: its parsed arguments, the runtime (state root of --root, content store
/// of --store) and the log.</summary>
public sealed record Invocation(Arguments Arguments, ContainerRuntime Runtime, Log Log);

/// <summary>
/// One command of the command line: its names, usage, one-line summary, flag table and the function that runs it
/// (which calls one library function). The dispatcher, the parser and the help all read these.
/// </summary>
public sealed record CommandDefinition(string Name, string Usage, string Summary, IReadOnlyList<Flag> Flags, Func<Invocation, int> Run)
{
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>A runc command (its help names the runc command it stands in for); false for berth's own.</summary>
    public bool FromRunc { get; init; } = true;

    /// <summary>exec and ps: flags end at the container id; what follows belongs to the program or to ps(1).</summary>
    public bool FlagsEndAtFirstPositional { get; init; }

    /// <summary>Appended to the "unknown flag" error.</summary>
    public string? UnknownFlagHint { get; init; }

    public IEnumerable<string> Names => Aliases.Prepend(Name);

    /// <summary>A group's commands (`berth image import`): each is named in full ("image import") and has its own
    /// flag table; the group itself runs only without one, and prints its help.</summary>
    public IReadOnlyList<CommandDefinition> Subcommands { get; init; } = [];

    /// <summary>The group's command whose last word is <paramref name="word"/> (or one of its aliases), or null.</summary>
    public CommandDefinition? Subcommand(string word) =>
        Subcommands.FirstOrDefault(c => c.Names.Any(n => n == word || n.EndsWith(" " + word, StringComparison.Ordinal)));

    public Arguments Parse(IReadOnlyList<string> args, int start) =>
        Arguments.Parse(args, start, Flags, FlagsEndAtFirstPositional, UnknownFlagHint);
}
