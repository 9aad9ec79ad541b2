/*
 * Validator tests: every rule of validate.h raised by a named vector, with
 * the exact rule codes, severities, paths and byte offsets, and the public
 * examples (spec-notes 1.5) and the reference card R1 valid.
 *
 * Most vectors are written in a small notation that a builder in this file
 * turns into EF LwM2M_Bootstrap bytes (smallest TLV headers, lengths and
 * the file header computed), recording the offset of every element it
 * writes. An expected diagnostic names a path; unless it gives an offset,
 * the offset asserted is the one the builder wrote for that path (the
 * resource TLV, or the instance for a missing resource). Notation:
 *
 *   O<oid>[v<major>.<minor>]   start an object entry (implicit version 00
 *                              unless v is given)
 *   I<iid>                     start an object instance
 *   <rid>=<value>              a single resource
 *   <rid>[ <riid>=<value> ... ] a Multiple Resource and its instances
 *   value: hex bytes (0e10), "text", - (empty), N*HH (N bytes HH),
 *          parts joined with + ("coaps://"+250*61)
 *
 * Integers are written with their exact wire width, so 10=01 is SSID 1 in
 * one byte and 10=ffff is the 2-byte integer -1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"
#include "uiccboot/uiccboot.h"

/* ---- vector builder ---------------------------------------------------- */

#define VEC_MAX 40000u
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct mark {
    uint32_t oid, iid, rid, riid;
    size_t off;
};

struct vec {
    uint8_t b[VEC_MAX];
    size_t n;
    struct mark marks[600];
    size_t nmarks;
};

struct b_val {
    size_t at, len; /* in pool */
};
struct b_ri {
    uint16_t id;
    struct b_val v;
};
struct b_res {
    uint16_t id;
    int multiple;
    struct b_val v;
    size_t first_ri, nri;
};
struct b_inst {
    uint16_t iid;
    size_t first_res, nres;
};
struct b_obj {
    uint16_t oid;
    uint8_t major, minor;
    size_t first_inst, ninst;
};

static struct {
    uint8_t pool[VEC_MAX];
    size_t npool;
    struct b_obj obj[64];
    struct b_inst inst[128];
    struct b_res res[512];
    struct b_ri ri[256];
    size_t nobj, ninst, nres, nri;
} tree;

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static void die(const char *why, const char *at)
{
    fprintf(stderr, "vector notation: %s at \"%.20s\"\n", why, at);
    abort();
}

static void pool_put(uint8_t byte)
{
    if (tree.npool >= sizeof tree.pool) {
        die("value pool full", "");
    }
    tree.pool[tree.npool++] = byte;
}

/* Parse a value at *pp (up to whitespace or ']'). */
static struct b_val parse_value(const char **pp)
{
    const char *p = *pp;
    struct b_val v = {tree.npool, 0};

    for (;;) {
        if (*p == '"') {
            for (p++; *p != '"'; p++) {
                if (*p == '\0') {
                    die("unterminated string", *pp);
                }
                pool_put((uint8_t)*p);
            }
            p++;
        } else if (*p == '-') {
            p++;
        } else {
            char *q;
            unsigned long count = strtoul(p, &q, 10);
            if (*q == '*' && q != p) {
                int hi = hexval(q[1]), lo = hexval(q[2]);
                if (hi < 0 || lo < 0) {
                    die("bad N*HH", p);
                }
                while (count--) {
                    pool_put((uint8_t)(hi << 4 | lo));
                }
                p = q + 3;
            } else {
                while (hexval(p[0]) >= 0) {
                    if (hexval(p[1]) < 0) {
                        die("odd hex", p);
                    }
                    pool_put((uint8_t)(hexval(p[0]) << 4 | hexval(p[1])));
                    p += 2;
                }
            }
        }
        if (*p != '+') {
            break;
        }
        p++;
    }
    v.len = tree.npool - v.at;
    *pp = p;
    return v;
}

static void skip_ws(const char **pp)
{
    while (**pp == ' ' || **pp == '\n' || **pp == '\t') {
        (*pp)++;
    }
}

static void parse(const char *spec)
{
    const char *p = spec;

    memset(&tree, 0, sizeof tree);
    for (skip_ws(&p); *p != '\0'; skip_ws(&p)) {
        char *end;
        if (tree.nobj == ARRAY_LEN(tree.obj) || tree.ninst == ARRAY_LEN(tree.inst) ||
            tree.nres == ARRAY_LEN(tree.res)) {
            die("vector too large for the builder", p);
        }
        if (*p == 'O') {
            struct b_obj *o = &tree.obj[tree.nobj++];
            o->oid = (uint16_t)strtoul(p + 1, &end, 10);
            p = end;
            if (*p == 'v') {
                o->major = (uint8_t)strtoul(p + 1, &end, 10);
                if (*end != '.') {
                    die("version needs major.minor", p);
                }
                o->minor = (uint8_t)strtoul(end + 1, &end, 10);
                p = end;
            }
            o->first_inst = tree.ninst;
        } else if (*p == 'I') {
            struct b_inst *in = &tree.inst[tree.ninst++];
            if (tree.nobj == 0) {
                die("instance outside an object", p);
            }
            in->iid = (uint16_t)strtoul(p + 1, &end, 10);
            p = end;
            in->first_res = tree.nres;
            tree.obj[tree.nobj - 1].ninst++;
        } else if (hexval(*p) >= 0 && *p <= '9') {
            struct b_res *r = &tree.res[tree.nres++];
            if (tree.ninst == 0) {
                die("resource outside an instance", p);
            }
            tree.inst[tree.ninst - 1].nres++;
            r->id = (uint16_t)strtoul(p, &end, 10);
            p = end;
            if (*p == '=') {
                p++;
                r->v = parse_value(&p);
            } else if (*p == '[') {
                r->multiple = 1;
                r->first_ri = tree.nri;
                for (p++, skip_ws(&p); *p != ']'; skip_ws(&p)) {
                    if (tree.nri == ARRAY_LEN(tree.ri) || *p == '\0') {
                        die("resource instances: too many, or no ']'", p);
                    }
                    struct b_ri *ri = &tree.ri[tree.nri++];
                    ri->id = (uint16_t)strtoul(p, &end, 10);
                    if (*end != '=') {
                        die("resource instance needs =", p);
                    }
                    p = end + 1;
                    ri->v = parse_value(&p);
                    r->nri++;
                }
                p++;
            } else {
                die("resource needs = or [", p);
            }
        } else {
            die("unexpected character", p);
        }
    }
}

static size_t hdr_size(uint16_t id, size_t len)
{
    return 1u + (id > 255u ? 2u : 1u) + (len < 8u ? 0u : len < 256u ? 1u : len < 65536u ? 2u : 3u);
}

static void mark(struct vec *v, uint32_t oid, uint32_t iid, uint32_t rid, uint32_t riid)
{
    assert_true(v->nmarks < ARRAY_LEN(v->marks));
    struct mark *m = &v->marks[v->nmarks++];
    m->oid = oid;
    m->iid = iid;
    m->rid = rid;
    m->riid = riid;
    m->off = v->n;
}

static void put(struct vec *v, uint8_t byte)
{
    assert_true(v->n < VEC_MAX);
    v->b[v->n++] = byte;
}

static void put_hdr(struct vec *v, unsigned kind, uint16_t id, size_t len)
{
    unsigned lt = len < 8u ? 0u : len < 256u ? 1u : len < 65536u ? 2u : 3u;
    put(v, (uint8_t)(kind << 6 | (id > 255u ? 0x20u : 0u) | lt << 3 | (lt == 0u ? len : 0u)));
    if (id > 255u) {
        put(v, (uint8_t)(id >> 8));
    }
    put(v, (uint8_t)id);
    for (unsigned k = lt; k > 0; k--) {
        put(v, (uint8_t)(len >> (8u * (k - 1u))));
    }
}

static size_t res_content(const struct b_res *r)
{
    size_t content = r->v.len;
    if (r->multiple) {
        content = 0;
        for (size_t k = 0; k < r->nri; k++) {
            const struct b_ri *ri = &tree.ri[r->first_ri + k];
            content += hdr_size(ri->id, ri->v.len) + ri->v.len;
        }
    }
    return content;
}

static size_t res_size(const struct b_res *r)
{
    return hdr_size(r->id, res_content(r)) + res_content(r);
}

static size_t inst_content(const struct b_inst *in)
{
    size_t n = 0;
    for (size_t k = 0; k < in->nres; k++) {
        n += res_size(&tree.res[in->first_res + k]);
    }
    return n;
}

/* Build the file of `spec` into `v`. */
static void build(struct vec *v, const char *spec)
{
    size_t total = 0;

    parse(spec);
    memset(v, 0, sizeof *v);
    for (size_t o = 0; o < tree.nobj; o++) {
        const struct b_obj *ob = &tree.obj[o];
        total += 2u + (ob->major ? 2u : 1u) + 2u;
        for (size_t i = 0; i < ob->ninst; i++) {
            const struct b_inst *in = &tree.inst[ob->first_inst + i];
            total += hdr_size(in->iid, inst_content(in)) + inst_content(in);
        }
    }
    put(v, (uint8_t)(tree.nobj >> 8));
    put(v, (uint8_t)tree.nobj);
    put(v, (uint8_t)(total >> 8));
    put(v, (uint8_t)total);
    for (size_t o = 0; o < tree.nobj; o++) {
        const struct b_obj *ob = &tree.obj[o];
        size_t olen = 0;
        for (size_t i = 0; i < ob->ninst; i++) {
            const struct b_inst *in = &tree.inst[ob->first_inst + i];
            olen += hdr_size(in->iid, inst_content(in)) + inst_content(in);
        }
        mark(v, ob->oid, UCB_ID_NONE, UCB_ID_NONE, UCB_ID_NONE);
        put(v, (uint8_t)(ob->oid >> 8));
        put(v, (uint8_t)ob->oid);
        put(v, ob->major);
        if (ob->major) {
            put(v, ob->minor);
        }
        put(v, (uint8_t)(olen >> 8));
        put(v, (uint8_t)olen);
        for (size_t i = 0; i < ob->ninst; i++) {
            const struct b_inst *in = &tree.inst[ob->first_inst + i];
            mark(v, ob->oid, in->iid, UCB_ID_NONE, UCB_ID_NONE);
            put_hdr(v, UCB_TLV_OBJECT_INSTANCE, in->iid, inst_content(in));
            for (size_t k = 0; k < in->nres; k++) {
                const struct b_res *r = &tree.res[in->first_res + k];
                mark(v, ob->oid, in->iid, r->id, UCB_ID_NONE);
                if (!r->multiple) {
                    put_hdr(v, UCB_TLV_RESOURCE, r->id, r->v.len);
                    for (size_t b = 0; b < r->v.len; b++) {
                        put(v, tree.pool[r->v.at + b]);
                    }
                    continue;
                }
                put_hdr(v, UCB_TLV_MULTIPLE_RESOURCE, r->id, res_content(r));
                for (size_t q = 0; q < r->nri; q++) {
                    const struct b_ri *ri = &tree.ri[r->first_ri + q];
                    mark(v, ob->oid, in->iid, r->id, ri->id);
                    put_hdr(v, UCB_TLV_RESOURCE_INSTANCE, ri->id, ri->v.len);
                    for (size_t b = 0; b < ri->v.len; b++) {
                        put(v, tree.pool[ri->v.at + b]);
                    }
                }
            }
        }
    }
}

/* Offset the builder wrote for path "/o/i/r/ri" (optionally "#n": n-th occurrence). */
static size_t off_of(const struct vec *v, const char *path)
{
    uint32_t part[4] = {UCB_ID_NONE, UCB_ID_NONE, UCB_ID_NONE, UCB_ID_NONE};
    unsigned nth = 1, k = 0;
    const char *p = path;

    while (*p == '/' && k < 4) {
        char *end;
        part[k++] = (uint32_t)strtoul(p + 1, &end, 10);
        p = end;
    }
    if (*p == '#') {
        nth = (unsigned)strtoul(p + 1, NULL, 10);
    }
    for (size_t m = 0; m < v->nmarks; m++) {
        const struct mark *mk = &v->marks[m];
        if (mk->oid == part[0] && mk->iid == part[1] && mk->rid == part[2] && mk->riid == part[3] &&
            --nth == 0) {
            return mk->off;
        }
    }
    fail_msg("no element %s in the vector", path);
    return 0;
}

/* ---- running the validator --------------------------------------------- */

struct got {
    const struct ucb_rule *rule;
    enum ucb_severity sev;
    char path[UCB_DIAG_PATH_MAX];
    uint32_t offset;
    const char *message;
};

static struct {
    struct got d[64];
    size_t n;
} cap;

static void collect(void *ctx, const struct ucb_diag *d)
{
    assert_ptr_equal(ctx, &cap);
    assert_true(cap.n < sizeof cap.d / sizeof cap.d[0]);
    struct got *g = &cap.d[cap.n++];
    g->rule = d->rule;
    g->sev = d->severity;
    assert_true(ucb_diag_path(d, g->path, sizeof g->path) > 0);
    g->offset = d->offset;
    g->message = d->message;
}

struct exp {
    const char *code;
    enum ucb_severity sev;
    const char *path; /* may end in "#n" to pick the n-th element with that path */
    long offset;      /* -1: the offset the builder wrote for `path` */
};

/* clang-format off */
#define ERR(code, path) {code, UCB_SEV_ERROR, path, -1}
#define WARN(code, path) {code, UCB_SEV_WARNING, path, -1}
#define ERR_AT(code, path, off) {code, UCB_SEV_ERROR, path, off}
#define WARN_AT(code, path, off) {code, UCB_SEV_WARNING, path, off}
/* clang-format on */

static struct ucb_bootstrap model;
static struct vec vec;

static void dump(void)
{
    for (size_t k = 0; k < cap.n; k++) {
        printf("#   got %s %s %s @%u: %s\n", cap.d[k].sev == UCB_SEV_ERROR ? "error" : "warning",
               cap.d[k].rule->code, cap.d[k].path, (unsigned)cap.d[k].offset, cap.d[k].message);
    }
}

/* Validate `v` and assert exactly the diagnostics `e[0..n)`, in order. */
static void expect(const struct vec *v, const struct exp *e, size_t n)
{
    struct ucb_validate_result res = {99, 99};
    unsigned errors = 0, warnings = 0;

    cap.n = 0;
    int rc = ucb_validate_file(v->b, v->n, &model, collect, &cap, &res);
    if (cap.n != n) {
        dump();
    }
    assert_int_equal(cap.n, n);
    for (size_t k = 0; k < n; k++) {
        const struct got *g = &cap.d[k];
        char want_path[UCB_DIAG_PATH_MAX];
        size_t plen = strcspn(e[k].path, "#");
        memcpy(want_path, e[k].path, plen);
        want_path[plen] = '\0';
        size_t want_off = e[k].offset >= 0 ? (size_t)e[k].offset : off_of(v, e[k].path);
        if (strcmp(g->rule->code, e[k].code) != 0 || g->sev != e[k].sev ||
            strcmp(g->path, want_path) != 0 || g->offset != want_off) {
            dump();
            fail_msg("diagnostic %zu: want %s %s %s @%zu", k, e[k].code,
                     e[k].sev == UCB_SEV_ERROR ? "error" : "warning", want_path, want_off);
        }
        assert_non_null(g->message);
        assert_true(strlen(g->message) > 0);
        if (g->sev == UCB_SEV_ERROR) {
            errors++;
        } else {
            warnings++;
        }
    }
    assert_int_equal(rc, errors);
    assert_int_equal(res.errors, errors);
    assert_int_equal(res.warnings, warnings);
}

static void check_spec(const char *spec, const struct exp *e, size_t n)
{
    build(&vec, spec);
    expect(&vec, e, n);
}

static void check_hex(const char *hex, const struct exp *e, size_t n)
{
    vec.nmarks = 0;
    vec.n = test_hex(hex, vec.b, sizeof vec.b);
    expect(&vec, e, n);
}

#define CHECK(spec, ...)                                \
    do {                                                \
        static const struct exp e_[] = {__VA_ARGS__};   \
        check_spec(spec, e_, sizeof e_ / sizeof e_[0]); \
    } while (0)
#define VALID(spec) check_spec(spec, NULL, 0)

/* ---- vectors ----------------------------------------------------------- */

/* Spec-notes 1.5 example A (AVSystem Anjay docs): one PSK server account, 126 bytes. */
static const char avsystem_psk_hex[] =
    "0002007a000000005e08015bc80022636f6170733a2f2f65752e696f742e617673797374656d2e636c6f7564"
    "3a35363834c10100c10200c803146578616d706c652d70736b2d6964656e74697479c805133378406d706c33"
    "50354b3533637233744b3379c10a01000100001208010fc10001c40100015180c10600c10755";

/* The same file in builder notation (the builder must reproduce it byte for byte). */
static const char avsystem_psk[] =
    "O0 I1 0=\"coaps://eu.iot.avsystem.cloud:5684\" 1=00 2=00 3=\"example-psk-identity\" "
    "5=\"3x@mpl3P5K53cr3tK3y\" 10=01 "
    "O1 I1 0=01 1=00015180 6=00 7=\"U\"";

/* Spec-notes 1.5 example B (Nordic sdk-nrf test): NoSec bootstrap-only card, FF FF padding. */
static const char nordic_nosec_hex[] =
    "00010036000000003108002EC80025636F61703A2F2F6C657368616E2E65636C6970736570726F6A65637473"
    "2E696F3A35373833C10101C10203FFFF";

/* Building blocks: a complete PSK Security instance 1 (SSID 1) and its Server instance 1. */
#define PSK_KEY "000102030405060708090a0b0c0d0e0f"
#define SEC1_PSK "I1 0=\"coaps://a.test:5684\" 1=00 2=00 3=\"psk-id\" 5=" PSK_KEY " 10=01 "
#define SRV1 "I1 0=01 1=0e10 6=01 7=\"U\" "
#define ACCOUNT1 "O0 " SEC1_PSK "O1 " SRV1

/* ---- valid content ----------------------------------------------------- */

static void avsystem_psk_example_is_valid(void **state)
{
    (void)state;
    check_hex(avsystem_psk_hex, NULL, 0);
    assert_int_equal(vec.n, 126);
}

static void builder_reproduces_avsystem_example(void **state)
{
    uint8_t want[200];
    (void)state;
    size_t n = test_hex(avsystem_psk_hex, want, sizeof want);
    build(&vec, avsystem_psk);
    assert_int_equal(vec.n, n);
    assert_memory_equal(vec.b, want, n);
    assert_int_equal(off_of(&vec, "/0/1/10"), 0x64); /* c1 0a 01 */
}

static void nosec_bootstrap_only_card_is_valid(void **state)
{
    (void)state;
    check_hex(nordic_nosec_hex, NULL, 0);
    assert_int_equal(vec.n, 60);
}

static void r1_three_account_fixture_is_valid(void **state)
{
    size_t len;
    uint8_t *file = test_read_file("fixtures/bootstrap/r1-three-accounts.bin", &len);
    struct ucb_validate_result res;
    (void)state;
    assert_int_equal(len, 304);
    cap.n = 0;
    assert_int_equal(ucb_validate_file(file, len, &model, collect, &cap, &res), 0);
    if (cap.n) {
        dump();
    }
    assert_int_equal(cap.n, 0);
    assert_int_equal(res.warnings, 0);
    free(file);
}

static void rpk_and_certificate_accounts_with_all_keys_are_valid(void **state)
{
    (void)state;
    /* RPK (mode 1) with client key pair and server key; certificate (mode 2) over TCP. */
    VALID("O0 I1 0=\"coaps://a.test:5684\" 1=00 2=01 3=3059301306 4=3059301307 5=308187 10=01 "
          "I2 0=\"coaps+tcp://b.test:5684\" 1=00 2=02 3=308201 4=308202 5=308187 10=02 "
          "O1 " SRV1 "I2 0=02 1=0e10 6=00 7=\"U\"");
}

static void bootstrap_account_with_ssid_zero_is_valid(void **state)
{
    (void)state;
    /* A bootstrap account's SSID is not a server's: 0 is accepted (range 0..65535). */
    VALID("O0 I0 0=\"coaps://bs.test:5684\" 1=01 2=00 3=\"bs\" 5=" PSK_KEY " 10=00 12=00");
}

static void scheme_is_case_insensitive(void **state)
{
    (void)state;
    VALID("O0 I1 0=\"COAPS://a.test:5684\" 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1);
}

static void model_built_without_a_file_validates(void **state)
{
    static const uint8_t f = 0, mode = 3, ssid = 1, lifetime = 60;
    static const char uri[] = "coap://x.test";
    struct ucb_bootstrap bs;
    struct ucb_validate_result res;
    (void)state;
    ucb_bs_init(&bs);
    assert_true(ucb_bs_add_object(&bs, 0, 0, 0) >= 0);
    assert_true(ucb_bs_add_instance(&bs, 0) >= 0);
    assert_true(ucb_bs_add_resource(&bs, 0, (const uint8_t *)uri, sizeof uri - 1) >= 0);
    assert_true(ucb_bs_add_resource(&bs, 1, &f, 1) >= 0);
    assert_true(ucb_bs_add_resource(&bs, 2, &mode, 1) >= 0);
    assert_true(ucb_bs_add_resource(&bs, 10, &ssid, 1) >= 0);
    assert_true(ucb_bs_add_object(&bs, 1, 0, 0) >= 0);
    assert_true(ucb_bs_add_instance(&bs, 0) >= 0);
    assert_true(ucb_bs_add_resource(&bs, 0, &ssid, 1) >= 0);
    assert_true(ucb_bs_add_resource(&bs, 1, &lifetime, 1) >= 0);
    assert_true(ucb_bs_add_resource(&bs, 6, &f, 1) >= 0);
    assert_true(ucb_bs_add_resource(&bs, 7, (const uint8_t *)"U", 1) >= 0);
    assert_int_equal(ucb_validate(&bs, NULL, NULL, &res), 0);
    assert_int_equal(res.errors, 0);
    assert_int_equal(res.warnings, 0);
}

/* ---- structure ---------------------------------------------------------- */

static void file_shorter_than_header_is_truncated(void **state)
{
    (void)state;
    static const struct exp e[] = {ERR_AT("FILE-TRUNCATED", "/", 0)};
    check_hex("0001", e, 1); /* 2 bytes: no room for num_objects and size */
}

static void size_past_end_of_file_is_truncated(void **state)
{
    (void)state;
    static const struct exp e[] = {ERR_AT("FILE-TRUNCATED", "/", 2)};
    check_hex("0001 0010 0003 00 0002 0000", e, 1); /* size 16 but 7 bytes follow */
}

static void file_over_32k_is_too_large(void **state)
{
    (void)state;
    static const struct exp e[] = {ERR_AT("FILE-TOO-LARGE", "/", UCB_BOOTSTRAP_MAX)};
    build(&vec, ACCOUNT1);
    memset(vec.b + vec.n, 0xff, UCB_BOOTSTRAP_MAX + 1u - vec.n); /* padding past 32 KB */
    vec.n = UCB_BOOTSTRAP_MAX + 1u;
    expect(&vec, e, 1);
}

static void header_counting_two_objects_for_one_is_count_mismatch(void **state)
{
    (void)state;
    static const struct exp e[] = {ERR_AT("FILE-COUNT-MISMATCH", "/", 0)};
    check_hex("0002 0007 0003 00 0002 0000", e, 1); /* says 2 objects, holds 1 */
}

static void bytes_inside_size_after_last_object_are_size_mismatch(void **state)
{
    (void)state;
    static const struct exp e[] = {ERR_AT("FILE-SIZE-MISMATCH", "/", 11)};
    check_hex("0001 0009 0003 00 0002 0000 ffff", e, 1); /* size 9 = object (7) + 2 stray bytes */
}

static void tlv_past_its_object_is_tlv_truncated(void **state)
{
    (void)state;
    static const struct exp e[] = {ERR_AT("TLV-TRUNCATED", "/0", 9)};
    /* instance TLV 08 00 05 claims 5 bytes, the object has 2 left */
    check_hex("0001 000a 0000 00 0005 080005 c100", e, 1);
}

static void resource_outside_an_instance_is_tlv_nesting(void **state)
{
    (void)state;
    static const struct exp e[] = {ERR_AT("TLV-NESTING", "/0", 9)};
    /* old vendor layout: resource TLV c1 00 01 directly in the object payload */
    check_hex("0001 0008 0000 00 0003 c10001", e, 1);
}

static void too_many_instances_is_model_capacity(void **state)
{
    char spec[600];
    size_t n = (size_t)snprintf(spec, sizeof spec, "O3");
    (void)state;
    for (unsigned k = 0; k <= UCB_BS_MAX_INSTANCES; k++) {
        n += (size_t)snprintf(spec + n, sizeof spec - n, " I%u", k);
    }
    build(&vec, spec);
    char path[32];
    snprintf(path, sizeof path, "/3/%u", (unsigned)UCB_BS_MAX_INSTANCES);
    struct exp e[] = {{"MODEL-CAPACITY", UCB_SEV_ERROR, path, -1}};
    expect(&vec, e, 1);
}

static void tlv_malformed_has_a_rule_for_decoder_faults(void **state)
{
    (void)state;
    /* The decoder reports TLV_MALFORMED only for a value over 65535 bytes, which a
     * 32 KB file cannot hold; the rule still exists for the fault kind. */
    const struct ucb_rule *r = ucb_rule_get(UCB_RULE_TLV_MALFORMED);
    assert_non_null(r);
    assert_string_equal(r->code, "TLV-MALFORMED");
    assert_int_equal(r->severity, UCB_SEV_ERROR);
}

static void structural_fault_stops_the_run_with_one_error(void **state)
{
    (void)state;
    /* a truncated TLV inside an otherwise wrong account: only the fault is reported */
    static const struct exp e[] = {ERR_AT("TLV-TRUNCATED", "/0/1", 12)};
    /* instance 1 starts with res 2 claiming 5 bytes with 1 left */
    check_hex("0001 000c 0000 00 0007 080104 c80205 41", e, 1);
}

static void non_ff_bytes_after_content_warn_but_stay_valid(void **state)
{
    (void)state;
    static const struct exp e[] = {WARN_AT("FILE-TRAILING", "/", 59)};
    check_hex(
        "00010036000000003108002EC80025636F61703A2F2F6C657368616E2E65636C6970736570726F6A65637473"
        "2E696F3A35373833C10101C10203FF00",
        e, 1); /* example B with padding FF 00: the 00 is not padding */
}

static void file_without_objects_warns_empty(void **state)
{
    (void)state;
    static const struct exp e[] = {WARN_AT("FILE-EMPTY", "/", 0)};
    check_hex("0000 0000", e, 1);
}

/* ---- objects, instances, resources -------------------------------------- */

static void object_with_two_entries_is_duplicate(void **state)
{
    (void)state;
    /* object 3 appears as two entries (instances 0 and 1) */
    CHECK(ACCOUNT1 "O3 I0 O3 I1", ERR("OBJ-DUPLICATE", "/3#2"));
}

static void instance_id_twice_across_entries_is_duplicate(void **state)
{
    (void)state;
    CHECK(ACCOUNT1 "O3 I0 O3 I0", ERR("OBJ-DUPLICATE", "/3#2"), ERR("INST-DUPLICATE", "/3/0#2"));
}

static void instance_id_twice_in_one_object_is_duplicate(void **state)
{
    (void)state;
    CHECK(ACCOUNT1 "O3 I7 0=01 I7 0=02", ERR("INST-DUPLICATE", "/3/7#2"));
}

static void unknown_version_of_a_known_object_warns(void **state)
{
    (void)state;
    /* Security object written as version 2.0 (02 00): no such version exists */
    CHECK("O0v2.0 " SEC1_PSK "O1 " SRV1, WARN("OBJ-VERSION", "/0"));
}

static void resource_id_twice_in_an_instance_is_duplicate(void **state)
{
    (void)state;
    /* SSID (res 10) written twice */
    CHECK("O0 " SEC1_PSK "10=01 O1 " SRV1, ERR("RES-DUPLICATE", "/0/1/10#2"));
}

static void resource_instance_id_twice_is_duplicate(void **state)
{
    (void)state;
    /* ACL entry for SSID 1 written twice */
    CHECK(ACCOUNT1 "O2 I0 0=03 1=00 2[1=07 1=01] 3=01", ERR("RES-DUPLICATE", "/2/0/2/1#2"));
}

static void integer_of_three_bytes_is_res_type_only(void **state)
{
    (void)state;
    /* Lifetime 000e10 is 3 bytes; no SRV-LIFETIME-* on top */
    CHECK("O0 " SEC1_PSK "O1 I1 0=01 1=000e10 6=01 7=\"U\"", ERR("RES-TYPE", "/1/1/1"));
}

static void boolean_other_than_0_or_1_is_res_type_only(void **state)
{
    (void)state;
    /* Bootstrap-Server flag 02: not a Boolean; the account is still paired by its SSID */
    CHECK("O0 I1 0=\"coaps://a.test:5684\" 1=02 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("RES-TYPE", "/0/1/1"));
    /* ... and an unreadable flag pairs as a non-bootstrap account: SSID 5 has no Server */
    CHECK("O0 I1 0=\"coaps://a.test:5684\" 1=02 2=00 3=\"id\" 5=" PSK_KEY " 10=05",
          ERR("RES-TYPE", "/0/1/1"), ERR("ACC-SECURITY-WITHOUT-SERVER", "/0/1/10"));
}

static void uri_with_invalid_utf8_is_res_type_only(void **state)
{
    (void)state;
    /* URI ends in a lone FF byte: not UTF-8; no URI rule on top */
    CHECK("O0 I1 0=\"coaps://\"+ff 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("RES-TYPE", "/0/1/0"));
}

static void executable_resource_in_the_file_is_res_type(void **state)
{
    (void)state;
    /* Registration Update Trigger (res 8) is executable: it has no value to provision */
    CHECK("O0 " SEC1_PSK "O1 " SRV1 "8=-", ERR("RES-TYPE", "/1/1/8"));
}

static void objlnk_of_two_bytes_is_res_type(void **state)
{
    (void)state;
    /* OSCORE Security Mode (1.1 res 17) must be 4 bytes */
    CHECK("O0v1.1 " SEC1_PSK "17=0015 O1 " SRV1, ERR("RES-TYPE", "/0/1/17"));
}

static void acl_rights_of_three_bytes_are_res_type(void **state)
{
    (void)state;
    /* ACL rights 00 00 1f: an Integer is 1, 2, 4 or 8 bytes; no rights rule on top */
    CHECK(ACCOUNT1 "O2 I0 0=03 1=00 2[1=00001f] 3=01", ERR("RES-TYPE", "/2/0/2/1"));
}

static void acl_written_as_single_resource_is_res_multiple(void **state)
{
    (void)state;
    /* ACL (res 2) is a Multiple Resource but written as one Resource TLV */
    CHECK(ACCOUNT1 "O2 I0 0=03 1=00 2=1f 3=01", ERR("RES-MULTIPLE", "/2/0/2"));
}

static void lifetime_written_as_multiple_resource_is_res_multiple(void **state)
{
    (void)state;
    /* Lifetime (res 1) is single but written as a Multiple Resource; no SRV-LIFETIME-* on top */
    CHECK("O0 " SEC1_PSK "O1 I1 0=01 1[0=0e10] 6=01 7=\"U\"", ERR("RES-MULTIPLE", "/1/1/1"));
}

static void resource_not_in_the_object_warns_unknown(void **state)
{
    (void)state;
    /* res 40 is in no version of the Security object */
    CHECK("O0 " SEC1_PSK "40=00 O1 " SRV1, WARN("RES-UNKNOWN", "/0/1/40"));
}

static void resource_newer_than_declared_version_warns_unknown(void **state)
{
    (void)state;
    /* SNI (res 14) came with Security 1.1; the object says implicit 1.0 */
    CHECK("O0 " SEC1_PSK "14=\"a.test\" O1 " SRV1, WARN("RES-UNKNOWN", "/0/1/14"));
    VALID("O0v1.1 " SEC1_PSK "14=\"a.test\" O1 " SRV1);
}

static void security_1_2_resources_only_warn(void **state)
{
    (void)state;
    /* Secondary LwM2M Server URI (1.2 res 25) is not in the library's table */
    CHECK("O0v1.2 " SEC1_PSK "25[0=\"coaps://b.test\"] O1 " SRV1, WARN("RES-UNKNOWN", "/0/1/25"));
}

/* ---- Security ------------------------------------------------------------ */

static void account_without_uri_is_invalid(void **state)
{
    (void)state;
    /* PSK account without res 0: the client has no server to contact */
    CHECK("O0 I1 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1, ERR("SEC-URI-MISSING", "/0/1"));
}

static void empty_uri_counts_as_missing(void **state)
{
    (void)state;
    /* res 0 present with 0 bytes: reported at the resource itself */
    CHECK("O0 I1 0=- 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("SEC-URI-MISSING", "/0/1/0"));
}

static void uri_over_255_bytes_is_invalid(void **state)
{
    (void)state;
    /* "coaps://" + 248 bytes = 256 bytes, one over the 0-255 range; 255 bytes pass */
    CHECK("O0 I1 0=\"coaps://\"+248*61 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("SEC-URI-TOO-LONG", "/0/1/0"));
    VALID("O0 I1 0=\"coaps://\"+247*61 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1);
}

static void uri_with_unknown_scheme_is_invalid(void **state)
{
    (void)state;
    CHECK("O0 I1 0=\"ftp://a.test\" 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("SEC-URI-SCHEME", "/0/1/0"));
    /* "coaps" without the ':' is no scheme either */
    CHECK("O0 I1 0=\"coaps//a.test\" 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("SEC-URI-SCHEME", "/0/1/0"));
}

static void account_without_bootstrap_flag_is_invalid(void **state)
{
    (void)state;
    /* res 1 absent: the client cannot tell a bootstrap account from a server account */
    CHECK("O0 I1 0=\"coaps://a.test\" 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("SEC-BS-FLAG-MISSING", "/0/1"));
}

static void account_without_security_mode_is_invalid(void **state)
{
    (void)state;
    /* no mode: the key rules cannot apply and stay silent */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("SEC-MODE-MISSING", "/0/1"));
}

static void security_mode_5_is_out_of_range(void **state)
{
    (void)state;
    /* Security Mode 5: only 0..4 are defined */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 2=05 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("SEC-MODE-RANGE", "/0/1/2"));
}

static void psk_account_without_identity_is_invalid(void **state)
{
    (void)state;
    /* PSK account without res 3: the handshake has no identity to send */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 2=00 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("SEC-PSK-IDENTITY-MISSING", "/0/1"));
    assert_non_null(strstr(cap.d[0].message, "PSK identity (res 3)"));
}

static void psk_account_with_empty_key_is_invalid(void **state)
{
    (void)state;
    /* res 5 present with 0 bytes: an empty key is no key */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 2=00 3=\"id\" 5=- 10=01 O1 " SRV1,
          ERR("SEC-PSK-KEY-MISSING", "/0/1/5"));
}

static void oversized_psk_identity_and_key_warn(void **state)
{
    (void)state;
    /* 129-byte identity, 65-byte key: beyond what E.1.1.1 obliges clients to support */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 2=00 3=129*41 5=65*01 10=01 O1 " SRV1,
          WARN("SEC-PSK-SIZE", "/0/1/3"), WARN("SEC-PSK-SIZE", "/0/1/5"));
    VALID("O0 I1 0=\"coaps://a.test\" 1=00 2=00 3=128*41 5=64*01 10=01 O1 " SRV1);
}

static void rpk_account_without_keys_is_invalid(void **state)
{
    (void)state;
    /* RPK account with none of res 3, 4, 5 */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 2=01 10=01 O1 " SRV1,
          ERR("SEC-PUBLIC-KEY-MISSING", "/0/1"), ERR("SEC-SECRET-KEY-MISSING", "/0/1"),
          WARN("SEC-SERVER-KEY-MISSING", "/0/1"));
}

static void est_account_without_server_key_only_warns(void **state)
{
    (void)state;
    /* certificate-with-EST account without res 4 (server trust anchor) */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 2=04 3=308201 5=308187 10=01 O1 " SRV1,
          WARN("SEC-SERVER-KEY-MISSING", "/0/1"));
}

static void nosec_account_carrying_keys_warns(void **state)
{
    (void)state;
    /* empty res 4 is fine (as in R1); res 3 and res 5 carry bytes */
    CHECK("O0 I1 0=\"coap://a.test\" 1=00 2=03 3=\"id\" 4=- 5=01 10=01 O1 " SRV1,
          WARN("SEC-NOSEC-KEYS", "/0/1/3"), WARN("SEC-NOSEC-KEYS", "/0/1/5"));
}

static void plain_scheme_with_psk_warns(void **state)
{
    (void)state;
    CHECK("O0 I1 0=\"coap://a.test\" 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          WARN("SEC-SCHEME-MODE", "/0/1/0"));
    CHECK("O0 I1 0=\"coap+tcp://a.test\" 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          WARN("SEC-SCHEME-MODE", "/0/1/0"));
}

static void secure_scheme_with_nosec_warns(void **state)
{
    (void)state;
    /* coaps:// (DTLS) with Security Mode NoSec */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 2=03 10=01 O1 " SRV1, WARN("SEC-SCHEME-MODE", "/0/1/0"));
}

static void server_account_without_ssid_is_invalid(void **state)
{
    (void)state;
    /* non-bootstrap account without res 10: nothing pairs it with a Server instance */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 2=00 3=\"id\" 5=" PSK_KEY,
          ERR("SEC-SSID-MISSING", "/0/1"));
}

static void reserved_ssids_are_out_of_range(void **state)
{
    (void)state;
    /* 65535 (MAX_ID) on both sides: each is reported, neither pairs */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=0000ffff "
          "O1 I1 0=0000ffff 1=0e10 6=01 7=\"U\"",
          ERR("SEC-SSID-RANGE", "/0/1/10"), ERR("SRV-SSID-RANGE", "/1/1/0"));
    /* SSID 0 with no Server: the range error only, no pairing finding on top */
    CHECK("O0 I1 0=\"coaps://a.test\" 1=00 2=00 3=\"id\" 5=" PSK_KEY " 10=00",
          ERR("SEC-SSID-RANGE", "/0/1/10"));
    /* a bootstrap account's SSID may be 0..65535, not more */
    CHECK("O0 I0 0=\"coaps://bs.test\" 1=01 2=00 3=\"bs\" 5=" PSK_KEY " 10=00010000",
          ERR("SEC-SSID-RANGE", "/0/0/10"));
}

static void negative_bootstrap_timers_are_invalid(void **state)
{
    (void)state;
    /* Client Hold Off Time -1 and Account Timeout -2 seconds */
    CHECK("O0 I0 0=\"coaps://bs.test\" 1=01 2=00 3=\"bs\" 5=" PSK_KEY " 11=ff 12=fffe",
          ERR("SEC-TIMER-RANGE", "/0/0/11"), ERR("SEC-TIMER-RANGE", "/0/0/12"));
}

static void sms_parameters_out_of_range_are_invalid(void **state)
{
    (void)state;
    /* SMS mode 256, key parameters 5 bytes, secret 20 bytes */
    CHECK("O0 " SEC1_PSK "6=0100 7=0102030405 8=20*00 O1 " SRV1, ERR("SEC-SMS-RANGE", "/0/1/6"),
          ERR("SEC-SMS-RANGE", "/0/1/7"), ERR("SEC-SMS-RANGE", "/0/1/8"));
    VALID("O0 " SEC1_PSK "6=01 7=010203040506 8=48*00 O1 " SRV1);
}

/* ---- Server -------------------------------------------------------------- */

static void server_without_ssid_is_invalid(void **state)
{
    (void)state;
    /* Server instance without res 0: the Security SSID 1 then has no partner either */
    CHECK("O0 " SEC1_PSK "O1 I1 1=0e10 6=01 7=\"U\"", ERR("ACC-SECURITY-WITHOUT-SERVER", "/0/1/10"),
          ERR("SRV-SSID-MISSING", "/1/1"));
}

static void server_without_lifetime_is_invalid(void **state)
{
    (void)state;
    /* Server instance without res 1 Lifetime */
    CHECK("O0 " SEC1_PSK "O1 I1 0=01 6=01 7=\"U\"", ERR("SRV-LIFETIME-MISSING", "/1/1"));
}

static void zero_lifetime_is_out_of_range(void **state)
{
    (void)state;
    /* Lifetime 0 seconds */
    CHECK("O0 " SEC1_PSK "O1 I1 0=01 1=00 6=01 7=\"U\"", ERR("SRV-LIFETIME-RANGE", "/1/1/1"));
}

static void server_without_binding_is_invalid(void **state)
{
    (void)state;
    CHECK("O0 " SEC1_PSK "O1 I1 0=01 1=0e10 6=01", ERR("SRV-BINDING-MISSING", "/1/1"));
    CHECK("O0 " SEC1_PSK "O1 I1 0=01 1=0e10 6=01 7=-", ERR("SRV-BINDING-MISSING", "/1/1/7"));
}

static void binding_letters_depend_on_server_version(void **state)
{
    (void)state;
    /* 1.0 knows whole values only: UT and QU are not among U UQ S SQ US UQS */
    CHECK("O0 " SEC1_PSK "O1 I1 0=01 1=0e10 6=01 7=\"UT\"", ERR("SRV-BINDING-LETTERS", "/1/1/7"));
    CHECK("O0 " SEC1_PSK "O1 I1 0=01 1=0e10 6=01 7=\"QU\"", ERR("SRV-BINDING-LETTERS", "/1/1/7"));
    VALID("O0 " SEC1_PSK "O1 I1 0=01 1=0e10 6=01 7=\"UQS\"");
    /* 1.1: letters U T S N Q, each at most once; M (MQTT) is 1.2 */
    VALID("O0 " SEC1_PSK "O1v1.1 I1 0=01 1=0e10 6=01 7=\"UT\"");
    CHECK("O0 " SEC1_PSK "O1v1.1 I1 0=01 1=0e10 6=01 7=\"UU\"",
          ERR("SRV-BINDING-LETTERS", "/1/1/7"));
    CHECK("O0 " SEC1_PSK "O1v1.1 I1 0=01 1=0e10 6=01 7=\"M\"",
          ERR("SRV-BINDING-LETTERS", "/1/1/7"));
    VALID("O0 " SEC1_PSK "O1v1.2 I1 0=01 1=0e10 6=01 7=\"MH\"");
    CHECK("O0 " SEC1_PSK "O1v1.2 I1 0=01 1=0e10 6=01 7=\"u\"",
          ERR("SRV-BINDING-LETTERS", "/1/1/7"));
}

static void server_without_storing_flag_only_warns(void **state)
{
    (void)state;
    /* Server instance without res 6 (default true applies) */
    CHECK("O0 " SEC1_PSK "O1 I1 0=01 1=0e10 7=\"U\"", WARN("SRV-STORING-MISSING", "/1/1"));
}

static void bad_default_periods_are_invalid(void **state)
{
    (void)state;
    CHECK("O0 " SEC1_PSK "O1 " SRV1 "2=ff", ERR("SRV-PERIOD-RANGE", "/1/1/2"));
    /* pmax 10 below pmin 60 */
    CHECK("O0 " SEC1_PSK "O1 " SRV1 "2=3c 3=0a", ERR("SRV-PERIOD-RANGE", "/1/1/3"));
    VALID("O0 " SEC1_PSK "O1 " SRV1 "2=0a 3=0a");
}

/* ---- accounts -------------------------------------------------------------- */

static void unpaired_security_and_server_are_invalid(void **state)
{
    (void)state;
    /* Security SSID 1, Server SSID 2 */
    CHECK("O0 " SEC1_PSK "O1 I1 0=02 1=0e10 6=01 7=\"U\"",
          ERR("ACC-SECURITY-WITHOUT-SERVER", "/0/1/10"),
          ERR("ACC-SERVER-WITHOUT-SECURITY", "/1/1/0"));
}

static void bootstrap_account_does_not_pair_with_a_server(void **state)
{
    (void)state;
    /* Server SSID 7: the only Security instance with SSID 7 is the bootstrap account */
    CHECK("O0 I0 0=\"coaps://bs.test\" 1=01 2=00 3=\"bs\" 5=" PSK_KEY " 10=07 "
          "O1 I0 0=07 1=0e10 6=01 7=\"U\"",
          ERR("ACC-SERVER-WITHOUT-SECURITY", "/1/0/0"));
}

static void two_security_instances_with_one_ssid_are_invalid(void **state)
{
    (void)state;
    /* Security instances 1 and 2 both non-bootstrap with SSID 1 */
    CHECK("O0 " SEC1_PSK "I2 0=\"coaps://b.test\" 1=00 2=00 3=\"id2\" 5=" PSK_KEY " 10=01 O1 " SRV1,
          ERR("ACC-SSID-DUPLICATE", "/0/2/10"));
}

static void two_servers_with_one_ssid_are_invalid(void **state)
{
    (void)state;
    /* Server instances 1 and 2 both with SSID 1 */
    CHECK(ACCOUNT1 "I2 0=01 1=0e10 6=01 7=\"U\"", ERR("ACC-SSID-DUPLICATE", "/1/2/0"));
}

static void second_bootstrap_account_is_invalid(void **state)
{
    (void)state;
    /* two Security instances with Bootstrap-Server = true */
    CHECK("O0 I0 0=\"coap://bs1.test\" 1=01 2=03 I1 0=\"coap://bs2.test\" 1=01 2=03",
          ERR("ACC-MULTIPLE-BOOTSTRAP", "/0/1/1"));
}

static void bootstrap_plus_server_accounts_are_valid(void **state)
{
    (void)state;
    VALID("O0 I0 0=\"coap://bs.test\" 1=01 2=03 " SEC1_PSK "O1 " SRV1);
}

static void card_without_security_instance_warns(void **state)
{
    (void)state;
    CHECK("O3 I0 0=\"vendor\"", WARN_AT("ACC-NONE", "/", 0));
    /* a Server alone has no Security to pair with either */
    CHECK("O1 " SRV1, ERR("ACC-SERVER-WITHOUT-SECURITY", "/1/1/0"), WARN_AT("ACC-NONE", "/", 0));
}

/* ---- Access Control ---------------------------------------------------------- */

static void acl_instance_without_target_is_invalid(void **state)
{
    (void)state;
    /* Access Control instance without res 0 and res 1: one finding each */
    CHECK(ACCOUNT1 "O2 I0 2[1=1f] 3=01", ERR("ACL-TARGET-MISSING", "/2/0"),
          ERR("ACL-TARGET-MISSING", "/2/0"));
}

static void acl_target_out_of_range_is_invalid(void **state)
{
    (void)state;
    /* object 0 is not a target (1..65534); instance 65536 does not exist */
    CHECK(ACCOUNT1 "O2 I0 0=00 1=00010000 3=01", ERR("ACL-TARGET-RANGE", "/2/0/0"),
          ERR("ACL-TARGET-RANGE", "/2/0/1"));
}

static void two_acl_instances_for_one_target_are_invalid(void **state)
{
    (void)state;
    /* Access Control instances 0 and 1 both for /3/0 */
    CHECK(ACCOUNT1 "O2 I0 0=03 1=00 3=01 I1 0=03 1=00 3=01", ERR("ACL-TARGET-DUPLICATE", "/2/1"));
}

static void acl_without_owner_is_invalid(void **state)
{
    (void)state;
    /* Access Control instance without res 3 */
    CHECK(ACCOUNT1 "O2 I0 0=03 1=00 2[1=1f]", ERR("ACL-OWNER-MISSING", "/2/0"));
}

static void acl_owner_must_be_a_server_or_max_id(void **state)
{
    (void)state;
    /* owner 7: no Server instance has SSID 7 */
    CHECK(ACCOUNT1 "O2 I0 0=03 1=00 3=07", ERR("ACL-OWNER-UNKNOWN", "/2/0/3"));
    VALID(ACCOUNT1 "O2 I0 0=03 1=00 3=0000ffff"); /* MAX_ID: bootstrap-managed */
}

static void acl_entry_for_unknown_server_is_invalid(void **state)
{
    (void)state;
    /* entry 0 (default rights) and 1 (a server) are fine; 9 names no server */
    CHECK(ACCOUNT1 "O2 I0 0=03 1=00 2[0=01 1=1f 9=01] 3=01", ERR("ACL-ENTRY-UNKNOWN", "/2/0/2/9"));
}

static void acl_rights_out_of_range_are_invalid(void **state)
{
    (void)state;
    /* -1 and 65536 do not fit the 16-bit field */
    CHECK(ACCOUNT1 "O2 I0 0=03 1=00 2[0=ff 1=00010000] 3=01", ERR("ACL-RIGHTS-RANGE", "/2/0/2/0"),
          ERR("ACL-RIGHTS-RANGE", "/2/0/2/1"));
}

static void acl_rfu_rights_bits_only_warn(void **state)
{
    (void)state;
    /* 0x20: a bit above b4 (Create), RFU: the error rule downgraded to a warning */
    CHECK(ACCOUNT1 "O2 I0 0=03 1=00 2[1=20] 3=01", WARN("ACL-RIGHTS-RANGE", "/2/0/2/1"));
    assert_int_equal(cap.d[0].rule->severity, UCB_SEV_ERROR);
}

/* ---- API ------------------------------------------------------------------- */

static void null_arguments_are_refused(void **state)
{
    struct ucb_validate_result res = {5, 5};
    uint8_t b[4] = {0};
    (void)state;
    assert_int_equal(ucb_validate(NULL, NULL, NULL, &res), UCB_ERR_ARG);
    assert_int_equal(res.errors, 0);
    assert_int_equal(ucb_validate_file(b, 4, NULL, NULL, NULL, NULL), UCB_ERR_ARG);
    assert_int_equal(ucb_validate_file(NULL, 4, &model, NULL, NULL, NULL), UCB_ERR_ARG);
}

static void inconsistent_model_is_refused(void **state)
{
    struct ucb_bootstrap bs;
    (void)state;
    ucb_bs_init(&bs);
    assert_true(ucb_bs_add_object(&bs, 3, 0, 0) >= 0);
    assert_true(ucb_bs_add_instance(&bs, 0) >= 0);
    bs.inst[0].count = 5; /* claims resources the model does not have */
    assert_int_equal(ucb_validate(&bs, NULL, NULL, NULL), UCB_ERR_ARG);
}

static void counts_come_back_without_a_callback(void **state)
{
    struct ucb_validate_result res;
    (void)state;
    build(&vec, "O0 I1 0=\"coap://a.test\" 1=00 2=00 10=01 O1 I1 0=01 1=0e10 7=\"U\"");
    /* PSK identity and key missing (2 errors); scheme/mode and storing (2 warnings) */
    assert_int_equal(ucb_validate_file(vec.b, vec.n, &model, NULL, NULL, &res), 2);
    assert_int_equal(res.errors, 2);
    assert_int_equal(res.warnings, 2);
    assert_int_equal(ucb_validate_file(vec.b, vec.n, &model, NULL, NULL, NULL), 2);
}

static void diag_path_names_each_level(void **state)
{
    struct ucb_diag d = {0};
    char buf[UCB_DIAG_PATH_MAX];
    (void)state;
    d.oid = d.iid = d.rid = d.riid = UCB_ID_NONE;
    assert_int_equal(ucb_diag_path(&d, buf, sizeof buf), 1);
    assert_string_equal(buf, "/");
    d.oid = 0;
    assert_int_equal(ucb_diag_path(&d, buf, sizeof buf), 2);
    assert_string_equal(buf, "/0");
    d.iid = 1;
    d.rid = 10;
    assert_int_equal(ucb_diag_path(&d, buf, sizeof buf), 7);
    assert_string_equal(buf, "/0/1/10");
    d.riid = 0;
    assert_int_equal(ucb_diag_path(&d, buf, sizeof buf), 9);
    assert_string_equal(buf, "/0/1/10/0");
    /* the longest path fills UCB_DIAG_PATH_MAX exactly */
    d.oid = d.iid = d.rid = d.riid = 4294967294u;
    assert_int_equal(ucb_diag_path(&d, buf, sizeof buf), UCB_DIAG_PATH_MAX - 1);
    assert_string_equal(buf, "/4294967294/4294967294/4294967294/4294967294");
    /* a gap ends the path: nothing after the first unknown part */
    d.iid = UCB_ID_NONE;
    assert_int_equal(ucb_diag_path(&d, buf, sizeof buf), 11);
    assert_string_equal(buf, "/4294967294");
}

static void diag_path_measures_and_refuses_short_buffers(void **state)
{
    struct ucb_diag d = {0};
    char buf[8];
    (void)state;
    d.oid = 1;
    d.iid = 2;
    d.rid = 300;
    d.riid = UCB_ID_NONE;
    assert_int_equal(ucb_diag_path(&d, NULL, 0), 8);
    memset(buf, 'x', sizeof buf);
    assert_int_equal(ucb_diag_path(&d, buf, 8), UCB_ERR_BUFFER); /* needs 9 with the NUL */
    assert_int_equal(buf[0], '\0');
    assert_int_equal(ucb_diag_path(&d, buf, 0), UCB_ERR_BUFFER);
    assert_int_equal(ucb_diag_path(NULL, buf, sizeof buf), UCB_ERR_ARG);
    assert_int_equal(ucb_diag_path(&d, NULL, 4), UCB_ERR_ARG);
}

static void every_rule_has_a_code_clause_and_summary(void **state)
{
    (void)state;
    for (int id = 0; id < UCB_RULE_COUNT; id++) {
        const struct ucb_rule *r = ucb_rule_get((enum ucb_rule_id)id);
        assert_non_null(r);
        assert_int_equal(r->id, id);
        assert_non_null(r->code);
        assert_true(strlen(r->code) > 3);
        assert_true(strlen(r->clause) > 0);
        assert_true(strlen(r->summary) > 0);
        for (int k = 0; k < id; k++) {
            assert_string_not_equal(ucb_rule_get((enum ucb_rule_id)k)->code, r->code);
        }
    }
    assert_null(ucb_rule_get(UCB_RULE_COUNT));
    assert_null(ucb_rule_get((enum ucb_rule_id) - 1));
    assert_string_equal(ucb_rule_get(UCB_RULE_SEC_URI_MISSING)->code, "SEC-URI-MISSING");
}

static void rule_list_in_docs_matches_the_table(void **state)
{
    size_t len;
    char *doc = (char *)test_read_file("docs/validation.md", &len);
    (void)state;
    doc = realloc(doc, len + 1);
    doc[len] = '\0';
    for (int id = 0; id < UCB_RULE_COUNT; id++) {
        const struct ucb_rule *r = ucb_rule_get((enum ucb_rule_id)id);
        char key[64];
        snprintf(key, sizeof key, "| `%s` | %s |", r->code,
                 r->severity == UCB_SEV_ERROR ? "error" : "warning");
        if (strstr(doc, key) == NULL) {
            fail_msg("docs/validation.md lacks the row \"%s\"", key);
        }
    }
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(avsystem_psk_example_is_valid),
        cmocka_unit_test(builder_reproduces_avsystem_example),
        cmocka_unit_test(nosec_bootstrap_only_card_is_valid),
        cmocka_unit_test(r1_three_account_fixture_is_valid),
        cmocka_unit_test(rpk_and_certificate_accounts_with_all_keys_are_valid),
        cmocka_unit_test(bootstrap_account_with_ssid_zero_is_valid),
        cmocka_unit_test(scheme_is_case_insensitive),
        cmocka_unit_test(model_built_without_a_file_validates),
        cmocka_unit_test(file_shorter_than_header_is_truncated),
        cmocka_unit_test(size_past_end_of_file_is_truncated),
        cmocka_unit_test(file_over_32k_is_too_large),
        cmocka_unit_test(header_counting_two_objects_for_one_is_count_mismatch),
        cmocka_unit_test(bytes_inside_size_after_last_object_are_size_mismatch),
        cmocka_unit_test(tlv_past_its_object_is_tlv_truncated),
        cmocka_unit_test(resource_outside_an_instance_is_tlv_nesting),
        cmocka_unit_test(too_many_instances_is_model_capacity),
        cmocka_unit_test(tlv_malformed_has_a_rule_for_decoder_faults),
        cmocka_unit_test(structural_fault_stops_the_run_with_one_error),
        cmocka_unit_test(non_ff_bytes_after_content_warn_but_stay_valid),
        cmocka_unit_test(file_without_objects_warns_empty),
        cmocka_unit_test(object_with_two_entries_is_duplicate),
        cmocka_unit_test(instance_id_twice_across_entries_is_duplicate),
        cmocka_unit_test(instance_id_twice_in_one_object_is_duplicate),
        cmocka_unit_test(unknown_version_of_a_known_object_warns),
        cmocka_unit_test(resource_id_twice_in_an_instance_is_duplicate),
        cmocka_unit_test(resource_instance_id_twice_is_duplicate),
        cmocka_unit_test(integer_of_three_bytes_is_res_type_only),
        cmocka_unit_test(boolean_other_than_0_or_1_is_res_type_only),
        cmocka_unit_test(uri_with_invalid_utf8_is_res_type_only),
        cmocka_unit_test(executable_resource_in_the_file_is_res_type),
        cmocka_unit_test(objlnk_of_two_bytes_is_res_type),
        cmocka_unit_test(acl_rights_of_three_bytes_are_res_type),
        cmocka_unit_test(acl_written_as_single_resource_is_res_multiple),
        cmocka_unit_test(lifetime_written_as_multiple_resource_is_res_multiple),
        cmocka_unit_test(resource_not_in_the_object_warns_unknown),
        cmocka_unit_test(resource_newer_than_declared_version_warns_unknown),
        cmocka_unit_test(security_1_2_resources_only_warn),
        cmocka_unit_test(account_without_uri_is_invalid),
        cmocka_unit_test(empty_uri_counts_as_missing),
        cmocka_unit_test(uri_over_255_bytes_is_invalid),
        cmocka_unit_test(uri_with_unknown_scheme_is_invalid),
        cmocka_unit_test(account_without_bootstrap_flag_is_invalid),
        cmocka_unit_test(account_without_security_mode_is_invalid),
        cmocka_unit_test(security_mode_5_is_out_of_range),
        cmocka_unit_test(psk_account_without_identity_is_invalid),
        cmocka_unit_test(psk_account_with_empty_key_is_invalid),
        cmocka_unit_test(oversized_psk_identity_and_key_warn),
        cmocka_unit_test(rpk_account_without_keys_is_invalid),
        cmocka_unit_test(est_account_without_server_key_only_warns),
        cmocka_unit_test(nosec_account_carrying_keys_warns),
        cmocka_unit_test(plain_scheme_with_psk_warns),
        cmocka_unit_test(secure_scheme_with_nosec_warns),
        cmocka_unit_test(server_account_without_ssid_is_invalid),
        cmocka_unit_test(reserved_ssids_are_out_of_range),
        cmocka_unit_test(negative_bootstrap_timers_are_invalid),
        cmocka_unit_test(sms_parameters_out_of_range_are_invalid),
        cmocka_unit_test(server_without_ssid_is_invalid),
        cmocka_unit_test(server_without_lifetime_is_invalid),
        cmocka_unit_test(zero_lifetime_is_out_of_range),
        cmocka_unit_test(server_without_binding_is_invalid),
        cmocka_unit_test(binding_letters_depend_on_server_version),
        cmocka_unit_test(server_without_storing_flag_only_warns),
        cmocka_unit_test(bad_default_periods_are_invalid),
        cmocka_unit_test(unpaired_security_and_server_are_invalid),
        cmocka_unit_test(bootstrap_account_does_not_pair_with_a_server),
        cmocka_unit_test(two_security_instances_with_one_ssid_are_invalid),
        cmocka_unit_test(two_servers_with_one_ssid_are_invalid),
        cmocka_unit_test(second_bootstrap_account_is_invalid),
        cmocka_unit_test(bootstrap_plus_server_accounts_are_valid),
        cmocka_unit_test(card_without_security_instance_warns),
        cmocka_unit_test(acl_instance_without_target_is_invalid),
        cmocka_unit_test(acl_target_out_of_range_is_invalid),
        cmocka_unit_test(two_acl_instances_for_one_target_are_invalid),
        cmocka_unit_test(acl_without_owner_is_invalid),
        cmocka_unit_test(acl_owner_must_be_a_server_or_max_id),
        cmocka_unit_test(acl_entry_for_unknown_server_is_invalid),
        cmocka_unit_test(acl_rights_out_of_range_are_invalid),
        cmocka_unit_test(acl_rfu_rights_bits_only_warn),
        cmocka_unit_test(null_arguments_are_refused),
        cmocka_unit_test(inconsistent_model_is_refused),
        cmocka_unit_test(counts_come_back_without_a_callback),
        cmocka_unit_test(diag_path_names_each_level),
        cmocka_unit_test(diag_path_measures_and_refuses_short_buffers),
        cmocka_unit_test(every_rule_has_a_code_clause_and_summary),
        cmocka_unit_test(rule_list_in_docs_matches_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
