/*
 * uiccboot-simcard: serve the virtual UICC to pcscd through the vsmartcard
 * vpcd driver, so the PC/SC tools see a real reader with a card in it.
 *
 *   uiccboot-simcard --bootstrap FILE [--iccid DIGITS] [--pin PIN]
 *                    [--profile CARD.json] [--scp03-keys KEYS.json]
 *                    [--vpcd HOST:PORT]
 *
 * vpcd (the pcscd driver) listens, default port 35963 for slot 0; we
 * connect. Framing both ways: 2-byte big-endian length, then the payload.
 * A 1-byte payload from vpcd is a control message (00 power off, 01 power
 * on, 02 reset, 04 get ATR; only get ATR is answered); anything longer is a
 * C-APDU answered with its R-APDU. vpcd treats a connected socket that
 * answers get ATR as a card in the reader, a closed socket as no card.
 *
 * Signals: SIGUSR1 removes the card, SIGUSR2 inserts it, SIGHUP re-reads
 * the bootstrap file, the profile and the SCP03 key file, SIGTERM/SIGINT end the program (exit 0).
 * Handlers only set flags; the main loop polls with a 100 ms timeout.
 * See docs/simcard.md.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/platform_util.h>

#include "vuicc.h"

#define PROG "uiccboot-simcard"
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "35963"
#define FILE_MAX 32768u
#define RETRY_MS 100u          /* between connection attempts */
#define CONNECT_WINDOW_MS 10000u /* give up when vpcd is not there for this long */
#define MUTE_MS 10000u         /* a mute fault answers 6F00 after this long */
#define POLL_MS 100

/* vpcd control messages (vsmartcard vpcd.h). */
#define VPCD_OFF 0x00
#define VPCD_ON 0x01
#define VPCD_RESET 0x02
#define VPCD_ATR 0x04

static volatile sig_atomic_t sig_term, sig_remove, sig_insert, sig_reload;

static void on_signal(int sig)
{
    switch (sig) {
    case SIGUSR1: sig_remove = 1; break;
    case SIGUSR2: sig_insert = 1; break;
    case SIGHUP: sig_reload = 1; break;
    default: sig_term = 1; break;
    }
}

/* One line per event on stderr. Never given a PIN or a key byte. */
static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *f)
{
    fputs("usage: " PROG " --bootstrap FILE [--iccid DIGITS] [--pin PIN]\n"
          "                        [--profile CARD.json] [--scp03-keys KEYS.json]\n"
          "                        [--vpcd HOST:PORT]\n"
          "\n"
          "Serve a virtual UICC holding FILE as EF LwM2M_Bootstrap to pcscd through\n"
          "the vsmartcard vpcd driver (default " DEFAULT_HOST ":" DEFAULT_PORT ", reader slot 0).\n"
          "  --bootstrap FILE     the bootstrap file (at most 32768 bytes)\n"
          "  --iccid DIGITS       ICCID (overrides the profile)\n"
          "  --pin PIN            PIN of 4-8 digits, '' for none (overrides the profile)\n"
          "  --profile CARD.json  card variant (docs/simcard.md, fixtures/cards/)\n"
          "  --scp03-keys KEYS.json\n"
          "                       SCP03 key set of the PKCS#15 security domain\n"
          "                       (LwM2M Appendix H; overrides the profile's scp03_keys)\n"
          "  --vpcd HOST:PORT     where vpcd listens\n"
          "Signals: USR1 removes the card, USR2 inserts it, HUP reloads FILE, the\n"
          "profile and the key file, TERM/INT exit.\n",
          f);
}

struct opts {
    const char *bootstrap;
    const char *iccid;
    const char *pin;
    const char *profile;
    const char *scp03_keys;
    char host[256];
    char port[8];
};

static bool digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* HOST:PORT, [v6addr]:PORT. */
static bool parse_vpcd(const char *s, struct opts *o)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s) return false;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']') return false;
        h++;
        hl -= 2;
    }
    if (hl >= sizeof o->host) return false;
    const char *port = colon + 1;
    if (!digits(port, 1, 5) || atol(port) < 1 || atol(port) > 65535) return false;
    memcpy(o->host, h, hl);
    o->host[hl] = '\0';
    snprintf(o->port, sizeof o->port, "%s", port);
    return true;
}

/* Returns 0, 1 for --help, or 2 after printing the error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    static const char *const names[] = {"--bootstrap", "--iccid", "--pin", "--profile",
                                        "--vpcd", "--scp03-keys"};
    memset(o, 0, sizeof *o);
    snprintf(o->host, sizeof o->host, "%s", DEFAULT_HOST);
    snprintf(o->port, sizeof o->port, "%s", DEFAULT_PORT);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return 1;
        const char *val = NULL;
        size_t k;
        for (k = 0; k < sizeof names / sizeof names[0]; k++) {
            size_t n = strlen(names[k]);
            if (strncmp(a, names[k], n) != 0) continue;
            if (a[n] == '=') {
                val = a + n + 1;
                break;
            }
            if (a[n] == '\0') {
                if (i + 1 >= argc) {
                    fprintf(stderr, PROG ": %s needs a value\n", names[k]);
                    return 2;
                }
                val = argv[++i];
                break;
            }
        }
        if (!val) {
            fprintf(stderr, PROG ": unknown argument '%s' (try --help)\n", a);
            return 2;
        }
        switch (k) {
        case 0: o->bootstrap = val; break;
        case 1:
            if (!digits(val, 1, 20)) {
                fprintf(stderr, PROG ": --iccid: expected 1 to 20 decimal digits\n");
                return 2;
            }
            o->iccid = val;
            break;
        case 2:
            if (val[0] != '\0' && !digits(val, 4, 8)) {
                /* The value itself is never echoed: it may be a real PIN. */
                fprintf(stderr, PROG ": --pin: expected 4 to 8 decimal digits\n");
                return 2;
            }
            o->pin = val;
            break;
        case 3: o->profile = val; break;
        case 5: o->scp03_keys = val; break;
        default:
            if (!parse_vpcd(val, o)) {
                fprintf(stderr, PROG ": --vpcd: expected HOST:PORT, got '%s'\n", val);
                return 2;
            }
            break;
        }
    }
    if (!o->bootstrap) {
        fprintf(stderr, PROG ": --bootstrap FILE is required (try --help)\n");
        return 2;
    }
    return 0;
}

/* The whole file, at most FILE_MAX bytes. */
static int read_file(const char *path, uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    uint8_t *buf = malloc(FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = fread(buf, 1, FILE_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        return -1;
    }
    if (n > FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %u bytes (LwM2M Appendix G limit)", path,
                 FILE_MAX);
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = n;
    return 0;
}

/* Profile (defaults, file, command-line overrides) and bootstrap bytes. */
static int load_inputs(const struct opts *o, struct vuicc_profile *p, uint8_t **file,
                       size_t *len, char *err, size_t errlen)
{
    vuicc_profile_default(p);
    if (o->profile && vuicc_profile_load(p, o->profile, err, errlen) != 0) return -1;
    if (o->scp03_keys && vuicc_scp03_keys_load(&p->scp03, o->scp03_keys, err, errlen) != 0)
        return -1;
    if (o->iccid) snprintf(p->iccid, sizeof p->iccid, "%s", o->iccid);
    if (o->pin) snprintf(p->pin, sizeof p->pin, "%s", o->pin);
    return read_file(o->bootstrap, file, len, err, errlen);
}

/* What the card's security domain is, without a key byte. */
static void log_scp03(const struct vuicc_profile *p)
{
    if (p->scp03.len == 0) return;
    logf_("SCP03 security domain: KVN %02X, AES-%u, i=%02X%s", p->scp03.kvn,
          (unsigned)p->scp03.len * 8u, p->scp03.i_param,
          p->scp03_required ? ", bootstrap EF only through SCP03 (C-MAC + R-ENC)" : "");
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int try_connect(const struct opts *o)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(o->host, o->port, &hints, &res) != 0) return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        /* One small frame per exchange: no Nagle delay. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* Send one frame (length + payload) in one write. */
static int send_frame(int fd, const uint8_t *b, size_t len)
{
    uint8_t out[2 + 65535];
    if (len > 65535) return -1;
    out[0] = (uint8_t)(len >> 8);
    out[1] = (uint8_t)len;
    memcpy(out + 2, b, len);
    size_t done = 0, total = len + 2;
    while (done < total) {
        ssize_t n = send(fd, out + done, total - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

struct server {
    struct opts o;
    struct vuicc *card;
    char iccid[21];           /* the card in the reader now */
    bool inserted;            /* we want to be in the reader */
    int fd;
    uint64_t next_try, give_up_at;
    bool mute_pending;        /* a mute fault: 6F00 goes out at mute_at */
    uint64_t mute_at;
    uint8_t atr[32];
    size_t atr_len;
    uint8_t in[2 + 65535];
    size_t in_len;
};

static void disconnect(struct server *s)
{
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    s->in_len = 0;
    s->mute_pending = false;
}

/* Connect again soon, giving vpcd CONNECT_WINDOW_MS to be there. */
static void want_connection(struct server *s, uint64_t delay_ms)
{
    uint64_t t = now_ms();
    s->next_try = t + delay_ms;
    s->give_up_at = t + delay_ms + CONNECT_WINDOW_MS;
}

static void card_reset(struct server *s)
{
    size_t n = vuicc_reset(s->card, s->atr, sizeof s->atr);
    if (n) s->atr_len = n;
}

/* SIGHUP: same ICCID = new content on the same card; another ICCID = another
 * card, so the reader must see a removal and an insertion. */
static void reload(struct server *s)
{
    struct vuicc_profile p;
    uint8_t *file = NULL;
    size_t len = 0;
    char err[512];
    if (load_inputs(&s->o, &p, &file, &len, err, sizeof err) != 0 ||
        vuicc_reload(s->card, &p, file, len, err, sizeof err) != 0) {
        logf_("reload failed, card unchanged: %s", err);
        mbedtls_platform_zeroize(&p, sizeof p);
        free(file);
        return;
    }
    free(file);
    log_scp03(&p);
    mbedtls_platform_zeroize(&p.scp03, sizeof p.scp03);
    if (strcmp(p.iccid, s->iccid) == 0) {
        logf_("reloaded: same card (ICCID %s), bootstrap file %zu bytes", p.iccid, len);
        return;
    }
    snprintf(s->iccid, sizeof s->iccid, "%s", p.iccid);
    logf_("reloaded: another card (ICCID %s), bootstrap file %zu bytes", p.iccid, len);
    if (s->fd >= 0) {
        disconnect(s);
        want_connection(s, 0);
    }
}

static int handle_frame(struct server *s, const uint8_t *b, size_t len)
{
    uint8_t r[300];
    if (len == 0) return 0;
    if (len == 1) {
        switch (b[0]) {
        case VPCD_OFF:
            return 0;
        case VPCD_ON:
        case VPCD_RESET:
            card_reset(s);
            return 0;
        case VPCD_ATR:
            return send_frame(s->fd, s->atr, s->atr_len);
        default:
            logf_("unknown vpcd control message %02X ignored", b[0]);
            return 0;
        }
    }
    int n = vuicc_process(s->card, b, len, r, sizeof r);
    if (n > 0) return send_frame(s->fd, r, (size_t)n);
    if (n < 0) {
        static const uint8_t sw6f00[2] = {0x6F, 0x00};
        return send_frame(s->fd, sw6f00, sizeof sw6f00);
    }
    if (!vuicc_present(s->card)) {
        logf_("removed (fault at C-APDU %u)", (unsigned)vuicc_apdu_count(s->card));
        s->inserted = false;
        disconnect(s);
        return 0;
    }
    /* vpcd waits for an answer without a deadline, so a card that never
     * answers would hang pcscd: answer 6F00 late instead. */
    logf_("mute (fault at C-APDU %u): answering 6F00 in %u s",
          (unsigned)vuicc_apdu_count(s->card), MUTE_MS / 1000u);
    s->mute_pending = true;
    s->mute_at = now_ms() + MUTE_MS;
    return 0;
}

/* Read what vpcd sent and handle each complete frame. */
static void on_readable(struct server *s)
{
    ssize_t n = recv(s->fd, s->in + s->in_len, sizeof s->in - s->in_len, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        logf_("vpcd closed the connection; reconnecting");
        disconnect(s);
        want_connection(s, RETRY_MS);
        return;
    }
    s->in_len += (size_t)n;
    size_t pos = 0;
    while (s->fd >= 0 && !s->mute_pending && s->in_len - pos >= 2) {
        size_t flen = (size_t)s->in[pos] << 8 | s->in[pos + 1];
        if (s->in_len - pos - 2 < flen) break;
        if (handle_frame(s, s->in + pos + 2, flen) != 0) {
            logf_("lost the connection to vpcd; reconnecting");
            disconnect(s);
            want_connection(s, RETRY_MS);
            return;
        }
        pos += 2 + flen;
    }
    if (s->fd < 0) return;
    memmove(s->in, s->in + pos, s->in_len - pos);
    s->in_len -= pos;
}

static int serve(struct server *s)
{
    while (!sig_term) {
        if (sig_remove) {
            sig_remove = 0;
            if (s->inserted) {
                vuicc_remove(s->card);
                s->inserted = false;
                disconnect(s);
                logf_("removed");
            }
        }
        if (sig_insert) {
            sig_insert = 0;
            if (!s->inserted) {
                vuicc_insert(s->card);
                card_reset(s);
                s->inserted = true;
                want_connection(s, 0);
                logf_("inserted");
            }
        }
        if (sig_reload) {
            sig_reload = 0;
            reload(s);
        }
        uint64_t t = now_ms();
        if (s->inserted && s->fd < 0 && t >= s->next_try) {
            s->fd = try_connect(&s->o);
            if (s->fd >= 0) {
                logf_("connected to vpcd at %s:%s (ICCID %s)", s->o.host, s->o.port, s->iccid);
            } else if (t >= s->give_up_at) {
                logf_("cannot connect to vpcd at %s:%s: %s", s->o.host, s->o.port,
                      strerror(errno));
                return 1;
            } else {
                s->next_try = t + RETRY_MS;
            }
        }
        if (s->mute_pending && t >= s->mute_at) {
            static const uint8_t sw6f00[2] = {0x6F, 0x00};
            s->mute_pending = false;
            if (send_frame(s->fd, sw6f00, sizeof sw6f00) != 0) {
                disconnect(s);
                want_connection(s, RETRY_MS);
            }
        }
        struct pollfd pfd = {s->fd >= 0 && !s->mute_pending ? s->fd : -1, POLLIN, 0};
        int r = poll(&pfd, 1, POLL_MS);
        if (r > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) on_readable(s);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct server s;
    char err[512];
    struct vuicc_profile p;
    uint8_t *file = NULL;
    size_t len = 0;

    int rc = parse_args(argc, argv, &s.o);
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    if (rc != 0) return 2;
    if (load_inputs(&s.o, &p, &file, &len, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        mbedtls_platform_zeroize(&p, sizeof p);
        free(file);
        return 2;
    }
    s.card = vuicc_new(&p, file, len, err, sizeof err);
    free(file);
    if (s.card) log_scp03(&p);
    mbedtls_platform_zeroize(&p.scp03, sizeof p.scp03);
    if (!s.card) {
        fprintf(stderr, PROG ": %s\n", err);
        return 2;
    }
    snprintf(s.iccid, sizeof s.iccid, "%s", p.iccid);
    card_reset(&s);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() and connect() return EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    s.fd = -1;
    s.inserted = true;
    want_connection(&s, 0);
    rc = serve(&s);
    disconnect(&s);
    vuicc_free(s.card);
    return rc;
}
