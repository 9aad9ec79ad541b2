/**
 * @file at.h
 * @brief AT modem transport (3GPP TS 27.007 +CSIM, +CCHO/+CGLA/+CCHC).
 *
 * The protocol part is portable and lives in the core library: it talks to
 * the modem through two byte-I/O callbacks, so firmware with its own UART
 * driver can use it. host.h (ucb_at_fd_*) binds it to a serial device or
 * any file descriptor on POSIX hosts.
 *
 * Modes:
 *  - UCB_AT_CSIM: every APDU as `AT+CSIM=<len>,"<hex>"`, reply
 *    `+CSIM: <len>,"<hex>"`. Logical channels are opened by the reader with
 *    MANAGE CHANNEL like on any other transport.
 *  - UCB_AT_CGLA: for modems that do not pass MANAGE CHANNEL through +CSIM.
 *    The transport maps logical channels onto +CCHO sessions: MANAGE
 *    CHANNEL open is answered locally with a pseudo channel number; the next
 *    SELECT by AID on that channel becomes `AT+CCHO="<aid>"` (the modem opens
 *    the channel and selects; the session ID it returns is not the channel
 *    number); every other command on that channel becomes
 *    `AT+CGLA=<session>,<len>,"<hex>"` with the channel bits of CLA cleared
 *    (the modem sets them); MANAGE CHANNEL close becomes `AT+CCHC=<session>`.
 *    Commands on the basic channel still go through +CSIM.
 *
 *    Details of the CGLA mapping: the first SELECT by AID (P1=04) on a
 *    pseudo channel becomes +CCHO; +CCHO returns no FCP, so when that
 *    SELECT asked for one (P2 b5-b3 = 001) it is also sent through +CGLA on
 *    the new session and its answer returned; if the modem or card refuses
 *    that, the reader gets a bare 9000 (the application is selected). A
 *    +CCHO error is UCB_ERR_MODEM (last_cme set); the pseudo channel stays
 *    allocated until the reader closes it. Other commands on a pseudo
 *    channel before that SELECT get 6985, commands on a channel that is not
 *    open 6881, a MANAGE CHANNEL open with no pseudo channel left 6A81.
 *    MANAGE CHANNEL close frees the pseudo channel even if +CCHC fails.
 *
 * Robustness: the command echo (ATE1) is skipped (a line starting with "AT"
 * is never passed to the URC callback: it may hold a PIN); unsolicited
 * result lines (`+CEREG: ...`, `RING`, anything not the awaited reply) are
 * skipped and passed to an optional callback; lines end at CR or LF;
 * `+CCHO: <n>` and a bare `<n>` are both accepted; `ERROR` and `+CME ERROR:
 * <n>` give UCB_ERR_MODEM with the code kept in `last_cme` (-1 for ERROR
 * and for the verbose form); no final result code before the deadline gives
 * UCB_ERR_TIMEOUT; a reply whose length or hex is inconsistent, a missing or
 * repeated reply line, or a line longer than UCB_AT_LINE_MAX gives
 * UCB_ERR_TRANSPORT (after the final result code, so the modem and the
 * transport stay in step). Bytes the read callback delivered past the final
 * result code are kept for the next command, never lost or consumed early.
 *
 * Late replies: when a command ends before its final result code (deadline,
 * read error), the next command first reads and discards up to one final
 * result code, for at most its own deadline, before writing; so the late
 * reply of the abandoned command is never taken for the new one's. After a
 * failed write the modem may hold part of a line and answer ERROR once.
 */
#ifndef UCB_AT_H
#define UCB_AT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "export.h"
#include "transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest modem line kept (a 258-byte R-APDU in hex plus the prefix fits). */
#define UCB_AT_LINE_MAX 600u
/** Longest command line built (AT+CGLA with a 261-byte C-APDU in hex fits). */
#define UCB_AT_CMD_MAX 560u
/** Logical channels mapped onto +CCHO sessions at once. */
#define UCB_AT_MAX_SESSIONS 4u
/** Bytes read for one command (echo, unsolicited lines, reply) before it
 *  is abandoned with UCB_ERR_TIMEOUT, whatever the clock says. */
#define UCB_AT_READ_BUDGET 8192u

/**
 * Write @p len bytes to the modem. @return 0, UCB_ERR_TIMEOUT or
 * UCB_ERR_TRANSPORT.
 */
typedef int (*ucb_at_write_fn)(void *ctx, const uint8_t *bytes, size_t len, uint32_t timeout_ms);

/**
 * Read what the modem has sent, up to @p cap bytes, waiting at most
 * @p timeout_ms for the first byte. @return the number of bytes (> 0),
 * UCB_ERR_TIMEOUT when nothing came, or UCB_ERR_TRANSPORT (device gone).
 */
typedef int (*ucb_at_read_fn)(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms);

/**
 * Called with each unsolicited line skipped while waiting for a reply:
 * @p len bytes without CR/LF and surrounding spaces, NUL-terminated (the
 * line may hold other NUL bytes: use @p len). Valid for the call only; the
 * callback must not call back into the transport.
 */
typedef void (*ucb_at_urc_fn)(void *ctx, const char *line, size_t len);

/**
 * Optional monotonic clock in milliseconds (any origin, wraps at 2^32),
 * called with io_ctx. With a clock the per-command deadline covers the
 * whole exchange; without one it bounds each wait for the next bytes, so a
 * modem that keeps talking without answering is cut off by a byte budget
 * instead (UCB_AT_READ_BUDGET).
 */
typedef uint32_t (*ucb_at_clock_fn)(void *ctx);

enum ucb_at_mode {
    UCB_AT_CSIM = 0,
    UCB_AT_CGLA = 1
};

/** One logical channel mapped onto a +CCHO session. */
struct ucb_at_session {
    uint8_t channel;       /**< pseudo channel number the reader sees (1..19), 0 = free */
    bool open;             /**< +CCHO done */
    uint32_t id;           /**< session ID from +CCHO */
};

/** AT transport state. Caller-allocated; init() sets every field. */
struct ucb_at {
    ucb_at_read_fn read;
    ucb_at_write_fn write;
    void *io_ctx;
    enum ucb_at_mode mode;
    uint32_t timeout_ms;          /**< public: default per-command deadline (5000) */
    ucb_at_urc_fn urc;            /**< public: optional */
    void *urc_ctx;
    ucb_at_clock_fn clock;        /**< public: optional, NULL after init (at_fd sets one) */
    int last_cme;                 /**< public: last +CME ERROR code, -1 for plain ERROR */
    struct ucb_at_session sessions[UCB_AT_MAX_SESSIONS];
    bool resync;                  /**< a command ended before its final result code */
    bool overlong;                /**< dropping the rest of an overlong line */
    size_t line_len;
    size_t pending_len;           /**< bytes read past the current line */
    char line[UCB_AT_LINE_MAX];
    uint8_t pending[UCB_AT_LINE_MAX];
    char cmd[UCB_AT_CMD_MAX];
};

/** Initialise over byte-I/O callbacks. Cannot fail. */
UCB_API void ucb_at_init(struct ucb_at *at, ucb_at_read_fn read, ucb_at_write_fn write,
                         void *io_ctx, enum ucb_at_mode mode);

/** Fill @p out with the transport view of @p at (transmit only). */
UCB_API void ucb_at_transport(struct ucb_at *at, struct ucb_transport *out);

/**
 * Send a bare command line (e.g. "ATE0", without CR) and wait for OK.
 * Information lines before OK go to the URC callback.
 * @return 0, UCB_ERR_MODEM, UCB_ERR_TIMEOUT, UCB_ERR_TRANSPORT, or
 *         UCB_ERR_ARG (empty, too long, or holding CR/LF).
 */
UCB_API int ucb_at_command(struct ucb_at *at, const char *cmd);

/**
 * Close every +CCHO session still open (AT+CCHC) and wipe the whole state.
 * Accepts NULL and may be called twice.
 */
UCB_API void ucb_at_deinit(struct ucb_at *at);

#ifdef __cplusplus
}
#endif

#endif /* UCB_AT_H */
