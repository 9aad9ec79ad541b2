/*
 * The RAM store: provenance kept in the caller's struct. For tests and for
 * devices without persistence (after a reboot nothing from the card is
 * known to be applied, and the bridge says so).
 */
#include <string.h>

#include "uiccboot/err.h"
#include "uiccboot/store.h"

static int ram_load(void *ctx, struct ucb_provenance *out)
{
    struct ucb_store_ram *r = ctx;
    if (!r || !out) return UCB_ERR_ARG;
    if (r->saved)
        *out = r->p;
    else
        memset(out, 0, sizeof *out);
    return 0;
}

static int ram_save(void *ctx, const struct ucb_provenance *p)
{
    struct ucb_store_ram *r = ctx;
    if (!r || !p) return UCB_ERR_ARG;
    /* The same limits as the byte stores, checked by the serialiser itself
     * (measure only), so the RAM store cannot accept what a file refuses. */
    int rc = ucb_prov_serialize(p, NULL, 0);
    if (rc < 0) return rc;
    r->p = *p;
    r->saved = true;
    r->n_saves++;
    return 0;
}

static const struct ucb_store_ops ram_ops = {
    .load = ram_load,
    .save = ram_save,
};

void ucb_store_ram_init(struct ucb_store_ram *r, struct ucb_store *out)
{
    if (r) memset(r, 0, sizeof *r);
    if (out) {
        out->ops = &ram_ops;
        out->ctx = r;
    }
}
