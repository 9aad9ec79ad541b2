/*
 * Fuzz harness: LwM2M TLV decoder, typed accessors and encoder on untrusted
 * bytes (a card's EF LwM2M_Bootstrap object payload).
 *
 * Walks the whole tree (ucb_tlv_next / ucb_tlv_enter, top = UCB_TLV_ALLOW_TOP),
 * checks the cursor's invariants, calls every typed accessor on every leaf
 * and re-encodes each leaf: raw into a small buffer (to exercise overflow),
 * and every value an accessor accepted back through the matching put,
 * which must decode to the same value. Any broken invariant aborts.
 *
 * Built twice (tests/fuzz/meson.build): with -fsanitize=fuzzer as fuzz_tlv,
 * and with replay_main.c as fuzz_tlv_replay, which replays the corpus in
 * the normal test suite.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uiccboot/err.h"
#include "uiccboot/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) abort();                                                      \
    } while (0)

/* Offsets are reported with a base, as the bootstrap decoder passes one. */
#define BASE 9u

static const uint8_t *g_data;
static size_t g_size;

/* Put one element with `put`, decode it back, return the decoded element. */
static struct ucb_tlv one_back(uint8_t *buf, size_t cap, int written)
{
    struct ucb_tlv_cursor c;
    struct ucb_tlv t, end;
    CHECK(written > 0 && (size_t)written <= cap);
    ucb_tlv_cursor_init(&c, buf, (size_t)written, 0,
                        UCB_TLV_ALLOW_TOP | UCB_TLV_ALLOW(UCB_TLV_RESOURCE_INSTANCE));
    CHECK(ucb_tlv_next(&c, &t) == 1);
    CHECK(ucb_tlv_next(&c, &end) == 0);
    return t;
}

static void reencode_leaf(const struct ucb_tlv *t)
{
    static uint8_t big[UCB_TLV_MAX_LEN / 256 + 64];
    uint8_t small[24];
    struct ucb_tlv_writer w, m;
    int n;

    /* Raw: measure, then write into a buffer that may be too small. */
    ucb_tlv_writer_init(&m, NULL, 0);
    CHECK(ucb_tlv_put_raw(&m, t->kind, t->id, t->value, t->len) == 0);
    n = ucb_tlv_writer_finish(&m);
    CHECK(n > 0 && (size_t)n == ucb_tlv_header_size(t->id, t->len) + t->len);
    memset(small, 0xA5, sizeof small);
    ucb_tlv_writer_init(&w, small, sizeof small - 4);
    int rc = ucb_tlv_put_raw(&w, t->kind, t->id, t->value, t->len);
    if ((size_t)n <= sizeof small - 4) {
        CHECK(rc == 0 && ucb_tlv_writer_finish(&w) == n);
        struct ucb_tlv back = one_back(small, sizeof small, n);
        CHECK(back.kind == t->kind && back.id == t->id && back.len == t->len);
        CHECK(t->len == 0 || memcmp(back.value, t->value, t->len) == 0);
    } else {
        CHECK(rc == UCB_ERR_BUFFER && ucb_tlv_writer_finish(&w) == UCB_ERR_BUFFER);
        CHECK(w.pos == (size_t)n);
    }
    for (size_t i = sizeof small - 4; i < sizeof small; i++) CHECK(small[i] == 0xA5);
    if ((size_t)n <= sizeof big) {
        ucb_tlv_writer_init(&w, big, sizeof big);
        CHECK(ucb_tlv_put_raw(&w, t->kind, t->id, t->value, t->len) == 0);
        CHECK(ucb_tlv_writer_finish(&w) == n);
    }

    /* Typed: every accessor; what one accepts must survive its put. */
    const char *s;
    const uint8_t *o;
    size_t slen;
    int64_t i64;
    uint64_t u64;
    double d;
    bool b;
    uint16_t oid, iid;
    struct ucb_tlv back;

    if (ucb_tlv_get_string(t, &s, &slen) == 0) {
        CHECK((const void *)s == (const void *)t->value && slen == t->len);
    }
    CHECK(ucb_tlv_get_opaque(t, &o, &slen) == 0);
    CHECK(o == t->value && slen == t->len);

    rc = ucb_tlv_get_int(t, &i64);
    CHECK(rc == 0 || rc == UCB_ERR_TYPE);
    if (rc == 0) {
        int64_t again;
        CHECK(ucb_tlv_get_time(t, &again) == 0 && again == i64);
        ucb_tlv_writer_init(&w, small, sizeof small);
        CHECK(ucb_tlv_put_int(&w, t->kind, t->id, i64) == 0);
        back = one_back(small, sizeof small, ucb_tlv_writer_finish(&w));
        CHECK(back.len <= t->len && ucb_tlv_get_int(&back, &again) == 0 && again == i64);
    } else {
        CHECK(ucb_tlv_get_time(t, &i64) == UCB_ERR_TYPE);
    }

    rc = ucb_tlv_get_uint(t, &u64);
    CHECK(rc == 0 || rc == UCB_ERR_TYPE);
    if (rc == 0) {
        uint64_t again;
        ucb_tlv_writer_init(&w, small, sizeof small);
        CHECK(ucb_tlv_put_uint(&w, t->kind, t->id, u64) == 0);
        back = one_back(small, sizeof small, ucb_tlv_writer_finish(&w));
        CHECK(back.len <= t->len && ucb_tlv_get_uint(&back, &again) == 0 && again == u64);
    }

    rc = ucb_tlv_get_float(t, &d);
    CHECK(rc == (t->len == 4 || t->len == 8 ? 0 : UCB_ERR_TYPE));
    if (rc == 0) {
        double again;
        ucb_tlv_writer_init(&w, small, sizeof small);
        CHECK(ucb_tlv_put_float(&w, t->kind, t->id, d) == 0);
        back = one_back(small, sizeof small, ucb_tlv_writer_finish(&w));
        CHECK(ucb_tlv_get_float(&back, &again) == 0);
        CHECK((isnan(d) && isnan(again)) || memcmp(&d, &again, sizeof d) == 0);
    }

    rc = ucb_tlv_get_bool(t, &b);
    CHECK(rc == (t->len == 1 && t->value[0] <= 1 ? 0 : UCB_ERR_TYPE));
    if (rc == 0) {
        bool again;
        ucb_tlv_writer_init(&w, small, sizeof small);
        CHECK(ucb_tlv_put_bool(&w, t->kind, t->id, b) == 0);
        back = one_back(small, sizeof small, ucb_tlv_writer_finish(&w));
        CHECK(ucb_tlv_get_bool(&back, &again) == 0 && again == b);
    }

    rc = ucb_tlv_get_objlnk(t, &oid, &iid);
    CHECK(rc == (t->len == 4 ? 0 : UCB_ERR_TYPE));
    if (rc == 0) {
        uint16_t o2, i2;
        ucb_tlv_writer_init(&w, small, sizeof small);
        CHECK(ucb_tlv_put_objlnk(&w, t->kind, t->id, oid, iid) == 0);
        back = one_back(small, sizeof small, ucb_tlv_writer_finish(&w));
        CHECK(ucb_tlv_get_objlnk(&back, &o2, &i2) == 0 && o2 == oid && i2 == iid);
        CHECK(memcmp(back.value, t->value, 4) == 0);
    }
}

/* Walk one level; returns the bytes the level's elements re-encode to. */
static size_t walk(struct ucb_tlv_cursor *c, size_t end, unsigned depth)
{
    struct ucb_tlv t;
    int rc;
    size_t encoded = 0;
    size_t prev_end = c->base;

    CHECK(depth < 3); /* nesting is at most ObjInst > MultiRes > ResInst */
    while ((rc = ucb_tlv_next(c, &t)) == 1) {
        /* The element lies inside the level, after the previous one. */
        CHECK(t.offset == prev_end);
        CHECK(t.value_offset > t.offset && t.value_offset - t.offset <= 6);
        CHECK(t.value_offset + t.len <= end);
        CHECK(t.value == g_data + (t.value_offset - BASE));
        CHECK((unsigned)t.kind <= 3 && (c->allowed & UCB_TLV_ALLOW(t.kind)));
        prev_end = t.value_offset + t.len;

        struct ucb_tlv_cursor child;
        int erc = ucb_tlv_enter(&child, &t);
        if (t.kind == UCB_TLV_OBJECT_INSTANCE || t.kind == UCB_TLV_MULTIPLE_RESOURCE) {
            CHECK(erc == 0);
            size_t inner = walk(&child, t.value_offset + t.len, depth + 1);
            encoded += ucb_tlv_header_size(t.id, inner) + inner;
        } else {
            CHECK(erc == UCB_ERR_NESTING);
            reencode_leaf(&t);
            encoded += ucb_tlv_header_size(t.id, t.len) + t.len;
        }
    }
    if (rc < 0) {
        CHECK(rc == UCB_ERR_TRUNCATED || rc == UCB_ERR_NESTING || rc == UCB_ERR_MALFORMED);
        CHECK(c->err_offset == prev_end && c->err_offset < end); /* the faulty element */
        /* Sticky. */
        size_t at = c->err_offset;
        CHECK(ucb_tlv_next(c, &t) == rc && c->err_offset == at);
    } else {
        CHECK(rc == 0 && prev_end == end);
        CHECK(ucb_tlv_next(c, &t) == 0);
    }
    return encoded;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ucb_tlv_cursor c;
    g_data = data;
    g_size = size;
    ucb_tlv_cursor_init(&c, data, size, BASE, UCB_TLV_ALLOW_TOP);
    size_t encoded = walk(&c, BASE + size, 0);
    /* Smallest headers never make the content longer. */
    CHECK(encoded <= g_size);
    return 0;
}
