/* hooks.c — runs one hook program with the container's state on its stdin, bounded by its timeout. Used by berth
 * itself (createRuntime, poststart, poststop) and by the container's first process (createContainer, startContainer);
 * also runs ps(1) for `berth ps` with its output captured. */
#include "berth_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>


/*
 * fork() without glibc: its atfork handlers take locks (malloc's) that a thread of the .NET parent may have held
 * when the container process was cloned; that thread does not exist here to release them.
 */
pid_t raw_fork(void)
{
    return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}

/*
 * Runs one hook: the program gets `input` (the state JSON) on stdin; waits for it, killing it after timeout_ms.
 * Returns 0 when it exited 0, else a BERTH_HOOK_* code (positive) or -errno.
 */
int berth_run_hook(const char *path, char *const argv[], char *const envp[], const void *input, size_t len, int timeout_ms)
{
    return run_hook(path, argv, envp, input, len, timeout_ms, 0, -1);
}

/*
 * Runs a program with berth's environment and an empty stdin, its stdout and stderr both going to a new memfd (a
 * combined output); *out_fd is that memfd, at offset 0, for the caller to read and close. Returns as berth_run_hook.
 */
int berth_run_captured(const char *path, char *const argv[], int *out_fd)
{
    *out_fd = -1;
    int fd = (int)syscall(SYS_memfd_create, "berth-output", MFD_CLOEXEC);
    if (fd >= 0 && fd < 3) {
        /* berth was started without a stdin/stdout/stderr: keep the memfd off 0-2, where the child's dup2 goes. */
        int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        fd = moved;
    }
    if (fd < 0)
        return -errno;
    int rc = run_hook(path, argv, environ, "", 0, 0, 0, fd);
    if (lseek(fd, 0, SEEK_SET) < 0) {
        int saved = errno;
        close(fd);
        return -saved;
    }
    *out_fd = fd;
    return rc;
}

/* output_fd: where the program's stdout and stderr go (-1: berth's own).
 * staged: the hook runs inside the container (createContainer, startContainer), so it is executed by the sealed stage
 * program like the container's own process: a hook file that names /proc/self/exe as its interpreter gets the stage,
 * never berth. */
int run_hook(const char *path, char *const argv[], char *const envp[], const void *input, size_t len, int timeout_ms, int staged,
             int output_fd)
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
        if (output_fd >= 0) {
            dup2(output_fd, 1);
            dup2(output_fd, 2);
        }
        if (staged)
            stage_execute(path, (const char *const *)argv, (const char *const *)envp, NULL);
        else
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
