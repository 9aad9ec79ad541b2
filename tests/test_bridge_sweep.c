/*
 * The bridge (include/uiccboot/bridge.h) under card faults: a fault of every
 * kind at every C-APDU index of every scenario (first boot, unchanged check,
 * content change, swap, removal and re-insertion, reboot), plain and with
 * SCP03 at level 33; and the Bootstrap-Server Account Timeout of a card
 * bootstrap account.
 *
 * Rig: the virtual UICC, the reference core and the RAM store (bridge_rig.h,
 * shared with test_bridge.c), in process here and behind pcscd in
 * test_bridge_sweep_pcsc (-DRIG_PCSC=1, run by tests/test_bridge_pcsc.py,
 * which spreads the sweeps over several pcscd instances with --faults).
 * Through pcscd "mute" faults are not swept: the card answers them after
 * 10 s there (docs/simcard.md).
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

#include "bridge_rig.h"
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

/* ---- the application's own instances: server 900 at /0/9, /1/9 ---- */

static void app_objects(struct rig *r)
{
    uint8_t buf[128];
    size_t n = rig_security_tlv(buf, sizeof buf, "coap://op.example:5683", 900);
    CHECK_EQ("app /0/9", r->adapter.ops->create(r->adapter.ctx, 0, 9, buf, n), 0);
    n = rig_server_tlv(buf, sizeof buf, 900);
    CHECK_EQ("app /1/9", r->adapter.ops->create(r->adapter.ctx, 1, 9, buf, n), 0);
}

/* ---- snapshots and provenance ---- */

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
static const char *const fkind_key[] = {"none", "sw", "remove", "mute", "corrupt"};

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
    rig_load_card(r, R1);
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
        rig_card_remove(r);
        CHECK_EQ("card gone", ucb_bridge_card_event(&r->b, false), 0);
    }
    snapshot(r, &bs->old);
    bs->old_p = r->ram.p;
    memset(r->ev_count, 0, sizeof r->ev_count);
    arm(r, f, k);
    switch (s) {
    case SC_UNCHANGED:
        rig_load_card(r, R1); /* same card, same content: restarts the fault counter */
        *rc = ucb_bridge_before_register(&r->b, 101);
        break;
    case SC_CHANGE:
        rig_load_card(r, MINIMAL);
        *rc = ucb_bridge_before_register(&r->b, 101);
        break;
    case SC_SWAP:
        strcpy(r->prof.iccid, OTHER_ICCID);
        rig_load_card(r, MINIMAL);
        *rc = ucb_bridge_before_register(&r->b, 101);
        break;
    case SC_REINSERT:
        rig_load_card(r, R1);
        rig_card_insert(r);
        *rc = ucb_bridge_card_event(&r->b, true);
        break;
    case SC_REBOOT:
        /* Power off (the channel and session go with it), the card changes
         * while off, a new bridge on the same store and (persistent) core. */
        ucb_bridge_deinit(&r->b);
        rig_load_card(r, MINIMAL);
        rig_bridge_new(r);
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
    rig_load_card(r, new_fixture(s));
    if (!rig_card_present(r)) rig_card_insert(r);
    if (ucb_bridge_owns_ssid(&r->b, 101)) return ucb_bridge_before_register(&r->b, 101);
    return ucb_bridge_card_event(&r->b, true);
}

static struct before_step g_bs;
static struct snap g_new, g_got;
static struct ucb_provenance g_new_p;

/* Free a rig, first checking that the bridge lets go of its SCP03 session
 * wiped: keys gone, hook out of the engine. */
static void rig_free_wiped(struct rig *r)
{
    static const uint8_t zero[UCB_SCP03_KEY_MAX];
    ucb_bridge_deinit(&r->b);
    assert_false(ucb_scp03_active(&r->sc_session));
    assert_memory_equal(r->sc_session.s_enc, zero, sizeof zero);
    assert_memory_equal(r->sc_session.s_mac, zero, sizeof zero);
    assert_memory_equal(r->sc_session.s_rmac, zero, sizeof zero);
    assert_null(r->apdu.sm);
    rig_free(r);
}

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
    rig_free_wiped(r);

    for (uint32_t k = 1;; k++) {
        if (k > SWEEP_LIMIT) fail_msg("%s: sweep did not end", name);
        r = run_scenario(s, scp03, f, k, &g_bs, &rc);
        snprintf(name, sizeof name, "%s%s, %s at C-APDU %u", scen_name[s],
                 scp03 ? " (SCP03)" : "", fkind_name[f], k);
        if (rig_apdu_count(r) < k) { /* the step ended before index k */
            printf("  %-40s %3u C-APDU indexes swept\n", name, k - 1);
            assert_true(k > 1);
            CHECK_EQ(name, rc, 0);
            snapshot(r, &g_got);
            assert_true(snap_same(&g_got, &g_new));
            assert_true(prov_same(&r->ram.p, &g_new_p));
            rig_free_wiped(r);
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
        rig_free_wiped(r);
    }
}

static void sweep_all(bool scp03)
{
    static const enum fkind plain[] = {FK_SW, FK_REMOVE, FK_MUTE};
    static const enum fkind secured[] = {FK_SW, FK_REMOVE, FK_MUTE, FK_CORRUPT};
    const enum fkind *kinds = scp03 ? secured : plain;
    size_t nk = scp03 ? 4 : 3;
    if (RIG_PCSC)
        printf("  %s: no mute faults (the card answers a mute fault after 10 s there); "
               "the in-process run sweeps them\n", rig_backend());
    for (int s = 0; s < SC_COUNT; s++)
        for (size_t i = 0; i < nk; i++)
            if (!(RIG_PCSC && kinds[i] == FK_MUTE) && rig_fault_selected(fkind_key[kinds[i]]))
                sweep((enum scen)s, scp03, kinds[i]);
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
    rig_load_bytes(r, f, len);
    rig_wire(r);
    app_objects(r);
    struct snap app;
    snapshot(r, &app);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_REGISTER);
    uint16_t iid = bs_iid(r);
    assert_true(iid != 0xFFFF);
    assert_true(rig_has(r, 0, iid));
    CHECK_EQ("no deadline before the first tick", r->ram.p.bs_deadline, 0);

    /* The clock starts at the first tick after the apply. */
    CHECK_EQ("first tick", ucb_bridge_tick(&r->b, 1000), 0);
    CHECK_EQ("deadline", r->ram.p.bs_deadline, 1000 + BS_TIMEOUT_S);
    CHECK_EQ("tick later", ucb_bridge_tick(&r->b, 1030), 0);
    CHECK_EQ("deadline kept", r->ram.p.bs_deadline, 1000 + BS_TIMEOUT_S);
    /* An unchanged check before the deadline changes nothing. */
    CHECK_EQ("check", ucb_bridge_before_register(&r->b, 101), 0);
    CHECK_EQ("tick just before", ucb_bridge_tick(&r->b, 1000 + BS_TIMEOUT_S - 1), 0);
    assert_true(rig_has(r, 0, iid));
    CHECK_EQ("not expired yet", r->ev_count[UCB_BRIDGE_EV_BS_EXPIRED], 0);

    /* Reboot before the deadline: the deadline survives (same store). */
    struct snap before_reboot, after_reboot;
    snapshot(r, &before_reboot);
    ucb_bridge_deinit(&r->b);
    rig_bridge_new(r);
    CHECK_EQ("start after reboot", ucb_bridge_start(&r->b, &next), 0);
    snapshot(r, &after_reboot);
    assert_true(snap_same(&before_reboot, &after_reboot));
    CHECK_EQ("deadline after reboot", r->b.prov.bs_deadline, 1000 + BS_TIMEOUT_S);
    /* A tick after reboot does not restart the clock. */
    CHECK_EQ("tick after reboot", ucb_bridge_tick(&r->b, 1040), 0);
    CHECK_EQ("deadline not restarted", r->ram.p.bs_deadline, 1000 + BS_TIMEOUT_S);
    assert_true(rig_has(r, 0, iid));

    /* Deadline passes: the bootstrap Security instance goes, nothing else. */
    CHECK_EQ("tick at deadline", ucb_bridge_tick(&r->b, 1000 + BS_TIMEOUT_S), 0);
    CHECK_EQ("expired", r->ev_count[UCB_BRIDGE_EV_BS_EXPIRED], 1);
    assert_false(rig_has(r, 0, iid));
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
    assert_false(rig_has(r, 0, iid));
    CHECK_EQ("expired once", r->ev_count[UCB_BRIDGE_EV_BS_EXPIRED], 1);
    ucb_bridge_deinit(&r->b);
    rig_bridge_new(r);
    CHECK_EQ("start after expiry", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("tick after second reboot", ucb_bridge_tick(&r->b, 200000), 0);
    assert_false(rig_has(r, 0, iid));
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
    rig_load_bytes(r, f, len);
    memset(r->ev_count, 0, sizeof r->ev_count);
    CHECK_EQ("check after change", ucb_bridge_before_register(&r->b, 101), 0);
    CHECK_EQ("changed", r->ev_count[UCB_BRIDGE_EV_CHANGED], 1);
    iid = bs_iid(r);
    assert_true(iid != 0xFFFF);
    assert_true(rig_has(r, 0, iid));
    CHECK_EQ("no deadline until the next tick", r->ram.p.bs_deadline, 0);
    CHECK_EQ("tick after change", ucb_bridge_tick(&r->b, 300000), 0);
    CHECK_EQ("new deadline", r->ram.p.bs_deadline, 300000 + BS_TIMEOUT_S);
    CHECK_EQ("tick past new deadline", ucb_bridge_tick(&r->b, 300000 + BS_TIMEOUT_S), 0);
    assert_false(rig_has(r, 0, iid));
    CHECK_EQ("expired again", r->ev_count[UCB_BRIDGE_EV_BS_EXPIRED], 1);
    check_app_untouched("end", r, &app);
    free(f);
    rig_free(r);
}

int main(int argc, char **argv)
{
    int rc = rig_setup(argc, argv);
    if (rc != 0) return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fault_at_every_apdu_of_every_scenario_leaves_old_or_new_state),
        cmocka_unit_test(fault_at_every_apdu_with_scp03_leaves_old_or_new_state),
        cmocka_unit_test(bootstrap_account_timeout_deletes_the_account_once_after_its_deadline),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    rig_teardown();
    return rc;
}
