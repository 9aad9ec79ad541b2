/*
 * uiccboot host tool, encode side: what json_in.c (the spec's structure),
 * spec_value.c (its values) and encode.c (the command) share.
 */
#ifndef UCB_TOOL_SPEC_H
#define UCB_TOOL_SPEC_H

#include "tool.h"

/* Room for a JSON path such as objects[0].instances[1].resources."2".instances."0". */
#define JP_MAX 256

/** A spec being turned into a model. */
struct spec {
    const char *name;         /**< spec file name, for messages */
    struct ucb_bootstrap *bs; /**< model being built */
    uint8_t **keep;           /**< value buffers the model points into */
    size_t nkeep, capkeep;
};

/** A value ready for the model: a view into the JSON document or a kept buffer. */
struct val_view {
    const uint8_t *ptr;
    size_t len;
};

/** Print "uiccboot: SPEC: JSON-PATH: message". */
void spec_err(const struct spec *s, const char *jp, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** Free the value buffers (after the model's last use). */
void spec_free(struct spec *s);

/** Parse a canonical decimal 0..65535 (no sign, no leading zero) of `len` chars. */
bool spec_parse_dec16(const char *p, size_t len, uint16_t *out);

/**
 * The bytes of JSON value `v` of resource `rid` of object `oid`, by the
 * resource's known type ({"hex"} for any). `jp` is the JSON path and `lp` the
 * LwM2M path, for messages. Returns 0, or -1 after printing the problem.
 */
int spec_value_bytes(struct spec *s, uint16_t oid, uint16_t rid, json_t *v, const char *jp,
                     const char *lp, struct val_view *out);

/** Build the model `s->bs` from the spec document. Returns 0, or -1 after printing. */
int spec_build_model(struct spec *s, json_t *root);

#endif /* UCB_TOOL_SPEC_H */
