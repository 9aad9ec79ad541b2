/*
 * Typed views of Security (0), Server (1) and Access Control (2) instances,
 * filled from the model through one field table per object.
 */
#include <string.h>

#include "uiccboot/bootstrap.h"
#include "uiccboot/err.h"
#include "model_int.h"

struct field {
    uint8_t rid;
    uint8_t type; /* enum ucb_type */
    uint16_t off; /* offset of the destination member */
};

#define F(rid, type, st, member) {(rid), UCB_TYPE_##type, (uint16_t)offsetof(st, member)}

static const struct field security_fields[] = {
    F(0, STRING, struct ucb_security, uri),
    F(1, BOOLEAN, struct ucb_security, bootstrap),
    F(2, INTEGER, struct ucb_security, mode),
    F(3, OPAQUE, struct ucb_security, identity),
    F(4, OPAQUE, struct ucb_security, server_key),
    F(5, OPAQUE, struct ucb_security, secret_key),
    F(6, INTEGER, struct ucb_security, sms_mode),
    F(7, OPAQUE, struct ucb_security, sms_params),
    F(8, OPAQUE, struct ucb_security, sms_secret),
    F(9, STRING, struct ucb_security, sms_number),
    F(10, INTEGER, struct ucb_security, ssid),
    F(11, INTEGER, struct ucb_security, holdoff),
    F(12, INTEGER, struct ucb_security, bs_timeout),
    F(13, UNSIGNED, struct ucb_security, matching_type),
    F(14, STRING, struct ucb_security, sni),
    F(15, UNSIGNED, struct ucb_security, cert_usage),
    F(17, OBJLNK, struct ucb_security, oscore_oid),
};

static const struct field server_fields[] = {
    F(0, INTEGER, struct ucb_server, ssid),
    F(1, INTEGER, struct ucb_server, lifetime),
    F(2, INTEGER, struct ucb_server, pmin),
    F(3, INTEGER, struct ucb_server, pmax),
    F(5, INTEGER, struct ucb_server, disable_timeout),
    F(6, BOOLEAN, struct ucb_server, storing),
    F(7, STRING, struct ucb_server, binding),
};

static const struct field acl_fields[] = {
    F(0, INTEGER, struct ucb_acl, target_oid),
    F(1, INTEGER, struct ucb_acl, target_iid),
    F(3, INTEGER, struct ucb_acl, owner),
};

int ucb_res_decode(const struct ucb_bs_res *r, uint8_t type, struct ucb_value *out)
{
    struct ucb_tlv t;
    const char *s;
    bool b;

    memset(out, 0, sizeof *out);
    out->ptr = r->value;
    out->len = r->len;
    ucb_bs_res_tlv(r, &t);
    switch (type) {
    case UCB_TYPE_STRING:
        return ucb_tlv_get_string(&t, &s, &out->len);
    case UCB_TYPE_OPAQUE:
        return 0;
    case UCB_TYPE_INTEGER:
    case UCB_TYPE_TIME:
        return ucb_tlv_get_int(&t, &out->i);
    case UCB_TYPE_UNSIGNED:
        return ucb_tlv_get_uint(&t, &out->u);
    case UCB_TYPE_FLOAT:
        return ucb_tlv_get_float(&t, &out->f);
    case UCB_TYPE_BOOLEAN:
        if (ucb_tlv_get_bool(&t, &b) != 0) {
            return UCB_ERR_TYPE;
        }
        out->i = b;
        return 0;
    case UCB_TYPE_OBJLNK:
        return ucb_tlv_get_objlnk(&t, &out->link[0], &out->link[1]);
    default: /* UCB_TYPE_NONE: an executable resource has no value to carry */
        return UCB_ERR_TYPE;
    }
}

/* Decode one value into the member at `dst`, whose C type follows f->type. */
static int put_field(const struct field *f, const struct ucb_bs_res *r, uint8_t *dst)
{
    struct ucb_value v;
    const int rc = ucb_res_decode(r, f->type, &v);
    if (rc != 0) {
        return rc;
    }
    switch (f->type) {
    case UCB_TYPE_STRING:
    case UCB_TYPE_OPAQUE: {
        const struct ucb_view view = {v.ptr, v.len};
        memcpy(dst, &view, sizeof view);
        break;
    }
    case UCB_TYPE_INTEGER:
        memcpy(dst, &v.i, sizeof v.i);
        break;
    case UCB_TYPE_UNSIGNED:
        memcpy(dst, &v.u, sizeof v.u);
        break;
    case UCB_TYPE_BOOLEAN: {
        const bool b = v.i != 0;
        memcpy(dst, &b, sizeof b);
        break;
    }
    default: /* UCB_TYPE_OBJLNK: two adjacent uint16_t members */
        memcpy(dst, v.link, sizeof v.link);
        break;
    }
    return 0;
}

/*
 * Fill `view` (whose first members are iid and present, as in every typed
 * view) from instance `inst_index` of object `oid`. The first occurrence of
 * a resource wins; duplicates are the validator's to report.
 */
static int fill(const struct ucb_bootstrap *bs, size_t inst_index, uint16_t oid,
                const struct field *fields, size_t nfields, uint8_t *view, size_t view_size,
                uint16_t *out_iid, uint32_t *out_present, int *out_bad_res)
{
    if (bs == NULL || view == NULL || inst_index >= bs->ninst ||
        bs->obj[bs->inst[inst_index].object].oid != oid) {
        return UCB_ERR_ARG;
    }
    memset(view, 0, view_size);
    uint32_t present = 0;
    int result = 0;
    const struct ucb_bs_inst *in = &bs->inst[inst_index];
    for (size_t i = in->first; i < (size_t)in->first + in->count; i++) {
        const struct ucb_bs_res *r = &bs->res[i];
        if (r->kind != UCB_TLV_RESOURCE || r->id >= 32u || (present & (1u << r->id))) {
            continue;
        }
        for (size_t k = 0; k < nfields; k++) {
            if (fields[k].rid != r->id) {
                continue;
            }
            if (put_field(&fields[k], r, view + fields[k].off) == 0) {
                present |= 1u << r->id;
            } else if (result == 0) {
                result = UCB_ERR_TYPE;
                if (out_bad_res != NULL) {
                    *out_bad_res = (int)i;
                }
            }
            break;
        }
    }
    *out_iid = in->iid;
    *out_present = present;
    return result;
}

#define FIELDS(t) (t), sizeof(t) / sizeof((t)[0])

int ucb_bs_security(const struct ucb_bootstrap *bs, size_t inst_index, struct ucb_security *out,
                    int *out_bad_res)
{
    return fill(bs, inst_index, UCB_OID_SECURITY, FIELDS(security_fields), (uint8_t *)out,
                sizeof *out, &out->iid, &out->present, out_bad_res);
}

int ucb_bs_server(const struct ucb_bootstrap *bs, size_t inst_index, struct ucb_server *out,
                  int *out_bad_res)
{
    return fill(bs, inst_index, UCB_OID_SERVER, FIELDS(server_fields), (uint8_t *)out,
                sizeof *out, &out->iid, &out->present, out_bad_res);
}

int ucb_bs_acl(const struct ucb_bootstrap *bs, size_t inst_index, struct ucb_acl *out,
               int *out_bad_res)
{
    const int rc = fill(bs, inst_index, UCB_OID_ACCESS_CONTROL, FIELDS(acl_fields),
                        (uint8_t *)out, sizeof *out, &out->iid, &out->present, out_bad_res);
    if (rc == UCB_ERR_ARG) {
        return rc;
    }
    /* ACL (res 2) is a Multiple Resource: expose its instances as a range. */
    const int mr = ucb_bs_find_res(bs, inst_index, 2);
    if (mr >= 0 && bs->res[mr].kind == UCB_TLV_MULTIPLE_RESOURCE) {
        out->acl_first = (uint16_t)(mr + 1);
        out->acl_count = bs->res[mr].count;
        out->present |= 1u << 2;
    }
    return rc;
}
