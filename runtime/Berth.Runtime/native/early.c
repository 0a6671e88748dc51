/*
 * early.c — the network namespace of `run` and `create`, made by another process while the .NET runtime starts.
 *
 * A new network namespace is the costliest thing the clone of a container's process does (~0.7 ms here, most of the
 * clone). No config decides anything about making one ahead: before berth's managed code runs (an ELF constructor,
 * the process still single-threaded and small), `run` and `create` as root fork a short-lived helper that unshares a
 * network namespace and hands its descriptor back over a socket, on the other core, while the runtime starts. When
 * the plan wants a new network namespace outside any user namespace, the container's first process joins that one
 * (berth_spawn's net_fd) instead of making its own; otherwise berth closes it and it goes away unused.
 *
 * A process, not a thread: a second thread sharing berth's memory while the runtime registers for membarrier makes
 * the kernel wait for an RCU grace period (~10 ms here), so nothing may run beside the runtime's start in berth's own
 * address space.
 */
#include "berth_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* Descriptors made before the runtime starts are moved this high, above any a caller passes in (--preserve-fds). */
#define EARLY_FD_FLOOR 1000

static pid_t early_helper = -1;
static int early_socket = -1;

/* The command word: the first argument that is neither a flag nor the value of a global flag that takes one. */
static const char *command_of(int argc, char **argv)
{
    static const char *const with_value[] = { "--log", "--log-format", "--root", "--store", "--criu", "--rootless" };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-')
            return a;
        if (strchr(a, '='))
            continue;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            if (strcmp(a, with_value[k]) == 0 || (a[1] != '-' && strcmp(a, with_value[k] + 1) == 0)) {
                i++;
                break;
            }
    }
    return NULL;
}

static int move_high(int fd)
{
    if (fd < 0)
        return -1;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, EARLY_FD_FLOOR);
    close(fd);
    return high;
}

__attribute__((constructor)) static void early_start(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc < 1 || argv == NULL || geteuid() != 0 || getenv("BERTH_NO_EARLY_NETWORK") != NULL)
        return;
    const char *command = command_of(argc, argv);
    if (command == NULL || (strcmp(command, "run") != 0 && strcmp(command, "create") != 0))
        return;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(pair[0]);
        int32_t err = 0;
        int fd = -1;
        if (unshare(CLONE_NEWNET) < 0 || (fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
            err = errno;
        /* Whatever happens, berth hears once: the descriptor, or why there is none. */
        if (fd >= 0)
            send_with_fd(pair[1], &err, sizeof err, fd);
        else
            write_full(pair[1], &err, sizeof err);
        _exit(0);
    }
    close(pair[1]);
    if (pid < 0) {
        close(pair[0]);
        return;
    }
    early_helper = pid;
    early_socket = move_high(pair[0]);
}

/* The network namespace made ahead, once: its descriptor (close-on-exec, the caller's to close), or -1 when there is
 * none — not run or create, not root, or the kernel refused (*error says why; 0 when none was tried). The helper is
 * reaped here; a later call returns -1. */
int berth_early_network(int *error)
{
    *error = 0;
    if (early_helper < 0)
        return -1;
    int32_t err = 0;
    int fd = -1;
    ssize_t got = early_socket < 0 ? -1 : recv_with_fd(early_socket, &err, sizeof err, &fd);
    if (got != (ssize_t)sizeof err)
        err = got < 0 ? errno : EPROTO;
    if (early_socket >= 0)
        close(early_socket);
    early_socket = -1;
    waitpid(early_helper, NULL, 0);
    early_helper = -1;
    if (err != 0) {
        if (fd >= 0)
            close(fd);
        *error = err;
        return -1;
    }
    return move_high(fd);
}
