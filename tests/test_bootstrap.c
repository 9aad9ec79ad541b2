/*
 * EF LwM2M_Bootstrap codec (include/uiccboot/bootstrap.h): decoding the two
 * public examples (spec-notes 1.5) and reference card R1, structural faults
 * with their kind, offset and path, model capacity, typed views, the
 * encoder, model building and the resource table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "uiccboot/bootstrap.h"
#include "uiccboot/err.h"
#include "uiccboot/tlv.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NONE UCB_ID_NONE

#define OI UCB_TLV_OBJECT_INSTANCE
#define RI UCB_TLV_RESOURCE_INSTANCE
#define MR UCB_TLV_MULTIPLE_RESOURCE
#define RS UCB_TLV_RESOURCE


static void check_bytes(const char *name, const uint8_t *got, size_t got_len,
                        const uint8_t *exp, size_t exp_len)
{
    if (got_len == exp_len && (exp_len == 0 || memcmp(got, exp, exp_len) == 0)) return;
    size_t i = 0;
    while (i < got_len && i < exp_len && got[i] == exp[i]) i++;
    fail_msg("%s: bytes differ (got %zu bytes, expected %zu); first difference at %zu: "
             "got 0x%02x, expected 0x%02x",
             name, got_len, exp_len, i, i < got_len ? got[i] : 0u, i < exp_len ? exp[i] : 0u);
}

static void check_view(const char *name, struct ucb_view v, const char *exp)
{
    size_t n = strlen(exp);
    if (v.len != n || (n && memcmp(v.ptr, exp, n) != 0))
        fail_msg("%s: view is \"%.*s\" (%zu bytes), expected \"%s\"", name, (int)v.len,
                 v.ptr ? (const char *)v.ptr : "", v.len, exp);
}

/* ------------------------------------------------------------------------- */
/* Vectors.                                                                  */

/* spec-notes 1.5 example A: AVSystem Anjay generator output, 126 bytes. */
#define HEX_AVSYSTEM                                                                       \
    "0002007a000000005e08015bc80022636f6170733a2f2f65752e696f742e617673797374656d2e636c6f" \
    "75643a35363834c10100c10200c803146578616d706c652d70736b2d6964656e74697479c8051333784" \
    "06d706c3350354b3533637233744b3379c10a01000100001208010fc10001c40100015180c10600c107" \
    "55"
/* spec-notes 1.5 example B: Nordic sdk-nrf test, 60 bytes with FF FF padding. */
#define HEX_NORDIC                                                                         \
    "00010036000000003108002EC80025636F61703A2F2F6C657368616E2E65636C6970736570726F6A656" \
    "374732E696F3A35373833C10101C10203FFFF"
#define R1_PATH "fixtures/bootstrap/r1-three-accounts.bin"

static struct ucb_bootstrap bs;   /* models are large: static storage */
static struct ucb_bootstrap bs2;
static uint8_t scratch[UCB_BOOTSTRAP_MAX + 64];
static uint8_t out[UCB_BOOTSTRAP_MAX + 64];

static uint8_t *exact_copy(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len) memcpy(p, src, len);
    return p;
}

/* Expected model entries. */
struct exp_obj {
    uint32_t offset;
    uint16_t oid;
    uint8_t major, minor;
    uint16_t len, first, count;
};
struct exp_inst {
    uint32_t offset;
    uint16_t iid, object, first, count;
};
struct exp_res {
    uint32_t offset;
    uint8_t hdr; /* header bytes: the value starts at offset + hdr */
    uint16_t id;
    uint16_t len;
    uint8_t kind;
    uint16_t count;
};

static void check_model(const char *name, const struct ucb_bootstrap *m, const uint8_t *file,
                        const struct exp_obj *eo, size_t no, const struct exp_inst *ei,
                        size_t ni, const struct exp_res *er, size_t nr)
{
    char what[96];
    CHECK_EQ(name, m->nobj, no);
    CHECK_EQ(name, m->ninst, ni);
    CHECK_EQ(name, m->nres, nr);
    for (size_t i = 0; i < no; i++) {
        snprintf(what, sizeof what, "%s obj[%zu]", name, i);
        CHECK_EQ(what, m->obj[i].offset, eo[i].offset);
        CHECK_EQ(what, m->obj[i].oid, eo[i].oid);
        CHECK_EQ(what, m->obj[i].major, eo[i].major);
        CHECK_EQ(what, m->obj[i].minor, eo[i].minor);
        CHECK_EQ(what, m->obj[i].len, eo[i].len);
        CHECK_EQ(what, m->obj[i].first, eo[i].first);
        CHECK_EQ(what, m->obj[i].count, eo[i].count);
    }
    for (size_t i = 0; i < ni; i++) {
        snprintf(what, sizeof what, "%s inst[%zu]", name, i);
        CHECK_EQ(what, m->inst[i].offset, ei[i].offset);
        CHECK_EQ(what, m->inst[i].iid, ei[i].iid);
        CHECK_EQ(what, m->inst[i].object, ei[i].object);
        CHECK_EQ(what, m->inst[i].first, ei[i].first);
        CHECK_EQ(what, m->inst[i].count, ei[i].count);
    }
    for (size_t i = 0; i < nr; i++) {
        snprintf(what, sizeof what, "%s res[%zu]", name, i);
        CHECK_EQ(what, m->res[i].offset, er[i].offset);
        CHECK_EQ(what, m->res[i].id, er[i].id);
        CHECK_EQ(what, m->res[i].len, er[i].len);
        CHECK_EQ(what, m->res[i].kind, er[i].kind);
        if (er[i].kind == MR) {
            CHECK_EQ(what, m->res[i].count, er[i].count);
            if (m->res[i].value != NULL) fail_msg("%s: a Multiple Resource has no value", what);
        } else if (m->res[i].value != file + er[i].offset + er[i].hdr) {
            fail_msg("%s: value does not point at file offset %u", what,
                     (unsigned)(er[i].offset + er[i].hdr));
        }
    }
}

/* ------------------------------------------------------------------------- */
/* The two public examples and R1.                                           */

static const struct exp_obj avs_obj[] = {{4, 0, 0, 0, 94, 0, 1}, {103, 1, 0, 0, 18, 1, 1}};
static const struct exp_inst avs_inst[] = {{9, 1, 0, 0, 6}, {108, 1, 1, 6, 4}};
static const struct exp_res avs_res[] = {
    {12, 3, 0, 34, RS, 0},  {49, 2, 1, 1, RS, 0},  {52, 2, 2, 1, RS, 0},
    {55, 3, 3, 20, RS, 0},  {78, 3, 5, 19, RS, 0}, {100, 2, 10, 1, RS, 0},
    {111, 2, 0, 1, RS, 0},  {114, 2, 1, 4, RS, 0}, {120, 2, 6, 1, RS, 0},
    {123, 2, 7, 1, RS, 0},
};

static void avsystem_example_decodes_to_its_model(void **state)
{
    (void)state;
    uint8_t raw[200];
    size_t len = test_hex(HEX_AVSYSTEM, raw, sizeof raw);
    assert_int_equal(len, 126);
    uint8_t *file = exact_copy(raw, len);
    struct ucb_bs_fault f;
    assert_int_equal(ucb_bs_decode(&bs, file, len, &f), 0);
    assert_int_equal(bs.declared_objects, 2);
    assert_int_equal(bs.size, 122);
    assert_int_equal(bs.file_len, 126);
    assert_int_equal(bs.trailing_garbage_offset, NONE);
    check_model("avsystem", &bs, file, avs_obj, ARRAY_LEN(avs_obj), avs_inst,
                ARRAY_LEN(avs_inst), avs_res, ARRAY_LEN(avs_res));
    assert_memory_equal(bs.res[0].value, "coaps://eu.iot.avsystem.cloud:5684", 34);
    assert_memory_equal(bs.res[3].value, "example-psk-identity", 20);
    assert_memory_equal(bs.res[4].value, "3x@mpl3P5K53cr3tK3y", 19);
    assert_int_equal(bs.res[7].value[3], 0x80); /* lifetime 00 01 51 80 */
    free(file);
}

static const struct exp_obj nordic_obj[] = {{4, 0, 0, 0, 49, 0, 1}};
static const struct exp_inst nordic_inst[] = {{9, 0, 0, 0, 3}};
static const struct exp_res nordic_res[] = {
    {12, 3, 0, 37, RS, 0}, {52, 2, 1, 1, RS, 0}, {55, 2, 2, 1, RS, 0}};

static void nordic_example_decodes_and_accepts_ff_padding(void **state)
{
    (void)state;
    uint8_t raw[100];
    size_t len = test_hex(HEX_NORDIC, raw, sizeof raw);
    assert_int_equal(len, 60);
    uint8_t *file = exact_copy(raw, len);
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    assert_int_equal(bs.declared_objects, 1);
    assert_int_equal(bs.size, 54);
    assert_int_equal(bs.file_len, 60);
    assert_int_equal(bs.trailing_garbage_offset, NONE);
    check_model("nordic", &bs, file, nordic_obj, ARRAY_LEN(nordic_obj), nordic_inst,
                ARRAY_LEN(nordic_inst), nordic_res, ARRAY_LEN(nordic_res));
    assert_memory_equal(bs.res[0].value, "coap://leshan.eclipseprojects.io:5783", 37);
    free(file);
}

/* R1: fixtures/README.md; offsets re-derived by hand from the bytes. */
static const struct exp_obj r1_obj[] = {
    {4, 0, 0, 0, 209, 0, 3}, {218, 1, 0, 0, 35, 3, 2}, {258, 2, 0, 0, 41, 5, 2}};
static const struct exp_inst r1_inst[] = {
    {9, 0, 0, 0, 8},     {93, 1, 0, 8, 7},   {170, 2, 0, 15, 7}, {223, 0, 1, 22, 4},
    {239, 1, 1, 26, 4},  {263, 0, 2, 30, 5}, {280, 1, 2, 35, 7},
};
static const struct exp_res r1_res[] = {
    /* /0/0 bootstrap account */
    {12, 3, 0, 29, RS, 0}, {44, 2, 1, 1, RS, 0}, {47, 2, 2, 1, RS, 0}, {50, 3, 3, 13, RS, 0},
    {66, 2, 4, 0, RS, 0}, {68, 3, 5, 16, RS, 0}, {87, 2, 11, 1, RS, 0}, {90, 2, 12, 1, RS, 0},
    /* /0/1 SSID 101 */
    {96, 3, 0, 28, RS, 0}, {127, 2, 1, 1, RS, 0}, {130, 2, 2, 1, RS, 0}, {133, 3, 3, 10, RS, 0},
    {146, 2, 4, 0, RS, 0}, {148, 3, 5, 16, RS, 0}, {167, 2, 10, 1, RS, 0},
    /* /0/2 SSID 102, NoSec */
    {173, 3, 0, 27, RS, 0}, {203, 2, 1, 1, RS, 0}, {206, 2, 2, 1, RS, 0}, {209, 2, 3, 0, RS, 0},
    {211, 2, 4, 0, RS, 0}, {213, 2, 5, 0, RS, 0}, {215, 2, 10, 1, RS, 0},
    /* /1/0 and /1/1 */
    {226, 2, 0, 1, RS, 0}, {229, 2, 1, 2, RS, 0}, {233, 2, 6, 1, RS, 0}, {236, 2, 7, 1, RS, 0},
    {242, 2, 0, 1, RS, 0}, {245, 2, 1, 4, RS, 0}, {251, 2, 6, 1, RS, 0}, {254, 2, 7, 2, RS, 0},
    /* /2/0: target /1/0, ACL {101: 0x1F}, owner 101 */
    {266, 2, 0, 1, RS, 0}, {269, 2, 1, 1, RS, 0}, {272, 2, 2, 0, MR, 1}, {274, 2, 101, 1, RI, 0},
    {277, 2, 3, 1, RS, 0},
    /* /2/1: target /3/0, ACL {0: R, 101: RW, 102: RWE}, owner 101 */
    {283, 2, 0, 1, RS, 0}, {286, 2, 1, 1, RS, 0}, {289, 3, 2, 0, MR, 3}, {292, 2, 0, 1, RI, 0},
    {295, 2, 101, 1, RI, 0}, {298, 2, 102, 1, RI, 0}, {301, 2, 3, 1, RS, 0},
};

static uint8_t *read_r1(size_t *len)
{
    uint8_t *file = test_read_file(R1_PATH, len);
    assert_int_equal(*len, 304);
    return file;
}

static void r1_fixture_decodes_to_its_model(void **state)
{
    (void)state;
    size_t len;
    uint8_t *file = read_r1(&len);
    struct ucb_bs_fault f;
    assert_int_equal(ucb_bs_decode(&bs, file, len, &f), 0);
    assert_int_equal(bs.declared_objects, 3);
    assert_int_equal(bs.size, 300);
    assert_int_equal(bs.file_len, 304);
    assert_int_equal(bs.trailing_garbage_offset, NONE);
    check_model("r1", &bs, file, r1_obj, ARRAY_LEN(r1_obj), r1_inst, ARRAY_LEN(r1_inst), r1_res,
                ARRAY_LEN(r1_res));
    assert_memory_equal(bs.res[0].value, "coaps://bs.uiccboot.test:5684", 29);
    assert_memory_equal(bs.res[8].value, "coaps://a.uiccboot.test:5684", 28);
    assert_memory_equal(bs.res[15].value, "coap://b.uiccboot.test:5683", 27);
    assert_int_equal(bs.res[33].value[0], 0x1F);
    assert_int_equal(bs.res[40].value[0], 0x07);
    free(file);
}

static void header_only_file_is_an_empty_model(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *hex;
    } vectors[] = {
        {"no_objects", "00 00 00 00"},
        {"no_objects_padded", "00 00 00 00 FF FF FF FF"},
        {"empty_object", "00 01 00 05 00 07 00 00 00"},
    };
    for (size_t i = 0; i < ARRAY_LEN(vectors); i++) {
        uint8_t raw[32];
        size_t len = test_hex(vectors[i].hex, raw, sizeof raw);
        uint8_t *file = exact_copy(raw, len);
        CHECK_EQ(vectors[i].name, ucb_bs_decode(&bs, file, len, NULL), 0);
        CHECK_EQ(vectors[i].name, bs.ninst, 0);
        CHECK_EQ(vectors[i].name, bs.nres, 0);
        CHECK_EQ(vectors[i].name, bs.trailing_garbage_offset, NONE);
        free(file);
    }
}

static void trailing_bytes_other_than_ff_are_recorded(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *file;
        bool drop_padding; /* the Nordic example's own FF FF */
        const char *trailer;
        uint32_t offset;
    } vectors[] = {
        {"nordic_unpadded", HEX_NORDIC, true, "", NONE},
        {"nordic_padded", HEX_NORDIC, true, "FF FF", NONE},
        {"nordic_ff_then_00", HEX_NORDIC, true, "FF 00", 59},
        {"nordic_00_then_ff", HEX_NORDIC, true, "00 FF", 58},
        {"avsystem_ff_ff_12_ff", HEX_AVSYSTEM, false, "FF FF 12 FF", 128},
        {"avsystem_one_zero", HEX_AVSYSTEM, false, "00", 126},
        {"avsystem_long_ff_padding", HEX_AVSYSTEM, false, "FF FF FF FF FF FF FF FF FF FF FF FF",
         NONE},
    };
    for (size_t i = 0; i < ARRAY_LEN(vectors); i++) {
        uint8_t raw[256];
        size_t len = test_hex(vectors[i].file, raw, sizeof raw);
        if (vectors[i].drop_padding) len -= 2;
        len += test_hex(vectors[i].trailer, raw + len, sizeof raw - len);
        uint8_t *file = exact_copy(raw, len);
        struct ucb_bs_fault f;
        CHECK_EQ(vectors[i].name, ucb_bs_decode(&bs, file, len, &f), 0);
        CHECK_EQ(vectors[i].name, bs.trailing_garbage_offset, vectors[i].offset);
        CHECK_EQ(vectors[i].name, bs.file_len, len);
        free(file);
    }
}

/* ------------------------------------------------------------------------- */
/* Structural faults.                                                        */

struct fault_vector {
    const char *name;
    const char *why;
    const char *hex;
    enum ucb_bs_fault_kind kind;
    int err;
    uint32_t offset;
    uint32_t oid, iid, rid, riid;
    /* When the decoder cannot read the faulty element's own ID, NONE is as
     * right as the ID; this is the ID that may stand instead of NONE. */
    uint32_t alt_id;
};

static const struct fault_vector fault_vectors[] = {
    {"empty_file", "no 4-byte header", "", UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, 0,
     NONE, NONE, NONE, NONE, NONE},
    {"one_byte", "no 4-byte header", "00", UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, 0,
     NONE, NONE, NONE, NONE, NONE},
    {"two_bytes", "no 4-byte header", "00 01", UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, 0,
     NONE, NONE, NONE, NONE, NONE},
    {"three_bytes", "no 4-byte header", "00 01 00", UCB_BS_FAULT_FILE_TRUNCATED,
     UCB_ERR_TRUNCATED, 0, NONE, NONE, NONE, NONE, NONE},
    {"size_beyond_the_data", "size says 9 bytes follow the header, 7 do",
     "00 01 00 09 00 00 00 00 02 00 00", UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, 2, NONE,
     NONE, NONE, NONE, NONE},
    {"count_one_object_none_present", "one object announced, size 0 holds none", "00 01 00 00",
     UCB_BS_FAULT_COUNT_MISMATCH, UCB_ERR_MALFORMED, 0, NONE, NONE, NONE, NONE, NONE},
    {"count_higher_than_objects",
     "three objects announced, the size holds two (AVSystem example, count 3)",
     "0003007a000000005e08015bc80022636f6170733a2f2f65752e696f742e617673797374656d2e636c6f"
     "75643a35363834c10100c10200c803146578616d706c652d70736b2d6964656e74697479c8051333784"
     "06d706c3350354b3533637233744b3379c10a01000100001208010fc10001c40100015180c10600c107"
     "55",
     UCB_BS_FAULT_COUNT_MISMATCH, UCB_ERR_MALFORMED, 0, NONE, NONE, NONE, NONE, NONE},
    {"count_lower_than_objects",
     "one object announced, the size holds two (AVSystem example, count 1)",
     "0001007a000000005e08015bc80022636f6170733a2f2f65752e696f742e617673797374656d2e636c6f"
     "75643a35363834c10100c10200c803146578616d706c652d70736b2d6964656e74697479c8051333784"
     "06d706c3350354b3533637233744b3379c10a01000100001208010fc10001c40100015180c10600c107"
     "55",
     UCB_BS_FAULT_COUNT_MISMATCH, UCB_ERR_MALFORMED, 0, NONE, NONE, NONE, NONE, NONE},
    {"count_zero_with_objects", "no object announced, the size holds one",
     "00 00 00 07 00 00 00 00 02 00 00", UCB_BS_FAULT_COUNT_MISMATCH, UCB_ERR_MALFORMED, 0, NONE,
     NONE, NONE, NONE, NONE},
    {"objects_do_not_fill_size", "two bytes inside the size after the only object",
     "00 01 00 09 00 00 00 00 02 00 00 FF FF", UCB_BS_FAULT_SIZE_MISMATCH, UCB_ERR_MALFORMED, 11,
     NONE, NONE, NONE, NONE, NONE},
    {"object_header_cut_after_one_byte", "an object header is 5 or 6 bytes; 1 present",
     "00 01 00 01 00", UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, 4, NONE, NONE, NONE, NONE,
     NONE},
    {"object_header_cut_in_length", "the object length field is cut", "00 01 00 04 00 00 00 00",
     UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, 4, 0, NONE, NONE, NONE, NONE},
    {"version_minor_missing", "version 01 needs a minor byte; the file ends",
     "00 01 00 03 00 00 01", UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, 4, 0, NONE, NONE,
     NONE, NONE},
    {"version_minor_missing_size_ends_before_padding",
     "version 01 needs a minor byte; the size ends, FF padding follows",
     "00 01 00 03 00 00 01 FF FF", UCB_BS_FAULT_SIZE_MISMATCH, UCB_ERR_MALFORMED, 4, 0, NONE,
     NONE, NONE, NONE},
    {"object_length_past_the_file", "object length 5, 2 bytes left in the file",
     "00 01 00 07 00 00 00 00 05 00 00", UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, 4, 0,
     NONE, NONE, NONE, NONE},
    {"object_length_past_size_into_padding", "object length 5, 2 bytes left in the size",
     "00 01 00 07 00 00 00 00 05 00 00 FF FF FF", UCB_BS_FAULT_SIZE_MISMATCH, UCB_ERR_MALFORMED,
     4, 0, NONE, NONE, NONE, NONE},
    {"resource_at_object_level", "an object's payload is Object Instance TLVs only",
     "00 01 00 08 00 00 00 00 03 C1 00 01", UCB_BS_FAULT_TLV_NESTING, UCB_ERR_NESTING, 9, 0,
     NONE, NONE, NONE, NONE},
    {"resource_instance_at_object_level", "an object's payload is Object Instance TLVs only",
     "00 01 00 08 00 00 00 00 03 41 00 01", UCB_BS_FAULT_TLV_NESTING, UCB_ERR_NESTING, 9, 0,
     NONE, NONE, NONE, NONE},
    {"multiple_resource_at_object_level", "an object's payload is Object Instance TLVs only",
     "00 01 00 07 00 00 00 00 02 80 02", UCB_BS_FAULT_TLV_NESTING, UCB_ERR_NESTING, 9, 0, NONE,
     NONE, NONE, NONE},
    {"nesting_fault_in_second_object", "object 1's payload starts with a Resource TLV",
     "00 02 00 0C 00 00 00 00 00 00 01 00 00 02 C0 00", UCB_BS_FAULT_TLV_NESTING,
     UCB_ERR_NESTING, 14, 1, NONE, NONE, NONE, NONE},
    {"instance_longer_than_object", "instance length 5, 2 bytes left in the object",
     "00 01 00 0A 00 00 00 00 05 08 00 05 C1 00", UCB_BS_FAULT_TLV_TRUNCATED, UCB_ERR_TRUNCATED,
     9, 0, NONE, NONE, NONE, NONE},
    {"second_instance_longer_than_object", "instance 7 has length 3, 2 bytes left",
     "00 01 00 0C 00 00 00 00 07 00 05 08 07 03 C1 00", UCB_BS_FAULT_TLV_TRUNCATED,
     UCB_ERR_TRUNCATED, 11, 0, NONE, NONE, NONE, 7},
    {"resource_runs_past_instance", "resource 1 declares 4 value bytes, 1 left in the instance",
     "00 01 00 0B 00 00 00 00 06 08 00 03 C4 01 00", UCB_BS_FAULT_TLV_TRUNCATED,
     UCB_ERR_TRUNCATED, 12, 0, 0, NONE, NONE, 1},
    {"second_resource_runs_past_instance",
     "resource 1 (after a good resource 0) declares 4 value bytes, 1 left",
     "00 01 00 0E 00 00 00 00 09 08 00 06 C1 00 01 C4 01 00", UCB_BS_FAULT_TLV_TRUNCATED,
     UCB_ERR_TRUNCATED, 15, 0, 0, NONE, NONE, 1},
    {"instance_id_65535_reserved", "Object Instance ID 65535 (MAX_ID) is reserved",
     "00 01 00 08 00 00 00 00 03 20 FF FF", UCB_BS_FAULT_TLV_MALFORMED, UCB_ERR_MALFORMED, 9, 0,
     NONE, NONE, NONE, 0xFFFF},
    {"instance_inside_instance", "an Object Instance cannot contain an Object Instance",
     "00 01 00 0A 00 00 00 00 05 08 00 02 00 01", UCB_BS_FAULT_TLV_NESTING, UCB_ERR_NESTING, 12,
     0, 0, NONE, NONE, 1},
    {"resource_instance_directly_in_instance", "a Resource Instance needs a Multiple Resource",
     "00 01 00 0B 00 00 00 00 06 08 00 03 41 00 01", UCB_BS_FAULT_TLV_NESTING, UCB_ERR_NESTING,
     12, 0, 0, NONE, NONE, 0},
    {"resource_inside_multiple_resource", "a Multiple Resource holds Resource Instances only",
     "00 01 00 0D 00 00 00 00 08 08 00 05 83 02 C1 00 01", UCB_BS_FAULT_TLV_NESTING,
     UCB_ERR_NESTING, 14, 0, 0, 2, NONE, 0},
    {"second_resource_instance_cut",
     "resource instance 8 (after a good 7) declares 2 value bytes, none left",
     "00 01 00 0F 00 00 00 00 0A 08 00 07 85 02 41 07 01 42 08", UCB_BS_FAULT_TLV_TRUNCATED,
     UCB_ERR_TRUNCATED, 17, 0, 0, 2, NONE, 8},
};

/* Prints every mismatch and returns their number, so that one run of a
 * table reports all faulty vectors. */
static int fault_mismatches(const char *name, const struct ucb_bs_fault *f,
                            enum ucb_bs_fault_kind kind, int err, uint32_t offset,
                            const uint32_t path[4], uint32_t alt_id)
{
    static const char *const parts[4] = {"oid", "iid", "rid", "riid"};
    const uint32_t got[4] = {f->oid, f->iid, f->rid, f->riid};
    int bad = 0;
    if (f->kind != kind) {
        print_error("%s: fault kind %d, expected %d\n", name, (int)f->kind, (int)kind);
        bad++;
    }
    if (f->err != err) {
        print_error("%s: fault err %d, expected %d\n", name, f->err, err);
        bad++;
    }
    if (f->offset != offset) {
        print_error("%s: fault offset %u, expected %u\n", name, (unsigned)f->offset,
                    (unsigned)offset);
        bad++;
    }
    /* The first NONE of the expected path is the faulty element's own ID:
     * it may be named when the decoder could read it. */
    size_t own = 4;
    for (size_t i = 0; i < 4; i++) {
        if (path[i] == NONE) {
            own = i;
            break;
        }
    }
    for (size_t i = 0; i < 4; i++) {
        if (got[i] == path[i]) continue;
        if (i == own && alt_id != NONE && got[i] == alt_id) continue;
        print_error("%s: fault path %s = %ld, expected %ld%s\n", name, parts[i],
                    got[i] == NONE ? -1L : (long)got[i], path[i] == NONE ? -1L : (long)path[i],
                    i == own && alt_id != NONE ? " (or the element's own ID)" : "");
        bad++;
    }
    if (f->what == NULL) {
        print_error("%s: fault has no text\n", name);
        bad++;
    }
    return bad;
}

static void check_fault(const char *name, const struct ucb_bs_fault *f, enum ucb_bs_fault_kind kind,
                        int err, uint32_t offset, const uint32_t path[4], uint32_t alt_id)
{
    if (fault_mismatches(name, f, kind, err, offset, path, alt_id) != 0)
        fail_msg("%s: fault differs (see above)", name);
}

static void structural_faults_name_kind_offset_and_path(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < ARRAY_LEN(fault_vectors); i++) {
        const struct fault_vector *v = &fault_vectors[i];
        uint8_t raw[256];
        size_t len = test_hex(v->hex, raw, sizeof raw);
        uint8_t *file = exact_copy(raw, len);
        struct ucb_bs_fault f;
        memset(&f, 0x5A, sizeof f);
        int rc = ucb_bs_decode(&bs, file, len, &f);
        if (rc != v->err) {
            print_error("%s: decode returned %d, expected %d\n", v->name, rc, v->err);
            bad++;
        }
        const uint32_t path[4] = {v->oid, v->iid, v->rid, v->riid};
        bad += fault_mismatches(v->name, &f, v->kind, v->err, v->offset, path, v->alt_id);
        /* Without a fault record the result is the same. */
        CHECK_EQ(v->name, ucb_bs_decode(&bs, file, len, NULL), v->err);
        free(file);
    }
    if (bad) fail_msg("%d mismatches in the fault table (see above)", bad);
}

static void decode_refuses_missing_arguments(void **state)
{
    (void)state;
    uint8_t b[4] = {0};
    assert_int_equal(ucb_bs_decode(NULL, b, sizeof b, NULL), UCB_ERR_ARG);
    assert_int_equal(ucb_bs_decode(&bs, NULL, 4, NULL), UCB_ERR_ARG);
}

/* ------------------------------------------------------------------------- */
/* Programmatically built files: size limit and model capacity.             */

struct builder {
    uint8_t *p;
    size_t len;
};

static void b8(struct builder *b, unsigned v)
{
    assert_true(b->len < sizeof scratch);
    b->p[b->len++] = (uint8_t)v;
}

static void b16(struct builder *b, unsigned v)
{
    b8(b, (v >> 8) & 0xFFu);
    b8(b, v & 0xFFu);
}

/* Patch the header once the objects are written. */
static void bfinish(struct builder *b, unsigned nobj)
{
    b->p[0] = (uint8_t)(nobj >> 8);
    b->p[1] = (uint8_t)nobj;
    b->p[2] = (uint8_t)((b->len - 4) >> 8);
    b->p[3] = (uint8_t)(b->len - 4);
}

/* One object 5 holding one instance 0 holding one opaque resource 0 that
 * brings the file to `total` bytes (header forms chosen for total > 300). */
static size_t build_one_big_resource(size_t total)
{
    struct builder b = {scratch, 4};
    size_t rlen = total - 4 - 5 - 4 - 4; /* file hdr, obj hdr, OI hdr, R hdr */
    b16(&b, 5);
    b8(&b, 0);
    b16(&b, (unsigned)(4 + 4 + rlen));
    b8(&b, 0x10); /* Object Instance, 8-bit ID, 16-bit length */
    b8(&b, 0);
    b16(&b, (unsigned)(4 + rlen));
    b8(&b, 0xD0); /* Resource, 8-bit ID, 16-bit length */
    b8(&b, 0);
    b16(&b, (unsigned)rlen);
    for (size_t i = 0; i < rlen; i++) b8(&b, (unsigned)(i * 13u) & 0xFFu);
    bfinish(&b, 1);
    assert_int_equal(b.len, total);
    return b.len;
}

static void file_of_exactly_bootstrap_max_decodes_and_reencodes(void **state)
{
    (void)state;
    size_t len = build_one_big_resource(UCB_BOOTSTRAP_MAX);
    uint8_t *file = exact_copy(scratch, len);
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    assert_int_equal(bs.nres, 1);
    assert_int_equal(bs.res[0].len, UCB_BOOTSTRAP_MAX - 17);
    assert_int_equal(ucb_bs_encode(&bs, NULL, 0), (int)len);
    assert_int_equal(ucb_bs_encode(&bs, out, sizeof out), (int)len);
    check_bytes("bootstrap_max", out, len, file, len);
    free(file);
}

static void file_above_bootstrap_max_is_too_large(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *why;
        bool padded; /* a 32768-byte valid file plus one FF, or a 32769-byte content */
    } vectors[] = {
        {"padding_past_the_limit", "32768 valid bytes and one byte of FF padding", true},
        {"content_past_the_limit", "one resource bringing the content to 32769 bytes", false},
    };
    for (size_t i = 0; i < ARRAY_LEN(vectors); i++) {
        size_t len;
        if (vectors[i].padded) {
            len = build_one_big_resource(UCB_BOOTSTRAP_MAX);
            scratch[len++] = 0xFF;
        } else {
            len = build_one_big_resource(UCB_BOOTSTRAP_MAX + 1);
        }
        uint8_t *file = exact_copy(scratch, len);
        struct ucb_bs_fault f;
        CHECK_EQ(vectors[i].name, ucb_bs_decode(&bs, file, len, &f), UCB_ERR_TOO_LARGE);
        const uint32_t path[4] = {NONE, NONE, NONE, NONE};
        check_fault(vectors[i].name, &f, UCB_BS_FAULT_FILE_TOO_LARGE, UCB_ERR_TOO_LARGE,
                    UCB_BOOTSTRAP_MAX, path, NONE);
        free(file);
    }
}

/* `n` empty objects with IDs 0..n-1. */
static size_t build_objects(unsigned n)
{
    struct builder b = {scratch, 4};
    for (unsigned i = 0; i < n; i++) {
        b16(&b, i);
        b8(&b, 0);
        b16(&b, 0);
    }
    bfinish(&b, n);
    return b.len;
}

/* One object 0 with `n` empty instances with IDs 0..n-1. */
static size_t build_instances(unsigned n)
{
    struct builder b = {scratch, 4};
    b16(&b, 0);
    b8(&b, 0);
    b16(&b, 2 * n);
    for (unsigned i = 0; i < n; i++) {
        b8(&b, 0x00); /* Object Instance, 8-bit ID, length 0 */
        b8(&b, i);
    }
    bfinish(&b, 1);
    return b.len;
}

/* One object 0, one instance 0, `n` empty resources with IDs 0..n-1; or,
 * with `multiple`, one Multiple Resource 2 with n-1 empty instances. */
static size_t build_resources(unsigned n, bool multiple)
{
    struct builder b = {scratch, 4};
    unsigned content = multiple ? 4 + 2 * (n - 1) : 2 * n;
    b16(&b, 0);
    b8(&b, 0);
    b16(&b, 4 + content);
    b8(&b, 0x10); /* Object Instance, 16-bit length */
    b8(&b, 0);
    b16(&b, content);
    if (multiple) {
        b8(&b, 0x90); /* Multiple Resource, 16-bit length */
        b8(&b, 2);
        b16(&b, 2 * (n - 1));
        for (unsigned i = 0; i + 1 < n; i++) {
            b8(&b, 0x40); /* Resource Instance, length 0 */
            b8(&b, i & 0xFFu);
        }
    } else {
        for (unsigned i = 0; i < n; i++) {
            b8(&b, 0xC0); /* Resource, length 0 */
            b8(&b, i & 0xFFu);
        }
    }
    bfinish(&b, 1);
    return b.len;
}

static void model_capacity_is_reached_exactly_then_overflows(void **state)
{
    (void)state;
    const unsigned mo = UCB_BS_MAX_OBJECTS, mi = UCB_BS_MAX_INSTANCES, mr = UCB_BS_MAX_RESOURCES;
    static const char *const names[] = {"objects", "instances", "resources",
                                        "resource_instances"};
    for (int which = 0; which < 4; which++) {
        for (int over = 0; over <= 1; over++) {
            char name[64];
            snprintf(name, sizeof name, "%s %s", names[which], over ? "over capacity" : "at capacity");
            size_t len;
            uint32_t at, path[4] = {NONE, NONE, NONE, NONE};
            switch (which) {
            case 0:
                len = build_objects(mo + (unsigned)over);
                at = 4 + 5 * mo;
                path[0] = mo;
                break;
            case 1:
                len = build_instances(mi + (unsigned)over);
                at = 9 + 2 * mi;
                path[0] = 0;
                path[1] = mi;
                break;
            case 2:
                len = build_resources(mr + (unsigned)over, false);
                at = 13 + 2 * mr;
                path[0] = 0;
                path[1] = 0;
                path[2] = mr & 0xFFu;
                break;
            default:
                len = build_resources(mr + (unsigned)over, true);
                at = 17 + 2 * (mr - 1);
                path[0] = 0;
                path[1] = 0;
                path[2] = 2;
                path[3] = (mr - 1) & 0xFFu;
                break;
            }
            uint8_t *file = exact_copy(scratch, len);
            struct ucb_bs_fault f;
            int rc = ucb_bs_decode(&bs, file, len, &f);
            if (!over) {
                CHECK_EQ(name, rc, 0);
                CHECK_EQ(name, which == 0 ? bs.nobj : which == 1 ? bs.ninst : bs.nres,
                         which == 0 ? mo : which == 1 ? mi : mr);
            } else {
                CHECK_EQ(name, rc, UCB_ERR_CAPACITY);
                check_fault(name, &f, UCB_BS_FAULT_CAPACITY, UCB_ERR_CAPACITY, at, path, NONE);
            }
            free(file);
        }
    }
}

static void count_mismatch_is_found_beyond_model_capacity(void **state)
{
    (void)state;
    /* UCB_BS_MAX_OBJECTS + 1 well-framed objects that fill the size exactly,
     * under a header count of 1 or of UCB_BS_MAX_OBJECTS: the count is
     * wrong, the size is right. */
    const unsigned counts[] = {1, UCB_BS_MAX_OBJECTS};
    for (size_t i = 0; i < ARRAY_LEN(counts); i++) {
        char name[64];
        snprintf(name, sizeof name, "%u objects under a count of %u", UCB_BS_MAX_OBJECTS + 1,
                 counts[i]);
        size_t len = build_objects(UCB_BS_MAX_OBJECTS + 1);
        scratch[0] = (uint8_t)(counts[i] >> 8);
        scratch[1] = (uint8_t)counts[i];
        uint8_t *file = exact_copy(scratch, len);
        struct ucb_bs_fault f;
        CHECK_EQ(name, ucb_bs_decode(&bs, file, len, &f), UCB_ERR_MALFORMED);
        const uint32_t path[4] = {NONE, NONE, NONE, NONE};
        check_fault(name, &f, UCB_BS_FAULT_COUNT_MISMATCH, UCB_ERR_MALFORMED, 0, path, NONE);
        free(file);
    }
}

/* ------------------------------------------------------------------------- */
/* Object version byte.                                                      */

static void object_version_byte_forms(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *hex;
        uint8_t major, minor;
        uint32_t inst_offset;
    } vectors[] = {
        {"implicit_00", "00 01 00 07 00 03 00 00 02 00 00", 0, 0, 9},
        {"version_1_1", "00 01 00 08 00 03 01 01 00 02 00 00", 1, 1, 10},
        {"version_2_5", "00 01 00 08 00 03 02 05 00 02 00 00", 2, 5, 10},
        {"version_1_0_explicit", "00 01 00 08 00 03 01 00 00 02 00 00", 1, 0, 10},
        {"version_255_255", "00 01 00 08 00 03 FF FF 00 02 00 00", 255, 255, 10},
    };
    for (size_t i = 0; i < ARRAY_LEN(vectors); i++) {
        uint8_t raw[32];
        size_t len = test_hex(vectors[i].hex, raw, sizeof raw);
        uint8_t *file = exact_copy(raw, len);
        CHECK_EQ(vectors[i].name, ucb_bs_decode(&bs, file, len, NULL), 0);
        CHECK_EQ(vectors[i].name, bs.nobj, 1);
        CHECK_EQ(vectors[i].name, bs.obj[0].oid, 3);
        CHECK_EQ(vectors[i].name, bs.obj[0].major, vectors[i].major);
        CHECK_EQ(vectors[i].name, bs.obj[0].minor, vectors[i].minor);
        CHECK_EQ(vectors[i].name, bs.obj[0].len, 2);
        CHECK_EQ(vectors[i].name, bs.ninst, 1);
        CHECK_EQ(vectors[i].name, bs.inst[0].offset, vectors[i].inst_offset);
        /* The version byte(s) are written back as they were. */
        CHECK_EQ(vectors[i].name, ucb_bs_encode(&bs, out, sizeof out), len);
        check_bytes(vectors[i].name, out, len, file, len);
        free(file);
    }
}

/* ------------------------------------------------------------------------- */
/* Typed views on R1.                                                        */

static void r1_security_views(void **state)
{
    (void)state;
    size_t len;
    uint8_t *file = read_r1(&len);
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    struct ucb_security s;
    int bad;

    /* /0/0: bootstrap account, PSK, hold-off 10, account timeout 0. */
    assert_int_equal(ucb_bs_security(&bs, 0, &s, &bad), 0);
    assert_int_equal(s.iid, 0);
    assert_int_equal(s.present, (1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) |
                                    (1u << 5) | (1u << 11) | (1u << 12));
    check_view("/0/0/0", s.uri, "coaps://bs.uiccboot.test:5684");
    assert_true(s.bootstrap);
    assert_int_equal(s.mode, UCB_SECMODE_PSK);
    check_view("/0/0/3", s.identity, "bs-identity-7");
    assert_int_equal(s.server_key.len, 0);
    assert_int_equal(s.secret_key.len, 16);
    assert_ptr_equal(s.secret_key.ptr, file + 71);
    assert_int_equal(s.secret_key.ptr[0], 0xA1);
    assert_int_equal(s.secret_key.ptr[15], 0x90);
    assert_int_equal(s.holdoff, 10);
    assert_int_equal(s.bs_timeout, 0);
    assert_int_equal(s.ssid, 0); /* absent */

    /* /0/1: SSID 101, PSK. */
    assert_int_equal(ucb_bs_security(&bs, 1, &s, NULL), 0);
    assert_int_equal(s.iid, 1);
    assert_int_equal(s.present, 0x3Fu | (1u << 10));
    check_view("/0/1/0", s.uri, "coaps://a.uiccboot.test:5684");
    assert_false(s.bootstrap);
    assert_int_equal(s.mode, UCB_SECMODE_PSK);
    check_view("/0/1/3", s.identity, "dev-psk-id");
    assert_int_equal(s.secret_key.len, 16);
    assert_int_equal(s.ssid, 101);
    assert_int_equal(s.holdoff, 0);

    /* /0/2: SSID 102, NoSec, empty key resources present. */
    assert_int_equal(ucb_bs_security(&bs, 2, &s, NULL), 0);
    assert_int_equal(s.iid, 2);
    assert_int_equal(s.present, 0x3Fu | (1u << 10));
    check_view("/0/2/0", s.uri, "coap://b.uiccboot.test:5683");
    assert_int_equal(s.mode, UCB_SECMODE_NOSEC);
    assert_int_equal(s.identity.len, 0);
    assert_int_equal(s.secret_key.len, 0);
    assert_int_equal(s.ssid, 102);
    free(file);
}

static void r1_server_views(void **state)
{
    (void)state;
    size_t len;
    uint8_t *file = read_r1(&len);
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    struct ucb_server v;
    assert_int_equal(ucb_bs_server(&bs, 3, &v, NULL), 0);
    assert_int_equal(v.iid, 0);
    assert_int_equal(v.present, (1u << 0) | (1u << 1) | (1u << 6) | (1u << 7));
    assert_int_equal(v.ssid, 101);
    assert_int_equal(v.lifetime, 3600);
    assert_true(v.storing);
    check_view("/1/0/7", v.binding, "U");
    assert_int_equal(v.pmin, 0);

    assert_int_equal(ucb_bs_server(&bs, 4, &v, NULL), 0);
    assert_int_equal(v.iid, 1);
    assert_int_equal(v.ssid, 102);
    assert_int_equal(v.lifetime, 86400);
    assert_true(v.storing);
    check_view("/1/1/7", v.binding, "UQ");
    free(file);
}

static void r1_access_control_views(void **state)
{
    (void)state;
    size_t len;
    uint8_t *file = read_r1(&len);
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    struct ucb_acl a;
    int64_t rights;
    struct ucb_tlv t;

    /* /2/0 for /1/0: SSID 101 all rights, owner 101. */
    assert_int_equal(ucb_bs_acl(&bs, 5, &a, NULL), 0);
    assert_int_equal(a.iid, 0);
    assert_int_equal(a.target_oid, 1);
    assert_int_equal(a.target_iid, 0);
    assert_int_equal(a.owner, 101);
    assert_true(a.present & (1u << 0));
    assert_true(a.present & (1u << 1));
    assert_true(a.present & (1u << 3));
    assert_int_equal(a.acl_first, 33);
    assert_int_equal(a.acl_count, 1);
    assert_int_equal(bs.res[33].kind, RI);
    assert_int_equal(bs.res[33].id, 101);
    ucb_bs_res_tlv(&bs.res[33], &t);
    assert_int_equal(ucb_tlv_get_int(&t, &rights), 0);
    assert_int_equal(rights, 0x1F);

    /* /2/1 for /3/0: default R, 101 RW, 102 RWE, owner 101. */
    static const struct {
        uint16_t ssid;
        int64_t rights;
    } acl[] = {{0, 1}, {101, 3}, {102, 7}};
    assert_int_equal(ucb_bs_acl(&bs, 6, &a, NULL), 0);
    assert_int_equal(a.iid, 1);
    assert_int_equal(a.target_oid, 3);
    assert_int_equal(a.target_iid, 0);
    assert_int_equal(a.owner, 101);
    assert_int_equal(a.acl_first, 38);
    assert_int_equal(a.acl_count, 3);
    for (size_t i = 0; i < ARRAY_LEN(acl); i++) {
        const struct ucb_bs_res *r = &bs.res[a.acl_first + i];
        assert_int_equal(r->kind, RI);
        assert_int_equal(r->id, acl[i].ssid);
        ucb_bs_res_tlv(r, &t);
        assert_int_equal(ucb_tlv_get_int(&t, &rights), 0);
        assert_int_equal(rights, acl[i].rights);
    }
    free(file);
}

static void typed_view_of_the_wrong_object_or_index_is_an_argument_error(void **state)
{
    (void)state;
    size_t len;
    uint8_t *file = read_r1(&len);
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    struct ucb_security s;
    struct ucb_server v;
    struct ucb_acl a;
    assert_int_equal(ucb_bs_security(&bs, 3, &s, NULL), UCB_ERR_ARG); /* a Server instance */
    assert_int_equal(ucb_bs_server(&bs, 0, &v, NULL), UCB_ERR_ARG);   /* a Security instance */
    assert_int_equal(ucb_bs_acl(&bs, 4, &a, NULL), UCB_ERR_ARG);      /* a Server instance */
    assert_int_equal(ucb_bs_security(&bs, 7, &s, NULL), UCB_ERR_ARG); /* past ninst */
    assert_int_equal(ucb_bs_server(&bs, 100, &v, NULL), UCB_ERR_ARG);
    assert_int_equal(ucb_bs_acl(&bs, 7, &a, NULL), UCB_ERR_ARG);
    free(file);
}

static void malformed_value_is_reported_and_the_view_still_filled(void **state)
{
    (void)state;
    size_t len;
    uint8_t *file = read_r1(&len);
    int bad = -1;

    /* /0/1/1 Bootstrap-Server: value 02 at file offset 129 (res index 9). */
    file[129] = 0x02;
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    struct ucb_security s;
    assert_int_equal(ucb_bs_security(&bs, 1, &s, &bad), UCB_ERR_TYPE);
    assert_int_equal(bad, 9);
    assert_int_equal(s.present, 0x3Du | (1u << 10)); /* bit 1 cleared */
    check_view("/0/1/0", s.uri, "coaps://a.uiccboot.test:5684");
    assert_int_equal(s.ssid, 101);
    assert_int_equal(s.iid, 1);
    file[129] = 0x00;

    /* /1/0/7 Binding: FF is not UTF-8 (offset 238, res index 25). */
    file[238] = 0xFF;
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    struct ucb_server v;
    bad = -1;
    assert_int_equal(ucb_bs_server(&bs, 3, &v, &bad), UCB_ERR_TYPE);
    assert_int_equal(bad, 25);
    assert_int_equal(v.present, (1u << 0) | (1u << 1) | (1u << 6));
    assert_int_equal(v.binding.len, 0);
    assert_int_equal(v.lifetime, 3600);
    assert_int_equal(ucb_bs_server(&bs, 3, &v, NULL), UCB_ERR_TYPE); /* out_bad_res optional */
    file[238] = 0x55;

    /* /0/0/1 Bootstrap-Server 02 (offset 46, res index 1): the fields
     * after it are still filled. */
    file[46] = 0x02;
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    bad = -1;
    assert_int_equal(ucb_bs_security(&bs, 0, &s, &bad), UCB_ERR_TYPE);
    assert_int_equal(bad, 1);
    assert_int_equal(s.holdoff, 10);
    free(file);
}

/* ------------------------------------------------------------------------- */
/* Encoder.                                                                  */

/* Every TLV header of the file's instance payloads is in its smallest form,
 * so re-encoding must give the same bytes. */
static void assert_minimal_tlv_headers(const char *name, const struct ucb_bootstrap *m,
                                       const uint8_t *file)
{
    for (size_t i = 0; i < m->nobj; i++) {
        size_t p = m->obj[i].offset + (m->obj[i].major ? 6u : 5u);
        struct ucb_tlv_cursor top;
        struct ucb_tlv t;
        ucb_tlv_cursor_init(&top, file + p, m->obj[i].len, p, UCB_TLV_ALLOW(OI));
        while (ucb_tlv_next(&top, &t) == 1) {
            CHECK_EQ(name, t.value_offset - t.offset, ucb_tlv_header_size(t.id, t.len));
            struct ucb_tlv_cursor in;
            struct ucb_tlv r;
            assert_int_equal(ucb_tlv_enter(&in, &t), 0);
            while (ucb_tlv_next(&in, &r) == 1) {
                CHECK_EQ(name, r.value_offset - r.offset, ucb_tlv_header_size(r.id, r.len));
                if (r.kind != MR) continue;
                struct ucb_tlv_cursor mc;
                struct ucb_tlv ri;
                assert_int_equal(ucb_tlv_enter(&mc, &r), 0);
                while (ucb_tlv_next(&mc, &ri) == 1)
                    CHECK_EQ(name, ri.value_offset - ri.offset, ucb_tlv_header_size(ri.id, ri.len));
            }
        }
    }
}

static void decode_then_encode_gives_the_same_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *hex; /* NULL: R1 */
        size_t content;  /* bytes expected back: the file without padding */
    } vectors[] = {
        {"avsystem", HEX_AVSYSTEM, 126},
        {"r1", NULL, 304},
        {"nordic_without_padding", HEX_NORDIC, 58},
    };
    for (size_t i = 0; i < ARRAY_LEN(vectors); i++) {
        const char *name = vectors[i].name;
        size_t len;
        uint8_t *file;
        if (vectors[i].hex) {
            uint8_t raw[200];
            len = test_hex(vectors[i].hex, raw, sizeof raw);
            file = exact_copy(raw, len);
        } else {
            file = read_r1(&len);
        }
        CHECK_EQ(name, ucb_bs_decode(&bs, file, len, NULL), 0);
        assert_minimal_tlv_headers(name, &bs, file);
        size_t n = vectors[i].content;
        CHECK_EQ(name, ucb_bs_encode(&bs, NULL, 0), n);
        memset(out, 0xA5, sizeof out);
        CHECK_EQ(name, ucb_bs_encode(&bs, out, n), n);
        check_bytes(name, out, n, file, n);
        CHECK_EQ(name, out[n], 0xA5);
        /* One byte short: refused, nothing written past the cap. */
        memset(out, 0xA5, sizeof out);
        CHECK_EQ(name, ucb_bs_encode(&bs, out, n - 1), UCB_ERR_BUFFER);
        CHECK_EQ(name, out[n - 1], 0xA5);
        CHECK_EQ(name, ucb_bs_encode(&bs, out, 0), UCB_ERR_BUFFER);
        /* The encoded file decodes to the same model. */
        CHECK_EQ(name, ucb_bs_encode(&bs, out, sizeof out), n);
        CHECK_EQ(name, ucb_bs_decode(&bs2, out, n, NULL), 0);
        CHECK_EQ(name, bs2.nobj, bs.nobj);
        CHECK_EQ(name, bs2.ninst, bs.ninst);
        CHECK_EQ(name, bs2.nres, bs.nres);
        free(file);
    }
}

static void encode_normalises_nonminimal_headers(void **state)
{
    (void)state;
    /* One object 1, instance 0 with a 24-bit length, resource 0 (16-bit ID,
     * 16-bit length), multiple resource 2 (8-bit length) with one instance. */
    uint8_t in[64], exp[64];
    size_t ilen = test_hex("00 01 00 17 00 01 00 00 12 "
                           "18 00 00 00 0D "
                           "F0 00 00 00 01 65 "
                           "88 02 04 48 07 01 1F",
                           in, sizeof in);
    size_t elen = test_hex("00 01 00 10 00 01 00 00 0B "
                           "08 00 08 "
                           "C1 00 65 "
                           "83 02 41 07 1F",
                           exp, sizeof exp);
    /* 48 07 01 1F = Resource Instance 7, 8-bit length 01. */
    assert_int_equal(ucb_bs_decode(&bs, in, ilen, NULL), 0);
    assert_int_equal(bs.nres, 3);
    assert_int_equal(ucb_bs_encode(&bs, NULL, 0), (int)elen);
    assert_int_equal(ucb_bs_encode(&bs, out, sizeof out), (int)elen);
    check_bytes("nonminimal", out, elen, exp, elen);
}

static void res_tlv_view_reports_the_entry(void **state)
{
    (void)state;
    size_t len;
    uint8_t *file = read_r1(&len);
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    struct ucb_tlv t;
    ucb_bs_res_tlv(&bs.res[33], &t); /* /2/0/2/101 */
    assert_int_equal(t.kind, RI);
    assert_int_equal(t.id, 101);
    assert_int_equal(t.len, 1);
    assert_ptr_equal(t.value, file + 276);
    assert_int_equal(t.offset, 274);
    assert_int_equal(t.value_offset, 276);
    ucb_bs_res_tlv(&bs.res[0], &t); /* /0/0/0, 8-bit length field */
    assert_int_equal(t.kind, RS);
    assert_int_equal(t.offset, 12);
    assert_int_equal(t.value_offset, 15);
    free(file);

    /* A non-minimal header: the value still starts where the file says. */
    uint8_t in[32];
    size_t ilen = test_hex("00 01 00 0D 00 01 00 00 08 08 00 05 "
                           "D0 00 00 01 65", /* 16-bit length field for 1 byte */
                           in, sizeof in);
    assert_int_equal(ucb_bs_decode(&bs, in, ilen, NULL), 0);
    assert_int_equal(bs.nres, 1);
    ucb_bs_res_tlv(&bs.res[0], &t);
    assert_ptr_equal(t.value, in + 16);
    assert_int_equal(t.offset, 12);
    assert_int_equal(t.value_offset, 16);
}

/* ------------------------------------------------------------------------- */
/* Model building.                                                           */

/* The model below, encoded:
 * /1/0: SSID 101, lifetime 3600, storing true, binding U
 * /2/0: target /1/0, ACL {101: 0x1F}, owner 101
 * /3 (version 1.1)/0: opaque resource 0x1234 empty, empty multiple resource 5 */
#define HEX_BUILT_MODEL                                 \
    "00 03 00 38 "                                      \
    "00 01 00 00 10 08 00 0D C1 00 65 C2 01 0E 10 C1 06 01 C1 07 55 " \
    "00 02 00 00 11 08 00 0E C1 00 01 C1 01 00 83 02 41 65 1F C1 03 65 " \
    "00 03 01 01 00 07 05 00 E0 12 34 80 05"

static void built_model_encodes_to_the_known_vector(void **state)
{
    (void)state;
    static const uint8_t v65[] = {0x65}, v3600[] = {0x0E, 0x10}, v1[] = {0x01},
                         v0[] = {0x00}, v1f[] = {0x1F};
    uint8_t exp[80];
    size_t elen = test_hex(HEX_BUILT_MODEL, exp, sizeof exp);
    ucb_bs_init(&bs);
    assert_int_equal(ucb_bs_add_object(&bs, 1, 0, 0), 0);
    assert_int_equal(ucb_bs_add_instance(&bs, 0), 0);
    assert_int_equal(ucb_bs_add_resource(&bs, 0, v65, 1), 0);
    assert_int_equal(ucb_bs_add_resource(&bs, 1, v3600, 2), 1);
    assert_int_equal(ucb_bs_add_resource(&bs, 6, v1, 1), 2);
    assert_int_equal(ucb_bs_add_resource(&bs, 7, (const uint8_t *)"U", 1), 3);
    assert_int_equal(ucb_bs_add_object(&bs, 2, 0, 0), 1);
    assert_int_equal(ucb_bs_add_instance(&bs, 0), 1);
    assert_int_equal(ucb_bs_add_resource(&bs, 0, v1, 1), 4);
    assert_int_equal(ucb_bs_add_resource(&bs, 1, v0, 1), 5);
    assert_int_equal(ucb_bs_add_multiple(&bs, 2), 6);
    assert_int_equal(ucb_bs_add_resource_instance(&bs, 101, v1f, 1), 7);
    assert_int_equal(ucb_bs_add_resource(&bs, 3, v65, 1), 8);
    assert_int_equal(ucb_bs_add_object(&bs, 3, 1, 1), 2);
    assert_int_equal(ucb_bs_add_instance(&bs, 0), 2);
    assert_int_equal(ucb_bs_add_resource(&bs, 0x1234, NULL, 0), 9);
    assert_int_equal(ucb_bs_add_multiple(&bs, 5), 10);

    assert_int_equal(bs.obj[1].first, 1);
    assert_int_equal(bs.obj[1].count, 1);
    assert_int_equal(bs.inst[1].first, 4);
    assert_int_equal(bs.inst[1].count, 5);
    assert_int_equal(bs.res[6].count, 1);
    assert_int_equal(bs.res[10].count, 0);

    assert_int_equal(ucb_bs_encode(&bs, NULL, 0), (int)elen);
    memset(out, 0xA5, sizeof out);
    assert_int_equal(ucb_bs_encode(&bs, out, elen), (int)elen);
    check_bytes("built_model", out, elen, exp, elen);
    assert_int_equal(out[elen], 0xA5);
    assert_int_equal(ucb_bs_encode(&bs, out, elen - 1), UCB_ERR_BUFFER);

    /* And it decodes back to the same shape. */
    assert_int_equal(ucb_bs_decode(&bs2, exp, elen, NULL), 0);
    assert_int_equal(bs2.nobj, 3);
    assert_int_equal(bs2.ninst, 3);
    assert_int_equal(bs2.nres, 11);
    assert_int_equal(bs2.obj[2].major, 1);
    assert_int_equal(bs2.obj[2].minor, 1);
    assert_int_equal(bs2.res[9].id, 0x1234);
    assert_int_equal(bs2.res[10].kind, MR);
    assert_int_equal(bs2.res[10].count, 0);
}

static void model_building_refuses_out_of_order_and_full(void **state)
{
    (void)state;
    static const uint8_t v[] = {1};
    ucb_bs_init(&bs);
    assert_int_equal(ucb_bs_add_instance(&bs, 0), UCB_ERR_ARG);           /* no object */
    assert_int_equal(ucb_bs_add_resource(&bs, 0, v, 1), UCB_ERR_ARG);     /* no instance */
    assert_int_equal(ucb_bs_add_object(&bs, 0, 0, 0), 0);
    assert_int_equal(ucb_bs_add_resource(&bs, 0, v, 1), UCB_ERR_ARG);     /* no instance */
    assert_int_equal(ucb_bs_add_multiple(&bs, 2), UCB_ERR_ARG);           /* no instance */
    assert_int_equal(ucb_bs_add_instance(&bs, 0), 0);
    assert_int_equal(ucb_bs_add_resource_instance(&bs, 0, v, 1), UCB_ERR_ARG); /* no multiple */
    assert_int_equal(ucb_bs_add_resource(&bs, 0, v, 1), 0);
    assert_int_equal(ucb_bs_add_resource_instance(&bs, 0, v, 1), UCB_ERR_ARG); /* no multiple */
    /* A value longer than a model entry can say (16-bit len). */
    assert_int_equal(ucb_bs_add_resource(&bs, 1, scratch, 65536), UCB_ERR_ARG);

    ucb_bs_init(&bs);
    for (unsigned i = 0; i < UCB_BS_MAX_OBJECTS; i++)
        assert_int_equal(ucb_bs_add_object(&bs, (uint16_t)i, 0, 0), (int)i);
    assert_int_equal(ucb_bs_add_object(&bs, 99, 0, 0), UCB_ERR_CAPACITY);
    assert_int_equal(bs.nobj, UCB_BS_MAX_OBJECTS);

    ucb_bs_init(&bs);
    assert_int_equal(ucb_bs_add_object(&bs, 0, 0, 0), 0);
    for (unsigned i = 0; i < UCB_BS_MAX_INSTANCES; i++)
        assert_int_equal(ucb_bs_add_instance(&bs, (uint16_t)i), (int)i);
    assert_int_equal(ucb_bs_add_instance(&bs, 999), UCB_ERR_CAPACITY);
    for (unsigned i = 0; i < UCB_BS_MAX_RESOURCES; i++)
        assert_int_equal(ucb_bs_add_resource(&bs, (uint16_t)i, v, 1), (int)i);
    assert_int_equal(ucb_bs_add_resource(&bs, 999, v, 1), UCB_ERR_CAPACITY);
    assert_int_equal(ucb_bs_add_multiple(&bs, 999), UCB_ERR_CAPACITY);
    assert_int_equal(bs.nres, UCB_BS_MAX_RESOURCES);
}

static void find_res_finds_resources_not_resource_instances(void **state)
{
    (void)state;
    size_t len;
    uint8_t *file = read_r1(&len);
    assert_int_equal(ucb_bs_decode(&bs, file, len, NULL), 0);
    static const struct {
        const char *name;
        size_t inst;
        uint16_t rid;
        int index;
    } vectors[] = {
        {"/0/0/0", 0, 0, 0},
        {"/0/0/5", 0, 5, 5},
        {"/0/0/12", 0, 12, 7},
        {"/0/0/10 absent", 0, 10, UCB_ERR_NOT_PRESENT},
        {"/0/1/10", 1, 10, 14},
        {"/0/2/5", 2, 5, 20},
        {"/1/1/7", 4, 7, 29},
        {"/2/0/2 multiple", 5, 2, 32},
        {"/2/0/3", 5, 3, 34},
        {"/2/0 has no resource 101 (only an ACL instance 101)", 5, 101, UCB_ERR_NOT_PRESENT},
        {"/2/1/3 after three ACL instances", 6, 3, 41},
        {"/2/1 has no resource 102", 6, 102, UCB_ERR_NOT_PRESENT},
        {"instance index past ninst", 7, 0, UCB_ERR_NOT_PRESENT},
    };
    for (size_t i = 0; i < ARRAY_LEN(vectors); i++)
        CHECK_EQ(vectors[i].name, ucb_bs_find_res(&bs, vectors[i].inst, vectors[i].rid),
                 vectors[i].index);
    free(file);
}

static void res_info_knows_objects_0_to_2(void **state)
{
    (void)state;
    static const struct {
        uint16_t oid, rid;
        uint8_t type;
        bool multiple, mandatory, secret;
        uint8_t since_major, since_minor;
        const char *name;
    } known[] = {
        {0, 0, UCB_TYPE_STRING, false, true, false, 1, 0, "LWM2M Server URI"},
        {0, 1, UCB_TYPE_BOOLEAN, false, true, false, 1, 0, "Bootstrap-Server"},
        {0, 5, UCB_TYPE_OPAQUE, false, true, true, 1, 0, "Secret Key"},
        {0, 10, UCB_TYPE_INTEGER, false, false, false, 1, 0, "Short Server ID"},
        {0, 13, UCB_TYPE_UNSIGNED, false, false, false, 1, 1, "Matching Type"},
        {0, 17, UCB_TYPE_OBJLNK, false, false, false, 1, 1, "OSCORE Security Mode"},
        {1, 1, UCB_TYPE_INTEGER, false, true, false, 1, 0, "Lifetime"},
        {1, 7, UCB_TYPE_STRING, false, true, false, 1, 0, "Binding"},
        {1, 8, UCB_TYPE_NONE, false, true, false, 1, 0, "Registration Update Trigger"},
        {2, 2, UCB_TYPE_INTEGER, true, false, false, 1, 0, "ACL"},
        {2, 3, UCB_TYPE_INTEGER, false, true, false, 1, 0, "Access Control Owner"},
    };
    for (size_t i = 0; i < ARRAY_LEN(known); i++) {
        const struct ucb_res_info *r = ucb_res_info_find(known[i].oid, known[i].rid);
        const char *n = known[i].name;
        if (r == NULL) fail_msg("%s: not found", n);
        CHECK_EQ(n, r->oid, known[i].oid);
        CHECK_EQ(n, r->rid, known[i].rid);
        CHECK_EQ(n, r->type, known[i].type);
        CHECK_EQ(n, r->multiple, known[i].multiple);
        CHECK_EQ(n, r->mandatory, known[i].mandatory);
        CHECK_EQ(n, r->secret, known[i].secret);
        CHECK_EQ(n, r->since_major, known[i].since_major);
        CHECK_EQ(n, r->since_minor, known[i].since_minor);
#if UCB_CONFIG_TEXT
        assert_string_equal(r->name, n);
#endif
    }
    static const struct {
        uint16_t oid, rid;
    } unknown[] = {{0, 99}, {1, 200}, {2, 4}, {3, 0}, {0xFFFF, 0}};
    for (size_t i = 0; i < ARRAY_LEN(unknown); i++)
        assert_null(ucb_res_info_find(unknown[i].oid, unknown[i].rid));

    assert_non_null(ucb_object_name(UCB_OID_SECURITY));
    assert_non_null(ucb_object_name(UCB_OID_SERVER));
    assert_non_null(ucb_object_name(UCB_OID_ACCESS_CONTROL));
    assert_null(ucb_object_name(3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(avsystem_example_decodes_to_its_model),
        cmocka_unit_test(nordic_example_decodes_and_accepts_ff_padding),
        cmocka_unit_test(r1_fixture_decodes_to_its_model),
        cmocka_unit_test(header_only_file_is_an_empty_model),
        cmocka_unit_test(trailing_bytes_other_than_ff_are_recorded),
        cmocka_unit_test(structural_faults_name_kind_offset_and_path),
        cmocka_unit_test(decode_refuses_missing_arguments),
        cmocka_unit_test(file_of_exactly_bootstrap_max_decodes_and_reencodes),
        cmocka_unit_test(file_above_bootstrap_max_is_too_large),
        cmocka_unit_test(model_capacity_is_reached_exactly_then_overflows),
        cmocka_unit_test(count_mismatch_is_found_beyond_model_capacity),
        cmocka_unit_test(object_version_byte_forms),
        cmocka_unit_test(r1_security_views),
        cmocka_unit_test(r1_server_views),
        cmocka_unit_test(r1_access_control_views),
        cmocka_unit_test(typed_view_of_the_wrong_object_or_index_is_an_argument_error),
        cmocka_unit_test(malformed_value_is_reported_and_the_view_still_filled),
        cmocka_unit_test(decode_then_encode_gives_the_same_bytes),
        cmocka_unit_test(encode_normalises_nonminimal_headers),
        cmocka_unit_test(res_tlv_view_reports_the_entry),
        cmocka_unit_test(built_model_encodes_to_the_known_vector),
        cmocka_unit_test(model_building_refuses_out_of_order_and_full),
        cmocka_unit_test(find_res_finds_resources_not_resource_instances),
        cmocka_unit_test(res_info_knows_objects_0_to_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
