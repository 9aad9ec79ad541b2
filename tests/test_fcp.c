/*
 * FCP template parser (include/uiccboot/fcp.h; TS 102 221 11.1.1.3,
 * ISO 7816-4 5.3.3) and the choice of a PIN key reference.
 *
 * The two real FCPs are those of the Nordic AT+CSIM trace (docs
 * spec-notes 1.6). Every vector is named; every invalid vector says why it
 * is invalid. Each input is parsed from an exact-size heap copy, so a
 * sanitizer build catches any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "uiccboot/err.h"
#include "uiccboot/fcp.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))


static void check_bytes(const char *name, const uint8_t *got, size_t got_len,
                        const uint8_t *exp, size_t exp_len)
{
    if (got_len == exp_len && (exp_len == 0 || memcmp(got, exp, exp_len) == 0)) return;
    char g[200] = "", e[200] = "";
    for (size_t i = 0; i < got_len && 3 * i + 4 < sizeof g; i++)
        snprintf(g + 3 * i, sizeof g - 3 * i, "%02x ", got[i]);
    for (size_t i = 0; i < exp_len && 3 * i + 4 < sizeof e; i++)
        snprintf(e + 3 * i, sizeof e - 3 * i, "%02x ", exp[i]);
    fail_msg("%s: bytes differ\n  got      (%zu): %s\n  expected (%zu): %s", name, got_len, g,
             exp_len, e);
}

/* Parse `hex` from an exact-size heap copy. */
static int parse_hex(const char *hex, struct ucb_fcp *out)
{
    uint8_t tmp[512];
    size_t n = test_hex(hex, tmp, sizeof tmp);
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, tmp, n);
    int rc = ucb_fcp_parse(n ? p : NULL, n, out);
    free(p);
    return rc;
}

/* spec-notes 1.6: SELECT ADF PKCS#15 by AID, P2=04 */
#define FCP_ADF_PKCS15                                                              \
    "62 25 82 02 78 21 84 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 8A 01 05 8B 03 2F 06 0C " \
    "C6 09 90 01 40 83 01 01 83 01 0A"
/* spec-notes 1.6: SELECT EF ODF (7FFF 5031) */
#define FCP_EF_ODF "62 16 82 02 41 21 83 02 50 31 8A 01 05 8B 03 6F 06 02 80 02 00 20 88 00"
#define CONTENT_EF_ODF "82 02 41 21 83 02 50 31 8A 01 05 8B 03 6F 06 02 80 02 00 20 88 00"

static void spec_adf_pkcs15_fcp(void **state)
{
    (void)state;
    const char *name = "spec-notes 1.6 ADF PKCS#15 FCP";
    struct ucb_fcp f;
    CHECK_EQ(name, parse_hex(FCP_ADF_PKCS15, &f), 0);
    CHECK_EQ(name, f.has,
             UCB_FCP_HAS_DESCRIPTOR | UCB_FCP_HAS_AID | UCB_FCP_HAS_LIFE_CYCLE |
                 UCB_FCP_HAS_SECURITY | UCB_FCP_HAS_PIN_STATUS);
    CHECK_EQ(name, f.descriptor, 0x78);
    CHECK_EQ(name, f.data_coding, 0x21);
    CHECK_EQ(name, f.structure, UCB_FCP_DF);
    static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                  0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};
    check_bytes(name, f.aid, f.aid_len, aid, sizeof aid);
    CHECK_EQ(name, f.life_cycle, 0x05);
    CHECK_EQ(name, f.security_tag, 0x8B);
    static const uint8_t sec[] = {0x2F, 0x06, 0x0C};
    check_bytes(name, f.security, f.security_len, sec, sizeof sec);
    /* C6: PS_DO 40 = b7 -> second key reference (0A) enabled, 01 disabled */
    CHECK_EQ(name, f.n_pin_refs, 2);
    CHECK_EQ(name, f.pin_refs[0], 0x01);
    CHECK_EQ(name, f.pin_refs[1], 0x0A);
    CHECK_EQ(name, f.pin_enabled, 0x02);
    CHECK_EQ(name, f.size, 0);
    CHECK_EQ(name, f.sfi, 0);
    /* PIN 01 disabled and 0A is an ADM key: nothing for a cardholder */
    CHECK_EQ(name, ucb_fcp_pin_ref(&f), UCB_ERR_NOT_PRESENT);
}

static void spec_ef_odf_fcp(void **state)
{
    (void)state;
    const char *names[] = {"spec-notes 1.6 EF ODF FCP", "EF ODF FCP content without 62",
                           "EF ODF FCP with 81-form lengths",
                           "EF ODF FCP with FF filler after the template",
                           "EF ODF FCP with 00 filler between objects"};
    const char *hex[] = {
        FCP_EF_ODF,
        CONTENT_EF_ODF,
        "62 81 17 82 02 41 21 83 02 50 31 8A 01 05 8B 03 6F 06 02 80 81 02 00 20 88 00",
        FCP_EF_ODF " FF FF FF",
        "62 18 82 02 41 21 00 83 02 50 31 8A 01 05 8B 03 6F 06 02 00 80 02 00 20 88 00",
    };
    for (size_t i = 0; i < ARRAY_LEN(hex); i++) {
        struct ucb_fcp f;
        CHECK_EQ(names[i], parse_hex(hex[i], &f), 0);
        CHECK_EQ(names[i], f.has,
                 UCB_FCP_HAS_DESCRIPTOR | UCB_FCP_HAS_FID | UCB_FCP_HAS_LIFE_CYCLE |
                     UCB_FCP_HAS_SECURITY | UCB_FCP_HAS_SIZE);
        CHECK_EQ(names[i], f.structure, UCB_FCP_TRANSPARENT);
        CHECK_EQ(names[i], f.descriptor, 0x41);
        CHECK_EQ(names[i], f.fid, 0x5031);
        CHECK_EQ(names[i], f.size, 0x20);
        CHECK_EQ(names[i], f.security_tag, 0x8B);
        CHECK_EQ(names[i], f.security_len, 3);
        /* 88 00: the EF has no SFI */
        CHECK_EQ(names[i], f.sfi, 0);
        CHECK_EQ(names[i], ucb_fcp_pin_ref(&f), UCB_ERR_NOT_PRESENT);
    }
}

struct valid_vec {
    const char *name;
    const char *hex;
    uint32_t has;
    enum ucb_fcp_structure structure;
    uint32_t size;
    uint16_t record_len;
    uint8_t n_records;
    uint8_t sfi;
};

static const struct valid_vec valid_vectors[] = {
    {"EF DIR: linear fixed, 10 records of 26 bytes, SFI 1E",
     "62 1A 82 05 42 21 00 1A 0A 83 02 2F 00 8A 01 05 8B 03 6F 06 04 80 02 01 04 88 01 F0",
     UCB_FCP_HAS_DESCRIPTOR | UCB_FCP_HAS_RECORDS | UCB_FCP_HAS_FID | UCB_FCP_HAS_LIFE_CYCLE |
         UCB_FCP_HAS_SECURITY | UCB_FCP_HAS_SIZE | UCB_FCP_HAS_SFI,
     UCB_FCP_LINEAR_FIXED, 260, 26, 10, 30},
    {"cyclic EF, 5 records of 10 bytes, shareable",
     "62 07 82 05 46 21 00 0A 05", UCB_FCP_HAS_DESCRIPTOR | UCB_FCP_HAS_RECORDS,
     UCB_FCP_CYCLIC, 0, 10, 5, 0},
    {"EF ICCID with SFI 02", "62 0B 82 02 41 21 80 02 00 0A 88 01 10",
     UCB_FCP_HAS_DESCRIPTOR | UCB_FCP_HAS_SIZE | UCB_FCP_HAS_SFI, UCB_FCP_TRANSPARENT, 10, 0, 0,
     2},
    {"4-byte file size 32768 and total size", "62 0E 82 02 41 21 80 04 00 00 80 00 81 02 80 40",
     UCB_FCP_HAS_DESCRIPTOR | UCB_FCP_HAS_SIZE | UCB_FCP_HAS_TOTAL_SIZE, UCB_FCP_TRANSPARENT,
     32768, 0, 0, 0},
    {"DF descriptor 38 (not shareable)", "62 04 82 02 38 21", UCB_FCP_HAS_DESCRIPTOR,
     UCB_FCP_DF, 0, 0, 0, 0},
    {"internal EF (b6-b4 001) is still transparent", "62 04 82 02 09 21",
     UCB_FCP_HAS_DESCRIPTOR, UCB_FCP_TRANSPARENT, 0, 0, 0, 0},
    {"descriptor with b8 set is unknown", "62 04 82 02 81 21", UCB_FCP_HAS_DESCRIPTOR,
     UCB_FCP_UNKNOWN, 0, 0, 0, 0},
    {"DF-class b6-b4 with an EF structure is unknown", "62 04 82 02 39 21",
     UCB_FCP_HAS_DESCRIPTOR, UCB_FCP_UNKNOWN, 0, 0, 0, 0},
    {"SFI byte 00 is no SFI", "62 03 88 01 00", 0, UCB_FCP_UNKNOWN, 0, 0, 0, 0},
    {"SFI 31 (F8) is reserved, no SFI", "62 03 88 01 F8", 0, UCB_FCP_UNKNOWN, 0, 0, 0, 0},
    {"SFI low bits ignored (0F -> 1)", "62 03 88 01 0F", UCB_FCP_HAS_SFI, UCB_FCP_UNKNOWN, 0, 0,
     0, 1},
    {"proprietary A5 template skipped, its 80 is not the size",
     "62 0F A5 05 80 01 FF C0 00 80 02 01 00 82 02 41 21",
     UCB_FCP_HAS_SIZE | UCB_FCP_HAS_DESCRIPTOR, UCB_FCP_TRANSPARENT, 256, 0, 0, 0},
    {"two-byte tag 9F70 skipped", "62 08 9F 70 01 00 80 02 00 10",
     UCB_FCP_HAS_SIZE, UCB_FCP_UNKNOWN, 16, 0, 0, 0},
    {"compact security 8C kept, AB after it ignored",
     "62 0B 8C 03 01 02 03 AB 04 80 01 00 A4", UCB_FCP_HAS_SECURITY, UCB_FCP_UNKNOWN, 0, 0, 0,
     0},
    {"empty template", "62 00", 0, UCB_FCP_UNKNOWN, 0, 0, 0, 0},
    {"empty input", "", 0, UCB_FCP_UNKNOWN, 0, 0, 0, 0},
};

static void valid_vectors_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(valid_vectors); i++) {
        const struct valid_vec *v = &valid_vectors[i];
        struct ucb_fcp f;
        CHECK_EQ(v->name, parse_hex(v->hex, &f), 0);
        CHECK_EQ(v->name, f.has, v->has);
        CHECK_EQ(v->name, f.structure, v->structure);
        CHECK_EQ(v->name, f.size, v->size);
        CHECK_EQ(v->name, f.record_len, v->record_len);
        CHECK_EQ(v->name, f.n_records, v->n_records);
        CHECK_EQ(v->name, f.sfi, v->sfi);
    }
    struct ucb_fcp f;
    CHECK_EQ("total size", parse_hex(valid_vectors[3].hex, &f), 0);
    CHECK_EQ("total size", f.total_size, 0x8040);
    CHECK_EQ("8C kept", parse_hex(valid_vectors[13].hex, &f), 0);
    CHECK_EQ("8C kept", f.security_tag, 0x8C);
    CHECK_EQ("8C kept", f.security_len, 3);
}

static void long_security_attributes_are_truncated_to_the_struct(void **state)
{
    (void)state;
    struct ucb_fcp f;
    CHECK_EQ("AB of 20 bytes",
             parse_hex("62 16 AB 14 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13",
                       &f),
             0);
    CHECK_EQ("AB of 20 bytes", f.security_tag, 0xAB);
    CHECK_EQ("AB of 20 bytes", f.security_len, UCB_FCP_MAX_SECURITY);
    CHECK_EQ("AB of 20 bytes", f.security[15], 0x0F);
}

/* ------------------------------------------------------------------------- */
/* PIN status template                                                       */

struct pin_vec {
    const char *name;
    const char *hex;
    uint8_t n;
    uint8_t refs[UCB_FCP_MAX_PINS];
    uint8_t enabled;
    int pin_ref; /* ucb_fcp_pin_ref() */
};

static const struct pin_vec pin_vectors[] = {
    {"usage qualifiers between references; 01 disabled, local 81 enabled",
     "62 14 C6 12 90 01 60 95 01 08 83 01 01 95 01 08 83 01 81 83 01 0A", 3,
     {0x01, 0x81, 0x0A}, 0x06, 0x81},
    {"application PIN 01 enabled first", "62 08 C6 06 90 01 80 83 01 01", 1, {0x01}, 0x01, 0x01},
    {"universal PIN 11 before a local PIN listed first",
     "62 0E C6 0C 90 01 E0 83 01 81 83 01 11 83 01 01", 3, {0x81, 0x11, 0x01}, 0x07, 0x11},
    {"application PIN 02 found in template order after a disabled 01",
     "62 0B C6 09 90 01 40 83 01 01 83 01 02", 2, {0x01, 0x02}, 0x02, 0x02},
    {"only ADM keys enabled", "62 0B C6 09 90 01 C0 83 01 0A 83 01 8B", 2, {0x0A, 0x8B}, 0x03,
     UCB_ERR_NOT_PRESENT},
    {"every PIN disabled", "62 0B C6 09 90 01 00 83 01 01 83 01 81", 2, {0x01, 0x81}, 0x00,
     UCB_ERR_NOT_PRESENT},
    {"key references without a PS_DO are all disabled", "62 05 C6 03 83 01 01", 1, {0x01}, 0x00,
     UCB_ERR_NOT_PRESENT},
    {"PS_DO bits past the listed references are dropped", "62 08 C6 06 90 01 FF 83 01 01", 1,
     {0x01}, 0x01, 0x01},
    {"two PS_DO bytes: only the first one maps", "62 09 C6 07 90 02 80 FF 83 01 03", 1, {0x03},
     0x01, 0x03},
    {"ten references: the first eight kept",
     "62 24 C6 22 90 02 00 40 83 01 81 83 01 82 83 01 83 83 01 84 83 01 85 83 01 86 83 01 87 "
     "83 01 88 83 01 01 83 01 02",
     8, {0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88}, 0x00, UCB_ERR_NOT_PRESENT},
};

static void pin_status_template_maps_ps_do_bits_to_references(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(pin_vectors); i++) {
        const struct pin_vec *v = &pin_vectors[i];
        struct ucb_fcp f;
        CHECK_EQ(v->name, parse_hex(v->hex, &f), 0);
        CHECK_EQ(v->name, f.has, UCB_FCP_HAS_PIN_STATUS);
        check_bytes(v->name, f.pin_refs, f.n_pin_refs, v->refs, v->n);
        CHECK_EQ(v->name, f.pin_enabled, v->enabled);
        CHECK_EQ(v->name, ucb_fcp_pin_ref(&f), v->pin_ref);
    }
}

static void pin_ref_without_template_or_fcp(void **state)
{
    (void)state;
    struct ucb_fcp f;
    memset(&f, 0, sizeof f);
    CHECK_EQ("no C6", ucb_fcp_pin_ref(&f), UCB_ERR_NOT_PRESENT);
    /* refs present but the template bit clear: not trusted */
    f.n_pin_refs = 1;
    f.pin_refs[0] = 0x01;
    f.pin_enabled = 1;
    CHECK_EQ("refs without UCB_FCP_HAS_PIN_STATUS", ucb_fcp_pin_ref(&f), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("NULL", ucb_fcp_pin_ref(NULL), UCB_ERR_ARG);
}

/* ------------------------------------------------------------------------- */
/* Invalid input                                                             */

struct bad_vec {
    const char *name; /* why it is invalid */
    const char *hex;
    int rc;
};

static const struct bad_vec bad_vectors[] = {
    {"62 claims 16 bytes, 4 follow", "62 10 82 02 41 21", UCB_ERR_TRUNCATED},
    {"80 claims 2 bytes, 1 left in the 62 template though the input goes on",
     "62 03 80 02 00 20", UCB_ERR_TRUNCATED},
    {"83 inside C6 claims 2 bytes, none left in C6", "62 07 C6 05 90 01 40 83 02",
     UCB_ERR_TRUNCATED},
    {"C6 claims more than the 62 template holds", "62 05 C6 06 90 01 40 83 01 01",
     UCB_ERR_TRUNCATED},
    {"tag without a length byte", "80", UCB_ERR_TRUNCATED},
    {"81 length form without its length byte", "62 81", UCB_ERR_TRUNCATED},
    {"82 length form with one of two length bytes", "62 82 00", UCB_ERR_TRUNCATED},
    {"82-form length 256 with 4 bytes", "62 82 01 00 82 02 41 21", UCB_ERR_TRUNCATED},
    {"two-byte tag cut after its first byte", "62 01 9F", UCB_ERR_TRUNCATED},
    {"indefinite length 80 (BER, not in an FCP)", "62 80 82 02 41 21 00 00", UCB_ERR_MALFORMED},
    {"length in 3 bytes (83 form)", "62 83 00 00 04 82 02 41 21", UCB_ERR_MALFORMED},
    {"tag of 4 bytes", "62 06 1F 81 81 01 01 00", UCB_ERR_MALFORMED},
    {"bytes after the 62 template that are not filler", "62 00 41", UCB_ERR_MALFORMED},
    {"descriptor of 1 byte", "62 03 82 01 41", UCB_ERR_MALFORMED},
    {"descriptor of 3 bytes", "62 05 82 03 41 21 00", UCB_ERR_MALFORMED},
    {"descriptor of 6 bytes", "62 08 82 06 42 21 00 1A 00 0A", UCB_ERR_MALFORMED},
    {"FID of 1 byte", "62 03 83 01 50", UCB_ERR_MALFORMED},
    {"FID of 3 bytes", "62 05 83 03 50 31 00", UCB_ERR_MALFORMED},
    {"empty AID", "62 02 84 00", UCB_ERR_MALFORMED},
    {"AID of 17 bytes", "62 13 84 11 A0 00 00 00 63 50 4B 43 53 2D 31 35 01 02 03 04 05",
     UCB_ERR_MALFORMED},
    {"empty file size", "62 02 80 00", UCB_ERR_MALFORMED},
    {"file size of 5 bytes", "62 07 80 05 00 00 00 01 00", UCB_ERR_MALFORMED},
    {"total file size of 5 bytes", "62 07 81 05 00 00 00 01 00", UCB_ERR_MALFORMED},
    {"life cycle of 2 bytes", "62 04 8A 02 05 00", UCB_ERR_MALFORMED},
    {"empty life cycle", "62 02 8A 00", UCB_ERR_MALFORMED},
    {"SFI of 2 bytes", "62 04 88 02 10 00", UCB_ERR_MALFORMED},
    {"two descriptors", "62 08 82 02 41 21 82 02 78 21", UCB_ERR_MALFORMED},
    {"two FIDs", "62 08 83 02 50 31 83 02 64 30", UCB_ERR_MALFORMED},
    {"two file sizes", "62 08 80 02 00 10 80 02 00 20", UCB_ERR_MALFORMED},
    {"two SFI objects (one empty)", "62 05 88 00 88 01 10", UCB_ERR_MALFORMED},
    {"two PIN status templates", "62 0A C6 03 83 01 01 C6 03 83 01 02", UCB_ERR_MALFORMED},
    {"empty PS_DO", "62 04 C6 02 90 00", UCB_ERR_MALFORMED},
    {"two PS_DO", "62 08 C6 06 90 01 80 90 01 80", UCB_ERR_MALFORMED},
    {"key reference of 2 bytes", "62 06 C6 04 83 02 01 02", UCB_ERR_MALFORMED},
    {"empty key reference", "62 04 C6 02 83 00", UCB_ERR_MALFORMED},
};

static void invalid_vectors_fail_and_leave_nothing_parsed(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(bad_vectors); i++) {
        const struct bad_vec *v = &bad_vectors[i];
        struct ucb_fcp f;
        memset(&f, 0xA5, sizeof f);
        CHECK_EQ(v->name, parse_hex(v->hex, &f), v->rc);
        CHECK_EQ(v->name, f.has, 0);
        CHECK_EQ(v->name, f.n_pin_refs, 0);
        CHECK_EQ(v->name, f.aid_len, 0);
    }
}

static void every_proper_prefix_of_a_template_is_truncated(void **state)
{
    (void)state;
    const char *hex[] = {FCP_ADF_PKCS15, FCP_EF_ODF, pin_vectors[0].hex,
                         valid_vectors[0].hex};
    for (size_t k = 0; k < ARRAY_LEN(hex); k++) {
        uint8_t full[256];
        size_t n = test_hex(hex[k], full, sizeof full);
        for (size_t len = 1; len < n; len++) {
            uint8_t *p = malloc(len);
            assert_non_null(p);
            memcpy(p, full, len);
            struct ucb_fcp f;
            int rc = ucb_fcp_parse(p, len, &f);
            free(p);
            if (rc != UCB_ERR_TRUNCATED)
                fail_msg("vector %zu cut to %zu of %zu bytes: rc %d, expected truncated", k, len,
                         n, rc);
        }
    }
}

static void parse_refuses_missing_pointers(void **state)
{
    (void)state;
    static const uint8_t b[2] = {0x62, 0x00};
    struct ucb_fcp f;
    CHECK_EQ("no output", ucb_fcp_parse(b, sizeof b, NULL), UCB_ERR_ARG);
    CHECK_EQ("no input with a length", ucb_fcp_parse(NULL, 2, &f), UCB_ERR_ARG);
    CHECK_EQ("no input, no length", ucb_fcp_parse(NULL, 0, &f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_adf_pkcs15_fcp),
        cmocka_unit_test(spec_ef_odf_fcp),
        cmocka_unit_test(valid_vectors_parse),
        cmocka_unit_test(long_security_attributes_are_truncated_to_the_struct),
        cmocka_unit_test(pin_status_template_maps_ps_do_bits_to_references),
        cmocka_unit_test(pin_ref_without_template_or_fcp),
        cmocka_unit_test(invalid_vectors_fail_and_leave_nothing_parsed),
        cmocka_unit_test(every_proper_prefix_of_a_template_is_truncated),
        cmocka_unit_test(parse_refuses_missing_pointers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
