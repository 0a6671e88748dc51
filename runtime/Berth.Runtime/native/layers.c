/*
 * layers.c — a root stacked from stored layers (root.image, root.layers) as a detached mount, made by berth on the host
 * before clone and attached by the child in the container's own mount namespace only.
 *
 * Nothing is ever mounted on the host: overlayfs gets every layer by descriptor (no option string, no path walked
 * again), the container's writable layer is a tmpfs of its own that no name on the host reaches, and the whole stack
 * goes away with the container's mount namespace. A berth killed at any moment leaves no mount behind.
 */
#include "berth_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static int set_fd(int ctx, const char *key, int fd)
{
    return (int)syscall(SYS_fsconfig, ctx, FSCONFIG_SET_FD, key, NULL, fd);
}

/* The container's writable layer: a fresh tmpfs, detached (*mnt), with upper/ (the container's "/", 0755) and work/.
 * The caller keeps *mnt open until overlayfs has taken its private clone of it: a detached mount whose last
 * descriptor is closed is dissolved, and overlayfs then refuses the upper directory. */
static int writable_layer(int *mnt_out, int *upper, int *work)
{
    int ctx = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
    if (ctx < 0)
        return -1;
    int mnt = -1;
    if (syscall(SYS_fsconfig, ctx, FSCONFIG_SET_STRING, "mode", "0700", 0) == 0
        && syscall(SYS_fsconfig, ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
        mnt = (int)syscall(SYS_fsmount, ctx, FSMOUNT_CLOEXEC, 0);
    close_keep_errno(ctx);
    if (mnt < 0)
        return -1;
    *mnt_out = mnt;
    int rc = -1;
    if (mkdirat(mnt, "upper", 0755) == 0 && mkdirat(mnt, "work", 0700) == 0) {
        *upper = openat(mnt, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        *work = *upper < 0 ? -1 : openat(mnt, "work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        rc = *work < 0 ? -1 : 0;
    }
    return rc;
}

/*
 * Stacks `count` stored layers (host paths, topmost first) into a detached mount: overlayfs with the writable layer on
 * top (writable), or the layers alone, read-only (one layer: a read-only clone of its directory, overlayfs wanting two
 * lower layers without an upper one). Returns the mount's descriptor, or -errno with *step saying what failed:
 * -1 the writable layer, 0..count-1 that layer, count the writable layer given to overlayfs, count + 1 the overlay.
 */
int berth_stack_layers(const char *const *layers, int count, int writable, int *step)
{
    *step = count + 1;
    if (!writable && count == 1) {
        *step = 0;
        int tree = (int)syscall(SYS_open_tree, AT_FDCWD, layers[0], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0)
            return -errno;
        struct mount_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
            int err = errno;
            close(tree);
            return -err;
        }
        return tree;
    }
    int tmpfs = -1, upper = -1, work = -1, ctx = -1, mnt = -1;
    if (writable && writable_layer(&tmpfs, &upper, &work) < 0) {
        *step = -1;
        goto out;
    }
    ctx = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
    if (ctx < 0)
        goto out;
    for (int i = 0; i < count; i++) {
        int layer = open(layers[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int rc = layer < 0 ? -1 : set_fd(ctx, "lowerdir+", layer);
        close_keep_errno(layer);
        if (rc < 0) {
            *step = i;
            goto out;
        }
    }
    if (writable && (set_fd(ctx, "upperdir", upper) < 0 || set_fd(ctx, "workdir", work) < 0)) {
        *step = count;
        goto out;
    }
    if (syscall(SYS_fsconfig, ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
        mnt = (int)syscall(SYS_fsmount, ctx, FSMOUNT_CLOEXEC, 0);
out:;
    int err = mnt < 0 ? errno : 0;
    close_keep_errno(ctx);
    close_keep_errno(upper);
    close_keep_errno(work);
    close_keep_errno(tmpfs); /* overlayfs holds its own private clone of it now */
    return mnt < 0 ? -err : mnt;
}

/* In the child, in its own mount namespace (the host's mounts already made slaves or private): the stack berth made
 * (op->a) goes onto the empty directory s1 in the container's state directory, which becomes the rootfs. */
int attach_layers(const struct berth_op *op)
{
    int target = open(op->s1, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (target < 0)
        return -1;
    int rc = (int)syscall(SYS_move_mount, (int)op->a, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    close_keep_errno(target);
    close_keep_errno((int)op->a);
    return rc;
}
