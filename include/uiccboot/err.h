/**
 * @file err.h
 * @brief The one error convention of libuiccboot.
 *
 * Every fallible function returns `int`: 0 on success, a positive value only
 * where the function documents it as a count (bytes, items), and a negative
 * `enum ucb_err` value on failure. Card status words never travel in this int;
 * they stay in the response structure.
 *
 * Errors are grouped by range so a caller can classify them with the
 * UCB_ERR_IS_* macros: transport -1..-19, card -20..-39, secure channel
 * -40..-59, data -60..-79, argument -80..-99, store -100..-119,
 * adapter -120..-139.
 */
#ifndef UCB_ERR_H
#define UCB_ERR_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Negative error codes; see the file comment for the ranges. */
enum ucb_err {
    UCB_OK = 0,

    /* transport */
    UCB_ERR_TRANSPORT = -1,      /**< transport failed to carry the exchange */
    UCB_ERR_TIMEOUT = -2,        /**< no answer within the deadline */
    UCB_ERR_CARD_REMOVED = -3,   /**< card removed (or never present) */
    UCB_ERR_CARD_RESET = -4,     /**< card was reset; sessions are gone */
    UCB_ERR_CARD_REINSERTED = -5, /**< card removed and inserted again since
                                       the last exchange: it may be another card */
    UCB_ERR_MODEM = -6,          /**< modem refused the command (ERROR, +CME ERROR) */

    /* card */
    UCB_ERR_CARD_STATUS = -20,   /**< card answered an error status word */
    UCB_ERR_CARD_NOT_FOUND = -21, /**< file or application not on the card */
    UCB_ERR_CARD_SECURITY = -22, /**< security status not satisfied */
    UCB_ERR_CARD_PIN = -23,      /**< PIN refused, blocked or too few tries */
    UCB_ERR_CARD_RESPONSE = -24, /**< card response malformed */
    UCB_ERR_CARD_NO_DATA = -25,  /**< card holds no LwM2M bootstrap data object */

    /* secure channel */
    UCB_ERR_SCP_AUTH = -40,      /**< card cryptogram did not verify */
    UCB_ERR_SCP_MAC = -41,       /**< response MAC did not verify */
    UCB_ERR_SCP_PROTOCOL = -42,  /**< unexpected secure channel message */
    UCB_ERR_SCP_CRYPTO = -43,    /**< crypto backend failed */

    /* data */
    UCB_ERR_MALFORMED = -60,     /**< bytes do not follow the format */
    UCB_ERR_TRUNCATED = -61,     /**< an element runs past the end of its container */
    UCB_ERR_NESTING = -62,       /**< TLV kind not allowed at this level */
    UCB_ERR_TYPE = -63,          /**< value has the wrong length or encoding for its type */
    UCB_ERR_TOO_LARGE = -64,     /**< data larger than the format or UCB_BOOTSTRAP_MAX allows */
    UCB_ERR_CAPACITY = -65,      /**< model has no room (UCB_BS_MAX_*) */
    UCB_ERR_INVALID = -66,       /**< content decodes but fails validation */
    UCB_ERR_NOT_PRESENT = -67,   /**< the resource or instance is absent */

    /* argument */
    UCB_ERR_ARG = -80,           /**< invalid argument */
    UCB_ERR_BUFFER = -81,        /**< caller's buffer too small */
    UCB_ERR_UNSUPPORTED = -82,   /**< feature not built or not supported */
    UCB_ERR_STATE = -83,         /**< call not valid in this state */

    /* store */
    UCB_ERR_STORE = -100,        /**< provenance store failed */

    /* adapter */
    UCB_ERR_ADAPTER = -120       /**< LwM2M client adapter failed */
};

#define UCB_ERR_IS_TRANSPORT(e) ((e) <= -1 && (e) >= -19)
#define UCB_ERR_IS_CARD(e) ((e) <= -20 && (e) >= -39)
#define UCB_ERR_IS_SCP(e) ((e) <= -40 && (e) >= -59)
#define UCB_ERR_IS_DATA(e) ((e) <= -60 && (e) >= -79)
#define UCB_ERR_IS_ARG(e) ((e) <= -80 && (e) >= -99)
#define UCB_ERR_IS_STORE(e) ((e) <= -100 && (e) >= -119)
#define UCB_ERR_IS_ADAPTER(e) ((e) <= -120 && (e) >= -139)

/**
 * Short English text for a return value (0 gives "ok", unknown values
 * "unknown error"). The string is static. With UCB_CONFIG_STRERROR=0 it
 * returns "".
 */
UCB_API const char *ucb_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* UCB_ERR_H */
