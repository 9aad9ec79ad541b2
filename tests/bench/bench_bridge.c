/*
 * Benchmark (not a test): one bridge check before an Update on an
 * unchanged card (ucb_bridge_before_update after ucb_bridge_start), with
 * the reference core and the RAM store, plain and at SCP03 level 33.
 *
 *   build/tests/bench/bench_bridge SOURCE_ROOT                C-APDUs per check
 *   build/tests/bench/bench_bridge SOURCE_ROOT replay LEVEL   start, then one
 *       check replayed from a recording (LEVEL hex, 00 = plain); callgrind
 *       --toggle-collect=ucb_bench_bridge_check counts the check alone
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recorder.h"
#include "uiccboot/bridge.h"
#include "uiccboot/ref_core.h"
#include "vuicc.h"

static struct recorder rec;
static uint8_t buf[UCB_BOOTSTRAP_MAX], undo[UCB_BOOTSTRAP_MAX];
static struct ucb_scp03_keys keys;
static struct ucb_scp03_config cfg;
static struct ucb_scp03 session;
static struct ucb_card_opts opts;
static struct ucb_apdu engine;
static struct ucb_ref_core core;
static struct ucb_store_ram ram;
static struct ucb_bridge bridge;

/* One check; separate and not inlined so callgrind can isolate it. */
int ucb_bench_bridge_check(void);
__attribute__((noinline)) int ucb_bench_bridge_check(void)
{
    return ucb_bridge_before_update(&bridge, 101);
}

static int run(struct vuicc *card, uint8_t level, bool replay, unsigned *out_walk,
               unsigned *out_check)
{
    struct ucb_transport t, inner;
    struct ucb_bridge_config bc;
    enum ucb_bridge_next next;

    if (replay) {
        recorder_replay(&rec, &t);
    } else {
        vuicc_transport(card, &inner);
        recorder_record(&rec, &inner, &t);
    }
    ucb_apdu_init(&engine, &t);
    memset(&opts, 0, sizeof(opts));
    if (level != 0) {
        cfg.keys = &keys;
        cfg.level = level;
        cfg.random = recorder_fixed_random;
        ucb_scp03_init(&session);
        opts.scp03 = &session;
        opts.scp03_cfg = &cfg;
    }
    ucb_ref_core_init(&core);
    memset(&bc, 0, sizeof(bc));
    ucb_store_ram_init(&ram, &bc.store);
    ucb_ref_core_adapter(&core, &bc.adapter);
    bc.apdu = &engine;
    bc.reader = &opts;
    bc.file_buf = buf;
    bc.file_cap = sizeof(buf);
    bc.undo_buf = undo;
    bc.undo_cap = sizeof(undo);
    ucb_bridge_init(&bridge, &bc);
    int rc = ucb_bridge_start(&bridge, &next);
    if (rc < 0)
        return rc;
    *out_walk = engine.n_commands;
    rc = replay ? ucb_bench_bridge_check() : ucb_bridge_before_update(&bridge, 101);
    *out_check = engine.n_commands - *out_walk;
    ucb_bridge_deinit(&bridge);
    return rc;
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : ".";
    unsigned walk, check;
    struct vuicc *card;

    card = bench_card_r1(root, &keys);
    if (card == NULL)
        return 3;
    int rc = 0;
    if (argc > 3 && strcmp(argv[2], "replay") == 0) {
        uint8_t level = (uint8_t)strtoul(argv[3], NULL, 16);
        rc = run(card, level, false, &walk, &check);
        if (rc >= 0)
            rc = run(card, level, true, &walk, &check);
        if (rc >= 0)
            printf("replayed bridge check of R1 at level %02X: %u C-APDUs\n", level, check);
    } else {
        for (uint8_t level = 0; rc >= 0 && level <= 0x33; level = (uint8_t)(level ? 0x34 : 0x33)) {
            rc = run(card, level, false, &walk, &check);
            if (rc >= 0)
                printf("%-16s start (walk and apply) %2u C-APDUs, check before Update %u C-APDUs\n",
                       level ? "SCP03 level 33" : "plain", walk, check);
            vuicc_reset(card, NULL, 0);
        }
    }
    vuicc_free(card);
    if (rc < 0) {
        fprintf(stderr, "bridge failed: %s\n", ucb_strerror(rc));
        return 1;
    }
    return 0;
}
