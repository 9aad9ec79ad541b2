/* Scripted transport for the tests; see script.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"
#include "test_util.h"
#include "uiccboot/err.h"

static struct {
    const struct script_step *steps;
    size_t n;
    size_t pos;
    uint32_t last_timeout;
    size_t last_rapdu_cap;
} g_script;

/* Bytes of a hex string, in a fresh heap buffer (the caller frees). */
static uint8_t *decode(const char *hex, size_t *out_len)
{
    size_t cap = strlen(hex) / 2u + 1u;
    uint8_t *b = malloc(cap);
    assert_non_null(b);
    *out_len = test_hex(hex, b, cap);
    return b;
}

/* "00 A4 04 00 ..." of some bytes, in a fresh heap buffer. */
static char *format(const uint8_t *b, size_t n)
{
    char *s = malloc(3u * n + 1u);
    assert_non_null(s);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) snprintf(s + 3u * i, 4u, i + 1u < n ? "%02X " : "%02X", b[i]);
    return s;
}

static int script_transmit(void *ctx, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
                           size_t rapdu_cap, size_t *out_len, uint32_t timeout_ms)
{
    (void)ctx;
    g_script.last_timeout = timeout_ms;
    g_script.last_rapdu_cap = rapdu_cap;
    if (g_script.pos >= g_script.n) {
        char *got = format(capdu, capdu_len);
        const struct script_step *last = g_script.n ? &g_script.steps[g_script.n - 1u] : NULL;
        print_error("unexpected C-APDU after the end of the script (%zu steps):\n"
                    "  got:      %s\n",
                    g_script.n, got);
        free(got);
        if (last) _fail(last->file, last->line);
        fail();
    }
    const struct script_step *s = &g_script.steps[g_script.pos];
    size_t exp_len = 0;
    uint8_t *exp = decode(s->capdu, &exp_len);
    if (exp_len != capdu_len || memcmp(exp, capdu, capdu_len) != 0) {
        char *e = format(exp, exp_len), *g = format(capdu, capdu_len);
        print_error("%s:%d: C-APDU of script step %zu differs from the expectation\n"
                    "  expected: %s\n"
                    "  got:      %s\n",
                    s->file, s->line, g_script.pos, e, g);
        free(e);
        free(g);
        free(exp);
        _fail(s->file, s->line);
    }
    free(exp);
    g_script.pos++;
    if (s->error) return s->error;

    size_t r_len = 0;
    uint8_t *r = decode(s->rapdu, &r_len);
    if (r_len > rapdu_cap) {
        free(r);
        return UCB_ERR_BUFFER;
    }
    if (r_len) memcpy(rapdu, r, r_len);
    free(r);
    *out_len = r_len;
    return 0;
}

struct ucb_transport script_start(const struct script_step *steps, size_t n, uint32_t flags)
{
    memset(&g_script, 0, sizeof g_script);
    g_script.steps = steps;
    g_script.n = n;
    struct ucb_transport t;
    memset(&t, 0, sizeof t);
    t.transmit = script_transmit;
    t.ctx = &g_script;
    t.flags = flags;
    return t;
}

void script_assert_done(void)
{
    if (g_script.pos >= g_script.n) return;
    const struct script_step *s = &g_script.steps[g_script.pos];
    print_error("%s:%d: script step %zu of %zu never sent (expected C-APDU %s)\n", s->file,
                s->line, g_script.pos, g_script.n, s->capdu);
    _fail(s->file, s->line);
}

size_t script_consumed(void)
{
    return g_script.pos;
}

uint32_t script_last_timeout(void)
{
    return g_script.last_timeout;
}

size_t script_last_rapdu_cap(void)
{
    return g_script.last_rapdu_cap;
}

void script_trace(void *ctx, enum ucb_trace_dir dir, const uint8_t *bytes, size_t len,
                  size_t secret_off, size_t secret_len)
{
    struct script_trace_log *log = ctx;
    assert_non_null(log);
    if (log->n >= SCRIPT_TRACE_MAX) {
        log->dropped++;
        return;
    }
    struct script_trace_entry *e = &log->e[log->n++];
    e->dir = dir;
    e->len = len;
    e->secret_off = secret_off;
    e->secret_len = secret_len;
    memcpy(e->bytes, bytes, len < SCRIPT_TRACE_BYTES ? len : SCRIPT_TRACE_BYTES);
}
