/*
 * The reference in-memory LwM2M core (include/uiccboot/ref_core.h): the
 * adapter contract suite with every capability set and with each subset,
 * then what is particular to the reference core: pool limits, malformed
 * payloads refused, the fault knob, the log, registration state, the
 * Bootstrap-Server's out-of-band writes and deletes.
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

#include "adapter_contract.h"
#include "test_util.h"
#include "uiccboot/err.h"
#include "uiccboot/ref_core.h"
#include "uiccboot/tlv.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define RES_ALLOWED (UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE))

/* One core per test, on the heap so ASan sees overruns of the struct. */
static int setup(void **state)
{
    struct ucb_ref_core *core = malloc(sizeof(*core));
    assert_non_null(core);
    ucb_ref_core_init(core);
    *state = core;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* ---- payload builders ------------------------------------------------------ */

static size_t security(uint8_t *buf, size_t cap, uint16_t ssid, bool bootstrap)
{
    struct ucb_tlv_writer w;
    static const char uri[] = "coaps://lwm2m.example:5684";

    ucb_tlv_writer_init(&w, buf, cap);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 0, uri, sizeof(uri) - 1);
    ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 1, bootstrap);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 2, 0);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 3, "id", 2);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 5, "\x01\x02\x03\x04", 4);
    if (!bootstrap)
        ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 10, ssid);
    int n = ucb_tlv_writer_finish(&w);
    assert_true(n > 0);
    return (size_t)n;
}

static size_t server(uint8_t *buf, size_t cap, uint16_t ssid)
{
    struct ucb_tlv_writer w;

    ucb_tlv_writer_init(&w, buf, cap);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 0, ssid);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 1, 86400);
    ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 6, true);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 7, "U", 1);
    int n = ucb_tlv_writer_finish(&w);
    assert_true(n > 0);
    return (size_t)n;
}

/* A server account: /0/iid and /1/iid with SSID ssid, through the adapter. */
static void add_account(struct ucb_ref_core *core, uint16_t iid, uint16_t ssid)
{
    struct ucb_adapter a;
    uint8_t buf[UCB_REF_MAX_TLV];

    ucb_ref_core_adapter(core, &a);
    CHECK_EQ("security", a.ops->create(a.ctx, 0, iid, buf, security(buf, sizeof(buf), ssid, false)),
             0);
    CHECK_EQ("server", a.ops->create(a.ctx, 1, iid, buf, server(buf, sizeof(buf), ssid)), 0);
}

/* ---- contract suite --------------------------------------------------------- */

static int hook_make_registered(void *ctx, uint16_t ssid)
{
    int rc = ucb_ref_core_register(ctx, ssid);
    return rc < 0 ? rc : ucb_ref_core_observe(ctx, ssid);
}

static int hook_server_state(void *ctx, uint16_t ssid, bool *reg, bool *dis, unsigned *obs)
{
    const struct ucb_ref_server *s = ucb_ref_core_server(ctx, ssid);
    if (reg)
        *reg = s && s->registered;
    if (dis)
        *dis = s && s->disabled;
    if (obs)
        *obs = s ? (unsigned)s->observations : 0u;
    return 0;
}

static struct contract_hooks hooks_for(struct ucb_ref_core *core)
{
    struct contract_hooks h;
    memset(&h, 0, sizeof(h));
    h.ctx = core;
    h.exact_read = true;
    h.make_registered = hook_make_registered;
    h.server_state = hook_server_state;
    return h;
}

static void contract_holds_with_every_capability(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    struct contract_hooks h = hooks_for(core);

    ucb_ref_core_adapter(core, &a);
    CHECK_EQ("caps", a.ops->caps(a.ctx), UCB_REF_CAPS_ALL);
    CHECK_EQ("failures", ucb_contract_run(&a, &h), 0);
    /* Twice in a row: the suite leaves the core as it found it. */
    CHECK_EQ("failures again", ucb_contract_run(&a, &h), 0);
    CHECK_EQ("instances left", ucb_ref_core_count(core), 0);
}

static void contract_holds_without_hooks(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;

    ucb_ref_core_adapter(core, &a);
    CHECK_EQ("failures", ucb_contract_run(&a, NULL), 0);
}

static void contract_holds_for_every_subset_of_capabilities(void **state)
{
    struct ucb_ref_core *core = *state;

    for (uint32_t caps = 0; caps <= UCB_REF_CAPS_ALL; caps++) {
        struct ucb_adapter a;
        struct contract_hooks h = hooks_for(core);
        char name[32];

        ucb_ref_core_init(core);
        ucb_ref_core_set_caps(core, caps);
        ucb_ref_core_adapter(core, &a);
        snprintf(name, sizeof(name), "caps 0x%x", (unsigned)caps);
        CHECK_EQ(name, a.ops->caps(a.ctx), caps);
        CHECK_EQ(name, a.ops->disable_server != NULL, (caps & UCB_CAP_DISABLE) != 0);
        CHECK_EQ(name, a.ops->acl_set != NULL, (caps & UCB_CAP_ACL) != 0);
        CHECK_EQ(name, ucb_contract_run(&a, &h), 0);
    }
}

/* A core with its own storage and bundled side effects keeps the contract too. */
static void contract_holds_with_foreign_reads_and_implied_steps(void **state)
{
    struct ucb_ref_core *core = *state;
    const uint32_t sets[] = {UCB_REF_CAPS_ALL | UCB_REF_CAPS_IMPLIED,
                             UCB_CAP_DISABLE | UCB_REF_CAPS_IMPLIED,
                             UCB_CAP_DISABLE | UCB_CAP_IMPLIED_DEREGISTER};

    for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
        struct ucb_adapter a;
        struct contract_hooks h = hooks_for(core);
        char name[32];

        h.exact_read = false;
        ucb_ref_core_init(core);
        ucb_ref_core_set_caps(core, sets[k]);
        ucb_ref_core_foreign_reads(core, true);
        ucb_ref_core_adapter(core, &a);
        snprintf(name, sizeof(name), "caps 0x%x", (unsigned)sets[k]);
        CHECK_EQ(name, ucb_contract_run(&a, &h), 0);
    }
}

static void contract_leaves_other_instances_untouched(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    struct contract_hooks h = hooks_for(core);
    uint8_t before[8][UCB_REF_MAX_TLV];
    size_t before_len[8];
    const uint8_t *tlv;
    size_t len;

    for (uint16_t i = 0; i < 4; i++)
        add_account(core, i, (uint16_t)(1 + i));
    CHECK_EQ("register", ucb_ref_core_register(core, 1), 0);
    for (size_t k = 0; k < 8; k++) {
        assert_int_equal(ucb_ref_core_get(core, (uint16_t)(k / 4), (uint16_t)(k % 4), &tlv, &len), 0);
        memcpy(before[k], tlv, len);
        before_len[k] = len;
    }
    ucb_ref_core_adapter(core, &a);
    CHECK_EQ("failures", ucb_contract_run(&a, &h), 0);
    CHECK_EQ("count", ucb_ref_core_count(core), 8);
    for (size_t k = 0; k < 8; k++) {
        assert_int_equal(ucb_ref_core_get(core, (uint16_t)(k / 4), (uint16_t)(k % 4), &tlv, &len), 0);
        test_check_bytes("untouched", tlv, len, before[k], before_len[k]);
    }
    assert_true(ucb_ref_core_server(core, 1)->registered);
}

/* The suite is not a yes-man: a core that breaks a promise is caught. */
static int broken_create(void *ctx, uint16_t oid, uint16_t iid, const uint8_t *tlv, size_t len)
{
    (void)ctx, (void)oid, (void)iid, (void)tlv, (void)len;
    return 0; /* claims success, stores nothing */
}

static int (*real_remove)(void *, uint16_t, uint16_t);
static int lenient_remove(void *ctx, uint16_t oid, uint16_t iid)
{
    int rc = real_remove(ctx, oid, iid);
    return rc == UCB_ERR_NOT_PRESENT ? 0 : rc; /* hides a missing instance */
}

static uint32_t caps_claiming_implied_cancel(void *ctx)
{
    (void)ctx;
    return UCB_REF_CAPS_ALL | UCB_CAP_IMPLIED_CANCEL;
}

static uint32_t caps_claiming_cascade(void *ctx)
{
    (void)ctx;
    return UCB_REF_CAPS_ALL | UCB_CAP_CASCADE_ACL;
}

/* Break one promise of a fresh reference core with @p patch: the suite must fail. */
static int broken_run(struct ucb_ref_core *core, void (*patch)(struct ucb_adapter_ops *o))
{
    static struct ucb_adapter_ops ops;
    struct ucb_adapter a;
    struct contract_hooks h = hooks_for(core);

    ucb_ref_core_init(core);
    ucb_ref_core_adapter(core, &a);
    ops = *a.ops;
    patch(&ops);
    a.ops = &ops;
    return ucb_contract_run(&a, &h);
}

static void patch_create(struct ucb_adapter_ops *o)
{
    o->create = broken_create;
}

static void patch_remove(struct ucb_adapter_ops *o)
{
    real_remove = o->remove;
    o->remove = lenient_remove;
}

static void patch_no_deregister(struct ucb_adapter_ops *o)
{
    o->deregister = NULL; /* caps still claim it */
}

static void patch_claim_cascade(struct ucb_adapter_ops *o)
{
    o->caps = caps_claiming_cascade;
}

static void patch_claim_implied_cancel(struct ucb_adapter_ops *o)
{
    o->caps = caps_claiming_implied_cancel;
}

static void contract_catches_a_broken_adapter(void **state)
{
    struct ucb_ref_core *core = *state;

    assert_true(broken_run(core, patch_create) > 0);
    assert_true(broken_run(core, patch_remove) > 0);
    assert_true(broken_run(core, patch_no_deregister) > 0);
    /* claims to remove Access Control instances with their target, keeps them */
    assert_true(broken_run(core, patch_claim_cascade) > 0);
    /* claims to drop observations on disable, keeps them */
    assert_true(broken_run(core, patch_claim_implied_cancel) > 0);
}

/* ---- pool and payloads -------------------------------------------------------- */

static void pool_full_refuses_create_cleanly(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    static const uint8_t tlv[] = {0xC1, 0x00, 0x01};

    ucb_ref_core_adapter(core, &a);
    for (uint16_t i = 0; i < UCB_REF_MAX_INSTANCES; i++)
        CHECK_EQ("fill", a.ops->create(a.ctx, 3303, i, tlv, sizeof(tlv)), 0);
    CHECK_EQ("full", a.ops->create(a.ctx, 3303, 999, tlv, sizeof(tlv)), UCB_ERR_CAPACITY);
    CHECK_EQ("count", ucb_ref_core_count(core), UCB_REF_MAX_INSTANCES);
    CHECK_EQ("absent", ucb_ref_core_get(core, 3303, 999, NULL, NULL), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("log", ucb_ref_core_log_total(core), UCB_REF_MAX_INSTANCES);
    CHECK_EQ("remove one", a.ops->remove(a.ctx, 3303, 7), 0);
    CHECK_EQ("room again", a.ops->create(a.ctx, 3303, 999, tlv, sizeof(tlv)), 0);
}

static void largest_payload_accepted_one_more_refused(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t buf[UCB_REF_MAX_TLV + 1], back[UCB_REF_MAX_TLV];
    /* One opaque resource: 16-bit length header 11 0 10 000 = 0xD0, id, length. */
    size_t vlen = UCB_REF_MAX_TLV - 4;

    memset(buf, 0xA5, sizeof(buf));
    buf[0] = 0xD0;
    buf[1] = 0x00;
    buf[2] = (uint8_t)(vlen >> 8);
    buf[3] = (uint8_t)vlen;
    ucb_ref_core_adapter(core, &a);
    CHECK_EQ("max", a.ops->create(a.ctx, 9, 0, buf, UCB_REF_MAX_TLV), 0);
    CHECK_EQ("read", a.ops->read(a.ctx, 9, 0, back, sizeof(back)), UCB_REF_MAX_TLV);
    test_check_bytes("read back", back, UCB_REF_MAX_TLV, buf, UCB_REF_MAX_TLV);
    buf[2] = (uint8_t)((vlen + 1) >> 8);
    buf[3] = (uint8_t)(vlen + 1);
    CHECK_EQ("max+1", a.ops->create(a.ctx, 9, 1, buf, UCB_REF_MAX_TLV + 1), UCB_ERR_TOO_LARGE);
    CHECK_EQ("iid 65535", a.ops->create(a.ctx, 9, 0xFFFF, buf, 4), UCB_ERR_ARG);
    CHECK_EQ("NULL payload", a.ops->create(a.ctx, 9, 2, NULL, 3), UCB_ERR_ARG);
    CHECK_EQ("empty payload", a.ops->create(a.ctx, 9, 3, NULL, 0), 0);
    CHECK_EQ("empty read", a.ops->read(a.ctx, 9, 3, NULL, 0), 0);
}

struct bad_payload {
    const char *name; /* why it is refused */
    uint16_t oid;
    const char *hex;
    int err;
};

static const struct bad_payload bad_payloads[] = {
    {"resource value runs past the end (5 bytes claimed, 1 present)", 3303, "C5 00 61",
     UCB_ERR_TRUNCATED},
    {"header cut inside its 16-bit identifier", 3303, "E1 00", UCB_ERR_TRUNCATED},
    {"resource instance outside a multiple resource", 3303, "41 00 01", UCB_ERR_NESTING},
    {"object instance where resources belong", 3303, "03 00 C1 00 01", UCB_ERR_NESTING},
    {"resource inside a multiple resource", 3303, "83 02 C1 00 01", UCB_ERR_NESTING},
    {"resource 1 given twice", 3303, "C1 01 05 C1 01 06", UCB_ERR_MALFORMED},
    {"resource instance 7 given twice", 2, "86 02 41 07 01 41 07 02", UCB_ERR_MALFORMED},
    {"Server SSID 0 identifies no server", 1, "C1 00 00", UCB_ERR_TYPE},
    {"Server SSID above 65535", 1, "C4 00 00 01 00 00", UCB_ERR_TYPE},
    {"Server SSID of 3 bytes (not an integer width)", 1, "C3 00 00 00 65", UCB_ERR_TYPE},
    {"Server SSID negative", 1, "C1 00 FF", UCB_ERR_TYPE},
};

static void malformed_payload_refused_and_nothing_stored(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t buf[64];

    ucb_ref_core_adapter(core, &a);
    for (size_t i = 0; i < ARRAY_LEN(bad_payloads); i++) {
        const struct bad_payload *v = &bad_payloads[i];
        size_t len = test_hex(v->hex, buf, sizeof(buf));
        /* exact-size copy so ASan sees any read past the payload */
        uint8_t *p = malloc(len);
        assert_non_null(p);
        memcpy(p, buf, len);
        CHECK_EQ(v->name, a.ops->create(a.ctx, v->oid, 1, p, len), v->err);
        CHECK_EQ(v->name, ucb_ref_core_bs_write(core, v->oid, 1, p, len), v->err);
        free(p);
        CHECK_EQ(v->name, ucb_ref_core_count(core), 0);
    }
    CHECK_EQ("log", ucb_ref_core_log_total(core), 0);
}

static void second_server_instance_with_same_ssid_refused(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t buf[UCB_REF_MAX_TLV];
    size_t len;

    add_account(core, 0, 101);
    ucb_ref_core_adapter(core, &a);
    len = server(buf, sizeof(buf), 101);
    CHECK_EQ("same ssid", a.ops->create(a.ctx, 1, 5, buf, len), UCB_ERR_ADAPTER);
    CHECK_EQ("rewrite itself", ucb_ref_core_bs_write(core, 1, 0, buf, len), 0);
    CHECK_EQ("bs write elsewhere", ucb_ref_core_bs_write(core, 1, 5, buf, len), UCB_ERR_ADAPTER);
    /* Another Security instance with the same SSID is the bridge's concern, not refused here. */
    len = server(buf, sizeof(buf), 102);
    CHECK_EQ("other ssid", a.ops->create(a.ctx, 1, 5, buf, len), 0);
}

static void list_reports_total_and_writes_only_cap_ascending(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    static const uint8_t tlv[] = {0xC1, 0x00, 0x01};
    static const uint16_t iids[] = {40, 3, 65534, 0, 17};
    uint16_t out[8] = {0};

    ucb_ref_core_adapter(core, &a);
    for (size_t i = 0; i < ARRAY_LEN(iids); i++)
        CHECK_EQ("create", a.ops->create(a.ctx, 77, iids[i], tlv, sizeof(tlv)), 0);
    CHECK_EQ("other object", a.ops->create(a.ctx, 78, 5, tlv, sizeof(tlv)), 0);
    out[3] = 0xBEEF;
    CHECK_EQ("cap 3", a.ops->list(a.ctx, 77, out, 3), 5);
    CHECK_EQ("0", out[0], 0);
    CHECK_EQ("1", out[1], 3);
    CHECK_EQ("2", out[2], 17);
    CHECK_EQ("untouched", out[3], 0xBEEF);
    CHECK_EQ("all", a.ops->list(a.ctx, 77, out, 8), 5);
    CHECK_EQ("4", out[4], 65534);
    CHECK_EQ("none", a.ops->list(a.ctx, 79, out, 8), 0);
    CHECK_EQ("NULL with cap", a.ops->list(a.ctx, 77, NULL, 2), UCB_ERR_ARG);
    CHECK_EQ("NULL without cap", a.ops->list(a.ctx, 77, NULL, 0), 5);
}

static void nth_walks_instances_in_path_order(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    static const uint8_t tlv[] = {0xC1, 0x00, 0x01};
    static const uint16_t paths[][2] = {{2, 5}, {0, 9}, {3303, 0}, {0, 1}, {1, 65534}};
    static const uint16_t sorted[][2] = {{0, 1}, {0, 9}, {1, 65534}, {2, 5}, {3303, 0}};
    uint16_t oid, iid;

    ucb_ref_core_adapter(core, &a);
    for (size_t i = 0; i < ARRAY_LEN(paths); i++)
        CHECK_EQ("create", a.ops->create(a.ctx, paths[i][0], paths[i][1], tlv, sizeof(tlv)), 0);
    CHECK_EQ("count", ucb_ref_core_count(core), 5);
    for (size_t i = 0; i < ARRAY_LEN(sorted); i++) {
        CHECK_EQ("nth", ucb_ref_core_nth(core, i, &oid, &iid, NULL, NULL), 0);
        CHECK_EQ("oid", oid, sorted[i][0]);
        CHECK_EQ("iid", iid, sorted[i][1]);
    }
    CHECK_EQ("past end", ucb_ref_core_nth(core, 5, &oid, &iid, NULL, NULL), UCB_ERR_NOT_PRESENT);
}

/* ---- fault knob ---------------------------------------------------------------- */

static void fail_at_fails_the_kth_mutation_once(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    static const uint8_t tlv[] = {0xC1, 0x00, 0x01};
    uint16_t out[4];
    uint8_t back[8];

    ucb_ref_core_adapter(core, &a);
    ucb_ref_core_fail_at(core, 3);
    CHECK_EQ("1st", a.ops->create(a.ctx, 9, 1, tlv, sizeof(tlv)), 0);
    /* reads do not count */
    CHECK_EQ("list", a.ops->list(a.ctx, 9, out, 4), 1);
    CHECK_EQ("read", a.ops->read(a.ctx, 9, 1, back, sizeof(back)), 3);
    CHECK_EQ("2nd", a.ops->create(a.ctx, 9, 2, tlv, sizeof(tlv)), 0);
    CHECK_EQ("3rd fails", a.ops->create(a.ctx, 9, 3, tlv, sizeof(tlv)), UCB_ERR_ADAPTER);
    CHECK_EQ("no effect", ucb_ref_core_get(core, 9, 3, NULL, NULL), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("once", a.ops->create(a.ctx, 9, 3, tlv, sizeof(tlv)), 0);
    CHECK_EQ("mutations", ucb_ref_core_mutations(core), 4);
    CHECK_EQ("log has successes only", ucb_ref_core_log_total(core), 3);
    ucb_ref_core_fail_at(core, 1);
    ucb_ref_core_fail_at(core, 0);
    CHECK_EQ("disarmed", a.ops->remove(a.ctx, 9, 3), 0);
}

static void fail_at_leaves_every_operation_without_effect(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t acl[64];
    const struct ucb_acl_entry e[] = {{101, 1}};
    const uint8_t *tlv;
    size_t len, acl_len = test_hex("C1 00 01 C1 01 00 C1 03 65", acl, sizeof(acl));
    const struct ucb_ref_server *s;

    ucb_ref_core_adapter(core, &a);
    add_account(core, 0, 101);
    CHECK_EQ("acl", a.ops->create(a.ctx, 2, 0, acl, acl_len), 0);
    CHECK_EQ("register", ucb_ref_core_register(core, 101), 0);
    CHECK_EQ("observe", ucb_ref_core_observe(core, 101), 0);
    ucb_ref_core_log_clear(core);

    ucb_ref_core_fail_at(core, 1);
    CHECK_EQ("remove", a.ops->remove(a.ctx, 0, 0), UCB_ERR_ADAPTER);
    CHECK_EQ("still there", ucb_ref_core_get(core, 0, 0, NULL, NULL), 0);
    ucb_ref_core_fail_at(core, 1);
    CHECK_EQ("cancel", a.ops->cancel_observations(a.ctx, 101), UCB_ERR_ADAPTER);
    ucb_ref_core_fail_at(core, 1);
    CHECK_EQ("deregister", a.ops->deregister(a.ctx, 101), UCB_ERR_ADAPTER);
    ucb_ref_core_fail_at(core, 1);
    CHECK_EQ("disable", a.ops->disable_server(a.ctx, 101), UCB_ERR_ADAPTER);
    s = ucb_ref_core_server(core, 101);
    assert_non_null(s);
    assert_true(s->registered);
    assert_false(s->disabled);
    CHECK_EQ("observations", s->observations, 1);
    ucb_ref_core_fail_at(core, 1);
    CHECK_EQ("acl_set", a.ops->acl_set(a.ctx, 0, e, 1, 101), UCB_ERR_ADAPTER);
    assert_int_equal(ucb_ref_core_get(core, 2, 0, &tlv, &len), 0);
    test_check_bytes("acl unchanged", tlv, len, acl, acl_len);
    CHECK_EQ("disable ok", a.ops->disable_server(a.ctx, 101), 0);
    ucb_ref_core_fail_at(core, 1);
    CHECK_EQ("enable", a.ops->enable_server(a.ctx, 101), UCB_ERR_ADAPTER);
    assert_true(s->disabled);
    CHECK_EQ("log: the disable only", ucb_ref_core_log_total(core), 1);
}

/* ---- servers --------------------------------------------------------------------- */

static void register_needs_a_server_instance_and_not_disabled(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t buf[UCB_REF_MAX_TLV];
    const struct ucb_ref_server *s;

    ucb_ref_core_adapter(core, &a);
    CHECK_EQ("no server", ucb_ref_core_register(core, 101), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("ssid 0", ucb_ref_core_register(core, 0), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("observe unregistered", ucb_ref_core_observe(core, 101), UCB_ERR_STATE);
    assert_null(ucb_ref_core_server(core, 101));
    add_account(core, 3, 101);
    CHECK_EQ("register", ucb_ref_core_register(core, 101), 0);
    CHECK_EQ("update", ucb_ref_core_register(core, 101), 0);
    s = ucb_ref_core_server(core, 101);
    assert_non_null(s);
    CHECK_EQ("registrations", s->registrations, 2);

    CHECK_EQ("disable", a.ops->disable_server(a.ctx, 101), 0);
    assert_false(s->registered);
    assert_true(s->disabled);
    CHECK_EQ("disable de-registers", s->deregistrations, 1);
    CHECK_EQ("disabled", ucb_ref_core_register(core, 101), UCB_ERR_STATE);
    CHECK_EQ("deregister again: no-op", a.ops->deregister(a.ctx, 101), 0);
    CHECK_EQ("deregistrations", s->deregistrations, 1);
    CHECK_EQ("enable", a.ops->enable_server(a.ctx, 101), 0);
    CHECK_EQ("registers again", ucb_ref_core_register(core, 101), 0);

    /* A new Server instance for the SSID is a new account in use. */
    CHECK_EQ("disable", a.ops->disable_server(a.ctx, 101), 0);
    CHECK_EQ("remove", a.ops->remove(a.ctx, 1, 3), 0);
    CHECK_EQ("new server", a.ops->create(a.ctx, 1, 8, buf, server(buf, sizeof(buf), 101)), 0);
    assert_false(s->disabled);
    CHECK_EQ("register new", ucb_ref_core_register(core, 101), 0);
}

static void server_ops_on_a_session_whose_server_instance_is_gone(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    const struct ucb_ref_server *s;

    ucb_ref_core_adapter(core, &a);
    add_account(core, 0, 101);
    CHECK_EQ("register", ucb_ref_core_register(core, 101), 0);
    CHECK_EQ("observe", ucb_ref_core_observe(core, 101), 0);
    CHECK_EQ("observe", ucb_ref_core_observe(core, 101), 0);
    CHECK_EQ("delete server", a.ops->remove(a.ctx, 1, 0), 0);
    s = ucb_ref_core_server(core, 101);
    assert_true(s->registered);
    CHECK_EQ("observations", s->observations, 2);
    CHECK_EQ("cancel", a.ops->cancel_observations(a.ctx, 101), 0);
    CHECK_EQ("observations", s->observations, 0);
    assert_true(s->registered); /* independent steps */
    CHECK_EQ("deregister", a.ops->deregister(a.ctx, 101), 0);
    assert_false(s->registered);
    CHECK_EQ("deregistrations", s->deregistrations, 1);
    CHECK_EQ("register without server", ucb_ref_core_register(core, 101), UCB_ERR_NOT_PRESENT);
}

/* ---- Access Control ------------------------------------------------------------------ */

static void acl_set_rewrites_entries_and_owner_keeping_the_rest(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t in[64];
    /* /2/0: target /1/100, ACL {101: RWED, 0: R}, owner 101, and an unknown resource 9. */
    size_t in_len = test_hex("C1 00 01  C1 01 64  86 02 41 65 0F 41 00 01  C1 03 65  C1 09 2A", in,
                             sizeof(in));
    const struct ucb_acl_entry e[] = {{202, 0x1F}, {5, 0x03}};
    const uint8_t *tlv;
    size_t len;
    struct ucb_acl_entry got[2];
    uint16_t owner;

    ucb_ref_core_adapter(core, &a);
    CHECK_EQ("create", a.ops->create(a.ctx, 2, 0, in, in_len), 0);
    CHECK_EQ("set", a.ops->acl_set(a.ctx, 0, e, 2, 5), 0);
    assert_int_equal(ucb_ref_core_get(core, 2, 0, &tlv, &len), 0);
    /* Entries sorted by SSID, owner 5, resource 9 kept where it was. */
    test_check_hex("rewritten", tlv, len,
                   "C1 00 01  C1 01 64  86 02 41 05 03 41 CA 1F  C1 03 05  C1 09 2A");
    CHECK_EQ("get", a.ops->acl_get(a.ctx, 0, NULL, NULL, got, 2, &owner), 2);
    CHECK_EQ("ssid", got[0].ssid, 5);
    CHECK_EQ("owner", owner, 5);
    CHECK_EQ("none", a.ops->acl_set(a.ctx, 0, NULL, 0, 0xFFFF), 0);
    assert_int_equal(ucb_ref_core_get(core, 2, 0, &tlv, &len), 0);
    test_check_hex("no entries", tlv, len, "C1 00 01  C1 01 64  C4 03 00 00 FF FF  C1 09 2A");
    CHECK_EQ("set again", a.ops->acl_set(a.ctx, 0, e, 2, 5), 0);
    CHECK_EQ("cap too small", a.ops->acl_get(a.ctx, 0, NULL, NULL, got, 1, &owner),
             UCB_ERR_BUFFER);
    CHECK_EQ("count only", a.ops->acl_get(a.ctx, 0, NULL, NULL, NULL, 0, NULL), UCB_ERR_BUFFER);

    const struct ucb_acl_entry dup[] = {{7, 1}, {7, 2}};
    CHECK_EQ("duplicate ssid", a.ops->acl_set(a.ctx, 0, dup, 2, 5), UCB_ERR_ARG);
    CHECK_EQ("NULL entries", a.ops->acl_set(a.ctx, 0, NULL, 1, 5), UCB_ERR_ARG);
}

static void acl_set_too_large_leaves_instance_unchanged(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t in[16];
    size_t in_len = test_hex("C1 00 01 C1 01 00 C1 03 65", in, sizeof(in));
    struct ucb_acl_entry many[200];
    const uint8_t *tlv;
    size_t len;

    for (size_t i = 0; i < ARRAY_LEN(many); i++) {
        many[i].ssid = (uint16_t)(1000 + i);
        many[i].rights = 0x1F;
    }
    ucb_ref_core_adapter(core, &a);
    CHECK_EQ("create", a.ops->create(a.ctx, 2, 0, in, in_len), 0);
    CHECK_EQ("too large", a.ops->acl_set(a.ctx, 0, many, ARRAY_LEN(many), 1), UCB_ERR_TOO_LARGE);
    assert_int_equal(ucb_ref_core_get(core, 2, 0, &tlv, &len), 0);
    test_check_bytes("unchanged", tlv, len, in, in_len);
}

struct bad_acl {
    const char *name;
    const char *hex;
};

static const struct bad_acl bad_acls[] = {
    {"no Object ID (resource 0)", "C1 01 00 C1 03 65"},
    {"no Object Instance ID (resource 1)", "C1 00 01 C1 03 65"},
    {"no owner (resource 3)", "C1 00 01 C1 01 00"},
    {"owner above 65535", "C1 00 01 C1 01 00 C4 03 00 01 00 00"},
    {"ACL as a single resource", "C1 00 01 C1 01 00 C1 02 01 C1 03 65"},
    {"ACL entry negative", "C1 00 01 C1 01 00 83 02 41 65 FF C1 03 65"},
    {"ACL entry of 3 bytes", "C1 00 01 C1 01 00 85 02 43 65 00 00 01 C1 03 65"},
};

static void acl_get_refuses_incomplete_instances(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t buf[64];
    struct ucb_acl_entry got[UCB_ACL_MAX];
    uint16_t oid, iid, owner;

    ucb_ref_core_adapter(core, &a);
    for (size_t i = 0; i < ARRAY_LEN(bad_acls); i++) {
        size_t len = test_hex(bad_acls[i].hex, buf, sizeof(buf));
        CHECK_EQ(bad_acls[i].name, a.ops->create(a.ctx, 2, (uint16_t)i, buf, len), 0);
        CHECK_EQ(bad_acls[i].name,
                 a.ops->acl_get(a.ctx, (uint16_t)i, &oid, &iid, got, UCB_ACL_MAX, &owner),
                 UCB_ERR_INVALID);
    }
}

/* ---- log ----------------------------------------------------------------------------- */

static void log_records_each_change_with_path_and_ssid(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t acl[16];
    size_t acl_len = test_hex("C1 00 01 C1 01 07 C1 03 65", acl, sizeof(acl));
    static const struct ucb_ref_log_entry exp[] = {
        {UCB_REF_OP_CREATE, 0, 7, 101},
        {UCB_REF_OP_CREATE, 1, 7, 101},
        {UCB_REF_OP_CREATE, 2, 4, 101},
        {UCB_REF_OP_REGISTER, 1, 7, 101},
        {UCB_REF_OP_OBSERVE, 1, 7, 101},
        {UCB_REF_OP_ACL_SET, 2, 4, 0xFFFF},
        {UCB_REF_OP_CANCEL_OBSERVATIONS, 1, 7, 101},
        {UCB_REF_OP_DISABLE, 1, 7, 101},
        {UCB_REF_OP_DELETE, 1, 7, 101},
        {UCB_REF_OP_DEREGISTER, UCB_REF_ANY, UCB_REF_ANY, 101},
        {UCB_REF_OP_ENABLE, UCB_REF_ANY, UCB_REF_ANY, 101},
    };

    ucb_ref_core_adapter(core, &a);
    add_account(core, 7, 101);
    CHECK_EQ("acl", a.ops->create(a.ctx, 2, 4, acl, acl_len), 0);
    CHECK_EQ("register", ucb_ref_core_register(core, 101), 0);
    CHECK_EQ("observe", ucb_ref_core_observe(core, 101), 0);
    CHECK_EQ("acl_set", a.ops->acl_set(a.ctx, 4, NULL, 0, 0xFFFF), 0);
    CHECK_EQ("cancel", a.ops->cancel_observations(a.ctx, 101), 0);
    CHECK_EQ("disable", a.ops->disable_server(a.ctx, 101), 0);
    CHECK_EQ("remove", a.ops->remove(a.ctx, 1, 7), 0);
    CHECK_EQ("failed remove: not logged", a.ops->remove(a.ctx, 1, 7), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("deregister", a.ops->deregister(a.ctx, 101), 0);
    CHECK_EQ("enable", a.ops->enable_server(a.ctx, 101), 0);

    CHECK_EQ("count", ucb_ref_core_log_count(core), ARRAY_LEN(exp));
    for (size_t i = 0; i < ARRAY_LEN(exp); i++) {
        const struct ucb_ref_log_entry *e = ucb_ref_core_log_at(core, i);
        char name[48];
        assert_non_null(e);
        snprintf(name, sizeof(name), "record %zu (%s)", i, ucb_ref_op_name(exp[i].op));
        CHECK_EQ(name, e->op, exp[i].op);
        CHECK_EQ(name, e->oid, exp[i].oid);
        CHECK_EQ(name, e->iid, exp[i].iid);
        CHECK_EQ(name, e->ssid, exp[i].ssid);
    }
    assert_null(ucb_ref_core_log_at(core, ARRAY_LEN(exp)));
    ucb_ref_core_log_clear(core);
    CHECK_EQ("cleared", ucb_ref_core_log_count(core), 0);
    assert_null(ucb_ref_core_log_at(core, 0));
}

static void log_keeps_the_newest_records_when_full(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    static const uint8_t tlv[] = {0xC1, 0x00, 0x01};
    const size_t extra = 5;

    ucb_ref_core_adapter(core, &a);
    for (size_t i = 0; i < UCB_REF_LOG_MAX + extra; i++) {
        CHECK_EQ("create", a.ops->create(a.ctx, 9, (uint16_t)i, tlv, sizeof(tlv)), 0);
        CHECK_EQ("remove", a.ops->remove(a.ctx, 9, (uint16_t)i), 0);
    }
    CHECK_EQ("kept", ucb_ref_core_log_count(core), UCB_REF_LOG_MAX);
    CHECK_EQ("total", ucb_ref_core_log_total(core), 2 * (UCB_REF_LOG_MAX + extra));
    const struct ucb_ref_log_entry *first = ucb_ref_core_log_at(core, 0);
    const struct ucb_ref_log_entry *last = ucb_ref_core_log_at(core, UCB_REF_LOG_MAX - 1);
    size_t dropped = 2 * (UCB_REF_LOG_MAX + extra) - UCB_REF_LOG_MAX;
    CHECK_EQ("first op", first->op, (dropped % 2) ? UCB_REF_OP_DELETE : UCB_REF_OP_CREATE);
    CHECK_EQ("first iid", first->iid, dropped / 2);
    CHECK_EQ("last op", last->op, UCB_REF_OP_DELETE);
    CHECK_EQ("last iid", last->iid, UCB_REF_LOG_MAX + extra - 1);
}

static void op_names_are_short_words(void **state)
{
    (void)state;
    assert_string_equal(ucb_ref_op_name(UCB_REF_OP_CREATE), "create");
    assert_string_equal(ucb_ref_op_name(UCB_REF_OP_DELETE), "delete");
    assert_string_equal(ucb_ref_op_name(UCB_REF_OP_DEREGISTER), "deregister");
    assert_string_equal(ucb_ref_op_name(UCB_REF_OP_CANCEL_OBSERVATIONS), "cancel_observations");
    assert_string_equal(ucb_ref_op_name(UCB_REF_OP_BS_DELETE), "bs_delete");
    assert_string_equal(ucb_ref_op_name(0), "?");
    assert_string_equal(ucb_ref_op_name(99), "?");
}

/* ---- Bootstrap-Server, out of band ---------------------------------------------------- */

static void bs_write_replaces_and_bs_delete_keeps_bootstrap_account_and_device(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t buf[UCB_REF_MAX_TLV];
    static const uint8_t dev[] = {0xC8, 0x00, 0x03, 'A', 'C', 'M'};
    const uint8_t *tlv;
    size_t len, bs_len = security(buf, sizeof(buf), 0, true);

    ucb_ref_core_adapter(core, &a);
    CHECK_EQ("bs account", a.ops->create(a.ctx, 0, 0, buf, bs_len), 0);
    add_account(core, 1, 101);
    add_account(core, 2, 102);
    CHECK_EQ("device", a.ops->create(a.ctx, 3, 0, dev, sizeof(dev)), 0);
    CHECK_EQ("other", a.ops->create(a.ctx, 3303, 0, dev, sizeof(dev)), 0);
    uint32_t mutations = ucb_ref_core_mutations(core);

    len = server(buf, sizeof(buf), 103);
    CHECK_EQ("write", ucb_ref_core_bs_write(core, 1, 2, buf, len), 0);
    assert_int_equal(ucb_ref_core_get(core, 1, 2, &tlv, &len), 0);
    test_check_bytes("written", tlv, len, buf, len);
    CHECK_EQ("write new", ucb_ref_core_bs_write(core, 3303, 1, dev, sizeof(dev)), 0);

    CHECK_EQ("missing", ucb_ref_core_bs_delete(core, 0, 9), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("bs account by name", ucb_ref_core_bs_delete(core, 0, 0), UCB_ERR_ADAPTER);
    CHECK_EQ("one", ucb_ref_core_bs_delete(core, 3303, 1), 1);
    CHECK_EQ("object 0", ucb_ref_core_bs_delete(core, 0, UCB_REF_ANY), 2);
    CHECK_EQ("root", ucb_ref_core_bs_delete(core, UCB_REF_ANY, UCB_REF_ANY), 3);
    CHECK_EQ("left", ucb_ref_core_count(core), 2);
    CHECK_EQ("bs account kept", ucb_ref_core_get(core, 0, 0, NULL, NULL), 0);
    CHECK_EQ("device kept", ucb_ref_core_get(core, 3, 0, NULL, NULL), 0);
    CHECK_EQ("not adapter ops", ucb_ref_core_mutations(core), mutations);
    const struct ucb_ref_log_entry *e = ucb_ref_core_log_at(core, ucb_ref_core_log_count(core) - 1);
    CHECK_EQ("logged", e->op, UCB_REF_OP_BS_DELETE);
}

static void foreign_reads_keep_values_in_another_encoding(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;
    uint8_t back[UCB_REF_MAX_TLV];
    const uint8_t *tlv;
    size_t len;
    struct ucb_tlv t;
    int64_t v = 0;
    bool b = true;

    struct ucb_tlv_writer w;
    ucb_tlv_writer_init(&w, back, sizeof(back));
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 0, 101);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 1, 300);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 7, "U", 1);
    ucb_ref_core_adapter(core, &a);
    CHECK_EQ("create", a.ops->create(a.ctx, 1, 1, back, (size_t)ucb_tlv_writer_finish(&w)), 0);
    assert_int_equal(ucb_ref_core_get(core, 1, 1, &tlv, &len), 0);
    CHECK_EQ("plain read", a.ops->read(a.ctx, 1, 1, back, sizeof(back)), (int)len);
    test_check_bytes("plain", back, len, tlv, len);
    ucb_ref_core_foreign_reads(core, true);
    int n = a.ops->read(a.ctx, 1, 1, back, sizeof(back));
    assert_true(n > (int)len);
    CHECK_EQ("ssid found", ucb_tlv_find(back, (size_t)n, RES_ALLOWED, 0, &t), 1);
    CHECK_EQ("ssid 8 bytes", t.len, 8);
    CHECK_EQ("ssid decodes", ucb_tlv_get_int(&t, &v), 0);
    CHECK_EQ("ssid value", v, 101);
    CHECK_EQ("storing default", ucb_tlv_find(back, (size_t)n, RES_ALLOWED, 6, &t), 1);
    CHECK_EQ("storing decodes", ucb_tlv_get_bool(&t, &b), 0);
    assert_false(b);
    /* descending IDs: the first element is the highest */
    struct ucb_tlv_cursor c;
    ucb_tlv_cursor_init(&c, back, (size_t)n, 0, RES_ALLOWED);
    CHECK_EQ("first", ucb_tlv_next(&c, &t), 1);
    CHECK_EQ("first is 7", t.id, 7);
    CHECK_EQ("too small", a.ops->read(a.ctx, 1, 1, back, 4), UCB_ERR_BUFFER);
}

static void dm_write_changes_writable_resources_only(void **state)
{
    struct ucb_ref_core *core = *state;
    const uint8_t *tlv;
    size_t len;
    struct ucb_tlv t;
    int64_t v = 0;

    add_account(core, 1, 101);
    uint32_t mutations = ucb_ref_core_mutations(core);
    CHECK_EQ("lifetime", ucb_ref_core_dm_write_int(core, 1, 1, 1, 600), 0);
    assert_int_equal(ucb_ref_core_get(core, 1, 1, &tlv, &len), 0);
    CHECK_EQ("found", ucb_tlv_find(tlv, len, RES_ALLOWED, 1, &t), 1);
    CHECK_EQ("int", ucb_tlv_get_int(&t, &v), 0);
    CHECK_EQ("value", v, 600);
    CHECK_EQ("ssid kept", ucb_tlv_find(tlv, len, RES_ALLOWED, 0, &t), 1);
    CHECK_EQ("ssid read-only", ucb_ref_core_dm_write_int(core, 1, 1, 0, 7), UCB_ERR_ADAPTER);
    CHECK_EQ("security", ucb_ref_core_dm_write_int(core, 0, 1, 11, 7), UCB_ERR_ADAPTER);
    CHECK_EQ("absent", ucb_ref_core_dm_write_int(core, 1, 9, 1, 7), UCB_ERR_NOT_PRESENT);
    CHECK_EQ("not an adapter op", ucb_ref_core_mutations(core), mutations);
    const struct ucb_ref_log_entry *e = ucb_ref_core_log_at(core, ucb_ref_core_log_count(core) - 1);
    CHECK_EQ("logged", e->op, UCB_REF_OP_DM_WRITE);
    CHECK_EQ("logged ssid", e->ssid, 101);
}

static void commit_counts_and_obeys_the_fault_knob(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;

    ucb_ref_core_adapter(core, &a);
    assert_non_null(a.ops->commit);
    CHECK_EQ("commit", a.ops->commit(a.ctx), 0);
    CHECK_EQ("commits", core->commits, 1);
    ucb_ref_core_fail_at(core, 1);
    CHECK_EQ("failing commit", a.ops->commit(a.ctx), UCB_ERR_ADAPTER);
    CHECK_EQ("not counted", core->commits, 1);
    ucb_ref_core_set_caps(core, 0);
    assert_non_null(a.ops->commit); /* not a capability: always there */
}

static void implied_cancel_drops_observations_with_the_server(void **state)
{
    struct ucb_ref_core *core = *state;
    struct ucb_adapter a;

    ucb_ref_core_set_caps(core, UCB_REF_CAPS_ALL | UCB_CAP_IMPLIED_CANCEL);
    ucb_ref_core_adapter(core, &a);
    add_account(core, 1, 101);
    add_account(core, 2, 102);
    for (uint16_t s = 101; s <= 102; s++) {
        CHECK_EQ("register", ucb_ref_core_register(core, s), 0);
        CHECK_EQ("observe", ucb_ref_core_observe(core, s), 0);
    }
    CHECK_EQ("delete server", a.ops->remove(a.ctx, 1, 1), 0);
    CHECK_EQ("101 observations", ucb_ref_core_server(core, 101)->observations, 0);
    CHECK_EQ("deregister", a.ops->deregister(a.ctx, 102), 0);
    CHECK_EQ("102 observations", ucb_ref_core_server(core, 102)->observations, 0);
    /* without the bit, deletion leaves them to cancel_observations */
    ucb_ref_core_set_caps(core, UCB_REF_CAPS_ALL);
    CHECK_EQ("register", ucb_ref_core_register(core, 102), 0);
    CHECK_EQ("observe", ucb_ref_core_observe(core, 102), 0);
    CHECK_EQ("delete", a.ops->remove(a.ctx, 1, 2), 0);
    CHECK_EQ("kept", ucb_ref_core_server(core, 102)->observations, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(contract_holds_with_every_capability),
        T(contract_holds_without_hooks),
        T(contract_holds_for_every_subset_of_capabilities),
        T(contract_holds_with_foreign_reads_and_implied_steps),
        T(contract_leaves_other_instances_untouched),
        T(contract_catches_a_broken_adapter),
        T(pool_full_refuses_create_cleanly),
        T(largest_payload_accepted_one_more_refused),
        T(malformed_payload_refused_and_nothing_stored),
        T(second_server_instance_with_same_ssid_refused),
        T(list_reports_total_and_writes_only_cap_ascending),
        T(nth_walks_instances_in_path_order),
        T(fail_at_fails_the_kth_mutation_once),
        T(fail_at_leaves_every_operation_without_effect),
        T(register_needs_a_server_instance_and_not_disabled),
        T(server_ops_on_a_session_whose_server_instance_is_gone),
        T(acl_set_rewrites_entries_and_owner_keeping_the_rest),
        T(acl_set_too_large_leaves_instance_unchanged),
        T(acl_get_refuses_incomplete_instances),
        T(log_records_each_change_with_path_and_ssid),
        T(log_keeps_the_newest_records_when_full),
        T(op_names_are_short_words),
        T(bs_write_replaces_and_bs_delete_keeps_bootstrap_account_and_device),
        T(foreign_reads_keep_values_in_another_encoding),
        T(dm_write_changes_writable_resources_only),
        T(commit_counts_and_obeys_the_fault_knob),
        T(implied_cancel_drops_observations_with_the_server),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
