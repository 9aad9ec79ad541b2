/*
 * uiccboot host tool: the card commands (readers, dump, validate on a card,
 * write) and what they share: opening the transport the options name,
 * the --trace printer, the PIN callback and the card summary.
 *
 * Transports: PC/SC (--reader, the default), an AT modem (--at) and the
 * in-process virtual UICC (--sim, for trying the tool without a reader).
 */
#include "tool.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <uiccboot/host.h>

#include "vuicc.h"

enum card_kind { CARD_PCSC, CARD_AT, CARD_SIM };

struct card_session {
    enum card_kind kind;
    struct ucb_pcsc pcsc;
    struct ucb_at_fd fd;
    struct ucb_at at;
    struct vuicc *sim;
    struct ucb_transport t;
    struct ucb_apdu a;
    bool show_secrets;
};

/* Session state is large (the AT line buffers, the engine): keep it static. */
static struct card_session session;

bool tool_has_card(const struct tool_opts *o)
{
    return o->reader != NULL || o->at != NULL || o->sim != NULL;
}

static void hex_line(FILE *f, char dir, const uint8_t *b, size_t len, size_t secret_off,
                     size_t secret_len, bool show_secrets)
{
    fputc(dir, f);
    fputc(' ', f);
    for (size_t i = 0; i < len; i++) {
        if (!show_secrets && secret_len != 0 && i >= secret_off && i - secret_off < secret_len)
            fputs("**", f);
        else
            fprintf(f, "%02X", b[i]);
    }
    fputc('\n', f);
}

/* --trace: one "> C-APDU" and one "< R-APDU" line per exchange on stderr,
 * as the transport carries them (GET RESPONSE and 6Cxx resends included).
 * The PIN of a VERIFY is masked unless --show-secrets. */
static void on_trace(void *ctx, enum ucb_trace_dir dir, const uint8_t *bytes, size_t len,
                     size_t secret_off, size_t secret_len)
{
    const struct card_session *s = ctx;

    hex_line(stderr, dir == UCB_TRACE_COMMAND ? '>' : '<', bytes, len, secret_off, secret_len,
             s->show_secrets);
    fflush(stderr);
}

/* The --pin value, handed to the reader only when the card asks for it. */
static int on_pin(void *ctx, uint8_t key_ref, uint8_t tries, uint8_t *pin, size_t cap,
                  size_t *out_len)
{
    const char *given = ctx;
    size_t n;

    (void)key_ref;
    (void)tries;
    if (given == NULL) {
        tool_err("card: the bootstrap file is PIN-protected; give --pin PIN");
        return UCB_ERR_CARD_SECURITY;
    }
    n = strlen(given);
    if (n > cap)
        return UCB_ERR_ARG;
    memcpy(pin, given, n);
    *out_len = n;
    return 0;
}

/* Parse a hex option value into buf; spaces and ':' are allowed. */
static int parse_hex_opt(const char *name, const char *hex, uint8_t *buf, size_t cap,
                         size_t *out_len)
{
    size_t n = 0;
    int hi = -1;

    for (const char *p = hex; *p != '\0'; p++) {
        int v;

        if (*p == ' ' || *p == ':')
            continue;
        if (!isxdigit((unsigned char)*p)) {
            tool_err("%s: '%c' is not a hex digit", name, *p);
            return TOOL_USAGE;
        }
        v = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
        if (hi < 0) {
            hi = v;
        } else {
            if (n == cap) {
                tool_err("%s: longer than %zu bytes", name, cap);
                return TOOL_USAGE;
            }
            buf[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0 || n == 0) {
        tool_err("%s: needs an even number of hex digits", name);
        return TOOL_USAGE;
    }
    *out_len = n;
    return TOOL_OK;
}

/* Read a bootstrap file to put on a card: at most UCB_BOOTSTRAP_MAX bytes,
 * the most an EF LwM2M_Bootstrap can hold (`buf` has one byte more). */
static int read_card_file(const char *path, uint8_t *buf, size_t *out_len)
{
    int rc = tool_read_bounded(path, buf, UCB_BOOTSTRAP_MAX + 1, out_len);

    if (rc != TOOL_OK)
        return rc;
    if (*out_len > UCB_BOOTSTRAP_MAX) {
        tool_err("%s: larger than %u bytes, the most an EF LwM2M_Bootstrap can hold", path,
                 (unsigned)UCB_BOOTSTRAP_MAX);
        return TOOL_INVALID;
    }
    return TOOL_OK;
}

static int open_sim(const struct tool_opts *o, struct card_session *s)
{
    static uint8_t content[UCB_BOOTSTRAP_MAX + 1];
    struct vuicc_profile p;
    char err[200];
    size_t len;
    int rc;

    vuicc_profile_default(&p);
    if (o->profile != NULL && vuicc_profile_load(&p, o->profile, err, sizeof(err)) != 0) {
        tool_err("%s: %s", o->profile, err);
        return TOOL_INVALID;
    }
    rc = read_card_file(o->sim, content, &len);
    if (rc != TOOL_OK)
        return rc;
    s->sim = vuicc_new(&p, content, len, err, sizeof(err));
    memset(content, 0, len);
    if (s->sim == NULL) {
        tool_err("%s: %s", o->sim, err);
        return TOOL_INVALID;
    }
    vuicc_transport(s->sim, &s->t);
    return TOOL_OK;
}

/* Open the transport the options name. With @p absent_ok, an empty PC/SC
 * reader is not an error: nothing is printed and 1 is returned. */
static int open_session(const struct tool_opts *o, struct card_session *s, bool absent_ok)
{
    int n = (o->reader != NULL) + (o->at != NULL) + (o->sim != NULL);
    int rc;

    memset(s, 0, sizeof(*s));
    s->fd.fd = -1;
    s->show_secrets = o->show_secrets;
    if (n > 1) {
        tool_err("give one of --reader, --at and --sim");
        return TOOL_USAGE;
    }
    if (o->at == NULL && (o->baud != 0 || o->at_mode != NULL)) {
        tool_err("--baud and --at-mode need --at DEVICE");
        return TOOL_USAGE;
    }
    if (o->sim == NULL && o->profile != NULL) {
        tool_err("--profile needs --sim FILE");
        return TOOL_USAGE;
    }
    if (o->sim != NULL) {
        s->kind = CARD_SIM;
        rc = open_sim(o, s);
        if (rc != TOOL_OK)
            return rc;
    } else if (o->at != NULL) {
        enum ucb_at_mode mode = UCB_AT_CSIM;

        s->kind = CARD_AT;
        if (o->at_mode != NULL) {
            if (strcmp(o->at_mode, "cgla") == 0) {
                mode = UCB_AT_CGLA;
            } else if (strcmp(o->at_mode, "csim") != 0) {
                tool_err("--at-mode: '%s' is not csim or cgla", o->at_mode);
                return TOOL_USAGE;
            }
        }
        rc = ucb_at_fd_open(&s->fd, o->at, o->baud);
        if (rc < 0) {
            tool_err("%s: cannot open the modem: %s", o->at, ucb_strerror(rc));
            return rc == UCB_ERR_ARG ? TOOL_USAGE : TOOL_IO;
        }
        ucb_at_fd_bind(&s->at, &s->fd, mode);
        ucb_at_transport(&s->at, &s->t);
    } else {
        s->kind = CARD_PCSC;
        rc = ucb_pcsc_open(&s->pcsc, o->reader);
        if (rc == UCB_ERR_CARD_REMOVED && absent_ok) {
            ucb_pcsc_close(&s->pcsc); /* reopened by tool_card_reopen() */
            return 1;
        }
        if (rc < 0) {
            if (rc == UCB_ERR_ARG)
                tool_err("reader '%s' not found (see 'uiccboot readers')", o->reader);
            else if (rc == UCB_ERR_CARD_REMOVED)
                tool_err("%s: no card in the reader", o->reader != NULL ? o->reader : "PC/SC");
            else
                tool_err("PC/SC: %s (is pcscd running?)", ucb_strerror(rc));
            return TOOL_IO;
        }
        ucb_pcsc_transport(&s->pcsc, &s->t);
    }
    ucb_apdu_init(&s->a, &s->t);
    if (o->trace) {
        s->a.trace = on_trace;
        s->a.trace_ctx = s;
    }
    return TOOL_OK;
}

static void close_session(struct card_session *s)
{
    ucb_apdu_deinit(&s->a);
    switch (s->kind) {
    case CARD_PCSC:
        ucb_pcsc_close(&s->pcsc);
        break;
    case CARD_AT:
        ucb_at_deinit(&s->at);
        ucb_at_fd_close(&s->fd);
        break;
    case CARD_SIM:
        vuicc_free(s->sim);
        s->sim = NULL;
        break;
    }
}

/* SCP03 state for one card command: the static keys from --scp03-keys and
 * the session. Both are wiped by scp03_wipe() when the command ends. */
static struct ucb_scp03_keys scp03_keys;
static struct ucb_scp03_config scp03_cfg;
static struct ucb_scp03 scp03_session;

static void scp03_wipe(void)
{
    ucb_scp03_close(&scp03_session);
    /* volatile: the compiler may not drop the wipe of data it sees die */
    volatile uint8_t *k = (volatile uint8_t *)&scp03_keys;
    for (size_t i = 0; i < sizeof(scp03_keys); i++)
        k[i] = 0;
}

static int hex_key(const char *file, json_t *doc, const char *name, uint8_t *out, size_t *len)
{
    json_t *v = json_object_get(doc, name);
    const char *hex = json_string_value(v);
    size_t n = hex != NULL ? strlen(hex) : 0;

    if (hex == NULL) {
        tool_err("%s: \"%s\" is missing or not a string of hex digits", file, name);
        return TOOL_INVALID;
    }
    if (n != 32 && n != 48 && n != 64) {
        tool_err("%s: \"%s\" must be an AES-128, -192 or -256 key (32, 48 or 64 hex digits)",
                 file, name);
        return TOOL_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)hex[i])) {
            tool_err("%s: \"%s\" holds a character that is not a hex digit", file, name);
            return TOOL_INVALID;
        }
        int d = isdigit((unsigned char)hex[i]) ? hex[i] - '0' : tolower((unsigned char)hex[i]) - 'a' + 10;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(d << 4);
        else
            out[i / 2] |= (uint8_t)d;
    }
    if (*len != 0 && *len != n / 2) {
        tool_err("%s: \"enc\", \"mac\" and \"dek\" must have the same length", file);
        return TOOL_INVALID;
    }
    *len = n / 2;
    return TOOL_OK;
}

/*
 * --scp03-keys KEYFILE: {"kvn": 48, "enc": HEX, "mac": HEX, "dek": HEX}
 * (the card-only keys of the simulator's key files, "i", "diversification",
 * "sequence", and "description", are accepted and ignored). Keys never come from the command line itself, and no
 * message quotes a key byte. A key file others can read gets a warning.
 */
static int load_scp03(const struct tool_opts *o)
{
    /* The simulator's key files work here too: its card-only keys are
     * accepted and ignored (docs/simcard.md). */
    static const char *const known[] = {"kvn", "enc", "mac", "dek", "i", "description",
                                        "diversification", "sequence"};
    json_error_t jerr;
    struct stat st;
    const char *key;
    json_t *doc, *v;
    size_t len = 0;
    int rc = TOOL_OK;

    if (o->scp03_keys == NULL) {
        if (o->scp03_level != NULL || o->scp03_policy != NULL) {
            tool_err("--scp03-level and --scp03-policy need --scp03-keys KEYFILE");
            return TOOL_USAGE;
        }
        return TOOL_OK;
    }
    if (stat(o->scp03_keys, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        tool_err("warning: %s: key file is accessible to other users (chmod 600)",
                 o->scp03_keys);
    doc = json_load_file(o->scp03_keys, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        /* jansson's text names the place, not the content */
        tool_err("%s: line %d: %s", o->scp03_keys, jerr.line, jerr.text);
        return TOOL_INVALID;
    }
    if (!json_is_object(doc)) {
        tool_err("%s: must be a JSON object", o->scp03_keys);
        json_decref(doc);
        return TOOL_INVALID;
    }
    json_object_foreach(doc, key, v) {
        bool ok = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            ok |= strcmp(key, known[i]) == 0;
        if (!ok) {
            tool_err("%s: unknown key \"%s\"", o->scp03_keys, key);
            rc = TOOL_INVALID;
        }
    }
    v = json_object_get(doc, "kvn");
    if (rc == TOOL_OK && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                          json_integer_value(v) > 255)) {
        tool_err("%s: \"kvn\" must be a number 0..255 (0 = the card's first key set)",
                 o->scp03_keys);
        rc = TOOL_INVALID;
    }
    if (rc == TOOL_OK)
        scp03_keys.kvn = (uint8_t)json_integer_value(v);
    if (rc == TOOL_OK)
        rc = hex_key(o->scp03_keys, doc, "enc", scp03_keys.enc, &len);
    if (rc == TOOL_OK)
        rc = hex_key(o->scp03_keys, doc, "mac", scp03_keys.mac, &len);
    if (rc == TOOL_OK)
        rc = hex_key(o->scp03_keys, doc, "dek", scp03_keys.dek, &len);
    json_decref(doc);
    if (rc != TOOL_OK) {
        scp03_wipe();
        return rc;
    }
    scp03_keys.len = (uint8_t)len;
    memset(&scp03_cfg, 0, sizeof(scp03_cfg));
    scp03_cfg.keys = &scp03_keys;
    scp03_cfg.level = UCB_SCP03_LEVEL_DEFAULT;
    if (o->scp03_level != NULL) {
        uint8_t lv;
        size_t n;
        static const uint8_t allowed[] = {0x01, 0x03, 0x11, 0x13, 0x33};
        bool ok = false;

        if (parse_hex_opt("--scp03-level", o->scp03_level, &lv, 1, &n) != TOOL_OK) {
            scp03_wipe();
            return TOOL_USAGE;
        }
        for (size_t i = 0; i < sizeof(allowed); i++)
            ok |= lv == allowed[i];
        if (!ok) {
            tool_err("--scp03-level: %02X is not one of 33, 13, 11, 03, 01", lv);
            scp03_wipe();
            return TOOL_USAGE;
        }
        scp03_cfg.level = lv;
    }
    ucb_scp03_init(&scp03_session);
    return TOOL_OK;
}

/* Reader options from the command line; the buffers live in static storage
 * because the options point into them for the whole read. */
static int card_opts(const struct tool_opts *o, struct ucb_card_opts *co)
{
    static uint8_t aid[UCB_AID_MAX], oid[32], path[UCB_PATH_MAX];
    int rc;

    memset(co, 0, sizeof(*co));
    if (o->scp03_policy != NULL && strcmp(o->scp03_policy, "require") != 0 &&
        strcmp(o->scp03_policy, "prefer") != 0) {
        tool_err("--scp03-policy: '%s' is not require or prefer", o->scp03_policy);
        return TOOL_USAGE;
    }
    if (o->aid != NULL) {
        rc = parse_hex_opt("--aid", o->aid, aid, sizeof(aid), &co->aid_len);
        if (rc != TOOL_OK)
            return rc;
        co->aid = aid;
    }
    if (o->oid != NULL) {
        rc = parse_hex_opt("--oid", o->oid, oid, sizeof(oid), &co->oid_len);
        if (rc != TOOL_OK)
            return rc;
        co->oid = oid;
    }
    if (o->path != NULL) {
        rc = parse_hex_opt("--path", o->path, path, sizeof(path), &co->path_len);
        if (rc != TOOL_OK)
            return rc;
        if (co->path_len % 2 != 0) {
            tool_err("--path: a path is a sequence of 2-byte file identifiers");
            return TOOL_USAGE;
        }
        co->path = path;
    }
    co->pin = on_pin;
    co->pin_ctx = (void *)(uintptr_t)o->pin;
    /* Last, so no early return above leaves keys loaded. */
    rc = load_scp03(o);
    if (rc != TOOL_OK)
        return rc;
    if (o->scp03_keys != NULL) {
        co->scp03 = &scp03_session;
        co->scp03_cfg = &scp03_cfg;
        co->scp03_policy = o->scp03_policy != NULL && strcmp(o->scp03_policy, "prefer") == 0
                               ? UCB_SCP03_PREFER
                               : UCB_SCP03_REQUIRE;
    }
    return TOOL_OK;
}

/* "card: card removed at READ BINARY of the bootstrap EF (SW 6A82: ...)" */
static void card_error(int rc, const struct ucb_card_info *info)
{
    const char *step = ucb_card_step_name(info->step);

    if (info->sw != 0 && !ucb_sw_ok(info->sw) && UCB_ERR_IS_CARD(rc))
        tool_err("card: %s at %s (SW %04X: %s)", ucb_strerror(rc), step, (unsigned)info->sw,
                 ucb_sw_text(info->sw));
    else
        tool_err("card: %s at %s", ucb_strerror(rc), step);
}

/* A reader without a card, for `watch`: every exchange says so. */
static int absent_transmit(void *ctx, const uint8_t *c, size_t cl, uint8_t *r, size_t rc_,
                           size_t *n, uint32_t t)
{
    (void)ctx, (void)c, (void)cl, (void)r, (void)rc_, (void)t;
    *n = 0;
    return UCB_ERR_CARD_REMOVED;
}

static int absent_event(void *ctx)
{
    (void)ctx;
    return UCB_ERR_CARD_REMOVED;
}

static bool waiting_for_card;

int tool_card_reopen(const struct tool_opts *o)
{
    struct ucb_transport t;

    if (!waiting_for_card)
        return 0;
    if (ucb_pcsc_open(&session.pcsc, o->reader) != 0)
        return -1;
    ucb_pcsc_transport(&session.pcsc, &t);
    session.a.transport = t; /* the bridge keeps its engine; only the transport changes */
    waiting_for_card = false;
    return 1;
}

/* Reader options and the session of one card command; on failure what was
 * opened is closed and the keys wiped. Returns a TOOL_* code, or 1 for an
 * empty PC/SC reader when @p absent_ok. */
static int command_begin(const struct tool_opts *o, struct ucb_card_opts *co, bool absent_ok)
{
    int rc = card_opts(o, co);

    if (rc != TOOL_OK)
        return rc;
    rc = open_session(o, &session, absent_ok);
    if (rc != TOOL_OK && rc != 1) {
        close_session(&session);
        scp03_wipe();
    }
    return rc;
}

/* Close the session and wipe the keys of one card command. */
static void command_end(void)
{
    close_session(&session);
    scp03_wipe();
}

int tool_card_begin(const struct tool_opts *o, struct ucb_apdu **out_apdu,
                    struct ucb_card_opts *out_opts)
{
    /* watch starts with or without a card in the reader */
    int rc = command_begin(o, out_opts, true);

    waiting_for_card = false;
    if (rc == 1) {
        struct ucb_transport t = {absent_transmit, NULL, absent_event, NULL, 0};
        ucb_apdu_init(&session.a, &t);
        waiting_for_card = true;
        rc = TOOL_OK;
    }
    if (rc != TOOL_OK)
        return rc;
    *out_apdu = &session.a;
    return TOOL_OK;
}

void tool_card_end(void)
{
    if (waiting_for_card) {
        ucb_apdu_deinit(&session.a);
        scp03_wipe();
        return;
    }
    command_end();
}

int tool_card_read(const struct tool_opts *o, uint8_t *buf, size_t cap, size_t *out_len,
                   struct ucb_card_info *info)
{
    struct ucb_card_opts co;
    int rc;

    memset(info, 0, sizeof(*info));
    rc = command_begin(o, &co, false);
    if (rc != TOOL_OK)
        return rc;
    rc = ucb_card_read_bootstrap(&session.a, &co, buf, cap, info);
    command_end();
    if (rc < 0) {
        card_error(rc, info);
        return TOOL_IO;
    }
    *out_len = (size_t)rc;
    return TOOL_OK;
}

static void hex_str(const uint8_t *b, size_t len, char *out)
{
    static const char digits[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * len] = '\0';
}

json_t *tool_card_json(const struct ucb_card_info *info)
{
    char aid[2 * UCB_AID_MAX + 1], path[2 * UCB_PATH_MAX + 1], sha[65];

    hex_str(info->aid, info->aid_len, aid);
    hex_str(info->path, info->path_len, path);
    hex_str(info->sha256, sizeof(info->sha256), sha);
    return json_pack("{s:s,s:s,s:s,s:s}", "iccid", info->iccid_str, "aid", aid, "path", path,
                     "sha256", sha);
}

static const struct {
    uint32_t bit;
    const char *name;
} route_names[] = {
    {UCB_ROUTE_EF_DIR, "ef-dir"},
    {UCB_ROUTE_NO_EF_DIR, "no-ef-dir-default-aid"},
    {UCB_ROUTE_AID_OVERRIDE, "aid-override"},
    {UCB_ROUTE_LOGICAL_CHANNEL, "logical-channel"},
    {UCB_ROUTE_BASIC_CHANNEL, "basic-channel"},
    {UCB_ROUTE_ODF_DEFAULT, "odf-5031"},
    {UCB_ROUTE_OID_CORRECT, "oid"},
    {UCB_ROUTE_OID_DOUBLE, "oid-double-encoded"},
    {UCB_ROUTE_OID_APPLICATION, "application-oid"},
    {UCB_ROUTE_OID_OVERRIDE, "oid-override"},
    {UCB_ROUTE_FIXED_PATH, "fixed-path"},
    {UCB_ROUTE_PIN_VERIFIED, "pin-verified"},
    {UCB_ROUTE_PRIVATE, "private"},
    {UCB_ROUTE_NO_ICCID, "no-iccid"},
    {UCB_ROUTE_SIZE_UNKNOWN, "size-unknown"},
    {UCB_ROUTE_SCP03, "scp03"},
    {UCB_ROUTE_SCP03_SKIPPED, "scp03-skipped-card-has-none"},
};

json_t *tool_route_json(uint32_t route)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < sizeof(route_names) / sizeof(route_names[0]); i++)
        if ((route & route_names[i].bit) != 0)
            json_array_append_new(a, json_string(route_names[i].name));
    return a;
}

void tool_card_print(const struct ucb_card_info *info)
{
    char aid[2 * UCB_AID_MAX + 1], path[2 * UCB_PATH_MAX + 1], sha[65];
    const char *sep = "";

    hex_str(info->aid, info->aid_len, aid);
    hex_str(info->path, info->path_len, path);
    hex_str(info->sha256, sizeof(info->sha256), sha);
    printf("card ICCID %s\n", info->iccid_len ? info->iccid_str : "(none)");
    printf("  application %s, file %s, %zu bytes, SHA-256 %s\n", aid[0] ? aid : "(none)", path,
           info->size, sha);
    printf("  route:");
    for (size_t i = 0; i < sizeof(route_names) / sizeof(route_names[0]); i++) {
        if ((info->route & route_names[i].bit) != 0) {
            printf("%s %s", sep, route_names[i].name);
            sep = ",";
        }
    }
    if (info->scp03_level != 0)
        printf("; SCP03 level %02X, key version %u", info->scp03_level, info->scp03_kvn);
    printf("; %u commands\n", (unsigned)info->n_commands);
}

int tool_cmd_readers(const struct tool_opts *o)
{
    static char names[8192];
    int n = ucb_pcsc_list(names, sizeof(names));
    json_t *doc = NULL, *list = NULL;
    const char *p = names;

    if (n < 0) {
        tool_err("PC/SC: %s (is pcscd running?)", ucb_strerror(n));
        return TOOL_IO;
    }
    if (o->json) {
        list = json_array();
        doc = json_pack("{s:o}", "readers", list);
        if (doc == NULL) {
            tool_err("out of memory");
            return TOOL_IO;
        }
    }
    for (int i = 0; i < n; i++, p += strlen(p) + 1) {
        int card = ucb_pcsc_card_present(p);

        if (o->json)
            json_array_append_new(list, json_pack("{s:i,s:s,s:b}", "index", i, "name", p,
                                                  "card", card == 1));
        else
            printf("%d: %s%s\n", i, p, card == 1 ? " (card present)" : "");
    }
    if (o->json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(doc);
    } else if (n == 0) {
        printf("no readers\n");
    }
    return fflush(stdout) == 0 ? TOOL_OK : TOOL_IO;
}

int tool_cmd_write(const struct tool_opts *o)
{
    static uint8_t data[UCB_BOOTSTRAP_MAX + 1];
    static struct ucb_bootstrap bs;
    struct ucb_validate_result res = {0, 0};
    struct ucb_card_info info;
    struct ucb_card_opts co;
    size_t len;
    int rc = read_card_file(o->input, data, &len);

    if (rc != TOOL_OK)
        return rc;
    /* Never put content on a card that a device would reject, unless asked. */
    ucb_bs_init(&bs);
    rc = ucb_validate_file(data, len, &bs, NULL, NULL, &res);
    if ((rc < 0 || res.errors != 0) && !o->force) {
        tool_err("%s: does not validate (run 'uiccboot validate %s'); --force writes it anyway",
                 o->input, o->input);
        return TOOL_INVALID;
    }
    rc = command_begin(o, &co, false);
    if (rc != TOOL_OK)
        return rc;
    memset(&info, 0, sizeof(info));
    rc = ucb_card_write_bootstrap(&session.a, &co, data, len, o->pad, &info);
    command_end();
    memset(data, 0, len);
    if (rc < 0) {
        card_error(rc, &info);
        return TOOL_IO;
    }
    printf("wrote %zu bytes to card ICCID %s, read back and verified\n", len,
           info.iccid_len ? info.iccid_str : "(none)");
    return fflush(stdout) == 0 ? TOOL_OK : TOOL_IO;
}
