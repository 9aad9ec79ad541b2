/*
 * The adapter of adapter.h for Zephyr's LwM2M engine (adapter_zephyr.h).
 *
 * Read against Zephyr main of 2025-06-18 (VERSION 4.1.99); every engine
 * behaviour relied on below names the file it was read in. Private engine
 * headers (subsys/net/lib/lwm2m/) are used only where lwm2m.h has no
 * public call, and each such use says so with "PRIVATE:".
 *
 * Lock order. The engine takes the registration client's mutex before the
 * registry lock (lwm2m_rd_client.c: sm_do_registration() reads /1/x/0 with
 * client.mutex held), and lwm2m_create_object_inst() /
 * lwm2m_delete_object_inst() take client.mutex (engine_trigger_update()).
 * So this file holds lwm2m_registry_lock() only around registry walks and
 * setters, never across a create, a delete or an RD-client call. Both locks
 * are k_mutex and so recursive: the operations also work from inside the
 * event callback, where client.mutex is already held.
 */
#include "uiccboot/adapter_zephyr.h"

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/net/lwm2m.h>

/*
 * PRIVATE: subsys/net/lib/lwm2m/ headers (the build adds that directory).
 *  - lwm2m_object.h: struct lwm2m_engine_obj_inst / _res / _res_inst /
 *    _obj_field and the LWM2M_RES_TYPE_* codes. The setters check the value
 *    width against the resource's engine type (lwm2m_registry.c,
 *    lwm2m_check_buf_sizes(): lwm2m_set_u16() on a U32 resource fails), and
 *    lwm2m.h has no call that tells that type, nor which resources and
 *    resource instances an object instance has.
 *  - lwm2m_registry.h: next_engine_obj_inst() (no public instance list),
 *    path_to_objs() and lwm2m_get_engine_obj_field() (resource lookup).
 *  - lwm2m_obj_server.h: lwm2m_server_disable(); the only other way is a
 *    server's Execute on /1/x/4.
 *  - lwm2m_rd_client.h: lwm2m_rd_client_server_disabled(), the per-server
 *    de-register behind /1/x/4 (lwm2m_obj_server.c, disable_cb()).
 */
#include "lwm2m_object.h"
#include "lwm2m_obj_server.h"
#include "lwm2m_rd_client.h"
#include "lwm2m_registry.h"

#include "uiccboot/bootstrap.h"
#include "uiccboot/err.h"
#include "uiccboot/tlv.h"

#define RES_ALLOWED (UCB_TLV_ALLOW(UCB_TLV_RESOURCE) | UCB_TLV_ALLOW(UCB_TLV_MULTIPLE_RESOURCE))
#define RI_ALLOWED UCB_TLV_ALLOW(UCB_TLV_RESOURCE_INSTANCE)

#define OID_SECURITY 0u
#define OID_SERVER 1u
#define OID_ACL 2u
#define RID_ACL_OID 0u
#define RID_ACL_IID 1u
#define RID_ACL_LIST 2u
#define RID_ACL_OWNER 3u
#define RID_SERVER_SSID 0u

#ifdef CONFIG_LWM2M_ACCESS_CONTROL_ENABLE
#define HAVE_ACL 1
#else
#define HAVE_ACL 0
#endif

static struct lwm2m_obj_path path2(uint16_t oid, uint16_t iid)
{
    struct lwm2m_obj_path p = {.obj_id = oid, .obj_inst_id = iid, .level = 2};
    return p;
}

static struct lwm2m_obj_path path3(uint16_t oid, uint16_t iid, uint16_t rid)
{
    struct lwm2m_obj_path p = {.obj_id = oid, .obj_inst_id = iid, .res_id = rid, .level = 3};
    return p;
}

static struct lwm2m_obj_path path4(uint16_t oid, uint16_t iid, uint16_t rid, uint16_t riid)
{
    struct lwm2m_obj_path p = {
        .obj_id = oid, .obj_inst_id = iid, .res_id = rid, .res_inst_id = riid, .level = 4};
    return p;
}

/* Does /oid/iid exist? Registry lock held by the caller or taken here (recursive). */
static bool inst_exists(uint16_t oid, uint16_t iid)
{
    struct lwm2m_obj_path p = path2(oid, iid);
    bool found;

    lwm2m_registry_lock();
    found = lwm2m_engine_get_obj_inst(&p) != NULL; /* PRIVATE: lwm2m_registry.h */
    lwm2m_registry_unlock();
    return found;
}

/* Integer value of a TLV, read as Unsigned where the registry says so (bootstrap.h). */
static int tlv_i64(const struct ucb_tlv *t, uint16_t oid, uint16_t rid, int64_t *out)
{
    const struct ucb_res_info *ri = ucb_res_info_find(oid, rid);

    if (ri != NULL && ri->type == UCB_TYPE_UNSIGNED) {
        uint64_t u;
        int rc = ucb_tlv_get_uint(t, &u);
        if (rc < 0)
            return rc;
        if (u > (uint64_t)INT64_MAX)
            return UCB_ERR_TYPE;
        *out = (int64_t)u;
        return 0;
    }
    return ucb_tlv_get_int(t, out);
}

static bool in_range(int64_t v, int64_t lo, int64_t hi)
{
    return v >= lo && v <= hi;
}

/* ---- create ---------------------------------------------------------- */

/*
 * Set one resource (instance) from its TLV with the setter of the engine's
 * type. A resource the object does not define, or defines without storage
 * (an optional resource the application gave no buffer, e.g. Security
 * 6-9, 11, 12: lwm2m_obj_security.c), is skipped: the engine could not
 * hold it either when a Bootstrap-Server wrote it.
 * Registry lock held by the caller.
 */
static int set_one(struct ucb_zephyr_adapter *z, const struct lwm2m_obj_path *p,
                   const struct ucb_tlv *t)
{
    struct lwm2m_engine_obj_inst *oi = NULL;
    struct lwm2m_engine_obj_field *of = NULL;
    struct lwm2m_engine_res *res = NULL;
    struct lwm2m_engine_res_inst *ri = NULL;
    int64_t v = 0;
    int rc;

    /* PRIVATE: path_to_objs() (lwm2m_registry.h): the resource's engine type and storage. */
    if (path_to_objs(p, &oi, &of, &res, &ri) < 0 || of == NULL || res == NULL)
        return 0;
    if (ri == NULL || (ri->data_ptr == NULL && res->pre_write_cb == NULL))
        return 0;

    switch (of->data_type) {
    case LWM2M_RES_TYPE_OPAQUE: {
        const uint8_t *b;
        size_t n;
        rc = ucb_tlv_get_opaque(t, &b, &n);
        if (rc < 0)
            return rc;
        if (n > UINT16_MAX)
            return UCB_ERR_ADAPTER;
        rc = lwm2m_set_opaque(p, (const char *)b, (uint16_t)n);
        break;
    }
    case LWM2M_RES_TYPE_STRING: {
        const char *s;
        size_t n;
        rc = ucb_tlv_get_string(t, &s, &n);
        if (rc < 0)
            return rc;
        /* lwm2m_set_string() takes a terminated string: copy it. */
        if (n > UCB_ZEPHYR_STR_MAX)
            return UCB_ERR_ADAPTER;
        memcpy(z->str, s, n);
        z->str[n] = '\0';
        rc = lwm2m_set_string(p, z->str);
        break;
    }
    case LWM2M_RES_TYPE_U8:
        rc = tlv_i64(t, p->obj_id, p->res_id, &v);
        if (rc < 0)
            return rc;
        if (!in_range(v, 0, UINT8_MAX))
            return UCB_ERR_TYPE;
        rc = lwm2m_set_u8(p, (uint8_t)v);
        break;
    case LWM2M_RES_TYPE_U16:
        rc = tlv_i64(t, p->obj_id, p->res_id, &v);
        if (rc < 0)
            return rc;
        if (!in_range(v, 0, UINT16_MAX))
            return UCB_ERR_TYPE;
        rc = lwm2m_set_u16(p, (uint16_t)v);
        break;
    case LWM2M_RES_TYPE_U32:
        rc = tlv_i64(t, p->obj_id, p->res_id, &v);
        if (rc < 0)
            return rc;
        if (!in_range(v, 0, UINT32_MAX))
            return UCB_ERR_TYPE;
        rc = lwm2m_set_u32(p, (uint32_t)v);
        break;
    case LWM2M_RES_TYPE_S8:
        rc = tlv_i64(t, p->obj_id, p->res_id, &v);
        if (rc < 0)
            return rc;
        if (!in_range(v, INT8_MIN, INT8_MAX))
            return UCB_ERR_TYPE;
        rc = lwm2m_set_s8(p, (int8_t)v);
        break;
    case LWM2M_RES_TYPE_S16:
        rc = tlv_i64(t, p->obj_id, p->res_id, &v);
        if (rc < 0)
            return rc;
        if (!in_range(v, INT16_MIN, INT16_MAX))
            return UCB_ERR_TYPE;
        rc = lwm2m_set_s16(p, (int16_t)v);
        break;
    case LWM2M_RES_TYPE_S32:
        rc = tlv_i64(t, p->obj_id, p->res_id, &v);
        if (rc < 0)
            return rc;
        if (!in_range(v, INT32_MIN, INT32_MAX))
            return UCB_ERR_TYPE;
        rc = lwm2m_set_s32(p, (int32_t)v);
        break;
    case LWM2M_RES_TYPE_S64:
        rc = tlv_i64(t, p->obj_id, p->res_id, &v);
        if (rc < 0)
            return rc;
        rc = lwm2m_set_s64(p, v);
        break;
    case LWM2M_RES_TYPE_TIME:
        rc = ucb_tlv_get_time(t, &v);
        if (rc < 0)
            return rc;
        rc = lwm2m_set_time(p, (time_t)v);
        break;
    case LWM2M_RES_TYPE_BOOL: {
        bool b;
        rc = ucb_tlv_get_bool(t, &b);
        if (rc < 0)
            return rc;
        rc = lwm2m_set_bool(p, b);
        break;
    }
    case LWM2M_RES_TYPE_FLOAT: {
        double d;
        rc = ucb_tlv_get_float(t, &d);
        if (rc < 0)
            return rc;
        rc = lwm2m_set_f64(p, d);
        break;
    }
    case LWM2M_RES_TYPE_OBJLNK: {
        struct lwm2m_objlnk l;
        rc = ucb_tlv_get_objlnk(t, &l.obj_id, &l.obj_inst);
        if (rc < 0)
            return rc;
        rc = lwm2m_set_objlnk(p, &l);
        break;
    }
    default: /* Executable: nothing to set. */
        return 0;
    }
    return rc < 0 ? UCB_ERR_ADAPTER : 0;
}

/*
 * Replace the ACL entries (/2/iid/2) of an Access Control instance.
 *
 * PRIVATE: written into the engine's resource instances directly, because
 * the public calls cannot do it (lwm2m_registry.c, lwm2m_obj_access_control.c):
 *  - lwm2m_create_res_inst() stores the resource instance ID as uint8_t
 *    (lwm2m_engine_allocate_resource_instance()), so SSID 256 and up
 *    would be cut to its low byte;
 *  - lwm2m_delete_res_inst() sets the slot's data_ptr to NULL, after which
 *    no setter can write that slot again, while the access check reads the
 *    object's own array (check_acl_table(): ac_data[idx].acl[i]);
 *  - lwm2m_set_u16() runs the object's write_validate_cb, which drops an
 *    entry naming an SSID without a Server instance, and the bridge
 *    creates Access Control instances before the accounts they name.
 * So slot k keeps its data pointer (&ac_data[idx].acl[k]) and gets the
 * SSID as its ID and the rights as its value; unused slots are marked
 * RES_INSTANCE_NOT_CREATED, as the object's own write_validate_cb does.
 * Registry lock held by the caller.
 */
static int acl_write(uint16_t acl_iid, const struct ucb_acl_entry *e, size_t n)
{
    struct lwm2m_obj_path p = path3(OID_ACL, acl_iid, RID_ACL_LIST);
    struct lwm2m_engine_res *res = NULL;

    if (path_to_objs(&p, NULL, NULL, &res, NULL) < 0 || res == NULL ||
        res->res_instances == NULL)
        return UCB_ERR_ADAPTER;
    if (n > res->res_inst_count)
        return UCB_ERR_ADAPTER;
    for (size_t k = 0; k < res->res_inst_count; k++) {
        const struct lwm2m_engine_res_inst *ri = &res->res_instances[k];
        if (ri->data_ptr == NULL || ri->max_data_len < sizeof(uint16_t))
            return UCB_ERR_ADAPTER;
    }
    for (size_t k = 0; k < res->res_inst_count; k++) {
        struct lwm2m_engine_res_inst *ri = &res->res_instances[k];
        uint16_t rights = k < n ? e[k].rights : 0u;
        memcpy(ri->data_ptr, &rights, sizeof(rights));
        ri->data_len = sizeof(rights);
        ri->res_inst_id = k < n ? e[k].ssid : (uint16_t)RES_INSTANCE_NOT_CREATED;
    }
    return 0;
}

/* Set every resource of a new instance from its TLVs. Registry lock held by the caller. */
static int fill(struct ucb_zephyr_adapter *z, uint16_t oid, uint16_t iid, const uint8_t *tlv,
                size_t len)
{
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    int rc;

    ucb_tlv_cursor_init(&c, tlv, len, 0, RES_ALLOWED);
    while ((rc = ucb_tlv_next(&c, &t)) == 1) {
        if (oid == OID_ACL && t.id == RID_ACL_LIST) {
            struct ucb_acl_entry e[UCB_ACL_MAX];
            struct ucb_tlv_cursor ric;
            struct ucb_tlv r;
            size_t n = 0;
            int k;

            if (t.kind != UCB_TLV_MULTIPLE_RESOURCE)
                return UCB_ERR_TYPE;
            ucb_tlv_cursor_init(&ric, t.value, t.len, 0, RI_ALLOWED);
            while ((k = ucb_tlv_next(&ric, &r)) == 1) {
                int64_t v;
                int g = ucb_tlv_get_int(&r, &v);
                if (g < 0)
                    return g;
                if (!in_range(v, 0, UINT16_MAX))
                    return UCB_ERR_TYPE;
                if (n == UCB_ACL_MAX)
                    return UCB_ERR_ADAPTER;
                e[n].ssid = r.id;
                e[n].rights = (uint16_t)v;
                n++;
            }
            if (k < 0)
                return k;
            rc = acl_write(iid, e, n);
        } else if (t.kind == UCB_TLV_MULTIPLE_RESOURCE) {
            struct ucb_tlv_cursor ric;
            struct ucb_tlv r;
            int k;

            ucb_tlv_cursor_init(&ric, t.value, t.len, 0, RI_ALLOWED);
            while ((k = ucb_tlv_next(&ric, &r)) == 1) {
                struct lwm2m_obj_path p = path4(oid, iid, t.id, r.id);
                struct lwm2m_obj_path pr = path3(oid, iid, t.id);
                /* Resource instance IDs above 255 do not survive
                 * lwm2m_create_res_inst() (uint8_t, see acl_write()). */
                if (lwm2m_engine_get_res(&pr) == NULL) /* PRIVATE: lwm2m_registry.h */
                    break; /* resource not held by the engine: skipped */
                if (r.id > UINT8_MAX)
                    return UCB_ERR_ADAPTER;
                if (lwm2m_create_res_inst(&p) < 0)
                    return UCB_ERR_ADAPTER;
                rc = set_one(z, &p, &r);
                if (rc < 0)
                    return rc;
            }
            if (k < 0)
                return k;
            rc = 0;
        } else {
            struct lwm2m_obj_path p = path3(oid, iid, t.id);
            rc = set_one(z, &p, &t);
        }
        if (rc < 0)
            return rc;
    }
    return rc;
}

static int zcreate(void *ctx, uint16_t oid, uint16_t iid, const uint8_t *tlv, size_t len)
{
    struct ucb_zephyr_adapter *z = ctx;
    struct lwm2m_obj_path p = path2(oid, iid);
    struct ucb_tlv_cursor c;
    struct ucb_tlv t;
    int rc;

    /* Malformed payloads are refused before anything is created. */
    ucb_tlv_cursor_init(&c, tlv, len, 0, RES_ALLOWED);
    while ((rc = ucb_tlv_next(&c, &t)) == 1) {
    }
    if (rc < 0)
        return rc;

    rc = lwm2m_create_object_inst(&p);
    if (rc == -ENOENT)
        return UCB_ERR_UNSUPPORTED; /* object not registered (lwm2m_create_obj_inst()) */
    if (rc < 0)
        return UCB_ERR_ADAPTER;     /* -EEXIST, -ENOMEM (no free slot), -EINVAL */

    /*
     * A new Server instance starts enabled with SSID index + 1
     * (lwm2m_obj_server.c, server_create()): keep it out of
     * lwm2m_server_select() until its own SSID is written, then enable it.
     * Enabling also clears any stale disabled_until of the slot (an older
     * engine reset disabled_until[0] instead of the new slot's: core-fit §3).
     */
    if (oid == OID_SERVER)
        (void)lwm2m_server_disable(iid, K_FOREVER); /* PRIVATE: lwm2m_obj_server.h */

    lwm2m_registry_lock();
    rc = fill(z, oid, iid, tlv, len);
    lwm2m_registry_unlock();

    if (oid == OID_SERVER)
        (void)lwm2m_server_disable(iid, K_NO_WAIT); /* PRIVATE: enables it again */
    if (rc < 0) {
        (void)lwm2m_delete_object_inst(&p);
        return rc;
    }
    return 0;
}

/* ---- list, read, remove ----------------------------------------------- */

static int zlist(void *ctx, uint16_t oid, uint16_t *out, size_t cap)
{
    struct lwm2m_engine_obj_inst *oi;
    int prev = -1;
    size_t n = 0;

    (void)ctx;
    lwm2m_registry_lock();
    /* PRIVATE: next_engine_obj_inst() (lwm2m_registry.h) gives the next higher ID. */
    while ((oi = next_engine_obj_inst(oid, prev)) != NULL) {
        if (n < cap)
            out[n] = oi->obj_inst_id;
        n++;
        prev = oi->obj_inst_id;
    }
    lwm2m_registry_unlock();
    return n > (size_t)INT32_MAX ? UCB_ERR_ADAPTER : (int)n;
}

/* Length of a stored string: up to its terminator, at most @p max bytes. */
static size_t text_len(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0')
        n++;
    return n;
}

/* An integer resource value, with the width of its Unsigned/Integer type. */
static int put_i64(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id, uint16_t oid,
                   uint16_t rid, int64_t v)
{
    const struct ucb_res_info *ri = ucb_res_info_find(oid, rid);

    if (ri != NULL && ri->type == UCB_TYPE_UNSIGNED && v >= 0)
        return ucb_tlv_put_uint(w, kind, id, (uint64_t)v);
    return ucb_tlv_put_int(w, kind, id, v);
}

/*
 * Encode one resource (instance) value. Numbers and booleans go through the
 * public getters (they honour read callbacks); strings and opaque values
 * are taken from the engine's buffer, whose length the getters do not
 * return. Registry lock held by the caller.
 */
static int put_value(struct ucb_tlv_writer *w, enum ucb_tlv_kind kind, uint16_t id,
                     const struct lwm2m_obj_path *p, uint8_t type,
                     const struct lwm2m_engine_res *res,
                     const struct lwm2m_engine_res_inst *ri)
{
    int rc = 0;

    switch (type) {
    case LWM2M_RES_TYPE_OPAQUE:
    case LWM2M_RES_TYPE_STRING: {
        const void *b = ri->data_ptr;
        size_t n = ri->data_len;
        if (res->read_cb != NULL) {
            size_t cb_len = 0;
            b = res->read_cb(p->obj_inst_id, p->res_id, ri->res_inst_id, &cb_len);
            n = cb_len;
        }
        if (b == NULL)
            n = 0;
        if (type == LWM2M_RES_TYPE_STRING && n > 0)
            n = text_len(b, n); /* stored with its terminator */
        return ucb_tlv_put_raw(w, kind, id, b, n);
    }
    case LWM2M_RES_TYPE_U8: {
        uint8_t v = 0;
        rc = lwm2m_get_u8(p, &v);
        if (rc == 0)
            return put_i64(w, kind, id, p->obj_id, p->res_id, v);
        break;
    }
    case LWM2M_RES_TYPE_U16: {
        uint16_t v = 0;
        rc = lwm2m_get_u16(p, &v);
        if (rc == 0)
            return put_i64(w, kind, id, p->obj_id, p->res_id, v);
        break;
    }
    case LWM2M_RES_TYPE_U32: {
        uint32_t v = 0;
        rc = lwm2m_get_u32(p, &v);
        if (rc == 0)
            return put_i64(w, kind, id, p->obj_id, p->res_id, v);
        break;
    }
    case LWM2M_RES_TYPE_S8: {
        int8_t v = 0;
        rc = lwm2m_get_s8(p, &v);
        if (rc == 0)
            return put_i64(w, kind, id, p->obj_id, p->res_id, v);
        break;
    }
    case LWM2M_RES_TYPE_S16: {
        int16_t v = 0;
        rc = lwm2m_get_s16(p, &v);
        if (rc == 0)
            return put_i64(w, kind, id, p->obj_id, p->res_id, v);
        break;
    }
    case LWM2M_RES_TYPE_S32: {
        int32_t v = 0;
        rc = lwm2m_get_s32(p, &v);
        if (rc == 0)
            return put_i64(w, kind, id, p->obj_id, p->res_id, v);
        break;
    }
    case LWM2M_RES_TYPE_S64: {
        int64_t v = 0;
        rc = lwm2m_get_s64(p, &v);
        if (rc == 0)
            return put_i64(w, kind, id, p->obj_id, p->res_id, v);
        break;
    }
    case LWM2M_RES_TYPE_TIME: {
        time_t v = 0;
        rc = lwm2m_get_time(p, &v);
        if (rc == 0)
            return ucb_tlv_put_int(w, kind, id, (int64_t)v);
        break;
    }
    case LWM2M_RES_TYPE_BOOL: {
        bool v = false;
        rc = lwm2m_get_bool(p, &v);
        if (rc == 0)
            return ucb_tlv_put_bool(w, kind, id, v);
        break;
    }
    case LWM2M_RES_TYPE_FLOAT: {
        double v = 0;
        rc = lwm2m_get_f64(p, &v);
        if (rc == 0)
            return ucb_tlv_put_float(w, kind, id, v);
        break;
    }
    case LWM2M_RES_TYPE_OBJLNK: {
        struct lwm2m_objlnk v = {0, 0};
        rc = lwm2m_get_objlnk(p, &v);
        if (rc == 0)
            return ucb_tlv_put_objlnk(w, kind, id, v.obj_id, v.obj_inst);
        break;
    }
    default:
        return 0;
    }
    return UCB_ERR_ADAPTER;
}

/* A resource instance that holds a value (or can produce one). */
static bool has_value(const struct lwm2m_engine_res *res, const struct lwm2m_engine_res_inst *ri)
{
    return ri->res_inst_id != RES_INSTANCE_NOT_CREATED &&
           (ri->data_ptr != NULL || res->read_cb != NULL);
}

/* Encode the instances of a Multiple Resource. Registry lock held by the caller. */
static int put_multi(struct ucb_tlv_writer *w, const struct lwm2m_engine_obj_inst *oi,
                     const struct lwm2m_engine_res *res, uint8_t type)
{
    for (size_t k = 0; k < res->res_inst_count; k++) {
        const struct lwm2m_engine_res_inst *ri = &res->res_instances[k];
        if (!has_value(res, ri))
            continue;
        struct lwm2m_obj_path p =
            path4(oi->obj->obj_id, oi->obj_inst_id, res->res_id, ri->res_inst_id);
        int rc = put_value(w, UCB_TLV_RESOURCE_INSTANCE, ri->res_inst_id, &p, type, res, ri);
        if (rc < 0 && rc != UCB_ERR_BUFFER)
            return rc;
    }
    return 0;
}

static int zread(void *ctx, uint16_t oid, uint16_t iid, uint8_t *out, size_t cap)
{
    struct lwm2m_obj_path pi = path2(oid, iid);
    struct lwm2m_engine_obj_inst *oi;
    struct ucb_tlv_writer w;
    int rc = 0;

    (void)ctx;
    ucb_tlv_writer_init(&w, out, cap);
    lwm2m_registry_lock();
    oi = lwm2m_engine_get_obj_inst(&pi); /* PRIVATE: lwm2m_registry.h */
    if (oi == NULL) {
        lwm2m_registry_unlock();
        return UCB_ERR_NOT_PRESENT;
    }
    for (uint16_t i = 0; i < oi->resource_count && rc == 0; i++) {
        const struct lwm2m_engine_res *res = &oi->resources[i];
        /* PRIVATE: the object's field table gives the engine type. */
        const struct lwm2m_engine_obj_field *of =
            lwm2m_get_engine_obj_field(oi->obj, res->res_id);

        if (of == NULL || of->data_type == LWM2M_RES_TYPE_NONE || res->res_instances == NULL)
            continue;
        if (res->multi_res_inst) {
            struct ucb_tlv_writer m;
            size_t present = 0;
            for (size_t k = 0; k < res->res_inst_count; k++)
                present += has_value(res, &res->res_instances[k]) ? 1u : 0u;
            if (present == 0)
                continue;
            ucb_tlv_writer_init(&m, NULL, 0); /* measure, then write */
            rc = put_multi(&m, oi, res, of->data_type);
            if (rc == 0)
                rc = ucb_tlv_put_header(&w, UCB_TLV_MULTIPLE_RESOURCE, res->res_id, m.pos);
            if (rc == 0 || rc == UCB_ERR_BUFFER)
                rc = put_multi(&w, oi, res, of->data_type);
        } else {
            const struct lwm2m_engine_res_inst *ri = NULL;
            for (size_t k = 0; k < res->res_inst_count; k++) {
                if (has_value(res, &res->res_instances[k])) {
                    ri = &res->res_instances[k];
                    break;
                }
            }
            if (ri == NULL)
                continue;
            struct lwm2m_obj_path p = path3(oid, iid, res->res_id);
            rc = put_value(&w, UCB_TLV_RESOURCE, res->res_id, &p, of->data_type, res, ri);
        }
        if (rc == UCB_ERR_BUFFER)
            rc = 0; /* keep measuring: finish() reports it */
    }
    lwm2m_registry_unlock();
    if (rc < 0)
        return rc;
    return ucb_tlv_writer_finish(&w);
}

/* The SSID of Server instance @p iid, or a negative errno. */
static int server_ssid(uint16_t iid, uint16_t *out)
{
    struct lwm2m_obj_path p = path3(OID_SERVER, iid, RID_SERVER_SSID);
    return lwm2m_get_u16(&p, out);
}

static int zfind_server(void *ctx, uint16_t ssid, uint16_t *out_iid)
{
    struct lwm2m_engine_obj_inst *oi;
    int prev = -1, found = 0;

    (void)ctx;
    lwm2m_registry_lock();
    while (found == 0 && (oi = next_engine_obj_inst(OID_SERVER, prev)) != NULL) {
        uint16_t s;
        if (server_ssid(oi->obj_inst_id, &s) == 0 && s == ssid) {
            *out_iid = oi->obj_inst_id;
            found = 1;
        }
        prev = oi->obj_inst_id;
    }
    lwm2m_registry_unlock();
    return found;
}

/* Note that the server in use lost its account while a hook runs the bridge. */
static void touch_current(struct ucb_zephyr_adapter *z, uint16_t oid, uint16_t iid)
{
    const struct lwm2m_ctx *c = lwm2m_rd_client_ctx();

    if (c == NULL || !z->busy)
        return;
    if ((oid == OID_SERVER && c->srv_obj_inst == (int)iid) ||
        (oid == OID_SECURITY && c->sec_obj_inst == (int)iid))
        z->current_touched = true;
}

static int zremove(void *ctx, uint16_t oid, uint16_t iid)
{
    struct ucb_zephyr_adapter *z = ctx;
    struct lwm2m_obj_path p = path2(oid, iid);

    if (!inst_exists(oid, iid))
        return UCB_ERR_NOT_PRESENT;

    /*
     * The engine deletes the Access Control instance of a deleted target
     * itself, but by the wrong key: access_control_remove()
     * (lwm2m_obj_access_control.c) deletes AC instance *index* idx, not the
     * instance that targets the object. Delete the targeting instances
     * here, by ID, first: the engine then finds none (its lookup skips
     * deleted slots) and deletes nothing else. This is the cascade that
     * UCB_CAP_CASCADE_ACL announces.
     */
    if (HAVE_ACL && oid != OID_ACL) {
        for (;;) {
            struct lwm2m_engine_obj_inst *oi;
            int prev = -1, victim = -1;

            lwm2m_registry_lock();
            while (victim < 0 && (oi = next_engine_obj_inst(OID_ACL, prev)) != NULL) {
                struct lwm2m_obj_path po = path3(OID_ACL, oi->obj_inst_id, RID_ACL_OID);
                struct lwm2m_obj_path pn = path3(OID_ACL, oi->obj_inst_id, RID_ACL_IID);
                uint16_t to = 0, tn = 0;
                if (lwm2m_get_u16(&po, &to) == 0 && lwm2m_get_u16(&pn, &tn) == 0 &&
                    to == oid && tn == iid)
                    victim = oi->obj_inst_id;
                prev = oi->obj_inst_id;
            }
            lwm2m_registry_unlock();
            if (victim < 0)
                break;
            struct lwm2m_obj_path pa = path2(OID_ACL, (uint16_t)victim);
            if (lwm2m_delete_object_inst(&pa) < 0)
                return UCB_ERR_ADAPTER;
        }
    }

    touch_current(z, oid, iid);
    return lwm2m_delete_object_inst(&p) < 0 ? UCB_ERR_ADAPTER : 0;
}

/* ---- servers ------------------------------------------------------------ */

static int zdisable_server(void *ctx, uint16_t ssid)
{
    struct ucb_zephyr_adapter *z = ctx;
    struct lwm2m_ctx *c;
    uint16_t iid;

    if (zfind_server(ctx, ssid, &iid) != 1)
        return UCB_ERR_NOT_PRESENT;
    /* PRIVATE: lwm2m_obj_server.h. K_FOREVER: until enable_server(), not
     * the Disable Timeout (/1/x/5) a server's Execute /1/x/4 would use. */
    if (lwm2m_server_disable(iid, K_FOREVER) < 0)
        return UCB_ERR_ADAPTER;

    c = lwm2m_rd_client_ctx();
    if (c == NULL || c->srv_obj_inst != (int)iid)
        return 0; /* one server at a time: any other is not registered */
    touch_current(z, OID_SERVER, iid);
    /*
     * The server in use: de-register it and make the client select again,
     * as the engine's own Disable does (lwm2m_obj_server.c, disable_cb() →
     * lwm2m_rd_client_server_disabled(): ENGINE_DEREGISTER, then
     * ENGINE_SERVER_DISABLED). Not from ucb_zephyr_before_register(): there
     * the client has not registered, and the hook's error return makes it
     * drop the attempt.
     */
    if (!z->in_register_hook && lwm2m_rd_client_server_disabled(iid) < 0) /* PRIVATE */
        return UCB_ERR_ADAPTER;
    return 0;
}

static int zenable_server(void *ctx, uint16_t ssid)
{
    uint16_t iid;

    if (zfind_server(ctx, ssid, &iid) != 1)
        return UCB_ERR_NOT_PRESENT;
    /*
     * PRIVATE: lwm2m_obj_server.h. A client left in ENGINE_SERVER_DISABLED
     * looks for an enabled server once a minute (lwm2m_rd_client.c,
     * lwm2m_rd_client_service()), so registration resumes within that.
     */
    return lwm2m_server_disable(iid, K_NO_WAIT) < 0 ? UCB_ERR_ADAPTER : 0;
}

/* ---- access control -------------------------------------------------- */

#if HAVE_ACL
static int zacl_get(void *ctx, uint16_t acl_iid, uint16_t *out_oid, uint16_t *out_iid,
                    struct ucb_acl_entry *entries, size_t cap, uint16_t *out_owner)
{
    struct lwm2m_obj_path po = path3(OID_ACL, acl_iid, RID_ACL_OID);
    struct lwm2m_obj_path pn = path3(OID_ACL, acl_iid, RID_ACL_IID);
    struct lwm2m_obj_path pw = path3(OID_ACL, acl_iid, RID_ACL_OWNER);
    struct lwm2m_obj_path pl = path3(OID_ACL, acl_iid, RID_ACL_LIST);
    struct lwm2m_engine_res *res = NULL;
    size_t n = 0;

    (void)ctx;
    lwm2m_registry_lock();
    if (!inst_exists(OID_ACL, acl_iid)) {
        lwm2m_registry_unlock();
        return UCB_ERR_NOT_PRESENT;
    }
    if (lwm2m_get_u16(&po, out_oid) < 0 || lwm2m_get_u16(&pn, out_iid) < 0 ||
        lwm2m_get_u16(&pw, out_owner) < 0 ||
        path_to_objs(&pl, NULL, NULL, &res, NULL) < 0 || res == NULL) { /* PRIVATE */
        lwm2m_registry_unlock();
        return UCB_ERR_ADAPTER;
    }
    /* PRIVATE: the entries are the created resource instances (see acl_write()). */
    for (size_t k = 0; k < res->res_inst_count; k++) {
        const struct lwm2m_engine_res_inst *ri = &res->res_instances[k];
        uint16_t rights = 0;
        if (!has_value(res, ri))
            continue;
        if (ri->data_ptr != NULL && ri->max_data_len >= sizeof(rights))
            memcpy(&rights, ri->data_ptr, sizeof(rights));
        if (n < cap) {
            entries[n].ssid = ri->res_inst_id;
            entries[n].rights = rights;
        }
        n++;
    }
    lwm2m_registry_unlock();
    return (int)n;
}

static int zacl_set(void *ctx, uint16_t acl_iid, const struct ucb_acl_entry *entries, size_t n,
                    uint16_t owner)
{
    struct lwm2m_obj_path pw = path3(OID_ACL, acl_iid, RID_ACL_OWNER);
    int rc;

    (void)ctx;
    lwm2m_registry_lock();
    if (!inst_exists(OID_ACL, acl_iid)) {
        lwm2m_registry_unlock();
        return UCB_ERR_NOT_PRESENT;
    }
    rc = acl_write(acl_iid, entries, n);
    if (rc == 0 && lwm2m_set_u16(&pw, owner) < 0)
        rc = UCB_ERR_ADAPTER;
    lwm2m_registry_unlock();
    return rc;
}
#endif /* HAVE_ACL */

static uint32_t zcaps(void *ctx)
{
    (void)ctx;
    return UCB_CAP_DISABLE | UCB_CAP_IMPLIED_DEREGISTER | UCB_CAP_IMPLIED_CANCEL |
           (HAVE_ACL ? (UCB_CAP_ACL | UCB_CAP_CASCADE_ACL) : 0u);
}

static const struct ucb_adapter_ops zephyr_ops = {
    .caps = zcaps,
    .list = zlist,
    .create = zcreate,
    .remove = zremove,
    .read = zread,
    .find_server = zfind_server,
    .disable_server = zdisable_server,
    .enable_server = zenable_server,
    .deregister = NULL,          /* implied by disable_server (one server at a time) */
    .cancel_observations = NULL, /* implied: they close with the connection */
#if HAVE_ACL
    .acl_get = zacl_get,
    .acl_set = zacl_set,
#endif
    .commit = NULL, /* create and delete already schedule a registration Update */
};

void ucb_zephyr_adapter_init(struct ucb_zephyr_adapter *z, struct ucb_adapter *out)
{
    memset(z, 0, sizeof(*z));
    out->ops = &zephyr_ops;
    out->ctx = z;
}

/* ---- registration-client hooks ----------------------------------------- */

/* SSID of the server the client uses, or -1 (none selected, or bootstrapping). */
static int current_ssid(const struct lwm2m_ctx *c)
{
    uint16_t s;

    if (c == NULL || c->bootstrap_mode || c->srv_obj_inst < 0 || c->srv_obj_inst > UINT16_MAX)
        return -1;
    if (server_ssid((uint16_t)c->srv_obj_inst, &s) < 0)
        return -1;
    return s;
}

int ucb_zephyr_before_register(struct ucb_zephyr_adapter *z, struct ucb_bridge *b,
                               struct lwm2m_ctx *ctx)
{
    int ssid = current_ssid(ctx);
    int rc;

    if (ssid < 0 || z->busy)
        return 0;
    z->busy = true;
    z->in_register_hook = true;
    z->current_touched = false;
    rc = ucb_bridge_before_register(b, (uint16_t)ssid);
    z->in_register_hook = false;
    z->busy = false;
    z->pre_checked = true;
    /*
     * The engine resolved the URI and loaded the credentials of this server
     * before calling set_socketoptions (lwm2m_engine.c, lwm2m_socket_start()):
     * when the account went or changed they are stale, so drop the attempt.
     */
    if (rc == UCB_ERR_NOT_PRESENT || z->current_touched)
        return -ECANCELED;
    return 0;
}

int ucb_zephyr_on_rd_event(struct ucb_zephyr_adapter *z, struct ucb_bridge *b,
                           struct lwm2m_ctx *ctx, int event)
{
    int ssid, rc;

    if (z->busy)
        return 0; /* e.g. SERVER_DISABLED reported from inside the bridge's disable */
    if (event == (int)LWM2M_RD_CLIENT_EVENT_REG_UPDATE) {
        ssid = current_ssid(ctx);
        if (ssid < 0)
            return 0;
        z->busy = true;
        z->current_touched = false;
        rc = ucb_bridge_before_update(b, (uint16_t)ssid);
        z->busy = false;
        return rc;
    }
    if (event == (int)LWM2M_RD_CLIENT_EVENT_REGISTRATION_COMPLETE) {
        bool checked = z->pre_checked;
        z->pre_checked = false;
        ssid = current_ssid(ctx);
        if (checked || ssid < 0)
            return 0;
        /* No event precedes Register (lwm2m_rd_client.c, sm_do_registration()):
         * check right after it instead. */
        z->busy = true;
        z->current_touched = false;
        rc = ucb_bridge_before_register(b, (uint16_t)ssid);
        z->busy = false;
        return rc;
    }
    if (event == (int)LWM2M_RD_CLIENT_EVENT_REGISTRATION_FAILURE ||
        event == (int)LWM2M_RD_CLIENT_EVENT_NETWORK_ERROR)
        z->pre_checked = false;
    return 0;
}
