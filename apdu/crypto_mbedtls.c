/*
 * The crypto interface of apdu/ucb_crypto.h on Mbed TLS, public API only
 * (functions present in both 2.28 and 3.x; no struct field is touched).
 *
 * AES-CMAC is computed here over the AES block function (NIST SP 800-38B
 * 6.1-6.2) rather than through mbedtls_cipher_cmac_*: the cipher layer
 * allocates its context on the heap, this file never allocates, and the
 * streaming over several parts (ucb_crypto_part) falls out naturally.
 *
 * Thread safety: every function except ucb_crypto_random() keeps its state
 * on the stack and may be called from several threads at once.
 * ucb_crypto_random() holds one CTR_DRBG and one entropy context in static
 * storage, seeded on first use; callers from several threads must serialise
 * it (or supply their own ucb_random_fn to ucb_scp03_open()).
 */
#include <string.h>

/* Compiled without src/ucb_poison.h (see src/meson.build): Mbed TLS built
 * with MBEDTLS_THREADING_C, as Debian's is, includes <stdlib.h> from its
 * headers. This file calls nothing from it and never allocates. */
#include <mbedtls/aes.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "ucb_crypto.h"
#include "uiccboot/err.h"

void ucb_crypto_wipe(void *p, size_t len)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (len--) *v++ = 0;
}

int ucb_crypto_memcmp_ct(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *x = (const volatile uint8_t *)a;
    const volatile uint8_t *y = (const volatile uint8_t *)b;
    uint8_t diff = 0;
    for (size_t i = 0; i < len; i++) diff |= (uint8_t)(x[i] ^ y[i]);
    return diff != 0;
}

static int key_ok(const uint8_t *key, size_t key_len)
{
    return key != NULL && (key_len == 16u || key_len == 24u || key_len == 32u);
}

/* An AES context keyed for encryption or decryption; freed (and wiped by
 * Mbed TLS) by the caller with mbedtls_aes_free(). */
static int setup(mbedtls_aes_context *ctx, const uint8_t *key, size_t key_len, int encrypt)
{
    mbedtls_aes_init(ctx);
    unsigned bits = (unsigned)key_len * 8u;
    int rc = encrypt ? mbedtls_aes_setkey_enc(ctx, key, bits)
                     : mbedtls_aes_setkey_dec(ctx, key, bits);
    return rc == 0 ? 0 : UCB_ERR_SCP_CRYPTO;
}

int ucb_crypto_aes_ecb_encrypt(const uint8_t *key, size_t key_len, const uint8_t in[16],
                               uint8_t out[16])
{
    if (!key_ok(key, key_len) || in == NULL || out == NULL) return UCB_ERR_ARG;
    mbedtls_aes_context ctx;
    int rc = setup(&ctx, key, key_len, 1);
    if (rc == 0 && mbedtls_aes_crypt_ecb(&ctx, MBEDTLS_AES_ENCRYPT, in, out) != 0)
        rc = UCB_ERR_SCP_CRYPTO;
    mbedtls_aes_free(&ctx);
    return rc;
}

static int cbc(const uint8_t *key, size_t key_len, const uint8_t iv[16], const uint8_t *in,
               size_t len, uint8_t *out, int encrypt)
{
    if (!key_ok(key, key_len) || iv == NULL || (len % 16u) != 0u) return UCB_ERR_ARG;
    if (len == 0u) return 0;
    if (in == NULL || out == NULL) return UCB_ERR_ARG;
    /* mbedtls_aes_crypt_cbc() updates the IV in place: work on a copy. */
    uint8_t v[16];
    memcpy(v, iv, sizeof v);
    mbedtls_aes_context ctx;
    int rc = setup(&ctx, key, key_len, encrypt);
    if (rc == 0 &&
        mbedtls_aes_crypt_cbc(&ctx, encrypt ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT, len, v,
                              in, out) != 0)
        rc = UCB_ERR_SCP_CRYPTO;
    mbedtls_aes_free(&ctx);
    ucb_crypto_wipe(v, sizeof v);
    return rc;
}

int ucb_crypto_aes_cbc_encrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                               const uint8_t *in, size_t len, uint8_t *out)
{
    return cbc(key, key_len, iv, in, len, out, 1);
}

int ucb_crypto_aes_cbc_decrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                               const uint8_t *in, size_t len, uint8_t *out)
{
    return cbc(key, key_len, iv, in, len, out, 0);
}

/* SP 800-38B 6.1: doubling in GF(2^128), Rb = 0x87. */
static void dbl(const uint8_t in[16], uint8_t out[16])
{
    uint8_t carry = (uint8_t)(in[0] >> 7);
    for (size_t i = 0; i < 15u; i++) out[i] = (uint8_t)((in[i] << 1) | (in[i + 1u] >> 7));
    out[15] = (uint8_t)(in[15] << 1);
    /* constant time: no branch on the secret top bit */
    out[15] ^= (uint8_t)(0x87u & (uint8_t)(0u - carry));
}

int ucb_crypto_aes_cmac(const uint8_t *key, size_t key_len, const struct ucb_crypto_part *parts,
                        size_t n, uint8_t out[16])
{
    if (!key_ok(key, key_len) || out == NULL || (parts == NULL && n > 0u)) return UCB_ERR_ARG;
    for (size_t i = 0; i < n; i++)
        if (parts[i].data == NULL && parts[i].len > 0u) return UCB_ERR_ARG;

    mbedtls_aes_context ctx;
    uint8_t x[16] = {0};   /* running CBC-MAC state */
    uint8_t blk[16];       /* pending input, processed once more input follows */
    uint8_t k[16];         /* subkey */
    uint8_t l[16] = {0};   /* L = AES(K, 0^128), then scratch */
    size_t fill = 0;
    int rc = setup(&ctx, key, key_len, 1);
    if (rc) goto out;

    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = parts[i].data;
        size_t len = parts[i].len;
        while (len > 0u) {
            /* SP 800-38B 6.2 step 5-6: a full block is chained only when more
             * input follows it; the last block gets the subkey. */
            if (fill == 16u) {
                for (size_t j = 0; j < 16u; j++) x[j] ^= blk[j];
                if (mbedtls_aes_crypt_ecb(&ctx, MBEDTLS_AES_ENCRYPT, x, x) != 0) {
                    rc = UCB_ERR_SCP_CRYPTO;
                    goto out;
                }
                fill = 0;
            }
            size_t take = 16u - fill < len ? 16u - fill : len;
            memcpy(blk + fill, p, take);
            fill += take;
            p += take;
            len -= take;
        }
    }

    /* SP 800-38B 6.1: L = AES(K, 0^128), K1 = dbl(L), K2 = dbl(K1). */
    if (mbedtls_aes_crypt_ecb(&ctx, MBEDTLS_AES_ENCRYPT, l, l) != 0) {
        rc = UCB_ERR_SCP_CRYPTO;
        goto out;
    }
    dbl(l, k);
    if (fill < 16u) {
        /* incomplete (or empty) last block: 10* padding and K2 */
        dbl(k, l);
        memcpy(k, l, sizeof k);
        blk[fill] = 0x80;
        memset(blk + fill + 1u, 0, 16u - fill - 1u);
    }
    for (size_t j = 0; j < 16u; j++) x[j] ^= (uint8_t)(blk[j] ^ k[j]);
    if (mbedtls_aes_crypt_ecb(&ctx, MBEDTLS_AES_ENCRYPT, x, out) != 0) rc = UCB_ERR_SCP_CRYPTO;

out:
    mbedtls_aes_free(&ctx);
    ucb_crypto_wipe(x, sizeof x);
    ucb_crypto_wipe(blk, sizeof blk);
    ucb_crypto_wipe(k, sizeof k);
    ucb_crypto_wipe(l, sizeof l);
    if (rc) ucb_crypto_wipe(out, 16);
    return rc;
}

/* The default generator: one CTR_DRBG (NIST SP 800-90A, AES-256) seeded from
 * Mbed TLS's entropy collector on first use; it reseeds itself at its reseed
 * interval. Not thread-safe (see the file comment). */
static mbedtls_entropy_context g_entropy;
static mbedtls_ctr_drbg_context g_drbg;
static int g_seeded;

int ucb_crypto_random(uint8_t *out, size_t len)
{
    if (out == NULL && len > 0u) return UCB_ERR_ARG;
    if (!g_seeded) {
        static const unsigned char pers[] = "uiccboot scp03 host challenge";
        mbedtls_entropy_init(&g_entropy);
        mbedtls_ctr_drbg_init(&g_drbg);
        if (mbedtls_ctr_drbg_seed(&g_drbg, mbedtls_entropy_func, &g_entropy, pers,
                                  sizeof pers - 1u) != 0) {
            /* leave nothing half-seeded; the next call tries again */
            mbedtls_ctr_drbg_free(&g_drbg);
            mbedtls_entropy_free(&g_entropy);
            return UCB_ERR_SCP_CRYPTO;
        }
        g_seeded = 1;
    }
    while (len > 0u) {
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        if (mbedtls_ctr_drbg_random(&g_drbg, out, n) != 0) return UCB_ERR_SCP_CRYPTO;
        out += n;
        len -= n;
    }
    return 0;
}
