/*
 * The Anjay adapter (adapter_anjay.h): objects 0, 1, 2 and others of its
 * own, registered with Anjay, every instance kept as its resource TLVs in
 * a fixed slot of `struct ucb_anjay`.
 *
 * Two faces on one store: the adapter operations of adapter.h (called by
 * the bridge) and Anjay's data model handlers (called by Anjay from
 * anjay_sched_run()). Only the handlers see Anjay's encodings; both edit
 * the same slots through the TLV helpers below.
 */
#include <anjay/anjay.h>

#include <stddef.h>
#include <string.h>

/* After the Anjay and avs_commons headers, which declare malloc: from here on
 * a call to an allocator or to printf does not build (src/ucb_poison.h). */
#include "../../ucb_poison.h"

#include "uiccboot/adapter_anjay.h"
#include "uiccboot/bootstrap.h"
#include "uiccboot/bridge.h"
#include "uiccboot/err.h"
#include "uiccboot/tlv.h"

#define RES_ALLOWED (UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE))
#define RI_ALLOWED UCB_TLV_ALLOW(UCB_TLV_RESOURCE_INSTANCE)
#define OID_SECURITY 0u
#define OID_SERVER 1u
#define OID_ACL 2u
#define NO_ID 0xFFFFu

_Static_assert(UCB_ANJAY_MAX_TLV <= 0xFFFFu, "instance length is kept in 16 bits");
_Static_assert(3u + UCB_ANJAY_MAX_OBJECTS <= 32u, "touched is a 32-bit mask");

/* A wipe the compiler cannot drop as a dead store: keys live in these slots. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;

    while (n-- > 0)
        *v++ = 0;
}

/* ---- store ---------------------------------------------------------- */

/* The object of @p obj_ptr: Anjay hands back &obj->def_ptr (first member). */
static struct ucb_anjay_object *obj_of(const anjay_dm_object_def_t *const *obj_ptr)
{
    uintptr_t p = (uintptr_t)obj_ptr - offsetof(struct ucb_anjay_object, def_ptr);

    return (struct ucb_anjay_object *)p;
}

/* Index of object @p oid in a->obj, or -1 when the adapter does not host it. */
static int obj_index(const struct ucb_anjay *a, uint16_t oid)
{
    for (size_t i = 0; i < a->n_obj; i++)
        if (a->obj[i].def.oid == oid)
            return (int)i;
    return -1;
}

static void touch(struct ucb_anjay *a, uint16_t oid)
{
    int i = obj_index(a, oid);

    if (i >= 0)
        a->touched |= 1u << (unsigned)i;
}

static struct ucb_anjay_instance *inst_find(struct ucb_anjay *a, uint16_t oid, uint16_t iid)
{
    for (size_t i = 0; i < UCB_ANJAY_MAX_INSTANCES; i++) {
        struct ucb_anjay_instance *in = &a->inst[i];
        if (in->used && in->oid == oid && in->iid == iid)
            return in;
    }
    return NULL;
}

static struct ucb_anjay_instance *inst_free_slot(struct ucb_anjay *a)
{
    for (size_t i = 0; i < UCB_ANJAY_MAX_INSTANCES; i++)
        if (!a->inst[i].used)
            return &a->inst[i];
    return NULL;
}

/* The instance ID of object @p oid that follows @p after (NO_ID + 1 = from the start), or NO_ID. */
static uint32_t next_iid(const struct ucb_anjay *a, uint16_t oid, uint32_t after)
{
    uint32_t best = NO_ID;

    for (size_t i = 0; i < UCB_ANJAY_MAX_INSTANCES; i++) {
        const struct ucb_anjay_instance *in = &a->inst[i];
        if (in->used && in->oid == oid && (after > NO_ID || in->iid > after) && in->iid < best)
            best = in->iid;
    }
    return best;
}

static void inst_drop(struct ucb_anjay_instance *in)
{
    wipe(in, sizeof(*in));
}

/* ---- TLV helpers ---------------------------------------------------- */

/* The Short Server ID of a Server instance, or 0 when it has none (yet). */
static uint16_t server_ssid(const struct ucb_anjay_instance *in)
{
    uint16_t ssid = 0;

    if (ucb_tlv_find_u16(in->tlv, in->len, 0, &ssid) != 1)
        return 0;
    return ssid;
}

static struct ucb_anjay_instance *server_inst(struct ucb_anjay *a, uint16_t ssid)
{
    for (size_t i = 0; i < UCB_ANJAY_MAX_INSTANCES; i++) {
        struct ucb_anjay_instance *in = &a->inst[i];
        if (in->used && in->oid == OID_SERVER && ssid != 0 && server_ssid(in) == ssid)
            return in;
    }
    return NULL;
}

/* The resource (or resource instance) ID following @p after among the elements of @p buf. */
static int next_elem(const uint8_t *buf, size_t len, unsigned allowed, uint32_t after,
                     struct ucb_tlv *out)
{
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    int found = 0;

    ucb_tlv_cursor_init(&c, buf, len, 0, allowed);
    while (ucb_tlv_next(&c, &t) == 1) {
        if ((after <= NO_ID && t.id <= after) || (found && t.id >= out->id))
            continue;
        *out = t;
        found = 1;
    }
    return found;
}

/*
 * Replace top-level element @p rid of @p in by the encoded element @p elem
 * (NULL: remove it). The element goes last; readers never rely on order.
 * @return 0 or UCB_ERR_TOO_LARGE (the instance is then unchanged).
 */
static int inst_put(struct ucb_anjay_instance *in, uint16_t rid, const uint8_t *elem, size_t elen)
{
    uint8_t tmp[UCB_ANJAY_MAX_TLV];
    struct ucb_tlv_writer w;
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    int n;

    ucb_tlv_writer_init(&w, tmp, sizeof(tmp));
    ucb_tlv_cursor_init(&c, in->tlv, in->len, 0, RES_ALLOWED);
    while (ucb_tlv_next(&c, &t) == 1)
        if (t.id != rid)
            (void)ucb_tlv_put_bytes(&w, in->tlv + t.offset, t.value_offset + t.len - t.offset);
    if (elem != NULL)
        (void)ucb_tlv_put_bytes(&w, elem, elen);
    n = ucb_tlv_writer_finish(&w);
    if (n >= 0) {
        wipe(in->tlv, sizeof(in->tlv));
        memcpy(in->tlv, tmp, (size_t)n);
        in->len = (uint16_t)n;
    }
    wipe(tmp, sizeof(tmp));
    return n < 0 ? UCB_ERR_TOO_LARGE : 0;
}

/*
 * Replace resource instance @p riid of Multiple Resource @p rid by the
 * encoded Resource Instance @p ri (NULL: remove it; an absent resource
 * becomes present). @return 0 or UCB_ERR_TOO_LARGE.
 */
static int inst_put_ri(struct ucb_anjay_instance *in, uint16_t rid, uint16_t riid,
                       const uint8_t *ri, size_t rlen)
{
    uint8_t tmp[UCB_ANJAY_MAX_TLV];
    struct ucb_tlv_writer w, m;
    struct ucb_tlv res, t;
    struct ucb_tlv_cursor c;
    int rc, n;

    memset(&res, 0, sizeof(res));
    rc = ucb_tlv_find(in->tlv, in->len, RES_ALLOWED, rid, &res);
    if (rc != 1 || res.kind != UCB_TLV_MULTIPLE_RESOURCE)
        res.len = 0;
    /* Measure the new value, then write header and value. */
    for (int pass = 0; pass < 2; pass++) {
        struct ucb_tlv_writer *o = pass == 0 ? &m : &w;
        if (pass == 0) {
            ucb_tlv_writer_init(&m, NULL, 0);
        } else {
            ucb_tlv_writer_init(&w, tmp, sizeof(tmp));
            (void)ucb_tlv_put_header(&w, UCB_TLV_MULTIPLE_RESOURCE, rid, m.pos);
        }
        ucb_tlv_cursor_init(&c, res.value, res.len, 0, RI_ALLOWED);
        while (ucb_tlv_next(&c, &t) == 1)
            if (t.id != riid)
                (void)ucb_tlv_put_bytes(o, res.value + t.offset,
                                        t.value_offset + t.len - t.offset);
        if (ri != NULL)
            (void)ucb_tlv_put_bytes(o, ri, rlen);
    }
    n = ucb_tlv_writer_finish(&w);
    rc = n < 0 ? UCB_ERR_TOO_LARGE : inst_put(in, rid, tmp, (size_t)n);
    wipe(tmp, sizeof(tmp));
    return rc;
}

/* ---- resource knowledge --------------------------------------------- */

/* enum ucb_type of /oid/x/rid: the registry for 0-2, else the application's answer. */
static uint8_t res_type(const struct ucb_anjay *a, uint16_t oid, uint16_t rid)
{
    if (oid <= OID_ACL) {
        const struct ucb_res_info *ri = ucb_res_info_find(oid, rid);
        return ri != NULL ? ri->type : (uint8_t)UCB_TYPE_OPAQUE;
    }
    return a->cfg.res_type != NULL ? a->cfg.res_type(oid, rid) : (uint8_t)UCB_TYPE_OPAQUE;
}

/*
 * What a Device Management server may do with /oid/x/rid (Anjay checks it;
 * a Bootstrap-Server may write anything). Security: read-only, as in
 * Anjay's module (Anjay refuses servers /0 altogether). Server: as LwM2M
 * Core E.2. Access Control: ACL and owner writable (E.3). Other objects:
 * read-only, so only a Bootstrap-Server changes what the card wrote.
 */
static anjay_dm_resource_kind_t res_kind(uint16_t oid, uint16_t rid, bool multiple)
{
    const struct ucb_res_info *ri = oid <= OID_ACL ? ucb_res_info_find(oid, rid) : NULL;
    bool writable = false;

    if (ri != NULL && ri->type == UCB_TYPE_NONE)
        return ANJAY_DM_RES_E;
    if (ri != NULL)
        multiple = ri->multiple;
    if (oid == OID_SERVER && ri != NULL)
        writable = rid != 0 && rid != 11 && rid != 12 && rid != 16;
    else if (oid == OID_ACL)
        writable = rid == 2 || rid == 3;
    if (multiple)
        return writable ? ANJAY_DM_RES_RWM : ANJAY_DM_RES_RM;
    return writable ? ANJAY_DM_RES_RW : ANJAY_DM_RES_R;
}

/* The value of @p t has the type @p type (LwM2M Core Appendix C). @return 0 or UCB_ERR_TYPE. */
static int check_value(uint8_t type, const struct ucb_tlv *t)
{
    const char *s;
    size_t n;
    int64_t i;
    uint64_t u;
    double d;
    bool b;
    uint16_t o, k;

    switch (type) {
    case UCB_TYPE_STRING:
        /* Anjay takes strings NUL-terminated: a NUL inside would cut it. */
        if (ucb_tlv_get_string(t, &s, &n) < 0 || memchr(s, 0, n) != NULL)
            return UCB_ERR_TYPE;
        return 0;
    case UCB_TYPE_INTEGER:
    case UCB_TYPE_TIME: return ucb_tlv_get_int(t, &i) < 0 ? UCB_ERR_TYPE : 0;
    case UCB_TYPE_UNSIGNED: return ucb_tlv_get_uint(t, &u) < 0 ? UCB_ERR_TYPE : 0;
    case UCB_TYPE_FLOAT: return ucb_tlv_get_float(t, &d) < 0 ? UCB_ERR_TYPE : 0;
    case UCB_TYPE_BOOLEAN: return ucb_tlv_get_bool(t, &b) < 0 ? UCB_ERR_TYPE : 0;
    case UCB_TYPE_OBJLNK: return ucb_tlv_get_objlnk(t, &o, &k) < 0 ? UCB_ERR_TYPE : 0;
    case UCB_TYPE_NONE: return t->len == 0 ? 0 : UCB_ERR_TYPE;
    default: return 0;
    }
}

/* Every resource of a known object has its registry type and multiplicity. */
static int check_types(const struct ucb_anjay *a, uint16_t oid, const uint8_t *tlv, size_t len)
{
    struct ucb_tlv_cursor c, rc_;
    struct ucb_tlv t, ri;
    int rc;

    ucb_tlv_cursor_init(&c, tlv, len, 0, RES_ALLOWED);
    while ((rc = ucb_tlv_next(&c, &t)) == 1) {
        const struct ucb_res_info *info = oid <= OID_ACL ? ucb_res_info_find(oid, t.id) : NULL;
        uint8_t type = res_type(a, oid, t.id);
        if (info != NULL && info->multiple != (t.kind == UCB_TLV_MULTIPLE_RESOURCE))
            return UCB_ERR_TYPE;
        if (t.kind != UCB_TLV_MULTIPLE_RESOURCE) {
            if (check_value(type, &t) < 0)
                return UCB_ERR_TYPE;
            continue;
        }
        ucb_tlv_cursor_init(&rc_, t.value, t.len, 0, RI_ALLOWED);
        while (ucb_tlv_next(&rc_, &ri) == 1)
            if (check_value(type, &ri) < 0)
                return UCB_ERR_TYPE;
    }
    return rc;
}

/* ---- disable state per SSID ----------------------------------------- */

static struct ucb_anjay_server *srv_find(struct ucb_anjay *a, uint16_t ssid)
{
    for (size_t i = 0; i < UCB_ANJAY_MAX_SERVERS; i++)
        if (ssid != 0 && a->srv[i].ssid == ssid)
            return &a->srv[i];
    return NULL;
}

static struct ucb_anjay_server *srv_get(struct ucb_anjay *a, uint16_t ssid)
{
    struct ucb_anjay_server *s = srv_find(a, ssid);

    for (size_t i = 0; s == NULL && i < UCB_ANJAY_MAX_SERVERS; i++)
        if (a->srv[i].ssid == 0) {
            s = &a->srv[i];
            memset(s, 0, sizeof(*s));
            s->ssid = ssid;
        }
    return s;
}

/* Ask Anjay for a disable it has not taken yet (it refuses servers it has not loaded). */
static void srv_issue(struct ucb_anjay *a, struct ucb_anjay_server *s)
{
    if (s->disabled && !s->issued)
        s->issued = anjay_disable_server_with_timeout(a->anjay, s->ssid,
                                                      AVS_TIME_DURATION_INVALID) == 0;
}

/*
 * Back in use. anjay_enable_server() refuses a server that is still active,
 * i.e. whose disable job has not run yet (anjay_activate.c): re-scheduling
 * that disable with a zero timeout makes Anjay enable it again right after
 * (adapter.h: a rollback's enable wins). A server Anjay no longer knows
 * needs nothing: it is loaded enabled.
 */
static void srv_enable(struct ucb_anjay *a, struct ucb_anjay_server *s)
{
    if (s->issued && anjay_enable_server(a->anjay, s->ssid) != 0)
        (void)anjay_disable_server_with_timeout(a->anjay, s->ssid, AVS_TIME_DURATION_ZERO);
    memset(s, 0, sizeof(*s));
}

/* Issue what Anjay can now take; forget SSIDs left without a Server instance. */
static void srv_sync(struct ucb_anjay *a)
{
    for (size_t i = 0; i < UCB_ANJAY_MAX_SERVERS; i++) {
        struct ucb_anjay_server *s = &a->srv[i];
        if (s->ssid == 0)
            continue;
        if (server_inst(a, s->ssid) == NULL)
            memset(s, 0, sizeof(*s));
        else
            srv_issue(a, s);
    }
}

/* ---- out-of-band changes -------------------------------------------- */

/* A Bootstrap-Server changed an instance of another object (they are read-only to servers). */
static void pending_push(struct ucb_anjay *a, uint16_t oid, uint16_t iid, bool deleted)
{
    if (oid <= OID_ACL)
        return; /* the bridge recognises these by their identity resources */
    if (a->n_pending == UCB_ANJAY_MAX_PENDING) {
        memmove(&a->pending[0], &a->pending[1],
                sizeof(a->pending[0]) * (UCB_ANJAY_MAX_PENDING - 1u));
        a->n_pending--;
        a->pending_lost = true;
    }
    a->pending[a->n_pending].oid = oid;
    a->pending[a->n_pending].iid = iid;
    a->pending[a->n_pending].deleted = deleted;
    a->n_pending++;
}

/* ---- Anjay data model handlers -------------------------------------- */

static struct ucb_anjay_instance *dm_inst(const anjay_dm_object_def_t *const *obj_ptr,
                                          anjay_iid_t iid)
{
    struct ucb_anjay_object *o = obj_of(obj_ptr);

    return inst_find(o->owner, o->def.oid, iid);
}

static int dm_list_instances(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                             anjay_dm_list_ctx_t *ctx)
{
    struct ucb_anjay_object *o = obj_of(obj_ptr);
    uint32_t iid = NO_ID + 1u;

    (void)anjay;
    while ((iid = next_iid(o->owner, o->def.oid, iid)) != NO_ID)
        anjay_dm_emit(ctx, (uint16_t)iid);
    return 0;
}

static int dm_instance_create(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                              anjay_iid_t iid)
{
    struct ucb_anjay_object *o = obj_of(obj_ptr);
    struct ucb_anjay_instance *in = inst_free_slot(o->owner);

    (void)anjay;
    if (in == NULL)
        return ANJAY_ERR_INTERNAL;
    memset(in, 0, sizeof(*in));
    in->used = true;
    in->oid = o->def.oid;
    in->iid = iid;
    pending_push(o->owner, o->def.oid, iid, false);
    return 0;
}

static int dm_instance_remove(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                              anjay_iid_t iid)
{
    struct ucb_anjay_object *o = obj_of(obj_ptr);
    struct ucb_anjay_instance *in = inst_find(o->owner, o->def.oid, iid);

    (void)anjay;
    if (in == NULL)
        return ANJAY_ERR_NOT_FOUND;
    inst_drop(in);
    pending_push(o->owner, o->def.oid, iid, true);
    return 0;
}

/*
 * Write-Replace of an instance: drop what a server may write and keep the
 * rest (a Server's SSID, an Access Control target). Security and other
 * objects are written only by a Bootstrap-Server, which replaces it all.
 */
static int dm_instance_reset(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                             anjay_iid_t iid)
{
    struct ucb_anjay_instance *in = dm_inst(obj_ptr, iid);
    uint8_t tmp[UCB_ANJAY_MAX_TLV];
    struct ucb_tlv_writer w;
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    int n;

    (void)anjay;
    if (in == NULL)
        return ANJAY_ERR_NOT_FOUND;
    ucb_tlv_writer_init(&w, tmp, sizeof(tmp));
    ucb_tlv_cursor_init(&c, in->tlv, in->len, 0, RES_ALLOWED);
    while (ucb_tlv_next(&c, &t) == 1) {
        anjay_dm_resource_kind_t k = res_kind(in->oid, t.id, t.kind == UCB_TLV_MULTIPLE_RESOURCE);
        if ((in->oid == OID_SERVER || in->oid == OID_ACL) && k != ANJAY_DM_RES_RW &&
            k != ANJAY_DM_RES_RWM)
            (void)ucb_tlv_put_bytes(&w, in->tlv + t.offset, t.value_offset + t.len - t.offset);
    }
    n = ucb_tlv_writer_finish(&w); /* a subset: it fits */
    wipe(in->tlv, sizeof(in->tlv));
    if (n > 0)
        memcpy(in->tlv, tmp, (size_t)n);
    in->len = (uint16_t)(n > 0 ? n : 0);
    wipe(tmp, sizeof(tmp));
    pending_push(obj_of(obj_ptr)->owner, in->oid, iid, false);
    return 0;
}

static int dm_list_resources(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                             anjay_iid_t iid, anjay_dm_resource_list_ctx_t *ctx)
{
    struct ucb_anjay_instance *in = dm_inst(obj_ptr, iid);
    uint32_t rid = 0, after = NO_ID + 1u;
    struct ucb_tlv t;

    (void)anjay;
    if (in == NULL)
        return ANJAY_ERR_NOT_FOUND;
    /* Objects 0-2: every resource of the registry, present or not (Anjay
     * checks that Access Control has its four), executables always present. */
    if (in->oid <= OID_ACL) {
        for (; ucb_res_info_find(in->oid, (uint16_t)rid) != NULL; rid++) {
            anjay_dm_resource_kind_t k = res_kind(in->oid, (uint16_t)rid, false);
            bool present = k == ANJAY_DM_RES_E ||
                           ucb_tlv_find(in->tlv, in->len, RES_ALLOWED, (uint16_t)rid, &t) == 1;
            anjay_dm_emit_res(ctx, (anjay_rid_t)rid, k,
                              present ? ANJAY_DM_RES_PRESENT : ANJAY_DM_RES_ABSENT);
        }
        after = rid - 1u;
    }
    while (next_elem(in->tlv, in->len, RES_ALLOWED, after, &t) == 1) {
        anjay_dm_emit_res(ctx, t.id, res_kind(in->oid, t.id, t.kind == UCB_TLV_MULTIPLE_RESOURCE),
                          ANJAY_DM_RES_PRESENT);
        after = t.id;
    }
    return 0;
}

/* One value to Anjay, in the type of its resource. */
static int ret_value(anjay_output_ctx_t *ctx, uint8_t type, const struct ucb_tlv *t)
{
    char s[UCB_ANJAY_MAX_TLV + 1u];
    int64_t i;
    uint64_t u;
    double d;
    bool b;
    uint16_t o, k;

    switch (type) {
    case UCB_TYPE_STRING:
        if (t->len > UCB_ANJAY_MAX_TLV)
            return ANJAY_ERR_INTERNAL;
        memcpy(s, t->value, t->len);
        s[t->len] = '\0';
        return anjay_ret_string(ctx, s);
    case UCB_TYPE_INTEGER:
    case UCB_TYPE_TIME:
        return ucb_tlv_get_int(t, &i) < 0 ? ANJAY_ERR_INTERNAL : anjay_ret_i64(ctx, i);
    case UCB_TYPE_UNSIGNED:
        return ucb_tlv_get_uint(t, &u) < 0 ? ANJAY_ERR_INTERNAL : anjay_ret_u64(ctx, u);
    case UCB_TYPE_FLOAT:
        return ucb_tlv_get_float(t, &d) < 0 ? ANJAY_ERR_INTERNAL : anjay_ret_double(ctx, d);
    case UCB_TYPE_BOOLEAN:
        return ucb_tlv_get_bool(t, &b) < 0 ? ANJAY_ERR_INTERNAL : anjay_ret_bool(ctx, b);
    case UCB_TYPE_OBJLNK:
        return ucb_tlv_get_objlnk(t, &o, &k) < 0 ? ANJAY_ERR_INTERNAL
                                                 : anjay_ret_objlnk(ctx, o, k);
    case UCB_TYPE_NONE:
        return ANJAY_ERR_METHOD_NOT_ALLOWED;
    default:
        return anjay_ret_bytes(ctx, t->value, t->len);
    }
}

static int dm_resource_read(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                            anjay_iid_t iid, anjay_rid_t rid, anjay_riid_t riid,
                            anjay_output_ctx_t *ctx)
{
    struct ucb_anjay_instance *in = dm_inst(obj_ptr, iid);
    struct ucb_tlv t, ri;
    bool multiple;

    (void)anjay;
    if (in == NULL || ucb_tlv_find(in->tlv, in->len, RES_ALLOWED, rid, &t) != 1)
        return ANJAY_ERR_NOT_FOUND;
    multiple = t.kind == UCB_TLV_MULTIPLE_RESOURCE;
    if (multiple != (riid != ANJAY_ID_INVALID))
        return ANJAY_ERR_METHOD_NOT_ALLOWED;
    if (multiple) {
        if (ucb_tlv_find(t.value, t.len, RI_ALLOWED, riid, &ri) != 1)
            return ANJAY_ERR_NOT_FOUND;
        t = ri;
    }
    return ret_value(ctx, res_type(obj_of(obj_ptr)->owner, in->oid, rid), &t);
}

static int dm_list_resource_instances(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                                      anjay_iid_t iid, anjay_rid_t rid, anjay_dm_list_ctx_t *ctx)
{
    struct ucb_anjay_instance *in = dm_inst(obj_ptr, iid);
    uint32_t after = NO_ID + 1u;
    struct ucb_tlv t, ri;

    (void)anjay;
    if (in == NULL)
        return ANJAY_ERR_NOT_FOUND;
    if (ucb_tlv_find(in->tlv, in->len, RES_ALLOWED, rid, &t) != 1 ||
        t.kind != UCB_TLV_MULTIPLE_RESOURCE)
        return 0;
    while (next_elem(t.value, t.len, RI_ALLOWED, after, &ri) == 1) {
        anjay_dm_emit(ctx, ri.id);
        after = ri.id;
    }
    return 0;
}

/* Opaque from Anjay, in chunks, into @p buf. @return the length or an ANJAY_ERR_*. */
static int get_opaque(anjay_input_ctx_t *ctx, uint8_t *buf, size_t cap)
{
    size_t off = 0, n = 0;
    bool finished = false;

    while (!finished) {
        if (off == cap)
            return ANJAY_ERR_BAD_REQUEST; /* more than an instance can hold */
        if (anjay_get_bytes(ctx, &n, &finished, buf + off, cap - off) != 0)
            return ANJAY_ERR_BAD_REQUEST;
        off += n;
    }
    return (int)off;
}

/*
 * Encode the value Anjay gives as one TLV element (@p kind, @p id) into
 * @p w, in the type of its resource. @return 0 or an ANJAY_ERR_*.
 */
static int get_value(anjay_input_ctx_t *ctx, uint8_t type, struct ucb_tlv_writer *w,
                     enum ucb_tlv_kind kind, uint16_t id)
{
    uint8_t buf[UCB_ANJAY_MAX_TLV + 1u];
    int64_t i;
    uint64_t u;
    double d;
    bool b;
    anjay_oid_t o;
    anjay_iid_t k;
    int rc;

    switch (type) {
    case UCB_TYPE_STRING:
        rc = anjay_get_string(ctx, (char *)buf, sizeof(buf));
        if (rc == 0)
            rc = ucb_tlv_put_raw(w, kind, id, buf, strlen((const char *)buf));
        break;
    case UCB_TYPE_INTEGER:
    case UCB_TYPE_TIME:
        rc = anjay_get_i64(ctx, &i);
        if (rc == 0)
            rc = ucb_tlv_put_int(w, kind, id, i);
        break;
    case UCB_TYPE_UNSIGNED:
        rc = anjay_get_u64(ctx, &u);
        if (rc == 0)
            rc = ucb_tlv_put_uint(w, kind, id, u);
        break;
    case UCB_TYPE_FLOAT:
        rc = anjay_get_double(ctx, &d);
        if (rc == 0)
            rc = ucb_tlv_put_float(w, kind, id, d);
        break;
    case UCB_TYPE_BOOLEAN:
        rc = anjay_get_bool(ctx, &b);
        if (rc == 0)
            rc = ucb_tlv_put_bool(w, kind, id, b);
        break;
    case UCB_TYPE_OBJLNK:
        rc = anjay_get_objlnk(ctx, &o, &k);
        if (rc == 0)
            rc = ucb_tlv_put_objlnk(w, kind, id, o, k);
        break;
    case UCB_TYPE_NONE:
        return ANJAY_ERR_METHOD_NOT_ALLOWED;
    default:
        rc = get_opaque(ctx, buf, UCB_ANJAY_MAX_TLV);
        if (rc >= 0)
            rc = ucb_tlv_put_raw(w, kind, id, buf, (size_t)rc);
        break;
    }
    wipe(buf, sizeof(buf));
    return rc == 0 ? 0 : ANJAY_ERR_BAD_REQUEST;
}

static int dm_resource_write(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                             anjay_iid_t iid, anjay_rid_t rid, anjay_riid_t riid,
                             anjay_input_ctx_t *ctx)
{
    struct ucb_anjay *a = obj_of(obj_ptr)->owner;
    struct ucb_anjay_instance *in = dm_inst(obj_ptr, iid);
    uint8_t elem[UCB_ANJAY_MAX_TLV];
    struct ucb_tlv_writer w;
    bool single = riid == ANJAY_ID_INVALID;
    int rc, n;

    (void)anjay;
    if (in == NULL)
        return ANJAY_ERR_NOT_FOUND;
    ucb_tlv_writer_init(&w, elem, sizeof(elem));
    rc = get_value(ctx, res_type(a, in->oid, rid), &w,
                   single ? UCB_TLV_RESOURCE : UCB_TLV_RESOURCE_INSTANCE, single ? rid : riid);
    n = ucb_tlv_writer_finish(&w);
    if (rc == 0 && n < 0)
        rc = ANJAY_ERR_BAD_REQUEST;
    if (rc == 0) {
        rc = single ? inst_put(in, rid, elem, (size_t)n)
                    : inst_put_ri(in, rid, riid, elem, (size_t)n);
        rc = rc < 0 ? ANJAY_ERR_BAD_REQUEST : 0;
    }
    if (rc == 0)
        pending_push(a, in->oid, iid, false);
    wipe(elem, sizeof(elem));
    return rc;
}

/* Multiple Resource present with no instances (dm.h: what a reset must leave). */
static int dm_resource_reset(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                             anjay_iid_t iid, anjay_rid_t rid)
{
    struct ucb_anjay_instance *in = dm_inst(obj_ptr, iid);
    uint8_t hdr[4];
    struct ucb_tlv_writer w;
    int n;

    (void)anjay;
    if (in == NULL)
        return ANJAY_ERR_NOT_FOUND;
    ucb_tlv_writer_init(&w, hdr, sizeof(hdr));
    (void)ucb_tlv_put_header(&w, UCB_TLV_MULTIPLE_RESOURCE, rid, 0);
    n = ucb_tlv_writer_finish(&w);
    if (n < 0 || inst_put(in, rid, hdr, (size_t)n) < 0)
        return ANJAY_ERR_INTERNAL;
    pending_push(obj_of(obj_ptr)->owner, in->oid, iid, false);
    return 0;
}

#ifdef ANJAY_WITH_LWM2M12
static int dm_resource_instance_remove(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                                       anjay_iid_t iid, anjay_rid_t rid, anjay_riid_t riid)
{
    struct ucb_anjay_instance *in = dm_inst(obj_ptr, iid);

    (void)anjay;
    if (in == NULL)
        return ANJAY_ERR_NOT_FOUND;
    if (inst_put_ri(in, rid, riid, NULL, 0) < 0)
        return ANJAY_ERR_INTERNAL;
    pending_push(obj_of(obj_ptr)->owner, in->oid, iid, false);
    return 0;
}
#endif

/* Server 4 Disable, 8 Registration Update Trigger, 9 Bootstrap-Request Trigger (LwM2M Core E.2). */
static int dm_resource_execute(anjay_t *anjay, const anjay_dm_object_def_t *const *obj_ptr,
                               anjay_iid_t iid, anjay_rid_t rid, anjay_execute_ctx_t *ctx)
{
    struct ucb_anjay_instance *in = dm_inst(obj_ptr, iid);
    uint16_t ssid;

    (void)ctx;
    if (in == NULL)
        return ANJAY_ERR_NOT_FOUND;
    ssid = in->oid == OID_SERVER ? server_ssid(in) : 0;
    if (ssid == 0)
        return ANJAY_ERR_METHOD_NOT_ALLOWED;
    switch (rid) {
    case 4:
        return anjay_disable_server(anjay, ssid) != 0 ? ANJAY_ERR_INTERNAL : 0;
    case 8:
        return anjay_schedule_registration_update(anjay, ssid) != 0 ? ANJAY_ERR_BAD_REQUEST : 0;
#if defined(ANJAY_WITH_LWM2M11) && defined(ANJAY_WITH_BOOTSTRAP)
    case 9:
        return anjay_schedule_bootstrap_request(anjay) != 0 ? ANJAY_ERR_METHOD_NOT_ALLOWED : 0;
#endif
    default:
        return ANJAY_ERR_METHOD_NOT_ALLOWED;
    }
}

static void def_init(anjay_dm_object_def_t *def, uint16_t oid)
{
    memset(def, 0, sizeof(*def));
    def->oid = oid;
    def->handlers.list_instances = dm_list_instances;
    def->handlers.instance_create = dm_instance_create;
    def->handlers.instance_remove = dm_instance_remove;
    def->handlers.instance_reset = dm_instance_reset;
    def->handlers.list_resources = dm_list_resources;
    def->handlers.resource_read = dm_resource_read;
    def->handlers.resource_write = dm_resource_write;
    def->handlers.resource_execute = dm_resource_execute;
    def->handlers.resource_reset = dm_resource_reset;
    def->handlers.list_resource_instances = dm_list_resource_instances;
    def->handlers.transaction_begin = anjay_dm_transaction_NOOP;
    def->handlers.transaction_validate = anjay_dm_transaction_NOOP;
    def->handlers.transaction_commit = anjay_dm_transaction_NOOP;
    def->handlers.transaction_rollback = anjay_dm_transaction_NOOP;
#ifdef ANJAY_WITH_LWM2M12
    def->handlers.resource_instance_remove = dm_resource_instance_remove;
#endif
}

/* ---- adapter operations --------------------------------------------- */

static uint32_t op_caps(void *ctx)
{
    const struct ucb_anjay *a = ctx;
    uint32_t caps = UCB_CAP_DISABLE | UCB_CAP_IMPLIED_DEREGISTER | UCB_CAP_IMPLIED_CANCEL;

    if (a->cfg.access_control)
        caps |= UCB_CAP_ACL | UCB_CAP_CASCADE_ACL;
    return caps;
}

static int op_list(void *ctx, uint16_t oid, uint16_t *out, size_t cap)
{
    const struct ucb_anjay *a = ctx;
    uint32_t iid = NO_ID + 1u;
    size_t n = 0;

    if (out == NULL && cap != 0)
        return UCB_ERR_ARG;
    while ((iid = next_iid(a, oid, iid)) != NO_ID) {
        if (n < cap)
            out[n] = (uint16_t)iid;
        n++;
    }
    return (int)n;
}

/* A Server instance: its SSID (resource 0) is 1..65534 and no other Server instance has it. */
static int check_server(struct ucb_anjay *a, const uint8_t *tlv, size_t len)
{
    uint16_t ssid = 0;
    int rc = ucb_tlv_find_u16(tlv, len, 0, &ssid);

    if (rc < 0)
        return rc;
    if (rc == 0)
        return UCB_ERR_INVALID;
    if (ssid == 0 || ssid == NO_ID)
        return UCB_ERR_TYPE; /* Anjay: 0 is the Bootstrap-Server, 65535 any server */
    return server_inst(a, ssid) != NULL ? UCB_ERR_ADAPTER : 0;
}

static int check_payload(struct ucb_anjay *a, uint16_t oid, const uint8_t *tlv, size_t len)
{
    int rc;

    if (len > UCB_ANJAY_MAX_TLV)
        return UCB_ERR_TOO_LARGE;
    rc = ucb_tlv_check_instance(tlv, len);
    if (rc < 0)
        return rc;
    rc = check_types(a, oid, tlv, len);
    if (rc < 0)
        return rc;
    return oid == OID_SERVER ? check_server(a, tlv, len) : 0;
}

static int op_create(void *ctx, uint16_t oid, uint16_t iid, const uint8_t *tlv, size_t len)
{
    struct ucb_anjay *a = ctx;
    struct ucb_anjay_instance *in;
    struct ucb_anjay_server *s;
    int rc;

    if (iid == NO_ID || (tlv == NULL && len != 0))
        return UCB_ERR_ARG;
    if (obj_index(a, oid) < 0)
        return UCB_ERR_UNSUPPORTED;
    if (inst_find(a, oid, iid) != NULL)
        return UCB_ERR_ADAPTER;
    rc = check_payload(a, oid, tlv, len);
    if (rc < 0)
        return rc;
    in = inst_free_slot(a);
    if (in == NULL)
        return UCB_ERR_CAPACITY;
    memset(in, 0, sizeof(*in));
    in->used = true;
    in->oid = oid;
    in->iid = iid;
    in->len = (uint16_t)len;
    if (len != 0)
        memcpy(in->tlv, tlv, len);
    touch(a, oid);
    /* A new Server instance for a disabled SSID is a new account in use. */
    s = oid == OID_SERVER ? srv_find(a, server_ssid(in)) : NULL;
    if (s != NULL)
        srv_enable(a, s);
    return 0;
}

/* UCB_CAP_CASCADE_ACL: the Access Control instances that target /oid/iid go with it. */
static void remove_acl_of(struct ucb_anjay *a, uint16_t oid, uint16_t iid)
{
    for (size_t i = 0; i < UCB_ANJAY_MAX_INSTANCES; i++) {
        struct ucb_anjay_instance *in = &a->inst[i];
        uint16_t t_oid, t_iid;
        if (!in->used || in->oid != OID_ACL || ucb_tlv_find_u16(in->tlv, in->len, 0, &t_oid) != 1 ||
            ucb_tlv_find_u16(in->tlv, in->len, 1, &t_iid) != 1 || t_oid != oid || t_iid != iid)
            continue;
        inst_drop(in);
        touch(a, OID_ACL);
    }
}

static int op_remove(void *ctx, uint16_t oid, uint16_t iid)
{
    struct ucb_anjay *a = ctx;
    struct ucb_anjay_instance *in = inst_find(a, oid, iid);

    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    inst_drop(in);
    touch(a, oid);
    if (a->cfg.access_control && oid != OID_ACL)
        remove_acl_of(a, oid, iid);
    return 0;
}

static int op_read(void *ctx, uint16_t oid, uint16_t iid, uint8_t *out, size_t cap)
{
    struct ucb_anjay_instance *in = inst_find(ctx, oid, iid);

    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    if (out == NULL && cap != 0)
        return UCB_ERR_ARG;
    if (cap < in->len)
        return UCB_ERR_BUFFER;
    if (in->len != 0)
        memcpy(out, in->tlv, in->len);
    return (int)in->len;
}

static int op_find_server(void *ctx, uint16_t ssid, uint16_t *out_iid)
{
    const struct ucb_anjay_instance *in;

    if (out_iid == NULL)
        return UCB_ERR_ARG;
    in = server_inst(ctx, ssid);
    if (in == NULL)
        return 0;
    *out_iid = in->iid;
    return 1;
}

/* A server the adapter knows: a Server instance, or a disable it tracks. */
static bool known_server(struct ucb_anjay *a, uint16_t ssid)
{
    return ssid != 0 && ssid != NO_ID &&
           (server_inst(a, ssid) != NULL || srv_find(a, ssid) != NULL);
}

static int op_disable(void *ctx, uint16_t ssid)
{
    struct ucb_anjay *a = ctx;
    struct ucb_anjay_server *s;

    if (!known_server(a, ssid))
        return UCB_ERR_NOT_PRESENT;
    s = srv_get(a, ssid);
    if (s == NULL)
        return UCB_ERR_CAPACITY;
    s->disabled = true;
    srv_issue(a, s);
    return 0;
}

static int op_enable(void *ctx, uint16_t ssid)
{
    struct ucb_anjay *a = ctx;
    struct ucb_anjay_server *s;

    if (!known_server(a, ssid))
        return UCB_ERR_NOT_PRESENT;
    s = srv_find(a, ssid);
    if (s != NULL)
        srv_enable(a, s);
    return 0;
}

/* LwM2M Core E.3 (object 2): 0 Object ID, 1 Object Instance ID, 2 ACL (multiple, keyed by SSID), 3 owner. */
static int op_acl_get(void *ctx, uint16_t acl_iid, uint16_t *out_oid, uint16_t *out_iid,
                      struct ucb_acl_entry *entries, size_t cap, uint16_t *out_owner)
{
    const struct ucb_anjay_instance *in = inst_find(ctx, OID_ACL, acl_iid);
    struct ucb_tlv_cursor c;
    struct ucb_tlv t, ri;
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
    if (rc < 0 || (rc == 1 && t.kind != UCB_TLV_MULTIPLE_RESOURCE))
        return UCB_ERR_INVALID;
    if (rc == 0)
        t.len = 0;
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
    if (n > cap)
        return UCB_ERR_BUFFER; /* a partial list written back would drop entries */
    if (out_oid != NULL)
        *out_oid = oid;
    if (out_iid != NULL)
        *out_iid = iid;
    if (out_owner != NULL)
        *out_owner = owner;
    return (int)n;
}

/* Resource 2 with @p entries and resource 3 = @p owner into @p w (the rest is kept by the caller). */
static void put_acl(struct ucb_tlv_writer *w, const struct ucb_acl_entry *entries, size_t n,
                    uint16_t owner)
{
    struct ucb_tlv_writer m;

    ucb_tlv_writer_init(&m, NULL, 0);
    for (size_t i = 0; i < n; i++)
        (void)ucb_tlv_put_int(&m, UCB_TLV_RESOURCE_INSTANCE, entries[i].ssid, entries[i].rights);
    (void)ucb_tlv_put_header(w, UCB_TLV_MULTIPLE_RESOURCE, 2, m.pos);
    for (size_t i = 0; i < n; i++)
        (void)ucb_tlv_put_int(w, UCB_TLV_RESOURCE_INSTANCE, entries[i].ssid, entries[i].rights);
    (void)ucb_tlv_put_int(w, UCB_TLV_RESOURCE, 3, owner);
}

static int op_acl_set(void *ctx, uint16_t acl_iid, const struct ucb_acl_entry *entries, size_t n,
                      uint16_t owner)
{
    struct ucb_anjay *a = ctx;
    struct ucb_anjay_instance *in;
    uint8_t buf[UCB_ANJAY_MAX_TLV];
    struct ucb_tlv_writer w;
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    int len;

    if ((entries == NULL && n != 0) || n > UCB_ACL_MAX)
        return UCB_ERR_ARG;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (entries[i].ssid == entries[j].ssid)
                return UCB_ERR_ARG;
    in = inst_find(a, OID_ACL, acl_iid);
    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    ucb_tlv_writer_init(&w, buf, sizeof(buf));
    ucb_tlv_cursor_init(&c, in->tlv, in->len, 0, RES_ALLOWED);
    while (ucb_tlv_next(&c, &t) == 1)
        if (t.id != 2 && t.id != 3)
            (void)ucb_tlv_put_bytes(&w, in->tlv + t.offset, t.value_offset + t.len - t.offset);
    put_acl(&w, entries, n, owner);
    len = ucb_tlv_writer_finish(&w);
    if (len < 0)
        return UCB_ERR_TOO_LARGE;
    memcpy(in->tlv, buf, (size_t)len);
    in->len = (uint16_t)len;
    touch(a, OID_ACL);
    return 0;
}

/* End of a batch: Anjay re-reads the objects the batch changed (at its next anjay_sched_run()). */
static int op_commit(void *ctx)
{
    struct ucb_anjay *a = ctx;
    int rc = 0;

    srv_sync(a);
    for (size_t i = 0; i < a->n_obj; i++) {
        if (!(a->touched & (1u << (unsigned)i)))
            continue;
        if (anjay_notify_instances_changed(a->anjay, a->obj[i].def.oid) != 0) {
            rc = UCB_ERR_ADAPTER;
            continue;
        }
        a->touched &= ~(1u << (unsigned)i);
    }
    return rc;
}

/* ---- public calls --------------------------------------------------- */

static void set_ops(struct ucb_anjay *a)
{
    struct ucb_adapter_ops *o = &a->ops;

    memset(o, 0, sizeof(*o));
    o->caps = op_caps;
    o->list = op_list;
    o->create = op_create;
    o->remove = op_remove;
    o->read = op_read;
    o->find_server = op_find_server;
    o->disable_server = op_disable;
    o->enable_server = op_enable;
    o->commit = op_commit;
    if (a->cfg.access_control) {
        o->acl_get = op_acl_get;
        o->acl_set = op_acl_set;
    }
}

static int check_config(const struct ucb_anjay_config *cfg)
{
    if (cfg->n_other > UCB_ANJAY_MAX_OBJECTS || (cfg->other_oids == NULL && cfg->n_other != 0))
        return UCB_ERR_ARG;
    for (size_t i = 0; i < cfg->n_other; i++) {
        if (cfg->other_oids[i] <= OID_ACL || cfg->other_oids[i] == NO_ID)
            return UCB_ERR_ARG;
        for (size_t j = i + 1; j < cfg->n_other; j++)
            if (cfg->other_oids[i] == cfg->other_oids[j])
                return UCB_ERR_ARG;
    }
    return 0;
}

static void add_object(struct ucb_anjay *a, uint16_t oid)
{
    struct ucb_anjay_object *o = &a->obj[a->n_obj++];

    def_init(&o->def, oid);
    o->def_ptr = &o->def;
    o->owner = a;
}

int ucb_anjay_install(struct ucb_anjay *a, anjay_t *anjay, const struct ucb_anjay_config *cfg)
{
    int rc;

    if (a == NULL || anjay == NULL || cfg == NULL)
        return UCB_ERR_ARG;
    rc = check_config(cfg);
    if (rc < 0)
        return rc;
    memset(a, 0, sizeof(*a));
    a->anjay = anjay;
    a->cfg = *cfg;
    a->cfg.other_oids = NULL; /* copied into the objects below */
    set_ops(a);
    add_object(a, OID_SECURITY);
    add_object(a, OID_SERVER);
    if (cfg->access_control)
        add_object(a, OID_ACL);
    for (size_t i = 0; i < cfg->n_other; i++)
        add_object(a, cfg->other_oids[i]);
    for (size_t i = 0; i < a->n_obj; i++) {
        if (anjay_register_object(anjay, &a->obj[i].def_ptr) != 0) {
            ucb_anjay_deinit(a);
            return UCB_ERR_ADAPTER;
        }
        a->obj[i].registered = true;
    }
    return 0;
}

void ucb_anjay_adapter(struct ucb_anjay *a, struct ucb_adapter *out)
{
    out->ops = &a->ops;
    out->ctx = a;
}

void ucb_anjay_deinit(struct ucb_anjay *a)
{
    if (a == NULL)
        return;
    /* Last registered first: Anjay's clean-up of /1 still reads /0. */
    for (size_t i = a->n_obj; a->anjay != NULL && i-- > 0;)
        if (a->obj[i].registered)
            (void)anjay_unregister_object(a->anjay, &a->obj[i].def_ptr);
    wipe(a, sizeof(*a));
}

/* Report Bootstrap-Server changes to other objects (queued by the handlers). */
static int flush_pending(struct ucb_anjay *a, struct ucb_bridge *b)
{
    int first = 0;

    for (size_t i = 0; i < a->n_pending; i++) {
        int rc = ucb_bridge_notify(b, a->pending[i].oid, a->pending[i].iid,
                                   a->pending[i].deleted);
        if (rc < 0 && first == 0)
            first = rc;
    }
    a->n_pending = 0;
    a->pending_lost = false;
    return first;
}

/*
 * Is a Register or Update (or the handshake before it) of @p ssid due? The
 * clock is read after Anjay's answer, which for a forced Update is "now"
 * itself, and with a margin for Anjay's monotonic-to-real conversion (core.h:
 * a few ms): a check slightly early is harmless, one missed is not.
 */
#define DUE_MARGIN_MS 50

static bool lifecycle_due(anjay_t *anjay, uint16_t ssid)
{
    avs_time_real_t t = anjay_next_planned_lifecycle_operation(anjay, ssid);
    avs_time_real_t soon = avs_time_real_add(
        avs_time_real_now(), avs_time_duration_from_scalar(DUE_MARGIN_MS, AVS_TIME_MS));

    return avs_time_real_valid(t) && !avs_time_real_before(soon, t);
}

int ucb_anjay_before_sched_run(struct ucb_anjay *a, struct ucb_bridge *b)
{
    uint16_t ssids[UCB_ANJAY_MAX_INSTANCES];
    size_t n = 0;
    int first;

    if (a == NULL || b == NULL)
        return UCB_ERR_ARG;
    first = flush_pending(a, b);
    srv_sync(a);
    /* SSIDs first: a check may remove Server instances while we go. */
    for (size_t i = 0; i < UCB_ANJAY_MAX_INSTANCES; i++)
        if (a->inst[i].used && a->inst[i].oid == OID_SERVER && server_ssid(&a->inst[i]) != 0)
            ssids[n++] = server_ssid(&a->inst[i]);
    for (size_t i = 0; i < n; i++) {
        const struct ucb_anjay_server *s = srv_find(a, ssids[i]);
        bool registered;
        int rc;
        if ((s != NULL && s->disabled) || !lifecycle_due(a->anjay, ssids[i]))
            continue;
        registered = avs_time_real_valid(anjay_registration_expiration_time(a->anjay, ssids[i]));
        rc = registered ? ucb_bridge_before_update(b, ssids[i])
                        : ucb_bridge_before_register(b, ssids[i]);
        if (rc < 0 && rc != UCB_ERR_NOT_PRESENT && first == 0)
            first = rc;
    }
    return first;
}
