/*
 * Internal to the library (typed views and validator); not installed.
 */
#ifndef UCB_MODEL_INT_H
#define UCB_MODEL_INT_H

#include <stdint.h>

#include "uiccboot/bootstrap.h"

/** A model entry's value, decoded by its LwM2M type. */
struct ucb_value {
    const uint8_t *ptr; /* the raw value bytes, whatever the type */
    size_t len;
    int64_t i;          /* Integer, Time; Boolean as 0/1 */
    uint64_t u;         /* Unsigned Integer */
    double f;           /* Float */
    uint16_t link[2];   /* Objlnk: object ID, instance ID */
};

/*
 * Decode entry `r` as `type` (enum ucb_type, LwM2M Core Appendix C). `out` is
 * zeroed first, ptr/len always set; the typed member only on success.
 * @return 0, or UCB_ERR_TYPE (also for UCB_TYPE_NONE: an executable resource
 *         carries no value).
 */
int ucb_res_decode(const struct ucb_bs_res *r, uint8_t type, struct ucb_value *out);

#endif /* UCB_MODEL_INT_H */
