/*
 * LwM2M TLV codec (LwM2M Core 1.1.1 7.4.3; 1.0 6.4.3).
 *
 * Type byte: b7-b6 kind, b5 identifier width (0: 8 bit, 1: 16 bit),
 * b4-b3 length type (00: length in b2-b0, 01/10/11: 8/16/24-bit field).
 */
#include <float.h>
#include <string.h>

#include "uiccboot/err.h"
#include "uiccboot/tlv.h"
#include "uiccboot/ucb_config.h"

void ucb_tlv_cursor_init(struct ucb_tlv_cursor *c, const uint8_t *buf, size_t len, size_t base,
                         unsigned allowed)
{
    c->buf = buf;
    c->len = buf ? len : 0u;
    c->pos = 0;
    c->base = base;
    c->allowed = allowed;
    c->err_offset = 0;
    c->err = 0;
}

/* A failed cursor stays failed, at the same offset. */
static int tlv_fail(struct ucb_tlv_cursor *c, size_t at, int err)
{
    c->err_offset = c->base + at;
    c->err = err;
    return err;
}

int ucb_tlv_next(struct ucb_tlv_cursor *c, struct ucb_tlv *out)
{
    if (c->err != 0) {
        return c->err;
    }
    if (c->pos == c->len) {
        return 0;
    }
    const size_t start = c->pos;
    const size_t avail = c->len - start;
    const uint8_t type = c->buf[start];
    const unsigned kind = (unsigned)type >> 6;
    const size_t id_len = (type & 0x20u) ? 2u : 1u;
    const size_t len_len = ((unsigned)type >> 3) & 3u;
    const size_t hdr = 1u + id_len + len_len;

    if (!(c->allowed & (1u << kind))) {
        return tlv_fail(c, start, UCB_ERR_NESTING);
    }
    if (avail < hdr) {
        return tlv_fail(c, start, UCB_ERR_TRUNCATED);
    }
    const uint8_t *p = c->buf + start + 1u;
    uint16_t id = p[0];
    if (id_len == 2u) {
        id = (uint16_t)((id << 8) | p[1]);
    }
    p += id_len;
    size_t len;
    if (len_len == 0u) {
        len = type & 7u;
    } else {
        len = 0;
        for (size_t i = 0; i < len_len; i++) {
            len = (len << 8) | p[i];
        }
    }
    if (len > avail - hdr) {
        return tlv_fail(c, start, UCB_ERR_TRUNCATED);
    }
    out->kind = (enum ucb_tlv_kind)kind;
    out->id = id;
    out->value = c->buf + start + hdr;
    out->len = len;
    out->offset = c->base + start;
    out->value_offset = c->base + start + hdr;
    c->pos = start + hdr + len;
    return 1;
}

int ucb_tlv_enter(struct ucb_tlv_cursor *child, const struct ucb_tlv *parent)
{
    unsigned allowed;
    switch (parent->kind) {
    case UCB_TLV_OBJECT_INSTANCE:
        allowed = UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE);
        break;
    case UCB_TLV_MULTIPLE_RESOURCE:
        allowed = UCB_TLV_ALLOW(UCB_TLV_RESOURCE_INSTANCE);
        break;
    default:
        ucb_tlv_cursor_init(child, NULL, 0, parent->value_offset, 0);
        return UCB_ERR_NESTING;
    }
    ucb_tlv_cursor_init(child, parent->value, parent->len, parent->value_offset, allowed);
    return 0;
}

int ucb_tlv_find(const uint8_t *buf, size_t len, unsigned allowed, uint16_t id,
                 struct ucb_tlv *out)
{
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    int rc;
    if (out == NULL || (buf == NULL && len > 0)) return UCB_ERR_ARG;
    ucb_tlv_cursor_init(&c, buf, len, 0, allowed);
    while ((rc = ucb_tlv_next(&c, &t)) == 1) {
        if (t.id == id) {
            *out = t;
            return 1;
        }
    }
    return rc;
}

/* ---- typed accessors (LwM2M Core Appendix C) ---- */

static int is_int_width(size_t len)
{
    return len == 1u || len == 2u || len == 4u || len == 8u;
}

static uint64_t be_read(const uint8_t *p, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_ok(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const uint8_t b = s[i];
        size_t n;
        uint32_t cp;
        if (b < 0x80u) {
            i++;
            continue;
        } else if (b >= 0xC2u && b <= 0xDFu) {
            n = 1;
            cp = b & 0x1Fu;
        } else if (b >= 0xE0u && b <= 0xEFu) {
            n = 2;
            cp = b & 0x0Fu;
        } else if (b >= 0xF0u && b <= 0xF4u) {
            n = 3;
            cp = b & 0x07u;
        } else {
            return 0;
        }
        if (len - i - 1u < n) {
            return 0;
        }
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0u) != 0x80u) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((n == 2u && cp < 0x800u) || (n == 3u && cp < 0x10000u) || cp > 0x10FFFFu ||
            (cp >= 0xD800u && cp <= 0xDFFFu)) {
            return 0;
        }
        i += n + 1u;
    }
    return 1;
}

int ucb_tlv_get_string(const struct ucb_tlv *t, const char **out, size_t *out_len)
{
    if (!utf8_ok(t->value, t->len)) {
        return UCB_ERR_TYPE;
    }
    *out = (const char *)t->value;
    *out_len = t->len;
    return 0;
}

int ucb_tlv_get_int(const struct ucb_tlv *t, int64_t *out)
{
    if (!is_int_width(t->len)) {
        return UCB_ERR_TYPE;
    }
    uint64_t v = be_read(t->value, t->len);
    const unsigned bits = (unsigned)t->len * 8u;
    if (bits < 64u && (v >> (bits - 1u))) {
        v |= ~(uint64_t)0 << bits; /* sign-extend */
    }
    memcpy(out, &v, sizeof *out); /* two's complement reinterpretation, no UB */
    return 0;
}

int ucb_tlv_get_uint(const struct ucb_tlv *t, uint64_t *out)
{
    if (!is_int_width(t->len)) {
        return UCB_ERR_TYPE;
    }
    *out = be_read(t->value, t->len);
    return 0;
}

int ucb_tlv_get_float(const struct ucb_tlv *t, double *out)
{
    if (t->len == 4u) {
        const uint32_t bits = (uint32_t)be_read(t->value, 4);
        float f;
        memcpy(&f, &bits, sizeof f);
        *out = (double)f;
        return 0;
    }
    if (t->len == 8u) {
        const uint64_t bits = be_read(t->value, 8);
        memcpy(out, &bits, sizeof *out);
        return 0;
    }
    return UCB_ERR_TYPE;
}

int ucb_tlv_get_bool(const struct ucb_tlv *t, bool *out)
{
    if (t->len != 1u || t->value[0] > 1u) {
        return UCB_ERR_TYPE;
    }
    *out = t->value[0] == 1u;
    return 0;
}

int ucb_tlv_get_opaque(const struct ucb_tlv *t, const uint8_t **out, size_t *out_len)
{
    *out = t->value;
    *out_len = t->len;
    return 0;
}

int ucb_tlv_get_time(const struct ucb_tlv *t, int64_t *out)
{
    return ucb_tlv_get_int(t, out);
}

int ucb_tlv_get_objlnk(const struct ucb_tlv *t, uint16_t *out_oid, uint16_t *out_iid)
{
    if (t->len != 4u) {
        return UCB_ERR_TYPE;
    }
    *out_oid = (uint16_t)be_read(t->value, 2);
    *out_iid = (uint16_t)be_read(t->value + 2, 2);
    return 0;
}

size_t ucb_tlv_header_size(uint16_t id, size_t len)
{
    const size_t id_len = id > 0xFFu ? 2u : 1u;
    const size_t len_len = len < 8u ? 0u : len <= 0xFFu ? 1u : len <= 0xFFFFu ? 2u : 3u;
    return 1u + id_len + len_len;
}

#if UCB_CONFIG_ENCODER
/* ---- encoder ---- */

void ucb_tlv_writer_init(struct ucb_tlv_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0u;
    w->pos = 0;
    w->overflow = false;
}

int ucb_tlv_writer_finish(const struct ucb_tlv_writer *w)
{
    if (w->overflow) {
        return UCB_ERR_BUFFER;
    }
    if (w->pos > 0x7FFFFFFFu) {
        return UCB_ERR_TOO_LARGE;
    }
    return (int)w->pos;
}

/* Append bytes, or only count them when measuring or overflowed. */
int ucb_tlv_put_bytes(struct ucb_tlv_writer *w, const void *src, size_t n)
{
    if (w->buf != NULL) {
        if (w->overflow || n > w->cap - w->pos) {
            w->overflow = true;
        } else if (n > 0u) {
            memcpy(w->buf + w->pos, src, n);
        }
    }
    w->pos += n;
    return (w->buf != NULL && w->overflow) ? UCB_ERR_BUFFER : 0;
}


int ucb_tlv_put_header(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id, size_t len)
{
    if (len > UCB_TLV_MAX_LEN || (unsigned)kind > 3u) {
        return UCB_ERR_ARG;
    }
    uint8_t h[6];
    size_t n = 1;
    uint8_t type = (uint8_t)((unsigned)kind << 6);
    if (id > 0xFFu) {
        type |= 0x20u;
        h[n++] = (uint8_t)(id >> 8);
    }
    h[n++] = (uint8_t)id;
    if (len < 8u) {
        type |= (uint8_t)len;
    } else {
        const size_t len_len = len <= 0xFFu ? 1u : len <= 0xFFFFu ? 2u : 3u;
        type |= (uint8_t)(len_len << 3);
        for (size_t i = len_len; i > 0u; i--) {
            h[n++] = (uint8_t)(len >> (8u * (i - 1u)));
        }
    }
    h[0] = type;
    return ucb_tlv_put_bytes(w, h, n);
}

int ucb_tlv_put_raw(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id,
                    const void *value, size_t len)
{
    if (len > UCB_TLV_MAX_LEN || (unsigned)kind > 3u) {
        return UCB_ERR_ARG;
    }
    /* All or nothing: an element that does not fit writes no byte, but is
     * still counted so pos tells the size needed. */
    const size_t total = ucb_tlv_header_size(id, len) + len;
    if (w->buf != NULL && !w->overflow && total > w->cap - w->pos) {
        w->overflow = true;
    }
    (void)ucb_tlv_put_header(w, kind, id, len);
    return ucb_tlv_put_bytes(w, value, len);
}

static int put_be(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id, uint64_t v,
                  size_t width)
{
    uint8_t b[8];
    for (size_t i = 0; i < width; i++) {
        b[i] = (uint8_t)(v >> (8u * (width - 1u - i)));
    }
    return ucb_tlv_put_raw(w, kind, id, b, width);
}

int ucb_tlv_put_int(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id, int64_t v)
{
    const size_t width = (v >= INT8_MIN && v <= INT8_MAX)     ? 1u
                         : (v >= INT16_MIN && v <= INT16_MAX) ? 2u
                         : (v >= INT32_MIN && v <= INT32_MAX) ? 4u
                                                              : 8u;
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return put_be(w, kind, id, u, width);
}

int ucb_tlv_put_uint(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id, uint64_t v)
{
    const size_t width = v <= UINT8_MAX ? 1u : v <= UINT16_MAX ? 2u : v <= UINT32_MAX ? 4u : 8u;
    return put_be(w, kind, id, v, width);
}

int ucb_tlv_put_float(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id, double v)
{
    /* Converting an out-of-range double to float is undefined: test first. */
    const bool in_range =
        (v >= -(double)FLT_MAX && v <= (double)FLT_MAX) || v > DBL_MAX || v < -DBL_MAX;
    const float f = in_range ? (float)v : 0.0f;
    if (in_range && (double)f == v) { /* exact in binary32 (infinities too); NaN takes 8 bytes */
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        return put_be(w, kind, id, bits, 4);
    }
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return put_be(w, kind, id, bits, 8);
}

int ucb_tlv_put_bool(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id, bool v)
{
    const uint8_t b = v ? 1u : 0u;
    return ucb_tlv_put_raw(w, kind, id, &b, 1);
}

int ucb_tlv_put_objlnk(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id,
                       uint16_t oid, uint16_t iid)
{
    return put_be(w, kind, id, ((uint64_t)oid << 16) | iid, 4);
}

#endif /* UCB_CONFIG_ENCODER */

/* One level of ucb_tlv_check_instance(): the first element of each
 * identifier must be the element itself. */
static int check_level(const uint8_t *buf, size_t len, unsigned allowed)
{
    struct ucb_tlv_cursor c;
    struct ucb_tlv t, first;
    int rc;

    ucb_tlv_cursor_init(&c, buf, len, 0, allowed);
    while ((rc = ucb_tlv_next(&c, &t)) == 1) {
        rc = ucb_tlv_find(buf, len, allowed, t.id, &first);
        if (rc < 0)
            return rc;
        if (rc == 0 || first.offset != t.offset)
            return UCB_ERR_MALFORMED;
        if (t.kind == UCB_TLV_MULTIPLE_RESOURCE &&
            (rc = check_level(t.value, t.len, UCB_TLV_ALLOW(UCB_TLV_RESOURCE_INSTANCE))) < 0)
            return rc;
    }
    return rc;
}

int ucb_tlv_check_instance(const uint8_t *buf, size_t len)
{
    if (buf == NULL && len > 0)
        return UCB_ERR_ARG;
    return check_level(buf, len,
                       UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE));
}

int ucb_tlv_find_u16(const uint8_t *buf, size_t len, uint16_t rid, uint16_t *out)
{
    struct ucb_tlv t;
    int64_t v = 0;
    int rc;

    if (out == NULL)
        return UCB_ERR_ARG;
    rc = ucb_tlv_find(buf, len,
                      UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE), rid,
                      &t);
    if (rc != 1)
        return rc;
    if (t.kind != UCB_TLV_RESOURCE)
        return UCB_ERR_TYPE;
    if ((rc = ucb_tlv_get_int(&t, &v)) < 0)
        return rc;
    if (v < 0 || v > 0xFFFF)
        return UCB_ERR_TYPE;
    *out = (uint16_t)v;
    return 1;
}
