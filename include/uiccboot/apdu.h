/**
 * @file apdu.h
 * @brief The APDU engine: ISO 7816-4 cases, 61xx/6Cxx, channel bits, status words.
 *
 * All ISO 7816 transmission mechanics live here and nowhere else:
 *  - encoding of cases 1-4 with short lengths (extended lengths only when
 *    the caller allows them and the transport says it can carry them);
 *  - `61xx`: GET RESPONSE on the same channel, appending the pieces;
 *  - `6Cxx`: the same command sent again with Le = xx;
 *  - the logical channel in CLA (TS 102 221 / ISO 7816-4 5.4.1: channels
 *    0-3 in b2-b1 of a first interindustry CLA, 4-19 in b4-b1 of a further
 *    interindustry CLA with b7 set);
 *  - a deadline per command, counters, and an exchange trace callback.
 *
 * This layer knows ISO 7816-4, TS 102 221 and GlobalPlatform; nothing here
 * knows LwM2M.
 */
#ifndef UCB_APDU_H
#define UCB_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "transport.h"
#include "ucb_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest short C-APDU: header, Lc, 255 data bytes, Le. */
#define UCB_APDU_MAX 261u
/** Largest short R-APDU: 256 data bytes and SW1 SW2. */
#define UCB_RAPDU_MAX 258u
/** Largest data field of a short command. */
#define UCB_APDU_MAX_LC 255u
/** Largest data field of a short response. */
#define UCB_APDU_MAX_NE 256u
/** Highest logical channel number (ISO 7816-4: 0-19). */
#define UCB_APDU_MAX_CHANNEL 19u

/** The command's data field is a secret (PIN, key): traces mask it. */
#define UCB_CAPDU_SECRET 0x01u
/** CLA is proprietary (b8 set, e.g. GlobalPlatform 80): the engine still
 *  puts the channel bits in it, but never touches b8. */
#define UCB_CAPDU_PROPRIETARY 0x02u

/**
 * A command APDU before encoding. The engine adds the channel bits to
 * @c cla, so callers give CLA for channel 0 (00, 80, ...).
 */
struct ucb_capdu {
    uint8_t cla;
    uint8_t ins;
    uint8_t p1;
    uint8_t p2;
    const uint8_t *data;  /**< command data (Lc bytes), or NULL when lc is 0 */
    uint16_t lc;          /**< number of data bytes: 0 = no data field */
    uint32_t ne;          /**< expected response bytes: 0 = no Le field
                               (case 1/3), 1..256 short (256 is Le=00),
                               above 256 only with extended lengths */
    uint8_t flags;        /**< UCB_CAPDU_* */
};

/**
 * A response APDU. The caller provides @c data/@c cap; the engine fills
 * @c len and @c sw. Response data that does not fit makes the exchange fail
 * with UCB_ERR_BUFFER (the status word is still set).
 */
struct ucb_rapdu {
    uint8_t *data;   /**< caller buffer for the response data, may be NULL if cap is 0 */
    size_t cap;      /**< its size */
    size_t len;      /**< response data length */
    uint16_t sw;     /**< SW1 << 8 | SW2 of the final response */
};

/** Direction of a traced exchange. */
enum ucb_trace_dir {
    UCB_TRACE_COMMAND = 0,   /**< C-APDU as sent to the transport */
    UCB_TRACE_RESPONSE = 1   /**< R-APDU as received */
};

/**
 * Trace callback: called with each raw C-APDU before it is sent and each
 * raw R-APDU after it arrives (GET RESPONSE and 6Cxx resends included).
 * @p secret_off / @p secret_len give the byte range that holds a secret
 * (a PIN) which a trace must mask unless the user asked to see secrets;
 * secret_len is 0 when there is none. The bytes are valid for the call only.
 */
typedef void (*ucb_trace_fn)(void *ctx, enum ucb_trace_dir dir, const uint8_t *bytes,
                             size_t len, size_t secret_off, size_t secret_len);

/** Allow extended lengths when the transport has UCB_TRANSPORT_EXTENDED. */
#define UCB_APDU_ALLOW_EXTENDED 0x0001u

/**
 * Secure messaging hook (GlobalPlatform SCP03, scp03.h). When installed in
 * an engine (`sm` below) it applies to every command sent on its logical
 * channel: the engine calls @c wrap on the plain command before encoding,
 * performs the ISO mechanics (61xx, 6Cxx) on the wrapped exchange, collects
 * the whole raw response, and calls @c unwrap before any response byte
 * reaches the caller. GET RESPONSE is transmission level and never wrapped;
 * commands on other channels are sent plain.
 */
struct ucb_sm {
    /**
     * Wrap @p plain into @p out. @p out->data may point into the hook's own
     * buffer, valid until the next call. @return 0 or an error (a closed or
     * failed session returns UCB_ERR_SCP_PROTOCOL: never plain text).
     */
    int (*wrap)(void *ctx, const struct ucb_capdu *plain, struct ucb_capdu *out);
    /**
     * Verify and unwrap a response: @p data / @p len is the raw response data
     * (without SW1 SW2), @p sw the status word. Writes the plain data into
     * @p out (data/cap from the caller; sets len and sw). Nothing is written
     * to @p out->data unless the MAC verified. @return 0 or an error.
     */
    int (*unwrap)(void *ctx, const uint8_t *data, size_t len, uint16_t sw, struct ucb_rapdu *out);
    /**
     * Drop the session: called when a wrapped exchange fails after @c wrap
     * (any error: the hook's MAC chain and counter moved on, the card's
     * may not have), and when any command on any channel meets a card
     * reset, removal, re-insertion, timeout or transport failure.
     */
    void (*drop)(void *ctx);
    void *ctx;
    uint8_t channel;     /**< the logical channel the session belongs to */
    uint16_t max_lc;     /**< largest plain command data field under this session */
    uint16_t max_ne;     /**< largest plain response data field under this session */
};

/** The command never goes through secure messaging (INITIALIZE UPDATE,
 *  EXTERNAL AUTHENTICATE: they set up the session themselves). */
#define UCB_CAPDU_NO_SM 0x04u

/**
 * Engine state. Caller-allocated; fields are private except where marked.
 * The buffers hold one exchange; init() sets everything.
 */
struct ucb_apdu {
    struct ucb_transport transport;
    uint32_t timeout_ms;        /**< public: per-command deadline, 0 = transport default */
    uint32_t flags;             /**< public: UCB_APDU_* */
    uint8_t channel;            /**< public: logical channel put in CLA (0-19) */
    ucb_trace_fn trace;         /**< public: optional trace callback */
    bool trace_secret_data;     /**< public: while true, the trace marks the data
                                     fields of commands and responses as secret
                                     (the reader sets it while it reads or writes
                                     the bootstrap file, which holds PSKs) */
    void *trace_ctx;
    uint32_t n_commands;        /**< public: C-APDUs sent since init */
    uint32_t n_bytes_out;       /**< public: C-APDU bytes sent */
    uint32_t n_bytes_in;        /**< public: R-APDU bytes received */
    const struct ucb_sm *sm;    /**< secure messaging hook, installed by ucb_scp03_open() */
    uint8_t tx[UCB_APDU_MAX];
    uint8_t rx[UCB_RAPDU_MAX];
    uint8_t sm_raw[UCB_RAPDU_MAX]; /**< raw response under secure messaging */
};

/** Initialise an engine over a transport (copied). Cannot fail. */
UCB_API void ucb_apdu_init(struct ucb_apdu *a, const struct ucb_transport *t);

/** Wipe the engine's buffers. Accepts NULL; may be called twice. */
UCB_API void ucb_apdu_deinit(struct ucb_apdu *a);

/**
 * CLA for @p cla (as for channel 0) on logical channel @p channel.
 * @p cla is read in the first interindustry layout (b5 chaining, b4-b3
 * secure messaging, b2-b1 ignored). Channels 0-3: b2-b1; 4-19: b7 set,
 * b4-b1 = channel-4, b5 chaining kept, and any first-class secure
 * messaging indication becomes b6. Proprietary b8 is kept (80 on channel 1
 * is 81, on channel 4 C0; GP 84 on channel 4 is E0).
 * @return the CLA byte (0..255), or UCB_ERR_ARG for a channel above 19.
 */
UCB_API int ucb_apdu_cla(uint8_t cla, uint8_t channel);

/**
 * Encode @p c with the channel bits of @p channel into @p out.
 * @return the encoded length, UCB_ERR_ARG (bad lengths, channel > 19),
 *         UCB_ERR_UNSUPPORTED (needs extended lengths and @p extended is
 *         false), or UCB_ERR_BUFFER.
 */
UCB_API int ucb_apdu_encode(const struct ucb_capdu *c, uint8_t channel, bool extended,
                            uint8_t *out, size_t cap);

/**
 * Exchange one command: encode it for the engine's channel, send it,
 * answer `61xx` with GET RESPONSE (`0X C0 00 00 xx`, interindustry CLA on
 * the same channel, repeatedly, appending the data; at most 128 rounds)
 * and resend on `6Cxx` with the announced Le (once per command: the
 * original and each GET RESPONSE). Leaves the final status word in
 * @p r->sw. A command flagged UCB_CAPDU_SECRET is wiped from the engine's
 * buffer before this returns.
 *
 * @return 0 when the exchange completed, whatever the status word (map it
 *         with ucb_sw_class()); a transport-range error; UCB_ERR_BUFFER when
 *         the response data exceeds @p r->cap (the exchange stops there;
 *         @p r->sw is the word of the response that did not fit); UCB_ERR_CARD_RESPONSE when the
 *         card's answer is shorter than a status word or loops on 61xx/6Cxx.
 */
UCB_API int ucb_apdu_transmit(struct ucb_apdu *a, const struct ucb_capdu *c,
                              struct ucb_rapdu *r);

/**
 * Like ucb_apdu_transmit(), then map the status word with ucb_sw_class():
 * returns 0 only for a success status (9000, 91xx, 92xx), else that error.
 */
UCB_API int ucb_apdu_transmit_ok(struct ucb_apdu *a, const struct ucb_capdu *c,
                                 struct ucb_rapdu *r);

/**
 * Largest plain data field a command may carry on the engine's current
 * channel: 255, or less under secure messaging (239 under C-DECRYPTION).
 */
UCB_API size_t ucb_apdu_max_lc(const struct ucb_apdu *a);

/**
 * Largest plain response data a command may ask for on the engine's current
 * channel: 256, or less under secure messaging (so that R-ENC padding and
 * the R-MAC still fit a short response: 239 with R-ENC+R-MAC, 248 with
 * R-MAC only).
 */
UCB_API size_t ucb_apdu_max_ne(const struct ucb_apdu *a);

/**
 * The status-word table (TS 102 221 10.2, ISO 7816-4 5.1.3).
 * @return 0 for success words (9000, 91xx, 92xx) and for warnings the
 *         caller must inspect itself (62xx, 63xx except 63Cx); a card-range
 *         error otherwise: UCB_ERR_CARD_NOT_FOUND (6A82, 6A83, 6A88),
 *         UCB_ERR_CARD_SECURITY (6982, 6985, 6989), UCB_ERR_CARD_PIN (63Cx,
 *         6983, 6984 on a PIN), UCB_ERR_CARD_STATUS for the rest.
 */
UCB_API int ucb_sw_class(uint16_t sw);

/** True for 9000, 91xx and 92xx. */
UCB_API bool ucb_sw_ok(uint16_t sw);

/**
 * Short English meaning of a status word ("file or application not
 * found"). Static string; "" when built with UCB_CONFIG_TEXT=0.
 */
UCB_API const char *ucb_sw_text(uint16_t sw);

#ifdef __cplusplus
}
#endif

#endif /* UCB_APDU_H */
