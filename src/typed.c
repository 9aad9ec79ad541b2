/*
 * Typed views of Security (0), Server (1) and Access Control (2) instances,
 * filled from the model through one field table per object.
 */
#include <string.h>

#include "uiccboot/bootstrap.h"
#include "uiccboot/err.h"

enum field_kind { F_STRING, F_OPAQUE, F_INT, F_UINT, F_BOOL, F_OBJLNK };

struct field {
    uint8_t rid;
    uint8_t kind;
    uint16_t off; /* offset of the destination member */
};

#define F(rid, kind, type, member) {(rid), (kind), (uint16_t)offsetof(type, member)}

static const struct field security_fields[] = {
    F(0, F_STRING, struct ucb_security, uri),
    F(1, F_BOOL, struct ucb_security, bootstrap),
    F(2, F_INT, struct ucb_security, mode),
    F(3, F_OPAQUE, struct ucb_security, identity),
    F(4, F_OPAQUE, struct ucb_security, server_key),
    F(5, F_OPAQUE, struct ucb_security, secret_key),
    F(6, F_INT, struct ucb_security, sms_mode),
    F(7, F_OPAQUE, struct ucb_security, sms_params),
    F(8, F_OPAQUE, struct ucb_security, sms_secret),
    F(9, F_STRING, struct ucb_security, sms_number),
    F(10, F_INT, struct ucb_security, ssid),
    F(11, F_INT, struct ucb_security, holdoff),
    F(12, F_INT, struct ucb_security, bs_timeout),
    F(13, F_UINT, struct ucb_security, matching_type),
    F(14, F_STRING, struct ucb_security, sni),
    F(15, F_UINT, struct ucb_security, cert_usage),
    F(17, F_OBJLNK, struct ucb_security, oscore_oid),
};

static const struct field server_fields[] = {
    F(0, F_INT, struct ucb_server, ssid),
    F(1, F_INT, struct ucb_server, lifetime),
    F(2, F_INT, struct ucb_server, pmin),
    F(3, F_INT, struct ucb_server, pmax),
    F(5, F_INT, struct ucb_server, disable_timeout),
    F(6, F_BOOL, struct ucb_server, storing),
    F(7, F_STRING, struct ucb_server, binding),
};

static const struct field acl_fields[] = {
    F(0, F_INT, struct ucb_acl, target_oid),
    F(1, F_INT, struct ucb_acl, target_iid),
    F(3, F_INT, struct ucb_acl, owner),
};

/* Decode one value into the member at `dst`. */
static int put_field(const struct field *f, const struct ucb_bs_res *r, uint8_t *dst)
{
    struct ucb_tlv t;
    ucb_bs_res_tlv(r, &t);
    struct ucb_view v;
    int rc;
    switch (f->kind) {
    case F_STRING:
    case F_OPAQUE: {
        const char *s;
        rc = f->kind == F_STRING ? ucb_tlv_get_string(&t, &s, &v.len) : 0;
        v.ptr = r->value;
        v.len = r->len;
        if (rc == 0) {
            memcpy(dst, &v, sizeof v);
        }
        return rc;
    }
    case F_INT: {
        int64_t i;
        rc = ucb_tlv_get_int(&t, &i);
        if (rc == 0) {
            memcpy(dst, &i, sizeof i);
        }
        return rc;
    }
    case F_UINT: {
        uint64_t u;
        rc = ucb_tlv_get_uint(&t, &u);
        if (rc == 0) {
            memcpy(dst, &u, sizeof u);
        }
        return rc;
    }
    case F_BOOL: {
        bool b;
        rc = ucb_tlv_get_bool(&t, &b);
        if (rc == 0) {
            memcpy(dst, &b, sizeof b);
        }
        return rc;
    }
    default: { /* F_OBJLNK: two adjacent uint16_t members */
        uint16_t l[2];
        rc = ucb_tlv_get_objlnk(&t, &l[0], &l[1]);
        if (rc == 0) {
            memcpy(dst, l, sizeof l);
        }
        return rc;
    }
    }
}

/*
 * Fill `view` (whose first members are iid and present, as in every typed
 * view) from instance `inst_index` of object `oid`. The first occurrence of
 * a resource wins; duplicates are the validator's to report.
 */
static int fill(const struct ucb_bootstrap *bs, size_t inst_index, uint16_t oid,
                const struct field *fields, size_t nfields, uint8_t *view, size_t view_size,
                uint32_t *present, int *out_bad_res)
{
    if (bs == NULL || view == NULL || inst_index >= bs->ninst ||
        bs->obj[bs->inst[inst_index].object].oid != oid) {
        return UCB_ERR_ARG;
    }
    memset(view, 0, view_size);
    int result = 0;
    const struct ucb_bs_inst *in = &bs->inst[inst_index];
    for (size_t i = in->first; i < (size_t)in->first + in->count; i++) {
        const struct ucb_bs_res *r = &bs->res[i];
        if (r->kind != UCB_TLV_RESOURCE || r->id >= 32u || (*present & (1u << r->id))) {
            continue;
        }
        for (size_t k = 0; k < nfields; k++) {
            if (fields[k].rid != r->id) {
                continue;
            }
            if (put_field(&fields[k], r, view + fields[k].off) == 0) {
                *present |= 1u << r->id;
            } else if (result == 0) {
                result = UCB_ERR_TYPE;
                if (out_bad_res != NULL) {
                    *out_bad_res = (int)i;
                }
            }
            break;
        }
    }
    return result;
}

int ucb_bs_security(const struct ucb_bootstrap *bs, size_t inst_index, struct ucb_security *out,
                    int *out_bad_res)
{
    uint32_t present = 0;
    const int rc = fill(bs, inst_index, UCB_OID_SECURITY, security_fields,
                        sizeof security_fields / sizeof security_fields[0], (uint8_t *)out,
                        sizeof *out, &present, out_bad_res);
    if (rc != UCB_ERR_ARG) {
        out->iid = bs->inst[inst_index].iid;
        out->present = present;
    }
    return rc;
}

int ucb_bs_server(const struct ucb_bootstrap *bs, size_t inst_index, struct ucb_server *out,
                  int *out_bad_res)
{
    uint32_t present = 0;
    const int rc = fill(bs, inst_index, UCB_OID_SERVER, server_fields,
                        sizeof server_fields / sizeof server_fields[0], (uint8_t *)out,
                        sizeof *out, &present, out_bad_res);
    if (rc != UCB_ERR_ARG) {
        out->iid = bs->inst[inst_index].iid;
        out->present = present;
    }
    return rc;
}

int ucb_bs_acl(const struct ucb_bootstrap *bs, size_t inst_index, struct ucb_acl *out,
               int *out_bad_res)
{
    uint32_t present = 0;
    const int rc = fill(bs, inst_index, UCB_OID_ACCESS_CONTROL, acl_fields,
                        sizeof acl_fields / sizeof acl_fields[0], (uint8_t *)out, sizeof *out,
                        &present, out_bad_res);
    if (rc == UCB_ERR_ARG) {
        return rc;
    }
    out->iid = bs->inst[inst_index].iid;
    out->present = present;
    /* ACL (res 2) is a Multiple Resource: expose its instances as a range. */
    const int mr = ucb_bs_find_res(bs, inst_index, 2);
    if (mr >= 0 && bs->res[mr].kind == UCB_TLV_MULTIPLE_RESOURCE) {
        out->acl_first = (uint16_t)(mr + 1);
        out->acl_count = bs->res[mr].count;
        out->present |= 1u << 2;
    }
    return rc;
}
