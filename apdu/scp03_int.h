/*
 * SCP03 internals (not installed): the pieces of apdu/scp03.c that tests
 * and fuzz harnesses call directly. GlobalPlatform Card Specification
 * Amendment D (SCP03) v1.1.
 */
#ifndef UCB_SCP03_INT_H
#define UCB_SCP03_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uiccboot/scp03.h"

/* struct ucb_scp03.state */
#define UCB_SCP03_STATE_CLOSED 0u
#define UCB_SCP03_STATE_OPEN 1u
#define UCB_SCP03_STATE_FAILED 2u

/* Derivation constants (Amd D 4.1.5, Table 4-1). */
#define UCB_SCP03_DC_CARD_CRYPTOGRAM 0x00u
#define UCB_SCP03_DC_HOST_CRYPTOGRAM 0x01u
#define UCB_SCP03_DC_CARD_CHALLENGE 0x02u
#define UCB_SCP03_DC_S_ENC 0x04u
#define UCB_SCP03_DC_S_MAC 0x06u
#define UCB_SCP03_DC_S_RMAC 0x07u

/* INITIALIZE UPDATE response lengths in S8 mode (Amd D 7.1.1.4). */
#define UCB_SCP03_IUR_LEN 29u
#define UCB_SCP03_IUR_LEN_SEQ 32u

/* Largest plain data under each protection (spec-notes 3.3): padding to
 * the next 16-byte block plus the 8-byte MAC must fit a short Lc / Le. */
#define UCB_SCP03_MAX_LC_CDEC 239u
#define UCB_SCP03_MAX_LC_CMAC 247u
#define UCB_SCP03_MAX_NE_RENC 239u
#define UCB_SCP03_MAX_NE_RMAC 248u

/** A parsed INITIALIZE UPDATE response (S8 mode). */
struct ucb_scp03_iur {
    uint8_t diversification[10];
    uint8_t kvn;
    uint8_t i_param;
    uint8_t card_challenge[8];
    uint8_t card_cryptogram[8];
    bool pseudo_random;     /**< i-parameter 0x10: a sequence counter follows */
    uint32_t sequence;      /**< the 3-byte sequence counter, 0 without one */
    uint8_t sequence_bytes[3];
};

/**
 * Parse an INITIALIZE UPDATE response (data without SW1 SW2), strictly:
 * key information `KVN 03 i`, exactly 29 bytes (32 when the i-parameter
 * announces a pseudo-random challenge), the KVN equal to @p kvn unless
 * @p kvn is 0.
 * @return 0 with @p out filled; UCB_ERR_UNSUPPORTED (not SCP03, S16 mode
 *         by length 45/48 or i-parameter b1, RFU i-parameter bits);
 *         UCB_ERR_SCP_PROTOCOL (any other length, KVN mismatch);
 *         UCB_ERR_ARG. @p out is zeroed on every failure.
 */
int ucb_scp03_iur_parse(const uint8_t *data, size_t len, uint8_t kvn,
                        struct ucb_scp03_iur *out);

/**
 * Whether security @p level is allowed (01, 03, 11, 13, 33) and the card's
 * @p i_param supports it (R-MAC needs i 0x20, R-ENC needs i 0x40).
 * @return 0, UCB_ERR_ARG (level not allowed) or UCB_ERR_UNSUPPORTED.
 */
int ucb_scp03_level_check(uint8_t level, uint8_t i_param);

/**
 * Amd D 4.1.5 KDF (NIST SP 800-108 counter mode, PRF AES-CMAC): for
 * i = 1.. the CMAC of `00 x11 || constant || 00 || L (2 bytes) || i ||
 * ctx1 || ctx2`, concatenated and cut to @p l_bits / 8 bytes into @p out.
 * @p l_bits: a multiple of 8, 8..256.
 * @return 0, UCB_ERR_ARG or a crypto error (then @p out is zeroed).
 */
int ucb_scp03_kdf(const uint8_t *key, size_t key_len, uint8_t constant, uint16_t l_bits,
                  const uint8_t *ctx1, size_t len1, const uint8_t *ctx2, size_t len2,
                  uint8_t *out);

/**
 * Derive S-ENC, S-MAC and S-RMAC of @p s from the static keys and the two
 * challenges (Amd D 6.2.1), and set s->key_len. @return 0 or an error
 * (then the session keys are wiped).
 */
int ucb_scp03_derive(struct ucb_scp03 *s, const struct ucb_scp03_keys *keys,
                     const uint8_t host_challenge[8], const uint8_t card_challenge[8]);

/**
 * Card (constant 00) or host (01) cryptogram from s->s_mac (Amd D 6.2.2.2-3).
 */
int ucb_scp03_cryptogram(const struct ucb_scp03 *s, uint8_t constant,
                         const uint8_t host_challenge[8], const uint8_t card_challenge[8],
                         uint8_t out[8]);

#endif /* UCB_SCP03_INT_H */
