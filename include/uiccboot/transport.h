/**
 * @file transport.h
 * @brief How libuiccboot reaches a card: a small struct of callbacks.
 *
 * A transport carries raw APDU bytes to a card and back. It knows nothing of
 * ISO 7816 cases, GET RESPONSE or logical channels: the APDU engine
 * (apdu.h) does all of that in one place. Secure messaging (SCP03) wraps the
 * engine's exchange; it never reaches inside a transport.
 *
 * Bindings shipped with uiccboot:
 *  - PC/SC (pcsc-lite), host only: pcsc.h, library uiccboot-host;
 *  - AT modem (+CSIM, or +CCHO/+CGLA/+CCHC): at.h; the protocol part is in
 *    the core library over two byte-I/O callbacks, and a POSIX serial/fd
 *    binding is in uiccboot-host;
 *  - the virtual UICC of the host tools, in process, for tests;
 *  - your own: fill in struct ucb_transport with your modem driver.
 */
#ifndef UCB_TRANSPORT_H
#define UCB_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Send one C-APDU and receive its R-APDU (data followed by SW1 SW2).
 *
 * @param ctx        the transport's context.
 * @param capdu      command bytes, valid for the call only.
 * @param capdu_len  number of command bytes (4 .. UCB_APDU_MAX).
 * @param rapdu      buffer for the response; does not overlap @p capdu.
 * @param rapdu_cap  its size (at least 2).
 * @param out_len    set to the response length (2 .. rapdu_cap) on success.
 * @param timeout_ms deadline for this exchange; 0 means the transport's own
 *                   default.
 * @return 0, or a transport-range error: UCB_ERR_TIMEOUT,
 *         UCB_ERR_CARD_REMOVED, UCB_ERR_CARD_RESET, UCB_ERR_CARD_REINSERTED,
 *         UCB_ERR_MODEM, UCB_ERR_BUFFER (response longer than rapdu_cap),
 *         UCB_ERR_TRANSPORT. A transport never returns a status word as an
 *         error: SW1 SW2 travel in the response bytes.
 */
typedef int (*ucb_transmit_fn)(void *ctx, const uint8_t *capdu, size_t capdu_len,
                               uint8_t *rapdu, size_t rapdu_cap, size_t *out_len,
                               uint32_t timeout_ms);

/**
 * Reset the card (warm reset where the transport can) and reconnect.
 * Every logical channel and secure session on the card is gone afterwards.
 *
 * @param atr      buffer for the ATR, or NULL.
 * @param atr_cap  its size.
 * @param out_len  set to the ATR length when @p atr is not NULL.
 * @return 0 or a transport-range error.
 */
typedef int (*ucb_reset_fn)(void *ctx, uint8_t *atr, size_t atr_cap, size_t *out_len);

/**
 * Report what happened to the card since the previous call (or since the
 * transport was opened). It must be cheap: no APDU is sent.
 *
 * @return 0 when the same card session is still there;
 *         UCB_ERR_CARD_REMOVED when no card is present now;
 *         UCB_ERR_CARD_REINSERTED when a card is present but was removed and
 *         inserted (possibly another card) since the last call;
 *         UCB_ERR_CARD_RESET when the card was reset since the last call;
 *         another transport error when the state cannot be read.
 */
typedef int (*ucb_card_event_fn)(void *ctx);

/** The transport can carry extended-length APDUs (Lc/Le above 255/256). */
#define UCB_TRANSPORT_EXTENDED 0x0001u
/** The transport answers 61xx itself (the modem or driver issues GET RESPONSE). */
#define UCB_TRANSPORT_AUTO_GET_RESPONSE 0x0002u

/**
 * A transport: function pointers plus a context, all owned by the caller.
 * @c transmit is required; @c reset and @c card_event may be NULL.
 */
struct ucb_transport {
    ucb_transmit_fn transmit;
    ucb_reset_fn reset;             /**< optional */
    ucb_card_event_fn card_event;   /**< optional */
    void *ctx;
    uint32_t flags;                 /**< UCB_TRANSPORT_* */
};

#ifdef __cplusplus
}
#endif

#endif /* UCB_TRANSPORT_H */
