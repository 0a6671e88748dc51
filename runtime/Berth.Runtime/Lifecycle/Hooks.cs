using Berth.Runtime.Exec;
using Berth.Runtime.State;
using Berth.Spec;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// Runs the hooks that execute in the runtime namespace (prestart, createRuntime, poststart, poststop) from berth
/// itself; createContainer and startContainer run inside the container's namespaces as plan operations.
/// Each hook receives the container's state on stdin.
/// </summary>
public static unsafe class HookRunner
{
    public static byte[] StateJson(ContainerRecord record, string status, int pid) => record.OciState(status, pid, forCli: false);

    /// <summary>Runs a list of hooks in order; returns the error of the first that fails (later ones do not run).</summary>
    public static string? Run(IReadOnlyList<Hook>? hooks, string kind, byte[] state)
    {
        for (int i = 0; hooks is not null && i < hooks.Count; i++)
        {
            string? error = RunOne(hooks[i], state);
            if (error is not null)
                return $"{Failed(i)}{kind} hook {hooks[i].Path} (hooks.{kind}[{i}]): {error}";
        }
        return null;
    }

    /// <summary>Runs every hook of the list even when some fail; returns the errors.</summary>
    public static List<string> RunAll(IReadOnlyList<Hook>? hooks, string kind, byte[] state)
    {
        var errors = new List<string>();
        for (int i = 0; hooks is not null && i < hooks.Count; i++)
        {
            string? error = RunOne(hooks[i], state);
            if (error is not null)
                errors.Add($"{Failed(i)}{kind} hook {hooks[i].Path} (hooks.{kind}[{i}]): {error}");
        }
        return errors;
    }

    /// <summary>The words a failed hook's message starts with, runc's ("error running hook #0: "), which clients and
    /// runc's suite look for.</summary>
    public static string Failed(int index) => $"error running hook #{index}: ";

    private static string? RunOne(Hook hook, byte[] state)
    {
        using var arena = new OpArena();
        byte* path = arena.String(hook.Path);
        byte** argv = arena.StringArray(hook.Args is { Count: > 0 } args ? args : [hook.Path]);
        byte** envp = arena.StringArray(hook.Env ?? []);
        int rc;
        fixed (byte* input = state)
            rc = NativeMethods.RunHook(path, argv, envp, input, (nuint)state.Length, (int)Math.Min((hook.Timeout ?? 0) * 1000L, int.MaxValue));
        return rc == 0 ? null : Describe(rc, hook.Timeout);
    }

    /// <summary>"exited with status 3", "killed by signal 9", "timed out after 2 s", or an errno.</summary>
    public static string Describe(int code, uint? timeout)
    {
        if (code < 0)
            return Linux.Describe(-code);
        return (code & 0x70000) switch
        {
            NativeReport.HookExited => (code & 0xffff) == 127 ? "could not be executed (exit status 127)" : $"exited with status {code & 0xffff}",
            NativeReport.HookSignaled => Linux.KilledBy(code & 0xffff),
            NativeReport.HookTimeout => $"timed out after {timeout} s",
            _ => Linux.Describe(code),
        };
    }
}
