/*
 * UICC commands of ETSI TS 102 221 clause 11 over the APDU engine. The
 * engine does the transmission mechanics (61xx, 6Cxx, channel bits); this
 * file builds each command and decides what its status words mean.
 */
#include <string.h>

#include "uiccboot/err.h"
#include "uiccboot/uicc.h"

#define INS_VERIFY 0x20u
#define INS_MANAGE_CHANNEL 0x70u
#define INS_SELECT 0xA4u
#define INS_READ_BINARY 0xB0u
#define INS_READ_RECORD 0xB2u
#define INS_UPDATE_BINARY 0xD6u

/* TS 102 221 11.1.1.2 SELECT P2: b5-b3 001 return the FCP template,
 * 011 no data returned; b2-b1 00 first or only occurrence. */
#define P2_FCP 0x04u
#define P2_NO_DATA 0x0Cu

/* TS 102 221 9.5 (PIN coding): 4-8 ASCII digits padded with FF to 8 bytes. */
#define PIN_FIELD 8u
#define PIN_MIN 4u

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--) *v++ = 0;
}

static void put_sw(uint16_t *out_sw, uint16_t sw)
{
    if (out_sw) *out_sw = sw;
}

/* A status word as this layer's result: success words give 0, anything
 * else its class, and a warning (class 0) that was not expected becomes
 * UCB_ERR_CARD_STATUS so it is not mistaken for success. */
static int sw_error(uint16_t sw)
{
    if (ucb_sw_ok(sw)) return 0;
    int rc = ucb_sw_class(sw);
    return rc < 0 ? rc : UCB_ERR_CARD_STATUS;
}

static struct ucb_capdu command(uint8_t ins, uint8_t p1, uint8_t p2)
{
    struct ucb_capdu c;
    memset(&c, 0, sizeof c);
    c.cla = 0x00; /* interindustry; the engine adds the channel bits */
    c.ins = ins;
    c.p1 = p1;
    c.p2 = p2;
    return c;
}

/* One read command answered with data: Le = @p len into @p buf. 6282 (end
 * of file or record reached before Le, TS 102 221 10.2.1.2) keeps the data
 * it came with; any other non-success word is the error.
 * @return the bytes read or an error. */
static int read_data(struct ucb_apdu *a, struct ucb_capdu *c, uint8_t *buf, size_t len,
                     uint16_t *out_sw)
{
    c->ne = (uint32_t)len;
    struct ucb_rapdu r = {buf, len, 0, 0};
    int rc = ucb_apdu_transmit(a, c, &r);
    put_sw(out_sw, r.sw);
    if (rc) return rc;
    if (r.sw != 0x6282u) {
        rc = sw_error(r.sw);
        if (rc) return rc;
    }
    return (int)r.len;
}

int ucb_uicc_open_channel(struct ucb_apdu *a, uint8_t *out_channel, uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (a == NULL || out_channel == NULL) return UCB_ERR_ARG;
    /* TS 102 221 11.1.17: P1=00 open, P2=00 the card chooses, Le=01.
     * The buffer takes a full short answer so that a card sending more
     * than the one byte is reported as a bad response, not a small buffer. */
    uint8_t resp[UCB_APDU_MAX_NE];
    struct ucb_capdu c = command(INS_MANAGE_CHANNEL, 0x00, 0x00);
    c.ne = 1;
    struct ucb_rapdu r = {resp, sizeof resp, 0, 0};
    int rc = ucb_apdu_transmit(a, &c, &r);
    put_sw(out_sw, r.sw);
    if (rc) return rc;
    switch (r.sw) {
    case 0x6881: /* logical channel not supported */
    case 0x6A81: /* function not supported */
    case 0x6D00: /* INS unknown: MANAGE CHANNEL not implemented */
    case 0x6E00: /* CLA refused */
        return UCB_ERR_UNSUPPORTED;
    default:
        break;
    }
    rc = sw_error(r.sw);
    if (rc) return rc;
    /* Channel 0 is always open and cannot be handed out; 19 is the last. */
    if (r.len != 1u || resp[0] == 0u || resp[0] > UCB_APDU_MAX_CHANNEL)
        return UCB_ERR_CARD_RESPONSE;
    *out_channel = resp[0];
    return 0;
}

int ucb_uicc_close_channel(struct ucb_apdu *a, uint8_t channel, uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (a == NULL || channel == 0u || channel > UCB_APDU_MAX_CHANNEL) return UCB_ERR_ARG;
    /* TS 102 221 11.1.17: P1=80 close, P2 = the channel to close; sent on
     * the basic channel so it works whatever channel the engine is on. */
    struct ucb_capdu c = command(INS_MANAGE_CHANNEL, 0x80, channel);
    struct ucb_rapdu r = {NULL, 0, 0, 0};
    uint8_t saved = a->channel;
    a->channel = 0;
    int rc = ucb_apdu_transmit(a, &c, &r);
    a->channel = saved;
    put_sw(out_sw, r.sw);
    if (rc) return rc;
    return sw_error(r.sw);
}

/* Cards that only know one of the two P2 forms answer the other with a
 * P1-P2 refusal (ISO 7816-4 5.1.3: 6A86 incorrect P1-P2, 6B00 wrong P1-P2,
 * 6A87 Lc inconsistent with P1-P2). 6D00 and the rest are real answers. */
static bool p2_refused(uint16_t sw)
{
    return sw == 0x6A86u || sw == 0x6B00u || sw == 0x6A87u;
}

/*
 * SELECT (TS 102 221 11.1.1). The FCP form (P2=04) comes first: the size
 * and PIN status it carries are what the reader needs. A card that refuses
 * it is asked again with P2=0C (no data). The converse is never needed:
 * this function always starts with 04.
 */
static int select_file(struct ucb_apdu *a, uint8_t p1, const uint8_t *data, size_t len,
                  struct ucb_fcp *out_fcp, uint16_t *out_sw)
{
    uint8_t resp[UCB_APDU_MAX_NE];
    struct ucb_capdu c = command(INS_SELECT, p1, P2_FCP);
    c.data = data;
    c.lc = (uint16_t)len;
    c.ne = UCB_APDU_MAX_NE;
    struct ucb_rapdu r = {resp, sizeof resp, 0, 0};
    int rc = ucb_apdu_transmit(a, &c, &r);
    put_sw(out_sw, r.sw);
    if (rc) return rc;
    if (p2_refused(r.sw)) {
        c.p2 = P2_NO_DATA;
        c.ne = 0;
        rc = ucb_apdu_transmit(a, &c, &r);
        put_sw(out_sw, r.sw);
        if (rc) return rc;
    }
    /* Success, or a warning such as 6283 (selected file invalidated) that
     * still selects the file: the caller sees it in out_sw. */
    rc = ucb_sw_class(r.sw);
    if (rc) return rc;
    if (out_fcp != NULL && r.len > 0) return ucb_fcp_parse(resp, r.len, out_fcp);
    return 0;
}

int ucb_uicc_select_aid(struct ucb_apdu *a, const uint8_t *aid, size_t aid_len,
                        struct ucb_fcp *out_fcp, uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (out_fcp) memset(out_fcp, 0, sizeof *out_fcp);
    /* ISO 7816-4 5.3.1.1: a DF name is 1..16 bytes (a right-truncated AID
     * selects by prefix). */
    if (a == NULL || aid == NULL || aid_len < 1u || aid_len > 16u) return UCB_ERR_ARG;
    return select_file(a, 0x04, aid, aid_len, out_fcp, out_sw);
}

int ucb_uicc_select_fid(struct ucb_apdu *a, uint16_t fid, struct ucb_fcp *out_fcp,
                        uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (out_fcp) memset(out_fcp, 0, sizeof *out_fcp);
    if (a == NULL) return UCB_ERR_ARG;
    uint8_t b[2] = {(uint8_t)(fid >> 8), (uint8_t)fid};
    return select_file(a, 0x00, b, sizeof b, out_fcp, out_sw);
}

int ucb_uicc_select_path(struct ucb_apdu *a, const uint8_t *path, size_t path_len, bool from_mf,
                         struct ucb_fcp *out_fcp, uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (out_fcp) memset(out_fcp, 0, sizeof *out_fcp);
    if (a == NULL || path == NULL || path_len < 2u || path_len > 16u || (path_len & 1u))
        return UCB_ERR_ARG;
    /* TS 102 221 11.1.1.2 / ISO 7816-4 5.3.1.1: a path from the MF leaves
     * out the MF's own identifier; a leading 3F00 is a caller mistake. */
    if (from_mf && path[0] == 0x3Fu && path[1] == 0x00u) return UCB_ERR_ARG;
    return select_file(a, from_mf ? 0x08 : 0x09, path, path_len, out_fcp, out_sw);
}

int ucb_uicc_read_binary(struct ucb_apdu *a, uint32_t offset, uint8_t *buf, size_t len,
                         size_t chunk, uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (a == NULL || (buf == NULL && len > 0)) return UCB_ERR_ARG;
    /* TS 102 221 11.1.3: with P1 b8=0 the offset is 15 bits, P1 b7-b1 and P2. */
    if (offset > UCB_UICC_MAX_OFFSET || len > UCB_UICC_MAX_FILE - offset) return UCB_ERR_ARG;
    /* A short Le reaches 256; the engine's receive buffer holds a short
     * response, so that is also the ceiling with extended lengths. Under
     * secure messaging the padding and R-MAC must fit too (GP Amd D 6.2.7):
     * the engine says how much plain data a response can carry. */
    size_t max_ne = ucb_apdu_max_ne(a);
    if (chunk == 0u || chunk > max_ne) chunk = max_ne;

    size_t done = 0;
    while (done < len) {
        uint32_t off = offset + (uint32_t)done;
        size_t want = len - done < chunk ? len - done : chunk;
        struct ucb_capdu c = command(INS_READ_BINARY, (uint8_t)((off >> 8) & 0x7Fu),
                                     (uint8_t)(off & 0xFFu));
        c.ne = (uint32_t)want;
        struct ucb_rapdu r = {buf + done, want, 0, 0};
        int rc = ucb_apdu_transmit(a, &c, &r);
        put_sw(out_sw, r.sw);
        if (rc) return rc;
        if (r.sw == 0x6282u) {
            /* End of file before Le bytes: the bytes that came are good. */
            done += r.len;
            break;
        }
        if (r.sw == 0x6B00u && done > 0) {
            /* An offset past the end after earlier chunks succeeded: the
             * file ended exactly at a chunk boundary. On the first chunk
             * the same word is an error (the caller's offset is wrong). */
            break;
        }
        rc = sw_error(r.sw);
        if (rc) return rc;
        done += r.len;
        /* Fewer bytes than asked with 9000 (6Cxx resolved by the engine, or
         * a T=1 card at the end): nothing more to read. */
        if (r.len < want) break;
    }
    return (int)done;
}

int ucb_uicc_read_binary_sfi(struct ucb_apdu *a, uint8_t sfi, uint8_t offset, uint8_t *buf,
                             size_t len, uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (a == NULL || buf == NULL || len < 1u || len > UCB_APDU_MAX_NE) return UCB_ERR_ARG;
    /* ISO 7816-4 5.3.1.2: SFI 1..30. TS 102 221 11.1.3: P1 = 100x xxxx. */
    if (sfi < 1u || sfi > 30u) return UCB_ERR_ARG;
    struct ucb_capdu c = command(INS_READ_BINARY, (uint8_t)(0x80u | sfi), offset);
    return read_data(a, &c, buf, len, out_sw);
}

int ucb_uicc_read_record(struct ucb_apdu *a, uint8_t record, uint8_t sfi, uint8_t *buf,
                         size_t len, uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (a == NULL || buf == NULL || len > UCB_APDU_MAX_NE) return UCB_ERR_ARG;
    /* TS 102 221 11.1.5: records 1..254 (00 and FF are not record numbers);
     * P2 b8-b4 SFI (00000 = current EF), b3-b1 100 = absolute mode. */
    if (record < 1u || record > 254u || sfi > 30u) return UCB_ERR_ARG;
    size_t want = len ? len : UCB_APDU_MAX_NE;
    struct ucb_capdu c = command(INS_READ_RECORD, record, (uint8_t)(((unsigned)sfi << 3) | 0x04u));
    return read_data(a, &c, buf, want, out_sw);
}

int ucb_uicc_update_binary(struct ucb_apdu *a, uint32_t offset, const uint8_t *data, size_t len,
                           uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (a == NULL || (data == NULL && len > 0)) return UCB_ERR_ARG;
    if (offset > UCB_UICC_MAX_OFFSET || len > UCB_UICC_MAX_FILE - offset) return UCB_ERR_ARG;
    size_t done = 0;
    while (done < len) {
        uint32_t off = offset + (uint32_t)done;
        /* TS 102 221 11.1.4: a short Lc carries at most 255 bytes, fewer
         * under secure messaging (padding and C-MAC, GP Amd D 6.2.6). */
        size_t max_lc = ucb_apdu_max_lc(a);
        size_t n = len - done < max_lc ? len - done : max_lc;
        struct ucb_capdu c = command(INS_UPDATE_BINARY, (uint8_t)((off >> 8) & 0x7Fu),
                                     (uint8_t)(off & 0xFFu));
        c.data = data + done;
        c.lc = (uint16_t)n;
        struct ucb_rapdu r = {NULL, 0, 0, 0};
        int rc = ucb_apdu_transmit(a, &c, &r);
        put_sw(out_sw, r.sw);
        if (rc) return rc;
        rc = sw_error(r.sw);
        if (rc) return rc;
        done += n;
    }
    return 0;
}

/* TS 102 221 9.5 key references: 01-08 and 81-88 application PINs,
 * 0A-0E and 8A-8E ADM, 11 universal PIN. */
static bool key_ref_valid(uint8_t ref)
{
    uint8_t low = ref & 0x7Fu;
    if ((low >= 0x01u && low <= 0x08u) || (low >= 0x0Au && low <= 0x0Eu)) return true;
    return ref == 0x11u;
}

int ucb_uicc_pin_tries(struct ucb_apdu *a, uint8_t key_ref, uint8_t *out_tries,
                       uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (a == NULL || !key_ref_valid(key_ref)) return UCB_ERR_ARG;
    /* TS 102 221 11.1.9: VERIFY PIN without a data field (case 1) only
     * reports the retry counter; it cannot spend a try. */
    struct ucb_capdu c = command(INS_VERIFY, 0x00, key_ref);
    struct ucb_rapdu r = {NULL, 0, 0, 0};
    int rc = ucb_apdu_transmit(a, &c, &r);
    put_sw(out_sw, r.sw);
    if (rc) return rc;
    if ((r.sw & 0xFFF0u) == 0x63C0u) {
        if (out_tries) *out_tries = (uint8_t)(r.sw & 0x0Fu);
        return 0;
    }
    if (r.sw == 0x9000u) {
        /* Verified already, or the PIN is disabled: nothing to present. */
        if (out_tries) *out_tries = 0xFF;
        return 0;
    }
    if (r.sw == 0x6983u) {
        if (out_tries) *out_tries = 0;
        return UCB_ERR_CARD_PIN;
    }
    return sw_error(r.sw);
}

int ucb_uicc_verify_pin(struct ucb_apdu *a, uint8_t key_ref, const uint8_t *pin, size_t pin_len,
                        uint8_t *out_tries, uint16_t *out_sw)
{
    put_sw(out_sw, 0);
    if (a == NULL || pin == NULL || pin_len < PIN_MIN || pin_len > PIN_FIELD ||
        !key_ref_valid(key_ref))
        return UCB_ERR_ARG;
    for (size_t i = 0; i < pin_len; i++) {
        if (pin[i] < '0' || pin[i] > '9') return UCB_ERR_ARG;
    }

    /* Ask first: a wrong PIN on the last try would block the card, and a
     * verified PIN needs nothing sent at all. */
    uint8_t tries = 0;
    int rc = ucb_uicc_pin_tries(a, key_ref, &tries, out_sw);
    if (rc == 0 || rc == UCB_ERR_CARD_PIN) {
        if (out_tries) *out_tries = tries;
    }
    if (rc) return rc;
    if (tries == 0xFFu) return 0;
    if (tries <= 1u) return UCB_ERR_CARD_PIN;

    uint8_t field[PIN_FIELD];
    memset(field, 0xFF, sizeof field);
    memcpy(field, pin, pin_len);
    struct ucb_capdu c = command(INS_VERIFY, 0x00, key_ref);
    c.data = field;
    c.lc = PIN_FIELD;
    c.flags = UCB_CAPDU_SECRET;
    struct ucb_rapdu r = {NULL, 0, 0, 0};
    rc = ucb_apdu_transmit(a, &c, &r);
    wipe(field, sizeof field);
    put_sw(out_sw, r.sw);
    if (rc) return rc;
    if (r.sw == 0x9000u) {
        if (out_tries) *out_tries = 0xFF;
        return 0;
    }
    if ((r.sw & 0xFFF0u) == 0x63C0u) {
        if (out_tries) *out_tries = (uint8_t)(r.sw & 0x0Fu);
        return UCB_ERR_CARD_PIN;
    }
    if (r.sw == 0x6983u) {
        if (out_tries) *out_tries = 0;
        return UCB_ERR_CARD_PIN;
    }
    return sw_error(r.sw);
}
