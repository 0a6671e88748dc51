/*
 * spawn.c — the container's first process: berth_spawn clones it, child_main runs the plan's operations in it.
 *
 * Why C: a .NET process is multi-threaded, and C# code in a forked child can wait forever for a GC that no thread will
 * run. The C# plan compiler decides every path, flag and order and lays the operations out in native memory before
 * clone(); this file only loops over them and reports the index and errno of the first one that fails.
 *
 * The boundary, from clone to execve: the process is never dumpable (no process of the container can read its memory
 * or descriptors, or open its executable); every descriptor it does not need is closed before the first operation the
 * config controls; and its last execve runs the stage program from a sealed memfd, so that no process of the container
 * ever has berth's binary as its executable (a "#!/proc/self/exe" program gets the stage, which refuses to run).
 */
#include "berth_internal.h"
#include <linux/seccomp.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* The stage program (stage.c, linked static without libc), carried in berth's image as bytes. */
__asm__(".section .rodata\n"
        ".balign 16\n"
        ".global berth_stage_image\n"
        "berth_stage_image:\n"
        ".incbin \"" BERTH_STAGE_PATH "\"\n"
        ".global berth_stage_image_end\n"
        "berth_stage_image_end:\n"
        ".previous\n");
extern const unsigned char berth_stage_image[], berth_stage_image_end[];

/* argv[0] that the stage accepts; anything else (an interpreter line naming /proc/self/exe) is refused. */
static const char stage_marker[] = "\001berth-stage";

static int stage_fd = -1;

/* A memfd holding the stage, sealed: nobody can write, grow, shrink or re-mode it, so a process of the container that
 * opens it through /proc/PID/exe gets a file it cannot change, and a private one per start. */
static int stage_open(void)
{
    int fd = (int)syscall(SYS_memfd_create, "berth-stage", MFD_CLOEXEC | MFD_ALLOW_SEALING | 0x10U /* MFD_EXEC */);
    if (fd < 0 && errno == EINVAL)
        fd = (int)syscall(SYS_memfd_create, "berth-stage", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    size_t size = (size_t)(berth_stage_image_end - berth_stage_image);
    int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    if (write_full(fd, berth_stage_image, size) < 0 ||
        (fcntl(fd, F_ADD_SEALS, seals | 0x20 /* F_SEAL_EXEC, 6.3+ */) < 0 && fcntl(fd, F_ADD_SEALS, seals) < 0)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* HOME found during setup (HOME_FROM_PASSWD), for the container's program (not for hooks). */
const char *exec_extra_env;

/* Executes path through the stage with argv and envp, plus `extra` (if not NULL) at the end of the environment. */
int stage_execute(const char *path, const char *const *argv, const char *const *envp, const char *extra)
{
    size_t argc = 0, envc = 0;
    while (argv && argv[argc])
        argc++;
    while (envp && envp[envc])
        envc++;
    /* On the stack when it fits: the process rlimits are set by now, and a small RLIMIT_AS refuses any new mapping
       in this copy of berth, whose address space is large already (the child's stack is mapped before the clone).
       Else mmap, not malloc: the malloc lock may be held by a parent thread that was not copied. */
    enum { ON_STACK = 2048 };
    const char *on_stack[ON_STACK];
    size_t count = argc + 3 + envc + 2, size = count * sizeof(char *);
    const char **args = on_stack;
    if (count > ON_STACK) {
        args = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (args == MAP_FAILED)
            return -1;
    }
    args[0] = stage_marker;
    args[1] = path;
    for (size_t i = 0; i < argc; i++)
        args[2 + i] = argv[i];
    args[argc + 2] = NULL;
    const char **env = args + argc + 3;
    for (size_t i = 0; i < envc; i++)
        env[i] = envp[i];
    env[envc] = extra;
    env[envc + 1] = NULL;
    syscall(SYS_execveat, stage_fd, "", args, env, AT_EMPTY_PATH);
    int saved = errno;
    if (args != on_stack)
        munmap(args, size);
    errno = saved;
    return -1;
}

/* The state JSON the parent sent at the last SYNC; hooks run by the child read it on stdin. */
static char *hook_input;
static int32_t hook_input_len;

/* close_range(2) is 5.9+; before it, one close per possible descriptor. */
static void close_range_or_loop(unsigned first, unsigned last)
{
    if (syscall(SYS_close_range, first, last, 0U) == 0 || errno != ENOSYS)
        return;
    struct rlimit rl;
    unsigned limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1U << 20 ? (unsigned)rl.rlim_cur : 1U << 20;
    for (unsigned fd = first; fd <= last && fd < limit; fd++)
        close((int)fd);
}

/* Closes every descriptor from `from` on except those in keep[]: whatever berth had open (state files, cgroup
 * directories, the runtime's own) never reaches the container, not even until exec. */
static void close_all_but(int from, int *keep, int count)
{
    for (int i = 1; i < count; i++)
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int t = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = t;
        }
    unsigned lo = (unsigned)from;
    for (int i = 0; i < count; i++) {
        if (keep[i] < 0 || (unsigned)keep[i] < lo)
            continue;
        if ((unsigned)keep[i] > lo)
            close_range_or_loop(lo, (unsigned)keep[i] - 1);
        lo = (unsigned)keep[i] + 1;
    }
    close_range_or_loop(lo, ~0U);
}

struct child_args {
    const struct berth_spawn *spawn;
    int sync_fd;
};

static int child_main(void *arg)
{
    struct child_args *ca = arg;
    const struct berth_spawn *sp = ca->spawn;
    int fd = ca->sync_fd;
    int slots[BERTH_MAX_SLOTS];

    /* The .NET runtime installed handlers and ignored SIGPIPE; the container must start from defaults. */
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (!sp->dumpable_until_go)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    int keep[4 + 256];
    int kept = 0;
    keep[kept++] = fd;
    keep[kept++] = stage_fd;
    for (int i = 0; i < sp->op_count && kept < (int)(sizeof keep / sizeof keep[0]); i++)
        if (sp->ops[i].kind == BERTH_OP_SETNS || sp->ops[i].kind == BERTH_OP_ATTACH_LAYERS
            || (sp->ops[i].kind == BERTH_OP_BIND && !(sp->ops[i].flags & BERTH_SOURCE_SLOT) && sp->ops[i].a >= 0))
            keep[kept++] = (int)sp->ops[i].a;
    close_all_but(3 + sp->preserve_fds, keep, kept);

    /* Tied to berth until ready. If berth died before this took effect, the read of "go" below sees the channel
       closed and the child ends there (getppid() cannot tell: in a new pid namespace it is 0). */
    if (sp->parent_death_signal)
        prctl(PR_SET_PDEATHSIG, sp->parent_death_signal, 0, 0, 0);

    /* Wait until the parent has written id maps and joined the cgroup. */
    char go;
    if (read_full(fd, &go, 1) < 0)
        _exit(126);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (paths_open_proc() < 0) {
        report(fd, BERTH_REPORT_FAILED, -1, errno, 0);
        _exit(126);
    }

    for (int i = 0; i < BERTH_MAX_SLOTS; i++)
        slots[i] = -1;

    for (int i = 0; i < sp->op_count; i++) {
        const struct berth_op *op = &sp->ops[i];
        /* The directory handoff (paths.c) passes only from a mkdir-all, node or link to the operation right after. */
        int hands_off = op->kind == BERTH_OP_MKDIR_ALL || op->kind == BERTH_OP_MKNOD || op->kind == BERTH_OP_SYMLINK || op->kind == BERTH_OP_CREATE_FILE;
        if (!hands_off && op->kind != BERTH_OP_MOUNT && op->kind != BERTH_OP_BIND)
            paths_forget();
        if (op->kind == BERTH_OP_FORK) {
            /* Joining a pid namespace takes effect for children only: the real init is a grandchild. */
            pid_t pid = raw_fork();
            if (pid < 0) {
                report(fd, BERTH_REPORT_FAILED, i, errno, 0);
                _exit(126);
            }
            if (pid > 0) {
                report(fd, BERTH_REPORT_PID, i, 0, pid);
                _exit(0);
            }
            continue;
        }
        if (op->kind == BERTH_OP_SYNC) {
            report(fd, BERTH_REPORT_SYNC, i, 0, 0);
            int32_t len;
            if (read_full(fd, &len, sizeof len) < 0 || len < 0)
                _exit(126);
            if (hook_input)
                munmap(hook_input, (size_t)hook_input_len + 1);
            hook_input = mmap(NULL, (size_t)len + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (hook_input == MAP_FAILED || (len > 0 && read_full(fd, hook_input, (size_t)len) < 0))
                _exit(126);
            hook_input_len = len;
            continue;
        }
        if (op->kind == BERTH_OP_WAIT_PARENT) {
            char joined;
            if (read_full(fd, &joined, 1) < 0)
                _exit(126);
            continue;
        }
        if (op->kind == BERTH_OP_SEND_SLOT) {
            struct berth_report r = { BERTH_REPORT_FD, i, 0, 0 };
            if (send_with_fd(fd, &r, sizeof r, slots[op->flags & 0xff]) < 0) {
                report(fd, BERTH_REPORT_FAILED, i, errno, 0);
                _exit(126);
            }
            /* The console keeps its peer; only berth needs the master. */
            close(slots[op->flags & 0xff]);
            slots[op->flags & 0xff] = -1;
            continue;
        }
        if (op->kind == BERTH_OP_RUN_HOOK) {
            if ((op->flags & BERTH_HOOK_IN_ROOT) ? paths_chdir_root() < 0 : (paths_home(), 0)) {
                report(fd, BERTH_REPORT_FAILED, i, errno, 0);
                _exit(126);
            }
            int rc = run_hook(op->s1, (char *const *)op->v2, (char *const *)op->v3, hook_input, (size_t)hook_input_len, (int)op->b, 1, -1);
            if (rc != 0) {
                report(fd, BERTH_REPORT_FAILED, i, rc < 0 ? -rc : rc, 0);
                _exit(126);
            }
            continue;
        }
        if (op->kind == BERTH_OP_HOME_FROM_PASSWD) {
            if (passwd_home_entry(op->s1, (uint32_t)op->a, op->s2, &exec_extra_env) < 0) {
                report(fd, BERTH_REPORT_FAILED, i, errno, 0);
                _exit(126);
            }
            continue;
        }
        if (op->kind == BERTH_OP_SECCOMP && (op->b & SECCOMP_FILTER_FLAG_NEW_LISTENER)) {
            /* SCMP_ACT_NOTIFY: the filter's listener goes to berth, which hands it to the seccomp agent, and this
               process waits until it has (a notified call made before then would wait for nobody). It keeps no copy:
               once the agent is gone, notified calls fail with ENOSYS. */
            int listener = run_op(op, slots);
            if (listener < 0) {
                report(fd, BERTH_REPORT_FAILED, i, errno, 0);
                _exit(126);
            }
            struct berth_report r = { BERTH_REPORT_FD, i, 0, 0 };
            char handed;
            int rc = send_with_fd(fd, &r, sizeof r, listener);
            close(listener);
            if (rc < 0 || read_full(fd, &handed, 1) < 0)
                _exit(126);
            continue;
        }
        if (op->kind == BERTH_OP_END_SETUP) {
            /* A close the container's seccomp profile denies would keep berth waiting: then end instead. */
            if (close(fd) < 0 && errno != EINTR)
                _exit(BERTH_EXIT_NO_REPORT);
            fd = -1;
            continue;
        }
        if (op->kind == BERTH_OP_REPORT_READY) {
            /* Set up: from here on the process belongs to the container, and outlives the berth that made it. */
            prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
            report(fd, BERTH_REPORT_READY, i, 0, 0);
            continue;
        }
        int rc = run_op(op, slots);
        if (!hands_off)
            paths_forget();
        if (rc < 0) {
            report(fd, BERTH_REPORT_FAILED, i, errno, 0);
            _exit(126);
        }
    }
    /* The plan always ends with EXEC; getting here means every candidate failed. */
    _exit(127);
}

int berth_spawn(const struct berth_spawn *spawn, int sync_child_fd, int *out_pid)
{
    struct child_args ca = { spawn, sync_child_fd };
    paths_force_walk = spawn->force_walk == 1;
    stage_fd = stage_open();
    if (stage_fd < 0)
        return -BERTH_ERR_STAGE;
    /* berth itself stops being dumpable before the clone, so that the child never is, not even for an instruction
       (rootless: berth writes the child's id maps, which needs the child dumpable until then). */
    if (!spawn->dumpable_until_go)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    size_t stack_size = 256 * 1024;
    char *stack = malloc(stack_size);
    if (!stack) {
        close(stage_fd);
        return -ENOMEM;
    }

    /* Block signals so that no .NET handler runs in the child before it resets them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid;
    if (spawn->cgroup_fd >= 0) {
        /* Born in its cgroup2 directory: no migration, no grace period. Fork-like (no CLONE_VM, no new stack). */
        struct clone_args args;
        memset(&args, 0, sizeof args);
        args.flags = (uint64_t)(uint32_t)spawn->clone_flags | CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.cgroup = (uint64_t)spawn->cgroup_fd;
        pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0)
            _exit(child_main(&ca));
    } else {
        pid = clone(child_main, stack + stack_size, spawn->clone_flags | SIGCHLD, &ca);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(stack);
    close(stage_fd);
    stage_fd = -1;
    if (pid < 0)
        return -saved;
    *out_pid = pid;
    return 0;
}

int berth_layout(int which)
{
    switch (which) {
    case 0: return (int)sizeof(struct berth_op);
    case 1: return (int)sizeof(struct berth_spawn);
    case 2: return (int)sizeof(struct berth_report);
    default: return -1;
    }
}
