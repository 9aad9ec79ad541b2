/*
 * The PC/SC card backend of the bridge rig (bridge_rig.h), built with
 * -DRIG_PCSC=1: the card runs in uiccboot-simcard (docs/simcard.md), which
 * serves it to the real pcscd through the vsmartcard vpcd driver; the
 * bridge's engine reaches it with the PC/SC transport of the host library
 * (ucb_pcsc_open / ucb_pcsc_transport), wrapped only to count C-APDUs.
 *
 * One uiccboot-simcard process serves every rig of the test program. The
 * rig drives it as docs/simcard.md describes: it writes the bootstrap
 * file, a profile JSON (r->prof: ICCID, fault knobs, SCP03 keys and
 * scp03_required) and the SCP03 key file the profile names, then SIGHUP
 * re-reads them, SIGUSR1 removes the card and SIGUSR2 inserts it. Every
 * step waits for the program's stderr line (connected, removed, inserted,
 * reloaded) and for pcscd's reader state (SCardGetStatusChange), never on
 * a sleep, so the bridge sees exactly the card the test describes:
 *
 *  - a new rig gets the card reloaded and reset (SCardDisconnect with
 *    SCARD_RESET_CARD), the state vuicc_new() gives in process;
 *  - another ICCID makes the program drop and remake its vpcd connection;
 *    the rig returns once pcscd counted the removal and insertion
 *    (the event counter in dwEventState moved);
 *  - a removal returns once pcscd shows the reader empty; an insertion
 *    first waits for that too (a card pulled by a "remove" fault may still
 *    look present to pcscd until its next poll), then for the card, and
 *    then polls the transport's card_event once, as an application learns
 *    of an insertion (uiccboot watch does): that reconnects the PC/SC
 *    handle. With --no-poll-after-insert it does not; then the first walk
 *    after an insertion meets the stale handle, the transport answers
 *    UCB_ERR_CARD_REINSERTED, and the walk (card.c) does not start over.
 *
 * C-APDU count: a transmit that got an answer reached the card; one that
 * failed did not, unless the card logged "removed (fault at C-APDU n)" for
 * it: the program writes that line before it closes the connection, so it
 * is in the pipe when pcscd reports the failure. This is the count
 * vuicc_apdu_count() gives in process.
 *
 * Secrets: the SCP03 key file is written with mode 0600 and never printed;
 * the program's own log names only KVN, key size and i-parameter. Its
 * stderr goes to WORKDIR/simcard.log (and to stdout with RIG_VERBOSE=1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "bridge_rig.h"
#include "uiccboot/err.h"
#include "uiccboot/host.h"

#if !RIG_PCSC
#error "rig_pcsc.c is the PC/SC backend: build it with -DRIG_PCSC=1"
#endif

/* Longest wait for one card event (pcscd polls vpcd every 0.4 s). */
#define WAIT_MS 20000
#define RIG_LINE_MAX 512

struct rig_pcsc {
    struct ucb_pcsc pcsc;
    struct ucb_transport inner;    /* the PC/SC transport, wrapped by r->t */
    uint32_t count;                /* C-APDUs the card received (see above) */
    bool present;                  /* the card is in the reader (as the test sees it) */
};

/* The program serving the card, and what it told us. */
static struct {
    const char *simcard;
    const char *reader;
    const char *vpcd;
    char dir[4096];
    bool own_dir;
    bool verbose;
    bool poll_after_insert;
    const char *faults;            /* --faults: the fault kinds a sweep covers, NULL = all */
    pid_t pid;
    int err_fd;                    /* its stderr (read end, non-blocking) */
    char buf[RIG_LINE_MAX];
    size_t len;
    FILE *log;
    char iccid[21];                /* the card in the reader (the program's view) */
    bool inserted;
    SCARDCONTEXT ctx;
    bool established;
    struct rig *cur;               /* the rig using the card now */
} g = {.pid = -1, .err_fd = -1};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *rig_backend(void)
{
    return "PC/SC";
}

/* ---- the program's stderr ---- */

/* One line from the card program: log it, and note a fault removal. */
static void on_line(const char *line)
{
    static const char pfx[] = "uiccboot-simcard: ";
    if (g.log != NULL) {
        fprintf(g.log, "%s\n", line);
        fflush(g.log);
    }
    if (g.verbose) printf("    [card %llu ms] %s\n", (unsigned long long)(now_ms() % 1000000u), line);
    if (strncmp(line, pfx, sizeof pfx - 1) != 0) return;
    line += sizeof pfx - 1;
    unsigned n;
    if (sscanf(line, "removed (fault at C-APDU %u)", &n) == 1) {
        g.inserted = false;
        if (g.cur != NULL && g.cur->pc != NULL) {
            g.cur->pc->count = n;
            g.cur->pc->present = false;
        }
    }
}

/*
 * Read what the program wrote, waiting at most @p timeout_ms for more.
 * @p want: a line prefix (after "uiccboot-simcard: ") to stop at, or
 * NULL to read only what is there. Returns true when @p want was seen.
 * Fails the test when the program exits or reports a failed reload.
 */
static bool read_lines(const char *want, int timeout_ms)
{
    static const char pfx[] = "uiccboot-simcard: ";
    uint64_t end = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        char *nl;
        while ((nl = memchr(g.buf, '\n', g.len)) != NULL) {
            char line[RIG_LINE_MAX];
            size_t n = (size_t)(nl - g.buf);
            memcpy(line, g.buf, n);
            line[n] = '\0';
            memmove(g.buf, nl + 1, g.len - n - 1);
            g.len -= n + 1;
            on_line(line);
            if (strstr(line, "reload failed") != NULL)
                fail_msg("card program: %s", line + (sizeof pfx - 1));
            if (want != NULL && strncmp(line, pfx, sizeof pfx - 1) == 0 &&
                strncmp(line + sizeof pfx - 1, want, strlen(want)) == 0)
                return true;
        }
        uint64_t t = now_ms();
        int left = t >= end ? 0 : (int)(end - t);
        if (want == NULL) left = 0;
        struct pollfd pfd = {g.err_fd, POLLIN, 0};
        int pr = poll(&pfd, 1, left);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) {
            if (want != NULL) fail_msg("card program: no '%s' line within %d ms", want, timeout_ms);
            return false;
        }
        if (g.len == sizeof g.buf) g.len = 0; /* an overlong line: drop it */
        ssize_t got = read(g.err_fd, g.buf + g.len, sizeof g.buf - g.len);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) {
            int st = 0;
            pid_t w = g.pid > 0 ? waitpid(g.pid, &st, 0) : -1;
            g.pid = -1;
            fail_msg("card program ended (wait %d, status 0x%x) while waiting for '%s'", (int)w,
                     st, want != NULL ? want : "-");
        }
        g.len += (size_t)got;
    }
}

static void card_signal(int sig)
{
    if (g.pid <= 0 || kill(g.pid, sig) != 0) fail_msg("card program not running");
}

/* ---- the reader's state in pcscd ---- */

static DWORD reader_state(void)
{
    SCARD_READERSTATE rs;
    memset(&rs, 0, sizeof rs);
    rs.szReader = g.reader;
    rs.dwCurrentState = SCARD_STATE_UNAWARE;
    LONG rv = SCardGetStatusChange(g.ctx, 0, &rs, 1);
    if (rv != SCARD_S_SUCCESS)
        fail_msg("SCardGetStatusChange(%s): %s", g.reader, pcsc_stringify_error(rv));
    return rs.dwEventState;
}

static uint32_t event_counter(DWORD state)
{
    return (uint32_t)((state >> 16) & 0xFFFFu);
}

static bool card_in(DWORD state)
{
    return (state & SCARD_STATE_PRESENT) && !(state & SCARD_STATE_MUTE);
}

/*
 * Wait until pcscd shows the reader with a card (@p present) whose event
 * counter is not @p old_count (-1: any), or empty (!present). Blocks in
 * SCardGetStatusChange, which returns at pcscd's next change.
 */
static DWORD reader_wait(bool present, long old_count, const char *what)
{
    uint64_t end = now_ms() + WAIT_MS;
    SCARD_READERSTATE rs;
    memset(&rs, 0, sizeof rs);
    rs.szReader = g.reader;
    rs.dwCurrentState = SCARD_STATE_UNAWARE;
    for (;;) {
        uint64_t t = now_ms();
        DWORD left = t >= end ? 0 : (DWORD)(end - t);
        bool first = rs.dwCurrentState == SCARD_STATE_UNAWARE;
        LONG rv = SCardGetStatusChange(g.ctx, first ? 0 : left, &rs, 1);
        if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
            fail_msg("%s: SCardGetStatusChange: %s", what, pcsc_stringify_error(rv));
        DWORD st = rs.dwEventState;
        if (rv == SCARD_S_SUCCESS &&
            (present ? card_in(st) && (old_count < 0 || event_counter(st) != (uint32_t)old_count)
                     : (st & SCARD_STATE_EMPTY) != 0)) {
            if (g.verbose)
                printf("    [reader %llu ms] %s: state 0x%lx after %llu ms\n",
                       (unsigned long long)(now_ms() % 1000000u), what, (unsigned long)st,
                       (unsigned long long)(now_ms() + WAIT_MS - end));
            return st;
        }
        if (now_ms() >= end)
            fail_msg("%s: pcscd did not show the reader %s within %d ms (state 0x%lx)", what,
                     present ? "with the card" : "empty", WAIT_MS, (unsigned long)st);
        /* The full state, event counter included: block until it changes. */
        if (rv == SCARD_S_SUCCESS) rs.dwCurrentState = st & ~(DWORD)SCARD_STATE_CHANGED;
    }
}

/* ---- the card's files ---- */

static void path_of(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", g.dir, name);
    if (n < 0 || (size_t)n >= cap) fail_msg("work directory path too long");
}

static void write_file(const char *name, const void *data, size_t len, mode_t mode)
{
    char path[4200], tmp[4300];
    path_of(path, sizeof path, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) fail_msg("%s: %s", tmp, strerror(errno));
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close(fd);
            fail_msg("%s: write failed", tmp);
        }
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) fail_msg("%s: %s", path, strerror(errno));
}

static void hex(char *out, const uint8_t *b, size_t n)
{
    static const char d[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The SCP03 key file (docs/simcard.md), mode 0600; wiped from memory after. */
static void write_keys(const struct vuicc_scp03_keys *k)
{
    char enc[65], mac[65], dek[65], div[21], doc[400];
    hex(enc, k->enc, k->len);
    hex(mac, k->mac, k->len);
    hex(dek, k->dek, k->len);
    hex(div, k->diversification, sizeof k->diversification);
    int n = snprintf(doc, sizeof doc,
                     "{\"kvn\": %u, \"i\": %u, \"enc\": \"%s\", \"mac\": \"%s\", \"dek\": \"%s\", "
                     "\"diversification\": \"%s\", \"sequence\": %lu}\n",
                     k->kvn, k->i_param, enc, mac, dek, div, (unsigned long)k->sequence);
    if (n > 0 && (size_t)n < sizeof doc) write_file("keys.json", doc, (size_t)n, 0600);
    memset(enc, 0, sizeof enc);
    memset(mac, 0, sizeof mac);
    memset(dek, 0, sizeof dek);
    memset(doc, 0, sizeof doc);
    if (n <= 0 || (size_t)n >= sizeof doc) fail_msg("key file too long");
}

static const char *fault_kind_name(enum vuicc_fault_kind k)
{
    switch (k) {
    case VUICC_FAULT_SW: return "sw";
    case VUICC_FAULT_REMOVE: return "remove";
    case VUICC_FAULT_MUTE: return "mute";
    default: return NULL;
    }
}

/*
 * The profile JSON of r->prof. Only the fields the bridge tests use are
 * serialised; any other field that differs from the default fails the test,
 * so a knob can never be silently lost on the way to the card.
 */
static void write_profile(const struct rig *r)
{
    const struct vuicc_profile *p = &r->prof;
    struct vuicc_profile d;
    vuicc_profile_default(&d);
    memcpy(d.iccid, p->iccid, sizeof d.iccid);
    d.scp03 = p->scp03;
    d.scp03_required = p->scp03_required;
    d.fault_at = p->fault_at;
    d.fault_kind = p->fault_kind;
    d.fault_sw = p->fault_sw;
    d.corrupt_at = p->corrupt_at;
    d.corrupt_byte = p->corrupt_byte;
    d.corrupt_xor = p->corrupt_xor;
    d.delay_at = p->delay_at;
    d.delay_ms = p->delay_ms;
    bool same = memcmp(&d, p, sizeof d) == 0;
    memset(&d.scp03, 0, sizeof d.scp03);
    if (!same) fail_msg("r->prof sets a field the PC/SC rig does not pass to the card");

    const char *kind = fault_kind_name(p->fault_kind);
    /* In process an index without a kind fires nothing; the loader would
     * make it a status word. */
    uint32_t at = kind != NULL ? p->fault_at : 0;
    char doc[1024];
    int n = snprintf(doc, sizeof doc,
                     "{\"description\": \"bridge rig card\", \"iccid\": \"%s\", "
                     "\"scp03_required\": %s, \"faults\": {\"at\": %lu, \"kind\": \"%s\", "
                     "\"sw\": \"%04X\", \"corrupt_at\": %lu, \"corrupt_byte\": %zu, "
                     "\"corrupt_xor\": %u, \"delay_at\": %lu, \"delay_ms\": %lu}%s}\n",
                     p->iccid, p->scp03_required ? "true" : "false", (unsigned long)at,
                     kind != NULL ? kind : "sw", p->fault_sw, (unsigned long)p->corrupt_at,
                     p->corrupt_byte, p->corrupt_xor, (unsigned long)p->delay_at,
                     (unsigned long)p->delay_ms,
                     p->scp03.len != 0 ? ", \"scp03_keys\": \"keys.json\"" : "");
    if (n <= 0 || (size_t)n >= sizeof doc) fail_msg("profile too long");
    if (p->scp03.len != 0) write_keys(&p->scp03);
    write_file("card.json", doc, (size_t)n, 0600);
}

/* ---- the card program ---- */

static void spawn(void)
{
    char prog[4200], bootstrap[4200], profile[4200], vpcd[300];
    snprintf(prog, sizeof prog, "%s", g.simcard);
    path_of(bootstrap, sizeof bootstrap, "card.bin");
    path_of(profile, sizeof profile, "card.json");
    snprintf(vpcd, sizeof vpcd, "--vpcd=%s", g.vpcd);
    int fds[2];
    if (pipe(fds) != 0) fail_msg("pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        /* The card goes with the test program, however that ends. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        char *argv[] = {prog, "--bootstrap", bootstrap, "--profile", profile, vpcd,
                        NULL};
        execv(prog, argv);
        _exit(127);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    g.pid = pid;
    g.err_fd = fds[0];
    g.len = 0;
}

/* The card goes into the reader; returns once pcscd shows it. */
static void insert(struct rig *r)
{
    if (g.inserted) fail_msg("insert: the card is in the reader");
    DWORD st = reader_wait(false, -1, "before insertion");
    card_signal(SIGUSR2);
    read_lines("inserted", WAIT_MS);
    read_lines("connected", WAIT_MS);
    reader_wait(true, (long)event_counter(st), "insertion");
    g.inserted = true;
    r->pc->count = 0;
    r->pc->present = true;
    /* As an application learns of an insertion (uiccboot watch): from the
     * transport's card_event, which reconnects the PC/SC handle. */
    if (g.poll_after_insert && r->pc->inner.card_event != NULL)
        (void)r->pc->inner.card_event(r->pc->inner.ctx);
}

void rig_load_bytes(struct rig *r, const uint8_t *f, size_t len)
{
    if (g.simcard == NULL) fail_msg("rig_setup() was not called with --simcard");
    if (r->pc == NULL) {
        r->pc = calloc(1, sizeof *r->pc);
        assert_non_null(r->pc);
    }
    g.cur = r;
    write_file("card.bin", f, len, 0644);
    write_profile(r);
    bool new_card = !r->loaded;
    if (g.pid <= 0) {
        spawn();
        read_lines("connected", WAIT_MS);
        reader_wait(true, -1, "first card");
        g.inserted = true;
    } else {
        read_lines(NULL, 0);
        bool other = strcmp(g.iccid, r->prof.iccid) != 0;
        long before = g.inserted ? (long)event_counter(reader_state()) : -1;
        card_signal(SIGHUP);
        read_lines("reloaded", WAIT_MS);
        if (other && g.inserted) {
            /* Another card: the program reconnects; wait until pcscd saw it. */
            read_lines("connected", WAIT_MS);
            reader_wait(true, before, "another ICCID");
        }
    }
    memcpy(g.iccid, r->prof.iccid, sizeof g.iccid);
    r->pc->count = 0;
    r->loaded = true;
    if (new_card) {
        r->pc->present = g.inserted;
        if (!g.inserted) insert(r);
    }
}

void rig_card_remove(struct rig *r)
{
    read_lines(NULL, 0);
    if (g.inserted) {
        card_signal(SIGUSR1);
        read_lines("removed", WAIT_MS);
        g.inserted = false;
    }
    reader_wait(false, -1, "removal");
    r->pc->present = false;
}

void rig_card_insert(struct rig *r)
{
    read_lines(NULL, 0);
    if (g.inserted) rig_card_remove(r); /* as vuicc_insert(): out and in again */
    insert(r);
}

bool rig_card_present(const struct rig *r)
{
    read_lines(NULL, 0);
    return r->pc->present;
}

uint32_t rig_apdu_count(const struct rig *r)
{
    read_lines(NULL, 0);
    return r->pc->count;
}

static int counting_transmit(void *ctx, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
                             size_t rapdu_cap, size_t *out_len, uint32_t timeout_ms)
{
    struct rig_pcsc *pc = ctx;
    int rc = pc->inner.transmit(pc->inner.ctx, capdu, capdu_len, rapdu, rapdu_cap, out_len,
                                timeout_ms);
    if (rc == 0)
        pc->count++;
    else
        read_lines(NULL, 0); /* a fault removal, logged before the connection closed */
    return rc;
}

static int pass_reset(void *ctx, uint8_t *atr, size_t atr_cap, size_t *out_len)
{
    struct rig_pcsc *pc = ctx;
    return pc->inner.reset(pc->inner.ctx, atr, atr_cap, out_len);
}

static int pass_card_event(void *ctx)
{
    struct rig_pcsc *pc = ctx;
    return pc->inner.card_event(pc->inner.ctx);
}

void rig_card_transport(struct rig *r)
{
    if (r->pc == NULL || !r->pc->present) fail_msg("rig_wire: no card in the reader");
    /* Power-on state, as a new card in process: reset the card before the
     * transport connects (and records the reader's event counter). */
    SCARDHANDLE h;
    DWORD proto = 0;
    LONG rv = SCardConnect(g.ctx, g.reader, SCARD_SHARE_SHARED,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
    if (rv != SCARD_S_SUCCESS) fail_msg("SCardConnect: %s", pcsc_stringify_error(rv));
    rv = SCardDisconnect(h, SCARD_RESET_CARD);
    if (rv != SCARD_S_SUCCESS) fail_msg("SCardDisconnect(reset): %s", pcsc_stringify_error(rv));
    int rc = ucb_pcsc_open(&r->pc->pcsc, g.reader);
    if (rc != 0) fail_msg("ucb_pcsc_open(%s): %d (%s)", g.reader, rc, ucb_strerror(rc));
    ucb_pcsc_transport(&r->pc->pcsc, &r->pc->inner);
    r->t = r->pc->inner;
    r->t.transmit = counting_transmit;
    r->t.reset = r->pc->inner.reset != NULL ? pass_reset : NULL;
    r->t.card_event = r->pc->inner.card_event != NULL ? pass_card_event : NULL;
    r->t.ctx = r->pc;
}

void rig_card_free(struct rig *r)
{
    if (r->pc == NULL) return;
    ucb_pcsc_close(&r->pc->pcsc);
    free(r->pc);
    r->pc = NULL;
    if (g.cur == r) g.cur = NULL;
}

bool rig_fault_selected(const char *kind)
{
    if (g.faults == NULL) return true;
    size_t n = strlen(kind);
    for (const char *p = g.faults; *p != '\0';) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, kind, n) == 0) return true;
        p += len;
        if (*p == ',') p++;
    }
    return false;
}

/* ---- set-up ---- */

static int usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s --simcard PATH [--workdir DIR] [--reader NAME] [--vpcd HOST:PORT]\n"
            "          [--filter PATTERN] [--skip PATTERN] [--faults sw,remove,corrupt]\n"
            "          [--no-poll-after-insert]\n"
            "Runs the bridge tests with the card in uiccboot-simcard behind pcscd + vpcd\n"
            "(defaults: reader \"Virtual PCD 00 00\", vpcd 127.0.0.1:35963). Needs a\n"
            "running pcscd with the vpcd driver (tests/test_bridge_pcsc.py sets one up).\n",
            prog);
    return 2;
}

int rig_setup(int argc, char **argv)
{
    const char *workdir = NULL;
    g.reader = "Virtual PCD 00 00";
    g.vpcd = "127.0.0.1:35963";
    g.poll_after_insert = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-poll-after-insert") == 0) {
            g.poll_after_insert = false;
            continue;
        }
        if (v == NULL) return usage(argv[0]);
        if (strcmp(a, "--simcard") == 0)
            g.simcard = v;
        else if (strcmp(a, "--workdir") == 0)
            workdir = v;
        else if (strcmp(a, "--reader") == 0)
            g.reader = v;
        else if (strcmp(a, "--vpcd") == 0)
            g.vpcd = v;
        else if (strcmp(a, "--filter") == 0)
            cmocka_set_test_filter(v);
        else if (strcmp(a, "--skip") == 0)
            cmocka_set_skip_filter(v);
        else if (strcmp(a, "--faults") == 0)
            g.faults = v;
        else
            return usage(argv[0]);
        i++;
    }
    if (g.simcard == NULL) return usage(argv[0]);
    if (workdir != NULL) {
        snprintf(g.dir, sizeof g.dir, "%s", workdir);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(g.dir, sizeof g.dir, "%s/ucb-rig-XXXXXX", tmp != NULL ? tmp : "/tmp");
        if (mkdtemp(g.dir) == NULL) {
            fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
            return 1;
        }
        g.own_dir = true;
    }
    g.verbose = getenv("RIG_VERBOSE") != NULL && strcmp(getenv("RIG_VERBOSE"), "1") == 0;
    char log[4200];
    snprintf(log, sizeof log, "%s/simcard.log", g.dir);
    g.log = fopen(log, "a");
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &g.ctx);
    if (rv != SCARD_S_SUCCESS) {
        fprintf(stderr, "SCardEstablishContext: %s (is pcscd running?)\n",
                pcsc_stringify_error(rv));
        return 1;
    }
    g.established = true;
    /* pcscd may still be loading the vpcd driver: wait for the reader. */
    uint64_t end = now_ms() + WAIT_MS;
    for (;;) {
        SCARD_READERSTATE rs;
        memset(&rs, 0, sizeof rs);
        rs.szReader = g.reader;
        rs.dwCurrentState = SCARD_STATE_UNAWARE;
        rv = SCardGetStatusChange(g.ctx, 0, &rs, 1);
        if (rv == SCARD_S_SUCCESS && !(rs.dwEventState & SCARD_STATE_UNKNOWN)) break;
        if (now_ms() >= end) {
            fprintf(stderr, "reader \"%s\" not found: %s\n", g.reader, pcsc_stringify_error(rv));
            return 1;
        }
        usleep(20000);
    }
    printf("bridge rig: card in %s behind pcscd, reader \"%s\", vpcd %s\n", g.simcard, g.reader,
           g.vpcd);
    return 0;
}

void rig_teardown(void)
{
    if (g.pid > 0) {
        kill(g.pid, SIGTERM);
        int st = 0;
        pid_t w = 0;
        for (int i = 0; i < 500 && w == 0; i++) {
            w = waitpid(g.pid, &st, WNOHANG);
            if (w == 0) usleep(10000);
        }
        if (w == 0) {
            kill(g.pid, SIGKILL);
            waitpid(g.pid, &st, 0);
        }
        g.pid = -1;
    }
    if (g.err_fd >= 0) close(g.err_fd);
    g.err_fd = -1;
    if (g.established) SCardReleaseContext(g.ctx);
    g.established = false;
    if (g.log != NULL) fclose(g.log);
    g.log = NULL;
    if (g.own_dir) {
        static const char *const names[] = {"card.bin", "card.json", "keys.json", "simcard.log"};
        char path[4200];
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", g.dir, names[i]);
            unlink(path);
        }
        rmdir(g.dir);
    }
}
