/*
 * The adapter contract suite (adapter_contract.h) against a real Anjay
 * (adapter_anjay.h), then what is particular to Anjay:
 * - Anjay loads the servers of the adapter's objects and registers with a
 *   LwM2M server on loopback (a minimal CoAP responder below), whose Read
 *   of /1/x/1 sees the Lifetime the card wrote;
 * - a disable the bridge rolls back before Anjay ran it leaves the server
 *   enabled (adapter.h, core-fit D2); a plain disable de-registers;
 * - a card applied through the bridge (ref bootstrap file) lands in Anjay.
 * Exits non-zero on any failure. Built only with -Danjay=PREFIX.
 */
#include <anjay/anjay.h>
#include <avsystem/commons/avs_log.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapter_contract.h"
#include "uiccboot/adapter_anjay.h"
#include "uiccboot/bootstrap.h"
#include "uiccboot/bridge.h"
#include "uiccboot/err.h"
#include "uiccboot/tlv.h"

static int failures;

#define CHECK(cond)                                                               \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "contract_anjay.c:%d: check failed: %s\n", __LINE__, #cond); \
            failures++;                                                           \
        }                                                                         \
    } while (0)

/* IPSO Temperature: the other object the contract fills. */
static uint8_t temp_type(uint16_t oid, uint16_t rid)
{
    if (oid == 3303 && rid == 5700)
        return UCB_TYPE_FLOAT;
    if (oid == 3303 && rid == 5701)
        return UCB_TYPE_STRING;
    return UCB_TYPE_OPAQUE;
}

/* ---- a minimal LwM2M server on loopback (CoAP over UDP, RFC 7252) ------ */

struct fake_server {
    int fd;
    uint16_t port;
    struct sockaddr_in peer;
    bool have_peer;
    uint16_t mid;
    unsigned registers, updates, deregisters;
    uint8_t last_payload[1024];
    size_t last_payload_len;
    /* Anjay sends De-register synchronously inside anjay_sched_run(): the
     * server answers from its own thread. Everything above and below is
     * shared under `lock`. */
    pthread_t thread;
    pthread_mutex_t lock;
    volatile bool stop;
    bool have_answer;       /* answer to the server's own request (token 0x7A) */
    uint8_t answer_code;
    char answer[256];
};

static void *fake_thread(void *arg);

static int fake_open(struct fake_server *s)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    memset(s, 0, sizeof(*s));
    s->mid = 0x4000;
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (s->fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    s->port = ntohs(sa.sin_port);
    pthread_mutex_init(&s->lock, NULL);
    return pthread_create(&s->thread, NULL, fake_thread, s) == 0 ? 0 : -1;
}

/* Parsed CoAP message: the parts the fake server looks at. */
struct coap_msg {
    uint8_t type, code, tkl;
    uint16_t mid;
    uint8_t token[8];
    char path[64];       /* Uri-Path segments joined by '/' */
    bool has_observe;
    const uint8_t *payload;
    size_t payload_len;
};

static bool coap_parse(const uint8_t *b, size_t n, struct coap_msg *m)
{
    size_t i = 4;
    unsigned opt = 0;

    memset(m, 0, sizeof(*m));
    if (n < 4 || (b[0] >> 6) != 1)
        return false;
    m->type = (uint8_t)((b[0] >> 4) & 3);
    m->tkl = (uint8_t)(b[0] & 15);
    m->code = b[1];
    m->mid = (uint16_t)(b[2] << 8 | b[3]);
    if (m->tkl > 8 || i + m->tkl > n)
        return false;
    memcpy(m->token, b + i, m->tkl);
    i += m->tkl;
    while (i < n && b[i] != 0xFF) {
        unsigned d = b[i] >> 4, l = b[i] & 15;
        i++;
        if (d == 13) { d = 13u + b[i]; i++; }
        else if (d == 14) { d = 269u + (unsigned)(b[i] << 8 | b[i + 1]); i += 2; }
        if (l == 13) { l = 13u + b[i]; i++; }
        else if (l == 14) { l = 269u + (unsigned)(b[i] << 8 | b[i + 1]); i += 2; }
        if (d == 15 || l == 15 || i + l > n)
            return false;
        opt += d;
        if (opt == 11 && strlen(m->path) + l + 2 < sizeof(m->path)) {
            if (m->path[0] != '\0')
                strcat(m->path, "/");
            strncat(m->path, (const char *)b + i, l);
        }
        if (opt == 6)
            m->has_observe = true;
        i += l;
    }
    if (i < n) {
        m->payload = b + i + 1;
        m->payload_len = n - i - 1;
    }
    return true;
}

static void fake_send(struct fake_server *s, const uint8_t *b, size_t n)
{
    (void)sendto(s->fd, b, n, 0, (const struct sockaddr *)&s->peer, sizeof(s->peer));
}

/* ACK (piggybacked response) with @p code and optional Location-Path rd/5. */
static void fake_ack(struct fake_server *s, const struct coap_msg *m, uint8_t code, bool location)
{
    uint8_t b[32];
    size_t n = 0;

    b[n++] = (uint8_t)(0x60 | m->tkl);
    b[n++] = code;
    b[n++] = (uint8_t)(m->mid >> 8);
    b[n++] = (uint8_t)m->mid;
    memcpy(b + n, m->token, m->tkl);
    n += m->tkl;
    if (location) {
        b[n++] = 0x82; /* option 8 Location-Path, 2 bytes */
        b[n++] = 'r';
        b[n++] = 'd';
        b[n++] = 0x01;
        b[n++] = '5';
    }
    fake_send(s, b, n);
}

/* Answer what Anjay sent; @return the parsed request's code, 0 when nothing came. */
static int fake_serve(struct fake_server *s, int timeout_ms, struct coap_msg *out)
{
    struct pollfd p = {s->fd, POLLIN, 0};
    static uint8_t b[2048];
    socklen_t sl = sizeof(s->peer);
    struct coap_msg m;
    ssize_t n;

    if (poll(&p, 1, timeout_ms) <= 0)
        return 0;
    n = recvfrom(s->fd, b, sizeof(b), 0, (struct sockaddr *)&s->peer, &sl);
    if (n <= 0 || !coap_parse(b, (size_t)n, &m))
        return 0;
    pthread_mutex_lock(&s->lock);
    s->have_peer = true;
    if (out != NULL)
        *out = m;
    if (m.type == 2 && m.tkl == 1 && m.token[0] == 0x7A) { /* answer to fake_read() */
        s->answer_code = m.code;
        s->answer[0] = '\0';
        if (m.payload_len != 0 && m.payload_len < sizeof(s->answer)) {
            memcpy(s->answer, m.payload, m.payload_len);
            s->answer[m.payload_len] = '\0';
        }
        s->have_answer = true;
    } else if (m.type == 0 && m.code == 0x02 && strcmp(m.path, "rd") == 0) { /* Register */
        s->registers++;
        s->last_payload_len = m.payload_len < sizeof(s->last_payload) ? m.payload_len : 0;
        if (s->last_payload_len != 0)
            memcpy(s->last_payload, m.payload, s->last_payload_len);
        fake_ack(s, &m, 0x41, true); /* 2.01 Created */
    } else if (m.type == 0 && m.code == 0x02) { /* Update */
        s->updates++;
        fake_ack(s, &m, 0x44, false); /* 2.04 Changed */
    } else if (m.type == 0 && m.code == 0x04) { /* De-register */
        s->deregisters++;
        fake_ack(s, &m, 0x42, false); /* 2.02 Deleted */
    } else if (m.type == 0) {
        fake_ack(s, &m, 0x44, false);
    }
    pthread_mutex_unlock(&s->lock);
    return m.code == 0 ? -1 : m.code;
}

static void *fake_thread(void *arg)
{
    struct fake_server *s = arg;

    while (!s->stop)
        (void)fake_serve(s, 20, NULL);
    return NULL;
}

static unsigned count_of(struct fake_server *s, const unsigned *counter)
{
    unsigned v;

    pthread_mutex_lock(&s->lock);
    v = *counter;
    pthread_mutex_unlock(&s->lock);
    return v;
}

/* Run Anjay and the fake server together for about @p ms. */
static void pump(anjay_t *anjay, struct fake_server *s, int ms)
{
    for (int t = 0; t < ms; t += 10) {
        (void)s;
        anjay_sched_run(anjay);
        anjay_serve_any(anjay, avs_time_duration_from_scalar(10, AVS_TIME_MS));
    }
}

/* The server sends a CON GET /path (Accept text/plain); @return Anjay's answer as text. */
static bool fake_read(anjay_t *anjay, struct fake_server *s, const char *a, const char *b2,
                      const char *c, char *out, size_t cap)
{
    uint8_t b[64];
    size_t n = 0;
    const char *seg[3] = {a, b2, c};
    unsigned last = 0;

    b[n++] = 0x41; /* CON, token length 1 */
    b[n++] = 0x01; /* GET */
    b[n++] = (uint8_t)(s->mid >> 8);
    b[n++] = (uint8_t)s->mid;
    s->mid++;
    b[n++] = 0x7A; /* token */
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(seg[i]);
        b[n++] = (uint8_t)(((11 - last) << 4) | l);
        memcpy(b + n, seg[i], l);
        n += l;
        last = 11;
    }
    b[n++] = (uint8_t)((17 - 11) << 4); /* Accept (17): empty = 0, text/plain */
    pthread_mutex_lock(&s->lock);
    s->have_answer = false;
    pthread_mutex_unlock(&s->lock);
    fake_send(s, b, n);
    for (int t = 0; t < 200; t++) {
        bool done, ok = false;
        anjay_serve_any(anjay, avs_time_duration_from_scalar(5, AVS_TIME_MS));
        anjay_sched_run(anjay);
        pthread_mutex_lock(&s->lock);
        done = s->have_answer;
        if (done && s->answer_code == 0x45 && strlen(s->answer) < cap) {
            strcpy(out, s->answer);
            ok = true;
        }
        pthread_mutex_unlock(&s->lock);
        if (done)
            return ok;
    }
    return false;
}

/* ---- payloads --------------------------------------------------------- */

static size_t security_tlv(uint8_t *buf, size_t cap, uint16_t port, uint16_t ssid)
{
    struct ucb_tlv_writer w;
    char uri[64];

    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", (unsigned)port);
    ucb_tlv_writer_init(&w, buf, cap);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 0, uri, strlen(uri));
    ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 1, false);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 2, 3); /* NoSec */
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 3, "", 0);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 4, "", 0);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 5, "", 0);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 10, ssid);
    int n = ucb_tlv_writer_finish(&w);
    return n < 0 ? 0 : (size_t)n;
}

static size_t server_tlv(uint8_t *buf, size_t cap, uint16_t ssid, int64_t lifetime)
{
    struct ucb_tlv_writer w;

    ucb_tlv_writer_init(&w, buf, cap);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 0, ssid);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 1, lifetime);
    ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 6, false);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 7, "U", 1);
    int n = ucb_tlv_writer_finish(&w);
    return n < 0 ? 0 : (size_t)n;
}

/* ---- the harness ------------------------------------------------------ */

struct harness {
    anjay_t *anjay;
    struct ucb_anjay ad;
    struct ucb_adapter adapter;
    struct fake_server srv;
};

static bool registered(anjay_t *anjay, uint16_t ssid)
{
    return avs_time_real_valid(anjay_registration_expiration_time(anjay, ssid));
}

static bool suspended(anjay_t *anjay, uint16_t ssid)
{
    return anjay_get_server_connection_status(anjay, ssid) == ANJAY_SERV_CONN_STATUS_SUSPENDED;
}

/* Anjay reads the adapter's objects, connects and registers; the server reads /1/x/1. */
static void check_registration(struct harness *h)
{
    const struct ucb_adapter_ops *o = h->adapter.ops;
    uint8_t tlv[256];
    char text[64];
    size_t n;

    n = security_tlv(tlv, sizeof(tlv), h->srv.port, 7);
    CHECK(o->create(h->adapter.ctx, 0, 1, tlv, n) == 0);
    n = server_tlv(tlv, sizeof(tlv), 7, 4321);
    CHECK(o->create(h->adapter.ctx, 1, 1, tlv, n) == 0);
    CHECK(o->commit(h->adapter.ctx) == 0);
    pump(h->anjay, &h->srv, 1500);
    CHECK(count_of(&h->srv, &h->srv.registers) == 1);
    CHECK(registered(h->anjay, 7));
    /* the Register lists the instances of the adapter's objects */
    pthread_mutex_lock(&h->srv.lock);
    h->srv.last_payload[h->srv.last_payload_len < sizeof(h->srv.last_payload)
                            ? h->srv.last_payload_len : sizeof(h->srv.last_payload) - 1] = 0;
    CHECK(strstr((const char *)h->srv.last_payload, "</1/1>") != NULL);
    pthread_mutex_unlock(&h->srv.lock);
    CHECK(fake_read(h->anjay, &h->srv, "1", "1", "1", text, sizeof(text)) &&
          strcmp(text, "4321") == 0);
    CHECK(fake_read(h->anjay, &h->srv, "1", "1", "7", text, sizeof(text)) &&
          strcmp(text, "U") == 0);
    /* a Device Management server may not read the Security object */
    CHECK(!fake_read(h->anjay, &h->srv, "0", "1", "0", text, sizeof(text)));

    /*
     * The hook before anjay_sched_run(): nothing due (registered, Lifetime
     * 4321 s), no call into the bridge; an Update due, a call into
     * ucb_bridge_before_update(), which this bridge, never started, answers
     * with UCB_ERR_STATE.
     */
    {
        static struct ucb_bridge b;
        struct ucb_bridge_config bc;
        memset(&bc, 0, sizeof(bc));
        ucb_bridge_init(&b, &bc);
        CHECK(ucb_anjay_before_sched_run(&h->ad, &b) == 0);
        CHECK(anjay_schedule_registration_update(h->anjay, 7) == 0);
        CHECK(ucb_anjay_before_sched_run(&h->ad, &b) == UCB_ERR_STATE);
        pump(h->anjay, &h->srv, 300);
        CHECK(ucb_anjay_before_sched_run(&h->ad, &b) == 0);
        CHECK(ucb_anjay_before_sched_run(NULL, &b) == UCB_ERR_ARG);
        ucb_bridge_deinit(&b);
    }
}

/* adapter.h: an enable that follows a disable Anjay has not run yet leaves the server enabled. */
static void check_disable_rollback(struct harness *h)
{
    const struct ucb_adapter_ops *o = h->adapter.ops;
    unsigned regs = count_of(&h->srv, &h->srv.registers);

    CHECK(o->disable_server(h->adapter.ctx, 7) == 0);
    CHECK(o->enable_server(h->adapter.ctx, 7) == 0);
    CHECK(o->commit(h->adapter.ctx) == 0);
    pump(h->anjay, &h->srv, 1500);
    CHECK(!suspended(h->anjay, 7));
    CHECK(registered(h->anjay, 7));
    CHECK(count_of(&h->srv, &h->srv.registers) > regs); /* de-registered, then registered again */

    /* A plain disable: Anjay de-registers and stays silent until enabled. */
    unsigned deregs = count_of(&h->srv, &h->srv.deregisters);
    CHECK(o->disable_server(h->adapter.ctx, 7) == 0);
    CHECK(o->commit(h->adapter.ctx) == 0);
    pump(h->anjay, &h->srv, 500);
    CHECK(count_of(&h->srv, &h->srv.deregisters) == deregs + 1);
    CHECK(!registered(h->anjay, 7));
    CHECK(suspended(h->anjay, 7));
    regs = count_of(&h->srv, &h->srv.registers);
    CHECK(o->enable_server(h->adapter.ctx, 7) == 0);
    CHECK(o->commit(h->adapter.ctx) == 0);
    pump(h->anjay, &h->srv, 1500);
    CHECK(count_of(&h->srv, &h->srv.registers) == regs + 1);
    CHECK(registered(h->anjay, 7));
}

/* Removing the account: Anjay de-registers the server that left object 1 (implied). */
static void check_remove_deregisters(struct harness *h)
{
    const struct ucb_adapter_ops *o = h->adapter.ops;
    unsigned deregs = count_of(&h->srv, &h->srv.deregisters);
    uint16_t iid;

    CHECK(o->remove(h->adapter.ctx, 1, 1) == 0);
    CHECK(o->remove(h->adapter.ctx, 0, 1) == 0);
    CHECK(o->commit(h->adapter.ctx) == 0);
    pump(h->anjay, &h->srv, 500);
    CHECK(count_of(&h->srv, &h->srv.deregisters) == deregs + 1);
    CHECK(!registered(h->anjay, 7));
    CHECK(o->find_server(h->adapter.ctx, 7, &iid) == 0);
}

int main(void)
{
    static struct harness h;
    static const uint16_t others[] = {3303};
    struct ucb_anjay_config cfg;
    struct contract_hooks hooks;
    anjay_configuration_t conf;
    int rc;

    avs_log_set_default_level(AVS_LOG_WARNING);
    memset(&conf, 0, sizeof(conf));
    conf.endpoint_name = "urn:dev:uiccboot-contract";
    conf.in_buffer_size = 4000;
    conf.out_buffer_size = 4000;
    conf.msg_cache_size = 4000;
    h.anjay = anjay_new(&conf);
    if (h.anjay == NULL || fake_open(&h.srv) != 0) {
        fprintf(stderr, "contract_anjay: cannot start Anjay or the loopback server\n");
        return 2;
    }

    memset(&cfg, 0, sizeof(cfg));
    cfg.access_control = true;
    cfg.other_oids = others;
    cfg.n_other = 1;
    cfg.res_type = temp_type;
    rc = ucb_anjay_install(&h.ad, h.anjay, &cfg);
    if (rc != 0) {
        fprintf(stderr, "contract_anjay: install failed (%d)\n", rc);
        return 2;
    }
    /* The same OID again is refused, and leaves the first installation alone. */
    {
        static struct ucb_anjay second;
        CHECK(ucb_anjay_install(&second, h.anjay, &cfg) == UCB_ERR_ADAPTER);
        ucb_anjay_deinit(&second);
    }
    ucb_anjay_adapter(&h.ad, &h.adapter);

    memset(&hooks, 0, sizeof(hooks));
    hooks.exact_read = true;
    hooks.other_oid = 3303;
    rc = ucb_contract_run(&h.adapter, &hooks);
    fprintf(stderr, "contract_anjay: adapter contract suite: %d failure(s)\n", rc);
    failures += rc;
    CHECK(h.adapter.ops->commit(h.adapter.ctx) == 0);
    pump(h.anjay, NULL, 100); /* Anjay digests the suite's batches */

    check_registration(&h);
    check_disable_rollback(&h);
    check_remove_deregisters(&h);

    ucb_anjay_deinit(&h.ad);
    ucb_anjay_deinit(&h.ad); /* twice is fine */
    anjay_delete(h.anjay);
    h.srv.stop = true;
    pthread_join(h.srv.thread, NULL);
    close(h.srv.fd);
    fprintf(stderr, "contract_anjay: %d failure(s) in all\n", failures);
    return failures == 0 ? 0 : 1;
}
