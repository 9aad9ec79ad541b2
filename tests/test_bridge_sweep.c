/*
 * The bridge (include/uiccboot/bridge.h) under card faults: a fault of every
 * kind at every C-APDU index of every scenario (first boot, unchanged check,
 * content change, swap, removal and re-insertion, reboot), plain and with
 * SCP03 at level 33; and the Bootstrap-Server Account Timeout of a card
 * bootstrap account.
 *
 * Rig: the in-process virtual UICC, the reference core and the RAM store,
 * as in test_bridge.c (helpers copied and cut down).
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
#include "uiccboot/bootstrap.h"
#include "uiccboot/bridge.h"
#include "uiccboot/card.h"
#include "uiccboot/err.h"
#include "uiccboot/ref_core.h"
#include "uiccboot/scp03.h"
#include "uiccboot/store.h"
#include "uiccboot/tlv.h"
#include "vuicc.h"

#define R1 "fixtures/bootstrap/r1-three-accounts.bin"
#define MINIMAL "fixtures/bootstrap/valid-minimal-account.bin"
#define OTHER_ICCID "8988211000000430028"
#define SWEEP_LIMIT 200u

/* ---- rig ---- */

struct rig {
    struct vuicc *card;
    struct vuicc_profile prof;
    struct ucb_transport t;
    struct ucb_apdu apdu;
    struct ucb_ref_core core;
    struct ucb_adapter adapter;
    struct ucb_store_ram ram;
    struct ucb_store store;
    uint8_t file[UCB_BOOTSTRAP_MAX];
    uint8_t undo[UCB_BOOTSTRAP_MAX];
    struct ucb_bridge b;
    bool scp03;
    struct ucb_scp03_keys sc_keys;
    struct ucb_scp03_config sc_cfg;
    struct ucb_scp03 sc_session;
    struct ucb_card_opts sc_opts;
    int ev_count[16];
};

static void on_event(void *ctx, const struct ucb_bridge_event *ev)
{
    struct rig *r = ctx;
    if ((unsigned)ev->kind < 16) r->ev_count[ev->kind]++;
}

static void load_bytes(struct rig *r, const uint8_t *f, size_t len)
{
    char err[200] = "";
    if (r->card == NULL) {
        r->card = vuicc_new(&r->prof, f, len, err, sizeof err);
        if (r->card == NULL) fail_msg("vuicc_new: %s", err);
    } else if (vuicc_reload(r->card, &r->prof, f, len, err, sizeof err) != 0) {
        fail_msg("vuicc_reload: %s", err);
    }
}

static void load_card(struct rig *r, const char *fixture)
{
    size_t len;
    uint8_t *f = test_read_file(fixture, &len);
    load_bytes(r, f, len);
    free(f);
}

/* A new bridge on the rig's card, core and store (a boot). */
static void bridge_new(struct rig *r)
{
    struct ucb_bridge_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.apdu = &r->apdu;
    cfg.reader = r->scp03 ? &r->sc_opts : NULL;
    cfg.store = r->store;
    cfg.adapter = r->adapter;
    cfg.file_buf = r->file;
    cfg.file_cap = sizeof r->file;
    cfg.undo_buf = r->undo;
    cfg.undo_cap = sizeof r->undo;
    cfg.event = on_event;
    cfg.event_ctx = r;
    ucb_bridge_init(&r->b, &cfg);
}

/* Card profile (SCP03: a security domain with the file behind C-MAC and R-ENC). */
static struct rig *rig_alloc(bool scp03)
{
    struct rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    vuicc_profile_default(&r->prof);
    r->scp03 = scp03;
    if (scp03) {
        r->prof.scp03.len = 16;
        r->prof.scp03.kvn = 0x30;
        r->prof.scp03.i_param = 0x70;
        r->prof.scp03_required = true;
        for (size_t i = 0; i < 16; i++) {
            r->prof.scp03.enc[i] = r->sc_keys.enc[i] = (uint8_t)i;
            r->prof.scp03.mac[i] = r->sc_keys.mac[i] = (uint8_t)(0x10 + i);
            r->prof.scp03.dek[i] = r->sc_keys.dek[i] = (uint8_t)(0x20 + i);
        }
        r->sc_keys.len = 16;
        r->sc_keys.kvn = 0x30;
        r->sc_cfg.keys = &r->sc_keys;
        r->sc_cfg.level = UCB_SCP03_LEVEL_DEFAULT; /* 33 */
        ucb_scp03_init(&r->sc_session);
        r->sc_opts.scp03 = &r->sc_session;
        r->sc_opts.scp03_cfg = &r->sc_cfg;
    }
    return r;
}

/* Transport, core, store and bridge, once the card exists. */
static void rig_wire(struct rig *r)
{
    vuicc_transport(r->card, &r->t);
    ucb_apdu_init(&r->apdu, &r->t);
    ucb_ref_core_init(&r->core);
    ucb_ref_core_adapter(&r->core, &r->adapter);
    ucb_store_ram_init(&r->ram, &r->store);
    bridge_new(r);
}

static void rig_free(struct rig *r)
{
    ucb_bridge_deinit(&r->b);
    ucb_apdu_deinit(&r->apdu);
    vuicc_free(r->card);
    free(r);
}

/* ---- the application's own instances: server 900 at /0/9, /1/9 ---- */

static size_t security_tlv(uint8_t *out, size_t cap, const char *uri, uint16_t ssid)
{
    struct ucb_tlv_writer w;
    ucb_tlv_writer_init(&w, out, cap);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 0, uri, strlen(uri));
    ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 1, false);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 2, 3);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 10, ssid);
    int n = ucb_tlv_writer_finish(&w);
    assert_true(n > 0);
    return (size_t)n;
}

static size_t server_tlv(uint8_t *out, size_t cap, uint16_t ssid)
{
    struct ucb_tlv_writer w;
    ucb_tlv_writer_init(&w, out, cap);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 0, ssid);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 1, 600);
    ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 6, true);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 7, "U", 1);
    int n = ucb_tlv_writer_finish(&w);
    assert_true(n > 0);
    return (size_t)n;
}

static void app_objects(struct rig *r)
{
    uint8_t buf[128];
    size_t n = security_tlv(buf, sizeof buf, "coap://op.example:5683", 900);
    CHECK_EQ("app /0/9", r->adapter.ops->create(r->adapter.ctx, 0, 9, buf, n), 0);
    n = server_tlv(buf, sizeof buf, 900);
    CHECK_EQ("app /1/9", r->adapter.ops->create(r->adapter.ctx, 1, 9, buf, n), 0);
}

/* ---- snapshots and provenance ---- */

struct snap {
    size_t n;
    struct {
        uint16_t oid, iid;
        size_t len;
        uint8_t tlv[UCB_REF_MAX_TLV];
    } i[UCB_REF_MAX_INSTANCES];
};

static void snapshot(const struct rig *r, struct snap *s)
{
    memset(s, 0, sizeof *s);
    s->n = ucb_ref_core_count(&r->core);
    for (size_t k = 0; k < s->n; k++) {
        const uint8_t *t;
        size_t len;
        assert_int_equal(ucb_ref_core_nth(&r->core, k, &s->i[k].oid, &s->i[k].iid, &t, &len), 0);
        s->i[k].len = len;
        memcpy(s->i[k].tlv, t, len);
    }
}

static bool snap_same(const struct snap *a, const struct snap *b)
{
    if (a->n != b->n) return false;
    for (size_t k = 0; k < a->n; k++)
        if (a->i[k].oid != b->i[k].oid || a->i[k].iid != b->i[k].iid ||
            a->i[k].len != b->i[k].len || memcmp(a->i[k].tlv, b->i[k].tlv, a->i[k].len) != 0)
            return false;
    return true;
}

/* The application's instances are all there, byte for byte. */
static void check_app_untouched(const char *name, const struct rig *r, const struct snap *app)
{
    for (size_t k = 0; k < app->n; k++) {
        const uint8_t *t;
        size_t len;
        if (ucb_ref_core_get(&r->core, app->i[k].oid, app->i[k].iid, &t, &len) != 0)
            fail_msg("%s: app instance /%u/%u gone", name, app->i[k].oid, app->i[k].iid);
        test_check_bytes(name, t, len, app->i[k].tlv, app->i[k].len);
    }
}

static bool rec_same(const struct ucb_prov_rec *a, const struct ucb_prov_rec *b)
{
    return a->oid == b->oid && a->iid == b->iid && a->card_iid == b->card_iid &&
           a->ssid == b->ssid && a->flags == b->flags && memcmp(a->hash, b->hash, 8) == 0;
}

/* Same record, whatever the order of the instance records. */
static bool prov_same(const struct ucb_provenance *a, const struct ucb_provenance *b)
{
    if (a->valid != b->valid || a->n != b->n || a->bs_deadline != b->bs_deadline) return false;
    if (a->n > UCB_PROV_MAX) return false;
    if (a->valid && (a->iccid_len != b->iccid_len || a->iccid_len > sizeof a->iccid ||
                     memcmp(a->iccid, b->iccid, a->iccid_len) != 0 ||
                     memcmp(a->fingerprint, b->fingerprint, sizeof a->fingerprint) != 0))
        return false;
    for (size_t i = 0; i < a->n; i++) {
        bool found = false;
        for (size_t j = 0; j < b->n && !found; j++) found = rec_same(&a->rec[i], &b->rec[j]);
        if (!found) return false;
    }
    return true;
}

/* The record of @p b in every field but the ICCID, which differs. */
static bool prov_same_but_iccid(const struct ucb_provenance *a, const struct ucb_provenance *b)
{
    struct ucb_provenance c = *a;
    if (!a->valid || !b->valid || prov_same(a, b)) return false;
    c.iccid_len = b->iccid_len;
    memcpy(c.iccid, b->iccid, sizeof c.iccid);
    return prov_same(&c, b);
}

static bool prov_empty(const struct ucb_provenance *p)
{
    return !p->valid && p->n == 0;
}

static void print_prov(const char *what, const struct ucb_provenance *p)
{
    printf("    %s record: valid %d, ICCID ", what, p->valid);
    for (size_t i = 0; i < p->iccid_len && i < sizeof p->iccid; i++) printf("%02x", p->iccid[i]);
    printf(", fingerprint %02x%02x.., %u instances, deadline %u\n", p->fingerprint[0],
           p->fingerprint[1], p->n, p->bs_deadline);
}

/* ---- the fault sweep ---- */

enum scen { SC_FIRST_BOOT, SC_UNCHANGED, SC_CHANGE, SC_SWAP, SC_REINSERT, SC_REBOOT, SC_COUNT };
static const char *const scen_name[SC_COUNT] = {
    "first boot", "unchanged check", "content change", "swap", "re-insertion", "reboot"};

enum fkind { FK_NONE, FK_SW, FK_REMOVE, FK_MUTE, FK_CORRUPT };
static const char *const fkind_name[] = {"none", "SW 6F00", "removal", "mute", "corruption"};

/* The card content the scenario ends with. */
static const char *new_fixture(enum scen s)
{
    return (s == SC_CHANGE || s == SC_SWAP || s == SC_REBOOT) ? MINIMAL : R1;
}

/* Set the fault into the profile; it takes effect at the next load / insert. */
static void arm(struct rig *r, enum fkind f, uint32_t k)
{
    r->prof.fault_at = 0;
    r->prof.fault_kind = VUICC_FAULT_NONE;
    r->prof.corrupt_at = 0;
    switch (f) {
    case FK_NONE: break;
    case FK_SW:
        r->prof.fault_at = k;
        r->prof.fault_kind = VUICC_FAULT_SW;
        r->prof.fault_sw = 0x6F00;
        break;
    case FK_REMOVE:
        r->prof.fault_at = k;
        r->prof.fault_kind = VUICC_FAULT_REMOVE;
        break;
    case FK_MUTE:
        r->prof.fault_at = k;
        r->prof.fault_kind = VUICC_FAULT_MUTE;
        break;
    case FK_CORRUPT:
        r->prof.corrupt_at = k;
        r->prof.corrupt_xor = 0x01;
        break;
    }
}

/* What a run saw: the state before the step under test, and the step's result. */
struct before_step {
    struct snap app, old;
    struct ucb_provenance old_p;
};

/*
 * Build the rig, bring it to the scenario's starting state without fault,
 * arm fault @p f at C-APDU @p k and run the step under test. Returns the
 * rig; @p rc gets the step's return value.
 */
static struct rig *run_scenario(enum scen s, bool scp03, enum fkind f, uint32_t k,
                                struct before_step *bs, int *rc)
{
    struct rig *r = rig_alloc(scp03);
    enum ucb_bridge_next next;
    if (s == SC_FIRST_BOOT) arm(r, f, k);
    load_card(r, R1);
    rig_wire(r);
    app_objects(r);
    snapshot(r, &bs->app);
    if (s == SC_FIRST_BOOT) {
        bs->old = bs->app;
        bs->old_p = r->ram.p;
        *rc = ucb_bridge_start(&r->b, &next);
        return r;
    }
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_REGISTER);
    if (scp03) assert_true(r->b.info.route & UCB_ROUTE_SCP03);
    if (s == SC_REINSERT) {
        vuicc_remove(r->card);
        CHECK_EQ("card gone", ucb_bridge_card_event(&r->b, false), 0);
    }
    snapshot(r, &bs->old);
    bs->old_p = r->ram.p;
    memset(r->ev_count, 0, sizeof r->ev_count);
    arm(r, f, k);
    switch (s) {
    case SC_UNCHANGED:
        load_card(r, R1); /* same card, same content: restarts the fault counter */
        *rc = ucb_bridge_before_register(&r->b, 101);
        break;
    case SC_CHANGE:
        load_card(r, MINIMAL);
        *rc = ucb_bridge_before_register(&r->b, 101);
        break;
    case SC_SWAP:
        strcpy(r->prof.iccid, OTHER_ICCID);
        load_card(r, MINIMAL);
        *rc = ucb_bridge_before_register(&r->b, 101);
        break;
    case SC_REINSERT:
        load_card(r, R1);
        vuicc_insert(r->card);
        *rc = ucb_bridge_card_event(&r->b, true);
        break;
    case SC_REBOOT:
        /* Power off (the channel and session go with it), the card changes
         * while off, a new bridge on the same store and (persistent) core. */
        ucb_bridge_deinit(&r->b);
        load_card(r, MINIMAL);
        bridge_new(r);
        *rc = ucb_bridge_start(&r->b, &next);
        break;
    default: fail_msg("scenario %d", (int)s);
    }
    return r;
}

/* The fault is gone: a check (or the insertion the transport reports) reaches the new state. */
static int follow_up(struct rig *r, enum scen s)
{
    arm(r, FK_NONE, 0);
    load_card(r, new_fixture(s));
    if (!vuicc_present(r->card)) vuicc_insert(r->card);
    if (ucb_bridge_owns_ssid(&r->b, 101)) return ucb_bridge_before_register(&r->b, 101);
    return ucb_bridge_card_event(&r->b, true);
}

static struct before_step g_bs;
static struct snap g_new, g_got;
static struct ucb_provenance g_new_p;

static void sweep(enum scen s, bool scp03, enum fkind f)
{
    char name[160];
    int rc;
    /* The reference: the same scenario without fault gives the new state. */
    struct rig *r = run_scenario(s, scp03, FK_NONE, 0, &g_bs, &rc);
    snprintf(name, sizeof name, "%s%s: reference run", scen_name[s], scp03 ? " (SCP03)" : "");
    CHECK_EQ(name, rc, 0);
    snapshot(r, &g_new);
    g_new_p = r->ram.p;
    assert_true(g_new_p.valid);
    rig_free(r);

    for (uint32_t k = 1;; k++) {
        if (k > SWEEP_LIMIT) fail_msg("%s: sweep did not end", name);
        r = run_scenario(s, scp03, f, k, &g_bs, &rc);
        snprintf(name, sizeof name, "%s%s, %s at C-APDU %u", scen_name[s],
                 scp03 ? " (SCP03)" : "", fkind_name[f], k);
        if (vuicc_apdu_count(r->card) < k) { /* the step ended before index k */
            printf("  %-40s %3u C-APDU indexes swept\n", name, k - 1);
            assert_true(k > 1);
            CHECK_EQ(name, rc, 0);
            snapshot(r, &g_got);
            assert_true(snap_same(&g_got, &g_new));
            assert_true(prov_same(&r->ram.p, &g_new_p));
            rig_free(r);
            return;
        }
        snapshot(r, &g_got);
        check_app_untouched(name, r, &g_bs.app);
        bool core_old = snap_same(&g_got, &g_bs.old);
        bool core_new = snap_same(&g_got, &g_new);
        bool core_gone = snap_same(&g_got, &g_bs.app);
        bool is_old = core_old && prov_same(&r->ram.p, &g_bs.old_p);
        bool is_new = core_new && prov_same(&r->ram.p, &g_new_p);
        bool is_gone = f == FK_REMOVE && core_gone && prov_empty(&r->ram.p);
        /* A corrupted ICCID (read in plain, before the secure channel) is
         * caught by its Luhn digit and read again (card.c): never a new
         * card recorded under a wrong identity. */
        if (f == FK_CORRUPT && core_new && prov_same_but_iccid(&r->ram.p, &g_new_p) &&
            !prov_same(&r->ram.p, &g_new_p))
            fail_msg("%s: new content recorded under a corrupted ICCID", name);
        if (!is_old && !is_new && !is_gone) {
            print_prov("stored", &r->ram.p);
            print_prov("new (reference)", &g_new_p);
            fail_msg("%s: inconsistent state (rc %d; core old %d new %d share-removed %d; "
                     "stored record old %d new %d empty %d)",
                     name, rc, core_old, core_new, core_gone,
                     prov_same(&r->ram.p, &g_bs.old_p), prov_same(&r->ram.p, &g_new_p),
                     prov_empty(&r->ram.p));
        }
        if (!prov_same(&r->b.prov, &r->ram.p))
            fail_msg("%s: the bridge's record differs from the stored one", name);
        /* A fault that leaves the old state (other than a card gone) is reported. */
        if (is_old && !is_new && !is_gone && f != FK_REMOVE && rc == 0)
            fail_msg("%s: old state kept but the call returned 0", name);
        /* The fault is gone: the next check reaches the new state. */
        int rc2 = follow_up(r, s);
        snapshot(r, &g_got);
        if (rc2 != 0 || !snap_same(&g_got, &g_new) || !prov_same(&r->ram.p, &g_new_p))
            fail_msg("%s: follow-up check rc %d, core new %d, record new %d", name, rc2,
                     snap_same(&g_got, &g_new), prov_same(&r->ram.p, &g_new_p));
        check_app_untouched(name, r, &g_bs.app);
        rig_free(r);
    }
}

static void sweep_all(bool scp03)
{
    static const enum fkind plain[] = {FK_SW, FK_REMOVE, FK_MUTE};
    static const enum fkind secured[] = {FK_SW, FK_REMOVE, FK_MUTE, FK_CORRUPT};
    const enum fkind *kinds = scp03 ? secured : plain;
    size_t nk = scp03 ? 4 : 3;
    for (int s = 0; s < SC_COUNT; s++)
        for (size_t i = 0; i < nk; i++) sweep((enum scen)s, scp03, kinds[i]);
}

static void fault_at_every_apdu_of_every_scenario_leaves_old_or_new_state(void **state)
{
    (void)state;
    sweep_all(false);
}

static void fault_at_every_apdu_with_scp03_leaves_old_or_new_state(void **state)
{
    (void)state;
    sweep_all(true);
}

/* ---- Bootstrap-Server Account Timeout ---- */

#define BS_TIMEOUT_S 60u

/* R1 with /0/0/12 (Bootstrap-Server Account Timeout, an Integer 0) set to 60. */
static uint8_t *r1_with_bs_timeout(size_t *out_len)
{
    uint8_t *f = test_read_file(R1, out_len);
    static struct ucb_bootstrap bs;
    assert_int_equal(ucb_bs_decode(&bs, f, *out_len, NULL), 0);
    bool patched = false;
    for (size_t i = 0; i < bs.ninst && !patched; i++) {
        if (bs.obj[bs.inst[i].object].oid != UCB_OID_SECURITY) continue;
        struct ucb_security sec;
        assert_int_equal(ucb_bs_security(&bs, i, &sec, NULL), 0);
        if (!sec.bootstrap) continue;
        int ri = ucb_bs_find_res(&bs, i, 12);
        assert_true(ri >= 0);
        const struct ucb_bs_res *res = &bs.res[ri];
        CHECK_EQ("res 12 length", res->len, 1);
        CHECK_EQ("res 12 value", res->value[0], 0);
        f[res->value - f] = BS_TIMEOUT_S;
        patched = true;
    }
    assert_true(patched);
    return f;
}

static bool has(const struct rig *r, uint16_t oid, uint16_t iid)
{
    const uint8_t *t;
    size_t len;
    return ucb_ref_core_get(&r->core, oid, iid, &t, &len) == 0;
}

/* The IID under which the card's bootstrap Security instance was created, or 0xFFFF. */
static uint16_t bs_iid(const struct rig *r)
{
    for (size_t i = 0; i < r->b.prov.n; i++)
        if (r->b.prov.rec[i].oid == UCB_OID_SECURITY && r->b.prov.rec[i].ssid == 0)
            return r->b.prov.rec[i].iid;
    return 0xFFFF;
}

static void bootstrap_account_timeout_deletes_the_account_once_after_its_deadline(void **state)
{
    (void)state;
    size_t len;
    uint8_t *f = r1_with_bs_timeout(&len);
    struct rig *r = rig_alloc(false);
    load_bytes(r, f, len);
    rig_wire(r);
    app_objects(r);
    struct snap app;
    snapshot(r, &app);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_REGISTER);
    uint16_t iid = bs_iid(r);
    assert_true(iid != 0xFFFF);
    assert_true(has(r, 0, iid));
    CHECK_EQ("no deadline before the first tick", r->ram.p.bs_deadline, 0);

    /* The clock starts at the first tick after the apply. */
    CHECK_EQ("first tick", ucb_bridge_tick(&r->b, 1000), 0);
    CHECK_EQ("deadline", r->ram.p.bs_deadline, 1000 + BS_TIMEOUT_S);
    CHECK_EQ("tick later", ucb_bridge_tick(&r->b, 1030), 0);
    CHECK_EQ("deadline kept", r->ram.p.bs_deadline, 1000 + BS_TIMEOUT_S);
    /* An unchanged check before the deadline changes nothing. */
    CHECK_EQ("check", ucb_bridge_before_register(&r->b, 101), 0);
    CHECK_EQ("tick just before", ucb_bridge_tick(&r->b, 1000 + BS_TIMEOUT_S - 1), 0);
    assert_true(has(r, 0, iid));
    CHECK_EQ("not expired yet", r->ev_count[UCB_BRIDGE_EV_BS_EXPIRED], 0);

    /* Reboot before the deadline: the deadline survives (same store). */
    struct snap before_reboot, after_reboot;
    snapshot(r, &before_reboot);
    ucb_bridge_deinit(&r->b);
    bridge_new(r);
    CHECK_EQ("start after reboot", ucb_bridge_start(&r->b, &next), 0);
    snapshot(r, &after_reboot);
    assert_true(snap_same(&before_reboot, &after_reboot));
    CHECK_EQ("deadline after reboot", r->b.prov.bs_deadline, 1000 + BS_TIMEOUT_S);
    /* A tick after reboot does not restart the clock. */
    CHECK_EQ("tick after reboot", ucb_bridge_tick(&r->b, 1040), 0);
    CHECK_EQ("deadline not restarted", r->ram.p.bs_deadline, 1000 + BS_TIMEOUT_S);
    assert_true(has(r, 0, iid));

    /* Deadline passes: the bootstrap Security instance goes, nothing else. */
    CHECK_EQ("tick at deadline", ucb_bridge_tick(&r->b, 1000 + BS_TIMEOUT_S), 0);
    CHECK_EQ("expired", r->ev_count[UCB_BRIDGE_EV_BS_EXPIRED], 1);
    assert_false(has(r, 0, iid));
    CHECK_EQ("instances", ucb_ref_core_count(&r->core), after_reboot.n - 1);
    check_app_untouched("after expiry", r, &app);
    CHECK_EQ("deadline cleared", r->ram.p.bs_deadline, 0);
    assert_true(prov_same(&r->b.prov, &r->ram.p));
    assert_true(ucb_bridge_owns_ssid(&r->b, 101));

    /* Not re-applied by checks of the unchanged card, nor by later ticks, nor at boot. */
    CHECK_EQ("check after expiry", ucb_bridge_before_register(&r->b, 101), 0);
    CHECK_EQ("update after expiry", ucb_bridge_before_update(&r->b, 102), 0);
    CHECK_EQ("tick after expiry", ucb_bridge_tick(&r->b, 5000), 0);
    CHECK_EQ("tick much later", ucb_bridge_tick(&r->b, 100000), 0);
    assert_false(has(r, 0, iid));
    CHECK_EQ("expired once", r->ev_count[UCB_BRIDGE_EV_BS_EXPIRED], 1);
    ucb_bridge_deinit(&r->b);
    bridge_new(r);
    CHECK_EQ("start after expiry", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("tick after second reboot", ucb_bridge_tick(&r->b, 200000), 0);
    assert_false(has(r, 0, iid));
    CHECK_EQ("still no deadline", r->ram.p.bs_deadline, 0);

    /* A content change brings the account back, and its clock starts again. */
    /* (server 101's Lifetime 3600 -> 7200: c2 01 0e 10 -> c2 01 1c 20; the
     * bootstrap account itself is the same) */
    bool patched = false;
    for (size_t i = 0; i + 4 <= len && !patched; i++)
        if (f[i] == 0xc2 && f[i + 1] == 0x01 && f[i + 2] == 0x0e && f[i + 3] == 0x10) {
            f[i + 2] = 0x1c;
            f[i + 3] = 0x20;
            patched = true;
        }
    assert_true(patched);
    load_bytes(r, f, len);
    memset(r->ev_count, 0, sizeof r->ev_count);
    CHECK_EQ("check after change", ucb_bridge_before_register(&r->b, 101), 0);
    CHECK_EQ("changed", r->ev_count[UCB_BRIDGE_EV_CHANGED], 1);
    iid = bs_iid(r);
    assert_true(iid != 0xFFFF);
    assert_true(has(r, 0, iid));
    CHECK_EQ("no deadline until the next tick", r->ram.p.bs_deadline, 0);
    CHECK_EQ("tick after change", ucb_bridge_tick(&r->b, 300000), 0);
    CHECK_EQ("new deadline", r->ram.p.bs_deadline, 300000 + BS_TIMEOUT_S);
    CHECK_EQ("tick past new deadline", ucb_bridge_tick(&r->b, 300000 + BS_TIMEOUT_S), 0);
    assert_false(has(r, 0, iid));
    CHECK_EQ("expired again", r->ev_count[UCB_BRIDGE_EV_BS_EXPIRED], 1);
    check_app_untouched("end", r, &app);
    free(f);
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fault_at_every_apdu_of_every_scenario_leaves_old_or_new_state),
        cmocka_unit_test(fault_at_every_apdu_with_scp03_leaves_old_or_new_state),
        cmocka_unit_test(bootstrap_account_timeout_deletes_the_account_once_after_its_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
