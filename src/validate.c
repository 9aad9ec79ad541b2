/*
 * Validator for EF LwM2M_Bootstrap content (LwM2M Core 1.1.1 Appendix G.3.4
 * and the Security, Server and Access Control objects of Appendix E).
 *
 * One pass over the model in file order: per object the object rules, per
 * instance the duplicate and type rules of its resources, then the
 * object's semantic rules. Resource presence, ranges and lengths are one
 * table (`checks`); only what does not fit a table (URI scheme, Binding
 * letters, account pairing, ACL references) is code. A resource that
 * failed RES-TYPE or RES-MULTIPLE reads as "bad" and every semantic rule
 * on it is skipped, so one fault gives one diagnostic.
 */
#include "uiccboot/validate.h"

#include <string.h>

#include "uiccboot/err.h"
#include "model_int.h"
#include "validate_int.h"

#if UCB_CONFIG_VALIDATOR

#define M(s) UCB_TEXT(s)

struct vstate {
    const struct ucb_bootstrap *bs;
    ucb_diag_fn fn;
    void *ctx;
    unsigned errors, warnings;
    struct ucb_diag d; /* the finding being reported */
};

/* What a single resource of an instance holds (val_get()). */
enum { V_ABSENT, V_OK, V_BAD };

struct val {
    int st;             /* V_ABSENT (also: empty String/Opaque), V_OK, V_BAD */
    int idx;            /* index in bs->res, -1 when not in the file */
    int64_t num;        /* Integer, Time, Boolean, Unsigned (clamped to INT64_MAX) */
    const uint8_t *ptr; /* String, Opaque */
    size_t len;
};

/* ---- reporting --------------------------------------------------------- */

/* Or-ed into a rule ID: report the finding as a warning whatever the rule's severity. */
#define DOWNGRADE 0x100u

/* Deliver the finding whose path and offset v->d holds (at_*()). */
static void report(struct vstate *v, unsigned rule, const char *msg)
{
    struct ucb_diag *d = &v->d;

    d->rule = ucb_rule_get((enum ucb_rule_id)(rule & ~DOWNGRADE));
    d->severity = (rule & DOWNGRADE) != 0 ? UCB_SEV_WARNING : d->rule->severity;
    d->message = msg;
    if (d->severity == UCB_SEV_ERROR) {
        v->errors++;
    } else {
        v->warnings++;
    }
    if (v->fn != NULL) {
        v->fn(v->ctx, d);
    }
}

static void at_file(struct vstate *v, uint32_t offset)
{
    v->d.oid = v->d.iid = v->d.rid = v->d.riid = UCB_ID_NONE;
    v->d.offset = offset;
}

static void at_inst(struct vstate *v, size_t i)
{
    const struct ucb_bootstrap *bs = v->bs;

    at_file(v, bs->inst[i].offset);
    v->d.oid = bs->obj[bs->inst[i].object].oid;
    v->d.iid = bs->inst[i].iid;
}

/* Resource `idx` of instance `i`; idx < 0 (a missing resource) stays at the instance. */
static void at_res(struct vstate *v, size_t i, int idx)
{
    at_inst(v, i);
    if (idx >= 0) {
        v->d.rid = v->bs->res[idx].id;
        v->d.offset = v->bs->res[idx].offset;
    }
}

/* Resource instance `ri` of the Multiple Resource `mr`. */
static void at_ri(struct vstate *v, size_t i, size_t mr, size_t ri)
{
    at_res(v, i, (int)mr);
    v->d.riid = v->bs->res[ri].id;
    v->d.offset = v->bs->res[ri].offset;
}

/* ---- model access ------------------------------------------------------ */

/*
 * The model may come from a caller's builder rather than the decoder: check
 * every index the walk relies on once, so the walk itself needs no guards.
 */
static bool model_ok(const struct ucb_bootstrap *bs)
{
    size_t k;

    if (bs->nobj > UCB_BS_MAX_OBJECTS || bs->ninst > UCB_BS_MAX_INSTANCES ||
        bs->nres > UCB_BS_MAX_RESOURCES) {
        return false;
    }
    for (k = 0; k < bs->nobj; k++) {
        if ((size_t)bs->obj[k].first + bs->obj[k].count > bs->ninst) {
            return false;
        }
    }
    for (k = 0; k < bs->ninst; k++) {
        if (bs->inst[k].object >= bs->nobj ||
            (size_t)bs->inst[k].first + bs->inst[k].count > bs->nres) {
            return false;
        }
    }
    return true;
}

static uint16_t inst_oid(const struct ucb_bootstrap *bs, size_t i)
{
    return bs->obj[bs->inst[i].object].oid;
}

static size_t inst_end(const struct ucb_bootstrap *bs, size_t i)
{
    return (size_t)bs->inst[i].first + bs->inst[i].count;
}

/* Index after entry `j` and its resource instances, within the instance end. */
static size_t entry_end(const struct ucb_bootstrap *bs, size_t j, size_t end)
{
    size_t next = j + 1u;

    if (bs->res[j].kind == UCB_TLV_MULTIPLE_RESOURCE) {
        next += bs->res[j].count;
    }
    return next < end ? next : end;
}

/* Object version as major*256+minor; the implicit version byte 00 means 1.0. */
static unsigned obj_version(const struct ucb_bs_obj *o)
{
    return o->major == 0 ? 0x100u : (unsigned)o->major << 8 | o->minor;
}

/* Decode entry `r` as `type` (LwM2M Core Appendix C); 0 or a negative error.
 * Numbers land in one int64 (Unsigned clamped to INT64_MAX, Boolean 0/1). */
static int decode(const struct ucb_bs_res *r, uint8_t type, struct val *out)
{
    struct ucb_value x;
    const int rc = ucb_res_decode(r, type, &x);

    out->ptr = x.ptr;
    out->len = x.len;
    out->num = type == UCB_TYPE_UNSIGNED ? (x.u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)x.u)
                                         : x.i;
    return rc;
}

/*
 * The single resource `rid` of instance `i`, decoded with the type the
 * resource table gives. An empty String or Opaque counts as absent: the
 * rules judge what an account can use, and an empty key is no key.
 */
static int val_get(const struct vstate *v, size_t i, uint16_t rid, struct val *out)
{
    const struct ucb_res_info *info = ucb_res_info_find(inst_oid(v->bs, i), rid);
    uint8_t type = info != NULL ? info->type : (uint8_t)UCB_TYPE_OPAQUE;
    const struct ucb_bs_res *r;

    out->idx = ucb_bs_find_res(v->bs, i, rid);
    out->st = V_ABSENT;
    out->len = 0;
    out->num = 0;
    if (out->idx < 0) {
        return V_ABSENT;
    }
    r = &v->bs->res[out->idx];
    if (r->kind != UCB_TLV_RESOURCE || decode(r, type, out) != 0) {
        out->st = V_BAD;
    } else if ((type == UCB_TYPE_STRING || type == UCB_TYPE_OPAQUE) && out->len == 0) {
        out->st = V_ABSENT;
    } else {
        out->st = V_OK;
    }
    return out->st;
}

/* Security instance: 1 Bootstrap-Server account, 0 not (flag false or absent), -1 flag bad. */
static int sec_bootstrap(const struct vstate *v, size_t i)
{
    struct val b;

    switch (val_get(v, i, 1, &b)) {
    case V_OK:
        return b.num != 0;
    case V_BAD:
        return -1;
    default:
        return 0;
    }
}

/*
 * Instances of object `oid` with index below `before` whose resource `rid`
 * reads as the number `want`; for Security only Bootstrap-Server accounts
 * (`bootstrap`) or only the others (flag false, absent or unreadable).
 */
static unsigned count_with(const struct vstate *v, uint16_t oid, uint16_t rid, int64_t want,
                           size_t before, bool bootstrap)
{
    unsigned n = 0;
    size_t k;
    struct val x;

    if (before > v->bs->ninst) {
        before = v->bs->ninst;
    }
    for (k = 0; k < before; k++) {
        if (inst_oid(v->bs, k) == oid && val_get(v, k, rid, &x) == V_OK && x.num == want &&
            (oid != UCB_OID_SECURITY || (sec_bootstrap(v, k) == 1) == bootstrap)) {
            n++;
        }
    }
    return n;
}

/* An SSID that can name a server (E.1 res 10, E.2 res 0: 1..65534). */
static bool ssid_ok(int64_t ssid)
{
    return ssid >= 1 && ssid <= 65534;
}

#define ALL_INSTANCES SIZE_MAX

static bool server_has_ssid(const struct vstate *v, int64_t ssid)
{
    return count_with(v, UCB_OID_SERVER, 0, ssid, ALL_INSTANCES, false) != 0;
}

/* ---- presence, range and length rules (one table) ----------------------- */

/* When a check applies (struct check.when), from the instance's facts. */
#define C_ALL 0x01u   /* every instance of the object */
#define C_BS 0x02u    /* Security: Bootstrap-Server account */
#define C_SRV 0x04u   /* Security: not a Bootstrap-Server account */
#define C_PSK 0x08u   /* Security Mode 0 */
#define C_PKI 0x10u   /* Security Mode 1 (RPK), 2 (Certificate), 4 (Certificate with EST) */
#define C_NOSEC 0x20u /* Security Mode 3 */

enum check_kind {
    K_NEED,  /* absent or empty */
    K_NONE,  /* present and not empty */
    K_RANGE, /* number outside lo..hi */
    K_MIN,   /* number below lo */
    K_LEN,   /* byte length outside lo..hi */
    K_LEN16  /* byte length outside lo..hi or not a multiple of 16 */
};

struct check {
    uint8_t oid, rid, rule, kind, when;
    uint16_t lo, hi;
#if UCB_CONFIG_TEXT
    const char *msg;
#endif
};

/* Without text the table drops its message pointers. */
/* clang-format off */
#if UCB_CONFIG_TEXT
#define CK(oid, rid, rule, kind, when, lo, hi, msg) {oid, rid, rule, kind, when, lo, hi, msg}
#define CK_MSG(c) ((c)->msg)
#else
#define CK(oid, rid, rule, kind, when, lo, hi, msg) {oid, rid, rule, kind, when, lo, hi}
#define CK_MSG(c) ""
#endif
/* clang-format on */

static const struct check checks[] = {
    /* Security, LwM2M Core E.1 */
    CK(0, 0, UCB_RULE_SEC_URI_MISSING, K_NEED, C_ALL, 0, 0,
       "LwM2M Server URI (res 0) is missing or empty"),
    CK(0, 0, UCB_RULE_SEC_URI_TOO_LONG, K_LEN, C_ALL, 0, 255,
       "LwM2M Server URI (res 0) is longer than 255 bytes"),
    CK(0, 1, UCB_RULE_SEC_BS_FLAG_MISSING, K_NEED, C_ALL, 0, 0,
       "Bootstrap-Server flag (res 1) is missing"),
    CK(0, 2, UCB_RULE_SEC_MODE_MISSING, K_NEED, C_ALL, 0, 0, "Security Mode (res 2) is missing"),
    CK(0, 2, UCB_RULE_SEC_MODE_RANGE, K_RANGE, C_ALL, 0, 4, "Security Mode (res 2) is not 0..4"),
    CK(0, 3, UCB_RULE_SEC_PSK_IDENTITY_MISSING, K_NEED, C_PSK, 0, 0,
       "Security Mode is PSK but the PSK identity (res 3) is missing or empty"),
    CK(0, 5, UCB_RULE_SEC_PSK_KEY_MISSING, K_NEED, C_PSK, 0, 0,
       "Security Mode is PSK but the PSK (Secret Key, res 5) is missing or empty"),
    CK(0, 3, UCB_RULE_SEC_PSK_SIZE, K_LEN, C_PSK, 0, 128,
       "PSK identity (res 3) is over 128 bytes; clients need only support 128"),
    CK(0, 5, UCB_RULE_SEC_PSK_SIZE, K_LEN, C_PSK, 0, 64,
       "PSK (res 5) is over 64 bytes; clients need only support 64"),
    CK(0, 3, UCB_RULE_SEC_PUBLIC_KEY_MISSING, K_NEED, C_PKI, 0, 0,
       "Security Mode is RPK or certificate but the client public key or certificate (res 3) "
       "is missing or empty"),
    CK(0, 5, UCB_RULE_SEC_SECRET_KEY_MISSING, K_NEED, C_PKI, 0, 0,
       "Security Mode is RPK or certificate but the client private key (res 5) is missing or "
       "empty"),
    CK(0, 4, UCB_RULE_SEC_SERVER_KEY_MISSING, K_NEED, C_PKI, 0, 0,
       "Security Mode is RPK or certificate but the server public key or trust anchor (res 4) "
       "is missing or empty"),
    CK(0, 3, UCB_RULE_SEC_NOSEC_KEYS, K_NONE, C_NOSEC, 0, 0,
       "Security Mode is NoSec but Public Key or Identity (res 3) is set"),
    CK(0, 4, UCB_RULE_SEC_NOSEC_KEYS, K_NONE, C_NOSEC, 0, 0,
       "Security Mode is NoSec but Server Public Key (res 4) is set"),
    CK(0, 5, UCB_RULE_SEC_NOSEC_KEYS, K_NONE, C_NOSEC, 0, 0,
       "Security Mode is NoSec but Secret Key (res 5) is set"),
    CK(0, 10, UCB_RULE_SEC_SSID_MISSING, K_NEED, C_SRV, 0, 0,
       "Short Server ID (res 10) is missing on a non-bootstrap account"),
    CK(0, 10, UCB_RULE_SEC_SSID_RANGE, K_RANGE, C_SRV, 1, 65534,
       "Short Server ID (res 10) is not 1..65534"),
    CK(0, 10, UCB_RULE_SEC_SSID_RANGE, K_RANGE, C_BS, 0, 65535,
       "Short Server ID (res 10) of the bootstrap account is not 0..65535"),
    CK(0, 11, UCB_RULE_SEC_TIMER_RANGE, K_MIN, C_ALL, 0, 0,
       "Client Hold Off Time (res 11) is negative"),
    CK(0, 12, UCB_RULE_SEC_TIMER_RANGE, K_MIN, C_ALL, 0, 0,
       "Bootstrap-Server Account Timeout (res 12) is negative"),
    CK(0, 6, UCB_RULE_SEC_SMS_RANGE, K_RANGE, C_ALL, 0, 255,
       "SMS Security Mode (res 6) is not 0..255"),
    CK(0, 7, UCB_RULE_SEC_SMS_RANGE, K_LEN, C_ALL, 6, 6,
       "SMS Binding Key Parameters (res 7) are not 6 bytes"),
    CK(0, 8, UCB_RULE_SEC_SMS_RANGE, K_LEN16, C_ALL, 16, 48,
       "SMS Binding Secret Key(s) (res 8) are not 16, 32 or 48 bytes"),
    /* Server, LwM2M Core E.2 */
    CK(1, 0, UCB_RULE_SRV_SSID_MISSING, K_NEED, C_ALL, 0, 0, "Short Server ID (res 0) is missing"),
    CK(1, 0, UCB_RULE_SRV_SSID_RANGE, K_RANGE, C_ALL, 1, 65534,
       "Short Server ID (res 0) is not 1..65534"),
    CK(1, 1, UCB_RULE_SRV_LIFETIME_MISSING, K_NEED, C_ALL, 0, 0, "Lifetime (res 1) is missing"),
    CK(1, 1, UCB_RULE_SRV_LIFETIME_RANGE, K_MIN, C_ALL, 1, 0, "Lifetime (res 1) is below 1 second"),
    CK(1, 2, UCB_RULE_SRV_PERIOD_RANGE, K_MIN, C_ALL, 0, 0,
       "Default Minimum Period (res 2) is negative"),
    CK(1, 3, UCB_RULE_SRV_PERIOD_RANGE, K_MIN, C_ALL, 0, 0,
       "Default Maximum Period (res 3) is negative"),
    CK(1, 6, UCB_RULE_SRV_STORING_MISSING, K_NEED, C_ALL, 0, 0,
       "Notification Storing When Disabled or Offline (res 6) is missing"),
    CK(1, 7, UCB_RULE_SRV_BINDING_MISSING, K_NEED, C_ALL, 0, 0,
       "Binding (res 7) is missing or empty"),
    /* Access Control, LwM2M Core E.3 */
    CK(2, 0, UCB_RULE_ACL_TARGET_MISSING, K_NEED, C_ALL, 0, 0,
       "target Object ID (res 0) is missing"),
    CK(2, 0, UCB_RULE_ACL_TARGET_RANGE, K_RANGE, C_ALL, 1, 65534,
       "target Object ID (res 0) is not 1..65534"),
    CK(2, 1, UCB_RULE_ACL_TARGET_MISSING, K_NEED, C_ALL, 0, 0,
       "target Object Instance ID (res 1) is missing"),
    CK(2, 1, UCB_RULE_ACL_TARGET_RANGE, K_RANGE, C_ALL, 0, 65535,
       "target Object Instance ID (res 1) is not 0..65535"),
    CK(2, 3, UCB_RULE_ACL_OWNER_MISSING, K_NEED, C_ALL, 0, 0,
       "Access Control Owner (res 3) is missing"),
};

static void run_checks(struct vstate *v, size_t i, unsigned facts)
{
    uint16_t oid = inst_oid(v->bs, i);
    const struct check *c;
    struct val x;
    bool hit;

    for (c = checks; c < checks + sizeof checks / sizeof checks[0]; c++) {
        if (c->oid != oid || (c->when & facts) == 0) {
            continue;
        }
        if (val_get(v, i, c->rid, &x) == V_BAD) {
            continue; /* RES-TYPE or RES-MULTIPLE already said it */
        }
        if (c->kind == K_NEED) {
            hit = x.st == V_ABSENT;
        } else if (x.st != V_OK) {
            continue;
        } else if (c->kind == K_NONE) {
            hit = true;
        } else if (c->kind == K_RANGE) {
            hit = x.num < c->lo || x.num > c->hi;
        } else if (c->kind == K_MIN) {
            hit = x.num < c->lo;
        } else {
            hit = x.len < (size_t)c->lo || x.len > (size_t)c->hi ||
                  (c->kind == K_LEN16 && x.len % 16u != 0);
        }
        if (hit) {
            at_res(v, i, x.idx);
            report(v, c->rule, CK_MSG(c));
        }
    }
}

/* ---- Security (object 0) ----------------------------------------------- */

/*
 * Index of the URI scheme in `schemes` (RFC 3986 3.1: case-insensitive,
 * ended by ':'), or -1. Plain and secured variants alternate, so an even
 * index below SCHEME_PAIRS is a scheme without (D)TLS.
 */
static const char schemes[] = "coap,coaps,coap+tcp,coaps+tcp,coap+ws,coaps+ws,"
                              "mqtt,mqtts,http,https,sms,";
#define SCHEME_PAIRS 10

static int uri_scheme(const uint8_t *u, size_t n)
{
    const char *p = schemes;
    size_t m = 0, k, q;
    int idx = 0;

    while (m < n && u[m] != ':') {
        m++;
    }
    if (m == n) {
        return -1;
    }
    for (; *p != '\0'; p += k + 1u, idx++) {
        k = strcspn(p, ",");
        if (k != m) {
            continue;
        }
        for (q = 0; q < m; q++) {
            unsigned ch = u[q];
            if (ch >= 'A' && ch <= 'Z') {
                ch += 'a' - 'A';
            }
            if (ch != (unsigned char)p[q]) {
                break;
            }
        }
        if (q == m) {
            return idx;
        }
    }
    return -1;
}

static void check_security(struct vstate *v, size_t i)
{
    struct val uri, mode, ssid, flag;
    unsigned facts = C_ALL;
    int boot = sec_bootstrap(v, i);
    int scheme = -1;

    if (boot == 1) {
        facts |= C_BS;
    } else if (boot == 0) {
        facts |= C_SRV;
    }
    if (val_get(v, i, 2, &mode) == V_OK && mode.num >= 0 && mode.num <= 4) {
        facts |= mode.num == UCB_SECMODE_PSK     ? C_PSK
                 : mode.num == UCB_SECMODE_NOSEC ? C_NOSEC
                                                 : C_PKI;
    }
    run_checks(v, i, facts);

    if (val_get(v, i, 0, &uri) == V_OK) {
        scheme = uri_scheme(uri.ptr, uri.len);
        at_res(v, i, uri.idx);
        if (scheme < 0) {
            report(v, UCB_RULE_SEC_URI_SCHEME,
                   M("LwM2M Server URI (res 0) does not start with a known scheme and ':'"));
        }
    }
    /* RFC 7252 6.1/6.2: coap:// is unsecured, coaps:// runs over DTLS. */
    if (scheme >= 0 && scheme < SCHEME_PAIRS && (facts & (C_PSK | C_PKI | C_NOSEC)) != 0) {
        if (scheme % 2 == 0 && (facts & C_NOSEC) == 0) {
            report(v, UCB_RULE_SEC_SCHEME_MODE,
                   M("URI scheme has no (D)TLS (e.g. coap://) but the Security Mode is not NoSec"));
        } else if (scheme % 2 == 1 && (facts & C_NOSEC) != 0) {
            report(v, UCB_RULE_SEC_SCHEME_MODE,
                   M("URI scheme needs (D)TLS (e.g. coaps://) but the Security Mode is NoSec"));
        }
    }

    /* Accounts, LwM2M Core 6.1.2: at most one Bootstrap-Server Account. */
    if (boot == 1 && count_with(v, UCB_OID_SECURITY, 1, 1, i, true) != 0) {
        val_get(v, i, 1, &flag);
        at_res(v, i, flag.idx);
        report(v, UCB_RULE_ACC_MULTIPLE_BOOTSTRAP,
               M("a second Bootstrap-Server account; a client has at most one"));
    }
    /* A Server Account pairs Security res 10 with Server res 0 (6.1.2). An
     * out-of-range SSID already has its own finding and pairs with nothing. */
    if (boot != 1 && val_get(v, i, 10, &ssid) == V_OK && ssid_ok(ssid.num)) {
        at_res(v, i, ssid.idx);
        if (count_with(v, UCB_OID_SECURITY, 10, ssid.num, i, false) != 0) {
            report(v, UCB_RULE_ACC_SSID_DUPLICATE,
                   M("another non-bootstrap Security instance already has this Short Server ID"));
        }
        if (!server_has_ssid(v, ssid.num)) {
            report(v, UCB_RULE_ACC_SECURITY_WITHOUT_SERVER,
                   M("no Server instance has this Short Server ID (res 10)"));
        }
    }
}

/* ---- Server (object 1) ------------------------------------------------- */

/*
 * Binding (E.2 res 7) by Server object version: 1.0 lists the whole values
 * (Core 1.0.2 5.3.1.1); 1.1 takes any set of the letters U T S N Q
 * (Core 1.1.1 6.2.1.1); 1.2 adds M (MQTT) and H (HTTP). Later versions are
 * judged as 1.2. `n` is not 0 (an empty Binding reads as absent).
 */
static bool binding_ok(const uint8_t *b, size_t n, unsigned version)
{
    static const char v10[] = "U,UQ,S,SQ,US,UQS,";
    const char *letters = version == 0x101u ? "UTSNQ" : "UTSNQMH";
    const char *p;
    unsigned seen = 0, bit;
    size_t k;

    if (version <= 0x100u) {
        for (p = v10; *p != '\0'; p += k + 1u) {
            k = strcspn(p, ",");
            if (k == n && memcmp(p, b, n) == 0) {
                return true;
            }
        }
        return false;
    }
    for (k = 0; k < n; k++) {
        p = b[k] != 0 ? strchr(letters, b[k]) : NULL;
        if (p == NULL) {
            return false;
        }
        bit = 1u << (unsigned)(p - letters);
        if (seen & bit) {
            return false;
        }
        seen |= bit;
    }
    return true; /* empty reads as absent: SRV-BINDING-MISSING */
}

static void check_server(struct vstate *v, size_t i)
{
    const struct ucb_bootstrap *bs = v->bs;
    struct val x, y;

    run_checks(v, i, C_ALL);

    if (val_get(v, i, 7, &x) == V_OK &&
        !binding_ok(x.ptr, x.len, obj_version(&bs->obj[bs->inst[i].object]))) {
        at_res(v, i, x.idx);
        report(v, UCB_RULE_SRV_BINDING_LETTERS,
               M("Binding (res 7) is not a valid value for this Server object version"));
    }
    if (val_get(v, i, 2, &x) == V_OK && val_get(v, i, 3, &y) == V_OK && x.num >= 0 && y.num >= 0 &&
        y.num < x.num) {
        at_res(v, i, y.idx);
        report(v, UCB_RULE_SRV_PERIOD_RANGE,
               M("Default Maximum Period (res 3) is below the Default Minimum Period (res 2)"));
    }
    if (val_get(v, i, 0, &x) == V_OK && ssid_ok(x.num)) {
        at_res(v, i, x.idx);
        if (count_with(v, UCB_OID_SERVER, 0, x.num, i, false) != 0) {
            report(v, UCB_RULE_ACC_SSID_DUPLICATE,
                   M("another Server instance already has this Short Server ID"));
        }
        if (count_with(v, UCB_OID_SECURITY, 10, x.num, ALL_INSTANCES, false) == 0) {
            report(v, UCB_RULE_ACC_SERVER_WITHOUT_SECURITY,
                   M("no non-bootstrap Security instance has this Short Server ID (res 0)"));
        }
    }
}

/* ---- Access Control (object 2) ----------------------------------------- */

static void check_acl(struct vstate *v, size_t i)
{
    const struct ucb_bootstrap *bs = v->bs;
    struct val o, n, x;
    size_t k, end;
    int mr;

    run_checks(v, i, C_ALL);

    if (val_get(v, i, 0, &o) == V_OK && val_get(v, i, 1, &n) == V_OK) {
        for (k = 0; k < i; k++) {
            if (inst_oid(bs, k) == UCB_OID_ACCESS_CONTROL && val_get(v, k, 0, &x) == V_OK &&
                x.num == o.num && val_get(v, k, 1, &x) == V_OK && x.num == n.num) {
                break;
            }
        }
        if (k < i) {
            at_inst(v, i);
            report(v, UCB_RULE_ACL_TARGET_DUPLICATE,
                   M("an earlier Access Control instance has the same target (res 0, res 1)"));
        }
    }
    /* E.3 res 3: 65535 (MAX_ID) = created and modified by bootstrap only. */
    if (val_get(v, i, 3, &x) == V_OK && x.num != 65535 && !server_has_ssid(v, x.num)) {
        at_res(v, i, x.idx);
        report(v, UCB_RULE_ACL_OWNER_UNKNOWN,
               M("Access Control Owner (res 3) is neither 65535 nor the SSID of a Server on the "
                 "card"));
    }
    /* E.3 res 2: one Resource Instance per SSID, instance 0 = default rights. */
    mr = ucb_bs_find_res(bs, i, 2);
    if (mr < 0 || bs->res[mr].kind != UCB_TLV_MULTIPLE_RESOURCE) {
        return;
    }
    end = entry_end(bs, (size_t)mr, inst_end(bs, i));
    for (k = (size_t)mr + 1u; k < end; k++) {
        const struct ucb_bs_res *r = &bs->res[k];
        at_ri(v, i, (size_t)mr, k);
        if (r->id != 0 && !server_has_ssid(v, r->id)) {
            report(v, UCB_RULE_ACL_ENTRY_UNKNOWN,
                   M("ACL entry (res 2) is for an SSID that no Server on the card has"));
        }
        if (decode(r, UCB_TYPE_INTEGER, &x) != 0) {
            continue;
        }
        if (x.num < 0 || x.num > 65535) {
            report(v, UCB_RULE_ACL_RIGHTS_RANGE,
                   M("ACL rights (res 2) are negative or wider than 16 bits"));
        } else if (x.num > 31) {
            report(v, UCB_RULE_ACL_RIGHTS_RANGE | DOWNGRADE,
                   M("ACL rights (res 2) set bits above b4 (C), which are RFU"));
        }
    }
}

/* ---- structure: duplicates, unknown resources, types -------------------- */

/* RES-TYPE messages by enum ucb_type. */
static const char *const type_msg[] = {
    M("executable resource carries a value; it must not be in the file"),
    M("String value is not valid UTF-8"),
    M("Integer value is not 1, 2, 4 or 8 bytes"),
    M("Unsigned Integer value is not 1, 2, 4 or 8 bytes"),
    M("Float value is not 4 or 8 bytes"),
    M("Boolean value is not one byte 0 or 1"),
    M(""),
    M("Time value is not a 1, 2, 4 or 8 byte Integer"),
    M("Objlnk value is not 4 bytes"),
};

static void check_type(struct vstate *v, const struct ucb_bs_res *r, uint8_t type)
{
    struct val x;

    if (decode(r, type, &x) != 0) {
        report(v, UCB_RULE_RES_TYPE,
               type < sizeof type_msg / sizeof type_msg[0] ? type_msg[type] : type_msg[0]);
    }
}

/*
 * RES-DUPLICATE for every object; for Security, Server and Access Control
 * also RES-UNKNOWN, RES-MULTIPLE and RES-TYPE against the resource table.
 */
static void check_resources(struct vstate *v, size_t i)
{
    const struct ucb_bootstrap *bs = v->bs;
    const struct ucb_bs_obj *obj = &bs->obj[bs->inst[i].object];
    size_t end = inst_end(bs, i);
    size_t j, k, rend, p;

    for (j = bs->inst[i].first; j < end; j = rend) {
        const struct ucb_bs_res *r = &bs->res[j];
        const struct ucb_res_info *info;
        bool multiple = r->kind == UCB_TLV_MULTIPLE_RESOURCE;

        rend = entry_end(bs, j, end);
        at_res(v, i, (int)j);
        if ((int)j != ucb_bs_find_res(bs, i, r->id)) {
            report(v, UCB_RULE_RES_DUPLICATE, M("resource ID appears twice in the instance"));
        }
        for (k = j + 1u; k < rend; k++) {
            for (p = j + 1u; p < k; p++) {
                if (bs->res[p].id == bs->res[k].id) {
                    at_ri(v, i, j, k);
                    report(v, UCB_RULE_RES_DUPLICATE,
                           M("resource instance ID appears twice in the Multiple Resource"));
                    break;
                }
            }
        }
        if (obj->oid > UCB_OID_ACCESS_CONTROL) {
            continue;
        }

        at_res(v, i, (int)j);
        info = ucb_res_info_find(obj->oid, r->id);
        if (info == NULL) {
            report(v, UCB_RULE_RES_UNKNOWN, M("resource is not defined for this object"));
            continue;
        }
        if (((unsigned)info->since_major << 8 | info->since_minor) > obj_version(obj)) {
            report(v, UCB_RULE_RES_UNKNOWN,
                   M("resource is newer than the object version the file declares"));
        }
        if (info->multiple != multiple) {
            report(v, UCB_RULE_RES_MULTIPLE,
                   multiple ? M("single-instance resource is encoded as a Multiple Resource")
                            : M("multiple-instance resource is encoded as a single Resource"));
            continue;
        }
        if (!multiple) {
            check_type(v, r, info->type);
            continue;
        }
        for (k = j + 1u; k < rend; k++) {
            at_ri(v, i, j, k);
            check_type(v, &bs->res[k], info->type);
        }
    }
}

static void check_instance(struct vstate *v, size_t i)
{
    const struct ucb_bootstrap *bs = v->bs;
    uint16_t oid = inst_oid(bs, i);
    size_t k;

    for (k = 0; k < i; k++) {
        if (inst_oid(bs, k) == oid && bs->inst[k].iid == bs->inst[i].iid) {
            at_inst(v, i);
            report(v, UCB_RULE_INST_DUPLICATE, M("object instance ID appears twice in the object"));
            break;
        }
    }
    check_resources(v, i);
    if (oid == UCB_OID_SECURITY) {
        check_security(v, i);
    } else if (oid == UCB_OID_SERVER) {
        check_server(v, i);
    } else if (oid == UCB_OID_ACCESS_CONTROL) {
        check_acl(v, i);
    }
}

/* ---- entry points ------------------------------------------------------ */

static void start(struct vstate *v, const struct ucb_bootstrap *bs, ucb_diag_fn fn, void *ctx,
                  struct ucb_validate_result *out)
{
    memset(v, 0, sizeof *v);
    v->bs = bs;
    v->fn = fn;
    v->ctx = ctx;
    if (out != NULL) {
        out->errors = out->warnings = 0;
    }
}

static int finish(const struct vstate *v, struct ucb_validate_result *out)
{
    if (out != NULL) {
        out->errors = v->errors;
        out->warnings = v->warnings;
    }
    return (int)v->errors;
}

int ucb_validate(const struct ucb_bootstrap *bs, ucb_diag_fn fn, void *ctx,
                 struct ucb_validate_result *out)
{
    struct vstate v;
    unsigned version;
    size_t o, k, i;
    bool any_security = false;

    start(&v, bs, fn, ctx, out);
    if (bs == NULL || !model_ok(bs)) {
        return UCB_ERR_ARG;
    }

    if (bs->nobj == 0) {
        at_file(&v, 0);
        report(&v, UCB_RULE_FILE_EMPTY, M("the file holds no object"));
    }
    for (o = 0; o < bs->nobj; o++) {
        const struct ucb_bs_obj *obj = &bs->obj[o];

        at_file(&v, obj->offset);
        v.d.oid = obj->oid;
        for (k = 0; k < o; k++) {
            if (bs->obj[k].oid == obj->oid) {
                report(&v, UCB_RULE_OBJ_DUPLICATE, M("object ID has a second entry in the file"));
                break;
            }
        }
        version = obj_version(obj);
        if (obj->oid <= UCB_OID_ACCESS_CONTROL && (version < 0x100u || version > 0x102u)) {
            report(&v, UCB_RULE_OBJ_VERSION,
                   M("object version is not 1.0, 1.1 or 1.2; judged by the newest rules known"));
        }
        if (obj->oid == UCB_OID_SECURITY && obj->count != 0) {
            any_security = true;
        }
        for (i = obj->first; i < (size_t)obj->first + obj->count; i++) {
            check_instance(&v, i);
        }
    }
    if (bs->nobj != 0 && !any_security) {
        at_file(&v, 0);
        report(&v, UCB_RULE_ACC_NONE, M("no Security instance: the file provisions no account"));
    }
    if (bs->trailing_garbage_offset != UCB_ID_NONE) {
        at_file(&v, bs->trailing_garbage_offset);
        report(&v, UCB_RULE_FILE_TRAILING,
               M("bytes other than FF padding follow the declared content (4 + size)"));
    }
    return finish(&v, out);
}

/* Decode faults to rules, by enum ucb_bs_fault_kind. */
static const uint8_t fault_rule[] = {
    UCB_RULE_TLV_MALFORMED, /* UCB_BS_FAULT_NONE: not used */
    UCB_RULE_FILE_TRUNCATED,     UCB_RULE_FILE_TOO_LARGE, UCB_RULE_FILE_COUNT_MISMATCH,
    UCB_RULE_FILE_SIZE_MISMATCH, UCB_RULE_TLV_TRUNCATED,  UCB_RULE_TLV_NESTING,
    UCB_RULE_TLV_MALFORMED,      UCB_RULE_MODEL_CAPACITY,
};

int ucb_validate_file(const uint8_t *file, size_t len, struct ucb_bootstrap *scratch,
                      ucb_diag_fn fn, void *ctx, struct ucb_validate_result *out)
{
    struct vstate v;
    struct ucb_bs_fault f;
    int rc;

    start(&v, scratch, fn, ctx, out);
    if (scratch == NULL || (file == NULL && len != 0)) {
        return UCB_ERR_ARG;
    }
    memset(&f, 0, sizeof f);
    rc = ucb_bs_decode(scratch, file, len, &f);
    if (rc == 0) {
        return ucb_validate(scratch, fn, ctx, out);
    }
    if (f.kind == UCB_BS_FAULT_NONE || (size_t)f.kind >= sizeof fault_rule) {
        return rc < 0 ? rc : UCB_ERR_ARG;
    }
    at_file(&v, f.offset);
    v.d.oid = f.oid;
    v.d.iid = f.iid;
    v.d.rid = f.rid;
    v.d.riid = f.riid;
    report(&v, fault_rule[f.kind], f.what != NULL ? f.what : M(""));
    return finish(&v, out);
}

/* Up to 4 parts of "/" and 10 digits (UCB_DIAG_PATH_MAX less the terminator). */
#define PATH_CHARS (UCB_DIAG_PATH_MAX - 1u)
_Static_assert(PATH_CHARS == 4u * 11u, "UCB_DIAG_PATH_MAX fits /4294967294 four times");

int ucb_diag_path(const struct ucb_diag *d, char *buf, size_t cap)
{
    char tmp[PATH_CHARS];
    char digits[10];
    uint32_t part[4], x;
    size_t n = 0, m, k;

    if (d == NULL || (buf == NULL && cap != 0)) {
        return UCB_ERR_ARG;
    }
    part[0] = d->oid;
    part[1] = d->iid;
    part[2] = d->rid;
    part[3] = d->riid;
    for (k = 0; k < 4u && part[k] != UCB_ID_NONE; k++) {
        x = part[k];
        m = 0;
        do {
            digits[m++] = (char)('0' + x % 10u);
            x /= 10u;
        } while (x != 0);
        tmp[n++] = '/';
        while (m != 0) {
            tmp[n++] = digits[--m];
        }
    }
    if (n == 0) {
        tmp[n++] = '/';
    }
    if (buf == NULL) {
        return (int)n;
    }
    if (n >= cap) {
        if (cap != 0) {
            buf[0] = '\0';
        }
        return UCB_ERR_BUFFER;
    }
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return (int)n;
}

#else
typedef int ucb_validate_unused; /* ISO C forbids an empty translation unit */
#endif /* UCB_CONFIG_VALIDATOR */
