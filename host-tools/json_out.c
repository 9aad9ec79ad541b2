/*
 * uiccboot host tool: the decode --json document.
 *
 * Schema (other tools parse it; `encode` accepts it back):
 *   {"objects":[{"oid":0,"version":"1.0","instances":[{"iid":1,"resources":{
 *      "0":"coaps://host:5684", "1":false, "3":{"hex":"6964"},
 *      "5":{"redacted":true,"length":16}, "17":{"objlnk":"21:0"},
 *      "16":{"instances":{"0":49320}}}}]}]}
 * Resources are keyed by decimal ID in file order; values the tool cannot
 * type (unknown resources, bad encodings) are {"hex": ...} of the raw bytes.
 */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>

static json_t *hex_json(const uint8_t *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * len + 1);
    json_t *v;

    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[2 * len] = '\0';
    v = json_pack("{s:s}", "hex", s);
    free(s);
    return v;
}

static json_t *val_json(const struct tool_val *v)
{
    char lnk[16];
    json_t *j;

    switch (v->kind) {
    case TV_STRING:
        j = json_stringn(v->len ? (const char *)v->ptr : "", v->len);
        /* The library checked the UTF-8; should jansson still refuse it,
         * the raw bytes are the lossless answer. */
        return j != NULL ? j : hex_json(v->ptr, v->len);
    case TV_INT:
        return json_integer((json_int_t)v->i);
    case TV_UINT:
        return json_integer((json_int_t)v->u);
    case TV_FLOAT:
        return json_real(v->f);
    case TV_BOOL:
        return json_boolean(v->b);
    case TV_OBJLNK:
        snprintf(lnk, sizeof(lnk), "%u:%u", (unsigned)v->lnk_oid, (unsigned)v->lnk_iid);
        return json_pack("{s:s}", "objlnk", lnk);
    case TV_REDACTED:
        return json_pack("{s:b,s:I}", "redacted", 1, "length", (json_int_t)v->len);
    case TV_OPAQUE:
    case TV_RAW:
    default:
        return hex_json(v->ptr, v->len);
    }
}

/* Set `key` (a decimal ID) in `obj`, warning when the file repeats the ID:
 * a JSON object holds one value per key (the validator reports RES-DUPLICATE). */
static int put_id(json_t *obj, uint16_t id, json_t *v, const char *file, const char *where)
{
    char key[8];

    snprintf(key, sizeof(key), "%u", (unsigned)id);
    if (json_object_get(obj, key) != NULL)
        tool_err("warning: %s: %s/%s appears more than once; the JSON keeps the last value",
                 file, where, key);
    return json_object_set_new(obj, key, v);
}

static json_t *instance_json(const struct ucb_bootstrap *bs, uint16_t oid,
                             const struct ucb_bs_inst *in, const char *file, bool show_secrets)
{
    size_t end = (size_t)in->first + in->count;
    json_t *res = json_object();
    struct tool_val v;
    char where[32];

    if (res == NULL)
        return NULL;
    if (end > bs->nres)
        end = bs->nres;
    snprintf(where, sizeof(where), "/%u/%u", (unsigned)oid, (unsigned)in->iid);
    for (size_t k = in->first; k < end; k++) {
        const struct ucb_bs_res *r = &bs->res[k];
        json_t *jv;

        if (r->kind == UCB_TLV_MULTIPLE_RESOURCE) {
            json_t *insts = json_object();
            char mwhere[40];
            size_t n = r->count;

            if (n > end - k - 1)
                n = end - k - 1;
            snprintf(mwhere, sizeof(mwhere), "%s/%u", where, (unsigned)r->id);
            for (size_t j = 1; insts != NULL && j <= n; j++) {
                tool_val_get(oid, r->id, &bs->res[k + j], show_secrets, &v);
                if (put_id(insts, bs->res[k + j].id, val_json(&v), file, mwhere) != 0) {
                    json_decref(insts);
                    insts = NULL;
                }
            }
            k += n;
            jv = insts != NULL ? json_pack("{s:o}", "instances", insts) : NULL;
        } else {
            tool_val_get(oid, r->id, r, show_secrets, &v);
            jv = val_json(&v);
        }
        if (put_id(res, r->id, jv, file, where) != 0) {
            json_decref(res);
            return NULL;
        }
    }
    return json_pack("{s:I,s:o}", "iid", (json_int_t)in->iid, "resources", res);
}

json_t *tool_json_from_model(const struct ucb_bootstrap *bs, const char *file,
                             bool show_secrets)
{
    json_t *objects = json_array();

    for (size_t oi = 0; objects != NULL && oi < bs->nobj; oi++) {
        const struct ucb_bs_obj *ob = &bs->obj[oi];
        json_t *insts = json_array();
        char ver[8];

        /* The implicit version byte 00 means 1.0 (LwM2M Core G.3.4). */
        if (ob->major == 0 && ob->minor == 0)
            snprintf(ver, sizeof(ver), "1.0");
        else
            snprintf(ver, sizeof(ver), "%u.%u", (unsigned)ob->major, (unsigned)ob->minor);
        for (size_t ii = ob->first; insts != NULL && ii < (size_t)ob->first + ob->count &&
                                    ii < bs->ninst; ii++) {
            if (json_array_append_new(
                    insts, instance_json(bs, ob->oid, &bs->inst[ii], file, show_secrets)) != 0) {
                json_decref(insts);
                insts = NULL;
            }
        }
        if (insts == NULL ||
            json_array_append_new(objects, json_pack("{s:I,s:s,s:o}", "oid", (json_int_t)ob->oid,
                                                     "version", ver, "instances", insts)) != 0) {
            json_decref(objects);
            objects = NULL;
        }
    }
    return objects != NULL ? json_pack("{s:o}", "objects", objects) : NULL;
}
