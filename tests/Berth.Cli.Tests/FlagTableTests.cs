using Berth.Runtime.Lifecycle;
using Berth.Runtime.State;

namespace Berth.Cli.Tests;

/// <summary>
/// Walks every flag table: each flag has help text and shows in its command's help; each one berth refuses is a usage
/// error (exit 2) naming it; each one it accepts is read by its command. Nothing is accepted and then skipped.
/// </summary>
public class FlagTableTests
{
    private static IEnumerable<(string Command, Flag Flag)> EveryFlag() =>
        Dispatcher.EveryCommand.SelectMany(c => c.Flags.Select(f => (c.Name, f)))
            .Concat(Dispatcher.GlobalFlags.Select(f => ("", f)));

    private static string HelpOf(string command) => command.Length == 0 ? Help.Program() : Help.Command(command)!;

    [Fact]
    public void Every_flag_has_help_text_and_appears_with_every_name_in_its_commands_help()
    {
        foreach (var (command, flag) in EveryFlag())
        {
            Assert.False(string.IsNullOrWhiteSpace(flag.Help), $"{command} --{flag.Name} has no help text");
            string help = HelpOf(command);
            Assert.Contains($"   {flag.Synopsis} ", help);
            Assert.Contains(flag.Description, help);
            foreach (string name in flag.Names)
                Assert.Contains(Flag.Spelled(name), help);
            if (flag.Support != FlagSupport.Works)
                Assert.False(string.IsNullOrWhiteSpace(flag.Reason), $"{command} --{flag.Name} is {flag.Support} without a reason");
        }
    }

    [Fact]
    public void Every_command_has_its_help_and_is_listed_in_the_programs()
    {
        string program = Help.Program();
        foreach (var command in Dispatcher.Commands)
        {
            Assert.Contains($"   {string.Join(", ", command.Names)} ", program);
            foreach (string name in command.Names)
            {
                string help = Help.Command(name)!;
                Assert.StartsWith($"NAME:\n   berth {command.Name} - ", help);
                Assert.Contains("USAGE:", help);
                Assert.Contains("--help, -h", help);
            }
        }
    }

    [Fact]
    public void Every_command_of_a_group_has_its_help_and_is_listed_in_the_groups()
    {
        foreach (var group in Dispatcher.Commands.Where(c => c.Subcommands.Count > 0))
        {
            string help = Help.Command(group.Name)!;
            Assert.Contains($"   berth {group.Name} command [command options] [arguments...]\n", help);
            foreach (var command in group.Subcommands)
            {
                Assert.StartsWith(group.Name + " ", command.Name);
                Assert.Contains($"   {string.Join(", ", command.Names.Select(n => n[(group.Name.Length + 1)..]))} ", help);
                foreach (string name in command.Names)
                {
                    Assert.Same(command, Dispatcher.Find(name));
                    Assert.StartsWith($"NAME:\n   berth {command.Name} - ", Help.Command(name)!);
                }
            }
        }
    }

    [Fact]
    public void No_two_flags_of_a_table_share_a_name()
    {
        foreach (var names in Dispatcher.EveryCommand.Select(c => c.Flags).Append(Dispatcher.GlobalFlags).Select(t => t.SelectMany(f => f.Names).ToList()))
            Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Every_refused_flag_is_a_usage_error_naming_it()
    {
        int refused = 0;
        foreach (var (command, flag) in EveryFlag().Where(x => x.Flag.Support == FlagSupport.Refused))
        {
            refused++;
            string[] args = flag.TakesValue ? [Flag.Spelled(flag.Name), "x", "id"] : [Flag.Spelled(flag.Name), "id"];
            var table = command.Length == 0 ? Dispatcher.GlobalFlags : Dispatcher.Find(command)!.Flags;
            var e = Assert.Throws<BerthException>(() => Arguments.Parse(args, 0, table));
            Assert.Equal(2, e.ExitCode);
            Assert.Contains($"--{flag.Name} is not supported: {flag.Reason}", e.Message);
        }
        Assert.True(refused >= 5, "the tables refuse --criu, --systemd-cgroup, --pidfd-socket, --apparmor, --process-label at least");
    }

    [Fact]
    public void A_refused_switch_set_to_false_is_accepted()
    {
        var a = Arguments.Parse(["--systemd-cgroup=false", "list"], 0, Dispatcher.GlobalFlags, flagsEndAtFirstPositional: true);
        Assert.Equal(["list"], a.Positionals);
    }

    [Fact]
    public void Every_global_flag_that_works_is_read()
    {
        foreach (var flag in Dispatcher.GlobalFlags.Where(f => f.Support != FlagSupport.Refused))
        {
            var a = Arguments.Parse([Flag.Spelled(flag.Name), .. flag.TakesValue ? [Sample(flag.Name)] : Array.Empty<string>(), "list"], 0, Dispatcher.GlobalFlags, flagsEndAtFirstPositional: true);
            Dispatcher.GlobalOptions.From(a);
            Assert.Contains(flag.Name, a.Read);
        }
    }

    /// <summary>
    /// Each accepted flag alone on a command line, run against an empty state root and a bundle whose rootfs does not
    /// exist (so nothing is ever created): the command must have read the flag by the time it returns or fails. (A flag
    /// honoured by construction needs nothing read: its reason, in the help, says why.)
    /// </summary>
    [Fact]
    public void Every_flag_a_command_accepts_is_read_by_it()
    {
        Environment.SetEnvironmentVariable("BERTH_HOST_DIR", "");
        var runtime = new ContainerRuntime(new StateStore(Path.Combine(Scratch, "state"))) { ImageStoreRoot = Path.Combine(Scratch, "store") };
        var log = new Log(null, "text", false);
        foreach (var command in Dispatcher.EveryCommand)
            foreach (var flag in command.Flags.Where(f => f.Support == FlagSupport.Works))
            {
                List<string> args = [Flag.Spelled(flag.Name)];
                if (flag.TakesValue)
                    args.Add(Sample(flag.Name));
                // In the foreground, run and exec would make this test's process a subreaper and forward its signals.
                if (command.Name is "run" or "exec" && flag.Name != "no-subreaper")
                    args.Add("--detach");
                args.AddRange(Positionals(command.Name));
                var a = command.Parse(args, 0);
                try
                {
                    command.Run(new Invocation(a, runtime, log));
                }
                catch (Exception e) when (e is BerthException or Berth.Images.ImageException or IOException)
                {
                    // The library refusing is fine: the flag had to be read before it was called.
                }
                Assert.True(a.Read.Contains(flag.Name), $"{command.Name} accepts --{flag.Name} but never reads it");
            }
    }

    private static readonly string Scratch = Directory.CreateTempSubdirectory("berth-cli-tests").FullName;

    private static string Bundle()
    {
        string dir = Path.Combine(Scratch, "bundle");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), DefaultSpec.Text(rootless: false));
        return dir;
    }

    private static string FileWith(string name, string text)
    {
        string path = Path.Combine(Scratch, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Author = "ociVersion: 1.3.0\nroot: {path: /nonexistent-rootfs}\nprocess: {cwd: /, args: [true], user: '0:0'}\n";

    private static string[] Positionals(string command) => command switch
    {
        "list" or "spec" or "features" or "schema" or "help" or "image ls" or "image verify" => [],
        "image import" or "digest" => [Directory.CreateDirectory(Path.Combine(Scratch, "layout")).FullName],
        "sign" or "verify" => [FileWith("signed.txt", "signed\n")],
        "kill" => ["berth-cli-test", "TERM"],
        "exec" => ["berth-cli-test", "true"],
        "validate" => [Path.Combine(Bundle(), "config.json")],
        "compile" => [FileWith("author.yaml", Author)],
        _ => ["berth-cli-test"],
    };

    private static string Sample(string flag) => flag switch
    {
        "bundle" => Bundle(),
        "host" => FileWith("host.yaml", "hostname: from-host\n"),
        "host-dir" => Directory.CreateDirectory(Path.Combine(Scratch, "host.d")).FullName,
        "output" => Path.Combine(Scratch, "out.json"),
        "pid-file" => Path.Combine(Scratch, "pid"),
        "log" => Path.Combine(Scratch, "log"),
        "root" => Path.Combine(Scratch, "state"),
        "store" => Path.Combine(Scratch, "store"),
        "key" => FileWith("key.pem", "not a key\n"),
        "signature" => FileWith("signed.txt.sig", "not a signature\n"),
        "resources" => FileWith("resources.json", "{}"),
        "process" => FileWith("process.json", "{\"args\": [\"true\"], \"cwd\": \"/\"}"),
        "image-path" => Scratch,
        "console-socket" => Path.Combine(Scratch, "no-socket"),
        "format" => "json",
        "log-format" => "text",
        "rootless" => "auto",
        "interval" => "1s",
        "cwd" => "/",
        "env" => "A=b",
        "cap" => "CAP_KILL",
        "user" or "additional-gids" or "preserve-fds" => "0",
        "cpuset-cpus" or "cpuset-mems" => "0",
        "memory" or "memory-reservation" or "memory-swap" or "kernel-memory" or "kernel-memory-tcp" => "64m",
        _ when flag.StartsWith("cpu-", StringComparison.Ordinal) || flag is "blkio-weight" or "pids-limit" => "100",
        _ => "x",
    };
}
