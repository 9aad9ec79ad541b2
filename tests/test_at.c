/*
 * AT modem transport (include/uiccboot/at.h) over a scripted modem.
 *
 * The script is a list of steps: EXPECT(command line) that the transport
 * must write next, REPLY(bytes) the modem sends (optionally in chunks of n
 * bytes per read), SILENCE() for a read that times out, READ_FAILS() for a
 * device error. A mismatch fails at the file:line of the expectation, and
 * every test checks that its script was consumed. A read while the script
 * waits for a command is a modem with nothing to say: UCB_ERR_TIMEOUT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "uiccboot/at.h"
#include "uiccboot/err.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum step_kind { S_EXPECT, S_WRITE_FAILS, S_REPLY, S_SILENCE, S_READ_FAILS };

struct step {
    enum step_kind kind;
    const char *bytes;
    size_t len;
    size_t chunk;  /* REPLY: at most this many bytes per read, 0 = all */
    const char *file;
    int line;
};

#define EXPECT(s) {S_EXPECT, (s), sizeof(s) - 1, 0, __FILE__, __LINE__}
#define WRITE_FAILS(s) {S_WRITE_FAILS, (s), sizeof(s) - 1, 0, __FILE__, __LINE__}
#define REPLY(s) {S_REPLY, (s), sizeof(s) - 1, 0, __FILE__, __LINE__}
#define REPLY_CHUNKS(s, n) {S_REPLY, (s), sizeof(s) - 1, (n), __FILE__, __LINE__}
#define REPLY_BUF(p, n) {S_REPLY, (p), (n), 0, __FILE__, __LINE__}
#define REPLY_BUF_CHUNKS(p, n, c) {S_REPLY, (p), (n), (c), __FILE__, __LINE__}
#define SILENCE() {S_SILENCE, NULL, 0, 0, __FILE__, __LINE__}
#define READ_FAILS() {S_READ_FAILS, NULL, 0, 0, __FILE__, __LINE__}

#define MAX_URCS 16

struct modem {
    const struct step *steps;
    size_t n, pos;
    bool echo;
    uint8_t queue[16384];
    size_t qlen, qoff, chunk;
    uint32_t now;          /* fake clock, ms */
    uint32_t ms_per_read;  /* time a read that returns bytes takes */
    unsigned reads;
    unsigned idle_reads;   /* reads while the script waited for a command */
    char urcs[MAX_URCS][128];
    size_t n_urcs;
};

/* Printable form of a command line or reply for failure messages. */
static const char *esc(const void *p, size_t len)
{
    static char out[2][2048];
    static int which;
    char *o = out[which ^= 1];
    size_t k = 0;
    const uint8_t *b = p;
    for (size_t i = 0; i < len && k + 5 < sizeof out[0]; i++) {
        if (b[i] == '\r') k += (size_t)snprintf(o + k, 4, "\\r");
        else if (b[i] == '\n') k += (size_t)snprintf(o + k, 4, "\\n");
        else if (b[i] < 0x20 || b[i] > 0x7E) k += (size_t)snprintf(o + k, 5, "\\x%02x", b[i]);
        else o[k++] = (char)b[i];
    }
    o[k] = '\0';
    return o;
}

static bool contains(const void *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp((const uint8_t *)hay + i, needle, n) == 0) return true;
    }
    return false;
}

static void queue_add(struct modem *m, const void *b, size_t len, size_t chunk)
{
    if (m->qoff == m->qlen) {
        m->qoff = m->qlen = 0;
        m->chunk = chunk;
    }
    assert_true(m->qlen + len <= sizeof m->queue);
    memcpy(m->queue + m->qlen, b, len);
    m->qlen += len;
}

static int m_write(void *ctx, const uint8_t *b, size_t len, uint32_t timeout_ms)
{
    struct modem *m = ctx;
    assert_true(timeout_ms > 0);
    if (m->pos >= m->n) fail_msg("script ended, but the host wrote \"%s\"", esc(b, len));
    const struct step *s = &m->steps[m->pos];
    if (s->kind != S_EXPECT && s->kind != S_WRITE_FAILS) {
        print_error("host wrote \"%s\" where the script has the modem speak\n", esc(b, len));
        _fail(s->file, s->line);
    }
    if (len != s->len || memcmp(b, s->bytes, len) != 0) {
        print_error("command differs\n  wrote:    \"%s\"\n  expected: \"%s\"\n", esc(b, len),
                    esc(s->bytes, s->len));
        _fail(s->file, s->line);
    }
    m->pos++;
    if (s->kind == S_WRITE_FAILS) return UCB_ERR_TRANSPORT;
    if (m->echo) queue_add(m, b, len, 0);
    return 0;
}

static int m_read(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    struct modem *m = ctx;
    assert_true(cap > 0);
    assert_true(timeout_ms > 0);
    m->reads++;
    if (m->qoff == m->qlen) {
        const struct step *s = m->pos < m->n ? &m->steps[m->pos] : NULL;
        if (s == NULL || s->kind == S_EXPECT || s->kind == S_WRITE_FAILS) {
            m->idle_reads++;
            m->now += timeout_ms;
            return UCB_ERR_TIMEOUT;
        }
        m->pos++;
        if (s->kind == S_SILENCE) {
            m->now += timeout_ms;
            return UCB_ERR_TIMEOUT;
        }
        if (s->kind == S_READ_FAILS) return UCB_ERR_TRANSPORT;
        queue_add(m, s->bytes, s->len, s->chunk);
    }
    size_t n = m->qlen - m->qoff;
    if (m->chunk != 0 && n > m->chunk) n = m->chunk;
    if (n > cap) n = cap;
    memcpy(buf, m->queue + m->qoff, n);
    m->qoff += n;
    m->now += m->ms_per_read;
    return (int)n;
}

static uint32_t m_clock(void *ctx)
{
    return ((struct modem *)ctx)->now;
}

static void m_urc(void *ctx, const char *line, size_t len)
{
    struct modem *m = ctx;
    assert_true(m->n_urcs < MAX_URCS);
    assert_true(len < sizeof m->urcs[0]);
    assert_int_equal(line[len], '\0');
    memcpy(m->urcs[m->n_urcs], line, len + 1);
    m->n_urcs++;
}

static void modem_start(struct ucb_at *at, struct modem *m, const struct step *steps, size_t n,
                        enum ucb_at_mode mode)
{
    memset(m, 0, sizeof *m);
    m->steps = steps;
    m->n = n;
    ucb_at_init(at, m_read, m_write, m, mode);
    at->urc = m_urc;
    at->urc_ctx = m;
}

#define START(at, m, steps, mode) modem_start((at), (m), (steps), ARRAY_LEN(steps), (mode))

/* The script was played to its end and nothing the modem said is left over. */
static void modem_done(const struct modem *m)
{
    if (m->pos < m->n) {
        print_error("script step not reached\n");
        _fail(m->steps[m->pos].file, m->steps[m->pos].line);
    }
    if (m->qoff != m->qlen) fail_msg("modem bytes never read: \"%s\"", esc(m->queue + m->qoff, m->qlen - m->qoff));
}

/* One APDU through the transport view, C-APDU given in hex. */
static int xmit(struct ucb_at *at, const char *capdu_hex, uint8_t *r, size_t cap, size_t *rlen)
{
    uint8_t c[UCB_APDU_MAX];
    size_t n = test_hex(capdu_hex, c, sizeof c);
    struct ucb_transport t;
    ucb_at_transport(at, &t);
    assert_ptr_equal(t.ctx, at);
    assert_null(t.reset);
    assert_null(t.card_event);
    *rlen = 999;
    return t.transmit(t.ctx, c, n, r, cap, rlen, 0);
}

static void check_rapdu(const uint8_t *r, size_t rlen, const char *exp_hex)
{
    uint8_t e[UCB_RAPDU_MAX + 8];
    size_t n = test_hex(exp_hex, e, sizeof e);
    if (rlen != n || memcmp(r, e, n) != 0) {
        char got[1024] = "";
        for (size_t i = 0; i < rlen && 2 * i + 3 < sizeof got; i++) snprintf(got + 2 * i, 3, "%02X", r[i]);
        fail_msg("R-APDU %s, expected %s", got, exp_hex);
    }
}

#define XMIT_OK(at, capdu, exp)                                        \
    do {                                                               \
        uint8_t r_[UCB_RAPDU_MAX];                                     \
        size_t n_;                                                     \
        int rc_ = xmit((at), (capdu), r_, sizeof r_, &n_);             \
        if (rc_ != 0) fail_msg("%s: rc %d (%s)", (capdu), rc_, "expected 0"); \
        check_rapdu(r_, n_, (exp));                                    \
    } while (0)

#define XMIT_ERR(at, capdu, err)                                       \
    do {                                                               \
        uint8_t r_[UCB_RAPDU_MAX];                                     \
        size_t n_;                                                     \
        int rc_ = xmit((at), (capdu), r_, sizeof r_, &n_);             \
        assert_int_equal(rc_, (err));                                  \
        assert_int_equal(n_, 0);                                       \
    } while (0)

/* ------------------------------------------------------------------ CSIM */

static void csim_sends_hex_command_and_decodes_reply(void **state)
{
    (void)state;
    /* The MANAGE CHANNEL exchange of spec-notes 1.6 / TS 27.007 8.17. */
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"0070000001\"\r"),
        REPLY("\r\n+CSIM: 6,\"019000\"\r\n\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_OK(&at, "0070000001", "019000");
    assert_int_equal(m.n_urcs, 0);
    modem_done(&m);
}

static void csim_accepts_lowercase_hex_unquoted_and_lf_only(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("\n+CSIM: 8,\"a1b29000\"\nOK\n"),
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("\r+CSIM: 8, C3D49000 \rOK\r"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_OK(&at, "00B0000002", "A1B29000");
    XMIT_OK(&at, "00B0000002", "C3D49000");
    modem_done(&m);
}

static void csim_skips_command_echo(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"0070000001\"\r"),
        REPLY("\r\n+CSIM: 6,\"019000\"\r\n\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    m.echo = true;
    XMIT_OK(&at, "0070000001", "019000");
    assert_int_equal(m.n_urcs, 0);
    modem_done(&m);
}

static void garbled_echo_of_a_pin_is_never_passed_to_the_urc_callback(void **state)
{
    (void)state;
    /* VERIFY PIN 1234: a modem echoing in lower case, and a cut echo. */
    const struct step s[] = {
        EXPECT("AT+CSIM=26,\"002000010831323334FFFFFFFF\"\r"),
        REPLY("at+csim=26,\"002000010831323334ffffffff\"\r\r\nAT+CSIM=26,\"00200001083132\r\n"
              "+CSIM: 4,\"9000\"\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_OK(&at, "002000010831323334FFFFFFFF", "9000");
    assert_int_equal(m.n_urcs, 0);
    /* Nothing of the command stays in the state after the exchange. */
    assert_false(contains(&at, sizeof at, "3132"));
    modem_done(&m);
}

static void urcs_before_between_and_after_the_reply_go_to_the_callback(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("\r\n+CEREG: 1\r\n\r\n+CSIM: 8,\"A1B29000\"\r\nRING\r\n\r\nOK\r\n+CEREG: 5,\"1A2B\"\r\n"),
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("\r\n+CSIM: 4,\"9000\"\r\n\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_OK(&at, "00B0000002", "A1B29000");
    assert_int_equal(m.n_urcs, 2);
    assert_string_equal(m.urcs[0], "+CEREG: 1");
    assert_string_equal(m.urcs[1], "RING");
    /* The URC that came in the same read as OK is kept, not lost... */
    assert_true(at.pending_len > 0);
    XMIT_OK(&at, "00B0000002", "9000");
    /* ...and delivered during the next command. */
    assert_int_equal(m.n_urcs, 3);
    assert_string_equal(m.urcs[2], "+CEREG: 5,\"1A2B\"");
    modem_done(&m);
}

static void urc_looking_like_another_reply_is_unsolicited(void **state)
{
    (void)state;
    /* A +CGLA or bare number line during +CSIM is not the awaited reply. */
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("+CGLA: 4,\"6A82\"\r\n42\r\n+CSIM: 4,\"9000\"\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_OK(&at, "00B0000002", "9000");
    assert_int_equal(m.n_urcs, 2);
    assert_string_equal(m.urcs[0], "+CGLA: 4,\"6A82\"");
    assert_string_equal(m.urcs[1], "42");
    modem_done(&m);
}

static void reply_split_over_many_reads_is_reassembled(void **state)
{
    (void)state;
    /* hex cut mid-byte, CR and LF of one line end in different reads */
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000004\"\r"),
        REPLY_CHUNKS("\r\n+CSIM: 12,\"0102030490", 1),
        REPLY_CHUNKS("00\"\r", 3),
        REPLY_CHUNKS("\n\r\nO", 2),
        REPLY("K\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_OK(&at, "00B0000004", "010203049000");
    assert_int_equal(m.reads, 23 + 2 + 2 + 1);
    modem_done(&m);
}

static void cme_error_gives_modem_error_with_the_code(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("\r\n+CME ERROR: 10\r\n"),
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("\r\n+CME ERROR: SIM not inserted\r\n"),
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("\r\n+CSIM: 4,\"9000\"\r\n\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_ERR(&at, "00B0000002", UCB_ERR_MODEM);
    assert_int_equal(at.last_cme, 10);
    XMIT_ERR(&at, "00B0000002", UCB_ERR_MODEM);
    assert_int_equal(at.last_cme, -1);
    XMIT_OK(&at, "00B0000002", "9000");
    modem_done(&m);
}

static void plain_error_gives_modem_error_minus_one(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("\r\nERROR\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    at.last_cme = 55;
    XMIT_ERR(&at, "00B0000002", UCB_ERR_MODEM);
    assert_int_equal(at.last_cme, -1);
    modem_done(&m);
}

/* Each malformed reply is refused, and the command after it is in step. */
static void malformed_replies_give_transport_error_and_stay_in_step(void **state)
{
    (void)state;
    static const struct {
        const char *why;
        const char *reply;
    } bad[] = {
        {"announced length 6, hex has 4", "+CSIM: 6,\"9000\"\r\nOK\r\n"},
        {"announced length 4, hex has 6", "+CSIM: 4,\"019000\"\r\nOK\r\n"},
        {"non-hex digit", "+CSIM: 4,\"90G0\"\r\nOK\r\n"},
        {"odd number of hex digits", "+CSIM: 5,\"90000\"\r\nOK\r\n"},
        {"one byte: no room for SW1 SW2", "+CSIM: 2,\"90\"\r\nOK\r\n"},
        {"empty response", "+CSIM: 0,\"\"\r\nOK\r\n"},
        {"unterminated quote", "+CSIM: 4,\"9000\r\nOK\r\n"},
        {"no length", "+CSIM: \"9000\"\r\nOK\r\n"},
        {"no comma", "+CSIM: 4 \"9000\"\r\nOK\r\n"},
        {"length overflows", "+CSIM: 99999999999,\"9000\"\r\nOK\r\n"},
        {"trailing garbage", "+CSIM: 4,\"9000\",1\r\nOK\r\n"},
        {"negative length", "+CSIM: -4,\"9000\"\r\nOK\r\n"},
        {"OK without the +CSIM line", "OK\r\n"},
        {"two +CSIM lines", "+CSIM: 4,\"9000\"\r\n+CSIM: 4,\"6A82\"\r\nOK\r\n"},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        const struct step s[] = {
            EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
            REPLY_BUF(bad[i].reply, strlen(bad[i].reply)),
            EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
            REPLY("+CSIM: 6,\"559000\"\r\nOK\r\n"),
        };
        struct ucb_at at;
        struct modem m;
        START(&at, &m, s, UCB_AT_CSIM);
        uint8_t r[UCB_RAPDU_MAX];
        size_t n;
        int rc = xmit(&at, "00B0000002", r, sizeof r, &n);
        if (rc != UCB_ERR_TRANSPORT) fail_msg("%s: rc %d, expected UCB_ERR_TRANSPORT", bad[i].why, rc);
        assert_int_equal(n, 0);
        XMIT_OK(&at, "00B0000002", "559000");
        modem_done(&m);
    }
}

static void response_larger_than_the_buffer_gives_buffer_error(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("+CSIM: 8,\"A1B29000\"\r\nOK\r\n"),
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("+CSIM: 6,\"A19000\"\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    uint8_t r[3];
    size_t n;
    assert_int_equal(xmit(&at, "00B0000002", r, sizeof r, &n), UCB_ERR_BUFFER);
    assert_int_equal(n, 0);
    assert_int_equal(xmit(&at, "00B0000002", r, sizeof r, &n), 0);
    check_rapdu(r, n, "A19000");
    modem_done(&m);
}

static void no_reply_gives_timeout(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        SILENCE(),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TIMEOUT);
    modem_done(&m);
}

static void reply_line_without_final_result_code_gives_timeout(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("+CSIM: 4,\"9000\"\r\n"),
        SILENCE(),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TIMEOUT);
    modem_done(&m);
}

static void late_reply_after_timeout_is_not_taken_for_the_next_command(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        SILENCE(),
        /* the first command's answer arrives after its deadline */
        REPLY("\r\n+CSIM: 4,\"6A82\"\r\n+CEREG: 1\r\n\r\nOK\r\n"),
        EXPECT("AT+CSIM=10,\"00B0000003\"\r"),
        REPLY("\r\n+CSIM: 4,\"9000\"\r\n\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TIMEOUT);
    XMIT_OK(&at, "00B0000003", "9000");
    /* The URC inside the late reply still reaches the callback. */
    assert_int_equal(m.n_urcs, 1);
    assert_string_equal(m.urcs[0], "+CEREG: 1");
    modem_done(&m);
}

static void late_reply_cut_by_the_deadline_is_completed_and_dropped(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("\r\n+CSIM: 4,\"6A"),
        SILENCE(),
        REPLY("82\"\r\nOK\r\n"),
        EXPECT("AT+CSIM=10,\"00B0000003\"\r"),
        REPLY("\r\n+CSIM: 4,\"9000\"\r\n\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TIMEOUT);
    XMIT_OK(&at, "00B0000003", "9000");
    assert_int_equal(m.n_urcs, 0);
    modem_done(&m);
}

static void command_dropped_by_the_modem_costs_one_deadline_then_works(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        SILENCE(),
        EXPECT("AT+CSIM=10,\"00B0000003\"\r"),
        REPLY("\r\n+CSIM: 4,\"9000\"\r\n\r\nOK\r\n"),
        EXPECT("AT+CSIM=10,\"00B0000004\"\r"),
        REPLY("\r\n+CSIM: 4,\"9000\"\r\n\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    at.clock = m_clock;
    at.timeout_ms = 1000;
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TIMEOUT);
    uint32_t t0 = m.now;
    XMIT_OK(&at, "00B0000003", "9000");
    assert_int_equal(m.now - t0, 1000);  /* the wait for the lost reply */
    assert_int_equal(m.idle_reads, 1);
    t0 = m.now;
    XMIT_OK(&at, "00B0000004", "9000");
    assert_int_equal(m.now - t0, 0);     /* back in step: no more waiting */
    modem_done(&m);
}

static void read_error_gives_transport_error(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        READ_FAILS(),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TRANSPORT);
    modem_done(&m);
}

static void write_error_gives_transport_error(void **state)
{
    (void)state;
    const struct step s[] = {
        WRITE_FAILS("AT+CSIM=10,\"00B0000002\"\r"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TRANSPORT);
    modem_done(&m);
}

static int read_returns(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    (void)buf;
    (void)timeout_ms;
    return *(int *)ctx == 1 ? (int)cap + 1 : *(int *)ctx;
}

static int write_ok(void *ctx, const uint8_t *b, size_t len, uint32_t timeout_ms)
{
    (void)ctx;
    (void)b;
    (void)len;
    (void)timeout_ms;
    return 0;
}

static void read_callback_breaking_its_contract_gives_transport_error(void **state)
{
    (void)state;
    /* 0 bytes, more bytes than asked for, an unknown error code */
    const int bad[] = {0, 1, UCB_ERR_CARD_REMOVED, -1000};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        int mode = bad[i];
        struct ucb_at at;
        ucb_at_init(&at, read_returns, write_ok, &mode, UCB_AT_CSIM);
        XMIT_ERR(&at, "00B0000002", UCB_ERR_TRANSPORT);
    }
}

static void line_longer_than_line_max_gives_transport_error(void **state)
{
    (void)state;
    /* A reply line of 700 hex characters, and separately a 650-byte
     * unsolicited line before a good reply. */
    static char longreply[1024], longurc[1024];
    int n = snprintf(longreply, sizeof longreply, "\r\n+CSIM: 700,\"");
    for (int i = 0; i < 700; i++) longreply[n++] = 'A';
    n += snprintf(longreply + n, sizeof longreply - (size_t)n, "\"\r\nOK\r\n");
    size_t longreply_len = (size_t)n;
    n = 0;
    for (int i = 0; i < 650; i++) longurc[n++] = 'X';
    n += snprintf(longurc + n, sizeof longurc - (size_t)n, "\r\n+CSIM: 4,\"9000\"\r\nOK\r\n");
    size_t longurc_len = (size_t)n;

    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY_BUF_CHUNKS(longreply, longreply_len, 64),
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY_BUF(longurc, longurc_len),
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY("+CSIM: 6,\"559000\"\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TRANSPORT);
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TRANSPORT);
    XMIT_OK(&at, "00B0000002", "559000");
    assert_int_equal(m.n_urcs, 0);
    modem_done(&m);
}

static void longest_reply_that_fits_a_line_is_accepted(void **state)
{
    (void)state;
    /* 258 bytes (256 data + SW): "+CSIM: 516,"<516 hex>"" is 530 characters. */
    static char reply[1024];
    char exp[600];
    int n = snprintf(reply, sizeof reply, "+CSIM: 516,\"");
    for (int i = 0; i < 256; i++) {
        n += snprintf(reply + n, sizeof reply - (size_t)n, "%02X", i);
        snprintf(exp + 2 * i, 3, "%02X", i);
    }
    n += snprintf(reply + n, sizeof reply - (size_t)n, "9000\"\r\nOK\r\n");
    strcat(exp, "9000");
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000000\"\r"),
        REPLY_BUF(reply, (size_t)n),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    XMIT_OK(&at, "00B0000000", exp);
    modem_done(&m);
}

static void chatty_modem_without_reply_is_cut_off_by_the_deadline(void **state)
{
    (void)state;
    static char flood[12000];
    size_t n = 0;
    while (n + 11 < sizeof flood) {
        memcpy(flood + n, "+CEREG: 1\r\n", 11);
        n += 11;
    }
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY_BUF_CHUNKS(flood, n, 11),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    at.urc = NULL;
    at.clock = m_clock;
    at.timeout_ms = 500;
    m.ms_per_read = 10;
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TIMEOUT);
    assert_int_equal(m.reads, 50);  /* 50 reads of 10 ms = the 500 ms deadline */
    assert_int_equal(m.pos, m.n);
}

static void chatty_modem_without_clock_is_cut_off_by_the_byte_budget(void **state)
{
    (void)state;
    static char flood[12000];
    size_t n = 0;
    while (n + 11 < sizeof flood) {
        memcpy(flood + n, "+CEREG: 1\r\n", 11);
        n += 11;
    }
    const struct step s[] = {
        EXPECT("AT+CSIM=10,\"00B0000002\"\r"),
        REPLY_BUF(flood, n),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    at.urc = NULL;
    XMIT_ERR(&at, "00B0000002", UCB_ERR_TIMEOUT);
    assert_int_equal(m.qoff, UCB_AT_READ_BUDGET);
}

static void bare_command_waits_for_ok(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("ATE0\r"),
        REPLY("ATE0\r\r\nOK\r\n"),
        EXPECT("AT+CGMI\r"),
        REPLY("\r\nNordic Semiconductor ASA\r\n\r\nOK\r\n"),
        EXPECT("AT+CFUN=1\r"),
        REPLY("\r\n+CME ERROR: 3\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    assert_int_equal(ucb_at_command(&at, "ATE0"), 0);
    assert_int_equal(ucb_at_command(&at, "AT+CGMI"), 0);
    assert_int_equal(m.n_urcs, 1);
    assert_string_equal(m.urcs[0], "Nordic Semiconductor ASA");
    assert_int_equal(ucb_at_command(&at, "AT+CFUN=1"), UCB_ERR_MODEM);
    assert_int_equal(at.last_cme, 3);
    modem_done(&m);
}

static void bare_command_refuses_line_breaks_and_overlong_lines(void **state)
{
    (void)state;
    const struct step s[] = {EXPECT("AT\r")};
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CSIM);
    char big[UCB_AT_CMD_MAX + 8];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(ucb_at_command(&at, "AT\r+CFUN=0"), UCB_ERR_ARG);
    assert_int_equal(ucb_at_command(&at, "AT\n"), UCB_ERR_ARG);
    assert_int_equal(ucb_at_command(&at, ""), UCB_ERR_ARG);
    assert_int_equal(ucb_at_command(&at, big), UCB_ERR_ARG);
    assert_int_equal(ucb_at_command(&at, NULL), UCB_ERR_ARG);
    assert_int_equal(ucb_at_command(NULL, "AT"), UCB_ERR_ARG);
    assert_int_equal(m.pos, 0);  /* nothing was written */
    m.pos = 1;
}

static void transmit_checks_its_arguments(void **state)
{
    (void)state;
    struct ucb_at at;
    struct modem m;
    const struct step s[] = {EXPECT("AT\r")};
    START(&at, &m, s, UCB_AT_CSIM);
    struct ucb_transport t;
    ucb_at_transport(&at, &t);
    uint8_t c[UCB_APDU_MAX + 1] = {0};
    uint8_t r[UCB_RAPDU_MAX];
    size_t n = 7;
    assert_int_equal(t.transmit(t.ctx, c, 3, r, sizeof r, &n, 0), UCB_ERR_ARG);
    assert_int_equal(n, 0);
    assert_int_equal(t.transmit(t.ctx, c, UCB_APDU_MAX + 1, r, sizeof r, &n, 0), UCB_ERR_ARG);
    assert_int_equal(t.transmit(t.ctx, c, 4, r, 1, &n, 0), UCB_ERR_ARG);
    assert_int_equal(t.transmit(t.ctx, NULL, 4, r, sizeof r, &n, 0), UCB_ERR_ARG);
    assert_int_equal(t.transmit(t.ctx, c, 4, NULL, sizeof r, &n, 0), UCB_ERR_ARG);
    assert_int_equal(t.transmit(t.ctx, c, 4, r, sizeof r, NULL, 0), UCB_ERR_ARG);
    assert_int_equal(t.transmit(NULL, c, 4, r, sizeof r, &n, 0), UCB_ERR_ARG);
    at.mode = (enum ucb_at_mode)7;
    assert_int_equal(t.transmit(t.ctx, c, 4, r, sizeof r, &n, 0), UCB_ERR_ARG);
    assert_int_equal(m.pos, 0);
    m.pos = 1;
}

static void largest_command_fits_the_command_buffer(void **state)
{
    (void)state;
    /* 261-byte case 4 C-APDU through +CGLA with a 10-digit session id. */
    static char hex[2 * UCB_APDU_MAX + 1], expect[UCB_AT_CMD_MAX + 1];
    uint8_t c[UCB_APDU_MAX];
    c[0] = 0x01;
    c[1] = 0xD6;
    c[2] = 0x00;
    c[3] = 0x00;
    c[4] = 0xFF;
    for (size_t i = 5; i < UCB_APDU_MAX; i++) c[i] = (uint8_t)i;
    for (size_t i = 0; i < UCB_APDU_MAX; i++) snprintf(hex + 2 * i, 3, "%02X", c[i]);
    int n = snprintf(expect, sizeof expect, "AT+CGLA=4294967295,522,\"00%s\"\r", hex + 2);
    assert_true(n > 0 && (size_t)n < UCB_AT_CMD_MAX);
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("+CCHO: 4294967295\r\nOK\r\n"),
        {S_EXPECT, expect, (size_t)n, 0, __FILE__, __LINE__},
        REPLY("+CGLA: 4,\"9000\"\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "0070000001", "019000");
    XMIT_OK(&at, "01A4040C0CA000000063504B43532D3135", "9000");
    XMIT_OK(&at, hex, "9000");
    modem_done(&m);
}

/* ------------------------------------------------------------------ CGLA */

static void cgla_mode_maps_a_logical_channel_onto_a_ccho_session(void **state)
{
    (void)state;
    const struct step s[] = {
        /* MANAGE CHANNEL open: answered locally, nothing sent */
        /* SELECT PKCS#15 by AID on channel 1 -> +CCHO */
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("\r\n+CCHO: 7\r\n\r\nOK\r\n"),
        /* READ BINARY on channel 1 -> +CGLA on session 7, CLA 01 -> 00 */
        EXPECT("AT+CGLA=7,10,\"00B0000080\"\r"),
        REPLY("\r\n+CGLA: 20,\"A7063004040264309000\"\r\n\r\nOK\r\n"),
        /* the basic channel still goes through +CSIM */
        EXPECT("AT+CSIM=14,\"00A40004022FE2\"\r"),
        REPLY("\r\n+CSIM: 4,\"9000\"\r\n\r\nOK\r\n"),
        /* GET RESPONSE on channel 1 */
        EXPECT("AT+CGLA=7,10,\"00C0000002\"\r"),
        REPLY("\r\n+CGLA: 8,\"12349000\"\r\n\r\nOK\r\n"),
        /* MANAGE CHANNEL close -> +CCHC */
        EXPECT("AT+CCHC=7\r"),
        REPLY("\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "0070000001", "019000");
    assert_int_equal(m.pos, 0);
    XMIT_OK(&at, "01A4040C0CA000000063504B43532D3135", "9000");
    XMIT_OK(&at, "01B0000080", "A7063004040264309000");
    XMIT_OK(&at, "00A40004022FE2", "9000");
    XMIT_OK(&at, "01C0000002", "12349000");
    XMIT_OK(&at, "01708001", "9000");
    for (size_t i = 0; i < UCB_AT_MAX_SESSIONS; i++) assert_int_equal(at.sessions[i].channel, 0);
    modem_done(&m);
}

static void ccho_bare_and_quoted_session_ids_are_accepted(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A0000000871002\"\r"),
        REPLY("\r\n3\r\n\r\nOK\r\n"),
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("\r\n+CCHO: \"12\"\r\n\r\nOK\r\n"),
        EXPECT("AT+CGLA=3,8,\"00F20000\"\r"),
        REPLY("+CGLA: 4,\"9000\"\r\nOK\r\n"),
        EXPECT("AT+CGLA=12,8,\"00F20000\"\r"),
        REPLY("+CGLA: 4,\"9000\"\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    m.echo = true;
    XMIT_OK(&at, "0070000001", "019000");
    XMIT_OK(&at, "0070000001", "029000");
    XMIT_OK(&at, "01A4040C07A0000000871002", "9000");
    XMIT_OK(&at, "02A4040C0CA000000063504B43532D3135", "9000");
    XMIT_OK(&at, "01F20000", "9000");
    XMIT_OK(&at, "02F20000", "9000");
    modem_done(&m);
}

static void ccho_reply_malformed_or_missing_gives_transport_error(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("\r\nOK\r\n"),
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("\r\n+CCHO: seven\r\n\r\nOK\r\n"),
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("\r\n+CCHO: 99999999999\r\n\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "0070000001", "019000");
    XMIT_ERR(&at, "01A4040C0CA000000063504B43532D3135", UCB_ERR_TRANSPORT);
    XMIT_ERR(&at, "01A4040C0CA000000063504B43532D3135", UCB_ERR_TRANSPORT);
    XMIT_ERR(&at, "01A4040C0CA000000063504B43532D3135", UCB_ERR_TRANSPORT);
    assert_false(at.sessions[0].open);
    modem_done(&m);
}

static void select_asking_for_fcp_is_also_sent_through_cgla(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("+CCHO: 2\r\nOK\r\n"),
        EXPECT("AT+CGLA=2,36,\"00A404040CA000000063504B43532D313500\"\r"),
        REPLY("+CGLA: 16,\"6205820278219000\"\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "0070000001", "019000");
    XMIT_OK(&at, "01A404040CA000000063504B43532D313500", "6205820278219000");
    modem_done(&m);
}

static void select_fcp_refused_over_cgla_still_answers_9000(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("+CCHO: 2\r\nOK\r\n"),
        EXPECT("AT+CGLA=2,36,\"00A404040CA000000063504B43532D313500\"\r"),
        REPLY("+CME ERROR: 4\r\n"),
        EXPECT("AT+CCHO=\"A0000000871002\"\r"),
        REPLY("+CCHO: 3\r\nOK\r\n"),
        EXPECT("AT+CGLA=3,26,\"00A4040407A000000087100200\"\r"),
        REPLY("+CGLA: 4,\"6A86\"\r\nOK\r\n"),
        EXPECT("AT+CCHO=\"A0000000090001\"\r"),
        REPLY("+CCHO: 4\r\nOK\r\n"),
        EXPECT("AT+CGLA=4,26,\"00A4040407A000000009000100\"\r"),
        REPLY("+CGLA: 4,\"6120\"\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "0070000001", "019000");
    XMIT_OK(&at, "01A404040CA000000063504B43532D313500", "9000");
    XMIT_OK(&at, "0070000001", "029000");
    XMIT_OK(&at, "02A4040407A000000087100200", "9000");
    /* 61xx is passed on: the engine fetches the FCP on the open session */
    XMIT_OK(&at, "0070000001", "039000");
    XMIT_OK(&at, "03A4040407A000000009000100", "6120");
    modem_done(&m);
}

static void ccho_error_fails_the_select_and_close_stays_local(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("\r\n+CME ERROR: 22\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "0070000001", "019000");
    XMIT_ERR(&at, "01A4040C0CA000000063504B43532D3135", UCB_ERR_MODEM);
    assert_int_equal(at.last_cme, 22);
    /* no +CCHC: the modem never opened anything */
    XMIT_OK(&at, "01708001", "9000");
    ucb_at_deinit(&at);
    modem_done(&m);
}

static void cgla_clears_channel_bits_of_every_cla_form(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("+CCHO: 1\r\nOK\r\n"),
        /* further interindustry CLA 41 (channel 5) -> 00 */
        EXPECT("AT+CGLA=1,10,\"00B0000010\"\r"),
        REPLY("+CGLA: 4,\"9000\"\r\nOK\r\n"),
        /* further CLA with chaining (51) -> 10 */
        EXPECT("AT+CGLA=1,10,\"10B0000010\"\r"),
        REPLY("+CGLA: 4,\"9000\"\r\nOK\r\n"),
        /* further interindustry with SM (61) -> first CLA SM 10b (08) */
        EXPECT("AT+CGLA=1,10,\"08B0000010\"\r"),
        REPLY("+CGLA: 4,\"9000\"\r\nOK\r\n"),
        /* GlobalPlatform proprietary C1 -> 80, E1 (SM) -> 84 */
        EXPECT("AT+CGLA=1,10,\"80CA006600\"\r"),
        REPLY("+CGLA: 4,\"9000\"\r\nOK\r\n"),
        EXPECT("AT+CGLA=1,10,\"84CA006600\"\r"),
        REPLY("+CGLA: 4,\"9000\"\r\nOK\r\n"),
        EXPECT("AT+CCHC=1\r"),
        REPLY("OK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "00700005", "9000");  /* open channel 5 by number */
    XMIT_OK(&at, "41A4040C0CA000000063504B43532D3135", "9000");
    XMIT_OK(&at, "41B0000010", "9000");
    XMIT_OK(&at, "51B0000010", "9000");
    XMIT_OK(&at, "61B0000010", "9000");
    XMIT_OK(&at, "C1CA006600", "9000");
    XMIT_OK(&at, "E1CA006600", "9000");
    XMIT_OK(&at, "41708000", "9000");  /* close the channel of CLA */
    modem_done(&m);
}

static void cgla_answers_locally_for_channels_it_cannot_serve(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("+CCHO: 5\r\nOK\r\n"),
        /* once open, another SELECT by AID goes through +CGLA */
        EXPECT("AT+CGLA=5,24,\"00A4040C07A0000000871002\"\r"),
        REPLY("+CGLA: 4,\"6A82\"\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "02B0000010", "6881");  /* channel 2 never opened */
    XMIT_OK(&at, "0070000001", "019000");
    XMIT_OK(&at, "01B0000010", "6985");  /* no application selected yet */
    XMIT_OK(&at, "01A4080C047FFF5031", "6985");  /* SELECT by path cannot open */
    XMIT_OK(&at, "00700001", "6A86");    /* channel 1 is taken */
    XMIT_OK(&at, "00700014", "6A86");    /* channel 20 does not exist */
    XMIT_OK(&at, "00708003", "6881");    /* close of a channel not open */
    XMIT_OK(&at, "00708000", "6A86");    /* close of the basic channel */
    XMIT_OK(&at, "01A4040C0CA000000063504B43532D3135", "9000");
    XMIT_OK(&at, "01A4040C07A0000000871002", "6A82");
    /* a SELECT by AID with a broken length cannot become +CCHO */
    XMIT_OK(&at, "0070000001", "029000");
    XMIT_ERR(&at, "02A4040C0CA000", UCB_ERR_ARG);
    XMIT_ERR(&at, "02A4040C", UCB_ERR_ARG);
    modem_done(&m);
}

static void cgla_runs_out_of_pseudo_channels_with_6a81(void **state)
{
    (void)state;
    const struct step s[] = {EXPECT("AT\r")};
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    char exp[8];
    for (unsigned i = 1; i <= UCB_AT_MAX_SESSIONS; i++) {
        snprintf(exp, sizeof exp, "%02X9000", i);
        XMIT_OK(&at, "0070000001", exp);
    }
    XMIT_OK(&at, "0070000001", "6A81");
    /* a freed pseudo channel is handed out again */
    XMIT_OK(&at, "00708002", "9000");
    XMIT_OK(&at, "0070000001", "029000");
    uint8_t r[2];
    size_t n;
    XMIT_OK(&at, "00708002", "9000");
    /* the channel number needs 3 bytes of room */
    assert_int_equal(xmit(&at, "0070000001", r, sizeof r, &n), UCB_ERR_BUFFER);
    assert_int_equal(m.pos, 0);
    m.pos = 1;
}

static void cchc_error_frees_the_channel_and_reports_modem_error(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("+CCHO: 9\r\nOK\r\n"),
        EXPECT("AT+CCHC=9\r"),
        REPLY("ERROR\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "0070000001", "019000");
    XMIT_OK(&at, "01A4040C0CA000000063504B43532D3135", "9000");
    XMIT_ERR(&at, "01708001", UCB_ERR_MODEM);
    XMIT_OK(&at, "01B0000010", "6881");
    modem_done(&m);
}

static void deinit_closes_open_sessions_and_wipes_the_state(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("+CCHO: 3\r\nOK\r\n"),
        EXPECT("AT+CCHO=\"A0000000871002\"\r"),
        REPLY("+CCHO: 9\r\nOK\r\n"),
        EXPECT("AT+CCHC=3\r"),
        REPLY("OK\r\n"),
        EXPECT("AT+CCHC=9\r"),
        REPLY("+CME ERROR: 21\r\n+CEREG: 1\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "0070000001", "019000");
    XMIT_OK(&at, "01A4040C0CA000000063504B43532D3135", "9000");
    XMIT_OK(&at, "0070000001", "029000");
    XMIT_OK(&at, "02A4040C07A0000000871002", "9000");
    XMIT_OK(&at, "0070000001", "039000");  /* open but never selected: no +CCHC */
    ucb_at_deinit(&at);
    modem_done(&m);
    static const uint8_t zero[sizeof(struct ucb_at)];
    assert_memory_equal(&at, zero, sizeof at);
    ucb_at_deinit(&at);  /* twice is fine */
    ucb_at_deinit(NULL);
}

static void timeout_on_cgla_then_late_reply_is_dropped(void **state)
{
    (void)state;
    const struct step s[] = {
        EXPECT("AT+CCHO=\"A000000063504B43532D3135\"\r"),
        REPLY("+CCHO: 3\r\nOK\r\n"),
        EXPECT("AT+CGLA=3,10,\"00B0000002\"\r"),
        SILENCE(),
        REPLY("+CGLA: 8,\"DEAD9000\"\r\nOK\r\n"),
        EXPECT("AT+CGLA=3,10,\"00B0000002\"\r"),
        REPLY("+CGLA: 8,\"BEEF9000\"\r\nOK\r\n"),
    };
    struct ucb_at at;
    struct modem m;
    START(&at, &m, s, UCB_AT_CGLA);
    XMIT_OK(&at, "0070000001", "019000");
    XMIT_OK(&at, "01A4040C0CA000000063504B43532D3135", "9000");
    XMIT_ERR(&at, "01B0000002", UCB_ERR_TIMEOUT);
    XMIT_OK(&at, "01B0000002", "BEEF9000");
    modem_done(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csim_sends_hex_command_and_decodes_reply),
        cmocka_unit_test(csim_accepts_lowercase_hex_unquoted_and_lf_only),
        cmocka_unit_test(csim_skips_command_echo),
        cmocka_unit_test(garbled_echo_of_a_pin_is_never_passed_to_the_urc_callback),
        cmocka_unit_test(urcs_before_between_and_after_the_reply_go_to_the_callback),
        cmocka_unit_test(urc_looking_like_another_reply_is_unsolicited),
        cmocka_unit_test(reply_split_over_many_reads_is_reassembled),
        cmocka_unit_test(cme_error_gives_modem_error_with_the_code),
        cmocka_unit_test(plain_error_gives_modem_error_minus_one),
        cmocka_unit_test(malformed_replies_give_transport_error_and_stay_in_step),
        cmocka_unit_test(response_larger_than_the_buffer_gives_buffer_error),
        cmocka_unit_test(no_reply_gives_timeout),
        cmocka_unit_test(reply_line_without_final_result_code_gives_timeout),
        cmocka_unit_test(late_reply_after_timeout_is_not_taken_for_the_next_command),
        cmocka_unit_test(late_reply_cut_by_the_deadline_is_completed_and_dropped),
        cmocka_unit_test(command_dropped_by_the_modem_costs_one_deadline_then_works),
        cmocka_unit_test(read_error_gives_transport_error),
        cmocka_unit_test(write_error_gives_transport_error),
        cmocka_unit_test(read_callback_breaking_its_contract_gives_transport_error),
        cmocka_unit_test(line_longer_than_line_max_gives_transport_error),
        cmocka_unit_test(longest_reply_that_fits_a_line_is_accepted),
        cmocka_unit_test(chatty_modem_without_reply_is_cut_off_by_the_deadline),
        cmocka_unit_test(chatty_modem_without_clock_is_cut_off_by_the_byte_budget),
        cmocka_unit_test(bare_command_waits_for_ok),
        cmocka_unit_test(bare_command_refuses_line_breaks_and_overlong_lines),
        cmocka_unit_test(transmit_checks_its_arguments),
        cmocka_unit_test(largest_command_fits_the_command_buffer),
        cmocka_unit_test(cgla_mode_maps_a_logical_channel_onto_a_ccho_session),
        cmocka_unit_test(ccho_bare_and_quoted_session_ids_are_accepted),
        cmocka_unit_test(ccho_reply_malformed_or_missing_gives_transport_error),
        cmocka_unit_test(select_asking_for_fcp_is_also_sent_through_cgla),
        cmocka_unit_test(select_fcp_refused_over_cgla_still_answers_9000),
        cmocka_unit_test(ccho_error_fails_the_select_and_close_stays_local),
        cmocka_unit_test(cgla_clears_channel_bits_of_every_cla_form),
        cmocka_unit_test(cgla_answers_locally_for_channels_it_cannot_serve),
        cmocka_unit_test(cgla_runs_out_of_pseudo_channels_with_6a81),
        cmocka_unit_test(cchc_error_frees_the_channel_and_reports_modem_error),
        cmocka_unit_test(deinit_closes_open_sessions_and_wipes_the_state),
        cmocka_unit_test(timeout_on_cgla_then_late_reply_is_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
