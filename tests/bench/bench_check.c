/*
 * Benchmark (not a test): the check at Register/Update on an unchanged
 * card (ucb_card_read_kept after a first walk), plain and at SCP03 level
 * 33: C-APDUs and bytes per check, and, replayed for callgrind, the host's
 * instructions per check.
 *
 *   build/tests/bench/bench_check SOURCE_ROOT                 the table
 *   build/tests/bench/bench_check SOURCE_ROOT replay LEVEL    walk, then one
 *       check replayed from a recording (LEVEL hex, 00 = plain); callgrind
 *       with --toggle-collect=ucb_bench_check_once counts the check alone
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uiccboot/uiccboot.h"
#include "recorder.h"
#include "vuicc.h"

static struct recorder rec;

static uint8_t out[UCB_BOOTSTRAP_MAX];
static struct ucb_scp03_keys keys;
static struct ucb_scp03_config cfg;
static struct ucb_scp03 session;
static struct ucb_card_opts opts;
static struct ucb_card_keep keep;
static struct ucb_apdu engine;

/* One check; separate and not inlined so callgrind can isolate it. */
int ucb_bench_check_once(struct ucb_card_info *info);
__attribute__((noinline)) int ucb_bench_check_once(struct ucb_card_info *info)
{
    return ucb_card_read_kept(&engine, &opts, &keep, out, sizeof(out), info);
}

/* Walk, then one check. Recording: against the card. Replay: the same
 * exchange from the recording (the walk included, untimed). */
static int walk_and_check(struct vuicc *card, uint8_t level, bool replay,
                          struct ucb_card_info *walk, struct ucb_card_info *check)
{
    struct ucb_transport t, inner;

    if (!replay) {
        vuicc_transport(card, &inner);
        recorder_record(&rec, &inner, &t);
    } else {
        recorder_replay(&rec, &t);
    }
    ucb_apdu_init(&engine, &t);
    memset(&opts, 0, sizeof(opts));
    ucb_card_keep_init(&keep);
    if (level != 0) {
        cfg.keys = &keys;
        cfg.level = level;
        cfg.random = recorder_fixed_random;
        ucb_scp03_init(&session);
        opts.scp03 = &session;
        opts.scp03_cfg = &cfg;
    }
    int rc = ucb_card_read_kept(&engine, &opts, &keep, out, sizeof(out), walk);
    if (rc < 0)
        return rc;
    uint32_t out0 = engine.n_bytes_out, in0 = engine.n_bytes_in;
    rc = replay ? ucb_bench_check_once(check)
                : ucb_card_read_kept(&engine, &opts, &keep, out, sizeof(out), check);
    if (!replay && rc >= 0) {
        printf("%-16s walk %2u C-APDUs, check %u C-APDUs, %u bytes out, %u bytes in\n",
               level ? "SCP03 level 33" : "plain", (unsigned)walk->n_commands,
               (unsigned)check->n_commands, (unsigned)(engine.n_bytes_out - out0),
               (unsigned)(engine.n_bytes_in - in0));
    }
    return rc;
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : ".";
    struct ucb_card_info walk, check;
    struct vuicc *card;

    card = bench_card_r1(root, &keys);
    if (card == NULL)
        return 3;
    if (argc > 3 && strcmp(argv[2], "replay") == 0) {
        uint8_t level = (uint8_t)strtoul(argv[3], NULL, 16);
        int rc = walk_and_check(card, level, false, &walk, &check);
        if (rc >= 0) {
            ucb_card_keep_close(&engine, &opts, &keep, false);
            rc = walk_and_check(card, level, true, &walk, &check);
        }
        vuicc_free(card);
        if (rc < 0) {
            fprintf(stderr, "check failed: %s\n", ucb_strerror(rc));
            return 1;
        }
        printf("replayed check of R1 at level %02X: %u C-APDUs\n", level,
               (unsigned)check.n_commands);
        return 0;
    }
    printf("R1 (304 B), check on an unchanged card (ucb_card_read_kept)\n");
    int rc = walk_and_check(card, 0x00, false, &walk, &check);
    ucb_card_keep_close(&engine, &opts, &keep, true);
    if (rc >= 0)
        rc = walk_and_check(card, 0x33, false, &walk, &check);
    ucb_card_keep_close(&engine, &opts, &keep, true);
    vuicc_free(card);
    if (rc < 0) {
        fprintf(stderr, "check failed: %s\n", ucb_strerror(rc));
        return 1;
    }
    return 0;
}
