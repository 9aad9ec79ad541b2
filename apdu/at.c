/*
 * AT modem transport: APDUs through 3GPP TS 27.007 +CSIM (8.17), or
 * +CCHO/+CGLA/+CCHC (8.45, 8.43, 8.46) for modems that keep MANAGE CHANNEL
 * to themselves. Portable: the modem is reached through the read/write
 * callbacks of struct ucb_at, nothing here knows about file descriptors.
 *
 * Everything the modem sends is hostile: lines are cut at UCB_AT_LINE_MAX,
 * a reply's announced length must match its hex, the hex must be valid and
 * hold at least SW1 SW2, and one command never reads more than
 * UCB_AT_READ_BUDGET bytes.
 *
 * Decisions where TS 27.007 is silent (also in at.h):
 *  - Lines end at CR or LF (CR LF, LF only and CR only all work); empty
 *    lines are skipped. A line starting with "AT" is the echo of a command
 *    (ours, or a garbled copy of it) and is never passed to the URC
 *    callback: it may hold a PIN from VERIFY.
 *  - A reply line that is malformed or too long does not end the command at
 *    once: the final result code is still awaited, so the next command
 *    starts in step with the modem.
 *  - A late reply: when a command ends before its final result code (read
 *    timeout, or the device failed mid-reply), the next command first reads
 *    and discards up to a final result code (OK, ERROR, +CME ERROR), for at
 *    most its own deadline, before it writes anything. So the late
 *    `+CSIM: ... OK` of the abandoned command is never taken as the answer
 *    to the new one. The price is one extra deadline after a modem that
 *    dropped a command silently.
 *  - A failed write is not resynchronised: the modem may hold part of a
 *    line and answer the next command with ERROR.
 */
#include "uiccboot/at.h"

#include <string.h>

#include "uiccboot/err.h"

#define AT_DEFAULT_TIMEOUT_MS 5000u

/* MANAGE CHANNEL (TS 102 221 11.1.17) and SELECT (11.1.1). */
#define INS_MANAGE_CHANNEL 0x70u
#define INS_SELECT 0xA4u
#define SELECT_BY_DF_NAME 0x04u
/* SELECT P2 b5-b3: 001 = return the FCP template. */
#define SELECT_P2_DATA_MASK 0x1Cu
#define SELECT_P2_FCP 0x04u

/* Status words answered locally in CGLA mode. */
#define SW_OK 0x9000u
#define SW_CHANNEL_NOT_SUPPORTED 0x6881u   /* channel not open (ISO 7816-4 5.1.3) */
#define SW_CONDITIONS 0x6985u              /* channel open but no application selected yet */
#define SW_FUNCTION_NOT_SUPPORTED 0x6A81u  /* no pseudo channel left */
#define SW_WRONG_P1P2 0x6A86u

enum at_reply {
    AT_REPLY_NONE = 0,   /* final result code only (ATE0, +CCHC) */
    AT_REPLY_CSIM,       /* +CSIM: <len>,"<hex>" */
    AT_REPLY_CGLA,       /* +CGLA: <len>,"<hex>" */
    AT_REPLY_CCHO        /* +CCHO: <n> or <n> */
};

/* One command in flight. */
struct at_exchange {
    enum at_reply kind;
    uint32_t timeout_ms;
    uint32_t start;       /* clock reading when the command began */
    size_t budget;        /* bytes the command may still read */
    size_t cmd_len;       /* command line without its CR (to spot the echo) */
    uint8_t *out;         /* R-APDU destination (CSIM, CGLA) */
    size_t cap;
    size_t out_len;
    uint32_t session;     /* +CCHO result */
    bool got_reply;
    int fault;            /* first problem with the reply lines, 0 if none */
};

/* next_line() found a line longer than UCB_AT_LINE_MAX and dropped it. */
#define AT_LINE_DROPPED 1

static void at_wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n-- > 0) *v++ = 0;
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static char to_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* Does line[0..len) start with `prefix` (ASCII, any case)? */
static bool has_prefix(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    if (len < n) return false;
    for (size_t i = 0; i < n; i++) {
        if (to_upper(line[i]) != prefix[i]) return false;
    }
    return true;
}

/*
 * Decimal number of at most `max_digits` digits at s[*pos]; advances *pos.
 * Returns false when there is none or it has too many digits.
 */
static bool parse_decimal(const char *s, size_t len, size_t *pos, unsigned max_digits,
                          uint32_t *out)
{
    size_t i = *pos;
    uint64_t v = 0;
    unsigned digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (++digits > max_digits) return false;
        v = v * 10u + (uint64_t)(s[i] - '0');
        i++;
    }
    if (digits == 0 || v > UINT32_MAX) return false;
    *pos = i;
    *out = (uint32_t)v;
    return true;
}

static void skip_spaces(const char *s, size_t len, size_t *pos)
{
    while (*pos < len && is_space(s[*pos])) (*pos)++;
}

/* ------------------------------------------------------------ command line */

struct cmd_writer {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
};

static void cw_str(struct cmd_writer *w, const char *s)
{
    while (*s != '\0') {
        if (w->len + 1 >= w->cap) {
            w->overflow = true;
            return;
        }
        w->buf[w->len++] = *s++;
    }
}

static void cw_uint(struct cmd_writer *w, uint32_t v)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && n < sizeof digits);
    char s[11];
    for (size_t i = 0; i < n; i++) s[i] = digits[n - 1 - i];
    s[n] = '\0';
    cw_str(w, s);
}

static void cw_hex(struct cmd_writer *w, const uint8_t *b, size_t n)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        if (w->len + 2 >= w->cap) {
            w->overflow = true;
            return;
        }
        w->buf[w->len++] = hexd[b[i] >> 4];
        w->buf[w->len++] = hexd[b[i] & 0x0Fu];
    }
}

static void cw_init(struct cmd_writer *w, struct ucb_at *at)
{
    w->buf = at->cmd;
    w->cap = sizeof at->cmd;
    w->len = 0;
    w->overflow = false;
}

/* Terminate with CR (V.250 S3) and return the line length without it. */
static int cw_finish(struct cmd_writer *w)
{
    if (w->overflow || w->len + 1 >= w->cap) return UCB_ERR_BUFFER;
    w->buf[w->len] = '\r';
    w->buf[w->len + 1] = '\0';
    return (int)w->len;
}

/* ----------------------------------------------------------- line reader */

static uint32_t at_now(const struct ucb_at *at)
{
    return at->clock != NULL ? at->clock(at->io_ctx) : 0u;
}

/* Time left for this command, 0 when the deadline has passed. */
static uint32_t at_remaining(const struct ucb_at *at, const struct at_exchange *ex)
{
    if (at->clock == NULL) return ex->timeout_ms;
    uint32_t elapsed = at_now(at) - ex->start;  /* wraps correctly */
    return elapsed >= ex->timeout_ms ? 0u : ex->timeout_ms - elapsed;
}

/* Read more bytes into the (empty) pending buffer. */
static int at_fill(struct ucb_at *at, struct at_exchange *ex)
{
    if (ex->budget == 0) return UCB_ERR_TIMEOUT;
    uint32_t left = at_remaining(at, ex);
    if (left == 0) return UCB_ERR_TIMEOUT;
    size_t cap = sizeof at->pending;
    if (cap > ex->budget) cap = ex->budget;
    int n = at->read(at->io_ctx, at->pending, cap, left);
    if (n == UCB_ERR_TIMEOUT) return UCB_ERR_TIMEOUT;
    if (n <= 0 || (size_t)n > cap) return UCB_ERR_TRANSPORT;
    at->pending_len = (size_t)n;
    ex->budget -= (size_t)n;
    return 0;
}

/*
 * Next non-empty line into at->line (NUL-terminated, without CR/LF).
 * Bytes after it stay in at->pending; a partial line stays in at->line
 * across calls. Returns 0 (length in *out_len), AT_LINE_DROPPED for a line
 * longer than UCB_AT_LINE_MAX (dropped up to its end), UCB_ERR_TIMEOUT or
 * UCB_ERR_TRANSPORT.
 */
/* Drop the first `n` pending bytes; consumed bytes are wiped (an echo may
 * hold a PIN). */
static void pending_consume(struct ucb_at *at, size_t n)
{
    size_t rest = at->pending_len - n;
    memmove(at->pending, at->pending + n, rest);
    at_wipe(at->pending + rest, at->pending_len - rest);
    at->pending_len = rest;
}

static int at_next_line(struct ucb_at *at, struct at_exchange *ex, size_t *out_len)
{
    for (;;) {
        size_t i = 0;
        while (i < at->pending_len) {
            uint8_t c = at->pending[i++];
            if (c == '\r' || c == '\n') {
                if (at->overlong) {
                    at->overlong = false;
                    at->line_len = 0;
                    pending_consume(at, i);
                    return AT_LINE_DROPPED;
                }
                if (at->line_len == 0) continue;
                pending_consume(at, i);
                *out_len = at->line_len;
                at->line[at->line_len] = '\0';
                at->line_len = 0;
                return 0;
            }
            if (at->overlong) continue;
            if (at->line_len + 1 < sizeof at->line) {
                at->line[at->line_len++] = (char)c;
            } else {
                at->overlong = true;
                at->line_len = 0;
            }
        }
        pending_consume(at, at->pending_len);
        int rc = at_fill(at, ex);
        if (rc != 0) return rc;
    }
}

/* ------------------------------------------------------------ reply lines */

/*
 * `<len>,"<hex>"` after the +CSIM:/+CGLA: prefix (TS 27.007 8.17/8.43:
 * <length> counts the hex characters). Decodes into ex->out.
 */
static int parse_apdu_reply(struct at_exchange *ex, const char *s, size_t len)
{
    size_t pos = 0;
    uint32_t announced;
    skip_spaces(s, len, &pos);
    if (!parse_decimal(s, len, &pos, 5, &announced)) return UCB_ERR_TRANSPORT;
    skip_spaces(s, len, &pos);
    if (pos >= len || s[pos] != ',') return UCB_ERR_TRANSPORT;
    pos++;
    skip_spaces(s, len, &pos);
    bool quoted = pos < len && s[pos] == '"';
    if (quoted) pos++;
    size_t hex_start = pos;
    while (pos < len && hex_value((uint8_t)s[pos]) >= 0) pos++;
    size_t hex_len = pos - hex_start;
    if (quoted) {
        if (pos >= len || s[pos] != '"') return UCB_ERR_TRANSPORT;
        pos++;
    }
    skip_spaces(s, len, &pos);
    if (pos != len) return UCB_ERR_TRANSPORT;
    if (hex_len != announced || hex_len % 2u != 0 || hex_len < 4) return UCB_ERR_TRANSPORT;
    size_t n = hex_len / 2u;
    if (n > ex->cap) return UCB_ERR_BUFFER;
    for (size_t k = 0; k < n; k++) {
        int hi = hex_value((uint8_t)s[hex_start + 2 * k]);
        int lo = hex_value((uint8_t)s[hex_start + 2 * k + 1]);
        ex->out[k] = (uint8_t)((hi << 4) | lo);
    }
    ex->out_len = n;
    return 0;
}

/* `<n>` or `"<n>"` (after +CCHO:, or the bare form of TS 27.007 8.45). */
static bool parse_session(const char *s, size_t len, uint32_t *out)
{
    size_t pos = 0;
    skip_spaces(s, len, &pos);
    bool quoted = pos < len && s[pos] == '"';
    if (quoted) pos++;
    if (!parse_decimal(s, len, &pos, 10, out)) return false;
    if (quoted) {
        if (pos >= len || s[pos] != '"') return false;
        pos++;
    }
    skip_spaces(s, len, &pos);
    return pos == len;
}

static bool all_digits(const char *s, size_t len)
{
    if (len == 0) return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
}

/* `+CME ERROR: <n>`: numeric code, or -1 for the verbose form (AT+CMEE=2). */
static int parse_cme(const char *s, size_t len)
{
    size_t pos = 0;
    uint32_t code;
    skip_spaces(s, len, &pos);
    if (!parse_decimal(s, len, &pos, 6, &code)) return -1;
    skip_spaces(s, len, &pos);
    return pos == len ? (int)code : -1;
}

enum line_class {
    LINE_OTHER = 0,    /* unsolicited */
    LINE_ECHO,
    LINE_OK,
    LINE_ERROR,        /* ERROR or +CME ERROR (last_cme set) */
    LINE_REPLY         /* the awaited information line, parsed */
};

/* Trim spaces at both ends (some modems pad); the result stays NUL-terminated. */
static const char *trim(char *s, size_t *len)
{
    while (*len > 0 && is_space(s[*len - 1])) (*len)--;
    s[*len] = '\0';
    while (*len > 0 && is_space(*s)) {
        s++;
        (*len)--;
    }
    return s;
}

static enum line_class classify(struct ucb_at *at, struct at_exchange *ex, const char *s,
                                size_t len)
{
    /* V.250 5.2.1: every command line starts with "AT"; a modem never sends
     * one of its own, so this is the echo (ATE1). */
    if (has_prefix(s, len, "AT")) return LINE_ECHO;
    if (len == 2 && has_prefix(s, len, "OK")) return LINE_OK;
    if (len == 5 && has_prefix(s, len, "ERROR")) {
        at->last_cme = -1;
        return LINE_ERROR;
    }
    if (has_prefix(s, len, "+CME ERROR:")) {
        at->last_cme = parse_cme(s + 11, len - 11);
        return LINE_ERROR;
    }
    int rc;
    switch (ex->kind) {
    case AT_REPLY_CSIM:
    case AT_REPLY_CGLA: {
        const char *prefix = ex->kind == AT_REPLY_CSIM ? "+CSIM:" : "+CGLA:";
        if (!has_prefix(s, len, prefix)) return LINE_OTHER;
        if (ex->got_reply) {
            rc = UCB_ERR_TRANSPORT;  /* a second reply to one command */
        } else {
            rc = parse_apdu_reply(ex, s + 6, len - 6);
        }
        break;
    }
    case AT_REPLY_CCHO: {
        bool plus = has_prefix(s, len, "+CCHO:");
        if (!plus && !all_digits(s, len)) return LINE_OTHER;
        if (ex->got_reply) {
            rc = UCB_ERR_TRANSPORT;
        } else if (plus) {
            rc = parse_session(s + 6, len - 6, &ex->session) ? 0 : UCB_ERR_TRANSPORT;
        } else {
            rc = parse_session(s, len, &ex->session) ? 0 : UCB_ERR_TRANSPORT;
        }
        break;
    }
    case AT_REPLY_NONE:
    default:
        return LINE_OTHER;
    }
    if (rc == 0) {
        ex->got_reply = true;
    } else if (ex->fault == 0) {
        ex->fault = rc;
    }
    return LINE_REPLY;
}

static bool looks_like_reply(const char *s, size_t len)
{
    return has_prefix(s, len, "+CSIM:") || has_prefix(s, len, "+CGLA:") ||
           has_prefix(s, len, "+CCHO:") || all_digits(s, len);
}

/*
 * A previous command ended before its final result code: read and discard
 * up to that code (its late reply) so it is not taken for the answer to
 * the next command. Silence until the deadline means the modem dropped it.
 */
static int at_resync(struct ucb_at *at, struct at_exchange *ex)
{
    for (;;) {
        size_t len = 0;
        int rc = at_next_line(at, ex, &len);
        if (rc == UCB_ERR_TIMEOUT) break;
        if (rc < 0) return rc;
        if (rc == AT_LINE_DROPPED) continue;
        const char *s = trim(at->line, &len);
        if (len == 0 || has_prefix(s, len, "AT")) continue;
        if ((len == 2 && has_prefix(s, len, "OK")) || (len == 5 && has_prefix(s, len, "ERROR")) ||
            has_prefix(s, len, "+CME ERROR:")) {
            break;
        }
        if (!looks_like_reply(s, len) && at->urc != NULL) at->urc(at->urc_ctx, s, len);
    }
    at->line_len = 0;
    at->overlong = false;
    at->resync = false;
    return 0;
}

/*
 * Send at->cmd (cmd_len characters and CR) and read up to its final result
 * code. A resynchronisation before it has a deadline of its own.
 */
static int at_exchange(struct ucb_at *at, struct at_exchange *ex)
{
    ex->start = at_now(at);
    ex->budget = UCB_AT_READ_BUDGET;
    ex->got_reply = false;
    ex->fault = 0;
    ex->out_len = 0;
    int rc;
    if (at->resync) {
        rc = at_resync(at, ex);
        if (rc != 0) goto out;
        ex->start = at_now(at);
        ex->budget = UCB_AT_READ_BUDGET;
    }

    uint32_t left = at_remaining(at, ex);
    if (left == 0) left = 1;
    rc = at->write(at->io_ctx, (const uint8_t *)at->cmd, ex->cmd_len + 1, left);
    if (rc != 0) {
        rc = rc == UCB_ERR_TIMEOUT ? UCB_ERR_TIMEOUT : UCB_ERR_TRANSPORT;
        goto out;
    }

    for (;;) {
        size_t len = 0;
        rc = at_next_line(at, ex, &len);
        if (rc < 0) {
            /* The modem may still answer: the next command drains it. */
            at->resync = true;
            goto out;
        }
        if (rc == AT_LINE_DROPPED) {
            if (ex->fault == 0) ex->fault = UCB_ERR_TRANSPORT;
            continue;
        }
        const char *s = trim(at->line, &len);
        if (len == 0) continue;
        switch (classify(at, ex, s, len)) {
        case LINE_OK:
            if (ex->fault != 0) {
                rc = ex->fault;
            } else if (ex->kind != AT_REPLY_NONE && !ex->got_reply) {
                rc = UCB_ERR_TRANSPORT;  /* OK without the information line */
            } else {
                rc = 0;
            }
            goto out;
        case LINE_ERROR:
            rc = UCB_ERR_MODEM;
            goto out;
        case LINE_OTHER:
            if (at->urc != NULL) at->urc(at->urc_ctx, s, len);
            break;
        case LINE_ECHO:
        case LINE_REPLY:
        default:
            break;
        }
    }
out:
    /* The command line and the last line may hold a PIN (VERIFY). */
    at_wipe(at->cmd, sizeof at->cmd);
    if (at->line_len == 0) at_wipe(at->line, sizeof at->line);
    return rc;
}

static uint32_t at_timeout(const struct ucb_at *at, uint32_t timeout_ms)
{
    if (timeout_ms != 0) return timeout_ms;
    return at->timeout_ms != 0 ? at->timeout_ms : AT_DEFAULT_TIMEOUT_MS;
}

/* ------------------------------------------------------------- commands */

/* AT+CSIM=<2*len>,"<hex>" (TS 27.007 8.17). */
static int at_csim(struct ucb_at *at, const uint8_t *capdu, size_t len, uint8_t *rapdu,
                   size_t cap, size_t *out_len, uint32_t timeout_ms)
{
    struct cmd_writer w;
    cw_init(&w, at);
    cw_str(&w, "AT+CSIM=");
    cw_uint(&w, (uint32_t)(2u * len));
    cw_str(&w, ",\"");
    cw_hex(&w, capdu, len);
    cw_str(&w, "\"");
    int n = cw_finish(&w);
    if (n < 0) return n;
    struct at_exchange ex = {
        .kind = AT_REPLY_CSIM, .timeout_ms = timeout_ms, .cmd_len = (size_t)n,
        .out = rapdu, .cap = cap,
    };
    int rc = at_exchange(at, &ex);
    if (rc == 0) *out_len = ex.out_len;
    return rc;
}

/* AT+CGLA=<session>,<2*len>,"<hex>" (TS 27.007 8.43). */
static int at_cgla(struct ucb_at *at, uint32_t session, const uint8_t *capdu, size_t len,
                   uint8_t cla, uint8_t *rapdu, size_t cap, size_t *out_len, uint32_t timeout_ms)
{
    struct cmd_writer w;
    cw_init(&w, at);
    cw_str(&w, "AT+CGLA=");
    cw_uint(&w, session);
    cw_str(&w, ",");
    cw_uint(&w, (uint32_t)(2u * len));
    cw_str(&w, ",\"");
    cw_hex(&w, &cla, 1);
    cw_hex(&w, capdu + 1, len - 1);
    cw_str(&w, "\"");
    int n = cw_finish(&w);
    if (n < 0) return n;
    struct at_exchange ex = {
        .kind = AT_REPLY_CGLA, .timeout_ms = timeout_ms, .cmd_len = (size_t)n,
        .out = rapdu, .cap = cap,
    };
    int rc = at_exchange(at, &ex);
    if (rc == 0) *out_len = ex.out_len;
    return rc;
}

/* AT+CCHO="<aid>" (TS 27.007 8.45): the ME opens a channel and selects. */
static int at_ccho(struct ucb_at *at, const uint8_t *aid, size_t aid_len, uint32_t *session,
                   uint32_t timeout_ms)
{
    struct cmd_writer w;
    cw_init(&w, at);
    cw_str(&w, "AT+CCHO=\"");
    cw_hex(&w, aid, aid_len);
    cw_str(&w, "\"");
    int n = cw_finish(&w);
    if (n < 0) return n;
    struct at_exchange ex = {
        .kind = AT_REPLY_CCHO, .timeout_ms = timeout_ms, .cmd_len = (size_t)n,
    };
    int rc = at_exchange(at, &ex);
    if (rc == 0) *session = ex.session;
    return rc;
}

/* AT+CCHC=<session> (TS 27.007 8.46). */
static int at_cchc(struct ucb_at *at, uint32_t session, uint32_t timeout_ms)
{
    struct cmd_writer w;
    cw_init(&w, at);
    cw_str(&w, "AT+CCHC=");
    cw_uint(&w, session);
    int n = cw_finish(&w);
    if (n < 0) return n;
    struct at_exchange ex = {
        .kind = AT_REPLY_NONE, .timeout_ms = timeout_ms, .cmd_len = (size_t)n,
    };
    return at_exchange(at, &ex);
}

/* ----------------------------------------------------- logical channels */

/*
 * ISO 7816-4 5.4.1 (as in apdu.h): a first interindustry CLA carries
 * channels 0-3 in b2-b1; a further one (b7 set) carries 4-19 in b4-b1.
 * The proprietary b8 does not change where the channel is.
 */
static uint8_t cla_channel(uint8_t cla)
{
    return (cla & 0x40u) ? (uint8_t)(4u + (cla & 0x0Fu)) : (uint8_t)(cla & 0x03u);
}

/*
 * CLA as for the basic channel, for +CGLA: the ME puts the session's
 * channel bits in. Channel bits go; chaining (b5) and b8 stay; secure
 * messaging of a further CLA (b6) becomes the first CLA's form: b3
 * (GlobalPlatform 84) when proprietary, b4-b3 = 10 when interindustry.
 */
static uint8_t cla_basic(uint8_t cla)
{
    if ((cla & 0x40u) == 0) return (uint8_t)(cla & 0xFCu);
    uint8_t out = (uint8_t)(cla & 0x90u);
    if (cla & 0x20u) out = (uint8_t)(out | ((cla & 0x80u) ? 0x04u : 0x08u));
    return out;
}

static struct ucb_at_session *session_find(struct ucb_at *at, uint8_t channel)
{
    if (channel == 0) return NULL;
    for (size_t i = 0; i < UCB_AT_MAX_SESSIONS; i++) {
        if (at->sessions[i].channel == channel) return &at->sessions[i];
    }
    return NULL;
}

static void session_free(struct ucb_at_session *s)
{
    s->channel = 0;
    s->open = false;
    s->id = 0;
}

static int answer_sw(uint16_t sw, uint8_t *rapdu, size_t *out_len)
{
    rapdu[0] = (uint8_t)(sw >> 8);
    rapdu[1] = (uint8_t)sw;
    *out_len = 2;
    return 0;
}

/*
 * Data field of a short C-APDU (ISO 7816-4 5.1): NULL/0 for cases 1 and 2.
 * Returns false when the bytes are no well-formed short APDU.
 */
static bool capdu_data(const uint8_t *c, size_t len, const uint8_t **data, size_t *n)
{
    *data = NULL;
    *n = 0;
    if (len <= 5) return true;
    size_t lc = c[4];
    if (lc == 0 || (len != 5 + lc && len != 6 + lc)) return false;
    *data = c + 5;
    *n = lc;
    return true;
}

/* MANAGE CHANNEL open (P1=00), answered locally with a pseudo channel. */
static int cgla_open(struct ucb_at *at, uint8_t p2, uint8_t *rapdu, size_t cap, size_t *out_len)
{
    struct ucb_at_session *slot = NULL;
    for (size_t i = 0; i < UCB_AT_MAX_SESSIONS && slot == NULL; i++) {
        if (at->sessions[i].channel == 0) slot = &at->sessions[i];
    }
    if (p2 > UCB_APDU_MAX_CHANNEL) return answer_sw(SW_WRONG_P1P2, rapdu, out_len);
    if (p2 != 0 && session_find(at, p2) != NULL) return answer_sw(SW_WRONG_P1P2, rapdu, out_len);
    if (slot == NULL) return answer_sw(SW_FUNCTION_NOT_SUPPORTED, rapdu, out_len);
    uint8_t ch = p2;
    if (ch == 0) {
        if (cap < 3) return UCB_ERR_BUFFER;
        ch = 1;
        while (session_find(at, ch) != NULL) ch++;  /* at most MAX_SESSIONS taken */
    }
    slot->channel = ch;
    slot->open = false;
    slot->id = 0;
    if (p2 != 0) return answer_sw(SW_OK, rapdu, out_len);
    rapdu[0] = ch;
    rapdu[1] = (uint8_t)(SW_OK >> 8);
    rapdu[2] = (uint8_t)SW_OK;
    *out_len = 3;
    return 0;
}

/* MANAGE CHANNEL close (P1=80): AT+CCHC when the session was opened. */
static int cgla_close(struct ucb_at *at, uint8_t cla_ch, uint8_t p2, uint8_t *rapdu,
                      size_t *out_len, uint32_t timeout_ms)
{
    uint8_t ch = p2 != 0 ? p2 : cla_ch;
    if (ch == 0) return answer_sw(SW_WRONG_P1P2, rapdu, out_len);
    struct ucb_at_session *s = session_find(at, ch);
    if (s == NULL) return answer_sw(SW_CHANNEL_NOT_SUPPORTED, rapdu, out_len);
    bool was_open = s->open;
    uint32_t id = s->id;
    /* Freed even if +CCHC fails: the reader considers the channel gone. */
    session_free(s);
    if (was_open) {
        int rc = at_cchc(at, id, timeout_ms);
        if (rc != 0) return rc;
    }
    return answer_sw(SW_OK, rapdu, out_len);
}

/*
 * First SELECT by AID on a pseudo channel: AT+CCHO. +CCHO returns no FCP,
 * so when the SELECT asked for one (P2 b5-b3 = 001) the SELECT itself is
 * sent again through +CGLA on the new session, which reselects the same
 * ADF. If the modem or card refuses that (some modems reject SELECT over
 * +CGLA), the reader still gets 9000: the application is selected.
 * A +CCHO error (the AID is missing, the SIM is busy: the modem does not
 * say which) is UCB_ERR_MODEM with last_cme; the pseudo channel stays
 * allocated, unopened, until the reader closes it.
 */
static int cgla_select_open(struct ucb_at *at, struct ucb_at_session *s, const uint8_t *capdu,
                            size_t len, uint8_t *rapdu, size_t cap, size_t *out_len,
                            uint32_t timeout_ms)
{
    const uint8_t *aid;
    size_t aid_len;
    if (!capdu_data(capdu, len, &aid, &aid_len) || aid_len == 0 || aid_len > 16) {
        return UCB_ERR_ARG;
    }
    uint32_t id = 0;
    int rc = at_ccho(at, aid, aid_len, &id, timeout_ms);
    if (rc != 0) return rc;
    s->open = true;
    s->id = id;
    if ((capdu[3] & SELECT_P2_DATA_MASK) != SELECT_P2_FCP) return answer_sw(SW_OK, rapdu, out_len);

    size_t n = 0;
    rc = at_cgla(at, id, capdu, len, cla_basic(capdu[0]), rapdu, cap, &n, timeout_ms);
    if (rc == UCB_ERR_MODEM) return answer_sw(SW_OK, rapdu, out_len);
    if (rc != 0) return rc;
    uint8_t sw1 = rapdu[n - 2];
    /* 9000/91xx/92xx, or 61xx/6Cxx which the engine completes on the
     * now open session; anything else: keep the +CCHO success. */
    if (sw1 == 0x90 || sw1 == 0x91 || sw1 == 0x92 || sw1 == 0x61 || sw1 == 0x6C) {
        *out_len = n;
        return 0;
    }
    return answer_sw(SW_OK, rapdu, out_len);
}

static int cgla_transmit(struct ucb_at *at, const uint8_t *capdu, size_t len, uint8_t *rapdu,
                         size_t cap, size_t *out_len, uint32_t timeout_ms)
{
    uint8_t cla = capdu[0], ins = capdu[1], p1 = capdu[2], p2 = capdu[3];
    if (cla == 0xFF) return at_csim(at, capdu, len, rapdu, cap, out_len, timeout_ms);
    uint8_t ch = cla_channel(cla);
    if (ins == INS_MANAGE_CHANNEL && p1 == 0x00) return cgla_open(at, p2, rapdu, cap, out_len);
    if (ins == INS_MANAGE_CHANNEL && p1 == 0x80) {
        return cgla_close(at, ch, p2, rapdu, out_len, timeout_ms);
    }
    if (ch == 0) return at_csim(at, capdu, len, rapdu, cap, out_len, timeout_ms);

    struct ucb_at_session *s = session_find(at, ch);
    if (s == NULL) return answer_sw(SW_CHANNEL_NOT_SUPPORTED, rapdu, out_len);
    if (!s->open) {
        if (ins == INS_SELECT && p1 == SELECT_BY_DF_NAME) {
            return cgla_select_open(at, s, capdu, len, rapdu, cap, out_len, timeout_ms);
        }
        /* +CCHO needs an AID: nothing else can open the session. */
        return answer_sw(SW_CONDITIONS, rapdu, out_len);
    }
    return at_cgla(at, s->id, capdu, len, cla_basic(cla), rapdu, cap, out_len, timeout_ms);
}

static int at_transmit(void *ctx, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
                       size_t rapdu_cap, size_t *out_len, uint32_t timeout_ms)
{
    struct ucb_at *at = ctx;
    if (out_len != NULL) *out_len = 0;
    if (at == NULL || at->read == NULL || at->write == NULL || capdu == NULL ||
        capdu_len < 4 || capdu_len > UCB_APDU_MAX || rapdu == NULL || rapdu_cap < 2 ||
        out_len == NULL) {
        return UCB_ERR_ARG;
    }
    uint32_t tmo = at_timeout(at, timeout_ms);
    switch (at->mode) {
    case UCB_AT_CSIM:
        return at_csim(at, capdu, capdu_len, rapdu, rapdu_cap, out_len, tmo);
    case UCB_AT_CGLA:
        return cgla_transmit(at, capdu, capdu_len, rapdu, rapdu_cap, out_len, tmo);
    default:
        return UCB_ERR_ARG;
    }
}

/* --------------------------------------------------------------- public */

void ucb_at_init(struct ucb_at *at, ucb_at_read_fn read, ucb_at_write_fn write, void *io_ctx,
                 enum ucb_at_mode mode)
{
    if (at == NULL) return;
    memset(at, 0, sizeof *at);
    at->read = read;
    at->write = write;
    at->io_ctx = io_ctx;
    at->mode = mode;
    at->timeout_ms = AT_DEFAULT_TIMEOUT_MS; /* urc, clock, last_cme: zero */
}

void ucb_at_transport(struct ucb_at *at, struct ucb_transport *out)
{
    if (out == NULL) return;
    out->transmit = at_transmit;
    out->reset = NULL;
    out->card_event = NULL;
    out->ctx = at;
    /* Modems differ on GET RESPONSE (some answer 61xx, some the data):
     * the engine handles 61xx when it comes. Short APDUs only. */
    out->flags = 0;
}

int ucb_at_command(struct ucb_at *at, const char *cmd)
{
    if (at == NULL || cmd == NULL || at->read == NULL || at->write == NULL) return UCB_ERR_ARG;
    size_t n = strlen(cmd);
    if (n == 0 || n + 2 > sizeof at->cmd) return UCB_ERR_ARG;
    for (size_t i = 0; i < n; i++) {
        if (cmd[i] == '\r' || cmd[i] == '\n') return UCB_ERR_ARG;
    }
    struct cmd_writer w;
    cw_init(&w, at);
    cw_str(&w, cmd);
    int len = cw_finish(&w);
    if (len < 0) return UCB_ERR_ARG;
    struct at_exchange ex = {
        .kind = AT_REPLY_NONE, .timeout_ms = at_timeout(at, 0), .cmd_len = (size_t)len,
    };
    return at_exchange(at, &ex);
}

void ucb_at_deinit(struct ucb_at *at)
{
    if (at == NULL) return;
    if (at->read != NULL && at->write != NULL) {
        for (size_t i = 0; i < UCB_AT_MAX_SESSIONS; i++) {
            struct ucb_at_session *s = &at->sessions[i];
            if (s->channel == 0) continue;
            bool was_open = s->open;
            uint32_t id = s->id;
            session_free(s);
            if (!was_open) continue;
            /* A gone device would cost one deadline per session: stop. */
            if (at_cchc(at, id, at_timeout(at, 0)) == UCB_ERR_TRANSPORT) break;
        }
    }
    at_wipe(at, sizeof *at);
}
