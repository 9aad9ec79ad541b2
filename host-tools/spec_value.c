/*
 * uiccboot host tool, encode side: the bytes of one spec value, by the known
 * type of its resource (LwM2M Core Appendix C encodings). {"hex": "..."} is
 * accepted for any resource as its raw bytes.
 */
#include "spec.h"

#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void spec_err(const struct spec *s, const char *jp, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "uiccboot: %s: %s: ", s->name, jp);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* A buffer that lives as long as the spec (the model holds views). */
static uint8_t *keep(struct spec *s, size_t n)
{
    uint8_t *p;

    if (s->nkeep == s->capkeep) {
        size_t ncap = s->capkeep ? 2 * s->capkeep : 64;
        uint8_t **nk = realloc(s->keep, ncap * sizeof(*nk));
        if (nk == NULL)
            return NULL;
        s->keep = nk;
        s->capkeep = ncap;
    }
    p = malloc(n ? n : 1);
    if (p != NULL)
        s->keep[s->nkeep++] = p;
    return p;
}

void spec_free(struct spec *s)
{
    for (size_t k = 0; k < s->nkeep; k++)
        free(s->keep[k]);
    free(s->keep);
    s->keep = NULL;
    s->nkeep = s->capkeep = 0;
}

/* IDs are canonical decimal 0..65535: no sign, no leading zero. */
bool spec_parse_dec16(const char *p, size_t len, uint16_t *out)
{
    uint32_t v = 0;

    if (len == 0 || len > 5 || (len > 1 && p[0] == '0'))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10u + (uint32_t)(p[i] - '0');
    }
    if (v > 0xFFFFu)
        return false;
    *out = (uint16_t)v;
    return true;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_hex(struct spec *s, json_t *h, const char *jp, struct val_view *out)
{
    const char *str = json_string_value(h);
    size_t n = json_string_length(h);
    uint8_t *buf;

    if (str == NULL) {
        spec_err(s, jp, "\"hex\" must be a string of hex digits");
        return -1;
    }
    if (n % 2 != 0) {
        spec_err(s, jp, "bad hex: odd number of digits");
        return -1;
    }
    if (n / 2 > UCB_BOOTSTRAP_MAX) {
        spec_err(s, jp, "value of %zu bytes cannot fit a %u-byte file", n / 2, UCB_BOOTSTRAP_MAX);
        return -1;
    }
    buf = keep(s, n / 2);
    if (buf == NULL) {
        spec_err(s, jp, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_nibble(str[i]), lo = hex_nibble(str[i + 1]);
        if (hi < 0 || lo < 0) {
            spec_err(s, jp, "bad hex: not a hex digit at position %zu", hi < 0 ? i : i + 1);
            return -1;
        }
        buf[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    out->ptr = buf;
    out->len = n / 2;
    return 0;
}

static int parse_objlnk(struct spec *s, json_t *l, const char *jp, struct val_view *out)
{
    const char *str = json_string_value(l);
    const char *colon = str != NULL ? strchr(str, ':') : NULL;
    uint16_t a, b;
    uint8_t *buf;

    if (colon == NULL || json_string_length(l) != strlen(str) ||
        !spec_parse_dec16(str, (size_t)(colon - str), &a) ||
        !spec_parse_dec16(colon + 1, strlen(colon + 1), &b)) {
        spec_err(s, jp, "\"objlnk\" must be a string \"OID:IID\" (decimal 0..65535 each)");
        return -1;
    }
    buf = keep(s, 4);
    if (buf == NULL) {
        spec_err(s, jp, "out of memory");
        return -1;
    }
    /* Objlnk: Object ID(16) || Instance ID(16), big-endian (Core Appendix C). */
    buf[0] = (uint8_t)(a >> 8);
    buf[1] = (uint8_t)a;
    buf[2] = (uint8_t)(b >> 8);
    buf[3] = (uint8_t)b;
    out->ptr = buf;
    out->len = 4;
    return 0;
}

/* Big-endian, in the fewest of 1, 2, 4, 8 bytes (Core Appendix C). */
static size_t put_be(uint8_t *buf, uint64_t u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[n - 1 - i] = (uint8_t)(u >> (8 * i));
    return n;
}

static size_t int_size(int64_t v)
{
    if (v >= INT8_MIN && v <= INT8_MAX)
        return 1;
    if (v >= INT16_MIN && v <= INT16_MAX)
        return 2;
    return v >= INT32_MIN && v <= INT32_MAX ? 4 : 8;
}

static size_t uint_size(uint64_t v)
{
    return v <= 0xFFu ? 1 : v <= 0xFFFFu ? 2 : v <= 0xFFFFFFFFu ? 4 : 8;
}

/* Float: binary32 when it holds the value exactly, else binary64. */
static size_t put_float(uint8_t *buf, double d)
{
    if (d >= -FLT_MAX && d <= FLT_MAX && (double)(float)d == d) {
        float f = (float)d;
        uint32_t bits;
        memcpy(&bits, &f, sizeof(bits));
        return put_be(buf, bits, 4);
    }
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    return put_be(buf, bits, 8);
}

static const char *type_expect(enum ucb_type t)
{
    switch (t) {
    case UCB_TYPE_STRING: return "a string";
    case UCB_TYPE_INTEGER: return "an integer";
    case UCB_TYPE_UNSIGNED: return "a non-negative integer";
    case UCB_TYPE_FLOAT: return "a number";
    case UCB_TYPE_BOOLEAN: return "true or false";
    case UCB_TYPE_OPAQUE: return "{\"hex\": \"...\"}";
    case UCB_TYPE_TIME: return "an integer (Unix time)";
    case UCB_TYPE_OBJLNK: return "{\"objlnk\": \"OID:IID\"}";
    case UCB_TYPE_NONE:
    default: return "{\"hex\": \"...\"}";
    }
}

/* A value given as a JSON object: {"hex"}, {"objlnk"}, or a refused {"redacted"}. */
static int tagged_value(struct spec *s, const struct ucb_res_info *ri, json_t *v,
                        const char *jp, const char *lp, const char *what,
                        struct val_view *out)
{
    json_t *h = json_object_get(v, "hex"), *l = json_object_get(v, "objlnk");

    if (json_object_get(v, "redacted") != NULL) {
        spec_err(s, jp, "%s is redacted; decode with --show-secrets to produce an encodable spec",
                 lp);
        return -1;
    }
    if (json_object_size(v) == 1 && h != NULL)
        return parse_hex(s, h, jp, out);
    if (json_object_size(v) == 1 && l != NULL) {
        if (ri != NULL && ri->type == UCB_TYPE_OBJLNK)
            return parse_objlnk(s, l, jp, out);
        spec_err(s, jp, "expected %s for %s", ri ? type_expect((enum ucb_type)ri->type)
                                                 : "{\"hex\": \"...\"}", what);
        return -1;
    }
    if (json_object_get(v, "instances") != NULL && json_object_size(v) == 1)
        spec_err(s, jp, "a resource instance cannot hold instances");
    else
        spec_err(s, jp, "expected a value or one of {\"hex\": ...}, {\"objlnk\": ...}, "
                        "{\"instances\": {...}}");
    return -1;
}

/* The bytes of value `v` of resource /oid/../rid, by the resource's known type. */
int spec_value_bytes(struct spec *s, uint16_t oid, uint16_t rid, json_t *v, const char *jp,
                     const char *lp, struct val_view *out)
{
    const struct ucb_res_info *ri = ucb_res_info_find(oid, rid);
    const char *what = ri != NULL && ri->name != NULL && ri->name[0] != '\0' ? ri->name : lp;
    enum ucb_type type = ri != NULL ? (enum ucb_type)ri->type : UCB_TYPE_NONE;
    uint8_t *buf;

    if (json_is_object(v))
        return tagged_value(s, ri, v, jp, lp, what, out);
    if (ri == NULL) {
        spec_err(s, jp, "expected {\"hex\": \"...\"} for unknown resource %s", lp);
        return -1;
    }
    if (type == UCB_TYPE_STRING && json_is_string(v)) {
        out->ptr = (const uint8_t *)json_string_value(v); /* lives as long as the document */
        out->len = json_string_length(v);
        if (out->len <= UCB_BOOTSTRAP_MAX)
            return 0;
        spec_err(s, jp, "string of %zu bytes cannot fit a %u-byte file", out->len,
                 UCB_BOOTSTRAP_MAX);
        return -1;
    }
    bool ok = ((type == UCB_TYPE_INTEGER || type == UCB_TYPE_TIME) && json_is_integer(v)) ||
              (type == UCB_TYPE_UNSIGNED && json_is_integer(v) && json_integer_value(v) >= 0) ||
              (type == UCB_TYPE_FLOAT && json_is_number(v)) ||
              (type == UCB_TYPE_BOOLEAN && json_is_boolean(v));
    if (!ok && type == UCB_TYPE_NONE) {
        spec_err(s, jp, "%s is executable and has no value type; give {\"hex\": \"...\"}", what);
        return -1;
    }
    if (!ok) {
        spec_err(s, jp, "expected %s for %s", type_expect(type), what);
        return -1;
    }
    buf = keep(s, 8);
    if (buf == NULL) {
        spec_err(s, jp, "out of memory");
        return -1;
    }
    out->ptr = buf;
    if (type == UCB_TYPE_FLOAT) {
        out->len = put_float(buf, json_number_value(v));
    } else if (type == UCB_TYPE_BOOLEAN) {
        buf[0] = json_is_true(v) ? 1 : 0;
        out->len = 1;
    } else if (type == UCB_TYPE_UNSIGNED) {
        uint64_t u = (uint64_t)json_integer_value(v);
        out->len = put_be(buf, u, uint_size(u));
    } else {
        int64_t i = (int64_t)json_integer_value(v);
        out->len = put_be(buf, (uint64_t)i, int_size(i));
    }
    return 0;
}
