/*
 * UICC commands (include/uiccboot/uicc.h; ETSI TS 102 221 clause 11) over
 * the APDU engine and a scripted transport: every expected C-APDU is
 * written out in hex next to the answer the card gives.
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

#include "script.h"
#include "test_util.h"
#include "uiccboot/apdu.h"
#include "uiccboot/err.h"
#include "uiccboot/uicc.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))


static const uint8_t pkcs15_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                     0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};

/* FCPs of spec-notes 1.6 */
#define FCP_ADF_PKCS15                                                              \
    "62 25 82 02 78 21 84 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 8A 01 05 8B 03 2F 06 0C " \
    "C6 09 90 01 40 83 01 01 83 01 0A"
#define FCP_EF_ODF "62 16 82 02 41 21 83 02 50 31 8A 01 05 8B 03 6F 06 02 80 02 00 20 88 00"

static struct ucb_apdu eng;
static struct script_trace_log trace_log;
static uint16_t sw;

static void start(const struct script_step *steps, size_t n)
{
    struct ucb_transport t = script_start(steps, n, 0);
    ucb_apdu_init(&eng, &t);
    memset(&trace_log, 0, sizeof trace_log);
    eng.trace = script_trace;
    eng.trace_ctx = &trace_log;
    sw = 0xFFFF;
}

#define START(steps) start((steps), ARRAY_LEN(steps))
#define START_EMPTY() start(NULL, 0)

/* File content used by the READ BINARY tests: byte i is (i * 7 + i / 256) & 0xFF,
 * so a chunk put at the wrong offset is noticed. */
static uint8_t file_byte(size_t i)
{
    return (uint8_t)((i * 7u + i / 256u) & 0xFFu);
}

/* Heap strings for steps built at run time; freed by free_strings(). */
static char *strings[600];
static size_t n_strings;

static char *keep(char *s)
{
    assert_non_null(s);
    assert_true(n_strings < ARRAY_LEN(strings));
    strings[n_strings++] = s;
    return s;
}

static void free_strings(void)
{
    for (size_t i = 0; i < n_strings; i++) free(strings[i]);
    n_strings = 0;
}

/* READ BINARY of 256 bytes at offset k * 0x100: P1 = k (b8 stays 0), P2 = 00, Le = 00 */
static const char *read_256_at_page(size_t k)
{
    char *s = malloc(32);
    assert_non_null(s);
    snprintf(s, 32, "00 B0 %02zX 00 00", k);
    return keep(s);
}

/* Hex of file bytes [off, off + n) followed by the status word. */
static const char *file_hex(size_t off, size_t n, const char *sw_hex)
{
    size_t tl = strlen(sw_hex);
    char *s = malloc(2 * n + tl + 2);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) snprintf(s + 2 * i, 3, "%02X", file_byte(off + i));
    s[2 * n] = ' ';
    memcpy(s + 2 * n + 1, sw_hex, tl + 1);
    return keep(s);
}

static void check_file_bytes(const char *name, const uint8_t *buf, size_t off, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != file_byte(off + i))
            fail_msg("%s: byte %zu is %02x, file has %02x", name, i, buf[i], file_byte(off + i));
}

/* ------------------------------------------------------------------------- */
/* MANAGE CHANNEL                                                            */

static void open_channel_returns_the_card_channel(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 70 00 00 01", "01 90 00"),
        STEP("01 70 00 00 01", "13 90 00"), /* from channel 1: the card gives 19 */
    };
    START(steps);
    uint8_t ch = 0;
    CHECK_EQ("open", ucb_uicc_open_channel(&eng, &ch, &sw), 0);
    CHECK_EQ("open", ch, 1);
    CHECK_EQ("open", sw, 0x9000);
    CHECK_EQ("engine channel unchanged", eng.channel, 0);
    eng.channel = 1;
    CHECK_EQ("open from channel 1", ucb_uicc_open_channel(&eng, &ch, &sw), 0);
    CHECK_EQ("open from channel 1", ch, 19);
    script_assert_done();
}

static void open_channel_6881_means_channels_unsupported(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 70 00 00 01", "68 81"),
        STEP("00 70 00 00 01", "6D 00"),
        STEP("00 70 00 00 01", "6E 00"),
        STEP("00 70 00 00 01", "6A 84"),
    };
    START(steps);
    uint8_t ch = 0x55;
    CHECK_EQ("6881", ucb_uicc_open_channel(&eng, &ch, &sw), UCB_ERR_UNSUPPORTED);
    CHECK_EQ("6881", sw, 0x6881);
    CHECK_EQ("6881 leaves the channel alone", ch, 0x55);
    CHECK_EQ("6D00", ucb_uicc_open_channel(&eng, &ch, &sw), UCB_ERR_UNSUPPORTED);
    CHECK_EQ("6E00", ucb_uicc_open_channel(&eng, &ch, &sw), UCB_ERR_UNSUPPORTED);
    CHECK_EQ("6A84 no more channels free", ucb_uicc_open_channel(&eng, &ch, &sw),
             UCB_ERR_CARD_STATUS);
    CHECK_EQ("6A84", sw, 0x6A84);
    script_assert_done();
}

static void open_channel_rejects_an_impossible_channel_number(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 70 00 00 01", "00 90 00"),    /* channel 0 is the basic channel */
        STEP("00 70 00 00 01", "14 90 00"),    /* 20 does not exist */
        STEP("00 70 00 00 01", "90 00"),       /* no byte */
        STEP("00 70 00 00 01", "01 02 90 00"), /* two bytes */
    };
    START(steps);
    uint8_t ch;
    for (size_t i = 0; i < ARRAY_LEN(steps); i++)
        CHECK_EQ(steps[i].rapdu, ucb_uicc_open_channel(&eng, &ch, &sw), UCB_ERR_CARD_RESPONSE);
    script_assert_done();
}

static void close_channel_is_sent_on_channel_0_with_the_channel_in_p2(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 70 80 03", "90 00"),
        STEP("00 70 80 13", "90 00"),
        STEP_ERROR("00 70 80 05", UCB_ERR_CARD_REMOVED),
        STEP("00 70 80 01", "68 81"),
    };
    START(steps);
    eng.channel = 3;
    CHECK_EQ("close 3", ucb_uicc_close_channel(&eng, 3, &sw), 0);
    CHECK_EQ("close 3", sw, 0x9000);
    CHECK_EQ("engine channel restored", eng.channel, 3);
    eng.channel = 7;
    CHECK_EQ("close 19 from channel 7", ucb_uicc_close_channel(&eng, 19, &sw), 0);
    CHECK_EQ("close 5, card removed", ucb_uicc_close_channel(&eng, 5, &sw),
             UCB_ERR_CARD_REMOVED);
    CHECK_EQ("engine channel restored after an error", eng.channel, 7);
    CHECK_EQ("close on a card without channels", ucb_uicc_close_channel(&eng, 1, &sw),
             UCB_ERR_CARD_STATUS);
    CHECK_EQ("close 0 refused", ucb_uicc_close_channel(&eng, 0, &sw), UCB_ERR_ARG);
    CHECK_EQ("close 20 refused", ucb_uicc_close_channel(&eng, 20, &sw), UCB_ERR_ARG);
    script_assert_done();
}

/* ------------------------------------------------------------------------- */
/* SELECT                                                                    */

static void select_aid_on_channel_1_parses_the_fcp(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("01 A4 04 04 0C A000000063504B43532D3135 00", FCP_ADF_PKCS15 " 90 00"),
    };
    START(steps);
    eng.channel = 1;
    struct ucb_fcp f;
    CHECK_EQ("select PKCS#15", ucb_uicc_select_aid(&eng, pkcs15_aid, sizeof pkcs15_aid, &f, &sw),
             0);
    CHECK_EQ("select PKCS#15", sw, 0x9000);
    CHECK_EQ("select PKCS#15", f.structure, UCB_FCP_DF);
    CHECK_EQ("select PKCS#15", f.aid_len, 12);
    CHECK_EQ("select PKCS#15", f.n_pin_refs, 2);
    script_assert_done();
}

static void select_aid_through_61xx_get_response(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("01 A4 04 04 0C A000000063504B43532D3135 00", "61 27"),
        STEP("01 C0 00 00 27", FCP_ADF_PKCS15 " 90 00"),
    };
    START(steps);
    eng.channel = 1;
    struct ucb_fcp f;
    CHECK_EQ("T=0 select", ucb_uicc_select_aid(&eng, pkcs15_aid, sizeof pkcs15_aid, &f, &sw), 0);
    CHECK_EQ("T=0 select", f.has & UCB_FCP_HAS_AID, UCB_FCP_HAS_AID);
    script_assert_done();
}

static void select_falls_back_to_p2_0c_when_p2_04_is_refused(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 A4 04 04 0C A000000063504B43532D3135 00", "6A 86"),
        STEP("00 A4 04 0C 0C A000000063504B43532D3135", "90 00"),
        STEP("00 A4 00 04 02 2F E2 00", "6B 00"),
        STEP("00 A4 00 0C 02 2F E2", "90 00"),
        STEP("00 A4 00 04 02 2F E2 00", "6A 87"),
        STEP("00 A4 00 0C 02 2F E2", "6A 82"),
    };
    START(steps);
    struct ucb_fcp f;
    memset(&f, 0xA5, sizeof f);
    CHECK_EQ("6A86", ucb_uicc_select_aid(&eng, pkcs15_aid, sizeof pkcs15_aid, &f, &sw), 0);
    CHECK_EQ("6A86 then 9000", sw, 0x9000);
    CHECK_EQ("no FCP without P2=04", f.has, 0);
    CHECK_EQ("6B00", ucb_uicc_select_fid(&eng, 0x2FE2, &f, &sw), 0);
    CHECK_EQ("6A87 then not found", ucb_uicc_select_fid(&eng, 0x2FE2, &f, &sw),
             UCB_ERR_CARD_NOT_FOUND);
    CHECK_EQ("6A87 then not found", sw, 0x6A82);
    script_assert_done();
}

static void select_does_not_fall_back_on_other_errors(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 A4 04 04 0C A000000063504B43532D3135 00", "6A 82"),
        STEP("00 A4 04 04 0C A000000063504B43532D3135 00", "6D 00"),
        STEP("00 A4 04 04 0C A000000063504B43532D3135 00", "69 82"),
    };
    START(steps);
    struct ucb_fcp f;
    CHECK_EQ("6A82", ucb_uicc_select_aid(&eng, pkcs15_aid, sizeof pkcs15_aid, &f, &sw),
             UCB_ERR_CARD_NOT_FOUND);
    CHECK_EQ("6A82", sw, 0x6A82);
    CHECK_EQ("6D00", ucb_uicc_select_aid(&eng, pkcs15_aid, sizeof pkcs15_aid, &f, &sw),
             UCB_ERR_CARD_STATUS);
    CHECK_EQ("6982", ucb_uicc_select_aid(&eng, pkcs15_aid, sizeof pkcs15_aid, NULL, &sw),
             UCB_ERR_CARD_SECURITY);
    script_assert_done();
}

static void select_path_from_mf_and_from_current_df(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        /* spec-notes 1.6: 7FFF (current ADF) then EF ODF, P1=08 */
        STEP("01 A4 08 04 04 7F FF 50 31 00", FCP_EF_ODF " 90 00"),
        STEP("00 A4 09 04 02 50 31 00", FCP_EF_ODF " 90 00"),
        STEP("00 A4 09 04 04 7F FF 64 32 00", "62 83"),
        STEP("00 A4 08 04 04 7F 10 6F 3A 00", "62 10 82 02 41 21 90 00"),
    };
    START(steps);
    eng.channel = 1;
    struct ucb_fcp f;
    static const uint8_t odf_path[] = {0x7F, 0xFF, 0x50, 0x31};
    CHECK_EQ("from MF", ucb_uicc_select_path(&eng, odf_path, 4, true, &f, &sw), 0);
    CHECK_EQ("from MF", f.fid, 0x5031);
    CHECK_EQ("from MF", f.size, 0x20);
    eng.channel = 0;
    CHECK_EQ("from current", ucb_uicc_select_path(&eng, odf_path + 2, 2, false, &f, &sw), 0);
    CHECK_EQ("from current", f.fid, 0x5031);
    static const uint8_t bs_path[] = {0x7F, 0xFF, 0x64, 0x32};
    CHECK_EQ("6283 invalidated still selects",
             ucb_uicc_select_path(&eng, bs_path, 4, false, &f, &sw), 0);
    CHECK_EQ("6283 invalidated still selects", sw, 0x6283);
    CHECK_EQ("6283 without data", f.has, 0);
    static const uint8_t adn[] = {0x7F, 0x10, 0x6F, 0x3A};
    CHECK_EQ("FCP with a broken length", ucb_uicc_select_path(&eng, adn, 4, true, &f, &sw),
             UCB_ERR_TRUNCATED);
    script_assert_done();
}

static void select_refuses_bad_arguments_without_sending(void **state)
{
    (void)state;
    START_EMPTY();
    struct ucb_fcp f;
    static const uint8_t p[18] = {0x3F, 0x00, 0x7F, 0x10};
    static const uint8_t aid17[17] = {0xA0};
    CHECK_EQ("path starting 3F00 from MF", ucb_uicc_select_path(&eng, p, 4, true, &f, &sw),
             UCB_ERR_ARG);
    CHECK_EQ("odd path", ucb_uicc_select_path(&eng, p + 2, 3, false, &f, &sw), UCB_ERR_ARG);
    CHECK_EQ("empty path", ucb_uicc_select_path(&eng, p + 2, 0, false, &f, &sw), UCB_ERR_ARG);
    CHECK_EQ("path of 18 bytes", ucb_uicc_select_path(&eng, p, 18, false, &f, &sw),
             UCB_ERR_ARG);
    CHECK_EQ("AID of 17 bytes", ucb_uicc_select_aid(&eng, aid17, 17, &f, &sw), UCB_ERR_ARG);
    CHECK_EQ("empty AID", ucb_uicc_select_aid(&eng, aid17, 0, &f, &sw), UCB_ERR_ARG);
    CHECK_EQ("nothing sent", eng.n_commands, 0);
    script_assert_done();
}

/* ------------------------------------------------------------------------- */
/* READ BINARY                                                               */

static void read_binary_304_bytes_in_256_and_48(void **state)
{
    (void)state;
    const struct script_step steps[] = {
        STEP("00 B0 00 00 00", file_hex(0, 256, "90 00")),
        STEP("00 B0 01 00 30", file_hex(256, 48, "90 00")),
    };
    START(steps);
    uint8_t buf[304];
    CHECK_EQ("304 bytes", ucb_uicc_read_binary(&eng, 0, buf, sizeof buf, 0, &sw), 304);
    CHECK_EQ("304 bytes", sw, 0x9000);
    check_file_bytes("304 bytes", buf, 0, 304);
    script_assert_done();
    free_strings();
}

static void read_binary_32k_file_in_128_chunks_with_15_bit_offsets(void **state)
{
    (void)state;
    enum { CHUNKS = 128 };
    struct script_step *steps = calloc(CHUNKS, sizeof *steps);
    assert_non_null(steps);
    for (size_t k = 0; k < CHUNKS; k++) {
        steps[k] = (struct script_step)STEP(read_256_at_page(k),
                                            file_hex(k * 256, 256, "90 00"));
    }
    start(steps, CHUNKS);
    eng.trace = NULL;
    static uint8_t buf[UCB_UICC_MAX_FILE];
    CHECK_EQ("32 KB", ucb_uicc_read_binary(&eng, 0, buf, sizeof buf, 256, &sw), 32768);
    check_file_bytes("32 KB", buf, 0, sizeof buf);
    CHECK_EQ("32 KB in 128 commands", eng.n_commands, 128);
    script_assert_done();
    free(steps);
    free_strings();
}

static void read_binary_at_odd_offsets_and_chunk_sizes(void **state)
{
    (void)state;
    const struct script_step steps[] = {
        STEP("00 B0 12 34 64", file_hex(0x1234, 100, "90 00")),
        STEP("00 B0 12 98 64", file_hex(0x1298, 100, "90 00")),
        STEP("00 B0 12 FC 32", file_hex(0x12FC, 50, "90 00")),
        STEP("00 B0 7F FF 01", file_hex(0x7FFF, 1, "90 00")),
        STEP("00 B0 7F 00 00", file_hex(0x7F00, 256, "90 00")),
    };
    START(steps);
    static uint8_t buf[256];
    CHECK_EQ("chunk 100", ucb_uicc_read_binary(&eng, 0x1234, buf, 250, 100, &sw), 250);
    check_file_bytes("chunk 100", buf, 0x1234, 250);
    CHECK_EQ("last byte", ucb_uicc_read_binary(&eng, 0x7FFF, buf, 1, 0, &sw), 1);
    check_file_bytes("last byte", buf, 0x7FFF, 1);
    CHECK_EQ("chunk 1000 capped at 256", ucb_uicc_read_binary(&eng, 0x7F00, buf, 256, 1000, &sw),
             256);
    script_assert_done();
    free_strings();
}

static void read_binary_6282_ends_the_read_keeping_the_data(void **state)
{
    (void)state;
    const struct script_step steps[] = {
        STEP("00 B0 00 00 00", file_hex(0, 256, "90 00")),
        STEP("00 B0 01 00 2C", file_hex(256, 20, "62 82")),
    };
    START(steps);
    uint8_t buf[300];
    CHECK_EQ("6282", ucb_uicc_read_binary(&eng, 0, buf, sizeof buf, 0, &sw), 276);
    CHECK_EQ("6282", sw, 0x6282);
    check_file_bytes("6282", buf, 0, 276);
    script_assert_done();
    free_strings();
}

static void read_binary_6b00_past_the_end_returns_what_was_read(void **state)
{
    (void)state;
    const struct script_step steps[] = {
        STEP("00 B0 00 00 00", file_hex(0, 256, "90 00")),
        STEP("00 B0 01 00 00", "6B 00"),
        STEP("00 B0 02 00 10", "6B 00"),
    };
    START(steps);
    uint8_t buf[512];
    CHECK_EQ("6B00 at 256", ucb_uicc_read_binary(&eng, 0, buf, sizeof buf, 0, &sw), 256);
    CHECK_EQ("6B00 at 256", sw, 0x6B00);
    check_file_bytes("6B00 at 256", buf, 0, 256);
    /* on the first chunk it is the caller's offset that is wrong */
    CHECK_EQ("6B00 at the first chunk", ucb_uicc_read_binary(&eng, 0x200, buf, 16, 0, &sw),
             UCB_ERR_CARD_STATUS);
    script_assert_done();
    free_strings();
}

static void read_binary_6cxx_is_resolved_by_the_engine(void **state)
{
    (void)state;
    const struct script_step steps[] = {
        STEP("00 B0 00 00 40", "6C 20"),
        STEP("00 B0 00 00 20", file_hex(0, 32, "90 00")),
    };
    START(steps);
    uint8_t buf[64];
    CHECK_EQ("6C20", ucb_uicc_read_binary(&eng, 0, buf, sizeof buf, 0, &sw), 32);
    CHECK_EQ("6C20", sw, 0x9000);
    check_file_bytes("6C20", buf, 0, 32);
    script_assert_done();
    free_strings();
}

static void read_binary_error_status_stops_with_its_class(void **state)
{
    (void)state;
    const struct script_step steps[] = {
        STEP("00 B0 00 00 00", file_hex(0, 256, "90 00")),
        STEP("00 B0 01 00 00", "69 82"),
        STEP("00 B0 00 00 10", "62 81"),
        STEP_ERROR("00 B0 00 00 10", UCB_ERR_TIMEOUT),
    };
    START(steps);
    uint8_t buf[512];
    CHECK_EQ("6982", ucb_uicc_read_binary(&eng, 0, buf, sizeof buf, 0, &sw),
             UCB_ERR_CARD_SECURITY);
    CHECK_EQ("6982", sw, 0x6982);
    CHECK_EQ("6281 corrupted data is not accepted",
             ucb_uicc_read_binary(&eng, 0, buf, 16, 0, &sw), UCB_ERR_CARD_STATUS);
    CHECK_EQ("timeout", ucb_uicc_read_binary(&eng, 0, buf, 16, 0, &sw), UCB_ERR_TIMEOUT);
    script_assert_done();
    free_strings();
}

static void read_binary_beyond_0x7fff_is_refused_without_sending(void **state)
{
    (void)state;
    START_EMPTY();
    uint8_t buf[4];
    CHECK_EQ("offset 0x8000", ucb_uicc_read_binary(&eng, 0x8000, buf, 1, 0, &sw), UCB_ERR_ARG);
    CHECK_EQ("0x7FFF + 2", ucb_uicc_read_binary(&eng, 0x7FFF, buf, 2, 0, &sw), UCB_ERR_ARG);
    CHECK_EQ("huge offset", ucb_uicc_read_binary(&eng, 0xFFFFFFFFu, buf, 1, 0, &sw),
             UCB_ERR_ARG);
    CHECK_EQ("no buffer", ucb_uicc_read_binary(&eng, 0, NULL, 1, 0, &sw), UCB_ERR_ARG);
    CHECK_EQ("nothing to read", ucb_uicc_read_binary(&eng, 0, buf, 0, 0, &sw), 0);
    CHECK_EQ("nothing sent", eng.n_commands, 0);
    script_assert_done();
}

static void read_binary_with_sfi_puts_it_in_p1(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        /* EF ICCID, SFI 02 (TS 102 221 13.2) */
        STEP("00 B0 82 00 0A", "98 88 12 01 00 00 40 03 10 F0 90 00"),
        STEP("00 B0 9E 10 04", "01 02 62 82"),
        STEP("00 B0 82 00 0A", "6A 82"),
    };
    START(steps);
    uint8_t buf[16];
    CHECK_EQ("ICCID", ucb_uicc_read_binary_sfi(&eng, 2, 0, buf, 10, &sw), 10);
    CHECK_EQ("ICCID", buf[0], 0x98);
    CHECK_EQ("ICCID", buf[9], 0xF0);
    CHECK_EQ("SFI 1E at 16, short", ucb_uicc_read_binary_sfi(&eng, 0x1E, 0x10, buf, 4, &sw), 2);
    CHECK_EQ("not found", ucb_uicc_read_binary_sfi(&eng, 2, 0, buf, 10, &sw),
             UCB_ERR_CARD_NOT_FOUND);
    CHECK_EQ("SFI 0", ucb_uicc_read_binary_sfi(&eng, 0, 0, buf, 10, &sw), UCB_ERR_ARG);
    CHECK_EQ("SFI 31", ucb_uicc_read_binary_sfi(&eng, 31, 0, buf, 10, &sw), UCB_ERR_ARG);
    CHECK_EQ("257 bytes", ucb_uicc_read_binary_sfi(&eng, 2, 0, buf, 257, &sw), UCB_ERR_ARG);
    script_assert_done();
}

/* ------------------------------------------------------------------------- */
/* READ RECORD                                                               */

static void read_record_absolute_with_and_without_sfi(void **state)
{
    (void)state;
    /* EF DIR record: application template of the PKCS#15 AID */
#define DIR_RECORD "61 17 4F 0C A000000063504B43532D3135 50 07 50 4B 43 53 23 31 35 FF"
    static const struct script_step steps[] = {
        STEP("00 B2 01 F4 00", "6C 1A"),
        STEP("00 B2 01 F4 1A", DIR_RECORD " 90 00"),
        STEP("00 B2 02 04 1A", DIR_RECORD " 90 00"),
        STEP("00 B2 05 04 1A", "6A 83"),
    };
    START(steps);
    uint8_t buf[256];
    CHECK_EQ("record 1, SFI 1E, length unknown",
             ucb_uicc_read_record(&eng, 1, 0x1E, buf, 0, &sw), 26);
    CHECK_EQ("record 1", buf[0], 0x61);
    CHECK_EQ("record 1", buf[25], 0xFF);
    CHECK_EQ("record 2 of the current EF", ucb_uicc_read_record(&eng, 2, 0, buf, 26, &sw), 26);
    CHECK_EQ("record 5 absent", ucb_uicc_read_record(&eng, 5, 0, buf, 26, &sw),
             UCB_ERR_CARD_NOT_FOUND);
    CHECK_EQ("record 5 absent", sw, 0x6A83);
    CHECK_EQ("record 0", ucb_uicc_read_record(&eng, 0, 0, buf, 26, &sw), UCB_ERR_ARG);
    CHECK_EQ("record 255", ucb_uicc_read_record(&eng, 255, 0, buf, 26, &sw), UCB_ERR_ARG);
    CHECK_EQ("SFI 31", ucb_uicc_read_record(&eng, 1, 31, buf, 26, &sw), UCB_ERR_ARG);
    script_assert_done();
}

/* ------------------------------------------------------------------------- */
/* UPDATE BINARY                                                             */

static void update_binary_in_chunks_of_255(void **state)
{
    (void)state;
    static uint8_t data[600];
    for (size_t i = 0; i < sizeof data; i++) data[i] = file_byte(0x100 + i);
    /* 600 bytes at 0x100: 255 at 0100, 255 at 01FF, 90 at 02FE */
    char *c1 = keep(malloc(600)), *c2 = keep(malloc(600)), *c3 = keep(malloc(600));
    snprintf(c1, 600, "00 D6 01 00 FF %s", file_hex(0x100, 255, ""));
    snprintf(c2, 600, "00 D6 01 FF FF %s", file_hex(0x1FF, 255, ""));
    snprintf(c3, 600, "00 D6 02 FE 5A %s", file_hex(0x2FE, 90, ""));
    const struct script_step steps[] = {
        STEP(c1, "90 00"), STEP(c2, "90 00"), STEP(c3, "90 00"),
        STEP(c1, "90 00"), STEP(c2, "65 81"),
    };
    START(steps);
    CHECK_EQ("600 bytes", ucb_uicc_update_binary(&eng, 0x100, data, sizeof data, &sw), 0);
    CHECK_EQ("600 bytes", sw, 0x9000);
    CHECK_EQ("memory problem at the second chunk",
             ucb_uicc_update_binary(&eng, 0x100, data, sizeof data, &sw), UCB_ERR_CARD_STATUS);
    CHECK_EQ("memory problem at the second chunk", sw, 0x6581);
    CHECK_EQ("past 0x8000", ucb_uicc_update_binary(&eng, 0x7F00, data, 257, &sw), UCB_ERR_ARG);
    script_assert_done();
    free_strings();
}

/* ------------------------------------------------------------------------- */
/* PIN                                                                       */

static const uint8_t pin1234[] = {'1', '2', '3', '4'};

static void pin_tries_reads_the_counter_without_data(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 20 00 01", "63 C3"),
        STEP("00 20 00 81", "90 00"),
        STEP("00 20 00 01", "69 83"),
        STEP("00 20 00 11", "6A 88"),
    };
    START(steps);
    uint8_t tries = 0;
    CHECK_EQ("63C3", ucb_uicc_pin_tries(&eng, 0x01, &tries, &sw), 0);
    CHECK_EQ("63C3", tries, 3);
    CHECK_EQ("9000 verified or disabled", ucb_uicc_pin_tries(&eng, 0x81, &tries, &sw), 0);
    CHECK_EQ("9000 verified or disabled", tries, 0xFF);
    CHECK_EQ("6983 blocked", ucb_uicc_pin_tries(&eng, 0x01, &tries, &sw), UCB_ERR_CARD_PIN);
    CHECK_EQ("6983 blocked", tries, 0);
    CHECK_EQ("6983 blocked", sw, 0x6983);
    CHECK_EQ("6A88 no such PIN", ucb_uicc_pin_tries(&eng, 0x11, &tries, &sw),
             UCB_ERR_CARD_NOT_FOUND);
    CHECK_EQ("key reference 00", ucb_uicc_pin_tries(&eng, 0x00, &tries, &sw), UCB_ERR_ARG);
    script_assert_done();
}

static void verify_pin_asks_the_tries_first_then_sends_the_padded_pin(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 20 00 01", "63 C3"),
        STEP("00 20 00 01 08 31 32 33 34 FF FF FF FF", "90 00"),
        STEP("00 20 00 81", "63 C2"),
        STEP("00 20 00 81 08 31 32 33 34 35 36 37 38", "90 00"),
    };
    START(steps);
    uint8_t tries = 0;
    CHECK_EQ("1234", ucb_uicc_verify_pin(&eng, 0x01, pin1234, 4, &tries, &sw), 0);
    CHECK_EQ("1234", sw, 0x9000);
    CHECK_EQ("12345678 needs no padding",
             ucb_uicc_verify_pin(&eng, 0x81, (const uint8_t *)"12345678", 8, &tries, &sw), 0);
    script_assert_done();
}

static void verify_pin_refuses_to_send_with_one_try_left(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 20 00 01", "63 C1"),
        STEP("00 20 00 01", "63 C0"),
    };
    START(steps);
    uint8_t tries = 0;
    CHECK_EQ("1 try", ucb_uicc_verify_pin(&eng, 0x01, pin1234, 4, &tries, &sw),
             UCB_ERR_CARD_PIN);
    CHECK_EQ("1 try", tries, 1);
    CHECK_EQ("1 try", sw, 0x63C1);
    CHECK_EQ("0 tries", ucb_uicc_verify_pin(&eng, 0x01, pin1234, 4, &tries, &sw),
             UCB_ERR_CARD_PIN);
    CHECK_EQ("0 tries", tries, 0);
    /* the script ends here: a VERIFY with data would fail the test */
    script_assert_done();
}

static void verify_pin_wrong_pin_reports_the_tries_left(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 20 00 01", "63 C3"),
        STEP("00 20 00 01 08 31 32 33 34 FF FF FF FF", "63 C2"),
    };
    START(steps);
    uint8_t tries = 0;
    CHECK_EQ("wrong PIN", ucb_uicc_verify_pin(&eng, 0x01, pin1234, 4, &tries, &sw),
             UCB_ERR_CARD_PIN);
    CHECK_EQ("wrong PIN", tries, 2);
    CHECK_EQ("wrong PIN", sw, 0x63C2);
    script_assert_done();
}

static void verify_pin_blocked_sends_nothing_more(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 20 00 01", "69 83"),
        STEP("00 20 00 01", "63 C3"),
        STEP("00 20 00 01 08 31 32 33 34 FF FF FF FF", "69 83"),
    };
    START(steps);
    uint8_t tries = 9;
    CHECK_EQ("blocked", ucb_uicc_verify_pin(&eng, 0x01, pin1234, 4, &tries, &sw),
             UCB_ERR_CARD_PIN);
    CHECK_EQ("blocked", tries, 0);
    CHECK_EQ("blocked", sw, 0x6983);
    CHECK_EQ("blocked by this VERIFY", ucb_uicc_verify_pin(&eng, 0x01, pin1234, 4, &tries, &sw),
             UCB_ERR_CARD_PIN);
    CHECK_EQ("blocked by this VERIFY", tries, 0);
    script_assert_done();
}

static void verify_pin_already_verified_sends_nothing(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 20 00 01", "90 00"),
    };
    START(steps);
    uint8_t tries = 0;
    CHECK_EQ("verified", ucb_uicc_verify_pin(&eng, 0x01, pin1234, 4, &tries, &sw), 0);
    CHECK_EQ("verified", tries, 0xFF);
    CHECK_EQ("verified", eng.n_commands, 1);
    script_assert_done();
}

static void verify_pin_transport_error_on_the_query_leaves_tries_alone(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP_ERROR("00 20 00 01", UCB_ERR_CARD_REMOVED),
    };
    START(steps);
    uint8_t tries = 7;
    CHECK_EQ("removed", ucb_uicc_verify_pin(&eng, 0x01, pin1234, 4, &tries, &sw),
             UCB_ERR_CARD_REMOVED);
    CHECK_EQ("removed", tries, 7);
    CHECK_EQ("removed", sw, 0);
    script_assert_done();
}

static void verify_pin_refuses_bad_pins_without_sending(void **state)
{
    (void)state;
    START_EMPTY();
    uint8_t tries;
    CHECK_EQ("3 digits", ucb_uicc_verify_pin(&eng, 1, pin1234, 3, &tries, &sw), UCB_ERR_ARG);
    CHECK_EQ("9 digits",
             ucb_uicc_verify_pin(&eng, 1, (const uint8_t *)"123456789", 9, &tries, &sw),
             UCB_ERR_ARG);
    CHECK_EQ("not digits", ucb_uicc_verify_pin(&eng, 1, (const uint8_t *)"12a4", 4, &tries, &sw),
             UCB_ERR_ARG);
    CHECK_EQ("no PIN", ucb_uicc_verify_pin(&eng, 1, NULL, 4, &tries, &sw), UCB_ERR_ARG);
    CHECK_EQ("key reference 00", ucb_uicc_verify_pin(&eng, 0, pin1234, 4, &tries, &sw),
             UCB_ERR_ARG);
    CHECK_EQ("nothing sent", eng.n_commands, 0);
    script_assert_done();
}

static void verify_pin_marks_exactly_the_pin_field_secret_in_the_trace(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 20 00 01", "63 C3"),
        STEP("00 20 00 01 08 39 38 37 36 35 FF FF FF", "90 00"),
    };
    START(steps);
    uint8_t tries;
    CHECK_EQ("98765", ucb_uicc_verify_pin(&eng, 0x01, (const uint8_t *)"98765", 5, &tries, &sw),
             0);
    CHECK_EQ("trace entries", trace_log.n, 4);
    /* A trace that masks the secret range (as host tools do) shows no digit
     * of the PIN anywhere. */
    for (size_t i = 0; i < trace_log.n; i++) {
        const struct script_trace_entry *e = &trace_log.e[i];
        char line[128] = "";
        for (size_t k = 0; k < e->len && 3 * k + 4 < sizeof line; k++) {
            bool masked = k >= e->secret_off && k < e->secret_off + e->secret_len;
            snprintf(line + 3 * k, sizeof line - 3 * k, masked ? "** " : "%02X ", e->bytes[k]);
        }
        if (strstr(line, "39 ") || strstr(line, "38 ") || strstr(line, "37 ") ||
            strstr(line, "36 ") || strstr(line, "35 "))
            fail_msg("trace entry %zu shows PIN digits: %s", i, line);
    }
    const struct script_trace_entry *v = &trace_log.e[2];
    CHECK_EQ("VERIFY is a command", v->dir, UCB_TRACE_COMMAND);
    CHECK_EQ("secret starts at the data field", v->secret_off, 5);
    CHECK_EQ("secret is the 8-byte PIN field", v->secret_len, 8);
    CHECK_EQ("first masked byte is the first digit", v->bytes[v->secret_off], '9');
    CHECK_EQ("the query had no secret", trace_log.e[0].secret_len, 0);
    /* and the engine keeps no copy */
    for (size_t i = 0; i + 5 <= sizeof eng.tx; i++)
        if (memcmp(eng.tx + i, "98765", 5) == 0) fail_msg("PIN left in the engine");
    script_assert_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_channel_returns_the_card_channel),
        cmocka_unit_test(open_channel_6881_means_channels_unsupported),
        cmocka_unit_test(open_channel_rejects_an_impossible_channel_number),
        cmocka_unit_test(close_channel_is_sent_on_channel_0_with_the_channel_in_p2),
        cmocka_unit_test(select_aid_on_channel_1_parses_the_fcp),
        cmocka_unit_test(select_aid_through_61xx_get_response),
        cmocka_unit_test(select_falls_back_to_p2_0c_when_p2_04_is_refused),
        cmocka_unit_test(select_does_not_fall_back_on_other_errors),
        cmocka_unit_test(select_path_from_mf_and_from_current_df),
        cmocka_unit_test(select_refuses_bad_arguments_without_sending),
        cmocka_unit_test(read_binary_304_bytes_in_256_and_48),
        cmocka_unit_test(read_binary_32k_file_in_128_chunks_with_15_bit_offsets),
        cmocka_unit_test(read_binary_at_odd_offsets_and_chunk_sizes),
        cmocka_unit_test(read_binary_6282_ends_the_read_keeping_the_data),
        cmocka_unit_test(read_binary_6b00_past_the_end_returns_what_was_read),
        cmocka_unit_test(read_binary_6cxx_is_resolved_by_the_engine),
        cmocka_unit_test(read_binary_error_status_stops_with_its_class),
        cmocka_unit_test(read_binary_beyond_0x7fff_is_refused_without_sending),
        cmocka_unit_test(read_binary_with_sfi_puts_it_in_p1),
        cmocka_unit_test(read_record_absolute_with_and_without_sfi),
        cmocka_unit_test(update_binary_in_chunks_of_255),
        cmocka_unit_test(pin_tries_reads_the_counter_without_data),
        cmocka_unit_test(verify_pin_asks_the_tries_first_then_sends_the_padded_pin),
        cmocka_unit_test(verify_pin_refuses_to_send_with_one_try_left),
        cmocka_unit_test(verify_pin_wrong_pin_reports_the_tries_left),
        cmocka_unit_test(verify_pin_blocked_sends_nothing_more),
        cmocka_unit_test(verify_pin_already_verified_sends_nothing),
        cmocka_unit_test(verify_pin_transport_error_on_the_query_leaves_tries_alone),
        cmocka_unit_test(verify_pin_refuses_bad_pins_without_sending),
        cmocka_unit_test(verify_pin_marks_exactly_the_pin_field_secret_in_the_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
