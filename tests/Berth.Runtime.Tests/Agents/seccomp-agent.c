/*
 * A seccomp agent for the tests: listens on a unix socket (argv[1]); for each connection, appends the message it got
 * (the container process's state) as one line to argv[2], and answers the notifications of the listener that came
 * with it: mkdir and mkdirat fail with EXDEV, everything else goes on (SECCOMP_USER_NOTIF_FLAG_CONTINUE). A listener
 * is served by a child of its own until no process uses the filter any more.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static void serve(int listener)
{
    for (;;) {
        struct pollfd p = { listener, POLLIN, 0 };
        if (poll(&p, 1, 30000) <= 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
            return;
        struct seccomp_notif req;
        struct seccomp_notif_resp resp;
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
            if (errno == EINTR || errno == ENOENT)
                continue;
            return;
        }
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        if (req.data.nr == SYS_mkdir || req.data.nr == SYS_mkdirat)
            resp.error = -EXDEV;
        else
            resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        (void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    signal(SIGCHLD, SIG_IGN);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
    unlink(argv[1]);
    if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 8) < 0) {
        perror("agent: listen");
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    for (;;) {
        int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        char message[8192];
        char control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { message, sizeof message - 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
        ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
        close(c);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        if (n <= 0 || !cmsg || cmsg->cmsg_type != SCM_RIGHTS)
            continue;
        int listener;
        memcpy(&listener, CMSG_DATA(cmsg), sizeof listener);
        message[n] = '\0';
        FILE *out = fopen(argv[2], "a");
        if (out) {
            fprintf(out, "%s\n", message);
            fclose(out);
        }
        if (fork() == 0) {
            serve(listener);
            _exit(0);
        }
        close(listener);
    }
}
