/*
 * Benchmarks: a transport that records an exchange with the virtual card
 * and replays it, so callgrind counts the host's work alone.
 */
#ifndef UCB_BENCH_RECORDER_H
#define UCB_BENCH_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uiccboot/uiccboot.h"

#define RECORDER_MAX 64

struct recorder {
    size_t n, pos;
    uint8_t c[RECORDER_MAX][UCB_APDU_MAX];
    size_t clen[RECORDER_MAX];
    uint8_t r[RECORDER_MAX][UCB_RAPDU_MAX];
    size_t rlen[RECORDER_MAX];
    struct ucb_transport inner;
    bool replay;
};

/* Record through `inner` (start empty). */
void recorder_record(struct recorder *x, const struct ucb_transport *inner, struct ucb_transport *out);

/* Replay what was recorded, from the start; a command that differs from the
 * recording fails with UCB_ERR_TRANSPORT. card_event reports nothing. */
void recorder_replay(struct recorder *x, struct ucb_transport *out);

/* A fixed host challenge (ucb_random_fn), so a replayed session matches. */
int recorder_fixed_random(void *ctx, uint8_t *out, size_t len);

struct vuicc;

/*
 * The virtual card of the SCP03 and bridge benchmarks: R1 from SOURCE_ROOT
 * on a card whose PKCS#15 application is an SCP03 security domain (pysim
 * AES-128 keys, KVN 30, i 70); the host's matching keys into @p keys.
 * Prints why and returns NULL on failure.
 */
struct vuicc *bench_card_r1(const char *root, struct ucb_scp03_keys *keys);

#endif
