/*
 * EF LwM2M_Bootstrap codec (LwM2M Core 1.1.1 Appendix G.3.4; G.3.3 in the
 * 1.0.2 / 1.1 drafts) and the flat bootstrap-data model.
 */
#include <string.h>

#include "uiccboot/bootstrap.h"
#include "uiccboot/err.h"

#if UCB_CONFIG_TEXT
#define WHAT(s) s
#else
#define WHAT(s) ""
#endif

void ucb_bs_init(struct ucb_bootstrap *bs)
{
    memset(bs, 0, sizeof *bs);
    bs->trailing_garbage_offset = UCB_ID_NONE;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* ---- model building ---- */

int ucb_bs_add_object(struct ucb_bootstrap *bs, uint16_t oid, uint8_t major, uint8_t minor)
{
    if (major == 0u && minor != 0u) {
        return UCB_ERR_ARG; /* a 00 version byte has no minor byte */
    }
    if (bs->nobj >= UCB_BS_MAX_OBJECTS) {
        return UCB_ERR_CAPACITY;
    }
    struct ucb_bs_obj *o = &bs->obj[bs->nobj];
    memset(o, 0, sizeof *o);
    o->oid = oid;
    o->major = major;
    o->minor = minor;
    o->first = bs->ninst;
    return bs->nobj++;
}

int ucb_bs_add_instance(struct ucb_bootstrap *bs, uint16_t iid)
{
    if (bs->nobj == 0u) {
        return UCB_ERR_ARG;
    }
    if (bs->ninst >= UCB_BS_MAX_INSTANCES) {
        return UCB_ERR_CAPACITY;
    }
    struct ucb_bs_inst *in = &bs->inst[bs->ninst];
    memset(in, 0, sizeof *in);
    in->iid = iid;
    in->object = (uint16_t)(bs->nobj - 1u);
    in->first = bs->nres;
    bs->obj[bs->nobj - 1u].count++;
    return bs->ninst++;
}

/* Append an entry to the last instance, which must belong to the last object. */
static int add_entry(struct ucb_bootstrap *bs, enum ucb_tlv_kind kind, uint16_t id,
                     const uint8_t *value, size_t len)
{
    if (bs->ninst == 0u || bs->inst[bs->ninst - 1u].object != bs->nobj - 1u || len > 0xFFFFu ||
        (value == NULL && len != 0u)) {
        return UCB_ERR_ARG;
    }
    if (bs->nres >= UCB_BS_MAX_RESOURCES) {
        return UCB_ERR_CAPACITY;
    }
    struct ucb_bs_res *r = &bs->res[bs->nres];
    memset(r, 0, sizeof *r);
    r->kind = (uint8_t)kind;
    r->id = id;
    r->value = value;
    r->len = (uint16_t)len;
    bs->inst[bs->ninst - 1u].count++;
    return bs->nres++;
}

int ucb_bs_add_resource(struct ucb_bootstrap *bs, uint16_t rid, const uint8_t *value, size_t len)
{
    return add_entry(bs, UCB_TLV_RESOURCE, rid, value, len);
}

int ucb_bs_add_multiple(struct ucb_bootstrap *bs, uint16_t rid)
{
    return add_entry(bs, UCB_TLV_MULTIPLE_RESOURCE, rid, NULL, 0);
}

int ucb_bs_add_resource_instance(struct ucb_bootstrap *bs, uint16_t riid, const uint8_t *value,
                                 size_t len)
{
    if (bs->ninst == 0u) {
        return UCB_ERR_ARG;
    }
    /* The Multiple Resource is the last top-level entry of the last instance. */
    const struct ucb_bs_inst *in = &bs->inst[bs->ninst - 1u];
    size_t i = bs->nres;
    while (i > in->first && bs->res[i - 1u].kind == UCB_TLV_RESOURCE_INSTANCE) {
        i--;
    }
    if (i == in->first || bs->res[i - 1u].kind != UCB_TLV_MULTIPLE_RESOURCE) {
        return UCB_ERR_ARG;
    }
    const int rc = add_entry(bs, UCB_TLV_RESOURCE_INSTANCE, riid, value, len);
    if (rc >= 0) {
        bs->res[i - 1u].count++;
    }
    return rc;
}

int ucb_bs_find_res(const struct ucb_bootstrap *bs, size_t inst_index, uint16_t rid)
{
    if (inst_index >= bs->ninst) {
        return UCB_ERR_NOT_PRESENT;
    }
    const struct ucb_bs_inst *in = &bs->inst[inst_index];
    for (size_t i = in->first; i < (size_t)in->first + in->count && i < bs->nres; i++) {
        if (bs->res[i].kind != UCB_TLV_RESOURCE_INSTANCE && bs->res[i].id == rid) {
            return (int)i;
        }
    }
    return UCB_ERR_NOT_PRESENT;
}

void ucb_bs_res_tlv(const struct ucb_bs_res *r, struct ucb_tlv *out)
{
    out->kind = (enum ucb_tlv_kind)r->kind;
    out->id = r->id;
    out->value = r->value;
    out->len = r->len;
    out->offset = r->offset;
    out->value_offset = r->offset + (r->hdr_len != 0u ? r->hdr_len
                                                      : ucb_tlv_header_size(r->id, r->len));
}

/* ---- decoder ---- */

struct dec {
    struct ucb_bootstrap *bs;
    struct ucb_bs_fault *fault;
};

static int fail(struct dec *d, enum ucb_bs_fault_kind kind, int err, size_t offset,
                const char *what)
{
    if (d->fault != NULL) {
        d->fault->kind = kind;
        d->fault->err = err;
        d->fault->offset = (uint32_t)offset;
        d->fault->what = what;
    }
    return err;
}

static int tlv_fail(struct dec *d, const struct ucb_tlv_cursor *c, int err)
{
    if (err == UCB_ERR_NESTING) {
        return fail(d, UCB_BS_FAULT_TLV_NESTING, err, c->err_offset,
                    WHAT("TLV kind not allowed here (object > instance > resource > resource instance)"));
    }
    return fail(d, UCB_BS_FAULT_TLV_TRUNCATED, err, c->err_offset,
                WHAT("TLV length runs past its container"));
}

static int capacity(struct dec *d, size_t offset)
{
    return fail(d, UCB_BS_FAULT_CAPACITY, UCB_ERR_CAPACITY, offset,
                WHAT("more objects, instances or resources than the model holds (UCB_BS_MAX_*)"));
}

/* Record a new entry's place in the file, or turn the add error into a fault. */
static int placed(struct dec *d, int idx, const struct ucb_tlv *t)
{
    const size_t offset = t->offset;
    if (idx < 0) {
        return idx == UCB_ERR_CAPACITY
                   ? capacity(d, offset)
                   : fail(d, UCB_BS_FAULT_TLV_MALFORMED, idx, offset,
                          WHAT("resource value longer than 65535 bytes"));
    }
    d->bs->res[idx].offset = (uint32_t)offset;
    d->bs->res[idx].hdr_len = (uint8_t)(t->value_offset - offset);
    return 0;
}

/* The resource instances of one Multiple Resource. */
static int decode_multiple(struct dec *d, const struct ucb_tlv *mr)
{
    struct ucb_tlv_cursor c;
    struct ucb_tlv ri;
    int rv;

    (void)ucb_tlv_enter(&c, mr);
    for (;;) {
        d->fault->riid = UCB_ID_NONE; /* a fault in the next header has no ID yet */
        if ((rv = ucb_tlv_next(&c, &ri)) != 1) {
            break;
        }
        d->fault->riid = ri.id;
        rv = placed(d, ucb_bs_add_resource_instance(d->bs, ri.id, ri.value, ri.len), &ri);
        if (rv < 0) {
            return rv;
        }
    }
    if (rv < 0) {
        return tlv_fail(d, &c, rv);
    }
    d->fault->riid = UCB_ID_NONE;
    return 0;
}

/* One Object Instance TLV: its resources and multiple resources. */
static int decode_instance(struct dec *d, const struct ucb_tlv *it)
{
    struct ucb_tlv_cursor c;
    struct ucb_tlv r;
    int rv;

    (void)ucb_tlv_enter(&c, it);
    for (;;) {
        d->fault->rid = UCB_ID_NONE;
        if ((rv = ucb_tlv_next(&c, &r)) != 1) {
            break;
        }
        d->fault->rid = r.id;
        if (r.kind == UCB_TLV_RESOURCE) {
            rv = placed(d, ucb_bs_add_resource(d->bs, r.id, r.value, r.len), &r);
        } else {
            rv = placed(d, ucb_bs_add_multiple(d->bs, r.id), &r);
            if (rv == 0) {
                rv = decode_multiple(d, &r);
            }
        }
        if (rv < 0) {
            return rv;
        }
    }
    if (rv < 0) {
        return tlv_fail(d, &c, rv);
    }
    d->fault->rid = UCB_ID_NONE;
    return 0;
}

/* One object entry at `pos`; its end must not pass `end` (4 + size). */
/*
 * Header bytes of the object entry at `p`: object ID, version (00, or major
 * and minor), length. 0 when fewer than 3 bytes remain before `end`, so the
 * version byte that decides the size cannot be read.
 */
static size_t object_header_len(const uint8_t *file, size_t p, size_t end)
{
    return end - p < 3u ? 0u : file[p + 2u] != 0u ? 6u : 5u;
}

static int decode_object(struct dec *d, const uint8_t *file, size_t len, size_t end, size_t *pos)
{
    const size_t at = *pos;
    const size_t hdr = object_header_len(file, at, end);

    if (hdr == 0u) {
        goto cut;
    }
    const uint16_t oid = be16(file + at);
    d->fault->oid = oid;
    if (end - at < hdr) {
        goto cut;
    }
    const uint8_t major = file[at + 2u];
    const uint8_t minor = hdr == 6u ? file[at + 3u] : 0u;
    const uint16_t olen = be16(file + at + hdr - 2u);
    const size_t p = at + hdr;
    if (olen > end - p) {
        if (olen > len - p) {
            return fail(d, UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, at,
                        WHAT("object length runs past the end of the file"));
        }
        return fail(d, UCB_BS_FAULT_SIZE_MISMATCH, UCB_ERR_MALFORMED, at,
                    WHAT("object length runs past the size in the file header"));
    }

    int idx = ucb_bs_add_object(d->bs, oid, major, minor);
    if (idx < 0) {
        return capacity(d, at);
    }
    d->bs->obj[idx].offset = (uint32_t)at;
    d->bs->obj[idx].len = olen;

    /* LwM2M Core G.3.4: the payload is Object Instance TLVs and nothing else. */
    struct ucb_tlv_cursor c;
    struct ucb_tlv it;
    int rv;
    ucb_tlv_cursor_init(&c, file + p, olen, p, UCB_TLV_ALLOW(UCB_TLV_OBJECT_INSTANCE));
    for (;;) {
        d->fault->iid = UCB_ID_NONE;
        if ((rv = ucb_tlv_next(&c, &it)) != 1) {
            break;
        }
        d->fault->iid = it.id;
        if (it.id == 0xFFFFu) {
            /* LwM2M Core 7.4.3 / 6.1: ID 65535 (MAX_ID) is reserved, never an instance. */
            return fail(d, UCB_BS_FAULT_TLV_MALFORMED, UCB_ERR_MALFORMED, it.offset,
                        WHAT("Object Instance ID 65535 (MAX_ID) is reserved"));
        }
        idx = ucb_bs_add_instance(d->bs, it.id);
        if (idx < 0) {
            return capacity(d, it.offset);
        }
        d->bs->inst[idx].offset = (uint32_t)it.offset;
        rv = decode_instance(d, &it);
        if (rv < 0) {
            return rv;
        }
        d->fault->iid = UCB_ID_NONE;
    }
    if (rv < 0) {
        return tlv_fail(d, &c, rv);
    }
    d->fault->oid = UCB_ID_NONE;
    *pos = p + olen;
    return 0;

cut:
    if (end < len) {
        return fail(d, UCB_BS_FAULT_SIZE_MISMATCH, UCB_ERR_MALFORMED, at,
                    WHAT("object header runs past the size in the file header"));
    }
    return fail(d, UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, at,
                WHAT("object header runs past the end of the file"));
}

int ucb_bs_decode(struct ucb_bootstrap *bs, const uint8_t *file, size_t len,
                  struct ucb_bs_fault *out_fault)
{
    struct ucb_bs_fault local;
    struct dec d = {bs, out_fault != NULL ? out_fault : &local};
    memset(d.fault, 0, sizeof *d.fault);
    d.fault->oid = d.fault->iid = d.fault->rid = d.fault->riid = UCB_ID_NONE;
    d.fault->what = "";

    if (bs == NULL || (file == NULL && len != 0u)) {
        return fail(&d, UCB_BS_FAULT_NONE, UCB_ERR_ARG, 0, WHAT("no model or no data"));
    }
    ucb_bs_init(bs);
    bs->file_len = (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len);
    if (len > UCB_BOOTSTRAP_MAX) {
        return fail(&d, UCB_BS_FAULT_FILE_TOO_LARGE, UCB_ERR_TOO_LARGE, UCB_BOOTSTRAP_MAX,
                    WHAT("file larger than 32 KB (UCB_BOOTSTRAP_MAX)"));
    }
    if (len < 4u) {
        return fail(&d, UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, 0,
                    WHAT("shorter than the 4-byte file header"));
    }
    bs->declared_objects = be16(file);
    bs->size = be16(file + 2);
    const size_t end = 4u + (size_t)bs->size;
    if (end > len) {
        return fail(&d, UCB_BS_FAULT_FILE_TRUNCATED, UCB_ERR_TRUNCATED, 2,
                    WHAT("size in the file header runs past the end of the file"));
    }

    size_t pos = 4;
    while (bs->nobj < bs->declared_objects) {
        if (pos == end) {
            return fail(&d, UCB_BS_FAULT_COUNT_MISMATCH, UCB_ERR_MALFORMED, 0,
                        WHAT("file header counts more objects than the file holds"));
        }
        const int rv = decode_object(&d, file, len, end, &pos);
        if (rv < 0) {
            return rv;
        }
    }
    if (pos != end) {
        /* Whole object entries up to `end` mean the count is wrong; anything
         * else means the size is. Hop the object headers only, to tell. */
        size_t p = pos;
        while (p < end) {
            const size_t hdr = object_header_len(file, p, end);
            if (hdr == 0u || end - p < hdr || be16(file + p + hdr - 2u) > end - p - hdr) {
                break;
            }
            p += hdr + be16(file + p + hdr - 2u);
        }
        if (p == end) {
            return fail(&d, UCB_BS_FAULT_COUNT_MISMATCH, UCB_ERR_MALFORMED, 0,
                        WHAT("file header counts fewer objects than the file holds"));
        }
        return fail(&d, UCB_BS_FAULT_SIZE_MISMATCH, UCB_ERR_MALFORMED, pos,
                    WHAT("bytes after the last object inside the size in the file header"));
    }

    /* Padding: a file larger than its content is filled with FF. */
    for (size_t i = end; i < len; i++) {
        if (file[i] != 0xFFu) {
            bs->trailing_garbage_offset = (uint32_t)i;
            break;
        }
    }
    return 0;
}

#if UCB_CONFIG_ENCODER
/* ---- encoder ---- */

/* Bytes of the resource TLVs of instance `in`, or a negative error for an
 * inconsistent model. Writes them when `w` is not NULL. */
static int instance_content(const struct ucb_bootstrap *bs, const struct ucb_bs_inst *in,
                            struct ucb_tlv_writer *w, size_t *out_len)
{
    size_t total = 0;
    const size_t end = (size_t)in->first + in->count;
    if (end > bs->nres) {
        return UCB_ERR_ARG;
    }
    for (size_t i = in->first; i < end; i++) {
        const struct ucb_bs_res *r = &bs->res[i];
        if (r->kind == UCB_TLV_RESOURCE) {
            total += ucb_tlv_header_size(r->id, r->len) + r->len;
            if (w != NULL) {
                (void)ucb_tlv_put_raw(w, UCB_TLV_RESOURCE, r->id, r->value, r->len);
            }
            continue;
        }
        if (r->kind != UCB_TLV_MULTIPLE_RESOURCE || r->count > end - i - 1u) {
            return UCB_ERR_ARG;
        }
        size_t mlen = 0;
        for (size_t k = i + 1u; k <= i + r->count; k++) {
            if (bs->res[k].kind != UCB_TLV_RESOURCE_INSTANCE) {
                return UCB_ERR_ARG;
            }
            mlen += ucb_tlv_header_size(bs->res[k].id, bs->res[k].len) + bs->res[k].len;
        }
        total += ucb_tlv_header_size(r->id, mlen) + mlen;
        if (w != NULL) {
            (void)ucb_tlv_put_header(w, UCB_TLV_MULTIPLE_RESOURCE, r->id, mlen);
            for (size_t k = i + 1u; k <= i + r->count; k++) {
                (void)ucb_tlv_put_raw(w, UCB_TLV_RESOURCE_INSTANCE, bs->res[k].id,
                                      bs->res[k].value, bs->res[k].len);
            }
        }
        i += r->count;
    }
    *out_len = total;
    return 0;
}

/* Bytes of the instance TLVs of object `o`; written when `w` is not NULL. */
static int object_content(const struct ucb_bootstrap *bs, const struct ucb_bs_obj *o,
                          struct ucb_tlv_writer *w, size_t *out_len)
{
    size_t total = 0;
    if ((size_t)o->first + o->count > bs->ninst) {
        return UCB_ERR_ARG;
    }
    for (size_t i = o->first; i < (size_t)o->first + o->count; i++) {
        size_t clen;
        int rv = instance_content(bs, &bs->inst[i], NULL, &clen);
        if (rv < 0) {
            return rv;
        }
        total += ucb_tlv_header_size(bs->inst[i].iid, clen) + clen;
        if (w != NULL) {
            (void)ucb_tlv_put_header(w, UCB_TLV_OBJECT_INSTANCE, bs->inst[i].iid, clen);
            (void)instance_content(bs, &bs->inst[i], w, &clen);
        }
    }
    *out_len = total;
    return 0;
}

int ucb_bs_encode(const struct ucb_bootstrap *bs, uint8_t *out, size_t cap)
{
    if (bs == NULL || bs->nobj > UCB_BS_MAX_OBJECTS) {
        return UCB_ERR_ARG;
    }
    /* Measure first: the object and file headers carry lengths. */
    size_t size = 0;
    for (size_t i = 0; i < bs->nobj; i++) {
        size_t olen;
        const int rv = object_content(bs, &bs->obj[i], NULL, &olen);
        if (rv < 0) {
            return rv;
        }
        if (olen > 0xFFFFu) {
            return UCB_ERR_TOO_LARGE;
        }
        size += (bs->obj[i].major != 0u ? 6u : 5u) + olen;
    }
    if (4u + size > UCB_BOOTSTRAP_MAX) {
        return UCB_ERR_TOO_LARGE;
    }
    if (out == NULL) {
        return (int)(4u + size);
    }
    if (cap < 4u + size) {
        return UCB_ERR_BUFFER;
    }

    struct ucb_tlv_writer w;
    ucb_tlv_writer_init(&w, out, cap);
    const uint8_t hdr[4] = {(uint8_t)(bs->nobj >> 8), (uint8_t)bs->nobj, (uint8_t)(size >> 8),
                            (uint8_t)size};
    (void)ucb_tlv_put_bytes(&w, hdr, sizeof hdr);
    for (size_t i = 0; i < bs->nobj; i++) {
        const struct ucb_bs_obj *o = &bs->obj[i];
        size_t olen;
        (void)object_content(bs, o, NULL, &olen);
        uint8_t oh[6];
        size_t n = 0;
        oh[n++] = (uint8_t)(o->oid >> 8);
        oh[n++] = (uint8_t)o->oid;
        oh[n++] = o->major;
        if (o->major != 0u) {
            oh[n++] = o->minor;
        }
        oh[n++] = (uint8_t)(olen >> 8);
        oh[n++] = (uint8_t)olen;
        (void)ucb_tlv_put_bytes(&w, oh, n);
        (void)object_content(bs, o, &w, &olen);
    }
    return ucb_tlv_writer_finish(&w);
}

#endif /* UCB_CONFIG_ENCODER */
