/*
 * The Appendix H read (ucb_card_read_bootstrap with SCP03 options) against
 * the in-process virtual UICC, whose security domain is implemented apart
 * from the host side (host-tools/simcard/vuicc_scp03.c): every security
 * level and key size, the policies, the refusals, writing, the APDU budget,
 * and a fault at every C-APDU of a secured read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "uiccboot/apdu.h"
#include "uiccboot/card.h"
#include "uiccboot/err.h"
#include "uiccboot/scp03.h"
#include "vuicc.h"

#define R1 "fixtures/bootstrap/r1-three-accounts.bin"

static const uint8_t k128[3][16] = {
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f},
    {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f},
    {0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f},
};

/* Key sets of every size: byte i of key k is 0x10*k + i (as the pysim
 * pattern, extended for 192 and 256 bits). */
static void fill_keys(size_t len, uint8_t enc[32], uint8_t mac[32], uint8_t dek[32])
{
    for (size_t i = 0; i < len; i++) {
        enc[i] = (uint8_t)(i & 0x0f);
        mac[i] = (uint8_t)(0x10 | (i & 0x0f));
        dek[i] = (uint8_t)(0x20 | (i & 0x0f));
    }
}

struct fixture {
    uint8_t *file;
    size_t len;
    struct vuicc *card;
    struct ucb_transport t;
    struct ucb_apdu a;
    struct ucb_scp03_keys keys;
    struct ucb_scp03_config cfg;
    struct ucb_scp03 session;
    struct ucb_card_opts opts;
    struct ucb_card_info info;
    uint8_t buf[UCB_BOOTSTRAP_MAX];
    unsigned n_ext_auth;   /* EXTERNAL AUTHENTICATE commands seen */
};

static void on_trace(void *ctx, enum ucb_trace_dir dir, const uint8_t *b, size_t len,
                     size_t off, size_t slen)
{
    struct fixture *f = ctx;
    (void)off;
    (void)slen;
    if (dir == UCB_TRACE_COMMAND && len >= 2 && b[1] == 0x82)
        f->n_ext_auth++;
}

/* A card with an SCP03 key set of `card_len` bytes (0: none), i-parameter
 * `i`, and a host configured with `host_len`-byte keys at `level`. */
static struct fixture *setup_card(size_t card_len, uint8_t i_param, bool required, size_t host_len,
                                  uint8_t level)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct vuicc_profile p;
    char err[200];

    assert_non_null(f);
    f->file = test_read_file(R1, &f->len);
    vuicc_profile_default(&p);
    if (card_len != 0) {
        p.scp03.len = (uint8_t)card_len;
        p.scp03.kvn = 0x30;
        p.scp03.i_param = i_param;
        fill_keys(card_len, p.scp03.enc, p.scp03.mac, p.scp03.dek);
    }
    p.scp03_required = required;
    f->card = vuicc_new(&p, f->file, f->len, err, sizeof(err));
    if (f->card == NULL)
        fail_msg("vuicc_new: %s", err);
    vuicc_transport(f->card, &f->t);
    ucb_apdu_init(&f->a, &f->t);
    f->a.trace = on_trace;
    f->a.trace_ctx = f;
    f->keys.len = (uint8_t)host_len;
    f->keys.kvn = 0x30;
    fill_keys(host_len, f->keys.enc, f->keys.mac, f->keys.dek);
    f->cfg.keys = &f->keys;
    f->cfg.level = level;
    ucb_scp03_init(&f->session);
    f->opts.scp03 = &f->session;
    f->opts.scp03_cfg = &f->cfg;
    return f;
}

static void teardown_card(struct fixture *f)
{
    vuicc_free(f->card);
    free(f->file);
    free(f);
}

static int read_card(struct fixture *f)
{
    f->n_ext_auth = 0;
    uint32_t before = f->a.n_commands;
    int rc = ucb_card_read_bootstrap(&f->a, &f->opts, f->buf, sizeof(f->buf), &f->info);
    assert_int_equal(f->info.n_commands, f->a.n_commands - before);
    return rc;
}

static void assert_session_wiped(const struct ucb_scp03 *s)
{
    static const uint8_t zero[UCB_SCP03_KEY_MAX];
    assert_memory_equal(s->s_enc, zero, sizeof(zero));
    assert_memory_equal(s->s_mac, zero, sizeof(zero));
    assert_memory_equal(s->s_rmac, zero, sizeof(zero));
    assert_false(ucb_scp03_active(s));
}

static void every_level_and_key_size_reads_the_file(void **state)
{
    static const uint8_t levels[] = {0x01, 0x03, 0x11, 0x13, 0x33};
    static const size_t sizes[] = {16, 24, 32};
    (void)state;

    for (size_t k = 0; k < 3; k++) {
        for (size_t l = 0; l < sizeof(levels); l++) {
            struct fixture *f = setup_card(sizes[k], 0x70, false, sizes[k], levels[l]);
            int rc = read_card(f);
            if (rc != (int)f->len)
                fail_msg("AES-%zu level %02X: rc %d (%s) at %s, SW %04X", 8 * sizes[k], levels[l],
                         rc, ucb_strerror(rc), ucb_card_step_name(f->info.step), f->info.sw);
            assert_memory_equal(f->buf, f->file, f->len);
            assert_true(f->info.route & UCB_ROUTE_SCP03);
            assert_int_equal(f->info.scp03_level, levels[l]);
            assert_int_equal(f->info.scp03_kvn, 0x30);
            assert_int_equal(f->n_ext_auth, 1);
            assert_session_wiped(&f->session);
            assert_null(f->a.sm);
            teardown_card(f);
        }
    }
}

static void r1_at_level_33_takes_at_most_16_commands(void **state)
{
    (void)state;
    struct fixture *f = setup_card(16, 0x70, true, 16, 0x33);
    assert_int_equal(read_card(f), (int)f->len);
    print_message("R1 at SCP03 level 33: %u C-APDUs, %u bytes out, %u bytes in\n",
                  (unsigned)f->info.n_commands, (unsigned)f->a.n_bytes_out,
                  (unsigned)f->a.n_bytes_in);
    assert_true(f->info.n_commands <= 16);
    teardown_card(f);
}

static void pseudo_random_card_challenge_is_checked(void **state)
{
    (void)state;
    /* i = 0x70 has the pseudo-random bit: the card derives its challenge
     * from the sequence counter and the PKCS#15 AID; the host checks it. */
    struct fixture *f = setup_card(16, 0x70, false, 16, 0x33);
    assert_int_equal(read_card(f), (int)f->len);
    /* A card that lies about its challenge is refused before EXTERNAL
     * AUTHENTICATE. */
    static const uint8_t lie[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    vuicc_scp03_set_card_challenge(f->card, lie);
    int rc = read_card(f);
    assert_true(rc == UCB_ERR_SCP_PROTOCOL || rc == UCB_ERR_SCP_AUTH);
    assert_int_equal(f->info.step, UCB_STEP_SECURE_CHANNEL);
    assert_int_equal(f->n_ext_auth, 0);
    teardown_card(f);
}

static void wrong_static_keys_fail_without_external_authenticate(void **state)
{
    (void)state;
    struct fixture *f = setup_card(16, 0x70, false, 16, 0x33);
    f->keys.mac[15] ^= 0x01;
    int rc = read_card(f);
    assert_int_equal(rc, UCB_ERR_SCP_AUTH);
    assert_int_equal(f->info.step, UCB_STEP_SECURE_CHANNEL);
    assert_int_equal(f->info.size, 0);
    assert_int_equal(f->n_ext_auth, 0);
    assert_session_wiped(&f->session);
    /* The logical channel was closed: a plain read of the same card works. */
    f->opts.scp03_cfg = NULL;
    assert_int_equal(read_card(f), (int)f->len);
    teardown_card(f);
}

static void key_size_mismatch_fails_cleanly(void **state)
{
    (void)state;
    struct fixture *f = setup_card(32, 0x70, false, 16, 0x33);
    int rc = read_card(f);
    /* the pseudo-random challenge (derived from Key-ENC) or the card
     * cryptogram does not verify: either way, nothing more is sent */
    assert_true(rc == UCB_ERR_SCP_AUTH || rc == UCB_ERR_SCP_PROTOCOL);
    assert_int_equal(f->info.step, UCB_STEP_SECURE_CHANNEL);
    assert_int_equal(f->n_ext_auth, 0);
    teardown_card(f);
}

static void card_without_r_mac_support_is_refused_at_level_33_no_downgrade(void **state)
{
    (void)state;
    for (int policy = 0; policy < 2; policy++) {
        struct fixture *f = setup_card(16, 0x00, false, 16, 0x33);
        f->opts.scp03_policy = policy ? UCB_SCP03_PREFER : UCB_SCP03_REQUIRE;
        int rc = read_card(f);
        assert_int_equal(rc, UCB_ERR_UNSUPPORTED);
        assert_int_equal(f->info.step, UCB_STEP_SECURE_CHANNEL);
        assert_int_equal(f->n_ext_auth, 0);
        assert_false(f->info.route & UCB_ROUTE_SCP03_SKIPPED);
        teardown_card(f);
    }
}

static void require_policy_never_reads_a_card_without_scp03_in_plain(void **state)
{
    (void)state;
    struct fixture *f = setup_card(0, 0, false, 16, 0x33);
    int rc = read_card(f);
    assert_true(rc < 0);
    assert_int_equal(f->info.step, UCB_STEP_SECURE_CHANNEL);
    assert_int_equal(f->info.size, 0);
    teardown_card(f);
}

static void prefer_policy_reads_a_card_without_scp03_in_plain_and_says_so(void **state)
{
    (void)state;
    struct fixture *f = setup_card(0, 0, false, 16, 0x33);
    f->opts.scp03_policy = UCB_SCP03_PREFER;
    assert_int_equal(read_card(f), (int)f->len);
    assert_true(f->info.route & UCB_ROUTE_SCP03_SKIPPED);
    assert_false(f->info.route & UCB_ROUTE_SCP03);
    assert_int_equal(f->info.scp03_level, 0);
    teardown_card(f);
}

static void prefer_policy_does_not_fall_back_after_a_failed_authentication(void **state)
{
    (void)state;
    struct fixture *f = setup_card(16, 0x70, false, 16, 0x33);
    f->opts.scp03_policy = UCB_SCP03_PREFER;
    f->keys.mac[0] ^= 0x80; /* the card cryptogram does not verify */
    assert_int_equal(read_card(f), UCB_ERR_SCP_AUTH);
    assert_int_equal(f->n_ext_auth, 0);
    assert_false(f->info.route & UCB_ROUTE_SCP03_SKIPPED);
    teardown_card(f);
}

static void card_that_requires_scp03_refuses_plain_and_weak_levels(void **state)
{
    (void)state;
    struct fixture *f = setup_card(16, 0x70, true, 16, 0x33);
    f->opts.scp03_cfg = NULL;
    int rc = read_card(f);
    assert_int_equal(rc, UCB_ERR_CARD_SECURITY);
    assert_int_equal(f->info.sw, 0x6982);
    f->opts.scp03_cfg = &f->cfg;
    f->cfg.level = 0x11; /* no R-ENC: the card keeps the file to itself */
    rc = read_card(f);
    assert_true(rc < 0);
    f->cfg.level = 0x33;
    assert_int_equal(read_card(f), (int)f->len);
    teardown_card(f);
}

static void write_through_scp03_then_read_back(void **state)
{
    (void)state;
    struct fixture *f = setup_card(24, 0x70, true, 24, 0x33);
    size_t len;
    uint8_t *other = test_read_file("fixtures/bootstrap/valid-avsystem-example.bin", &len);
    struct ucb_card_info info;
    int rc = ucb_card_write_bootstrap(&f->a, &f->opts, other, len, true, &info);
    if (rc != 0)
        fail_msg("write: %s at %s SW %04X", ucb_strerror(rc), ucb_card_step_name(info.step),
                 info.sw);
    assert_true(info.route & UCB_ROUTE_SCP03);
    assert_int_equal(read_card(f), (int)f->len);
    assert_memory_equal(f->buf, other, len);
    for (size_t i = len; i < f->len; i++)
        assert_int_equal(f->buf[i], 0xFF);
    assert_session_wiped(&f->session);
    free(other);
    teardown_card(f);
}

/* A fault at every C-APDU of a secured read: an error that names a step, or
 * the whole, exact file. With R-MAC, a corrupted response can never pass. */
static void fault_at_every_command_of_a_secured_read(void **state)
{
    (void)state;
    struct fixture *f = setup_card(16, 0x70, false, 16, 0x33);
    assert_int_equal(read_card(f), (int)f->len);
    const unsigned n = (unsigned)f->info.n_commands;
    teardown_card(f);

    static const enum vuicc_fault_kind kinds[] = {VUICC_FAULT_SW, VUICC_FAULT_REMOVE,
                                                  VUICC_FAULT_MUTE, VUICC_FAULT_NONE};
    for (size_t kind = 0; kind < 4; kind++) {
        for (unsigned k = 1; k <= n; k++) {
            struct vuicc_profile p;
            char err[200];
            f = setup_card(16, 0x70, false, 16, 0x33);
            vuicc_free(f->card);
            vuicc_profile_default(&p);
            p.scp03.len = 16;
            p.scp03.kvn = 0x30;
            p.scp03.i_param = 0x70;
            fill_keys(16, p.scp03.enc, p.scp03.mac, p.scp03.dek);
            if (kinds[kind] == VUICC_FAULT_NONE) {
                p.corrupt_at = k;       /* last data byte, or SW1 */
                p.corrupt_byte = 0;
                p.corrupt_xor = 0x01;
            } else {
                p.fault_at = k;
                p.fault_kind = kinds[kind];
                p.fault_sw = 0x6F00;
            }
            f->card = vuicc_new(&p, f->file, f->len, err, sizeof(err));
            assert_non_null(f->card);
            vuicc_transport(f->card, &f->t);
            ucb_apdu_init(&f->a, &f->t);
            memset(f->buf, 0xA5, sizeof(f->buf));
            int rc = read_card(f);
            if (rc >= 0) {
                if (rc != (int)f->len || memcmp(f->buf, f->file, f->len) != 0)
                    fail_msg("fault kind %zu at %u: success with other content", kind, k);
                /* only faults the walk can absorb: a corrupted plain answer
                 * that still parses the same, or the final close */
            } else {
                assert_int_equal(f->info.size, 0);
                assert_int_not_equal(f->info.step, UCB_STEP_DONE);
                /* the caller's buffer holds nothing of the file */
                for (size_t i = 0; i < f->len; i++)
                    if (f->buf[i] != 0xA5 && f->buf[i] != 0)
                        fail_msg("fault kind %zu at %u: buffer byte %zu left set", kind, k, i);
            }
            assert_session_wiped(&f->session);
            assert_null(f->a.sm);
            teardown_card(f);
        }
    }
}

/* ---- kept reads: the check at every Register/Update ---- */

static int read_kept(struct fixture *f, struct ucb_card_keep *k)
{
    f->n_ext_auth = 0;
    return ucb_card_read_kept(&f->a, &f->opts, k, f->buf, sizeof(f->buf), &f->info);
}

static void kept_check_of_an_unchanged_card_costs_its_read_binaries_plus_one(void **state)
{
    (void)state;
    for (int secured = 0; secured < 2; secured++) {
        struct fixture *f = setup_card(16, 0x70, false, 16, 0x33);
        struct ucb_card_keep k;
        if (!secured)
            f->opts.scp03_cfg = NULL;
        ucb_card_keep_init(&k);
        assert_int_equal(read_kept(f, &k), (int)f->len);
        /* the full walk, less the MANAGE CHANNEL close */
        assert_int_equal(f->info.n_commands, secured ? 15 : 13);
        assert_true(k.open);
        uint8_t first[32];
        memcpy(first, f->info.sha256, 32);
        for (int i = 0; i < 3; i++) {
            memset(f->buf, 0, sizeof(f->buf));
            assert_int_equal(read_kept(f, &k), (int)f->len);
            /* 304 bytes: two READ BINARY (256 or 239 bytes a chunk) and the probe */
            assert_int_equal(f->info.n_commands, 3);
            assert_memory_equal(f->buf, f->file, f->len);
            assert_memory_equal(f->info.sha256, first, 32);
            assert_string_equal(f->info.iccid_str, "8988211000000430010");
            assert_int_equal(f->n_ext_auth, 0);
        }
        ucb_card_keep_close(&f->a, &f->opts, &k, true);
        assert_false(k.open);
        assert_session_wiped(&f->session);
        assert_null(f->a.sm);
        /* the channel was closed: a fresh full read works */
        assert_int_equal(read_kept(f, &k), (int)f->len);
        assert_int_equal(f->info.n_commands, secured ? 15 : 13);
        ucb_card_keep_close(&f->a, &f->opts, &k, true);
        teardown_card(f);
    }
}

static void kept_check_sees_new_content_and_a_removed_card(void **state)
{
    (void)state;
    struct fixture *f = setup_card(16, 0x70, false, 16, 0x33);
    struct ucb_card_keep k;
    struct vuicc_profile p;
    char err[200];
    size_t len;
    uint8_t *other = test_read_file("fixtures/bootstrap/valid-avsystem-example.bin", &len);

    ucb_card_keep_init(&k);
    assert_int_equal(read_kept(f, &k), (int)f->len);
    /* New content on the same card (an over-the-air update): smaller file. */
    vuicc_profile_default(&p);
    p.scp03.len = 16;
    p.scp03.kvn = 0x30;
    p.scp03.i_param = 0x70;
    fill_keys(16, p.scp03.enc, p.scp03.mac, p.scp03.dek);
    assert_int_equal(vuicc_reload(f->card, &p, other, len, err, sizeof(err)), 0);
    int rc = read_kept(f, &k);
    assert_int_equal(rc, (int)len);
    assert_memory_equal(f->buf, other, len);
    /* Removed: the transport says so, no command needed. */
    vuicc_remove(f->card);
    uint32_t before = f->a.n_commands;
    rc = read_kept(f, &k);
    assert_int_equal(rc, UCB_ERR_CARD_REMOVED);
    assert_int_equal(f->a.n_commands - before, 0);
    assert_false(k.open);
    assert_session_wiped(&f->session);
    /* Back: a full walk again. */
    vuicc_insert(f->card);
    rc = read_kept(f, &k);
    assert_int_equal(rc, (int)len);
    assert_int_equal(f->info.n_commands, 14); /* 126 bytes: one READ BINARY, no close */
    ucb_card_keep_close(&f->a, &f->opts, &k, true);
    free(other);
    teardown_card(f);
}

/* A PC/SC handle that reconnected after an event nobody polled for: its
 * next transmit answers UCB_ERR_CARD_REINSERTED once, then works. */
static struct ucb_transport inner;
static int reinserted_pending;

static int transmit_after_reinsertion(void *ctx, const uint8_t *c, size_t cl, uint8_t *r,
                                      size_t rc, size_t *rl, uint32_t to)
{
    if (reinserted_pending > 0) {
        reinserted_pending--;
        return UCB_ERR_CARD_REINSERTED;
    }
    return inner.transmit(ctx, c, cl, r, rc, rl, to);
}

static void kept_read_walks_again_when_the_transport_reconnected(void **state)
{
    (void)state;
    struct fixture *f = setup_card(16, 0x70, false, 16, 0x33);
    struct ucb_card_keep k;

    ucb_card_keep_init(&k);
    inner = f->a.transport;
    f->a.transport.transmit = transmit_after_reinsertion;
    f->a.transport.card_event = NULL; /* nobody polls: only transmit tells */
    reinserted_pending = 1;
    assert_int_equal(read_kept(f, &k), (int)f->len);
    assert_memory_equal(f->buf, f->file, f->len);
    assert_int_equal(reinserted_pending, 0);
    /* twice in a row is not one reconnection: the error is returned */
    ucb_card_keep_close(&f->a, &f->opts, &k, true);
    reinserted_pending = 2;
    assert_int_equal(read_kept(f, &k), UCB_ERR_CARD_REINSERTED);
    assert_false(k.open);
    f->a.transport = inner;
    teardown_card(f);
}

/* A fault at each command of the cheap check: the exact file (after a
 * fallback walk) or an error, never other content. */
static void fault_at_every_command_of_a_kept_check(void **state)
{
    (void)state;
    static const enum vuicc_fault_kind kinds[] = {VUICC_FAULT_SW, VUICC_FAULT_REMOVE,
                                                  VUICC_FAULT_MUTE, VUICC_FAULT_NONE};
    for (size_t kind = 0; kind < 4; kind++) {
        for (unsigned j = 1; j <= 3; j++) {
            struct fixture *f = setup_card(16, 0x70, false, 16, 0x33);
            struct vuicc_profile p;
            struct ucb_card_keep k;
            char err[200];

            vuicc_free(f->card);
            vuicc_profile_default(&p);
            p.scp03.len = 16;
            p.scp03.kvn = 0x30;
            p.scp03.i_param = 0x70;
            fill_keys(16, p.scp03.enc, p.scp03.mac, p.scp03.dek);
            if (kinds[kind] == VUICC_FAULT_NONE) {
                p.corrupt_at = 15 + j;
                p.corrupt_xor = 0x01;
            } else {
                p.fault_at = 15 + j; /* the walk takes 15 commands */
                p.fault_kind = kinds[kind];
                p.fault_sw = 0x6F00;
            }
            f->card = vuicc_new(&p, f->file, f->len, err, sizeof(err));
            assert_non_null(f->card);
            vuicc_transport(f->card, &f->t);
            ucb_apdu_init(&f->a, &f->t);
            ucb_card_keep_init(&k);
            assert_int_equal(read_kept(f, &k), (int)f->len);
            memset(f->buf, 0xA5, sizeof(f->buf));
            int rc = read_kept(f, &k);
            if (rc >= 0) {
                if (rc != (int)f->len || memcmp(f->buf, f->file, f->len) != 0)
                    fail_msg("fault kind %zu at check command %u: other content", kind, j);
            } else {
                assert_int_equal(f->info.size, 0);
            }
            ucb_card_keep_close(&f->a, &f->opts, &k, rc >= 0);
            assert_session_wiped(&f->session);
            assert_null(f->a.sm);
            teardown_card(f);
        }
    }
}

/* The ICCID travels in plain before any secure channel: a corrupted one is
 * caught by its Luhn digit and read again; a card whose own ICCID has no
 * valid check digit is still read. */
static void iccid_with_a_bad_check_digit_is_read_again(void **state)
{
    (void)state;
    for (int own = 0; own < 2; own++) {
        struct fixture *f = setup_card(0, 0, false, 16, 0x33);
        struct vuicc_profile p;
        char err[200];
        f->opts.scp03_cfg = NULL;
        vuicc_free(f->card);
        vuicc_profile_default(&p);
        if (own) {
            strcpy(p.iccid, "8988211000000430011"); /* Luhn digit wrong on the card itself */
        } else {
            p.corrupt_at = 1; /* the ICCID read */
            p.corrupt_byte = 0;
            p.corrupt_xor = 0x01;
        }
        f->card = vuicc_new(&p, f->file, f->len, err, sizeof(err));
        assert_non_null(f->card);
        vuicc_transport(f->card, &f->t);
        ucb_apdu_init(&f->a, &f->t);
        assert_int_equal(read_card(f), (int)f->len);
        assert_string_equal(f->info.iccid_str, own ? "8988211000000430011" : "8988211000000430010");
        assert_int_equal(f->info.n_commands, 15); /* one more READ BINARY of EF ICCID */
        teardown_card(f);
    }
}

int main(void)
{
    (void)k128;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_level_and_key_size_reads_the_file),
        cmocka_unit_test(iccid_with_a_bad_check_digit_is_read_again),
        cmocka_unit_test(r1_at_level_33_takes_at_most_16_commands),
        cmocka_unit_test(pseudo_random_card_challenge_is_checked),
        cmocka_unit_test(wrong_static_keys_fail_without_external_authenticate),
        cmocka_unit_test(key_size_mismatch_fails_cleanly),
        cmocka_unit_test(card_without_r_mac_support_is_refused_at_level_33_no_downgrade),
        cmocka_unit_test(require_policy_never_reads_a_card_without_scp03_in_plain),
        cmocka_unit_test(prefer_policy_reads_a_card_without_scp03_in_plain_and_says_so),
        cmocka_unit_test(prefer_policy_does_not_fall_back_after_a_failed_authentication),
        cmocka_unit_test(card_that_requires_scp03_refuses_plain_and_weak_levels),
        cmocka_unit_test(write_through_scp03_then_read_back),
        cmocka_unit_test(fault_at_every_command_of_a_secured_read),
        cmocka_unit_test(kept_check_of_an_unchanged_card_costs_its_read_binaries_plus_one),
        cmocka_unit_test(kept_check_sees_new_content_and_a_removed_card),
        cmocka_unit_test(fault_at_every_command_of_a_kept_check),
        cmocka_unit_test(kept_read_walks_again_when_the_transport_reconnected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
