#include "recorder.h"

#include <string.h>

static int rec_transmit(void *ctx, const uint8_t *c, size_t clen, uint8_t *r, size_t rcap,
                        size_t *out_len, uint32_t timeout_ms)
{
    struct recorder *x = ctx;

    if (x->replay) {
        if (x->pos >= x->n || clen != x->clen[x->pos] || memcmp(c, x->c[x->pos], clen) != 0 ||
            x->rlen[x->pos] > rcap)
            return UCB_ERR_TRANSPORT; /* the replayed run diverged */
        memcpy(r, x->r[x->pos], x->rlen[x->pos]);
        *out_len = x->rlen[x->pos++];
        return 0;
    }
    int rc = x->inner.transmit(x->inner.ctx, c, clen, r, rcap, out_len, timeout_ms);
    if (rc == 0 && x->n < RECORDER_MAX) {
        memcpy(x->c[x->n], c, clen);
        x->clen[x->n] = clen;
        memcpy(x->r[x->n], r, *out_len);
        x->rlen[x->n++] = *out_len;
    }
    return rc;
}

static int no_event(void *ctx)
{
    (void)ctx;
    return 0;
}

void recorder_record(struct recorder *x, const struct ucb_transport *inner, struct ucb_transport *out)
{
    memset(x, 0, sizeof(*x));
    x->inner = *inner;
    memset(out, 0, sizeof(*out));
    out->transmit = rec_transmit;
    out->card_event = no_event;
    out->ctx = x;
}

void recorder_replay(struct recorder *x, struct ucb_transport *out)
{
    x->pos = 0;
    x->replay = true;
    memset(out, 0, sizeof(*out));
    out->transmit = rec_transmit;
    out->card_event = no_event;
    out->ctx = x;
}

int recorder_fixed_random(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(0xA0 + i);
    return 0;
}
