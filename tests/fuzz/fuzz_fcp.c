/*
 * Fuzz harness: FCP template parser (ucb_fcp_parse) and the PIN choice
 * (ucb_fcp_pin_ref) on untrusted bytes (a card's SELECT response).
 *
 * Checks the invariants of struct ucb_fcp after every parse: counts within
 * their arrays, fields set only with their UCB_FCP_HAS_* bit, an all-zero
 * struct after an error, the error one of the documented ones, the same
 * answer for the bare content as for the 62-wrapped template, and a PIN
 * reference that is enabled and of a cardholder kind. Any broken invariant
 * aborts.
 *
 * Built twice (tests/fuzz/meson.build): with -fsanitize=fuzzer as fuzz_fcp,
 * and with replay_main.c as fuzz_fcp_replay, which replays the corpus in
 * the normal test suite.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uiccboot/err.h"
#include "uiccboot/fcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) abort();                                                      \
    } while (0)

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

static void check_fcp(const struct ucb_fcp *f)
{
    const uint32_t known = UCB_FCP_HAS_SIZE | UCB_FCP_HAS_TOTAL_SIZE | UCB_FCP_HAS_DESCRIPTOR |
                           UCB_FCP_HAS_FID | UCB_FCP_HAS_AID | UCB_FCP_HAS_LIFE_CYCLE |
                           UCB_FCP_HAS_SECURITY | UCB_FCP_HAS_PIN_STATUS | UCB_FCP_HAS_SFI |
                           UCB_FCP_HAS_RECORDS;
    CHECK((f->has & ~known) == 0);

    CHECK(f->aid_len <= sizeof f->aid);
    CHECK((f->aid_len != 0) == !!(f->has & UCB_FCP_HAS_AID));
    CHECK(f->security_len <= UCB_FCP_MAX_SECURITY);
    if (!(f->has & UCB_FCP_HAS_SECURITY)) CHECK(f->security_tag == 0 && f->security_len == 0);
    else CHECK(f->security_tag == 0x8B || f->security_tag == 0x8C || f->security_tag == 0xAB);

    CHECK(f->n_pin_refs <= UCB_FCP_MAX_PINS);
    if (f->n_pin_refs < 8) CHECK((f->pin_enabled >> f->n_pin_refs) == 0);
    if (!(f->has & UCB_FCP_HAS_PIN_STATUS)) CHECK(f->n_pin_refs == 0 && f->pin_enabled == 0);

    if (f->has & UCB_FCP_HAS_SFI) CHECK(f->sfi >= 1 && f->sfi <= 30);
    else CHECK(f->sfi == 0);

    if (!(f->has & UCB_FCP_HAS_SIZE)) CHECK(f->size == 0);
    if (!(f->has & UCB_FCP_HAS_TOTAL_SIZE)) CHECK(f->total_size == 0);
    if (!(f->has & UCB_FCP_HAS_FID)) CHECK(f->fid == 0);
    if (!(f->has & UCB_FCP_HAS_LIFE_CYCLE)) CHECK(f->life_cycle == 0);
    if (f->has & UCB_FCP_HAS_RECORDS) CHECK(f->has & UCB_FCP_HAS_DESCRIPTOR);
    else CHECK(f->record_len == 0 && f->n_records == 0);
    if (!(f->has & UCB_FCP_HAS_DESCRIPTOR))
        CHECK(f->descriptor == 0 && f->data_coding == 0 && f->structure == UCB_FCP_UNKNOWN);
    CHECK(f->structure == UCB_FCP_UNKNOWN || f->structure == UCB_FCP_TRANSPARENT ||
          f->structure == UCB_FCP_LINEAR_FIXED || f->structure == UCB_FCP_CYCLIC ||
          f->structure == UCB_FCP_DF);

    int ref = ucb_fcp_pin_ref(f);
    if (ref == UCB_ERR_NOT_PRESENT) return;
    CHECK(ref >= 1 && ref <= 255);
    bool found = false;
    for (unsigned i = 0; i < f->n_pin_refs; i++)
        if (f->pin_refs[i] == ref && (f->pin_enabled & (1u << i))) found = true;
    CHECK(found);
    CHECK((ref >= 0x01 && ref <= 0x08) || ref == 0x11 || (ref >= 0x81 && ref <= 0x88));
}

/* Field by field: padding bytes are not part of the answer. */
static bool same_fcp(const struct ucb_fcp *a, const struct ucb_fcp *b)
{
    return a->has == b->has && a->size == b->size && a->total_size == b->total_size &&
           a->descriptor == b->descriptor && a->data_coding == b->data_coding &&
           a->structure == b->structure && a->record_len == b->record_len &&
           a->n_records == b->n_records && a->fid == b->fid && a->aid_len == b->aid_len &&
           memcmp(a->aid, b->aid, sizeof a->aid) == 0 && a->life_cycle == b->life_cycle &&
           a->security_tag == b->security_tag && a->security_len == b->security_len &&
           memcmp(a->security, b->security, sizeof a->security) == 0 && a->sfi == b->sfi &&
           a->n_pin_refs == b->n_pin_refs &&
           memcmp(a->pin_refs, b->pin_refs, sizeof a->pin_refs) == 0 &&
           a->pin_enabled == b->pin_enabled;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ucb_fcp f;
    memset(&f, 0xA5, sizeof f);
    int rc = ucb_fcp_parse(data, size, &f);
    CHECK(rc == 0 || rc == UCB_ERR_TRUNCATED || rc == UCB_ERR_MALFORMED);
    if (rc != 0) {
        CHECK(all_zero(&f, sizeof f));
        return 0;
    }
    check_fcp(&f);

    /* The same content wrapped in 62 (short form while it fits) must give
     * the same answer when the input was bare content. */
    if (size > 0 && data[0] != 0x62 && size <= 0xFFFF) {
        size_t hdr = size < 0x80 ? 2 : size < 0x100 ? 3 : 4;
        uint8_t *w = malloc(size + hdr);
        if (w == NULL) return 0;
        w[0] = 0x62;
        if (hdr == 2) {
            w[1] = (uint8_t)size;
        } else if (hdr == 3) {
            w[1] = 0x81;
            w[2] = (uint8_t)size;
        } else {
            w[1] = 0x82;
            w[2] = (uint8_t)(size >> 8);
            w[3] = (uint8_t)size;
        }
        memcpy(w + hdr, data, size);
        struct ucb_fcp g;
        int rc2 = ucb_fcp_parse(w, size + hdr, &g);
        free(w);
        CHECK(rc2 == 0);
        CHECK(same_fcp(&f, &g));
    }
    return 0;
}
