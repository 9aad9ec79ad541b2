/*
 * Benchmark (not a test): what SCP03 adds to the full read of R1
 * (ucb_card_read_bootstrap, EF.DIR and ICCID included) on the virtual UICC.
 *
 *   build/tests/bench/bench_scp03 SOURCE_ROOT            table of C-APDUs and bytes
 *   build/tests/bench/bench_scp03 SOURCE_ROOT replay LEVEL
 *       one read at LEVEL (hex; 00 = plain) replayed from a recording, for
 *       callgrind: --toggle-collect=ucb_bench_read_once counts host work only
 *
 * The recording is made against the virtual card with a fixed host
 * challenge; replaying it gives the host exactly the same exchange without
 * running the card's side, so the instruction count is the host's alone.
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
static struct ucb_apdu engine;

/* One read; separate and not inlined so callgrind can isolate it. */
int ucb_bench_read_once(struct ucb_card_info *info);
__attribute__((noinline)) int ucb_bench_read_once(struct ucb_card_info *info)
{
    return ucb_card_read_bootstrap(&engine, &opts, out, sizeof(out), info);
}

static int run(struct vuicc *card, uint8_t level, bool replay, struct ucb_card_info *info)
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
    if (level != 0) {
        cfg.keys = &keys;
        cfg.level = level;
        cfg.random = recorder_fixed_random;
        ucb_scp03_init(&session);
        opts.scp03 = &session;
        opts.scp03_cfg = &cfg;
    }
    /* Only the replayed read is the host's work alone. */
    return replay ? ucb_bench_read_once(info)
                  : ucb_card_read_bootstrap(&engine, &opts, out, sizeof(out), info);
}

int main(int argc, char **argv)
{
    static const uint8_t levels[] = {0x00, 0x01, 0x03, 0x11, 0x13, 0x33};
    const char *root = argc > 1 ? argv[1] : ".";
    struct ucb_card_info info;
    struct vuicc *card;
    unsigned base_c = 0, base_b = 0;

    card = bench_card_r1(root, &keys);
    if (card == NULL)
        return 3;

    if (argc > 3 && strcmp(argv[2], "replay") == 0) {
        uint8_t level = (uint8_t)strtoul(argv[3], NULL, 16);
        int rc = run(card, level, false, &info);
        if (rc >= 0)
            rc = run(card, level, true, &info);
        if (rc < 0) {
            fprintf(stderr, "read failed: %s at %s\n", ucb_strerror(rc),
                    ucb_card_step_name(info.step));
            return 1;
        }
        printf("replayed read of R1 at level %02X: %u C-APDUs\n", level,
               (unsigned)info.n_commands);
        vuicc_free(card);
        return 0;
    }

    printf("%-16s %6s %9s %8s %14s\n", "R1 (304 B)", "C-APDU", "bytes out", "bytes in",
           "extra vs plain");
    for (size_t i = 0; i < sizeof(levels); i++) {
        int rc = run(card, levels[i], false, &info);
        unsigned bytes = engine.n_bytes_out + engine.n_bytes_in;
        char name[32];

        if (rc < 0) {
            printf("level %02X: read failed: %s at %s\n", levels[i], ucb_strerror(rc),
                   ucb_card_step_name(info.step));
            vuicc_free(card);
            return 1;
        }
        if (levels[i] == 0) {
            base_c = engine.n_commands;
            base_b = bytes;
            snprintf(name, sizeof(name), "plain");
        } else {
            snprintf(name, sizeof(name), "SCP03 level %02X", levels[i]);
        }
        printf("%-16s %6u %9u %8u   +%u C, +%u B\n", name, (unsigned)engine.n_commands,
               (unsigned)engine.n_bytes_out, (unsigned)engine.n_bytes_in,
               (unsigned)engine.n_commands - base_c, bytes - base_b);
    }
    vuicc_free(card);
    return 0;
}
