/* uiccboot host tool: `decode` and `validate`, the two readers of a card file. */
#include "tool.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* One past the library's limit, so a larger file reaches the decoder as
 * UCB_BOOTSTRAP_MAX + 1 bytes and gets its FILE-TOO-LARGE fault; nothing
 * beyond that is ever read. */
static uint8_t file_buf[UCB_BOOTSTRAP_MAX + 1];
static struct ucb_bootstrap model;

static int finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        tool_err("cannot write standard output");
        return TOOL_IO;
    }
    return TOOL_OK;
}

int tool_print_decoded(const uint8_t *buf, size_t len, const char *name, const struct tool_opts *o,
                       const struct ucb_card_info *info)
{
    struct ucb_bs_fault fault;
    char text[200];
    int rc;

    memset(&fault, 0, sizeof(fault));
    fault.oid = fault.iid = fault.rid = fault.riid = UCB_ID_NONE;
    ucb_bs_init(&model);
    rc = ucb_bs_decode(&model, buf, len, &fault);
    if (rc < 0) {
        /* The fault text names a place, never a value: no secret leaks. */
        if (fault.err == 0)
            fault.err = rc;
        tool_fault_text(&fault, text, sizeof(text));
        tool_err("%s: %s", name, text);
        return TOOL_INVALID;
    }
    if (o->json) {
        json_t *doc = tool_json_from_model(&model, name, o->show_secrets);

        if (doc != NULL && info != NULL &&
            (json_object_set_new(doc, "card", tool_card_json(info)) != 0 ||
             json_object_set_new(doc, "route", tool_route_json(info->route)) != 0)) {
            json_decref(doc);
            doc = NULL;
        }
        if (doc == NULL) {
            tool_err("%s: out of memory building JSON", name);
            return TOOL_IO;
        }
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        putchar('\n');
        json_decref(doc);
    } else {
        if (info != NULL)
            tool_card_print(info);
        tool_tree_print(&model, o->show_secrets);
    }
    return finish_stdout();
}

int tool_cmd_decode(const struct tool_opts *o)
{
    size_t len;
    int rc = tool_read_bounded(o->input, file_buf, sizeof(file_buf), &len);

    if (rc != TOOL_OK)
        return rc;
    return tool_print_decoded(file_buf, len, o->input, o, NULL);
}

int tool_cmd_dump(const struct tool_opts *o)
{
    struct ucb_card_info info;
    size_t len;
    int rc = tool_card_read(o, file_buf, sizeof(file_buf) - 1, &len, &info);

    if (rc != TOOL_OK)
        return rc;
    rc = tool_print_decoded(file_buf, len, "card", o, &info);
    memset(file_buf, 0, len); /* the file holds PSKs */
    return rc;
}

struct diag_sink {
    json_t *list; /**< JSON mode: the diagnostics array */
    bool oom;
};

static void on_diag(void *ctx, const struct ucb_diag *d)
{
    struct diag_sink *s = ctx;
    const char *sev = d->severity == UCB_SEV_ERROR ? "error" : "warning";
    const char *code = d->rule != NULL ? d->rule->code : "UNKNOWN";
    const char *msg = d->message;
    char path[64];

    if (ucb_diag_path(d, path, sizeof(path)) < 0)
        tool_path_text(d->oid, d->iid, d->rid, d->riid, path, sizeof(path));
    if ((msg == NULL || msg[0] == '\0') && d->rule != NULL)
        msg = d->rule->summary;
    if (msg == NULL)
        msg = "";
    if (s->list == NULL) {
        printf("%s %s %s @0x%04" PRIx32 ": %s\n", sev, code, path, d->offset, msg);
        return;
    }
    if (json_array_append_new(s->list, json_pack("{s:s,s:s,s:s,s:I,s:s}", "rule", code,
                                                 "severity", sev, "path", path, "offset",
                                                 (json_int_t)d->offset, "message", msg)) != 0)
        s->oom = true;
}

static const char *plural(unsigned n, const char *word, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u %s%s", n, word, n == 1 ? "" : "s");
    return buf;
}

int tool_print_validated(const uint8_t *buf, size_t len, const char *name,
                         const struct tool_opts *o, const struct ucb_card_info *info)
{
    struct diag_sink sink = {NULL, false};
    struct ucb_validate_result res = {0, 0};
    char e[32], w[32];
    int rc;

    if (!o->json && info != NULL)
        tool_card_print(info);
    if (o->json && (sink.list = json_array()) == NULL) {
        tool_err("out of memory");
        return TOOL_IO;
    }
    ucb_bs_init(&model);
    rc = ucb_validate_file(buf, len, &model, on_diag, &sink, &res);
    if (rc < 0) {
        json_decref(sink.list);
        tool_err("%s: validation failed: %s", name, ucb_strerror(rc));
        return TOOL_INVALID;
    }
    if ((unsigned)rc > res.errors) /* the return value is the error count too */
        res.errors = (unsigned)rc;
    if (o->json) {
        json_t *doc = json_pack("{s:b,s:o}", "valid", res.errors == 0, "diagnostics", sink.list);

        if (doc != NULL && info != NULL &&
            json_object_set_new(doc, "card", tool_card_json(info)) != 0) {
            json_decref(doc);
            doc = NULL;
        }
        if (doc == NULL || sink.oom) {
            json_decref(doc);
            tool_err("out of memory building JSON");
            return TOOL_IO;
        }
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(doc);
    } else if (res.errors == 0) {
        printf("valid, %s\n", plural(res.warnings, "warning", w, sizeof(w)));
    } else {
        printf("invalid: %s, %s\n", plural(res.errors, "error", e, sizeof(e)),
               plural(res.warnings, "warning", w, sizeof(w)));
    }
    rc = finish_stdout();
    if (rc != TOOL_OK)
        return rc;
    return res.errors == 0 ? TOOL_OK : TOOL_INVALID;
}

int tool_cmd_validate(const struct tool_opts *o)
{
    struct ucb_card_info info;
    size_t len;
    int rc;

    if (o->input != NULL) {
        rc = tool_read_bounded(o->input, file_buf, sizeof(file_buf), &len);
        if (rc != TOOL_OK)
            return rc;
        return tool_print_validated(file_buf, len, o->input, o, NULL);
    }
    rc = tool_card_read(o, file_buf, sizeof(file_buf) - 1, &len, &info);
    if (rc != TOOL_OK)
        return rc;
    rc = tool_print_validated(file_buf, len, "card", o, &info);
    memset(file_buf, 0, len);
    return rc;
}
