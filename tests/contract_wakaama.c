/*
 * The adapter contract suite (adapter_contract.h) against Eclipse Wakaama:
 * the real Wakaama core (an archive built by hand, -Dwakaama_core=FILE)
 * with the adapter's objects 0, 1, 2 and a hosted object 3303.
 *
 * The session hooks register a server for real: this harness is the
 * client's network. lwm2m_buffer_send() keeps what the core sends, and a
 * small emulated LwM2M server answers it through lwm2m_handle_packet():
 * 2.01 Created with a Location for a Register, 2.04 for an Update, 2.02
 * for a De-register. An Observe on /1/iid gives each registered server a
 * watcher, so cancel and disable are checked against the core's own
 * observation list. Exit status: the number of failed checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter_contract.h"
#include "internals.h" /* Wakaama: the CoAP codec the emulated server uses */
#include "uiccboot/adapter_wakaama.h"
#include "uiccboot/err.h"

/* ---- Wakaama's platform functions, for the core archive ---------------------- */

static time_t fake_now = 1000;

void *lwm2m_malloc(size_t s) { return malloc(s); }
void lwm2m_free(void *p) { free(p); }
char *lwm2m_strdup(const char *str) { return str != NULL ? strdup(str) : NULL; }
int lwm2m_strncmp(const char *a, const char *b, size_t n) { return strncmp(a, b, n); }
int lwm2m_strcasecmp(const char *a, const char *b) { return strcasecmp(a, b); }
time_t lwm2m_gettime(void) { return fake_now; }
int lwm2m_seed(void) { return 7; }

/* One session per Security instance; the last datagram the client sent. */
struct session {
    uint16_t sec_iid;
    bool open;
    uint8_t sent[1024];
    size_t sent_len;
    bool pending;
};
static struct session sessions[UCB_WAKAAMA_MAX_INSTANCES];

void *lwm2m_connect_server(uint16_t secObjInstID, void *userData)
{
    (void)userData;
    for (size_t i = 0; i < UCB_WAKAAMA_MAX_INSTANCES; i++) {
        if (!sessions[i].open) {
            memset(&sessions[i], 0, sizeof(sessions[i]));
            sessions[i].open = true;
            sessions[i].sec_iid = secObjInstID;
            return &sessions[i];
        }
    }
    return NULL;
}

void lwm2m_close_connection(void *sessionH, void *userData)
{
    (void)userData;
    ((struct session *)sessionH)->open = false;
}

uint8_t lwm2m_buffer_send(void *sessionH, uint8_t *buffer, size_t length, void *userData)
{
    struct session *s = sessionH;
    (void)userData;
    if (!s->open || length > sizeof(s->sent))
        return COAP_500_INTERNAL_SERVER_ERROR;
    memcpy(s->sent, buffer, length);
    s->sent_len = length;
    s->pending = true;
    return COAP_NO_ERROR;
}

bool lwm2m_session_is_equal(void *a, void *b, void *userData)
{
    (void)userData;
    return a == b;
}

/* ---- the emulated server ------------------------------------------------------- */

struct harness {
    lwm2m_context_t *lwm2m;
    struct ucb_wakaama w;
    struct ucb_wakaama_object temperature, device;
    uint16_t next_mid;
};

static void deliver(struct harness *h, struct session *s, coap_packet_t *msg)
{
    uint8_t buf[512];
    size_t n = coap_serialize_get_size(msg);
    if (n > sizeof(buf))
        return;
    n = coap_serialize_message(msg, buf);
    lwm2m_handle_packet(h->lwm2m, buf, n, s);
}

/* Answer the last confirmable request of session @p s, if any. */
static void answer(struct harness *h, struct session *s)
{
    coap_packet_t req, resp;
    uint8_t code = 0;

    if (!s->pending)
        return;
    s->pending = false;
    memset(&req, 0, sizeof(req));
    if (coap_parse_message(&req, s->sent, (uint16_t)s->sent_len) != NO_ERROR)
        return;
    if (req.type == COAP_TYPE_CON && req.code == COAP_POST) {
        /* a Register carries the endpoint name (ep=) in its query, an Update not */
        bool reg = memmem(s->sent, s->sent_len, "ep=", 3) != NULL;
        code = reg ? COAP_201_CREATED : COAP_204_CHANGED;
    } else if (req.type == COAP_TYPE_CON && req.code == COAP_DELETE) {
        code = COAP_202_DELETED;
    }
    if (code != 0) {
        coap_init_message(&resp, COAP_TYPE_ACK, code, req.mid);
        coap_set_header_token(&resp, req.token, req.token_len);
        if (code == COAP_201_CREATED)
            coap_set_header_location_path(&resp, "/rd/5a3f");
        deliver(h, s, &resp);
        coap_free_header(&resp);
    }
    coap_free_header(&req);
}

static void run_steps(struct harness *h, int n)
{
    for (int i = 0; i < n; i++) {
        time_t tv = 60;
        (void)ucb_wakaama_before_step(&h->w, NULL, fake_now);
        (void)lwm2m_step(h->lwm2m, &tv);
        for (size_t k = 0; k < UCB_WAKAAMA_MAX_INSTANCES; k++)
            if (sessions[k].open)
                answer(h, &sessions[k]);
        fake_now++;
    }
}

static lwm2m_server_t *entry(struct harness *h, uint16_t ssid)
{
    for (lwm2m_server_t *s = h->lwm2m->serverList; s != NULL; s = s->next)
        if (s->shortID == ssid && !s->dirty)
            return s;
    return NULL;
}

static unsigned watchers(struct harness *h, uint16_t ssid)
{
    unsigned n = 0;
    for (lwm2m_observed_t *o = h->lwm2m->observedList; o != NULL; o = o->next)
        for (lwm2m_watcher_t *wt = o->watcherList; wt != NULL; wt = wt->next)
            n += wt->server != NULL && wt->server->shortID == ssid;
    return n;
}

/* contract hook: registered with @p ssid, holding one observation (on /1/x). */
static int hook_make_registered(void *ctx, uint16_t ssid)
{
    struct harness *h = ctx;
    struct ucb_adapter a;
    lwm2m_server_t *srv;
    uint16_t iid = 0;
    char path[16];
    coap_packet_t get;
    const uint8_t token[2] = {0x0b, (uint8_t)ssid};

    ucb_wakaama_adapter(&h->w, &a);
    if (a.ops->find_server(a.ctx, ssid, &iid) != 1)
        return UCB_ERR_NOT_PRESENT;
    (void)ucb_wakaama_commit(&h->w);
    for (int i = 0; i < 20 && ((srv = entry(h, ssid)) == NULL || srv->status != STATE_REGISTERED);
         i++)
        run_steps(h, 1);
    if ((srv = entry(h, ssid)) == NULL || srv->status != STATE_REGISTERED)
        return UCB_ERR_ADAPTER;
    snprintf(path, sizeof(path), "1/%u", iid);
    coap_init_message(&get, COAP_TYPE_CON, COAP_GET, h->next_mid++);
    coap_set_header_uri_path(&get, path);
    coap_set_header_observe(&get, 0);
    coap_set_header_token(&get, token, sizeof(token));
    deliver(h, srv->sessionH, &get);
    coap_free_header(&get);
    return watchers(h, ssid) >= 1 ? 0 : UCB_ERR_ADAPTER;
}

static int hook_server_state(void *ctx, uint16_t ssid, bool *reg, bool *dis, unsigned *obs)
{
    struct harness *h = ctx;
    const lwm2m_server_t *srv = entry(h, ssid);
    bool hidden = false;

    for (size_t i = 0; i < UCB_WAKAAMA_MAX_INSTANCES; i++)
        hidden |= h->w.security.pool[i].used && h->w.security.pool[i].hidden;
    if (reg)
        *reg = srv != NULL && srv->status == STATE_REGISTERED;
    if (dis)
        *dis = hidden && srv == NULL;
    if (obs)
        *obs = watchers(h, ssid);
    return 0;
}

/* ---- Wakaama-specific checks ------------------------------------------------------ */

static int failures;
#define CHECK(what, cond)                                                              \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "contract_wakaama: %s (%s:%d)\n", what, __FILE__, __LINE__); \
            failures++;                                                                \
        }                                                                              \
    } while (0)

/* Security /0/iid for a NoSec account @p ssid at coap://127.0.0.1, Server /1/iid. */
static size_t account_tlv(uint8_t *out, size_t cap, uint16_t oid, uint16_t ssid)
{
    struct ucb_tlv_writer tw;
    ucb_tlv_writer_init(&tw, out, cap);
    if (oid == 0) {
        (void)ucb_tlv_put_raw(&tw, UCB_TLV_RESOURCE, 0, "coap://127.0.0.1:5683", 21);
        (void)ucb_tlv_put_bool(&tw, UCB_TLV_RESOURCE, 1, false);
        (void)ucb_tlv_put_int(&tw, UCB_TLV_RESOURCE, 2, 3);
        (void)ucb_tlv_put_int(&tw, UCB_TLV_RESOURCE, 10, ssid);
    } else {
        (void)ucb_tlv_put_int(&tw, UCB_TLV_RESOURCE, 0, ssid);
        (void)ucb_tlv_put_int(&tw, UCB_TLV_RESOURCE, 1, 300);
        (void)ucb_tlv_put_raw(&tw, UCB_TLV_RESOURCE, 7, "U", 1);
    }
    return (size_t)ucb_tlv_writer_finish(&tw);
}

/* A changed account replaced under the same instance IDs reaches the core:
 * the old entry is de-registered and freed, the new one registers. */
static void check_replace_in_place(struct harness *h)
{
    struct ucb_adapter a;
    uint8_t tlv[128];
    size_t n;
    lwm2m_server_t *srv;

    ucb_wakaama_adapter(&h->w, &a);
    n = account_tlv(tlv, sizeof(tlv), 0, 301);
    CHECK("create /0/120", a.ops->create(a.ctx, 0, 120, tlv, n) == 0);
    n = account_tlv(tlv, sizeof(tlv), 1, 301);
    CHECK("create /1/120", a.ops->create(a.ctx, 1, 120, tlv, n) == 0);
    CHECK("registered 301", hook_make_registered(h, 301) == 0);
    srv = entry(h, 301);
    CHECK("lifetime read through the Server object", srv != NULL && srv->lifetime == 300);

    CHECK("disable 301", a.ops->disable_server(a.ctx, 301) == 0);
    CHECK("remove /1/120", a.ops->remove(a.ctx, 1, 120) == 0);
    CHECK("remove /0/120", a.ops->remove(a.ctx, 0, 120) == 0);
    n = account_tlv(tlv, sizeof(tlv), 0, 302);
    CHECK("create /0/120 again", a.ops->create(a.ctx, 0, 120, tlv, n) == 0);
    n = account_tlv(tlv, sizeof(tlv), 1, 302);
    CHECK("create /1/120 again", a.ops->create(a.ctx, 1, 120, tlv, n) == 0);
    CHECK("commit", a.ops->commit(a.ctx) == 0);
    CHECK("old server no longer in use", entry(h, 301) == NULL);
    run_steps(h, 6);
    srv = entry(h, 302);
    CHECK("new server registered under the same Security iid",
          srv != NULL && srv->status == STATE_REGISTERED && srv->secObjInstID == 120);
    for (lwm2m_server_t *s = h->lwm2m->serverList; s != NULL; s = s->next)
        CHECK("old entry freed by the rebuild", s->shortID != 301);
    CHECK("remove /1/120", a.ops->remove(a.ctx, 1, 120) == 0);
    CHECK("remove /0/120", a.ops->remove(a.ctx, 0, 120) == 0);
    CHECK("commit", a.ops->commit(a.ctx) == 0);
    run_steps(h, 4);
    CHECK("server list empty", h->lwm2m->serverList == NULL);
}

/* A server that never answers its De-register is dropped after the grace period. */
static void check_silent_server(struct harness *h)
{
    struct ucb_adapter a;
    uint8_t tlv[128];
    size_t n;

    ucb_wakaama_adapter(&h->w, &a);
    n = account_tlv(tlv, sizeof(tlv), 0, 303);
    CHECK("create /0/121", a.ops->create(a.ctx, 0, 121, tlv, n) == 0);
    n = account_tlv(tlv, sizeof(tlv), 1, 303);
    CHECK("create /1/121", a.ops->create(a.ctx, 1, 121, tlv, n) == 0);
    CHECK("registered 303", hook_make_registered(h, 303) == 0);
    CHECK("remove /1/121", a.ops->remove(a.ctx, 1, 121) == 0);
    CHECK("remove /0/121", a.ops->remove(a.ctx, 0, 121) == 0);
    CHECK("commit", a.ops->commit(a.ctx) == 0);
    CHECK("rebuild waits for the De-register", ucb_wakaama_busy(&h->w));
    for (int i = 0; i < UCB_WAKAAMA_RETIRE_GRACE_S + 2; i++) {
        time_t tv = 60;
        (void)ucb_wakaama_before_step(&h->w, NULL, fake_now);
        (void)lwm2m_step(h->lwm2m, &tv); /* no answer: the server is silent */
        fake_now++;
    }
    CHECK("rebuild done after the grace period", !ucb_wakaama_busy(&h->w));
    CHECK("no transaction left", h->lwm2m->transactionList == NULL);
    CHECK("server list empty", h->lwm2m->serverList == NULL);
}

/* What acl_set() stores is what a server reads: the owner 65535 is an
 * Integer (4 bytes), not 0xFFFF read back as -1. */
static void check_acl_owner_read_by_a_server(struct harness *h)
{
    struct ucb_adapter a;
    static const uint8_t target[] = {0xC1, 0x00, 0x01, 0xC1, 0x01, 0x7A, 0xC1, 0x03, 0x65};
    const struct ucb_acl_entry e = {101, 1};
    lwm2m_object_t *acl = ucb_wakaama_object(&h->w, 2);
    lwm2m_data_t *d = lwm2m_data_new(1);
    int n = 1;
    int64_t owner = 0;

    ucb_wakaama_adapter(&h->w, &a);
    CHECK("create /2/130", a.ops->create(a.ctx, 2, 130, target, sizeof(target)) == 0);
    CHECK("acl_set owner 65535", a.ops->acl_set(a.ctx, 130, &e, 1, 0xFFFF) == 0);
    d[0].id = 3;
    CHECK("read /2/130/3", acl->readFunc(h->lwm2m, 130, &n, &d, acl) == COAP_205_CONTENT);
    CHECK("owner reads as 65535", lwm2m_data_decode_int(&d[0], &owner) == 1 && owner == 65535);
    lwm2m_data_free(n, d);
    CHECK("remove /2/130", a.ops->remove(a.ctx, 2, 130) == 0);
}

int main(void)
{
    static struct harness h;
    struct ucb_adapter a;
    struct contract_hooks hooks;
    lwm2m_object_t *objs[5];
    static const uint8_t manufacturer[] = {0xC8, 0x00, 0x08, 'u', 'i', 'c', 'c', 'b', 'o', 'o', 't'};
    int rc;

    h.lwm2m = lwm2m_init(NULL);
    if (h.lwm2m == NULL)
        return 1;
    ucb_wakaama_init(&h.w, h.lwm2m, true);
    /* Wakaama requires a Device object: the harness hosts /3/0 too. */
    if (ucb_wakaama_host_object(&h.w, &h.temperature, 3303) != 0 ||
        ucb_wakaama_host_object(&h.w, &h.device, 3) != 0 ||
        ucb_wakaama_create(&h.w, 3, 0, manufacturer, sizeof(manufacturer)) != 0)
        return 1;
    for (uint16_t i = 0; i < 4; i++)
        objs[i] = ucb_wakaama_object(&h.w, i);
    objs[4] = ucb_wakaama_object(&h.w, 3303);
    if (lwm2m_configure(h.lwm2m, "uiccboot-contract", NULL, NULL, 5, objs) != 0) {
        fprintf(stderr, "contract_wakaama: lwm2m_configure failed\n");
        return 1;
    }
    ucb_wakaama_adapter(&h.w, &a);

    memset(&hooks, 0, sizeof(hooks));
    hooks.ctx = &h;
    hooks.exact_read = true; /* TLV is stored as given */
    hooks.make_registered = hook_make_registered;
    hooks.server_state = hook_server_state;
    rc = ucb_contract_run(&a, &hooks);
    printf("contract suite against Wakaama: %d failed\n", rc);
    failures += rc;
    rc = ucb_contract_run(&a, &hooks);
    printf("contract suite again (the core was left as found): %d failed\n", rc);
    failures += rc;

    check_replace_in_place(&h);
    check_silent_server(&h);
    check_acl_owner_read_by_a_server(&h);
    printf("Wakaama-specific checks: %s\n", failures == 0 ? "passed" : "FAILED");

    lwm2m_close(h.lwm2m);
    ucb_wakaama_deinit(&h.w);
    return failures == 0 ? 0 : 1;
}
