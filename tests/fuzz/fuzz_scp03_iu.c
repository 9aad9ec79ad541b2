/*
 * Fuzz harness: the SCP03 INITIALIZE UPDATE response, the first bytes of a
 * secure channel that come from the card (apdu/scp03.c).
 *
 * Input: byte 0 = the KVN asked for (P1), then the response data.
 *  1. ucb_scp03_iur_parse(): only documented results; on success the
 *     length is 29 or 32 as the i-parameter says, no RFU i bit, the KVN the
 *     one asked for (unless 0), every field the byte at its offset; on
 *     failure an all-zero output; the same answer twice.
 *  2. ucb_scp03_open() with the pysim AES-128 keys and host challenge of
 *     the SL=33 vector over an in-memory card that answers INITIALIZE
 *     UPDATE with these bytes + 9000: EXTERNAL AUTHENTICATE may only go
 *     out when the card challenge and cryptogram are the genuine ones (the
 *     fuzzer cannot forge a cryptogram), nothing else is ever sent, and a
 *     failed open leaves nothing installed and the session all zero.
 * Any broken invariant aborts.
 *
 * Built twice (tests/fuzz/meson.build): with -fsanitize=fuzzer as
 * fuzz_scp03_iu, and with replay_main.c as fuzz_scp03_iu_replay.
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

/* pysim AES-128 SL=33 (spec-notes 3.4(a)) */
static const uint8_t host_ch[8] = {0xFD, 0xF3, 0x82, 0x59, 0xA1, 0xE0, 0xDE, 0x44};
/* card challenge || card cryptogram of its INITIALIZE UPDATE answer */
static const uint8_t genuine_cc_cg[16] = {0x3b, 0x1a, 0xca, 0x81, 0xe8, 0x21, 0xf2, 0x19,
                                          0x08, 0x1c, 0xdc, 0x01, 0xc2, 0x6b, 0x37, 0x2d};
static const uint8_t isdr_aid[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                     0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00};

struct card {
    const uint8_t *iur;
    size_t iur_len;
    unsigned calls;
    bool ea_sent;
};

static int card_transmit(void *ctx, const uint8_t *c, size_t c_len, uint8_t *r, size_t r_cap,
                         size_t *out_len, uint32_t timeout_ms)
{
    (void)timeout_ms;
    struct card *k = ctx;
    k->calls++;
    CHECK(c_len >= 5);
    if (k->calls == 1) {
        /* INITIALIZE UPDATE 80 50 KVN 00 08 <host challenge> 00 */
        CHECK(c_len == 14 && c[0] == 0x80 && c[1] == 0x50 && c[3] == 0x00 && c[4] == 8);
        CHECK(memcmp(c + 5, host_ch, 8) == 0 && c[13] == 0x00);
        if (k->iur_len + 2 > r_cap) return UCB_ERR_BUFFER;
        memcpy(r, k->iur, k->iur_len);
        r[k->iur_len] = 0x90;
        r[k->iur_len + 1] = 0x00;
        *out_len = k->iur_len + 2;
        return 0;
    }
    /* Only EXTERNAL AUTHENTICATE may follow, and only after a genuine card
     * cryptogram: with a forged one the host must not say more. */
    CHECK(k->calls == 2);
    CHECK(c_len == 21 && c[0] == 0x84 && c[1] == 0x82 && c[2] == 0x33 && c[4] == 0x10);
    CHECK(k->iur_len >= 29 && memcmp(k->iur + 13, genuine_cc_cg, 16) == 0);
    k->ea_sent = true;
    CHECK(r_cap >= 2);
    r[0] = 0x90;
    r[1] = 0x00;
    *out_len = 2;
    return 0;
}

static int fixed_random(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    CHECK(len == sizeof host_ch);
    memcpy(out, host_ch, len);
    return 0;
}

static void check_parse(const uint8_t *b, size_t n, uint8_t kvn)
{
    struct ucb_scp03_iur iur, again;
    memset(&iur, 0xA5, sizeof iur);
    int rc = ucb_scp03_iur_parse(b, n, kvn, &iur);
    CHECK(rc == 0 || rc == UCB_ERR_UNSUPPORTED || rc == UCB_ERR_SCP_PROTOCOL);
    CHECK(ucb_scp03_iur_parse(b, n, kvn, &again) == rc);
    CHECK(memcmp(&iur, &again, sizeof iur) == 0);
    if (rc != 0) {
        CHECK(all_zero(&iur, sizeof iur));
        return;
    }
    CHECK(n == 29 || n == 32);
    CHECK(iur.pseudo_random == (n == 32));
    CHECK(iur.pseudo_random == ((iur.i_param & UCB_SCP03_I_PSEUDO_RANDOM) != 0));
    CHECK((iur.i_param & ~0x70u) == 0);
    CHECK(b[11] == 0x03);
    CHECK(kvn == 0 || iur.kvn == kvn);
    CHECK(iur.kvn == b[10] && iur.i_param == b[12]);
    CHECK(memcmp(iur.diversification, b, 10) == 0);
    CHECK(memcmp(iur.card_challenge, b + 13, 8) == 0);
    CHECK(memcmp(iur.card_cryptogram, b + 21, 8) == 0);
    if (n == 32) {
        CHECK(memcmp(iur.sequence_bytes, b + 29, 3) == 0);
        CHECK(iur.sequence == (((uint32_t)b[29] << 16) | ((uint32_t)b[30] << 8) | b[31]));
    } else {
        CHECK(iur.sequence == 0 && all_zero(iur.sequence_bytes, 3));
    }
}

static void check_open(const uint8_t *b, size_t n, uint8_t kvn)
{
    struct card k = {b, n, 0, false};
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
        keys.dek[i] = (uint8_t)(0x20 + i);
    }
    keys.len = 16;
    keys.kvn = kvn;
    struct ucb_scp03_config cfg = {&keys, 0x33, isdr_aid, sizeof isdr_aid, fixed_random, NULL};
    struct ucb_scp03 s;
    ucb_scp03_init(&s);
    struct ucb_scp03_info info;
    uint16_t sw = 0;
    int rc = ucb_scp03_open(&s, &a, &cfg, &info, &sw);
    CHECK(k.calls >= 1 && k.calls <= 2);
    if (rc == 0) {
        CHECK(k.ea_sent);
        CHECK(a.sm == &s.sm && ucb_scp03_active(&s));
        CHECK(info.level == 0x33 && (info.i_param & 0x60) == 0x60);
        ucb_scp03_close(&s);
        CHECK(a.sm == NULL);
    } else {
        CHECK(rc == UCB_ERR_UNSUPPORTED || rc == UCB_ERR_SCP_PROTOCOL ||
              rc == UCB_ERR_SCP_AUTH || rc == UCB_ERR_ARG);
        CHECK(!k.ea_sent);
        CHECK(a.sm == NULL);
        CHECK(all_zero(&info, sizeof info));
    }
    CHECK(all_zero(&s, sizeof s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t kvn = data[0];
    const uint8_t *b = data + 1;
    size_t n = size - 1;
    check_parse(b, n, kvn);
    if (n <= 64) check_open(b, n, kvn);
    return 0;
}
