/**
 * @file store_file.h
 * @brief Provenance in a file (library uiccboot-host).
 *
 * save() writes the serialised record (ucb_prov_serialize()) to PATH.tmp,
 * fsyncs it, closes it, renames it over PATH and fsyncs the directory, so
 * that after a power loss at any point PATH holds the old record or the new
 * one, never a mix. load() reads PATH only: a PATH.tmp left by a crash is
 * ignored and overwritten by the next save. Neither allocates nor prints.
 *
 * All file operations go through a small table (struct ucb_store_file_io),
 * POSIX by default; tests replace it to inject faults and power loss, and a
 * port may supply its own.
 */
#ifndef UCB_STORE_FILE_H
#define UCB_STORE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest PATH accepted, terminating NUL included (PATH.tmp is 4 more). */
#ifndef UCB_STORE_FILE_PATH_MAX
#define UCB_STORE_FILE_PATH_MAX 256u
#endif

/** open() modes. */
#define UCB_STORE_FILE_READ 0   /**< read only; the file must exist */
#define UCB_STORE_FILE_WRITE 1  /**< write only; create (mode 0600) or truncate */

/**
 * File operations. Each returns a negative errno value on failure
 * (-ENOENT from open() in UCB_STORE_FILE_READ mode means "no such file",
 * which load() reports as "nothing saved"). open() returns a handle >= 0;
 * read() and write() return the bytes moved (read() 0 at end of file) and
 * may move fewer than asked; fsyncdir() makes the directory entries of
 * directory @p dir durable.
 */
struct ucb_store_file_io {
    int (*open)(void *ctx, const char *path, int mode);
    ptrdiff_t (*read)(void *ctx, int h, uint8_t *buf, size_t len);
    ptrdiff_t (*write)(void *ctx, int h, const uint8_t *buf, size_t len);
    int (*fsync)(void *ctx, int h);
    int (*close)(void *ctx, int h);
    int (*rename)(void *ctx, const char *from, const char *to);
    int (*fsyncdir)(void *ctx, const char *dir);
};

/** The POSIX implementation (its ctx is unused). */
UCB_API const struct ucb_store_file_io *ucb_store_file_posix_io(void);

/**
 * A file store. Caller-allocated; holds copies of the paths, so @p path
 * passed to ucb_store_file_init() need not outlive the call.
 */
struct ucb_store_file {
    char path[UCB_STORE_FILE_PATH_MAX];
    char tmp[UCB_STORE_FILE_PATH_MAX + 4u];   /**< PATH.tmp */
    char dir[UCB_STORE_FILE_PATH_MAX];        /**< directory of PATH */
    const struct ucb_store_file_io *io;       /**< POSIX after init; may be replaced */
    void *io_ctx;                             /**< passed to every io call */
    uint8_t buf[UCB_PROV_SERIAL_SIZE + 1u];   /**< record bytes (one more to see overlong files) */
};

/**
 * Set up a file store on @p path with the POSIX io and fill @p out with
 * its ops. Touches no file. Unlike most _init functions this one can fail,
 * because the path is copied into the struct:
 * @return 0, or UCB_ERR_ARG (NULL argument, empty path, path of
 *         UCB_STORE_FILE_PATH_MAX bytes or more, path ending in '/').
 *
 * Through @p out: load() gives 0 with valid = false when PATH does not
 * exist, 0 with the record, or UCB_ERR_STORE (unreadable, or not a record
 * this version wrote: wrong size, magic, version, checksum); save() gives
 * 0, UCB_ERR_ARG (record the format cannot hold) or UCB_ERR_STORE (an
 * operation failed; PATH then holds the old record or the new one).
 */
UCB_API int ucb_store_file_init(struct ucb_store_file *f, const char *path, struct ucb_store *out);

#ifdef __cplusplus
}
#endif

#endif /* UCB_STORE_FILE_H */
