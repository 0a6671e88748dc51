/*
 * berth_exec.c — the only C in berth: the code that runs between clone() and execve().
 *
 * Why C: a .NET process is multi-threaded, and C# code in a forked child can wait forever for a GC
 * that no thread will run. Everything here is mechanism, not policy: the C# plan compiler decides
 * every path, flag and order and lays the operations out in native memory before clone(); this file
 * only loops over them and reports the index and errno of the first one that fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/mount.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "berth_exec.h"

/* Writes all of buf or fails; the sync channel carries fixed-size records. */
static int write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends one fd with SCM_RIGHTS, with `data` as the message body. */
static int send_with_fd(int sock, const void *data, size_t len, int fd)
{
    struct iovec iov = { (void *)data, len };
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

int berth_send_fd(int sock, int fd, const char *name)
{
    return send_with_fd(sock, name, strlen(name), fd) < 0 ? -errno : 0;
}

static void report(int fd, int32_t kind, int32_t index, int32_t err, int32_t pid)
{
    struct berth_report r = { kind, index, err, pid };
    (void)write_full(fd, &r, sizeof r);
}

static int mkdir_all(const char *path, mode_t mode)
{
    /* Most mount points exist already, or only their last part is missing: try that before walking the path. */
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -1;
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int capset_all(const struct berth_op *op)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    uint64_t eff = (uint64_t)op->a, prm = (uint64_t)op->b, inh = (uint64_t)op->c;
    data[0].effective = (uint32_t)eff;
    data[1].effective = (uint32_t)(eff >> 32);
    data[0].permitted = (uint32_t)prm;
    data[1].permitted = (uint32_t)(prm >> 32);
    data[0].inheritable = (uint32_t)inh;
    data[1].inheritable = (uint32_t)(inh >> 32);
    return (int)syscall(SYS_capset, &hdr, data);
}

/* Opens each candidate path in turn; the first that exists wins. Used to find args[0] in $PATH. */
static int exec_candidates(const struct berth_op *op, int only_check)
{
    int last = ENOENT;
    for (const char *const *c = op->v1; c && *c; c++) {
        if (only_check) {
            struct stat st;
            if (stat(*c, &st) == 0 && S_ISREG(st.st_mode) && access(*c, X_OK) == 0)
                return 0;
            if (errno != ENOENT && errno != ENOTDIR)
                last = errno ? errno : EACCES;
            else if (stat(*c, &st) == 0)
                last = EACCES;
            continue;
        }
        execve(*c, (char *const *)op->v2, (char *const *)op->v3);
        if (errno != ENOENT && errno != ENOTDIR)
            last = errno;
    }
    errno = last;
    return -1;
}

static int mask_path(const struct berth_op *op)
{
    struct stat st;
    if (stat(op->s1, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode))
        return mount("tmpfs", op->s1, "tmpfs", MS_RDONLY, op->s2);
    if (mount("/dev/null", op->s1, NULL, MS_BIND, NULL) < 0)
        return -1;
    return 0;
}

static int readonly_path(const struct berth_op *op)
{
    /* flags: the path is already a mount of its own (the root), so remount without binding first. */
    if (!op->flags && mount(op->s1, op->s1, NULL, MS_BIND | MS_REC, NULL) < 0)
        return errno == ENOENT ? 0 : -1;
    /* Keep the flags the mount already has (nosuid, nodev…): a user namespace may not clear locked ones. */
    struct statvfs sv;
    unsigned long keep = 0;
    if (statvfs(op->s1, &sv) == 0)
        keep = sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
    return mount(op->s1, op->s1, NULL, keep | (unsigned long)op->a | MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
}

static int create_file(const char *path, mode_t mode)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return errno == EEXIST ? 0 : -1;
    close(fd);
    return 0;
}

/*
 * fork() without glibc: its atfork handlers take locks (malloc's) that a thread of the .NET parent may have held
 * when the container process was cloned; that thread does not exist here to release them.
 */
static pid_t raw_fork(void)
{
    return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}

/*
 * Runs one hook: the program gets `input` (the state JSON) on stdin; waits for it, killing it after timeout_ms.
 * Returns 0 when it exited 0, else a BERTH_HOOK_* code (positive) or -errno.
 */
int berth_run_hook(const char *path, char *const argv[], char *const envp[], const void *input, size_t len, int timeout_ms)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = raw_fork();
    if (pid < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        return -saved;
    }
    if (pid == 0) {
        sigset_t none;
        for (int sig = 1; sig < NSIG; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                signal(sig, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(fds[0], 0);
        execve(path, argv, envp);
        _exit(127);
    }
    close(fds[0]);
    /* The hook may exit without reading: a write to a closed pipe must not kill us. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    (void)write_full(fds[1], input, len);
    close(fds[1]);
    signal(SIGPIPE, old_pipe);

    int status = 0;
    long waited_ms = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, timeout_ms > 0 ? WNOHANG : 0);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return -errno;
        if (r == 0) {
            if (waited_ms >= timeout_ms) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                return BERTH_HOOK_TIMEOUT;
            }
            struct timespec ts = { 0, 1000000 };
            nanosleep(&ts, NULL);
            waited_ms++;
        }
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status) == 0 ? 0 : BERTH_HOOK_EXITED | WEXITSTATUS(status);
    return BERTH_HOOK_SIGNALED | WTERMSIG(status);
}

/* The state JSON the parent sent at the last SYNC; hooks run by the child read it on stdin. */
static char *hook_input;
static int32_t hook_input_len;

static int run_op(const struct berth_op *op, int *slots)
{
    switch (op->kind) {
    case BERTH_OP_MOUNT:
        return mount(op->s1, op->s2, op->s3, (unsigned long)op->a, op->s4);
    case BERTH_OP_MKDIR_ALL:
        return mkdir_all(op->s1, (mode_t)op->a);
    case BERTH_OP_CREATE_FILE:
        return create_file(op->s1, (mode_t)op->a);
    case BERTH_OP_MKNOD:
        if (mknod(op->s1, (mode_t)op->a, (dev_t)op->b) < 0 && !(errno == EEXIST && op->flags))
            return -1;
        return 0;
    case BERTH_OP_CHOWN:
        return lchown(op->s1, (uid_t)op->a, (gid_t)op->b);
    case BERTH_OP_CHMOD:
        return chmod(op->s1, (mode_t)op->a);
    case BERTH_OP_SYMLINK:
        if (symlink(op->s1, op->s2) < 0 && errno != EEXIST)
            return -1;
        return 0;
    case BERTH_OP_WRITE_FILE: {
        int fd = open(op->s1, O_WRONLY | O_CLOEXEC | (op->flags ? O_CREAT | O_TRUNC : 0), 0644);
        if (fd < 0)
            return -1;
        int rc = write_full(fd, op->s2, (size_t)op->a);
        int saved = errno;
        close(fd);
        errno = saved;
        return rc;
    }
    case BERTH_OP_PIVOT_ROOT:
        if (chdir(op->s1) < 0)
            return -1;
        if (syscall(SYS_pivot_root, ".", ".") < 0)
            return -1;
        if (umount2(".", MNT_DETACH) < 0)
            return -1;
        return chdir("/");
    case BERTH_OP_MOVE_ROOT:
        if (chdir(op->s1) < 0)
            return -1;
        if (mount(op->s1, "/", NULL, MS_MOVE, NULL) < 0)
            return -1;
        if (chroot(".") < 0)
            return -1;
        return chdir("/");
    case BERTH_OP_MASK_PATH:
        return mask_path(op);
    case BERTH_OP_READONLY_PATH:
        return readonly_path(op);
    case BERTH_OP_SETHOSTNAME:
        return sethostname(op->s1, strlen(op->s1));
    case BERTH_OP_SETDOMAINNAME:
        return setdomainname(op->s1, strlen(op->s1));
    case BERTH_OP_SETRLIMIT: {
        struct rlimit rl = { (rlim_t)op->b, (rlim_t)op->c };
        return setrlimit((int)op->a, &rl);
    }
    case BERTH_OP_CHDIR:
        return chdir(op->s1);
    case BERTH_OP_UMASK:
        umask((mode_t)op->a);
        return 0;
    case BERTH_OP_SETGROUPS:
        /* Raw syscalls for the id changes: glibc's wrappers broadcast to every thread it believes exists, and this
           copy of a .NET process still lists the parent's threads, so they would wait forever (seen: __nptl_setxid). */
        return (int)syscall(SYS_setgroups, (size_t)op->a, (const gid_t *)op->p);
    case BERTH_OP_SETRESGID:
        return (int)syscall(SYS_setresgid, (gid_t)op->a, (gid_t)op->a, (gid_t)op->a);
    case BERTH_OP_SETRESUID:
        return (int)syscall(SYS_setresuid, (uid_t)op->a, (uid_t)op->a, (uid_t)op->a);
    case BERTH_OP_KEEPCAPS:
        return prctl(PR_SET_KEEPCAPS, (unsigned long)op->a, 0, 0, 0);
    case BERTH_OP_DROP_BOUNDING:
        for (int cap = 0; cap <= (int)op->b; cap++) {
            if (((uint64_t)op->a >> cap) & 1)
                continue;
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                return -1;
        }
        return 0;
    case BERTH_OP_CAPSET:
        return capset_all(op);
    case BERTH_OP_AMBIENT:
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
            return -1;
        for (int cap = 0; cap < 64; cap++) {
            if (!(((uint64_t)op->a >> cap) & 1))
                continue;
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                return -1;
        }
        return 0;
    case BERTH_OP_SET_DUMPABLE:
        return prctl(PR_SET_DUMPABLE, (unsigned long)op->a, 0, 0, 0);
    case BERTH_OP_NO_NEW_PRIVS:
        return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    case BERTH_OP_SECCOMP: {
        struct sock_fprog prog = { (unsigned short)op->a, (struct sock_filter *)op->p };
        if (op->b)
            return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned int)op->b, &prog);
        return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
    }
    case BERTH_OP_SETNS:
        return setns((int)op->a, (int)op->b);
    case BERTH_OP_OPEN_SLOT: {
        int fd = open(op->s1, (int)op->a | O_CLOEXEC, (mode_t)op->b);
        if (fd < 0)
            return -1;
        slots[op->flags] = fd;
        return 0;
    }
    case BERTH_OP_WAIT_SLOT: {
        /* Blocks until `berth start` writes a byte into the exec fifo. */
        char c;
        ssize_t n;
        do
            n = read(slots[op->flags], &c, 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EPIPE;
            return -1;
        }
        /* Left open (close-on-exec): `start` waits for the fifo to hang up, which tells it execve happened. */
        return 0;
    }
    case BERTH_OP_CHECK_EXEC:
        return exec_candidates(op, 1);
    case BERTH_OP_CLOSE_FROM:
        /* CLOSE_RANGE_CLOEXEC: the sync fd must stay open until execve reports success by closing. */
        return (int)syscall(SYS_close_range, (unsigned int)op->a, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    case BERTH_OP_SETSID:
        return setsid() < 0 ? -1 : 0;
    case BERTH_OP_DUP2:
        return dup2(slots[op->flags], (int)op->a) < 0 ? -1 : 0;
    case BERTH_OP_IOCTL_SLOT:
        return ioctl(slots[op->flags], (unsigned long)op->a, op->p);
    case BERTH_OP_PTY_PEER: {
        int peer = ioctl(slots[op->a], TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
            return -1;
        slots[op->flags] = peer;
        return 0;
    }
    case BERTH_OP_NEW_KEYRING:
        /* KEYCTL_JOIN_SESSION_KEYRING = 1: the container must not see the host's session keys. */
        return syscall(SYS_keyctl, 1, op->s1) < 0 ? -1 : 0;
    case BERTH_OP_JOIN_CGROUP: {
        /* Moving oneself by writing "0" to "tasks" skips the kernel's global threadgroup lock, whose RCU grace
           period costs every runtime that writes a pid to cgroup.procs several milliseconds. */
        int cg = open(op->s1, O_WRONLY | O_CLOEXEC);
        if (cg < 0)
            return -1;
        int rc = write_full(cg, "0", 1);
        int saved = errno;
        close(cg);
        errno = saved;
        return rc;
    }
    case BERTH_OP_UNSHARE:
        return unshare((int)op->a);
    case BERTH_OP_EXEC:
        return exec_candidates(op, 0);
    default:
        errno = ENOSYS;
        return -1;
    }
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
    sigset_t all;

    /* The .NET runtime installed handlers and ignored SIGPIPE; the container must start from defaults. */
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        signal(sig, SIG_DFL);
    }
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);

    /* The parent's flock on the state directory is shared through this fd: drop it, or `start` would wait forever. */
    if (sp->close_fd >= 0)
        close(sp->close_fd);

    if (sp->parent_death_signal)
        prctl(PR_SET_PDEATHSIG, sp->parent_death_signal, 0, 0, 0);

    /* Wait until the parent has written id maps and joined the cgroup. */
    char go;
    if (read_full(fd, &go, 1) < 0)
        _exit(126);

    for (int i = 0; i < BERTH_MAX_SLOTS; i++)
        slots[i] = -1;

    for (int i = 0; i < sp->op_count; i++) {
        const struct berth_op *op = &sp->ops[i];
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
            /* mmap, not malloc: the malloc lock may be held by a parent thread that was not copied. */
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
            if (send_with_fd(fd, &r, sizeof r, slots[op->flags]) < 0) {
                report(fd, BERTH_REPORT_FAILED, i, errno, 0);
                _exit(126);
            }
            close(slots[op->flags]);
            slots[op->flags] = -1;
            continue;
        }
        if (op->kind == BERTH_OP_RUN_HOOK) {
            int rc = berth_run_hook(op->s1, (char *const *)op->v2, (char *const *)op->v3, hook_input, (size_t)hook_input_len, (int)op->b);
            if (rc != 0) {
                report(fd, BERTH_REPORT_FAILED, i, rc < 0 ? -rc : rc, 0);
                _exit(126);
            }
            continue;
        }
        if (op->kind == BERTH_OP_REPORT_READY) {
            report(fd, BERTH_REPORT_READY, i, 0, 0);
            continue;
        }
        if (run_op(op, slots) < 0) {
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
    size_t stack_size = 256 * 1024;
    char *stack = malloc(stack_size);
    if (!stack)
        return -ENOMEM;

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
    if (pid < 0)
        return -saved;
    *out_pid = pid;
    return 0;
}

int berth_wait(int pid, int *status, int options)
{
    int rc;
    do
        rc = waitpid(pid, status, options);
    while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : rc;
}

/* A foreground `run` or `exec` forwards the signals a terminal or supervisor sends to berth (INT, TERM, HUP, QUIT)
 * to the container's process. Plain handlers do it (kill() is async-signal-safe), on whichever thread the kernel
 * picks. They go in before the container is created: a signal that comes while berth sets it up is kept and delivered
 * once the process exists, instead of killing berth half-way. (This also saves the .NET runtime's signal thread.)
 * No signal is lost: the handler records the signal, then looks for a target; the waiter publishes the target, then
 * takes what was recorded (both sequentially consistent, so one of the two sees the other). A signal may be sent
 * twice in that race, never to a pid that was reaped: the target is withdrawn before the child is reaped. */
static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
enum { FORWARDED = sizeof forwarded_signals / sizeof forwarded_signals[0] };
static int forward_to;      /* the pid to forward to, 0 while there is none */
static int forward_pending; /* 1 << signal for each signal not forwarded yet */
static struct sigaction forward_previous[FORWARDED];
static int forward_installed;

static void forward_deliver(int pid, int pending)
{
    for (int i = 0; i < FORWARDED; i++)
        if (pending & (1 << forwarded_signals[i]))
            kill((pid_t)pid, forwarded_signals[i]);
}

static void forward_signal(int sig)
{
    int saved = errno;
    __atomic_fetch_or(&forward_pending, 1 << sig, __ATOMIC_SEQ_CST);
    int pid = __atomic_load_n(&forward_to, __ATOMIC_SEQ_CST);
    if (pid > 0)
        forward_deliver(pid, __atomic_exchange_n(&forward_pending, 0, __ATOMIC_SEQ_CST));
    errno = saved;
}

/* Installs the handlers; called again (e.g. after the .NET runtime set up its own terminal handling, which takes
 * SIGINT and SIGQUIT), it puts them back without forgetting what was there first. */
void berth_forward_begin(void)
{
    struct sigaction forward = { 0 };
    forward.sa_handler = forward_signal;
    forward.sa_flags = SA_RESTART;
    sigemptyset(&forward.sa_mask);
    for (int i = 0; i < FORWARDED; i++)
        sigaddset(&forward.sa_mask, forwarded_signals[i]);
    for (int i = 0; i < FORWARDED; i++)
        sigaction(forwarded_signals[i], &forward, forward_installed ? NULL : &forward_previous[i]);
    forward_installed = 1;
}

void berth_forward_end(void)
{
    if (!forward_installed)
        return;
    __atomic_store_n(&forward_to, 0, __ATOMIC_SEQ_CST);
    for (int i = 0; i < FORWARDED; i++)
        sigaction(forwarded_signals[i], &forward_previous[i], NULL);
    forward_installed = 0;
}

int berth_wait_forwarding(int pid, int *status)
{
    if (!forward_installed)
        berth_forward_begin();
    __atomic_store_n(&forward_to, pid, __ATOMIC_SEQ_CST);
    forward_deliver(pid, __atomic_exchange_n(&forward_pending, 0, __ATOMIC_SEQ_CST));
    /* Wait for the exit without reaping, withdraw the target, then reap: a handler never signals a freed pid. */
    siginfo_t info;
    int rc;
    do
        rc = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT);
    while (rc < 0 && errno == EINTR);
    __atomic_store_n(&forward_to, 0, __ATOMIC_SEQ_CST);
    do
        rc = waitpid(pid, status, 0);
    while (rc < 0 && errno == EINTR);
    int err = errno;
    berth_forward_end();
    return rc < 0 ? -err : rc;
}

/* Reads one report; a report may carry an fd (the pty master), returned in *received_fd (else -1). */
int berth_read_report(int fd, struct berth_report *r, int *received_fd)
{
    *received_fd = -1;
    struct iovec iov = { r, sizeof *r };
    char control[CMSG_SPACE(sizeof(int))];
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(received_fd, CMSG_DATA(c), sizeof(int));
    if (n == 0)
        return -EPIPE;
    /* A stream socket may split the record: read the rest plainly (no fd travels in the tail). */
    if ((size_t)n < sizeof *r && read_full(fd, (char *)r + n, sizeof *r - (size_t)n) < 0)
        return -(errno ? errno : EPIPE);
    return 0;
}

int berth_send_blob(int fd, const void *data, int32_t len)
{
    if (write_full(fd, &len, sizeof len) < 0 || write_full(fd, data, (size_t)len) < 0)
        return -errno;
    return 0;
}

int berth_send_go(int fd)
{
    char go = 1;
    return write_full(fd, &go, 1) < 0 ? -errno : 0;
}
