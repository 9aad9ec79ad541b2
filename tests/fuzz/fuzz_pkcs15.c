/*
 * Fuzz harness: the PKCS#15 parsers of the reader (src/pkcs15_int.h) on
 * untrusted bytes, as a card returns them for EF.DIR records, EF(ODF) and
 * EF(DODF).
 *
 * Input layout: the first byte selects the parser (value % 4):
 *   0  ucb_pkcs15_dir_record() on the rest (one EF.DIR record)
 *   1  ucb_pkcs15_odf_dodf() on the rest (EF(ODF))
 *   2  ucb_pkcs15_dodf_find() on the rest with the LwM2M OID 2.23.43.9.1
 *   3  the same with an OID override: byte 1 = its length n, the next n
 *      bytes the OID, the rest the DODF (n is taken modulo what remains)
 * Invariants: every result lies inside the input, paths are even and
 * 2..16 bytes, AIDs 5..16 bytes, return codes are the documented ones,
 * a failure leaves no result, and a second call gives the same answer.
 * Any broken invariant aborts.
 *
 * Built twice (tests/fuzz/meson.build): with -fsanitize=fuzzer as
 * fuzz_pkcs15, and with replay_main.c as fuzz_pkcs15_replay, which replays
 * tests/fuzz/corpus/pkcs15 in the normal test suite.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pkcs15_int.h"
#include "uiccboot/card.h"
#include "uiccboot/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) abort();                                                      \
    } while (0)

static void check_inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
    if (p == NULL) {
        CHECK(n == 0);
        return;
    }
    CHECK(p >= buf && n <= len && (size_t)(p - buf) <= len - n);
}

static bool known_rc(int rc)
{
    return rc == 0 || rc == UCB_ERR_NOT_PRESENT || rc == UCB_ERR_TRUNCATED ||
           rc == UCB_ERR_MALFORMED;
}

static void check_path(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
    CHECK(p != NULL);
    CHECK(n >= 2 && n <= UCB_PATH_MAX && n % 2 == 0);
    check_inside(p, n, buf, len);
}

static void fuzz_dir(const uint8_t *b, size_t n)
{
    struct ucb_dir_app app, again;
    const int rc = ucb_pkcs15_dir_record(b, n, &app);
    CHECK(known_rc(rc));
    CHECK(ucb_pkcs15_dir_record(b, n, &again) == rc);
    if (rc != 0) {
        CHECK(app.aid == NULL && app.path == NULL && app.label == NULL);
        return;
    }
    CHECK(memcmp(&app, &again, sizeof app) == 0);
    CHECK(app.aid != NULL && app.aid_len >= 5 && app.aid_len <= UCB_AID_MAX);
    check_inside(app.aid, app.aid_len, b, n);
    check_inside(app.label, app.label_len, b, n);
    if (app.path != NULL) check_path(app.path, app.path_len, b, n);
    if (ucb_pkcs15_is_pkcs15_aid(app.aid, app.aid_len))
        CHECK(app.aid_len >= UCB_PKCS15_AID_LEN &&
              memcmp(app.aid, ucb_pkcs15_aid, UCB_PKCS15_AID_LEN) == 0);
}

static void fuzz_odf(const uint8_t *b, size_t n)
{
    const uint8_t *p = b, *p2 = NULL;
    size_t plen = 99, plen2 = 0;
    const int rc = ucb_pkcs15_odf_dodf(b, n, &p, &plen);
    CHECK(known_rc(rc));
    CHECK(ucb_pkcs15_odf_dodf(b, n, &p2, &plen2) == rc && p2 == p && plen2 == plen);
    if (rc != 0) {
        CHECK(p == NULL && plen == 0);
        return;
    }
    check_path(p, plen, b, n);
}

static void fuzz_dodf(const uint8_t *b, size_t n, const uint8_t *oid, size_t oid_len)
{
    struct ucb_dodf_match m, again;
    const int rc = ucb_pkcs15_dodf_find(b, n, oid, oid_len, &m);
    if (oid_len == 0) {
        CHECK(rc == UCB_ERR_ARG);
        return;
    }
    CHECK(known_rc(rc));
    CHECK(ucb_pkcs15_dodf_find(b, n, oid, oid_len, &again) == rc);
    if (rc != 0) {
        CHECK(m.path == NULL && m.form == 0 && m.auth_id == NULL);
        return;
    }
    CHECK(memcmp(&m, &again, sizeof m) == 0);
    check_path(m.path, m.path_len, b, n);
    check_inside(m.auth_id, m.auth_id_len, b, n);
    CHECK(m.form == UCB_ROUTE_OID_CORRECT || m.form == UCB_ROUTE_OID_DOUBLE ||
          m.form == UCB_ROUTE_OID_APPLICATION);
    /* The OID that matched is in the input, in the form reported. */
    bool found = false;
    for (size_t i = 0; !found && i + oid_len <= n; i++) found = memcmp(b + i, oid, oid_len) == 0;
    CHECK(found);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const uint8_t *b = data + 1;
    size_t n = size - 1;
    switch (data[0] % 4u) {
    case 0:
        fuzz_dir(b, n);
        break;
    case 1:
        fuzz_odf(b, n);
        break;
    case 2:
        fuzz_dodf(b, n, ucb_lwm2m_oid, UCB_LWM2M_OID_LEN);
        break;
    default: {
        if (n == 0) return 0;
        size_t oid_len = b[0] % (n < 17 ? n : 17); /* 0..16, within the input */
        const uint8_t *oid = b + 1;
        fuzz_dodf(b + 1 + oid_len, n - 1 - oid_len, oid, oid_len);
        break;
    }
    }
    return 0;
}
