/*
 * Benchmark (not a test): C-APDUs and bytes of a complete card read
 * (ucb_card_read_bootstrap, EF.DIR and ICCID included) for each fixture
 * card of the virtual UICC, next to the lower bound for that card.
 *
 *   build/tests/bench/bench_read SOURCE_ROOT
 *
 * Lower bound (docs/performance.md): the fewest short C-APDUs any reader
 * needs for the Appendix G walk of that card without knowing its layout:
 *   1                      ICCID (READ BINARY by SFI 02)
 * + r                      EF.DIR records up to the PKCS#15 template (READ
 *                          RECORD by SFI 1E); r = 1 without EF.DIR, the
 *                          command that finds it missing
 * + c                      MANAGE CHANNEL open and close: c = 2, or 1 on a
 *                          card without logical channels (the refused open)
 * + 1                      SELECT of the PKCS#15 ADF
 * + 2 + 2                  SELECT + READ BINARY of ODF and DODF (each < 256 B)
 * + 1 + ceil(size / 256)   SELECT + READ BINARY of EF LwM2M_Bootstrap
 * + 2 * p                  PIN: retry counter + VERIFY (p = 1 when private)
 * + g                      T=0 cards: one GET RESPONSE for each SELECT whose
 *                          FCP is needed (EF.DIR record length, ODF, DODF and
 *                          file sizes: g = 4, 3 without EF.DIR)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uiccboot/uiccboot.h"
#include "vuicc.h"

struct bench_card {
    const char *name;
    const char *file; /* relative to the source root */
    void (*tweak)(struct vuicc_profile *p);
    const char *pin;
};

static void t_none(struct vuicc_profile *p) { (void)p; }
static void t_t0(struct vuicc_profile *p) { p->t0 = true; }
static void t_double(struct vuicc_profile *p) { p->oid = VUICC_OID_DOUBLE; }
static void t_appoid(struct vuicc_profile *p) { p->oid = VUICC_OID_APPLICATION; }
static void t_no_dir(struct vuicc_profile *p) { p->no_ef_dir = true; }
static void t_no_chan(struct vuicc_profile *p) { p->no_channels = true; }
static void t_pin(struct vuicc_profile *p)
{
    strcpy(p->pin, "1234");
    p->pin_file = true;
}
static void t_big(struct vuicc_profile *p) { p->file_size = 32768; }

static const struct bench_card cards[] = {
    {"R1 three accounts (default card)", "fixtures/bootstrap/r1-three-accounts.bin", t_none, NULL},
    {"R1, T=0 card", "fixtures/bootstrap/r1-three-accounts.bin", t_t0, NULL},
    {"R1, double-encoded OID", "fixtures/bootstrap/r1-three-accounts.bin", t_double, NULL},
    {"R1, applicationOID", "fixtures/bootstrap/r1-three-accounts.bin", t_appoid, NULL},
    {"R1, no EF.DIR", "fixtures/bootstrap/r1-three-accounts.bin", t_no_dir, NULL},
    {"R1, no logical channels", "fixtures/bootstrap/r1-three-accounts.bin", t_no_chan, NULL},
    {"R1, PIN-protected file", "fixtures/bootstrap/r1-three-accounts.bin", t_pin, "1234"},
    {"R1 in a 32 KB EF", "fixtures/bootstrap/r1-three-accounts.bin", t_big, NULL},
    {"AVSystem example", "fixtures/bootstrap/valid-avsystem-example.bin", t_none, NULL},
    {"Nordic example (padded)", "fixtures/bootstrap/valid-nordic-example-padded.bin", t_none,
     NULL},
    {"1 KB padded file", "fixtures/bootstrap/valid-padded-1k.bin", t_none, NULL},
    {"32768-byte file", "fixtures/bootstrap/valid-size-32768.bin", t_none, NULL},
};

static int bench_pin(void *ctx, uint8_t key_ref, uint8_t tries, uint8_t *pin, size_t cap,
                     size_t *out_len)
{
    const char *given = ctx;
    size_t n = strlen(given);

    (void)key_ref;
    (void)tries;
    if (n > cap)
        return UCB_ERR_ARG;
    memcpy(pin, given, n);
    *out_len = n;
    return 0;
}

static unsigned lower_bound(const struct vuicc_profile *p, size_t size)
{
    unsigned r = p->no_ef_dir ? 1 : 2; /* the virtual card's PKCS#15 template is record 2 */
    unsigned c = p->no_channels ? 1 : 2;
    unsigned pin = p->pin_file ? 1 : 0;
    unsigned g = p->t0 ? (p->no_ef_dir ? 3u : 4u) : 0;

    return 1 + r + c + 1 + 2 + 2 + 1 + (unsigned)((size + 255) / 256) + 2 * pin + g;
}

int main(int argc, char **argv)
{
    static uint8_t file[UCB_BOOTSTRAP_MAX + 1], out[UCB_BOOTSTRAP_MAX];
    const char *root = argc > 1 ? argv[1] : ".";
    int status = 0;

    printf("%-34s %7s %6s %6s %9s %9s\n", "card", "file B", "C-APDU", "bound", "bytes out",
           "bytes in");
    for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
        const struct bench_card *bc = &cards[i];
        struct vuicc_profile prof;
        struct ucb_transport t;
        struct ucb_card_opts opts;
        struct ucb_card_info info;
        struct ucb_apdu a;
        struct vuicc *card;
        char path[4096], err[200];
        size_t len;
        FILE *f;
        int rc;

        snprintf(path, sizeof(path), "%s/%s", root, bc->file);
        f = fopen(path, "rb");
        if (f == NULL) {
            perror(path);
            return 3;
        }
        len = fread(file, 1, sizeof(file), f);
        fclose(f);
        vuicc_profile_default(&prof);
        bc->tweak(&prof);
        card = vuicc_new(&prof, file, len, err, sizeof(err));
        if (card == NULL) {
            fprintf(stderr, "%s: %s\n", bc->name, err);
            return 3;
        }
        vuicc_transport(card, &t);
        ucb_apdu_init(&a, &t);
        memset(&opts, 0, sizeof(opts));
        if (bc->pin != NULL) {
            opts.pin = bench_pin;
            opts.pin_ctx = (void *)(uintptr_t)bc->pin;
        }
        rc = ucb_card_read_bootstrap(&a, &opts, out, sizeof(out), &info);
        if (rc < 0) {
            printf("%-34s read failed: %s at %s\n", bc->name, ucb_strerror(rc),
                   ucb_card_step_name(info.step));
            status = 1;
        } else {
            printf("%-34s %7zu %6u %6u %9u %9u\n", bc->name, info.size, (unsigned)a.n_commands,
                   lower_bound(&prof, info.size), (unsigned)a.n_bytes_out,
                   (unsigned)a.n_bytes_in);
        }
        ucb_apdu_deinit(&a);
        vuicc_free(card);
    }
    return status;
}
