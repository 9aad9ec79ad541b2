/*
 * The adapter contract suite (adapter_contract.h). Each check names the
 * promise of adapter.h it tests; a failure prints the check, the line and
 * the values, and the run goes on so one report lists every broken promise.
 */
#include "adapter_contract.h"

#include <stdio.h>
#include <string.h>

#include "uiccboot/err.h"
#include "uiccboot/tlv.h"

#define RES_ALLOWED (UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE))
#define LIST_MAX 256u
#define TLV_MAX 512u

struct run {
    const struct ucb_adapter *a;
    const struct ucb_adapter_ops *o;
    void *x; /* adapter ctx */
    struct contract_hooks h;
    const char *check;
    int failures;
};

static void fail_at(struct run *r, int line, const char *what)
{
    fprintf(stderr, "adapter contract: %s (adapter_contract.c:%d): %s\n", r->check, line, what);
    r->failures++;
}

/* A promise about a value: prints the expression and both values. */
#define EXPECT_EQ(r, got, exp)                                                          \
    do {                                                                                \
        long long g_ = (long long)(got), e_ = (long long)(exp);                         \
        if (g_ != e_) {                                                                 \
            char m_[256];                                                               \
            snprintf(m_, sizeof(m_), "%s = %lld, expected %s = %lld", #got, g_, #exp, e_); \
            fail_at((r), __LINE__, m_);                                                 \
        }                                                                               \
    } while (0)

#define EXPECT(r, cond)                          \
    do {                                         \
        if (!(cond))                             \
            fail_at((r), __LINE__, "not " #cond); \
    } while (0)

/* ---- payloads ----------------------------------------------------------- */

static size_t finish(struct ucb_tlv_writer *w)
{
    int n = ucb_tlv_writer_finish(w);
    return n < 0 ? 0 : (size_t)n;
}

/* Security instance (object 0) of a NoSec server account. */
static size_t security_tlv(uint8_t *buf, uint16_t ssid)
{
    struct ucb_tlv_writer w;
    static const char uri[] = "coap://contract.example:5683";

    ucb_tlv_writer_init(&w, buf, TLV_MAX);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 0, uri, sizeof(uri) - 1);
    ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 1, false);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 2, 3);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 3, "", 0);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 4, "", 0);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 5, "", 0);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 10, ssid);
    return finish(&w);
}

/* Server instance (object 1). */
static size_t server_tlv(uint8_t *buf, uint16_t ssid)
{
    struct ucb_tlv_writer w;

    ucb_tlv_writer_init(&w, buf, TLV_MAX);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 0, ssid);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 1, 300);
    ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 6, true);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 7, "U", 1);
    return finish(&w);
}

/* Access Control instance (object 2) for /oid/iid. */
static size_t acl_tlv(uint8_t *buf, uint16_t oid, uint16_t iid, const struct ucb_acl_entry *e,
                      size_t n, uint16_t owner)
{
    struct ucb_tlv_writer w, m;

    ucb_tlv_writer_init(&m, NULL, 0);
    for (size_t i = 0; i < n; i++)
        ucb_tlv_put_int(&m, UCB_TLV_RESOURCE_INSTANCE, e[i].ssid, e[i].rights);
    ucb_tlv_writer_init(&w, buf, TLV_MAX);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 0, oid);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 1, iid);
    ucb_tlv_put_header(&w, UCB_TLV_MULTIPLE_RESOURCE, 2, m.pos);
    for (size_t i = 0; i < n; i++)
        ucb_tlv_put_int(&w, UCB_TLV_RESOURCE_INSTANCE, e[i].ssid, e[i].rights);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 3, owner);
    return finish(&w);
}

/* An instance of another object: IPSO Temperature value and unit (16-bit IDs). */
static size_t other_tlv(uint8_t *buf)
{
    struct ucb_tlv_writer w;

    ucb_tlv_writer_init(&w, buf, TLV_MAX);
    ucb_tlv_put_float(&w, UCB_TLV_RESOURCE, 5700, 21.5);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 5701, "Cel", 3);
    return finish(&w);
}

/* ---- helpers ---------------------------------------------------------------- */

/* Same resource values (by bytes, or as integers when the widths differ). */
static bool same_values(const uint8_t *exp, size_t exp_len, const uint8_t *got, size_t got_len)
{
    struct ucb_tlv_cursor c;
    struct ucb_tlv e, g;
    int rc;

    ucb_tlv_cursor_init(&c, exp, exp_len, 0, RES_ALLOWED);
    while ((rc = ucb_tlv_next(&c, &e)) == 1) {
        int64_t ve, vg;
        if (ucb_tlv_find(got, got_len, RES_ALLOWED, e.id, &g) != 1 || g.kind != e.kind)
            return false;
        if (g.len == e.len && memcmp(g.value, e.value, e.len) == 0)
            continue;
        if (e.kind != UCB_TLV_RESOURCE || ucb_tlv_get_int(&e, &ve) < 0 ||
            ucb_tlv_get_int(&g, &vg) < 0 || ve != vg)
            return false;
    }
    return rc == 0;
}

/* 1 when list(oid) is ascending and holds iid, 0 when ascending without it, -1 otherwise. */
static int listed(struct run *r, uint16_t oid, uint16_t iid)
{
    uint16_t ids[LIST_MAX];
    int n = r->o->list(r->x, oid, ids, LIST_MAX);
    int found = 0;

    if (n < 0 || (size_t)n > LIST_MAX)
        return -1;
    for (int i = 0; i < n; i++) {
        if (i > 0 && ids[i] <= ids[i - 1])
            return -1;
        if (ids[i] == iid)
            found = 1;
    }
    return found;
}

static bool server_state(struct run *r, uint16_t ssid, bool *reg, bool *dis, unsigned *obs)
{
    *reg = *dis = false;
    *obs = 0;
    return r->h.server_state != NULL && r->h.server_state(r->h.ctx, ssid, reg, dis, obs) == 0;
}

/* ---- checks ------------------------------------------------------------------ */

static void check_caps_match_ops(struct run *r)
{
    const struct ucb_adapter_ops *o = r->o;
    uint32_t caps = o->caps ? o->caps(r->x) : 0;

    r->check = "caps_match_ops";
    EXPECT(r, o->caps != NULL);
    EXPECT(r, o->list != NULL);
    EXPECT(r, o->create != NULL);
    EXPECT(r, o->remove != NULL);
    EXPECT(r, o->read != NULL);
    EXPECT(r, o->find_server != NULL);
    EXPECT_EQ(r, caps & ~(uint32_t)(UCB_CAP_DISABLE | UCB_CAP_DEREGISTER | UCB_CAP_OBSERVATIONS |
                                     UCB_CAP_ACL | UCB_CAP_IMPLIED_DEREGISTER |
                                     UCB_CAP_IMPLIED_CANCEL | UCB_CAP_IMPLIED_ACL |
                                     UCB_CAP_CASCADE_ACL), 0);
    /* a de-registration implied by disable needs a disable */
    EXPECT(r, !(caps & UCB_CAP_IMPLIED_DEREGISTER) || (caps & UCB_CAP_DISABLE));
    EXPECT_EQ(r, !!(caps & UCB_CAP_DISABLE), o->disable_server != NULL);
    EXPECT_EQ(r, !!(caps & UCB_CAP_DISABLE), o->enable_server != NULL);
    EXPECT_EQ(r, !!(caps & UCB_CAP_DEREGISTER), o->deregister != NULL);
    EXPECT_EQ(r, !!(caps & UCB_CAP_OBSERVATIONS), o->cancel_observations != NULL);
    EXPECT_EQ(r, !!(caps & UCB_CAP_ACL), o->acl_get != NULL);
    EXPECT_EQ(r, !!(caps & UCB_CAP_ACL), o->acl_set != NULL);
}

/* The suite's SSIDs and instance IDs are free, or it would touch the harness's own data. */
static bool check_preconditions(struct run *r)
{
    const uint16_t oids[] = {0, 1, 2, r->h.other_oid};
    uint16_t iid = 0;
    int before = r->failures;

    r->check = "preconditions";
    EXPECT_EQ(r, r->o->find_server(r->x, r->h.ssid_a, &iid), 0);
    EXPECT_EQ(r, r->o->find_server(r->x, r->h.ssid_b, &iid), 0);
    for (size_t k = 0; k < sizeof(oids) / sizeof(oids[0]); k++)
        for (uint16_t i = 0; i < 8; i++)
            EXPECT_EQ(r, listed(r, oids[k], (uint16_t)(r->h.iid_base + i)), 0);
    return r->failures == before;
}

static void check_create_then_list_and_read(struct run *r)
{
    uint8_t tlv[TLV_MAX], back[TLV_MAX];
    size_t len = security_tlv(tlv, r->h.ssid_a), olen;
    uint16_t base = r->h.iid_base, one;
    int n;

    r->check = "create_then_list_and_read";
    EXPECT_EQ(r, r->o->create(r->x, 0, base, tlv, len), 0);
    EXPECT_EQ(r, listed(r, 0, base), 1);
    n = r->o->list(r->x, 0, &one, 0);
    EXPECT(r, n >= 1);
    n = r->o->read(r->x, 0, base, back, sizeof(back));
    EXPECT(r, n > 0);
    if (n > 0) {
        if (r->h.exact_read) {
            EXPECT_EQ(r, n, len);
            EXPECT(r, (size_t)n == len && memcmp(back, tlv, len) == 0);
        }
        EXPECT(r, same_values(tlv, len, back, (size_t)n));
    }
    EXPECT_EQ(r, r->o->read(r->x, 0, base, back, 1), UCB_ERR_BUFFER);

    r->check = "create_other_object";
    olen = other_tlv(tlv);
    EXPECT_EQ(r, r->o->create(r->x, r->h.other_oid, base, tlv, olen), 0);
    EXPECT_EQ(r, listed(r, r->h.other_oid, base), 1);
    n = r->o->read(r->x, r->h.other_oid, base, back, sizeof(back));
    EXPECT(r, n > 0 && same_values(tlv, olen, back, (size_t)n));
}

static void check_create_existing_fails(struct run *r)
{
    uint8_t tlv[TLV_MAX], back[TLV_MAX];
    size_t len = security_tlv(tlv, r->h.ssid_b);
    struct ucb_tlv t;
    int64_t ssid = 0;
    int n;

    r->check = "create_existing_fails";
    EXPECT_EQ(r, r->o->create(r->x, 0, r->h.iid_base, tlv, len), UCB_ERR_ADAPTER);
    /* The instance is untouched: it still carries ssid_a. */
    n = r->o->read(r->x, 0, r->h.iid_base, back, sizeof(back));
    EXPECT(r, n > 0 && ucb_tlv_find(back, (size_t)n, RES_ALLOWED, 10, &t) == 1 &&
                  ucb_tlv_get_int(&t, &ssid) == 0);
    EXPECT_EQ(r, ssid, r->h.ssid_a);
}

static void check_remove(struct run *r)
{
    uint8_t back[TLV_MAX];
    uint16_t absent = (uint16_t)(r->h.iid_base + 7);

    r->check = "remove_missing_not_present";
    EXPECT_EQ(r, r->o->remove(r->x, 0, absent), UCB_ERR_NOT_PRESENT);
    EXPECT_EQ(r, r->o->read(r->x, 0, absent, back, sizeof(back)), UCB_ERR_NOT_PRESENT);

    r->check = "remove_then_gone";
    EXPECT_EQ(r, r->o->remove(r->x, r->h.other_oid, r->h.iid_base), 0);
    EXPECT_EQ(r, listed(r, r->h.other_oid, r->h.iid_base), 0);
    EXPECT_EQ(r, r->o->read(r->x, r->h.other_oid, r->h.iid_base, back, sizeof(back)),
              UCB_ERR_NOT_PRESENT);
    EXPECT_EQ(r, r->o->remove(r->x, r->h.other_oid, r->h.iid_base), UCB_ERR_NOT_PRESENT);
}

static void check_malformed_create_refused(struct run *r)
{
    /* Resource 0 claims 5 value bytes, 1 follows. */
    static const uint8_t truncated[] = {0xC5, 0x00, 'a'};
    uint8_t back[TLV_MAX];
    uint16_t iid = (uint16_t)(r->h.iid_base + 2);

    r->check = "malformed_create_refused";
    EXPECT(r, r->o->create(r->x, r->h.other_oid, iid, truncated, sizeof(truncated)) < 0);
    EXPECT_EQ(r, r->o->read(r->x, r->h.other_oid, iid, back, sizeof(back)), UCB_ERR_NOT_PRESENT);
    EXPECT_EQ(r, listed(r, r->h.other_oid, iid), 0);
}

static void check_find_server(struct run *r)
{
    uint8_t tlv[TLV_MAX];
    size_t len = server_tlv(tlv, r->h.ssid_a);
    uint16_t iid = 0xFFFF;

    r->check = "find_server_by_ssid";
    EXPECT_EQ(r, r->o->create(r->x, 1, r->h.iid_base, tlv, len), 0);
    EXPECT_EQ(r, r->o->find_server(r->x, r->h.ssid_a, &iid), 1);
    EXPECT(r, iid == r->h.iid_base || iid == UCB_IID_UNKNOWN);
    EXPECT_EQ(r, r->o->find_server(r->x, r->h.ssid_b, &iid), 0);
}

static bool same_entries(const struct ucb_acl_entry *a, size_t na, const struct ucb_acl_entry *b,
                         size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        size_t j = 0;
        while (j < nb && b[j].ssid != a[i].ssid)
            j++;
        if (j == nb || b[j].rights != a[i].rights)
            return false;
    }
    return true;
}

static void check_acl_round_trip(struct run *r)
{
    const uint16_t A = r->h.ssid_a, B = r->h.ssid_b, base = r->h.iid_base;
    const struct ucb_acl_entry first[] = {{A, 0x0F}, {0, 0x01}};
    const struct ucb_acl_entry second[] = {{B, 0x09}, {A, 0x01}};
    struct ucb_acl_entry got[UCB_ACL_MAX];
    uint8_t tlv[TLV_MAX];
    size_t len = acl_tlv(tlv, 1, base, first, 2, A);
    uint16_t oid = 0, iid = 0, owner = 0;
    int n;

    r->check = "acl_round_trip";
    if (!(r->o->caps(r->x) & UCB_CAP_ACL))
        return;
    EXPECT_EQ(r, r->o->create(r->x, 2, base, tlv, len), 0);
    n = r->o->acl_get(r->x, base, &oid, &iid, got, UCB_ACL_MAX, &owner);
    EXPECT_EQ(r, n, 2);
    EXPECT_EQ(r, oid, 1);
    EXPECT_EQ(r, iid, base);
    EXPECT_EQ(r, owner, A);
    EXPECT(r, n == 2 && same_entries(got, 2, first, 2));

    EXPECT_EQ(r, r->o->acl_set(r->x, base, second, 2, B), 0);
    oid = iid = owner = 0;
    n = r->o->acl_get(r->x, base, &oid, &iid, got, UCB_ACL_MAX, &owner);
    EXPECT_EQ(r, n, 2);
    EXPECT(r, n == 2 && same_entries(got, 2, second, 2));
    EXPECT_EQ(r, owner, B);
    EXPECT_EQ(r, oid, 1); /* the target survives a rewrite */
    EXPECT_EQ(r, iid, base);

    /* No entries left, owner MAX_ID: bootstrap-only (LwM2M Core E.3). */
    EXPECT_EQ(r, r->o->acl_set(r->x, base, NULL, 0, 0xFFFF), 0);
    n = r->o->acl_get(r->x, base, &oid, &iid, got, UCB_ACL_MAX, &owner);
    EXPECT_EQ(r, n, 0);
    EXPECT_EQ(r, owner, 0xFFFF);

    r->check = "acl_missing_not_present";
    EXPECT_EQ(r, r->o->acl_get(r->x, (uint16_t)(base + 7), &oid, &iid, got, UCB_ACL_MAX, &owner),
              UCB_ERR_NOT_PRESENT);
    EXPECT_EQ(r, r->o->acl_set(r->x, (uint16_t)(base + 7), second, 2, A), UCB_ERR_NOT_PRESENT);
}

static void check_server_control(struct run *r)
{
    const struct ucb_adapter_ops *o = r->o;
    const uint16_t A = r->h.ssid_a, B = r->h.ssid_b;
    const bool hooks = r->h.make_registered != NULL && r->h.server_state != NULL;
    bool reg, dis;
    unsigned obs;
    uint16_t iid;

    r->check = "server_control_unknown_ssid";
    if (o->disable_server) {
        EXPECT_EQ(r, o->disable_server(r->x, B), UCB_ERR_NOT_PRESENT);
        EXPECT_EQ(r, o->enable_server(r->x, B), UCB_ERR_NOT_PRESENT);
    }
    if (o->deregister)
        EXPECT_EQ(r, o->deregister(r->x, B), UCB_ERR_NOT_PRESENT);
    if (o->cancel_observations)
        EXPECT_EQ(r, o->cancel_observations(r->x, B), UCB_ERR_NOT_PRESENT);

    r->check = "cancel_observations_known_ssid";
    if (hooks) {
        EXPECT_EQ(r, r->h.make_registered(r->h.ctx, A), 0);
        EXPECT(r, server_state(r, A, &reg, &dis, &obs) && reg && !dis && obs >= 1);
    }
    if (o->cancel_observations) {
        EXPECT_EQ(r, o->cancel_observations(r->x, A), 0);
        if (hooks)
            EXPECT(r, server_state(r, A, &reg, &dis, &obs) && obs == 0);
    }

    r->check = "deregister_known_ssid";
    if (o->deregister) {
        EXPECT_EQ(r, o->deregister(r->x, A), 0);
        if (hooks)
            EXPECT(r, server_state(r, A, &reg, &dis, &obs) && !reg);
    }

    r->check = "disable_enable_known_ssid";
    if (o->disable_server) {
        if (hooks)
            EXPECT_EQ(r, r->h.make_registered(r->h.ctx, A), 0);
        EXPECT_EQ(r, o->disable_server(r->x, A), 0);
        if (hooks)
            EXPECT(r, server_state(r, A, &reg, &dis, &obs) && dis && !reg);
        /* a core that says it drops observations itself must do so */
        if (hooks && (o->caps(r->x) & UCB_CAP_IMPLIED_CANCEL))
            EXPECT(r, server_state(r, A, &reg, &dis, &obs) && obs == 0);
        EXPECT_EQ(r, o->enable_server(r->x, A), 0);
        if (hooks)
            EXPECT(r, server_state(r, A, &reg, &dis, &obs) && !dis);
    }

    /*
     * Seed CR 003 (D.2.2) cancels observations and de-registers around the
     * deletion of the Server instance: both must still work once it is gone.
     */
    r->check = "deregister_after_server_instance_deleted";
    if (hooks)
        EXPECT_EQ(r, r->h.make_registered(r->h.ctx, A), 0);
    EXPECT_EQ(r, o->remove(r->x, 1, r->h.iid_base), 0);
    EXPECT_EQ(r, o->find_server(r->x, A, &iid), 0);
    if (hooks && o->cancel_observations)
        EXPECT_EQ(r, o->cancel_observations(r->x, A), 0);
    if (hooks && o->deregister) {
        EXPECT_EQ(r, o->deregister(r->x, A), 0);
        EXPECT(r, server_state(r, A, &reg, &dis, &obs) && !reg);
    }
}

/* commit() ends a batch: harmless when repeated, and it keeps what the batch made. */
static void check_commit(struct run *r)
{
    uint8_t tlv[TLV_MAX];
    size_t len = other_tlv(tlv);
    uint16_t iid = (uint16_t)(r->h.iid_base + 6);

    r->check = "commit_keeps_the_batch";
    if (r->o->commit == NULL)
        return;
    EXPECT_EQ(r, r->o->create(r->x, r->h.other_oid, iid, tlv, len), 0);
    EXPECT_EQ(r, r->o->commit(r->x), 0);
    EXPECT_EQ(r, r->o->commit(r->x), 0);
    EXPECT_EQ(r, listed(r, r->h.other_oid, iid), 1);
    EXPECT_EQ(r, r->o->remove(r->x, r->h.other_oid, iid), 0);
    EXPECT_EQ(r, r->o->commit(r->x), 0);
    EXPECT_EQ(r, listed(r, r->h.other_oid, iid), 0);
}

/* UCB_CAP_CASCADE_ACL: removing an instance takes its Access Control instances with it (by commit()). */
static void check_cascade(struct run *r)
{
    uint8_t tlv[TLV_MAX];
    const struct ucb_acl_entry e = {r->h.ssid_a, 1};
    uint16_t target = (uint16_t)(r->h.iid_base + 5), ac = (uint16_t)(r->h.iid_base + 5);
    size_t len;

    r->check = "cascade_acl_removes_access_control_with_target";
    if ((r->o->caps(r->x) & UCB_CAP_CASCADE_ACL) == 0)
        return;
    len = other_tlv(tlv);
    EXPECT_EQ(r, r->o->create(r->x, r->h.other_oid, target, tlv, len), 0);
    len = acl_tlv(tlv, r->h.other_oid, target, &e, 1, r->h.ssid_a);
    EXPECT_EQ(r, r->o->create(r->x, 2, ac, tlv, len), 0);
    EXPECT_EQ(r, r->o->remove(r->x, r->h.other_oid, target), 0);
    if (r->o->commit != NULL)
        EXPECT_EQ(r, r->o->commit(r->x), 0);
    EXPECT_EQ(r, listed(r, 2, ac), 0);
}

/* Delete what the suite made; the core ends as it started. */
static void cleanup(struct run *r)
{
    const uint16_t oids[] = {0, 1, 2, r->h.other_oid};
    uint16_t iid;

    r->check = "leaves_core_as_found";
    for (size_t k = 0; k < sizeof(oids) / sizeof(oids[0]); k++)
        for (uint16_t i = 0; i < 8; i++) {
            int rc = r->o->remove(r->x, oids[k], (uint16_t)(r->h.iid_base + i));
            EXPECT(r, rc == 0 || rc == UCB_ERR_NOT_PRESENT);
            EXPECT_EQ(r, listed(r, oids[k], (uint16_t)(r->h.iid_base + i)), 0);
        }
    EXPECT_EQ(r, r->o->find_server(r->x, r->h.ssid_a, &iid), 0);
}

int ucb_contract_run(const struct ucb_adapter *a, const struct contract_hooks *h)
{
    struct run r;

    memset(&r, 0, sizeof(r));
    r.a = a;
    r.o = a->ops;
    r.x = a->ctx;
    if (h != NULL)
        r.h = *h;
    if (r.h.iid_base == 0)
        r.h.iid_base = 100;
    if (r.h.ssid_a == 0)
        r.h.ssid_a = 4001;
    if (r.h.ssid_b == 0)
        r.h.ssid_b = 4002;
    if (r.h.other_oid == 0)
        r.h.other_oid = 3303;

    check_caps_match_ops(&r);
    if (r.failures != 0 || !check_preconditions(&r))
        return r.failures;
    check_create_then_list_and_read(&r);
    check_create_existing_fails(&r);
    check_remove(&r);
    check_malformed_create_refused(&r);
    check_find_server(&r);
    check_acl_round_trip(&r);
    check_server_control(&r);
    check_commit(&r);
    check_cascade(&r);
    cleanup(&r);
    return r.failures;
}
