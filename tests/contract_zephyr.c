/*
 * The adapter contract suite (adapter_contract.h) against Zephyr's LwM2M
 * engine: a Zephyr application (native_sim) whose main() runs the suite on
 * the adapter of adapter_zephyr.h. The engine's objects are those the image
 * compiled in (Security, Server, Access Control with
 * CONFIG_LWM2M_ACCESS_CONTROL_ENABLE, Device, and the IPSO Temperature
 * object 3303 with CONFIG_LWM2M_IPSO_TEMP_SENSOR); they are set up by the
 * engine's SYS_INIT before main() runs, as in any application.
 *
 * No registration client runs and no server exists: the session hooks
 * (make_registered, server_state) are left NULL, so the suite runs the
 * server operations without checking session state. Around the two runs the
 * harness also compares the instance lists of objects 0, 1, 2 and 3303,
 * which include instances the engine made itself.
 *
 * Not built by meson: the application that builds it lives outside the
 * repository (docs/integration/zephyr.md). Exit status: 0 when no check failed.
 */
#include <stdio.h>
#include <string.h>

#include "posix_board_if.h" /* native_sim (boards/native/native_sim): posix_exit() */

#include "adapter_contract.h"
#include "uiccboot/adapter_zephyr.h"

#define OID_TEMPERATURE 3303u
#define LIST_CAP 64u

static struct ucb_zephyr_adapter zad;

/* The instance IDs of every object the suite touches, the engine's own included. */
struct snapshot {
    int n[4];
    uint16_t ids[4][LIST_CAP];
};

static const uint16_t snap_oids[4] = {0, 1, 2, OID_TEMPERATURE};

static void take(const struct ucb_adapter *a, struct snapshot *s)
{
    memset(s, 0, sizeof(*s));
    for (size_t k = 0; k < 4; k++)
        s->n[k] = a->ops->list(a->ctx, snap_oids[k], s->ids[k], LIST_CAP);
}

/*
 * Without CONFIG_LWM2M_RD_CLIENT_SUPPORT_BOOTSTRAP the engine adds an Access
 * Control instance of its own (IDs from 0) for every instance created
 * (lwm2m_registry.c, engine_register_obj_inst()); the suite does not see
 * those, so the harness checks that they go with their targets too.
 */
static int compare(const struct snapshot *before, const struct snapshot *after)
{
    int bad = 0;

    for (size_t k = 0; k < 4; k++) {
        if (before->n[k] != after->n[k] || before->n[k] < 0 || before->n[k] > (int)LIST_CAP ||
            (before->n[k] > 0 &&
             memcmp(before->ids[k], after->ids[k],
                    (size_t)before->n[k] * sizeof(before->ids[k][0])) != 0)) {
            fprintf(stderr, "contract_zephyr: instances of object %u changed (%d before, %d after)\n",
                    (unsigned)snap_oids[k], before->n[k], after->n[k]);
            bad++;
        }
    }
    return bad;
}

int main(void)
{
    struct ucb_adapter a;
    struct contract_hooks hooks;
    static struct snapshot before, after;
    int rc, failed = 0;

    ucb_zephyr_adapter_init(&zad, &a);
    take(&a, &before);

    memset(&hooks, 0, sizeof(hooks));
    hooks.other_oid = OID_TEMPERATURE; /* compiled in: CONFIG_LWM2M_IPSO_TEMP_SENSOR */
    hooks.exact_read = false;          /* the engine stores typed values, not TLV */

    rc = ucb_contract_run(&a, &hooks);
    printf("contract suite against Zephyr: %d failed\n", rc);
    failed += rc;
    rc = ucb_contract_run(&a, &hooks);
    printf("contract suite again (the core was left as found): %d failed\n", rc);
    failed += rc;
    take(&a, &after);
    rc = compare(&before, &after);
    printf("instances of /0 /1 /2 /3303: %d %d %d %d before, %d %d %d %d after\n", before.n[0],
           before.n[1], before.n[2], before.n[3], after.n[0], after.n[1], after.n[2], after.n[3]);
    failed += rc;
    printf("contract suite against Zephyr: %d failed\n", failed);
    fflush(stdout);

    posix_exit(failed == 0 ? 0 : 1);
    return 0;
}
