/*
 * The bridge (include/uiccboot/bridge.h): scenario tests over the virtual
 * UICC and the reference core, an adapter-failure sweep over every mutating
 * operation of an apply, and an APDU fault sweep over a check.
 *
 * Built twice (bridge_rig.h): test_bridge with the card in process, and
 * test_bridge_pcsc (-DRIG_PCSC=1) with the card behind pcscd, run by
 * tests/test_bridge_pcsc.py. Where PC/SC differs it says so below.
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
#include "uiccboot/err.h"
#include "uiccboot/ref_core.h"
#include "uiccboot/store.h"
#include "uiccboot/tlv.h"
#include "vuicc.h"

#define R1 "fixtures/bootstrap/r1-three-accounts.bin"
#define MINIMAL "fixtures/bootstrap/valid-minimal-account.bin"
#define BS_ONLY "fixtures/bootstrap/valid-bootstrap-only-psk.bin"
#define INVALID "fixtures/bootstrap/invalid-acc-two-bootstrap.bin"
/* ---- the app's own (non-card) instances ---- */

static void app_create(struct rig *r, uint16_t oid, uint16_t iid, const uint8_t *tlv, size_t len)
{
    CHECK_EQ("app create", r->adapter.ops->create(r->adapter.ctx, oid, iid, tlv, len), 0);
}

/* The app's device object /3/0 and its own server 900 (/0/9, /1/9). */
static void app_objects(struct rig *r)
{
    uint8_t buf[128];
    static const uint8_t dev[] = {0xC8, 0x00, 0x04, 'A', 'C', 'M', 'E'};
    app_create(r, 3, 0, dev, sizeof dev);
    app_create(r, 0, 9, buf, rig_security_tlv(buf, sizeof buf, "coap://op.example:5683", 900));
    app_create(r, 1, 9, buf, rig_server_tlv(buf, sizeof buf, 900));
}

/* ---- snapshots of the core ---- */

static void check_snap_equal(const char *name, const struct snap *a, const struct snap *b)
{
    CHECK_EQ(name, a->n, b->n);
    for (size_t k = 0; k < a->n; k++) {
        CHECK_EQ(name, a->i[k].oid, b->i[k].oid);
        CHECK_EQ(name, a->i[k].iid, b->i[k].iid);
        test_check_bytes(name, a->i[k].tlv, a->i[k].len, b->i[k].tlv, b->i[k].len);
    }
}

/*
 * The core holds exactly: the app's instances of @p app (unchanged) plus
 * one instance per card instance of @p fixture (NULL: none), with the card's
 * bytes, under the ID provenance records.
 */
static void check_core_is(const char *name, struct rig *r, const struct snap *app,
                          const char *fixture, size_t refused)
{
    size_t n_card = 0;
    for (size_t k = 0; k < app->n; k++) {
        const uint8_t *t;
        size_t len;
        if (ucb_ref_core_get(&r->core, app->i[k].oid, app->i[k].iid, &t, &len) != 0)
            fail_msg("%s: app instance /%u/%u gone", name, app->i[k].oid, app->i[k].iid);
        test_check_bytes(name, t, len, app->i[k].tlv, app->i[k].len);
    }
    if (fixture != NULL) {
        size_t flen;
        uint8_t *f = test_read_file(fixture, &flen);
        static struct ucb_bootstrap bs;
        assert_int_equal(ucb_bs_decode(&bs, f, flen, NULL), 0);
        for (size_t i = 0; i < bs.ninst; i++) {
            uint16_t oid = bs.obj[bs.inst[i].object].oid;
            const struct ucb_prov_rec *rec = NULL;
            for (size_t j = 0; j < r->b.prov.n; j++)
                if (r->b.prov.rec[j].oid == oid && r->b.prov.rec[j].card_iid == bs.inst[i].iid)
                    rec = &r->b.prov.rec[j];
            if (rec == NULL) continue; /* refused */
            struct ucb_tlv_cursor c;
            struct ucb_tlv tl;
            ucb_tlv_cursor_init(&c, f + bs.inst[i].offset, flen - bs.inst[i].offset, 0,
                                UCB_TLV_ALLOW(UCB_TLV_OBJECT_INSTANCE));
            assert_int_equal(ucb_tlv_next(&c, &tl), 1);
            const uint8_t *t;
            size_t len;
            if (ucb_ref_core_get(&r->core, oid, rec->iid, &t, &len) != 0)
                fail_msg("%s: card instance /%u/%u missing", name, oid, rec->iid);
            test_check_bytes(name, t, len, tl.value, tl.len);
            n_card++;
        }
        CHECK_EQ(name, n_card + refused, bs.ninst);
        free(f);
    }
    CHECK_EQ(name, ucb_ref_core_count(&r->core), app->n + n_card);
}

/* ---- scenarios ---- */

static void first_boot_applies_every_account_then_says_register(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    struct snap app;
    app_objects(r);
    snapshot(r, &app);
    enum ucb_bridge_next next = UCB_BRIDGE_NEXT_REGISTER;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_REGISTER);
    CHECK_EQ("inserted", r->ev_count[UCB_BRIDGE_EV_INSERTED], 1);
    check_core_is("first boot", r, &app, R1, 0);
    CHECK_EQ("creates", rig_count_actions(r, UCB_BRIDGE_CREATE, RIG_ANY, RIG_ANY), 7);
    assert_true(r->ram.saved);
    assert_true(ucb_bridge_owns_ssid(&r->b, 101));
    assert_true(ucb_bridge_owns_ssid(&r->b, 102));
    assert_false(ucb_bridge_owns_ssid(&r->b, 900));
    /* Security is created before Server for each account. */
    size_t sec = RIG_MAX_ACTIONS, srv = 0;
    for (size_t i = 0; i < r->n_act; i++) {
        if (r->act[i].op != UCB_BRIDGE_CREATE || r->act[i].ssid != 101) continue;
        if (r->act[i].oid == 0) sec = i;
        if (r->act[i].oid == 1) srv = i;
    }
    assert_true(sec < srv);
    rig_free(r);
}

static void unchanged_card_check_changes_nothing(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    struct snap before, after;
    snapshot(r, &before);
    uint32_t saves = r->ram.n_saves;
    rig_clear_log(r);
    uint32_t n0 = r->apdu.n_commands;
    CHECK_EQ("before_register", ucb_bridge_before_register(&r->b, 101), 0);
    /* Goal: ceil(304 / 256) + 1 C-APDUs on an unchanged card (kept read). */
    CHECK_EQ("C-APDUs of a check", r->apdu.n_commands - n0, 3);
    CHECK_EQ("before_update", ucb_bridge_before_update(&r->b, 102), 0);
    CHECK_EQ("C-APDUs of two checks", r->apdu.n_commands - n0, 6);
    CHECK_EQ("unchanged events", r->ev_count[UCB_BRIDGE_EV_UNCHANGED], 2);
    CHECK_EQ("actions", r->n_act, 0);
    CHECK_EQ("saves", r->ram.n_saves, saves);
    snapshot(r, &after);
    check_snap_equal("unchanged", &after, &before);
    rig_free(r);
}

static void non_card_server_check_sends_no_apdu(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    app_objects(r);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    uint32_t n = rig_apdu_count(r);
    rig_clear_log(r);
    CHECK_EQ("before_register 900", ucb_bridge_before_register(&r->b, 900), 0);
    CHECK_EQ("before_update 900", ucb_bridge_before_update(&r->b, 900), 0);
    CHECK_EQ("apdus", rig_apdu_count(r), n);
    CHECK_EQ("events", r->n_act + (size_t)r->ev_count[UCB_BRIDGE_EV_UNCHANGED], 0);
    rig_free(r);
}

static void content_change_replaces_changed_and_removes_gone_accounts(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    struct snap app;
    app_objects(r);
    snapshot(r, &app);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("register 101", ucb_ref_core_register(&r->core, 101), 0);
    CHECK_EQ("register 102", ucb_ref_core_register(&r->core, 102), 0);
    rig_load_card(r, MINIMAL); /* same ICCID, account 101 only, other content */
    rig_clear_log(r);
    CHECK_EQ("before_update 101", ucb_bridge_before_update(&r->b, 101), 0);
    CHECK_EQ("changed", r->ev_count[UCB_BRIDGE_EV_CHANGED], 1);
    check_core_is("content change", r, &app, MINIMAL, 0);
    assert_true(ucb_bridge_owns_ssid(&r->b, 101));
    assert_false(ucb_bridge_owns_ssid(&r->b, 102));
    /* the old 101 and 102 went out of use first; 102 was de-registered */
    assert_true(rig_count_actions(r, UCB_BRIDGE_DISABLE, RIG_ANY, RIG_ANY) >= 2);
    assert_true(r->n_act > 0 && r->act[0].op == UCB_BRIDGE_DISABLE);
    const struct ucb_ref_server *s = ucb_ref_core_server(&r->core, 102);
    assert_non_null(s);
    assert_false(s->registered);
    /* the new 101 is usable */
    CHECK_EQ("register new 101", ucb_ref_core_register(&r->core, 101), 0);
    CHECK_EQ("before_update 102", ucb_bridge_before_update(&r->b, 102), 0); /* not card's now */
    rig_free(r);
}

static void iccid_change_applies_the_new_card(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    struct snap app;
    app_objects(r);
    snapshot(r, &app);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    strcpy(r->prof.iccid, "8988211000000430028");
    rig_load_card(r, R1); /* same content, another card */
    rig_clear_log(r);
    CHECK_EQ("before_register", ucb_bridge_before_register(&r->b, 101), 0);
    CHECK_EQ("inserted", r->ev_count[UCB_BRIDGE_EV_INSERTED], 1);
    CHECK_EQ("deletes", rig_count_actions(r, UCB_BRIDGE_DELETE, RIG_ANY, RIG_ANY), 7);
    CHECK_EQ("creates", rig_count_actions(r, UCB_BRIDGE_CREATE, RIG_ANY, RIG_ANY), 7);
    check_core_is("iccid change", r, &app, R1, 0);
    CHECK_EQ("iccid stored", r->ram.p.iccid_len, 10);
    rig_free(r);
}

static void removed_card_deletes_only_card_instances(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    struct snap app;
    app_objects(r);
    snapshot(r, &app);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("observe: register", ucb_ref_core_register(&r->core, 101), 0);
    CHECK_EQ("observe", ucb_ref_core_observe(&r->core, 101), 0);
    rig_card_remove(r);
    rig_clear_log(r);
    CHECK_EQ("before_register", ucb_bridge_before_register(&r->b, 101), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("removed", r->ev_count[UCB_BRIDGE_EV_REMOVED], 1);
    check_core_is("removal", r, &app, NULL, 0);
    assert_false(r->ram.p.valid);
    CHECK_EQ("records", r->ram.p.n, 0);
    const struct ucb_ref_server *s = ucb_ref_core_server(&r->core, 101);
    assert_non_null(s);
    CHECK_EQ("observations", s->observations, 0);
    assert_false(s->registered);
    /* CR 003 order for 101: observations cancelled, Server deleted, Security, de-register */
    size_t i_cancel = RIG_MAX_ACTIONS, i_srv = RIG_MAX_ACTIONS, i_sec = RIG_MAX_ACTIONS, i_dereg = RIG_MAX_ACTIONS;
    size_t i_acl = RIG_MAX_ACTIONS;
    for (size_t i = 0; i < r->n_act; i++) {
        const struct ucb_bridge_action *a = &r->act[i];
        if (a->op == UCB_BRIDGE_DELETE && a->oid == 2 && i_acl == RIG_MAX_ACTIONS) i_acl = i;
        if (a->ssid != 101) continue;
        if (a->op == UCB_BRIDGE_CANCEL_OBSERVATIONS) i_cancel = i;
        if (a->op == UCB_BRIDGE_DELETE && a->oid == 1) i_srv = i;
        if (a->op == UCB_BRIDGE_DELETE && a->oid == 0) i_sec = i;
        if (a->op == UCB_BRIDGE_DEREGISTER) i_dereg = i;
    }
    assert_true(i_acl < i_cancel);
    assert_true(i_cancel < i_srv);
    assert_true(i_srv < i_sec);
    assert_true(i_sec < i_dereg && i_dereg < RIG_MAX_ACTIONS);
    /* app server untouched and usable */
    CHECK_EQ("register 900", ucb_ref_core_register(&r->core, 900), 0);
    rig_free(r);
}

static void card_removed_while_off_is_cleaned_up_at_boot(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    struct snap app;
    app_objects(r);
    snapshot(r, &app);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    /* power off: the core (persistent) and the store survive; the card goes */
    rig_card_remove(r);
    rig_bridge_new(r);
    rig_clear_log(r);
    CHECK_EQ("start again", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_FACTORY_BOOTSTRAP);
    CHECK_EQ("removed", r->ev_count[UCB_BRIDGE_EV_REMOVED], 1);
    check_core_is("removed while off", r, &app, NULL, 0);
    rig_free(r);
}

static void card_changed_while_off_is_applied_at_boot(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    struct snap app;
    app_objects(r);
    snapshot(r, &app);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    rig_load_card(r, MINIMAL);
    rig_bridge_new(r);
    CHECK_EQ("start again", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_REGISTER);
    check_core_is("changed while off", r, &app, MINIMAL, 0);
    rig_free(r);
}

static void core_without_persistence_gets_the_card_again_at_boot(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    ucb_ref_core_init(&r->core); /* reboot of a core that forgets */
    struct snap none;
    snapshot(r, &none);
    rig_bridge_new(r);
    CHECK_EQ("start again", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_REGISTER);
    check_core_is("re-applied", r, &none, R1, 0);
    rig_free(r);
}

static void instance_id_collision_is_remapped(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    uint8_t buf[128];
    app_create(r, 0, 1, buf, rig_security_tlv(buf, sizeof buf, "coap://own.example:5683", 900));
    app_create(r, 1, 9, buf, rig_server_tlv(buf, sizeof buf, 900));
    struct snap app;
    snapshot(r, &app);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    check_core_is("remap", r, &app, R1, 0);
    bool remapped = false;
    for (size_t j = 0; j < r->b.prov.n; j++) {
        const struct ucb_prov_rec *rec = &r->b.prov.rec[j];
        if (rec->oid == 0 && rec->card_iid == 1) {
            CHECK_EQ("remapped iid", rec->iid, 3); /* 0..2 are the card's own IDs */
            assert_true(rec->flags & UCB_PROV_REMAPPED);
            remapped = true;
        }
    }
    assert_true(remapped);
    /* unchanged check keeps it; removal deletes /0/3 and not the app's /0/1 */
    CHECK_EQ("check", ucb_bridge_before_register(&r->b, 101), 0);
    rig_card_remove(r);
    CHECK_EQ("card gone", ucb_bridge_card_event(&r->b, false), 0);
    check_core_is("remap removal", r, &app, NULL, 0);
    rig_free(r);
}

static void ssid_collision_refuses_the_card_account(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    uint8_t buf[128];
    app_create(r, 0, 7, buf, rig_security_tlv(buf, sizeof buf, "coap://own.example:5683", 101));
    app_create(r, 1, 7, buf, rig_server_tlv(buf, sizeof buf, 101));
    struct snap app;
    snapshot(r, &app);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_REGISTER);
    assert_true(rig_count_actions(r, UCB_BRIDGE_REFUSE, RIG_ANY, RIG_ANY) >= 1);
    assert_false(ucb_bridge_owns_ssid(&r->b, 101));
    assert_true(ucb_bridge_owns_ssid(&r->b, 102));
    /* refused: /0/1 and /1/0 of 101, and /2/0 whose target /1/0 was refused */
    check_core_is("ssid collision", r, &app, R1, 3);
    /* the app's server 101 is not the card's: no check, no APDU */
    uint32_t n = rig_apdu_count(r);
    CHECK_EQ("before_register 101", ucb_bridge_before_register(&r->b, 101), 0);
    CHECK_EQ("apdus", rig_apdu_count(r), n);
    rig_card_remove(r);
    CHECK_EQ("card gone", ucb_bridge_card_event(&r->b, false), 0);
    check_core_is("ssid collision removal", r, &app, NULL, 0);
    rig_free(r);
}

static void bootstrap_only_card_asks_for_client_initiated_bootstrap(void **state)
{
    (void)state;
    struct rig *r = rig_new(BS_ONLY, false);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_CLIENT_BOOTSTRAP);
    struct snap none = {0};
    check_core_is("bootstrap only", r, &none, BS_ONLY, 0);
    rig_free(r);
}

static void no_card_at_boot_asks_for_factory_bootstrap(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    rig_card_remove(r);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_FACTORY_BOOTSTRAP);
    CHECK_EQ("instances", ucb_ref_core_count(&r->core), 0);
    rig_free(r);
}

static void invalid_card_data_keeps_the_old_state(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    app_objects(r);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    struct snap before, after;
    snapshot(r, &before);
    struct ucb_provenance p = r->ram.p;
    rig_load_card(r, INVALID);
    rig_clear_log(r);
    CHECK_EQ("before_register", ucb_bridge_before_register(&r->b, 101), UCB_ERR_INVALID);
    CHECK_EQ("invalid event", r->ev_count[UCB_BRIDGE_EV_INVALID], 1);
    CHECK_EQ("actions", r->n_act, 0);
    snapshot(r, &after);
    check_snap_equal("invalid", &after, &before);
    assert_memory_equal(&r->ram.p, &p, sizeof p);
    rig_free(r);
}

static void bootstrap_write_disowns_and_removal_leaves_it(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    /* A Bootstrap-Server replaces /1/1 (server 102) by server 150 out of band;
     * nobody tells the bridge. */
    uint8_t buf[128];
    size_t n = rig_server_tlv(buf, sizeof buf, 150);
    CHECK_EQ("bs write", ucb_ref_core_bs_write(&r->core, 1, 1, buf, n), 0);
    /* And writes /3/0, which it tells the bridge about (not a card instance). */
    CHECK_EQ("notify other", ucb_bridge_notify(&r->b, 3, 0, false), 0);
    /* It deletes /2/1 and says so. */
    CHECK_EQ("bs delete", ucb_ref_core_bs_delete(&r->core, 2, 1), 1);
    CHECK_EQ("notify", ucb_bridge_notify(&r->b, 2, 1, true), 1);
    rig_card_remove(r);
    rig_clear_log(r);
    CHECK_EQ("card gone", ucb_bridge_card_event(&r->b, false), 0);
    /* the replaced /1/1 stays (read back: another Short Server ID) */
    const uint8_t *t;
    size_t len;
    CHECK_EQ("rewritten server kept", ucb_ref_core_get(&r->core, 1, 1, &t, &len), 0);
    test_check_bytes("kept bytes", t, len, buf, n);
    CHECK_EQ("count", ucb_ref_core_count(&r->core), 1);
    assert_true(rig_count_actions(r, UCB_BRIDGE_DISOWN, RIG_ANY, RIG_ANY) >= 1);
    rig_free(r);
}

static void bootstrap_account_timeout_starts_after_apply(void **state)
{
    (void)state;
    /* R1's bootstrap account has timeout 0 (infinite): the tick never deletes it */
    struct rig *r = rig_new(R1, false);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("tick", ucb_bridge_tick(&r->b, 100), 0);
    CHECK_EQ("tick later", ucb_bridge_tick(&r->b, 100000000), 0);
    assert_true(rig_has(r, 0, 0));
    CHECK_EQ("no deadline", r->ram.p.bs_deadline, 0);
    rig_free(r);
}

/* ---- sweeps ---- */

/* An adapter failure at every mutating op of an apply rolls back exactly. */
static void sweep_adapter_failure(const char *from, const char *to, bool remove)
{
    for (uint32_t k = 1;; k++) {
        struct rig *r = rig_new(from, false);
        app_objects(r);
        enum ucb_bridge_next next;
        CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
        struct snap before, after;
        snapshot(r, &before);
        struct ucb_provenance p = r->ram.p;
        if (remove) rig_card_remove(r);
        else rig_load_card(r, to);
        uint32_t m0 = ucb_ref_core_mutations(&r->core);
        ucb_ref_core_fail_at(&r->core, k);
        int rc = ucb_bridge_before_register(&r->b, 101);
        uint32_t used = ucb_ref_core_mutations(&r->core) - m0;
        if (used < k) { /* the apply finished before op k: done */
            assert_true(rc == 0 || rc == UCB_ERR_NOT_PRESENT);
            printf("  %s -> %s: %u mutating ops swept\n", from, to ? to : "removal", k - 1);
            assert_true(k > 8); /* an apply of these cards takes more steps than that */
            rig_free(r);
            return;
        }
        char name[64];
        snprintf(name, sizeof name, "%s fail at %u", to ? to : "removal", k);
        CHECK_EQ(name, rc, UCB_ERR_ADAPTER);
        CHECK_EQ(name, r->ev_count[UCB_BRIDGE_EV_APPLY_FAILED], 1);
        snapshot(r, &after);
        check_snap_equal(name, &after, &before);
        assert_memory_equal(&r->ram.p, &p, sizeof p);
        /* servers of the old state are back in use */
        const struct ucb_ref_server *s = ucb_ref_core_server(&r->core, 101);
        if (s != NULL) assert_false(s->disabled);
        /* and the next check completes the change */
        ucb_ref_core_fail_at(&r->core, 0);
        rc = ucb_bridge_before_register(&r->b, 101);
        assert_true(rc == 0 || rc == UCB_ERR_NOT_PRESENT);
        rig_free(r);
    }
}

static void adapter_failure_at_every_op_rolls_back(void **state)
{
    (void)state;
    sweep_adapter_failure(R1, MINIMAL, false);
    sweep_adapter_failure(MINIMAL, R1, false);
    sweep_adapter_failure(R1, NULL, true);
}

static void adapter_failure_at_first_boot_leaves_only_app_instances(void **state)
{
    (void)state;
    for (uint32_t k = 1; k < 64; k++) {
        struct rig *r = rig_new(R1, false);
        app_objects(r);
        struct snap app;
        snapshot(r, &app);
        uint32_t m0 = ucb_ref_core_mutations(&r->core);
        ucb_ref_core_fail_at(&r->core, k);
        enum ucb_bridge_next next;
        int rc = ucb_bridge_start(&r->b, &next);
        if (ucb_ref_core_mutations(&r->core) - m0 < k) {
            CHECK_EQ("start", rc, 0);
            assert_true(k > 7); /* 7 creates */
            rig_free(r);
            return;
        }
        CHECK_EQ("start fails", rc, UCB_ERR_ADAPTER);
        CHECK_EQ("next", next, UCB_BRIDGE_NEXT_FACTORY_BOOTSTRAP);
        check_core_is("first boot rollback", r, &app, NULL, 0);
        rig_free(r);
    }
    fail_msg("sweep did not end");
}

/* Removal or a mute card at every APDU of a check: old state, or card share removed. */
static void apdu_fault_at_every_index_is_consistent(void **state)
{
    (void)state;
    static const enum vuicc_fault_kind kinds[] = {VUICC_FAULT_REMOVE, VUICC_FAULT_MUTE,
                                                  VUICC_FAULT_SW};
    for (size_t kk = 0; kk < 3; kk++) {
        if (RIG_PCSC && kinds[kk] == VUICC_FAULT_MUTE) {
            printf("  fault kind %d (mute): not through %s, where the card answers a mute "
                   "fault after 10 s; the in-process run covers it\n", (int)kinds[kk],
                   rig_backend());
            continue;
        }
        for (uint32_t k = 1;; k++) {
            struct rig *r = rig_new(R1, false);
            struct snap app, before, after;
            uint8_t buf[128];
            app_create(r, 0, 9, buf, rig_security_tlv(buf, sizeof buf, "coap://op:5683", 900));
            snapshot(r, &app);
            enum ucb_bridge_next next;
            CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
            snapshot(r, &before);
            r->prof.fault_at = k;
            r->prof.fault_kind = kinds[kk];
            r->prof.fault_sw = 0x6F00;
            rig_load_card(r, MINIMAL); /* a change, so every APDU of the walk matters */
            rig_clear_log(r);
            int rc = ucb_bridge_before_register(&r->b, 101);
            bool fired = rig_apdu_count(r) >= k;
            char name[64];
            snprintf(name, sizeof name, "fault %d at apdu %u", (int)kinds[kk], k);
            snapshot(r, &after);
            if (!fired) {
                printf("  fault kind %d: %u APDU indexes swept\n", (int)kinds[kk], k - 1);
                assert_true(k > 3); /* at least the kept check's commands */
                CHECK_EQ(name, rc, 0);
                check_core_is(name, r, &app, MINIMAL, 0);
                rig_free(r);
                break;
            }
            if (kinds[kk] == VUICC_FAULT_REMOVE) {
                /* Through pcscd a card pulled during a command fails that
                 * command with SCARD_E_NOT_TRANSACTED (a transport error)
                 * until pcscd's next poll of the reader: the check changes
                 * nothing; the next one, once the reader shows the card
                 * gone, removes the card's share. */
                if (RIG_PCSC && rc == UCB_ERR_TRANSPORT) {
                    CHECK_EQ(name, r->ev_count[UCB_BRIDGE_EV_READ_FAILED], 1);
                    check_snap_equal(name, &after, &before);
                    rig_card_remove(r); /* already out: waits until pcscd shows it */
                    rc = ucb_bridge_before_register(&r->b, 101);
                }
                CHECK_EQ(name, rc, UCB_ERR_NOT_PRESENT);
                check_core_is(name, r, &app, NULL, 0);
            } else if (rc == 0) {
                /* The silence hit the cheap check of the kept channel; the
                 * bridge walked again and applied the change whole. */
                check_core_is(name, r, &app, MINIMAL, 0);
            } else {
                CHECK_EQ(name, r->ev_count[UCB_BRIDGE_EV_READ_FAILED], 1);
                check_snap_equal(name, &after, &before);
            }
            rig_free(r);
        }
    }
}

/* R1 with server 101's Lifetime 3600 -> 7200 (c2 01 0e 10 -> c2 01 1c 20):
 * an over-the-air change of one account that keeps its SSID. */
static void replaced_account_keeps_acl_instances_and_removal_leaves_nothing(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    struct snap app, before;
    app_objects(r);
    snapshot(r, &app);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    snapshot(r, &before);

    size_t len;
    uint8_t *f = test_read_file(R1, &len);
    bool patched = false;
    for (size_t i = 0; i + 4 <= len && !patched; i++)
        if (f[i] == 0xc2 && f[i + 1] == 0x01 && f[i + 2] == 0x0e && f[i + 3] == 0x10) {
            f[i + 2] = 0x1c;
            f[i + 3] = 0x20;
            patched = true;
        }
    assert_true(patched);
    rig_load_bytes(r, f, len);
    free(f);
    rig_clear_log(r);
    CHECK_EQ("before_register 101", ucb_bridge_before_register(&r->b, 101), 0);
    CHECK_EQ("changed", r->ev_count[UCB_BRIDGE_EV_CHANGED], 1);
    for (size_t i = 0; i < r->n_act; i++) {
        const struct ucb_bridge_action *a = &r->act[i];
        if (a->op == UCB_BRIDGE_ACL_CHANGE || (a->ssid == 102 && a->op != UCB_BRIDGE_SKIP))
            fail_msg("replacing account 101 touched %s: action %d on /%u/%u ssid %u",
                     a->ssid == 102 ? "account 102" : "an ACL", (int)a->op, a->oid, a->iid,
                     a->ssid);
    }
    /* Then the card goes: everything it created goes, nothing is disowned. */
    rig_card_remove(r);
    rig_clear_log(r);
    CHECK_EQ("before_register", ucb_bridge_before_register(&r->b, 101), UCB_ERR_NOT_PRESENT);
    for (size_t i = 0; i < r->n_act; i++)
        if (r->act[i].op == UCB_BRIDGE_DISOWN)
            fail_msg("/%u/%u disowned at removal", r->act[i].oid, r->act[i].iid);
    check_core_is("removal after a replaced account", r, &app, NULL, 0);
    rig_free(r);
}

int main(int argc, char **argv)
{
    int rc = rig_setup(argc, argv);
    if (rc != 0) return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_boot_applies_every_account_then_says_register),
        cmocka_unit_test(unchanged_card_check_changes_nothing),
        cmocka_unit_test(replaced_account_keeps_acl_instances_and_removal_leaves_nothing),
        cmocka_unit_test(non_card_server_check_sends_no_apdu),
        cmocka_unit_test(content_change_replaces_changed_and_removes_gone_accounts),
        cmocka_unit_test(iccid_change_applies_the_new_card),
        cmocka_unit_test(removed_card_deletes_only_card_instances),
        cmocka_unit_test(card_removed_while_off_is_cleaned_up_at_boot),
        cmocka_unit_test(card_changed_while_off_is_applied_at_boot),
        cmocka_unit_test(core_without_persistence_gets_the_card_again_at_boot),
        cmocka_unit_test(instance_id_collision_is_remapped),
        cmocka_unit_test(ssid_collision_refuses_the_card_account),
        cmocka_unit_test(bootstrap_only_card_asks_for_client_initiated_bootstrap),
        cmocka_unit_test(no_card_at_boot_asks_for_factory_bootstrap),
        cmocka_unit_test(invalid_card_data_keeps_the_old_state),
        cmocka_unit_test(bootstrap_write_disowns_and_removal_leaves_it),
        cmocka_unit_test(bootstrap_account_timeout_starts_after_apply),
        cmocka_unit_test(adapter_failure_at_every_op_rolls_back),
        cmocka_unit_test(adapter_failure_at_first_boot_leaves_only_app_instances),
        cmocka_unit_test(apdu_fault_at_every_index_is_consistent),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    rig_teardown();
    return rc;
}
