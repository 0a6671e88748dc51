/* forward.c — waiting for a child, and forwarding the signals a terminal or supervisor sends to berth. */
#include "berth_internal.h"
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

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

