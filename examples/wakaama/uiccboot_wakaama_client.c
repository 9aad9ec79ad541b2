/*
 * A Wakaama LwM2M client that takes its server accounts from the SIM
 * through uiccboot (docs/integration/wakaama.md).
 *
 * It is Wakaama's own example client reduced to what matters here: the
 * objects 0, 1 and 2 come from the uiccboot adapter, the card is read over
 * PC/SC, and the bridge checks the card before every Register and Update.
 * An account the application adds itself (-a URI SSID: NoSec, not from the
 * card) lives in the same objects and is never touched by the bridge.
 *
 *   uiccboot-wakaama-client [-n NAME] [-r READER] [-s STORE] [-a URI SSID] [-p PORT]
 *
 * Lines on stdout (the test script tests/e2e_wakaama.py reads them):
 *   bridge: <event> [<op> /oid/iid ssid N]   each bridge event and action
 *   server N: <state>                         a server entry changes state
 *
 * Built by hand outside this repository, with Wakaama's core and its
 * examples/shared/ networking (connection.c, commandline.c, platform.c),
 * against libuiccboot-wakaama, libuiccboot-host and libuiccboot.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <liblwm2m.h>

#include "connection.h" /* Wakaama examples/shared */

#include "uiccboot/adapter_wakaama.h"
#include "uiccboot/apdu.h"
#include "uiccboot/bridge.h"
#include "uiccboot/err.h"
#include "uiccboot/host.h"
#include "uiccboot/store_file.h"
#include "uiccboot/tlv.h"

struct app {
    int sock;
    connection_t *conns;
    lwm2m_context_t *lwm2m;
    struct ucb_wakaama w;
    struct ucb_wakaama_object device;
    struct ucb_bridge bridge;
    struct ucb_pcsc pcsc;
    struct ucb_apdu apdu;
    struct ucb_store_file store;
    const char *reader;
    bool card_open;
    lwm2m_status_t last[16];
    uint16_t last_ssid[16];
};

static struct app app;
static volatile sig_atomic_t quit;
static uint8_t file_buf[UCB_BOOTSTRAP_MAX];
static uint8_t undo_buf[2 * UCB_BOOTSTRAP_MAX];

static void on_signal(int sig)
{
    (void)sig;
    quit = 1;
}

/* ---- Wakaama's connection callbacks, over examples/shared/connection.c ------- */

void *lwm2m_connect_server(uint16_t secObjInstID, void *userData)
{
    struct app *a = userData;
    char uri[256];
    char *host, *port;
    connection_t *c;

    if (ucb_wakaama_server_uri(&a->w, secObjInstID, uri, sizeof(uri)) < 0)
        return NULL;
    if (strncmp(uri, "coap://", 7) != 0) {
        fprintf(stderr, "client: /0/%u: only coap:// (NoSec) in this example\n", secObjInstID);
        return NULL;
    }
    host = uri + 7;
    port = strrchr(host, ':');
    if (port == NULL)
        return NULL;
    *port++ = '\0';
    c = connection_create(a->conns, a->sock, host, port, AF_INET);
    if (c != NULL)
        a->conns = c;
    return c;
}

void lwm2m_close_connection(void *sessionH, void *userData)
{
    struct app *a = userData;
    connection_t **pp = &a->conns;

    while (*pp != NULL && *pp != sessionH)
        pp = &(*pp)->next;
    if (*pp != NULL) {
        connection_t *c = *pp;
        *pp = c->next;
        c->next = NULL;
        connection_free(c);
    }
}

/* ---- bridge events: one line each, no secrets (none are in events) ----------- */

static const char *op_name(enum ucb_bridge_op op)
{
    static const char *const names[] = {"create", "delete", "disable", "enable", "deregister",
                                        "cancel-observations", "acl-change", "skip", "refuse",
                                        "disown"};
    return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] : "op";
}

static void on_event(void *ctx, const struct ucb_bridge_event *ev)
{
    static const char *const kinds[] = {"action", "inserted", "changed", "unchanged", "removed",
                                        "invalid", "read-failed", "apply-failed",
                                        "bootstrap-account-expired"};
    (void)ctx;
    if (ev->kind == UCB_BRIDGE_EV_ACTION && ev->action != NULL) {
        const struct ucb_bridge_action *x = ev->action;
        char where[24] = "";
        if (x->oid != 0xFFFFu)
            snprintf(where, sizeof(where), " /%u/%u", x->oid, x->iid);
        printf("bridge: %s%s ssid %u%s%s\n", op_name(x->op), where, x->ssid,
               x->op == UCB_BRIDGE_SKIP ? (x->implied ? " (implied)" : " (skipped)") : "",
               x->undo ? " (undo)" : "");
    } else if ((unsigned)ev->kind < sizeof(kinds) / sizeof(kinds[0])) {
        printf("bridge: %s%s%s\n", kinds[ev->kind], ev->err != 0 ? ": " : "",
               ev->err != 0 ? ucb_strerror(ev->err) : "");
    }
    fflush(stdout);
}

/* Print each server entry whose state changed since the last call. */
static void report_servers(struct app *a)
{
    static const char *const names[] = {"deregistered", "hold-off", "registering", "registered",
                                        "failed", "updating", "update-needed",
                                        "update-needed", "deregistering"};
    size_t n = 0;

    for (lwm2m_server_t *s = a->lwm2m->serverList; s != NULL && n < 16; s = s->next, n++) {
        lwm2m_status_t st = s->dirty && s->status == STATE_DEREGISTERED ? STATE_DEREG_PENDING
                                                                          : s->status;
        if (a->last_ssid[n] == s->shortID && a->last[n] == st)
            continue;
        if ((unsigned)st < sizeof(names) / sizeof(names[0]))
            printf("server %u: %s\n", s->shortID, names[st]);
        a->last_ssid[n] = s->shortID;
        a->last[n] = st;
    }
    for (; n < 16; n++)
        a->last_ssid[n] = 0;
    fflush(stdout);
}

/* ---- the application's own instances ------------------------------------------ */

static int add_app_account(struct app *a, const char *uri, uint16_t ssid)
{
    uint8_t tlv[256];
    struct ucb_tlv_writer tw;
    int len, rc;

    /* Instance IDs from the top of the range, away from the card's. */
    ucb_tlv_writer_init(&tw, tlv, sizeof(tlv));
    (void)ucb_tlv_put_raw(&tw, UCB_TLV_RESOURCE, 0, uri, strlen(uri));
    (void)ucb_tlv_put_bool(&tw, UCB_TLV_RESOURCE, 1, false);
    (void)ucb_tlv_put_int(&tw, UCB_TLV_RESOURCE, 2, 3); /* NoSec */
    (void)ucb_tlv_put_int(&tw, UCB_TLV_RESOURCE, 10, ssid);
    if ((len = ucb_tlv_writer_finish(&tw)) < 0 ||
        (rc = ucb_wakaama_create(&a->w, 0, 60000, tlv, (size_t)len)) != 0)
        return len < 0 ? len : rc;
    ucb_tlv_writer_init(&tw, tlv, sizeof(tlv));
    (void)ucb_tlv_put_int(&tw, UCB_TLV_RESOURCE, 0, ssid);
    (void)ucb_tlv_put_int(&tw, UCB_TLV_RESOURCE, 1, 20); /* lifetime: an Update every 10 s */
    (void)ucb_tlv_put_bool(&tw, UCB_TLV_RESOURCE, 6, false);
    (void)ucb_tlv_put_raw(&tw, UCB_TLV_RESOURCE, 7, "U", 1);
    if ((len = ucb_tlv_writer_finish(&tw)) < 0)
        return len;
    return ucb_wakaama_create(&a->w, 1, 60000, tlv, (size_t)len);
}

static int add_device(struct app *a)
{
    uint8_t tlv[64];
    struct ucb_tlv_writer tw;
    int len, rc;

    if ((rc = ucb_wakaama_host_object(&a->w, &a->device, 3)) != 0)
        return rc;
    ucb_tlv_writer_init(&tw, tlv, sizeof(tlv));
    (void)ucb_tlv_put_raw(&tw, UCB_TLV_RESOURCE, 0, "uiccboot", 8);
    (void)ucb_tlv_put_raw(&tw, UCB_TLV_RESOURCE, 1, "wakaama-example", 15);
    (void)ucb_tlv_put_raw(&tw, UCB_TLV_RESOURCE, 16, "U", 1);
    if ((len = ucb_tlv_writer_finish(&tw)) < 0)
        return len;
    return ucb_wakaama_create(&a->w, 3, 0, tlv, (size_t)len);
}

/* ---- the card ------------------------------------------------------------------ */

/* Open the reader when it holds a card; report insertions and removals to the bridge. */
static void poll_card(struct app *a)
{
    struct ucb_transport t;
    int ev;

    if (!a->card_open) {
        if (ucb_pcsc_open(&a->pcsc, a->reader) != 0)
            return;
        ucb_pcsc_transport(&a->pcsc, &t);
        a->apdu.transport = t;
        a->card_open = true;
        printf("card: inserted\n");
        (void)ucb_bridge_card_event(&a->bridge, true);
        return;
    }
    ev = a->apdu.transport.card_event(a->apdu.transport.ctx);
    if (ev == UCB_ERR_CARD_REMOVED) {
        printf("card: removed\n");
        (void)ucb_bridge_card_event(&a->bridge, false);
        ucb_pcsc_close(&a->pcsc);
        a->card_open = false;
    } else if (ev == UCB_ERR_CARD_REINSERTED || ev == UCB_ERR_CARD_RESET) {
        printf("card: reinserted or reset\n");
        (void)ucb_bridge_card_event(&a->bridge, true);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: uiccboot-wakaama-client [-n NAME] [-r READER] [-s STORE]"
                    " [-a URI SSID] [-p LOCAL-PORT]\n");
}

int main(int argc, char **argv)
{
    const char *name = "uiccboot-wakaama", *store = "uiccboot-provenance.bin";
    const char *app_uri = NULL, *local_port = "56830";
    unsigned long app_ssid = 0;
    lwm2m_object_t *objs[4];
    struct ucb_bridge_config cfg;
    enum ucb_bridge_next next;
    int rc;

    app.reader = "0";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            app.reader = argv[++i];
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            store = argv[++i];
        else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            local_port = argv[++i];
        else if (strcmp(argv[i], "-a") == 0 && i + 2 < argc) {
            char *end;
            app_uri = argv[++i];
            errno = 0;
            app_ssid = strtoul(argv[++i], &end, 10);
            if (errno != 0 || *end != '\0' || app_ssid == 0 || app_ssid >= 65535) {
                fprintf(stderr, "client: -a: SSID must be 1..65534\n");
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }

    app.sock = create_socket(local_port, AF_INET);
    if (app.sock < 0) {
        fprintf(stderr, "client: cannot open UDP port %s\n", local_port);
        return 1;
    }
    app.lwm2m = lwm2m_init(&app);
    if (app.lwm2m == NULL)
        return 1;

    /* The three lines a Wakaama application adds: the adapter's objects. */
    ucb_wakaama_init(&app.w, app.lwm2m, true);
    if (add_device(&app) != 0 ||
        (app_uri != NULL && (rc = add_app_account(&app, app_uri, (uint16_t)app_ssid)) != 0)) {
        fprintf(stderr, "client: cannot add the application's instances\n");
        return 1;
    }
    for (uint16_t i = 0; i < 4; i++)
        objs[i] = ucb_wakaama_object(&app.w, i);
    if (lwm2m_configure(app.lwm2m, name, NULL, NULL, 4, objs) != 0) {
        fprintf(stderr, "client: lwm2m_configure failed\n");
        return 1;
    }

    /* The bridge: PC/SC card, file store, the adapter. */
    memset(&cfg, 0, sizeof(cfg));
    if (ucb_store_file_init(&app.store, store, &cfg.store) != 0) {
        fprintf(stderr, "client: %s: not a usable store path\n", store);
        return 1;
    }
    if (ucb_pcsc_open(&app.pcsc, app.reader) == 0) {
        struct ucb_transport t;
        ucb_pcsc_transport(&app.pcsc, &t);
        ucb_apdu_init(&app.apdu, &t);
        app.card_open = true;
    } else {
        struct ucb_transport none;
        memset(&none, 0, sizeof(none));
        ucb_apdu_init(&app.apdu, &none);
        printf("card: none at start\n");
    }
    ucb_wakaama_adapter(&app.w, &cfg.adapter);
    cfg.apdu = &app.apdu;
    cfg.file_buf = file_buf;
    cfg.file_cap = sizeof(file_buf);
    cfg.undo_buf = undo_buf;
    cfg.undo_cap = sizeof(undo_buf);
    cfg.event = on_event;
    ucb_bridge_init(&app.bridge, &cfg);
    ucb_wakaama_attach_bridge(&app.w, &app.bridge);
    rc = ucb_bridge_start(&app.bridge, &next);
    printf("bridge: start %s, next %s\n", rc == 0 ? "ok" : ucb_strerror(rc),
           next == UCB_BRIDGE_NEXT_REGISTER ? "register" : "bootstrap");
    fflush(stdout);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!quit) {
        time_t tv = 1;
        fd_set rd;
        struct timeval to;

        poll_card(&app);
        (void)ucb_bridge_tick(&app.bridge, (uint32_t)lwm2m_gettime());
        /* Where a Wakaama application checks before Register and Update. */
        rc = ucb_wakaama_before_step(&app.w, &app.bridge, lwm2m_gettime());
        if (rc != 0)
            printf("bridge: check before register/update: %s\n", ucb_strerror(rc));
        (void)lwm2m_step(app.lwm2m, &tv);
        report_servers(&app);

        FD_ZERO(&rd);
        FD_SET(app.sock, &rd);
        to.tv_sec = tv > 1 ? 1 : tv;
        to.tv_usec = tv > 0 ? 0 : 200000;
        if (select(app.sock + 1, &rd, NULL, NULL, &to) > 0 && FD_ISSET(app.sock, &rd)) {
            uint8_t buf[1500];
            struct sockaddr_storage addr;
            socklen_t alen = sizeof(addr);
            ssize_t n = recvfrom(app.sock, buf, sizeof(buf), 0, (struct sockaddr *)&addr, &alen);
            connection_t *c = n > 0 ? connection_find(app.conns, &addr, alen) : NULL;
            if (c != NULL)
                lwm2m_handle_packet(app.lwm2m, buf, (size_t)n, c);
        }
    }

    printf("client: exiting\n");
    lwm2m_close(app.lwm2m); /* de-registers from every server */
    connection_free(app.conns);
    ucb_bridge_deinit(&app.bridge);
    if (app.card_open)
        ucb_pcsc_close(&app.pcsc);
    ucb_apdu_deinit(&app.apdu);
    ucb_wakaama_deinit(&app.w);
    close(app.sock);
    memset(file_buf, 0, sizeof(file_buf));
    memset(undo_buf, 0, sizeof(undo_buf));
    return 0;
}
