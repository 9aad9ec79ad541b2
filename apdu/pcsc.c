/*
 * PC/SC transport over pcsc-lite (PC/SC Workgroup spec part 5 API).
 *
 * Card changes: pcsc-lite keeps a per-reader event counter in the upper 16
 * bits of dwEventState (it counts insertions and removals). Comparing it
 * with the value seen at connect time is what tells "the same card is still
 * there" from "a card is there, but it was pulled and put back (possibly
 * another card)" between two checks, which a present/absent flag cannot.
 *
 * No allocation, no printing: this is library code (uiccboot-host).
 */
#include <string.h>

#include <winscard.h>

#include "uiccboot/err.h"
#include "uiccboot/host.h"

/* Room for the multi-string of reader names in ucb_pcsc_open(). */
#define PCSC_LIST_MAX 4096u
/* Readers looked at when searching for the first one with a card. */
#define PCSC_SCAN_MAX 16u

static SCARDCONTEXT ctx_of(const struct ucb_pcsc *p)
{
    return (SCARDCONTEXT)p->context;
}

static SCARDHANDLE card_of(const struct ucb_pcsc *p)
{
    return (SCARDHANDLE)p->card;
}

static uint32_t event_counter(DWORD event_state)
{
    return (uint32_t)((event_state >> 16) & 0xFFFFu);
}

/*
 * SCardListReaders into buf (a multi-string ending with an empty name).
 * Returns the number of readers, 0 when there are none, or an error.
 */
static int list_readers(SCARDCONTEXT ctx, char *buf, size_t cap)
{
    DWORD len = (DWORD)cap;
    LONG rv = SCardListReaders(ctx, NULL, buf, &len);
    if (rv == SCARD_E_NO_READERS_AVAILABLE) {
        if (cap > 0) buf[0] = '\0';
        if (cap > 1) buf[1] = '\0';
        return 0;
    }
    if (rv == SCARD_E_INSUFFICIENT_BUFFER) return UCB_ERR_BUFFER;
    if (rv != SCARD_S_SUCCESS) return UCB_ERR_TRANSPORT;
    if (len > cap) return UCB_ERR_BUFFER;
    /* Trust no terminator: count names that end inside the returned bytes. */
    int n = 0;
    size_t i = 0;
    while (i < len && buf[i] != '\0') {
        size_t start = i;
        while (i < len && buf[i] != '\0') i++;
        if (i == len) {
            buf[start] = '\0';
            break;
        }
        n++;
        i++;
    }
    return n;
}

/* The name of the n-th reader (0-based) in a multi-string, or NULL. */
static const char *nth_reader(const char *list, int count, unsigned long index)
{
    const char *s = list;
    for (int i = 0; i < count; i++) {
        if ((unsigned long)i == index) return s;
        s += strlen(s) + 1;
    }
    return NULL;
}

static bool all_digits(const char *s)
{
    if (*s == '\0') return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') return false;
    }
    return true;
}

/* Current state of the connected reader, without waiting. */
static LONG reader_state(const struct ucb_pcsc *p, DWORD *out_state)
{
    SCARD_READERSTATE rs;
    memset(&rs, 0, sizeof rs);
    rs.szReader = p->reader;
    rs.dwCurrentState = SCARD_STATE_UNAWARE;
    LONG rv = SCardGetStatusChange(ctx_of(p), 0, &rs, 1);
    if (rv == SCARD_S_SUCCESS) *out_state = rs.dwEventState;
    return rv;
}

int ucb_pcsc_list(char *buf, size_t cap)
{
    if (buf == NULL || cap < 2) return UCB_ERR_ARG;
    buf[0] = '\0';
    SCARDCONTEXT ctx;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS) {
        return UCB_ERR_TRANSPORT;
    }
    int n = list_readers(ctx, buf, cap);
    (void)SCardReleaseContext(ctx);
    return n;
}

int ucb_pcsc_card_present(const char *reader)
{
    if (reader == NULL || reader[0] == '\0') return UCB_ERR_ARG;
    SCARDCONTEXT ctx;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS) {
        return UCB_ERR_TRANSPORT;
    }
    SCARD_READERSTATE rs;
    memset(&rs, 0, sizeof rs);
    rs.szReader = reader;
    rs.dwCurrentState = SCARD_STATE_UNAWARE;
    LONG rv = SCardGetStatusChange(ctx, 0, &rs, 1);
    (void)SCardReleaseContext(ctx);
    if (rv == SCARD_E_UNKNOWN_READER) return UCB_ERR_ARG;
    if (rv != SCARD_S_SUCCESS) return UCB_ERR_TRANSPORT;
    if (rs.dwEventState & SCARD_STATE_UNKNOWN) return UCB_ERR_ARG;
    return (rs.dwEventState & SCARD_STATE_PRESENT) && !(rs.dwEventState & SCARD_STATE_MUTE);
}

/* The first reader (of the list) holding a card, or NULL. */
static const char *first_with_card(SCARDCONTEXT ctx, const char *list, int count)
{
    SCARD_READERSTATE rs[PCSC_SCAN_MAX];
    DWORD n = 0;
    const char *s = list;
    for (int i = 0; i < count && n < PCSC_SCAN_MAX; i++) {
        memset(&rs[n], 0, sizeof rs[n]);
        rs[n].szReader = s;
        rs[n].dwCurrentState = SCARD_STATE_UNAWARE;
        n++;
        s += strlen(s) + 1;
    }
    if (n == 0 || SCardGetStatusChange(ctx, 0, rs, n) != SCARD_S_SUCCESS) return NULL;
    for (DWORD i = 0; i < n; i++) {
        DWORD st = rs[i].dwEventState;
        if ((st & SCARD_STATE_PRESENT) && !(st & SCARD_STATE_MUTE)) return rs[i].szReader;
    }
    return NULL;
}

static int connect_error(LONG rv)
{
    switch (rv) {
    case SCARD_E_NO_SMARTCARD:
    case SCARD_W_REMOVED_CARD:
        return UCB_ERR_CARD_REMOVED;
    case SCARD_E_UNKNOWN_READER:
        return UCB_ERR_ARG;
    default:
        return UCB_ERR_TRANSPORT;
    }
}

int ucb_pcsc_open(struct ucb_pcsc *p, const char *reader)
{
    if (p == NULL) return UCB_ERR_ARG;
    memset(p, 0, sizeof *p);
    SCARDCONTEXT ctx;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS) {
        return UCB_ERR_TRANSPORT;
    }
    p->context = (intptr_t)ctx;
    p->established = true;

    char list[PCSC_LIST_MAX];
    int count = list_readers(ctx, list, sizeof list);
    int rc = 0;
    const char *name = NULL;
    if (count < 0) {
        rc = count == UCB_ERR_BUFFER ? UCB_ERR_TRANSPORT : count;
    } else if (reader == NULL || reader[0] == '\0') {
        name = first_with_card(ctx, list, count);
        if (name == NULL) rc = count == 0 ? UCB_ERR_ARG : UCB_ERR_CARD_REMOVED;
    } else if (all_digits(reader) && strlen(reader) < 6) {
        unsigned long index = 0;
        for (const char *c = reader; *c != '\0'; c++) index = index * 10u + (unsigned long)(*c - '0');
        name = nth_reader(list, count, index);
        if (name == NULL) rc = UCB_ERR_ARG;
    } else {
        const char *s = list;
        for (int i = 0; i < count && name == NULL; i++) {
            if (strcmp(s, reader) == 0) name = s;
            s += strlen(s) + 1;
        }
        if (name == NULL) rc = UCB_ERR_ARG;
    }
    if (rc == 0 && strlen(name) >= sizeof p->reader) rc = UCB_ERR_ARG;
    if (rc != 0) {
        ucb_pcsc_close(p);
        return rc;
    }
    memcpy(p->reader, name, strlen(name) + 1);

    SCARDHANDLE card;
    DWORD proto = 0;
    LONG rv = SCardConnect(ctx, p->reader, SCARD_SHARE_SHARED,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
    if (rv != SCARD_S_SUCCESS) {
        ucb_pcsc_close(p);
        return connect_error(rv);
    }
    p->card = (intptr_t)card;
    p->protocol = (unsigned long)proto;
    p->connected = true;

    DWORD state = 0;
    if (reader_state(p, &state) != SCARD_S_SUCCESS) {
        ucb_pcsc_close(p);
        return UCB_ERR_TRANSPORT;
    }
    p->event_count = event_counter(state);
    return 0;
}

void ucb_pcsc_close(struct ucb_pcsc *p)
{
    if (p == NULL) return;
    if (p->connected) (void)SCardDisconnect(card_of(p), SCARD_LEAVE_CARD);
    if (p->established) (void)SCardReleaseContext(ctx_of(p));
    p->connected = false;
    p->established = false;
    p->card = 0;
    p->context = 0;
}

/* Reconnect the handle; `init` is SCARD_LEAVE_CARD or SCARD_RESET_CARD. */
static LONG reconnect(struct ucb_pcsc *p, DWORD init)
{
    DWORD proto = 0;
    LONG rv = SCardReconnect(card_of(p), SCARD_SHARE_SHARED,
                             SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, init, &proto);
    if (rv == SCARD_S_SUCCESS) p->protocol = (unsigned long)proto;
    return rv;
}

/*
 * The card went away under a command (SCARD_W_REMOVED_CARD and friends).
 * Still absent: UCB_ERR_CARD_REMOVED. Present again: reconnect to it and
 * report UCB_ERR_CARD_REINSERTED (the event counter moved: it may be
 * another card), or UCB_ERR_CARD_RESET when the counter did not move (the
 * same card lost power); either way the caller starts over.
 */
static int card_gone(struct ucb_pcsc *p)
{
    DWORD state = 0;
    LONG rv = reader_state(p, &state);
    if (rv == SCARD_E_UNKNOWN_READER) return UCB_ERR_CARD_REMOVED;
    if (rv != SCARD_S_SUCCESS) return UCB_ERR_TRANSPORT;
    if (!(state & SCARD_STATE_PRESENT)) return UCB_ERR_CARD_REMOVED;
    rv = reconnect(p, SCARD_LEAVE_CARD);
    if (rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_REMOVED_CARD) return UCB_ERR_CARD_REMOVED;
    if (rv != SCARD_S_SUCCESS) return UCB_ERR_TRANSPORT;
    uint32_t count = event_counter(state);
    if (count == p->event_count) return UCB_ERR_CARD_RESET;
    p->event_count = count;
    return UCB_ERR_CARD_REINSERTED;
}

static int map_card_error(struct ucb_pcsc *p, LONG rv)
{
    switch (rv) {
    case SCARD_W_RESET_CARD:
        /* Another application reset the card: our sessions on it are gone.
         * Reconnect without a second reset; the caller starts over. */
        rv = reconnect(p, SCARD_LEAVE_CARD);
        if (rv == SCARD_S_SUCCESS) return UCB_ERR_CARD_RESET;
        if (rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD) return card_gone(p);
        return UCB_ERR_TRANSPORT;
    case SCARD_W_REMOVED_CARD:
    case SCARD_E_NO_SMARTCARD:
    case SCARD_W_UNPOWERED_CARD:
        return card_gone(p);
    case SCARD_E_TIMEOUT:
        return UCB_ERR_TIMEOUT;
    default:
        return UCB_ERR_TRANSPORT;
    }
}

static int pcsc_transmit(void *ctx, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
                         size_t rapdu_cap, size_t *out_len, uint32_t timeout_ms)
{
    struct ucb_pcsc *p = ctx;
    (void)timeout_ms;  /* PC/SC has no per-command deadline; the reader driver has its own */
    if (out_len != NULL) *out_len = 0;
    if (p == NULL || capdu == NULL || capdu_len < 4 || rapdu == NULL || rapdu_cap < 2 ||
        out_len == NULL) {
        return UCB_ERR_ARG;
    }
    if (!p->connected) return UCB_ERR_TRANSPORT;
    const SCARD_IO_REQUEST *pci;
    switch (p->protocol) {
    case SCARD_PROTOCOL_T0: pci = SCARD_PCI_T0; break;
    case SCARD_PROTOCOL_T1: pci = SCARD_PCI_T1; break;
    default: pci = SCARD_PCI_RAW; break;
    }
    DWORD rlen = (DWORD)rapdu_cap;
    LONG rv = SCardTransmit(card_of(p), pci, capdu, (DWORD)capdu_len, NULL, rapdu, &rlen);
    if (rv == SCARD_E_INSUFFICIENT_BUFFER) return UCB_ERR_BUFFER;
    if (rv != SCARD_S_SUCCESS) return map_card_error(p, rv);
    if (rlen > rapdu_cap) return UCB_ERR_BUFFER;
    if (rlen < 2) return UCB_ERR_TRANSPORT;  /* no status word: the reader lost it */
    *out_len = (size_t)rlen;
    return 0;
}

static int pcsc_reset(void *ctx, uint8_t *atr, size_t atr_cap, size_t *out_len)
{
    struct ucb_pcsc *p = ctx;
    if (out_len != NULL) *out_len = 0;
    if (p == NULL || (atr != NULL && out_len == NULL)) return UCB_ERR_ARG;
    if (!p->connected) return UCB_ERR_TRANSPORT;
    LONG rv = reconnect(p, SCARD_RESET_CARD);
    if (rv != SCARD_S_SUCCESS) {
        /* A reset is what was asked for: SCARD_W_RESET_CARD is no news. */
        if (rv == SCARD_W_RESET_CARD) rv = reconnect(p, SCARD_RESET_CARD);
        if (rv != SCARD_S_SUCCESS) {
            int rc = map_card_error(p, rv);
            return rc == UCB_ERR_CARD_RESET ? UCB_ERR_TRANSPORT : rc;
        }
    }
    if (atr == NULL) return 0;
    char name[MAX_READERNAME];
    DWORD name_len = sizeof name;
    DWORD state = 0, proto = 0;
    BYTE buf[MAX_ATR_SIZE];
    DWORD atr_len = sizeof buf;
    rv = SCardStatus(card_of(p), name, &name_len, &state, &proto, buf, &atr_len);
    if (rv != SCARD_S_SUCCESS) return map_card_error(p, rv);
    if (atr_len > sizeof buf) return UCB_ERR_TRANSPORT;
    if (atr_len > atr_cap) return UCB_ERR_BUFFER;
    memcpy(atr, buf, atr_len);
    *out_len = (size_t)atr_len;
    return 0;
}

static int pcsc_card_event(void *ctx)
{
    struct ucb_pcsc *p = ctx;
    if (p == NULL || !p->established) return UCB_ERR_ARG;
    DWORD state = 0;
    LONG rv = reader_state(p, &state);
    if (rv == SCARD_E_UNKNOWN_READER) return UCB_ERR_CARD_REMOVED;  /* reader unplugged */
    if (rv != SCARD_S_SUCCESS) return UCB_ERR_TRANSPORT;
    if (state & (SCARD_STATE_UNKNOWN | SCARD_STATE_EMPTY)) return UCB_ERR_CARD_REMOVED;
    if (!(state & SCARD_STATE_PRESENT)) return UCB_ERR_TRANSPORT;
    uint32_t count = event_counter(state);
    if (count == p->event_count) return 0;
    /* Pulled and put back since the last look: connect to whatever card
     * is there now, so the caller's next walk talks to it. */
    p->event_count = count;
    if (p->connected) (void)reconnect(p, SCARD_LEAVE_CARD);
    return UCB_ERR_CARD_REINSERTED;
}

void ucb_pcsc_transport(struct ucb_pcsc *p, struct ucb_transport *out)
{
    if (out == NULL) return;
    out->transmit = pcsc_transmit;
    out->reset = pcsc_reset;
    out->card_event = pcsc_card_event;
    out->ctx = p;
    out->flags = 0;
}
