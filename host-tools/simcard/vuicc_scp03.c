/*
 * Card side of GlobalPlatform SCP03 (Card Spec Amendment D) for the
 * virtual UICC, in S8 mode: the Amendment D KDF, cryptograms, C-MAC
 * verification, C-DECRYPTION, R-MAC and R-ENCRYPTION (spec-notes 3).
 *
 * Written on Mbed TLS directly (AES, one-shot CMAC, CTR_DRBG; public
 * functions present in 2.28 and 3.x), deliberately not through the
 * library's crypto interface, so that this card and the host side in
 * apdu/scp03.c are independent implementations that check each other.
 * Host-side test equipment: mbedtls_cipher_cmac() may allocate inside
 * Mbed TLS, which is fine here.
 *
 * Secrets: session keys live in struct vscp_session and are wiped by
 * vscp_session_wipe(); every local copy of key material or plain text is
 * wiped before return. Cryptograms and MACs are compared in constant time.
 */
#include "vuicc_scp03.h"

#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>

#define SW_OK 0x9000u
#define SW_WRONG_LENGTH 0x6700u
#define SW_AUTH_FAILED 0x6300u
#define SW_BAD_P1P2 0x6A86u
#define SW_TECHNICAL 0x6F00u

/* Amd D 4.1.5 derivation constants. */
#define DDC_CARD_CRYPTOGRAM 0x00u
#define DDC_HOST_CRYPTOGRAM 0x01u
#define DDC_CARD_CHALLENGE 0x02u
#define DDC_S_ENC 0x04u
#define DDC_S_MAC 0x06u
#define DDC_S_RMAC 0x07u

void vscp_wipe(void *p, size_t n)
{
    if (p && n) mbedtls_platform_zeroize(p, n);
}

void vscp_session_wipe(struct vscp_session *s)
{
    if (s) vscp_wipe(s, sizeof *s);
}

/* ------------------------------------------------------------ primitives */

static bool key_len_ok(size_t n)
{
    return n == 16 || n == 24 || n == 32;
}

/* Constant-time comparison: the time does not depend on where they differ. */
static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++) d |= (uint8_t)(a[i] ^ b[i]);
    return d == 0;
}

/* Full 16-byte AES-CMAC (NIST SP 800-38B). */
static int cmac(const uint8_t *key, size_t key_len, const uint8_t *in, size_t n,
                uint8_t out[16])
{
    mbedtls_cipher_type_t t = key_len == 16   ? MBEDTLS_CIPHER_AES_128_ECB
                              : key_len == 24 ? MBEDTLS_CIPHER_AES_192_ECB
                                              : MBEDTLS_CIPHER_AES_256_ECB;
    const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(t);
    if (!info || !key_len_ok(key_len)) return -1;
    return mbedtls_cipher_cmac(info, key, key_len * 8u, in, n, out) == 0 ? 0 : -1;
}

static int aes_block(const uint8_t *key, size_t key_len, const uint8_t in[16], uint8_t out[16])
{
    mbedtls_aes_context ctx;
    mbedtls_aes_init(&ctx);
    int r = mbedtls_aes_setkey_enc(&ctx, key, (unsigned)(key_len * 8u));
    if (r == 0) r = mbedtls_aes_crypt_ecb(&ctx, MBEDTLS_AES_ENCRYPT, in, out);
    mbedtls_aes_free(&ctx);
    return r == 0 ? 0 : -1;
}

/* AES-CBC over @p n bytes (a multiple of 16) in place, from @p icv. */
static int aes_cbc(const uint8_t *key, size_t key_len, bool encrypt, const uint8_t icv[16],
                   uint8_t *buf, size_t n)
{
    mbedtls_aes_context ctx;
    uint8_t iv[16];
    memcpy(iv, icv, sizeof iv);
    mbedtls_aes_init(&ctx);
    int r = encrypt ? mbedtls_aes_setkey_enc(&ctx, key, (unsigned)(key_len * 8u))
                    : mbedtls_aes_setkey_dec(&ctx, key, (unsigned)(key_len * 8u));
    if (r == 0)
        r = mbedtls_aes_crypt_cbc(&ctx, encrypt ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT, n,
                                  iv, buf, buf);
    mbedtls_aes_free(&ctx);
    vscp_wipe(iv, sizeof iv);
    return r == 0 ? 0 : -1;
}

int vscp_random(uint8_t *out, size_t n)
{
    /* One generator for the process: this is test equipment, single threaded. */
    static mbedtls_entropy_context entropy;
    static mbedtls_ctr_drbg_context drbg;
    static bool seeded;
    static const char pers[] = "uiccboot vuicc scp03";
    if (!seeded) {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                  (const unsigned char *)pers, sizeof pers - 1) != 0) {
            mbedtls_ctr_drbg_free(&drbg);
            mbedtls_entropy_free(&entropy);
            return -1;
        }
        seeded = true;
    }
    return mbedtls_ctr_drbg_random(&drbg, out, n) == 0 ? 0 : -1;
}

/*
 * Amd D 4.1.5: NIST SP 800-108 counter mode with PRF = AES-CMAC, input
 * block per 16-byte chunk i = label (11 zero bytes || constant) || 00 ||
 * L (2 bytes, bits, big-endian) || i || context.
 */
int vscp_kdf(const uint8_t *key, size_t key_len, uint8_t constant, const uint8_t *context,
             size_t context_len, uint8_t *out, size_t out_len)
{
    uint8_t in[16 + 32], block[16];
    if (out_len == 0 || out_len > 32 || context_len > 32 || !key_len_ok(key_len)) return -1;
    size_t bits = out_len * 8u;
    memset(in, 0, 11);
    in[11] = constant;
    in[12] = 0x00;
    in[13] = (uint8_t)(bits >> 8);
    in[14] = (uint8_t)bits;
    if (context_len) memcpy(in + 16, context, context_len);
    int r = 0;
    for (size_t done = 0, i = 1; done < out_len && r == 0; i++) {
        in[15] = (uint8_t)i;
        r = cmac(key, key_len, in, 16 + context_len, block);
        size_t take = out_len - done < 16 ? out_len - done : 16;
        memcpy(out + done, block, take);
        done += take;
    }
    vscp_wipe(block, sizeof block);
    vscp_wipe(in, sizeof in);
    return r;
}

/* ISO/IEC 9797-1 method 2: 80 then zeros up to the next multiple of 16,
 * always at least one byte. Returns the padded length. */
static size_t pad(uint8_t *buf, size_t n)
{
    buf[n++] = 0x80;
    while (n % 16 != 0) buf[n++] = 0x00;
    return n;
}

/* Strict method 2 unpadding of a decrypted field: trailing zeros within the
 * last block, then 80. Returns the plain length or -1. Branches depend on
 * the padding only, which the MAC already authenticated. */
static long unpad(const uint8_t *buf, size_t n)
{
    if (n == 0 || n % 16 != 0) return -1;
    size_t i = n;
    while (i > 0 && n - i < 16 && buf[i - 1] == 0x00) i--;
    if (i == 0 || n - i >= 16 || buf[i - 1] != 0x80) return -1;
    return (long)(i - 1);
}

/* ------------------------------------------------------------- handshake */

size_t vscp_initialize_update(const struct vuicc_scp03_keys *k, const uint8_t *sd_aid,
                              size_t sd_aid_len, uint32_t seq, const uint8_t *card_ch,
                              const uint8_t host_ch[8], struct vscp_session *s,
                              uint8_t out[VSCP_IU_RESP_MAX])
{
    uint8_t ctx[16 + 3], ch[8], card_cg[8];
    size_t n = 0;
    bool pseudo = (k->i_param & VSCP_I_PSEUDO) != 0;
    int r = 0;

    vscp_session_wipe(s);
    if (!key_len_ok(k->len) || sd_aid_len > 16) return 0;
    if (card_ch) {
        memcpy(ch, card_ch, sizeof ch);
    } else if (pseudo) {
        /* Amd D 6.2.2.1: card challenge = KDF(Key-ENC, 02, 64, seq || SD AID). */
        ctx[0] = (uint8_t)(seq >> 16);
        ctx[1] = (uint8_t)(seq >> 8);
        ctx[2] = (uint8_t)seq;
        memcpy(ctx + 3, sd_aid, sd_aid_len);
        r = vscp_kdf(k->enc, k->len, DDC_CARD_CHALLENGE, ctx, 3 + sd_aid_len, ch, sizeof ch);
    } else {
        r = vscp_random(ch, sizeof ch);
    }
    /* Session keys and cryptograms: context = host challenge || card challenge. */
    memcpy(ctx, host_ch, 8);
    memcpy(ctx + 8, ch, 8);
    s->key_len = k->len;
    if (r == 0) r = vscp_kdf(k->enc, k->len, DDC_S_ENC, ctx, 16, s->s_enc, k->len);
    if (r == 0) r = vscp_kdf(k->mac, k->len, DDC_S_MAC, ctx, 16, s->s_mac, k->len);
    if (r == 0) r = vscp_kdf(k->mac, k->len, DDC_S_RMAC, ctx, 16, s->s_rmac, k->len);
    if (r == 0) r = vscp_kdf(s->s_mac, k->len, DDC_CARD_CRYPTOGRAM, ctx, 16, card_cg, 8);
    if (r == 0) r = vscp_kdf(s->s_mac, k->len, DDC_HOST_CRYPTOGRAM, ctx, 16, s->host_cg, 8);
    vscp_wipe(ctx, sizeof ctx);
    if (r != 0) {
        vscp_session_wipe(s);
        return 0;
    }
    s->state = VSCP_PENDING;

    /* Amd D 7.1.1.3: diversification data || key information || card
     * challenge || card cryptogram [|| sequence counter]. */
    memcpy(out, k->diversification, 10);
    n = 10;
    out[n++] = k->kvn;
    out[n++] = 0x03; /* SCP identifier */
    out[n++] = k->i_param;
    memcpy(out + n, ch, 8);
    n += 8;
    memcpy(out + n, card_cg, 8);
    n += 8;
    if (pseudo) {
        out[n++] = (uint8_t)(seq >> 16);
        out[n++] = (uint8_t)(seq >> 8);
        out[n++] = (uint8_t)seq;
    }
    vscp_wipe(card_cg, sizeof card_cg);
    return n;
}

/* The security levels Amd D 7.1.2.1 allows (00 refused: see docs/simcard.md). */
static bool level_allowed(uint8_t level, uint8_t i_param)
{
    if (level != 0x01 && level != 0x03 && level != 0x11 && level != 0x13 && level != 0x33)
        return false;
    if ((level & VSCP_R_MAC) && !(i_param & VSCP_I_R_MAC)) return false;
    if ((level & VSCP_R_ENC) && !(i_param & VSCP_I_R_ENC)) return false;
    return true;
}

uint16_t vscp_external_authenticate(struct vscp_session *s, uint8_t i_param, uint8_t mac_cla,
                                    uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
                                    bool has_le)
{
    uint8_t in[16 + 5 + 8], mac[16];
    if (lc != 16 || has_le) {
        vscp_session_wipe(s);
        return SW_WRONG_LENGTH;
    }
    if (p2 != 0x00 || !level_allowed(p1, i_param)) {
        vscp_session_wipe(s);
        return SW_BAD_P1P2;
    }
    /* Amd D 6.2.4: the first C-MAC chains from 16 zero bytes. */
    memset(in, 0, 16);
    in[16] = mac_cla;
    in[17] = 0x82;
    in[18] = p1;
    in[19] = p2;
    in[20] = 0x10;
    memcpy(in + 21, data, 8);
    if (cmac(s->s_mac, s->key_len, in, sizeof in, mac) != 0) {
        vscp_session_wipe(s);
        return SW_TECHNICAL;
    }
    /* Both checks always run, so the answer's timing does not say which failed. */
    bool ok_cg = same(data, s->host_cg, 8);
    bool ok_mac = same(data + 8, mac, 8);
    if (!(ok_cg & ok_mac)) {
        vscp_wipe(mac, sizeof mac);
        vscp_session_wipe(s);
        return SW_AUTH_FAILED;
    }
    memcpy(s->chain, mac, 16);
    vscp_wipe(mac, sizeof mac);
    vscp_wipe(s->host_cg, sizeof s->host_cg);
    s->counter = 0;
    s->level = p1;
    s->state = VSCP_OPEN;
    return SW_OK;
}

/* ------------------------------------------------------- secure messaging */

/* ICV of a command (C-DEC: counter as 16 bytes) or a response (R-ENC: 80,
 * then the counter in the remaining 15 bytes). Amd D 6.2.6 / 6.2.7. */
static int icv(const struct vscp_session *s, bool response, uint8_t out[16])
{
    uint8_t block[16];
    memset(block, 0, sizeof block);
    if (response) block[0] = 0x80;
    block[12] = (uint8_t)(s->counter >> 24);
    block[13] = (uint8_t)(s->counter >> 16);
    block[14] = (uint8_t)(s->counter >> 8);
    block[15] = (uint8_t)s->counter;
    return aes_block(s->s_enc, s->key_len, block, out);
}

int vscp_unwrap(struct vscp_session *s, uint8_t mac_cla, const uint8_t hdr[4],
                const uint8_t *data, size_t lc, uint8_t *plain, size_t *plain_len)
{
    uint8_t in[16 + 5 + 255], mac[16], iv[16];
    int r = -1;
    if (s->state != VSCP_OPEN || !(s->level & VSCP_C_MAC) || lc < 8 || lc > 255) return -1;
    size_t body = lc - 8;

    /* Amd D 6.2.4: C-MAC = CMAC(S-MAC, chain || CLA' INS P1 P2 Lc' || data),
     * Lc' counting the MAC itself. */
    memcpy(in, s->chain, 16);
    in[16] = mac_cla;
    in[17] = hdr[1];
    in[18] = hdr[2];
    in[19] = hdr[3];
    in[20] = (uint8_t)lc;
    memcpy(in + 21, data, body);
    if (cmac(s->s_mac, s->key_len, in, 21 + body, mac) != 0) goto out;
    if (!same(mac, data + body, 8)) goto out;
    if (s->counter == UINT32_MAX) goto out;

    if ((s->level & VSCP_C_DEC) && body > 0) {
        /* Amd D 6.2.6: the counter of this command, then AES-CBC from
         * ICV = AES(S-ENC, counter), and method 2 padding. */
        if (body % 16 != 0) goto out;
        memcpy(plain, data, body);
        s->counter++;
        if (icv(s, false, iv) != 0 || aes_cbc(s->s_enc, s->key_len, false, iv, plain, body) != 0) {
            s->counter--;
            goto out;
        }
        long n = unpad(plain, body);
        if (n < 0) {
            s->counter--;
            vscp_wipe(plain, body);
            goto out;
        }
        *plain_len = (size_t)n;
    } else {
        /* Amd D 6.2.6: the counter counts every command, with data or not. */
        s->counter++;
        if (body) memcpy(plain, data, body);
        *plain_len = body;
    }
    memcpy(s->chain, mac, 16);
    r = 0;
out:
    vscp_wipe(in, sizeof in);
    vscp_wipe(mac, sizeof mac);
    vscp_wipe(iv, sizeof iv);
    return r;
}

size_t vscp_max_response(const struct vscp_session *s)
{
    if (s->level & VSCP_R_ENC) return 239; /* 15 padded blocks + 8 = 248 */
    if (s->level & VSCP_R_MAC) return 248;
    return 256;
}

int vscp_wrap(const struct vscp_session *s, uint8_t *data, size_t *len, uint16_t sw)
{
    uint8_t in[16 + 256 + 2], mac[16], iv[16];
    int r = -1;
    bool ok_sw = sw == 0x9000u || (sw >> 8) == 0x62u || (sw >> 8) == 0x63u;
    if (!(s->level & VSCP_R_MAC)) return 0; /* plain response */
    if (!ok_sw) {
        /* Amd D 6.2.5: error status words carry neither data nor R-MAC. */
        vscp_wipe(data, *len);
        *len = 0;
        return 0;
    }
    size_t n = *len;
    if ((s->level & VSCP_R_ENC) && n > 0) {
        if (n > 239) goto out;
        n = pad(data, n);
        if (icv(s, true, iv) != 0 || aes_cbc(s->s_enc, s->key_len, true, iv, data, n) != 0)
            goto out;
    }
    if (n + 8 > 256) goto out;
    /* R-MAC = CMAC(S-RMAC, chain (this command's C-MAC) || data || SW)[0..8];
     * the chaining value itself is not changed by it. */
    memcpy(in, s->chain, 16);
    memcpy(in + 16, data, n);
    in[16 + n] = (uint8_t)(sw >> 8);
    in[17 + n] = (uint8_t)sw;
    if (cmac(s->s_rmac, s->key_len, in, 18 + n, mac) != 0) goto out;
    memcpy(data + n, mac, 8);
    *len = n + 8;
    r = 0;
out:
    vscp_wipe(in, sizeof in);
    vscp_wipe(mac, sizeof mac);
    vscp_wipe(iv, sizeof iv);
    return r;
}
