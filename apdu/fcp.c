/*
 * FCP template parser (TS 102 221 11.1.1.3, ISO/IEC 7816-4 5.3.3).
 *
 * Every byte here comes from the card. Each length is checked against what
 * remains of its container before the value is touched; a value of a size
 * the spec does not allow is rejected rather than guessed at. Unknown tags
 * are skipped, so a card with proprietary templates (A5) still parses.
 */
#include <stdbool.h>
#include <string.h>

#include "uiccboot/err.h"
#include "uiccboot/fcp.h"

/* Tag bits recorded to reject a second occurrence (not the UCB_FCP_HAS_*
 * bits: a zero-length 88 is seen but sets no SFI). */
enum {
    SEEN_80 = 1u << 0,
    SEEN_81 = 1u << 1,
    SEEN_82 = 1u << 2,
    SEEN_83 = 1u << 3,
    SEEN_84 = 1u << 4,
    SEEN_8A = 1u << 5,
    SEEN_88 = 1u << 6,
    SEEN_C6 = 1u << 7
};

struct tlv {
    uint32_t tag;
    const uint8_t *val;
    size_t len;
};

/*
 * ISO 7816-4 5.2.2.1: '00' and 'FF' may stand before, between or after
 * BER-TLV objects without meaning (erased objects, padding).
 */
static size_t skip_filler(const uint8_t *b, size_t len, size_t pos)
{
    while (pos < len && (b[pos] == 0x00u || b[pos] == 0xFFu)) pos++;
    return pos;
}

/*
 * Read one BER-TLV (ISO 7816-4 5.2.2) at *pos of b[0..len), which must
 * not be filler. Returns 0 and advances *pos past the value, or
 * UCB_ERR_TRUNCATED / UCB_ERR_MALFORMED.
 */
static int tlv_read(const uint8_t *b, size_t len, size_t *pos, struct tlv *out)
{
    size_t p = *pos;
    uint32_t tag = b[p++];
    if ((tag & 0x1Fu) == 0x1Fu) {
        /* Multi-byte tag: subsequent bytes have b8 set while more follow.
         * FCP tags are one byte; longer ones are only skipped, and more
         * than 3 tag bytes is not a valid tag (ISO 7816-4 5.2.2.1). */
        unsigned n = 1;
        for (;;) {
            if (p >= len) return UCB_ERR_TRUNCATED;
            uint8_t t = b[p++];
            tag = (tag << 8) | t;
            if (++n > 3u) return UCB_ERR_MALFORMED;
            if (!(t & 0x80u)) break;
        }
    }
    if (p >= len) return UCB_ERR_TRUNCATED;
    size_t l = b[p++];
    if (l & 0x80u) {
        /* 81 xx, 82 xx xx. Indefinite length (80) and anything longer is not
         * used by a UICC: a response is at most a few hundred bytes. */
        size_t nb = l & 0x7Fu;
        if (nb == 0u || nb > 2u) return UCB_ERR_MALFORMED;
        if (nb > len - p) return UCB_ERR_TRUNCATED;
        l = 0;
        for (size_t i = 0; i < nb; i++) l = (l << 8) | b[p++];
    }
    if (l > len - p) return UCB_ERR_TRUNCATED;
    out->tag = tag;
    out->val = b + p;
    out->len = l;
    *pos = p + l;
    return 0;
}

/* Big-endian unsigned value of 1..4 bytes. */
static int be_uint(const struct tlv *t, uint32_t *out)
{
    if (t->len < 1u || t->len > 4u) return UCB_ERR_MALFORMED;
    uint32_t v = 0;
    for (size_t i = 0; i < t->len; i++) v = (v << 8) | t->val[i];
    *out = v;
    return 0;
}

/* b8 of PS_DO byte 1 stands for the first key reference
 * (TS 102 221 11.1.1.4.10), so reverse it to get "bit n = pin_refs[n]". */
static uint8_t reverse_bits(uint8_t b)
{
    uint8_t r = 0;
    for (unsigned i = 0; i < 8u; i++) {
        r = (uint8_t)(r << 1);
        r |= (uint8_t)((b >> i) & 1u);
    }
    return r;
}

/*
 * C6 PIN status template DO (TS 102 221 11.1.1.4.10): 90 PS_DO, then per key
 * reference an optional 95 usage qualifier and 83 key reference.
 */
static int parse_pin_status(const uint8_t *b, size_t len, struct ucb_fcp *out)
{
    bool have_ps_do = false;
    uint8_t ps_do = 0;
    size_t pos = skip_filler(b, len, 0);
    while (pos < len) {
        struct tlv t;
        int rc = tlv_read(b, len, &pos, &t);
        if (rc) return rc;
        switch (t.tag) {
        case 0x90:
            if (have_ps_do || t.len < 1u) return UCB_ERR_MALFORMED;
            /* Only the first PS_DO byte matters: it covers the first eight
             * key references, all that struct ucb_fcp keeps. */
            ps_do = t.val[0];
            have_ps_do = true;
            break;
        case 0x83:
            if (t.len != 1u) return UCB_ERR_MALFORMED;
            /* References past UCB_FCP_MAX_PINS are legal but not kept. */
            if (out->n_pin_refs < UCB_FCP_MAX_PINS) out->pin_refs[out->n_pin_refs++] = t.val[0];
            break;
        default:
            /* 95 usage qualifier and anything else: not needed to choose a PIN */
            break;
        }
        pos = skip_filler(b, len, pos);
    }
    uint8_t mask = (uint8_t)((1u << out->n_pin_refs) - 1u);
    out->pin_enabled = (uint8_t)(reverse_bits(ps_do) & mask);
    out->has |= UCB_FCP_HAS_PIN_STATUS;
    return 0;
}

static enum ucb_fcp_structure structure_of(uint8_t d)
{
    /* TS 102 221 11.1.1.4.3 file descriptor byte: b8 0, b7 shareable,
     * b6-b4 000 working EF / 001 internal EF / 111 DF, b3-b1 structure. */
    if (d & 0x80u) return UCB_FCP_UNKNOWN;
    if ((d & 0x3Fu) == 0x38u) return UCB_FCP_DF;
    unsigned kind = (d >> 3) & 7u;
    if (kind != 0u && kind != 1u) return UCB_FCP_UNKNOWN;
    switch (d & 7u) {
    case 1: return UCB_FCP_TRANSPARENT;
    case 2: return UCB_FCP_LINEAR_FIXED;
    case 6: return UCB_FCP_CYCLIC;
    default: return UCB_FCP_UNKNOWN;
    }
}

static int parse_content(const uint8_t *b, size_t len, struct ucb_fcp *out)
{
    uint32_t seen = 0;
    size_t pos = skip_filler(b, len, 0);
    while (pos < len) {
        struct tlv t;
        int rc = tlv_read(b, len, &pos, &t);
        if (rc) return rc;
        uint32_t bit = 0;
        switch (t.tag) {
        case 0x80: /* file size: data bytes of an EF */
            bit = SEEN_80;
            rc = be_uint(&t, &out->size);
            out->has |= UCB_FCP_HAS_SIZE;
            break;
        case 0x81: /* total file size, structural data included */
            bit = SEEN_81;
            rc = be_uint(&t, &out->total_size);
            out->has |= UCB_FCP_HAS_TOTAL_SIZE;
            break;
        case 0x82:
            /* TS 102 221 11.1.1.4.3: 2 bytes (descriptor, data coding), or 5
             * for record files (+ record length on 2 bytes, record count). */
            bit = SEEN_82;
            if (t.len != 2u && t.len != 5u) {
                rc = UCB_ERR_MALFORMED;
                break;
            }
            out->descriptor = t.val[0];
            out->data_coding = t.val[1];
            out->structure = structure_of(t.val[0]);
            out->has |= UCB_FCP_HAS_DESCRIPTOR;
            if (t.len == 5u) {
                out->record_len = (uint16_t)((t.val[2] << 8) | t.val[3]);
                out->n_records = t.val[4];
                out->has |= UCB_FCP_HAS_RECORDS;
            }
            break;
        case 0x83:
            bit = SEEN_83;
            if (t.len != 2u) {
                rc = UCB_ERR_MALFORMED;
                break;
            }
            out->fid = (uint16_t)((t.val[0] << 8) | t.val[1]);
            out->has |= UCB_FCP_HAS_FID;
            break;
        case 0x84: /* DF name (AID), ISO 7816-4 5.3.3: up to 16 bytes */
            bit = SEEN_84;
            if (t.len < 1u || t.len > sizeof out->aid) {
                rc = UCB_ERR_MALFORMED;
                break;
            }
            memcpy(out->aid, t.val, t.len);
            out->aid_len = (uint8_t)t.len;
            out->has |= UCB_FCP_HAS_AID;
            break;
        case 0x8A: /* life cycle status integer, TS 102 221 11.1.1.4.9 */
            bit = SEEN_8A;
            if (t.len != 1u) {
                rc = UCB_ERR_MALFORMED;
                break;
            }
            out->life_cycle = t.val[0];
            out->has |= UCB_FCP_HAS_LIFE_CYCLE;
            break;
        case 0x88:
            /* TS 102 221 11.1.1.4.8: empty = no SFI; one byte, SFI in b8-b4.
             * 0 and 31 are not SFIs (ISO 7816-4 5.3.1.2). */
            bit = SEEN_88;
            if (t.len > 1u) {
                rc = UCB_ERR_MALFORMED;
                break;
            }
            if (t.len == 1u) {
                uint8_t sfi = (uint8_t)(t.val[0] >> 3);
                if (sfi >= 1u && sfi <= 30u) {
                    out->sfi = sfi;
                    out->has |= UCB_FCP_HAS_SFI;
                }
            }
            break;
        case 0x8B: /* referenced to expanded format (EF ARR) */
        case 0x8C: /* compact format */
        case 0xAB: /* expanded format */
            /* TS 102 221 11.1.1.4.7: one of the three. Should a card send
             * more, the first is kept: any of them is only informative. */
            if (!(out->has & UCB_FCP_HAS_SECURITY)) {
                size_t n = t.len < UCB_FCP_MAX_SECURITY ? t.len : UCB_FCP_MAX_SECURITY;
                out->security_tag = (uint8_t)t.tag;
                if (n) memcpy(out->security, t.val, n);
                out->security_len = (uint8_t)n;
                out->has |= UCB_FCP_HAS_SECURITY;
            }
            break;
        case 0xC6:
            bit = SEEN_C6;
            if (seen & bit) break; /* reported below */
            rc = parse_pin_status(t.val, t.len, out);
            break;
        default:
            /* A5 proprietary information, C6-less DF templates, ...: skipped */
            break;
        }
        if (rc) return rc;
        /* A second 80, 82, 83, ... leaves two answers to one question. */
        if (seen & bit) return UCB_ERR_MALFORMED;
        seen |= bit;
        pos = skip_filler(b, len, pos);
    }
    return 0;
}

int ucb_fcp_parse(const uint8_t *b, size_t len, struct ucb_fcp *out)
{
    if (out == NULL || (b == NULL && len > 0)) return UCB_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (len > 0 && b[0] == 0x62u) {
        /* The whole template: 62 L content, then at most filler. */
        size_t pos = 0;
        struct tlv t;
        int rc = tlv_read(b, len, &pos, &t);
        if (rc) return rc;
        rc = parse_content(t.val, t.len, out);
        if (rc == 0 && skip_filler(b, len, pos) != len) rc = UCB_ERR_MALFORMED;
        if (rc) memset(out, 0, sizeof *out);
        return rc;
    }
    int rc = parse_content(b, len, out);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

int ucb_fcp_pin_ref(const struct ucb_fcp *f)
{
    if (f == NULL) return UCB_ERR_ARG;
    if (!(f->has & UCB_FCP_HAS_PIN_STATUS)) return UCB_ERR_NOT_PRESENT;
    /* TS 102 221 9.5 key references: 01-08 application PINs, 11 the
     * universal PIN, 81-88 second application (local) PINs; ADM keys
     * (0A-0E, 8A-8E) are not for a cardholder. */
    for (unsigned pass = 0; pass < 2u; pass++) {
        for (unsigned i = 0; i < f->n_pin_refs && i < UCB_FCP_MAX_PINS; i++) {
            if (!(f->pin_enabled & (1u << i))) continue;
            uint8_t ref = f->pin_refs[i];
            bool global = (ref >= 0x01u && ref <= 0x08u) || ref == 0x11u;
            bool local = ref >= 0x81u && ref <= 0x88u;
            if (pass == 0u ? global : local) return ref;
        }
    }
    return UCB_ERR_NOT_PRESENT;
}
