/* channel.c — the records the container's first process and berth exchange over their socket pair: fixed-size
 * reports (ready, failed at operation i with errno e, a pid, a sync point, an fd attached with SCM_RIGHTS), and the
 * go byte and hook-state blobs the other way. */
#include "berth_internal.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* Writes all of buf or fails; the sync channel carries fixed-size records. */
int write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends one fd with SCM_RIGHTS, with `data` as the message body. */
int send_with_fd(int sock, const void *data, size_t len, int fd)
{
    struct iovec iov = { (void *)data, len };
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

int berth_send_fd(int sock, int fd, const char *name)
{
    return send_with_fd(sock, name, strlen(name), fd) < 0 ? -errno : 0;
}

void report(int fd, int32_t kind, int32_t index, int32_t err, int32_t pid)
{
    struct berth_report r = { kind, index, err, pid };
    /* A report that cannot be written (a seccomp profile that denies write, say) must not leave berth waiting for
       it: the child ends, berth sees the channel close, and the exit status says why. */
    if (write_full(fd, &r, sizeof r) < 0)
        _exit(BERTH_EXIT_NO_REPORT);
}

/* Reads one report; a report may carry an fd (the pty master), returned in *received_fd (else -1). */
int berth_read_report(int fd, struct berth_report *r, int *received_fd)
{
    *received_fd = -1;
    struct iovec iov = { r, sizeof *r };
    char control[CMSG_SPACE(sizeof(int))];
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(received_fd, CMSG_DATA(c), sizeof(int));
    if (n == 0)
        return -EPIPE;
    /* A stream socket may split the record: read the rest plainly (no fd travels in the tail). */
    if ((size_t)n < sizeof *r && read_full(fd, (char *)r + n, sizeof *r - (size_t)n) < 0)
        return -(errno ? errno : EPIPE);
    return 0;
}

int berth_send_blob(int fd, const void *data, int32_t len)
{
    if (write_full(fd, &len, sizeof len) < 0 || write_full(fd, data, (size_t)len) < 0)
        return -errno;
    return 0;
}

int berth_send_go(int fd)
{
    char go = 1;
    return write_full(fd, &go, 1) < 0 ? -errno : 0;
}
