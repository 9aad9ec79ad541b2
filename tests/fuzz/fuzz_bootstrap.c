/*
 * Fuzz harness: EF LwM2M_Bootstrap decoder, encoder, typed views and the
 * validator on untrusted bytes (the file as read from the card).
 *
 * Decodes into a static model; when that succeeds, encodes it (measure,
 * then write), decodes the encoding (which must succeed with the same
 * shape), checks that encoding is idempotent, fills the typed views of
 * every instance of objects 0, 1 and 2, and runs ucb_validate_file() with
 * a callback that formats each diagnostic's path. Any broken invariant
 * aborts.
 *
 * Built twice (tests/fuzz/meson.build): with -fsanitize=fuzzer as
 * fuzz_bootstrap, and with replay_main.c as fuzz_bootstrap_replay, which
 * replays the corpus in the normal test suite.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uiccboot/bootstrap.h"
#include "uiccboot/err.h"
#include "uiccboot/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) abort();                                                      \
    } while (0)

static struct ucb_bootstrap bs, again, scratch;
static uint8_t enc[UCB_BOOTSTRAP_MAX], enc2[UCB_BOOTSTRAP_MAX];

static void on_diag(void *ctx, const struct ucb_diag *d)
{
    unsigned *n = ctx;
    char path[64], tiny[3];
    (*n)++;
    CHECK(d->rule != NULL && d->message != NULL);
    CHECK(d->severity == UCB_SEV_ERROR || d->severity == UCB_SEV_WARNING);
    int len = ucb_diag_path(d, NULL, 0);
    CHECK(len >= 1 && (size_t)len < sizeof path);
    CHECK(ucb_diag_path(d, path, sizeof path) == len);
    CHECK(path[0] == '/' && strlen(path) == (size_t)len);
    int rc = ucb_diag_path(d, tiny, sizeof tiny);
    CHECK(rc == (len < (int)sizeof tiny ? len : UCB_ERR_BUFFER));
    CHECK(memchr(tiny, '\0', sizeof tiny) != NULL);
    CHECK(d->offset == UCB_ID_NONE || d->offset <= UCB_BOOTSTRAP_MAX);
}

static void views(const struct ucb_bootstrap *m)
{
    for (size_t i = 0; i < m->ninst; i++) {
        const uint16_t oid = m->obj[m->inst[i].object].oid;
        struct ucb_security s;
        struct ucb_server v;
        struct ucb_acl a;
        int bad = -1, rc;
        rc = ucb_bs_security(m, i, &s, &bad);
        CHECK(oid == UCB_OID_SECURITY ? (rc == 0 || (rc == UCB_ERR_TYPE && bad >= 0))
                                      : rc == UCB_ERR_ARG);
        rc = ucb_bs_server(m, i, &v, &bad);
        CHECK(oid == UCB_OID_SERVER ? (rc == 0 || (rc == UCB_ERR_TYPE && bad >= 0))
                                    : rc == UCB_ERR_ARG);
        rc = ucb_bs_acl(m, i, &a, &bad);
        CHECK(oid == UCB_OID_ACCESS_CONTROL ? (rc == 0 || (rc == UCB_ERR_TYPE && bad >= 0))
                                            : rc == UCB_ERR_ARG);
        if (rc == 0 || rc == UCB_ERR_TYPE) {
            CHECK((size_t)a.acl_first + a.acl_count <= m->nres);
            for (size_t k = 0; k < a.acl_count; k++)
                CHECK(m->res[a.acl_first + k].kind == UCB_TLV_RESOURCE_INSTANCE);
        }
        CHECK(ucb_bs_find_res(m, i, 0xFFFF) == UCB_ERR_NOT_PRESENT ||
              m->res[ucb_bs_find_res(m, i, 0xFFFF)].id == 0xFFFF);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ucb_bs_fault f;
    int rc = ucb_bs_decode(&bs, data, size, &f);
    if (rc != 0) {
        CHECK(rc < 0 && f.err == rc && f.kind != UCB_BS_FAULT_NONE && f.what != NULL);
        CHECK(f.offset <= UCB_BOOTSTRAP_MAX);
    } else {
        CHECK(bs.nobj <= UCB_BS_MAX_OBJECTS && bs.ninst <= UCB_BS_MAX_INSTANCES &&
              bs.nres <= UCB_BS_MAX_RESOURCES);
        CHECK(bs.trailing_garbage_offset == UCB_ID_NONE ||
              (bs.trailing_garbage_offset >= 4u + bs.size && bs.trailing_garbage_offset < size));

        /* Encode: measure, write, and the two agree. */
        int need = ucb_bs_encode(&bs, NULL, 0);
        CHECK(need >= 4 && (size_t)need <= 4u + bs.size);
        int n = ucb_bs_encode(&bs, enc, sizeof enc);
        CHECK(n == need);
        if (need > 4) CHECK(ucb_bs_encode(&bs, enc, (size_t)need - 1) == UCB_ERR_BUFFER);

        /* The encoding decodes to the same shape and encodes to itself. */
        CHECK(ucb_bs_decode(&again, enc, (size_t)n, NULL) == 0);
        CHECK(again.nobj == bs.nobj && again.ninst == bs.ninst && again.nres == bs.nres);
        CHECK(again.trailing_garbage_offset == UCB_ID_NONE);
        for (size_t i = 0; i < bs.nobj; i++)
            CHECK(again.obj[i].oid == bs.obj[i].oid && again.obj[i].major == bs.obj[i].major &&
                  again.obj[i].minor == bs.obj[i].minor && again.obj[i].count == bs.obj[i].count);
        for (size_t i = 0; i < bs.nres; i++)
            CHECK(again.res[i].id == bs.res[i].id && again.res[i].kind == bs.res[i].kind &&
                  again.res[i].len == bs.res[i].len && again.res[i].count == bs.res[i].count &&
                  (bs.res[i].len == 0 ||
                   memcmp(again.res[i].value, bs.res[i].value, bs.res[i].len) == 0));
        CHECK(ucb_bs_encode(&again, enc2, sizeof enc2) == n);
        CHECK(memcmp(enc, enc2, (size_t)n) == 0);

        views(&bs);
    }

    /* The validator: a structural fault is one error, else the rules run. */
    unsigned ndiag = 0;
    struct ucb_validate_result res;
    int errors = ucb_validate_file(data, size, &scratch, on_diag, &ndiag, &res);
    CHECK(errors >= 0 && (unsigned)errors == res.errors);
    CHECK(ndiag == res.errors + res.warnings);
    if (rc != 0) CHECK(res.errors >= 1);
    return 0;
}
