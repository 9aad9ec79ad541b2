/*
 * The one crypto interface of libuiccboot (internal). SCP03 uses nothing
 * else. apdu/crypto_mbedtls.c implements it on Mbed TLS through public
 * functions only, so it builds on Mbed TLS 2.28 (Debian 12) and 3.x; a port
 * builds with -Dcrypto=none and supplies its own file with these functions.
 *
 * Every function returns 0 or UCB_ERR_SCP_CRYPTO (UCB_ERR_ARG for a key
 * length other than 16, 24 or 32 or a length that is not a multiple of 16
 * where one is needed). Input and output may not overlap unless stated.
 * Implementations keep no key material after they return.
 */
#ifndef UCB_CRYPTO_H
#define UCB_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/** AES block encryption of one 16-byte block (ECB). @p in and @p out may be equal. */
int ucb_crypto_aes_ecb_encrypt(const uint8_t *key, size_t key_len, const uint8_t in[16],
                               uint8_t out[16]);

/** AES-CBC encryption of @p len bytes (a multiple of 16) with @p iv (not
 *  modified). @p in and @p out may be equal (in place), not otherwise overlap. */
int ucb_crypto_aes_cbc_encrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                               const uint8_t *in, size_t len, uint8_t *out);

/** AES-CBC decryption of @p len bytes (a multiple of 16) with @p iv (not
 *  modified). @p in and @p out may be equal (in place), not otherwise overlap. */
int ucb_crypto_aes_cbc_decrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                               const uint8_t *in, size_t len, uint8_t *out);

/** One piece of a CMAC input. */
struct ucb_crypto_part {
    const uint8_t *data;
    size_t len;
};

/**
 * AES-CMAC (NIST SP 800-38B) over the concatenation of @p n parts (parts
 * of length 0 allowed), full 16-byte tag into @p out.
 */
int ucb_crypto_aes_cmac(const uint8_t *key, size_t key_len, const struct ucb_crypto_part *parts,
                        size_t n, uint8_t out[16]);

/** @p len random bytes from a cryptographically secure generator. */
int ucb_crypto_random(uint8_t *out, size_t len);

/** Overwrite @p len bytes with zeros in a way the compiler cannot drop. */
void ucb_crypto_wipe(void *p, size_t len);

/**
 * Compare @p len bytes in constant time (no early exit).
 * @return 0 when equal, non-zero otherwise.
 */
int ucb_crypto_memcmp_ct(const void *a, const void *b, size_t len);

#endif /* UCB_CRYPTO_H */
