/*
 * stage.c — the last program berth runs before the container's own. berth carries it as bytes and executes it from a
 * sealed memfd (spawn.c), so that the container's process never has berth's binary as its executable: from the
 * stage's execve on, /proc/self/exe is this small sealed copy, and a program that names /proc/self/exe as its
 * interpreter gets the stage again, which refuses to run. It execve's argv[1] with argv[2..] and the environment.
 * Built static, without libc (native.targets); x86_64.
 */
#if !defined(__x86_64__)
#error "stage.c: only x86_64 is written so far"
#endif

typedef unsigned long size_t;

static long sys3(long n, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}

enum { SYS_write = 1, SYS_execve = 59, SYS_exit = 60 };

static size_t length(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void say(const char *s)
{
    sys3(SYS_write, 2, (long)s, (long)length(s));
}

static const char *describe(long err)
{
    switch (err) {
    case 2: return "no such file or directory";
    case 7: return "argument list too long";
    case 8: return "exec format error";
    case 12: return "cannot allocate memory";
    case 13: return "permission denied";
    case 20: return "not a directory";
    case 26: return "text file busy";
    case 40: return "too many levels of symbolic links";
    default: return "error";
    }
}

__attribute__((noreturn, used)) void stage_main(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    static const char marker[] = "\001berth-stage";
    const char *a0 = argc > 0 ? argv[0] : "";
    int ok = argc >= 3;
    for (size_t i = 0; ok && i < sizeof marker; i++)
        ok = a0[i] == marker[i];
    if (!ok) {
        say("berth-stage: not a program to run\n");
        sys3(SYS_exit, 127, 0, 0);
    }
    long err = -sys3(SYS_execve, (long)argv[1], (long)(argv + 2), (long)envp);
    say("berth: cannot execute ");
    say(argv[1]);
    say(": ");
    say(describe(err));
    say("\n");
    sys3(SYS_exit, 127, 0, 0);
    __builtin_unreachable();
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call stage_main\n"
        "    hlt\n");
