/**
 * @file fcp.h
 * @brief File Control Parameters (FCP template, tag 62) returned by SELECT.
 *
 * TS 102 221 11.1.1.3 / ISO 7816-4 5.3.3. The parser is strict about
 * lengths (every length is checked against what remains) and tolerant about
 * content: unknown tags are skipped, absent tags leave their `UCB_FCP_HAS_*`
 * bit clear.
 */
#ifndef UCB_FCP_H
#define UCB_FCP_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define UCB_FCP_HAS_SIZE        0x0001u /**< 80: file size (data bytes) */
#define UCB_FCP_HAS_TOTAL_SIZE  0x0002u /**< 81: total file size */
#define UCB_FCP_HAS_DESCRIPTOR  0x0004u /**< 82: file descriptor */
#define UCB_FCP_HAS_FID         0x0008u /**< 83: file identifier */
#define UCB_FCP_HAS_AID         0x0010u /**< 84: DF name (AID) */
#define UCB_FCP_HAS_LIFE_CYCLE  0x0020u /**< 8A: life cycle status */
#define UCB_FCP_HAS_SECURITY    0x0040u /**< 8B, 8C or AB: security attributes */
#define UCB_FCP_HAS_PIN_STATUS  0x0080u /**< C6: PIN status template */
#define UCB_FCP_HAS_SFI         0x0100u /**< 88: short file identifier */
#define UCB_FCP_HAS_RECORDS     0x0200u /**< record length and count in 82 */

/** File structure from the descriptor byte (b3-b1). */
enum ucb_fcp_structure {
    UCB_FCP_UNKNOWN = 0,
    UCB_FCP_TRANSPARENT = 1,   /**< 41 .. : working EF, transparent */
    UCB_FCP_LINEAR_FIXED = 2,  /**< 42 .. */
    UCB_FCP_CYCLIC = 6,        /**< 46 .. */
    UCB_FCP_DF = 8             /**< 78 / 38: DF or ADF */
};

/** Most PIN key references kept from a PIN status template. */
#define UCB_FCP_MAX_PINS 8u
/** Most security attribute bytes kept (8B / 8C / AB value). */
#define UCB_FCP_MAX_SECURITY 16u

/** Parsed FCP. All fields are copies; nothing points into the input. */
struct ucb_fcp {
    uint32_t has;                 /**< UCB_FCP_HAS_* */
    uint32_t size;                /**< 80 (0 when absent) */
    uint32_t total_size;          /**< 81 */
    uint8_t descriptor;           /**< 82, first byte */
    uint8_t data_coding;          /**< 82, second byte */
    enum ucb_fcp_structure structure;
    uint16_t record_len;          /**< 82 bytes 3-4, record files */
    uint8_t n_records;            /**< 82 byte 5, record files */
    uint16_t fid;                 /**< 83 */
    uint8_t aid[16];              /**< 84 */
    uint8_t aid_len;
    uint8_t life_cycle;           /**< 8A */
    uint8_t security_tag;         /**< 8B, 8C or AB */
    uint8_t security[UCB_FCP_MAX_SECURITY]; /**< its value, truncated */
    uint8_t security_len;
    uint8_t sfi;                  /**< 88: SFI (value >> 3), 0 if absent */
    uint8_t pin_refs[UCB_FCP_MAX_PINS];     /**< C6: key references (83) in order */
    uint8_t n_pin_refs;
    uint8_t pin_enabled;          /**< C6/90 PS_DO: bit n set = pin_refs[n] enabled */
};

/**
 * Parse an FCP template. @p b may be the whole `62 L ...` TLV or (when it
 * does not start with 62) the bare content. Lengths: 1 byte, 81 xx or
 * 82 xx xx. '00'/'FF' filler between and after objects is skipped
 * (ISO 7816-4 5.2.2.1); other bytes after the 62 template are malformed.
 * A second 80/81/82/83/84/8A/88/C6 (or 90 inside C6) is malformed; of
 * several security attributes (8B/8C/AB) the first is kept. Key
 * references past UCB_FCP_MAX_PINS are dropped. A one-byte 88 whose SFI
 * is 0 or 31 sets no SFI.
 * @return 0, UCB_ERR_TRUNCATED (a length runs past its container, or the
 *         input ends inside a tag or length) or UCB_ERR_MALFORMED (a value
 *         of a size the spec does not allow: descriptor not 2 or 5 bytes,
 *         FID not 2, AID not 1..16, size not 1..4, ...); UCB_ERR_ARG for
 *         NULL pointers. On error @p out is all zero.
 */
UCB_API int ucb_fcp_parse(const uint8_t *b, size_t len, struct ucb_fcp *out);

/**
 * The first enabled PIN key reference of a PIN status template, for a file
 * or application that needs cardholder verification: application PINs
 * (01-08) and universal PIN (11) first, then local PINs (81-88).
 * @return the key reference (1..255), or UCB_ERR_NOT_PRESENT.
 */
UCB_API int ucb_fcp_pin_ref(const struct ucb_fcp *f);

#ifdef __cplusplus
}
#endif

#endif /* UCB_FCP_H */
