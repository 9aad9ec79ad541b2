/**
 * @file store.h
 * @brief Provenance: what the card created in the client, kept across reboots.
 *
 * The bridge records which (object, instance) the card created, the
 * instance ID it had on the card and any remapping, the SSID of each
 * account, a fingerprint of each instance's content, the card identity
 * (ICCID) and the fingerprint of the whole file, and the deadline of a
 * card-provided bootstrap account. A store saves and loads that record
 * atomically: after a crash at any point, load() returns the old record or
 * the new one, never a mix.
 *
 * Stores shipped: a RAM store (core library, for tests and devices without
 * persistence) and a file store (host library uiccboot-host: temporary file,
 * fsync, rename, fsync of the directory; checksum; versioned format).
 * Firmware writes its own on flash with the same ops.
 */
#ifndef UCB_STORE_H
#define UCB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "ucb_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most instances the card may have created that provenance tracks. */
#ifndef UCB_PROV_MAX
#define UCB_PROV_MAX 32u
#endif

/* ucb_prov_rec.flags */
#define UCB_PROV_REMAPPED  0x01u /**< created under another ID than on the card */
#define UCB_PROV_DISOWNED  0x02u /**< a Bootstrap-Server replaced or deleted it: not
                                      the card's any more, never touched, not
                                      re-applied until the card content changes */

/** One instance the card created. */
struct ucb_prov_rec {
    uint16_t oid;          /**< object */
    uint16_t iid;          /**< instance ID in the client */
    uint16_t card_iid;     /**< instance ID on the card */
    uint16_t ssid;         /**< account it belongs to (Security/Server), else 0xFFFF */
    uint8_t flags;         /**< UCB_PROV_* */
    uint8_t hash[8];       /**< first 8 bytes of SHA-256 of the instance's TLV on the card */
    uint8_t ident_mask;    /**< which of the object's identity resources the card wrote (bridge.h) */
    uint8_t ident[8];      /**< hash of those resources' values, as the card wrote them */
};

/** The whole provenance record. */
struct ucb_provenance {
    bool valid;                     /**< false: nothing from a card is applied */
    uint8_t iccid[10];
    uint8_t iccid_len;
    uint8_t fingerprint[32];        /**< SHA-256 of EF LwM2M_Bootstrap as applied */
    uint32_t bs_deadline;           /**< bootstrap-account deadline (bridge clock, s), 0 = none */
    uint16_t n;                     /**< records used */
    struct ucb_prov_rec rec[UCB_PROV_MAX];
};

/**
 * Store operations. @c load fills @p out (valid = false when nothing was
 * ever saved) and returns 0, or UCB_ERR_STORE when the stored record is
 * unreadable (bad checksum, unknown version: the caller treats that as
 * "no provenance" and says so). @c save replaces the record atomically.
 */
struct ucb_store_ops {
    int (*load)(void *ctx, struct ucb_provenance *out);
    int (*save)(void *ctx, const struct ucb_provenance *p);
};

struct ucb_store {
    const struct ucb_store_ops *ops;
    void *ctx;
};

/* ---- RAM store (core library) ---- */

/** A RAM store: the record lives in this struct. */
struct ucb_store_ram {
    struct ucb_provenance p;
    bool saved;
    uint32_t n_saves;   /**< saves so far (tests and figures) */
};

/**
 * Initialise (empty) and fill @p out with its ops. Cannot fail.
 * load() of a store never saved gives valid = false; save() copies the
 * record (UCB_ERR_ARG for a record ucb_prov_serialize() would refuse, so a
 * bug shows in tests on the RAM store as it would on the file store).
 */
UCB_API void ucb_store_ram_init(struct ucb_store_ram *r, struct ucb_store *out);

/* ---- serialisation (for stores that write bytes: file, flash) ---- */

/** Format version written by ucb_prov_serialize(); others are refused. */
#define UCB_PROV_FORMAT_VERSION 2u

/** Record flags the format knows; a record with other bits is refused. */
#define UCB_PROV_FLAGS_KNOWN (UCB_PROV_REMAPPED | UCB_PROV_DISOWNED)

/**
 * Bytes of a serialised record (fixed size: every one of the UCB_PROV_MAX
 * slots is written, unused ones as zeros, so a flash slot never changes
 * size). Layout, all integers little-endian:
 *
 *     0   4  magic "UCBP"
 *     4   2  format version (UCB_PROV_FORMAT_VERSION)
 *     6   1  valid (0 or 1)
 *     7   1  iccid_len (0..10)
 *     8  10  iccid, zero after iccid_len
 *    18  32  fingerprint
 *    50   4  bs_deadline
 *    54   2  n (0..UCB_PROV_MAX)
 *    56  26  x UCB_PROV_MAX records: oid, iid, card_iid, ssid (2 each),
 *            flags (1), hash (8), ident_mask (1), ident (8); slots from n
 *            on are all zero
 *   end   4  CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
 *
 * A record written with another UCB_PROV_MAX has another size and is
 * refused (the caller treats it as "no provenance").
 */
#define UCB_PROV_SERIAL_SIZE (4u + 2u + 1u + 1u + 10u + 32u + 4u + 2u + UCB_PROV_MAX * 26u + 4u)

/**
 * Serialise @p p into @p out: magic "UCBP", format version, fields, and a
 * CRC-32 of everything before it. With @p out NULL, only measures.
 * @return UCB_PROV_SERIAL_SIZE, UCB_ERR_BUFFER (@p cap too small), or
 * UCB_ERR_ARG (@p p NULL, or a record the format cannot hold: n >
 * UCB_PROV_MAX, iccid_len > 10, flags outside UCB_PROV_FLAGS_KNOWN).
 */
UCB_API int ucb_prov_serialize(const struct ucb_provenance *p, uint8_t *out, size_t cap);

/**
 * Parse bytes written by ucb_prov_serialize(). The bytes are untrusted:
 * @p len must be exactly UCB_PROV_SERIAL_SIZE and every field in range.
 * @return 0, UCB_ERR_ARG (@p out NULL, or @p in NULL with @p len > 0), or
 * UCB_ERR_STORE (wrong size or magic, unknown version, bad checksum, counts
 * out of range, unknown flags, non-zero padding) with @p out cleared.
 */
UCB_API int ucb_prov_deserialize(const uint8_t *in, size_t len, struct ucb_provenance *out);

#ifdef __cplusplus
}
#endif

#endif /* UCB_STORE_H */
