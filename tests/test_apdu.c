/*
 * The APDU engine (include/uiccboot/apdu.h): command encoding (ISO 7816-4
 * 5.1, cases 1-4 short and extended), channel bits in CLA (ISO 7816-4
 * 5.4.1, TS 102 221 10.1.1), the 61xx / 6Cxx procedures over a scripted
 * transport, tracing, counters and the status-word table.
 *
 * Every vector is named; every invalid one says why it is invalid.
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

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))


static void check_bytes(const char *name, const uint8_t *got, size_t got_len,
                        const uint8_t *exp, size_t exp_len)
{
    if (got_len == exp_len && (exp_len == 0 || memcmp(got, exp, exp_len) == 0)) return;
    char g[400] = "", e[400] = "";
    for (size_t i = 0; i < got_len && 3 * i + 4 < sizeof g; i++)
        snprintf(g + 3 * i, sizeof g - 3 * i, "%02x ", got[i]);
    for (size_t i = 0; i < exp_len && 3 * i + 4 < sizeof e; i++)
        snprintf(e + 3 * i, sizeof e - 3 * i, "%02x ", exp[i]);
    fail_msg("%s: bytes differ\n  got      (%zu): %s\n  expected (%zu): %s", name, got_len, g,
             exp_len, e);
}

static void check_hex(const char *name, const uint8_t *got, size_t got_len, const char *hex)
{
    static uint8_t exp[70000];
    size_t n = test_hex(hex, exp, sizeof exp);
    check_bytes(name, got, got_len, exp, n);
}

/* "0102..." for n bytes counting up from `first`, in a fresh heap string. */
static char *counting_hex(size_t n, unsigned first, const char *tail)
{
    size_t tl = strlen(tail);
    char *s = malloc(2 * n + tl + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) snprintf(s + 2 * i, 3, "%02X", (unsigned)((first + i) & 0xFF));
    memcpy(s + 2 * n, tail, tl + 1);
    return s;
}

static const uint8_t pkcs15_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                     0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};

/* ------------------------------------------------------------------------- */
/* Encoding                                                                  */

static uint8_t big_data[65535];

struct enc_vec {
    const char *name;
    uint8_t cla, ins, p1, p2;
    uint16_t lc; /* data: big_data (bytes 00 01 02 ...) */
    uint32_t ne;
    uint8_t channel;
    bool extended;
    int rc;           /* expected return: the length, or an error */
    const char *head; /* expected header and Lc field */
    const char *le;   /* expected Le field, after the data */
};

static void fill_big_data(void)
{
    for (size_t i = 0; i < sizeof big_data; i++) big_data[i] = (uint8_t)i;
}

static const struct enc_vec enc_vectors[] = {
    {"case 1: header only", 0x00, 0x20, 0x00, 0x01, 0, 0, 0, false, 4, "00 20 00 01", ""},
    {"case 2 short: Le 16", 0x00, 0xB0, 0x00, 0x00, 0, 16, 0, false, 5, "00 B0 00 00", "10"},
    {"case 2 short: Ne 256 is Le 00", 0x00, 0xB0, 0x01, 0x00, 0, 256, 0, false, 5,
     "00 B0 01 00", "00"},
    {"case 2 short: Ne 1", 0x00, 0x70, 0x00, 0x00, 0, 1, 0, false, 5, "00 70 00 00", "01"},
    {"case 3 short: SELECT by FID, no data back", 0x00, 0xA4, 0x00, 0x0C, 2, 0, 0, false, 7,
     "00 A4 00 0C 02", ""},
    {"case 3 short: Lc 255", 0x00, 0xD6, 0x00, 0x00, 255, 0, 0, false, 260, "00 D6 00 00 FF",
     ""},
    {"case 4 short: SELECT with Le 00", 0x00, 0xA4, 0x04, 0x04, 3, 256, 0, false, 9,
     "00 A4 04 04 03", "00"},
    {"case 4 short: Lc 255 Ne 256 stays short though extended is allowed", 0x00, 0xD6, 0, 0,
     255, 256, 0, true, 261, "00 D6 00 00 FF", "00"},
    {"case 2 on channel 1 puts 01 in CLA", 0x00, 0xB0, 0x00, 0x00, 0, 128, 1, false, 5,
     "01 B0 00 00", "80"},
    {"case 1 with GP CLA 80 on channel 5 is C1", 0x80, 0xCA, 0x00, 0x66, 0, 0, 5, false, 4,
     "C1 CA 00 66", ""},
    {"case 2E: Ne 257 is 00 01 01", 0x00, 0xB0, 0x00, 0x00, 0, 257, 0, true, 7, "00 B0 00 00",
     "00 01 01"},
    {"case 2E: Ne 65536 is 00 00 00", 0x00, 0xB0, 0x00, 0x00, 0, 65536, 0, true, 7,
     "00 B0 00 00", "00 00 00"},
    {"case 3E: Lc 256 is 00 01 00", 0x00, 0xD6, 0x00, 0x00, 256, 0, 0, true, 263,
     "00 D6 00 00 00 01 00", ""},
    {"case 4E: Lc 2 with Ne 300 makes both extended", 0x00, 0xA4, 0x04, 0x04, 2, 300, 0, true,
     11, "00 A4 04 04 00 00 02", "01 2C"},
    {"case 4E: Lc 256 with Ne 65536 ends 00 00", 0x00, 0xD6, 0x00, 0x00, 256, 65536, 0, true,
     265, "00 D6 00 00 00 01 00", "00 00"},
    {"case 4E: Lc 65535 with Ne 256", 0x00, 0xD6, 0x00, 0x00, 65535, 256, 0, true, 65544,
     "00 D6 00 00 00 FF FF", "01 00"},
    /* invalid */
    {"Ne 257 needs extended lengths, not allowed", 0x00, 0xB0, 0, 0, 0, 257, 0, false,
     UCB_ERR_UNSUPPORTED, NULL, NULL},
    {"Lc 256 needs extended lengths, not allowed", 0x00, 0xD6, 0, 0, 256, 0, 0, false,
     UCB_ERR_UNSUPPORTED, NULL, NULL},
    {"Ne 65537 is beyond any Le", 0x00, 0xB0, 0, 0, 0, 65537, 0, true, UCB_ERR_ARG, NULL, NULL},
    {"channel 20 does not exist (0-19)", 0x00, 0xB0, 0, 0, 0, 1, 20, false, UCB_ERR_ARG, NULL,
     NULL},
};

static void encode_vectors_give_iso_7816_4_cases(void **state)
{
    (void)state;
    fill_big_data();
    static uint8_t out[70000];
    for (size_t i = 0; i < ARRAY_LEN(enc_vectors); i++) {
        const struct enc_vec *v = &enc_vectors[i];
        struct ucb_capdu c = {v->cla, v->ins, v->p1, v->p2, v->lc ? big_data : NULL,
                              v->lc, v->ne, 0};
        memset(out, 0xEE, sizeof out);
        int rc = ucb_apdu_encode(&c, v->channel, v->extended, out, sizeof out);
        CHECK_EQ(v->name, rc, v->rc);
        /* measuring with a NULL buffer gives the same answer */
        CHECK_EQ(v->name, ucb_apdu_encode(&c, v->channel, v->extended, NULL, 0), v->rc);
        if (rc <= 0) continue;
        uint8_t head[16], le[4];
        size_t nh = test_hex(v->head, head, sizeof head);
        size_t nl = test_hex(v->le, le, sizeof le);
        CHECK_EQ(v->name, (size_t)rc, nh + v->lc + nl);
        check_bytes(v->name, out, nh, head, nh);
        check_bytes(v->name, out + nh, v->lc, big_data, v->lc);
        check_bytes(v->name, out + nh + v->lc, nl, le, nl);
        CHECK_EQ("nothing written past the command", out[rc], 0xEE);
    }
}

static void encode_refuses_small_buffer_and_data_pointer_missing(void **state)
{
    (void)state;
    uint8_t out[16];
    static const uint8_t d[4] = {1, 2, 3, 4};
    struct ucb_capdu c = {0x00, 0xD6, 0, 0, d, 4, 0, 0};
    /* header 4 + Lc 1 + 4 data = 9 bytes do not fit in 8 */
    CHECK_EQ("9-byte command into 8 bytes", ucb_apdu_encode(&c, 0, false, out, 8),
             UCB_ERR_BUFFER);
    CHECK_EQ("same command into 9 bytes", ucb_apdu_encode(&c, 0, false, out, 9), 9);
    c.data = NULL;
    CHECK_EQ("Lc 4 without a data pointer", ucb_apdu_encode(&c, 0, false, out, sizeof out),
             UCB_ERR_ARG);
    CHECK_EQ("no command", ucb_apdu_encode(NULL, 0, false, out, sizeof out), UCB_ERR_ARG);
}

/* ------------------------------------------------------------------------- */
/* CLA                                                                       */

static void cla_puts_channel_in_first_and_further_interindustry_class(void **state)
{
    (void)state;
    /* ISO 7816-4 5.4.1: 0-3 in b2-b1; 4-19 as 0100 cccc (channel - 4);
     * proprietary b8 kept (GP 80: 80-83, C0-CF); first-class secure
     * messaging b4-b3 becomes b6 of the further class. */
    static const uint8_t plain[20] = {0x00, 0x01, 0x02, 0x03, 0x40, 0x41, 0x42,
                                      0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
                                      0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
    static const uint8_t gp[20] = {0x80, 0x81, 0x82, 0x83, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5,
                                   0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF};
    static const uint8_t gp_sm[20] = {0x84, 0x85, 0x86, 0x87, 0xE0, 0xE1, 0xE2,
                                      0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9,
                                      0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xEF};
    char name[64];
    for (uint8_t ch = 0; ch < 20; ch++) {
        snprintf(name, sizeof name, "CLA 00 on channel %u", ch);
        CHECK_EQ(name, ucb_apdu_cla(0x00, ch), plain[ch]);
        snprintf(name, sizeof name, "CLA 80 on channel %u", ch);
        CHECK_EQ(name, ucb_apdu_cla(0x80, ch), gp[ch]);
        snprintf(name, sizeof name, "CLA 84 (GP C-MAC) on channel %u", ch);
        CHECK_EQ(name, ucb_apdu_cla(0x84, ch), gp_sm[ch]);
    }
    CHECK_EQ("chaining bit b5 kept on channel 2", ucb_apdu_cla(0x10, 2), 0x12);
    CHECK_EQ("chaining bit b5 kept on channel 4", ucb_apdu_cla(0x10, 4), 0x50);
    CHECK_EQ("ISO SM 0C on channel 6 becomes b6", ucb_apdu_cla(0x0C, 6), 0x62);
    CHECK_EQ("channel bits already in the input are replaced", ucb_apdu_cla(0x03, 1), 0x01);
    CHECK_EQ("channel 20 refused", ucb_apdu_cla(0x00, 20), UCB_ERR_ARG);
    CHECK_EQ("channel 255 refused", ucb_apdu_cla(0x80, 255), UCB_ERR_ARG);
}

/* ------------------------------------------------------------------------- */
/* Exchanges over a scripted transport                                       */

struct fixture {
    struct ucb_apdu a;
    struct script_trace_log log;
    uint8_t buf[1024];
    struct ucb_rapdu r;
};

static struct fixture fx;

static void start(const struct script_step *steps, size_t n, uint32_t tflags)
{
    struct ucb_transport t = script_start(steps, n, tflags);
    memset(&fx, 0, sizeof fx);
    ucb_apdu_init(&fx.a, &t);
    fx.a.trace = script_trace;
    fx.a.trace_ctx = &fx.log;
    fx.r.data = fx.buf;
    fx.r.cap = sizeof fx.buf;
}

#define START(steps) start((steps), ARRAY_LEN(steps), 0)

static const struct ucb_capdu select_pkcs15 = {0x00, 0xA4, 0x04, 0x04, pkcs15_aid,
                                               sizeof pkcs15_aid, 256, 0};
static const struct ucb_capdu read_256 = {0x00, 0xB0, 0x00, 0x00, NULL, 0, 256, 0};

/* FCP of spec-notes 1.6 (ADF PKCS#15) */
#define ADF_FCP                                                                     \
    "62 25 82 02 78 21 84 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 8A 01 05 8B 03 2F 06 0C " \
    "C6 09 90 01 40 83 01 01 83 01 0A"

static void plain_answer_is_returned_with_its_status_word(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("01 A4 04 04 0C A000000063504B43532D3135 00", ADF_FCP " 90 00"),
    };
    START(steps);
    fx.a.channel = 1; /* spec-notes 1.6 runs on logical channel 1 */
    CHECK_EQ("select", ucb_apdu_transmit(&fx.a, &select_pkcs15, &fx.r), 0);
    CHECK_EQ("select", fx.r.sw, 0x9000);
    check_hex("select data", fx.buf, fx.r.len, ADF_FCP);
    script_assert_done();
}

static void sw_61xx_fetches_the_answer_with_get_response_on_the_same_channel(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("02 A4 04 04 0C A000000063504B43532D3135 00", "61 27"),
        STEP("02 C0 00 00 27", ADF_FCP " 90 00"),
    };
    START(steps);
    fx.a.channel = 2;
    CHECK_EQ("61 27", ucb_apdu_transmit(&fx.a, &select_pkcs15, &fx.r), 0);
    CHECK_EQ("61 27", fx.r.sw, 0x9000);
    check_hex("61 27 data", fx.buf, fx.r.len, ADF_FCP);
    script_assert_done();
}

static void sw_61xx_on_a_further_interindustry_channel_uses_4x_get_response(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("4B B0 00 00 00", "61 03"),
        STEP("4B C0 00 00 03", "AA BB CC 90 00"),
    };
    START(steps);
    fx.a.channel = 15;
    CHECK_EQ("channel 15", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), 0);
    check_hex("channel 15 data", fx.buf, fx.r.len, "AA BB CC");
    script_assert_done();
}

static void sw_61xx_chain_appends_every_piece_and_61_00_asks_256(void **state)
{
    (void)state;
    char *piece1 = counting_hex(256, 0, " 61 10");
    char *piece2 = counting_hex(16, 0, " 90 00");
    /* T=1-style: the first answer already carries 4 bytes and says 61 00 */
    const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "F0 F1 F2 F3 61 00"),
        STEP("00 C0 00 00 00", piece1),
        STEP("00 C0 00 00 10", piece2),
    };
    START(steps);
    CHECK_EQ("chain", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), 0);
    CHECK_EQ("chain", fx.r.sw, 0x9000);
    CHECK_EQ("chain length", fx.r.len, 4 + 256 + 16);
    check_hex("chain head", fx.buf, 4, "F0 F1 F2 F3");
    for (size_t i = 0; i < 256; i++) CHECK_EQ("chain piece 1", fx.buf[4 + i], i);
    for (size_t i = 0; i < 16; i++) CHECK_EQ("chain piece 2", fx.buf[260 + i], i);
    script_assert_done();
    free(piece1);
    free(piece2);
}

static void sw_61xx_forever_gives_up_with_card_response_error(void **state)
{
    (void)state;
    /* 1 command + 128 GET RESPONSE, each answered 61 01 with no data: the
     * engine must stop (it would loop forever otherwise). */
    enum { N = 129 };
    struct script_step *steps = calloc(N, sizeof *steps);
    assert_non_null(steps);
    steps[0] = (struct script_step)STEP("00 B0 00 00 00", "61 01");
    for (size_t i = 1; i < N; i++) steps[i] = (struct script_step)STEP("00 C0 00 00 01", "61 01");
    start(steps, N, 0);
    fx.a.trace = NULL;
    CHECK_EQ("61 01 forever", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), UCB_ERR_CARD_RESPONSE);
    script_assert_done();
    free(steps);
}

static void sw_61xx_even_when_the_transport_says_it_does_get_response(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "61 02"),
        STEP("00 C0 00 00 02", "01 02 90 00"),
    };
    start(steps, ARRAY_LEN(steps), UCB_TRANSPORT_AUTO_GET_RESPONSE);
    CHECK_EQ("auto GR transport", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), 0);
    check_hex("auto GR transport", fx.buf, fx.r.len, "01 02");
    script_assert_done();
}

static void sw_6cxx_resends_the_command_with_the_announced_le(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "6C 04"),
        STEP("00 B0 00 00 04", "DE AD BE EF 90 00"),
    };
    START(steps);
    CHECK_EQ("6C 04", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), 0);
    CHECK_EQ("6C 04", fx.r.sw, 0x9000);
    check_hex("6C 04 data", fx.buf, fx.r.len, "DE AD BE EF");
    script_assert_done();
}

static void sw_6c00_resends_with_le_00_and_case_3_becomes_case_4(void **state)
{
    (void)state;
    static const uint8_t d[2] = {0x2F, 0x00};
    struct ucb_capdu c = {0x00, 0xB2, 0x01, 0x04, d, 2, 0, 0};
    static const struct script_step steps[] = {
        STEP("00 B2 01 04 02 2F 00", "6C 00"),
        STEP("00 B2 01 04 02 2F 00 00", "90 00"),
    };
    START(steps);
    CHECK_EQ("6C 00", ucb_apdu_transmit(&fx.a, &c, &fx.r), 0);
    CHECK_EQ("6C 00", fx.r.sw, 0x9000);
    script_assert_done();
}

static void sw_6cxx_twice_is_a_card_response_error(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "6C 04"),
        STEP("00 B0 00 00 04", "6C 02"),
    };
    START(steps);
    CHECK_EQ("6C twice", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), UCB_ERR_CARD_RESPONSE);
    script_assert_done();
}

static void sw_6cxx_on_get_response_resends_the_get_response(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "61 20"),
        STEP("00 C0 00 00 20", "6C 03"),
        STEP("00 C0 00 00 03", "01 02 03 90 00"),
    };
    START(steps);
    CHECK_EQ("6C on GR", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), 0);
    check_hex("6C on GR", fx.buf, fx.r.len, "01 02 03");
    script_assert_done();
}

static void sw_6cxx_is_allowed_once_per_command_of_a_chain(void **state)
{
    (void)state;
    /* the command and its GET RESPONSE each get their one resend */
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "6C 02"),
        STEP("00 B0 00 00 02", "61 05"),
        STEP("00 C0 00 00 05", "6C 03"),
        STEP("00 C0 00 00 03", "0A 0B 0C 90 00"),
    };
    START(steps);
    CHECK_EQ("6C per command", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), 0);
    check_hex("6C per command", fx.buf, fx.r.len, "0A 0B 0C");
    script_assert_done();
}

static void answer_shorter_than_a_status_word_is_a_card_response_error(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "90"),
        STEP("00 B0 00 00 00", ""),
        STEP("00 B0 00 00 00", "61 04"),
        STEP("00 C0 00 00 04", "00"),
    };
    START(steps);
    CHECK_EQ("1 byte", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), UCB_ERR_CARD_RESPONSE);
    CHECK_EQ("0 bytes", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), UCB_ERR_CARD_RESPONSE);
    CHECK_EQ("1 byte to GET RESPONSE", ucb_apdu_transmit(&fx.a, &read_256, &fx.r),
             UCB_ERR_CARD_RESPONSE);
    script_assert_done();
}

static void response_larger_than_the_buffer_is_a_buffer_error_with_the_sw_set(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "01 02 03 04 05 90 00"),
        STEP("00 B0 00 00 00", "01 02 61 03"),
        STEP("00 C0 00 00 03", "03 04 05 6A 82"),
    };
    START(steps);
    fx.r.cap = 4;
    CHECK_EQ("5 bytes into 4", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), UCB_ERR_BUFFER);
    CHECK_EQ("5 bytes into 4", fx.r.sw, 0x9000);
    CHECK_EQ("second piece overflows", ucb_apdu_transmit(&fx.a, &read_256, &fx.r),
             UCB_ERR_BUFFER);
    CHECK_EQ("second piece overflows", fx.r.sw, 0x6A82);
    script_assert_done();
}

static void transport_errors_pass_through_unchanged(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP_ERROR("00 B0 00 00 00", UCB_ERR_CARD_REMOVED),
        STEP_ERROR("00 B0 00 00 00", UCB_ERR_TIMEOUT),
        STEP("00 B0 00 00 00", "61 10"),
        STEP_ERROR("00 C0 00 00 10", UCB_ERR_CARD_RESET),
    };
    START(steps);
    CHECK_EQ("removed", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), UCB_ERR_CARD_REMOVED);
    CHECK_EQ("removed leaves no status word", fx.r.sw, 0);
    CHECK_EQ("timeout", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), UCB_ERR_TIMEOUT);
    CHECK_EQ("reset during GET RESPONSE", ucb_apdu_transmit(&fx.a, &read_256, &fx.r),
             UCB_ERR_CARD_RESET);
    script_assert_done();
}

static int lying_transmit(void *ctx, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
                          size_t rapdu_cap, size_t *out_len, uint32_t timeout_ms)
{
    (void)ctx;
    (void)capdu;
    (void)capdu_len;
    (void)timeout_ms;
    rapdu[0] = 0x90;
    rapdu[1] = 0x00;
    *out_len = rapdu_cap + 100; /* claims more than the buffer holds */
    return 0;
}

static void transport_claiming_more_bytes_than_its_buffer_is_a_transport_error(void **state)
{
    (void)state;
    struct ucb_transport t = {lying_transmit, NULL, NULL, NULL, 0};
    struct ucb_apdu a;
    ucb_apdu_init(&a, &t);
    uint8_t buf[16];
    struct ucb_rapdu r = {buf, sizeof buf, 0, 0};
    CHECK_EQ("lying transport", ucb_apdu_transmit(&a, &read_256, &r), UCB_ERR_TRANSPORT);
}

static void timeout_is_given_to_the_transport(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "61 01"),
        STEP("00 C0 00 00 01", "00 90 00"),
    };
    START(steps);
    fx.a.timeout_ms = 2500;
    CHECK_EQ("timeout", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), 0);
    CHECK_EQ("timeout on GET RESPONSE", script_last_timeout(), 2500);
    script_assert_done();
}

static void trace_sees_every_exchange_including_get_response(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "6C 02"),
        STEP("00 B0 00 00 02", "61 01"),
        STEP("00 C0 00 00 01", "77 90 00"),
    };
    START(steps);
    CHECK_EQ("traced", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), 0);
    static const struct {
        enum ucb_trace_dir dir;
        const char *hex;
    } exp[] = {
        {UCB_TRACE_COMMAND, "00 B0 00 00 00"}, {UCB_TRACE_RESPONSE, "6C 02"},
        {UCB_TRACE_COMMAND, "00 B0 00 00 02"}, {UCB_TRACE_RESPONSE, "61 01"},
        {UCB_TRACE_COMMAND, "00 C0 00 00 01"}, {UCB_TRACE_RESPONSE, "77 90 00"},
    };
    CHECK_EQ("trace entries", fx.log.n, ARRAY_LEN(exp));
    char name[32];
    for (size_t i = 0; i < ARRAY_LEN(exp); i++) {
        snprintf(name, sizeof name, "trace entry %zu", i);
        CHECK_EQ(name, fx.log.e[i].dir, exp[i].dir);
        check_hex(name, fx.log.e[i].bytes, fx.log.e[i].len, exp[i].hex);
        CHECK_EQ(name, fx.log.e[i].secret_len, 0);
    }
    script_assert_done();
}

static void trace_secret_range_covers_exactly_the_data_field(void **state)
{
    (void)state;
    static const uint8_t pin[8] = {'1', '2', '3', '4', 0xFF, 0xFF, 0xFF, 0xFF};
    struct ucb_capdu verify = {0x00, 0x20, 0x00, 0x01, pin, 8, 0, UCB_CAPDU_SECRET};
    static const struct script_step steps[] = {
        STEP("00 20 00 01 08 31 32 33 34 FF FF FF FF", "90 00"),
        STEP("00 20 00 01 08 31 32 33 34 FF FF FF FF", "6C 01"),
        STEP("00 20 00 01 08 31 32 33 34 FF FF FF FF 01", "61 01"),
        STEP("00 C0 00 00 01", "00 90 00"),
    };
    START(steps);
    CHECK_EQ("secret", ucb_apdu_transmit(&fx.a, &verify, &fx.r), 0);
    CHECK_EQ("secret after 6C and 61", ucb_apdu_transmit(&fx.a, &verify, &fx.r), 0);
    /* commands: 0 (first), 2 (second), 4 (resend after 6C), 6 (GET RESPONSE) */
    static const size_t cmd[] = {0, 2, 4};
    for (size_t k = 0; k < ARRAY_LEN(cmd); k++) {
        const struct script_trace_entry *e = &fx.log.e[cmd[k]];
        CHECK_EQ("secret offset", e->secret_off, 5);
        CHECK_EQ("secret length", e->secret_len, 8);
        check_bytes("masked range holds the PIN field", e->bytes + e->secret_off, e->secret_len,
                    pin, sizeof pin);
    }
    CHECK_EQ("GET RESPONSE has no secret", fx.log.e[6].secret_len, 0);
    CHECK_EQ("responses have no secret", fx.log.e[1].secret_len, 0);
    /* the engine keeps no copy of the secret */
    for (size_t i = 0; i + 4 <= sizeof fx.a.tx; i++)
        if (memcmp(fx.a.tx + i, "1234", 4) == 0) fail_msg("PIN left in the engine's tx buffer");
    script_assert_done();
}

static void trace_secret_offset_is_7_with_extended_lc(void **state)
{
    (void)state;
    static const uint8_t key[2] = {0x11, 0x22};
    struct ucb_capdu c = {0x00, 0x20, 0x00, 0x01, key, 2, 300, UCB_CAPDU_SECRET};
    static const struct script_step steps[] = {
        STEP("00 20 00 01 00 00 02 11 22 01 2C", "90 00"),
    };
    start(steps, ARRAY_LEN(steps), UCB_TRANSPORT_EXTENDED);
    fx.a.flags = UCB_APDU_ALLOW_EXTENDED;
    CHECK_EQ("extended secret", ucb_apdu_transmit(&fx.a, &c, &fx.r), 0);
    CHECK_EQ("extended secret offset", fx.log.e[0].secret_off, 7);
    CHECK_EQ("extended secret length", fx.log.e[0].secret_len, 2);
    script_assert_done();
}

static void extended_lengths_need_both_the_engine_and_the_transport(void **state)
{
    (void)state;
    struct ucb_capdu c = {0x00, 0xB0, 0x00, 0x00, NULL, 0, 300, 0};
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00 01 2C", "01 90 00"),
    };
    /* transport can, engine not allowed */
    start(NULL, 0, UCB_TRANSPORT_EXTENDED);
    CHECK_EQ("engine not allowed", ucb_apdu_transmit(&fx.a, &c, &fx.r), UCB_ERR_UNSUPPORTED);
    /* engine allowed, transport cannot */
    start(NULL, 0, 0);
    fx.a.flags = UCB_APDU_ALLOW_EXTENDED;
    CHECK_EQ("transport cannot", ucb_apdu_transmit(&fx.a, &c, &fx.r), UCB_ERR_UNSUPPORTED);
    CHECK_EQ("nothing sent", fx.a.n_commands, 0);
    /* both */
    start(steps, ARRAY_LEN(steps), UCB_TRANSPORT_EXTENDED);
    fx.a.flags = UCB_APDU_ALLOW_EXTENDED;
    CHECK_EQ("both", ucb_apdu_transmit(&fx.a, &c, &fx.r), 0);
    script_assert_done();
}

static void counters_count_every_command_and_byte(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "61 02"),    /* 5 out, 2 in */
        STEP("00 C0 00 00 02", "01 02 90 00"), /* 5 out, 4 in */
        STEP("00 20 00 01", "63 C3"),       /* 4 out, 2 in */
    };
    START(steps);
    struct ucb_capdu q = {0x00, 0x20, 0x00, 0x01, NULL, 0, 0, 0};
    CHECK_EQ("counters", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), 0);
    CHECK_EQ("counters", ucb_apdu_transmit(&fx.a, &q, &fx.r), 0);
    CHECK_EQ("counters", fx.r.sw, 0x63C3);
    CHECK_EQ("n_commands", fx.a.n_commands, 3);
    CHECK_EQ("n_bytes_out", fx.a.n_bytes_out, 14);
    CHECK_EQ("n_bytes_in", fx.a.n_bytes_in, 8);
    script_assert_done();
}

static void transmit_ok_maps_the_status_word(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "90 00"), STEP("00 B0 00 00 00", "91 10"),
        STEP("00 B0 00 00 00", "6A 82"), STEP("00 B0 00 00 00", "62 82"),
        STEP("00 B0 00 00 00", "69 82"), STEP("00 B0 00 00 00", "6B 00"),
    };
    START(steps);
    CHECK_EQ("9000", ucb_apdu_transmit_ok(&fx.a, &read_256, &fx.r), 0);
    CHECK_EQ("9110", ucb_apdu_transmit_ok(&fx.a, &read_256, &fx.r), 0);
    CHECK_EQ("6A82", ucb_apdu_transmit_ok(&fx.a, &read_256, &fx.r), UCB_ERR_CARD_NOT_FOUND);
    CHECK_EQ("6282 warning is not success", ucb_apdu_transmit_ok(&fx.a, &read_256, &fx.r),
             UCB_ERR_CARD_STATUS);
    CHECK_EQ("6282 sw kept", fx.r.sw, 0x6282);
    CHECK_EQ("6982", ucb_apdu_transmit_ok(&fx.a, &read_256, &fx.r), UCB_ERR_CARD_SECURITY);
    CHECK_EQ("6B00", ucb_apdu_transmit_ok(&fx.a, &read_256, &fx.r), UCB_ERR_CARD_STATUS);
    script_assert_done();
}

static void transmit_refuses_bad_arguments_without_sending(void **state)
{
    (void)state;
    start(NULL, 0, 0);
    struct ucb_rapdu bad = {NULL, 10, 0, 0};
    CHECK_EQ("no engine", ucb_apdu_transmit(NULL, &read_256, &fx.r), UCB_ERR_ARG);
    CHECK_EQ("no command", ucb_apdu_transmit(&fx.a, NULL, &fx.r), UCB_ERR_ARG);
    CHECK_EQ("no response", ucb_apdu_transmit(&fx.a, &read_256, NULL), UCB_ERR_ARG);
    CHECK_EQ("cap without buffer", ucb_apdu_transmit(&fx.a, &read_256, &bad), UCB_ERR_ARG);
    fx.a.channel = 20;
    CHECK_EQ("channel 20", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), UCB_ERR_ARG);
    struct ucb_apdu none;
    ucb_apdu_init(&none, NULL);
    CHECK_EQ("no transmit function", ucb_apdu_transmit(&none, &read_256, &fx.r), UCB_ERR_ARG);
    CHECK_EQ("nothing sent", fx.a.n_commands, 0);
    script_assert_done();
}

static void deinit_wipes_buffers_and_accepts_null_twice(void **state)
{
    (void)state;
    static const struct script_step steps[] = {
        STEP("00 B0 00 00 00", "5A 5A 5A 90 00"),
    };
    START(steps);
    CHECK_EQ("before deinit", ucb_apdu_transmit(&fx.a, &read_256, &fx.r), 0);
    ucb_apdu_deinit(&fx.a);
    ucb_apdu_deinit(&fx.a);
    ucb_apdu_deinit(NULL);
    for (size_t i = 0; i < sizeof fx.a.tx; i++) CHECK_EQ("tx wiped", fx.a.tx[i], 0);
    for (size_t i = 0; i < sizeof fx.a.rx; i++) CHECK_EQ("rx wiped", fx.a.rx[i], 0);
    script_assert_done();
}

/* ------------------------------------------------------------------------- */
/* Status words                                                              */

struct sw_vec {
    const char *name;
    uint16_t sw;
    int cls;
    bool ok;
    const char *text_has; /* a word the text must contain */
};

static const struct sw_vec sw_vectors[] = {
    {"9000 normal ending", 0x9000, 0, true, "normal"},
    {"9110 proactive command pending", 0x9110, 0, true, "proactive"},
    {"9200 normal ending with info", 0x9200, 0, true, "normal"},
    {"9300 toolkit busy", 0x9300, UCB_ERR_CARD_STATUS, false, "busy"},
    {"6282 end of file is a warning", 0x6282, 0, false, "end of file"},
    {"6283 invalidated is a warning", 0x6283, 0, false, "invalidated"},
    {"62F3 response data available", 0x62F3, 0, false, "available"},
    {"6299 unknown 62 is a warning", 0x6299, 0, false, "warning"},
    {"63F1 more data expected", 0x63F1, 0, false, "more data"},
    {"6310 unknown 63 is a warning", 0x6310, 0, false, "warning"},
    {"63C2 two PIN tries left", 0x63C2, UCB_ERR_CARD_PIN, false, "retries"},
    {"63C0 no PIN try left", 0x63C0, UCB_ERR_CARD_PIN, false, "retries"},
    {"6581 memory problem", 0x6581, UCB_ERR_CARD_STATUS, false, "memory"},
    {"6700 wrong length", 0x6700, UCB_ERR_CARD_STATUS, false, "length"},
    {"6881 no logical channels", 0x6881, UCB_ERR_CARD_STATUS, false, "logical channel"},
    {"6982 security status", 0x6982, UCB_ERR_CARD_SECURITY, false, "security"},
    {"6983 PIN blocked", 0x6983, UCB_ERR_CARD_PIN, false, "blocked"},
    {"6984 referenced data invalidated", 0x6984, UCB_ERR_CARD_PIN, false, "invalidated"},
    {"6985 conditions of use", 0x6985, UCB_ERR_CARD_SECURITY, false, "conditions"},
    {"6986 no EF selected", 0x6986, UCB_ERR_CARD_STATUS, false, "no EF"},
    {"6989 secure channel", 0x6989, UCB_ERR_CARD_SECURITY, false, "secure channel"},
    {"6A82 not found", 0x6A82, UCB_ERR_CARD_NOT_FOUND, false, "not found"},
    {"6A83 record not found", 0x6A83, UCB_ERR_CARD_NOT_FOUND, false, "record"},
    {"6A88 referenced data not found", 0x6A88, UCB_ERR_CARD_NOT_FOUND, false, "not found"},
    {"6A86 wrong P1-P2", 0x6A86, UCB_ERR_CARD_STATUS, false, "P1"},
    {"6A87 Lc inconsistent", 0x6A87, UCB_ERR_CARD_STATUS, false, "Lc"},
    {"6B00 wrong P1-P2", 0x6B00, UCB_ERR_CARD_STATUS, false, "P1-P2"},
    {"6D00 INS unknown", 0x6D00, UCB_ERR_CARD_STATUS, false, "instruction"},
    {"6E00 CLA unknown", 0x6E00, UCB_ERR_CARD_STATUS, false, "class"},
    {"6F00 technical problem", 0x6F00, UCB_ERR_CARD_STATUS, false, "technical"},
    {"9862 authentication error", 0x9862, UCB_ERR_CARD_STATUS, false, "authentication"},
    {"6C10 left over is an error", 0x6C10, UCB_ERR_CARD_STATUS, false, "Le"},
    {"6110 left over is an error", 0x6110, UCB_ERR_CARD_STATUS, false, "available"},
    {"0000 is no status word", 0x0000, UCB_ERR_CARD_STATUS, false, "unknown"},
    {"9F10 (GSM) is unknown here", 0x9F10, UCB_ERR_CARD_STATUS, false, "unknown"},
};

static void sw_table_classes_and_texts(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(sw_vectors); i++) {
        const struct sw_vec *v = &sw_vectors[i];
        CHECK_EQ(v->name, ucb_sw_class(v->sw), v->cls);
        CHECK_EQ(v->name, ucb_sw_ok(v->sw), v->ok);
        const char *t = ucb_sw_text(v->sw);
        assert_non_null(t);
#if UCB_CONFIG_TEXT
        if (strstr(t, v->text_has) == NULL)
            fail_msg("%s: text \"%s\" lacks \"%s\"", v->name, t, v->text_has);
#endif
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_vectors_give_iso_7816_4_cases),
        cmocka_unit_test(encode_refuses_small_buffer_and_data_pointer_missing),
        cmocka_unit_test(cla_puts_channel_in_first_and_further_interindustry_class),
        cmocka_unit_test(plain_answer_is_returned_with_its_status_word),
        cmocka_unit_test(sw_61xx_fetches_the_answer_with_get_response_on_the_same_channel),
        cmocka_unit_test(sw_61xx_on_a_further_interindustry_channel_uses_4x_get_response),
        cmocka_unit_test(sw_61xx_chain_appends_every_piece_and_61_00_asks_256),
        cmocka_unit_test(sw_61xx_forever_gives_up_with_card_response_error),
        cmocka_unit_test(sw_61xx_even_when_the_transport_says_it_does_get_response),
        cmocka_unit_test(sw_6cxx_resends_the_command_with_the_announced_le),
        cmocka_unit_test(sw_6c00_resends_with_le_00_and_case_3_becomes_case_4),
        cmocka_unit_test(sw_6cxx_twice_is_a_card_response_error),
        cmocka_unit_test(sw_6cxx_on_get_response_resends_the_get_response),
        cmocka_unit_test(sw_6cxx_is_allowed_once_per_command_of_a_chain),
        cmocka_unit_test(answer_shorter_than_a_status_word_is_a_card_response_error),
        cmocka_unit_test(response_larger_than_the_buffer_is_a_buffer_error_with_the_sw_set),
        cmocka_unit_test(transport_errors_pass_through_unchanged),
        cmocka_unit_test(transport_claiming_more_bytes_than_its_buffer_is_a_transport_error),
        cmocka_unit_test(timeout_is_given_to_the_transport),
        cmocka_unit_test(trace_sees_every_exchange_including_get_response),
        cmocka_unit_test(trace_secret_range_covers_exactly_the_data_field),
        cmocka_unit_test(trace_secret_offset_is_7_with_extended_lc),
        cmocka_unit_test(extended_lengths_need_both_the_engine_and_the_transport),
        cmocka_unit_test(counters_count_every_command_and_byte),
        cmocka_unit_test(transmit_ok_maps_the_status_word),
        cmocka_unit_test(transmit_refuses_bad_arguments_without_sending),
        cmocka_unit_test(deinit_wipes_buffers_and_accepts_null_twice),
        cmocka_unit_test(sw_table_classes_and_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
