/*
 * The APDU engine: every ISO 7816 transmission mechanic of the library
 * (command cases, Lc/Le encoding, logical channel bits in CLA, 61xx GET
 * RESPONSE chains, 6Cxx resends) lives in this file and nowhere else.
 */
#include <string.h>

#include "uiccboot/apdu.h"
#include "uiccboot/err.h"

/*
 * Most GET RESPONSE rounds for one command. 128 rounds of 256 bytes cover a
 * 32 KB answer, more than any response buffer a caller of this library
 * needs; a card that keeps answering 61xx past that is looping.
 */
#define MAX_GET_RESPONSE_ROUNDS 128u

/* Wipe that the compiler may not drop as a dead store. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--) *v++ = 0;
}

void ucb_apdu_init(struct ucb_apdu *a, const struct ucb_transport *t)
{
    if (a == NULL) return;
    memset(a, 0, sizeof *a);
    if (t != NULL) a->transport = *t;
}

void ucb_apdu_deinit(struct ucb_apdu *a)
{
    if (a == NULL) return;
    /* The buffers may hold a PIN (VERIFY) or card data of the last exchange. */
    wipe(a->tx, sizeof a->tx);
    wipe(a->rx, sizeof a->rx);
    wipe(a->sm_raw, sizeof a->sm_raw);
    a->n_commands = 0;
    a->n_bytes_out = 0;
    a->n_bytes_in = 0;
}

int ucb_apdu_cla(uint8_t cla, uint8_t channel)
{
    if (channel > UCB_APDU_MAX_CHANNEL) return UCB_ERR_ARG;
    if (channel <= 3u) {
        /* ISO 7816-4 5.4.1 first interindustry class 0X0X XXcc: channel in
         * b2-b1, b4-b3 secure messaging, b5 chaining. b8 (proprietary, e.g.
         * GlobalPlatform 80/84) is kept, so 80 on channel 1 is 81. */
        return (int)((cla & 0xFCu) | channel);
    }
    /* ISO 7816-4 5.4.1 further interindustry class 01sx cccc (TS 102 221
     * 10.1.1: 4X/6X, proprietary CX/EX): b7 set, b6 secure messaging (any of
     * the first-class SM bits b4-b3 maps to it), b5 chaining, b4-b1 the
     * channel number minus 4. */
    uint8_t out = (uint8_t)((cla & 0x80u) | 0x40u | (cla & 0x10u) | (uint8_t)(channel - 4u));
    if (cla & 0x0Cu) out |= 0x20u;
    return out;
}

/* Size of the encoded command, or a negative error. */
static int encoded_len(const struct ucb_capdu *c, bool extended, bool *out_ext)
{
    if (c->lc > 0 && c->data == NULL) return UCB_ERR_ARG;
    if (c->ne > 65536u) return UCB_ERR_ARG;
    /* ISO 7816-4 5.1: short lengths whenever they suffice; extended Lc and
     * Le are never mixed with short ones in one command. */
    bool ext = c->lc > UCB_APDU_MAX_LC || c->ne > UCB_APDU_MAX_NE;
    if (ext && !extended) return UCB_ERR_UNSUPPORTED;
    size_t n = 4;
    if (c->lc > 0) n += (ext ? 3u : 1u) + c->lc;
    if (c->ne > 0) n += ext ? (c->lc > 0 ? 2u : 3u) : 1u;
    *out_ext = ext;
    return (int)n;
}

int ucb_apdu_encode(const struct ucb_capdu *c, uint8_t channel, bool extended, uint8_t *out,
                    size_t cap)
{
    if (c == NULL) return UCB_ERR_ARG;
    int cla = ucb_apdu_cla(c->cla, channel);
    if (cla < 0) return cla;
    bool ext = false;
    int n = encoded_len(c, extended, &ext);
    if (n < 0 || out == NULL) return n;
    if ((size_t)n > cap) return UCB_ERR_BUFFER;

    size_t i = 0;
    out[i++] = (uint8_t)cla;
    out[i++] = c->ins;
    out[i++] = c->p1;
    out[i++] = c->p2;
    if (c->lc > 0) {
        if (ext) {
            /* Case 3E/4E: 00 Lc1 Lc2 */
            out[i++] = 0x00;
            out[i++] = (uint8_t)(c->lc >> 8);
        }
        out[i++] = (uint8_t)c->lc;
        memcpy(out + i, c->data, c->lc);
        i += c->lc;
    }
    if (c->ne > 0) {
        /* Le: 256 is 00 (short), 65536 is 0000 (extended) */
        if (ext) {
            if (c->lc == 0) out[i++] = 0x00; /* case 2E: 00 Le1 Le2 */
            out[i++] = (uint8_t)((c->ne >> 8) & 0xFFu);
        }
        out[i++] = (uint8_t)(c->ne & 0xFFu);
    }
    return (int)i;
}

/*
 * One raw exchange of a->tx[0..tx_len) into a->rx, traced and counted.
 * Returns the R-APDU length (2..sizeof rx) or a negative error.
 */
static int exchange(struct ucb_apdu *a, size_t tx_len, size_t secret_off, size_t secret_len)
{
    if (a->trace && a->trace_secret_data && secret_len == 0 && tx_len > 5u) {
        /* The data field of the encoded command: short Lc at 4, or
         * extended 00 Lc1 Lc2 at 4..6. */
        size_t off = 5u, lc = a->tx[4];
        if (lc == 0u && tx_len > 7u) {
            off = 7u;
            lc = (size_t)a->tx[5] << 8 | a->tx[6];
        }
        if (lc > 0u && off + lc <= tx_len) {
            secret_off = off;
            secret_len = lc;
        }
    }
    if (a->trace) a->trace(a->trace_ctx, UCB_TRACE_COMMAND, a->tx, tx_len, secret_off, secret_len);
    a->n_commands++;
    a->n_bytes_out += (uint32_t)tx_len;

    size_t n = 0;
    int rc = a->transport.transmit(a->transport.ctx, a->tx, tx_len, a->rx, sizeof a->rx, &n,
                                   a->timeout_ms);
    if (rc < 0) return rc;
    if (rc > 0) return UCB_ERR_TRANSPORT; /* outside the transmit contract */
    /* A transport that claims more than it was given broke its contract;
     * never read past our buffer on its word. */
    if (n > sizeof a->rx) return UCB_ERR_TRANSPORT;
    a->n_bytes_in += (uint32_t)n;
    if (a->trace)
        a->trace(a->trace_ctx, UCB_TRACE_RESPONSE, a->rx, n, 0,
                 a->trace_secret_data && n > 2u ? n - 2u : 0u);
    if (n < 2) return UCB_ERR_CARD_RESPONSE;
    return (int)n;
}

/* Where the data field starts in the encoding of @p c: after the header and
 * Lc, which is 1 byte short or 3 bytes (00 Lc1 Lc2) extended. */
static size_t data_offset(const struct ucb_capdu *c)
{
    return (c->lc > UCB_APDU_MAX_LC || c->ne > UCB_APDU_MAX_NE) ? 7u : 5u;
}

static int transmit(struct ucb_apdu *a, const struct ucb_capdu *c, struct ucb_rapdu *r)
{
    bool extended = (a->flags & UCB_APDU_ALLOW_EXTENDED) &&
                    (a->transport.flags & UCB_TRANSPORT_EXTENDED);
    int n = ucb_apdu_encode(c, a->channel, extended, a->tx, sizeof a->tx);
    if (n < 0) return n;
    size_t tx_len = (size_t)n;

    size_t secret_len = (c->flags & UCB_CAPDU_SECRET) ? c->lc : 0u;
    size_t secret_off = secret_len ? data_offset(c) : 0u;

    bool resent = false;          /* 6Cxx already answered for the current command */
    bool in_get_response = false; /* the current command is a GET RESPONSE */
    unsigned rounds = 0;

    for (;;) {
        int got = exchange(a, tx_len, in_get_response ? 0 : secret_off,
                           in_get_response ? 0 : secret_len);
        if (got < 0) return got;
        size_t data_len = (size_t)got - 2u;
        uint8_t sw1 = a->rx[data_len];
        uint8_t sw2 = a->rx[data_len + 1u];
        r->sw = (uint16_t)((sw1 << 8) | sw2);

        if (sw1 == 0x6Cu) {
            /* ISO 7816-3 10.3.3 (T=0 procedure bytes), TS 102 221 7.3.1:
             * wrong Le, SW2 is the exact length; send the same command
             * again with Le = SW2 (00 = 256). Any data with 6Cxx is not response data. A second
             * 6Cxx for the same command means the card is not converging. */
            if (resent) return UCB_ERR_CARD_RESPONSE;
            resent = true;
            uint32_t ne = sw2 ? sw2 : 256u;
            if (in_get_response) {
                a->tx[4] = sw2;
            } else {
                struct ucb_capdu again = *c;
                again.ne = ne;
                n = ucb_apdu_encode(&again, a->channel, extended, a->tx, sizeof a->tx);
                if (n < 0) return n;
                tx_len = (size_t)n;
                if (secret_len) secret_off = data_offset(&again);
            }
            continue;
        }

        if (data_len > 0) {
            if (data_len > r->cap - r->len) return UCB_ERR_BUFFER;
            memcpy(r->data + r->len, a->rx, data_len);
            r->len += data_len;
        }

        if (sw1 != 0x61u) return 0;

        /* ISO 7816-4 5.1.3 / TS 102 221 7.3.1 (T=0): 61xx, xx more bytes wait
         * for GET RESPONSE on the same logical channel (00 = 256). The
         * transport may already do this (UCB_TRANSPORT_AUTO_GET_RESPONSE);
         * if a 61xx still reaches us, the card is answered all the same. */
        if (++rounds > MAX_GET_RESPONSE_ROUNDS) return UCB_ERR_CARD_RESPONSE;
        int cla = ucb_apdu_cla(0x00, a->channel);
        if (cla < 0) return cla;
        a->tx[0] = (uint8_t)cla;
        a->tx[1] = 0xC0;
        a->tx[2] = 0x00;
        a->tx[3] = 0x00;
        a->tx[4] = sw2;
        tx_len = 5;
        in_get_response = true;
        resent = false;
    }
}

/* Transport errors after which the card's secure channel state is gone or
 * unknown. */
static bool card_lost(int rc)
{
    return rc == UCB_ERR_CARD_RESET || rc == UCB_ERR_CARD_REMOVED ||
           rc == UCB_ERR_CARD_REINSERTED || rc == UCB_ERR_TIMEOUT || rc == UCB_ERR_TRANSPORT;
}

/* The secure messaging hook that applies to the engine's current channel. */
static const struct ucb_sm *channel_sm(const struct ucb_apdu *a)
{
    return (a->sm != NULL && a->sm->channel == a->channel) ? a->sm : NULL;
}

/*
 * One command under secure messaging (GP Amd D 6.2): wrap the plain command,
 * run the ISO mechanics on the wrapped one (GET RESPONSE stays plain: it is
 * transmission level), collect the whole raw response in a->sm_raw, and let
 * the hook verify and unwrap it into the caller's response. Nothing reaches
 * r->data unless the hook verified it.
 */
static int transmit_sm(struct ucb_apdu *a, const struct ucb_sm *sm, const struct ucb_capdu *c,
                       struct ucb_rapdu *r)
{
    struct ucb_capdu w;
    int rc = sm->wrap(sm->ctx, c, &w);
    if (rc) return rc;
    struct ucb_rapdu raw = {a->sm_raw, sizeof a->sm_raw, 0, 0};
    rc = transmit(a, &w, &raw);
    if (rc == 0) {
        rc = sm->unwrap(sm->ctx, a->sm_raw, raw.len, raw.sw, r);
    } else {
        /* The hook already advanced its MAC chain and counter; whether the
         * card did is unknown (reset, removal, timeout, a broken answer),
         * so the session cannot go on. */
        sm->drop(sm->ctx);
    }
    wipe(a->sm_raw, sizeof a->sm_raw);
    return rc;
}

int ucb_apdu_transmit(struct ucb_apdu *a, const struct ucb_capdu *c, struct ucb_rapdu *r)
{
    if (a == NULL || c == NULL || r == NULL || a->transport.transmit == NULL) return UCB_ERR_ARG;
    if (r->data == NULL && r->cap > 0) return UCB_ERR_ARG;
    r->len = 0;
    r->sw = 0;
    const struct ucb_sm *sm = channel_sm(a);
    int rc;
    if (sm != NULL && !(c->flags & UCB_CAPDU_NO_SM)) {
        rc = transmit_sm(a, sm, c, r);
    } else {
        rc = transmit(a, c, r);
        /* A card that went away or was reset took every session with it,
         * whatever channel this plain command was on. */
        if (a->sm != NULL && card_lost(rc)) a->sm->drop(a->sm->ctx);
    }
    /* A secret (PIN) does not stay in the engine after its exchange. */
    if (c->flags & UCB_CAPDU_SECRET) wipe(a->tx, sizeof a->tx);
    return rc;
}

int ucb_apdu_transmit_ok(struct ucb_apdu *a, const struct ucb_capdu *c, struct ucb_rapdu *r)
{
    int rc = ucb_apdu_transmit(a, c, r);
    if (rc < 0) return rc;
    if (ucb_sw_ok(r->sw)) return 0;
    rc = ucb_sw_class(r->sw);
    /* Warnings (62xx, 63xx) class as 0 in the table; here they are not a
     * plain success, so the caller is told. */
    return rc < 0 ? rc : UCB_ERR_CARD_STATUS;
}

size_t ucb_apdu_max_lc(const struct ucb_apdu *a)
{
    const struct ucb_sm *sm = a != NULL ? channel_sm(a) : NULL;
    return sm != NULL ? sm->max_lc : UCB_APDU_MAX_LC;
}

size_t ucb_apdu_max_ne(const struct ucb_apdu *a)
{
    const struct ucb_sm *sm = a != NULL ? channel_sm(a) : NULL;
    return sm != NULL ? sm->max_ne : UCB_APDU_MAX_NE;
}
