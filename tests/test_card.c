/*
 * The Appendix G walk (ucb_card_read_bootstrap / ucb_card_write_bootstrap)
 * against the in-process virtual UICC (host-tools/simcard/vuicc.h): every
 * card variant, the options, the APDU budget of the R1 fixture, writing,
 * and the fault sweep "fail at APDU k" for every k and every fault kind
 * (house style, test tier c).
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
#include "vuicc.h"

#define R1 "fixtures/bootstrap/r1-three-accounts.bin"
#define BIG "fixtures/bootstrap/valid-size-32768.bin"
#define SMALL "fixtures/bootstrap/valid-minimal-account.bin"
#define ICCID "8988211000000430010"

/* ---- a card on a transport, with a trace of the commands ---- */

#define LOG_MAX 512

struct cmd_log {
    size_t n;
    uint8_t hdr[LOG_MAX][4];   /* CLA INS P1 P2 */
    size_t len[LOG_MAX];
    bool secret[LOG_MAX];
};

/* Between the engine and the card: passes everything through, except that
 * when armed it cuts the data of the short_at-th response to half and
 * answers 6282 (end of file reached before Le bytes), as a card whose file
 * is shorter than its FCP says would. */
struct wrap {
    struct ucb_transport inner;
    uint32_t count;
    uint32_t short_at;
};

static int wrap_transmit(void *ctx, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
                         size_t rapdu_cap, size_t *out_len, uint32_t timeout_ms)
{
    struct wrap *w = ctx;
    int rc = w->inner.transmit(w->inner.ctx, capdu, capdu_len, rapdu, rapdu_cap, out_len,
                               timeout_ms);
    if (rc == 0 && ++w->count == w->short_at && *out_len > 3) {
        size_t data = (*out_len - 2) / 2;
        rapdu[data] = 0x62;
        rapdu[data + 1] = 0x82;
        *out_len = data + 2;
    }
    return rc;
}

struct rig {
    struct vuicc *card;
    struct wrap wrap;
    struct ucb_transport t;
    struct ucb_apdu a;
    struct cmd_log log;
    uint8_t *file;             /* the bootstrap file the card was made with */
    size_t file_len;
    uint8_t buf[UCB_BOOTSTRAP_MAX];
};

static void trace(void *ctx, enum ucb_trace_dir dir, const uint8_t *bytes, size_t len,
                  size_t secret_off, size_t secret_len)
{
    struct cmd_log *l = ctx;
    (void)secret_off;
    if (dir != UCB_TRACE_COMMAND || l->n >= LOG_MAX || len < 4) return;
    memcpy(l->hdr[l->n], bytes, 4);
    l->len[l->n] = len;
    l->secret[l->n] = secret_len > 0;
    l->n++;
}

static struct rig *rig_new(const struct vuicc_profile *p, const char *fixture)
{
    struct rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->file = test_read_file(fixture, &r->file_len);
    char err[200] = "";
    r->card = vuicc_new(p, r->file, r->file_len, err, sizeof err);
    if (r->card == NULL) fail_msg("vuicc_new: %s", err);
    vuicc_transport(r->card, &r->wrap.inner);
    r->t = r->wrap.inner;
    r->t.transmit = wrap_transmit;
    r->t.ctx = &r->wrap;
    ucb_apdu_init(&r->a, &r->t);
    r->a.trace = trace;
    r->a.trace_ctx = &r->log;
    return r;
}

static void rig_free(struct rig *r)
{
    if (r == NULL) return;
    ucb_apdu_deinit(&r->a);
    vuicc_free(r->card);
    free(r->file);
    free(r);
}

static struct rig *default_rig(void)
{
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    return rig_new(&p, R1);
}

static int rig_read(struct rig *r, const struct ucb_card_opts *o, struct ucb_card_info *info)
{
    r->log.n = 0;
    r->wrap.count = 0;
    return ucb_card_read_bootstrap(&r->a, o, r->buf, sizeof r->buf, info);
}

/* The read succeeded and returned exactly the card's file, with its hash. */
static void assert_read_ok(struct rig *r, int rc, const struct ucb_card_info *info)
{
    size_t len = 0;
    const uint8_t *content = vuicc_file(r->card, &len);
    if (rc < 0)
        fail_msg("read failed: %s (%d) at %s, SW %04X", ucb_strerror(rc), rc,
                 ucb_card_step_name(info->step), info->sw);
    assert_int_equal((size_t)rc, len);
    assert_int_equal(info->size, len);
    assert_memory_equal(r->buf, content, len);
    uint8_t h[32];
    ucb_sha256(content, len, h);
    assert_memory_equal(info->sha256, h, 32);
    assert_int_equal(info->step, UCB_STEP_DONE);
    assert_int_equal(r->a.channel, 0);
}

static void assert_failed(int rc, const struct ucb_card_info *info, int expect_rc,
                          enum ucb_card_step expect_step)
{
    if (rc != expect_rc || info->step != expect_step)
        fail_msg("got %s (%d) at %s, expected %s (%d) at %s", ucb_strerror(rc), rc,
                 ucb_card_step_name(info->step), ucb_strerror(expect_rc), expect_rc,
                 ucb_card_step_name(expect_step));
    assert_int_equal(info->size, 0);
    static const uint8_t zero[32];
    assert_memory_equal(info->sha256, zero, 32);
}

static void assert_route(const struct ucb_card_info *info, uint32_t set, uint32_t clear)
{
    if ((info->route & set) != set || (info->route & clear) != 0)
        fail_msg("route 0x%04x: want bits 0x%04x set and 0x%04x clear", (unsigned)info->route,
                 (unsigned)set, (unsigned)clear);
}

/* ---- the default card and the budget ---- */

static void default_card_reads_r1_in_at_most_14_commands(void **state)
{
    (void)state;
    struct rig *r = default_rig();
    struct ucb_card_info info;
    const uint32_t before = vuicc_apdu_count(r->card);
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_int_equal(rc, 304);
    assert_memory_equal(r->buf, r->file, r->file_len);

    assert_string_equal(info.iccid_str, ICCID);
    assert_int_equal(info.iccid_len, 10);
    assert_int_equal(info.aid_len, UCB_PKCS15_AID_LEN);
    assert_memory_equal(info.aid, ucb_pkcs15_aid, UCB_PKCS15_AID_LEN);
    assert_int_equal(info.path_len, 2);
    assert_int_equal(info.path[0], 0x64);
    assert_int_equal(info.path[1], 0x32);
    assert_int_equal(info.route, UCB_ROUTE_EF_DIR | UCB_ROUTE_LOGICAL_CHANNEL |
                                     UCB_ROUTE_ODF_DEFAULT | UCB_ROUTE_OID_CORRECT);
    assert_int_equal(info.channel, 1);
    assert_int_equal(info.pin_ref, 0);
    assert_int_equal(info.sw, 0x9000);
    assert_int_equal(info.n_commands, vuicc_apdu_count(r->card) - before);

    printf("R1 (304 bytes) read in %u C-APDUs:\n", (unsigned)info.n_commands);
    for (size_t i = 0; i < r->log.n; i++)
        printf("  %2zu: %02X %02X %02X %02X (%zu bytes)\n", i + 1, r->log.hdr[i][0],
               r->log.hdr[i][1], r->log.hdr[i][2], r->log.hdr[i][3], r->log.len[i]);
    assert_true(info.n_commands <= 14);

    /* The walk of Appendix G.2.5, command by command. */
    static const uint8_t expect[14][4] = {
        {0x00, 0xB0, 0x82, 0x00}, /* READ BINARY SFI 02: ICCID */
        {0x00, 0xA4, 0x08, 0x04}, /* SELECT 2F00 from the MF, FCP */
        {0x00, 0xB2, 0x01, 0x04}, /* READ RECORD 1 (USIM) */
        {0x00, 0xB2, 0x02, 0x04}, /* READ RECORD 2 (PKCS#15) */
        {0x00, 0x70, 0x00, 0x00}, /* MANAGE CHANNEL open */
        {0x01, 0xA4, 0x04, 0x04}, /* SELECT ADF by AID on channel 1 */
        {0x01, 0xA4, 0x08, 0x04}, /* SELECT 7FFF 5031 (ODF) */
        {0x01, 0xB0, 0x00, 0x00}, /* READ BINARY ODF */
        {0x01, 0xA4, 0x08, 0x04}, /* SELECT 7FFF 6430 (DODF) */
        {0x01, 0xB0, 0x00, 0x00}, /* READ BINARY DODF */
        {0x01, 0xA4, 0x08, 0x04}, /* SELECT 7FFF 6432 (bootstrap EF) */
        {0x01, 0xB0, 0x00, 0x00}, /* READ BINARY 0..255 */
        {0x01, 0xB0, 0x01, 0x00}, /* READ BINARY 256..303 */
        {0x00, 0x70, 0x80, 0x01}, /* MANAGE CHANNEL close 1 */
    };
    assert_int_equal(r->log.n, 14);
    for (size_t i = 0; i < 14; i++)
        if (memcmp(r->log.hdr[i], expect[i], 4) != 0)
            fail_msg("command %zu: %02X %02X %02X %02X, expected %02X %02X %02X %02X", i + 1,
                     r->log.hdr[i][0], r->log.hdr[i][1], r->log.hdr[i][2], r->log.hdr[i][3],
                     expect[i][0], expect[i][1], expect[i][2], expect[i][3]);
    rig_free(r);
}

static void caller_channel_is_restored(void **state)
{
    (void)state;
    struct rig *r = default_rig();
    struct ucb_card_info info;
    r->a.channel = 3;
    int rc = rig_read(r, NULL, &info);
    assert_true(rc > 0);
    assert_int_equal(r->a.channel, 3);
    r->a.channel = 0;
    /* and a failure restores it too */
    struct ucb_card_opts o = {0};
    static const uint8_t other_oid[] = {0x67, 0x2B, 0x09, 0x02};
    o.oid = other_oid;
    o.oid_len = sizeof other_oid;
    r->a.channel = 2;
    rc = rig_read(r, &o, &info);
    assert_int_equal(rc, UCB_ERR_CARD_NO_DATA);
    assert_int_equal(r->a.channel, 2);
    rig_free(r);
}

static void repeated_reads_reuse_channel_one(void **state)
{
    (void)state;
    struct rig *r = default_rig();
    struct ucb_card_info info;
    /* More reads than the card has channels: each one closes its own. */
    for (int i = 0; i < 25; i++) {
        int rc = rig_read(r, NULL, &info);
        assert_read_ok(r, rc, &info);
        assert_int_equal(info.channel, 1);
    }
    rig_free(r);
}

/* ---- card variants ---- */

static void t0_card_reads_with_get_response(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.t0 = true;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_string_equal(info.iccid_str, ICCID);
    printf("T=0 card: %u C-APDUs (GET RESPONSE and 6Cxx resends included)\n",
           (unsigned)info.n_commands);
    assert_true(info.n_commands > 14); /* the 61xx answers cost GET RESPONSEs */
    rig_free(r);
}

static void double_encoded_oid_is_accepted(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.oid = VUICC_OID_DOUBLE;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_OID_DOUBLE, UCB_ROUTE_OID_CORRECT | UCB_ROUTE_OID_APPLICATION);
    rig_free(r);
}

static void application_oid_in_opaque_do_is_accepted(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.oid = VUICC_OID_APPLICATION;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_OID_APPLICATION, UCB_ROUTE_OID_CORRECT | UCB_ROUTE_OID_DOUBLE);
    rig_free(r);
}

static void dodf_without_lwm2m_object_is_no_data(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.oid = VUICC_OID_NONE;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_NO_DATA, UCB_STEP_DODF);
    assert_int_equal(r->a.channel, 0);
    /* the channel was closed: the next read gets channel 1 again */
    p.oid = VUICC_OID_CORRECT;
    char err[100];
    assert_int_equal(vuicc_reload(r->card, &p, r->file, r->file_len, err, sizeof err), 0);
    rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_int_equal(info.channel, 1);
    rig_free(r);
}

static void card_without_ef_dir_uses_standard_aid(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.no_ef_dir = true;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_NO_EF_DIR, UCB_ROUTE_EF_DIR);
    assert_memory_equal(info.aid, ucb_pkcs15_aid, UCB_PKCS15_AID_LEN);
    assert_true(info.n_commands <= 12); /* no READ RECORD */
    rig_free(r);
}

static void ef_dir_without_pkcs15_template_is_no_data(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    /* the application is there, under an AID EF.DIR does not mark as PKCS#15 */
    static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50, 0x4B, 0x43, 0x53, 0x2D, 0x31};
    memcpy(p.aid, aid, sizeof aid);
    p.aid_len = sizeof aid;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_NO_DATA, UCB_STEP_EF_DIR);
    assert_int_equal(info.n_commands, 4); /* ICCID, SELECT 2F00, both records */

    /* the standard AID is not there either */
    struct ucb_card_opts o = {0};
    o.flags = UCB_CARD_SKIP_EF_DIR;
    rc = rig_read(r, &o, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_NOT_FOUND, UCB_STEP_SELECT_ADF);
    assert_int_equal(info.sw, 0x6A82);

    /* named by the caller, it reads */
    o.flags = 0;
    o.aid = aid;
    o.aid_len = sizeof aid;
    rc = rig_read(r, &o, &info);
    assert_read_ok(r, rc, &info);
    rig_free(r);
}

static void card_without_channels_uses_basic_channel(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.no_channels = true;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_BASIC_CHANNEL, UCB_ROUTE_LOGICAL_CHANNEL);
    assert_int_equal(info.channel, 0);
    /* no close: nothing was opened */
    assert_int_not_equal(r->log.hdr[r->log.n - 1][1], 0x70);
    rig_free(r);
}

static void card_without_iccid_still_reads(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.no_iccid = true;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_NO_ICCID, 0);
    assert_int_equal(info.iccid_len, 0);
    assert_string_equal(info.iccid_str, "");
    rig_free(r);
}

static void short_iccid_drops_f_padding(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    snprintf(p.iccid, sizeof p.iccid, "%s", "894412345");
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_string_equal(info.iccid_str, "894412345");
    assert_int_equal(info.iccid[4], 0xF5); /* nibbles swapped, F padded */
    rig_free(r);
}

static void fcp_without_size_reads_to_end_of_file(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.fcp_no_size = true;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_SIZE_UNKNOWN, 0);

    /* a buffer of exactly the file's size: one byte more says the file ended */
    r->log.n = 0;
    rc = ucb_card_read_bootstrap(&r->a, NULL, r->buf, r->file_len, &info);
    assert_read_ok(r, rc, &info);
    /* a buffer one byte short: the file goes on, never a partial file */
    rc = ucb_card_read_bootstrap(&r->a, NULL, r->buf, r->file_len - 1, &info);
    assert_failed(rc, &info, UCB_ERR_BUFFER, UCB_STEP_READ_FILE);
    rig_free(r);
}

static void card_refusing_fcp_p2_reads_without_fcps(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.refuse_p2_fcp = true;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_SIZE_UNKNOWN | UCB_ROUTE_EF_DIR, 0);
    rig_free(r);
}

static void file_of_32_kb_is_read_whole(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    struct rig *r = rig_new(&p, BIG);
    assert_int_equal(r->file_len, 32768);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_int_equal(rc, 32768);
    printf("32 KB file: %u C-APDUs\n", (unsigned)info.n_commands);

    /* a buffer one byte short: UCB_ERR_BUFFER before any READ BINARY */
    r->log.n = 0;
    rc = ucb_card_read_bootstrap(&r->a, NULL, r->buf, 32767, &info);
    assert_failed(rc, &info, UCB_ERR_BUFFER, UCB_STEP_READ_FILE);
    size_t reads = 0;
    for (size_t i = 0; i < r->log.n; i++)
        if (r->log.hdr[i][1] == 0xB0 && r->log.hdr[i][2] < 0x80) reads++;
    assert_int_equal(reads, 2); /* EF(ODF) and EF(DODF) only */
    rig_free(r);
}

static void ef_padded_beyond_the_file_is_read_to_its_fcp_size(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.file_size = 1000;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_int_equal(rc, 1000);
    assert_memory_equal(r->buf, r->file, r->file_len);
    assert_int_equal(r->buf[999], 0xFF);
    rig_free(r);
}

static void file_ending_before_its_fcp_size_is_an_error(void **state)
{
    (void)state;
    struct rig *r = default_rig();
    struct ucb_card_info info;
    /* APDU 13 is the second READ BINARY of the bootstrap EF (offset 256) */
    r->wrap.short_at = 13;
    int rc = ucb_card_read_bootstrap(&r->a, NULL, r->buf, sizeof r->buf, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_RESPONSE, UCB_STEP_READ_FILE);
    assert_int_equal(info.sw, 0x6282);
    /* the part that was read is not left in the buffer */
    for (size_t i = 0; i < 304; i++) assert_int_equal(r->buf[i], 0);
    /* APDU 8 is the READ BINARY of EF(ODF) */
    r->wrap.count = 0;
    r->wrap.short_at = 8;
    rc = ucb_card_read_bootstrap(&r->a, NULL, r->buf, sizeof r->buf, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_RESPONSE, UCB_STEP_ODF);
    rig_free(r);
}

/* ---- PIN ---- */

struct pin_answer {
    const char *pin;
    int ret;
    int calls;
    uint8_t key_ref, tries;
};

static int pin_cb(void *ctx, uint8_t key_ref, uint8_t tries, uint8_t *pin, size_t cap,
                  size_t *out_len)
{
    struct pin_answer *p = ctx;
    p->calls++;
    p->key_ref = key_ref;
    p->tries = tries;
    if (p->ret < 0) return p->ret;
    size_t n = strlen(p->pin);
    assert_true(n <= cap);
    memcpy(pin, p->pin, n);
    *out_len = n;
    return 0;
}

static struct rig *pin_rig(uint8_t tries)
{
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    snprintf(p.pin, sizeof p.pin, "%s", "2468");
    p.pin_key_ref = 0x01;
    p.pin_tries = tries;
    p.pin_file = true;
    return rig_new(&p, R1);
}

static bool pin_sent(const struct rig *r)
{
    for (size_t i = 0; i < r->log.n; i++)
        if (r->log.hdr[i][1] == 0x20 && r->log.len[i] > 5) {
            assert_true(r->log.secret[i]); /* traces must be able to mask it */
            return true;
        }
    return false;
}

static void pin_protected_file_reads_with_pin_callback(void **state)
{
    (void)state;
    struct rig *r = pin_rig(3);
    struct pin_answer ans = {"2468", 0, 0, 0, 0};
    struct ucb_card_opts o = {0};
    o.pin = pin_cb;
    o.pin_ctx = &ans;
    struct ucb_card_info info;
    int rc = rig_read(r, &o, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_PRIVATE | UCB_ROUTE_PIN_VERIFIED, 0);
    assert_int_equal(info.pin_ref, 0x01);
    assert_int_equal(ans.calls, 1);
    assert_int_equal(ans.key_ref, 0x01);
    assert_int_equal(ans.tries, 3);
    assert_true(pin_sent(r));

    /* verified already (card-wide state): no second callback */
    rc = rig_read(r, &o, &info);
    assert_read_ok(r, rc, &info);
    assert_int_equal(ans.calls, 1);
    assert_false(pin_sent(r));
    assert_route(&info, UCB_ROUTE_PRIVATE, UCB_ROUTE_PIN_VERIFIED);
    rig_free(r);
}

static void pin_protected_file_without_callback_is_security_error(void **state)
{
    (void)state;
    struct rig *r = pin_rig(3);
    struct ucb_card_info info;
    int rc = rig_read(r, NULL, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_SECURITY, UCB_STEP_PIN);
    assert_false(pin_sent(r));
    assert_route(&info, UCB_ROUTE_PRIVATE, UCB_ROUTE_PIN_VERIFIED);
    assert_int_equal(r->a.channel, 0);
    assert_int_equal(r->log.hdr[r->log.n - 1][1], 0x70); /* closed the channel */
    rig_free(r);
}

static void pin_with_one_try_left_is_never_sent(void **state)
{
    (void)state;
    struct rig *r = pin_rig(1);
    struct pin_answer ans = {"2468", 0, 0, 0, 0};
    struct ucb_card_opts o = {0};
    o.pin = pin_cb;
    o.pin_ctx = &ans;
    struct ucb_card_info info;
    int rc = rig_read(r, &o, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_PIN, UCB_STEP_PIN);
    assert_int_equal(ans.calls, 0);
    assert_false(pin_sent(r));
    rig_free(r);
}

static void wrong_pin_spends_one_try(void **state)
{
    (void)state;
    struct rig *r = pin_rig(3);
    struct pin_answer ans = {"1111", 0, 0, 0, 0};
    struct ucb_card_opts o = {0};
    o.pin = pin_cb;
    o.pin_ctx = &ans;
    struct ucb_card_info info;
    int rc = rig_read(r, &o, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_PIN, UCB_STEP_PIN);
    assert_int_equal(info.sw, 0x63C2);
    assert_int_equal(ans.tries, 3);
    rc = rig_read(r, &o, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_PIN, UCB_STEP_PIN);
    assert_int_equal(ans.tries, 2);
    assert_int_equal(ans.calls, 2);
    /* one try left now: refused without asking */
    rc = rig_read(r, &o, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_PIN, UCB_STEP_PIN);
    assert_int_equal(ans.calls, 2);
    assert_false(pin_sent(r));
    /* the right PIN cannot be tried either, so the card is never blocked */
    ans.pin = "2468";
    rc = rig_read(r, &o, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_PIN, UCB_STEP_PIN);
    rig_free(r);
}

static void pin_callback_error_ends_the_read(void **state)
{
    (void)state;
    struct rig *r = pin_rig(3);
    struct pin_answer ans = {"", UCB_ERR_STATE, 0, 0, 0};
    struct ucb_card_opts o = {0};
    o.pin = pin_cb;
    o.pin_ctx = &ans;
    struct ucb_card_info info;
    int rc = rig_read(r, &o, &info);
    assert_failed(rc, &info, UCB_ERR_STATE, UCB_STEP_PIN);
    assert_false(pin_sent(r));
    rig_free(r);
}

static void private_entry_without_pin_template_leaves_the_card_to_refuse(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    snprintf(p.pin, sizeof p.pin, "%s", "2468");
    p.pin_file = true;
    p.refuse_p2_fcp = true; /* no FCP: no PIN status template names a PIN */
    struct rig *r = rig_new(&p, R1);
    struct pin_answer ans = {"2468", 0, 0, 0, 0};
    struct ucb_card_opts o = {0};
    o.pin = pin_cb;
    o.pin_ctx = &ans;
    struct ucb_card_info info;
    int rc = rig_read(r, &o, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_SECURITY, UCB_STEP_READ_FILE);
    assert_int_equal(info.sw, 0x6982);
    assert_route(&info, UCB_ROUTE_PRIVATE, UCB_ROUTE_PIN_VERIFIED);
    assert_int_equal(ans.calls, 0);
    for (size_t i = 0; i < r->log.n; i++) assert_int_not_equal(r->log.hdr[i][1], 0x20);
    rig_free(r);
}

/* ---- options ---- */

static void aid_override_skips_ef_dir(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50, 0x4B,
                                  0x43, 0x53, 0x2D, 0x31, 0x35, 0x4C, 0x57};
    memcpy(p.aid, aid, sizeof aid);
    p.aid_len = sizeof aid;
    struct rig *r = rig_new(&p, R1);
    struct ucb_card_opts o = {0};
    o.aid = aid;
    o.aid_len = sizeof aid;
    struct ucb_card_info info;
    int rc = rig_read(r, &o, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_AID_OVERRIDE, UCB_ROUTE_EF_DIR);
    assert_int_equal(info.aid_len, sizeof aid);
    assert_memory_equal(info.aid, aid, sizeof aid);
    for (size_t i = 0; i < r->log.n; i++) assert_int_not_equal(r->log.hdr[i][1], 0xB2);

    /* without the option, EF.DIR finds the extended AID by its prefix */
    rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_EF_DIR, UCB_ROUTE_AID_OVERRIDE);
    assert_int_equal(info.aid_len, sizeof aid);
    rig_free(r);
}

static void oid_override_replaces_the_default(void **state)
{
    (void)state;
    struct rig *r = default_rig();
    struct ucb_card_opts o = {0};
    struct ucb_card_info info;
    o.oid = ucb_lwm2m_oid;
    o.oid_len = UCB_LWM2M_OID_LEN;
    int rc = rig_read(r, &o, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_OID_OVERRIDE | UCB_ROUTE_OID_CORRECT, 0);

    static const uint8_t other[] = {0x67, 0x2B, 0x09, 0x02};
    o.oid = other;
    o.oid_len = sizeof other;
    rc = rig_read(r, &o, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_NO_DATA, UCB_STEP_DODF);
    rig_free(r);
}

static void fixed_path_skips_odf_and_dodf(void **state)
{
    (void)state;
    struct rig *r = default_rig();
    struct ucb_card_opts o = {0};
    struct ucb_card_info info;
    static const uint8_t fid[] = {0x64, 0x32};
    o.path = fid;
    o.path_len = sizeof fid;
    int rc = rig_read(r, &o, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_FIXED_PATH | UCB_ROUTE_EF_DIR,
                 UCB_ROUTE_ODF_DEFAULT | UCB_ROUTE_OID_CORRECT);
    assert_int_equal(info.n_commands, 10);

    static const uint8_t adf_path[] = {0x7F, 0xFF, 0x64, 0x32};
    o.path = adf_path;
    o.path_len = sizeof adf_path;
    rc = rig_read(r, &o, &info);
    assert_read_ok(r, rc, &info);
    assert_int_equal(info.path_len, 4);

    /* from the MF (the vuicc's ADF has FID 7F50): no EF.DIR, no ADF */
    static const uint8_t mf_path[] = {0x3F, 0x00, 0x7F, 0x50, 0x64, 0x32};
    o.path = mf_path;
    o.path_len = sizeof mf_path;
    rc = rig_read(r, &o, &info);
    assert_read_ok(r, rc, &info);
    assert_int_equal(info.aid_len, 0);
    assert_route(&info, UCB_ROUTE_FIXED_PATH, UCB_ROUTE_EF_DIR | UCB_ROUTE_NO_EF_DIR);
    assert_int_equal(info.n_commands, 6); /* ICCID, open, SELECT, 2 reads, close */

    static const uint8_t missing[] = {0x64, 0x99};
    o.path = missing;
    o.path_len = sizeof missing;
    rc = rig_read(r, &o, &info);
    assert_failed(rc, &info, UCB_ERR_CARD_NOT_FOUND, UCB_STEP_SELECT_FILE);
    assert_int_equal(info.sw, 0x6A82);
    rig_free(r);
}

static void flags_skip_iccid_ef_dir_and_channel(void **state)
{
    (void)state;
    struct rig *r = default_rig();
    struct ucb_card_opts o = {0};
    struct ucb_card_info info;
    o.flags = UCB_CARD_SKIP_ICCID | UCB_CARD_SKIP_EF_DIR | UCB_CARD_BASIC_CHANNEL;
    int rc = rig_read(r, &o, &info);
    assert_read_ok(r, rc, &info);
    assert_route(&info, UCB_ROUTE_BASIC_CHANNEL,
                 UCB_ROUTE_EF_DIR | UCB_ROUTE_NO_EF_DIR | UCB_ROUTE_LOGICAL_CHANNEL);
    assert_int_equal(info.iccid_len, 0);
    assert_int_equal(info.n_commands, 8); /* ADF, ODF 2, DODF 2, EF + 2 reads */
    for (size_t i = 0; i < r->log.n; i++) assert_int_equal(r->log.hdr[i][0], 0x00);
    rig_free(r);
}

static void bad_options_send_nothing(void **state)
{
    (void)state;
    struct rig *r = default_rig();
    struct ucb_card_info info;
    static const uint8_t b[17] = {0x3F, 0x00, 0x64};
    struct {
        const char *why;
        struct ucb_card_opts o;
    } v[] = {
        {"AID shorter than a RID", {.aid = b, .aid_len = 4}},
        {"AID longer than 16 bytes", {.aid = b, .aid_len = 17}},
        {"OID of no bytes", {.oid = b, .oid_len = 0}},
        {"path of odd length", {.path = b + 2, .path_len = 3}},
        {"path longer than 16 bytes", {.path = b + 2, .path_len = 18}},
        {"path naming the MF itself", {.path = b, .path_len = 2}},
        {"path of one byte", {.path = b, .path_len = 1}},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        int rc = rig_read(r, &v[i].o, &info);
        if (rc != UCB_ERR_ARG || r->log.n != 0 || info.n_commands != 0)
            fail_msg("%s: rc %d after %zu commands", v[i].why, rc, r->log.n);
        assert_int_equal(info.step, UCB_STEP_NONE);
    }
    assert_int_equal(ucb_card_read_bootstrap(&r->a, NULL, NULL, 10, &info), UCB_ERR_ARG);
    assert_int_equal(ucb_card_read_bootstrap(NULL, NULL, r->buf, 10, &info), UCB_ERR_ARG);
    assert_int_equal(ucb_card_write_bootstrap(&r->a, NULL, NULL, 10, false, &info), UCB_ERR_ARG);
    assert_int_equal(ucb_card_write_bootstrap(&r->a, NULL, r->buf, 32769, false, &info),
                     UCB_ERR_TOO_LARGE);
    assert_int_equal(r->log.n, 0);
    /* out may be NULL */
    assert_int_equal(ucb_card_read_bootstrap(&r->a, NULL, r->buf, sizeof r->buf, NULL), 304);
    rig_free(r);
}

/* ---- write ---- */

static void write_then_read_back(void **state)
{
    (void)state;
    struct rig *r = default_rig();
    size_t n;
    uint8_t *small = test_read_file(SMALL, &n);
    assert_true(n < r->file_len);
    struct ucb_card_info w, info;

    /* without padding, the old tail stays */
    int rc = ucb_card_write_bootstrap(&r->a, NULL, small, n, false, &w);
    if (rc != 0)
        fail_msg("write: %s at %s, SW %04X", ucb_strerror(rc), ucb_card_step_name(w.step), w.sw);
    assert_int_equal(w.step, UCB_STEP_DONE);
    assert_int_equal(w.size, n);
    size_t len;
    const uint8_t *content = vuicc_file(r->card, &len);
    assert_int_equal(len, r->file_len);
    assert_memory_equal(content, small, n);
    assert_memory_equal(content + n, r->file + n, len - n);
    uint8_t h[32];
    ucb_sha256(small, n, h);
    assert_memory_equal(w.sha256, h, 32);

    /* with padding, the EF is the data and FF to its size; the read agrees */
    rc = ucb_card_write_bootstrap(&r->a, NULL, small, n, true, &w);
    assert_int_equal(rc, 0);
    assert_int_equal(w.size, r->file_len);
    content = vuicc_file(r->card, &len);
    assert_memory_equal(content, small, n);
    for (size_t i = n; i < len; i++) assert_int_equal(content[i], 0xFF);
    rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_memory_equal(info.sha256, w.sha256, 32);

    /* larger than the EF: refused before any UPDATE BINARY */
    uint8_t big[400];
    memset(big, 0x5A, sizeof big);
    r->log.n = 0;
    rc = ucb_card_write_bootstrap(&r->a, NULL, big, sizeof big, false, &w);
    assert_failed(rc, &w, UCB_ERR_TOO_LARGE, UCB_STEP_WRITE_FILE);
    for (size_t i = 0; i < r->log.n; i++) assert_int_not_equal(r->log.hdr[i][1], 0xD6);
    free(small);
    rig_free(r);
}

static void write_to_read_only_card_is_security_error(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.writable = false;
    struct rig *r = rig_new(&p, R1);
    uint8_t data[16];
    memset(data, 0x11, sizeof data);
    struct ucb_card_info w;
    int rc = ucb_card_write_bootstrap(&r->a, NULL, data, sizeof data, false, &w);
    assert_failed(rc, &w, UCB_ERR_CARD_SECURITY, UCB_STEP_WRITE_FILE);
    assert_int_equal(w.sw, 0x6982);
    size_t len;
    const uint8_t *content = vuicc_file(r->card, &len);
    assert_memory_equal(content, r->file, r->file_len);
    assert_int_equal(r->log.hdr[r->log.n - 1][1], 0x70); /* channel closed */
    rig_free(r);
}

static void write_to_pin_protected_file_asks_for_the_pin(void **state)
{
    (void)state;
    struct rig *r = pin_rig(3);
    struct pin_answer ans = {"2468", 0, 0, 0, 0};
    struct ucb_card_opts o = {0};
    o.pin = pin_cb;
    o.pin_ctx = &ans;
    uint8_t data[32];
    memset(data, 0x22, sizeof data);
    struct ucb_card_info w;
    int rc = ucb_card_write_bootstrap(&r->a, &o, data, sizeof data, true, &w);
    assert_int_equal(rc, 0);
    assert_route(&w, UCB_ROUTE_PIN_VERIFIED, 0);
    assert_int_equal(ans.calls, 1);
    size_t len;
    const uint8_t *content = vuicc_file(r->card, &len);
    assert_memory_equal(content, data, sizeof data);
    rig_free(r);
}

/* ---- fault sweep ---- */

enum fault { F_SW, F_REMOVE, F_MUTE, F_CORRUPT, F_SHORT, F_COUNT };
static const char *const fault_name[F_COUNT] = {"6F00", "removal", "mute", "corrupt byte 0",
                                                "half the data with 6282"};

/* Is logical channel 1 open on the card? A command on it answers 6881 when
 * it is not (the walk always gets channel 1 when nothing leaked). */
static bool channel_one_open(struct rig *r)
{
    static const uint8_t select_mf[] = {0x01, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00};
    uint8_t resp[8];
    int n = vuicc_process(r->card, select_mf, sizeof select_mf, resp, sizeof resp);
    assert_true(n >= 2);
    return !(resp[n - 2] == 0x68 && resp[n - 1] == 0x81);
}

static void sweep(const char *fixture, struct vuicc_profile base)
{
    struct rig *r = rig_new(&base, fixture);
    struct ucb_card_info info;
    char err[100];
    int rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    const uint32_t n_clean = info.n_commands;
    uint8_t want_sha[32];
    memcpy(want_sha, info.sha256, 32);
    uint32_t open_index = 0; /* the MANAGE CHANNEL open command, 1-based */
    for (size_t i = 0; i < r->log.n; i++)
        if (r->log.hdr[i][1] == 0x70 && r->log.hdr[i][2] == 0x00) open_index = (uint32_t)i + 1;
    unsigned failures = 0, successes = 0;

    for (int kind = 0; kind < F_COUNT; kind++) {
        for (uint32_t k = 1; k <= n_clean; k++) {
            struct vuicc_profile p = base;
            r->wrap.short_at = 0;
            if (kind == F_CORRUPT) {
                p.corrupt_at = k;
                p.corrupt_byte = 0;
            } else if (kind == F_SHORT) {
                r->wrap.short_at = k;
            } else {
                p.fault_at = k;
                p.fault_kind = kind == F_SW ? VUICC_FAULT_SW
                               : kind == F_REMOVE ? VUICC_FAULT_REMOVE
                                                  : VUICC_FAULT_MUTE;
                p.fault_sw = 0x6F00;
            }
            /* same ICCID: same card, sessions kept, APDU counter restarts */
            assert_int_equal(vuicc_reload(r->card, &p, r->file, r->file_len, err, sizeof err), 0);
            memset(r->buf, 0xEE, sizeof r->buf);
            rc = rig_read(r, NULL, &info);
            if (rc < 0) {
                failures++;
                if (info.step == UCB_STEP_NONE || info.step == UCB_STEP_DONE || info.size != 0)
                    fail_msg("%s at APDU %u: error %d with step %d size %zu", fault_name[kind],
                             (unsigned)k, rc, info.step, info.size);
                if (kind == F_REMOVE || kind == F_MUTE) {
                    /* nothing is sent after the transport failed */
                    assert_int_equal(info.n_commands, k);
                    assert_true(UCB_ERR_IS_TRANSPORT(rc));
                }
            } else {
                successes++;
                uint8_t h[32];
                ucb_sha256(r->buf, (size_t)rc, h);
                assert_int_equal(info.step, UCB_STEP_DONE);
                assert_memory_equal(info.sha256, h, 32);
                if (kind != F_CORRUPT) {
                    /* the only acceptable success is the whole, true file */
                    if ((size_t)rc != r->file_len || memcmp(r->buf, r->file, r->file_len) != 0)
                        fail_msg("%s at APDU %u: success with wrong content", fault_name[kind],
                                 (unsigned)k);
                    assert_memory_equal(info.sha256, want_sha, 32);
                }
            }
            assert_int_equal(r->a.channel, 0);

            if (kind == F_REMOVE) {
                vuicc_insert(r->card);
            } else if (kind == F_MUTE) {
                /* A host resets a card that stopped answering. */
                vuicc_reset(r->card, NULL, 0);
            } else if (kind == F_CORRUPT && k == open_index) {
                /* The channel number itself was corrupted: the card opened a
                 * channel the reader cannot name, so cannot close. */
                vuicc_reset(r->card, NULL, 0);
            } else if (rc < 0 && info.step == UCB_STEP_CLOSE_CHANNEL && kind == F_SW) {
                /* The card refused the close itself (reported as such). */
                vuicc_reset(r->card, NULL, 0);
            } else if (channel_one_open(r)) {
                fail_msg("%s at APDU %u: logical channel left open (rc %d at %s)",
                         fault_name[kind], (unsigned)k, rc, ucb_card_step_name(info.step));
            }
        }
    }
    r->wrap.short_at = 0;
    printf("fault sweep over %u APDUs x %d kinds: %u errors, %u successes\n", (unsigned)n_clean,
           F_COUNT, failures, successes);
    assert_true(failures > 0);

    /* and the card object reads cleanly afterwards, on channel 1 */
    assert_int_equal(vuicc_reload(r->card, &base, r->file, r->file_len, err, sizeof err), 0);
    rc = rig_read(r, NULL, &info);
    assert_read_ok(r, rc, &info);
    assert_int_equal(info.channel, 1);
    rig_free(r);
}

static void fault_at_every_apdu_never_reports_a_partial_file(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    sweep(R1, p);
}

static void fault_sweep_on_t0_pin_card(void **state)
{
    (void)state;
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    p.t0 = true;
    snprintf(p.pin, sizeof p.pin, "%s", "2468");
    p.pin_tries = 15;
    /* PIN on the card, file not private: the walk must not need it */
    sweep(R1, p);
}

static void step_names_are_distinct(void **state)
{
    (void)state;
    for (int i = UCB_STEP_NONE; i <= UCB_STEP_DONE; i++) {
        const char *a = ucb_card_step_name((enum ucb_card_step)i);
        assert_non_null(a);
        assert_true(strlen(a) > 0);
        for (int j = UCB_STEP_NONE; j < i; j++)
            assert_string_not_equal(a, ucb_card_step_name((enum ucb_card_step)j));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_card_reads_r1_in_at_most_14_commands),
        cmocka_unit_test(caller_channel_is_restored),
        cmocka_unit_test(repeated_reads_reuse_channel_one),
        cmocka_unit_test(t0_card_reads_with_get_response),
        cmocka_unit_test(double_encoded_oid_is_accepted),
        cmocka_unit_test(application_oid_in_opaque_do_is_accepted),
        cmocka_unit_test(dodf_without_lwm2m_object_is_no_data),
        cmocka_unit_test(card_without_ef_dir_uses_standard_aid),
        cmocka_unit_test(ef_dir_without_pkcs15_template_is_no_data),
        cmocka_unit_test(card_without_channels_uses_basic_channel),
        cmocka_unit_test(card_without_iccid_still_reads),
        cmocka_unit_test(short_iccid_drops_f_padding),
        cmocka_unit_test(fcp_without_size_reads_to_end_of_file),
        cmocka_unit_test(card_refusing_fcp_p2_reads_without_fcps),
        cmocka_unit_test(file_of_32_kb_is_read_whole),
        cmocka_unit_test(ef_padded_beyond_the_file_is_read_to_its_fcp_size),
        cmocka_unit_test(file_ending_before_its_fcp_size_is_an_error),
        cmocka_unit_test(pin_protected_file_reads_with_pin_callback),
        cmocka_unit_test(pin_protected_file_without_callback_is_security_error),
        cmocka_unit_test(pin_with_one_try_left_is_never_sent),
        cmocka_unit_test(wrong_pin_spends_one_try),
        cmocka_unit_test(pin_callback_error_ends_the_read),
        cmocka_unit_test(private_entry_without_pin_template_leaves_the_card_to_refuse),
        cmocka_unit_test(aid_override_skips_ef_dir),
        cmocka_unit_test(oid_override_replaces_the_default),
        cmocka_unit_test(fixed_path_skips_odf_and_dodf),
        cmocka_unit_test(flags_skip_iccid_ef_dir_and_channel),
        cmocka_unit_test(bad_options_send_nothing),
        cmocka_unit_test(write_then_read_back),
        cmocka_unit_test(write_to_read_only_card_is_security_error),
        cmocka_unit_test(write_to_pin_protected_file_asks_for_the_pin),
        cmocka_unit_test(fault_at_every_apdu_never_reports_a_partial_file),
        cmocka_unit_test(fault_sweep_on_t0_pin_card),
        cmocka_unit_test(step_names_are_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
