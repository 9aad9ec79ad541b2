/*
 * A fake cellular modem on a pseudo-terminal, for testing the AT transport
 * over a real tty. It answers the 3GPP TS 27.007 SIM access commands from
 * the virtual UICC (host-tools/simcard/vuicc.h):
 *
 *   AT, ATE0, ATE1             OK (echo off/on)
 *   AT+CSIM=<n>,"<hex>"        +CSIM: <n>,"<hex>" from vuicc_process; in
 *                              --mode cgla, MANAGE CHANNEL through +CSIM
 *                              is refused (+CME ERROR: 4), like modems that
 *                              keep logical channels to themselves
 *   AT+CCHO="<aid>"            MANAGE CHANNEL open + SELECT by AID on the
 *                              card; session id = channel + session base,
 *                              so it differs from the channel number
 *   AT+CGLA=<s>,<n>,"<hex>"    CLA must come without channel bits; the
 *                              session's channel is put in, then forwarded
 *   AT+CCHC=<s>                MANAGE CHANNEL close
 *   anything else              ERROR
 *
 * Usage: fake_modem [--mode csim|cgla] [--echo] [--urc] [--cme-at N]
 *                   [--ccho-style plus|bare] [--session-base N]
 *                   [--chunk N] [--profile CARD.json] --bootstrap FILE
 *
 * --urc puts "+CEREG: 1" before every answer and a second URC right after
 * its OK (in the same write, so the reader must keep it for later);
 * --cme-at N answers the N-th command line with "+CME ERROR: 10";
 * --chunk N writes answers N bytes at a time with a pause in between, so
 * they arrive in many reads.
 *
 * The slave path is printed on stdout as the first line. The program ends
 * when the other side closes the tty (EOF/HUP on the master) or on SIGTERM.
 * Diagnostics go to stderr.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vuicc.h"

#define LINE_MAX_LEN 1200
#define MAX_CHANNELS 20

static struct {
    bool cgla_mode;
    bool echo;
    bool urc;
    unsigned long cme_at;
    bool ccho_bare;
    unsigned long session_base;
    size_t chunk;
} opt = {.session_base = 10};

static int master = -1;
static struct vuicc *card;
static unsigned long n_commands;
static bool channel_open[MAX_CHANNELS];

static void die(const char *what)
{
    fprintf(stderr, "fake_modem: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void write_all(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        size_t n = len;
        if (opt.chunk != 0 && n > opt.chunk) n = opt.chunk;
        ssize_t w = write(master, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                sleep_ms(1);
                continue;
            }
            if (errno == EIO) exit(0);  /* the other side went away */
            die("write");
        }
        p += w;
        len -= (size_t)w;
        if (opt.chunk != 0 && len > 0) sleep_ms(2);
    }
}

/* An answer: optional URC first, the lines, OK, optional URC after. */
static void answer(const char *info)
{
    char buf[2 * LINE_MAX_LEN];
    size_t n = 0;
    if (opt.urc) n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n+CEREG: 1\r\n");
    if (info != NULL) n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n%s\r\n", info);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\nOK\r\n");
    if (opt.urc) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n+CEREG: 5,\"1A2B\",\"01A2B3C4\",7\r\n");
    }
    write_all(buf, n);
}

static void error_line(const char *s)
{
    char buf[128];
    int n = snprintf(buf, sizeof buf, "%s\r\n%s\r\n", opt.urc ? "\r\n+CEREG: 1\r\n" : "", s);
    write_all(buf, (size_t)n);
}

/* Answer an error line and leave the command handler. */
#define FAIL(s)            \
    do {                   \
        error_line(s);     \
        return;            \
    } while (0)

static bool prefix(const char *line, const char *p)
{
    return strncasecmp(line, p, strlen(p)) == 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = toupper(c);
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* `"<hex>"` at *p: decodes into out, advances *p past the closing quote. */
static int parse_hex(const char **p, uint8_t *out, size_t cap)
{
    const char *s = *p;
    if (*s++ != '"') return -1;
    size_t n = 0;
    while (*s != '"') {
        int hi = hexval((unsigned char)s[0]);
        int lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
        if (hi < 0 || lo < 0 || n >= cap) return -1;
        out[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    *p = s + 1;
    return (int)n;
}

static void format_reply(char *out, size_t cap, const char *cmd, const uint8_t *r, size_t n)
{
    size_t k = (size_t)snprintf(out, cap, "%s: %zu,\"", cmd, 2 * n);
    for (size_t i = 0; i < n && k + 3 < cap; i++) k += (size_t)snprintf(out + k, cap - k, "%02X", r[i]);
    snprintf(out + k, cap - k, "\"");
}

/* ISO 7816-4 5.4.1: channel bits into a CLA given for the basic channel. */
static uint8_t cla_for_channel(uint8_t cla, unsigned ch)
{
    if (ch < 4) return (uint8_t)(cla | ch);
    uint8_t out = (uint8_t)((cla & 0x90u) | 0x40u | (ch - 4u));
    if (cla & 0x0Cu) out |= 0x20u;  /* secure messaging */
    return out;
}

static int card_process(const uint8_t *c, size_t len, uint8_t *r, size_t cap)
{
    return vuicc_process(card, c, len, r, cap);
}

static void do_csim(const char *args)
{
    char *end;
    unsigned long announced = strtoul(args, &end, 10);
    uint8_t c[300], r[1100];
    const char *p = end;
    if (end == args || *p++ != ',') FAIL("ERROR");
    int n = parse_hex(&p, c, sizeof c);
    if (n < 4 || *p != '\0' || announced != 2u * (unsigned long)n) FAIL("ERROR");
    if (opt.cgla_mode && c[1] == 0x70) FAIL("+CME ERROR: 4");
    int rn = card_process(c, (size_t)n, r, sizeof r);
    if (rn <= 0) FAIL("+CME ERROR: 13");
    char line[2 * sizeof r + 32];
    format_reply(line, sizeof line, "+CSIM", r, (size_t)rn);
    answer(line);
}

static void do_ccho(const char *args)
{
    const char *p = args;
    uint8_t aid[32], r[300];
    int n = parse_hex(&p, aid, sizeof aid);
    if (n < 1 || n > 16 || *p != '\0') FAIL("ERROR");
    static const uint8_t open_ch[] = {0x00, 0x70, 0x00, 0x00, 0x01};
    int rn = card_process(open_ch, sizeof open_ch, r, sizeof r);
    if (rn != 3 || r[1] != 0x90 || r[2] != 0x00 || r[0] == 0 || r[0] >= MAX_CHANNELS) {
        FAIL("+CME ERROR: 4");
    }
    unsigned ch = r[0];
    uint8_t sel[5 + 16];
    sel[0] = cla_for_channel(0x00, ch);
    sel[1] = 0xA4;
    sel[2] = 0x04;
    sel[3] = 0x0C;
    sel[4] = (uint8_t)n;
    memcpy(sel + 5, aid, (size_t)n);
    rn = card_process(sel, 5u + (size_t)n, r, sizeof r);
    if (rn < 2 || r[rn - 2] != 0x90) {
        uint8_t close_ch[] = {0x00, 0x70, 0x80, (uint8_t)ch};
        (void)card_process(close_ch, sizeof close_ch, r, sizeof r);
        FAIL("+CME ERROR: 22");
    }
    channel_open[ch] = true;
    char line[64];
    snprintf(line, sizeof line, opt.ccho_bare ? "%lu" : "+CCHO: %lu", ch + opt.session_base);
    answer(line);
}

/* Session id -> channel, or 0. */
static unsigned session_channel(const char *s, const char **end)
{
    char *e;
    unsigned long id = strtoul(s, &e, 10);
    *end = e;
    if (e == s || id < opt.session_base || id - opt.session_base >= MAX_CHANNELS) return 0;
    unsigned ch = (unsigned)(id - opt.session_base);
    return channel_open[ch] ? ch : 0;
}

static void do_cgla(const char *args)
{
    const char *p;
    unsigned ch = session_channel(args, &p);
    if (ch == 0) FAIL("+CME ERROR: 21");
    char *end;
    if (*p++ != ',') FAIL("ERROR");
    unsigned long announced = strtoul(p, &end, 10);
    p = end;
    if (*p++ != ',') FAIL("ERROR");
    uint8_t c[300], r[1100];
    int n = parse_hex(&p, c, sizeof c);
    if (n < 4 || *p != '\0' || announced != 2u * (unsigned long)n) FAIL("ERROR");
    /* The transport must leave the channel to the modem. */
    if (c[0] & 0x43u) FAIL("+CME ERROR: 50");
    c[0] = cla_for_channel(c[0], ch);
    int rn = card_process(c, (size_t)n, r, sizeof r);
    if (rn <= 0) FAIL("+CME ERROR: 13");
    char line[2 * sizeof r + 32];
    format_reply(line, sizeof line, "+CGLA", r, (size_t)rn);
    answer(line);
}

static void do_cchc(const char *args)
{
    const char *p;
    unsigned ch = session_channel(args, &p);
    if (ch == 0 || *p != '\0') FAIL("+CME ERROR: 21");
    uint8_t close_ch[] = {0x00, 0x70, 0x80, (uint8_t)ch}, r[16];
    (void)card_process(close_ch, sizeof close_ch, r, sizeof r);
    channel_open[ch] = false;
    answer(NULL);
}

static void command(char *line, size_t len)
{
    if (opt.echo) {
        write_all(line, len);
        write_all("\r", 1);
    }
    n_commands++;
    if (opt.cme_at != 0 && n_commands == opt.cme_at) FAIL("+CME ERROR: 10");
    if (strcasecmp(line, "AT") == 0) {
        answer(NULL);
        return;
    }
    if (strcasecmp(line, "ATE0") == 0 || strcasecmp(line, "ATE1") == 0) {
        opt.echo = line[3] == '1';
        answer(NULL);
        return;
    }
    if (prefix(line, "AT+CSIM=")) {
        do_csim(line + 8);
        return;
    }
    if (prefix(line, "AT+CCHO=")) {
        do_ccho(line + 8);
        return;
    }
    if (prefix(line, "AT+CGLA=")) {
        do_cgla(line + 8);
        return;
    }
    if (prefix(line, "AT+CCHC=")) {
        do_cchc(line + 8);
        return;
    }
    error_line("ERROR");
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) die(path);
    size_t cap = 65536;
    uint8_t *b = malloc(cap);
    if (b == NULL) die("malloc");
    *len = fread(b, 1, cap, f);
    fclose(f);
    return b;
}

static void usage(void)
{
    fprintf(stderr, "usage: fake_modem [--mode csim|cgla] [--echo] [--urc] [--cme-at N]\n"
                    "                  [--ccho-style plus|bare] [--session-base N] [--chunk N]\n"
                    "                  [--profile CARD.json] --bootstrap FILE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *profile_path = NULL, *bootstrap = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--echo") == 0) opt.echo = true;
        else if (strcmp(a, "--urc") == 0) opt.urc = true;
        else if (v == NULL) usage();
        else if (strcmp(a, "--mode") == 0 && (strcmp(v, "csim") == 0 || strcmp(v, "cgla") == 0)) {
            opt.cgla_mode = strcmp(v, "cgla") == 0;
            i++;
        } else if (strcmp(a, "--ccho-style") == 0 && (strcmp(v, "plus") == 0 || strcmp(v, "bare") == 0)) {
            opt.ccho_bare = strcmp(v, "bare") == 0;
            i++;
        } else if (strcmp(a, "--cme-at") == 0) {
            opt.cme_at = strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--session-base") == 0) {
            opt.session_base = strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--chunk") == 0) {
            opt.chunk = strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--profile") == 0) {
            profile_path = v;
            i++;
        } else if (strcmp(a, "--bootstrap") == 0) {
            bootstrap = v;
            i++;
        } else {
            usage();
        }
    }
    if (bootstrap == NULL) usage();

    struct vuicc_profile prof;
    vuicc_profile_default(&prof);
    char err[256];
    if (profile_path != NULL && vuicc_profile_load(&prof, profile_path, err, sizeof err) != 0) {
        fprintf(stderr, "fake_modem: %s: %s\n", profile_path, err);
        return 1;
    }
    size_t flen;
    uint8_t *file = read_file(bootstrap, &flen);
    card = vuicc_new(&prof, file, flen, err, sizeof err);
    free(file);
    if (card == NULL) {
        fprintf(stderr, "fake_modem: card: %s\n", err);
        return 1;
    }
    uint8_t atr[64];
    (void)vuicc_reset(card, atr, sizeof atr);

    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) die("pty");
    const char *slave = ptsname(master);
    if (slave == NULL) die("ptsname");
    /* Hold the slave open (raw, so no echo or CR/LF mapping happens before
     * the reader sets its own modes) until the reader has spoken: a pty
     * master with no slave open reports HUP, which here means "the reader
     * is gone". */
    int hold = open(slave, O_RDWR | O_NOCTTY);
    if (hold < 0) die(slave);
    struct termios t;
    if (tcgetattr(hold, &t) != 0) die("tcgetattr");
    cfmakeraw(&t);
    if (tcsetattr(hold, TCSANOW, &t) != 0) die("tcsetattr");
    printf("%s\n", slave);
    fflush(stdout);

    char line[LINE_MAX_LEN + 1];
    size_t len = 0;
    bool overlong = false;
    for (;;) {
        struct pollfd p = {.fd = master, .events = POLLIN};
        int pr = poll(&p, 1, -1);
        if (pr < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if (!(p.revents & POLLIN)) break;  /* HUP: the reader closed the tty */
        uint8_t buf[512];
        ssize_t n = read(master, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            break;
        }
        if (hold >= 0) {
            close(hold);
            hold = -1;
        }
        for (ssize_t i = 0; i < n; i++) {
            char c = (char)buf[i];
            if (c == '\r' || c == '\n') {
                line[len] = '\0';
                if (len > 0 && !overlong) command(line, len);
                len = 0;
                overlong = false;
            } else if (len < LINE_MAX_LEN) {
                line[len++] = c;
            } else {
                overlong = true;
            }
        }
    }
    vuicc_free(card);
    return 0;
}
