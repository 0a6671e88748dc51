/* The layout shared with runtime/Berth.Runtime/Exec/NativeMethods.cs (NativeOp, NativeSpawn, NativeReport): keep both
 * in step; OpKind in Plan/Operation.cs mirrors enum berth_op_kind and a test compares the two. */
#ifndef BERTH_EXEC_H
#define BERTH_EXEC_H
#include <stddef.h>
#include <stdint.h>

#define BERTH_MAX_SLOTS 8

/* Container paths (s1/s2 of path operations) are resolved inside the container's root when the operation runs,
 * never before: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), or an O_NOFOLLOW walk where the kernel lacks it. */
enum berth_op_kind {
    BERTH_OP_MOUNT = 1,         /* s1 source, s2 target, s3 fstype, s4 data, a flags, d propagation set after it */
    BERTH_OP_MKDIR_ALL = 2,     /* s1 container path, a mode */
    BERTH_OP_CREATE_FILE = 3,   /* s1 container path, a mode */
    BERTH_OP_MKNOD = 4,         /* s1 container path, a mode with type bits, b dev, c uid << 32 | gid; flags: EEXIST is fine */
    BERTH_OP_BIND = 5,          /* a: a detached mount tree berth made on the host before clone (berth_bind_source),
                                   attributes set; or -1: the child binds s1 (or, with BERTH_SOURCE_SLOT, slots[flags &
                                   0xff]) itself, setting b MOUNT_ATTR_* and clearing c on the top mount, then p (NULL or
                                   int64_t[2]: MOUNT_ATTR_* to set and to clear) on every mount of the tree; s2 container
                                   target; d propagation, set once attached; BERTH_BIND_RECURSIVE */
    BERTH_OP_OPEN_ROOT = 6,     /* s1 host path of the root (after it is bound onto itself), or "/" once inside */
    BERTH_OP_SYMLINK = 7,       /* s1 target, s2 container path of the link */
    BERTH_OP_WRITE_FILE = 8,    /* s1 path below /proc (e.g. "sys/net/ipv4/ip_forward"), s2 bytes, a length */
    BERTH_OP_PIVOT_ROOT = 9,    /* into the root opened by OPEN_ROOT; a: propagation of the old root before it is detached */
    BERTH_OP_MOVE_ROOT = 10,    /* s1 host path of the root (--no-pivot) */
    BERTH_OP_MASK_PATH = 11,    /* s1 container path, s2 tmpfs data */
    BERTH_OP_READONLY_PATH = 12,/* s1 container path; flags BERTH_PATH_ROOT: the root itself */
    BERTH_OP_SETHOSTNAME = 13,  /* s1 */
    BERTH_OP_SETDOMAINNAME = 14,/* s1 */
    BERTH_OP_SETRLIMIT = 15,    /* a resource, b soft, c hard */
    BERTH_OP_CHDIR = 16,        /* s1 container path */
    BERTH_OP_UMASK = 17,        /* a */
    BERTH_OP_SETGROUPS = 18,    /* a count, p gid_t[] */
    BERTH_OP_SETRESGID = 19,    /* a */
    BERTH_OP_SETRESUID = 20,    /* a */
    BERTH_OP_KEEPCAPS = 21,     /* a 0/1 */
    BERTH_OP_DROP_BOUNDING = 22,/* a caps to keep, b last cap */
    BERTH_OP_CAPSET = 23,       /* a effective, b permitted, c inheritable */
    BERTH_OP_AMBIENT = 24,      /* a caps to raise */
    BERTH_OP_NO_NEW_PRIVS = 25,
    BERTH_OP_SECCOMP = 26,      /* a instruction count, p sock_filter[], b seccomp(2) flags (0: prctl) */
    BERTH_OP_SETNS = 27,        /* a fd, b nstype */
    BERTH_OP_OPEN_SLOT = 28,    /* s1 path (host, or with BERTH_PATH_IN_ROOT a container path that must be the char
                                   device c), a open flags, b mode, flags & 0xff slot */
    BERTH_OP_WAIT_SLOT = 29,    /* flags slot: read one byte */
    BERTH_OP_CHECK_EXEC = 30,   /* v1 candidate container paths: the first regular executable file wins */
    BERTH_OP_CLOSE_FROM = 31,   /* a first fd to mark close-on-exec */
    BERTH_OP_SETSID = 32,
    BERTH_OP_DUP2 = 33,         /* flags slot, a target fd */
    BERTH_OP_IOCTL_SLOT = 34,   /* flags slot, a request, p argument */
    BERTH_OP_EXEC = 35,         /* v1 candidate container paths, v2 argv, v3 envp: executed by the sealed stage */
    BERTH_OP_FORK = 36,         /* fork; the parent reports the child's pid and exits */
    BERTH_OP_REPORT_READY = 37, /* tell the runtime that setup succeeded */
    BERTH_OP_UNSHARE = 38,      /* a flags */
    BERTH_OP_SYNC = 39,         /* report SYNC, then wait for the parent: a 4-byte length and that many bytes (hook state) */
    BERTH_OP_RUN_HOOK = 40,     /* s1 path, v2 argv, v3 envp, b timeout ms (0: none); stdin is the state from SYNC */
    BERTH_OP_PTY_PEER = 41,     /* slots[flags] = the peer (slave) of the pty master in slots[a] */
    BERTH_OP_SEND_SLOT = 42,    /* report FD with slots[flags] attached (SCM_RIGHTS), then close it */
    BERTH_OP_NEW_KEYRING = 43,  /* join a new session keyring named s1 */
    BERTH_OP_WAIT_PARENT = 44,  /* read one byte: the parent has put this process in its cgroups */
    BERTH_OP_JOIN_CGROUP = 45,  /* write "0" to the cgroup v1 "tasks" file s1: moves this (single-threaded) process */
    BERTH_OP_CHOWN_SLOT = 46,   /* fchown slots[flags & 0xff] to uid a, gid b ((gid_t)-1 leaves the group) */
    BERTH_OP_HOME_FROM_PASSWD = 47,/* read the regular file s1 (passwd(5)) in the root: EXEC adds HOME=<the home of uid a
                                   there, else s2> to v3 */
    BERTH_OP_END_SETUP = 48,    /* close the channel to berth: setup is over (create returns once it sees the end) */
    BERTH_OP_ATTACH_LAYERS = 49,/* a: the detached stack of layers berth made before clone (berth_stack_layers); s1 the
                                   host path of the empty directory it goes on, in the container's mount namespace only */
};

/* flags bits of path operations (the low byte is a slot number where an operation has one). */
#define BERTH_PATH_IN_ROOT 0x100     /* OPEN_SLOT: s1 is a container path */
#define BERTH_PATH_NO_SYMLINKS 0x200 /* no symbolic link anywhere in the path (proc and sysfs mount points) */
#define BERTH_PATH_DIRECTORY 0x400   /* the target must be a directory */
#define BERTH_PATH_ROOT 0x800        /* READONLY_PATH: the container's root itself */
#define BERTH_SOURCE_SLOT 0x1000     /* BIND: the source is slots[flags & 0xff] (the console's pty peer) */
#define BERTH_EEXIST_OK 0x2000       /* MKNOD: an existing file is left as it is */
#define BERTH_BIND_RECURSIVE 0x4000  /* BIND: the whole tree below the source (rbind) */
#define BERTH_HOOK_IN_ROOT 0x8000    /* RUN_HOOK: the working directory is the container's root (createContainer) */
#define BERTH_BIND_IN_ORDER 0x10000  /* BIND: a host-made tree is copied again once attached (mount order = config order) */

/* Errors that are not errno values, reported in the err field of a FAILED report. */
#define BERTH_ERR_OUTSIDE_ROOT 0x40001   /* the working directory is not inside the container's root */
#define BERTH_ERR_NOT_NULL_DEVICE 0x40002/* /dev/null in the container is not the character device 1:3 */
#define BERTH_ERR_NOT_DEVICE 0x40003     /* an opened device is not the device expected */
#define BERTH_ERR_NOT_PROCFS 0x40004     /* /proc of the host is not a procfs */
#define BERTH_ERR_STAGE 0x40005          /* the sealed stage program could not be made */
#define BERTH_ERR_NOT_REGULAR 0x40006    /* a file that must be regular is not */

struct berth_op {
    int32_t kind;
    int32_t flags;
    int64_t a, b, c, d;
    const char *s1, *s2, *s3, *s4;
    const char *const *v1, *const *v2, *const *v3;
    const void *p;
};

struct berth_spawn {
    int32_t clone_flags;
    int32_t parent_death_signal;
    int32_t op_count;
    int32_t cgroup_fd;          /* a cgroup2 directory to create the child in (clone3 CLONE_INTO_CGROUP); -1 for none */
    int32_t preserve_fds;       /* fds 3 .. 3+preserve_fds-1 pass to the container; every other fd is closed at once */
    int32_t dumpable_until_go;  /* rootless: berth writes the child's id maps, which needs it dumpable until then */
    int32_t force_walk;         /* 1: resolve paths by the O_NOFOLLOW walk even where openat2 exists (tests) */
    const struct berth_op *ops;
};

enum berth_report_kind {
    BERTH_REPORT_READY = 1,
    BERTH_REPORT_FAILED = 2,
    BERTH_REPORT_PID = 3,
    BERTH_REPORT_SYNC = 4,
    BERTH_REPORT_FD = 5,
};

/* The setup child's exit status when it could not write a report to berth. */
#define BERTH_EXIT_NO_REPORT 125

/* How a hook ended, folded into the report's err field of a failed RUN_HOOK. */
#define BERTH_HOOK_EXITED 0x10000   /* | exit status */
#define BERTH_HOOK_SIGNALED 0x20000 /* | signal */
#define BERTH_HOOK_TIMEOUT 0x30000

struct berth_report {
    int32_t kind;
    int32_t index;
    int32_t err;
    int32_t pid;
};

int berth_spawn(const struct berth_spawn *spawn, int sync_child_fd, int *out_pid);
int berth_wait(int pid, int *status, int options);
/* Foreground run/exec: from begin on, INT, TERM, HUP and QUIT sent to berth are kept, then forwarded to the
 * process berth_wait_forwarding waits for; end restores the previous handlers (wait does it too). */
void berth_forward_begin(void);
void berth_forward_end(void);
int berth_wait_forwarding(int pid, int *status);
int berth_read_report(int fd, struct berth_report *r, int *received_fd);
int berth_send_fd(int sock, int fd, const char *name);
int berth_send_go(int fd);
int berth_send_blob(int fd, const void *data, int32_t len);
int berth_run_hook(const char *path, char *const argv[], char *const envp[], const void *input, size_t len, int timeout_ms);
/* Runs a program with stdout and stderr captured in a memfd (*out_fd, at offset 0): berth ps runs ps(1) so. */
int berth_run_captured(const char *path, char *const argv[], int *out_fd);
/* sizeof(struct berth_op) and sizeof(struct berth_spawn), for the managed side's layout check. */
int berth_layout(int which);
int berth_bind_source(const char *path, int recursive, uint64_t set, uint64_t clear, uint64_t rec_set, uint64_t rec_clear);
/* layers.c: the stored layers (topmost first) stacked into a detached mount; -errno and *step on failure. */
int berth_stack_layers(const char *const *layers, int count, int writable, int *step);
#endif
