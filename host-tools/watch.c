/*
 * uiccboot host tool: `watch`, the bridge at work. A reference in-memory
 * LwM2M core is kept fed from the card: the card is applied at start, the
 * transport's card events (removal, insertion, another card) and a check
 * before every periodic Update with each server are handed to the bridge,
 * and each event is printed as one line with the actions it caused.
 */
#include "tool.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <uiccboot/bridge.h>
#include <uiccboot/ref_core.h>
#include <uiccboot/store_file.h>

static struct ucb_ref_core core;
static struct ucb_bridge bridge;
static struct ucb_store_ram ram_store;
static struct ucb_store_file file_store;
static uint8_t file_buf[UCB_BOOTSTRAP_MAX];
static uint8_t undo_buf[UCB_BOOTSTRAP_MAX];
static volatile sig_atomic_t stop;

struct watch_out {
    bool json;
    json_t *actions;   /* JSON: actions of the event being built */
    char text[2048];   /* text: the same */
    size_t text_len;
};

static const char *op_name(enum ucb_bridge_op op)
{
    switch (op) {
    case UCB_BRIDGE_CREATE: return "create";
    case UCB_BRIDGE_DELETE: return "delete";
    case UCB_BRIDGE_DISABLE: return "disable";
    case UCB_BRIDGE_ENABLE: return "enable";
    case UCB_BRIDGE_DEREGISTER: return "deregister";
    case UCB_BRIDGE_CANCEL_OBSERVATIONS: return "cancel-observations";
    case UCB_BRIDGE_ACL_CHANGE: return "acl-change";
    case UCB_BRIDGE_SKIP: return "skip";
    case UCB_BRIDGE_REFUSE: return "refuse";
    case UCB_BRIDGE_DISOWN: return "disown";
    }
    return "unknown";
}

static const char *event_name(enum ucb_bridge_event_kind k)
{
    switch (k) {
    case UCB_BRIDGE_EV_ACTION: return "action";
    case UCB_BRIDGE_EV_INSERTED: return "inserted";
    case UCB_BRIDGE_EV_CHANGED: return "changed";
    case UCB_BRIDGE_EV_UNCHANGED: return "unchanged";
    case UCB_BRIDGE_EV_REMOVED: return "removed";
    case UCB_BRIDGE_EV_INVALID: return "invalid";
    case UCB_BRIDGE_EV_READ_FAILED: return "read-failed";
    case UCB_BRIDGE_EV_APPLY_FAILED: return "apply-failed";
    case UCB_BRIDGE_EV_BS_EXPIRED: return "bootstrap-account-expired";
    }
    return "unknown";
}

/* The client's objects and the servers it is registered with, after an
 * event: "/0/0 /0/1 /1/0 ...; registered 101 102". */
static void client_state(json_t *json_line, FILE *text)
{
    json_t *objs = json_line ? json_array() : NULL, *regs = json_line ? json_array() : NULL;

    if (text != NULL)
        fputs("  client:", text);
    for (size_t i = 0; i < ucb_ref_core_count(&core); i++) {
        uint16_t oid, iid;
        char path[24];
        if (ucb_ref_core_nth(&core, i, &oid, &iid, NULL, NULL) != 0)
            continue;
        snprintf(path, sizeof(path), "/%u/%u", (unsigned)oid, (unsigned)iid);
        if (objs != NULL)
            json_array_append_new(objs, json_string(path));
        if (text != NULL)
            fprintf(text, " %s", path);
    }
    if (text != NULL)
        fputs("; registered:", text);
    for (size_t i = 0; i < UCB_REF_MAX_SERVERS; i++) {
        const struct ucb_ref_server *sv = &core.servers[i];
        if (sv->ssid == 0 || !sv->registered)
            continue;
        if (regs != NULL)
            json_array_append_new(regs, json_integer(sv->ssid));
        if (text != NULL)
            fprintf(text, " %u", (unsigned)sv->ssid);
    }
    if (text != NULL)
        fputc('\n', text);
    if (json_line != NULL) {
        json_object_set_new(json_line, "objects", objs);
        json_object_set_new(json_line, "registered", regs);
    }
}

/* One line per event: the actions are gathered until the event that ends them. */
static void on_event(void *ctx, const struct ucb_bridge_event *ev)
{
    struct watch_out *w = ctx;

    if (ev->kind == UCB_BRIDGE_EV_ACTION) {
        const struct ucb_bridge_action *a = ev->action;
        char path[24] = "";

        if (a->oid != 0xFFFFu)
            snprintf(path, sizeof(path), "/%u/%u", (unsigned)a->oid, (unsigned)a->iid);
        if (w->json) {
            json_t *o = json_pack("{s:s}", "op", op_name(a->op));
            if (o != NULL && path[0] != '\0')
                json_object_set_new(o, "path", json_string(path));
            if (o != NULL && a->ssid != 0xFFFFu)
                json_object_set_new(o, "ssid", json_integer(a->ssid));
            if (o != NULL && a->op == UCB_BRIDGE_SKIP)
                json_object_set_new(o, "skipped", json_string(op_name(a->skipped_op)));
            if (o != NULL && a->op == UCB_BRIDGE_SKIP && a->implied)
                json_object_set_new(o, "implied", json_true());
            if (o != NULL && a->undo)
                json_object_set_new(o, "undo", json_true());
            if (o != NULL)
                json_array_append_new(w->actions, o);
        } else if (w->text_len + 64 < sizeof(w->text)) {
            int n = snprintf(w->text + w->text_len, sizeof(w->text) - w->text_len, "%s %s%s%s",
                             w->text_len ? "," : ":", op_name(a->op), path[0] ? " " : "", path);
            if (n > 0)
                w->text_len += (size_t)n;
            if (a->ssid != 0xFFFFu && w->text_len + 16 < sizeof(w->text)) {
                n = snprintf(w->text + w->text_len, sizeof(w->text) - w->text_len, " ssid %u",
                             (unsigned)a->ssid);
                if (n > 0)
                    w->text_len += (size_t)n;
            }
        }
        return;
    }
    if (w->json) {
        json_t *line = json_pack("{s:s,s:O}", "event", event_name(ev->kind), "actions", w->actions);
        if (line != NULL && ev->card != NULL && ev->card->iccid_len != 0)
            json_object_set_new(line, "iccid", json_string(ev->card->iccid_str));
        if (line != NULL && ev->card != NULL)
            json_object_set_new(line, "commands", json_integer(ev->card->n_commands));
        if (line != NULL && ev->err != 0)
            json_object_set_new(line, "error", json_string(ucb_strerror(ev->err)));
        if (line != NULL)
            client_state(line, NULL);
        if (line != NULL) {
            json_dumpf(line, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
            putchar('\n');
            json_decref(line);
        }
        json_array_clear(w->actions);
    } else {
        printf("%s", event_name(ev->kind));
        if (ev->card != NULL && ev->card->iccid_len != 0)
            printf(" ICCID %s", ev->card->iccid_str);
        if (ev->card != NULL)
            printf(" (%u C-APDUs)", (unsigned)ev->card->n_commands);
        if (ev->err != 0)
            printf(" [%s]", ucb_strerror(ev->err));
        printf("%s\n", w->text);
        client_state(NULL, stdout);
        w->text[0] = '\0';
        w->text_len = 0;
    }
    fflush(stdout);
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* The check before an Update with every server the client has: a no-op
 * for servers the card did not create. Returns 0 or the first error. */
static int check_servers(void)
{
    uint16_t ssids[32];
    size_t n = 0;
    int first = 0;

    for (size_t i = 0; i < ucb_ref_core_count(&core) && n < 32; i++) {
        uint16_t oid, iid;
        const uint8_t *tlv;
        size_t len;
        struct ucb_tlv_cursor c;
        struct ucb_tlv t;

        if (ucb_ref_core_nth(&core, i, &oid, &iid, &tlv, &len) != 0 || oid != 1)
            continue;
        ucb_tlv_cursor_init(&c, tlv, len, 0, UCB_TLV_ALLOW_TOP);
        while (ucb_tlv_next(&c, &t) == 1) {
            uint64_t v;
            if (t.id == 0 && ucb_tlv_get_uint(&t, &v) == 0 && v > 0 && v < 65535)
                ssids[n++] = (uint16_t)v;
        }
    }
    /* One card check covers every card server: check before the first
     * Update that needs it, then Update (register) with every server the
     * check left in use. Servers the card did not create cost nothing. */
    bool checked = false;
    for (size_t i = 0; i < n && !stop; i++) {
        int rc = 0;
        if (!checked || !ucb_bridge_owns_ssid(&bridge, ssids[i])) {
            rc = ucb_bridge_before_update(&bridge, ssids[i]);
            checked |= ucb_bridge_owns_ssid(&bridge, ssids[i]) || rc != 0;
        }
        if (rc == 0)
            (void)ucb_ref_core_register(&core, ssids[i]); /* the Update itself */
        else if (first == 0 && rc != UCB_ERR_NOT_PRESENT)
            first = rc;
    }
    return first;
}

int tool_cmd_watch(const struct tool_opts *o)
{
    struct watch_out out;
    struct ucb_bridge_config cfg;
    struct ucb_card_opts co;
    struct ucb_apdu *apdu;
    enum ucb_bridge_next next;
    unsigned interval = o->interval_ms ? o->interval_ms : 1000;
    int rc;

    memset(&out, 0, sizeof(out));
    out.json = o->json;
    if (out.json && (out.actions = json_array()) == NULL) {
        tool_err("out of memory");
        return TOOL_IO;
    }
    rc = tool_card_begin(o, &apdu, &co);
    if (rc != TOOL_OK) {
        json_decref(out.actions);
        return rc;
    }
    ucb_ref_core_init(&core);
    memset(&cfg, 0, sizeof(cfg));
    if (o->store != NULL) {
        if (ucb_store_file_init(&file_store, o->store, &cfg.store) != 0) {
            tool_err("%s: not a usable store path", o->store);
            tool_card_end();
            json_decref(out.actions);
            return TOOL_USAGE;
        }
    } else {
        ucb_store_ram_init(&ram_store, &cfg.store);
    }
    ucb_ref_core_adapter(&core, &cfg.adapter);
    cfg.apdu = apdu;
    cfg.reader = &co;
    cfg.file_buf = file_buf;
    cfg.file_cap = sizeof(file_buf);
    cfg.undo_buf = undo_buf;
    cfg.undo_cap = sizeof(undo_buf);
    cfg.event = on_event;
    cfg.event_ctx = &out;
    ucb_bridge_init(&bridge, &cfg);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = ucb_bridge_start(&bridge, &next);
    {
        static const char *const names[] = {"register", "factory-bootstrap",
                                            "client-initiated-bootstrap"};
        const char *nx = (unsigned)next < 3u ? names[next] : "unknown";
        if (out.json)
            printf("{\"event\":\"start\",\"next\":\"%s\"}\n", nx);
        else
            printf("start: next %s\n", nx);
        fflush(stdout);
    }
    check_servers();
    for (unsigned round = 0; !stop && (o->checks == 0 || round < o->checks); round++) {
        struct timespec ts = {(time_t)(interval / 1000), (long)(interval % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop) {
        }
        if (stop)
            break;
        int reopened = tool_card_reopen(o);
        if (reopened < 0)
            continue; /* still no card in the reader */
        if (reopened == 1) {
            (void)ucb_bridge_card_event(&bridge, true);
            continue;
        }
        if (apdu->transport.card_event != NULL) {
            int ev = apdu->transport.card_event(apdu->transport.ctx);
            if (ev == UCB_ERR_CARD_REMOVED) {
                (void)ucb_bridge_card_event(&bridge, false);
                continue;
            }
            if (ev == UCB_ERR_CARD_REINSERTED || ev == UCB_ERR_CARD_RESET) {
                (void)ucb_bridge_card_event(&bridge, true);
                continue;
            }
        }
        (void)ucb_bridge_tick(&bridge, (uint32_t)time(NULL));
        check_servers();
    }
    (void)rc;
    ucb_bridge_deinit(&bridge);
    tool_card_end();
    json_decref(out.actions);
    memset(file_buf, 0, sizeof(file_buf));
    memset(undo_buf, 0, sizeof(undo_buf));
    return fflush(stdout) == 0 ? TOOL_OK : TOOL_IO;
}
