namespace Berth.Spec;

/// <summary>
/// <c>linux.seccomp</c>: listenerMetadata only with listenerPath; errnoRet/defaultErrnoRet only with an action that
/// returns an errno (SCMP_ACT_ERRNO, SCMP_ACT_TRACE); argument indexes 0–5 (a system call has six);
/// SCMP_ACT_NOTIFY without listenerPath leaves no one to answer (a warning).
/// </summary>
internal static class SeccompRules
{
    public static void Check(Linux linux, RuleSink sink)
    {
        if (linux.Seccomp is not { } s) return;
        if (s.ListenerMetadata is not null && s.ListenerPath is null)
            sink.Error("/linux/seccomp/listenerMetadata", "x-requires", "listenerMetadata must not be set without listenerPath", Sections.Seccomp);
        if (s.ListenerPath is { } listener && !Paths.IsAbsolute(listener))
            sink.Warning("/linux/seccomp/listenerPath", "x-absolute-path", $"listenerPath {SchemaJson.Quote(listener)} is relative: it is resolved against the runtime's working directory", Sections.Seccomp);
        if (s.DefaultErrnoRet is not null && !ReturnsErrno(s.DefaultAction))
            sink.Error("/linux/seccomp/defaultErrnoRet", "x-requires", $"defaultErrnoRet needs a defaultAction that returns an errno (SCMP_ACT_ERRNO or SCMP_ACT_TRACE), not {s.DefaultAction.ToWireName()}", Sections.Seccomp);
        bool notify = s.DefaultAction == SeccompAction.ScmpActNotify;
        if (s.Syscalls is { } syscalls)
        {
            for (int i = 0; i < syscalls.Count; i++)
            {
                if (syscalls[i] is not { } rule) continue;
                notify |= rule.Action == SeccompAction.ScmpActNotify;
                if (rule.Action == SeccompAction.ScmpActNotify)
                    foreach (string name in rule.Names.Where(n => n is "write" or "sendmsg"))
                        sink.Error(Paths.Join("/linux/seccomp/syscalls", i) + "/names", "x-requires", $"SCMP_ACT_NOTIFY cannot be used for the {name} syscall (the listener is handed to the agent with it)", Sections.Seccomp);
                if (rule.ErrnoRet is not null && !ReturnsErrno(rule.Action))
                    sink.Error(Paths.Join("/linux/seccomp/syscalls", i) + "/errnoRet", "x-requires", $"errnoRet needs an action that returns an errno (SCMP_ACT_ERRNO or SCMP_ACT_TRACE), not {rule.Action.ToWireName()}", Sections.Seccomp);
                if (rule.Args is { } args)
                {
                    for (int a = 0; a < args.Count; a++)
                    {
                        if (args[a] is { Index: > 5 } arg)
                            sink.Error(Paths.Join(Paths.Join("/linux/seccomp/syscalls", i) + "/args", a) + "/index", "x-range", $"argument index {arg.Index} is past the sixth argument (indexes are 0 to 5)", Sections.Seccomp);
                    }
                }
            }
        }
        // create refuses these too (runc's rules): validate says so first.
        if (notify && string.IsNullOrEmpty(s.ListenerPath))
            sink.Error("/linux/seccomp/listenerPath", "x-requires", "SCMP_ACT_NOTIFY needs the path of the seccomp agent's unix socket", Sections.Seccomp);
        if (s.DefaultAction == SeccompAction.ScmpActNotify)
            sink.Error("/linux/seccomp/defaultAction", "x-requires", "SCMP_ACT_NOTIFY cannot be used as default action", Sections.Seccomp);
    }

    private static bool ReturnsErrno(SeccompAction action) => action is SeccompAction.ScmpActErrno or SeccompAction.ScmpActTrace;
}
