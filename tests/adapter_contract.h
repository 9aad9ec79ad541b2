/*
 * The adapter contract suite: checks that an adapter (adapter.h) behaves as
 * the bridge relies on, whatever core is behind it. Run it against the
 * reference core (test_ref_core.c) and against every real core's adapter.
 *
 * It needs no test framework: ucb_contract_run() prints one line per failed
 * check (check name, file:line, what was expected) to stderr and returns
 * the number of failures, so a cmocka test asserts it is 0.
 *
 * The suite leaves the core as it found it: it works only on instance IDs
 * from `iid_base` and SSIDs `ssid_a`, `ssid_b` (checked to be free first),
 * and deletes what it created. It never assumes the core starts empty.
 */
#ifndef UCB_ADAPTER_CONTRACT_H
#define UCB_ADAPTER_CONTRACT_H

#include <stdbool.h>
#include <stdint.h>

#include "uiccboot/adapter.h"

/** What the suite needs from the harness of one core. Zeroed fields take defaults. */
struct contract_hooks {
    void *ctx; /**< passed to the hooks */

    /** Instance IDs the suite may use: iid_base .. iid_base + 7 (default 100). */
    uint16_t iid_base;
    /** Two SSIDs no server of the core uses (defaults 4001 and 4002). */
    uint16_t ssid_a, ssid_b;
    /** Another object ID the core accepts instances of (default 3303, Temperature). */
    uint16_t other_oid;

    /** read() gives back the created bytes exactly (the reference core does); else compared by value. */
    bool exact_read;

    /**
     * Make server @p ssid (its Security and Server instances exist)
     * registered, holding at least one observation. Optional: without it
     * the checks of session state are skipped (the operations still run).
     */
    int (*make_registered)(void *ctx, uint16_t ssid);

    /**
     * Session state of @p ssid. Optional (same effect as above). Any
     * out-pointer may be NULL.
     */
    int (*server_state)(void *ctx, uint16_t ssid, bool *out_registered, bool *out_disabled,
                        unsigned *out_observations);
};

/** Run every check; @return the number of failed checks (0 = the adapter keeps the contract). */
int ucb_contract_run(const struct ucb_adapter *a, const struct contract_hooks *h);

#endif
