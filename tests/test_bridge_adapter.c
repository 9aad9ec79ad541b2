/*
 * The bridge against cores that are not the reference core's best case
 * (adapter.h): a core that reads back in its own encoding, Device
 * Management writes to card instances, unreported Bootstrap-Server
 * replacements, steps a core does by itself (UCB_CAP_IMPLIED_*), the
 * commit() hook, and a core that knows SSIDs but not Server instance IDs.
 * In-process card and reference core (bridge_rig.h).
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
#include "uiccboot/bridge.h"
#include "uiccboot/err.h"
#include "uiccboot/ref_core.h"
#include "uiccboot/tlv.h"

#define R1 "fixtures/bootstrap/r1-three-accounts.bin"
#define MINIMAL "fixtures/bootstrap/valid-minimal-account.bin"

static struct rig *booted(bool foreign)
{
    struct rig *r = rig_new(R1, false);
    ucb_ref_core_foreign_reads(&r->core, foreign);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_REGISTER);
    CHECK_EQ("instances", ucb_ref_core_count(&r->core), 7);
    rig_clear_log(r);
    return r;
}

/* A core that gives instances back in its own encoding still has them recognised. */
static void foreign_read_back_still_deletes_every_card_instance(void **state)
{
    (void)state;
    struct rig *r = booted(true);
    rig_card_remove(r);
    CHECK_EQ("card gone", ucb_bridge_card_event(&r->b, false), 0);
    CHECK_EQ("disowned", rig_count_actions(r, UCB_BRIDGE_DISOWN, RIG_ANY, RIG_ANY), 0);
    CHECK_EQ("deleted", rig_count_actions(r, UCB_BRIDGE_DELETE, RIG_ANY, RIG_ANY), 7);
    CHECK_EQ("left", ucb_ref_core_count(&r->core), 0);
    rig_free(r);
}

/*
 * A Device Management server writes what it may write: the Lifetime of
 * card server 101 and of 102, the ACL of card Access Control instance
 * /2/0. None of it takes an instance from the card: a content change
 * replaces the account and a removal deletes everything.
 */
static void dm_writes_leave_instances_to_the_card(void **state)
{
    (void)state;
    struct rig *r = booted(false);
    CHECK_EQ("dm lifetime 101", ucb_ref_core_dm_write_int(&r->core, 1, 0, 1, 600), 0);
    CHECK_EQ("dm lifetime 102", ucb_ref_core_dm_write_int(&r->core, 1, 1, 1, 60), 0);
    CHECK_EQ("dm acl", ucb_ref_core_dm_write_int(&r->core, 2, 0, 3, 101), 0);
    /* The card changes: account 101 only (R1 -> minimal keeps nothing of R1's). */
    rig_load_card(r, MINIMAL);
    CHECK_EQ("check", ucb_bridge_before_update(&r->b, 101) == 0 ||
                          !ucb_bridge_owns_ssid(&r->b, 101), 1);
    CHECK_EQ("disowned", rig_count_actions(r, UCB_BRIDGE_DISOWN, RIG_ANY, RIG_ANY), 0);
    CHECK_EQ("server 101 deleted", rig_count_actions(r, UCB_BRIDGE_DELETE, 1, 0) >= 1, 1);
    CHECK_EQ("server 102 deleted", rig_count_actions(r, UCB_BRIDGE_DELETE, 1, 1), 1);
    CHECK_EQ("acl /2/0 deleted", rig_count_actions(r, UCB_BRIDGE_DELETE, 2, 0), 1);
    rig_clear_log(r);
    rig_card_remove(r);
    CHECK_EQ("card gone", ucb_bridge_card_event(&r->b, false), 0);
    CHECK_EQ("left", ucb_ref_core_count(&r->core), 0);
    CHECK_EQ("disowned at removal", rig_count_actions(r, UCB_BRIDGE_DISOWN, RIG_ANY, RIG_ANY), 0);
    rig_free(r);
}

/*
 * A Bootstrap-Server replaces card instances without telling the bridge:
 * /0/1 (account 101's credentials: another URI) and /1/1 (server 102
 * becomes server 150). Both are found replaced at removal and left alone;
 * the rest of the card's share goes.
 */
static void unreported_bootstrap_replacement_is_left_alone(void **state)
{
    (void)state;
    struct rig *r = booted(true);
    uint8_t sec[128], srv[128];
    size_t ns = rig_security_tlv(sec, sizeof sec, "coaps://other.example:5684", 101);
    size_t nv = rig_server_tlv(srv, sizeof srv, 150);
    CHECK_EQ("bs write /0/1", ucb_ref_core_bs_write(&r->core, 0, 1, sec, ns), 0);
    CHECK_EQ("bs write /1/1", ucb_ref_core_bs_write(&r->core, 1, 1, srv, nv), 0);
    rig_card_remove(r);
    CHECK_EQ("card gone", ucb_bridge_card_event(&r->b, false), 0);
    CHECK_EQ("/0/1 disowned", rig_count_actions(r, UCB_BRIDGE_DISOWN, 0, 1), 1);
    CHECK_EQ("/1/1 disowned", rig_count_actions(r, UCB_BRIDGE_DISOWN, 1, 1), 1);
    const uint8_t *t;
    size_t len;
    CHECK_EQ("/0/1 kept", ucb_ref_core_get(&r->core, 0, 1, &t, &len), 0);
    test_check_bytes("/0/1 bytes", t, len, sec, ns);
    CHECK_EQ("/1/1 kept", ucb_ref_core_get(&r->core, 1, 1, &t, &len), 0);
    test_check_bytes("/1/1 bytes", t, len, srv, nv);
    CHECK_EQ("left", ucb_ref_core_count(&r->core), 2);
    rig_free(r);
}

/* Steps the core does by itself are reported as implied and not called. */
static void implied_steps_are_reported_not_called(void **state)
{
    (void)state;
    struct rig *r = booted(false);
    ucb_ref_core_set_caps(&r->core, UCB_CAP_DISABLE | UCB_CAP_ACL | UCB_REF_CAPS_IMPLIED);
    CHECK_EQ("register", ucb_ref_core_register(&r->core, 102), 0);
    CHECK_EQ("observe", ucb_ref_core_observe(&r->core, 102), 0);
    ucb_ref_core_log_clear(&r->core);
    rig_card_remove(r);
    CHECK_EQ("card gone", ucb_bridge_card_event(&r->b, false), 0);
    size_t implied_dereg = 0, implied_cancel = 0, missing = 0;
    for (size_t i = 0; i < r->n_act; i++) {
        const struct ucb_bridge_action *a = &r->act[i];
        if (a->op != UCB_BRIDGE_SKIP) continue;
        if (!a->implied) missing++;
        else if (a->skipped_op == UCB_BRIDGE_DEREGISTER) implied_dereg++;
        else if (a->skipped_op == UCB_BRIDGE_CANCEL_OBSERVATIONS) implied_cancel++;
    }
    CHECK_EQ("implied de-registrations (101, 102)", implied_dereg, 2);
    CHECK_EQ("implied cancels (101, 102)", implied_cancel, 2);
    CHECK_EQ("skips for missing ops", missing, 0);
    for (size_t i = 0; i < ucb_ref_core_log_count(&r->core); i++) {
        int op = ucb_ref_core_log_at(&r->core, i)->op;
        if (op == UCB_REF_OP_DEREGISTER || op == UCB_REF_OP_CANCEL_OBSERVATIONS)
            fail_msg("the bridge called %s", ucb_ref_op_name(op));
    }
    const struct ucb_ref_server *s = ucb_ref_core_server(&r->core, 102);
    assert_non_null(s);
    assert_false(s->registered);
    CHECK_EQ("observations", s->observations, 0);
    CHECK_EQ("left", ucb_ref_core_count(&r->core), 0);

    /* Without the bits the same removal calls both steps. */
    struct rig *q = booted(false);
    rig_card_remove(q);
    CHECK_EQ("card gone", ucb_bridge_card_event(&q->b, false), 0);
    CHECK_EQ("de-registrations", rig_count_actions(q, UCB_BRIDGE_DEREGISTER, RIG_ANY, RIG_ANY), 2);
    CHECK_EQ("cancels", rig_count_actions(q, UCB_BRIDGE_CANCEL_OBSERVATIONS, RIG_ANY, RIG_ANY), 2);
    rig_free(q);
    rig_free(r);
}

/* commit() runs once per batch; a failing commit rolls the batch back and commits again. */
static void commit_ends_each_batch_and_its_failure_rolls_back(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("commits after boot", r->core.commits, 1);
    CHECK_EQ("unchanged", ucb_bridge_before_update(&r->b, 101), 0);
    CHECK_EQ("no batch, no commit", r->core.commits, 1);

    struct snap before, after;
    snapshot(r, &before);
    struct ucb_provenance p = r->ram.p;
    rig_load_card(r, MINIMAL);
    /* Fail the commit of this apply: it is the last mutating op. Count them first. */
    struct rig *probe = booted(false);
    rig_load_card(probe, MINIMAL);
    uint32_t m0 = ucb_ref_core_mutations(&probe->core);
    (void)ucb_bridge_before_update(&probe->b, 101);
    uint32_t ops = ucb_ref_core_mutations(&probe->core) - m0;
    rig_free(probe);
    assert_true(ops > 1);
    ucb_ref_core_fail_at(&r->core, ops);
    rig_clear_log(r);
    CHECK_EQ("apply fails", ucb_bridge_before_update(&r->b, 101), UCB_ERR_ADAPTER);
    CHECK_EQ("apply-failed event", r->ev_count[UCB_BRIDGE_EV_APPLY_FAILED], 1);
    CHECK_EQ("commit after the rollback", r->core.commits, 2);
    snapshot(r, &after);
    assert_true(snap_same(&before, &after));
    assert_memory_equal(&r->ram.p, &p, sizeof p);
    /* The next check applies it. */
    (void)ucb_bridge_before_update(&r->b, 101);
    CHECK_EQ("applied", r->ev_count[UCB_BRIDGE_EV_CHANGED] + r->ev_count[UCB_BRIDGE_EV_INSERTED],
             1);
    CHECK_EQ("commits", r->core.commits, 3);
    rig_free(r);
}

/* ---- a core that knows SSIDs but not Server instance IDs (Anjay) ---- */

static struct ucb_adapter_ops ssid_only_ops;
static int (*real_find_server)(void *, uint16_t, uint16_t *);

static int find_server_ssid_only(void *ctx, uint16_t ssid, uint16_t *out_iid)
{
    int rc = real_find_server(ctx, ssid, out_iid);
    if (rc == 1) *out_iid = UCB_IID_UNKNOWN;
    return rc;
}

static void ssid_only_core(struct rig *r)
{
    ssid_only_ops = *r->adapter.ops;
    real_find_server = ssid_only_ops.find_server;
    ssid_only_ops.find_server = find_server_ssid_only;
    r->adapter.ops = &ssid_only_ops;
    rig_bridge_new(r);
}

static void ssid_only_core_replaces_own_accounts_and_refuses_collisions(void **state)
{
    (void)state;
    struct rig *r = rig_new(R1, false);
    uint8_t buf[128];
    /* The application's own server 102 (/0/9, /1/9): collides with card account 102. */
    CHECK_EQ("app sec", r->adapter.ops->create(r->adapter.ctx, 0, 9, buf,
                                               rig_security_tlv(buf, sizeof buf,
                                                                "coap://op.example:5683", 102)),
             0);
    CHECK_EQ("app srv", r->adapter.ops->create(r->adapter.ctx, 1, 9, buf,
                                               rig_server_tlv(buf, sizeof buf, 102)),
             0);
    ssid_only_core(r);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("refused", rig_count_actions(r, UCB_BRIDGE_REFUSE, RIG_ANY, RIG_ANY) >= 1, 1);
    assert_true(ucb_bridge_owns_ssid(&r->b, 101));
    assert_false(ucb_bridge_owns_ssid(&r->b, 102));
    /* A content change of the card's own account 101: replaced, not refused. */
    rig_load_card(r, MINIMAL);
    rig_clear_log(r);
    (void)ucb_bridge_before_update(&r->b, 101);
    CHECK_EQ("no refusal of its own account", rig_count_actions(r, UCB_BRIDGE_REFUSE, 1, RIG_ANY) -
                                                   rig_count_actions(r, UCB_BRIDGE_REFUSE, 1, 9),
             0);
    CHECK_EQ("app server kept", ucb_ref_core_get(&r->core, 1, 9, NULL, NULL), 0);
    CHECK_EQ("app security kept", ucb_ref_core_get(&r->core, 0, 9, NULL, NULL), 0);
    rig_free(r);
}

/* ---- a core that removes Access Control instances with their target (Zephyr, Anjay) ---- */

/* The application's own Access Control instance /2/9 on card server /1/0 (SSID 101). */
static void app_acl_on_card_server(struct rig *r, uint8_t *buf, size_t cap, size_t *len)
{
    struct ucb_tlv_writer w;
    ucb_tlv_writer_init(&w, buf, cap);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 0, 1);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 1, 0);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 3, 101);
    int n = ucb_tlv_writer_finish(&w);
    assert_true(n > 0);
    *len = (size_t)n;
    CHECK_EQ("app acl", r->adapter.ops->create(r->adapter.ctx, 2, 9, buf, *len), 0);
}

static struct rig *cascade_rig(uint8_t *acl, size_t cap, size_t *acl_len)
{
    struct rig *r = booted(false);
    app_acl_on_card_server(r, acl, cap, acl_len);
    ucb_ref_core_set_caps(&r->core, UCB_REF_CAPS_ALL | UCB_CAP_CASCADE_ACL);
    rig_load_card(r, MINIMAL); /* account 101 replaced under /0/1, /1/0; 102 goes */
    rig_clear_log(r);
    return r;
}

/*
 * Account 101 is replaced under the same IDs: the core takes the
 * application's /2/9 away with /1/0, the bridge creates it again once /1/0
 * is back. Nothing the card did not create is lost.
 */
static void cascaded_acl_of_a_replaced_target_is_restored(void **state)
{
    (void)state;
    uint8_t acl[64];
    size_t acl_len;
    struct rig *r = cascade_rig(acl, sizeof acl, &acl_len);
    CHECK_EQ("check", ucb_bridge_before_update(&r->b, 101), 0);
    CHECK_EQ("changed", r->ev_count[UCB_BRIDGE_EV_CHANGED], 1);
    const uint8_t *t;
    size_t len;
    CHECK_EQ("/2/9 back", ucb_ref_core_get(&r->core, 2, 9, &t, &len), 0);
    test_check_bytes("/2/9 bytes", t, len, acl, acl_len);
    size_t implied = 0;
    for (size_t i = 0; i < r->n_act; i++)
        if (r->act[i].op == UCB_BRIDGE_DELETE && r->act[i].implied && r->act[i].oid == 2 &&
            r->act[i].iid == 9)
            implied++;
    CHECK_EQ("reported as gone with its target", implied, 1);
    CHECK_EQ("re-created", rig_count_actions(r, UCB_BRIDGE_CREATE, 2, 9), 1);
    CHECK_EQ("no disown", rig_count_actions(r, UCB_BRIDGE_DISOWN, RIG_ANY, RIG_ANY), 0);
    rig_free(r);
}

/* An adapter failure at every mutating op of that apply: the core is exactly as before. */
static void cascade_apply_rolls_back_at_every_op(void **state)
{
    (void)state;
    uint8_t acl[64];
    size_t acl_len;
    struct rig *probe = cascade_rig(acl, sizeof acl, &acl_len);
    uint32_t m0 = ucb_ref_core_mutations(&probe->core);
    CHECK_EQ("probe", ucb_bridge_before_update(&probe->b, 101), 0);
    uint32_t ops = ucb_ref_core_mutations(&probe->core) - m0;
    rig_free(probe);
    assert_true(ops > 5);
    for (uint32_t k = 1; k <= ops; k++) {
        struct rig *r = cascade_rig(acl, sizeof acl, &acl_len);
        struct snap before, after;
        snapshot(r, &before);
        struct ucb_provenance p = r->ram.p;
        ucb_ref_core_fail_at(&r->core, k);
        int rc = ucb_bridge_before_update(&r->b, 101);
        if (rc != UCB_ERR_ADAPTER) fail_msg("op %u: rc %d", (unsigned)k, rc);
        snapshot(r, &after);
        if (!snap_same(&before, &after)) fail_msg("op %u: core not restored", (unsigned)k);
        assert_memory_equal(&r->ram.p, &p, sizeof p);
        rig_free(r);
    }
    printf("  %u mutating ops swept with cascading Access Control\n", (unsigned)ops);
}

/* ---- a core that does not host every object (Anjay) ---- */

static struct ucb_adapter_ops partial_ops;
static int (*real_create)(void *, uint16_t, uint16_t, const uint8_t *, size_t);

static int create_hosted_only(void *ctx, uint16_t oid, uint16_t iid, const uint8_t *tlv,
                              size_t len)
{
    if (oid == 3) return UCB_ERR_UNSUPPORTED; /* the application registered no object 3 */
    return real_create(ctx, oid, iid, tlv, len);
}

static void unhosted_object_is_refused_and_the_rest_applied(void **state)
{
    (void)state;
    struct rig *r = rig_new("fixtures/bootstrap/valid-unknown-objects.bin", false);
    partial_ops = *r->adapter.ops;
    real_create = partial_ops.create;
    partial_ops.create = create_hosted_only;
    r->adapter.ops = &partial_ops;
    rig_bridge_new(r);
    enum ucb_bridge_next next;
    CHECK_EQ("start", ucb_bridge_start(&r->b, &next), 0);
    CHECK_EQ("next", next, UCB_BRIDGE_NEXT_REGISTER);
    CHECK_EQ("/3/0 refused", rig_count_actions(r, UCB_BRIDGE_REFUSE, 3, 0), 1);
    CHECK_EQ("its Access Control /2/0 refused", rig_count_actions(r, UCB_BRIDGE_REFUSE, 2, 0), 1);
    CHECK_EQ("no /3/0", ucb_ref_core_get(&r->core, 3, 0, NULL, NULL), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("no /2/0", ucb_ref_core_get(&r->core, 2, 0, NULL, NULL), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("/10250/0", ucb_ref_core_get(&r->core, 10250, 0, NULL, NULL), 0);
    CHECK_EQ("/10250/7", ucb_ref_core_get(&r->core, 10250, 7, NULL, NULL), 0);
    CHECK_EQ("/1/0", ucb_ref_core_get(&r->core, 1, 0, NULL, NULL), 0);
    CHECK_EQ("apply-failed", r->ev_count[UCB_BRIDGE_EV_APPLY_FAILED], 0);
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(foreign_read_back_still_deletes_every_card_instance),
        cmocka_unit_test(dm_writes_leave_instances_to_the_card),
        cmocka_unit_test(unreported_bootstrap_replacement_is_left_alone),
        cmocka_unit_test(implied_steps_are_reported_not_called),
        cmocka_unit_test(commit_ends_each_batch_and_its_failure_rolls_back),
        cmocka_unit_test(ssid_only_core_replaces_own_accounts_and_refuses_collisions),
        cmocka_unit_test(cascaded_acl_of_a_replaced_target_is_restored),
        cmocka_unit_test(cascade_apply_rolls_back_at_every_op),
        cmocka_unit_test(unhosted_object_is_refused_and_the_rest_applied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
