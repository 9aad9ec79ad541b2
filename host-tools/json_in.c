/*
 * uiccboot host tool, encode side: walk a spec in the decode --json schema
 * (see json_out.c) and build the model from it.
 *
 * Encode writes what the spec says: it checks the spec's form (keys, IDs,
 * JSON types against the known resource types), never the content's
 * meaning; that is `validate`'s job. Every complaint names the JSON path.
 */
#include "spec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Child path: `parent` followed by the formatted suffix, cut to `cap`. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void jp_join(char *dst, size_t cap, const char *parent, const char *fmt, ...)
{
    size_t n = strnlen(parent, cap - 1);
    va_list ap;

    memcpy(dst, parent, n);
    va_start(ap, fmt);
    vsnprintf(dst + n, cap - n, fmt, ap);
    va_end(ap);
}

/* A JSON key as it may be shown in a path: printable, bounded. */
static void key_text(const char *key, char *buf, size_t cap)
{
    size_t n = 0;

    for (; *key != '\0' && n + 4 < cap && n < 40; key++)
        buf[n++] = (*key >= 0x20 && *key < 0x7f && *key != '"') ? *key : '?';
    if (*key != '\0' && n + 4 <= cap) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
}

static bool parse_key_id(const char *key, uint16_t *out)
{
    return spec_parse_dec16(key, strlen(key), out);
}

static int check_keys(const struct spec *s, json_t *obj, const char *jp, const char *const *allowed)
{
    const char *key;
    json_t *v;
    char kt[48];

    json_object_foreach(obj, key, v) {
        const char *const *a = allowed;
        while (*a != NULL && strcmp(*a, key) != 0)
            a++;
        if (*a == NULL) {
            key_text(key, kt, sizeof(kt));
            spec_err(s, jp, "unknown key \"%s\"", kt);
            return -1;
        }
    }
    return 0;
}

static int get_u16(const struct spec *s, json_t *obj, const char *key, const char *jp,
                   uint16_t *out)
{
    json_t *v = json_object_get(obj, key);

    if (v == NULL) {
        spec_err(s, jp, "missing \"%s\"", key);
        return -1;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 0xFFFF) {
        spec_err(s, jp, "\"%s\" must be an integer 0..65535", key);
        return -1;
    }
    *out = (uint16_t)json_integer_value(v);
    return 0;
}

/* Object version "M.m" (LwM2M Core G.3.4): "1.0" is the implicit byte 00. */
static bool parse_version(const char *v, uint8_t *major, uint8_t *minor)
{
    const char *dot = strchr(v, '.');
    uint16_t a, b;

    if (dot == NULL || !spec_parse_dec16(v, (size_t)(dot - v), &a) ||
        !spec_parse_dec16(dot + 1, strlen(dot + 1), &b) || a < 1 || a > 255 || b > 255)
        return false;
    if (a == 1 && b == 0) {
        *major = 0;
        *minor = 0;
    } else {
        *major = (uint8_t)a;
        *minor = (uint8_t)b;
    }
    return true;
}

static int added(const struct spec *s, int rc, const char *jp)
{
    if (rc >= 0)
        return 0;
    if (rc == UCB_ERR_CAPACITY)
        spec_err(s, jp, "too many entries for the model (at most %u objects, %u instances, "
                        "%u resource entries)",
                 UCB_BS_MAX_OBJECTS, UCB_BS_MAX_INSTANCES, UCB_BS_MAX_RESOURCES);
    else
        spec_err(s, jp, "refused by the model: %s", ucb_strerror(rc));
    return -1;
}

static int build_multiple(struct spec *s, uint16_t oid, uint16_t rid, json_t *insts,
                          const char *jp, const char *lp)
{
    const char *key;
    json_t *v;

    if (!json_is_object(insts)) {
        spec_err(s, jp, "\"instances\" must be an object keyed by resource instance ID");
        return -1;
    }
    if (added(s, ucb_bs_add_multiple(s->bs, rid), jp) != 0)
        return -1;
    json_object_foreach(insts, key, v) {
        char ijp[JP_MAX], ilp[48], kt[48];
        struct val_view val;
        uint16_t riid;

        key_text(key, kt, sizeof(kt));
        jp_join(ijp, sizeof(ijp), jp, ".instances.\"%s\"", kt);
        if (!parse_key_id(key, &riid)) {
            spec_err(s, ijp, "resource instance ID must be a decimal 0..65535");
            return -1;
        }
        snprintf(ilp, sizeof(ilp), "%s/%u", lp, (unsigned)riid);
        if (spec_value_bytes(s, oid, rid, v, ijp, ilp, &val) != 0 ||
            added(s, ucb_bs_add_resource_instance(s->bs, riid, val.ptr, val.len), ijp) != 0)
            return -1;
    }
    return 0;
}

static int build_resources(struct spec *s, uint16_t oid, uint16_t iid, json_t *res,
                           const char *jp)
{
    const char *key;
    json_t *v;

    if (!json_is_object(res)) {
        spec_err(s, jp, "\"resources\" must be an object keyed by resource ID");
        return -1;
    }
    json_object_foreach(res, key, v) {
        char rjp[JP_MAX], lp[40], kt[48];
        struct val_view val;
        uint16_t rid;

        key_text(key, kt, sizeof(kt));
        jp_join(rjp, sizeof(rjp), jp, ".resources.\"%s\"", kt);
        if (!parse_key_id(key, &rid)) {
            spec_err(s, rjp, "resource ID must be a decimal 0..65535");
            return -1;
        }
        snprintf(lp, sizeof(lp), "/%u/%u/%u", (unsigned)oid, (unsigned)iid, (unsigned)rid);
        if (json_is_object(v) && json_object_size(v) == 1 &&
            json_object_get(v, "instances") != NULL) {
            if (build_multiple(s, oid, rid, json_object_get(v, "instances"), rjp, lp) != 0)
                return -1;
            continue;
        }
        if (spec_value_bytes(s, oid, rid, v, rjp, lp, &val) != 0 ||
            added(s, ucb_bs_add_resource(s->bs, rid, val.ptr, val.len), rjp) != 0)
            return -1;
    }
    return 0;
}

static int build_object(struct spec *s, json_t *o, const char *jp)
{
    static const char *const keys[] = {"oid", "version", "instances", NULL};
    static const char *const inst_keys[] = {"iid", "resources", NULL};
    json_t *ver, *insts, *in;
    uint8_t major = 0, minor = 0;
    uint16_t oid, iid;
    size_t i;

    if (!json_is_object(o)) {
        spec_err(s, jp, "expected an object with \"oid\", \"version\" and \"instances\"");
        return -1;
    }
    if (check_keys(s, o, jp, keys) != 0 || get_u16(s, o, "oid", jp, &oid) != 0)
        return -1;
    ver = json_object_get(o, "version"); /* absent: the implicit 1.0 */
    if (ver != NULL && (!json_is_string(ver) || !parse_version(json_string_value(ver), &major,
                                                                &minor))) {
        spec_err(s, jp, "\"version\" must be a string \"M.m\" (M 1..255, m 0..255)");
        return -1;
    }
    insts = json_object_get(o, "instances");
    if (!json_is_array(insts)) {
        spec_err(s, jp, "\"instances\" must be an array");
        return -1;
    }
    if (added(s, ucb_bs_add_object(s->bs, oid, major, minor), jp) != 0)
        return -1;
    json_array_foreach(insts, i, in) {
        char ijp[JP_MAX];

        jp_join(ijp, sizeof(ijp), jp, ".instances[%zu]", i);
        if (!json_is_object(in)) {
            spec_err(s, ijp, "expected an object with \"iid\" and \"resources\"");
            return -1;
        }
        if (check_keys(s, in, ijp, inst_keys) != 0 || get_u16(s, in, "iid", ijp, &iid) != 0 ||
            added(s, ucb_bs_add_instance(s->bs, iid), ijp) != 0 ||
            build_resources(s, oid, iid, json_object_get(in, "resources"), ijp) != 0)
            return -1;
    }
    return 0;
}

int spec_build_model(struct spec *s, json_t *root)
{
    static const char *const keys[] = {"objects", NULL};
    json_t *objects = json_object_get(root, "objects"), *o;
    size_t i;

    if (!json_is_object(root)) {
        spec_err(s, "(top)", "expected an object {\"objects\": [...]}");
        return -1;
    }
    if (check_keys(s, root, "(top)", keys) != 0)
        return -1;
    if (!json_is_array(objects)) {
        spec_err(s, "(top)", "\"objects\" must be an array");
        return -1;
    }
    json_array_foreach(objects, i, o) {
        char jp[JP_MAX];

        snprintf(jp, sizeof(jp), "objects[%zu]", i);
        if (build_object(s, o, jp) != 0)
            return -1;
    }
    return 0;
}
