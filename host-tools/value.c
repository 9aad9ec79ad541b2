/* uiccboot host tool: how one model value is shown (shared by tree and JSON). */
#include "tool.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

bool tool_res_is_secret(uint16_t oid, uint16_t rid)
{
    const struct ucb_res_info *ri;

    /* Security Secret Key and SMS Binding Secret Key(s) (LwM2M Core E.1,
     * resources 5 and 8) are hidden whatever the resource table says. */
    if (oid == UCB_OID_SECURITY && (rid == 5 || rid == 8))
        return true;
    ri = ucb_res_info_find(oid, rid);
    return ri != NULL && ri->secret;
}

static bool decode_typed(enum ucb_type type, const struct ucb_tlv *t, struct tool_val *out)
{
    const char *s;

    switch (type) {
    case UCB_TYPE_STRING:
        if (ucb_tlv_get_string(t, &s, &out->len) != 0)
            return false;
        out->ptr = (const uint8_t *)s;
        out->kind = TV_STRING;
        return true;
    case UCB_TYPE_INTEGER:
    case UCB_TYPE_TIME:
        if (ucb_tlv_get_int(t, &out->i) != 0)
            return false;
        out->kind = TV_INT;
        return true;
    case UCB_TYPE_UNSIGNED:
        if (ucb_tlv_get_uint(t, &out->u) != 0)
            return false;
        /* JSON numbers of the tool are int64: a larger value stays raw
         * (lossless, and encode accepts it back). */
        if (out->u <= (uint64_t)INT64_MAX)
            out->kind = TV_UINT;
        return true;
    case UCB_TYPE_FLOAT:
        if (ucb_tlv_get_float(t, &out->f) != 0)
            return false;
        if (isfinite(out->f)) /* JSON has no NaN or infinity */
            out->kind = TV_FLOAT;
        return true;
    case UCB_TYPE_BOOLEAN:
        if (ucb_tlv_get_bool(t, &out->b) != 0)
            return false;
        out->kind = TV_BOOL;
        return true;
    case UCB_TYPE_OPAQUE:
        out->kind = TV_OPAQUE;
        return true;
    case UCB_TYPE_OBJLNK:
        if (ucb_tlv_get_objlnk(t, &out->lnk_oid, &out->lnk_iid) != 0)
            return false;
        out->kind = TV_OBJLNK;
        return true;
    case UCB_TYPE_NONE:
    default:
        return true; /* executable: any bytes there are shown raw */
    }
}

void tool_val_get(uint16_t oid, uint16_t rid, const struct ucb_bs_res *r, bool show_secrets,
                  struct tool_val *out)
{
    const struct ucb_res_info *ri;
    struct ucb_tlv t;

    memset(out, 0, sizeof(*out));
    out->kind = TV_RAW;
    out->ptr = r->value;
    out->len = r->len;
    if (!show_secrets && tool_res_is_secret(oid, rid)) {
        out->kind = TV_REDACTED;
        return;
    }
    ri = ucb_res_info_find(oid, rid);
    if (ri == NULL)
        return;
    ucb_bs_res_tlv(r, &t);
    if (!decode_typed((enum ucb_type)ri->type, &t, out)) {
        /* Shown raw so that decoding never fails on a value; the validator
         * reports it (RES-TYPE). */
        out->kind = TV_RAW;
        out->ptr = r->value;
        out->len = r->len;
        out->type_fault = true;
    }
}

const char *tool_type_name(enum ucb_type t)
{
    switch (t) {
    case UCB_TYPE_STRING: return "String";
    case UCB_TYPE_INTEGER: return "Integer";
    case UCB_TYPE_UNSIGNED: return "Unsigned Integer";
    case UCB_TYPE_FLOAT: return "Float";
    case UCB_TYPE_BOOLEAN: return "Boolean";
    case UCB_TYPE_OPAQUE: return "Opaque";
    case UCB_TYPE_TIME: return "Time";
    case UCB_TYPE_OBJLNK: return "Objlnk";
    case UCB_TYPE_NONE:
    default: return "none (executable)";
    }
}

void tool_path_text(uint32_t oid, uint32_t iid, uint32_t rid, uint32_t riid, char *buf,
                    size_t cap)
{
    const uint32_t part[4] = {oid, iid, rid, riid};
    size_t n = 0;

    if (cap == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < 4 && part[i] != UCB_ID_NONE && n < cap; i++) {
        int w = snprintf(buf + n, cap - n, "/%" PRIu32, part[i]);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    if (buf[0] == '\0')
        snprintf(buf, cap, "/");
}

void tool_fault_text(const struct ucb_bs_fault *f, char *buf, size_t cap)
{
    char path[64];
    const char *what = f->what != NULL && f->what[0] != '\0' ? f->what : ucb_strerror(f->err);

    tool_path_text(f->oid, f->iid, f->rid, f->riid, path, sizeof(path));
    snprintf(buf, cap, "%s at offset %" PRIu32 " (path %s)", what, f->offset, path);
}
