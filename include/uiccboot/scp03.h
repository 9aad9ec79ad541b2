/**
 * @file scp03.h
 * @brief GlobalPlatform SCP03 secure channel, host side (LwM2M Core Appendix H).
 *
 * GlobalPlatform Card Specification Amendment D: INITIALIZE UPDATE, the card
 * cryptogram checked in constant time before EXTERNAL AUTHENTICATE is sent,
 * session keys from the Amendment D KDF (NIST SP 800-108 counter mode with
 * AES-CMAC), then secure messaging on every command of the session's
 * logical channel: C-MAC chaining, C-DECRYPTION with the counter ICV, R-MAC
 * verified in constant time before any response byte is used, R-ENC
 * decrypted with the `80 || counter` ICV and a strict padding check.
 *
 * A session that fails (a MAC that does not verify, a malformed response,
 * a card reset or removal) is wiped at once and stays installed in the
 * engine in a failed state: every later command on its channel fails with
 * UCB_ERR_SCP_PROTOCOL until ucb_scp03_close(). Nothing ever falls back to
 * plain text on its own.
 *
 * Under R-MAC, every success or warning status word (9000, 91xx, 92xx,
 * 62xx, 63xx) must carry a valid R-MAC; an error status word is passed on
 * alone (it carries no MAC, Amd D 6.2.5), and one that comes with data
 * fails the session. Wrapped commands ask for Le = 00: when the card
 * answers more than the plain command's Le, the caller gets the first Le
 * bytes of the verified data with the card's status word.
 *
 * Crypto goes through one internal interface (apdu/ucb_crypto.h),
 * implemented on Mbed TLS (2.28 and 3.x public API only); a port may supply
 * its own implementation file (meson -Dcrypto=none).
 */
#ifndef UCB_SCP03_H
#define UCB_SCP03_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Security level bits (EXTERNAL AUTHENTICATE P1, Amd D 7.1.2.1). */
#define UCB_SCP03_C_MAC 0x01u
#define UCB_SCP03_C_DEC 0x02u
#define UCB_SCP03_R_MAC 0x10u
#define UCB_SCP03_R_ENC 0x20u
/** LwM2M Core Appendix H: C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION. */
#define UCB_SCP03_LEVEL_DEFAULT 0x33u

/* i-parameter bits (Amd D 5.1). */
#define UCB_SCP03_I_PSEUDO_RANDOM 0x10u /**< card challenge is pseudo-random */
#define UCB_SCP03_I_R_MAC 0x20u         /**< R-MAC supported */
#define UCB_SCP03_I_R_ENC 0x40u         /**< R-ENC supported */

/** Largest static key: AES-256. */
#define UCB_SCP03_KEY_MAX 32u

/**
 * Static keys of one key set (Key-ENC, Key-MAC, Key-DEK), all of @c len
 * bytes (16, 24 or 32). Owned by the caller, who wipes them; the session
 * keeps only the session keys it derives.
 */
struct ucb_scp03_keys {
    uint8_t enc[UCB_SCP03_KEY_MAX];
    uint8_t mac[UCB_SCP03_KEY_MAX];
    uint8_t dek[UCB_SCP03_KEY_MAX];
    uint8_t len;   /**< 16, 24 or 32 */
    uint8_t kvn;   /**< key version number for INITIALIZE UPDATE P1; 0 = first available */
};

/**
 * Random bytes for the host challenge. @return 0 or a negative error.
 * Tests inject a fixed challenge through this.
 */
typedef int (*ucb_random_fn)(void *ctx, uint8_t *out, size_t len);

/** How a session is set up. */
struct ucb_scp03_config {
    const struct ucb_scp03_keys *keys;
    uint8_t level;            /**< UCB_SCP03_* bits; 0 means UCB_SCP03_LEVEL_DEFAULT.
                                   Allowed: 01, 03, 11, 13, 33. */
    const uint8_t *sd_aid;    /**< AID of the security domain (the selected
                                   application), for checking a pseudo-random
                                   card challenge; may be NULL when the card
                                   does not use one */
    size_t sd_aid_len;
    ucb_random_fn random;     /**< NULL: ucb_scp03_random_default() */
    void *random_ctx;
};

/** What the card said in INITIALIZE UPDATE. */
struct ucb_scp03_info {
    uint8_t kvn;              /**< key version the card used */
    uint8_t i_param;          /**< its i-parameter */
    uint8_t level;            /**< level in force after EXTERNAL AUTHENTICATE */
    bool pseudo_random;       /**< the card challenge was pseudo-random and checked */
    uint32_t sequence;        /**< sequence counter (pseudo-random mode) */
    uint8_t diversification[10];
};

/**
 * Session state. Caller-allocated; every field is private. Holds the
 * session keys, the MAC chaining value and the command counter.
 */
struct ucb_scp03 {
    struct ucb_sm sm;                      /**< the hook installed in the engine */
    struct ucb_apdu *engine;
    uint8_t s_enc[UCB_SCP03_KEY_MAX];
    uint8_t s_mac[UCB_SCP03_KEY_MAX];
    uint8_t s_rmac[UCB_SCP03_KEY_MAX];
    uint8_t key_len;
    uint8_t chain[16];                     /**< MAC chaining value */
    uint32_t counter;                      /**< encryption counter */
    uint16_t ne;                           /**< Le of the plain command in flight */
    uint8_t level;
    uint8_t state;                         /**< closed, open, failed */
    uint8_t buf[UCB_APDU_MAX_LC];          /**< wrapped command data */
};

/** Initialise to the closed state. Cannot fail. */
UCB_API void ucb_scp03_init(struct ucb_scp03 *s);

/**
 * Open a session on the engine's current logical channel, with the
 * application that is to be protected already selected on it (Appendix H:
 * select, then authenticate). Sends INITIALIZE UPDATE (CLA 80 + channel,
 * P1 = keys->kvn) and, only after the card cryptogram verified,
 * EXTERNAL AUTHENTICATE at the configured level; then installs the hook in
 * @p a (a->sm). @p s must have been through ucb_scp03_init(); a session
 * still open in it is closed first. The engine must outlive the session
 * (close the session before the engine goes away).
 *
 * @param out_info  may be NULL.
 * @param out_sw    last status word, may be NULL.
 * @return 0; UCB_ERR_SCP_AUTH (card cryptogram mismatch: EXTERNAL
 *         AUTHENTICATE not sent; or 6300 to EXTERNAL AUTHENTICATE);
 *         UCB_ERR_UNSUPPORTED (the card answers with an S16 response, a key
 *         set that is not SCP03, or an i-parameter without the R-MAC/R-ENC
 *         the level needs: no downgrade); UCB_ERR_SCP_PROTOCOL (malformed
 *         INITIALIZE UPDATE response, pseudo-random challenge that does not
 *         match its sequence counter and AID); UCB_ERR_ARG (bad keys or
 *         level, or a pseudo-random card challenge while cfg->sd_aid is
 *         NULL: it cannot be checked, so it is not accepted);
 *         UCB_ERR_STATE (another session's hook is installed in @p a: one
 *         engine carries one session); a card error for other status words
 *         (6A88: no such key set); a transport error. On every failure the
 *         session is wiped and nothing is installed.
 */
UCB_API int ucb_scp03_open(struct ucb_scp03 *s, struct ucb_apdu *a,
                           const struct ucb_scp03_config *cfg, struct ucb_scp03_info *out_info,
                           uint16_t *out_sw);

/** True while the session is open and has not failed. */
UCB_API bool ucb_scp03_active(const struct ucb_scp03 *s);

/**
 * Remove the hook from its engine and wipe the session keys, chaining value
 * and buffers. Accepts NULL; may be called twice.
 */
UCB_API void ucb_scp03_close(struct ucb_scp03 *s);

/**
 * The default random source, ucb_crypto_random() of the crypto backend:
 * with -Dcrypto=mbedtls an Mbed TLS CTR_DRBG seeded from its entropy
 * collector on first use (static state: not thread-safe, serialise calls
 * or pass your own ucb_random_fn); with -Dcrypto=none the port's
 * implementation. @p ctx is unused.
 */
UCB_API int ucb_scp03_random_default(void *ctx, uint8_t *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* UCB_SCP03_H */
