/*
 * libFuzzer harness for the AT transport (apdu/at.c): the input is what the
 * modem sends. Layout: byte 0 sets the read chunk size (1..64 bytes per
 * read), byte 1 holds knobs (bit 0: a small R-APDU buffer, bit 1: a clock
 * advancing 7 ms per read with a 100 ms deadline, bit 2: the third write
 * fails), the rest is the modem's byte stream. When the stream is used up,
 * every read times out.
 *
 * The same stream drives a +CSIM session (three APDUs and a bare command)
 * and then a +CCHO/+CGLA session (open, SELECT by AID asking for the FCP,
 * READ BINARY and GET RESPONSE on the channel, a second channel left open,
 * close, deinit). Invariants, checked with abort():
 *  - transmit returns 0 with 2 <= length <= buffer, or an allowed error
 *    with length 0; never a positive value;
 *  - the line and pending buffers stay within their bounds;
 *  - every command written is one CR-terminated printable line that fits
 *    UCB_AT_CMD_MAX, and +CGLA never carries channel bits in CLA;
 *  - ucb_at_deinit() leaves the whole state zero.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uiccboot/at.h"
#include "uiccboot/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct stream {
    const uint8_t *data;
    size_t len, off;
    size_t chunk;
    uint32_t now;
    unsigned writes;
    bool fail_third_write;
};

static uint8_t hexnib(char c)
{
    return (uint8_t)(c <= '9' ? c - '0' : c - 'A' + 10);
}

static int s_read(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    struct stream *s = ctx;
    if (cap == 0 || cap > UCB_AT_LINE_MAX || timeout_ms == 0) abort();
    if (s->off >= s->len) {
        s->now += timeout_ms;
        return UCB_ERR_TIMEOUT;
    }
    size_t n = s->len - s->off;
    if (n > s->chunk) n = s->chunk;
    if (n > cap) n = cap;
    memcpy(buf, s->data + s->off, n);
    s->off += n;
    s->now += 7;
    return (int)n;
}

static int s_write(void *ctx, const uint8_t *b, size_t len, uint32_t timeout_ms)
{
    struct stream *s = ctx;
    if (len < 2 || len > UCB_AT_CMD_MAX || b[len - 1] != '\r' || timeout_ms == 0) abort();
    for (size_t i = 0; i + 1 < len; i++) {
        if (b[i] < 0x20 || b[i] > 0x7E) abort();
    }
    if (len > 8 && memcmp(b, "AT+CGLA=", 8) == 0) {
        /* CLA is the first byte of the quoted hex: no channel bits left. */
        const uint8_t *q = memchr(b, '"', len);
        if (q == NULL || q + 2 >= b + len) abort();
        uint8_t cla = (uint8_t)(hexnib((char)q[1]) << 4 | hexnib((char)q[2]));
        if (cla & 0x43u) abort();
    }
    s->writes++;
    if (s->fail_third_write && s->writes == 3) return UCB_ERR_TRANSPORT;
    return 0;
}

static uint32_t s_clock(void *ctx)
{
    return ((struct stream *)ctx)->now;
}

static void s_urc(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    if (len == 0 || len >= UCB_AT_LINE_MAX || line[len] != '\0') abort();
    if ((line[0] == 'A' || line[0] == 'a') && (line[1] == 'T' || line[1] == 't')) abort();
}

static void check_state(const struct ucb_at *at)
{
    if (at->pending_len > sizeof at->pending || at->line_len >= sizeof at->line) abort();
}

static void apdu(struct ucb_at *at, const char *hex, size_t cap)
{
    uint8_t c[UCB_APDU_MAX], r[UCB_RAPDU_MAX];
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) c[i] = (uint8_t)(hexnib(hex[2 * i]) << 4 | hexnib(hex[2 * i + 1]));
    struct ucb_transport t;
    ucb_at_transport(at, &t);
    size_t out = 12345;
    int rc = t.transmit(t.ctx, c, n, r, cap, &out, 0);
    if (rc > 0) abort();
    if (rc == 0 && (out < 2 || out > cap)) abort();
    if (rc < 0 && out != 0) abort();
    if (rc != 0 && rc != UCB_ERR_TIMEOUT && rc != UCB_ERR_TRANSPORT && rc != UCB_ERR_MODEM &&
        rc != UCB_ERR_BUFFER) {
        abort();
    }
    check_state(at);
}

static void run(const uint8_t *data, size_t len, uint8_t knobs, size_t chunk,
                enum ucb_at_mode mode)
{
    struct stream s = {.data = data, .len = len, .chunk = chunk,
                       .fail_third_write = (knobs & 4) != 0};
    static struct ucb_at at;
    ucb_at_init(&at, s_read, s_write, &s, mode);
    at.urc = s_urc;
    if (knobs & 2) {
        at.clock = s_clock;
        at.timeout_ms = 100;
    }
    size_t cap = (knobs & 1) ? 8 : UCB_RAPDU_MAX;
    if (mode == UCB_AT_CSIM) {
        apdu(&at, "00A4080C047FFF5031", cap);
        apdu(&at, "00B0000000", cap);
        int rc = ucb_at_command(&at, "ATE0");
        if (rc != 0 && rc != UCB_ERR_TIMEOUT && rc != UCB_ERR_TRANSPORT && rc != UCB_ERR_MODEM) {
            abort();
        }
        check_state(&at);
        apdu(&at, "0070000001", cap);
    } else {
        apdu(&at, "0070000001", cap);
        apdu(&at, "01A404040CA000000063504B43532D313500", cap);
        apdu(&at, "01B0000080", cap);
        apdu(&at, "01C0000010", cap);
        apdu(&at, "0070000001", cap);
        apdu(&at, "02A4040C0CA000000063504B43532D3135", cap);
        apdu(&at, "00B0000004", cap);
        apdu(&at, "01708001", cap);
    }
    ucb_at_deinit(&at);
    static const uint8_t zero[sizeof at];
    if (memcmp(&at, zero, sizeof at) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t chunk = 1u + data[0] % 64u;
    uint8_t knobs = data[1];
    run(data + 2, size - 2, knobs, chunk, UCB_AT_CSIM);
    run(data + 2, size - 2, knobs, chunk, UCB_AT_CGLA);
    return 0;
}
