using System.Text;
using Berth.Cli.Parsing;

namespace Berth.Cli;

/// <summary>
/// `--help`, `-h`, `COMMAND --help` and `help [COMMAND]`, generated from the command and flag tables and laid out as
/// runc's command line lays its help out (NAME:, USAGE:, DESCRIPTION:/COMMANDS:, OPTIONS:), because scripts and runc's
/// own suite read its second line. The name line says berth and also the runc command it stands in for (clients look
/// for "runc - Open Container Initiative runtime" and "runc COMMAND" there). An unknown topic is an error, exit 3, as
/// runc's.
/// </summary>
public static class Help
{
    /// <summary>The runc release whose command line berth follows.</summary>
    public const string RuncVersion = "1.1.5";

    /// <summary>The whole program's help.</summary>
    public static string Program()
    {
        var text = new StringBuilder();
        text.Append("NAME:\n");
        text.Append($"   berth - Open Container Initiative runtime (a drop-in for runc - Open Container Initiative runtime {RuncVersion})\n\n");
        text.Append("USAGE:\n   berth [global options] command [command options] [arguments...]\n\n");
        text.Append($"VERSION:\n   {Dispatcher.Version}\n\n");
        text.Append("DESCRIPTION:\n   berth runs containers described by OCI bundles; its commands and flags are runc's. Each command's own\n");
        text.Append("   options: berth COMMAND --help. create, run and plan read config.json or config.yaml, then the host files\n");
        text.Append("   of $BERTH_HOST_DIR (default /etc/berth/host.d) and --host FILE...\n\n");
        text.Append("COMMANDS:\n");
        AppendCommands(text, Dispatcher.Commands, c => c.Names);
        text.Append("\nGLOBAL OPTIONS:\n");
        AppendFlags(text, Dispatcher.GlobalFlags);
        return text.ToString();
    }

    /// <summary>One command's help, or null when there is no such command.</summary>
    public static string? Command(string name)
    {
        var command = Dispatcher.Find(name);
        if (command is null)
            return null;
        var text = new StringBuilder();
        text.Append("NAME:\n");
        text.Append($"   berth {command.Name} - {command.Summary}{(command.FromRunc ? $" (as runc {command.Name})" : "")}\n\n");
        text.Append("USAGE:\n");
        // A group's usage is its commands'; a command's, its options and then its arguments.
        text.Append(command.Subcommands.Count > 0
            ? $"   berth {command.Name} {command.Usage}\n"
            : $"   berth {command.Name} [command options]{(command.Usage.Length > 0 ? " " + command.Usage : "")}\n");
        if (command.Aliases.Count > 0)
            text.Append($"\nALIASES:\n   {string.Join(", ", command.Aliases)}\n");
        if (command.Subcommands.Count > 0)
        {
            text.Append("\nCOMMANDS:\n");
            AppendCommands(text, command.Subcommands, c => c.Names.Select(n => n[(n.LastIndexOf(' ') + 1)..]));
        }
        text.Append("\nOPTIONS:\n");
        AppendFlags(text, command.Flags);
        return text.ToString();
    }

    /// <summary>The commands in two columns: their names (a group's commands by their last word) and summaries.</summary>
    private static void AppendCommands(StringBuilder text, IReadOnlyList<CommandDefinition> commands, Func<CommandDefinition, IEnumerable<string>> names)
    {
        var column = commands.Select(c => string.Join(", ", names(c))).ToList();
        int width = column.Max(n => n.Length) + 2;
        for (int i = 0; i < column.Count; i++)
            text.Append("   ").Append(column[i].PadRight(width)).Append(commands[i].Summary).Append('\n');
    }

    /// <summary>The flags in two columns, -h/--help last.</summary>
    private static void AppendFlags(StringBuilder text, IEnumerable<Flag> flags)
    {
        var all = flags.Append(Flag.HelpFlag).ToList();
        int width = all.Max(f => f.Synopsis.Length) + 2;
        foreach (var flag in all)
            text.Append("   ").Append(flag.Synopsis.PadRight(width)).Append(flag.Description).Append('\n');
    }

    /// <summary>Prints the help of <paramref name="topic"/> (null: the program's); exit 0, or 3 with runc's words when
    /// there is no such topic.</summary>
    public static int Print(string? topic, Log log)
    {
        string? text = topic is null ? Program() : Command(topic);
        if (text is null)
        {
            log.Line("error", $"No help topic for '{topic}'");
            return 3;
        }
        StandardStreams.Write(text);
        return 0;
    }
}
