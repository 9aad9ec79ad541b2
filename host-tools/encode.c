/* uiccboot host tool: `encode`, a spec (JSON) to an EF LwM2M_Bootstrap file. */
#include "spec.h"

#include <stdlib.h>
#include <string.h>

/* Largest spec read: far beyond any spec of a 32 KB card file. */
#define SPEC_MAX (16u * 1024u * 1024u)

int tool_cmd_encode(const struct tool_opts *o)
{
    static struct ucb_bootstrap bs;
    struct spec s = {strcmp(o->input, "-") == 0 ? "<stdin>" : o->input, &bs, NULL, 0, 0};
    json_error_t jerr;
    json_t *root;
    uint8_t *out = NULL;
    char *text;
    size_t tlen;
    int rc = tool_read_all(o->input, SPEC_MAX, &text, &tlen), n;

    if (rc != TOOL_OK)
        return rc;
    root = json_loadb(text, tlen, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    free(text);
    if (root == NULL) {
        tool_err("%s: JSON error at line %d, column %d: %s", s.name, jerr.line, jerr.column,
                 jerr.text);
        return TOOL_INVALID;
    }
    ucb_bs_init(&bs);
    rc = TOOL_INVALID;
    if (spec_build_model(&s, root) != 0)
        goto done;
    /* Measure, then encode the whole file in memory before touching the output. */
    n = ucb_bs_encode(&bs, NULL, 0);
    if (n == UCB_ERR_TOO_LARGE) {
        tool_err("%s: the encoded file would exceed %u bytes", s.name, UCB_BOOTSTRAP_MAX);
        goto done;
    }
    if (n < 0) {
        tool_err("%s: cannot encode: %s", s.name, ucb_strerror(n));
        goto done;
    }
    out = malloc(n > 0 ? (size_t)n : 1);
    if (out == NULL || ucb_bs_encode(&bs, out, (size_t)n) != n) {
        tool_err("%s: cannot encode: %s", s.name, out == NULL ? "out of memory" : "size changed");
        rc = out == NULL ? TOOL_IO : TOOL_INVALID;
        goto done;
    }
    rc = tool_write_atomic(o->output, out, (size_t)n);
done:
    free(out);
    spec_free(&s);
    json_decref(root);
    return rc;
}
