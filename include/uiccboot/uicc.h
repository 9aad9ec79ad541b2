/**
 * @file uicc.h
 * @brief UICC commands (ETSI TS 102 221 / ISO 7816-4) on top of the APDU engine.
 *
 * Every command goes through ucb_apdu_transmit() on the engine's current
 * logical channel (struct ucb_apdu.channel). Each function returns 0, a
 * negative error, or (where documented) a byte count; the last status word
 * is always left in @p out_sw when that pointer is not NULL, so a caller can
 * report "6A82 at SELECT 6432".
 */
#ifndef UCB_UICC_H
#define UCB_UICC_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "export.h"
#include "fcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Highest READ BINARY / UPDATE BINARY offset (15-bit P1-P2). */
#define UCB_UICC_MAX_OFFSET 0x7FFFu
/** Largest transparent file the reader handles (offsets 0..0x7FFF). */
#define UCB_UICC_MAX_FILE 0x8000u

/**
 * MANAGE CHANNEL open (TS 102 221 11.1.17): `0X 70 00 00 01`, on the
 * engine's channel. @p out_channel gets the number the card assigned; the
 * engine's channel is not changed (set struct ucb_apdu.channel yourself).
 * @return 0; UCB_ERR_UNSUPPORTED when the card answers 6881 (logical
 *         channels not supported), 6A81, 6D00 or 6E00; another error
 *         otherwise; UCB_ERR_CARD_RESPONSE for an answer that is not one
 *         byte 1..19.
 */
UCB_API int ucb_uicc_open_channel(struct ucb_apdu *a, uint8_t *out_channel, uint16_t *out_sw);

/**
 * MANAGE CHANNEL close `00 70 80 ch`, sent on channel 0 whatever the
 * engine's channel (which is left as it was). @p channel is 1..19, else
 * UCB_ERR_ARG.
 */
UCB_API int ucb_uicc_close_channel(struct ucb_apdu *a, uint8_t channel, uint16_t *out_sw);

/**
 * SELECT by DF name (AID), P1=04, asking for the FCP (P2=04, Le=00); when
 * the card refuses that P2 (6A86, 6B00 or 6A87; not 6D00 or any other
 * word) the other form (P2=0C, no data) is tried once. @p out_fcp may be
 * NULL; when the card returned no FCP its `has` is 0.
 * @return 0 for a success word or a warning that still selects the file
 *         (e.g. 6283 selected file invalidated: check @p out_sw); the
 *         status class otherwise (6A82 gives UCB_ERR_CARD_NOT_FOUND);
 *         UCB_ERR_TRUNCATED / UCB_ERR_MALFORMED when the returned FCP does
 *         not parse; UCB_ERR_ARG for an AID outside 1..16 bytes.
 */
UCB_API int ucb_uicc_select_aid(struct ucb_apdu *a, const uint8_t *aid, size_t aid_len,
                                struct ucb_fcp *out_fcp, uint16_t *out_sw);

/** SELECT by file identifier (P1=00), FCP requested, same P2 fallback. */
UCB_API int ucb_uicc_select_fid(struct ucb_apdu *a, uint16_t fid, struct ucb_fcp *out_fcp,
                                uint16_t *out_sw);

/**
 * SELECT by path: P1=08 (from MF, @p path without 3F00) when @p from_mf,
 * else P1=09 (from the current DF; 7FFF names the current ADF). @p path is
 * a sequence of 2-byte FIDs, 2..16 bytes (UCB_ERR_ARG otherwise, and for a
 * path from the MF that starts with 3F00). FCP requested, same P2 fallback.
 */
UCB_API int ucb_uicc_select_path(struct ucb_apdu *a, const uint8_t *path, size_t path_len,
                                 bool from_mf, struct ucb_fcp *out_fcp, uint16_t *out_sw);

/**
 * READ BINARY of the selected transparent EF into @p buf, from @p offset,
 * @p len bytes, in chunks of at most @p chunk bytes (0 = 256; capped at
 * 256 even with extended lengths, since the engine's receive buffer holds
 * a short response, UCB_RAPDU_MAX). Stops early and cleanly at the end of
 * the file: `6282` (end of file before Le, data kept), `6B00` at an offset
 * past the end once an earlier chunk was read, and `9000` with fewer bytes
 * than asked (e.g. after the engine resolved `6Cxx`). `6B00` on the first
 * chunk is an error (UCB_ERR_CARD_STATUS: the caller's offset is wrong), as
 * is any warning other than 6282 (6281 possibly corrupted data).
 * @return the number of bytes read (may be less than @p len only when the
 *         file ended), or an error (offset above 0x7FFF or offset + len
 *         beyond 0x8000 gives UCB_ERR_ARG, nothing sent).
 */
UCB_API int ucb_uicc_read_binary(struct ucb_apdu *a, uint32_t offset, uint8_t *buf,
                                 size_t len, size_t chunk, uint16_t *out_sw);

/**
 * READ BINARY with a short file identifier (P1 = 80 | sfi, P2 = offset
 * 0..255), which selects the EF as a side effect. @p len <= 256.
 * @return bytes read or an error.
 */
UCB_API int ucb_uicc_read_binary_sfi(struct ucb_apdu *a, uint8_t sfi, uint8_t offset,
                                     uint8_t *buf, size_t len, uint16_t *out_sw);

/**
 * READ RECORD (B2) of record @p record (1..254) in absolute mode, of the
 * current EF (@p sfi 0) or of the EF with that SFI (1..30).
 * @p len is the expected record length (0 = ask for 256 and let 6Cxx fix
 * it; @p buf must then hold 256 bytes).
 * @return the record length read, or an error (UCB_ERR_CARD_NOT_FOUND for
 *         6A83 record not found).
 */
UCB_API int ucb_uicc_read_record(struct ucb_apdu *a, uint8_t record, uint8_t sfi,
                                 uint8_t *buf, size_t len, uint16_t *out_sw);

/**
 * UPDATE BINARY of the selected transparent EF in chunks of at most 255
 * bytes. @return 0 or an error (a status error names the first failing
 * chunk through @p out_sw).
 */
UCB_API int ucb_uicc_update_binary(struct ucb_apdu *a, uint32_t offset, const uint8_t *data,
                                   size_t len, uint16_t *out_sw);

/**
 * Ask the retry counter of PIN @p key_ref: VERIFY with no data
 * (TS 102 221 11.1.9). @p out_tries gets the tries left (63Cx), or 0xFF
 * when the PIN is already verified or disabled (9000).
 * @return 0, UCB_ERR_CARD_PIN when blocked (6983), another error otherwise.
 */
UCB_API int ucb_uicc_pin_tries(struct ucb_apdu *a, uint8_t key_ref, uint8_t *out_tries,
                               uint16_t *out_sw);

/**
 * VERIFY PIN safely: first ask the retry counter; if the PIN is already
 * verified, send nothing; if one try or fewer is left, refuse to send the
 * PIN (UCB_ERR_CARD_PIN, @p out_tries says how many). Otherwise send the PIN
 * padded with FF to 8 bytes (TS 102 221 9.5.1), marked secret for traces.
 * @p pin is 4..8 ASCII digits.
 * @return 0 when verified; UCB_ERR_CARD_PIN when refused (wrong PIN: 63Cx,
 *         @p out_tries updated), blocked, or not sent; UCB_ERR_ARG for a
 *         PIN of a bad length.
 */
UCB_API int ucb_uicc_verify_pin(struct ucb_apdu *a, uint8_t key_ref, const uint8_t *pin,
                                size_t pin_len, uint8_t *out_tries, uint16_t *out_sw);

#ifdef __cplusplus
}
#endif

#endif /* UCB_UICC_H */
