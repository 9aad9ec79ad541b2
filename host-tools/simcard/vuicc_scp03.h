/*
 * Card side of GlobalPlatform SCP03 for the virtual UICC: internal
 * interface between vuicc.c (APDU routing, channels, files) and
 * vuicc_scp03.c (key derivation, cryptograms, secure messaging).
 *
 * Written from GP Card Spec Amendment D (spec-notes section 3) on Mbed TLS
 * directly, independently of the host side in apdu/scp03.c, so that each
 * implementation checks the other. Not part of the vuicc test API.
 */
#ifndef VUICC_SCP03_H
#define VUICC_SCP03_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vuicc.h"

/* Security level bits (EXTERNAL AUTHENTICATE P1, Amd D 7.1.2.1). */
#define VSCP_C_MAC 0x01u
#define VSCP_C_DEC 0x02u
#define VSCP_R_MAC 0x10u
#define VSCP_R_ENC 0x20u

/* i-parameter bits (Amd D 5.1). */
#define VSCP_I_PSEUDO 0x10u
#define VSCP_I_R_MAC 0x20u
#define VSCP_I_R_ENC 0x40u

#define VSCP_SEQ_MAX 0xFFFFFFu  /* 3-byte sequence counter */
#define VSCP_IU_RESP_MAX 32u    /* S8 response with sequence counter */

enum vscp_state {
    VSCP_NONE = 0,   /* no session */
    VSCP_PENDING,    /* INITIALIZE UPDATE answered, EXTERNAL AUTHENTICATE expected */
    VSCP_OPEN        /* authenticated: secure messaging at `level` */
};

/* One session, per logical channel. Secret: wiped by vscp_session_wipe(). */
struct vscp_session {
    uint8_t state;                          /* enum vscp_state */
    uint8_t level;
    uint8_t key_len;
    uint8_t s_enc[VUICC_SCP03_KEY_MAX];
    uint8_t s_mac[VUICC_SCP03_KEY_MAX];
    uint8_t s_rmac[VUICC_SCP03_KEY_MAX];
    uint8_t host_cg[8];                     /* expected host cryptogram (pending) */
    uint8_t chain[16];                      /* MAC chaining value */
    uint32_t counter;                       /* encryption counter */
};

/* Zero @p n bytes in a way the compiler keeps. */
void vscp_wipe(void *p, size_t n);
void vscp_session_wipe(struct vscp_session *s);

/* Random bytes (Mbed TLS CTR_DRBG, seeded on first use). 0 or -1. */
int vscp_random(uint8_t *out, size_t n);

/* Amd D 4.1.5 KDF: @p out_len bytes (<= 32) of KDF(key, constant, L = 8 *
 * out_len, context). 0 or -1. */
int vscp_kdf(const uint8_t *key, size_t key_len, uint8_t constant, const uint8_t *context,
             size_t context_len, uint8_t *out, size_t out_len);

/*
 * INITIALIZE UPDATE (Amd D 7.1.1), S8 mode. The card challenge is
 * @p card_ch when given, else pseudo-random from @p seq and @p sd_aid (i
 * bit 0x10) or random. Derives the session keys into @p s (state PENDING)
 * and writes the response (29 bytes, 32 with the sequence counter) to
 * @p out. Returns its length, or 0 on a crypto failure (@p s wiped).
 */
size_t vscp_initialize_update(const struct vuicc_scp03_keys *k, const uint8_t *sd_aid,
                              size_t sd_aid_len, uint32_t seq, const uint8_t *card_ch,
                              const uint8_t host_ch[8], struct vscp_session *s,
                              uint8_t out[VSCP_IU_RESP_MAX]);

/*
 * EXTERNAL AUTHENTICATE (Amd D 7.1.2) on a PENDING session. @p mac_cla is
 * the CLA as MACed (84, channel bits cleared). Returns 9000 (session OPEN),
 * 6A86 (level not allowed, or needs R-MAC/R-ENC the i-parameter lacks),
 * 6300 (host cryptogram or C-MAC wrong) or 6700 / 6F00. On anything but
 * 9000 the session is wiped.
 */
uint16_t vscp_external_authenticate(struct vscp_session *s, uint8_t i_param, uint8_t mac_cla,
                                    uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
                                    bool has_le);

/*
 * Verify and unwrap one command of an OPEN session (Amd D 6.2.4, 6.2.6):
 * C-MAC over chain || @p mac_cla INS P1 P2 Lc || data, then the counter
 * is incremented and C-DEC data decrypted with the counter ICV and its
 * method 2 padding removed. @p hdr is CLA INS P1 P2 as received; @p data /
 * @p lc the wrapped data field (MAC included). Writes the plain data to
 * @p plain (at least 255 bytes) and its length to @p plain_len.
 * Returns 0, or -1 (bad MAC, length or padding): the caller drops the
 * session. The chaining value and counter are updated in @p s only on 0.
 */
int vscp_unwrap(struct vscp_session *s, uint8_t mac_cla, const uint8_t hdr[4],
                const uint8_t *data, size_t lc, uint8_t *plain, size_t *plain_len);

/* Largest plain response data the session's level can wrap in 256 bytes:
 * 239 with R-ENC (padding + R-MAC), 248 with R-MAC, else 256. */
size_t vscp_max_response(const struct vscp_session *s);

/*
 * Wrap a response (Amd D 6.2.5, 6.2.7): for 9000, 62xx and 63xx, R-ENC
 * (non-empty data; ICV = AES(S-ENC, 80 || counter)) then R-MAC over
 * chain || data || SW; an error status word under R-MAC loses its data.
 * @p data holds @p *len bytes and has room for 256. Returns 0, or -1 when
 * the result would not fit or crypto failed (the caller answers 6F00).
 */
int vscp_wrap(const struct vscp_session *s, uint8_t *data, size_t *len, uint16_t sw);

#endif /* VUICC_SCP03_H */
