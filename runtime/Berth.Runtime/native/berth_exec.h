/* The layout shared with runtime/Berth.Runtime/Exec/NativeOps.cs: keep both in step. */
#ifndef BERTH_EXEC_H
#define BERTH_EXEC_H
#include <stdint.h>

#define BERTH_MAX_SLOTS 8

enum berth_op_kind {
    BERTH_OP_MOUNT = 1,         /* s1 source, s2 target, s3 fstype, s4 data, a flags */
    BERTH_OP_MKDIR_ALL = 2,     /* s1 path, a mode */
    BERTH_OP_CREATE_FILE = 3,   /* s1 path, a mode */
    BERTH_OP_MKNOD = 4,         /* s1 path, a mode (with type bits), b dev; flags: tolerate EEXIST */
    BERTH_OP_CHOWN = 5,         /* s1 path, a uid, b gid */
    BERTH_OP_CHMOD = 6,         /* s1 path, a mode */
    BERTH_OP_SYMLINK = 7,       /* s1 target, s2 link path */
    BERTH_OP_WRITE_FILE = 8,    /* s1 path, s2 bytes, a length; flags: create+truncate */
    BERTH_OP_PIVOT_ROOT = 9,    /* s1 new root */
    BERTH_OP_MOVE_ROOT = 10,    /* s1 new root (--no-pivot) */
    BERTH_OP_MASK_PATH = 11,    /* s1 path, s2 tmpfs data */
    BERTH_OP_READONLY_PATH = 12,/* s1 path, a extra remount flags */
    BERTH_OP_SETHOSTNAME = 13,  /* s1 */
    BERTH_OP_SETDOMAINNAME = 14,/* s1 */
    BERTH_OP_SETRLIMIT = 15,    /* a resource, b soft, c hard */
    BERTH_OP_CHDIR = 16,        /* s1 */
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
    BERTH_OP_OPEN_SLOT = 28,    /* s1 path, a open flags, b mode, flags slot */
    BERTH_OP_WAIT_SLOT = 29,    /* flags slot: read one byte, then close */
    BERTH_OP_CHECK_EXEC = 30,   /* v1 candidate paths */
    BERTH_OP_CLOSE_FROM = 31,   /* a first fd to mark close-on-exec */
    BERTH_OP_SETSID = 32,
    BERTH_OP_DUP2 = 33,         /* flags slot, a target fd */
    BERTH_OP_IOCTL_SLOT = 34,   /* flags slot, a request, p argument */
    BERTH_OP_EXEC = 35,         /* v1 candidate paths, v2 argv, v3 envp */
    BERTH_OP_FORK = 36,         /* fork; the parent reports the child's pid and exits */
    BERTH_OP_REPORT_READY = 37, /* tell the runtime that setup succeeded */
    BERTH_OP_UNSHARE = 38,      /* a flags */
    BERTH_OP_SYNC = 39,         /* report SYNC, then wait for the parent: a 4-byte length and that many bytes (hook state) */
    BERTH_OP_PTY_PEER = 41,     /* slots[flags] = the peer (slave) of the pty master in slots[a] */
    BERTH_OP_SEND_SLOT = 42,    /* report FD with slots[flags] attached (SCM_RIGHTS), then close it */
    BERTH_OP_RUN_HOOK = 40,
    BERTH_OP_NEW_KEYRING = 43,
    BERTH_OP_WAIT_PARENT = 44,
    BERTH_OP_SET_DUMPABLE = 46, /* a 0/1: prctl(PR_SET_DUMPABLE); execve makes an ordinary program dumpable again */
    BERTH_OP_JOIN_CGROUP = 45,  /* write "0" to the cgroup v1 "tasks" file s1: moves this (single-threaded) process */  /* read one byte: the parent has put this process in its cgroups */  /* join a new session keyring named s1 */     /* s1 path, v2 argv, v3 envp, b timeout ms (0: none); stdin is the state from SYNC */
};

struct berth_op {
    int32_t kind;
    int32_t flags;
    int64_t a, b, c;
    const char *s1, *s2, *s3, *s4;
    const char *const *v1, *const *v2, *const *v3;
    const void *p;
};

struct berth_spawn {
    int32_t clone_flags;
    int32_t parent_death_signal;
    int32_t op_count;
    int32_t close_fd;           /* an fd of the parent's the child must not keep (the state lock); -1 for none */
    int32_t cgroup_fd;          /* a cgroup2 directory to create the child in (clone3 CLONE_INTO_CGROUP); -1 for none */
    int32_t reserved;
    const struct berth_op *ops;
};

enum berth_report_kind {
    BERTH_REPORT_READY = 1,
    BERTH_REPORT_FAILED = 2,
    BERTH_REPORT_PID = 3,
    BERTH_REPORT_SYNC = 4,
    BERTH_REPORT_FD = 5,
};

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
#endif
