/*
 * Scripted transport for the tests: "expect this C-APDU, answer this
 * R-APDU", step after step (house style, test tier b).
 *
 * A script is an array of steps, each written with STEP() so it carries the
 * file:line where the expectation was written:
 *
 *     static const struct script_step steps[] = {
 *         STEP("00 70 00 00 01", "01 9000"),
 *         STEP("01 A4 04 04 0C A000000063504B43532D3135 00", "6A82"),
 *         STEP_ERROR("00 70 80 01", UCB_ERR_CARD_REMOVED),
 *     };
 *     struct ucb_transport t = SCRIPT_START(steps, 0);
 *     struct ucb_apdu a;
 *     ucb_apdu_init(&a, &t);
 *     ... run the code under test ...
 *     script_assert_done();
 *
 * The transport compares every C-APDU it is given with the next step's
 * expectation, byte for byte. On a mismatch, or a command after the last
 * step, the running cmocka test fails with a message that names the file
 * and line of the expectation and shows both byte strings. On a match it
 * answers the step's R-APDU (UCB_ERR_BUFFER when that is longer than the
 * caller's buffer, as a real transport would), or returns the step's
 * transport error for STEP_ERROR. script_assert_done() fails the test when
 * steps remain unconsumed.
 *
 * Hex strings may contain spaces, newlines and ':' (see test_hex()).
 * One script runs at a time (the state is global); SCRIPT_START replaces
 * any previous script. Steps and their strings must outlive the script:
 * a test that builds steps at run time (e.g. 128 READ BINARY chunks) keeps
 * the array and the strings alive until script_assert_done().
 */
#ifndef UCB_TEST_SCRIPT_H
#define UCB_TEST_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "uiccboot/apdu.h"
#include "uiccboot/transport.h"

struct script_step {
    const char *capdu; /**< expected C-APDU, hex */
    const char *rapdu; /**< R-APDU answered (data + SW1 SW2), hex; unused with error */
    int error;         /**< nonzero: transmit returns this error instead of answering */
    const char *file;  /**< where the expectation was written */
    int line;
};

/** Expect C-APDU @p c, answer R-APDU @p r. */
#define STEP(c, r) {(c), (r), 0, __FILE__, __LINE__}
/** Expect C-APDU @p c, make transmit return @p err (e.g. UCB_ERR_TIMEOUT). */
#define STEP_ERROR(c, err) {(c), NULL, (err), __FILE__, __LINE__}

/**
 * Start playing @p steps (@p n of them) and return a transport over them
 * with the given UCB_TRANSPORT_* @p flags. reset and card_event are NULL.
 */
struct ucb_transport script_start(const struct script_step *steps, size_t n, uint32_t flags);

#define SCRIPT_START(steps, flags) \
    script_start((steps), sizeof(steps) / sizeof((steps)[0]), (flags))

/** Fail the test when steps remain (naming the first unconsumed one). */
void script_assert_done(void);

/** Number of steps consumed so far. */
size_t script_consumed(void);

/** The timeout_ms given to the last transmit call. */
uint32_t script_last_timeout(void);

/** The rapdu_cap given to the last transmit call. */
size_t script_last_rapdu_cap(void);

/* ------------------------------------------------------------------------- */
/* A recorder for the engine's trace callback (struct ucb_apdu.trace).        */

#define SCRIPT_TRACE_MAX 32
#define SCRIPT_TRACE_BYTES 300

struct script_trace_entry {
    enum ucb_trace_dir dir;
    uint8_t bytes[SCRIPT_TRACE_BYTES]; /**< first SCRIPT_TRACE_BYTES bytes */
    size_t len;                        /**< full length given to the callback */
    size_t secret_off, secret_len;
};

/** Trace log: set `a.trace = script_trace; a.trace_ctx = &log;` (zeroed). */
struct script_trace_log {
    struct script_trace_entry e[SCRIPT_TRACE_MAX];
    size_t n;       /**< entries kept */
    size_t dropped; /**< calls past SCRIPT_TRACE_MAX */
};

/** ucb_trace_fn that appends to the struct script_trace_log in @p ctx. */
void script_trace(void *ctx, enum ucb_trace_dir dir, const uint8_t *bytes, size_t len,
                  size_t secret_off, size_t secret_len);

#endif
