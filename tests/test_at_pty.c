/*
 * The AT transport over a real tty: tests/fake_modem (argv[1]) serves the
 * virtual UICC on a pseudo-terminal, the test opens the slave with
 * ucb_at_fd_open() and reads the bootstrap file through the reader layer
 * (ucb_card_read_bootstrap), in +CSIM and in +CCHO/+CGLA mode, with echo,
 * unsolicited lines and replies in pieces. The POSIX binding itself
 * (deadlines, partial writes, a full output buffer, a vanished modem) is
 * tested over socket pairs and bare ptys.
 *
 * Every fake modem started is killed and reaped by the teardown, also when
 * a test fails.
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"
#include "uiccboot/apdu.h"
#include "uiccboot/at.h"
#include "uiccboot/card.h"
#include "uiccboot/err.h"
#include "uiccboot/host.h"

#define R1 "fixtures/bootstrap/r1-three-accounts.bin"

static const char *fake_modem_path;

/* Children of the running test (fake modems, helpers), reaped in teardown. */
#define MAX_CHILDREN 4
static pid_t children[MAX_CHILDREN];
static size_t n_children;

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void track(pid_t pid)
{
    assert_true(n_children < MAX_CHILDREN);
    children[n_children++] = pid;
}

static int reap_children(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_children; i++) {
        kill(children[i], SIGTERM);
        while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR) {
        }
    }
    n_children = 0;
    return 0;
}

struct modem {
    pid_t pid;
    char tty[256];
};

/* Start fake_modem with the given options (NULL-terminated) and R1. */
static void modem_start(struct modem *m, const char *const *opts)
{
    static char args[24][4096];
    char *argv[24];
    size_t n = 0;
    snprintf(args[n++], sizeof args[0], "%s", fake_modem_path);
    for (; *opts != NULL; opts++) {
        assert_true(n < 20);
        snprintf(args[n++], sizeof args[0], "%s", *opts);
    }
    snprintf(args[n++], sizeof args[0], "--bootstrap");
    snprintf(args[n++], sizeof args[0], "%s/%s", UCB_SOURCE_ROOT, R1);
    for (size_t i = 0; i < n; i++) argv[i] = args[i];
    argv[n] = NULL;

    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    track(pid);
    close(out[1]);
    m->pid = pid;

    /* First line: the slave path. */
    size_t len = 0;
    uint32_t start = now_ms();
    while (len == 0 || m->tty[len - 1] != '\n') {
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        int left = 5000 - (int)(now_ms() - start);
        if (left <= 0 || poll(&p, 1, left) <= 0) fail_msg("fake_modem printed no tty path");
        ssize_t r = read(out[0], m->tty + len, sizeof m->tty - 1 - len);
        if (r <= 0) fail_msg("fake_modem exited before printing its tty path");
        len += (size_t)r;
        assert_true(len < sizeof m->tty - 1);
    }
    m->tty[len - 1] = '\0';
    close(out[0]);
}

struct urcs {
    unsigned n;
    bool saw_at_line;
};

static void on_urc(void *ctx, const char *line, size_t len)
{
    struct urcs *u = ctx;
    u->n++;
    if (len >= 2 && (line[0] == 'A' || line[0] == 'a')) u->saw_at_line = true;
}

struct reader {
    struct ucb_at_fd fd;
    struct ucb_at at;
    struct ucb_apdu a;
    struct urcs urcs;
    uint8_t buf[UCB_BOOTSTRAP_MAX];
};

static void reader_open(struct reader *r, const struct modem *m, enum ucb_at_mode mode)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(ucb_at_fd_open(&r->fd, m->tty, 115200), 0);
    ucb_at_fd_bind(&r->at, &r->fd, mode);
    assert_non_null(r->at.clock);
    r->at.timeout_ms = 3000;
    r->at.urc = on_urc;
    r->at.urc_ctx = &r->urcs;
    struct ucb_transport t;
    ucb_at_transport(&r->at, &t);
    ucb_apdu_init(&r->a, &t);
}

static void reader_close(struct reader *r)
{
    ucb_apdu_deinit(&r->a);
    ucb_at_deinit(&r->at);
    ucb_at_fd_close(&r->fd);
    assert_int_equal(r->fd.fd, -1);
}

/* Read the bootstrap file through the reader layer; it must be R1. */
static void read_and_compare(struct reader *r)
{
    struct ucb_card_info info;
    memset(&info, 0, sizeof info);
    int rc = ucb_card_read_bootstrap(&r->a, NULL, r->buf, sizeof r->buf, &info);
    if (rc < 0) {
        fail_msg("read failed: %d (%s) at step %s, SW %04X, CME %d", rc, ucb_strerror(rc),
                 ucb_card_step_name(info.step), info.sw, r->at.last_cme);
    }
    size_t len;
    uint8_t *exp = test_read_file(R1, &len);
    assert_int_equal((size_t)rc, len);
    assert_memory_equal(r->buf, exp, len);
    free(exp);
    assert_int_equal(info.step, UCB_STEP_DONE);
    assert_true(info.route & UCB_ROUTE_LOGICAL_CHANNEL);
    assert_int_not_equal(info.channel, 0);
}

static void csim_mode_reads_the_bootstrap_file(void **state)
{
    (void)state;
    struct modem m;
    static const char *const opts[] = {"--mode", "csim", NULL};
    modem_start(&m, opts);
    static struct reader r;
    reader_open(&r, &m, UCB_AT_CSIM);
    assert_int_equal(ucb_at_command(&r.at, "AT"), 0);
    read_and_compare(&r);
    assert_int_equal(r.urcs.n, 0);
    reader_close(&r);
}

static void csim_mode_with_echo_urcs_and_replies_in_pieces(void **state)
{
    (void)state;
    struct modem m;
    static const char *const opts[] = {"--mode", "csim", "--echo", "--urc", "--chunk", "16", NULL};
    modem_start(&m, opts);
    static struct reader r;
    reader_open(&r, &m, UCB_AT_CSIM);
    read_and_compare(&r);
    /* one before each answer, one after it (the last one still pending) */
    assert_int_equal(r.urcs.n, 2 * r.a.n_commands - 1);
    assert_false(r.urcs.saw_at_line);
    /* echo off, then the card still answers */
    assert_int_equal(ucb_at_command(&r.at, "ATE0"), 0);
    read_and_compare(&r);
    reader_close(&r);
}

static void cgla_mode_reads_the_bootstrap_file_with_ccho_sessions(void **state)
{
    (void)state;
    struct modem m;
    /* the modem refuses MANAGE CHANNEL through +CSIM in this mode, so the
     * read only works if the channel goes through +CCHO */
    static const char *const opts[] = {"--mode", "cgla", "--session-base", "40", NULL};
    modem_start(&m, opts);
    static struct reader r;
    reader_open(&r, &m, UCB_AT_CGLA);
    read_and_compare(&r);
    read_and_compare(&r);  /* the channel was closed (+CCHC) and is opened again */
    reader_close(&r);
}

static void cgla_mode_with_echo_urcs_and_bare_session_ids(void **state)
{
    (void)state;
    struct modem m;
    static const char *const opts[] = {"--mode", "cgla", "--echo", "--urc",
                                       "--ccho-style", "bare", "--chunk", "64", NULL};
    modem_start(&m, opts);
    static struct reader r;
    reader_open(&r, &m, UCB_AT_CGLA);
    read_and_compare(&r);
    assert_true(r.urcs.n > 0);
    assert_false(r.urcs.saw_at_line);
    reader_close(&r);
}

/* A T=0 card answers SELECT with 61xx: the engine's GET RESPONSE goes
 * through +CSIM on the basic channel and through +CGLA on a session. */
static void t0_card_reads_in_both_modes(void **state)
{
    (void)state;
    static char profile[4096];
    snprintf(profile, sizeof profile, "%s/fixtures/cards/t0.json", UCB_SOURCE_ROOT);
    for (int mode = 0; mode < 2; mode++) {
        struct modem m;
        const char *const opts[] = {"--mode", mode ? "cgla" : "csim", "--profile", profile, NULL};
        modem_start(&m, opts);
        static struct reader r;
        reader_open(&r, &m, mode ? UCB_AT_CGLA : UCB_AT_CSIM);
        read_and_compare(&r);
        reader_close(&r);
    }
}

static void csim_mode_on_a_modem_that_keeps_channels_fails_cleanly(void **state)
{
    (void)state;
    struct modem m;
    static const char *const opts[] = {"--mode", "cgla", NULL};
    modem_start(&m, opts);
    static struct reader r;
    reader_open(&r, &m, UCB_AT_CSIM);
    struct ucb_card_info info;
    int rc = ucb_card_read_bootstrap(&r.a, NULL, r.buf, sizeof r.buf, &info);
    assert_int_equal(rc, UCB_ERR_MODEM);
    assert_int_equal(info.step, UCB_STEP_OPEN_CHANNEL);
    assert_int_equal(r.at.last_cme, 4);
    reader_close(&r);
}

static void cme_error_mid_read_gives_modem_error_and_the_next_read_works(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        struct modem m;
        const char *const opts[] = {"--mode", mode ? "cgla" : "csim", "--cme-at", "4", NULL};
        modem_start(&m, opts);
        static struct reader r;
        reader_open(&r, &m, mode ? UCB_AT_CGLA : UCB_AT_CSIM);
        struct ucb_card_info info;
        int rc = ucb_card_read_bootstrap(&r.a, NULL, r.buf, sizeof r.buf, &info);
        assert_int_equal(rc, UCB_ERR_MODEM);
        assert_int_equal(r.at.last_cme, 10);
        assert_int_not_equal(info.step, UCB_STEP_DONE);
        read_and_compare(&r);
        reader_close(&r);
    }
}

static void raw_apdus_through_the_engine(void **state)
{
    (void)state;
    struct modem m;
    static const char *const opts[] = {"--mode", "csim", "--urc", NULL};
    modem_start(&m, opts);
    static struct reader r;
    reader_open(&r, &m, UCB_AT_CSIM);
    /* SELECT EF ICCID 2FE2 from the MF, READ BINARY 10 bytes */
    static const uint8_t fid[] = {0x2F, 0xE2};
    struct ucb_capdu sel = {.cla = 0x00, .ins = 0xA4, .p1 = 0x00, .p2 = 0x0C, .data = fid, .lc = 2};
    uint8_t data[UCB_APDU_MAX_NE];
    struct ucb_rapdu resp = {.data = data, .cap = sizeof data};
    assert_int_equal(ucb_apdu_transmit(&r.a, &sel, &resp), 0);
    assert_int_equal(resp.sw, 0x9000);
    struct ucb_capdu rd = {.cla = 0x00, .ins = 0xB0, .ne = 10};
    assert_int_equal(ucb_apdu_transmit(&r.a, &rd, &resp), 0);
    assert_int_equal(resp.sw, 0x9000);
    assert_int_equal(resp.len, 10);
    static const uint8_t iccid[] = {0x98, 0x88, 0x12, 0x01, 0x00, 0x00, 0x40, 0x03, 0x10, 0xF0};
    assert_memory_equal(data, iccid, sizeof iccid);
    reader_close(&r);
}

static void modem_gone_gives_transport_error_at_once(void **state)
{
    (void)state;
    struct modem m;
    static const char *const opts[] = {"--mode", "csim", NULL};
    modem_start(&m, opts);
    static struct reader r;
    reader_open(&r, &m, UCB_AT_CSIM);
    assert_int_equal(ucb_at_command(&r.at, "AT"), 0);
    kill(m.pid, SIGKILL);
    while (waitpid(m.pid, NULL, 0) < 0 && errno == EINTR) {
    }
    n_children = 0;
    uint32_t t0 = now_ms();
    int rc = ucb_at_command(&r.at, "AT");
    assert_int_equal(rc, UCB_ERR_TRANSPORT);
    assert_true(now_ms() - t0 < 1000);  /* not a 3 s deadline */
    reader_close(&r);
}

static void fake_modem_exits_when_the_reader_closes_the_tty(void **state)
{
    (void)state;
    struct modem m;
    static const char *const opts[] = {"--mode", "csim", NULL};
    modem_start(&m, opts);
    static struct reader r;
    reader_open(&r, &m, UCB_AT_CSIM);
    assert_int_equal(ucb_at_command(&r.at, "AT"), 0);
    reader_close(&r);
    int status = -1;
    uint32_t t0 = now_ms();
    pid_t got = 0;
    while (got == 0 && now_ms() - t0 < 3000) {
        got = waitpid(m.pid, &status, WNOHANG);
        if (got == 0) usleep(10000);
    }
    assert_int_equal(got, m.pid);
    n_children = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ------------------------------------------------- the POSIX fd binding */

static void fd_open_refuses_bad_baud_and_missing_device(void **state)
{
    (void)state;
    struct ucb_at_fd f;
    assert_int_equal(ucb_at_fd_open(&f, "/dev/null", 12345), UCB_ERR_ARG);
    assert_int_equal(f.fd, -1);
    assert_int_equal(ucb_at_fd_open(&f, "/nonexistent/tty", 115200), UCB_ERR_TRANSPORT);
    assert_int_equal(ucb_at_fd_open(&f, "", 0), UCB_ERR_ARG);
    assert_int_equal(ucb_at_fd_open(&f, NULL, 0), UCB_ERR_ARG);
    assert_int_equal(ucb_at_fd_open(NULL, "/dev/null", 0), UCB_ERR_ARG);
    /* not a terminal: fine without a speed, refused with one */
    assert_int_equal(ucb_at_fd_open(&f, "/dev/null", 9600), UCB_ERR_ARG);
    assert_int_equal(ucb_at_fd_open(&f, "/dev/null", 0), 0);
    assert_true(f.owned);
    ucb_at_fd_close(&f);
    ucb_at_fd_close(&f);
    ucb_at_fd_close(NULL);
}

static void fd_open_sets_every_standard_speed_on_a_tty(void **state)
{
    (void)state;
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    const char *slave = ptsname(master);
    static const unsigned speeds[] = {0, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600};
    for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++) {
        struct ucb_at_fd f;
        int rc = ucb_at_fd_open(&f, slave, speeds[i]);
        if (rc != 0) fail_msg("baud %u: rc %d", speeds[i], rc);
        ucb_at_fd_close(&f);
    }
    close(master);
}

static void wrapped_fd_is_not_closed(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct ucb_at_fd f;
    ucb_at_fd_wrap(&f, sv[0]);
    assert_false(f.owned);
    ucb_at_fd_close(&f);
    assert_true(fcntl(sv[0], F_GETFD) >= 0);
    close(sv[0]);
    close(sv[1]);
}

static void silent_modem_times_out_at_the_deadline(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct ucb_at_fd f;
    ucb_at_fd_wrap(&f, sv[0]);
    struct ucb_at at;
    ucb_at_fd_bind(&at, &f, UCB_AT_CSIM);
    at.timeout_ms = 300;
    uint32_t t0 = now_ms();
    assert_int_equal(ucb_at_command(&at, "AT"), UCB_ERR_TIMEOUT);
    uint32_t took = now_ms() - t0;
    assert_true(took >= 290 && took < 1500);
    char got[16] = "";
    assert_int_equal(read(sv[1], got, sizeof got - 1), 3);
    assert_string_equal(got, "AT\r");
    close(sv[0]);
    close(sv[1]);
}

static void deadline_covers_a_modem_that_keeps_talking(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        for (int i = 0; i < 400; i++) {
            if (write(sv[1], "+CEREG: 1\r\n", 11) != 11) _exit(0);
            usleep(5000);
        }
        _exit(0);
    }
    track(pid);
    close(sv[1]);
    struct ucb_at_fd f;
    ucb_at_fd_wrap(&f, sv[0]);
    struct ucb_at at;
    ucb_at_fd_bind(&at, &f, UCB_AT_CSIM);
    at.timeout_ms = 300;
    uint32_t t0 = now_ms();
    assert_int_equal(ucb_at_command(&at, "AT"), UCB_ERR_TIMEOUT);
    uint32_t took = now_ms() - t0;
    assert_true(took >= 290 && took < 1500);
    close(sv[0]);
}

static void full_output_buffer_gives_timeout(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int fl = fcntl(sv[0], F_GETFL);
    fcntl(sv[0], F_SETFL, fl | O_NONBLOCK);
    char junk[4096];
    memset(junk, 'x', sizeof junk);
    while (write(sv[0], junk, sizeof junk) > 0) {
    }
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    struct ucb_at_fd f;
    ucb_at_fd_wrap(&f, sv[0]);
    struct ucb_at at;
    ucb_at_fd_bind(&at, &f, UCB_AT_CSIM);
    at.timeout_ms = 200;
    uint32_t t0 = now_ms();
    assert_int_equal(ucb_at_command(&at, "AT"), UCB_ERR_TIMEOUT);
    assert_true(now_ms() - t0 >= 190);
    close(sv[0]);
    close(sv[1]);
}

/* A peer that reads slowly in small pieces: the command arrives whole
 * through many partial writes, and its answer is read. */
static void long_command_survives_partial_writes(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int small = 1;  /* the kernel rounds it up to its minimum */
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    int fl = fcntl(sv[0], F_GETFL);
    fcntl(sv[0], F_SETFL, fl | O_NONBLOCK);

    char cmd[UCB_AT_CMD_MAX];
    size_t n = (size_t)snprintf(cmd, sizeof cmd, "AT+TEST=\"");
    while (n < UCB_AT_CMD_MAX - 4) {
        cmd[n] = (char)('A' + n % 26);
        n++;
    }
    cmd[n++] = '"';
    cmd[n] = '\0';

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        char got[UCB_AT_CMD_MAX + 8];
        size_t len = 0;
        while (len == 0 || got[len - 1] != '\r') {
            ssize_t r = read(sv[1], got + len, 7);
            if (r <= 0) _exit(3);
            len += (size_t)r;
            usleep(1000);
        }
        bool same = len == n + 1 && memcmp(got, cmd, n) == 0;
        const char *answer = same ? "\r\nOK\r\n" : "\r\nERROR\r\n";
        if (write(sv[1], answer, strlen(answer)) < 0) _exit(4);
        _exit(0);
    }
    track(pid);
    close(sv[1]);
    struct ucb_at_fd f;
    ucb_at_fd_wrap(&f, sv[0]);
    struct ucb_at at;
    ucb_at_fd_bind(&at, &f, UCB_AT_CSIM);
    at.timeout_ms = 5000;
    assert_int_equal(ucb_at_command(&at, cmd), 0);
    close(sv[0]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-fake_modem\n", argv[0]);
        return 2;
    }
    fake_modem_path = argv[1];
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(csim_mode_reads_the_bootstrap_file, reap_children),
        cmocka_unit_test_teardown(csim_mode_with_echo_urcs_and_replies_in_pieces, reap_children),
        cmocka_unit_test_teardown(cgla_mode_reads_the_bootstrap_file_with_ccho_sessions, reap_children),
        cmocka_unit_test_teardown(cgla_mode_with_echo_urcs_and_bare_session_ids, reap_children),
        cmocka_unit_test_teardown(t0_card_reads_in_both_modes, reap_children),
        cmocka_unit_test_teardown(csim_mode_on_a_modem_that_keeps_channels_fails_cleanly, reap_children),
        cmocka_unit_test_teardown(cme_error_mid_read_gives_modem_error_and_the_next_read_works,
                                  reap_children),
        cmocka_unit_test_teardown(raw_apdus_through_the_engine, reap_children),
        cmocka_unit_test_teardown(modem_gone_gives_transport_error_at_once, reap_children),
        cmocka_unit_test_teardown(fake_modem_exits_when_the_reader_closes_the_tty, reap_children),
        cmocka_unit_test_teardown(fd_open_refuses_bad_baud_and_missing_device, reap_children),
        cmocka_unit_test_teardown(fd_open_sets_every_standard_speed_on_a_tty, reap_children),
        cmocka_unit_test_teardown(wrapped_fd_is_not_closed, reap_children),
        cmocka_unit_test_teardown(silent_modem_times_out_at_the_deadline, reap_children),
        cmocka_unit_test_teardown(deadline_covers_a_modem_that_keeps_talking, reap_children),
        cmocka_unit_test_teardown(full_output_buffer_gives_timeout, reap_children),
        cmocka_unit_test_teardown(long_command_survives_partial_writes, reap_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
