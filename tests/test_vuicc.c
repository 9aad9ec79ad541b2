/*
 * Virtual UICC tests: the card answers named C-APDU vectors exactly as
 * TS 102 221 and LwM2M Core Appendix G say (host-tools/simcard/vuicc.c),
 * every profile variant behaves as docs/simcard.md describes, the fault
 * knobs fire at their APDU index, hostile APDUs never crash the model, and
 * the profile loader accepts every fixture in fixtures/cards and names the
 * key of a bad one.
 *
 * Everything goes through vuicc_process() (or the in-process transport)
 * with hex vectors; expected R-APDUs are written out byte for byte.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_util.h"
#include "uiccboot/err.h"
#include "vuicc.h"

#ifndef UCB_SOURCE_ROOT
#define UCB_SOURCE_ROOT "."
#endif

/* The bootstrap file on the test cards: Nordic's example (spec-notes 1.5 B), 60 bytes. */
#define NORDIC_FILE "fixtures/bootstrap/valid-nordic-example-padded.bin"
#define NORDIC_HEX                                                                          \
    "00010036000000003108002EC80025636F61703A2F2F6C657368616E2E65636C6970736570726F6A6563" \
    "74732E696F3A35373833C10101C10203FFFF"

static uint8_t *g_file;
static size_t g_file_len;

static int group_setup(void **state)
{
    (void)state;
    g_file = test_read_file(NORDIC_FILE, &g_file_len);
    return g_file_len == 60 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    free(g_file);
    return 0;
}

static struct vuicc_profile defaults(void)
{
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    return p;
}

static struct vuicc *card_with(const struct vuicc_profile *p)
{
    char err[256] = "";
    struct vuicc *c = vuicc_new(p, g_file, g_file_len, err, sizeof err);
    if (!c) fprintf(stderr, "vuicc_new: %s\n", err);
    assert_non_null(c);
    return c;
}

static void print_hex(const char *what, const uint8_t *b, int n)
{
    fprintf(stderr, "%s (%d):", what, n);
    for (int i = 0; i < n; i++) fprintf(stderr, " %02X", b[i]);
    fprintf(stderr, "\n");
}

/* Send @p cmd_hex; the R-APDU must be exactly @p resp_hex. */
static void xchg_at(struct vuicc *c, const char *cmd_hex, const char *resp_hex, const char *file,
                    int line)
{
    uint8_t cmd[400], want[400], got[400];
    size_t n = test_hex(cmd_hex, cmd, sizeof cmd);
    size_t wn = test_hex(resp_hex, want, sizeof want);
    int r = vuicc_process(c, cmd, n, got, sizeof got);
    if (r != (int)wn || memcmp(got, want, wn) != 0) {
        print_hex("command", cmd, (int)n);
        print_hex("expected", want, (int)wn);
        print_hex("got", got, r);
        _fail(file, line);
    }
}
#define XCHG(c, cmd, resp) xchg_at((c), (cmd), (resp), __FILE__, __LINE__)

/* Like XCHG for a response of @p data_prefix, FF up to @p data_len bytes, then @p sw. */
static void xchg_padded_at(struct vuicc *c, const char *cmd_hex, const char *data_prefix,
                           size_t data_len, uint16_t sw, const char *file, int line)
{
    uint8_t cmd[400], want[400], got[400];
    size_t n = test_hex(cmd_hex, cmd, sizeof cmd);
    size_t pn = test_hex(data_prefix, want, sizeof want);
    assert_true(pn <= data_len && data_len + 2 <= sizeof want);
    memset(want + pn, 0xFF, data_len - pn);
    want[data_len] = (uint8_t)(sw >> 8);
    want[data_len + 1] = (uint8_t)sw;
    int r = vuicc_process(c, cmd, n, got, sizeof got);
    if (r != (int)data_len + 2 || memcmp(got, want, data_len + 2) != 0) {
        print_hex("command", cmd, (int)n);
        print_hex("expected", want, (int)data_len + 2);
        print_hex("got", got, r);
        _fail(file, line);
    }
}
#define XCHG_PADDED(c, cmd, prefix, len, sw) \
    xchg_padded_at((c), (cmd), (prefix), (len), (sw), __FILE__, __LINE__)

/* The status word of the answer to @p cmd_hex (the data is not checked). */
static unsigned sw_of(struct vuicc *c, const char *cmd_hex)
{
    uint8_t cmd[400], got[400];
    size_t n = test_hex(cmd_hex, cmd, sizeof cmd);
    int r = vuicc_process(c, cmd, n, got, sizeof got);
    assert_true(r >= 2);
    return (unsigned)(got[r - 2] << 8 | got[r - 1]);
}

/* ---- named vectors ------------------------------------------------------ */

#define AID_P15 "A000000063504B43532D3135"
#define OPEN_CHANNEL "0070000001"
#define SELECT_P15_FCP "01A404040C" AID_P15 "00"
#define SELECT_ODF_FCP "01A40804047FFF503100"
#define SELECT_DODF_FCP "01A40804047FFF643000"
#define SELECT_FILE_FCP "01A40804047FFF643200"
#define READ_128 "01B0000080"
#define CLOSE_CHANNEL_1 "01708001"

/* FCP of ADF PKCS#15: DF descriptor, FID 7F50, AID, life cycle, ARR. */
#define FCP_ADF_P15 "621E 82027821 83027F50 840C" AID_P15 " 8A0105 8B032F0601"
/* FCP of a transparent EF of @p size (4 hex digits), no SFI. */
#define FCP_EF(fid, size) "6216 82024121 8302" fid " 8A0105 8B032F0601 8002" size " 8800"

/* DODF entries (PKCS#15 PKCS15Data; LwM2M Core Appendix G DODF). */
#define LABEL "0C0F 4C774D324D20426F6F747374726170" /* "LwM2M Bootstrap" */
#define DODF_CORRECT "A125 3000 3011" LABEL " A10E 300C 0604672B0901 3004 04026432"
#define DODF_DOUBLE "A127 3000 3011" LABEL " A110 300E 06060604672B0901 3004 04026432"
#define DODF_APPLICATION "3023 3000 3017" LABEL " 0604672B0901 A106 3004 04026432"
#define DODF_NONE "A124 3000 3011" LABEL " A10D 300B 06032A0304 3004 04026432"
#define DODF_PRIVATE "A12C 3007 03020780 040101 3011" LABEL " A10E 300C 0604672B0901 3004 04026432"

/* EF.DIR records (TS 102 221 13.1), 0x26 bytes each. */
#define DIR_REC1 "6118 4F10 A0000000871002FF33FF018900000100 5004 5553494D"
#define DIR_REC2 "611C 4F0C" AID_P15 " 5006 504B43533135 5104 3F007F50"

/* ---- the Appendix G walk ------------------------------------------------ */

static void appendix_g_walk_answers_as_the_spec_trace(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);

    /* EF ICCID by SFI 02 and EF.DIR record 2 by SFI 1E, on the basic channel. */
    XCHG(c, "00B082000A", "9888120100004003 10F0 9000");
    XCHG_PADDED(c, "00B202F426", DIR_REC2, 0x26, 0x9000);
    /* spec-notes 1.6, on logical channel 1. */
    XCHG(c, OPEN_CHANNEL, "01 9000");
    XCHG(c, SELECT_P15_FCP, FCP_ADF_P15 "9000");
    XCHG(c, SELECT_ODF_FCP, FCP_EF("5031", "0020") "9000");
    XCHG_PADDED(c, READ_128, "A706300404026430", 32, 0x6282);
    XCHG(c, SELECT_DODF_FCP, FCP_EF("6430", "0078") "9000");
    XCHG_PADDED(c, READ_128, DODF_CORRECT, 120, 0x6282);
    XCHG(c, SELECT_FILE_FCP, FCP_EF("6432", "003C") "9000");
    XCHG(c, READ_128, NORDIC_HEX "6282");
    XCHG(c, CLOSE_CHANNEL_1, "9000");
    assert_int_equal(vuicc_apdu_count(c), 11);
    vuicc_free(c);
}

static void ef_dir_records_are_fixed_length_templates(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4000C022F00", "9000");
    XCHG(c, "00A40004022F0000",
         "621A 82054221002602 83022F00 8A0105 8B032F0601 8002004C 8801F0 9000");
    XCHG_PADDED(c, "00B2010426", DIR_REC1, 0x26, 0x9000);
    XCHG_PADDED(c, "00B2020400", DIR_REC2, 0x26, 0x9000); /* T=1: Le=00 takes the record */
    XCHG(c, "00B2010410", "6C26");                        /* wrong Le: exact length */
    XCHG(c, "00B2030426", "6A83");                        /* no record 3 */
    XCHG(c, "00B2000426", "6A86");                        /* record 0 (current): not supported */
    XCHG(c, "00B2010226", "6A86");                        /* next-record mode: not supported */
    XCHG(c, "00B0000010", "6981");                        /* READ BINARY on a record EF */
    vuicc_free(c);
}

static void iccid_fcp_gives_sfi_and_size(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A40004022FE200",
         "6217 82024121 83022FE2 8A0105 8B032F0601 8002000A 880110 9000");
    XCHG(c, "00B000000A", "9888120100004003 10F0 9000");
    XCHG(c, "00B0000500", "00400310F0 6282"); /* Le=00 past the end */
    XCHG(c, "00B0000A01", "6B00");               /* offset = size */
    vuicc_free(c);
}

static void iccid_with_odd_digits_is_f_padded(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    snprintf(p.iccid, sizeof p.iccid, "%s", "894412345");
    struct vuicc *c = card_with(&p);
    XCHG(c, "00B082000A", "98442143F5FFFFFFFFFF 9000");
    vuicc_free(c);
}

/* ---- SELECT ------------------------------------------------------------- */

static void select_by_fid_follows_ts102221_rules(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4000C027FFF", "6A82");           /* no current ADF after reset */
    XCHG(c, "00A4000C025031", "6A82");           /* ODF is not a child of the MF */
    XCHG(c, "00A4000C027F50", "9000");           /* the PKCS#15 ADF by its FID */
    XCHG(c, "00A4000C025031", "9000");           /* now a child of the current DF */
    XCHG(c, "00A4000C026432", "9000");           /* a sibling EF */
    XCHG(c, "00A4000C027FFF", "9000");           /* the current ADF */
    XCHG(c, "00A4000C022FE2", "6A82");           /* MF children are not visible from the ADF */
    XCHG(c, "00A4000C023F00", "9000");           /* the MF from anywhere */
    XCHG(c, "00A4000C022FE2", "9000");
    XCHG(c, "00A4030C", "6A82");                 /* parent of the MF */
    XCHG(c, "00A4000C027F50", "9000");
    XCHG(c, "00A4030C", "9000");                 /* parent of the ADF: MF */
    XCHG(c, "00A4000C022F00", "9000");
    XCHG(c, "00A4080C047FFF6432", "9000");       /* 7FFF is the ADF selected before */
    XCHG(c, "00A4000C0201", "6700");             /* FID of one byte */
    XCHG(c, "00A4000C", "6700");                 /* no FID at all */
    vuicc_free(c);
}

static void select_by_path_and_aid(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4080C022FE2", "9000");
    XCHG(c, "00A4080C047F506432", "9000");
    XCHG(c, "00A4080C063F007F506432", "6A82");   /* path from MF excludes 3F00 */
    XCHG(c, "00A4080C032F00FF", "6700");         /* odd path length */
    XCHG(c, "00A4080C042FE22F00", "6A82");       /* an EF in the middle of a path */
    XCHG(c, "00A4080C047F507FFF", "6A82");       /* 7FFF only as the first element */
    XCHG(c, "00A4090C026430", "9000");           /* from the current DF (the ADF) */
    XCHG(c, "00A4040C10A0000000871002FF33FF018900000100", "9000"); /* USIM by AID */
    XCHG(c, "00A4000C027FFF", "9000");
    XCHG(c, "00A4090C026432", "6A82");           /* ADF USIM is empty */
    XCHG(c, "00A4040C0BA000000063504B43532D31", "6A82"); /* partial AID: not matched */
    XCHG(c, "00A4040C11A000000063504B43532D313500000000FF", "6700"); /* AID over 16 */
    XCHG(c, "00A4040C0C" AID_P15, "9000");
    XCHG(c, "00A4050C0C" AID_P15, "6A86");       /* unknown P1 */
    XCHG(c, "00A404000C" AID_P15 "00", "6A86");  /* P2=00 (ISO FCI) is not TS 102 221 */
    XCHG(c, "00A4044C0C" AID_P15, "6A86");       /* termination: not supported */
    vuicc_free(c);
}

static void failed_select_keeps_the_current_ef(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4080C022FE2", "9000");
    XCHG(c, "00A4000C024444", "6A82");
    XCHG(c, "00B0000002", "9888 9000");
    vuicc_free(c);
}

static void select_case3_fcp_request_in_t1_gives_no_data(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A40804047F506432", "9000");         /* P2=04 without Le */
    XCHG(c, "00A40804047F50643210", "6C18");       /* Le too short for the FCP */
    vuicc_free(c);
}

static void refuse_p2_fcp_answers_6a86_to_p2_04(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.refuse_p2_fcp = true;
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A404040C" AID_P15 "00", "6A86");
    XCHG(c, "00A4040C0C" AID_P15, "9000");
    vuicc_free(c);
}

static void fcp_no_size_omits_tag_80(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.fcp_no_size = true;
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A40804047F50643200", "6212 82024121 83026432 8A0105 8B032F0601 8800 9000");
    vuicc_free(c);
}

static void profile_fids_and_aid_move_the_files(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    static const uint8_t aid[7] = {0xA0, 0x00, 0x00, 0x01, 0x23, 0x45, 0x67};
    memcpy(p.aid, aid, sizeof aid);
    p.aid_len = sizeof aid;
    p.odf_fid = 0x4401;
    p.dodf_fid = 0x4402;
    p.file_fid = 0x4403;
    struct vuicc *c = card_with(&p);
    XCHG_PADDED(c, "00B202F426", "6117 4F07A0000001234567 5006504B43533135 51043F007F50", 0x26,
                0x9000);
    XCHG(c, "00A4040C0C" AID_P15, "6A82");
    XCHG(c, "00A4040C07A0000001234567", "9000");
    XCHG(c, "00A4000C025031", "6A82");
    XCHG(c, "00A4000C024401", "9000");
    XCHG_PADDED(c, "00B0000020", "A706300404024402", 32, 0x9000);
    XCHG(c, "00A4000C024402", "9000");
    XCHG_PADDED(c, "00B0000078",
                "A125 3000 3011" LABEL " A10E 300C 0604672B0901 3004 04024403", 120, 0x9000);
    XCHG(c, "00A4000C024403", "9000");
    XCHG(c, "00B0000004", "00010036 9000");
    vuicc_free(c);
}

/* ---- READ / UPDATE BINARY ---------------------------------------------- */

static void read_binary_checks_offset_and_le(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    XCHG(c, "00B0000001", "6986");                 /* no EF selected */
    XCHG(c, "00A40804047F50643200", FCP_EF("6432", "003C") "9000");
    XCHG(c, "00B0000004", "00010036 9000");
    XCHG(c, "00B0003803", "0203FF 9000");
    XCHG(c, "00B0003808", "0203FFFF 6282");        /* runs past the end */
    XCHG(c, "00B0003C01", "6B00");                 /* offset = size */
    XCHG(c, "00B07FFF01", "6B00");
    XCHG(c, "00B000", "6700");                     /* no P2 */
    XCHG(c, "00B00000", "6700");                   /* case 1: no Le */
    XCHG(c, "00B000000100", "6700");               /* data field on READ BINARY */
    XCHG(c, "00B0E00001", "6A86");                 /* SFI form with b7-b6 set */
    XCHG(c, "00B0800001", "6A86");                 /* SFI 0 */
    XCHG(c, "00B0850001", "6A82");                 /* no EF with SFI 5 in the ADF */
    vuicc_free(c);
}

static void read_binary_by_sfi_selects_the_ef(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    XCHG(c, "00B0820802", "10F0 9000");
    XCHG(c, "00B0000001", "98 9000");              /* EF ICCID is now current */
    vuicc_free(c);
}

static void big_file_reads_at_the_top_offsets(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.file_size = 32768;
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A40804047F50643200", FCP_EF("6432", "8000") "9000");
    XCHG_PADDED(c, "00B07F0000", "", 256, 0x9000);
    XCHG(c, "00B07FFF01", "FF 9000");
    XCHG(c, "00B07FFF02", "FF 6282");
    XCHG(c, "00B0000004", "00010036 9000");
    XCHG(c, "00B0800000", "6A86");                 /* 0x8000 is the SFI form, SFI 0 */
    size_t len;
    const uint8_t *f = vuicc_file(c, &len);
    assert_int_equal(len, 32768);
    assert_memory_equal(f, g_file, g_file_len);
    assert_int_equal(f[32767], 0xFF);
    vuicc_free(c);
}

static void update_binary_then_read_back(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A40804047F50643200", FCP_EF("6432", "003C") "9000");
    XCHG(c, "00D6003903 010203", "9000");
    XCHG(c, "00B0003804", "02010203 9000");
    XCHG(c, "00D6003B02 0102", "6700");            /* runs past the end */
    XCHG(c, "00D6003C01 00", "6B00");
    XCHG(c, "00D6000000", "6700");                 /* five bytes: case 2, no data */
    XCHG(c, "00D60000", "6700");
    XCHG(c, "00D6000001AA00", "6700");             /* Le on UPDATE BINARY */
    size_t len;
    const uint8_t *f = vuicc_file(c, &len);
    assert_int_equal(len, 60);
    assert_int_equal(f[0x39], 0x01);
    assert_int_equal(f[0x3B], 0x03);
    XCHG(c, "00A40804047F50503100", FCP_EF("5031", "0020") "9000");
    XCHG(c, "00D6000001 00", "6982");              /* the ODF belongs to the issuer */
    vuicc_free(c);
}

static void read_only_card_refuses_update(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.writable = false;
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4080C047F506432", "9000");
    XCHG(c, "00D6000001 00", "6982");
    XCHG(c, "00B0000001", "00 9000");
    vuicc_free(c);
}

/* ---- OID forms ---------------------------------------------------------- */

static void dodf_bytes_follow_the_oid_form(void **state)
{
    (void)state;
    static const struct {
        enum vuicc_oid_form form;
        const char *entry;
    } v[] = {
        {VUICC_OID_CORRECT, DODF_CORRECT},
        {VUICC_OID_DOUBLE, DODF_DOUBLE}, /* exactly the spec's example, spec-notes 1.4 */
        {VUICC_OID_APPLICATION, DODF_APPLICATION},
        {VUICC_OID_NONE, DODF_NONE},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct vuicc_profile p = defaults();
        p.oid = v[i].form;
        struct vuicc *c = card_with(&p);
        XCHG(c, "00A4080C047F506430", "9000");
        XCHG_PADDED(c, "00B0000078", v[i].entry, 120, 0x9000);
        vuicc_free(c);
    }
}

/* ---- variants ----------------------------------------------------------- */

static void t0_card_uses_61xx_and_6cxx(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.t0 = true;
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A404040C" AID_P15 "00", "6120");
    XCHG(c, "00C0000020", FCP_ADF_P15 "9000");
    XCHG(c, "00C0000020", "6985");                 /* nothing left */
    XCHG(c, "00A404040C" AID_P15, "6120");         /* T=0 case 4 goes out as case 3 */
    XCHG(c, "00C0000010", "621E 82027821 83027F50 840CA0000000 6110"); /* 16 left */
    XCHG(c, "00C0000011", "6C10");
    XCHG(c, "00C0000010", "63504B43532D3135 8A0105 8B032F0601 9000");
    XCHG(c, "00A40804047FFF643200", "6118");
    XCHG(c, "00B0000001", "00 9000");              /* another command drops the data */
    XCHG(c, "00C0000018", "6985");
    XCHG(c, "00B0000000", "6C3C");                 /* Le=00 is 256: wrong, 60 bytes */
    XCHG(c, "00B000003C", NORDIC_HEX "9000");
    XCHG(c, "00B0003808", "6C04");
    XCHG(c, "00B202F400", "6A82");                 /* EF.DIR is not in the ADF */
    XCHG(c, "00A4000C023F00", "9000");
    XCHG(c, "00B202F400", "6C26");
    XCHG(c, "0070000000", "6C01");
    XCHG(c, "0070000001", "01 9000");
    XCHG(c, "00C0000000", "6985");
    XCHG(c, "00C0010000", "6A86");
    vuicc_free(c);
}

static void card_without_ef_dir_answers_6a82(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.no_ef_dir = true;
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A40004022F00", "6A82");
    XCHG(c, "00B201F426", "6A82");
    XCHG(c, "00A4040C0C" AID_P15, "9000");         /* the application is still there */
    vuicc_free(c);
}

static void card_without_iccid_answers_6a82(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.no_iccid = true;
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4000C022FE2", "6A82");
    XCHG(c, "00B082000A", "6A82");
    vuicc_free(c);
}

static void card_without_channels_answers_6881(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.no_channels = true;
    struct vuicc *c = card_with(&p);
    XCHG(c, OPEN_CHANNEL, "6881");
    XCHG(c, "00708001", "6881");
    XCHG(c, "01A4000C023F00", "6881");
    XCHG(c, "00A4040C0C" AID_P15, "9000");
    vuicc_free(c);
}

/* ---- logical channels --------------------------------------------------- */

static void channels_have_their_own_current_files(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4080C022FE2", "9000");             /* basic: EF ICCID */
    XCHG(c, OPEN_CHANNEL, "01 9000");
    XCHG(c, "01B0000001", "6986");                 /* new channel: MF, no EF */
    XCHG(c, "01A4040C0C" AID_P15, "9000");
    XCHG(c, "01A4000C026432", "9000");
    XCHG(c, "01B0000002", "0001 9000");
    XCHG(c, "00B0000002", "9888 9000");            /* basic channel unchanged */
    /* Opened from channel 1: that channel's DF and ADF carry over. */
    XCHG(c, "0170000001", "02 9000");
    XCHG(c, "02A4000C027FFF", "9000");
    XCHG(c, "02A4000C026432", "9000");
    /* Opened from channel 0: the MF, no application. */
    XCHG(c, OPEN_CHANNEL, "03 9000");
    XCHG(c, "03A4000C027FFF", "6A82");
    XCHG(c, OPEN_CHANNEL, "04 9000");
    XCHG(c, "40A4000C022FE2", "9000");             /* channel 4: CLA 40 */
    XCHG(c, "40B0000001", "98 9000");
    XCHG(c, "00708002", "9000");
    XCHG(c, "02B0000001", "6881");                 /* closed */
    XCHG(c, "00708002", "6A86");                   /* already closed */
    XCHG(c, "00708000", "6A86");                   /* the basic channel stays */
    XCHG(c, "0070800101", "6700");
    XCHG(c, "0070000101", "6A86");                 /* the card picks the number */
    XCHG(c, "00700000", "6700");                   /* open needs Le */
    XCHG(c, "00704000", "6A86");
    XCHG(c, OPEN_CHANNEL, "02 9000");              /* the lowest free number again */
    vuicc_free(c);
}

static void nineteen_channels_then_6a81(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    char want[16];
    for (unsigned k = 1; k <= 19; k++) {
        snprintf(want, sizeof want, "%02X9000", k);
        XCHG(c, OPEN_CHANNEL, want);
    }
    XCHG(c, OPEN_CHANNEL, "6A81");
    XCHG(c, "4FA4040C0C" AID_P15, "9000");         /* channel 19: CLA 4F */
    XCHG(c, "4FA4000C026432", "9000");
    XCHG(c, "4FB0000002", "0001 9000");
    XCHG(c, "00708013", "9000");
    XCHG(c, "4FB0000002", "6881");
    XCHG(c, "00708014", "6A86");                   /* channel 20 does not exist */
    vuicc_free(c);
}

/* ---- PIN ---------------------------------------------------------------- */

#define VERIFY_1234 "0020000108 31323334FFFFFFFF"
#define VERIFY_9999 "0020000108 39393939FFFFFFFF"

static struct vuicc *pin_card(void)
{
    struct vuicc_profile p = defaults();
    snprintf(p.pin, sizeof p.pin, "%s", "1234");
    p.pin_file = true;
    return card_with(&p);
}

static void pin_card_refuses_read_before_verify(void **state)
{
    (void)state;
    struct vuicc *c = pin_card();
    /* The ADF's FCP names the PIN in its PIN status template. */
    XCHG(c, "00A404040C" AID_P15 "00",
         "6226 82027821 83027F50 840C" AID_P15 " 8A0105 8B032F0601 C606900180830101 9000");
    XCHG(c, "00A4000C026430", "9000");
    XCHG_PADDED(c, "00B0000078", DODF_PRIVATE, 120, 0x9000); /* DODF readable, entry private */
    XCHG(c, "00A4000402643200", "6216 82024121 83026432 8A0105 8B032F0602 8002003C 8800 9000");
    XCHG(c, "00B0000004", "6982");
    XCHG(c, "00D6000001 00", "6982");
    XCHG(c, "00200001", "63C3");                   /* tries left */
    XCHG(c, VERIFY_1234, "9000");
    XCHG(c, "00200001", "9000");                   /* verified */
    XCHG(c, "00B0000004", "00010036 9000");
    XCHG(c, "00D6000001 00", "9000");
    vuicc_free(c);
}

static void wrong_pin_counts_down_and_blocks(void **state)
{
    (void)state;
    struct vuicc *c = pin_card();
    XCHG(c, VERIFY_9999, "63C2");
    XCHG(c, VERIFY_9999, "63C1");
    XCHG(c, VERIFY_1234, "9000");                  /* right PIN: counter back to 3 */
    XCHG(c, "00200001", "9000");
    XCHG(c, VERIFY_9999, "63C2");                  /* a wrong PIN drops the verification */
    XCHG(c, "00200001", "63C2");
    XCHG(c, VERIFY_9999, "63C1");
    XCHG(c, VERIFY_9999, "63C0");
    XCHG(c, "00200001", "6983");
    XCHG(c, VERIFY_1234, "6983");                  /* blocked: the right PIN no longer helps */
    XCHG(c, "00A4080C047F506432", "9000");
    XCHG(c, "00B0000004", "6982");
    (void)vuicc_reset(c, NULL, 0);
    XCHG(c, "00200001", "6983");                   /* the counter survives a reset */
    vuicc_free(c);
}

static void reset_clears_pin_verification(void **state)
{
    (void)state;
    struct vuicc *c = pin_card();
    uint8_t atr[32];
    XCHG(c, VERIFY_1234, "9000");
    assert_int_equal(vuicc_reset(c, atr, sizeof atr), 5);
    static const uint8_t want_atr[5] = {0x3B, 0x80, 0x80, 0x01, 0x01};
    assert_memory_equal(atr, want_atr, 5);
    XCHG(c, "00200001", "63C3");
    XCHG(c, "00A4080C047F506432", "9000");
    XCHG(c, "00B0000004", "6982");
    vuicc_free(c);
}

static void verify_checks_reference_and_length(void **state)
{
    (void)state;
    struct vuicc *c = pin_card();
    XCHG(c, "0020000208 31323334FFFFFFFF", "6A88"); /* no PIN 02 on this card */
    XCHG(c, "0020000908 31323334FFFFFFFF", "6A86"); /* 09 is no key reference */
    XCHG(c, "0020010108 31323334FFFFFFFF", "6A86");
    XCHG(c, "002000010431323334", "6700");          /* PIN must be padded to 8 */
    XCHG(c, "0020000108 31323334FFFFFFFF00", "6700");
    XCHG(c, "00200001", "63C3");                    /* none of these cost a try */
    vuicc_free(c);

    struct vuicc_profile p = defaults(); /* no PIN at all */
    c = card_with(&p);
    XCHG(c, VERIFY_1234, "6A88");
    XCHG(c, "00A404040C" AID_P15 "00", FCP_ADF_P15 "9000"); /* no C6 */
    vuicc_free(c);
}

/* ---- faults ------------------------------------------------------------- */

static void sw_fault_answers_at_its_index_only(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.fault_at = 3;
    p.fault_kind = VUICC_FAULT_SW;
    p.fault_sw = 0x6581;
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4080C022FE2", "9000");
    XCHG(c, "00B0000001", "98 9000");
    XCHG(c, "00B0000001", "6581");
    XCHG(c, "00B0000001", "98 9000");
    assert_int_equal(vuicc_apdu_count(c), 4);
    vuicc_free(c);
}

static void remove_fault_leaves_no_card_until_insert(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.fault_at = 2;
    p.fault_kind = VUICC_FAULT_REMOVE;
    struct vuicc *c = card_with(&p);
    uint8_t cmd[8], r[300];
    size_t n = test_hex("00A4080C022FE2", cmd, sizeof cmd);
    assert_int_equal(vuicc_process(c, cmd, n, r, sizeof r), 2);
    assert_int_equal(vuicc_process(c, cmd, n, r, sizeof r), 0);
    assert_false(vuicc_present(c));
    for (int i = 0; i < 5; i++) assert_int_equal(vuicc_process(c, cmd, n, r, sizeof r), 0);
    uint8_t atr[32];
    assert_int_equal(vuicc_reset(c, atr, sizeof atr), 0); /* no card, no ATR */
    vuicc_insert(c);
    assert_true(vuicc_present(c));
    assert_int_equal(vuicc_apdu_count(c), 0);
    XCHG(c, "00B0000001", "6986"); /* power-on state: the selection is gone */
    assert_int_equal(vuicc_process(c, cmd, n, r, sizeof r), 0); /* the knob counts again */
    vuicc_free(c);
}

static void mute_fault_answers_nothing_once(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.fault_at = 1;
    p.fault_kind = VUICC_FAULT_MUTE;
    struct vuicc *c = card_with(&p);
    uint8_t cmd[8], r[300];
    size_t n = test_hex("00A4080C022FE2", cmd, sizeof cmd);
    assert_int_equal(vuicc_process(c, cmd, n, r, sizeof r), 0);
    assert_true(vuicc_present(c));
    XCHG(c, "00B0000001", "6986"); /* the muted SELECT did not happen */
    vuicc_free(c);
}

static void corrupt_flips_a_data_byte_or_sw1(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.corrupt_at = 2;
    p.corrupt_byte = 1;
    p.corrupt_xor = 0x0F;
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4080C022FE2", "9000");
    XCHG(c, "00B0000003", "988712 9000");
    XCHG(c, "00B0000003", "988812 9000");
    vuicc_free(c);

    p.corrupt_at = 1;
    p.corrupt_byte = 4;
    p.corrupt_xor = 0xFF; /* no data byte 4: SW1 90 becomes 6F */
    c = card_with(&p);
    XCHG(c, "00A4080C022FE2", "6F00");
    vuicc_free(c);
}

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void delay_fault_answers_late(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.delay_at = 2;
    p.delay_ms = 60;
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4080C022FE2", "9000");
    uint64_t t0 = ms_now();
    XCHG(c, "00B0000001", "98 9000");
    assert_true(ms_now() - t0 >= 60);
    vuicc_free(c);
}

static void fault_sweep_over_the_walk_never_breaks_the_model(void **state)
{
    (void)state;
    static const char *const walk[] = {
        "00B082000A", "00B202F426", OPEN_CHANNEL, SELECT_P15_FCP, SELECT_ODF_FCP, READ_128,
        SELECT_DODF_FCP, READ_128, SELECT_FILE_FCP, READ_128, CLOSE_CHANNEL_1,
    };
    const size_t nw = sizeof walk / sizeof walk[0];
    for (int kind = VUICC_FAULT_SW; kind <= VUICC_FAULT_MUTE; kind++) {
        for (uint32_t k = 1; k <= nw; k++) {
            struct vuicc_profile p = defaults();
            p.fault_at = k;
            p.fault_kind = (enum vuicc_fault_kind)kind;
            p.fault_sw = 0x6F00;
            struct vuicc *c = card_with(&p);
            for (size_t i = 0; i < nw; i++) {
                uint8_t cmd[64], r[300];
                size_t n = test_hex(walk[i], cmd, sizeof cmd);
                int got = vuicc_process(c, cmd, n, r, sizeof r);
                if (i + 1 < k) {
                    assert_true(got >= 2);
                } else if (i + 1 == k) {
                    if (kind == VUICC_FAULT_SW) {
                        assert_int_equal(got, 2);
                        assert_int_equal(r[0] << 8 | r[1], 0x6F00);
                    } else {
                        assert_int_equal(got, 0);
                    }
                } else if (kind == VUICC_FAULT_REMOVE) {
                    assert_int_equal(got, 0);
                } else {
                    assert_true(got >= 2 && got <= 258);
                }
            }
            vuicc_free(c);
        }
    }
}

/* ---- reload ------------------------------------------------------------- */

static void reload_same_iccid_keeps_the_session(void **state)
{
    (void)state;
    struct vuicc *c = pin_card();
    struct ucb_transport t;
    vuicc_transport(c, &t);
    assert_int_equal(t.card_event(t.ctx), 0);
    XCHG(c, OPEN_CHANNEL, "01 9000");
    XCHG(c, "01A4040C0C" AID_P15, "9000");
    XCHG(c, VERIFY_9999, "63C2");
    size_t len;
    uint8_t *other = test_read_file("fixtures/bootstrap/r1-three-accounts.bin", &len);
    struct vuicc_profile p = defaults();
    snprintf(p.pin, sizeof p.pin, "%s", "1234");
    p.pin_file = true;
    char err[256];
    assert_int_equal(vuicc_reload(c, &p, other, len, err, sizeof err), 0);
    assert_int_equal(vuicc_apdu_count(c), 0);
    assert_int_equal(t.card_event(t.ctx), 0);      /* no removal seen */
    XCHG(c, "00200001", "63C2");                   /* the counter is the card's */
    XCHG(c, "01A4000C026432", "9000");             /* channel 1 still in the ADF */
    XCHG(c, VERIFY_1234, "9000");
    uint8_t cmd[8], r[300];
    size_t n = test_hex("01B0000010", cmd, sizeof cmd);
    assert_int_equal(vuicc_process(c, cmd, n, r, sizeof r), 18);
    assert_memory_equal(r, other, 16);
    free(other);
    vuicc_free(c);
}

static void reload_other_iccid_is_another_card(void **state)
{
    (void)state;
    struct vuicc *c = pin_card();
    struct ucb_transport t;
    vuicc_transport(c, &t);
    XCHG(c, OPEN_CHANNEL, "01 9000");
    XCHG(c, VERIFY_9999, "63C2");
    struct vuicc_profile p = defaults();
    snprintf(p.iccid, sizeof p.iccid, "%s", "8988211000000430028");
    snprintf(p.pin, sizeof p.pin, "%s", "1234");
    p.pin_file = true;
    char err[256];
    assert_int_equal(vuicc_reload(c, &p, g_file, g_file_len, err, sizeof err), 0);
    assert_int_equal(t.card_event(t.ctx), UCB_ERR_CARD_REINSERTED);
    assert_int_equal(t.card_event(t.ctx), 0);
    XCHG(c, "01A4000C023F00", "6881");             /* channels closed */
    XCHG(c, "00200001", "63C3");                   /* a fresh counter */
    XCHG(c, "00B082000A", "9888120100004003 20F8 9000");
    vuicc_free(c);
}

static void reload_with_bad_input_keeps_the_card(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    p.file_size = 10; /* smaller than the 60-byte file */
    char err[256] = "";
    assert_int_equal(vuicc_reload(c, &p, g_file, g_file_len, err, sizeof err), -1);
    assert_non_null(strstr(err, "file_size"));
    XCHG(c, "00A4080C047F506432", "9000");
    XCHG(c, "00B0000004", "00010036 9000");
    vuicc_free(c);
}

/* ---- the in-process transport ------------------------------------------ */

static void transport_maps_no_answer_and_events(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.fault_at = 2;
    p.fault_kind = VUICC_FAULT_MUTE;
    struct vuicc *c = card_with(&p);
    struct ucb_transport t;
    vuicc_transport(c, &t);
    uint8_t cmd[8], r[300], atr[8];
    size_t n = test_hex("00A4080C022FE2", cmd, sizeof cmd), rl = 0, al = 0;
    assert_int_equal(t.transmit(t.ctx, cmd, n, r, sizeof r, &rl, 0), 0);
    assert_int_equal(rl, 2);
    assert_int_equal(t.transmit(t.ctx, cmd, n, r, sizeof r, &rl, 0), UCB_ERR_TIMEOUT);
    assert_int_equal(t.transmit(t.ctx, cmd, n, r, 1, &rl, 0), UCB_ERR_BUFFER);
    assert_int_equal(t.card_event(t.ctx), 0);
    (void)vuicc_reset(c, NULL, 0);                /* someone else reset the card */
    assert_int_equal(t.card_event(t.ctx), UCB_ERR_CARD_RESET);
    assert_int_equal(t.card_event(t.ctx), 0);
    assert_int_equal(t.reset(t.ctx, atr, sizeof atr, &al), 0);
    assert_int_equal(al, 5);
    assert_int_equal(t.card_event(t.ctx), 0);     /* our own reset is no event */
    assert_int_equal(t.reset(t.ctx, atr, 2, &al), UCB_ERR_BUFFER);
    vuicc_remove(c);
    assert_int_equal(t.card_event(t.ctx), UCB_ERR_CARD_REMOVED);
    assert_int_equal(t.transmit(t.ctx, cmd, n, r, sizeof r, &rl, 0), UCB_ERR_CARD_REMOVED);
    assert_int_equal(t.reset(t.ctx, atr, sizeof atr, &al), UCB_ERR_CARD_REMOVED);
    vuicc_insert(c);
    assert_int_equal(t.card_event(t.ctx), UCB_ERR_CARD_REINSERTED);
    assert_int_equal(t.card_event(t.ctx), 0);
    vuicc_remove(c);
    vuicc_insert(c);                               /* out and in between two checks */
    assert_int_equal(t.card_event(t.ctx), UCB_ERR_CARD_REINSERTED);
    vuicc_insert(c);                               /* inserting a present card: out and in */
    assert_int_equal(t.card_event(t.ctx), UCB_ERR_CARD_REINSERTED);
    assert_int_equal(t.card_event(t.ctx), 0);
    vuicc_free(c);
}

static void transport_times_out_a_delay_beyond_the_deadline(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    p.delay_at = 1;
    p.delay_ms = 5000;
    struct vuicc *c = card_with(&p);
    struct ucb_transport t;
    vuicc_transport(c, &t);
    uint8_t cmd[8], r[300];
    size_t n = test_hex("00A4080C022FE2", cmd, sizeof cmd), rl;
    uint64_t t0 = ms_now();
    assert_int_equal(t.transmit(t.ctx, cmd, n, r, sizeof r, &rl, 20), UCB_ERR_TIMEOUT);
    assert_true(ms_now() - t0 < 5000);
    XCHG(c, "00B0000001", "98 9000");              /* the card did select EF ICCID */
    vuicc_free(c);
}

/* ---- hostile APDUs ------------------------------------------------------ */

static void hostile_vectors_get_error_status_words(void **state)
{
    (void)state;
    static const struct {
        const char *name, *cmd;
        unsigned sw;
    } v[] = {
        {"three bytes", "00A404", 0x6700},
        {"Lc larger than the data", "00A4000C053F00", 0x6700},
        {"Lc smaller than the data", "00A4000C013F0000", 0x6700},
        {"extended case 2", "00B00000000100", 0x6700},
        {"extended case 3", "00A4000C0000023F00", 0x6700},
        {"case 3 plus two extra bytes", "00A4000C023F000000", 0x6700},
        {"261 bytes is the largest short APDU, 262 is not",
         "00D60000FF" "0000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000000000000000000" "0000",
         0x6700},
        {"proprietary class", "80A4000C023F00", 0x6E00},
        {"GSM class A0", "A0A4000002 3F00", 0x6E00},
        {"class FF", "FFA4000C023F00", 0x6E00},
        {"RFU class 20", "20A4000C023F00", 0x6E00},
        {"unknown INS", "00000000", 0x6D00},
        {"STATUS is not implemented", "00F2000000", 0x6D00},
        {"secure messaging 0C", "0CA4000C023F00", 0x6882},
        {"secure messaging 60", "60A4000C023F00", 0x6882},
        {"chaining", "10A4000C023F00", 0x6884},
        {"closed channel 3", "03A4000C023F00", 0x6881},
        {"closed channel 19", "4FA4000C023F00", 0x6881},
        {"closed channel 12 with a bad length", "48A4", 0x6700},
    };
    struct vuicc_profile p = defaults();
    struct vuicc *c = card_with(&p);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        unsigned got = sw_of(c, v[i].cmd);
        if (got != v[i].sw) {
            fprintf(stderr, "%s: got %04X want %04X\n", v[i].name, got, v[i].sw);
            fail();
        }
    }
    uint8_t r[4];
    assert_int_equal(vuicc_process(c, NULL, 0, r, sizeof r), 2); /* no bytes at all */
    assert_int_equal(r[0] << 8 | r[1], 0x6700);
    uint8_t cmd[5] = {0x00, 0xB0, 0x00, 0x00, 0x00};
    XCHG(c, "00A4080C022FE2", "9000");
    assert_int_equal(vuicc_process(c, cmd, 5, r, sizeof r), -1); /* R-APDU does not fit */
    vuicc_free(c);
}

static uint32_t rng_state;

static uint32_t rng(void)
{
    /* xorshift32: a fixed sequence, so a failure reproduces. */
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static void random_apdus_never_crash_the_card(void **state)
{
    (void)state;
    static const uint8_t clas[] = {0x00, 0x01, 0x02, 0x03, 0x40, 0x4F, 0x0C, 0x10, 0x80, 0xFF};
    static const uint8_t inss[] = {0xA4, 0xB0, 0xB2, 0xD6, 0x70, 0x20, 0xC0, 0x00};
    for (int variant = 0; variant < 5; variant++) {
        struct vuicc_profile p = defaults();
        if (variant == 1) p.t0 = true;
        if (variant == 2) {
            snprintf(p.pin, sizeof p.pin, "%s", "1234");
            p.pin_file = true;
        }
        if (variant == 3) p.no_channels = true;
        if (variant == 4) p.file_size = 32768;
        struct vuicc *c = card_with(&p);
        rng_state = 0x1234567u + (uint32_t)variant;
        for (int i = 0; i < 40000; i++) {
            uint8_t cmd[300], r[300];
            size_t len = rng() % 301;
            for (size_t j = 0; j < len; j++) cmd[j] = (uint8_t)rng();
            /* Mostly well-formed headers, so the commands get past the CLA/INS checks. */
            if (len > 0 && rng() % 4 != 0) cmd[0] = clas[rng() % sizeof clas];
            if (len > 1 && rng() % 4 != 0) cmd[1] = inss[rng() % sizeof inss];
            if (len > 5 && rng() % 2 == 0) cmd[4] = (uint8_t)(len - 5 - rng() % 2);
            int got = vuicc_process(c, cmd, len, r, sizeof r);
            assert_true(got >= 2 && got <= 258);
        }
        vuicc_free(c);
    }
}

/* ---- profiles ----------------------------------------------------------- */

static const char *const fixtures[] = {
    "default", "t0", "double-oid", "application-oid", "no-ef-dir",
    "no-channels", "pin", "big", "read-only",
};

static void every_card_fixture_loads_and_builds(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        char path[512], err[512] = "";
        snprintf(path, sizeof path, "%s/fixtures/cards/%s.json", UCB_SOURCE_ROOT, fixtures[i]);
        struct vuicc_profile p = defaults();
        if (vuicc_profile_load(&p, path, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            fail();
        }
        struct vuicc *c = vuicc_new(&p, g_file, g_file_len, err, sizeof err);
        if (!c) {
            fprintf(stderr, "%s: %s\n", fixtures[i], err);
            fail();
        }
        vuicc_free(c);
    }
}

static struct vuicc_profile load_fixture(const char *name)
{
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/fixtures/cards/%s.json", UCB_SOURCE_ROOT, name);
    struct vuicc_profile p = defaults();
    assert_int_equal(vuicc_profile_load(&p, path, err, sizeof err), 0);
    return p;
}

static void card_fixtures_set_their_variant(void **state)
{
    (void)state;
    struct vuicc_profile d = defaults(), p;
    p = load_fixture("default");
    assert_memory_equal(&p, &d, sizeof p); /* default.json spells out the defaults */
    assert_true(load_fixture("t0").t0);
    assert_int_equal(load_fixture("double-oid").oid, VUICC_OID_DOUBLE);
    assert_int_equal(load_fixture("application-oid").oid, VUICC_OID_APPLICATION);
    assert_true(load_fixture("no-ef-dir").no_ef_dir);
    assert_true(load_fixture("no-channels").no_channels);
    p = load_fixture("pin");
    assert_string_equal(p.pin, "1234");
    assert_true(p.pin_file);
    assert_int_equal(load_fixture("big").file_size, 32768);
    assert_false(load_fixture("read-only").writable);
}

/* Load @p json from a temporary file; returns vuicc_profile_load's result. */
static int load_text(const char *json, struct vuicc_profile *p, char *err, size_t errlen)
{
    char path[] = "/tmp/vuicc-profile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
    int r = vuicc_profile_load(p, path, err, errlen);
    unlink(path);
    return r;
}

static void profile_loader_accepts_every_documented_key(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    char err[512] = "";
    int r = load_text("{\"iccid\": \"89000000000000000012\", \"pin\": \"87654321\","
                      " \"pin_key_ref\": \"81\", \"pin_tries\": 10, \"pin_file\": true,"
                      " \"t0\": true, \"oid\": \"none\", \"ef_dir\": false,"
                      " \"logical_channels\": false, \"iccid_file\": false,"
                      " \"fcp_size\": false, \"p2_fcp\": false, \"writable\": false,"
                      " \"aid\": \"a0000000630102\", \"odf_fid\": \"4401\","
                      " \"dodf_fid\": \"4402\", \"file_fid\": \"4403\", \"file_size\": 1000,"
                      " \"faults\": {\"at\": 7, \"kind\": \"remove\", \"sw\": 25345,"
                      " \"corrupt_at\": 8, \"corrupt_byte\": 3, \"corrupt_xor\": 1,"
                      " \"delay_at\": 9, \"delay_ms\": 10}}",
                      &p, err, sizeof err);
    if (r != 0) fprintf(stderr, "%s\n", err);
    assert_int_equal(r, 0);
    assert_string_equal(p.iccid, "89000000000000000012");
    assert_string_equal(p.pin, "87654321");
    assert_int_equal(p.pin_key_ref, 0x81);
    assert_int_equal(p.pin_tries, 10);
    assert_true(p.pin_file && p.t0 && p.no_ef_dir && p.no_channels && p.no_iccid &&
                p.fcp_no_size && p.refuse_p2_fcp && !p.writable);
    assert_int_equal(p.oid, VUICC_OID_NONE);
    assert_int_equal(p.aid_len, 7);
    assert_int_equal(p.aid[6], 0x02);
    assert_int_equal(p.odf_fid, 0x4401);
    assert_int_equal(p.dodf_fid, 0x4402);
    assert_int_equal(p.file_fid, 0x4403);
    assert_int_equal(p.file_size, 1000);
    assert_int_equal(p.fault_at, 7);
    assert_int_equal(p.fault_kind, VUICC_FAULT_REMOVE);
    assert_int_equal(p.fault_sw, 0x6301);
    assert_int_equal(p.corrupt_at, 8);
    assert_int_equal(p.corrupt_byte, 3);
    assert_int_equal(p.corrupt_xor, 1);
    assert_int_equal(p.delay_at, 9);
    assert_int_equal(p.delay_ms, 10);
    /* A fault index alone means a status word fault. */
    p = defaults();
    assert_int_equal(load_text("{\"faults\": {\"at\": 3}}", &p, err, sizeof err), 0);
    assert_int_equal(p.fault_kind, VUICC_FAULT_SW);
    assert_int_equal(p.fault_sw, 0x6F00);
}

static void profile_loader_names_the_bad_key(void **state)
{
    (void)state;
    static const struct {
        const char *why, *json, *key;
    } v[] = {
        {"unknown key", "{\"colour\": \"red\"}", "'colour'"},
        {"bool as string", "{\"t0\": \"yes\"}", "'t0'"},
        {"bool as number", "{\"ef_dir\": 0}", "'ef_dir'"},
        {"iccid as number", "{\"iccid\": 8988211000000430010}", "'iccid'"},
        {"iccid with a letter", "{\"iccid\": \"898821100000043001A\"}", "'iccid'"},
        {"iccid of 21 digits", "{\"iccid\": \"898821100000043001012\"}", "'iccid'"},
        {"pin of 3 digits", "{\"pin\": \"123\"}", "'pin'"},
        {"pin of 9 digits", "{\"pin\": \"123456789\"}", "'pin'"},
        {"pin with a letter", "{\"pin\": \"12a4\"}", "'pin'"},
        {"pin_tries 0", "{\"pin_tries\": 0}", "'pin_tries'"},
        {"pin_tries 16", "{\"pin_tries\": 16}", "'pin_tries'"},
        {"pin_key_ref 256", "{\"pin_key_ref\": 256}", "'pin_key_ref'"},
        {"unknown oid form", "{\"oid\": \"triple\"}", "'oid'"},
        {"aid of 4 bytes", "{\"aid\": \"A0000000\"}", "'aid'"},
        {"aid of 17 bytes", "{\"aid\": \"A000000063504B43532D31350102030405\"}", "'aid'"},
        {"aid with odd digits", "{\"aid\": \"A00000006\"}", "'aid'"},
        {"aid not hex", "{\"aid\": \"A0000000ZZ\"}", "'aid'"},
        {"fid as integer", "{\"odf_fid\": 20529}", "'odf_fid'"},
        {"fid of 3 digits", "{\"dodf_fid\": \"643\"}", "'dodf_fid'"},
        {"fid not hex", "{\"file_fid\": \"64G2\"}", "'file_fid'"},
        {"file_size above 32 KB", "{\"file_size\": 32769}", "'file_size'"},
        {"file_size negative", "{\"file_size\": -1}", "'file_size'"},
        {"file_size fractional", "{\"file_size\": 1.5}", "'file_size'"},
        {"faults not an object", "{\"faults\": 3}", "'faults'"},
        {"unknown fault kind", "{\"faults\": {\"kind\": \"explode\"}}", "'faults.kind'"},
        {"unknown fault key", "{\"faults\": {\"bogus\": 1}}", "'faults.bogus'"},
        {"fault sw of 3 digits", "{\"faults\": {\"sw\": \"6F0\"}}", "'faults.sw'"},
        {"fault at negative", "{\"faults\": {\"at\": -1}}", "'faults.at'"},
        {"corrupt_xor 256", "{\"faults\": {\"corrupt_xor\": 256}}", "'faults.corrupt_xor'"},
        {"description not a string", "{\"description\": 1}", "'description'"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct vuicc_profile p = defaults(), d = defaults();
        char err[512] = "";
        int r = load_text(v[i].json, &p, err, sizeof err);
        if (r != -1 || strstr(err, v[i].key) == NULL) {
            fprintf(stderr, "%s: r=%d err=\"%s\" (want %s)\n", v[i].why, r, err, v[i].key);
            fail();
        }
        assert_memory_equal(&p, &d, sizeof p); /* a failed load changes nothing */
    }
}

static void profile_loader_rejects_bad_json(void **state)
{
    (void)state;
    struct vuicc_profile p = defaults();
    char err[512] = "";
    assert_int_equal(load_text("{\"t0\": true,}", &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "/tmp/vuicc-profile-"));
    assert_int_equal(load_text("[1, 2]", &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "object"));
    assert_int_equal(load_text("{\"t0\": true, \"t0\": false}", &p, err, sizeof err), -1);
    assert_int_equal(vuicc_profile_load(&p, "/nonexistent/card.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/card.json"));
    assert_false(p.t0);
}

static void vuicc_new_rejects_inconsistent_profiles(void **state)
{
    (void)state;
    static uint8_t big[32769];
    struct vuicc_profile p;
    char err[256];
    struct {
        const char *why, *key;
        size_t len;
    } v[] = {
        {"pin_file without a pin", "pin_file", 60},
        {"file larger than file_size", "file_size", 60},
        {"file above 32 KB", "file_size", sizeof big},
        {"two files with one FID", "fid", 60},
        {"FID 3F00", "fid", 60},
        {"AID of 4 bytes", "aid", 60},
        {"ICCID with a letter", "iccid", 60},
        {"PIN of 3 digits", "pin", 60},
        {"key reference 09", "pin_key_ref", 60},
        {"no tries", "pin_tries", 60},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        p = defaults();
        switch (i) {
        case 0: p.pin_file = true; break;
        case 1: p.file_size = 59; break;
        case 2: break;
        case 3: p.dodf_fid = p.file_fid; break;
        case 4: p.odf_fid = 0x3F00; break;
        case 5: p.aid_len = 4; break;
        case 6: p.iccid[3] = 'x'; break;
        case 7: snprintf(p.pin, sizeof p.pin, "%s", "123"); break;
        case 8: p.pin_key_ref = 0x09; break;
        default: p.pin_tries = 0; break;
        }
        err[0] = '\0';
        const uint8_t *data = v[i].len == sizeof big ? big : g_file;
        struct vuicc *c = vuicc_new(&p, data, v[i].len, err, sizeof err);
        if (c != NULL || strstr(err, v[i].key) == NULL) {
            fprintf(stderr, "%s: err=\"%s\"\n", v[i].why, err);
            vuicc_free(c);
            fail();
        }
    }
    /* An empty EF is a legal card: any READ BINARY is past the end. */
    p = defaults();
    struct vuicc *c = vuicc_new(&p, NULL, 0, err, sizeof err);
    assert_non_null(c);
    XCHG(c, "00A40804047F50643200", FCP_EF("6432", "0000") "9000");
    XCHG(c, "00B0000001", "6B00");
    vuicc_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appendix_g_walk_answers_as_the_spec_trace),
        cmocka_unit_test(ef_dir_records_are_fixed_length_templates),
        cmocka_unit_test(iccid_fcp_gives_sfi_and_size),
        cmocka_unit_test(iccid_with_odd_digits_is_f_padded),
        cmocka_unit_test(select_by_fid_follows_ts102221_rules),
        cmocka_unit_test(select_by_path_and_aid),
        cmocka_unit_test(failed_select_keeps_the_current_ef),
        cmocka_unit_test(select_case3_fcp_request_in_t1_gives_no_data),
        cmocka_unit_test(refuse_p2_fcp_answers_6a86_to_p2_04),
        cmocka_unit_test(fcp_no_size_omits_tag_80),
        cmocka_unit_test(profile_fids_and_aid_move_the_files),
        cmocka_unit_test(read_binary_checks_offset_and_le),
        cmocka_unit_test(read_binary_by_sfi_selects_the_ef),
        cmocka_unit_test(big_file_reads_at_the_top_offsets),
        cmocka_unit_test(update_binary_then_read_back),
        cmocka_unit_test(read_only_card_refuses_update),
        cmocka_unit_test(dodf_bytes_follow_the_oid_form),
        cmocka_unit_test(t0_card_uses_61xx_and_6cxx),
        cmocka_unit_test(card_without_ef_dir_answers_6a82),
        cmocka_unit_test(card_without_iccid_answers_6a82),
        cmocka_unit_test(card_without_channels_answers_6881),
        cmocka_unit_test(channels_have_their_own_current_files),
        cmocka_unit_test(nineteen_channels_then_6a81),
        cmocka_unit_test(pin_card_refuses_read_before_verify),
        cmocka_unit_test(wrong_pin_counts_down_and_blocks),
        cmocka_unit_test(reset_clears_pin_verification),
        cmocka_unit_test(verify_checks_reference_and_length),
        cmocka_unit_test(sw_fault_answers_at_its_index_only),
        cmocka_unit_test(remove_fault_leaves_no_card_until_insert),
        cmocka_unit_test(mute_fault_answers_nothing_once),
        cmocka_unit_test(corrupt_flips_a_data_byte_or_sw1),
        cmocka_unit_test(delay_fault_answers_late),
        cmocka_unit_test(fault_sweep_over_the_walk_never_breaks_the_model),
        cmocka_unit_test(reload_same_iccid_keeps_the_session),
        cmocka_unit_test(reload_other_iccid_is_another_card),
        cmocka_unit_test(reload_with_bad_input_keeps_the_card),
        cmocka_unit_test(transport_maps_no_answer_and_events),
        cmocka_unit_test(transport_times_out_a_delay_beyond_the_deadline),
        cmocka_unit_test(hostile_vectors_get_error_status_words),
        cmocka_unit_test(random_apdus_never_crash_the_card),
        cmocka_unit_test(every_card_fixture_loads_and_builds),
        cmocka_unit_test(card_fixtures_set_their_variant),
        cmocka_unit_test(profile_loader_accepts_every_documented_key),
        cmocka_unit_test(profile_loader_names_the_bad_key),
        cmocka_unit_test(profile_loader_rejects_bad_json),
        cmocka_unit_test(vuicc_new_rejects_inconsistent_profiles),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
