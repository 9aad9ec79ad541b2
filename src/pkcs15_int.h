/*
 * Internal: zero-copy parsers for the PKCS#15 structures the reader walks
 * (LwM2M Core Appendix G; PKCS#15 v1.1; ISO 7816-4 8.2.1.1 for EF.DIR).
 * Not installed. Every pointer returned points into the caller's bytes and
 * is valid as long as they are; every length has been checked against the
 * container it came from.
 */
#ifndef UCB_PKCS15_INT_H
#define UCB_PKCS15_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** An application template of EF.DIR (tag 61). */
struct ucb_dir_app {
    const uint8_t *aid;    /**< 4F value, 5..16 bytes */
    size_t aid_len;
    const uint8_t *label;  /**< 50 value, or NULL */
    size_t label_len;
    const uint8_t *path;   /**< 51 value (even, 2..16 bytes), or NULL */
    size_t path_len;
};

/**
 * Parse one EF.DIR record: `61 L { 4F aid, 50 label, 51 path, ... }`
 * followed by FF (or 00) padding up to the record length.
 * @return 0 with @p out filled; UCB_ERR_NOT_PRESENT for an empty record
 *         (only padding); UCB_ERR_TRUNCATED when a length runs past the
 *         record; UCB_ERR_MALFORMED for any other fault (not a 61 template,
 *         no AID, an AID outside 5..16 bytes, a bad path, bytes other than
 *         padding after the template).
 */
int ucb_pkcs15_dir_record(const uint8_t *rec, size_t len, struct ucb_dir_app *out);

/**
 * True for the PKCS#15 application: the AID equals ucb_pkcs15_aid or,
 * defensively, starts with those 12 bytes (an issuer may append a PIX
 * extension).
 */
bool ucb_pkcs15_is_pkcs15_aid(const uint8_t *aid, size_t len);

/**
 * Find EF(DODF) in EF(ODF): the first `A7` (PKCS15Objects.dataObjects)
 * entry's `30 { 04 path ... }`. Other entries (A0..A8) are skipped; a 00 or
 * FF byte where an entry would start ends the file (unused tail).
 * @return 0 with @p out_path/@p out_len (even, 2..16 bytes) pointing into
 *         @p odf; UCB_ERR_NOT_PRESENT when there is no A7 entry;
 *         UCB_ERR_TRUNCATED/UCB_ERR_MALFORMED for a bad file.
 */
int ucb_pkcs15_odf_dodf(const uint8_t *odf, size_t len, const uint8_t **out_path,
                        size_t *out_len);

/** How the DODF named the LwM2M bootstrap object (UCB_ROUTE_OID_* values). */
struct ucb_dodf_match {
    const uint8_t *path;   /**< Path.path of the object (even, 2..16 bytes) */
    size_t path_len;
    uint32_t form;         /**< UCB_ROUTE_OID_CORRECT, _DOUBLE or _APPLICATION */
    bool private_flag;     /**< CommonObjectAttributes.flags bit 0 */
    bool modifiable_flag;  /**< CommonObjectAttributes.flags bit 1 */
    const uint8_t *auth_id; /**< CommonObjectAttributes.authId, or NULL */
    size_t auth_id_len;
};

/**
 * Find the data object for @p oid (DER content bytes, 1..126) in EF(DODF):
 * an oidDO (A1) whose id is @p oid (`06 n oid`) or the double-encoded form
 * (`06 n+2 06 n oid`, the Appendix G example), or any PKCS15Data entry
 * (oidDO A1, opaqueDO 30, externalIDO A0) whose applicationOID is @p oid.
 * The first matching entry wins. Entries whose inside cannot be parsed are
 * skipped.
 * @return 0 with @p out filled; UCB_ERR_NOT_PRESENT when no entry matches
 *         and every entry parsed; UCB_ERR_MALFORMED when no entry matches
 *         and at least one entry could not be parsed (it may have been the
 *         one); UCB_ERR_TRUNCATED when an entry's length runs past the file;
 *         UCB_ERR_ARG for a bad @p oid.
 */
int ucb_pkcs15_dodf_find(const uint8_t *dodf, size_t len, const uint8_t *oid, size_t oid_len,
                         struct ucb_dodf_match *out);

/*
 * SHA-256 in pieces (src/sha256.c), for the write path that hashes the
 * card's content chunk by chunk as it reads it back. ucb_sha256() in
 * card.h is the one-shot form.
 */
struct ucb_sha256_ctx {
    uint32_t h[8];
    uint8_t block[64];
    size_t fill;      /* bytes waiting in block */
    uint64_t total;   /* message length in bytes */
};

void ucb_sha256_init(struct ucb_sha256_ctx *c);
void ucb_sha256_update(struct ucb_sha256_ctx *c, const uint8_t *data, size_t len);
/** Write the digest and wipe @p c. */
void ucb_sha256_final(struct ucb_sha256_ctx *c, uint8_t out[32]);

#endif /* UCB_PKCS15_INT_H */
