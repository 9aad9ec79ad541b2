/**
 * @file host.h
 * @brief Host transports (library uiccboot-host): PC/SC and AT over a POSIX fd.
 *
 * These need an operating system (pcsc-lite, termios, poll) and are built
 * only for hosts; firmware uses the core library with its own transport or
 * with at.h over its UART driver. Neither allocates nor prints.
 */
#ifndef UCB_HOST_H
#define UCB_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "at.h"
#include "export.h"
#include "transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ PC/SC */

/** Longest reader name kept. */
#define UCB_PCSC_READER_MAX 128u

/**
 * PC/SC connection state. Caller-allocated; the handles are pcsc-lite's
 * SCARDCONTEXT / SCARDHANDLE stored as integers so this header needs no
 * pcsc-lite include.
 */
struct ucb_pcsc {
    intptr_t context;
    intptr_t card;
    unsigned long protocol;        /**< SCARD_PROTOCOL_T0 or T1 */
    bool connected;
    bool established;
    uint32_t event_count;          /**< pcsc-lite event counter (dwEventState >> 16) at connect */
    char reader[UCB_PCSC_READER_MAX];
};

/**
 * List the readers: NUL-terminated names one after another in @p buf.
 * @return the number of readers (0 when none), UCB_ERR_BUFFER, or
 *         UCB_ERR_TRANSPORT when the PC/SC service is not reachable.
 */
UCB_API int ucb_pcsc_list(char *buf, size_t cap);

/**
 * Whether a card is in the reader named @p reader (exact name), without
 * connecting to it (SCardGetStatusChange with a zero timeout; a mute card
 * counts as absent).
 * @return 1 (card present), 0 (no card), UCB_ERR_ARG (no such reader), or
 *         UCB_ERR_TRANSPORT when the PC/SC service is not reachable.
 */
UCB_API int ucb_pcsc_card_present(const char *reader);

/**
 * Connect to a reader given by exact name, by index ("0", "1", ...), or the
 * first reader with a card when @p reader is NULL or "".
 * @return 0, UCB_ERR_ARG (no such reader), UCB_ERR_CARD_REMOVED (no card in
 *         it), or UCB_ERR_TRANSPORT.
 */
UCB_API int ucb_pcsc_open(struct ucb_pcsc *p, const char *reader);

/** Disconnect (leaving the card powered) and release. Accepts NULL, twice. */
UCB_API void ucb_pcsc_close(struct ucb_pcsc *p);

/**
 * The transport view: transmit, reset (SCardReconnect with a warm reset)
 * and card_event (SCardGetStatusChange with a zero timeout, comparing the
 * event counter so a removal and re-insertion between two checks is seen).
 * transmit reports SCARD_W_RESET_CARD as UCB_ERR_CARD_RESET and reconnects;
 * a removed card as UCB_ERR_CARD_REMOVED, or UCB_ERR_CARD_REINSERTED when a
 * card is back in the reader (reconnected; the caller must walk again).
 */
UCB_API void ucb_pcsc_transport(struct ucb_pcsc *p, struct ucb_transport *out);

/* ------------------------------------------------------- AT over a POSIX fd */

/** fd binding for the AT transport. */
struct ucb_at_fd {
    int fd;
    bool owned;    /**< opened by ucb_at_fd_open, closed by ucb_at_fd_close */
};

/**
 * Open a serial device raw (8N1, no flow control) at @p baud (0 = leave
 * the speed as it is), or wrap an already open @p fd with ucb_at_fd_wrap().
 * @return 0, UCB_ERR_ARG (unsupported baud), or UCB_ERR_TRANSPORT.
 */
UCB_API int ucb_at_fd_open(struct ucb_at_fd *f, const char *device, unsigned baud);

/** Use an already open file descriptor (not closed by ucb_at_fd_close). */
UCB_API void ucb_at_fd_wrap(struct ucb_at_fd *f, int fd);

/** Close the device if this binding opened it. Accepts NULL, twice. */
UCB_API void ucb_at_fd_close(struct ucb_at_fd *f);

/** Initialise @p at over @p f (ucb_at_init with poll/read/write callbacks). */
UCB_API void ucb_at_fd_bind(struct ucb_at *at, struct ucb_at_fd *f, enum ucb_at_mode mode);

#ifdef __cplusplus
}
#endif

#endif /* UCB_HOST_H */
