/*
 * uiccboot host tool: declarations shared by its source files.
 *
 * The tool is a user of the public libuiccboot API and nothing more. Unlike
 * the library it may allocate and print; every message it prints starts with
 * "uiccboot: " and never contains a secret value.
 */
#ifndef UCB_TOOL_H
#define UCB_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <uiccboot/uiccboot.h>

/** Exit codes (documented in docs/uiccboot.1). */
enum tool_exit {
    TOOL_OK = 0,      /**< done; the content is valid */
    TOOL_INVALID = 1, /**< content does not decode, is invalid, or the spec is malformed */
    TOOL_USAGE = 2,   /**< unknown subcommand or option, missing argument */
    TOOL_IO = 3       /**< a file could not be read or written */
};

/** Options of one subcommand invocation (filled by main.c). */
struct tool_opts {
    const char *input;  /**< FILE or SPEC.json; "-" = standard input */
    const char *output; /**< encode: -o FILE */
    bool json;
    bool show_secrets;
    /* Card options (dump, validate, write). At most one transport. */
    const char *reader;  /**< --reader NAME|INDEX (PC/SC) */
    const char *at;      /**< --at DEVICE (AT modem) */
    unsigned baud;       /**< --baud N */
    const char *at_mode; /**< --at-mode csim|cgla */
    const char *sim;     /**< --sim FILE: in-process virtual UICC with this content */
    const char *profile; /**< --profile CARD.json for --sim */
    const char *pin;     /**< --pin PIN */
    const char *aid;     /**< --aid HEX */
    const char *oid;     /**< --oid HEX (DER content bytes) */
    const char *path;    /**< --path HEX (fixed path of the bootstrap EF) */
    const char *scp03_keys;   /**< --scp03-keys KEYFILE (JSON) */
    const char *scp03_level;  /**< --scp03-level HEX */
    const char *scp03_policy; /**< --scp03-policy require|prefer */
    bool trace;          /**< --trace */
    unsigned interval_ms;     /**< watch --interval MS */
    unsigned checks;          /**< watch --checks N (0 = until stopped) */
    const char *store;        /**< watch --store FILE (provenance across runs) */
    bool force;          /**< write --force: write content that fails validation */
    bool pad;            /**< write --pad: fill the rest of the EF with FF */
};

/** True when any transport option was given. */
bool tool_has_card(const struct tool_opts *o);

/* fileio.c ---------------------------------------------------------------- */

/**
 * Read at most `cap` bytes of `path` ("-" = stdin) into `buf`; a longer file yields exactly
 * `cap` bytes (callers size `cap` one past their limit to detect that).
 * Prints the reason and returns TOOL_IO on failure, else TOOL_OK.
 */
int tool_read_bounded(const char *path, uint8_t *buf, size_t cap, size_t *out_len);

/**
 * Read all of `path` ("-" = stdin) into a fresh NUL-terminated malloc'd
 * buffer of at most `max` bytes. Returns TOOL_OK, TOOL_IO (unreadable) or
 * TOOL_INVALID (larger than `max`), printing the reason.
 */
int tool_read_all(const char *path, size_t max, char **out, size_t *out_len);

/**
 * Write `len` bytes to `path` atomically: to "path.tmp", then rename. On
 * failure the temporary is removed and `path` is untouched. Returns TOOL_OK
 * or TOOL_IO, printing the reason.
 */
int tool_write_atomic(const char *path, const uint8_t *data, size_t len);

/* value.c ----------------------------------------------------------------- */

/** How the tool shows one value of the model. */
enum tool_val_kind {
    TV_STRING,   /**< bytes are well-formed UTF-8 (ptr/len) */
    TV_INT,      /**< Integer or Time (i) */
    TV_UINT,     /**< Unsigned Integer (u) */
    TV_FLOAT,    /**< Float (f), finite */
    TV_BOOL,     /**< Boolean (b) */
    TV_OBJLNK,   /**< Objlnk (lnk_oid:lnk_iid) */
    TV_OPAQUE,   /**< an Opaque resource (ptr/len) */
    TV_RAW,      /**< unknown resource, or a value that does not decode as its type */
    TV_REDACTED  /**< a secret hidden from output (len only) */
};

struct tool_val {
    enum tool_val_kind kind;
    const uint8_t *ptr;
    size_t len;
    int64_t i;
    uint64_t u;
    double f;
    bool b;
    uint16_t lnk_oid, lnk_iid;
    bool type_fault; /**< TV_RAW because the value did not decode as its known type */
};

/** True when resource `rid` of object `oid` is never shown by default. */
bool tool_res_is_secret(uint16_t oid, uint16_t rid);

/**
 * Classify entry `r` (a Resource or Resource Instance) of resource `rid` of
 * object `oid` for display.
 */
void tool_val_get(uint16_t oid, uint16_t rid, const struct ucb_bs_res *r, bool show_secrets,
                  struct tool_val *out);

/** Name of a value type, for messages ("Integer"). */
const char *tool_type_name(enum ucb_type t);

/**
 * Format a decode fault the one way the tool prints it:
 * "<what> at offset N (path /0/1/10)".
 */
void tool_fault_text(const struct ucb_bs_fault *f, char *buf, size_t cap);

/** Format "/oid/iid/rid/riid" up to the first UCB_ID_NONE ("/" if none). */
void tool_path_text(uint32_t oid, uint32_t iid, uint32_t rid, uint32_t riid, char *buf,
                    size_t cap);

/* Subcommands: each returns an exit code. --------------------------------- */

/** Print a model as a readable tree on stdout. */
void tool_tree_print(const struct ucb_bootstrap *bs, bool show_secrets);

/** Build the decode --json document of a model. Returns NULL on allocation failure. */
json_t *tool_json_from_model(const struct ucb_bootstrap *bs, const char *file,
                             bool show_secrets);

int tool_cmd_decode(const struct tool_opts *o);
int tool_cmd_validate(const struct tool_opts *o);
int tool_cmd_encode(const struct tool_opts *o);
int tool_cmd_readers(const struct tool_opts *o);
int tool_cmd_dump(const struct tool_opts *o);
int tool_cmd_write(const struct tool_opts *o);
int tool_cmd_watch(const struct tool_opts *o);

/* card.c ------------------------------------------------------------------ */

/**
 * Read the bootstrap file from the card the options name into `buf`.
 * On success returns TOOL_OK, sets *out_len and fills `info`; otherwise
 * prints what failed and where (step, status word) and returns TOOL_IO.
 */
int tool_card_read(const struct tool_opts *o, uint8_t *buf, size_t cap, size_t *out_len,
                   struct ucb_card_info *info);

/**
 * Open the card the options name for a long-running command (watch): the
 * engine over the transport in *out_apdu, reader options in *out_opts
 * (SCP03 session included). Prints why and returns a TOOL_* code on failure.
 */
int tool_card_begin(const struct tool_opts *o, struct ucb_apdu **out_apdu,
                    struct ucb_card_opts *out_opts);

/**
 * After tool_card_begin() found the PC/SC reader empty: try to connect to
 * the card now. 1 when it just connected, 0 when it was connected (or never
 * waiting), -1 when the reader is still empty.
 */
int tool_card_reopen(const struct tool_opts *o);

/** Close what tool_card_begin() opened and wipe the keys. */
void tool_card_end(void);

/** The "card" object of dump/validate --json: {"iccid","aid","path","sha256"}. */
json_t *tool_card_json(const struct ucb_card_info *info);

/** The route as a JSON array of names ("ef-dir", "logical-channel", ...). */
json_t *tool_route_json(uint32_t route);

/** Print the card summary lines of the text output. */
void tool_card_print(const struct ucb_card_info *info);

/* decode.c: shared by the file and card forms ----------------------------- */

/** Decode `buf` and print it (tree or JSON); `info` adds the card object. */
int tool_print_decoded(const uint8_t *buf, size_t len, const char *name, const struct tool_opts *o,
                       const struct ucb_card_info *info);

/** Validate `buf` and print the findings; `info` adds the card object. */
int tool_print_validated(const uint8_t *buf, size_t len, const char *name,
                         const struct tool_opts *o, const struct ucb_card_info *info);

/** Print "uiccboot: " + the formatted message + newline to stderr. */
void tool_err(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif /* UCB_TOOL_H */
