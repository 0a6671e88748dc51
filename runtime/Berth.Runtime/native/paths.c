/*
 * paths.c — the container boundary for paths. Every path inside the container's root is resolved here, at the moment
 * it is used (after the mounts before it exist), inside the root, and acted on through the descriptor that the
 * resolution returned: mknodat/symlinkat/mkdirat below a resolved parent, fchdir to a resolved directory, mounts onto
 * "self/fd/N" of berth's own procfs handle or with the new mount API. A string is never walked twice. What to
 * resolve, and why, is decided by the plan (C#); this file only resolves and acts.
 */
#include "berth_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

static int proc_fd = -1; /* the host's procfs, opened before the config has any say, checked to be procfs */
static int root_fd = -1; /* the container's root */
static int home_fd = -1; /* where the working directory goes back to after mounts through proc_fd */
static int cwd_at_proc;  /* the working directory is proc_fd (between mounts); paths_home() puts it back */
static int null_fd = -1; /* the container's /dev/null, once checked to be char 1:3 (masking reuses it) */
int paths_force_walk;    /* set by the tests' switch: resolve by the O_NOFOLLOW walk even where openat2 exists */

/* The directory the last mkdir-all ended on, or the last parent a node or link was made in, handed to the operation
 * right after it: a mount point just found or made is mounted on through the descriptor that found it, and nodes made
 * one after another in one directory (/dev) share its resolution. Only the very next operations can take it: every
 * other kind of operation drops it (paths_forget, from spawn.c), and a mount or bind takes it only once, so that what
 * it resolves after mounting is the new mount. */
static int handoff_fd = -1;
static char handoff_path[PATH_MAX + 1];
static size_t handoff_len;
static int handoff_nosym;

/* close(2) of a descriptor that may be -1, errno kept for the caller's report (shared: berth_internal.h). */
void close_keep_errno(int fd)
{
    int saved = errno;
    if (fd >= 0)
        close(fd);
    errno = saved;
}

int paths_open_proc(void)
{
    int fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct statfs sf;
    struct stat st;
    /* The root of a real procfs (inode 1), not a directory that something was mounted or bound over. */
    if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC || fstat(fd, &st) < 0 || st.st_ino != 1) {
        close(fd);
        errno = BERTH_ERR_NOT_PROCFS;
        return -1;
    }
    proc_fd = fd;
    home_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    return 0;
}

/* "self/fd/N": the name, below proc_fd, of descriptor fd. */
static void fd_name(int fd, char buf[32])
{
    char digits[12];
    int n = 0;
    unsigned v = (unsigned)fd;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    memcpy(buf, "self/fd/", 8);
    for (int i = 0; i < n; i++)
        buf[8 + i] = digits[n - 1 - i];
    buf[8 + n] = '\0';
}

/* mount(2) takes only path strings: run it with the working directory at proc_fd, so that "self/fd/N" reaches our
 * descriptors through our own procfs and never through a /proc that the container can shape. */
static int mount_fds(int source_fd, const char *source, int target_fd, const char *type, unsigned long flags, const void *data)
{
    char src[32], dst[32];
    if (source_fd >= 0) {
        fd_name(source_fd, src);
        source = src;
    }
    fd_name(target_fd, dst);
    /* The working directory stays at proc_fd from one mount to the next; paths_home() puts it back before anything
       that depends on it (hooks, pivot_root, the process's own chdir). */
    if (!cwd_at_proc && fchdir(proc_fd) < 0)
        return -1;
    cwd_at_proc = 1;
    return mount(source, dst, type, flags, data);
}

/* createContainer hooks run with the working directory at the container's root (before pivot_root), as runc's. */
int paths_chdir_root(void)
{
    cwd_at_proc = 0;
    return fchdir(root_fd);
}

void paths_home(void)
{
    if (cwd_at_proc && home_fd >= 0)
        (void)fchdir(home_fd);
    cwd_at_proc = 0;
}

/* A symbolic link on procfs other than the plain ones is a magic link (fd/N, cwd, root, exe, ns/...). */
static int is_magic_link(int dir, const char *name)
{
    struct statfs sf;
    if (fstatfs(dir, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
        return 0;
    return strcmp(name, "self") != 0 && strcmp(name, "thread-self") != 0 && strcmp(name, "mounts") != 0 && strcmp(name, "net") != 0;
}

/*
 * Where the kernel has no openat2: one component at a time with O_NOFOLLOW; symbolic links are read and followed by
 * hand with the root as "/"; ".." stops at the root; magic links are refused, as RESOLVE_NO_MAGICLINKS does.
 */
static int walk_in_root(int root, const char *path, int flags, int nosym)
{
    char work[PATH_MAX + 1];
    size_t len = strlen(path);
    if (len > PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(work, path, len + 1);
    struct stat root_st;
    if (fstat(root, &root_st) < 0)
        return -1;
    int cur = fcntl(root, F_DUPFD_CLOEXEC, 0);
    if (cur < 0)
        return -1;
    int links = 0;
    char *p = work;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *end = p;
        while (*end && *end != '/')
            end++;
        char name[NAME_MAX + 1];
        size_t n = (size_t)(end - p);
        if (n > NAME_MAX) {
            close(cur);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        p = end;
        if (strcmp(name, ".") == 0)
            continue;
        if (strcmp(name, "..") == 0) {
            struct stat st;
            if (fstat(cur, &st) < 0 || (st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino))
                continue;
            int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
            close(cur);
            if (up < 0)
                return -1;
            cur = up;
            continue;
        }
        int next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (next < 0 || fstat(next, &st) < 0) {
            close_keep_errno(next);
            close_keep_errno(cur);
            return -1;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX + 1];
            ssize_t t = -1;
            if (!nosym && ++links <= 40 && !is_magic_link(cur, name))
                t = readlinkat(next, "", target, PATH_MAX);
            close(next);
            size_t rest = strlen(p);
            if (t <= 0 || (size_t)t + rest + 1 > PATH_MAX) {
                close(cur);
                errno = t == 0 ? ENOENT : ELOOP;
                return -1;
            }
            /* The link's target, then what was left of the path. */
            memmove(work + t, p, rest + 1);
            memcpy(work, target, (size_t)t);
            p = work;
            if (target[0] == '/') {
                close(cur);
                cur = fcntl(root, F_DUPFD_CLOEXEC, 0);
                if (cur < 0)
                    return -1;
            }
            continue;
        }
        close(cur);
        cur = next;
    }
    struct stat st;
    if ((flags & O_DIRECTORY) && (fstat(cur, &st) < 0 || !S_ISDIR(st.st_mode))) {
        close(cur);
        errno = ENOTDIR;
        return -1;
    }
    if (flags & O_PATH)
        return cur;
    /* Reopen the resolved file with the flags asked for, through our own descriptor. */
    char self[32];
    fd_name(cur, self);
    int fd = openat(proc_fd, self, (flags & ~O_NOFOLLOW) | O_CLOEXEC);
    close_keep_errno(cur);
    return fd;
}

/* A container path without its leading and trailing slashes ("" is the root): how the handoff compares paths. */
static const char *trimmed(const char *path, size_t *len)
{
    while (*path == '/')
        path++;
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] == '/')
        n--;
    *len = n;
    return path;
}

void paths_forget(void)
{
    close_keep_errno(handoff_fd);
    handoff_fd = -1;
}

/* Keeps fd (a directory resolved in the root, O_PATH) as the handoff for path; the handoff owns it from here. */
void paths_keep_dir(const char *path, int fd, int nosym)
{
    paths_forget();
    size_t len;
    const char *p = trimmed(path, &len);
    if (fd < 0 || len > PATH_MAX) {
        close_keep_errno(fd);
        return;
    }
    memcpy(handoff_path, p, len);
    handoff_len = len;
    handoff_nosym = nosym;
    handoff_fd = fd;
}

/* The handoff, if it is for this path and was resolved at least as strictly as asked, as a directory opened O_PATH. */
static int handoff_take(const char *path, int flags, int nosym)
{
    if (handoff_fd < 0 || (flags & ~(O_PATH | O_DIRECTORY)) != 0 || !(flags & O_PATH) || nosym > handoff_nosym)
        return -1;
    size_t len;
    const char *p = trimmed(path, &len);
    if (len != handoff_len || memcmp(p, handoff_path, len) != 0)
        return -1;
    int fd = handoff_fd;
    handoff_fd = -1;
    return fd;
}

static int resolve(int dir, const char *path, int flags, int nosym)
{
    while (*path == '/')
        path++;
    if (!*path)
        path = ".";
    if (paths_force_walk)
        return walk_in_root(dir, path, flags, nosym);
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (nosym ? RESOLVE_NO_SYMLINKS : 0);
    for (int tries = 0;; tries++) {
        long fd = syscall(SYS_openat2, dir, path, &how, sizeof how);
        if (fd >= 0)
            return (int)fd;
        /* EAGAIN: a rename raced with ".." — the kernel asks to try again. */
        if (errno == EAGAIN && tries < 64)
            continue;
        /* ENOSYS: no openat2 in this kernel. EPERM: a seccomp profile loaded before this point (as runc loads it,
           before the user change, when neither no_new_privs nor CAP_SYS_ADMIN remains) that does not list openat2.
           Either way the O_NOFOLLOW walk, made of calls every profile allows, does the same. */
        if (errno == ENOSYS || errno == EPERM) {
            paths_force_walk = 1;
            return walk_in_root(dir, path, flags, nosym);
        }
        return -1;
    }
}

int in_root_open(const char *path, int flags, int nosym)
{
    if (root_fd < 0) {
        errno = EBADF;
        return -1;
    }
    int fd = handoff_take(path, flags, nosym);
    return fd >= 0 ? fd : resolve(root_fd, path, flags, nosym);
}

int paths_set_root(const char *host_path)
{
    int fd = open(host_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    close_keep_errno(root_fd);
    root_fd = fd;
    return 0;
}

/* The next space-separated field of a mountinfo line, unescaped in place (the kernel writes space, tab, newline and
 * backslash as \ooo). */
static char *mountinfo_field(char **cursor)
{
    char *p = *cursor;
    while (*p == ' ')
        p++;
    char *start = p, *out = p;
    while (*p && *p != ' ') {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
            *out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 4;
        } else
            *out++ = *p++;
    }
    int more = *p != '\0';
    *out = '\0';
    *cursor = more ? p + 1 : p;
    return start;
}

/*
 * --no-pivot: chroot leaves the mount namespace's other mounts in place, and the kernel lets a process mount a new
 * procfs or sysfs wherever a full one is visible in its namespace, unmasked. So, as runc does, every full proc and
 * sysfs mount outside the rootfs is detached first (made a slave so that nothing reaches the host), or covered with
 * an empty tmpfs where it cannot be detached. The mount table is this (private) namespace's, read through our procfs
 * handle; the list is read whole before anything changes.
 */
static int hide_host_pseudo_fs(const char *rootfs)
{
    int fd = openat(proc_fd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t cap = 1 << 20, len = 0;
    char *buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (buf == MAP_FAILED) {
        close(fd);
        return -1;
    }
    for (ssize_t n; len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0;)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    size_t rootfs_len = strlen(rootfs);
    int rc = 0;
    for (char *line = buf; rc == 0 && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        /* id parent major:minor root mountpoint options [optional...] - fstype source superoptions */
        char *cursor = line;
        char *fields[5];
        for (int i = 0; i < 5; i++)
            fields[i] = mountinfo_field(&cursor);
        char *dash = strstr(cursor, " - ");
        char *fstype = NULL;
        if (dash) {
            char *c = dash + 3;
            fstype = mountinfo_field(&c);
        }
        const char *root = fields[3], *point = fields[4];
        int inside = strncmp(point, rootfs, rootfs_len) == 0 && (point[rootfs_len] == '/' || point[rootfs_len] == '\0');
        if (fstype && strcmp(root, "/") == 0 && (strcmp(fstype, "proc") == 0 || strcmp(fstype, "sysfs") == 0) && !inside) {
            if (mount("", point, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
                if (errno != ENOENT) /* gone with a parent detached before it */
                    rc = -1;
            } else if (umount2(point, MNT_DETACH) < 0) {
                if ((errno != EINVAL && errno != EPERM) || mount("tmpfs", point, "tmpfs", 0, NULL) < 0)
                    rc = -1;
            }
        }
        line = next;
    }
    munmap(buf, cap);
    return rc;
}

int paths_pivot(int no_pivot, const char *host_path, unsigned long old_root_propagation)
{
    cwd_at_proc = 0;
    if (fchdir(root_fd) < 0)
        return -1;
    if (no_pivot && !host_path) {
        /* No mount namespace of the container's own: nothing to move, the root is only changed (as runc does). */
        if (chroot(".") < 0)
            return -1;
    } else if (no_pivot) {
        if (hide_host_pseudo_fs(host_path) < 0 || fchdir(root_fd) < 0 || mount(host_path, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
            return -1;
    } else {
        /* The old root, by descriptor: after pivot_root(".", ".") it is stacked on the new root, where "." names the
           new root to mount(2) and the old one only to umount2(2). */
        int old_root = old_root_propagation ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
        if (old_root_propagation && old_root < 0)
            return -1;
        int rc = (int)syscall(SYS_pivot_root, ".", ".");
        if (rc == 0 && old_root >= 0)
            rc = mount_fds(-1, NULL, old_root, NULL, old_root_propagation, NULL);
        close_keep_errno(old_root);
        cwd_at_proc = 0;
        if (rc < 0 || fchdir(root_fd) < 0 || umount2(".", MNT_DETACH) < 0)
            return -1;
    }
    if (chdir("/") < 0)
        return -1;
    close_keep_errno(home_fd);
    home_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    return home_fd < 0 ? -1 : 0;
}

/* Opens the directory that holds the last component of path (created when `create`), and copies that component. */
static int open_parent(const char *path, char name[NAME_MAX + 1], int create)
{
    char dir[PATH_MAX + 1];
    size_t len = strlen(path);
    while (len > 0 && path[len - 1] == '/')
        len--;
    size_t slash = len;
    while (slash > 0 && path[slash - 1] != '/')
        slash--;
    size_t n = len - slash;
    if (n == 0 || n > NAME_MAX || slash > PATH_MAX) {
        errno = n == 0 ? EINVAL : ENAMETOOLONG;
        return -1;
    }
    memcpy(name, path + slash, n);
    name[n] = '\0';
    memcpy(dir, path, slash);
    dir[slash] = '\0';
    int fd = create ? in_root_mkdir_all(dir, 0755, 0) : in_root_open(dir, O_PATH | O_DIRECTORY, 0);
    /* The next node or link is likely made in the same directory (/dev/null, /dev/zero, ...). */
    if (fd >= 0)
        paths_keep_dir(dir, fcntl(fd, F_DUPFD_CLOEXEC, 0), 0);
    return fd;
}

/* links: how many dangling links were followed so far; like the kernel, berth gives up after 40. */
static int mkdir_all(const char *path, mode_t mode, int nosym, int links)
{
    int fd = in_root_open(path, O_PATH | O_DIRECTORY, nosym);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char buf[PATH_MAX + 1];
    while (*path == '/')
        path++;
    size_t len = strlen(path);
    if (len > PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    /* The longest prefix that exists, resolved in the root; below it nothing exists, so nothing can be a link. */
    size_t end = len;
    int dir;
    for (;;) {
        while (end > 0 && buf[end - 1] != '/')
            end--;
        size_t cut = end;
        while (cut > 0 && buf[cut - 1] == '/')
            cut--;
        if (cut == 0) {
            dir = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
            end = 0;
            break;
        }
        buf[cut] = '\0';
        dir = in_root_open(buf, O_PATH | O_DIRECTORY, nosym);
        buf[cut] = '/';
        if (dir >= 0)
            break;
        if (errno != ENOENT)
            return -1;
        end = cut;
    }
    if (dir < 0)
        return -1;
    char *p = buf + end;
    int first = 1;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *e = p;
        while (*e && *e != '/')
            e++;
        char saved = *e;
        *e = '\0';
        if (strcmp(p, "..") == 0 || strcmp(p, ".") == 0) {
            close(dir);
            errno = ENOENT;
            return -1;
        }
        int made = mkdirat(dir, p, mode) == 0;
        if (!made && errno == EEXIST && first && !nosym) {
            /* Resolution said it was missing, yet it exists: a link whose target does not exist yet (/var/run ->
               /run/x). Create the target, inside the root, as runc does; the target stands in for the link. */
            char target[PATH_MAX + 1];
            ssize_t t = readlinkat(dir, p, target, PATH_MAX);
            if (t > 0) {
                close(dir);
                *e = saved;
                size_t rest = strlen(e), prefix = (size_t)(p - buf);
                if (++links > 40 || (size_t)t + prefix + rest + 1 > PATH_MAX) {
                    errno = ELOOP;
                    return -1;
                }
                char next[PATH_MAX + 1];
                size_t n = 0;
                if (target[0] != '/') {
                    memcpy(next, buf, prefix); /* relative: from the directory that holds the link */
                    n = prefix;
                }
                memcpy(next + n, target, (size_t)t);
                memcpy(next + n + (size_t)t, e, rest + 1);
                return mkdir_all(next, mode, nosym, links);
            }
            errno = EEXIST;
        }
        first = 0;
        /* O_NOFOLLOW: a link that appeared since is refused, not followed. */
        int next = -1;
        if (made || errno == EEXIST)
            next = openat(dir, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close_keep_errno(dir);
        if (next < 0)
            return -1;
        dir = next;
        *e = saved;
        p = e;
    }
    return dir;
}

int in_root_mkdir_all(const char *path, mode_t mode, int nosym)
{
    return mkdir_all(path, mode, nosym, 0);
}

int in_root_create_file(const char *path, mode_t mode)
{
    char name[NAME_MAX + 1];
    int dir = open_parent(path, name, 1);
    if (dir < 0)
        return -1;
    int fd = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
    int rc = fd >= 0 || errno == EEXIST ? 0 : -1;
    close_keep_errno(fd);
    close_keep_errno(dir);
    return rc;
}

int in_root_mknod(const struct berth_op *op)
{
    char name[NAME_MAX + 1];
    mode_t mode = (mode_t)op->a;
    dev_t dev = (dev_t)op->b;
    int dir = open_parent(op->s1, name, 1);
    if (dir < 0)
        return -1;
    if (mknodat(dir, name, mode, dev) < 0) {
        int err = errno;
        close(dir);
        if (err == EEXIST && (op->flags & BERTH_EEXIST_OK))
            return 0; /* whatever is there stays as it is: neither chmod nor chown follows it */
        errno = err;
        return -1;
    }
    int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    close_keep_errno(dir);
    if (fd < 0)
        return -1;
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) < 0)
        goto out;
    if ((st.st_mode & S_IFMT) != (mode & S_IFMT) || (!S_ISFIFO(mode) && st.st_rdev != dev)) {
        errno = BERTH_ERR_NOT_DEVICE;
        goto out;
    }
    char self[32];
    fd_name(fd, self);
    /* The mode the config asked for, not the umask's; then the owner, both on the node just made. */
    if (fchmodat(proc_fd, self, mode & 07777, 0) < 0)
        goto out;
    uint64_t owner = (uint64_t)op->c;
    rc = fchownat(fd, "", (uid_t)(owner >> 32), (gid_t)(owner & 0xffffffffu), AT_EMPTY_PATH);
out:
    close_keep_errno(fd);
    return rc;
}

int in_root_symlink(const char *target, const char *path)
{
    char name[NAME_MAX + 1];
    int dir = open_parent(path, name, 1);
    if (dir < 0)
        return -1;
    int rc = symlinkat(target, dir, name) == 0 || errno == EEXIST ? 0 : -1;
    close_keep_errno(dir);
    return rc;
}

int in_root_mount(const struct berth_op *op)
{
    int nosym = (op->flags & BERTH_PATH_NO_SYMLINKS) != 0;
    int target = in_root_open(op->s2, O_PATH | ((op->flags & BERTH_PATH_DIRECTORY) ? O_DIRECTORY : 0), nosym);
    if (target < 0)
        return -1;
    int rc = mount_fds(-1, op->s1, target, op->s3, (unsigned long)op->a, op->s4);
    close_keep_errno(target);
    if (rc < 0 || !op->d)
        return rc;
    /* The propagation belongs to the new mount: resolve again, which now ends on it, and check that it does. */
    int top = in_root_open(op->s2, O_PATH, nosym);
    if (top < 0)
        return -1;
    rc = mount_fds(-1, NULL, top, NULL, (unsigned long)op->d, NULL);
    close_keep_errno(top);
    return rc;
}

/* MOUNT_ATTR_* as the legacy remount flags, for kernels without mount_setattr. */
static unsigned long legacy_flags(uint64_t attr)
{
    unsigned long flags = 0;
    if (attr & MOUNT_ATTR_RDONLY) flags |= MS_RDONLY;
    if (attr & MOUNT_ATTR_NOSUID) flags |= MS_NOSUID;
    if (attr & MOUNT_ATTR_NODEV) flags |= MS_NODEV;
    if (attr & MOUNT_ATTR_NOEXEC) flags |= MS_NOEXEC;
    if (attr & MOUNT_ATTR_NODIRATIME) flags |= MS_NODIRATIME;
    if ((attr & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME) flags |= MS_NOATIME;
    if ((attr & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME) flags |= MS_STRICTATIME;
    return flags;
}

static int setattr(int fd, uint64_t set, uint64_t clear, uint64_t propagation, int recursive)
{
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = set;
    attr.attr_clr = clear;
    attr.propagation = propagation;
    return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr);
}

/* MOUNT_ATTR_* to set and to clear on a mount (top) and on every mount of its tree (recursive), and the propagation. */
struct bind_attrs {
    uint64_t set, clear, rec_set, rec_clear, propagation;
};

/* Binds a clone of `source` onto target with attributes set before it becomes visible, all through descriptors.
 * Returns 1 where the kernel lacks the new mount API (the caller then takes the legacy way). */
static int bind_tree(int source_fd, const char *source, int recursive, int target, const struct bind_attrs *at)
{
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
    int tree = source_fd >= 0 ? (int)syscall(SYS_open_tree, source_fd, "", flags | AT_EMPTY_PATH)
                              : (int)syscall(SYS_open_tree, AT_FDCWD, source, flags);
    if (tree < 0)
        return errno == ENOSYS ? 1 : -1;
    int rc = 0;
    if ((at->set || at->clear) && setattr(tree, at->set, at->clear, 0, 0) < 0)
        rc = errno == ENOSYS ? 1 : -1;
    /* The recursive ones after the top's, as runc orders them: "rro" wins over "rw" on the top mount too. */
    if (rc == 0 && (at->rec_set || at->rec_clear) && setattr(tree, at->rec_set, at->rec_clear, 0, 1) < 0)
        rc = -1;
    if (rc == 0)
        rc = (int)syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    /* Propagation once attached: tree is now the new mount itself, no path to walk again. */
    if (rc == 0 && at->propagation)
        rc = setattr(tree, 0, 0, at->propagation & ~(uint64_t)MS_REC, (at->propagation & MS_REC) != 0);
    close_keep_errno(tree);
    return rc;
}

/* Run by berth on the host before clone: a detached copy of the source's mount tree, with its attributes already set.
 * The child only attaches it (move_mount), so a user namespace need not reach the source (below a 0700 directory, say)
 * and no path is walked twice. Returns the tree's descriptor, or -errno (-ENOSYS: the child binds by path instead). */
int berth_bind_source(const char *path, int recursive, uint64_t set, uint64_t clear, uint64_t rec_set, uint64_t rec_clear)
{
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, path, flags);
    if (tree < 0)
        return -errno;
    /* The top mount's attributes, then those of every mount of the tree (runc's order: "rro" wins over "rw"). */
    if (((set || clear) && setattr(tree, set, clear, 0, 0) < 0) || ((rec_set || rec_clear) && setattr(tree, rec_set, rec_clear, 0, 1) < 0)) {
        int err = errno;
        close(tree);
        return -err;
    }
    return tree;
}

/*
 * The kernel lists a namespace's mounts by age, and a tree copied on the host before clone is older than every mount
 * the child makes: /proc/self/mountinfo would show a volume before the root. Once the tree is attached here, copy it
 * again (now in the container's namespace, so the copy is new), detach the old one and attach the copy in its place.
 * The copy keeps the attributes. *tree becomes the copy.
 */
static int renew_in_order(int *tree, int target, int recursive)
{
    /* Only the order is at stake: where the kernel will not copy or detach (a locked mount in a user namespace), the
       mount stays as attached. */
    int fresh = (int)syscall(SYS_open_tree, *tree, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
    if (fresh < 0)
        return 0;
    char self[32];
    fd_name(*tree, self);
    if ((!cwd_at_proc && fchdir(proc_fd) < 0) || umount2(self, MNT_DETACH) < 0) {
        close_keep_errno(fresh);
        return 0;
    }
    cwd_at_proc = 1;
    close_keep_errno(*tree);
    *tree = fresh;
    return (int)syscall(SYS_move_mount, fresh, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

int in_root_bind(const struct berth_op *op, const int *slots)
{
    int nosym = (op->flags & BERTH_PATH_NO_SYMLINKS) != 0;
    const int64_t *rec = op->p;
    struct bind_attrs at = { (uint64_t)op->b, (uint64_t)op->c, rec ? (uint64_t)rec[0] : 0, rec ? (uint64_t)rec[1] : 0, (uint64_t)op->d };
    int target = in_root_open(op->s2, O_PATH, nosym);
    if (target < 0)
        return -1;
    int recursive = (op->flags & BERTH_BIND_RECURSIVE) != 0;
    int rc;
    if (!(op->flags & BERTH_SOURCE_SLOT) && op->a >= 0) {
        /* A tree berth prepared on the host: attach it; propagation then on the attached mount itself. */
        int tree = (int)op->a;
        rc = (int)syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        if (rc == 0 && (op->flags & BERTH_BIND_IN_ORDER))
            rc = renew_in_order(&tree, target, recursive);
        if (rc == 0 && op->d)
            rc = setattr(tree, 0, 0, (uint64_t)op->d & ~(uint64_t)MS_REC, ((uint64_t)op->d & MS_REC) != 0);
        close_keep_errno(tree);
        close_keep_errno(target);
        return rc;
    }
    int source_fd = (op->flags & BERTH_SOURCE_SLOT) ? slots[op->flags & 0xff] : -1;
    rc = bind_tree(source_fd, op->s1, recursive, target, &at);
    if (rc == 1 && (at.rec_set || at.rec_clear)) {
        /* Attributes on every mount of a tree need mount_setattr (5.12): there is no legacy way. */
        errno = ENOSYS;
        rc = -1;
    }
    if (rc == 1) {
        /* No open_tree/mount_setattr (before 5.12): bind, then reach the new mount by resolving again. */
        rc = mount_fds(source_fd, op->s1, target, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL);
        if (rc == 0 && (op->b || op->d)) {
            int top = in_root_open(op->s2, O_PATH, nosym);
            rc = top < 0 ? -1 : 0;
            if (rc == 0 && op->b)
                rc = mount_fds(-1, NULL, top, NULL, MS_BIND | MS_REMOUNT | legacy_flags((uint64_t)op->b), NULL);
            if (rc == 0 && op->d)
                rc = mount_fds(-1, NULL, top, NULL, (unsigned long)op->d, NULL);
            close_keep_errno(top);
        }
    }
    close_keep_errno(target);
    return rc;
}

int in_root_mask(const struct berth_op *op)
{
    int target = in_root_open(op->s1, O_PATH, 0);
    if (target < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st;
    int rc = fstat(target, &st);
    if (rc == 0 && S_ISDIR(st.st_mode)) {
        rc = mount_fds(-1, "tmpfs", target, "tmpfs", MS_RDONLY, op->s2);
    } else if (rc == 0) {
        /* Only the null device may cover a file: a /dev/null that the container made a link or a file is refused.
           Once checked, the descriptor is the device whatever the name points at later, so the next mask reuses it. */
        if (null_fd < 0) {
            int null = in_root_open("/dev/null", O_PATH, 0);
            struct stat nst;
            if (null < 0 || fstat(null, &nst) < 0)
                rc = -1;
            else if (!S_ISCHR(nst.st_mode) || nst.st_rdev != makedev(1, 3)) {
                errno = BERTH_ERR_NOT_NULL_DEVICE;
                rc = -1;
            } else
                null_fd = null;
            if (rc < 0)
                close_keep_errno(null);
        }
        if (rc == 0)
            rc = mount_fds(null_fd, NULL, target, NULL, MS_BIND, NULL);
    }
    close_keep_errno(target);
    return rc;
}

int in_root_readonly(const struct berth_op *op)
{
    int root = (op->flags & BERTH_PATH_ROOT) != 0;
    int target = root ? fcntl(root_fd, F_DUPFD_CLOEXEC, 0) : in_root_open(op->s1, O_PATH, 0);
    if (target < 0)
        return !root && errno == ENOENT ? 0 : -1;
    /* The root is a mount of its own already (the rootfs bound onto itself): only its attributes change. */
    struct bind_attrs ro = { MOUNT_ATTR_RDONLY, 0, 0, 0, 0 };
    int rc = root ? setattr(target, MOUNT_ATTR_RDONLY, 0, 0, 0) : bind_tree(target, NULL, 1, target, &ro);
    if (rc < 0 && errno == ENOSYS)
        rc = 1;
    if (rc == 1) {
        rc = root ? 0 : mount_fds(target, NULL, target, NULL, MS_BIND | MS_REC, NULL);
        int top = rc == 0 ? (root ? fcntl(root_fd, F_DUPFD_CLOEXEC, 0) : in_root_open(op->s1, O_PATH, 0)) : -1;
        if (top >= 0) {
            /* Keep the flags the mount has (nosuid, nodev…): a user namespace may not clear locked ones. */
            char self[32];
            struct statvfs sv;
            unsigned long keep = 0;
            fd_name(top, self);
            if (fstatvfs(top, &sv) == 0)
                keep = sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
            rc = mount_fds(-1, NULL, top, NULL, keep | MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
            close_keep_errno(top);
        } else
            rc = -1;
    }
    close_keep_errno(target);
    return rc;
}

int in_root_chdir(const char *path)
{
    cwd_at_proc = 0;
    int dir = in_root_open(path, O_PATH | O_DIRECTORY, 0);
    if (dir < 0)
        return -1;
    if (fchdir(dir) < 0) {
        close_keep_errno(dir);
        return -1;
    }
    close_keep_errno(home_fd);
    home_fd = dir;
    /* The kernel names a working directory outside the process's root "(unreachable)...". */
    char buf[PATH_MAX];
    if (syscall(SYS_getcwd, buf, sizeof buf) < 0)
        return errno == ENAMETOOLONG ? 0 : -1;
    if (buf[0] != '/') {
        errno = BERTH_ERR_OUTSIDE_ROOT;
        return -1;
    }
    return 0;
}

int in_root_open_device(const char *path, int flags, uint64_t rdev)
{
    int fd = in_root_open(path, flags, 0);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || (rdev && st.st_rdev != (dev_t)rdev)) {
        close(fd);
        errno = BERTH_ERR_NOT_DEVICE;
        return -1;
    }
    return fd;
}

/* A regular file in the root, opened read-only: resolved as a path first, and opened only once it is known not to
 * be a device or a FIFO, through our own descriptor. Files of procfs and sysfs do not count: they describe the
 * process that reads them, which is still a copy of berth (its environment, its command line). */
int in_root_open_regular(const char *path)
{
    int at = in_root_open(path, O_PATH, 0);
    if (at < 0)
        return -1;
    struct stat st;
    struct statfs sf;
    int fd = -1;
    if (fstat(at, &st) == 0 && fstatfs(at, &sf) == 0) {
        if (S_ISREG(st.st_mode) && sf.f_type != PROC_SUPER_MAGIC && sf.f_type != SYSFS_MAGIC) {
            char self[32];
            fd_name(at, self);
            fd = openat(proc_fd, self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        } else
            errno = BERTH_ERR_NOT_REGULAR;
    }
    close_keep_errno(at);
    return fd;
}

int in_root_find_exec(const char *const *candidates, const char **found)
{
    int last = ENOENT;
    for (const char *const *c = candidates; c && *c; c++) {
        int fd = in_root_open(*c, O_PATH, 0);
        if (fd < 0) {
            if (errno != ENOENT && errno != ENOTDIR)
                last = errno;
            continue;
        }
        struct stat st;
        char self[32];
        fd_name(fd, self);
        /* The old faccessat system call, not faccessat2 (which glibc may pick): seccomp profiles list the old one. */
        int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && syscall(SYS_faccessat, proc_fd, self, X_OK) == 0;
        close(fd);
        if (ok) {
            *found = *c;
            return 0;
        }
        last = EACCES;
    }
    errno = last;
    return -1;
}

int proc_write(const char *path, const void *data, size_t len)
{
    /* Beneath the procfs handle only: no "..", no magic link, can take a write anywhere else. */
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    int fd = paths_force_walk ? -1 : (int)syscall(SYS_openat2, proc_fd, path, &how, sizeof how);
    if (fd < 0 && (paths_force_walk || errno == ENOSYS || errno == EPERM)) {
        if (strstr(path, "..")) {
            errno = EXDEV;
            return -1;
        }
        fd = openat(proc_fd, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0)
        return -1;
    int rc = write_full(fd, data, len);
    close_keep_errno(fd);
    return rc;
}
