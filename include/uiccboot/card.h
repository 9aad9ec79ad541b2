/**
 * @file card.h
 * @brief Reader layer: find and read the LwM2M bootstrap file on a UICC.
 *
 * LwM2M Core Appendix G (G.2.1, G.2.5): EF.DIR gives the PKCS#15
 * application; a logical channel is opened; the PKCS#15 ADF is selected by
 * AID; EF(ODF) gives EF(DODF); the DODF's LwM2M bootstrap data object
 * (OID 2.23.43.9.1) gives the path of EF LwM2M_Bootstrap, which is read by
 * its FCP size. ICCID (EF 2FE2) identifies the card.
 *
 * Every step is recorded in the result (`route`), and a failure names the
 * step it happened in (`step`) and the card's last status word (`sw`), so a
 * caller can say "6982 at SELECT of the bootstrap EF". A failure never
 * reports a partial file as success.
 */
#ifndef UCB_CARD_H
#define UCB_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "export.h"
#include "scp03.h"
#include "ucb_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The standard PKCS#15 AID: RID A000000063 + "PKCS-15". */
#define UCB_PKCS15_AID_LEN 12u
/** LwM2M bootstrap data OID 2.23.43.9.1, DER content bytes. */
#define UCB_LWM2M_OID_LEN 4u

UCB_API extern const uint8_t ucb_pkcs15_aid[UCB_PKCS15_AID_LEN];
UCB_API extern const uint8_t ucb_lwm2m_oid[UCB_LWM2M_OID_LEN];

/**
 * Asked for a PIN when the DODF entry is private or modifiable (Appendix
 * G.2.4) or the card refuses a read with 6982.
 *
 * @param ctx      opts->pin_ctx.
 * @param key_ref  the PIN key reference to verify (TS 102 221 9.5.1).
 * @param tries    tries left, as the card reported it.
 * @param pin      write the PIN digits here (not NUL-terminated).
 * @param cap      room in @p pin (8).
 * @param out_len  set to the number of digits written.
 * @return 0 to verify with it, or a negative error (no PIN available) that
 *         ends the read with that error. The caller wipes @p pin afterwards.
 */
typedef int (*ucb_pin_fn)(void *ctx, uint8_t key_ref, uint8_t tries, uint8_t *pin, size_t cap,
                          size_t *out_len);

/** Never open a logical channel; use the basic channel. */
#define UCB_CARD_BASIC_CHANNEL 0x0001u
/** Do not read EF.DIR; use the AID option or the standard PKCS#15 AID. */
#define UCB_CARD_SKIP_EF_DIR 0x0002u
/** Do not read the ICCID. */
#define UCB_CARD_SKIP_ICCID 0x0004u

/** Reader options. Zero-initialised means: Appendix G defaults. */
struct ucb_card_opts {
    const uint8_t *aid;     /**< AID override (skips the EF.DIR search), or NULL */
    size_t aid_len;         /**< 5..16 */
    const uint8_t *oid;     /**< OID override, DER content bytes, or NULL for 2.23.43.9.1 */
    size_t oid_len;
    const uint8_t *path;    /**< fixed path of the bootstrap EF for cards without
                                 PKCS#15: FIDs from the selected ADF (7FFF allowed)
                                 or, with a leading 3F00, from the MF; or NULL */
    size_t path_len;        /**< 2..16, even */
    ucb_pin_fn pin;         /**< optional PIN callback */
    void *pin_ctx;
    uint32_t flags;         /**< UCB_CARD_* */
    /**
     * SCP03 (LwM2M Core Appendix H): when @c scp03_cfg is set, the PKCS#15
     * application is selected, a session is opened in @c scp03 (caller
     * storage, closed and wiped before the call returns), and the rest of
     * the walk (ODF, DODF, PIN, the file) runs inside it. EF.DIR and ICCID
     * are read before, in plain, on the basic channel.
     */
    struct ucb_scp03 *scp03;
    const struct ucb_scp03_config *scp03_cfg;
    enum ucb_scp03_policy {
        UCB_SCP03_REQUIRE = 0, /**< never read the file in plain (default) */
        UCB_SCP03_PREFER = 1   /**< read in plain only when the card answers
                                    INITIALIZE UPDATE with 6D00, 6E00 or 6A88
                                    (no SCP03 or no such key set); any failed
                                    authentication still ends the read */
    } scp03_policy;
};

/** Route taken through the card (bits of ucb_card_info.route). */
#define UCB_ROUTE_EF_DIR         0x0001u /**< AID found in EF.DIR */
#define UCB_ROUTE_NO_EF_DIR      0x0002u /**< EF.DIR missing: standard PKCS#15 AID used */
#define UCB_ROUTE_AID_OVERRIDE   0x0004u /**< AID given in the options */
#define UCB_ROUTE_LOGICAL_CHANNEL 0x0008u /**< read on a logical channel */
#define UCB_ROUTE_BASIC_CHANNEL  0x0010u /**< card answered 6881 (or option): basic channel */
#define UCB_ROUTE_ODF_DEFAULT    0x0020u /**< ODF at the default 5031 */
#define UCB_ROUTE_OID_CORRECT    0x0040u /**< oidDO id = 2.23.43.9.1 */
#define UCB_ROUTE_OID_DOUBLE     0x0080u /**< oidDO id double-encoded (06 06 06 04 ...) */
#define UCB_ROUTE_OID_APPLICATION 0x0100u /**< OID found in applicationOID */
#define UCB_ROUTE_OID_OVERRIDE   0x0200u /**< OID given in the options */
#define UCB_ROUTE_FIXED_PATH     0x0400u /**< path given in the options, no PKCS#15 */
#define UCB_ROUTE_PIN_VERIFIED   0x0800u /**< a PIN was verified */
#define UCB_ROUTE_PRIVATE        0x1000u /**< DODF entry flagged private/modifiable */
#define UCB_ROUTE_NO_ICCID       0x2000u /**< card has no EF ICCID (6A82) */
#define UCB_ROUTE_SIZE_UNKNOWN   0x4000u /**< FCP had no size: read to the end of file */
#define UCB_ROUTE_SCP03          0x8000u /**< read inside an SCP03 session (Appendix H) */
#define UCB_ROUTE_SCP03_SKIPPED 0x10000u /**< prefer policy: the card has no SCP03 key
                                              set, the file was read in plain */

/** Where a read stopped (ucb_card_info.step). */
enum ucb_card_step {
    UCB_STEP_NONE = 0,
    UCB_STEP_ICCID,          /**< reading EF ICCID 2FE2 */
    UCB_STEP_EF_DIR,         /**< reading EF.DIR 2F00 */
    UCB_STEP_OPEN_CHANNEL,   /**< MANAGE CHANNEL open */
    UCB_STEP_SELECT_ADF,     /**< SELECT of the PKCS#15 ADF by AID */
    UCB_STEP_ODF,            /**< SELECT/READ of EF(ODF) */
    UCB_STEP_DODF,           /**< SELECT/READ of EF(DODF) */
    UCB_STEP_PIN,            /**< cardholder verification */
    UCB_STEP_SELECT_FILE,    /**< SELECT of EF LwM2M_Bootstrap */
    UCB_STEP_READ_FILE,      /**< READ BINARY of EF LwM2M_Bootstrap */
    UCB_STEP_WRITE_FILE,     /**< UPDATE BINARY of EF LwM2M_Bootstrap */
    UCB_STEP_VERIFY_FILE,    /**< read-back after write */
    UCB_STEP_CLOSE_CHANNEL,  /**< MANAGE CHANNEL close */
    UCB_STEP_SECURE_CHANNEL, /**< SCP03 INITIALIZE UPDATE / EXTERNAL AUTHENTICATE */
    UCB_STEP_DONE
};

#define UCB_ICCID_MAX 10u
#define UCB_AID_MAX 16u
#define UCB_PATH_MAX 16u

/** Result of a read: card identity, route, and on failure where it failed. */
struct ucb_card_info {
    size_t size;                   /**< bytes of the bootstrap file read */
    uint8_t iccid[UCB_ICCID_MAX];  /**< EF ICCID raw bytes (BCD, nibbles swapped) */
    uint8_t iccid_len;
    char iccid_str[2 * UCB_ICCID_MAX + 1]; /**< decoded digits, F padding dropped */
    uint8_t aid[UCB_AID_MAX];
    uint8_t aid_len;
    uint8_t path[UCB_PATH_MAX];    /**< path of the bootstrap EF as found (in the ADF) */
    uint8_t path_len;
    uint8_t sha256[32];            /**< SHA-256 of the file bytes */
    uint32_t route;                /**< UCB_ROUTE_* */
    uint8_t channel;               /**< logical channel used (0 = basic) */
    uint8_t pin_ref;               /**< PIN verified, 0 if none */
    uint8_t scp03_level;           /**< security level of the SCP03 session, 0 if none */
    uint8_t scp03_kvn;             /**< key version the card used, 0 if none */
    enum ucb_card_step step;       /**< UCB_STEP_DONE on success, else where it failed */
    uint16_t sw;                   /**< last status word seen (0 if none) */
    uint32_t n_commands;           /**< C-APDUs this call sent */
};

/**
 * Read the LwM2M bootstrap file into @p buf (Appendix G walk).
 *
 * The walk, in C-APDUs: READ BINARY SFI 02 (ICCID; SELECT 2FE2 + READ
 * BINARY when the SFI form is refused), SELECT 2F00 and READ RECORD until
 * the PKCS#15 template (on the basic channel), MANAGE CHANNEL open, SELECT
 * ADF by AID, SELECT/READ of EF(ODF) 5031 and of EF(DODF), [VERIFY],
 * SELECT of the bootstrap EF and READ BINARY in 256-byte chunks, MANAGE
 * CHANNEL close. Paths from the ODF/DODF/options that do not start with
 * 3F00 are relative to the PKCS#15 ADF and are sent as `7FFF <path>` from
 * the MF (P1=08). The R1 fixture (304 bytes) takes 14 C-APDUs.
 *
 * Decisions:
 *  - EF.DIR present but without a PKCS#15 template (AID A000000063 504B43
 *    532D3135, or that prefix): UCB_ERR_CARD_NO_DATA at UCB_STEP_EF_DIR
 *    (UCB_ERR_MALFORMED when a record could not be parsed): Appendix G
 *    signals the application by that template. UCB_CARD_SKIP_EF_DIR or an
 *    AID option reads such a card anyway. Only a missing EF.DIR (6A82)
 *    falls back to the standard AID (UCB_ROUTE_NO_EF_DIR).
 *  - EF ICCID must give its 10 bytes; a card without it (6A82) is read
 *    with UCB_ROUTE_NO_ICCID; any other refusal fails the read. Its Luhn
 *    digit (ITU-T E.118) is checked: on a mismatch it is read once more
 *    (a second read that passes is taken, the same value twice is the
 *    card's own, two different failing values fail the read with
 *    UCB_ERR_CARD_RESPONSE).
 *  - EF(ODF) and EF(DODF) are read up to 512 bytes each; entries beyond
 *    that are not seen.
 *  - The PIN key reference comes from the PIN status template of the
 *    ADF's FCP; without one no PIN is guessed, the file is read as it is,
 *    and a 6982 stays the failing command's answer. With one try left (or
 *    fewer) the callback is not called and nothing is sent
 *    (UCB_ERR_CARD_PIN). One verification per call at most.
 *  - When the card refuses MANAGE CHANNEL close after a good read, the read
 *    fails with UCB_STEP_CLOSE_CHANNEL. After a transport error (removal,
 *    timeout) nothing more is sent, so the channel stays open on the card:
 *    reset the card.
 *
 * On failure @p out->size is 0, @p out->sha256 is zero, and the bytes of
 * @p buf that the read may have written are wiped: never use them.
 *
 * @param a     engine over the card's transport; its channel is restored.
 * @param opts  options, or NULL for the defaults.
 * @param buf   receives the file bytes; must hold the FCP size.
 * @param cap   its size (UCB_BOOTSTRAP_MAX is enough for any valid card).
 * @param out   filled in on success and on failure (step, sw, route).
 * @return the file size in bytes (>= 0) on success; on failure a negative
 *         error: UCB_ERR_CARD_NO_DATA (no DODF entry with the OID),
 *         UCB_ERR_CARD_NOT_FOUND, UCB_ERR_CARD_SECURITY, UCB_ERR_CARD_PIN,
 *         UCB_ERR_CARD_RESPONSE/UCB_ERR_MALFORMED (bad EF.DIR/ODF/DODF/FCP),
 *         UCB_ERR_BUFFER (file larger than @p cap), UCB_ERR_TOO_LARGE (FCP
 *         size above 32 KB), or any transport error. The logical channel is
 *         closed on every exit path where the card still answers.
 */
UCB_API int ucb_card_read_bootstrap(struct ucb_apdu *a, const struct ucb_card_opts *opts,
                                    uint8_t *buf, size_t cap, struct ucb_card_info *out);

/**
 * What a kept read keeps between calls: the logical channel with the
 * bootstrap EF selected (and the SCP03 session of the options, when there
 * is one). Caller-allocated; ucb_card_keep_init() before first use.
 */
struct ucb_card_keep {
    bool open;
    bool scp03;                /**< the options' SCP03 session belongs to this keep */
    uint8_t channel;
    uint32_t size;             /**< FCP size of the EF at the last walk */
    struct ucb_card_info info; /**< the card as the last walk found it */
};

/** Initialise (nothing kept). Cannot fail. */
UCB_API void ucb_card_keep_init(struct ucb_card_keep *k);

/**
 * Read the bootstrap file for a check at Register/Update, at minimal cost.
 * The first call walks like ucb_card_read_bootstrap() but leaves the
 * logical channel open with the EF selected (and the SCP03 session
 * installed). Later calls, when the transport reports no card event, send
 * only the READ BINARYs of the file and one READ BINARY at its end that must
 * answer 6B00 (the file did not grow): ceil(size / chunk) + 1 C-APDUs. Any
 * deviation (a reset or re-insertion, a status word, a MAC failure, a size
 * change) closes what was kept and walks again; a walk the transport
 * answers with UCB_ERR_CARD_REINSERTED or UCB_ERR_CARD_RESET (it reconnected
 * after an event nobody polled for) is started once more, so the caller
 * need not poll card_event first. On the basic channel
 * (cards without logical channels) nothing is kept: the basic channel is
 * shared with the modem.
 * @return as ucb_card_read_bootstrap(); UCB_ERR_CARD_REMOVED when the
 *         transport says the card is gone.
 */
UCB_API int ucb_card_read_kept(struct ucb_apdu *a, const struct ucb_card_opts *opts,
                               struct ucb_card_keep *k, uint8_t *buf, size_t cap,
                               struct ucb_card_info *out);

/**
 * Close what @p k keeps: the SCP03 session (wiped) and, when
 * @p card_answers, the logical channel (MANAGE CHANNEL close).
 */
UCB_API void ucb_card_keep_close(struct ucb_apdu *a, const struct ucb_card_opts *opts,
                                 struct ucb_card_keep *k, bool card_answers);

/**
 * Write @p data to the bootstrap EF found by the same walk, with UPDATE
 * BINARY, then read it back and compare. A file shorter than the EF leaves
 * the tail untouched unless @p pad_ff is set, in which case it is filled
 * with FF. @return 0 or an error as for reading (UCB_ERR_TOO_LARGE when the
 * data is larger than the EF; UCB_ERR_CARD_RESPONSE when the read-back
 * differs, with step UCB_STEP_VERIFY_FILE). Padding needs the EF size
 * from the FCP; without it only @p data is written. On success
 * @p out->size and @p out->sha256 describe the bytes written and read back
 * (the data, plus the FF padding when @p pad_ff): with padding they equal
 * what ucb_card_read_bootstrap() then reports. The read-back goes through
 * a 256-byte buffer that is wiped afterwards.
 */
UCB_API int ucb_card_write_bootstrap(struct ucb_apdu *a, const struct ucb_card_opts *opts,
                                     const uint8_t *data, size_t len, bool pad_ff,
                                     struct ucb_card_info *out);

/** English name of a step ("SELECT of the bootstrap EF"); "" without UCB_CONFIG_TEXT. */
UCB_API const char *ucb_card_step_name(enum ucb_card_step step);

/**
 * SHA-256 (FIPS 180-4) of @p len bytes; used for the content fingerprint.
 */
UCB_API void ucb_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

#ifdef __cplusplus
}
#endif

#endif /* UCB_CARD_H */
