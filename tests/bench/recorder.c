#include "recorder.h"

#include <stdio.h>
#include <string.h>

#include "vuicc.h"

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

struct vuicc *bench_card_r1(const char *root, struct ucb_scp03_keys *keys)
{
    static uint8_t file[UCB_BOOTSTRAP_MAX + 1];
    struct vuicc_profile p;
    char path[4096], err[200];
    struct vuicc *card;
    size_t len;
    FILE *f;

    snprintf(path, sizeof(path), "%s/fixtures/bootstrap/r1-three-accounts.bin", root);
    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    len = fread(file, 1, sizeof(file), f);
    fclose(f);
    vuicc_profile_default(&p);
    p.scp03.len = 16;
    p.scp03.kvn = 0x30;
    p.scp03.i_param = 0x70;
    memset(keys, 0, sizeof(*keys));
    for (size_t i = 0; i < 16; i++) {
        p.scp03.enc[i] = keys->enc[i] = (uint8_t)i;
        p.scp03.mac[i] = keys->mac[i] = (uint8_t)(0x10 + i);
        p.scp03.dek[i] = keys->dek[i] = (uint8_t)(0x20 + i);
    }
    keys->len = 16;
    keys->kvn = 0x30;
    card = vuicc_new(&p, file, len, err, sizeof(err));
    if (card == NULL)
        fprintf(stderr, "%s\n", err);
    return card;
}
