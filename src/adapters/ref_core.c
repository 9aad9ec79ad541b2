/*
 * The reference in-memory LwM2M client core (ref_core.h): the adapter of
 * adapter.h over a fixed pool of instances held as resource TLVs.
 *
 * Deliberately plain: linear scans over at most UCB_REF_MAX_INSTANCES
 * slots, every payload decoded again where a resource is needed. It is the
 * yardstick the bridge is tested against, so obviousness beats speed.
 */
#include "uiccboot/ref_core.h"

#include <string.h>

#include "uiccboot/bootstrap.h"
#include "uiccboot/err.h"
#include "uiccboot/tlv.h"

#define ANY UCB_REF_ANY
#define RES_ALLOWED (UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE))
#define RI_ALLOWED UCB_TLV_ALLOW(UCB_TLV_RESOURCE_INSTANCE)

/* ---- TLV helpers ---------------------------------------------------- */

/* The Short Server ID an instance carries, for the log: Security 10, Server 0, ACL owner 3. */
static uint16_t inst_ssid(const struct ucb_ref_instance *in)
{
    uint16_t rid, ssid = 0;

    switch (in->oid) {
    case 0: rid = 10; break;
    case 1: rid = 0; break;
    case 2: rid = 3; break;
    default: return 0;
    }
    if (ucb_tlv_find_u16(in->tlv, in->len, rid, &ssid) != 1)
        return 0;
    return ssid;
}

/* ---- pool, servers, log --------------------------------------------- */

/* Index of /oid/iid in the pool, or UCB_REF_MAX_INSTANCES when absent. */
static size_t inst_index(const struct ucb_ref_core *core, uint16_t oid, uint16_t iid)
{
    size_t i;

    for (i = 0; i < UCB_REF_MAX_INSTANCES; i++) {
        const struct ucb_ref_instance *in = &core->inst[i];
        if (in->used && in->oid == oid && in->iid == iid)
            break;
    }
    return i;
}

static struct ucb_ref_instance *inst_find(struct ucb_ref_core *core, uint16_t oid, uint16_t iid)
{
    size_t i = inst_index(core, oid, iid);

    return i < UCB_REF_MAX_INSTANCES ? &core->inst[i] : NULL;
}

static struct ucb_ref_instance *inst_free_slot(struct ucb_ref_core *core)
{
    for (size_t i = 0; i < UCB_REF_MAX_INSTANCES; i++)
        if (!core->inst[i].used)
            return &core->inst[i];
    return NULL;
}

/* The Server instance (/1/x) whose resource 0 is @p ssid, other than @p skip. */
static struct ucb_ref_instance *server_inst(struct ucb_ref_core *core, uint16_t ssid,
                                            const struct ucb_ref_instance *skip)
{
    for (size_t i = 0; i < UCB_REF_MAX_INSTANCES; i++) {
        struct ucb_ref_instance *in = &core->inst[i];
        uint16_t s;
        if (!in->used || in->oid != 1 || in == skip)
            continue;
        if (ucb_tlv_find_u16(in->tlv, in->len, 0, &s) == 1 && s == ssid)
            return in;
    }
    return NULL;
}

/* Index of the state slot of @p ssid, or UCB_REF_MAX_SERVERS when none. */
static size_t srv_index(const struct ucb_ref_core *core, uint16_t ssid)
{
    size_t i;

    for (i = 0; i < UCB_REF_MAX_SERVERS; i++)
        if (ssid != 0 && core->servers[i].ssid == ssid)
            break;
    return i;
}

static struct ucb_ref_server *srv_find(struct ucb_ref_core *core, uint16_t ssid)
{
    size_t i = srv_index(core, ssid);

    return i < UCB_REF_MAX_SERVERS ? &core->servers[i] : NULL;
}

/* The state slot of @p ssid, taking a free one if needed; NULL when full. */
static struct ucb_ref_server *srv_get(struct ucb_ref_core *core, uint16_t ssid)
{
    struct ucb_ref_server *s = srv_find(core, ssid);

    if (s != NULL || ssid == 0)
        return s;
    for (size_t i = 0; i < UCB_REF_MAX_SERVERS; i++) {
        if (core->servers[i].ssid == 0) {
            s = &core->servers[i];
            memset(s, 0, sizeof(*s));
            s->ssid = ssid;
            return s;
        }
    }
    return NULL;
}

static void log_add(struct ucb_ref_core *core, enum ucb_ref_op op, uint16_t oid, uint16_t iid,
                    uint16_t ssid)
{
    struct ucb_ref_log_entry *e = &core->log[core->log_total % UCB_REF_LOG_MAX];

    e->op = (uint8_t)op;
    e->oid = oid;
    e->iid = iid;
    e->ssid = ssid;
    core->log_total++;
}

static void log_server(struct ucb_ref_core *core, enum ucb_ref_op op, uint16_t ssid)
{
    const struct ucb_ref_instance *in = server_inst(core, ssid, NULL);

    log_add(core, op, in ? 1 : ANY, in ? in->iid : ANY, ssid);
}

/* Every mutating adapter operation passes here first: counts it and fires the fault knob. */
static int gate(struct ucb_ref_core *core)
{
    core->mutations++;
    if (core->fail_at != 0) {
        core->fail_at--;
        if (core->fail_at == 0)
            return UCB_ERR_ADAPTER;
    }
    return 0;
}

/*
 * Everything create and bs_write check before storing @p tlv as /oid/iid;
 * @p self is the instance being replaced (bs_write), or NULL.
 */
static int check_payload(struct ucb_ref_core *core, uint16_t oid, uint16_t iid, const uint8_t *tlv,
                         size_t len, const struct ucb_ref_instance *self)
{
    int rc;

    if (iid == ANY || (tlv == NULL && len != 0))
        return UCB_ERR_ARG;
    if (len > UCB_REF_MAX_TLV)
        return UCB_ERR_TOO_LARGE;
    rc = ucb_tlv_check_instance(tlv, len);
    if (rc < 0)
        return rc;
    if (oid == 1) {
        uint16_t ssid;
        rc = ucb_tlv_find_u16(tlv, len, 0, &ssid);
        if (rc < 0)
            return rc;
        if (rc == 1 && ssid == 0)
            return UCB_ERR_TYPE;
        if (rc == 1 && server_inst(core, ssid, self) != NULL)
            return UCB_ERR_ADAPTER;
    }
    return 0;
}

static void store(struct ucb_ref_core *core, struct ucb_ref_instance *in, uint16_t oid,
                  uint16_t iid, const uint8_t *tlv, size_t len)
{
    in->used = true;
    in->oid = oid;
    in->iid = iid;
    in->len = (uint16_t)len;
    if (len != 0)
        memcpy(in->tlv, tlv, len);
    if (oid == 1) {
        /* A new Server instance is a new account in use: its SSID is no longer disabled. */
        struct ucb_ref_server *s = srv_find(core, inst_ssid(in));
        if (s != NULL)
            s->disabled = false;
    }
}

/* An SSID the server operations accept: it has a Server instance or a session. */
static bool known_server(struct ucb_ref_core *core, uint16_t ssid)
{
    return ssid != 0 && (server_inst(core, ssid, NULL) != NULL || srv_find(core, ssid) != NULL);
}

/* ---- adapter operations --------------------------------------------- */

static uint32_t op_caps(void *ctx)
{
    return ((struct ucb_ref_core *)ctx)->caps;
}

static int op_list(void *ctx, uint16_t oid, uint16_t *out, size_t cap)
{
    struct ucb_ref_core *core = ctx;
    size_t n = 0;
    uint32_t last = 0; /* next iid must be >= last: ascending selection */

    if (out == NULL && cap != 0)
        return UCB_ERR_ARG;
    for (;;) {
        uint32_t best = 0x10000u;
        for (size_t i = 0; i < UCB_REF_MAX_INSTANCES; i++) {
            const struct ucb_ref_instance *in = &core->inst[i];
            if (in->used && in->oid == oid && in->iid >= last && in->iid < best)
                best = in->iid;
        }
        if (best == 0x10000u)
            break;
        if (n < cap)
            out[n] = (uint16_t)best;
        n++;
        last = best + 1;
    }
    return (int)n;
}

static int op_create(void *ctx, uint16_t oid, uint16_t iid, const uint8_t *tlv, size_t len)
{
    struct ucb_ref_core *core = ctx;
    struct ucb_ref_instance *in;
    int rc = gate(core);

    if (rc < 0)
        return rc;
    if (inst_find(core, oid, iid) != NULL)
        return UCB_ERR_ADAPTER;
    rc = check_payload(core, oid, iid, tlv, len, NULL);
    if (rc < 0)
        return rc;
    in = inst_free_slot(core);
    if (in == NULL)
        return UCB_ERR_CAPACITY;
    store(core, in, oid, iid, tlv, len);
    log_add(core, UCB_REF_OP_CREATE, oid, iid, inst_ssid(in));
    return 0;
}

static int op_remove(void *ctx, uint16_t oid, uint16_t iid)
{
    struct ucb_ref_core *core = ctx;
    struct ucb_ref_instance *in;
    uint16_t ssid;
    int rc = gate(core);

    if (rc < 0)
        return rc;
    in = inst_find(core, oid, iid);
    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    ssid = inst_ssid(in);
    if (oid == 1 && (core->caps & UCB_CAP_IMPLIED_CANCEL)) {
        struct ucb_ref_server *s = srv_find(core, ssid);
        if (s != NULL)
            s->observations = 0;
    }
    memset(in, 0, sizeof(*in));
    log_add(core, UCB_REF_OP_DELETE, oid, iid, ssid);
    if (oid != 2 && (core->caps & UCB_CAP_CASCADE_ACL)) {
        /* the Access Control instances of the deleted instance go with it */
        for (size_t i = 0; i < UCB_REF_MAX_INSTANCES; i++) {
            struct ucb_ref_instance *ac = &core->inst[i];
            uint16_t to, ti;
            if (!ac->used || ac->oid != 2 || ucb_tlv_find_u16(ac->tlv, ac->len, 0, &to) != 1 ||
                ucb_tlv_find_u16(ac->tlv, ac->len, 1, &ti) != 1 || to != oid || ti != iid)
                continue;
            log_add(core, UCB_REF_OP_DELETE, 2, ac->iid, inst_ssid(ac));
            memset(ac, 0, sizeof(*ac));
        }
    }
    return 0;
}

/* read() in a foreign encoding (ucb_ref_core_foreign_reads). */
static int read_foreign(const struct ucb_ref_instance *in, uint8_t *out, size_t cap)
{
    struct ucb_tlv_writer w;
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    struct ucb_tlv found;
    uint32_t below = 0x10000u;

    ucb_tlv_writer_init(&w, out, cap);
    for (;;) {
        /* the next resource down: highest ID below the last one */
        bool any = false;
        uint16_t best = 0;
        ucb_tlv_cursor_init(&c, in->tlv, in->len, 0, RES_ALLOWED);
        while (ucb_tlv_next(&c, &t) == 1)
            if (t.id < below && (!any || t.id > best)) {
                any = true;
                best = t.id;
                found = t;
            }
        if (!any)
            break;
        const struct ucb_res_info *ri = ucb_res_info_find(in->oid, found.id);
        int64_t v;
        if (found.kind == UCB_TLV_RESOURCE && ri != NULL && ri->type == UCB_TYPE_INTEGER &&
            ucb_tlv_get_int(&found, &v) == 0) {
            uint8_t be[8];
            for (int j = 0; j < 8; j++)
                be[j] = (uint8_t)((uint64_t)v >> (56 - 8 * j));
            (void)ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, found.id, be, sizeof be);
        } else {
            (void)ucb_tlv_put_bytes(&w, in->tlv + found.offset,
                                    found.value_offset + found.len - found.offset);
        }
        below = found.id;
    }
    if (in->oid == 1 && ucb_tlv_find(in->tlv, in->len, RES_ALLOWED, 6, &t) == 0)
        (void)ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 6, false);
    return ucb_tlv_writer_finish(&w);
}

static int op_read(void *ctx, uint16_t oid, uint16_t iid, uint8_t *out, size_t cap)
{
    const struct ucb_ref_core *core = ctx;
    const struct ucb_ref_instance *in = inst_find(ctx, oid, iid);

    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    if (core->foreign_reads)
        return read_foreign(in, out, cap);
    if (cap < in->len || (out == NULL && in->len != 0))
        return UCB_ERR_BUFFER;
    if (in->len != 0)
        memcpy(out, in->tlv, in->len);
    return (int)in->len;
}

static int op_find_server(void *ctx, uint16_t ssid, uint16_t *out_iid)
{
    const struct ucb_ref_instance *in;

    if (out_iid == NULL)
        return UCB_ERR_ARG;
    in = server_inst(ctx, ssid, NULL);
    if (in == NULL)
        return 0;
    *out_iid = in->iid;
    return 1;
}

static int op_disable(void *ctx, uint16_t ssid)
{
    struct ucb_ref_core *core = ctx;
    struct ucb_ref_server *s;
    int rc = gate(core);

    if (rc < 0)
        return rc;
    if (!known_server(core, ssid))
        return UCB_ERR_NOT_PRESENT;
    s = srv_get(core, ssid);
    if (s == NULL)
        return UCB_ERR_CAPACITY;
    s->disabled = true;
    if (core->caps & UCB_CAP_IMPLIED_CANCEL)
        s->observations = 0;
    /* Server resource 4 (Disable): the client de-registers and stays silent. */
    if (s->registered) {
        s->registered = false;
        s->deregistrations++;
    }
    log_server(core, UCB_REF_OP_DISABLE, ssid);
    return 0;
}

/* The common start of a server operation: the fault knob, then a server
 * that exists (Server instance or known session). @return 0 or an error;
 * *out_s is its session, or NULL when it never had one. */
static int server_op(struct ucb_ref_core *core, uint16_t ssid, struct ucb_ref_server **out_s)
{
    int rc = gate(core);

    if (rc < 0)
        return rc;
    if (!known_server(core, ssid))
        return UCB_ERR_NOT_PRESENT;
    *out_s = srv_find(core, ssid);
    return 0;
}

static int op_enable(void *ctx, uint16_t ssid)
{
    struct ucb_ref_core *core = ctx;
    struct ucb_ref_server *s = NULL;
    int rc = server_op(core, ssid, &s);

    if (rc < 0)
        return rc;
    if (s != NULL)
        s->disabled = false;
    log_server(core, UCB_REF_OP_ENABLE, ssid);
    return 0;
}

static int op_deregister(void *ctx, uint16_t ssid)
{
    struct ucb_ref_core *core = ctx;
    struct ucb_ref_server *s = NULL;
    int rc = server_op(core, ssid, &s);

    if (rc < 0)
        return rc;
    if (s != NULL && s->registered) {
        s->registered = false;
        s->deregistrations++;
    }
    if (s != NULL && (core->caps & UCB_CAP_IMPLIED_CANCEL))
        s->observations = 0;
    log_server(core, UCB_REF_OP_DEREGISTER, ssid);
    return 0;
}

static int op_cancel_observations(void *ctx, uint16_t ssid)
{
    struct ucb_ref_core *core = ctx;
    struct ucb_ref_server *s = NULL;
    int rc = server_op(core, ssid, &s);

    if (rc < 0)
        return rc;
    if (s != NULL)
        s->observations = 0;
    log_server(core, UCB_REF_OP_CANCEL_OBSERVATIONS, ssid);
    return 0;
}

/* LwM2M Core E.3 (object 2): 0 Object ID, 1 Object Instance ID, 2 ACL (multiple, keyed by SSID), 3 owner. */
static int op_acl_get(void *ctx, uint16_t acl_iid, uint16_t *out_oid, uint16_t *out_iid,
                      struct ucb_acl_entry *entries, size_t cap, uint16_t *out_owner)
{
    const struct ucb_ref_instance *in = inst_find(ctx, 2, acl_iid);
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    uint16_t oid, iid, owner;
    size_t n = 0;
    int rc;

    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    if (entries == NULL && cap != 0)
        return UCB_ERR_ARG;
    if (ucb_tlv_find_u16(in->tlv, in->len, 0, &oid) != 1 || ucb_tlv_find_u16(in->tlv, in->len, 1, &iid) != 1 ||
        ucb_tlv_find_u16(in->tlv, in->len, 3, &owner) != 1)
        return UCB_ERR_INVALID;
    rc = ucb_tlv_find(in->tlv, in->len, RES_ALLOWED, 2, &t);
    if (rc < 0)
        return UCB_ERR_INVALID;
    if (rc == 1) {
        struct ucb_tlv ri;
        if (t.kind != UCB_TLV_MULTIPLE_RESOURCE)
            return UCB_ERR_INVALID;
        ucb_tlv_cursor_init(&c, t.value, t.len, 0, RI_ALLOWED);
        while ((rc = ucb_tlv_next(&c, &ri)) == 1) {
            int64_t v;
            if (ucb_tlv_get_int(&ri, &v) < 0 || v < 0 || v > 0xFFFF)
                return UCB_ERR_INVALID;
            if (n < cap) {
                entries[n].ssid = ri.id;
                entries[n].rights = (uint16_t)v;
            }
            n++;
        }
        if (rc < 0)
            return UCB_ERR_INVALID;
    }
    if (n > cap)
        return UCB_ERR_BUFFER;
    if (out_oid != NULL)
        *out_oid = oid;
    if (out_iid != NULL)
        *out_iid = iid;
    if (out_owner != NULL)
        *out_owner = owner;
    return (int)n;
}

/* Copy the resources of @p in whose ID lies in [lo, hi] unchanged. */
static void copy_resources(struct ucb_tlv_writer *w, const struct ucb_ref_instance *in,
                           uint32_t lo, uint32_t hi)
{
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;

    ucb_tlv_cursor_init(&c, in->tlv, in->len, 0, RES_ALLOWED);
    while (ucb_tlv_next(&c, &t) == 1)
        if (t.id >= lo && t.id <= hi)
            (void)ucb_tlv_put_bytes(w, in->tlv + t.offset, t.value_offset + t.len - t.offset);
}

/* Resource 2's instances in ascending SSID order (selection; SSIDs are unique). */
static void put_acl_entries(struct ucb_tlv_writer *w, const struct ucb_acl_entry *entries, size_t n)
{
    uint32_t last = 0;

    for (size_t k = 0; k < n; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (entries[i].ssid >= last && (best == n || entries[i].ssid < entries[best].ssid))
                best = i;
        (void)ucb_tlv_put_int(w, UCB_TLV_RESOURCE_INSTANCE, entries[best].ssid,
                              entries[best].rights);
        last = (uint32_t)entries[best].ssid + 1u;
    }
}

static int op_acl_set(void *ctx, uint16_t acl_iid, const struct ucb_acl_entry *entries, size_t n,
                      uint16_t owner)
{
    struct ucb_ref_core *core = ctx;
    struct ucb_ref_instance *in;
    uint8_t buf[UCB_REF_MAX_TLV];
    struct ucb_tlv_writer w, m;
    int rc = gate(core);

    if (rc < 0)
        return rc;
    if (entries == NULL && n != 0)
        return UCB_ERR_ARG;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (entries[i].ssid == entries[j].ssid)
                return UCB_ERR_ARG;
    in = inst_find(core, 2, acl_iid);
    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;

    ucb_tlv_writer_init(&w, buf, sizeof(buf));
    copy_resources(&w, in, 0, 1);
    if (n != 0) {
        ucb_tlv_writer_init(&m, NULL, 0);
        put_acl_entries(&m, entries, n);
        (void)ucb_tlv_put_header(&w, UCB_TLV_MULTIPLE_RESOURCE, 2, m.pos);
        put_acl_entries(&w, entries, n);
    }
    (void)ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 3, owner);
    copy_resources(&w, in, 4, 0xFFFF);
    rc = ucb_tlv_writer_finish(&w);
    if (rc < 0)
        return UCB_ERR_TOO_LARGE;
    memcpy(in->tlv, buf, (size_t)rc);
    in->len = (uint16_t)rc;
    log_add(core, UCB_REF_OP_ACL_SET, 2, acl_iid, owner);
    return 0;
}

static int op_commit(void *ctx)
{
    struct ucb_ref_core *core = ctx;
    int rc = gate(core);

    if (rc < 0)
        return rc;
    core->commits++;
    return 0;
}

/* ---- public calls ----------------------------------------------------- */

void ucb_ref_core_set_caps(struct ucb_ref_core *core, uint32_t caps)
{
    struct ucb_adapter_ops *o = &core->ops;

    core->caps = caps & (UCB_REF_CAPS_ALL | UCB_REF_CAPS_IMPLIED);
    memset(o, 0, sizeof(*o));
    o->caps = op_caps;
    o->list = op_list;
    o->create = op_create;
    o->remove = op_remove;
    o->read = op_read;
    o->find_server = op_find_server;
    o->commit = op_commit;
    if (core->caps & UCB_CAP_DISABLE) {
        o->disable_server = op_disable;
        o->enable_server = op_enable;
    }
    if (core->caps & UCB_CAP_DEREGISTER)
        o->deregister = op_deregister;
    if (core->caps & UCB_CAP_OBSERVATIONS)
        o->cancel_observations = op_cancel_observations;
    if (core->caps & UCB_CAP_ACL) {
        o->acl_get = op_acl_get;
        o->acl_set = op_acl_set;
    }
}

void ucb_ref_core_init(struct ucb_ref_core *core)
{
    memset(core, 0, sizeof(*core));
    ucb_ref_core_set_caps(core, UCB_REF_CAPS_ALL);
}

void ucb_ref_core_adapter(struct ucb_ref_core *core, struct ucb_adapter *out)
{
    out->ops = &core->ops;
    out->ctx = core;
}

void ucb_ref_core_fail_at(struct ucb_ref_core *core, uint32_t k)
{
    core->fail_at = k;
}

uint32_t ucb_ref_core_mutations(const struct ucb_ref_core *core)
{
    return core->mutations;
}

int ucb_ref_core_register(struct ucb_ref_core *core, uint16_t ssid)
{
    struct ucb_ref_server *s;

    if (ssid == 0 || server_inst(core, ssid, NULL) == NULL)
        return UCB_ERR_NOT_PRESENT;
    s = srv_get(core, ssid);
    if (s == NULL)
        return UCB_ERR_CAPACITY;
    if (s->disabled)
        return UCB_ERR_STATE;
    s->registered = true;
    s->registrations++;
    log_server(core, UCB_REF_OP_REGISTER, ssid);
    return 0;
}

int ucb_ref_core_observe(struct ucb_ref_core *core, uint16_t ssid)
{
    struct ucb_ref_server *s = srv_find(core, ssid);

    if (s == NULL || !s->registered)
        return UCB_ERR_STATE;
    s->observations++;
    log_server(core, UCB_REF_OP_OBSERVE, ssid);
    return 0;
}

const struct ucb_ref_server *ucb_ref_core_server(const struct ucb_ref_core *core, uint16_t ssid)
{
    size_t i = srv_index(core, ssid);

    return i < UCB_REF_MAX_SERVERS ? &core->servers[i] : NULL;
}

int ucb_ref_core_get(const struct ucb_ref_core *core, uint16_t oid, uint16_t iid,
                     const uint8_t **out_tlv, size_t *out_len)
{
    size_t i = inst_index(core, oid, iid);
    const struct ucb_ref_instance *in;

    if (i == UCB_REF_MAX_INSTANCES)
        return UCB_ERR_NOT_PRESENT;
    in = &core->inst[i];
    if (out_tlv != NULL)
        *out_tlv = in->tlv;
    if (out_len != NULL)
        *out_len = in->len;
    return 0;
}

size_t ucb_ref_core_count(const struct ucb_ref_core *core)
{
    size_t n = 0;

    for (size_t i = 0; i < UCB_REF_MAX_INSTANCES; i++)
        n += core->inst[i].used ? 1u : 0u;
    return n;
}

int ucb_ref_core_nth(const struct ucb_ref_core *core, size_t n, uint16_t *out_oid,
                     uint16_t *out_iid, const uint8_t **out_tlv, size_t *out_len)
{
    const struct ucb_ref_instance *best = NULL;
    uint32_t last = 0; /* (oid << 16 | iid) of the next one is >= last */

    for (size_t k = 0; k <= n; k++) {
        best = NULL;
        for (size_t i = 0; i < UCB_REF_MAX_INSTANCES; i++) {
            const struct ucb_ref_instance *in = &core->inst[i];
            uint32_t key = ((uint32_t)in->oid << 16) | in->iid;
            if (in->used && key >= last &&
                (best == NULL || key < (((uint32_t)best->oid << 16) | best->iid)))
                best = in;
        }
        if (best == NULL)
            return UCB_ERR_NOT_PRESENT;
        last = (((uint32_t)best->oid << 16) | best->iid) + 1u;
    }
    if (out_oid != NULL)
        *out_oid = best->oid;
    if (out_iid != NULL)
        *out_iid = best->iid;
    if (out_tlv != NULL)
        *out_tlv = best->tlv;
    if (out_len != NULL)
        *out_len = best->len;
    return 0;
}

int ucb_ref_core_bs_write(struct ucb_ref_core *core, uint16_t oid, uint16_t iid,
                          const uint8_t *tlv, size_t len)
{
    struct ucb_ref_instance *in = inst_find(core, oid, iid);
    int rc = check_payload(core, oid, iid, tlv, len, in);

    if (rc < 0)
        return rc;
    if (in == NULL)
        in = inst_free_slot(core);
    if (in == NULL)
        return UCB_ERR_CAPACITY;
    store(core, in, oid, iid, tlv, len);
    log_add(core, UCB_REF_OP_BS_WRITE, oid, iid, inst_ssid(in));
    return 0;
}

int ucb_ref_core_dm_write_int(struct ucb_ref_core *core, uint16_t oid, uint16_t iid,
                              uint16_t rid, int64_t value)
{
    struct ucb_ref_instance *in = inst_find(core, oid, iid);
    uint8_t buf[UCB_REF_MAX_TLV];
    struct ucb_tlv_writer w;
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    int n;

    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    if (oid == 0 || (oid == 1 && rid == 0) || (oid == 2 && rid <= 1))
        return UCB_ERR_ADAPTER; /* no Server may write these */
    ucb_tlv_writer_init(&w, buf, sizeof buf);
    ucb_tlv_cursor_init(&c, in->tlv, in->len, 0, RES_ALLOWED);
    while (ucb_tlv_next(&c, &t) == 1)
        if (t.id != rid)
            (void)ucb_tlv_put_bytes(&w, in->tlv + t.offset, t.value_offset + t.len - t.offset);
    (void)ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, rid, value);
    n = ucb_tlv_writer_finish(&w);
    if (n < 0)
        return UCB_ERR_TOO_LARGE;
    in->len = (uint16_t)n;
    memcpy(in->tlv, buf, (size_t)n);
    log_add(core, UCB_REF_OP_DM_WRITE, oid, iid, inst_ssid(in));
    return 0;
}

void ucb_ref_core_foreign_reads(struct ucb_ref_core *core, bool on)
{
    core->foreign_reads = on;
}

/* LwM2M Bootstrap-Delete keeps the Bootstrap-Server Account and the Device object. */
static bool bs_protected(const struct ucb_ref_instance *in)
{
    struct ucb_tlv t;
    bool bs = false;

    if (in->oid == 3)
        return true;
    if (in->oid != 0 || ucb_tlv_find(in->tlv, in->len, RES_ALLOWED, 1, &t) != 1)
        return false;
    return t.kind == UCB_TLV_RESOURCE && ucb_tlv_get_bool(&t, &bs) == 0 && bs;
}

int ucb_ref_core_bs_delete(struct ucb_ref_core *core, uint16_t oid, uint16_t iid)
{
    int n = 0;

    if (oid != ANY && iid != ANY) {
        struct ucb_ref_instance *in = inst_find(core, oid, iid);
        if (in == NULL)
            return UCB_ERR_NOT_PRESENT;
        if (bs_protected(in))
            return UCB_ERR_ADAPTER;
    }
    for (size_t i = 0; i < UCB_REF_MAX_INSTANCES; i++) {
        struct ucb_ref_instance *in = &core->inst[i];
        uint16_t ssid;
        if (!in->used || (oid != ANY && in->oid != oid) || (iid != ANY && in->iid != iid) ||
            bs_protected(in))
            continue;
        ssid = inst_ssid(in);
        log_add(core, UCB_REF_OP_BS_DELETE, in->oid, in->iid, ssid);
        memset(in, 0, sizeof(*in));
        n++;
    }
    return n;
}

size_t ucb_ref_core_log_count(const struct ucb_ref_core *core)
{
    return core->log_total < UCB_REF_LOG_MAX ? core->log_total : UCB_REF_LOG_MAX;
}

size_t ucb_ref_core_log_total(const struct ucb_ref_core *core)
{
    return core->log_total;
}

const struct ucb_ref_log_entry *ucb_ref_core_log_at(const struct ucb_ref_core *core, size_t i)
{
    size_t count = ucb_ref_core_log_count(core);

    if (i >= count)
        return NULL;
    return &core->log[(core->log_total - count + i) % UCB_REF_LOG_MAX];
}

void ucb_ref_core_log_clear(struct ucb_ref_core *core)
{
    core->log_total = 0;
}

const char *ucb_ref_op_name(int op)
{
    switch (op) {
    case UCB_REF_OP_CREATE: return "create";
    case UCB_REF_OP_DELETE: return "delete";
    case UCB_REF_OP_DISABLE: return "disable";
    case UCB_REF_OP_ENABLE: return "enable";
    case UCB_REF_OP_DEREGISTER: return "deregister";
    case UCB_REF_OP_CANCEL_OBSERVATIONS: return "cancel_observations";
    case UCB_REF_OP_ACL_SET: return "acl_set";
    case UCB_REF_OP_REGISTER: return "register";
    case UCB_REF_OP_OBSERVE: return "observe";
    case UCB_REF_OP_BS_WRITE: return "bs_write";
    case UCB_REF_OP_BS_DELETE: return "bs_delete";
    case UCB_REF_OP_DM_WRITE: return "dm_write";
    default: return "?";
    }
}
