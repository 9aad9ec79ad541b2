/*
 * Provenance record <-> bytes, for stores that write bytes (file, flash).
 * Layout and byte order are documented at UCB_PROV_SERIAL_SIZE in store.h.
 * The bytes come back from storage that may have been torn, truncated or
 * tampered with, so the parser trusts nothing: exact size, magic, version,
 * CRC, then every count, flag and padding byte.
 */
#include <string.h>

#include "uiccboot/err.h"
#include "uiccboot/store.h"

#define PROV_HDR_SIZE 56u
#define PROV_REC_SIZE 26u
#define PROV_CRC_OFF (PROV_HDR_SIZE + UCB_PROV_MAX * PROV_REC_SIZE)

_Static_assert(PROV_CRC_OFF + 4u == UCB_PROV_SERIAL_SIZE, "layout and size disagree");
_Static_assert(UCB_PROV_MAX <= 0xFFFFu, "n is stored in 16 bits");

static const uint8_t prov_magic[4] = {'U', 'C', 'B', 'P'};

/* CRC-32 as IEEE 802.3 / zlib: reflected polynomial 0xEDB88320, initial
 * value and final XOR all ones. Bitwise: the record is ~600 bytes and
 * written rarely, a table would cost 1 KiB of flash for nothing. */
static uint32_t prov_crc32(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (unsigned b = 0; b < 8u; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static bool all_zero(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++)
        acc |= p[i];
    return acc == 0;
}

int ucb_prov_serialize(const struct ucb_provenance *p, uint8_t *out, size_t cap)
{
    if (!p) return UCB_ERR_ARG;
    if (p->n > UCB_PROV_MAX || p->iccid_len > sizeof p->iccid) return UCB_ERR_ARG;
    for (size_t i = 0; i < p->n; i++)
        if (p->rec[i].flags & ~UCB_PROV_FLAGS_KNOWN) return UCB_ERR_ARG;
    if (!out) return (int)UCB_PROV_SERIAL_SIZE;
    if (cap < UCB_PROV_SERIAL_SIZE) return UCB_ERR_BUFFER;

    memset(out, 0, UCB_PROV_SERIAL_SIZE);
    memcpy(out, prov_magic, sizeof prov_magic);
    put16(out + 4, (uint16_t)UCB_PROV_FORMAT_VERSION);
    out[6] = p->valid ? 1u : 0u;
    out[7] = p->iccid_len;
    memcpy(out + 8, p->iccid, p->iccid_len);
    memcpy(out + 18, p->fingerprint, sizeof p->fingerprint);
    put32(out + 50, p->bs_deadline);
    put16(out + 54, p->n);
    for (size_t i = 0; i < p->n; i++) {
        const struct ucb_prov_rec *r = &p->rec[i];
        uint8_t *o = out + PROV_HDR_SIZE + i * PROV_REC_SIZE;
        put16(o, r->oid);
        put16(o + 2, r->iid);
        put16(o + 4, r->card_iid);
        put16(o + 6, r->ssid);
        o[8] = r->flags;
        memcpy(o + 9, r->hash, sizeof r->hash);
        o[17] = r->ident_mask;
        memcpy(o + 18, r->ident, sizeof r->ident);
    }
    put32(out + PROV_CRC_OFF, prov_crc32(out, PROV_CRC_OFF));
    return (int)UCB_PROV_SERIAL_SIZE;
}

static int prov_parse(const uint8_t *in, size_t len, struct ucb_provenance *out)
{
    if (len != UCB_PROV_SERIAL_SIZE) return UCB_ERR_STORE;
    if (memcmp(in, prov_magic, sizeof prov_magic) != 0) return UCB_ERR_STORE;
    /* CRC before the fields: a torn or flipped record is refused as a
     * whole, whatever its fields happen to look like. */
    if (get32(in + PROV_CRC_OFF) != prov_crc32(in, PROV_CRC_OFF)) return UCB_ERR_STORE;
    if (get16(in + 4) != UCB_PROV_FORMAT_VERSION) return UCB_ERR_STORE;
    if (in[6] > 1u) return UCB_ERR_STORE;
    uint8_t iccid_len = in[7];
    if (iccid_len > sizeof out->iccid) return UCB_ERR_STORE;
    if (!all_zero(in + 8 + iccid_len, sizeof out->iccid - iccid_len)) return UCB_ERR_STORE;
    uint16_t n = get16(in + 54);
    if (n > UCB_PROV_MAX) return UCB_ERR_STORE;
    if (!all_zero(in + PROV_HDR_SIZE + (size_t)n * PROV_REC_SIZE,
                  (UCB_PROV_MAX - n) * PROV_REC_SIZE))
        return UCB_ERR_STORE;

    out->valid = in[6] == 1u;
    out->iccid_len = iccid_len;
    memcpy(out->iccid, in + 8, iccid_len);
    memcpy(out->fingerprint, in + 18, sizeof out->fingerprint);
    out->bs_deadline = get32(in + 50);
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        struct ucb_prov_rec *r = &out->rec[i];
        const uint8_t *o = in + PROV_HDR_SIZE + i * PROV_REC_SIZE;
        r->oid = get16(o);
        r->iid = get16(o + 2);
        r->card_iid = get16(o + 4);
        r->ssid = get16(o + 6);
        r->flags = o[8];
        if (r->flags & ~UCB_PROV_FLAGS_KNOWN) return UCB_ERR_STORE;
        memcpy(r->hash, o + 9, sizeof r->hash);
        r->ident_mask = o[17];
        memcpy(r->ident, o + 18, sizeof r->ident);
    }
    return 0;
}

int ucb_prov_deserialize(const uint8_t *in, size_t len, struct ucb_provenance *out)
{
    if (!out) return UCB_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (!in && len > 0) return UCB_ERR_ARG;
    if (!in) return UCB_ERR_STORE;
    int rc = prov_parse(in, len, out);
    if (rc < 0) memset(out, 0, sizeof *out);
    return rc;
}
