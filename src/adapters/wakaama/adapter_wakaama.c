/*
 * The Wakaama adapter (adapter_wakaama.h, docs/integration/wakaama.md).
 *
 * Objects 0, 1 and 2 are stored as LwM2M TLV, one fixed slot per instance.
 * Wakaama sees them through the lwm2m_object_t callbacks below, which turn
 * TLV into lwm2m_data_t (typed by ucb_res_info_find()) and back; the bridge
 * sees them through struct ucb_adapter_ops.
 *
 * Wakaama internals used, each because no public call exists (core-fit
 * notes in docs/integration/wakaama.md):
 *  - registration_deregister(): De-register from one server;
 *  - transaction_remove(): end a retired server's exchange that outlived
 *    the grace period (as Wakaama ends an expired one), so its reply or
 *    retransmission never reaches the freed server entry or its closed
 *    connection;
 *  - lwm2m_server_t.dirty and lwm2m_context_t.state = STATE_INITIAL: the
 *    same rebuild Wakaama runs after a Bootstrap-Server Delete.
 * core/internals.h includes stdio.h, so this file is not compiled with
 * src/ucb_poison.h; it still neither allocates (but through Wakaama's own
 * lwm2m_data_new() where Wakaama's read contract requires it) nor prints.
 */
#include <string.h>

#include "internals.h" /* Wakaama core/: registration_deregister, transaction_remove */

#include "uiccboot/adapter_wakaama.h"
#include "uiccboot/bootstrap.h"
#include "uiccboot/err.h"
#include "uiccboot/tlv.h"

#define ALLOW_RES (UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE))
#define ALLOW_RI UCB_TLV_ALLOW(UCB_TLV_RESOURCE_INSTANCE)

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n-- > 0)
        *v++ = 0;
}

/* ---- instance storage ------------------------------------------------------ */

static struct ucb_wakaama_object *object_of(struct ucb_wakaama *w, uint16_t oid)
{
    switch (oid) {
    case 0:
        return &w->security;
    case 1:
        return &w->server;
    case 2:
        return w->with_acl ? &w->acl : NULL;
    default:
        for (size_t i = 0; i < UCB_WAKAAMA_MAX_EXTRA; i++)
            if (w->extra[i] != NULL && w->extra[i]->obj.objID == oid)
                return w->extra[i];
        return NULL;
    }
}

static struct ucb_wakaama_inst *inst_find(struct ucb_wakaama_object *o, uint16_t iid)
{
    for (size_t i = 0; i < UCB_WAKAAMA_MAX_INSTANCES; i++)
        if (o->pool[i].used && o->pool[i].id == iid)
            return &o->pool[i];
    return NULL;
}

/* Put @p in into, or take it out of, the list Wakaama walks. */
static void inst_show(struct ucb_wakaama_object *o, struct ucb_wakaama_inst *in)
{
    in->next = NULL;
    o->obj.instanceList = LWM2M_LIST_ADD(o->obj.instanceList, in);
    in->hidden = false;
}

static void inst_hide(struct ucb_wakaama_object *o, struct ucb_wakaama_inst *in)
{
    lwm2m_list_t *out = NULL;
    o->obj.instanceList = LWM2M_LIST_RM(o->obj.instanceList, in->id, &out);
    in->next = NULL;
    in->hidden = true;
}

static void inst_free(struct ucb_wakaama_object *o, struct ucb_wakaama_inst *in)
{
    if (!in->hidden)
        inst_hide(o, in);
    wipe(in, sizeof(*in));
}

static int inst_store(struct ucb_wakaama_object *o, uint16_t iid, const uint8_t *tlv, size_t len)
{
    struct ucb_wakaama_inst *in = NULL;
    int rc;

    if (iid == LWM2M_MAX_ID || (len > 0 && tlv == NULL))
        return UCB_ERR_ARG;
    if (inst_find(o, iid) != NULL)
        return UCB_ERR_ADAPTER;
    if (len > UCB_WAKAAMA_INSTANCE_BYTES)
        return UCB_ERR_BUFFER;
    if ((rc = ucb_tlv_check_instance(tlv, len)) != 0)
        return rc;
    for (size_t i = 0; i < UCB_WAKAAMA_MAX_INSTANCES && in == NULL; i++)
        if (!o->pool[i].used)
            in = &o->pool[i];
    if (in == NULL)
        return UCB_ERR_ADAPTER;
    in->used = true;
    in->id = iid;
    in->len = (uint16_t)len;
    if (len > 0)
        memcpy(in->tlv, tlv, len);
    inst_show(o, in);
    return 0;
}

/* An identity resource (SSID, Object or Instance ID), as the bridge reads it. */
static bool res_u16(const struct ucb_wakaama_inst *in, uint16_t rid, uint16_t *out)
{
    return ucb_tlv_find_u16(in->tlv, in->len, rid, out) == 1;
}

static bool res_bool(const struct ucb_wakaama_inst *in, uint16_t rid)
{
    struct ucb_tlv t;
    bool v = false;
    return ucb_tlv_find(in->tlv, in->len, ALLOW_RES, rid, &t) == 1 &&
           t.kind == UCB_TLV_RESOURCE && ucb_tlv_get_bool(&t, &v) == 0 && v;
}

/* The Security instance of account @p ssid (not a bootstrap account), hidden or not. */
static struct ucb_wakaama_inst *security_of(struct ucb_wakaama *w, uint16_t ssid)
{
    for (size_t i = 0; i < UCB_WAKAAMA_MAX_INSTANCES; i++) {
        struct ucb_wakaama_inst *in = &w->security.pool[i];
        uint16_t v;
        if (in->used && !res_bool(in, 1) && res_u16(in, 10, &v) && v == ssid)
            return in;
    }
    return NULL;
}

static struct ucb_wakaama_inst *server_of(struct ucb_wakaama *w, uint16_t ssid)
{
    for (size_t i = 0; i < UCB_WAKAAMA_MAX_INSTANCES; i++) {
        struct ucb_wakaama_inst *in = &w->server.pool[i];
        uint16_t v;
        if (in->used && res_u16(in, 0, &v) && v == ssid)
            return in;
    }
    return NULL;
}

/* ---- retiring servers from Wakaama's list ---------------------------------- */

static bool watcher_matches(const lwm2m_watcher_t *wt, const lwm2m_server_t *srv, uint16_t ssid)
{
    return srv != NULL ? wt->server == srv : (wt->server != NULL && wt->server->shortID == ssid);
}

/*
 * Unlink watchers of server @p srv (or, with srv NULL, of every entry with
 * Short Server ID @p ssid), and of instance /oid/iid when oid is set
 * (oid LWM2M_MAX_ID: any URI). Frees them with the core's lwm2m_free(),
 * as observe.c does. @return the number removed.
 */
static unsigned unlink_watchers(lwm2m_context_t *ctx, const lwm2m_server_t *srv, uint16_t ssid,
                                uint16_t oid, uint16_t iid)
{
    lwm2m_observed_t **op = &ctx->observedList;
    unsigned n = 0;

    while (*op != NULL) {
        lwm2m_observed_t *obs = *op;
        bool uri_hit = oid == LWM2M_MAX_ID ||
                       (obs->uri.objectId == oid &&
                        (!LWM2M_URI_IS_SET_INSTANCE(&obs->uri) || obs->uri.instanceId == iid));
        lwm2m_watcher_t **wp = &obs->watcherList;
        while (uri_hit && *wp != NULL) {
            lwm2m_watcher_t *wt = *wp;
            if (oid != LWM2M_MAX_ID || watcher_matches(wt, srv, ssid)) {
                *wp = wt->next;
                if (wt->parameters != NULL)
                    lwm2m_free(wt->parameters);
                lwm2m_free(wt);
                n++;
            } else {
                wp = &wt->next;
            }
        }
        if (obs->watcherList == NULL) {
            *op = obs->next;
            lwm2m_free(obs);
        } else {
            op = &obs->next;
        }
    }
    return n;
}

/* Take one server entry out of use: De-register if registered, mark it for
 * the next rebuild. Its observations go when it is freed (finish_rebuild). */
static void retire(struct ucb_wakaama *w, lwm2m_server_t *srv)
{
    if (srv->dirty)
        return;
    /* A rebuild asked for but not yet run by lwm2m_step() would free this
     * entry with its De-register in flight: take the request back; the next
     * finish_rebuild() makes it again once the exchange is over. */
    if (w->rebuild_armed && w->lwm2m->state == STATE_INITIAL)
        w->lwm2m->state = w->state_before;
    w->rebuild_armed = false;
    registration_deregister(w->lwm2m, srv); /* no-op unless registered */
    (void)unlink_watchers(w->lwm2m, srv, 0, LWM2M_MAX_ID, 0);
    srv->dirty = true;
    if (!w->retiring) {
        w->retiring = true;
        w->retired_at = lwm2m_gettime();
    }
    w->rebuild_wanted = true;
}

static void retire_where(struct ucb_wakaama *w, bool by_sec, uint16_t id)
{
    lwm2m_server_t *lists[2] = {w->lwm2m->serverList, w->lwm2m->bootstrapServerList};

    for (size_t l = 0; l < 2; l++)
        for (lwm2m_server_t *s = lists[l]; s != NULL; s = s->next)
            if (by_sec ? s->secObjInstID == id : (l == 0 && s->shortID == id))
                retire(w, s);
}

static bool exchange_open(lwm2m_context_t *ctx, const lwm2m_server_t *srv)
{
    if (srv->status == STATE_REG_PENDING || srv->status == STATE_REG_UPDATE_PENDING ||
        srv->status == STATE_DEREG_PENDING)
        return true;
    for (lwm2m_transaction_t *t = ctx->transactionList; t != NULL; t = t->next)
        if (srv->sessionH != NULL && t->peerH == srv->sessionH)
            return true;
    return false;
}

/*
 * End every transaction of a retired server (after the grace period) the
 * way Wakaama ends an expired one (transaction_send()'s error path): its
 * callback with no message, then transaction_remove(). The callback frees
 * the exchange's own data (a Register's query and payload).
 */
static void drop_exchanges(lwm2m_context_t *ctx, lwm2m_server_t *srv)
{
    lwm2m_transaction_t *t = ctx->transactionList;

    while (t != NULL) {
        if (srv->sessionH != NULL && t->peerH == srv->sessionH) {
            if (t->callback != NULL)
                t->callback(ctx, t, NULL);
            transaction_remove(ctx, t);
            t = ctx->transactionList; /* the callback may have changed the list */
        } else {
            t = t->next;
        }
    }
    srv->status = STATE_DEREGISTERED;
}

/* Rebuild Wakaama's server list once the retired entries are idle. */
static void finish_rebuild(struct ucb_wakaama *w, time_t now)
{
    lwm2m_context_t *ctx = w->lwm2m;
    lwm2m_server_t *lists[2] = {ctx->serverList, ctx->bootstrapServerList};
    bool late = w->retiring && now - w->retired_at >= UCB_WAKAAMA_RETIRE_GRACE_S;

    if (!w->rebuild_wanted || ctx->state == STATE_BOOTSTRAPPING)
        return;
    for (size_t l = 0; l < 2; l++) {
        for (lwm2m_server_t *s = lists[l]; s != NULL; s = s->next) {
            if (!s->dirty)
                continue;
            if (s->status == STATE_REGISTERED || s->status == STATE_REG_UPDATE_NEEDED ||
                s->status == STATE_REG_FULL_UPDATE_NEEDED)
                registration_deregister(ctx, s); /* registered meanwhile */
            if (exchange_open(ctx, s)) {
                if (!late)
                    return;
                drop_exchanges(ctx, s);
            }
        }
    }
    for (size_t l = 0; l < 2; l++)
        for (lwm2m_server_t *s = lists[l]; s != NULL; s = s->next)
            if (s->dirty)
                (void)unlink_watchers(ctx, s, 0, LWM2M_MAX_ID, 0);
    if (ctx->state != STATE_INITIAL) {
        w->state_before = ctx->state;
        w->rebuild_armed = true;
    }
    ctx->state = STATE_INITIAL; /* lwm2m_step() frees dirty entries and adds new ones */
    w->rebuild_wanted = false;
    w->retiring = false;
}

/* ---- TLV <-> lwm2m_data_t ---------------------------------------------------- */

static uint8_t type_of(uint16_t oid, uint16_t rid)
{
    const struct ucb_res_info *ri = ucb_res_info_find(oid, rid);
    return ri != NULL ? ri->type : UCB_TYPE_OPAQUE;
}

/* One TLV value into @p d (id set by the caller). 0 or a TLV error. */
static int value_to_data(uint8_t type, const struct ucb_tlv *t, lwm2m_data_t *d)
{
    int rc = 0;

    switch (type) {
    case UCB_TYPE_STRING:
        lwm2m_data_encode_nstring((const char *)t->value, t->len, d);
        break;
    case UCB_TYPE_INTEGER:
    case UCB_TYPE_TIME: {
        int64_t v = 0;
        if ((rc = ucb_tlv_get_int(t, &v)) == 0)
            lwm2m_data_encode_int(v, d);
        break;
    }
    case UCB_TYPE_UNSIGNED: {
        uint64_t v = 0;
        if ((rc = ucb_tlv_get_uint(t, &v)) == 0)
            lwm2m_data_encode_uint(v, d);
        break;
    }
    case UCB_TYPE_FLOAT: {
        double v = 0;
        if ((rc = ucb_tlv_get_float(t, &v)) == 0)
            lwm2m_data_encode_float(v, d);
        break;
    }
    case UCB_TYPE_BOOLEAN: {
        bool v = false;
        if ((rc = ucb_tlv_get_bool(t, &v)) == 0)
            lwm2m_data_encode_bool(v, d);
        break;
    }
    case UCB_TYPE_OBJLNK: {
        uint16_t o = 0, i = 0;
        if ((rc = ucb_tlv_get_objlnk(t, &o, &i)) == 0)
            lwm2m_data_encode_objlink(o, i, d);
        break;
    }
    default:
        lwm2m_data_encode_opaque(t->value, t->len, d);
        break;
    }
    return rc;
}

/* A stored resource into @p d. COAP_205_CONTENT or an error code. */
static uint8_t res_to_data(uint16_t oid, const struct ucb_tlv *t, lwm2m_data_t *d)
{
    uint8_t type = type_of(oid, t->id);
    struct ucb_tlv_cursor c;
    struct ucb_tlv u;
    size_t n = 0, k = 0;
    lwm2m_data_t *sub;

    d->id = t->id;
    if (t->kind == UCB_TLV_RESOURCE)
        return value_to_data(type, t, d) == 0 ? COAP_205_CONTENT : COAP_500_INTERNAL_SERVER_ERROR;
    if (ucb_tlv_enter(&c, t) != 0)
        return COAP_500_INTERNAL_SERVER_ERROR;
    while (ucb_tlv_next(&c, &u) == 1)
        n++;
    sub = lwm2m_data_new((int)n);
    if (sub == NULL && n > 0)
        return COAP_500_INTERNAL_SERVER_ERROR;
    (void)ucb_tlv_enter(&c, t);
    while (k < n && ucb_tlv_next(&c, &u) == 1) {
        sub[k].id = u.id;
        if (value_to_data(type, &u, &sub[k]) != 0) {
            lwm2m_data_free((int)n, sub);
            return COAP_500_INTERNAL_SERVER_ERROR;
        }
        k++;
    }
    lwm2m_data_encode_instances(sub, n, d);
    return COAP_205_CONTENT;
}

/* Values Wakaama asks for and must get even when the card left them out. */
static bool default_value(uint16_t oid, uint16_t rid, lwm2m_data_t *d)
{
    if (oid == 0 && rid == LWM2M_SECURITY_BOOTSTRAP_ID) {
        lwm2m_data_encode_bool(false, d);
        return true;
    }
    if (oid == 0 && rid == LWM2M_SECURITY_HOLD_OFF_ID) {
        lwm2m_data_encode_int(0, d);
        return true;
    }
    return false;
}

/* One lwm2m_data_t value as a TLV element of @p kind. */
static int data_to_tlv(struct ucb_tlv_writer *tw, enum ucb_tlv_kind kind, uint8_t type,
                       const lwm2m_data_t *d)
{
    int64_t i = 0;
    uint64_t u = 0;
    double f = 0;
    bool b = false;

    switch (type) {
    case UCB_TYPE_INTEGER:
    case UCB_TYPE_TIME:
        return lwm2m_data_decode_int(d, &i) ? ucb_tlv_put_int(tw, kind, d->id, i) : UCB_ERR_TYPE;
    case UCB_TYPE_UNSIGNED:
        return lwm2m_data_decode_uint(d, &u) ? ucb_tlv_put_uint(tw, kind, d->id, u)
                                             : UCB_ERR_TYPE;
    case UCB_TYPE_FLOAT:
        return lwm2m_data_decode_float(d, &f) ? ucb_tlv_put_float(tw, kind, d->id, f)
                                              : UCB_ERR_TYPE;
    case UCB_TYPE_BOOLEAN:
        return lwm2m_data_decode_bool(d, &b) ? ucb_tlv_put_bool(tw, kind, d->id, b) : UCB_ERR_TYPE;
    default:
        break;
    }
    switch (d->type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_OPAQUE:
    case LWM2M_TYPE_CORE_LINK:
        return ucb_tlv_put_raw(tw, kind, d->id, d->value.asBuffer.buffer,
                               d->value.asBuffer.length);
    case LWM2M_TYPE_OBJECT_LINK:
        return ucb_tlv_put_objlnk(tw, kind, d->id, d->value.asObjLink.objectId,
                                  d->value.asObjLink.objectInstanceId);
    case LWM2M_TYPE_INTEGER:
        return ucb_tlv_put_int(tw, kind, d->id, d->value.asInteger);
    case LWM2M_TYPE_UNSIGNED_INTEGER:
        return ucb_tlv_put_uint(tw, kind, d->id, d->value.asUnsigned);
    case LWM2M_TYPE_FLOAT:
        return ucb_tlv_put_float(tw, kind, d->id, d->value.asFloat);
    case LWM2M_TYPE_BOOLEAN:
        return ucb_tlv_put_bool(tw, kind, d->id, d->value.asBoolean);
    default:
        return UCB_ERR_TYPE;
    }
}

/* A written resource; for a Multiple Resource under a partial update the
 * stored instances not written are kept (@p old, or NULL). */
static int write_res(struct ucb_tlv_writer *tw, uint16_t oid, const lwm2m_data_t *d,
                     const struct ucb_tlv *old)
{
    uint8_t type = type_of(oid, d->id);
    struct ucb_tlv_writer m;
    struct ucb_tlv_cursor c;
    struct ucb_tlv u;
    int rc = 0;

    if (d->type != LWM2M_TYPE_MULTIPLE_RESOURCE)
        return data_to_tlv(tw, UCB_TLV_RESOURCE, type, d);
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        struct ucb_tlv_writer *dst = pass == 0 ? &m : tw;
        if (pass == 0)
            ucb_tlv_writer_init(&m, NULL, 0);
        else if ((rc = ucb_tlv_put_header(tw, UCB_TLV_MULTIPLE_RESOURCE, d->id, m.pos)) != 0)
            break;
        for (size_t k = 0; k < d->value.asChildren.count && rc == 0; k++)
            rc = data_to_tlv(dst, UCB_TLV_RESOURCE_INSTANCE, type, &d->value.asChildren.array[k]);
        if (old == NULL || old->kind != UCB_TLV_MULTIPLE_RESOURCE || rc != 0)
            continue;
        (void)ucb_tlv_enter(&c, old);
        while (rc == 0 && ucb_tlv_next(&c, &u) == 1) {
            bool written = false;
            for (size_t k = 0; k < d->value.asChildren.count; k++)
                written |= d->value.asChildren.array[k].id == u.id;
            if (!written)
                rc = ucb_tlv_put_raw(dst, UCB_TLV_RESOURCE_INSTANCE, u.id, u.value, u.len);
        }
    }
    return rc;
}

static const lwm2m_data_t *data_find(int n, const lwm2m_data_t *d, uint16_t id)
{
    for (int i = 0; i < n; i++)
        if (d[i].id == id)
            return &d[i];
    return NULL;
}

/*
 * The instance's new TLV into w->scratch: the written resources, then (but
 * for a whole-instance replace) the stored ones not written. @return length
 * or an error.
 */
static int merge(struct ucb_wakaama *w, uint16_t oid, const struct ucb_wakaama_inst *in, int n,
                 const lwm2m_data_t *d, lwm2m_write_type_t how)
{
    struct ucb_tlv_writer tw;
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    int rc = 0;

    ucb_tlv_writer_init(&tw, w->scratch, sizeof(w->scratch));
    for (int i = 0; i < n && rc == 0; i++) {
        bool found = false;
        if (d[i].type == LWM2M_TYPE_OBJECT_INSTANCE || d[i].type == LWM2M_TYPE_OBJECT)
            return UCB_ERR_TYPE;
        if (in != NULL && how == LWM2M_WRITE_PARTIAL_UPDATE)
            found = ucb_tlv_find(in->tlv, in->len, ALLOW_RES, d[i].id, &t) == 1;
        rc = write_res(&tw, oid, &d[i], found ? &t : NULL);
    }
    if (in != NULL && how != LWM2M_WRITE_REPLACE_INSTANCE) {
        ucb_tlv_cursor_init(&c, in->tlv, in->len, 0, ALLOW_RES);
        while (rc == 0 && ucb_tlv_next(&c, &t) == 1)
            if (data_find(n, d, t.id) == NULL)
                rc = ucb_tlv_put_raw(&tw, t.kind, t.id, t.value, t.len);
    }
    return rc != 0 ? rc : ucb_tlv_writer_finish(&tw);
}

/* ---- the Wakaama object callbacks -------------------------------------------- */

static struct ucb_wakaama_object *obj_of(lwm2m_object_t *objectP)
{
    return (struct ucb_wakaama_object *)objectP->userData;
}

static bool bootstrapping(const struct ucb_wakaama *w)
{
    return w->lwm2m->state == STATE_BOOTSTRAPPING;
}

static void report(struct ucb_wakaama *w, uint16_t oid, uint16_t iid, bool deleted)
{
    if (w->bridge != NULL && bootstrapping(w))
        (void)ucb_bridge_notify(w->bridge, oid, iid, deleted);
}

static uint8_t cb_read(lwm2m_context_t *ctx, uint16_t iid, int *numDataP, lwm2m_data_t **dataArrayP,
                       lwm2m_object_t *objectP)
{
    struct ucb_wakaama_object *o = obj_of(objectP);
    struct ucb_wakaama_inst *in = inst_find(o, iid);
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    uint8_t res = COAP_205_CONTENT;

    (void)ctx;
    if (in == NULL || in->hidden)
        return COAP_404_NOT_FOUND;
    if (*numDataP == 0) {
        int n = 0;
        ucb_tlv_cursor_init(&c, in->tlv, in->len, 0, ALLOW_RES);
        while (ucb_tlv_next(&c, &t) == 1)
            n++;
        if (n == 0)
            return COAP_205_CONTENT;
        if ((*dataArrayP = lwm2m_data_new(n)) == NULL)
            return COAP_500_INTERNAL_SERVER_ERROR;
        *numDataP = n;
        ucb_tlv_cursor_init(&c, in->tlv, in->len, 0, ALLOW_RES);
        for (int i = 0; i < n && res == COAP_205_CONTENT && ucb_tlv_next(&c, &t) == 1; i++)
            res = res_to_data(o->obj.objID, &t, &(*dataArrayP)[i]);
        return res;
    }
    for (int i = 0; i < *numDataP && res == COAP_205_CONTENT; i++) {
        lwm2m_data_t *d = &(*dataArrayP)[i];
        if (ucb_tlv_find(in->tlv, in->len, ALLOW_RES, d->id, &t) == 1)
            res = res_to_data(o->obj.objID, &t, d);
        else if (!default_value(o->obj.objID, d->id, d))
            res = COAP_404_NOT_FOUND;
    }
    return res;
}

/* Resources a DM server may not write: the account's identity. */
static bool dm_protected(uint16_t oid, uint16_t rid)
{
    return (oid == 1 && rid == 0) || (oid == 2 && (rid == 0 || rid == 1));
}

static uint8_t cb_write(lwm2m_context_t *ctx, uint16_t iid, int numData, lwm2m_data_t *dataArray,
                        lwm2m_object_t *objectP, lwm2m_write_type_t writeType)
{
    struct ucb_wakaama_object *o = obj_of(objectP);
    struct ucb_wakaama *w = o->owner;
    struct ucb_wakaama_inst *in = inst_find(o, iid);
    int len;

    (void)ctx;
    if (in == NULL || in->hidden)
        return COAP_404_NOT_FOUND;
    for (int i = 0; i < numData && !bootstrapping(w); i++)
        if (dm_protected(o->obj.objID, dataArray[i].id))
            return COAP_405_METHOD_NOT_ALLOWED;
    len = merge(w, o->obj.objID, in, numData, dataArray, writeType);
    if (len < 0)
        return len == UCB_ERR_BUFFER ? COAP_413_ENTITY_TOO_LARGE : COAP_400_BAD_REQUEST;
    wipe(in->tlv, in->len);
    memcpy(in->tlv, w->scratch, (size_t)len);
    in->len = (uint16_t)len;
    wipe(w->scratch, sizeof(w->scratch));
    report(w, o->obj.objID, iid, false);
    return COAP_204_CHANGED;
}

static uint8_t cb_create(lwm2m_context_t *ctx, uint16_t iid, int numData, lwm2m_data_t *dataArray,
                         lwm2m_object_t *objectP)
{
    struct ucb_wakaama_object *o = obj_of(objectP);
    struct ucb_wakaama *w = o->owner;
    int len, rc;

    (void)ctx;
    if (inst_find(o, iid) != NULL)
        return COAP_400_BAD_REQUEST;
    len = merge(w, o->obj.objID, NULL, numData, dataArray, LWM2M_WRITE_REPLACE_INSTANCE);
    if (len < 0)
        return COAP_400_BAD_REQUEST;
    rc = inst_store(o, iid, w->scratch, (size_t)len);
    wipe(w->scratch, sizeof(w->scratch));
    if (rc != 0)
        return COAP_500_INTERNAL_SERVER_ERROR;
    report(w, o->obj.objID, iid, false);
    return COAP_201_CREATED;
}

static uint8_t cb_delete(lwm2m_context_t *ctx, uint16_t iid, lwm2m_object_t *objectP)
{
    struct ucb_wakaama_object *o = obj_of(objectP);
    struct ucb_wakaama_inst *in = inst_find(o, iid);

    (void)ctx;
    if (in == NULL || in->hidden)
        return COAP_404_NOT_FOUND;
    inst_free(o, in);
    report(o->owner, o->obj.objID, iid, true);
    return COAP_202_DELETED;
}

static uint8_t cb_execute(lwm2m_context_t *ctx, uint16_t iid, uint16_t rid, uint8_t *buffer,
                          int length, lwm2m_object_t *objectP)
{
    struct ucb_wakaama_object *o = obj_of(objectP);
    struct ucb_wakaama_inst *in = inst_find(o, iid);
    uint16_t ssid;

    (void)buffer;
    (void)length;
    if (in == NULL || in->hidden)
        return COAP_404_NOT_FOUND;
    if (o->obj.objID != 1 || rid != LWM2M_SERVER_UPDATE_ID)
        return COAP_405_METHOD_NOT_ALLOWED;
    if (!res_u16(in, 0, &ssid) || ssid == 0 || ssid == LWM2M_MAX_ID)
        return COAP_500_INTERNAL_SERVER_ERROR;
    return lwm2m_update_registration(ctx, ssid, false) == 0 ? COAP_204_CHANGED
                                                                       : COAP_400_BAD_REQUEST;
}

static void object_init(struct ucb_wakaama *w, struct ucb_wakaama_object *o, uint16_t oid)
{
    memset(o, 0, sizeof(*o));
    o->owner = w;
    o->obj.objID = oid;
    o->obj.readFunc = cb_read;
    o->obj.writeFunc = cb_write;
    o->obj.createFunc = cb_create;
    o->obj.deleteFunc = cb_delete;
    o->obj.executeFunc = cb_execute;
    o->obj.userData = o;
}

/* ---- adapter operations ------------------------------------------------------ */

static uint32_t op_caps(void *ctx)
{
    const struct ucb_wakaama *w = ctx;
    return UCB_CAP_DISABLE | UCB_CAP_OBSERVATIONS | UCB_CAP_IMPLIED_DEREGISTER |
           (w->with_acl ? UCB_CAP_ACL : 0u);
}

static int op_list(void *ctx, uint16_t oid, uint16_t *out, size_t cap)
{
    struct ucb_wakaama_object *o = object_of(ctx, oid);
    uint16_t last = 0;
    int n = 0;

    if (o == NULL)
        return 0;
    /* Ascending: repeatedly the smallest ID above the last one listed. */
    for (;;) {
        const struct ucb_wakaama_inst *best = NULL;
        for (size_t i = 0; i < UCB_WAKAAMA_MAX_INSTANCES; i++) {
            const struct ucb_wakaama_inst *in = &o->pool[i];
            if (in->used && (n == 0 || in->id > last) && (best == NULL || in->id < best->id))
                best = in;
        }
        if (best == NULL)
            return n;
        if ((size_t)n < cap)
            out[n] = best->id;
        last = best->id;
        n++;
    }
}

static int op_create(void *ctx, uint16_t oid, uint16_t iid, const uint8_t *tlv, size_t len)
{
    struct ucb_wakaama_object *o = object_of(ctx, oid);
    return o == NULL ? UCB_ERR_UNSUPPORTED : inst_store(o, iid, tlv, len);
}

static int op_remove(void *ctx, uint16_t oid, uint16_t iid)
{
    struct ucb_wakaama *w = ctx;
    struct ucb_wakaama_object *o = object_of(w, oid);
    struct ucb_wakaama_inst *in = o != NULL ? inst_find(o, iid) : NULL;
    uint16_t ssid;

    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    if (oid == 0)
        retire_where(w, true, iid);
    else if (oid == 1 && res_u16(in, 0, &ssid) && ssid != LWM2M_MAX_ID)
        retire_where(w, false, ssid);
    (void)unlink_watchers(w->lwm2m, NULL, 0, oid, iid);
    inst_free(o, in);
    return 0;
}

static int op_read(void *ctx, uint16_t oid, uint16_t iid, uint8_t *out, size_t cap)
{
    struct ucb_wakaama_object *o = object_of(ctx, oid);
    const struct ucb_wakaama_inst *in = o != NULL ? inst_find(o, iid) : NULL;

    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    if (in->len > cap)
        return UCB_ERR_BUFFER;
    if (in->len > 0)
        memcpy(out, in->tlv, in->len);
    return in->len;
}

static int op_find_server(void *ctx, uint16_t ssid, uint16_t *out_iid)
{
    const struct ucb_wakaama_inst *in = server_of(ctx, ssid);

    if (in == NULL)
        return 0;
    *out_iid = in->id;
    return 1;
}

static int op_disable(void *ctx, uint16_t ssid)
{
    struct ucb_wakaama *w = ctx;
    struct ucb_wakaama_inst *sec = security_of(w, ssid);

    if (sec == NULL && server_of(w, ssid) == NULL)
        return UCB_ERR_NOT_PRESENT;
    if (sec != NULL && !sec->hidden) {
        inst_hide(&w->security, sec);
        retire_where(w, true, sec->id);
    }
    retire_where(w, false, ssid);
    return 0;
}

static int op_enable(void *ctx, uint16_t ssid)
{
    struct ucb_wakaama *w = ctx;
    struct ucb_wakaama_inst *sec = security_of(w, ssid);

    if (sec == NULL && server_of(w, ssid) == NULL)
        return UCB_ERR_NOT_PRESENT;
    if (sec != NULL && sec->hidden) {
        inst_show(&w->security, sec);
        w->rebuild_wanted = true;
    }
    return 0;
}

static int op_cancel(void *ctx, uint16_t ssid)
{
    struct ucb_wakaama *w = ctx;
    bool known = server_of(w, ssid) != NULL;

    for (const lwm2m_server_t *s = w->lwm2m->serverList; s != NULL; s = s->next)
        known |= s->shortID == ssid;
    if (!known)
        return UCB_ERR_NOT_PRESENT;
    (void)unlink_watchers(w->lwm2m, NULL, ssid, LWM2M_MAX_ID, 0);
    return 0;
}

/* Access Control instance: target (0, 1), ACL (2), owner (3). */
static int op_acl_get(void *ctx, uint16_t acl_iid, uint16_t *out_oid, uint16_t *out_iid,
                      struct ucb_acl_entry *entries, size_t cap, uint16_t *out_owner)
{
    struct ucb_wakaama *w = ctx;
    const struct ucb_wakaama_inst *in = w->with_acl ? inst_find(&w->acl, acl_iid) : NULL;
    struct ucb_tlv_cursor c;
    struct ucb_tlv t, u;
    int n = 0, rc;

    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    if (!res_u16(in, 0, out_oid) || !res_u16(in, 1, out_iid) || !res_u16(in, 3, out_owner))
        return UCB_ERR_ADAPTER;
    rc = ucb_tlv_find(in->tlv, in->len, ALLOW_RES, 2, &t);
    if (rc != 1 || t.kind != UCB_TLV_MULTIPLE_RESOURCE)
        return rc < 0 ? rc : 0;
    (void)ucb_tlv_enter(&c, &t);
    while ((rc = ucb_tlv_next(&c, &u)) == 1) {
        int64_t rights;
        if (ucb_tlv_get_int(&u, &rights) != 0 || rights < 0 || rights > 0xFFFF)
            return UCB_ERR_ADAPTER;
        if ((size_t)n < cap) {
            entries[n].ssid = u.id;
            entries[n].rights = (uint16_t)rights;
        }
        n++;
    }
    return rc < 0 ? rc : n;
}

static int op_acl_set(void *ctx, uint16_t acl_iid, const struct ucb_acl_entry *entries, size_t n,
                      uint16_t owner)
{
    struct ucb_wakaama *w = ctx;
    struct ucb_wakaama_inst *in = w->with_acl ? inst_find(&w->acl, acl_iid) : NULL;
    struct ucb_tlv_writer tw, m;
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    int rc = 0, len;

    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    ucb_tlv_writer_init(&tw, w->scratch, sizeof(w->scratch));
    ucb_tlv_cursor_init(&c, in->tlv, in->len, 0, ALLOW_RES);
    while (rc == 0 && ucb_tlv_next(&c, &t) == 1)
        if (t.id != 2 && t.id != 3)
            rc = ucb_tlv_put_raw(&tw, t.kind, t.id, t.value, t.len);
    if (n > 0 && rc == 0) {
        ucb_tlv_writer_init(&m, NULL, 0);
        for (size_t i = 0; i < n; i++)
            (void)ucb_tlv_put_int(&m, UCB_TLV_RESOURCE_INSTANCE, entries[i].ssid,
                                  entries[i].rights);
        rc = ucb_tlv_put_header(&tw, UCB_TLV_MULTIPLE_RESOURCE, 2, m.pos);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = ucb_tlv_put_int(&tw, UCB_TLV_RESOURCE_INSTANCE, entries[i].ssid,
                                 entries[i].rights);
    }
    if (rc == 0)
        rc = ucb_tlv_put_int(&tw, UCB_TLV_RESOURCE, 3, owner); /* Integer: 65535 takes 4 bytes */
    len = rc == 0 ? ucb_tlv_writer_finish(&tw) : rc;
    if (len < 0)
        return len;
    memcpy(in->tlv, w->scratch, (size_t)len);
    in->len = (uint16_t)len;
    return 0;
}

static int op_commit(void *ctx)
{
    struct ucb_wakaama *w = ctx;
    w->rebuild_wanted = true;
    finish_rebuild(w, lwm2m_gettime());
    return 0;
}

static const struct ucb_adapter_ops wakaama_ops = {
    .caps = op_caps,
    .list = op_list,
    .create = op_create,
    .remove = op_remove,
    .read = op_read,
    .find_server = op_find_server,
    .disable_server = op_disable,
    .enable_server = op_enable,
    .deregister = NULL, /* implied by disable_server (UCB_CAP_IMPLIED_DEREGISTER) */
    .cancel_observations = op_cancel,
    .acl_get = op_acl_get,
    .acl_set = op_acl_set,
    .commit = op_commit,
};

/* ---- public calls ------------------------------------------------------------ */

void ucb_wakaama_init(struct ucb_wakaama *w, lwm2m_context_t *lwm2m, bool with_acl)
{
    memset(w, 0, sizeof(*w));
    w->lwm2m = lwm2m;
    w->with_acl = with_acl;
    object_init(w, &w->security, 0);
    object_init(w, &w->server, 1);
    object_init(w, &w->acl, 2);
}

void ucb_wakaama_deinit(struct ucb_wakaama *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < UCB_WAKAAMA_MAX_EXTRA; i++)
        if (w->extra[i] != NULL)
            wipe(w->extra[i], sizeof(*w->extra[i]));
    wipe(w, sizeof(*w));
}

lwm2m_object_t *ucb_wakaama_object(struct ucb_wakaama *w, uint16_t oid)
{
    struct ucb_wakaama_object *o = object_of(w, oid);
    return o != NULL ? &o->obj : NULL;
}

int ucb_wakaama_host_object(struct ucb_wakaama *w, struct ucb_wakaama_object *o, uint16_t oid)
{
    if (oid <= 2 || oid == LWM2M_MAX_ID || object_of(w, oid) != NULL)
        return UCB_ERR_ARG;
    for (size_t i = 0; i < UCB_WAKAAMA_MAX_EXTRA; i++) {
        if (w->extra[i] == NULL) {
            object_init(w, o, oid);
            w->extra[i] = o;
            return 0;
        }
    }
    return UCB_ERR_CAPACITY;
}

void ucb_wakaama_adapter(struct ucb_wakaama *w, struct ucb_adapter *out)
{
    out->ops = &wakaama_ops;
    out->ctx = w;
}

void ucb_wakaama_attach_bridge(struct ucb_wakaama *w, struct ucb_bridge *b)
{
    w->bridge = b;
}

int ucb_wakaama_create(struct ucb_wakaama *w, uint16_t oid, uint16_t iid, const uint8_t *tlv,
                       size_t len)
{
    return op_create(w, oid, iid, tlv, len);
}

int ucb_wakaama_commit(struct ucb_wakaama *w)
{
    return op_commit(w);
}

int ucb_wakaama_server_uri(const struct ucb_wakaama *w, uint16_t sec_iid, char *buf, size_t cap)
{
    const struct ucb_wakaama_inst *in = NULL;
    struct ucb_tlv t;
    int rc;

    for (size_t i = 0; i < UCB_WAKAAMA_MAX_INSTANCES; i++)
        if (w->security.pool[i].used && w->security.pool[i].id == sec_iid)
            in = &w->security.pool[i];
    if (in == NULL)
        return UCB_ERR_NOT_PRESENT;
    rc = ucb_tlv_find(in->tlv, in->len, ALLOW_RES, 0, &t);
    if (rc != 1)
        return rc < 0 ? rc : UCB_ERR_NOT_PRESENT;
    if (t.len >= cap)
        return UCB_ERR_BUFFER;
    memcpy(buf, t.value, t.len);
    buf[t.len] = '\0';
    return (int)t.len;
}

bool ucb_wakaama_busy(const struct ucb_wakaama *w)
{
    return w->rebuild_wanted;
}

/* Will the next lwm2m_step() send a Register (1) or an Update (2) to @p s? */
static int due(const lwm2m_context_t *ctx, const lwm2m_server_t *s, time_t now)
{
    time_t next;

    if (s->dirty)
        return 0;
    if ((ctx->state == STATE_REGISTER_REQUIRED || ctx->state == STATE_INITIAL) &&
        (s->status == STATE_DEREGISTERED || s->status == STATE_REG_FAILED))
        return 1;
#ifndef LWM2M_VERSION_1_0
    if (s->status == STATE_REG_HOLD_OFF && s->registration <= now)
        return 1;
#endif
    if (s->status == STATE_REG_UPDATE_NEEDED || s->status == STATE_REG_FULL_UPDATE_NEEDED)
        return 2;
    if (s->status != STATE_REGISTERED)
        return 0;
    /* as registration_step(): COAP_MAX_TRANSMIT_WAIT is a double (93 s) */
    const time_t wait = (time_t)COAP_MAX_TRANSMIT_WAIT;
    next = s->lifetime > wait ? s->lifetime - wait : s->lifetime >> 1;
    return s->registration + next <= now ? 2 : 0;
}

/* The Short Server IDs of accounts a rebuild would add to the server list. */
static size_t new_accounts(const struct ucb_wakaama *w, uint16_t *out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < UCB_WAKAAMA_MAX_INSTANCES && n < cap; i++) {
        const struct ucb_wakaama_inst *in = &w->security.pool[i];
        uint16_t ssid;
        if (!in->used || in->hidden || res_bool(in, 1) || !res_u16(in, 10, &ssid) ||
            ssid == 0 || ssid == LWM2M_MAX_ID ||
            LWM2M_LIST_FIND(w->lwm2m->serverList, in->id) != NULL)
            continue;
        out[n++] = ssid;
    }
    return n;
}

int ucb_wakaama_before_step(struct ucb_wakaama *w, struct ucb_bridge *b, time_t now)
{
    lwm2m_context_t *ctx = w->lwm2m;
    uint16_t ssid[2 * UCB_WAKAAMA_MAX_INSTANCES];
    uint8_t kind[2 * UCB_WAKAAMA_MAX_INSTANCES];
    size_t n = 0;
    bool checked = false;
    int first = 0;

    if (ctx->state != STATE_INITIAL)
        w->rebuild_armed = false; /* lwm2m_step() ran the rebuild */
    finish_rebuild(w, now);
    if (b == NULL || ctx->state == STATE_BOOTSTRAPPING)
        return 0;
    /* Collect first: a check may retire entries (never frees them here). */
    for (const lwm2m_server_t *s = ctx->serverList; s != NULL && n < UCB_WAKAAMA_MAX_INSTANCES;
         s = s->next) {
        int d = due(ctx, s, now);
        if (d != 0) {
            ssid[n] = s->shortID;
            kind[n++] = (uint8_t)d;
        }
    }
    if (ctx->state == STATE_INITIAL) {
        size_t k = new_accounts(w, &ssid[n], UCB_WAKAAMA_MAX_INSTANCES);
        for (size_t i = 0; i < k; i++)
            kind[n + i] = 1;
        n += k;
    }
    /* One card check covers every card server due in this step. */
    for (size_t i = 0; i < n; i++) {
        int rc = 0;
        if (checked && ucb_bridge_owns_ssid(b, ssid[i]))
            continue;
        rc = kind[i] == 1 ? ucb_bridge_before_register(b, ssid[i])
                          : ucb_bridge_before_update(b, ssid[i]);
        checked |= ucb_bridge_owns_ssid(b, ssid[i]) || rc != 0;
        if (rc != 0 && rc != UCB_ERR_NOT_PRESENT && first == 0)
            first = rc;
    }
    finish_rebuild(w, now);
    return first;
}
