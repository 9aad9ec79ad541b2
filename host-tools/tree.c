/* uiccboot host tool: the readable tree of `decode`. */
#include "tool.h"

#include <inttypes.h>
#include <stdio.h>

static void print_hex(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        printf("%02x", p[i]);
}

static bool printable(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    return len > 0;
}

/* A String is well-formed UTF-8 (checked by the library); control bytes,
 * quotes and backslashes are escaped so the line stays one line. */
static void print_string(const uint8_t *p, size_t len)
{
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '"' || p[i] == '\\')
            printf("\\%c", p[i]);
        else if (p[i] < 0x20 || p[i] == 0x7f)
            printf("\\x%02x", p[i]);
        else
            putchar(p[i]);
    }
    putchar('"');
}

static void print_bytes(const struct tool_val *v, const char *note)
{
    print_hex(v->ptr, v->len);
    printf("%s(%zu byte%s", v->len ? " " : "", v->len, v->len == 1 ? "" : "s");
    if (note != NULL)
        printf(", %s", note);
    if (v->kind == TV_OPAQUE && printable(v->ptr, v->len)) {
        printf(": ");
        print_string(v->ptr, v->len);
    }
    putchar(')');
}

static void print_val(uint16_t oid, uint16_t rid, const struct tool_val *v)
{
    const struct ucb_res_info *ri;
    char note[64];

    switch (v->kind) {
    case TV_STRING: print_string(v->ptr, v->len); break;
    case TV_INT: printf("%" PRId64, v->i); break;
    case TV_UINT: printf("%" PRIu64, v->u); break;
    case TV_FLOAT: printf("%.17g", v->f); break;
    case TV_BOOL: fputs(v->b ? "true" : "false", stdout); break;
    case TV_OBJLNK: printf("%u:%u", (unsigned)v->lnk_oid, (unsigned)v->lnk_iid); break;
    case TV_REDACTED: printf("<redacted, %zu bytes>", v->len); break;
    case TV_OPAQUE: print_bytes(v, NULL); break;
    case TV_RAW:
    default:
        ri = ucb_res_info_find(oid, rid);
        if (v->type_fault && ri != NULL) {
            snprintf(note, sizeof(note), "not a valid %s", tool_type_name((enum ucb_type)ri->type));
            print_bytes(v, note);
        } else {
            print_bytes(v, NULL);
        }
        break;
    }
    putchar('\n');
}

static const char *res_name(uint16_t oid, uint16_t rid)
{
    const struct ucb_res_info *ri = ucb_res_info_find(oid, rid);

    if (ri == NULL)
        return "(unknown)";
    return ri->name != NULL && ri->name[0] != '\0' ? ri->name : "-";
}

static void print_instance(const struct ucb_bootstrap *bs, uint16_t oid,
                           const struct ucb_bs_inst *in, bool show_secrets)
{
    size_t end = (size_t)in->first + in->count;
    struct tool_val v;
    char path[40];

    if (end > bs->nres)
        end = bs->nres;
    printf("  /%u/%u\n", (unsigned)oid, (unsigned)in->iid);
    for (size_t k = in->first; k < end; k++) {
        const struct ucb_bs_res *r = &bs->res[k];

        snprintf(path, sizeof(path), "/%u/%u/%u", (unsigned)oid, (unsigned)in->iid,
                 (unsigned)r->id);
        if (r->kind != UCB_TLV_MULTIPLE_RESOURCE) {
            tool_val_get(oid, r->id, r, show_secrets, &v);
            printf("    %-7s %-28s ", path, res_name(oid, r->id));
            print_val(oid, r->id, &v);
            continue;
        }
        size_t n = r->count < end - k - 1 ? r->count : end - k - 1;
        printf("    %-7s %-28s (%zu instance%s)\n", path, res_name(oid, r->id), n,
               n == 1 ? "" : "s");
        for (size_t j = 1; j <= n; j++) {
            char ipath[48];

            snprintf(ipath, sizeof(ipath), "%s/%u", path, (unsigned)bs->res[k + j].id);
            tool_val_get(oid, r->id, &bs->res[k + j], show_secrets, &v);
            printf("      %-9s ", ipath);
            print_val(oid, r->id, &v);
        }
        k += n;
    }
}

void tool_tree_print(const struct ucb_bootstrap *bs, bool show_secrets)
{
    size_t content = 4u + bs->size;
    size_t pad = bs->file_len > content ? bs->file_len - content : 0;

    printf("EF LwM2M_Bootstrap: %u object%s, %u bytes ", (unsigned)bs->nobj,
           bs->nobj == 1 ? "" : "s", (unsigned)bs->size);
    if (bs->trailing_garbage_offset == UCB_ID_NONE)
        printf("(+%zu padding)\n", pad);
    else
        printf("(+%zu trailing bytes, not all FF padding: first at offset %" PRIu32 ")\n", pad,
               bs->trailing_garbage_offset);
    for (size_t oi = 0; oi < bs->nobj; oi++) {
        const struct ucb_bs_obj *ob = &bs->obj[oi];
        const char *name = ucb_object_name(ob->oid);

        if (ob->major == 0 && ob->minor == 0)
            printf("%s /%u (version 1.0)\n", name ? name : "Unknown object", (unsigned)ob->oid);
        else
            printf("%s /%u (version %u.%u)\n", name ? name : "Unknown object",
                   (unsigned)ob->oid, (unsigned)ob->major, (unsigned)ob->minor);
        for (size_t ii = ob->first; ii < (size_t)ob->first + ob->count && ii < bs->ninst; ii++)
            print_instance(bs, ob->oid, &bs->inst[ii], show_secrets);
    }
}
