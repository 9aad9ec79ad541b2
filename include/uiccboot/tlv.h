/**
 * @file tlv.h
 * @brief LwM2M TLV (application/vnd.oma.lwm2m+tlv, LwM2M Core 7.4.3):
 * a zero-copy cursor decoder, a measuring encoder and typed accessors.
 *
 * The decoder never copies: a decoded `struct ucb_tlv` points into the
 * caller's buffer, which must outlive it. Every length is checked against
 * what remains of the enclosing element before it is used, and every error
 * leaves the byte offset of the faulty element in the cursor.
 *
 * Nesting (LwM2M Core 7.4.3): Object Instance contains Resource and Multiple
 * Resource; Multiple Resource contains Resource Instance only; Resource and
 * Resource Instance contain nothing. A Resource Instance outside a Multiple
 * Resource, or an Object Instance inside anything, is UCB_ERR_NESTING.
 */
#ifndef UCB_TLV_H
#define UCB_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The four TLV kinds (bits 7-6 of the type byte). */
enum ucb_tlv_kind {
    UCB_TLV_OBJECT_INSTANCE = 0,   /**< value is Resource / Multiple Resource TLVs */
    UCB_TLV_RESOURCE_INSTANCE = 1, /**< a value inside a Multiple Resource */
    UCB_TLV_MULTIPLE_RESOURCE = 2, /**< value is Resource Instance TLVs */
    UCB_TLV_RESOURCE = 3           /**< a single-instance resource value */
};

/** Bit masks of kinds, for ucb_tlv_cursor_init()'s `allowed`. */
#define UCB_TLV_ALLOW(kind) (1u << (unsigned)(kind))
/** What may stand at the top of a payload: anything but a Resource Instance. */
#define UCB_TLV_ALLOW_TOP                                                    \
    (UCB_TLV_ALLOW(UCB_TLV_OBJECT_INSTANCE) | UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | \
     UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE))

/** Largest value length a TLV header can express (24-bit length field). */
#define UCB_TLV_MAX_LEN 0xFFFFFFu

/** One decoded TLV element: a view into the caller's buffer. */
struct ucb_tlv {
    enum ucb_tlv_kind kind;
    uint16_t id;          /**< identifier (8- or 16-bit on the wire) */
    const uint8_t *value; /**< first value byte (valid even when len is 0) */
    size_t len;           /**< value length in bytes */
    size_t offset;        /**< offset of the type byte, from the cursor's base */
    size_t value_offset;  /**< offset of the first value byte, same base */
};

/**
 * Decoding cursor. Treat the fields as private; they are public only so the
 * caller can place the cursor on the stack.
 */
struct ucb_tlv_cursor {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    size_t base;       /**< offset of buf[0] in the caller's frame of reference */
    unsigned allowed;  /**< UCB_TLV_ALLOW() mask of kinds accepted here */
    size_t err_offset; /**< after an error: offset (with base) of the fault */
    int err;           /**< 0, or the error every further ucb_tlv_next() repeats */
};

/**
 * Start decoding `len` bytes at `buf`. `base` is added to every offset the
 * cursor reports (pass the payload's offset inside a larger file so that
 * offsets are file offsets). `allowed` is a UCB_TLV_ALLOW() mask; pass
 * UCB_TLV_ALLOW_TOP for a payload. Cannot fail.
 */
UCB_API void ucb_tlv_cursor_init(struct ucb_tlv_cursor *c, const uint8_t *buf, size_t len,
                                 size_t base, unsigned allowed);

/**
 * Decode the next element.
 * @return 1 when `*out` holds an element, 0 at the end, or a negative
 *         ucb_err (UCB_ERR_TRUNCATED, UCB_ERR_NESTING, UCB_ERR_MALFORMED) with
 *         `c->err_offset` set. After an error every further call returns the
 *         same error.
 */
UCB_API int ucb_tlv_next(struct ucb_tlv_cursor *c, struct ucb_tlv *out);

/**
 * Start a cursor over the children of `parent` (an Object Instance or a
 * Multiple Resource), with offsets continuing the parent's frame and the
 * nesting rule of the parent's kind.
 * @return 0, or UCB_ERR_NESTING when `parent` cannot have children.
 */
UCB_API int ucb_tlv_enter(struct ucb_tlv_cursor *child, const struct ucb_tlv *parent);

/**
 * Find the first element with identifier @p id among the elements of
 * @p buf (one level: pass an Object Instance's resource TLVs with
 * UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE),
 * or a Multiple Resource's value with UCB_TLV_ALLOW(UCB_TLV_RESOURCE_INSTANCE)).
 * @return 1 with `*out` set, 0 when absent, or the decoder's error for
 *         malformed elements before it.
 */
UCB_API int ucb_tlv_find(const uint8_t *buf, size_t len, unsigned allowed, uint16_t id,
                         struct ucb_tlv *out);

/**
 * Check an Object Instance's resource TLVs as an adapter stores them
 * (LwM2M Core 7.4.3): Resources and Multiple Resources at the top, Resource
 * Instances inside, every element well-formed, each identifier once per
 * level. @return 0, UCB_ERR_MALFORMED for a repeated identifier, or the
 * decoder's error.
 */
UCB_API int ucb_tlv_check_instance(const uint8_t *buf, size_t len);

/**
 * The single-instance Resource @p rid among an Object Instance's resource
 * TLVs, as an Integer in 0..65535 (a Short Server ID, an Object or Instance
 * ID: the identities adapters and the bridge compare).
 * @return 1 with `*out` set, 0 when absent, UCB_ERR_TYPE (a Multiple
 *         Resource, not an Integer, or out of range), or the decoder's error.
 */
UCB_API int ucb_tlv_find_u16(const uint8_t *buf, size_t len, uint16_t rid, uint16_t *out);

/*
 * Typed accessors (LwM2M Core Appendix C). Each checks the value length for
 * its type and returns 0 or UCB_ERR_TYPE; the fault is at `t->offset`.
 */

/** String: UTF-8, no terminator. Checks well-formed UTF-8. */
UCB_API int ucb_tlv_get_string(const struct ucb_tlv *t, const char **out, size_t *out_len);
/** Integer (and Time): signed big-endian, 1, 2, 4 or 8 bytes. */
UCB_API int ucb_tlv_get_int(const struct ucb_tlv *t, int64_t *out);
/** Unsigned Integer: big-endian, 1, 2, 4 or 8 bytes. */
UCB_API int ucb_tlv_get_uint(const struct ucb_tlv *t, uint64_t *out);
/** Float: IEEE 754 binary32 (4 bytes) or binary64 (8 bytes), big-endian. */
UCB_API int ucb_tlv_get_float(const struct ucb_tlv *t, double *out);
/** Boolean: exactly 1 byte, 0 or 1. */
UCB_API int ucb_tlv_get_bool(const struct ucb_tlv *t, bool *out);
/** Opaque: any bytes. Cannot fail for a decoded element. */
UCB_API int ucb_tlv_get_opaque(const struct ucb_tlv *t, const uint8_t **out, size_t *out_len);
/** Time: as Integer (seconds since the Unix epoch). */
UCB_API int ucb_tlv_get_time(const struct ucb_tlv *t, int64_t *out);
/** Objlnk: exactly 4 bytes, Object ID then Instance ID. */
UCB_API int ucb_tlv_get_objlnk(const struct ucb_tlv *t, uint16_t *out_oid, uint16_t *out_iid);

/**
 * Encoder. Initialise with a NULL buffer to measure: every put then only
 * counts. With a buffer, a put that does not fit writes nothing, marks the
 * writer overflowed and keeps counting, so ucb_tlv_writer_finish() can tell
 * the size that was needed.
 */
struct ucb_tlv_writer {
    uint8_t *buf;
    size_t cap;
    size_t pos;     /**< bytes produced (or needed) so far */
    bool overflow;
};

/** Start writing into `buf` of `cap` bytes, or measuring when `buf` is NULL. */
UCB_API void ucb_tlv_writer_init(struct ucb_tlv_writer *w, uint8_t *buf, size_t cap);

/**
 * @return the number of bytes written (or needed, when measuring), or
 *         UCB_ERR_BUFFER when a buffer was given and was too small (w->pos
 *         then tells the size needed).
 */
UCB_API int ucb_tlv_writer_finish(const struct ucb_tlv_writer *w);

/** Append raw bytes (already encoded content). Returns 0 or UCB_ERR_BUFFER. */
UCB_API int ucb_tlv_put_bytes(struct ucb_tlv_writer *w, const void *src, size_t n);

/** Size of the smallest header for identifier `id` and value length `len`. */
UCB_API size_t ucb_tlv_header_size(uint16_t id, size_t len);

/**
 * Write a header (smallest form) for an element of `kind` whose value is
 * `len` bytes; the value is written by the following puts. Use this to open
 * an Object Instance or a Multiple Resource after measuring its content.
 * @return 0, UCB_ERR_ARG (len above UCB_TLV_MAX_LEN), UCB_ERR_BUFFER.
 */
UCB_API int ucb_tlv_put_header(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id,
                               size_t len);
/** Write a whole element with raw value bytes. Same returns. */
UCB_API int ucb_tlv_put_raw(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id,
                            const void *value, size_t len);
/** Integer / Time in the fewest of 1, 2, 4, 8 bytes. */
UCB_API int ucb_tlv_put_int(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id,
                            int64_t v);
/** Unsigned Integer in the fewest of 1, 2, 4, 8 bytes. */
UCB_API int ucb_tlv_put_uint(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id,
                             uint64_t v);
/** Float: 4 bytes when binary32 holds `v` exactly, else 8. */
UCB_API int ucb_tlv_put_float(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id,
                              double v);
/** Boolean: one byte 0 or 1. */
UCB_API int ucb_tlv_put_bool(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id,
                             bool v);
/** Objlnk: 4 bytes. */
UCB_API int ucb_tlv_put_objlnk(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id,
                               uint16_t oid, uint16_t iid);

#ifdef __cplusplus
}
#endif

#endif /* UCB_TLV_H */
