/*
 * GlobalPlatform SCP03, host side (Card Specification Amendment D v1.1),
 * as LwM2M Core Appendix H uses it: INITIALIZE UPDATE, card cryptogram,
 * EXTERNAL AUTHENTICATE, then secure messaging through the engine's hook
 * (struct ucb_sm) on the session's logical channel.
 *
 * Invariants, each enforced at one place below:
 *  - the card cryptogram is compared in constant time before EXTERNAL
 *    AUTHENTICATE is built; a mismatch sends nothing more;
 *  - no response byte (data or the status word of a success or warning)
 *    reaches the caller before its R-MAC verified in constant time;
 *  - any failure of the session wipes the session keys, chaining value and
 *    buffer and leaves the hook installed in the failed state, so later
 *    commands on its channel fail instead of going out in plain text.
 *
 * Crypto only through apdu/ucb_crypto.h.
 */
#include <string.h>

#include "scp03_int.h"
#include "ucb_crypto.h"
#include "uiccboot/err.h"

#define INS_INITIALIZE_UPDATE 0x50u
#define INS_EXTERNAL_AUTHENTICATE 0x82u

/* ------------------------------------------------------------------------ */
/* Parsing and key derivation                                                */

int ucb_scp03_iur_parse(const uint8_t *data, size_t len, uint8_t kvn, struct ucb_scp03_iur *out)
{
    if (out == NULL) return UCB_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (data == NULL && len > 0u) return UCB_ERR_ARG;
    /* Amd D 7.1.1.4 (S8): diversification data (10) || key information
     * (KVN, SCP id 03, i) || card challenge (8) || card cryptogram (8)
     * [|| sequence counter (3) with a pseudo-random challenge]. S16 mode
     * doubles challenge and cryptogram: 45 or 48 bytes. */
    if (len == 45u || len == 48u) return UCB_ERR_UNSUPPORTED;
    if (len != UCB_SCP03_IUR_LEN && len != UCB_SCP03_IUR_LEN_SEQ) return UCB_ERR_SCP_PROTOCOL;
    if (data[11] != 0x03u) return UCB_ERR_UNSUPPORTED; /* another SCP's key set */
    uint8_t i = data[12];
    /* i-parameter b1 set is S16 mode; b2-b4 and b8 are RFU: a card using
     * them speaks a variant this code does not know. */
    if (i & ~(UCB_SCP03_I_PSEUDO_RANDOM | UCB_SCP03_I_R_MAC | UCB_SCP03_I_R_ENC))
        return UCB_ERR_UNSUPPORTED;
    bool prc = (i & UCB_SCP03_I_PSEUDO_RANDOM) != 0u;
    if (len != (prc ? UCB_SCP03_IUR_LEN_SEQ : UCB_SCP03_IUR_LEN)) return UCB_ERR_SCP_PROTOCOL;
    /* P1 = 00 lets the card pick its first key set; otherwise it must have
     * used the one asked for. */
    if (kvn != 0u && data[10] != kvn) return UCB_ERR_SCP_PROTOCOL;

    memcpy(out->diversification, data, 10);
    out->kvn = data[10];
    out->i_param = i;
    memcpy(out->card_challenge, data + 13, 8);
    memcpy(out->card_cryptogram, data + 21, 8);
    out->pseudo_random = prc;
    if (prc) {
        memcpy(out->sequence_bytes, data + 29, 3);
        out->sequence = ((uint32_t)data[29] << 16) | ((uint32_t)data[30] << 8) | data[31];
    }
    return 0;
}

int ucb_scp03_level_check(uint8_t level, uint8_t i_param)
{
    /* Amd D 7.1.2.1 / spec-notes 3.1: the combinations a card accepts,
     * without 00 (no protection is not a secure channel). */
    switch (level) {
    case 0x01: case 0x03: case 0x11: case 0x13: case 0x33: break;
    default: return UCB_ERR_ARG;
    }
    /* Never downgrade: a level the card cannot do is refused outright. */
    if ((level & UCB_SCP03_R_MAC) && !(i_param & UCB_SCP03_I_R_MAC)) return UCB_ERR_UNSUPPORTED;
    if ((level & UCB_SCP03_R_ENC) && !(i_param & UCB_SCP03_I_R_ENC)) return UCB_ERR_UNSUPPORTED;
    return 0;
}

int ucb_scp03_kdf(const uint8_t *key, size_t key_len, uint8_t constant, uint16_t l_bits,
                  const uint8_t *ctx1, size_t len1, const uint8_t *ctx2, size_t len2,
                  uint8_t *out)
{
    if (out == NULL || l_bits == 0u || (l_bits & 7u) || l_bits > 256u) return UCB_ERR_ARG;
    /* Amd D 4.1.5: label (11 zero bytes and the derivation constant), a
     * zero separator, L in bits (2 bytes), the counter i (1 byte), then the
     * context. Note the field order differs from SP 800-108's own. */
    uint8_t head[16] = {0};
    head[11] = constant;
    head[13] = (uint8_t)(l_bits >> 8);
    head[14] = (uint8_t)l_bits;
    struct ucb_crypto_part parts[3] = {{head, 16}, {ctx1, len1}, {ctx2, len2}};
    size_t total = l_bits / 8u;
    int rc = 0;
    for (size_t done = 0; rc == 0 && done < total; done += 16u) {
        uint8_t block[16];
        head[15] = (uint8_t)(done / 16u + 1u);
        rc = ucb_crypto_aes_cmac(key, key_len, parts, 3, block);
        size_t n = total - done < 16u ? total - done : 16u;
        if (rc == 0) memcpy(out + done, block, n);
        ucb_crypto_wipe(block, sizeof block);
    }
    if (rc) ucb_crypto_wipe(out, total);
    return rc;
}

int ucb_scp03_derive(struct ucb_scp03 *s, const struct ucb_scp03_keys *keys,
                     const uint8_t host_challenge[8], const uint8_t card_challenge[8])
{
    if (s == NULL || keys == NULL) return UCB_ERR_ARG;
    size_t kl = keys->len;
    uint16_t bits = (uint16_t)(kl * 8u);
    /* Amd D 6.2.1: context host challenge || card challenge, L = key size. */
    int rc = ucb_scp03_kdf(keys->enc, kl, UCB_SCP03_DC_S_ENC, bits, host_challenge, 8,
                           card_challenge, 8, s->s_enc);
    if (rc == 0)
        rc = ucb_scp03_kdf(keys->mac, kl, UCB_SCP03_DC_S_MAC, bits, host_challenge, 8,
                           card_challenge, 8, s->s_mac);
    if (rc == 0)
        rc = ucb_scp03_kdf(keys->mac, kl, UCB_SCP03_DC_S_RMAC, bits, host_challenge, 8,
                           card_challenge, 8, s->s_rmac);
    if (rc) {
        ucb_crypto_wipe(s->s_enc, sizeof s->s_enc);
        ucb_crypto_wipe(s->s_mac, sizeof s->s_mac);
        ucb_crypto_wipe(s->s_rmac, sizeof s->s_rmac);
        return rc;
    }
    s->key_len = (uint8_t)kl;
    return 0;
}

int ucb_scp03_cryptogram(const struct ucb_scp03 *s, uint8_t constant,
                         const uint8_t host_challenge[8], const uint8_t card_challenge[8],
                         uint8_t out[8])
{
    if (s == NULL) return UCB_ERR_ARG;
    /* Amd D 6.2.2.2 / 6.2.2.3: S-MAC, L = 64, host || card challenge. */
    return ucb_scp03_kdf(s->s_mac, s->key_len, constant, 64, host_challenge, 8, card_challenge,
                         8, out);
}

/* ------------------------------------------------------------------------ */
/* Session state                                                              */

void ucb_scp03_init(struct ucb_scp03 *s)
{
    if (s == NULL) return;
    ucb_crypto_wipe(s, sizeof *s);
}

bool ucb_scp03_active(const struct ucb_scp03 *s)
{
    return s != NULL && s->state == UCB_SCP03_STATE_OPEN;
}

/* Every secret of the session: keys, chaining value, counter, buffer. */
static void wipe_secrets(struct ucb_scp03 *s)
{
    ucb_crypto_wipe(s->s_enc, sizeof s->s_enc);
    ucb_crypto_wipe(s->s_mac, sizeof s->s_mac);
    ucb_crypto_wipe(s->s_rmac, sizeof s->s_rmac);
    ucb_crypto_wipe(s->chain, sizeof s->chain);
    ucb_crypto_wipe(s->buf, sizeof s->buf);
    s->counter = 0;
    s->key_len = 0;
}

/* The session failed: wipe it and keep the hook installed so nothing on
 * its channel goes out unprotected until ucb_scp03_close(). */
static int fail(struct ucb_scp03 *s, int err)
{
    wipe_secrets(s);
    s->state = UCB_SCP03_STATE_FAILED;
    return err;
}

void ucb_scp03_close(struct ucb_scp03 *s)
{
    if (s == NULL) return;
    if (s->engine != NULL && s->engine->sm == &s->sm) s->engine->sm = NULL;
    ucb_crypto_wipe(s, sizeof *s);
}

int ucb_scp03_random_default(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    return ucb_crypto_random(out, len);
}

/* ------------------------------------------------------------------------ */
/* Secure messaging                                                           */

/*
 * C-MAC of one command (Amd D 6.2.4): CMAC(S-MAC, chaining value || CLA'
 * INS P1 P2 Lc' || data), which becomes the new chaining value; its first
 * 8 bytes go into @p mac8.
 */
static int c_mac(struct ucb_scp03 *s, const uint8_t hdr[5], const uint8_t *data, size_t len,
                 uint8_t mac8[8])
{
    struct ucb_crypto_part parts[3] = {{s->chain, 16}, {hdr, 5}, {data, len}};
    int rc = ucb_crypto_aes_cmac(s->s_mac, s->key_len, parts, 3, s->chain);
    if (rc == 0) memcpy(mac8, s->chain, 8);
    return rc;
}

/* ICV of C-DECRYPTION (Amd D 6.2.6): AES(S-ENC, counter as a 16-byte
 * big-endian block); R-ENCRYPTION (6.2.7) sets the first byte to 80. */
static int icv(const struct ucb_scp03 *s, uint8_t first, uint8_t out[16])
{
    uint8_t b[16] = {0};
    b[0] = first;
    b[12] = (uint8_t)(s->counter >> 24);
    b[13] = (uint8_t)(s->counter >> 16);
    b[14] = (uint8_t)(s->counter >> 8);
    b[15] = (uint8_t)s->counter;
    return ucb_crypto_aes_ecb_encrypt(s->s_enc, s->key_len, b, out);
}

static int wrap(void *ctx, const struct ucb_capdu *plain, struct ucb_capdu *out)
{
    struct ucb_scp03 *s = ctx;
    if (s == NULL || s->state != UCB_SCP03_STATE_OPEN) return UCB_ERR_SCP_PROTOCOL;
    if (plain == NULL || out == NULL || (plain->lc > 0u && plain->data == NULL))
        return UCB_ERR_ARG;
    /* A CLA that already announces secure messaging, or lengths that need
     * more than a short APDU once wrapped, are the caller's mistake; the
     * session goes on. */
    size_t max = (s->level & UCB_SCP03_C_DEC) ? UCB_SCP03_MAX_LC_CDEC : UCB_SCP03_MAX_LC_CMAC;
    if ((plain->cla & 0x0Cu) || plain->lc > max || plain->ne > UCB_APDU_MAX_NE)
        return UCB_ERR_ARG;
    if (s->counter == UINT32_MAX) return fail(s, UCB_ERR_SCP_PROTOCOL);

    /* Amd D 6.2.6: the counter advances for every command, with data or
     * without (the first command after EXTERNAL AUTHENTICATE uses 1). */
    s->counter++;
    size_t n = plain->lc;
    if (n > 0u) memcpy(s->buf, plain->data, n);
    int rc = 0;
    if ((s->level & UCB_SCP03_C_DEC) && n > 0u) {
        /* ISO 9797-1 method 2 padding, always at least one byte, then
         * AES-CBC under the counter ICV; encrypt first, MAC after. */
        size_t padded = (n / 16u + 1u) * 16u;
        s->buf[n] = 0x80;
        memset(s->buf + n + 1u, 0, padded - n - 1u);
        uint8_t iv[16];
        rc = icv(s, 0x00, iv);
        if (rc == 0)
            rc = ucb_crypto_aes_cbc_encrypt(s->s_enc, s->key_len, iv, s->buf, padded, s->buf);
        ucb_crypto_wipe(iv, sizeof iv);
        n = padded;
    }
    /* The MAC covers the channel-0 form of CLA with the SM indication
     * (b4-b3 = 01): the channel bits are the engine's and not MACed. */
    uint8_t cla = (uint8_t)((plain->cla & 0xF0u) | 0x04u);
    uint8_t hdr[5] = {cla, plain->ins, plain->p1, plain->p2, (uint8_t)(n + 8u)};
    if (rc == 0) rc = c_mac(s, hdr, s->buf, n, s->buf + n);
    if (rc) return fail(s, rc);

    out->cla = cla;
    out->ins = plain->ins;
    out->p1 = plain->p1;
    out->p2 = plain->p2;
    out->data = s->buf;
    out->lc = (uint16_t)(n + 8u);
    /* GP Amd D 6.2.4: a command that expects data asks for Le = 00. */
    out->ne = plain->ne > 0u ? UCB_APDU_MAX_NE : 0u;
    s->ne = (uint16_t)plain->ne;
    out->flags = (uint8_t)(plain->flags & ~UCB_CAPDU_NO_SM);
    return 0;
}

/* Status words that carry an R-MAC (Amd D 6.2.5): success and the
 * warnings 62xx/63xx. The TS 102 221 successes 91xx/92xx count as success
 * too: a MAC-less 91xx could otherwise cut a verified read short. */
static bool sw_has_rmac(uint16_t sw)
{
    uint8_t sw1 = (uint8_t)(sw >> 8);
    return sw1 == 0x90u || sw1 == 0x91u || sw1 == 0x92u || sw1 == 0x62u || sw1 == 0x63u;
}

static int unwrap(void *ctx, const uint8_t *data, size_t len, uint16_t sw, struct ucb_rapdu *out)
{
    struct ucb_scp03 *s = ctx;
    if (s == NULL || out == NULL || (data == NULL && len > 0u)) return UCB_ERR_ARG;
    /* The wrapped command (under C-MAC only, a PIN in clear) is no longer
     * needed. */
    ucb_crypto_wipe(s->buf, sizeof s->buf);
    if (s->state != UCB_SCP03_STATE_OPEN) return UCB_ERR_SCP_PROTOCOL;
    out->len = 0;
    out->sw = 0;

    if (!sw_has_rmac(sw)) {
        /* An error status word carries neither data nor MAC: it is passed
         * on as the only unauthenticated thing a session lets through. */
        if (len > 0u) return fail(s, UCB_ERR_SCP_PROTOCOL);
        out->sw = sw;
        return 0;
    }

    size_t n = len;
    if (s->level & UCB_SCP03_R_MAC) {
        /* Amd D 6.2.5: R-MAC = CMAC(S-RMAC, chaining value of this command
         * || data || SW1 SW2), first 8 bytes, checked before anything else. */
        if (len < 8u) return fail(s, UCB_ERR_SCP_MAC);
        n = len - 8u;
        uint8_t swb[2] = {(uint8_t)(sw >> 8), (uint8_t)sw};
        uint8_t mac[16];
        struct ucb_crypto_part parts[3] = {{s->chain, 16}, {data, n}, {swb, 2}};
        int rc = ucb_crypto_aes_cmac(s->s_rmac, s->key_len, parts, 3, mac);
        int bad = rc == 0 ? ucb_crypto_memcmp_ct(mac, data + n, 8) : 1;
        ucb_crypto_wipe(mac, sizeof mac);
        if (rc) return fail(s, rc);
        if (bad) return fail(s, UCB_ERR_SCP_MAC);
    }

    const uint8_t *plain = data;
    if ((s->level & UCB_SCP03_R_ENC) && n > 0u) {
        /* Amd D 6.2.7: AES-CBC with ICV = AES(S-ENC, 80 || counter), whole
         * blocks, ISO 9797-1 method 2 padding (empty data is sent as is). */
        if ((n % 16u) != 0u || n > sizeof s->buf) return fail(s, UCB_ERR_SCP_PROTOCOL);
        uint8_t iv[16];
        int rc = icv(s, 0x80, iv);
        if (rc == 0) rc = ucb_crypto_aes_cbc_decrypt(s->s_enc, s->key_len, iv, data, n, s->buf);
        ucb_crypto_wipe(iv, sizeof iv);
        if (rc) return fail(s, rc);
        /* The padding is 80 followed by zeros, 1..16 bytes, all in the last
         * block. The MAC already verified, so this is no padding oracle. */
        size_t p = n - 1u;
        while (p > n - 16u && s->buf[p] == 0x00u) p--;
        if (s->buf[p] != 0x80u) return fail(s, UCB_ERR_SCP_PROTOCOL);
        n = p;
        plain = s->buf;
    }

    /* The card saw Le = 00 and may answer more than the plain command asked
     * for (READ BINARY reads on to its own limit): the host applies the
     * plain Le to the verified data, as the card would have. */
    if (s->ne > 0u && n > s->ne) n = s->ne;
    if (n > out->cap) {
        /* Verified, only too big for the caller: the session is intact. */
        ucb_crypto_wipe(s->buf, sizeof s->buf);
        out->sw = sw;
        return UCB_ERR_BUFFER;
    }
    if (n > 0u) memcpy(out->data, plain, n);
    out->len = n;
    out->sw = sw;
    ucb_crypto_wipe(s->buf, sizeof s->buf);
    return 0;
}

static void drop(void *ctx)
{
    struct ucb_scp03 *s = ctx;
    if (s != NULL) (void)fail(s, 0);
}

/* ------------------------------------------------------------------------ */
/* Opening                                                                    */

static void put_sw(uint16_t *out_sw, uint16_t sw)
{
    if (out_sw) *out_sw = sw;
}

/* A status word other than 9000 as this module's error. */
static int sw_error(uint16_t sw)
{
    if (sw == 0x9000u) return 0;
    int rc = ucb_sw_class(sw);
    return rc < 0 ? rc : UCB_ERR_CARD_STATUS;
}

/* The exchanges of ucb_scp03_open(); @p host_ch, @p cg and @p iur are the
 * caller's so that it wipes them whatever the outcome. */
static int open_session(struct ucb_scp03 *s, struct ucb_apdu *a,
                        const struct ucb_scp03_config *cfg, uint8_t level,
                        struct ucb_scp03_info *out_info, uint16_t *out_sw, uint8_t host_ch[8],
                        uint8_t cg[8], struct ucb_scp03_iur *piur)
{
    const struct ucb_scp03_keys *keys = cfg->keys;
    ucb_random_fn rnd = cfg->random ? cfg->random : ucb_scp03_random_default;
    int rc = rnd(cfg->random_ctx, host_ch, 8);
    if (rc) return rc < 0 ? rc : UCB_ERR_SCP_CRYPTO;

    /* Amd D 7.1.1: INITIALIZE UPDATE, CLA 80 (the engine adds the channel,
     * LwM2M Appendix H note 1), P1 = KVN, host challenge, Le = 00. The
     * response lands in the session buffer: nothing secret is there yet. */
    struct ucb_capdu c = {0x80, INS_INITIALIZE_UPDATE, keys->kvn, 0x00, host_ch, 8,
                          UCB_APDU_MAX_NE, UCB_CAPDU_PROPRIETARY | UCB_CAPDU_NO_SM};
    struct ucb_rapdu r = {s->buf, sizeof s->buf, 0, 0};
    rc = ucb_apdu_transmit(a, &c, &r);
    put_sw(out_sw, r.sw);
    if (rc == UCB_ERR_BUFFER) return UCB_ERR_SCP_PROTOCOL;
    if (rc) return rc;
    rc = sw_error(r.sw);
    if (rc) return rc;
    rc = ucb_scp03_iur_parse(s->buf, r.len, keys->kvn, piur);
    if (rc) return rc;
    rc = ucb_scp03_level_check(level, piur->i_param);
    if (rc) return rc;

    if (piur->pseudo_random) {
        /* Amd D 6.2.2.1: a pseudo-random challenge is KDF(Key-ENC, 02,
         * sequence counter || SD AID); it can only be checked knowing the
         * AID, and is not taken unchecked. */
        if (cfg->sd_aid == NULL || cfg->sd_aid_len == 0u) return UCB_ERR_ARG;
        rc = ucb_scp03_kdf(keys->enc, keys->len, UCB_SCP03_DC_CARD_CHALLENGE, 64,
                           piur->sequence_bytes, 3, cfg->sd_aid, cfg->sd_aid_len, cg);
        if (rc) return rc;
        if (ucb_crypto_memcmp_ct(cg, piur->card_challenge, 8)) return UCB_ERR_SCP_PROTOCOL;
    }

    rc = ucb_scp03_derive(s, keys, host_ch, piur->card_challenge);
    if (rc) return rc;
    /* Amd D 6.2.2.2: the card proves it holds the keys before the host says
     * anything more. */
    rc = ucb_scp03_cryptogram(s, UCB_SCP03_DC_CARD_CRYPTOGRAM, host_ch, piur->card_challenge, cg);
    if (rc) return rc;
    if (ucb_crypto_memcmp_ct(cg, piur->card_cryptogram, 8)) return UCB_ERR_SCP_AUTH;

    /* Amd D 7.1.2: EXTERNAL AUTHENTICATE, CLA 84, P1 = level, host
     * cryptogram and its C-MAC from a zero chaining value; never encrypted. */
    uint8_t *ea = s->buf;
    rc = ucb_scp03_cryptogram(s, UCB_SCP03_DC_HOST_CRYPTOGRAM, host_ch, piur->card_challenge, ea);
    if (rc) return rc;
    uint8_t hdr[5] = {0x84, INS_EXTERNAL_AUTHENTICATE, level, 0x00, 0x10};
    memset(s->chain, 0, sizeof s->chain);
    rc = c_mac(s, hdr, ea, 8, ea + 8);
    if (rc) return rc;
    struct ucb_capdu e = {0x84, INS_EXTERNAL_AUTHENTICATE, level, 0x00, ea, 16, 0,
                          UCB_CAPDU_PROPRIETARY | UCB_CAPDU_NO_SM};
    struct ucb_rapdu er = {NULL, 0, 0, 0};
    rc = ucb_apdu_transmit(a, &e, &er);
    put_sw(out_sw, er.sw);
    if (rc == UCB_ERR_BUFFER) return UCB_ERR_SCP_PROTOCOL; /* data in the answer */
    if (rc) return rc;
    if (er.sw == 0x6300u) return UCB_ERR_SCP_AUTH; /* host cryptogram refused */
    rc = sw_error(er.sw);
    if (rc) return rc;

    s->engine = a;
    s->level = level;
    s->counter = 0;
    s->state = UCB_SCP03_STATE_OPEN;
    s->sm.wrap = wrap;
    s->sm.unwrap = unwrap;
    s->sm.drop = drop;
    s->sm.ctx = s;
    s->sm.channel = a->channel;
    s->sm.max_lc = (level & UCB_SCP03_C_DEC) ? UCB_SCP03_MAX_LC_CDEC : UCB_SCP03_MAX_LC_CMAC;
    s->sm.max_ne = (level & UCB_SCP03_R_ENC)   ? UCB_SCP03_MAX_NE_RENC
                   : (level & UCB_SCP03_R_MAC) ? UCB_SCP03_MAX_NE_RMAC
                                               : UCB_APDU_MAX_NE;
    ucb_crypto_wipe(s->buf, sizeof s->buf);
    a->sm = &s->sm;

    if (out_info) {
        out_info->kvn = piur->kvn;
        out_info->i_param = piur->i_param;
        out_info->level = level;
        out_info->pseudo_random = piur->pseudo_random;
        out_info->sequence = piur->sequence;
        memcpy(out_info->diversification, piur->diversification, sizeof piur->diversification);
    }
    return 0;
}

int ucb_scp03_open(struct ucb_scp03 *s, struct ucb_apdu *a, const struct ucb_scp03_config *cfg,
                   struct ucb_scp03_info *out_info, uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (out_info) memset(out_info, 0, sizeof *out_info);
    if (s == NULL || a == NULL || cfg == NULL || cfg->keys == NULL) return UCB_ERR_ARG;
    /* Reopening a session object starts from nothing. */
    ucb_scp03_close(s);
    const struct ucb_scp03_keys *k = cfg->keys;
    uint8_t level = cfg->level ? cfg->level : (uint8_t)UCB_SCP03_LEVEL_DEFAULT;
    if ((k->len != 16u && k->len != 24u && k->len != 32u) || a->channel > UCB_APDU_MAX_CHANNEL ||
        ucb_scp03_level_check(level, 0xFF) != 0 || cfg->sd_aid_len > 16u ||
        (cfg->sd_aid == NULL && cfg->sd_aid_len > 0u))
        return UCB_ERR_ARG;
    /* The engine holds one hook: replacing another session's would send
     * that session's channel in plain text. */
    if (a->sm != NULL) return UCB_ERR_STATE;

    uint8_t host_ch[8], cg[8];
    struct ucb_scp03_iur iur;
    int rc = open_session(s, a, cfg, level, out_info, out_sw, host_ch, cg, &iur);
    ucb_crypto_wipe(host_ch, sizeof host_ch);
    ucb_crypto_wipe(cg, sizeof cg);
    ucb_crypto_wipe(&iur, sizeof iur);
    if (rc) ucb_crypto_wipe(s, sizeof *s);
    return rc;
}
