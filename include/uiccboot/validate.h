/**
 * @file validate.h
 * @brief Validator for EF LwM2M_Bootstrap content.
 *
 * Every check is a named rule with a stable ID and a severity; the list, with
 * the spec clause behind each rule, is docs/validation.md. Diagnostics are
 * delivered one by one to a caller's callback (the library allocates and
 * prints nothing); each names the rule, the path (/oid/iid/rid/riid, as far
 * as it is known) and the byte offset in the file.
 *
 * Content is valid when no diagnostic of severity error was raised; warnings
 * alone leave it valid.
 */
#ifndef UCB_VALIDATE_H
#define UCB_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "bootstrap.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ucb_severity { UCB_SEV_ERROR = 0, UCB_SEV_WARNING = 1 };

/** Rule identifiers. The order is ABI: add new rules at the end only. */
enum ucb_rule_id {
    /* structure (raised from ucb_bs_decode() faults and the model) */
    UCB_RULE_FILE_TRUNCATED,       /**< FILE-TRUNCATED: header or object runs past the end */
    UCB_RULE_FILE_TOO_LARGE,       /**< FILE-TOO-LARGE: over 32 KB */
    UCB_RULE_FILE_COUNT_MISMATCH,  /**< FILE-COUNT-MISMATCH: header object count differs */
    UCB_RULE_FILE_SIZE_MISMATCH,   /**< FILE-SIZE-MISMATCH: objects do not fill the header size */
    UCB_RULE_FILE_TRAILING,        /**< FILE-TRAILING (warning): non-FF bytes after 4+size */
    UCB_RULE_FILE_EMPTY,           /**< FILE-EMPTY (warning): no objects */
    UCB_RULE_TLV_TRUNCATED,        /**< TLV-TRUNCATED: a TLV runs past its container */
    UCB_RULE_TLV_NESTING,          /**< TLV-NESTING: TLV kind not allowed at its level */
    UCB_RULE_TLV_MALFORMED,        /**< TLV-MALFORMED: other TLV framing fault */
    UCB_RULE_MODEL_CAPACITY,       /**< MODEL-CAPACITY: more than UCB_BS_MAX_* */
    UCB_RULE_OBJ_DUPLICATE,        /**< OBJ-DUPLICATE: an object ID appears twice */
    UCB_RULE_OBJ_VERSION,          /**< OBJ-VERSION (warning): unknown version of a known object */
    UCB_RULE_INST_DUPLICATE,       /**< INST-DUPLICATE: instance ID twice in one object */
    UCB_RULE_RES_DUPLICATE,        /**< RES-DUPLICATE: resource or resource instance ID twice */
    UCB_RULE_RES_TYPE,             /**< RES-TYPE: value does not decode as its type */
    UCB_RULE_RES_MULTIPLE,         /**< RES-MULTIPLE: single/multiple instance form wrong */
    UCB_RULE_RES_UNKNOWN,          /**< RES-UNKNOWN (warning): resource not in the object version */
    /* Security (object 0) */
    UCB_RULE_SEC_URI_MISSING,      /**< SEC-URI-MISSING */
    UCB_RULE_SEC_URI_TOO_LONG,     /**< SEC-URI-TOO-LONG: over 255 bytes */
    UCB_RULE_SEC_URI_SCHEME,       /**< SEC-URI-SCHEME: not a known scheme */
    UCB_RULE_SEC_BS_FLAG_MISSING,  /**< SEC-BS-FLAG-MISSING */
    UCB_RULE_SEC_MODE_MISSING,     /**< SEC-MODE-MISSING */
    UCB_RULE_SEC_MODE_RANGE,       /**< SEC-MODE-RANGE: not 0..4 */
    UCB_RULE_SEC_PSK_IDENTITY_MISSING, /**< SEC-PSK-IDENTITY-MISSING */
    UCB_RULE_SEC_PSK_KEY_MISSING,  /**< SEC-PSK-KEY-MISSING */
    UCB_RULE_SEC_PSK_SIZE,         /**< SEC-PSK-SIZE (warning): identity > 128 or key > 64 bytes */
    UCB_RULE_SEC_PUBLIC_KEY_MISSING, /**< SEC-PUBLIC-KEY-MISSING: RPK/certificate without res 3 */
    UCB_RULE_SEC_SECRET_KEY_MISSING, /**< SEC-SECRET-KEY-MISSING: RPK/certificate without res 5 */
    UCB_RULE_SEC_SERVER_KEY_MISSING, /**< SEC-SERVER-KEY-MISSING (warning): RPK/cert without res 4 */
    UCB_RULE_SEC_NOSEC_KEYS,       /**< SEC-NOSEC-KEYS (warning): NoSec account carries keys */
    UCB_RULE_SEC_SCHEME_MODE,      /**< SEC-SCHEME-MODE (warning): coap:// with security or coaps:// with NoSec */
    UCB_RULE_SEC_SSID_MISSING,     /**< SEC-SSID-MISSING: non-bootstrap account without SSID */
    UCB_RULE_SEC_SSID_RANGE,       /**< SEC-SSID-RANGE: not 1..65534 */
    UCB_RULE_SEC_TIMER_RANGE,      /**< SEC-TIMER-RANGE: negative hold-off or account timeout */
    UCB_RULE_SEC_SMS_RANGE,        /**< SEC-SMS-RANGE: SMS mode not 0..255, key params not 6 bytes, key not 16/32/48 */
    /* Server (object 1) */
    UCB_RULE_SRV_SSID_MISSING,     /**< SRV-SSID-MISSING */
    UCB_RULE_SRV_SSID_RANGE,       /**< SRV-SSID-RANGE: not 1..65534 */
    UCB_RULE_SRV_LIFETIME_MISSING, /**< SRV-LIFETIME-MISSING */
    UCB_RULE_SRV_LIFETIME_RANGE,   /**< SRV-LIFETIME-RANGE: below 1 */
    UCB_RULE_SRV_BINDING_MISSING,  /**< SRV-BINDING-MISSING */
    UCB_RULE_SRV_BINDING_LETTERS,  /**< SRV-BINDING-LETTERS: not valid for the object version */
    UCB_RULE_SRV_STORING_MISSING,  /**< SRV-STORING-MISSING (warning): res 6 absent */
    UCB_RULE_SRV_PERIOD_RANGE,     /**< SRV-PERIOD-RANGE: negative periods, pmax < pmin */
    /* accounts */
    UCB_RULE_ACC_SECURITY_WITHOUT_SERVER, /**< ACC-SECURITY-WITHOUT-SERVER */
    UCB_RULE_ACC_SERVER_WITHOUT_SECURITY, /**< ACC-SERVER-WITHOUT-SECURITY */
    UCB_RULE_ACC_SSID_DUPLICATE,   /**< ACC-SSID-DUPLICATE */
    UCB_RULE_ACC_MULTIPLE_BOOTSTRAP, /**< ACC-MULTIPLE-BOOTSTRAP */
    UCB_RULE_ACC_NONE,             /**< ACC-NONE (warning): no Security instance */
    /* Access Control (object 2) */
    UCB_RULE_ACL_TARGET_MISSING,   /**< ACL-TARGET-MISSING: res 0 or 1 absent */
    UCB_RULE_ACL_TARGET_RANGE,     /**< ACL-TARGET-RANGE: object 1..65534, instance 0..65535 */
    UCB_RULE_ACL_TARGET_DUPLICATE, /**< ACL-TARGET-DUPLICATE: two instances for one target */
    UCB_RULE_ACL_OWNER_MISSING,    /**< ACL-OWNER-MISSING */
    UCB_RULE_ACL_OWNER_UNKNOWN,    /**< ACL-OWNER-UNKNOWN: owner neither 65535 nor an SSID on the card */
    UCB_RULE_ACL_ENTRY_UNKNOWN,    /**< ACL-ENTRY-UNKNOWN: ACL instance ID neither 0 nor an SSID */
    UCB_RULE_ACL_RIGHTS_RANGE,     /**< ACL-RIGHTS-RANGE: rights negative or above 16 bits; RFU bits warn */
    UCB_RULE_COUNT
};

/** A rule's constant description. */
struct ucb_rule {
    enum ucb_rule_id id;
    const char *code;            /**< stable ID, e.g. "SEC-URI-MISSING" */
    enum ucb_severity severity;
    const char *clause;          /**< spec clause ("" with UCB_CONFIG_TEXT=0) */
    const char *summary;         /**< one line ("" with UCB_CONFIG_TEXT=0) */
};

/** @return the rule description, or NULL for an out-of-range id. */
UCB_API const struct ucb_rule *ucb_rule_get(enum ucb_rule_id id);

/** One finding. Strings are static; the struct lives only during the callback. */
struct ucb_diag {
    const struct ucb_rule *rule;
    enum ucb_severity severity;  /**< usually rule->severity (a rule may downgrade a finding) */
    uint32_t oid, iid, rid, riid; /**< path; UCB_ID_NONE from the first unknown part on */
    uint32_t offset;             /**< byte offset in the file */
    const char *message;         /**< static English text ("" with UCB_CONFIG_TEXT=0) */
};

/** Receives each finding. Must not call back into the validator. */
typedef void (*ucb_diag_fn)(void *ctx, const struct ucb_diag *d);

/** Counts of a validation run. */
struct ucb_validate_result {
    unsigned errors;
    unsigned warnings;
};

/**
 * Decode `file` into `scratch` and validate it: a structural fault becomes
 * one error diagnostic (the decoder's path, offset and text) and ends the
 * run; otherwise ucb_validate() runs on `scratch`, which then holds the
 * decoded model (views into `file`). Diagnostics come in file order.
 * @param fn may be NULL (counts only).
 * @param out optional; always filled (zeros on UCB_ERR_ARG).
 * @return the number of errors (0 = valid), or UCB_ERR_ARG for a NULL
 *         `scratch` or a NULL `file` with `len` > 0.
 */
UCB_API int ucb_validate_file(const uint8_t *file, size_t len, struct ucb_bootstrap *scratch,
                              ucb_diag_fn fn, void *ctx, struct ucb_validate_result *out);

/**
 * Validate a decoded or caller-built model: every rule except the decoder's
 * structural ones (FILE-TRAILING and FILE-EMPTY included). A resource that
 * fails RES-TYPE or RES-MULTIPLE is not judged again by any other rule.
 * @param fn may be NULL (counts only).
 * @param out optional; always filled (zeros on UCB_ERR_ARG).
 * @return the number of errors (0 = valid), or UCB_ERR_ARG for a NULL model
 *         or one whose counts or indexes point outside its arrays.
 */
UCB_API int ucb_validate(const struct ucb_bootstrap *bs, ucb_diag_fn fn, void *ctx,
                         struct ucb_validate_result *out);

/** Buffer size that holds any path ucb_diag_path() writes, terminator included. */
#define UCB_DIAG_PATH_MAX 45u

/**
 * Format a diagnostic's path as "/0/1/10" into `buf`: the known parts of
 * /oid/iid/rid/riid up to the first UCB_ID_NONE, or "/" for a file-level
 * finding. Digits are written without printf. A NULL `buf` with `cap` 0
 * measures.
 * @return the length (excluding the terminator), UCB_ERR_BUFFER when `cap`
 *         cannot hold path and terminator (`buf` then holds "" if `cap` > 0),
 *         or UCB_ERR_ARG for a NULL `d`, or a NULL `buf` with `cap` > 0.
 */
UCB_API int ucb_diag_path(const struct ucb_diag *d, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* UCB_VALIDATE_H */
