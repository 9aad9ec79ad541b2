/*
 * Card profiles: the JSON file that describes a virtual UICC variant
 * (keys documented in docs/simcard.md). The loader is strict: an unknown
 * key or a value of the wrong type is an error that names the key, so a
 * typo in a test fixture cannot silently give the default card.
 *
 * Checks that involve more than one key (pin_file needs a PIN, distinct
 * FIDs, file_size against the bootstrap file) are made by vuicc_new(),
 * because command-line options may still change the profile.
 *
 * SCP03 key files (and the profile's inline "scp03_keys") hold secrets:
 * no message here ever quotes a value, a JSON syntax error is reported
 * without the input the parser quotes, and the parsed key strings are
 * wiped before jansson frees them (best effort: jansson's own scratch
 * buffers are not reachable).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "vuicc.h"

/* A message for one key: "key 'faults.kind': expected ...". */
struct ctx {
    char *err;
    size_t errlen;
    const char *path;
};

static int fail(const struct ctx *x, const char *key, const char *what)
{
    if (x->err && x->errlen)
        snprintf(x->err, x->errlen, "%s: key '%s': %s", x->path, key, what);
    return -1;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Hex string of @p min..@p max bytes (no separators). */
static int get_hex(const struct ctx *x, const char *key, const json_t *v, uint8_t *out,
                   size_t min, size_t max, size_t *out_len)
{
    char what[96];
    if (!json_is_string(v)) return fail(x, key, "expected a hex string");
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    snprintf(what, sizeof what, "expected %zu to %zu bytes as hex digits", min, max);
    if (n % 2 != 0 || n / 2 < min || n / 2 > max) return fail(x, key, what);
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0) return fail(x, key, what);
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = n / 2;
    return 0;
}

/* A file identifier: exactly 4 hex digits, "6432". */
static int get_fid(const struct ctx *x, const char *key, const json_t *v, uint16_t *out)
{
    uint8_t b[2];
    size_t n;
    if (!json_is_string(v) || strlen(json_string_value(v)) != 4)
        return fail(x, key, "expected a file identifier as 4 hex digits (\"6432\")");
    if (get_hex(x, key, v, b, 2, 2, &n) != 0) return -1;
    *out = (uint16_t)(b[0] << 8 | b[1]);
    return 0;
}

static int get_bool(const struct ctx *x, const char *key, const json_t *v, bool *out)
{
    if (!json_is_boolean(v)) return fail(x, key, "expected true or false");
    *out = json_is_true(v);
    return 0;
}

static int get_int(const struct ctx *x, const char *key, const json_t *v, json_int_t min,
                   json_int_t max, json_int_t *out)
{
    char what[96];
    snprintf(what, sizeof what, "expected an integer from %lld to %lld", (long long)min,
             (long long)max);
    if (!json_is_integer(v)) return fail(x, key, what);
    json_int_t i = json_integer_value(v);
    if (i < min || i > max) return fail(x, key, what);
    *out = i;
    return 0;
}

/* A byte or a 16-bit word: an integer, or hex digits ("81", "6F00"). */
static int get_num_or_hex(const struct ctx *x, const char *key, const json_t *v, size_t bytes,
                          uint32_t *out)
{
    json_int_t i;
    if (json_is_string(v)) {
        uint8_t b[2];
        size_t n;
        if (strlen(json_string_value(v)) != 2 * bytes)
            return fail(x, key, bytes == 1 ? "expected 2 hex digits or an integer 0-255"
                                           : "expected 4 hex digits or an integer 0-65535");
        if (get_hex(x, key, v, b, bytes, bytes, &n) != 0) return -1;
        *out = bytes == 1 ? b[0] : (uint32_t)(b[0] << 8 | b[1]);
        return 0;
    }
    if (get_int(x, key, v, 0, bytes == 1 ? 0xFF : 0xFFFF, &i) != 0) return -1;
    *out = (uint32_t)i;
    return 0;
}

static int get_digits(const struct ctx *x, const char *key, const json_t *v, size_t min,
                      size_t max, bool empty_ok, char *out, size_t cap)
{
    char what[96];
    snprintf(what, sizeof what, "expected a string of %s%zu to %zu decimal digits",
             empty_ok ? "0 or " : "", min, max);
    if (!json_is_string(v)) return fail(x, key, what);
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    if (!(n == 0 && empty_ok) && (n < min || n > max)) return fail(x, key, what);
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return fail(x, key, what);
    if (n >= cap) return fail(x, key, what);
    memcpy(out, s, n + 1);
    return 0;
}

/* Hex of 16, 24 or 32 bytes (an AES key). */
static int get_key(const struct ctx *x, const char *key, const json_t *v, uint8_t *out,
                   size_t *out_len)
{
    size_t n;
    if (get_hex(x, key, v, out, 16, 32, &n) != 0) return -1;
    if (n != 16 && n != 24 && n != 32)
        return fail(x, key, "expected 16, 24 or 32 bytes as hex digits (AES-128/192/256)");
    *out_len = n;
    return 0;
}

/*
 * An SCP03 key set object: "kvn", "enc", "mac", "dek", "i" required,
 * "diversification", "sequence", "description" optional. @p prefix is ""
 * for a key file or "scp03_keys." inside a profile.
 */
static int load_scp03_object(const struct ctx *x, const char *prefix, json_t *obj,
                             struct vuicc_scp03_keys *out)
{
    static const char *const required[] = {"kvn", "enc", "mac", "dek", "i"};
    struct vuicc_scp03_keys k;
    size_t len[3] = {0, 0, 0};
    const char *key;
    json_t *v;
    json_int_t i;
    uint32_t u;
    char name[64];
    int r = -1;

    memset(&k, 0, sizeof k);
    if (!json_is_object(obj)) {
        snprintf(name, sizeof name, "%s", prefix[0] ? "scp03_keys" : "(top level)");
        return fail(x, name, "expected an object");
    }
    for (size_t j = 0; j < sizeof required / sizeof required[0]; j++) {
        if (!json_object_get(obj, required[j])) {
            snprintf(name, sizeof name, "%s%s", prefix, required[j]);
            return fail(x, name, "missing");
        }
    }
    json_object_foreach(obj, key, v) {
        snprintf(name, sizeof name, "%s%s", prefix, key);
        if (strcmp(key, "description") == 0) {
            if (!json_is_string(v)) {
                fail(x, name, "expected a string");
                goto out;
            }
        } else if (strcmp(key, "kvn") == 0) {
            if (get_num_or_hex(x, name, v, 1, &u) != 0) goto out;
            if (u < 0x01 || u > 0x7F) {
                fail(x, name, "expected a key version number from 1 to 127 (0x01-0x7F)");
                goto out;
            }
            k.kvn = (uint8_t)u;
        } else if (strcmp(key, "i") == 0) {
            if (get_num_or_hex(x, name, v, 1, &u) != 0) goto out;
            if (u != 0x00 && u != 0x10 && u != 0x20 && u != 0x30 && u != 0x60 && u != 0x70) {
                fail(x, name, "expected an i-parameter 0x00, 0x10, 0x20, 0x30, 0x60 or 0x70 "
                              "(0, 16, 32, 48, 96, 112)");
                goto out;
            }
            k.i_param = (uint8_t)u;
        } else if (strcmp(key, "enc") == 0) {
            if (get_key(x, name, v, k.enc, &len[0]) != 0) goto out;
        } else if (strcmp(key, "mac") == 0) {
            if (get_key(x, name, v, k.mac, &len[1]) != 0) goto out;
        } else if (strcmp(key, "dek") == 0) {
            if (get_key(x, name, v, k.dek, &len[2]) != 0) goto out;
        } else if (strcmp(key, "diversification") == 0) {
            size_t n;
            if (get_hex(x, name, v, k.diversification, 10, 10, &n) != 0) goto out;
        } else if (strcmp(key, "sequence") == 0) {
            if (get_int(x, name, v, 0, 0xFFFFFF, &i) != 0) goto out;
            k.sequence = (uint32_t)i;
        } else {
            fail(x, name, "unknown key");
            goto out;
        }
    }
    /* One key set, one AES key length (GP Amd D 4.1.1). */
    if (len[1] != len[0] || len[2] != len[0]) {
        snprintf(name, sizeof name, "%s%s", prefix, len[1] != len[0] ? "mac" : "dek");
        fail(x, name, "key length differs from enc");
        goto out;
    }
    k.len = (uint8_t)len[0];
    *out = k;
    r = 0;
out:
    mbedtls_platform_zeroize(&k, sizeof k);
    return r;
}

/* Parse @p path. jansson's messages end in "near '<input>'", which could
 * quote key bytes: only the part before " near " is reported. */
static json_t *load_json(const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root && err && errlen) {
        char *near = strstr(je.text, " near ");
        if (near) *near = '\0';
        snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    mbedtls_platform_zeroize(&je, sizeof je);
    return root;
}

int vuicc_scp03_keys_load(struct vuicc_scp03_keys *k, const char *path, char *err, size_t errlen)
{
    struct ctx x = {err, errlen, path};
    json_t *root = load_json(path, err, errlen);
    if (!root) return -1;
    int r = load_scp03_object(&x, "", root, k);
    /* jansson does not wipe what it frees: clear the key strings first. */
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (json_is_string(v))
            mbedtls_platform_zeroize((void *)(uintptr_t)json_string_value(v),
                                     strlen(json_string_value(v)));
    }
    json_decref(root);
    return r;
}

/* "scp03_keys": a key file path, relative to the profile's directory unless
 * absolute, or the key set inline. */
static int load_scp03_keys(const struct ctx *x, json_t *v, struct vuicc_profile *q)
{
    if (json_is_object(v)) return load_scp03_object(x, "scp03_keys.", v, &q->scp03);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return fail(x, "scp03_keys", "expected a key file path or a key set object");
    const char *file = json_string_value(v);
    char path[4096];
    const char *slash = strrchr(x->path, '/');
    if (file[0] == '/' || !slash)
        snprintf(path, sizeof path, "%s", file);
    else
        snprintf(path, sizeof path, "%.*s/%s", (int)(slash - x->path), x->path, file);
    return vuicc_scp03_keys_load(&q->scp03, path, x->err, x->errlen);
}

static int load_faults(const struct ctx *x, json_t *obj, struct vuicc_profile *q)
{
    const char *key;
    json_t *v;
    json_int_t i;
    uint32_t u;
    if (!json_is_object(obj)) return fail(x, "faults", "expected an object");
    json_object_foreach(obj, key, v) {
        char name[64];
        snprintf(name, sizeof name, "faults.%s", key);
        if (strcmp(key, "at") == 0) {
            if (get_int(x, name, v, 0, UINT32_MAX, &i) != 0) return -1;
            q->fault_at = (uint32_t)i;
        } else if (strcmp(key, "kind") == 0) {
            const char *s = json_is_string(v) ? json_string_value(v) : "";
            if (strcmp(s, "sw") == 0)
                q->fault_kind = VUICC_FAULT_SW;
            else if (strcmp(s, "remove") == 0)
                q->fault_kind = VUICC_FAULT_REMOVE;
            else if (strcmp(s, "mute") == 0)
                q->fault_kind = VUICC_FAULT_MUTE;
            else
                return fail(x, name, "expected \"sw\", \"remove\" or \"mute\"");
        } else if (strcmp(key, "sw") == 0) {
            if (get_num_or_hex(x, name, v, 2, &u) != 0) return -1;
            q->fault_sw = (uint16_t)u;
        } else if (strcmp(key, "corrupt_at") == 0) {
            if (get_int(x, name, v, 0, UINT32_MAX, &i) != 0) return -1;
            q->corrupt_at = (uint32_t)i;
        } else if (strcmp(key, "corrupt_byte") == 0) {
            if (get_int(x, name, v, 0, 0xFFFF, &i) != 0) return -1;
            q->corrupt_byte = (size_t)i;
        } else if (strcmp(key, "corrupt_xor") == 0) {
            if (get_num_or_hex(x, name, v, 1, &u) != 0) return -1;
            q->corrupt_xor = (uint8_t)u;
        } else if (strcmp(key, "delay_at") == 0) {
            if (get_int(x, name, v, 0, UINT32_MAX, &i) != 0) return -1;
            q->delay_at = (uint32_t)i;
        } else if (strcmp(key, "delay_ms") == 0) {
            if (get_int(x, name, v, 0, 600000, &i) != 0) return -1;
            q->delay_ms = (uint32_t)i;
        } else {
            return fail(x, name, "unknown key");
        }
    }
    /* A fault index without a kind means a status word (fault_sw, 6F00 by
     * default); a kind without an index means no fault. */
    if (q->fault_at == 0)
        q->fault_kind = VUICC_FAULT_NONE;
    else if (q->fault_kind == VUICC_FAULT_NONE)
        q->fault_kind = VUICC_FAULT_SW;
    return 0;
}

/* One top-level key. Booleans named after a feature ("ef_dir": false)
 * map to the header's negative flags (no_ef_dir = true). */
static int load_key(const struct ctx *x, const char *key, json_t *v, struct vuicc_profile *q)
{
    bool b;
    json_int_t i;
    uint32_t u;
    if (strcmp(key, "description") == 0) {
        if (!json_is_string(v)) return fail(x, key, "expected a string");
    } else if (strcmp(key, "iccid") == 0) {
        return get_digits(x, key, v, 1, 20, false, q->iccid, sizeof q->iccid);
    } else if (strcmp(key, "pin") == 0) {
        return get_digits(x, key, v, 4, 8, true, q->pin, sizeof q->pin);
    } else if (strcmp(key, "pin_key_ref") == 0) {
        if (get_num_or_hex(x, key, v, 1, &u) != 0) return -1;
        q->pin_key_ref = (uint8_t)u;
    } else if (strcmp(key, "pin_tries") == 0) {
        if (get_int(x, key, v, 1, 15, &i) != 0) return -1;
        q->pin_tries = (uint8_t)i;
    } else if (strcmp(key, "pin_file") == 0) {
        return get_bool(x, key, v, &q->pin_file);
    } else if (strcmp(key, "t0") == 0) {
        return get_bool(x, key, v, &q->t0);
    } else if (strcmp(key, "oid") == 0) {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(s, "correct") == 0)
            q->oid = VUICC_OID_CORRECT;
        else if (strcmp(s, "double") == 0)
            q->oid = VUICC_OID_DOUBLE;
        else if (strcmp(s, "application") == 0)
            q->oid = VUICC_OID_APPLICATION;
        else if (strcmp(s, "none") == 0)
            q->oid = VUICC_OID_NONE;
        else
            return fail(x, key, "expected \"correct\", \"double\", \"application\" or \"none\"");
    } else if (strcmp(key, "ef_dir") == 0) {
        if (get_bool(x, key, v, &b) != 0) return -1;
        q->no_ef_dir = !b;
    } else if (strcmp(key, "logical_channels") == 0) {
        if (get_bool(x, key, v, &b) != 0) return -1;
        q->no_channels = !b;
    } else if (strcmp(key, "iccid_file") == 0) {
        if (get_bool(x, key, v, &b) != 0) return -1;
        q->no_iccid = !b;
    } else if (strcmp(key, "fcp_size") == 0) {
        if (get_bool(x, key, v, &b) != 0) return -1;
        q->fcp_no_size = !b;
    } else if (strcmp(key, "p2_fcp") == 0) {
        if (get_bool(x, key, v, &b) != 0) return -1;
        q->refuse_p2_fcp = !b;
    } else if (strcmp(key, "writable") == 0) {
        return get_bool(x, key, v, &q->writable);
    } else if (strcmp(key, "aid") == 0) {
        return get_hex(x, key, v, q->aid, 5, 16, &q->aid_len);
    } else if (strcmp(key, "odf_fid") == 0) {
        return get_fid(x, key, v, &q->odf_fid);
    } else if (strcmp(key, "dodf_fid") == 0) {
        return get_fid(x, key, v, &q->dodf_fid);
    } else if (strcmp(key, "file_fid") == 0) {
        return get_fid(x, key, v, &q->file_fid);
    } else if (strcmp(key, "file_size") == 0) {
        if (get_int(x, key, v, 0, 32768, &i) != 0) return -1;
        q->file_size = (size_t)i;
    } else if (strcmp(key, "faults") == 0) {
        return load_faults(x, v, q);
    } else if (strcmp(key, "scp03_keys") == 0) {
        return load_scp03_keys(x, v, q);
    } else if (strcmp(key, "scp03_required") == 0) {
        return get_bool(x, key, v, &q->scp03_required);
    } else {
        return fail(x, key, "unknown key");
    }
    return 0;
}

int vuicc_profile_load(struct vuicc_profile *p, const char *path, char *err, size_t errlen)
{
    struct ctx x = {err, errlen, path};
    json_t *root = load_json(path, err, errlen);
    if (!root) return -1;
    if (!json_is_object(root)) {
        if (err && errlen) snprintf(err, errlen, "%s: expected a JSON object", path);
        json_decref(root);
        return -1;
    }
    /* Work on a copy so a failed load leaves @p p as it was. */
    struct vuicc_profile q = *p;
    const char *key;
    json_t *v;
    int r = 0;
    json_object_foreach(root, key, v) {
        if (load_key(&x, key, v, &q) != 0) {
            r = -1;
            break;
        }
    }
    json_t *inline_keys = json_object_get(root, "scp03_keys");
    if (json_is_object(inline_keys)) {
        json_t *kv;
        json_object_foreach(inline_keys, key, kv) {
            if (json_is_string(kv))
                mbedtls_platform_zeroize((void *)(uintptr_t)json_string_value(kv),
                                         strlen(json_string_value(kv)));
        }
    }
    json_decref(root);
    if (r == 0) *p = q;
    mbedtls_platform_zeroize(&q, sizeof q);
    return r;
}
