/*
 * PKCS#15 structures on the card, as LwM2M Core Appendix G uses them:
 * the application template in EF.DIR (ISO 7816-4 8.2.1.1, TS 102 221
 * 13.1), EF(ODF) and EF(DODF) (PKCS#15 v1.1, DER). Zero-copy: results
 * point into the caller's bytes. Every byte is the card's and hostile:
 * each length is checked against its container before it is used.
 */
#include <string.h>

#include "pkcs15_int.h"
#include "uiccboot/card.h"
#include "uiccboot/err.h"

/* ---- a BER/DER TLV cursor ---- */

struct der {
    const uint8_t *p;
    size_t len;
    size_t off;
};

struct der_tlv {
    uint32_t tag;        /* tag bytes, big-endian (5F50 for a two-byte tag) */
    const uint8_t *v;
    size_t len;
};

static void der_init(struct der *d, const uint8_t *p, size_t len)
{
    d->p = p;
    d->len = len;
    d->off = 0;
}

static bool der_end(const struct der *d)
{
    return d->off >= d->len;
}

/* An unused file tail: the card issuer fills it with FF (or 00). No
 * PKCS#15 tag is 00 or FF, so one of them where a tag would start ends the
 * content. */
static bool der_at_padding(const struct der *d)
{
    return d->off < d->len && (d->p[d->off] == 0xFFu || d->p[d->off] == 0x00u);
}

/*
 * Next TLV. Tags of up to three bytes (ISO 7816-4 5.2.2.1: 5F50 in EF.DIR);
 * lengths in the short form or the 81/82 long forms (ISO 7816-4 5.2.2.2).
 * Indefinite lengths (80) are not DER and 83+ cannot fit in a 32 KB file.
 * @return 1 with @p t set, 0 at the end, UCB_ERR_TRUNCATED or
 *         UCB_ERR_MALFORMED. The cursor does not move on an error.
 */
static int der_next(struct der *d, struct der_tlv *t)
{
    size_t o = d->off;
    const size_t n = d->len;
    if (o >= n) {
        return 0;
    }
    uint32_t tag = d->p[o++];
    if ((tag & 0x1Fu) == 0x1Fu) {
        unsigned more = 0;
        uint8_t b;
        do {
            if (o >= n) {
                return UCB_ERR_TRUNCATED;
            }
            if (++more > 2u) {
                return UCB_ERR_MALFORMED;
            }
            b = d->p[o++];
            tag = (tag << 8) | b;
        } while ((b & 0x80u) != 0u);
    }
    if (o >= n) {
        return UCB_ERR_TRUNCATED;
    }
    size_t len = d->p[o++];
    if (len == 0x81u || len == 0x82u) {
        const size_t nb = len - 0x80u;
        if (n - o < nb) {
            return UCB_ERR_TRUNCATED;
        }
        len = 0;
        for (size_t i = 0; i < nb; i++) {
            len = (len << 8) | d->p[o++];
        }
    } else if (len >= 0x80u) {
        return UCB_ERR_MALFORMED;
    }
    if (len > n - o) {
        return UCB_ERR_TRUNCATED;
    }
    t->tag = tag;
    t->v = d->p + o;
    t->len = len;
    d->off = o + len;
    return 1;
}

static bool eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && (alen == 0u || memcmp(a, b, alen) == 0);
}

/* A path of file identifiers: 2-byte FIDs, at most UCB_PATH_MAX bytes. */
static bool path_ok(size_t len)
{
    return len >= 2u && len <= UCB_PATH_MAX && (len % 2u) == 0u;
}

/* ---- EF.DIR ---- */

int ucb_pkcs15_dir_record(const uint8_t *rec, size_t len, struct ucb_dir_app *out)
{
    struct der d;
    struct der_tlv t;
    int rv;

    memset(out, 0, sizeof *out);
    der_init(&d, rec, len);
    if (der_end(&d) || der_at_padding(&d)) {
        /* Unused record: all FF. A record that starts with padding and
         * then holds something is not a record an issuer wrote. */
        for (size_t i = 0; i < len; i++) {
            if (rec[i] != 0xFFu && rec[i] != 0x00u) {
                return UCB_ERR_MALFORMED;
            }
        }
        return UCB_ERR_NOT_PRESENT;
    }
    rv = der_next(&d, &t);
    if (rv < 0) {
        return rv;
    }
    if (t.tag != 0x61u) {
        return UCB_ERR_MALFORMED; /* ISO 7816-4 8.2.1.1: application template */
    }
    /* A linear fixed record holds one template; the rest is padding. */
    for (size_t i = d.off; i < len; i++) {
        if (rec[i] != 0xFFu && rec[i] != 0x00u) {
            return UCB_ERR_MALFORMED;
        }
    }

    struct der in;
    struct der_tlv e;
    der_init(&in, t.v, t.len);
    while ((rv = der_next(&in, &e)) == 1) {
        if (e.tag == 0x4Fu && out->aid == NULL) {
            out->aid = e.v;
            out->aid_len = e.len;
        } else if (e.tag == 0x50u && out->label == NULL) {
            out->label = e.v;
            out->label_len = e.len;
        } else if (e.tag == 0x51u && out->path == NULL) {
            out->path = e.v;
            out->path_len = e.len;
        }
    }
    if (rv < 0) {
        memset(out, 0, sizeof *out);
        return rv;
    }
    /* ISO 7816-5: RID (5 bytes) + PIX (0..11 bytes). */
    if (out->aid == NULL || out->aid_len < 5u || out->aid_len > UCB_AID_MAX ||
        (out->path != NULL && !path_ok(out->path_len))) {
        memset(out, 0, sizeof *out);
        return UCB_ERR_MALFORMED;
    }
    return 0;
}

bool ucb_pkcs15_is_pkcs15_aid(const uint8_t *aid, size_t len)
{
    return aid != NULL && len >= UCB_PKCS15_AID_LEN && len <= UCB_AID_MAX &&
           memcmp(aid, ucb_pkcs15_aid, UCB_PKCS15_AID_LEN) == 0;
}

/* ---- Path ---- */

/* PKCS#15 Path ::= SEQUENCE { path OCTET STRING, index INTEGER OPTIONAL,
 * length [0] INTEGER OPTIONAL }: the content of the 30. */
static int path_of(const uint8_t *seq, size_t seq_len, const uint8_t **out, size_t *out_len)
{
    struct der d;
    struct der_tlv t;
    der_init(&d, seq, seq_len);
    const int rv = der_next(&d, &t);
    if (rv < 0) {
        return rv;
    }
    if (rv == 0 || t.tag != 0x04u || !path_ok(t.len)) {
        return UCB_ERR_MALFORMED;
    }
    *out = t.v;
    *out_len = t.len;
    return 0;
}

/* ---- ODF ---- */

int ucb_pkcs15_odf_dodf(const uint8_t *odf, size_t len, const uint8_t **out_path,
                        size_t *out_len)
{
    struct der d;
    struct der_tlv t;
    bool unusable = false;
    int rv;

    *out_path = NULL;
    *out_len = 0;
    der_init(&d, odf, len);
    while (!der_at_padding(&d) && (rv = der_next(&d, &t)) != 0) {
        if (rv < 0) {
            return rv;
        }
        /* PKCS15Objects is a CHOICE of [0]..[8] constructed; later versions
         * may add tags, so any context-specific constructed tag is skipped. */
        if ((t.tag & 0xE0u) != 0xA0u || t.tag > 0xFFu) {
            return UCB_ERR_MALFORMED;
        }
        if (t.tag != 0xA7u) {
            continue;
        }
        /* dataObjects [7] PathOrObjects: only the path form points at a
         * DODF file; objects stored inline in the ODF are not a DODF. */
        struct der in;
        struct der_tlv p;
        der_init(&in, t.v, t.len);
        rv = der_next(&in, &p);
        if (rv == 1 && p.tag == 0x30u && path_of(p.v, p.len, out_path, out_len) == 0) {
            return 0;
        }
        unusable = true;
    }
    return unusable ? UCB_ERR_MALFORMED : UCB_ERR_NOT_PRESENT;
}

/* ---- DODF ---- */

/* CommonObjectAttributes ::= SEQUENCE { label UTF8String OPTIONAL,
 * flags BIT STRING { private(0), modifiable(1) } OPTIONAL,
 * authId OCTET STRING OPTIONAL, ... } */
static int common_object(const uint8_t *v, size_t len, struct ucb_dodf_match *m)
{
    struct der d;
    struct der_tlv t;
    int rv;
    der_init(&d, v, len);
    while ((rv = der_next(&d, &t)) == 1) {
        if (t.tag == 0x03u) {
            /* X.690 8.6: first content byte = unused bits in the last byte;
             * bit 0 is the most significant bit of the first data byte. */
            if (t.len == 0u || t.v[0] > 7u || (t.len == 1u && t.v[0] != 0u)) {
                return UCB_ERR_MALFORMED;
            }
            const size_t nbits = (t.len - 1u) * 8u - t.v[0];
            m->private_flag = nbits >= 1u && (t.v[1] & 0x80u) != 0u;
            m->modifiable_flag = nbits >= 2u && (t.v[1] & 0x40u) != 0u;
        } else if (t.tag == 0x04u) {
            m->auth_id = t.v;
            m->auth_id_len = t.len;
        }
    }
    return rv;
}

/* CommonDataObjectAttributes ::= SEQUENCE { applicationName Label OPTIONAL,
 * applicationOID OBJECT IDENTIFIER OPTIONAL, ... } */
static int common_data(const uint8_t *v, size_t len, const uint8_t **app_oid,
                       size_t *app_oid_len)
{
    struct der d;
    struct der_tlv t;
    int rv;
    der_init(&d, v, len);
    while ((rv = der_next(&d, &t)) == 1) {
        if (t.tag == 0x06u && *app_oid == NULL) {
            *app_oid = t.v;
            *app_oid_len = t.len;
        }
    }
    return rv;
}

/*
 * One PKCS15Data entry (the content of its 30/A0/A1):
 * PKCS15Object ::= SEQUENCE { CommonObjectAttributes, CommonDataObjectAttributes,
 *   subClassAttributes [0] OPTIONAL, typeAttributes [1] }.
 * @return 1 when it is the object for @p oid (m filled), 0 when it is
 * another object, a negative error when it cannot be parsed.
 */
static int dodf_entry(uint32_t tag, const uint8_t *v, size_t len, const uint8_t *oid,
                      size_t oid_len, struct ucb_dodf_match *m)
{
    struct der d;
    struct der_tlv coa, cda, t;
    const uint8_t *app_oid = NULL;
    size_t app_oid_len = 0;
    int rv;

    memset(m, 0, sizeof *m);
    der_init(&d, v, len);
    if ((rv = der_next(&d, &coa)) != 1 || coa.tag != 0x30u ||
        (rv = der_next(&d, &cda)) != 1 || cda.tag != 0x30u) {
        return rv < 0 ? rv : UCB_ERR_MALFORMED;
    }
    if ((rv = common_object(coa.v, coa.len, m)) < 0 ||
        (rv = common_data(cda.v, cda.len, &app_oid, &app_oid_len)) < 0) {
        return rv;
    }
    rv = der_next(&d, &t);
    if (rv == 1 && t.tag == 0xA0u) {
        rv = der_next(&d, &t); /* subClassAttributes: nothing we need */
    }
    if (rv < 0) {
        return rv;
    }
    if (rv == 0 || t.tag != 0xA1u) {
        return UCB_ERR_MALFORMED; /* typeAttributes is not optional */
    }

    /* typeAttributes [1] is explicit (an open type): it holds a SEQUENCE,
     * either PKCS15OidDO { id OID, value Path } (oidDO) or a Path
     * (opaqueDO/externalIDO indirect value: ReferencedValue.path). */
    struct der ta;
    struct der_tlv seq, first, second;
    der_init(&ta, t.v, t.len);
    if ((rv = der_next(&ta, &seq)) != 1 || seq.tag != 0x30u) {
        return rv < 0 ? rv : UCB_ERR_MALFORMED;
    }
    struct der sd;
    der_init(&sd, seq.v, seq.len);
    if ((rv = der_next(&sd, &first)) != 1) {
        return rv < 0 ? rv : UCB_ERR_MALFORMED;
    }

    uint32_t form = 0;
    const uint8_t *path = NULL;
    size_t path_len = 0;
    if (first.tag == 0x06u) {
        /* LwM2M Core G.3.2 (issue #532): the id MUST be the OID; the
         * Appendix G example encodes it twice (06 06 06 04 67 2B 09 01),
         * and such cards are in the field. Only an oidDO has an id. */
        if (tag == 0xA1u) {
            if (eq(first.v, first.len, oid, oid_len)) {
                form = UCB_ROUTE_OID_CORRECT;
            } else if (first.len == oid_len + 2u && first.v[0] == 0x06u &&
                       first.v[1] == oid_len && eq(first.v + 2, oid_len, oid, oid_len)) {
                form = UCB_ROUTE_OID_DOUBLE;
            }
        }
        rv = der_next(&sd, &second);
        if (rv == 1 && second.tag == 0x30u) {
            rv = path_of(second.v, second.len, &path, &path_len);
        } else if (rv >= 0) {
            rv = UCB_ERR_MALFORMED; /* value is not a Path: inline or URL */
        }
    } else if (first.tag == 0x04u) {
        rv = path_of(seq.v, seq.len, &path, &path_len);
    } else {
        rv = UCB_ERR_MALFORMED;
    }
    /* The 1.1 draft names the object by CommonDataObjectAttributes.applicationOID. */
    if (form == 0u && eq(app_oid, app_oid_len, oid, oid_len)) {
        form = UCB_ROUTE_OID_APPLICATION;
    }
    if (form == 0u) {
        return 0; /* another object; its value form does not concern us */
    }
    if (rv < 0) {
        return rv; /* ours, but without a usable path */
    }
    m->path = path;
    m->path_len = path_len;
    m->form = form;
    return 1;
}

int ucb_pkcs15_dodf_find(const uint8_t *dodf, size_t len, const uint8_t *oid, size_t oid_len,
                         struct ucb_dodf_match *out)
{
    struct der d;
    struct der_tlv t;
    bool unparsed = false;
    int rv;

    memset(out, 0, sizeof *out);
    if (oid == NULL || oid_len == 0u || oid_len > 126u) {
        return UCB_ERR_ARG; /* 126: the double form's id must keep a short length */
    }
    der_init(&d, dodf, len);
    while (!der_at_padding(&d) && (rv = der_next(&d, &t)) != 0) {
        if (rv < 0) {
            return rv;
        }
        /* PKCS15Data ::= CHOICE { opaqueDO 30, externalIDO [0] A0, oidDO [1] A1 } */
        if (t.tag != 0x30u && t.tag != 0xA0u && t.tag != 0xA1u) {
            unparsed = true;
            continue;
        }
        struct ucb_dodf_match m;
        rv = dodf_entry(t.tag, t.v, t.len, oid, oid_len, &m);
        if (rv == 1) {
            *out = m;
            return 0;
        }
        if (rv < 0) {
            unparsed = true;
        }
    }
    return unparsed ? UCB_ERR_MALFORMED : UCB_ERR_NOT_PRESENT;
}
