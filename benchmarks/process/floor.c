/*
 * The floor of a container start on this host: the kernel work that `run` of the default config (berth spec, as
 * bench.py writes it) asks for, done by a C program with nothing else — no config to read, no state to lock, no
 * language runtime, no error handling worth the name. No runtime can start that container faster than this, so
 * bench.py reports it beside berth, runc and crun as the lower bound of the comparison.
 *
 * What it does, in berth's order (`berth plan` lists the same steps): state directory with two files; a cgroup
 * directory in every hierarchy (cpuset values inherited) and the default device rules; clone into new pid, net, ipc, uts, mount and cgroup
 * namespaces; in the child: join the cgroups, make / private, bind the rootfs, the seven default mounts (on a v1
 * host /sys/fs/cgroup is a tmpfs with one bind per hierarchy), device nodes and /dev links, pivot_root, masked and
 * read-only paths, hostname, rlimit, capability drop, no_new_privs, execve /bin/true. The parent waits, then removes
 * the cgroups and the state directory.
 *
 * Usage: floor ROOTFS STATEDIR ID      (run as root, from a mount namespace like the runtimes')
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *hierarchies[] = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
                                    "systemd", "unified"};
enum { HIERARCHIES = sizeof hierarchies / sizeof hierarchies[0] };

static const char *rootfs, *id;
static char cgroups[HIERARCHIES][640];
static int present[HIERARCHIES];

static void die(const char *what)
{
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    _exit(1);
}

static void write_file(const char *path, const char *value)
{
    /* Only the state directory's files are created; a cgroup file that is missing is an error. */
    int flags = strncmp(path, "/sys/", 5) == 0 ? O_WRONLY : O_WRONLY | O_CREAT | O_TRUNC;
    int fd = open(path, flags | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, value, strlen(value)) < 0)
        die(path);
    close(fd);
}

static void copy_value(const char *from, const char *to)
{
    char buf[256];
    int fd = open(from, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (n < 0)
        die(from);
    close(fd);
    buf[n] = 0;
    write_file(to, buf);
}

static void in_rootfs(char *out, const char *path)
{
    snprintf(out, 700, "%s%s", rootfs, path);
}

static void do_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)
{
    char full[700];
    in_rootfs(full, target);
    mkdir(full, 0755);
    if (mount(source, full, type, flags, data) < 0)
        die(full);
}

static void child(void)
{
    char path[700], data[64];
    for (int i = 0; i < HIERARCHIES; i++)
        if (present[i]) {
            snprintf(path, sizeof path, "%s/%s", cgroups[i], i == HIERARCHIES - 1 ? "cgroup.procs" : "tasks");
            write_file(path, "0");
        }
    if (unshare(CLONE_NEWCGROUP) < 0)
        die("unshare cgroup");
    if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die("make / private");
    if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        die("bind rootfs");
    do_mount("proc", "/proc", "proc", 0, NULL);
    do_mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    do_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    do_mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k");
    do_mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
    do_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
    do_mount("tmpfs", "/sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=755");
    for (int i = 0; i < HIERARCHIES; i++)
        if (present[i]) {
            snprintf(data, sizeof data, "/sys/fs/cgroup/%s", hierarchies[i]);
            do_mount(cgroups[i], data, NULL, MS_BIND, NULL);
            in_rootfs(path, data);
            if (mount("", path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) < 0)
                die(path);
        }
    in_rootfs(path, "/sys/fs/cgroup");
    if (mount("", path, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=755") < 0)
        die("remount /sys/fs/cgroup");
    static const struct { const char *name; int major, minor; } devices[] = {
        {"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7}, {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9},
        {"/dev/tty", 5, 0}};
    umask(0);
    for (unsigned i = 0; i < sizeof devices / sizeof devices[0]; i++) {
        in_rootfs(path, devices[i].name);
        if (mknod(path, S_IFCHR | 0666, makedev(devices[i].major, devices[i].minor)) < 0 || chown(path, 0, 0) < 0)
            die(path);
    }
    static const char *links[][2] = {{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"}, {"pts/ptmx", "/dev/ptmx"}};
    for (unsigned i = 0; i < sizeof links / sizeof links[0]; i++) {
        in_rootfs(path, links[i][1]);
        if (symlink(links[i][0], path) < 0)
            die(path);
    }
    if (chdir(rootfs) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        die("pivot_root");
    static const char *masked[] = {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"};
    for (unsigned i = 0; i < sizeof masked / sizeof masked[0]; i++) {
        struct stat st;
        if (stat(masked[i], &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            mount("tmpfs", masked[i], "tmpfs", MS_RDONLY, "size=0,mode=0755");
        else
            mount("/dev/null", masked[i], NULL, MS_BIND, NULL);
    }
    static const char *readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    for (unsigned i = 0; i < sizeof readonly / sizeof readonly[0]; i++)
        if (mount(readonly[i], readonly[i], NULL, MS_BIND | MS_REC, NULL) == 0)
            mount("", readonly[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
    if (mount("", "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        die("remount / read-only");
    if (sethostname("berth", 5) < 0)
        die("sethostname");
    struct rlimit nofile = {1024, 1024};
    if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
        die("setrlimit");
    const unsigned long keep = (1UL << CAP_AUDIT_WRITE) | (1UL << CAP_KILL) | (1UL << CAP_NET_BIND_SERVICE);
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (!(keep & (1UL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            die("drop bounding capability");
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct caps[2] = {{(unsigned)keep, (unsigned)keep, 0}, {0, 0, 0}};
    if (syscall(SYS_capset, &header, caps) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die("capabilities");
    umask(022);
    char *argv[] = {"/bin/true", NULL}, *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    execve(argv[0], argv, envp);
    die("execve");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: floor ROOTFS STATEDIR ID\n");
        return 2;
    }
    rootfs = argv[1];
    id = argv[3];
    char dir[512], path[700], from[700];
    mkdir(argv[2], 0711);
    snprintf(dir, sizeof dir, "%s/%s", argv[2], id);
    if (mkdir(dir, 0700) < 0)
        die(dir);
    snprintf(path, sizeof path, "%s/state.json", dir);
    write_file(path, "{\"ociVersion\":\"1.0.2\",\"id\":\"floor\",\"status\":\"created\",\"pid\":1,\"bundle\":\"/\"}");
    snprintf(path, sizeof path, "%s/config.json", dir);
    write_file(path, "{\"ociVersion\":\"1.0.2\"}");
    for (int i = 0; i < HIERARCHIES; i++) {
        snprintf(path, sizeof path, "/sys/fs/cgroup/%s", hierarchies[i]);
        struct statfs fs;
        if (statfs(path, &fs) < 0 || (fs.f_type != CGROUP_SUPER_MAGIC && fs.f_type != CGROUP2_SUPER_MAGIC))
            continue; /* not mounted here (crun's workaround hides the cgroup2 mount) */
        snprintf(path, sizeof path, "/sys/fs/cgroup/%s/floor", hierarchies[i]);
        int made_parent = mkdir(path, 0755) == 0;
        snprintf(cgroups[i], sizeof cgroups[i], "%s/%s", path, id);
        if (mkdir(cgroups[i], 0755) < 0)
            die(cgroups[i]);
        present[i] = 1;
        if (strcmp(hierarchies[i], "cpuset") == 0) {
            static const char *files[] = {"cpuset.cpus", "cpuset.mems"};
            for (int f = 0; f < 2; f++) {
                if (made_parent) {
                    snprintf(from, sizeof from, "/sys/fs/cgroup/cpuset/%s", files[f]);
                    snprintf(path, sizeof path, "/sys/fs/cgroup/cpuset/floor/%s", files[f]);
                    copy_value(from, path);
                }
                snprintf(from, sizeof from, "/sys/fs/cgroup/cpuset/floor/%s", files[f]);
                snprintf(path, sizeof path, "%s/%s", cgroups[i], files[f]);
                copy_value(from, path);
            }
        }
    }
    /* The default device cgroup rules (runc writes the same list): deny all, then allow the default devices. */
    static const char *allow[] = {"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm",
        "c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm"};
    for (int i = 0; i < HIERARCHIES; i++)
        if (present[i] && strcmp(hierarchies[i], "devices") == 0) {
            snprintf(path, sizeof path, "%s/devices.deny", cgroups[i]);
            write_file(path, "a");
            snprintf(path, sizeof path, "%s/devices.allow", cgroups[i]);
            for (unsigned r = 0; r < sizeof allow / sizeof allow[0]; r++)
                write_file(path, allow[r]);
        }
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD,
                               NULL, NULL, NULL, NULL);
    if (pid < 0)
        die("clone");
    if (pid == 0)
        child();
    int status;
    if (waitpid(pid, &status, 0) < 0)
        die("waitpid");
    for (int i = 0; i < HIERARCHIES; i++)
        if (present[i])
            while (rmdir(cgroups[i]) < 0 && errno == EBUSY)
                usleep(100);
    snprintf(path, sizeof path, "%s/state.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/config.json", dir);
    unlink(path);
    if (rmdir(dir) < 0)
        die(dir);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
