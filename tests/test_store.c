/*
 * Provenance serialisation (src/prov_serial.c) and the RAM store
 * (src/store_ram.c): round trips of full and empty records, the byte
 * layout against an independent CRC-32, every single-byte corruption and
 * every truncation refused, each out-of-range field refused even with a
 * correct checksum, and the RAM store's load/save semantics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "uiccboot/err.h"
#include "uiccboot/store.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SZ UCB_PROV_SERIAL_SIZE
#define OFF_CRC (SZ - 4u)
#define OFF_REC 56u

/* An implementation of CRC-32 independent of the library's (table-driven,
 * the reflected form), checked against the standard check value. */
static uint32_t ref_crc32(const uint8_t *p, size_t len)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void reseal(uint8_t *buf)
{
    uint32_t c = ref_crc32(buf, OFF_CRC);
    for (int i = 0; i < 4; i++)
        buf[OFF_CRC + (size_t)i] = (uint8_t)(c >> (8 * i));
}

static void full_record(struct ucb_provenance *p)
{
    memset(p, 0, sizeof *p);
    p->valid = true;
    p->iccid_len = 10;
    for (uint8_t i = 0; i < 10; i++)
        p->iccid[i] = (uint8_t)(0x98 + i);
    for (uint8_t i = 0; i < 32; i++)
        p->fingerprint[i] = (uint8_t)(0xA0 ^ i);
    p->bs_deadline = 0xDEADBEEFu;
    p->n = UCB_PROV_MAX;
    for (uint16_t i = 0; i < UCB_PROV_MAX; i++) {
        struct ucb_prov_rec *r = &p->rec[i];
        r->oid = (uint16_t)(i % 3);
        r->iid = (uint16_t)(0x1000 + i);
        r->card_iid = (uint16_t)(0xFF00 + i);
        r->ssid = (uint16_t)(i % 3 == 2 ? 0xFFFF : 100 + i);
        r->flags = (uint8_t)(i & UCB_PROV_FLAGS_KNOWN);
        for (uint8_t k = 0; k < 8; k++) {
            r->hash[k] = (uint8_t)(i * 8 + k);
            r->ident[k] = (uint8_t)(0x80 ^ (i * 8 + k));
        }
        r->ident_mask = (uint8_t)(0x7F - i);
    }
}

static void check_prov_equal(const char *name, const struct ucb_provenance *got,
                             const struct ucb_provenance *exp)
{
    CHECK_EQ(name, got->valid, exp->valid);
    CHECK_EQ(name, got->iccid_len, exp->iccid_len);
    test_check_bytes(name, got->iccid, got->iccid_len, exp->iccid, exp->iccid_len);
    test_check_bytes(name, got->fingerprint, 32, exp->fingerprint, 32);
    CHECK_EQ(name, got->bs_deadline, exp->bs_deadline);
    CHECK_EQ(name, got->n, exp->n);
    for (size_t i = 0; i < exp->n; i++) {
        const struct ucb_prov_rec *g = &got->rec[i], *e = &exp->rec[i];
        CHECK_EQ(name, g->oid, e->oid);
        CHECK_EQ(name, g->iid, e->iid);
        CHECK_EQ(name, g->card_iid, e->card_iid);
        CHECK_EQ(name, g->ssid, e->ssid);
        CHECK_EQ(name, g->flags, e->flags);
        test_check_bytes(name, g->hash, 8, e->hash, 8);
    }
}

static void check_cleared(const char *name, const struct ucb_provenance *p)
{
    static const struct ucb_provenance zero;
    if (memcmp(p, &zero, sizeof zero) != 0) fail_msg("%s: output not cleared", name);
}

/* ------------------------------------------------------------------------- */
/* round trips and layout                                                    */

static void crc_reference_matches_check_value(void **state)
{
    (void)state;
    CHECK_EQ("CRC-32 check value", ref_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
}

static void full_record_round_trips(void **state)
{
    (void)state;
    struct ucb_provenance p, q;
    uint8_t buf[SZ];
    full_record(&p);
    CHECK_EQ("full", ucb_prov_serialize(&p, buf, sizeof buf), SZ);
    memset(&q, 0x5A, sizeof q);
    CHECK_EQ("full", ucb_prov_deserialize(buf, sizeof buf, &q), 0);
    check_prov_equal("full", &q, &p);
}

static void empty_records_round_trip(void **state)
{
    (void)state;
    struct ucb_provenance p, q;
    uint8_t buf[SZ];

    memset(&p, 0, sizeof p);   /* never applied anything */
    CHECK_EQ("invalid empty", ucb_prov_serialize(&p, buf, sizeof buf), SZ);
    memset(&q, 0x5A, sizeof q);
    CHECK_EQ("invalid empty", ucb_prov_deserialize(buf, sizeof buf, &q), 0);
    check_cleared("invalid empty", &q);

    p.valid = true;   /* a card with nothing to create, applied */
    p.iccid_len = 3;
    p.iccid[0] = 0x98;
    p.iccid[1] = 0x10;
    p.iccid[2] = 0x32;
    CHECK_EQ("valid n=0", ucb_prov_serialize(&p, buf, sizeof buf), SZ);
    CHECK_EQ("valid n=0", ucb_prov_deserialize(buf, sizeof buf, &q), 0);
    check_prov_equal("valid n=0", &q, &p);
}

/* Bytes past iccid_len and records past n are written as zeros whatever
 * the struct holds, so equal records serialise to equal bytes. */
static void unused_fields_are_written_as_zeros(void **state)
{
    (void)state;
    struct ucb_provenance p, q;
    uint8_t a[SZ], b[SZ];
    full_record(&p);
    p.iccid_len = 4;
    p.n = 2;
    q = p;
    memset(q.iccid + 4, 0, 6);
    memset(&q.rec[2], 0, sizeof q.rec - 2 * sizeof q.rec[0]);
    CHECK_EQ("dirty", ucb_prov_serialize(&p, a, sizeof a), SZ);
    CHECK_EQ("clean", ucb_prov_serialize(&q, b, sizeof b), SZ);
    test_check_bytes("dirty vs clean", a, SZ, b, SZ);
}

static void layout_is_little_endian_with_crc32_trailer(void **state)
{
    (void)state;
    struct ucb_provenance p;
    memset(&p, 0, sizeof p);
    p.valid = true;
    p.iccid_len = 2;
    p.iccid[0] = 0x89;
    p.iccid[1] = 0x44;
    memset(p.fingerprint, 0x11, 32);
    p.bs_deadline = 0x01020304u;
    p.n = 1;
    p.rec[0] = (struct ucb_prov_rec){.oid = 1, .iid = 0x0203, .card_iid = 7, .ssid = 0xFFFF,
                                     .flags = UCB_PROV_REMAPPED,
                                     .hash = {1, 2, 3, 4, 5, 6, 7, 8}, .ident_mask = 0x81,
                                     .ident = {9, 10, 11, 12, 13, 14, 15, 16}};
    uint8_t buf[SZ];
    CHECK_EQ("layout", ucb_prov_serialize(&p, buf, sizeof buf), SZ);
    test_check_hex("header + record 0", buf, OFF_REC + 26,
                   "55434250 0200 01 02 89440000000000000000"
                   "1111111111111111111111111111111111111111111111111111111111111111"
                   "04030201 0100"
                   "0100 0302 0700 ffff 01 0102030405060708 81 090a0b0c0d0e0f10");
    for (size_t i = OFF_REC + 26; i < OFF_CRC; i++)
        if (buf[i] != 0) fail_msg("unused slot byte %zu is 0x%02x", i, buf[i]);
    uint32_t crc = ref_crc32(buf, OFF_CRC);
    uint8_t exp[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
                      (uint8_t)(crc >> 24)};
    test_check_bytes("CRC-32 trailer", buf + OFF_CRC, 4, exp, 4);
}

static void serialize_measures_and_checks_capacity(void **state)
{
    (void)state;
    struct ucb_provenance p;
    uint8_t buf[SZ];
    full_record(&p);
    CHECK_EQ("measure", ucb_prov_serialize(&p, NULL, 0), SZ);
    CHECK_EQ("one byte short", ucb_prov_serialize(&p, buf, SZ - 1), UCB_ERR_BUFFER);
    CHECK_EQ("NULL record", ucb_prov_serialize(NULL, buf, SZ), UCB_ERR_ARG);
}

static void serialize_refuses_what_the_format_cannot_hold(void **state)
{
    (void)state;
    struct ucb_provenance p;
    uint8_t buf[SZ];
    full_record(&p);
    p.n = UCB_PROV_MAX + 1;
    CHECK_EQ("n > UCB_PROV_MAX", ucb_prov_serialize(&p, buf, sizeof buf), UCB_ERR_ARG);
    full_record(&p);
    p.iccid_len = 11;
    CHECK_EQ("iccid_len > 10", ucb_prov_serialize(&p, buf, sizeof buf), UCB_ERR_ARG);
    full_record(&p);
    p.rec[3].flags = 0x80;
    CHECK_EQ("unknown flag", ucb_prov_serialize(&p, buf, sizeof buf), UCB_ERR_ARG);
    CHECK_EQ("unknown flag, measuring", ucb_prov_serialize(&p, NULL, 0), UCB_ERR_ARG);
    /* Past n the slot is not written, so its flags do not matter. */
    full_record(&p);
    p.n = 2;
    p.rec[3].flags = 0x80;
    CHECK_EQ("unknown flag past n", ucb_prov_serialize(&p, buf, sizeof buf), SZ);
}

/* ------------------------------------------------------------------------- */
/* hostile bytes                                                             */

/* CRC-32 detects every error burst of 32 bits or less, so every change of
 * a single byte, anywhere, must be refused. */
static void every_single_byte_corruption_is_refused(void **state)
{
    (void)state;
    struct ucb_provenance p, q;
    uint8_t good[SZ], bad[SZ];
    full_record(&p);
    CHECK_EQ("full", ucb_prov_serialize(&p, good, sizeof good), SZ);
    for (size_t off = 0; off < SZ; off++) {
        for (unsigned x = 1; x < 256; x++) {
            memcpy(bad, good, SZ);
            bad[off] ^= (uint8_t)x;
            memset(&q, 0x5A, sizeof q);
            int rc = ucb_prov_deserialize(bad, SZ, &q);
            if (rc != UCB_ERR_STORE)
                fail_msg("byte %zu xor 0x%02x: rc %d, expected UCB_ERR_STORE", off, x, rc);
            check_cleared("corrupt", &q);
        }
    }
}

static void every_truncation_and_extension_is_refused(void **state)
{
    (void)state;
    struct ucb_provenance p, q;
    uint8_t buf[SZ + 1];
    full_record(&p);
    CHECK_EQ("full", ucb_prov_serialize(&p, buf, SZ), SZ);
    buf[SZ] = 0;
    for (size_t len = 0; len <= SZ + 1; len++) {
        if (len == SZ) continue;
        memset(&q, 0x5A, sizeof q);
        int rc = ucb_prov_deserialize(buf, len, &q);
        if (rc != UCB_ERR_STORE) fail_msg("length %zu: rc %d, expected UCB_ERR_STORE", len, rc);
        check_cleared("truncated", &q);
    }
    CHECK_EQ("NULL input, length 0", ucb_prov_deserialize(NULL, 0, &q), UCB_ERR_STORE);
    CHECK_EQ("NULL input, length 10", ucb_prov_deserialize(NULL, 10, &q), UCB_ERR_ARG);
    CHECK_EQ("NULL output", ucb_prov_deserialize(buf, SZ, NULL), UCB_ERR_ARG);
}

/* Each vector edits one field of a good record and recomputes the CRC, so
 * only the field check can refuse it. */
struct field_vec {
    const char *why;
    size_t off;
    uint8_t val;
};

static const struct field_vec field_vecs[] = {
    {"magic is not UCBP", 0, 'X'},
    {"format version 0 is unknown", 4, 0},
    {"format version 1 (before the identity hash) is refused", 4, 1},
    {"format version 3 is unknown", 4, 3},
    {"format version 0x0202 (byte order swapped) is unknown", 5, 2},
    {"valid byte is neither 0 nor 1", 6, 2},
    {"iccid_len 11 exceeds the 10-byte ICCID", 7, 11},
    {"iccid_len 255", 7, 255},
    {"ICCID padding past iccid_len is not zero", 8 + 9, 0x01},
    {"n = UCB_PROV_MAX + 1 (low byte)", 54, (uint8_t)(UCB_PROV_MAX + 1)},
    {"n = 0xFFxx (high byte)", 55, 0xFF},
    {"record 1 flags carry an unknown bit", OFF_REC + 26 + 8, 0x04 | UCB_PROV_DISOWNED},
    {"slot past n is not zero", OFF_REC + 2 * 26 + 3, 0x01},
    {"last slot past n is not zero", OFF_CRC - 1, 0x80},
};

static void out_of_range_fields_are_refused_despite_a_good_checksum(void **state)
{
    (void)state;
    struct ucb_provenance p, q;
    uint8_t good[SZ], bad[SZ];
    full_record(&p);
    p.n = 2;   /* slots past n exist for the padding vectors */
    p.iccid_len = 9;
    CHECK_EQ("base", ucb_prov_serialize(&p, good, sizeof good), SZ);
    CHECK_EQ("base parses", ucb_prov_deserialize(good, SZ, &q), 0);
    for (size_t i = 0; i < ARRAY_LEN(field_vecs); i++) {
        const struct field_vec *v = &field_vecs[i];
        memcpy(bad, good, SZ);
        bad[v->off] = v->val;
        reseal(bad);
        memset(&q, 0x5A, sizeof q);
        CHECK_EQ(v->why, ucb_prov_deserialize(bad, SZ, &q), UCB_ERR_STORE);
        check_cleared(v->why, &q);
    }
}

/* ------------------------------------------------------------------------- */
/* RAM store                                                                 */

static void ram_store_is_empty_until_saved(void **state)
{
    (void)state;
    struct ucb_store_ram r;
    struct ucb_store s;
    struct ucb_provenance q;
    memset(&r, 0x5A, sizeof r);   /* init must not trust prior contents */
    ucb_store_ram_init(&r, &s);
    assert_non_null(s.ops);
    assert_ptr_equal(s.ctx, &r);
    memset(&q, 0x5A, sizeof q);
    CHECK_EQ("load empty", s.ops->load(s.ctx, &q), 0);
    check_cleared("load empty", &q);
    CHECK_EQ("saves", r.n_saves, 0);
}

static void ram_store_save_replaces_and_load_returns_the_last(void **state)
{
    (void)state;
    struct ucb_store_ram r;
    struct ucb_store s;
    struct ucb_provenance a, b, q;
    ucb_store_ram_init(&r, &s);
    full_record(&a);
    memset(&b, 0, sizeof b);
    b.valid = true;
    b.n = 1;
    b.rec[0].oid = 1;

    CHECK_EQ("save a", s.ops->save(s.ctx, &a), 0);
    CHECK_EQ("load a", s.ops->load(s.ctx, &q), 0);
    check_prov_equal("a", &q, &a);
    CHECK_EQ("save b", s.ops->save(s.ctx, &b), 0);
    CHECK_EQ("load b", s.ops->load(s.ctx, &q), 0);
    check_prov_equal("b", &q, &b);
    CHECK_EQ("saves", r.n_saves, 2);

    /* Saving "nothing applied" is a record too, not the absence of one. */
    memset(&b, 0, sizeof b);
    CHECK_EQ("save invalid", s.ops->save(s.ctx, &b), 0);
    CHECK_EQ("load invalid", s.ops->load(s.ctx, &q), 0);
    CHECK_EQ("valid", q.valid, false);
    CHECK_EQ("saves", r.n_saves, 3);
}

static void ram_store_refuses_bad_records_and_keeps_the_old(void **state)
{
    (void)state;
    struct ucb_store_ram r;
    struct ucb_store s;
    struct ucb_provenance a, bad, q;
    ucb_store_ram_init(&r, &s);
    full_record(&a);
    CHECK_EQ("save", s.ops->save(s.ctx, &a), 0);
    bad = a;
    bad.n = UCB_PROV_MAX + 1;
    CHECK_EQ("n too large", s.ops->save(s.ctx, &bad), UCB_ERR_ARG);
    bad = a;
    bad.iccid_len = 11;
    CHECK_EQ("iccid too long", s.ops->save(s.ctx, &bad), UCB_ERR_ARG);
    CHECK_EQ("NULL record", s.ops->save(s.ctx, NULL), UCB_ERR_ARG);
    CHECK_EQ("NULL output", s.ops->load(s.ctx, NULL), UCB_ERR_ARG);
    CHECK_EQ("load", s.ops->load(s.ctx, &q), 0);
    check_prov_equal("old kept", &q, &a);
    CHECK_EQ("saves", r.n_saves, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc_reference_matches_check_value),
        cmocka_unit_test(full_record_round_trips),
        cmocka_unit_test(empty_records_round_trip),
        cmocka_unit_test(unused_fields_are_written_as_zeros),
        cmocka_unit_test(layout_is_little_endian_with_crc32_trailer),
        cmocka_unit_test(serialize_measures_and_checks_capacity),
        cmocka_unit_test(serialize_refuses_what_the_format_cannot_hold),
        cmocka_unit_test(every_single_byte_corruption_is_refused),
        cmocka_unit_test(every_truncation_and_extension_is_refused),
        cmocka_unit_test(out_of_range_fields_are_refused_despite_a_good_checksum),
        cmocka_unit_test(ram_store_is_empty_until_saved),
        cmocka_unit_test(ram_store_save_replaces_and_load_returns_the_last),
        cmocka_unit_test(ram_store_refuses_bad_records_and_keeps_the_old),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
