/* uiccboot host tool: bounded reads and atomic writes. */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tool_read_bounded(const char *path, uint8_t *buf, size_t cap, size_t *out_len)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    size_t n = 0;

    if (f == NULL) {
        tool_err("cannot open %s: %s", path, strerror(errno));
        return TOOL_IO;
    }
    /* A card file is at most UCB_BOOTSTRAP_MAX bytes: never read further than
     * the caller's limit, whatever the size of the file. */
    while (n < cap) {
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    if (ferror(f)) {
        int e = errno;
        if (!is_stdin)
            fclose(f);
        tool_err("cannot read %s: %s", path, strerror(e));
        return TOOL_IO;
    }
    if (!is_stdin)
        fclose(f);
    *out_len = n;
    return TOOL_OK;
}

int tool_read_all(const char *path, size_t max, char **out, size_t *out_len)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = TOOL_OK;

    if (f == NULL) {
        tool_err("cannot open %s: %s", path, strerror(errno));
        return TOOL_IO;
    }
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            char *nbuf;
            if (cap > max) {
                tool_err("%s: larger than %zu bytes", path, max);
                rc = TOOL_INVALID;
                break;
            }
            nbuf = realloc(buf, ncap + 1);
            if (nbuf == NULL) {
                tool_err("%s: out of memory", path);
                rc = TOOL_IO;
                break;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                tool_err("cannot read %s: %s", path, strerror(errno));
                rc = TOOL_IO;
            } else if (n > max) {
                tool_err("%s: larger than %zu bytes", path, max);
                rc = TOOL_INVALID;
            }
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (rc != TOOL_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return TOOL_OK;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int tool_write_atomic(const char *path, const uint8_t *data, size_t len)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof(".tmp"));
    int fd, e;

    if (tmp == NULL) {
        tool_err("cannot write %s: out of memory", path);
        return TOOL_IO;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", sizeof(".tmp"));

    /* Write beside the target and rename over it: a reader (or a crash)
     * sees the old file or the whole new one, never half of it. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        tool_err("cannot write %s (via %s): %s", path, tmp, strerror(errno));
        free(tmp);
        return TOOL_IO;
    }
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        e = errno;
        close(fd);
        goto fail;
    }
    if (close(fd) != 0) {
        e = errno;
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        goto fail;
    }
    free(tmp);
    return TOOL_OK;

fail:
    unlink(tmp);
    tool_err("cannot write %s: %s", path, strerror(e));
    free(tmp);
    return TOOL_IO;
}
