/*
 * PKCS#15 parsers (src/pkcs15_int.h) and SHA-256 (ucb_sha256).
 *
 * Named hex vectors: EF.DIR records (ISO 7816-4 8.2.1.1), EF(ODF) and
 * EF(DODF) as LwM2M Core Appendix G lays them out (spec-notes 1.4, with the
 * spec's own double-encoded OID example), and the FIPS 180-4 / NIST example
 * messages. Every invalid vector says why it is invalid.
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

#include "../src/pkcs15_int.h"
#include "test_util.h"
#include "uiccboot/card.h"
#include "uiccboot/err.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void check_bytes(const char *name, const char *what, const uint8_t *got, size_t got_len,
                        const char *exp_hex)
{
    uint8_t exp[64];
    const size_t exp_len = test_hex(exp_hex, exp, sizeof exp);
    if (got_len == exp_len && (exp_len == 0 || (got != NULL && memcmp(got, exp, exp_len) == 0)))
        return;
    char g[200] = "";
    for (size_t i = 0; got != NULL && i < got_len && 2 * i + 3 < sizeof g; i++)
        snprintf(g + 2 * i, sizeof g - 2 * i, "%02x", got[i]);
    fail_msg("%s: %s = %s (%zu bytes), expected %s", name, what, g, got_len, exp_hex);
}

/* A pointer the parser returns must lie inside the bytes it was given. */
static void check_inside(const char *name, const uint8_t *p, size_t n, const uint8_t *buf,
                         size_t len)
{
    if (p == NULL) return;
    if (p < buf || p + n > buf + len)
        fail_msg("%s: returned bytes lie outside the input", name);
}

/* ---- EF.DIR ---- */

#define USIM_TEMPLATE "61 18 4F 10 A0000000871002FF33FF018900000100 50 04 5553494D"
#define PKCS15_TEMPLATE "61 1B 4F 0C A000000063504B43532D3135 50 05 4C774D324D 51 04 3F005015"

struct dir_vec {
    const char *name;
    const char *hex;
    int rc;
    const char *aid;     /* expected AID (rc 0) */
    const char *path;    /* expected path, "" for none */
    bool pkcs15;         /* ucb_pkcs15_is_pkcs15_aid(aid) */
    const char *why;     /* for rc != 0: why the record is refused */
};

static const struct dir_vec dir_vecs[] = {
    {"usim_template_ff_padded", USIM_TEMPLATE " FFFFFFFFFFFF", 0,
     "A0000000871002FF33FF018900000100", "", false, NULL},
    {"pkcs15_template_with_label_and_path", PKCS15_TEMPLATE " FFFF", 0,
     "A000000063504B43532D3135", "3F005015", true, NULL},
    {"pkcs15_template_exact_record_length", PKCS15_TEMPLATE, 0, "A000000063504B43532D3135",
     "3F005015", true, NULL},
    {"pkcs15_aid_with_pix_extension", "61 10 4F 0E A000000063504B43532D31350102 FF", 0,
     "A000000063504B43532D31350102", "", true, NULL},
    {"aid_one_byte_short_of_pkcs15_prefix", "61 0D 4F 0B A000000063504B43532D31", 0,
     "A000000063504B43532D31", "", false, NULL},
    {"long_form_81_length", "61 81 0E 4F 0C A000000063504B43532D3135 FF", 0,
     "A000000063504B43532D3135", "", true, NULL},
    {"long_form_82_length", "61 82 00 0E 4F 0C A000000063504B43532D3135", 0,
     "A000000063504B43532D3135", "", true, NULL},
    {"two_byte_tag_5f50_url_skipped",
     "61 16 5F50 05 6874747073 4F 0C A000000063504B43532D3135 FF", 0,
     "A000000063504B43532D3135", "", true, NULL},
    {"zero_padding_after_template", "61 0E 4F 0C A000000063504B43532D3135 0000", 0,
     "A000000063504B43532D3135", "", true, NULL},

    {"unused_record_all_ff", "FFFFFFFFFFFFFFFFFFFF", UCB_ERR_NOT_PRESENT, NULL, NULL, false,
     "an erased record holds no template"},
    {"empty_record", "", UCB_ERR_NOT_PRESENT, NULL, NULL, false, "zero bytes hold no template"},
    {"template_length_past_record", "61 20 4F 0C A000000063504B43532D3135", UCB_ERR_TRUNCATED,
     NULL, NULL, false, "61 says 32 bytes, the record has 14 after the header"},
    {"aid_length_past_template", "61 0E 4F 0D A000000063504B43532D3135 FF", UCB_ERR_TRUNCATED,
     NULL, NULL, false, "4F says 13 bytes, the template has 12 left"},
    {"long_form_81_without_length_byte", "61 81", UCB_ERR_TRUNCATED, NULL, NULL, false,
     "81 announces one length byte, the record ends"},
    {"long_form_82_with_one_length_byte", "61 82 00", UCB_ERR_TRUNCATED, NULL, NULL, false,
     "82 announces two length bytes, one is there"},
    {"long_form_83_length", "61 83 00 00 0E 4F 0C A000000063504B43532D3135", UCB_ERR_MALFORMED,
     NULL, NULL, false, "a 3-byte length cannot describe anything in a record"},
    {"indefinite_length_80", "61 80 4F 0C A000000063504B43532D3135 00 00", UCB_ERR_MALFORMED,
     NULL, NULL, false, "indefinite length is BER, not DER"},
    {"tag_only", "61", UCB_ERR_TRUNCATED, NULL, NULL, false, "no length byte"},
    {"not_an_application_template", "62 0E 4F 0C A000000063504B43532D3135", UCB_ERR_MALFORMED,
     NULL, NULL, false, "EF.DIR records hold tag 61, not 62"},
    {"template_without_aid", "61 07 50 05 4C774D324D FF", UCB_ERR_MALFORMED, NULL, NULL, false,
     "4F (AID) is mandatory"},
    {"aid_shorter_than_rid", "61 06 4F 04 A0000000 FF", UCB_ERR_MALFORMED, NULL, NULL, false,
     "an AID has at least the 5-byte RID"},
    {"aid_of_17_bytes", "61 13 4F 11 A000000063504B43532D31350102030405", UCB_ERR_MALFORMED,
     NULL, NULL, false, "an AID has at most 16 bytes"},
    {"path_of_odd_length", "61 13 4F 0C A000000063504B43532D3135 51 03 3F0050", UCB_ERR_MALFORMED,
     NULL, NULL, false, "a path is a sequence of 2-byte FIDs"},
    {"path_of_18_bytes",
     "61 22 4F 0C A000000063504B43532D3135 51 12 3F00 5015 0001 0002 0003 0004 0005 0006 0007",
     UCB_ERR_MALFORMED, NULL, NULL, false, "a path longer than UCB_PATH_MAX (16)"},
    {"garbage_after_template", "61 0E 4F 0C A000000063504B43532D3135 61 00", UCB_ERR_MALFORMED,
     NULL, NULL, false, "only FF/00 padding may follow the template"},
    {"padding_then_data", "FFFF 61 0E 4F 0C A000000063504B43532D3135", UCB_ERR_MALFORMED, NULL,
     NULL, false, "an erased record does not hold data after its padding"},
    {"two_byte_tag_cut", "61 01 5F", UCB_ERR_TRUNCATED, NULL, NULL, false,
     "the inner 5F tag needs a second tag byte"},
    {"four_byte_tag", "61 13 5F FF FF 01 00 4F 0C A000000063504B43532D3135", UCB_ERR_MALFORMED,
     NULL, NULL, false, "tags longer than three bytes are not ISO 7816-4 tags"},
};

static void dir_records_parse_as_named(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(dir_vecs); i++) {
        const struct dir_vec *v = &dir_vecs[i];
        uint8_t rec[128];
        const size_t len = test_hex(v->hex, rec, sizeof rec);
        struct ucb_dir_app app;
        const int rc = ucb_pkcs15_dir_record(rec, len, &app);
        if (rc != v->rc)
            fail_msg("%s: rc %d, expected %d%s%s", v->name, rc, v->rc, v->why ? " because " : "",
                     v->why ? v->why : "");
        if (rc != 0) {
            if (v->why == NULL) fail_msg("%s: invalid vector without a reason", v->name);
            if (app.aid != NULL || app.path != NULL)
                fail_msg("%s: a refused record left a result", v->name);
            continue;
        }
        check_inside(v->name, app.aid, app.aid_len, rec, len);
        check_inside(v->name, app.path, app.path_len, rec, len);
        check_inside(v->name, app.label, app.label_len, rec, len);
        check_bytes(v->name, "aid", app.aid, app.aid_len, v->aid);
        check_bytes(v->name, "path", app.path, app.path_len, v->path);
        if (ucb_pkcs15_is_pkcs15_aid(app.aid, app.aid_len) != v->pkcs15)
            fail_msg("%s: is_pkcs15_aid = %d, expected %d", v->name, !v->pkcs15, v->pkcs15);
    }
}

static void pkcs15_aid_constant_is_rid_a000000063_and_pkcs_15(void **state)
{
    (void)state;
    check_bytes("ucb_pkcs15_aid", "value", ucb_pkcs15_aid, UCB_PKCS15_AID_LEN,
                "A0 00 00 00 63 50 4B 43 53 2D 31 35");
    check_bytes("ucb_lwm2m_oid", "value", ucb_lwm2m_oid, UCB_LWM2M_OID_LEN, "67 2B 09 01");
    assert_true(ucb_pkcs15_is_pkcs15_aid(ucb_pkcs15_aid, UCB_PKCS15_AID_LEN));
    assert_false(ucb_pkcs15_is_pkcs15_aid(NULL, 0));
    /* a 17-byte "AID" with the right prefix is no AID at all */
    uint8_t long_aid[17];
    memcpy(long_aid, ucb_pkcs15_aid, UCB_PKCS15_AID_LEN);
    memset(long_aid + UCB_PKCS15_AID_LEN, 1, 5);
    assert_false(ucb_pkcs15_is_pkcs15_aid(long_aid, sizeof long_aid));
    assert_true(ucb_pkcs15_is_pkcs15_aid(long_aid, 16));
}

/* ---- ODF ---- */

struct odf_vec {
    const char *name;
    const char *hex;
    int rc;
    const char *path;
    const char *why;
};

static const struct odf_vec odf_vecs[] = {
    {"spec_notes_example_ff_padded", "A7 06 30 04 04 02 64 30 FFFFFFFFFFFFFFFF", 0, "6430", NULL},
    {"spec_notes_example_exact", "A7 06 30 04 04 02 64 30", 0, "6430", NULL},
    {"trusted_certificates_a5_before_a7",
     "A5 06 30 04 04 02 44 04 A7 06 30 04 04 02 64 30 FFFF", 0, "6430", NULL},
    {"every_other_entry_before_a7",
     "A0 06 30 04 04 02 44 00 A1 06 30 04 04 02 44 01 A4 06 30 04 04 02 44 02 "
     "A8 06 30 04 04 02 44 08 A7 06 30 04 04 02 64 31",
     0, "6431", NULL},
    {"absolute_path_to_dodf", "A7 0A 30 08 04 06 3F00 5015 6430 FF", 0, "3F0050156430", NULL},
    {"path_with_index_and_length", "A7 0C 30 0A 04 02 64 30 02 01 00 80 01 40", 0, "6430", NULL},
    {"long_form_lengths", "A7 81 08 30 82 00 04 04 02 64 30", 0, "6430", NULL},
    {"zero_padding", "A7 06 30 04 04 02 64 30 0000", 0, "6430", NULL},
    {"first_a7_inline_second_a7_path", "A7 04 A0 02 30 00 A7 06 30 04 04 02 64 33", 0, "6433",
     NULL},
    {"padding_ends_file_before_garbage", "A7 06 30 04 04 02 64 30 FF 30 99", 0, "6430", NULL},

    {"no_data_objects_entry", "A5 06 30 04 04 02 44 04 FFFF", UCB_ERR_NOT_PRESENT, NULL,
     "only trusted certificates are listed"},
    {"empty_file", "", UCB_ERR_NOT_PRESENT, NULL, "nothing listed"},
    {"erased_file", "FFFFFFFFFFFFFFFF", UCB_ERR_NOT_PRESENT, NULL, "nothing listed"},
    {"truncated_a7_entry", "A7 06 30 04 04 02 64", UCB_ERR_TRUNCATED, NULL,
     "A7 says 6 bytes, 5 follow"},
    {"truncated_entry_before_a7", "A5 10 30 04 04 02 44 04 A7 06 30 04 04 02 64 30",
     UCB_ERR_TRUNCATED, NULL, "A5 says 16 bytes and swallows the A7; 14 follow"},
    {"inline_objects_only", "A7 04 A0 02 30 00", UCB_ERR_MALFORMED, NULL,
     "the data objects are inline, there is no DODF file to read"},
    {"path_of_odd_length", "A7 05 30 03 04 01 64", UCB_ERR_MALFORMED, NULL,
     "a path is a sequence of 2-byte FIDs"},
    {"path_of_18_bytes", "A7 16 30 14 04 12 3F00 5015 0001 0002 0003 0004 0005 0006 0007",
     UCB_ERR_MALFORMED, NULL, "a path longer than UCB_PATH_MAX (16)"},
    {"path_sequence_without_octet_string", "A7 05 30 03 02 01 00", UCB_ERR_MALFORMED, NULL,
     "Path starts with its OCTET STRING"},
    {"not_a_context_tag", "30 06 30 04 04 02 64 30", UCB_ERR_MALFORMED, NULL,
     "ODF entries are PKCS15Objects [0]..[8], a bare SEQUENCE is not one"},
    {"inner_length_past_entry", "A7 06 30 05 04 02 64 30", UCB_ERR_MALFORMED, NULL,
     "the Path SEQUENCE runs past its A7"},
};

static void odf_finds_dodf_path_as_named(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(odf_vecs); i++) {
        const struct odf_vec *v = &odf_vecs[i];
        uint8_t odf[128];
        const size_t len = test_hex(v->hex, odf, sizeof odf);
        const uint8_t *path = (const uint8_t *)"x";
        size_t path_len = 99;
        const int rc = ucb_pkcs15_odf_dodf(odf, len, &path, &path_len);
        if (rc != v->rc)
            fail_msg("%s: rc %d, expected %d%s%s", v->name, rc, v->rc, v->why ? " because " : "",
                     v->why ? v->why : "");
        if (rc != 0) {
            if (v->why == NULL) fail_msg("%s: invalid vector without a reason", v->name);
            if (path != NULL || path_len != 0) fail_msg("%s: refused ODF left a path", v->name);
            continue;
        }
        check_inside(v->name, path, path_len, odf, len);
        check_bytes(v->name, "path", path, path_len, v->path);
    }
}

/* ---- DODF ---- */

/* "LwM2M Bootstrap" as a UTF8String, 17 bytes with its header. */
#define LABEL "0C 0F 4C774D324D20426F6F747374726170"

struct dodf_vec {
    const char *name;
    const char *hex;
    const char *oid;     /* override, DER content bytes; NULL = 67 2B 09 01 */
    int rc;
    const char *path;
    uint32_t form;
    bool private_flag;
    bool modifiable_flag;
    const char *why;
};

static const struct dodf_vec dodf_vecs[] = {
    /* LwM2M Core Appendix G example (spec-notes 1.4): the id is the OID TLV
     * wrapped in a second OID header. */
    {"spec_example_double_encoded_oid",
     "A1 27 30 00 30 11 " LABEL " A1 10 30 0E 06 06 06 04 67 2B 09 01 30 04 04 02 64 32", NULL,
     0, "6432", UCB_ROUTE_OID_DOUBLE, false, false, NULL},
    {"spec_example_ff_padded",
     "A1 27 30 00 30 11 " LABEL " A1 10 30 0E 06 06 06 04 67 2B 09 01 30 04 04 02 64 32 "
     "FFFFFFFFFFFFFFFFFFFF",
     NULL, 0, "6432", UCB_ROUTE_OID_DOUBLE, false, false, NULL},
    {"correct_oid_2_23_43_9_1",
     "A1 25 30 00 30 11 " LABEL " A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", NULL, 0,
     "6432", UCB_ROUTE_OID_CORRECT, false, false, NULL},
    {"application_oid_in_opaque_do",
     "30 23 30 00 30 17 " LABEL " 06 04 67 2B 09 01 A1 06 30 04 04 02 64 32", NULL, 0, "6432",
     UCB_ROUTE_OID_APPLICATION, false, false, NULL},
    {"application_oid_in_external_ido",
     "A0 1A 30 00 30 06 06 04 67 2B 09 01 A0 02 30 00 A1 0A 30 08 04 06 3F00 5015 6432", NULL, 0,
     "3F0050156432", UCB_ROUTE_OID_APPLICATION, false, false, NULL},
    {"private_flag_with_auth_id",
     "A1 1B 30 07 03 02 07 80 04 01 01 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32",
     NULL, 0, "6432", UCB_ROUTE_OID_CORRECT, true, false, NULL},
    {"modifiable_flag",
     "A1 18 30 04 03 02 06 40 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", NULL, 0,
     "6432", UCB_ROUTE_OID_CORRECT, false, true, NULL},
    {"private_and_modifiable_with_label",
     "A1 1D 30 09 0C 03 4C774D 03 02 06 C0 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32",
     NULL, 0, "6432", UCB_ROUTE_OID_CORRECT, true, true, NULL},
    /* 07 40: one bit (private = 0); the 40 bit lies in the unused bits. */
    {"flag_bit_in_unused_bits_ignored",
     "A1 18 30 04 03 02 07 40 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", NULL, 0,
     "6432", UCB_ROUTE_OID_CORRECT, false, false, NULL},
    {"flags_with_no_bits",
     "A1 17 30 03 03 01 00 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", NULL, 0,
     "6432", UCB_ROUTE_OID_CORRECT, false, false, NULL},
    {"other_object_first",
     "A1 13 30 00 30 00 A1 0D 30 0B 06 03 2A 03 04 30 04 04 02 44 01 "
     "A1 14 30 00 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 35",
     NULL, 0, "6435", UCB_ROUTE_OID_CORRECT, false, false, NULL},
    {"unparsable_entry_then_ours",
     "30 02 04 00 A1 14 30 00 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", NULL, 0,
     "6432", UCB_ROUTE_OID_CORRECT, false, false, NULL},
    {"sub_class_attributes_skipped",
     "A1 18 30 00 30 00 A0 02 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", NULL, 0,
     "6432", UCB_ROUTE_OID_CORRECT, false, false, NULL},
    {"override_oid_correct_form",
     "A1 14 30 00 30 00 A1 0E 30 0C 06 04 67 2B 09 02 30 04 04 02 64 33", "67 2B 09 02", 0,
     "6433", UCB_ROUTE_OID_CORRECT, false, false, NULL},
    {"override_oid_double_form",
     "A1 16 30 00 30 00 A1 10 30 0E 06 06 06 04 67 2B 09 02 30 04 04 02 64 33", "67 2B 09 02", 0,
     "6433", UCB_ROUTE_OID_DOUBLE, false, false, NULL},
    {"override_oid_application_form",
     "30 12 30 00 30 06 06 04 67 2B 09 02 A1 06 30 04 04 02 64 33", "67 2B 09 02", 0, "6433",
     UCB_ROUTE_OID_APPLICATION, false, false, NULL},
    {"override_skips_default_oid_entry",
     "A1 14 30 00 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32 "
     "A1 14 30 00 30 00 A1 0E 30 0C 06 04 67 2B 09 02 30 04 04 02 64 33",
     "67 2B 09 02", 0, "6433", UCB_ROUTE_OID_CORRECT, false, false, NULL},

    {"default_oid_not_found_under_override",
     "A1 14 30 00 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", "67 2B 09 02",
     UCB_ERR_NOT_PRESENT, NULL, 0, false, false, "the override replaces 2.23.43.9.1 in all forms"},
    {"no_lwm2m_object", "A1 13 30 00 30 00 A1 0D 30 0B 06 03 2A 03 04 30 04 04 02 44 01 FFFF",
     NULL, UCB_ERR_NOT_PRESENT, NULL, 0, false, false, "the only oidDO is 1.2.3.4"},
    {"id_in_opaque_do_is_not_an_oid_do",
     "30 14 30 00 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", NULL,
     UCB_ERR_NOT_PRESENT, NULL, 0, false, false,
     "only an oidDO (A1) has an id; an opaqueDO must name the OID in applicationOID"},
    {"empty_dodf", "", NULL, UCB_ERR_NOT_PRESENT, NULL, 0, false, false, "nothing listed"},
    {"erased_dodf", "FFFFFFFF", NULL, UCB_ERR_NOT_PRESENT, NULL, 0, false, false,
     "nothing listed"},
    {"oid_prefix_only", "A1 13 30 00 30 00 A1 0D 30 0B 06 03 67 2B 09 30 04 04 02 64 32", NULL,
     UCB_ERR_NOT_PRESENT, NULL, 0, false, false, "67 2B 09 is 2.23.43.9, not 2.23.43.9.1"},
    {"double_form_with_wrong_inner_length",
     "A1 16 30 00 30 00 A1 10 30 0E 06 06 06 05 67 2B 09 01 30 04 04 02 64 32", NULL,
     UCB_ERR_NOT_PRESENT, NULL, 0, false, false, "inner header 06 05 does not wrap 4 bytes"},
    {"truncated_entry",
     "A1 27 30 00 30 11 " LABEL " A1 10 30 0E 06 06 06 04 67 2B 09 01 30 04 04 02 64", NULL,
     UCB_ERR_TRUNCATED, NULL, 0, false, false, "A1 says 39 bytes, 38 follow"},
    {"our_entry_without_path",
     "A1 12 30 00 30 00 A1 0C 30 0A 06 04 67 2B 09 01 A0 02 04 00", NULL, UCB_ERR_MALFORMED,
     NULL, 0, false, false, "the value is inline ([0] direct), there is no file to read"},
    {"our_entry_with_odd_path",
     "A1 13 30 00 30 00 A1 0D 30 0B 06 04 67 2B 09 01 30 03 04 01 64", NULL, UCB_ERR_MALFORMED,
     NULL, 0, false, false, "a path is a sequence of 2-byte FIDs"},
    {"flags_without_unused_bits_byte",
     "A1 16 30 02 03 00 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", NULL,
     UCB_ERR_MALFORMED, NULL, 0, false, false, "a BIT STRING starts with its unused-bits count"},
    {"flags_with_8_unused_bits",
     "A1 18 30 04 03 02 08 80 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", NULL,
     UCB_ERR_MALFORMED, NULL, 0, false, false, "at most 7 bits of a byte are unused"},
    {"missing_common_data_attributes",
     "A1 12 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32", NULL, UCB_ERR_MALFORMED,
     NULL, 0, false, false, "PKCS15Object has CommonDataObjectAttributes before typeAttributes"},
    {"missing_type_attributes", "A1 04 30 00 30 00", NULL, UCB_ERR_MALFORMED, NULL, 0, false,
     false, "typeAttributes [1] is not optional"},
    {"unknown_entry_tag_only", "A5 02 30 00", NULL, UCB_ERR_MALFORMED, NULL, 0, false, false,
     "PKCS15Data is 30, A0 or A1"},
    {"inner_length_past_entry",
     "A1 14 30 00 30 00 A1 0E 30 0D 06 04 67 2B 09 01 30 04 04 02 64 32", NULL,
     UCB_ERR_MALFORMED, NULL, 0, false, false, "the PKCS15OidDO SEQUENCE runs past its [1]"},
};

static void dodf_finds_bootstrap_object_as_named(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(dodf_vecs); i++) {
        const struct dodf_vec *v = &dodf_vecs[i];
        uint8_t dodf[256], oid[16];
        const size_t len = test_hex(v->hex, dodf, sizeof dodf);
        size_t oid_len = UCB_LWM2M_OID_LEN;
        memcpy(oid, ucb_lwm2m_oid, UCB_LWM2M_OID_LEN);
        if (v->oid != NULL) oid_len = test_hex(v->oid, oid, sizeof oid);
        struct ucb_dodf_match m;
        const int rc = ucb_pkcs15_dodf_find(dodf, len, oid, oid_len, &m);
        if (rc != v->rc)
            fail_msg("%s: rc %d, expected %d%s%s", v->name, rc, v->rc, v->why ? " because " : "",
                     v->why ? v->why : "");
        if (rc != 0) {
            if (v->why == NULL) fail_msg("%s: invalid vector without a reason", v->name);
            if (m.path != NULL || m.form != 0) fail_msg("%s: refused DODF left a match", v->name);
            continue;
        }
        check_inside(v->name, m.path, m.path_len, dodf, len);
        check_inside(v->name, m.auth_id, m.auth_id_len, dodf, len);
        check_bytes(v->name, "path", m.path, m.path_len, v->path);
        if (m.form != v->form)
            fail_msg("%s: form 0x%x, expected 0x%x", v->name, (unsigned)m.form, (unsigned)v->form);
        if (m.private_flag != v->private_flag || m.modifiable_flag != v->modifiable_flag)
            fail_msg("%s: private/modifiable = %d/%d, expected %d/%d", v->name, m.private_flag,
                     m.modifiable_flag, v->private_flag, v->modifiable_flag);
    }
}

static void dodf_auth_id_points_at_its_octets(void **state)
{
    (void)state;
    uint8_t dodf[64];
    const size_t len = test_hex(
        "A1 1B 30 07 03 02 07 80 04 01 01 30 00 A1 0E 30 0C 06 04 67 2B 09 01 30 04 04 02 64 32",
        dodf, sizeof dodf);
    struct ucb_dodf_match m;
    assert_int_equal(ucb_pkcs15_dodf_find(dodf, len, ucb_lwm2m_oid, UCB_LWM2M_OID_LEN, &m), 0);
    check_bytes("auth_id", "authId", m.auth_id, m.auth_id_len, "01");
}

static void dodf_refuses_an_unusable_oid_argument(void **state)
{
    (void)state;
    const uint8_t dodf[] = {0xA1, 0x00};
    uint8_t big[127];
    memset(big, 0x2A, sizeof big);
    struct ucb_dodf_match m;
    assert_int_equal(ucb_pkcs15_dodf_find(dodf, sizeof dodf, NULL, 0, &m), UCB_ERR_ARG);
    assert_int_equal(ucb_pkcs15_dodf_find(dodf, sizeof dodf, ucb_lwm2m_oid, 0, &m), UCB_ERR_ARG);
    assert_int_equal(ucb_pkcs15_dodf_find(dodf, sizeof dodf, big, sizeof big, &m), UCB_ERR_ARG);
}

/* Every proper prefix of a valid DODF is refused or finds nothing: the
 * parser never reads past the length it was given (ASan checks the heap
 * copy's end). */
static void dodf_prefixes_never_over_read(void **state)
{
    (void)state;
    uint8_t full[64];
    const size_t len = test_hex(
        "A1 27 30 00 30 11 " LABEL " A1 10 30 0E 06 06 06 04 67 2B 09 01 30 04 04 02 64 32", full,
        sizeof full);
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, full, n);
        struct ucb_dodf_match m;
        const int rc = ucb_pkcs15_dodf_find(cut, n, ucb_lwm2m_oid, UCB_LWM2M_OID_LEN, &m);
        if (rc == 0) fail_msg("prefix of %zu bytes matched", n);
        if (n > 0 && rc != UCB_ERR_TRUNCATED)
            fail_msg("prefix of %zu bytes: rc %d, expected truncated", n, rc);
        free(cut);
    }
}

/* ---- SHA-256 (FIPS 180-4; NIST example messages) ---- */

struct sha_vec {
    const char *name;
    const char *msg;
    const char *digest;
};

static const struct sha_vec sha_vecs[] = {
    {"abc_one_block", "abc",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"empty_message", "",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"448_bit_two_blocks", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"896_bit_message",
     "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmn"
     "opqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

static void sha256_fips_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(sha_vecs); i++) {
        uint8_t d[32];
        ucb_sha256((const uint8_t *)sha_vecs[i].msg, strlen(sha_vecs[i].msg), d);
        check_bytes(sha_vecs[i].name, "digest", d, sizeof d, sha_vecs[i].digest);
    }
}

static void sha256_million_a(void **state)
{
    (void)state;
    uint8_t *m = malloc(1000000);
    assert_non_null(m);
    memset(m, 'a', 1000000);
    uint8_t d[32];
    ucb_sha256(m, 1000000, d);
    free(m);
    check_bytes("million_a", "digest", d, sizeof d,
                "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundary (55: length fits the last block; 56:
 * it needs a second one; 64: exact block), message byte i = 7i + 3. Digests
 * from Python's hashlib. */
static void sha256_padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *digest;
    } v[] = {
        {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
        {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
        {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
        {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
        {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
        {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
        {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
    };
    uint8_t msg[120];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        char name[32];
        snprintf(name, sizeof name, "length_%zu", v[i].n);
        uint8_t d[32];
        ucb_sha256(msg, v[i].n, d);
        check_bytes(name, "digest", d, sizeof d, v[i].digest);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dir_records_parse_as_named),
        cmocka_unit_test(pkcs15_aid_constant_is_rid_a000000063_and_pkcs_15),
        cmocka_unit_test(odf_finds_dodf_path_as_named),
        cmocka_unit_test(dodf_finds_bootstrap_object_as_named),
        cmocka_unit_test(dodf_auth_id_points_at_its_octets),
        cmocka_unit_test(dodf_refuses_an_unusable_oid_argument),
        cmocka_unit_test(dodf_prefixes_never_over_read),
        cmocka_unit_test(sha256_fips_vectors),
        cmocka_unit_test(sha256_million_a),
        cmocka_unit_test(sha256_padding_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
