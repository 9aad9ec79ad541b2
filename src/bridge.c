/*
 * The bridge: change detection, diff, transactional apply and removal
 * order (LwM2M Core 5.2.3.2 / 6.1.3.2 "Bootstrap from Smartcard"; seed CR
 * 003 D.2.2 for the unbootstrap order; CR 004: no half-applied
 * configuration). Decisions are documented in bridge.h.
 */
#include "uiccboot/bridge.h"

#include <stdint.h>
#include <string.h>

#include "uiccboot/err.h"
#include "uiccboot/tlv.h"
#include "uiccboot/validate.h"

#include "pkcs15_int.h" /* ucb_sha256_ctx */

#define NONE16 0xFFFFu
#define SSID_BOOTSTRAP 0u
#define OWNER_BOOTSTRAP_ONLY 65535u /* Access Control Owner MAX_ID: bootstrap only */

/* Undo log kinds. */
enum { UNDO_CREATED = 1, UNDO_DELETED, UNDO_DISABLED, UNDO_ENABLED, UNDO_ACL, UNDO_CASCADED };

/* One instance of the new card file, as the diff sees it. */
struct newinst {
    const uint8_t *tlv;
    size_t len;
    uint16_t oid, card_iid, ssid, iid;
    uint8_t hash[8];
    uint8_t state;
};
enum { NEW_ADD = 0, NEW_KEEP, NEW_REFUSED };

static void emit(struct ucb_bridge *b, enum ucb_bridge_event_kind kind, int err, unsigned nerr)
{
    if (b->cfg.event == NULL) return;
    struct ucb_bridge_event ev = {kind, err, nerr, NULL, &b->info};
    b->cfg.event(b->cfg.event_ctx, &ev);
}

static void act_full(struct ucb_bridge *b, enum ucb_bridge_op op, uint16_t oid, uint16_t iid,
                     uint16_t ssid, uint16_t card_iid, enum ucb_bridge_op skipped, bool implied)
{
    if (b->cfg.event == NULL) return;
    struct ucb_bridge_action a = {op, oid, iid, ssid, card_iid, skipped, b->undoing, implied};
    struct ucb_bridge_event ev = {UCB_BRIDGE_EV_ACTION, 0, 0, &a, &b->info};
    b->cfg.event(b->cfg.event_ctx, &ev);
}

static void act(struct ucb_bridge *b, enum ucb_bridge_op op, uint16_t oid, uint16_t iid,
                uint16_t ssid, uint16_t card_iid, enum ucb_bridge_op skipped)
{
    act_full(b, op, oid, iid, ssid, card_iid, skipped, false);
}

/* A step not taken: the core cannot do it, or (implied) did it as part of another. */
static void act_skip(struct ucb_bridge *b, uint16_t oid, uint16_t ssid, enum ucb_bridge_op op,
                     bool implied)
{
    act_full(b, UCB_BRIDGE_SKIP, oid, NONE16, ssid, NONE16, op, implied);
}

static const struct ucb_adapter_ops *ops(const struct ucb_bridge *b)
{
    return b->cfg.adapter.ops;
}

static uint32_t caps(struct ucb_bridge *b)
{
    return ops(b)->caps(b->cfg.adapter.ctx);
}

static bool is_account_oid(uint16_t oid)
{
    return oid == UCB_OID_SECURITY || oid == UCB_OID_SERVER;
}

static bool owned(const struct ucb_prov_rec *r)
{
    return (r->flags & UCB_PROV_DISOWNED) == 0;
}

static void hash8(const uint8_t *p, size_t n, uint8_t out[8])
{
    uint8_t h[32];
    ucb_sha256(p, n, h);
    memcpy(out, h, 8);
}

/*
 * Identity resources: the ones of an instance that no server but the
 * Bootstrap-Server can write (LwM2M Core E.1-E.3: a Server has no access
 * to the Security object; Short Server ID and the Access Control target
 * are read-only for it). A change to one of them means the instance was
 * replaced out of band; a Device Management server writing the Lifetime
 * of a card Server instance, or the ACL of a card Access Control instance
 * it owns, does not take the instance away from the card. Other objects
 * have no identity resources: there only a Delete, or a Bootstrap-Server
 * operation reported with ucb_bridge_notify(), ends the card's ownership.
 */
static size_t ident_set(uint16_t oid, const uint16_t **out)
{
    static const uint16_t sec[] = {0, 1, 2, 3, 4, 5, 10}; /* URI, bootstrap, mode, keys, SSID */
    static const uint16_t srv[] = {0};                    /* Short Server ID */
    static const uint16_t acl[] = {0, 1};                 /* target object and instance */
    switch (oid) {
    case UCB_OID_SECURITY: *out = sec; return sizeof sec / sizeof sec[0];
    case UCB_OID_SERVER: *out = srv; return sizeof srv / sizeof srv[0];
    case UCB_OID_ACCESS_CONTROL: *out = acl; return sizeof acl / sizeof acl[0];
    default: *out = NULL; return 0;
    }
}

/*
 * Hash of the identity resources of an instance, by value: an Integer is
 * hashed as its value whatever width it was encoded in, so a core that
 * stores and gives back resources in its own way still matches. For the
 * card's instance (@p card) *mask receives which were present; for a
 * read-back *mask says which must be, and one missing or undecodable gives
 * UCB_ERR_TYPE.
 */
static int ident_hash(uint16_t oid, const uint8_t *tlv, size_t len, bool card, uint8_t *mask,
                      uint8_t out[8])
{
    const uint16_t *set;
    size_t n = ident_set(oid, &set);
    struct ucb_sha256_ctx c;
    uint8_t h[32];
    if (card) *mask = 0;
    ucb_sha256_init(&c);
    for (size_t k = 0; k < n; k++) {
        struct ucb_tlv t;
        int f = ucb_tlv_find(tlv, len,
                             UCB_TLV_ALLOW(UCB_TLV_RESOURCE) |
                                 UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE),
                             set[k], &t);
        if (f == 1 && t.kind != UCB_TLV_RESOURCE) f = UCB_ERR_TYPE;
        if (card && f == 1) *mask |= (uint8_t)(1u << k);
        if ((*mask & (1u << k)) == 0) continue;
        if (f != 1) return UCB_ERR_TYPE;
        const struct ucb_res_info *ri = ucb_res_info_find(oid, set[k]);
        uint8_t v[8];
        const uint8_t *p = t.value;
        size_t vl = t.len;
        int64_t i = 0;
        uint64_t u = 0;
        bool bo = false;
        int rc = 0;
        switch (ri != NULL ? ri->type : UCB_TYPE_OPAQUE) {
        case UCB_TYPE_INTEGER:
        case UCB_TYPE_TIME: rc = ucb_tlv_get_int(&t, &i); u = (uint64_t)i; break;
        case UCB_TYPE_UNSIGNED: rc = ucb_tlv_get_uint(&t, &u); break;
        case UCB_TYPE_BOOLEAN: rc = ucb_tlv_get_bool(&t, &bo); u = bo ? 1u : 0u; break;
        default: vl = SIZE_MAX; break;
        }
        if (rc < 0) return UCB_ERR_TYPE;
        if (vl != SIZE_MAX) {
            for (int j = 0; j < 8; j++)
                v[j] = (uint8_t)(u >> (56 - 8 * j));
            p = v;
            vl = 8;
        } else {
            vl = t.len;
        }
        uint8_t hdr[4] = {(uint8_t)(set[k] >> 8), (uint8_t)set[k], (uint8_t)(vl >> 8),
                          (uint8_t)vl};
        ucb_sha256_update(&c, hdr, sizeof hdr);
        ucb_sha256_update(&c, p, vl);
    }
    ucb_sha256_final(&c, h);
    memcpy(out, h, 8);
    return 0;
}

/* Run the core's end-of-batch hook, if it has one. */
static int commit(struct ucb_bridge *b)
{
    return ops(b)->commit != NULL ? ops(b)->commit(b->cfg.adapter.ctx) : 0;
}

static int log_undo(struct ucb_bridge *b, uint8_t kind, uint16_t oid, uint16_t iid, uint16_t ssid,
                    uint32_t off, uint32_t len)
{
    if (b->n_undo >= UCB_BRIDGE_UNDO_MAX) return UCB_ERR_CAPACITY;
    b->undo[b->n_undo].kind = kind;
    b->undo[b->n_undo].oid = oid;
    b->undo[b->n_undo].iid = iid;
    b->undo[b->n_undo].ssid = ssid;
    b->undo[b->n_undo].off = off;
    b->undo[b->n_undo].len = len;
    b->n_undo++;
    return 0;
}

/* Does /oid/iid exist in the core? read() into the free undo space: a too
 * small buffer still proves existence. */
static int exists(struct ucb_bridge *b, uint16_t oid, uint16_t iid)
{
    size_t room = b->cfg.undo_cap - b->undo_used;
    int rc = ops(b)->read(b->cfg.adapter.ctx, oid, iid, b->cfg.undo_buf + b->undo_used, room);
    if (rc >= 0 || rc == UCB_ERR_BUFFER) return 1;
    if (rc == UCB_ERR_NOT_PRESENT) return 0;
    return rc;
}

/* ---- undo ---- */

static int rollback(struct ucb_bridge *b)
{
    void *ctx = b->cfg.adapter.ctx;
    int first = 0;
    b->undoing = true;
    while (b->n_undo > 0) {
        b->n_undo--;
        const uint8_t kind = b->undo[b->n_undo].kind;
        const uint16_t oid = b->undo[b->n_undo].oid, iid = b->undo[b->n_undo].iid;
        const uint16_t ssid = b->undo[b->n_undo].ssid;
        const uint8_t *data = b->cfg.undo_buf + b->undo[b->n_undo].off;
        const uint32_t len = b->undo[b->n_undo].len;
        int rc = 0;
        switch (kind) {
        case UNDO_CREATED:
            rc = ops(b)->remove(ctx, oid, iid);
            if (rc == 0) act(b, UCB_BRIDGE_DELETE, oid, iid, ssid, NONE16, UCB_BRIDGE_DELETE);
            break;
        case UNDO_CASCADED: /* gone with its target, at once or at commit(): if gone */
        case UNDO_DELETED:
            rc = kind == UNDO_CASCADED ? exists(b, oid, iid) : 0;
            if (rc == 0) {
                rc = ops(b)->create(ctx, oid, iid, data, len);
                if (rc == 0) act(b, UCB_BRIDGE_CREATE, oid, iid, ssid, iid, UCB_BRIDGE_CREATE);
            } else if (rc > 0) {
                rc = 0; /* still there: the core had not removed it yet */
            }
            break;
        case UNDO_DISABLED:
            rc = ops(b)->enable_server(ctx, ssid);
            if (rc == 0) act(b, UCB_BRIDGE_ENABLE, NONE16, NONE16, ssid, NONE16, UCB_BRIDGE_ENABLE);
            break;
        case UNDO_ENABLED:
            rc = ops(b)->disable_server(ctx, ssid);
            if (rc == 0)
                act(b, UCB_BRIDGE_DISABLE, NONE16, NONE16, ssid, NONE16, UCB_BRIDGE_DISABLE);
            break;
        case UNDO_ACL: {
            struct ucb_acl_entry e[UCB_ACL_MAX];
            size_t n = len / 4u;
            for (size_t i = 0; i < n; i++) {
                e[i].ssid = (uint16_t)(data[4 * i] | (data[4 * i + 1] << 8));
                e[i].rights = (uint16_t)(data[4 * i + 2] | (data[4 * i + 3] << 8));
            }
            rc = ops(b)->acl_set(ctx, iid, e, n, ssid);
            if (rc == 0)
                act(b, UCB_BRIDGE_ACL_CHANGE, UCB_OID_ACCESS_CONTROL, iid, ssid, NONE16,
                    UCB_BRIDGE_ACL_CHANGE);
            break;
        }
        default:
            break;
        }
        if (rc < 0 && first == 0) first = rc;
    }
    b->undoing = false;
    b->undo_used = 0;
    return first;
}

/* ---- removal helpers ---- */

/* Target (resources 0 and 1) of an Access Control instance's TLVs: 0 or an error. */
static int acl_target(const uint8_t *tlv, size_t len, uint16_t *oid, uint16_t *iid)
{
    uint16_t o, i;
    if (ucb_tlv_find_u16(tlv, len, 0, &o) != 1 || ucb_tlv_find_u16(tlv, len, 1, &i) != 1)
        return UCB_ERR_TYPE;
    *oid = o;
    *iid = i;
    return 0;
}

/*
 * UCB_CAP_CASCADE_ACL: the core removes the Access Control instances that
 * target /oid/iid together with it. Save them in the undo log first, so a
 * rollback (and restore_cascaded()) can create them again.
 */
static int cascade_save(struct ucb_bridge *b, uint16_t oid, uint16_t iid)
{
    void *ctx = b->cfg.adapter.ctx;
    uint16_t ids[UCB_PROV_MAX * 2u];
    int n = ops(b)->list(ctx, UCB_OID_ACCESS_CONTROL, ids, sizeof ids / sizeof ids[0]);
    if (n < 0) return n;
    if ((size_t)n > sizeof ids / sizeof ids[0]) return UCB_ERR_CAPACITY;
    for (int k = 0; k < n; k++) {
        uint32_t off = b->undo_used;
        int len = ops(b)->read(ctx, UCB_OID_ACCESS_CONTROL, ids[k], b->cfg.undo_buf + off,
                               b->cfg.undo_cap - off);
        if (len == UCB_ERR_NOT_PRESENT) continue;
        if (len < 0) return len;
        uint16_t to, ti;
        if (acl_target(b->cfg.undo_buf + off, (size_t)len, &to, &ti) < 0 || to != oid ||
            ti != iid)
            continue;
        int rc = log_undo(b, UNDO_CASCADED, UCB_OID_ACCESS_CONTROL, ids[k], NONE16, off,
                          (uint32_t)len);
        if (rc < 0) return rc;
        b->undo_used += (uint32_t)len;
        act_full(b, UCB_BRIDGE_DELETE, UCB_OID_ACCESS_CONTROL, ids[k], NONE16, NONE16,
                 UCB_BRIDGE_DELETE, true);
    }
    return 0;
}

/* Was /oid/iid saved by cascade_save() in this apply? */
static bool cascaded(const struct ucb_bridge *b, uint16_t oid, uint16_t iid)
{
    for (size_t i = 0; i < b->n_undo; i++)
        if (b->undo[i].kind == UNDO_CASCADED && b->undo[i].oid == oid && b->undo[i].iid == iid)
            return true;
    return false;
}

/*
 * Delete the card instance of @p r, after reading it back: absent or not
 * what the card wrote (changed out of band) → DISOWN, left alone.
 */
static int delete_rec(struct ucb_bridge *b, const struct ucb_prov_rec *r)
{
    void *ctx = b->cfg.adapter.ctx;
    uint32_t off = b->undo_used;
    int n = ops(b)->read(ctx, r->oid, r->iid, b->cfg.undo_buf + off, b->cfg.undo_cap - off);
    /* gone with its target (UCB_CAP_CASCADE_ACL): already reported */
    if (n == UCB_ERR_NOT_PRESENT && cascaded(b, r->oid, r->iid)) return 0;
    if (n == UCB_ERR_NOT_PRESENT) {
        act(b, UCB_BRIDGE_DISOWN, r->oid, r->iid, r->ssid, r->card_iid, UCB_BRIDGE_DISOWN);
        return 0;
    }
    if (n < 0) return n;
    uint8_t h[8], mask = r->ident_mask;
    if (ident_hash(r->oid, b->cfg.undo_buf + off, (size_t)n, false, &mask, h) < 0 ||
        memcmp(h, r->ident, 8) != 0) {
        act(b, UCB_BRIDGE_DISOWN, r->oid, r->iid, r->ssid, r->card_iid, UCB_BRIDGE_DISOWN);
        return 0;
    }
    b->undo_used += (uint32_t)n;
    int rc = 0;
    if ((caps(b) & UCB_CAP_CASCADE_ACL) != 0 && r->oid != UCB_OID_ACCESS_CONTROL)
        rc = cascade_save(b, r->oid, r->iid);
    if (rc < 0) return rc;
    rc = ops(b)->remove(ctx, r->oid, r->iid);
    if (rc < 0) return rc;
    rc = log_undo(b, UNDO_DELETED, r->oid, r->iid, r->ssid, off, (uint32_t)n);
    act(b, UCB_BRIDGE_DELETE, r->oid, r->iid, r->ssid, r->card_iid, UCB_BRIDGE_DELETE);
    return rc;
}

static unsigned wd_score(uint16_t rights)
{
    return ((rights & 2u) ? 1u : 0u) + ((rights & 8u) ? 1u : 0u); /* Write 1, Delete 1 */
}

/* CR 003: remove @p ssid's entries from every remaining Access Control
 * instance and pass on the ownership it held. */
static int acl_cleanup(struct ucb_bridge *b, uint16_t ssid)
{
    void *ctx = b->cfg.adapter.ctx;
    if ((caps(b) & UCB_CAP_IMPLIED_ACL) != 0 || (caps(b) & UCB_CAP_ACL) == 0 ||
        ops(b)->acl_get == NULL || ops(b)->acl_set == NULL) {
        act_skip(b, UCB_OID_ACCESS_CONTROL, ssid, UCB_BRIDGE_ACL_CHANGE,
                 (caps(b) & UCB_CAP_IMPLIED_ACL) != 0);
        return 0;
    }
    uint16_t ids[UCB_PROV_MAX * 2u];
    int n = ops(b)->list(ctx, UCB_OID_ACCESS_CONTROL, ids, sizeof ids / sizeof ids[0]);
    if (n < 0) return n;
    if ((size_t)n > sizeof ids / sizeof ids[0]) n = (int)(sizeof ids / sizeof ids[0]);
    for (int k = 0; k < n; k++) {
        struct ucb_acl_entry e[UCB_ACL_MAX], ne[UCB_ACL_MAX];
        uint16_t toid, tiid, owner;
        int ne_in = ops(b)->acl_get(ctx, ids[k], &toid, &tiid, e, UCB_ACL_MAX, &owner);
        if (ne_in < 0) return ne_in;
        size_t cnt = (size_t)ne_in > UCB_ACL_MAX ? UCB_ACL_MAX : (size_t)ne_in;
        size_t m = 0;
        bool hit = owner == ssid;
        for (size_t i = 0; i < cnt; i++) {
            if (e[i].ssid == ssid) hit = true;
            else ne[m++] = e[i];
        }
        if (!hit) continue;
        uint16_t nowner = owner;
        if (owner == ssid) {
            unsigned best = 0;
            nowner = OWNER_BOOTSTRAP_ONLY;
            for (size_t i = 0; i < m; i++) {
                if (ne[i].ssid == 0) continue; /* default entry: not a server */
                unsigned s = wd_score(ne[i].rights);
                if (s > best || (s == best && s > 0 && ne[i].ssid < nowner)) {
                    best = s;
                    nowner = ne[i].ssid;
                }
            }
        }
        uint32_t off = b->undo_used;
        if (b->cfg.undo_cap - off < cnt * 4u) return UCB_ERR_BUFFER;
        for (size_t i = 0; i < cnt; i++) {
            b->cfg.undo_buf[off + 4 * i] = (uint8_t)e[i].ssid;
            b->cfg.undo_buf[off + 4 * i + 1] = (uint8_t)(e[i].ssid >> 8);
            b->cfg.undo_buf[off + 4 * i + 2] = (uint8_t)e[i].rights;
            b->cfg.undo_buf[off + 4 * i + 3] = (uint8_t)(e[i].rights >> 8);
        }
        int rc = ops(b)->acl_set(ctx, ids[k], ne, m, nowner);
        if (rc < 0) return rc;
        b->undo_used += (uint32_t)(cnt * 4u);
        rc = log_undo(b, UNDO_ACL, UCB_OID_ACCESS_CONTROL, ids[k], owner, off,
                      (uint32_t)(cnt * 4u));
        if (rc < 0) return rc;
        act(b, UCB_BRIDGE_ACL_CHANGE, UCB_OID_ACCESS_CONTROL, ids[k], ssid, NONE16,
            UCB_BRIDGE_ACL_CHANGE);
    }
    return 0;
}

/* An optional per-server step: skip explicitly without the capability;
 * NOT_PRESENT (nothing to do for that server) is not a failure. */
static int server_step(struct ucb_bridge *b, enum ucb_bridge_op op, uint32_t cap,
                       int (*fn)(void *, uint16_t), uint16_t ssid, bool implied)
{
    if (implied || (caps(b) & cap) == 0 || fn == NULL) {
        act_skip(b, NONE16, ssid, op, implied);
        return 0;
    }
    int rc = fn(b->cfg.adapter.ctx, ssid);
    if (rc == UCB_ERR_NOT_PRESENT) return 0;
    if (rc < 0) return rc;
    act(b, op, NONE16, NONE16, ssid, NONE16, op);
    return 0;
}

/* ---- the diff ---- */

static bool same_unit(uint16_t oid_a, uint16_t ssid_a, uint16_t ciid_a, uint16_t oid_b,
                      uint16_t ssid_b, uint16_t ciid_b)
{
    if (is_account_oid(oid_a) || is_account_oid(oid_b))
        return is_account_oid(oid_a) && is_account_oid(oid_b) && ssid_a == ssid_b;
    return oid_a == oid_b && ciid_a == ciid_b;
}

/* Is the unit of new instance @p k unchanged against the old record? */
static bool unit_unchanged(const struct ucb_provenance *p, const struct newinst *nw, size_t nn,
                           size_t k)
{
    size_t n_old = 0, n_new = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct ucb_prov_rec *r = &p->rec[i];
        if (!same_unit(r->oid, r->ssid, r->card_iid, nw[k].oid, nw[k].ssid, nw[k].card_iid))
            continue;
        if (!owned(r)) return false; /* a member was taken out of band: apply anew */
        n_old++;
    }
    for (size_t j = 0; j < nn; j++) {
        if (!same_unit(nw[j].oid, nw[j].ssid, nw[j].card_iid, nw[k].oid, nw[k].ssid,
                       nw[k].card_iid))
            continue;
        n_new++;
        bool found = false;
        for (size_t i = 0; i < p->n && !found; i++) {
            const struct ucb_prov_rec *r = &p->rec[i];
            found = r->oid == nw[j].oid && r->card_iid == nw[j].card_iid &&
                    r->ssid == nw[j].ssid && memcmp(r->hash, nw[j].hash, 8) == 0;
        }
        if (!found) return false;
    }
    return n_old == n_new;
}

/* Fill @p nw from the decoded model. @return count or an error. */
static int collect(struct ucb_bridge *b, struct newinst *nw)
{
    const struct ucb_bootstrap *bs = &b->bs;
    size_t nn = 0;
    for (size_t i = 0; i < bs->ninst; i++) {
        const struct ucb_bs_inst *in = &bs->inst[i];
        struct newinst *x = &nw[nn];
        memset(x, 0, sizeof *x);
        x->oid = bs->obj[in->object].oid;
        x->card_iid = in->iid;
        x->ssid = NONE16;
        if (in->offset >= bs->file_len) return UCB_ERR_MALFORMED;
        struct ucb_tlv_cursor c;
        struct ucb_tlv t;
        ucb_tlv_cursor_init(&c, b->cfg.file_buf + in->offset, bs->file_len - in->offset, 0,
                            UCB_TLV_ALLOW(UCB_TLV_OBJECT_INSTANCE));
        if (ucb_tlv_next(&c, &t) != 1) return UCB_ERR_MALFORMED;
        x->tlv = t.value;
        x->len = t.len;
        hash8(x->tlv, x->len, x->hash);
        if (x->oid == UCB_OID_SECURITY) {
            struct ucb_security s;
            (void)ucb_bs_security(bs, i, &s, NULL);
            x->ssid = s.bootstrap ? SSID_BOOTSTRAP : (uint16_t)s.ssid;
        } else if (x->oid == UCB_OID_SERVER) {
            struct ucb_server s;
            (void)ucb_bs_server(bs, i, &s, NULL);
            x->ssid = (uint16_t)s.ssid;
        }
        nn++;
    }
    return (int)nn;
}

/* Lowest instance ID of @p oid that is free in the core and wanted by no card instance. */
static int free_iid(struct ucb_bridge *b, uint16_t oid, const struct newinst *nw, size_t nn)
{
    for (uint32_t id = 0; id < 65535u; id++) {
        bool wanted = false;
        for (size_t j = 0; j < nn && !wanted; j++)
            wanted = nw[j].oid == oid && nw[j].card_iid == id && nw[j].state != NEW_REFUSED;
        if (wanted) continue;
        int e = exists(b, oid, (uint16_t)id);
        if (e < 0) return e;
        if (e == 0) return (int)id;
    }
    return UCB_ERR_CAPACITY;
}

static int create_inst(struct ucb_bridge *b, struct newinst *nw, size_t nn, size_t k)
{
    struct newinst *x = &nw[k];
    int e = exists(b, x->oid, x->card_iid);
    if (e < 0) return e;
    uint16_t iid = x->card_iid;
    if (e == 1) {
        int f = free_iid(b, x->oid, nw, nn);
        if (f < 0) return f;
        iid = (uint16_t)f;
    }
    if (b->next.n >= UCB_PROV_MAX) return UCB_ERR_CAPACITY;
    int rc = ops(b)->create(b->cfg.adapter.ctx, x->oid, iid, x->tlv, x->len);
    if (rc == UCB_ERR_UNSUPPORTED && !is_account_oid(x->oid)) {
        /* the core does not host this object: refuse the instance, apply the rest */
        x->state = NEW_REFUSED;
        act(b, UCB_BRIDGE_REFUSE, x->oid, x->card_iid, NONE16, x->card_iid, UCB_BRIDGE_REFUSE);
        return 0;
    }
    if (rc < 0) return rc;
    rc = log_undo(b, UNDO_CREATED, x->oid, iid, x->ssid, 0, 0);
    x->iid = iid;
    struct ucb_prov_rec *r = &b->next.rec[b->next.n++];
    r->oid = x->oid;
    r->iid = iid;
    r->card_iid = x->card_iid;
    r->ssid = x->ssid;
    r->flags = iid != x->card_iid ? UCB_PROV_REMAPPED : 0;
    memcpy(r->hash, x->hash, 8);
    (void)ident_hash(x->oid, x->tlv, x->len, true, &r->ident_mask, r->ident);
    act(b, UCB_BRIDGE_CREATE, x->oid, iid, x->ssid, x->card_iid, UCB_BRIDGE_CREATE);
    return rc;
}

static bool in_list(const uint16_t *l, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == v) return true;
    return false;
}

/*
 * UCB_CAP_CASCADE_ACL: an Access Control instance that went with a target
 * the apply deleted and created again (an account replaced under the same
 * IDs) is not the apply's to remove. Create it again, unless it is a card
 * instance that goes anyway. The core may not have removed it yet (Anjay
 * does at commit()): then it is left as it is.
 */
static int restore_cascaded(struct ucb_bridge *b, const struct ucb_provenance *p,
                            const bool *going)
{
    const size_t n_undo = b->n_undo;
    for (size_t u = 0; u < n_undo; u++) {
        if (b->undo[u].kind != UNDO_CASCADED) continue;
        const uint16_t iid = b->undo[u].iid;
        bool goes = false;
        for (size_t i = 0; i < p->n && !goes; i++)
            goes = going[i] && p->rec[i].oid == UCB_OID_ACCESS_CONTROL && p->rec[i].iid == iid;
        const uint8_t *data = b->cfg.undo_buf + b->undo[u].off;
        uint16_t to, ti;
        if (goes || acl_target(data, b->undo[u].len, &to, &ti) < 0) continue;
        int e = exists(b, to, ti);
        if (e <= 0) {
            if (e < 0) return e;
            continue; /* its target is gone for good */
        }
        e = exists(b, UCB_OID_ACCESS_CONTROL, iid);
        if (e != 0) {
            if (e < 0) return e;
            continue;
        }
        int rc = ops(b)->create(b->cfg.adapter.ctx, UCB_OID_ACCESS_CONTROL, iid, data,
                                b->undo[u].len);
        if (rc < 0) return rc;
        rc = log_undo(b, UNDO_CREATED, UCB_OID_ACCESS_CONTROL, iid, NONE16, 0, 0);
        if (rc < 0) return rc;
        act(b, UCB_BRIDGE_CREATE, UCB_OID_ACCESS_CONTROL, iid, NONE16, NONE16, UCB_BRIDGE_CREATE);
    }
    return 0;
}

/*
 * Make the core hold the card's share as the model says (@p have_card) or
 * nothing (card gone). All-or-nothing: on failure everything is undone.
 */
static int apply(struct ucb_bridge *b, bool have_card)
{
    static const struct ucb_provenance empty;
    struct newinst nw[UCB_BS_MAX_INSTANCES];
    bool going[UCB_PROV_MAX];
    uint16_t gone_ssid[UCB_PROV_MAX], disabled[UCB_PROV_MAX];
    size_t n_gone = 0, n_dis = 0, nn = 0;
    const struct ucb_provenance *p = &b->prov;
    void *ctx = b->cfg.adapter.ctx;
    int rc = 0;

    b->n_undo = 0;
    b->undo_used = 0;
    b->next = empty;
    if (have_card) {
        int c = collect(b, nw);
        if (c < 0) return c;
        nn = (size_t)c;
        b->next.valid = true;
        memcpy(b->next.iccid, b->info.iccid, sizeof b->next.iccid);
        b->next.iccid_len = b->info.iccid_len;
        memcpy(b->next.fingerprint, b->info.sha256, 32);
    }
    const bool same_card = have_card && p->valid && p->iccid_len == b->info.iccid_len &&
                           memcmp(p->iccid, b->info.iccid, p->iccid_len) == 0;

    /* Plan: which new instances stay, which old records go. */
    for (size_t k = 0; k < nn; k++)
        nw[k].state = (same_card && unit_unchanged(p, nw, nn, k)) ? NEW_KEEP : NEW_ADD;
    for (size_t i = 0; i < p->n; i++) {
        const struct ucb_prov_rec *r = &p->rec[i];
        bool keep = false;
        for (size_t k = 0; k < nn && !keep; k++)
            keep = nw[k].state == NEW_KEEP && nw[k].oid == r->oid &&
                   nw[k].card_iid == r->card_iid;
        going[i] = owned(r) && !keep;
        if (keep) {
            b->next.rec[b->next.n++] = *r;
            for (size_t k = 0; k < nn; k++)
                if (nw[k].oid == r->oid && nw[k].card_iid == r->card_iid) nw[k].iid = r->iid;
            if (r->oid == UCB_OID_SECURITY && r->ssid == SSID_BOOTSTRAP)
                b->next.bs_deadline = p->bs_deadline;
        }
        if (going[i] && is_account_oid(r->oid) && !in_list(gone_ssid, n_gone, r->ssid))
            gone_ssid[n_gone++] = r->ssid;
    }
    /* SSID used by a server the card did not create: refuse that account. */
    for (size_t k = 0; k < nn; k++) {
        if (nw[k].state != NEW_ADD || nw[k].oid != UCB_OID_SERVER) continue;
        uint16_t siid = 0;
        int f = ops(b)->find_server(ctx, nw[k].ssid, &siid);
        if (f < 0) return f;
        bool ours = false;
        for (size_t i = 0; i < p->n && !ours; i++)
            ours = going[i] && p->rec[i].oid == UCB_OID_SERVER &&
                   (siid == UCB_IID_UNKNOWN ? p->rec[i].ssid == nw[k].ssid
                                            : p->rec[i].iid == siid);
        if (f == 1 && !ours) {
            for (size_t j = 0; j < nn; j++)
                if (is_account_oid(nw[j].oid) && nw[j].ssid == nw[k].ssid)
                    nw[j].state = NEW_REFUSED;
            act(b, UCB_BRIDGE_REFUSE, UCB_OID_SERVER, siid, nw[k].ssid, nw[k].card_iid,
                UCB_BRIDGE_REFUSE);
        }
    }

    /* 1. Take every departing server out of use first. */
    for (size_t i = 0; i < p->n; i++) {
        const struct ucb_prov_rec *r = &p->rec[i];
        if (!going[i] || r->oid != UCB_OID_SERVER || in_list(disabled, n_dis, r->ssid)) continue;
        if ((caps(b) & UCB_CAP_DISABLE) == 0 || ops(b)->disable_server == NULL) {
            act_skip(b, NONE16, r->ssid, UCB_BRIDGE_DISABLE, false);
            continue;
        }
        rc = ops(b)->disable_server(ctx, r->ssid);
        if (rc == UCB_ERR_NOT_PRESENT) continue;
        if (rc < 0) goto fail;
        disabled[n_dis++] = r->ssid;
        rc = log_undo(b, UNDO_DISABLED, NONE16, NONE16, r->ssid, 0, 0);
        if (rc < 0) goto fail;
        act(b, UCB_BRIDGE_DISABLE, NONE16, NONE16, r->ssid, NONE16, UCB_BRIDGE_DISABLE);
    }
    /* 2. CR 003: instances that go with the servers, then their Access Control instances. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < p->n; i++) {
            const struct ucb_prov_rec *r = &p->rec[i];
            if (!going[i] || is_account_oid(r->oid)) continue;
            if ((pass == 0) == (r->oid == UCB_OID_ACCESS_CONTROL)) continue;
            rc = delete_rec(b, r);
            if (rc < 0) goto fail;
        }
    /* 3. Per departing account: ACL entries and ownership, observations,
     * Server instance, Security instance, de-registration. */
    for (size_t g = 0; g < n_gone; g++) {
        const uint16_t ssid = gone_ssid[g];
        bool had_server = false;
        /* An account that is only replaced (same SSID, new content) keeps
         * its place in the Access Control instances: CR 003 is for a
         * server that goes away. */
        bool returns = false;
        for (size_t k = 0; k < nn && !returns; k++)
            returns = nw[k].state == NEW_ADD && is_account_oid(nw[k].oid) && nw[k].ssid == ssid;
        if (ssid != SSID_BOOTSTRAP) {
            rc = returns ? 0 : acl_cleanup(b, ssid);
            if (rc < 0) goto fail;
            rc = server_step(b, UCB_BRIDGE_CANCEL_OBSERVATIONS, UCB_CAP_OBSERVATIONS,
                             ops(b)->cancel_observations, ssid,
                             (caps(b) & UCB_CAP_IMPLIED_CANCEL) != 0);
            if (rc < 0) goto fail;
        }
        for (uint16_t oid = UCB_OID_SERVER + 1u; oid-- > 0;)
            for (size_t i = 0; i < p->n; i++) {
                const struct ucb_prov_rec *r = &p->rec[i];
                if (!going[i] || r->oid != oid || r->ssid != ssid) continue;
                if (oid == UCB_OID_SERVER) had_server = true;
                rc = delete_rec(b, r);
                if (rc < 0) goto fail;
            }
        if (had_server) {
            rc = server_step(b, UCB_BRIDGE_DEREGISTER, UCB_CAP_DEREGISTER, ops(b)->deregister,
                             ssid,
                             (caps(b) & UCB_CAP_IMPLIED_DEREGISTER) != 0 &&
                                 in_list(disabled, n_dis, ssid));
            if (rc < 0) goto fail;
        }
    }
    /* 4. Create: other objects, accounts (Security before Server), then the
     * Access Control instances, whose targets then have their final IDs. */
    for (int pass = 0; pass < 3; pass++)
        for (size_t k = 0; k < nn; k++) {
            struct newinst *x = &nw[k];
            if (x->state != NEW_ADD) continue;
            int want = x->oid == UCB_OID_ACCESS_CONTROL ? 2 : is_account_oid(x->oid) ? 1 : 0;
            if (want != pass) continue;
            if (pass == 2) {
                /* The target of a card Access Control instance that was
                 * remapped or refused: the ACL would land on an instance the
                 * card did not create. Refuse it (see bridge.h). */
                struct ucb_acl acl;
                (void)ucb_bs_acl(&b->bs, k, &acl, NULL);
                bool bad = false;
                for (size_t j = 0; j < nn && !bad; j++)
                    bad = nw[j].oid == acl.target_oid && nw[j].card_iid == acl.target_iid &&
                          (nw[j].state == NEW_REFUSED || nw[j].iid != nw[j].card_iid);
                if (bad) {
                    x->state = NEW_REFUSED;
                    act(b, UCB_BRIDGE_REFUSE, x->oid, x->card_iid, NONE16, x->card_iid,
                        UCB_BRIDGE_REFUSE);
                    continue;
                }
            }
            if (pass == 1) {
                if (x->oid != UCB_OID_SECURITY) continue;
                /* The account: its Security, then its Server. */
                if (x->ssid != SSID_BOOTSTRAP) {
                    uint16_t siid = 0;
                    int f = ops(b)->find_server(ctx, x->ssid, &siid);
                    if (f < 0) {
                        rc = f;
                        goto fail;
                    }
                    if (f == 1) { /* appeared meanwhile (a disowned Server instance) */
                        for (size_t j = 0; j < nn; j++)
                            if (is_account_oid(nw[j].oid) && nw[j].ssid == x->ssid)
                                nw[j].state = NEW_REFUSED;
                        act(b, UCB_BRIDGE_REFUSE, UCB_OID_SERVER, siid, x->ssid, x->card_iid,
                            UCB_BRIDGE_REFUSE);
                        continue;
                    }
                }
                rc = create_inst(b, nw, nn, k);
                if (rc < 0) goto fail;
                for (size_t j = 0; j < nn; j++) {
                    if (nw[j].oid != UCB_OID_SERVER || nw[j].ssid != x->ssid ||
                        nw[j].state != NEW_ADD)
                        continue;
                    rc = create_inst(b, nw, nn, j);
                    if (rc < 0) goto fail;
                    if (in_list(disabled, n_dis, x->ssid)) {
                        rc = ops(b)->enable_server(ctx, x->ssid);
                        if (rc < 0) goto fail;
                        rc = log_undo(b, UNDO_ENABLED, NONE16, NONE16, x->ssid, 0, 0);
                        if (rc < 0) goto fail;
                        act(b, UCB_BRIDGE_ENABLE, NONE16, NONE16, x->ssid, NONE16,
                            UCB_BRIDGE_ENABLE);
                    }
                }
                continue;
            }
            rc = create_inst(b, nw, nn, k);
            if (rc < 0) goto fail;
        }
    rc = restore_cascaded(b, p, going);
    if (rc < 0) goto fail;
    rc = commit(b);
    if (rc < 0) goto fail;
    rc = b->cfg.store.ops->save(b->cfg.store.ctx, &b->next);
    if (rc < 0) goto fail;
    b->prov = b->next;
    b->n_undo = 0;
    b->undo_used = 0;
    return 0;

fail:
    (void)rollback(b);
    (void)commit(b);
    emit(b, UCB_BRIDGE_EV_APPLY_FAILED, rc, 0);
    return rc;
}

/* ---- bootstrap account timer ---- */

static const struct ucb_prov_rec *bs_rec(const struct ucb_provenance *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->rec[i].oid == UCB_OID_SECURITY && p->rec[i].ssid == SSID_BOOTSTRAP &&
            owned(&p->rec[i]))
            return &p->rec[i];
    return NULL;
}

/* After a read: the card bootstrap account's timeout to start (bs has the model). */
static void note_bs_timeout(struct ucb_bridge *b)
{
    const struct ucb_prov_rec *r = bs_rec(&b->prov);
    b->bs_timeout = 0;
    if (r == NULL || b->prov.bs_deadline != 0) return;
    for (size_t i = 0; i < b->bs.ninst; i++) {
        if (b->bs.obj[b->bs.inst[i].object].oid != UCB_OID_SECURITY ||
            b->bs.inst[i].iid != r->card_iid)
            continue;
        struct ucb_security s;
        (void)ucb_bs_security(&b->bs, i, &s, NULL);
        if ((s.present & (1u << 12)) && s.bs_timeout > 0)
            b->bs_timeout = s.bs_timeout > 0x7FFFFFFF ? 0x7FFFFFFFu : (uint32_t)s.bs_timeout;
    }
}

/* ---- checks ---- */

static bool card_gone(int err)
{
    return err == UCB_ERR_CARD_REMOVED || err == UCB_ERR_CARD_NOT_FOUND ||
           err == UCB_ERR_CARD_NO_DATA;
}

static int remove_share(struct ucb_bridge *b)
{
    if (!b->prov.valid && b->prov.n == 0) return 0;
    int rc = apply(b, false);
    if (rc == 0) emit(b, UCB_BRIDGE_EV_REMOVED, 0, 0);
    b->bs_timeout = 0;
    return rc;
}

static int check(struct ucb_bridge *b, bool force)
{
    /* A kept read: on an unchanged card only the file's READ BINARYs and
     * one probe go out (card.h, ucb_card_read_kept). */
    int n = ucb_card_read_kept(b->cfg.apdu, b->cfg.reader, &b->keep, b->cfg.file_buf,
                               b->cfg.file_cap, &b->info);
    if (n < 0) {
        if (card_gone(n)) return remove_share(b);
        emit(b, UCB_BRIDGE_EV_READ_FAILED, n, 0);
        return n;
    }
    const struct ucb_provenance *p = &b->prov;
    const bool same_iccid = p->valid && p->iccid_len == b->info.iccid_len &&
                            memcmp(p->iccid, b->info.iccid, p->iccid_len) == 0;
    if (!force && same_iccid && memcmp(p->fingerprint, b->info.sha256, 32) == 0) {
        emit(b, UCB_BRIDGE_EV_UNCHANGED, 0, 0);
        if (bs_rec(p) != NULL && p->bs_deadline == 0 &&
            ucb_bs_decode(&b->bs, b->cfg.file_buf, (size_t)n, NULL) == 0)
            note_bs_timeout(b);
        return 0;
    }
    struct ucb_validate_result vr;
    int nerr = ucb_validate_file(b->cfg.file_buf, (size_t)n, &b->bs, NULL, NULL, &vr);
    if (nerr != 0) {
        emit(b, UCB_BRIDGE_EV_INVALID, nerr < 0 ? nerr : UCB_ERR_INVALID, vr.errors);
        return UCB_ERR_INVALID;
    }
    int rc = apply(b, true);
    if (rc < 0) return rc;
    emit(b, same_iccid ? UCB_BRIDGE_EV_CHANGED : UCB_BRIDGE_EV_INSERTED, 0, 0);
    note_bs_timeout(b);
    return 0;
}

/* ---- public ---- */

void ucb_bridge_init(struct ucb_bridge *b, const struct ucb_bridge_config *cfg)
{
    memset(b, 0, sizeof *b);
    if (cfg != NULL) b->cfg = *cfg;
    ucb_card_keep_init(&b->keep);
}

void ucb_bridge_deinit(struct ucb_bridge *b)
{
    if (b == NULL) return;
    ucb_card_keep_close(b->cfg.apdu, b->cfg.reader, &b->keep, true);
}

static bool configured(const struct ucb_bridge *b)
{
    const struct ucb_adapter_ops *o = b->cfg.adapter.ops;
    return b->cfg.apdu != NULL && b->cfg.store.ops != NULL && b->cfg.store.ops->load != NULL &&
           b->cfg.store.ops->save != NULL && o != NULL && o->caps != NULL && o->list != NULL &&
           o->create != NULL && o->remove != NULL && o->read != NULL && o->find_server != NULL &&
           b->cfg.file_buf != NULL && b->cfg.undo_buf != NULL;
}

bool ucb_bridge_owns_ssid(const struct ucb_bridge *b, uint16_t ssid)
{
    if (b == NULL || !b->prov.valid) return false;
    for (size_t i = 0; i < b->prov.n; i++) {
        const struct ucb_prov_rec *r = &b->prov.rec[i];
        if (is_account_oid(r->oid) && r->ssid == ssid && owned(r)) return true;
    }
    return false;
}

int ucb_bridge_start(struct ucb_bridge *b, enum ucb_bridge_next *out_next)
{
    static const struct ucb_provenance empty;
    if (out_next != NULL) *out_next = UCB_BRIDGE_NEXT_FACTORY_BOOTSTRAP;
    if (b == NULL || out_next == NULL || !configured(b)) return UCB_ERR_ARG;
    if (b->cfg.store.ops->load(b->cfg.store.ctx, &b->prov) < 0 || b->prov.n > UCB_PROV_MAX)
        b->prov = empty; /* unreadable record: treated as nothing applied */
    b->started = true;

    /* A core without persistence lost every card instance: apply afresh. */
    bool force = false;
    if (b->prov.n > 0) {
        bool any = false;
        for (size_t i = 0; i < b->prov.n && !any; i++) {
            int e = exists(b, b->prov.rec[i].oid, b->prov.rec[i].iid);
            if (e < 0) return e;
            any = e == 1;
        }
        if (!any) {
            b->prov.n = 0;
            force = true;
        }
    }
    int rc = check(b, force);

    bool server = false;
    for (size_t i = 0; i < b->prov.n; i++)
        if (b->prov.rec[i].oid == UCB_OID_SERVER && owned(&b->prov.rec[i])) server = true;
    if (b->prov.valid && server) *out_next = UCB_BRIDGE_NEXT_REGISTER;
    else if (b->prov.valid && bs_rec(&b->prov) != NULL)
        *out_next = UCB_BRIDGE_NEXT_CLIENT_BOOTSTRAP;
    return rc;
}

static int before(struct ucb_bridge *b, uint16_t ssid)
{
    if (b == NULL || !b->started) return UCB_ERR_STATE;
    if (!ucb_bridge_owns_ssid(b, ssid)) return 0; /* not from the card: no APDU */
    int rc = check(b, false);
    if (rc < 0) return rc;
    return ucb_bridge_owns_ssid(b, ssid) ? 0 : UCB_ERR_NOT_PRESENT;
}

int ucb_bridge_before_register(struct ucb_bridge *b, uint16_t ssid)
{
    return before(b, ssid);
}

int ucb_bridge_before_update(struct ucb_bridge *b, uint16_t ssid)
{
    return before(b, ssid);
}

int ucb_bridge_card_event(struct ucb_bridge *b, bool present)
{
    if (b == NULL || !b->started) return UCB_ERR_STATE;
    /* Whatever the event, what was kept on the card is gone with it. */
    ucb_card_keep_close(b->cfg.apdu, b->cfg.reader, &b->keep, false);
    if (!present) {
        memset(&b->info, 0, sizeof b->info);
        return remove_share(b);
    }
    return check(b, false);
}

int ucb_bridge_tick(struct ucb_bridge *b, uint32_t now_s)
{
    if (b == NULL || !b->started) return UCB_ERR_STATE;
    const struct ucb_prov_rec *r = bs_rec(&b->prov);
    if (r == NULL) return 0;
    if (b->prov.bs_deadline == 0) {
        if (b->bs_timeout == 0) return 0;
        b->next = b->prov;
        uint32_t d = now_s + b->bs_timeout;
        if (d < now_s) d = 0xFFFFFFFFu;
        b->next.bs_deadline = d == 0 ? 1u : d;
        int rc = b->cfg.store.ops->save(b->cfg.store.ctx, &b->next);
        if (rc < 0) return rc;
        b->prov = b->next;
        b->bs_timeout = 0;
        return 0;
    }
    if (now_s < b->prov.bs_deadline) return 0;
    /* Expired: delete the bootstrap account, transactionally. */
    b->n_undo = 0;
    b->undo_used = 0;
    b->next = b->prov;
    int rc = delete_rec(b, r);
    if (rc == 0) rc = commit(b);
    if (rc == 0) {
        size_t j = 0;
        for (size_t i = 0; i < b->next.n; i++)
            if (&b->prov.rec[i] != r) b->next.rec[j++] = b->prov.rec[i];
        b->next.n = (uint16_t)j;
        b->next.bs_deadline = 0;
        rc = b->cfg.store.ops->save(b->cfg.store.ctx, &b->next);
    }
    if (rc < 0) {
        (void)rollback(b);
        (void)commit(b);
        emit(b, UCB_BRIDGE_EV_APPLY_FAILED, rc, 0);
        return rc;
    }
    b->prov = b->next;
    b->n_undo = 0;
    b->undo_used = 0;
    emit(b, UCB_BRIDGE_EV_BS_EXPIRED, 0, 0);
    return 0;
}

int ucb_bridge_notify(struct ucb_bridge *b, uint16_t oid, uint16_t iid, bool deleted)
{
    (void)deleted; /* a Write and a Delete both end the card's ownership */
    if (b == NULL || !b->started) return UCB_ERR_STATE;
    for (size_t i = 0; i < b->prov.n; i++) {
        struct ucb_prov_rec *r = &b->prov.rec[i];
        if (r->oid != oid || r->iid != iid || !owned(r)) continue;
        b->next = b->prov;
        b->next.rec[i].flags |= UCB_PROV_DISOWNED;
        int rc = b->cfg.store.ops->save(b->cfg.store.ctx, &b->next);
        if (rc < 0) return rc;
        b->prov = b->next;
        act(b, UCB_BRIDGE_DISOWN, oid, iid, r->ssid, r->card_iid, UCB_BRIDGE_DISOWN);
        return 1;
    }
    return 0;
}
