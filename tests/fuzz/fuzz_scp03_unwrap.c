/*
 * Fuzz harness: what a card (or anyone on the line) answers inside an SCP03
 * session, through the engine's secure-messaging path (apdu/apdu.c) and
 * the R-MAC / R-ENC unwrap of apdu/scp03.c.
 *
 * Input: byte 0 selects the session (value % 3: the pysim AES-128 vector
 * at security level 33, 11 or 03, spec-notes 3.4(a)) and, in bit 7, a
 * small caller buffer (16 bytes instead of 256). The rest is a sequence of
 * card answers, each one length byte then that many bytes (the last one
 * cut at the end of the input). The session is opened deterministically
 * from the vector (INITIALIZE UPDATE and EXTERNAL AUTHENTICATE answered by
 * the in-memory card), then the vector's plain commands GET EID, C1..C4 are
 * sent in order while the session lasts; every transmit after EXTERNAL
 * AUTHENTICATE (wrapped commands, GET RESPONSE, 6Cxx resends) takes the
 * next answer, and a missing one is a timeout.
 *
 * Invariants (any broken one aborts):
 *  - every wrapped command is the vector's byte for byte (the card cannot
 *    steer what the host sends), GET RESPONSE goes out plain;
 *  - with R-MAC, data or a success/warning word reaches the caller only
 *    when it is a genuine answer of that command (a MAC cannot be forged:
 *    the genuine ones are those of the vector, plus GET EID's data with
 *    6283 at SL=33 that a seed carries); without R-MAC nothing beyond the
 *    caller's buffer;
 *  - a failure leaves the caller's buffer untouched and r.len 0; unless it
 *    is the caller's small buffer, the session is failed and wiped, stays
 *    installed, and the next command is refused without reaching the card.
 *
 * Built twice (tests/fuzz/meson.build): with -fsanitize=fuzzer as
 * fuzz_scp03_unwrap, and with replay_main.c as fuzz_scp03_unwrap_replay.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../apdu/scp03_int.h"
#include "uiccboot/apdu.h"
#include "uiccboot/err.h"
#include "uiccboot/scp03.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) abort();                                                      \
    } while (0)

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        CHECK(n < cap);
        out[n++] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
    }
    return n;
}

struct vec {
    uint8_t level;
    const char *host_ch, *iur, *ea;
    const char *cmd[5];   /* wrapped GET EID, C1..C4 */
    const char *plain[5]; /* genuine plain answer data */
    uint16_t sw[5];       /* genuine status words */
    uint16_t eid_alt_sw;  /* another genuine word for GET EID's data (a seed), or 0 */
};

static const struct vec vecs[3] = {
    {0x33, "FDF38259A1E0DE44",
     "000000000000000000003003703b1aca81e821f219081cdc01c26b372d0000039000",
     "84823300108c36f96bcc00724a4e13ad591d7da3f0",
     {"84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00", "84f2200208ac6a59024bed84cc",
      "84ca006608409912ad8fb7aed000", "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
      "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00"},
     {"bf3e125a1089882119900000000000000000000005", "", "0102030405", "", ""},
     {0x9000, 0x9000, 0x9000, 0x6A88, 0x6283},
     0x6283},
    {0x11, "B13E5F938FC108C4",
     "000000000000000000003003703eb51047495b249f66c484c1d2ef19480000029000",
     "84821100107d5f5826a993ebc89eea24957fa0b3ce",
     {"84e291000ebf3e035c015a558d036518a2829700", "84f220020863a63f8959827fb2",
      "84ca006608a0c6a4a74166f7ce00", "84f22002124f0212345c054f9f70c52249b50272656536",
      "84f280020a4f00e91443f6dce6b8ed00"},
     {"bf3e125a1089882119900000000000000000000005", "", "0102030405", "", ""},
     {0x9000, 0x9000, 0x9000, 0x6A88, 0x6283},
     0},
    {0x03, "8E1552D0513C60F3",
     "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d70000019000",
     "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
     {"84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00", "84f2200208c9811b11f1264cf1",
      "84ca006608e10ab60b3054798800", "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
      "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800"},
     {NULL, NULL, NULL, NULL, NULL},
     {0, 0, 0, 0, 0},
     0},
};

static const uint8_t eid_data[] = {0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A};
static const uint8_t c3_data[] = {0x4f, 0x02, 0x12, 0x34, 0x5c, 0x05, 0x4f, 0x9f, 0x70, 0xc5};
static const uint8_t c4_data[] = {0x4f, 0x00};
static const struct ucb_capdu plain_cmds[5] = {
    {0x80, 0xE2, 0x91, 0x00, eid_data, sizeof eid_data, 256, 0},
    {0x80, 0xF2, 0x20, 0x02, NULL, 0, 0, 0},
    {0x80, 0xCA, 0x00, 0x66, NULL, 0, 256, 0},
    {0x80, 0xF2, 0x20, 0x02, c3_data, sizeof c3_data, 0, 0},
    {0x80, 0xF2, 0x80, 0x02, c4_data, sizeof c4_data, 256, 0},
};
static const uint8_t isdr_aid[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                     0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00};

struct card {
    const struct vec *v;
    const uint8_t *in; /* remaining fuzz answers */
    size_t in_len;
    unsigned calls;
    size_t cmd;        /* index of the plain command being exchanged */
};

static int card_transmit(void *ctx, const uint8_t *c, size_t c_len, uint8_t *r, size_t r_cap,
                         size_t *out_len, uint32_t timeout_ms)
{
    (void)timeout_ms;
    struct card *k = ctx;
    uint8_t exp[300];
    size_t n;
    k->calls++;
    if (k->calls == 1 || k->calls == 2) {
        /* the session's own opening exchanges, answered from the vector */
        n = unhex(k->calls == 1 ? k->v->iur : "9000", r, r_cap);
        *out_len = n;
        return 0;
    }
    CHECK(k->cmd < 5);
    if (c_len == 5 && c[1] == 0xC0) {
        CHECK(c[0] == 0x00 && c[2] == 0x00 && c[3] == 0x00); /* plain GET RESPONSE */
    } else {
        /* the wrapped command, whatever the card answered before; a 6Cxx
         * resend differs only in Le */
        n = unhex(k->v->cmd[k->cmd], exp, sizeof exp);
        bool has_le = exp[4] + 5u != n;
        if (has_le) CHECK(c_len == n && memcmp(c, exp, n - 1) == 0);
        else CHECK((c_len == n || c_len == n + 1) && memcmp(c, exp, n) == 0);
    }
    if (k->in_len == 0) return UCB_ERR_TIMEOUT;
    size_t len = k->in[0];
    k->in++;
    k->in_len--;
    if (len > k->in_len) len = k->in_len;
    if (len > r_cap) return UCB_ERR_BUFFER;
    memcpy(r, k->in, len);
    k->in += len;
    k->in_len -= len;
    *out_len = len;
    return 0;
}

static int fixed_random(void *ctx, uint8_t *out, size_t len)
{
    const struct vec *v = ctx;
    CHECK(len == 8);
    unhex(v->host_ch, out, 8);
    return 0;
}

/* Does the status word carry an R-MAC (success or warning)? */
static bool macd_word(uint16_t sw)
{
    uint8_t sw1 = (uint8_t)(sw >> 8);
    return sw1 == 0x90 || sw1 == 0x91 || sw1 == 0x92 || sw1 == 0x62 || sw1 == 0x63;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const struct vec *v = &vecs[(data[0] & 0x7F) % 3];
    size_t cap = (data[0] & 0x80) ? 16 : 256;
    struct card k = {v, data + 1, size - 1, 0, 0};
    struct ucb_transport t;
    memset(&t, 0, sizeof t);
    t.transmit = card_transmit;
    t.ctx = &k;
    struct ucb_apdu a;
    ucb_apdu_init(&a, &t);

    struct ucb_scp03_keys keys;
    memset(&keys, 0, sizeof keys);
    for (size_t i = 0; i < 16; i++) {
        keys.enc[i] = (uint8_t)i;
        keys.mac[i] = (uint8_t)(0x10 + i);
    }
    keys.len = 16;
    keys.kvn = 0x30;
    struct ucb_scp03_config cfg = {&keys, v->level, isdr_aid, sizeof isdr_aid, fixed_random,
                                   (void *)(uintptr_t)v};
    struct ucb_scp03 s;
    ucb_scp03_init(&s);
    CHECK(ucb_scp03_open(&s, &a, &cfg, NULL, NULL) == 0);

    bool rmac = (v->level & UCB_SCP03_R_MAC) != 0;
    static uint8_t buf[256];
    for (k.cmd = 0; k.cmd < 5; k.cmd++) {
        memset(buf, 0xEE, sizeof buf);
        struct ucb_rapdu r = {buf, cap, 0, 0};
        int rc = ucb_apdu_transmit(&a, &plain_cmds[k.cmd], &r);
        CHECK(a.sm == &s.sm);
        CHECK(all_zero(a.sm_raw, sizeof a.sm_raw));
        if (rc == 0) {
            CHECK(ucb_scp03_active(&s));
            CHECK(r.len <= cap);
            for (size_t i = r.len; i < sizeof buf; i++) CHECK(buf[i] == 0xEE);
            if (!macd_word(r.sw)) {
                CHECK(r.len == 0); /* error words carry nothing */
            } else if (rmac) {
                /* verified: it must be the genuine answer */
                uint8_t g[64];
                size_t gl = unhex(v->plain[k.cmd], g, sizeof g);
                CHECK(r.sw == v->sw[k.cmd] || (k.cmd == 0 && r.sw == v->eid_alt_sw));
                CHECK(r.len == gl && memcmp(buf, g, gl) == 0);
            }
            continue;
        }
        /* nothing delivered */
        CHECK(r.len == 0);
        for (size_t i = 0; i < sizeof buf; i++) CHECK(buf[i] == 0xEE);
        if (rc == UCB_ERR_BUFFER && ucb_scp03_active(&s)) {
            /* only an answer the session lets through (with R-MAC: a
             * genuine one, GET EID's 21 bytes in the small buffer) that is
             * bigger than the caller's buffer */
            if (rmac) CHECK(cap == 16 && k.cmd == 0 && (r.sw == 0x9000 || r.sw == v->eid_alt_sw));
            continue;
        }
        CHECK(!ucb_scp03_active(&s));
        CHECK(s.state == UCB_SCP03_STATE_FAILED);
        CHECK(all_zero(s.s_enc, sizeof s.s_enc) && all_zero(s.s_mac, sizeof s.s_mac) &&
              all_zero(s.s_rmac, sizeof s.s_rmac) && all_zero(s.chain, sizeof s.chain) &&
              all_zero(s.buf, sizeof s.buf));
        /* refused without reaching the card */
        unsigned calls = k.calls;
        struct ucb_rapdu r2 = {buf, cap, 0, 0};
        CHECK(ucb_apdu_transmit(&a, &plain_cmds[1], &r2) == UCB_ERR_SCP_PROTOCOL);
        CHECK(k.calls == calls);
        break;
    }
    ucb_scp03_close(&s);
    CHECK(a.sm == NULL && all_zero(&s, sizeof s));
    return 0;
}
