/*
 * The file store (host library). Atomic replace by the classic sequence:
 * write PATH.tmp, fsync it (its data is durable before any name points to
 * it), close, rename over PATH (atomic in POSIX: PATH names the old inode
 * or the new one), fsync the directory (the rename itself is durable
 * before save() reports success). The old file is never written, so
 * whatever a crash leaves of PATH.tmp, PATH is whole. load() still trusts
 * nothing it reads: size, magic, version and CRC are checked by
 * ucb_prov_deserialize().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* rename() only: this file prints nothing */
#include <string.h>
#include <unistd.h>

#include "uiccboot/err.h"
#include "uiccboot/store_file.h"

/* ---------------------------------------------------------------- POSIX io */

static int px_open(void *ctx, const char *path, int mode)
{
    (void)ctx;
    int flags = O_CLOEXEC;
    flags |= mode == UCB_STORE_FILE_WRITE ? (O_WRONLY | O_CREAT | O_TRUNC) : O_RDONLY;
    int fd;
    do
        fd = open(path, flags, 0600);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

static ptrdiff_t px_read(void *ctx, int h, uint8_t *buf, size_t len)
{
    (void)ctx;
    ssize_t n;
    do
        n = read(h, buf, len);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (ptrdiff_t)n;
}

static ptrdiff_t px_write(void *ctx, int h, const uint8_t *buf, size_t len)
{
    (void)ctx;
    ssize_t n;
    do
        n = write(h, buf, len);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (ptrdiff_t)n;
}

static int px_fsync(void *ctx, int h)
{
    (void)ctx;
    return fsync(h) < 0 ? -errno : 0;
}

static int px_close(void *ctx, int h)
{
    (void)ctx;
    /* No retry on EINTR: on Linux the descriptor is gone either way. */
    return close(h) < 0 ? -errno : 0;
}

static int px_rename(void *ctx, const char *from, const char *to)
{
    (void)ctx;
    return rename(from, to) < 0 ? -errno : 0;
}

static int px_fsyncdir(void *ctx, const char *dir)
{
    (void)ctx;
    int fd;
    do
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    /* Some filesystems cannot sync a directory (EINVAL): their renames are
     * as durable as they will ever be. */
    if (rc == -EINVAL) rc = 0;
    (void)close(fd);
    return rc;
}

static const struct ucb_store_file_io posix_io = {
    .open = px_open,
    .read = px_read,
    .write = px_write,
    .fsync = px_fsync,
    .close = px_close,
    .rename = px_rename,
    .fsyncdir = px_fsyncdir,
};

const struct ucb_store_file_io *ucb_store_file_posix_io(void)
{
    return &posix_io;
}

/* ------------------------------------------------------------------- store */

static int file_load(void *ctx, struct ucb_provenance *out)
{
    struct ucb_store_file *f = ctx;
    if (!f || !out) return UCB_ERR_ARG;
    memset(out, 0, sizeof *out);

    int h = f->io->open(f->io_ctx, f->path, UCB_STORE_FILE_READ);
    if (h == -ENOENT) return 0;   /* never saved: valid = false */
    if (h < 0) return UCB_ERR_STORE;

    /* Read one byte more than a record can have, to refuse overlong files
     * without reading them whole. */
    size_t got = 0;
    int rc = 0;
    while (got < sizeof f->buf) {
        ptrdiff_t n = f->io->read(f->io_ctx, h, f->buf + got, sizeof f->buf - got);
        if (n < 0 || (size_t)n > sizeof f->buf - got) {
            rc = UCB_ERR_STORE;
            break;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    (void)f->io->close(f->io_ctx, h);
    if (rc == 0) rc = ucb_prov_deserialize(f->buf, got, out);
    memset(f->buf, 0, sizeof f->buf);
    return rc < 0 ? UCB_ERR_STORE : 0;
}

static int write_all(struct ucb_store_file *f, int h, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ptrdiff_t n = f->io->write(f->io_ctx, h, p, len);
        if (n <= 0 || (size_t)n > len) return UCB_ERR_STORE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int file_save(void *ctx, const struct ucb_provenance *p)
{
    struct ucb_store_file *f = ctx;
    if (!f || !p) return UCB_ERR_ARG;
    int len = ucb_prov_serialize(p, f->buf, sizeof f->buf);
    if (len < 0) return len;

    int h = f->io->open(f->io_ctx, f->tmp, UCB_STORE_FILE_WRITE);
    if (h < 0) return UCB_ERR_STORE;
    int rc = write_all(f, h, f->buf, (size_t)len);
    if (rc == 0 && f->io->fsync(f->io_ctx, h) < 0) rc = UCB_ERR_STORE;
    /* A failed close may mean a failed write (NFS): never rename then. */
    if (f->io->close(f->io_ctx, h) < 0 && rc == 0) rc = UCB_ERR_STORE;
    memset(f->buf, 0, sizeof f->buf);
    if (rc < 0) return rc;
    if (f->io->rename(f->io_ctx, f->tmp, f->path) < 0) return UCB_ERR_STORE;
    if (f->io->fsyncdir(f->io_ctx, f->dir) < 0) return UCB_ERR_STORE;
    return 0;
}

static const struct ucb_store_ops file_ops = {
    .load = file_load,
    .save = file_save,
};

int ucb_store_file_init(struct ucb_store_file *f, const char *path, struct ucb_store *out)
{
    if (!f || !path || !out) return UCB_ERR_ARG;
    memset(f, 0, sizeof *f);
    size_t len = strnlen(path, UCB_STORE_FILE_PATH_MAX);
    if (len == 0 || len >= UCB_STORE_FILE_PATH_MAX || path[len - 1] == '/') return UCB_ERR_ARG;

    memcpy(f->path, path, len);
    memcpy(f->tmp, path, len);
    memcpy(f->tmp + len, ".tmp", 4);

    /* Directory of PATH: everything before the last '/', "/" for a file
     * in the root, "." for a bare name. */
    const char *slash = strrchr(path, '/');
    if (!slash)
        f->dir[0] = '.';
    else if (slash == path)
        f->dir[0] = '/';
    else
        memcpy(f->dir, path, (size_t)(slash - path));

    f->io = &posix_io;
    f->io_ctx = NULL;
    out->ops = &file_ops;
    out->ctx = f;
    return 0;
}
