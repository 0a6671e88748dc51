/*
 * The floor of an `exec` into a running container on this host: the kernel work of `RUNTIME exec ID /bin/true`,
 * done by a C program with nothing else — no state file to read, no config, no language runtime. bench.py reports it
 * beside the runtimes' exec as the lower bound of the comparison.
 *
 * What it does: opens the namespaces of the container's init (the files in /proc/PID/ns, those that differ from its own), joins
 * the container's cgroups (writes itself into cgroup.procs of each hierarchy directory given; bench.py reads them
 * once from /proc/PID/cgroup, as a runtime reads them from its state), joins the namespaces (ipc, uts, net, pid,
 * mnt, cgroup: the cgroup namespace after the cgroups, so that its root is the container's), forks (a joined pid
 * namespace takes effect for children only), and in the child: chdir /, the default capabilities (bounding set, then
 * capset), no_new_privs, execve /bin/true. The parent waits and exits with the child's status.
 *
 * Usage: exec_floor PID CGROUPDIR...      (run as root, from the mount namespace the container was made in)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "exec_floor: %s: %s\n", what, strerror(errno));
    _exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: exec_floor PID CGROUPDIR...\n");
        return 2;
    }
    /* The order runc and crun join in; mnt late (its /proc is the container's), cgroup after the cgroups. */
    static const char *kinds[] = {"ipc", "uts", "net", "pid", "mnt", "cgroup"};
    enum { KINDS = sizeof kinds / sizeof kinds[0] };
    int fds[KINDS];
    char path[4096];
    for (int i = 0; i < KINDS; i++) {
        struct stat theirs, ours;
        snprintf(path, sizeof path, "/proc/%s/ns/%s", argv[1], kinds[i]);
        fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0 || fstat(fds[i], &theirs) < 0)
            die(path);
        snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
        if (stat(path, &ours) == 0 && ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev) {
            close(fds[i]);
            fds[i] = -1; /* shared with the host: nothing to join */
        }
    }
    for (int i = 2; i < argc; i++) {
        snprintf(path, sizeof path, "%s/cgroup.procs", argv[i]);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) < 0)
            die(path);
        close(fd);
    }
    for (int i = 0; i < KINDS; i++)
        if (fds[i] >= 0) {
            if (setns(fds[i], 0) < 0)
                die(kinds[i]);
            close(fds[i]);
        }
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        if (chdir("/") < 0)
            die("chdir /");
        const unsigned long keep = (1UL << CAP_AUDIT_WRITE) | (1UL << CAP_KILL) | (1UL << CAP_NET_BIND_SERVICE);
        for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
            if (!(keep & (1UL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                die("drop bounding capability");
        struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct caps[2] = {{(unsigned)keep, (unsigned)keep, 0}, {0, 0, 0}};
        if (syscall(SYS_capset, &header, caps) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            die("capabilities");
        char *args[] = {"/bin/true", NULL};
        char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
        execve(args[0], args, envp);
        die("execve");
    }
    int status;
    if (waitpid(pid, &status, 0) < 0)
        die("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
