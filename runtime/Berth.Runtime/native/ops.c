/*
 * ops.c — one operation of the plan, carried out by the container's first process between clone() and execve().
 * Mechanism only: the plan compiler (C#) chose every path, flag and order; path operations go through paths.c.
 */
#include "berth_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>

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

int run_op(const struct berth_op *op, int *slots)
{
    switch (op->kind) {
    case BERTH_OP_MOUNT:
        if (op->flags & BERTH_PATH_IN_ROOT)
            return in_root_mount(op);
        /* Host paths: the propagation of "/", the rootfs bound onto itself. */
        return mount(op->s1, op->s2, op->s3, (unsigned long)op->a, op->s4);
    case BERTH_OP_BIND:
        return in_root_bind(op, slots);
    case BERTH_OP_ATTACH_LAYERS:
        return attach_layers(op);
    case BERTH_OP_OPEN_ROOT:
        return paths_set_root(op->s1);
    case BERTH_OP_MKDIR_ALL:
    {
        int nosym = (op->flags & BERTH_PATH_NO_SYMLINKS) != 0;
        int fd = in_root_mkdir_all(op->s1, (mode_t)op->a, nosym);
        if (fd < 0)
            return -1;
        paths_keep_dir(op->s1, fd, nosym);
        return 0;
    }
    case BERTH_OP_CREATE_FILE:
        return in_root_create_file(op->s1, (mode_t)op->a);
    case BERTH_OP_MKNOD:
        return in_root_mknod(op);
    case BERTH_OP_SYMLINK:
        return in_root_symlink(op->s1, op->s2);
    case BERTH_OP_WRITE_FILE:
        return proc_write(op->s1, op->s2, (size_t)op->a);
    case BERTH_OP_PIVOT_ROOT:
        return paths_pivot(0, NULL, (unsigned long)op->a);
    case BERTH_OP_MOVE_ROOT:
        return paths_pivot(1, op->s1, 0);
    case BERTH_OP_MASK_PATH:
        return in_root_mask(op);
    case BERTH_OP_READONLY_PATH:
        return in_root_readonly(op);
    case BERTH_OP_SETHOSTNAME:
        return sethostname(op->s1, strlen(op->s1));
    case BERTH_OP_SETDOMAINNAME:
        return setdomainname(op->s1, strlen(op->s1));
    case BERTH_OP_SETRLIMIT: {
        struct rlimit rl = { (rlim_t)op->b, (rlim_t)op->c };
        return setrlimit((int)op->a, &rl);
    }
    case BERTH_OP_CHDIR:
        return in_root_chdir(op->s1);
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
    case BERTH_OP_NO_NEW_PRIVS:
        return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    case BERTH_OP_SECCOMP: {
        struct sock_fprog prog = { (unsigned short)op->a, (struct sock_filter *)op->p };
        if (op->b)
            return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned int)op->b, &prog);
        return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
    }
    case BERTH_OP_SETNS: {
        int rc = setns((int)op->a, (int)op->b);
        /* Opened by berth for this join only: not kept for the container. */
        int saved = errno;
        close((int)op->a);
        errno = saved;
        return rc;
    }
    case BERTH_OP_OPEN_SLOT: {
        int fd = (op->flags & BERTH_PATH_IN_ROOT) ? in_root_open_device(op->s1, (int)op->a, (uint64_t)op->c)
                                                  : open(op->s1, (int)op->a | O_CLOEXEC | O_NOFOLLOW, (mode_t)op->b);
        if (fd < 0)
            return -1;
        slots[op->flags & 0xff] = fd;
        return 0;
    }
    case BERTH_OP_WAIT_SLOT: {
        /* Blocks until `berth start` writes a byte into the exec fifo. */
        char c;
        ssize_t n;
        do
            n = read(slots[op->flags & 0xff], &c, 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EPIPE;
            return -1;
        }
        /* Left open (close-on-exec): when poststart hooks must follow, `start` waits for the fifo to hang up,
         * which tells it the process has left berth's image (its execve of the stage). */
        return 0;
    }
    case BERTH_OP_CHECK_EXEC: {
        const char *found;
        return in_root_find_exec(op->v1, &found);
    }
    case BERTH_OP_CLOSE_FROM:
        /* CLOSE_RANGE_CLOEXEC: the sync fd must stay open until execve reports success by closing. */
        return (int)syscall(SYS_close_range, (unsigned int)op->a, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    case BERTH_OP_SETSID:
        return setsid() < 0 ? -1 : 0;
    case BERTH_OP_DUP2:
        return dup2(slots[op->flags & 0xff], (int)op->a) < 0 ? -1 : 0;
    case BERTH_OP_IOCTL_SLOT:
        return ioctl(slots[op->flags & 0xff], (unsigned long)op->a, op->p);
    case BERTH_OP_PTY_PEER: {
        int peer = ioctl(slots[op->a], TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
            return -1;
        slots[op->flags & 0xff] = peer;
        return 0;
    }
    case BERTH_OP_NEW_KEYRING:
        /* KEYCTL_JOIN_SESSION_KEYRING = 1: the container must not see the host's session keys. */
        return syscall(SYS_keyctl, 1, op->s1) < 0 ? -1 : 0;
    case BERTH_OP_JOIN_CGROUP: {
        /* Moving oneself by writing "0" to "tasks" skips the kernel's global threadgroup lock, whose RCU grace
           period costs every runtime that writes a pid to cgroup.procs several milliseconds. */
        int cg = open(op->s1, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (cg < 0)
            return -1;
        int rc = write_full(cg, "0", 1);
        int saved = errno;
        close(cg);
        errno = saved;
        return rc;
    }
    case BERTH_OP_CHOWN_SLOT:
        return fchown(slots[op->flags & 0xff], (uid_t)op->a, (gid_t)op->b);
    case BERTH_OP_UNSHARE:
        return unshare((int)op->a);
    case BERTH_OP_EXEC: {
        const char *found;
        if (in_root_find_exec(op->v1, &found) < 0)
            return -1;
        return stage_execute(found, op->v2, op->v3, exec_extra_env);
    }
    default:
        errno = ENOSYS;
        return -1;
    }
}
