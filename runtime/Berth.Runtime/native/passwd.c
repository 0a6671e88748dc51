/*
 * passwd.c — HOME for a process whose config sets none, the way runc finds it: the home field of the first line of
 * the container's passwd(5) file (name:password:uid:gid:gecos:home:shell) whose uid field is the process's uid. Lines
 * are trimmed and empty ones skipped; a line that ends before the home field gives an empty home; no line, no readable
 * file: the fallback. The child reads the file itself, after pivot_root and while still root: no round trip to berth.
 */
#include "berth_internal.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

/* A container may make the file as large as it likes: it is read this far, no further. */
#define PASSWD_LIMIT (16u << 20)

static int is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The field after `count` colons in [p, end), or NULL when the line has fewer fields. */
static const char *field(const char *p, const char *end, int count, size_t *len)
{
    for (; count > 0; p++) {
        if (p >= end)
            return NULL;
        if (*p == ':')
            count--;
    }
    const char *e = memchr(p, ':', (size_t)(end - p));
    *len = (size_t)((e ? e : end) - p);
    return p;
}

const char *passwd_find_home(const char *buf, size_t size, uint32_t uid, size_t *home_len)
{
    const char *end = buf + size;
    for (const char *line = buf; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *stop = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        while (line < stop && is_space(*line))
            line++;
        while (stop > line && is_space(stop[-1]))
            stop--;
        size_t n;
        const char *id = field(line, stop, 2, &n);
        if (id && n > 0 && n <= 10) {
            uint64_t v = 0;
            size_t i = 0;
            while (i < n && id[i] >= '0' && id[i] <= '9')
                v = v * 10 + (uint64_t)(id[i++] - '0');
            if (i == n && v <= UINT32_MAX && (uint32_t)v == uid) {
                const char *home = field(line, stop, 5, home_len);
                if (!home) {
                    *home_len = 0;
                    return line;
                }
                return home;
            }
        }
        line = next;
    }
    return NULL;
}

int passwd_home_entry(const char *path, uint32_t uid, const char *fallback, const char **entry)
{
    char *buf = mmap(NULL, PASSWD_LIMIT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (buf == MAP_FAILED)
        return -1;
    size_t size = 0;
    int fd = in_root_open_regular(path);
    if (fd >= 0) {
        while (size < PASSWD_LIMIT) {
            ssize_t n = read(fd, buf + size, PASSWD_LIMIT - size);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            size += (size_t)n;
        }
        close(fd);
    }
    size_t len = 0;
    const char *home = fd >= 0 ? passwd_find_home(buf, size, uid, &len) : NULL;
    if (!home) {
        home = fallback;
        len = strlen(fallback);
    }
    char *out = mmap(NULL, len + 6, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (out == MAP_FAILED) {
        munmap(buf, PASSWD_LIMIT);
        return -1;
    }
    memcpy(out, "HOME=", 5);
    memcpy(out + 5, home, len);
    out[len + 5] = '\0';
    munmap(buf, PASSWD_LIMIT);
    *entry = out;
    return 0;
}
