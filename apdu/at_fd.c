/*
 * The AT transport over a POSIX file descriptor: a serial device opened
 * raw, a pty, or any fd the caller already has. poll() gives the deadlines
 * (the read callback waits at most the time left, the write callback
 * finishes partial writes and waits on EAGAIN), and CLOCK_MONOTONIC is the
 * at.h clock, so one command's deadline covers its whole exchange.
 *
 * No allocation, no printing: this is library code (uiccboot-host).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "uiccboot/err.h"
#include "uiccboot/host.h"

static uint32_t fd_clock(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static int poll_ms(uint32_t ms)
{
    return ms > (uint32_t)INT_MAX ? INT_MAX : (int)ms;
}

/* Time left of `timeout_ms` since `start`, 0 when it has passed. */
static uint32_t time_left(uint32_t start, uint32_t timeout_ms)
{
    uint32_t elapsed = fd_clock(NULL) - start;
    return elapsed >= timeout_ms ? 0u : timeout_ms - elapsed;
}

/* poll() for `events`: 1 ready, 0 timed out, UCB_ERR_TRANSPORT on hang-up or error. */
static int wait_fd(int fd, short events, uint32_t start, uint32_t timeout_ms)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events, .revents = 0};
        int n = poll(&p, 1, poll_ms(time_left(start, timeout_ms)));
        if (n < 0) {
            if (errno == EINTR) continue;
            return UCB_ERR_TRANSPORT;
        }
        if (n == 0) return 0;
        if (p.revents & events) return 1;
        /* POLLHUP without data: the other end (modem, pty master) is gone. */
        return UCB_ERR_TRANSPORT;
    }
}

static int fd_read(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    struct ucb_at_fd *f = ctx;
    if (f == NULL || f->fd < 0 || buf == NULL || cap == 0) return UCB_ERR_TRANSPORT;
    if (cap > (size_t)INT_MAX) cap = (size_t)INT_MAX;
    uint32_t start = fd_clock(NULL);
    for (;;) {
        int w = wait_fd(f->fd, POLLIN, start, timeout_ms);
        if (w == 0) return UCB_ERR_TIMEOUT;
        if (w < 0) return w;
        ssize_t n = read(f->fd, buf, cap);
        if (n > 0) return (int)n;
        if (n == 0) return UCB_ERR_TRANSPORT;  /* end of file */
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return UCB_ERR_TRANSPORT;
        if (time_left(start, timeout_ms) == 0) return UCB_ERR_TIMEOUT;
    }
}

static int fd_write(void *ctx, const uint8_t *bytes, size_t len, uint32_t timeout_ms)
{
    struct ucb_at_fd *f = ctx;
    if (f == NULL || f->fd < 0 || (bytes == NULL && len != 0)) return UCB_ERR_TRANSPORT;
    uint32_t start = fd_clock(NULL);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(f->fd, bytes + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return UCB_ERR_TRANSPORT;
        /* Output buffer full (or a zero-byte write): wait until it drains. */
        int w = wait_fd(f->fd, POLLOUT, start, timeout_ms);
        if (w == 0) return UCB_ERR_TIMEOUT;
        if (w < 0) return w;
    }
    return 0;
}

/* termios speed for a baud rate; false for one outside the table. */
static bool baud_speed(unsigned baud, speed_t *out)
{
    static const struct {
        unsigned baud;
        speed_t speed;
    } table[] = {
        {9600u, B9600},     {19200u, B19200},   {38400u, B38400},   {57600u, B57600},
        {115200u, B115200}, {230400u, B230400},
#ifdef B460800
        {460800u, B460800},
#endif
#ifdef B921600
        {921600u, B921600},
#endif
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (table[i].baud == baud) {
            *out = table[i].speed;
            return true;
        }
    }
    return false;
}

int ucb_at_fd_open(struct ucb_at_fd *f, const char *device, unsigned baud)
{
    if (f == NULL) return UCB_ERR_ARG;
    f->fd = -1;
    f->owned = false;
    if (device == NULL || device[0] == '\0') return UCB_ERR_ARG;
    speed_t speed = 0;
    if (baud != 0 && !baud_speed(baud, &speed)) return UCB_ERR_ARG;

    /* O_NOCTTY: a modem must never become our controlling terminal.
     * O_NONBLOCK: every wait is a poll() with a deadline. */
    int fd = open(device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return UCB_ERR_TRANSPORT;

    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        /* Raw 8N1: no line editing, no echo, no CR/LF translation, no
         * XON/XOFF (0x11/0x13 are data) and no RTS/CTS. */
        cfmakeraw(&t);
        t.c_cflag &= (tcflag_t) ~(PARENB | CSTOPB | CSIZE | CRTSCTS);
        t.c_cflag |= (tcflag_t)(CS8 | CLOCAL | CREAD);
        t.c_iflag &= (tcflag_t) ~(IXON | IXOFF | IXANY);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        if (baud != 0 && (cfsetispeed(&t, speed) != 0 || cfsetospeed(&t, speed) != 0)) {
            close(fd);
            return UCB_ERR_TRANSPORT;
        }
        if (tcsetattr(fd, TCSANOW, &t) != 0) {
            close(fd);
            return UCB_ERR_TRANSPORT;
        }
        /* Whatever the modem said before we came is not an answer to us. */
        (void)tcflush(fd, TCIFLUSH);
    } else {
        /* Not a terminal (a FIFO, a socket) is fine, but it has no speed. */
        int err = errno;
        if (err != ENOTTY || baud != 0) {
            close(fd);
            return err == ENOTTY ? UCB_ERR_ARG : UCB_ERR_TRANSPORT;
        }
    }
    f->fd = fd;
    f->owned = true;
    return 0;
}

void ucb_at_fd_wrap(struct ucb_at_fd *f, int fd)
{
    if (f == NULL) return;
    f->fd = fd;
    f->owned = false;
}

void ucb_at_fd_close(struct ucb_at_fd *f)
{
    if (f == NULL) return;
    if (f->owned && f->fd >= 0) (void)close(f->fd);
    f->fd = -1;
    f->owned = false;
}

void ucb_at_fd_bind(struct ucb_at *at, struct ucb_at_fd *f, enum ucb_at_mode mode)
{
    if (at == NULL) return;
    ucb_at_init(at, fd_read, fd_write, f, mode);
    at->clock = fd_clock;
}
