/**
 * @file bootstrap.h
 * @brief EF LwM2M_Bootstrap (LwM2M Core Appendix G.3.4): file codec and the
 * allocation-free bootstrap-data model.
 *
 * File layout (all integers big-endian):
 *
 *     num_objects(16) size(16) object*           size = bytes after the header
 *     object = oid(16) version length(16) instance-TLVs
 *     version = 00 (implicit, "1.0") | major(01..FF) minor(00..FF)
 *
 * Bytes after 4+size are accepted when they are all FF (padding of a file
 * larger than its content); other trailing bytes are recorded in the model
 * (`trailing_garbage_offset`) for the validator to report.
 *
 * The model is a flat, pre-order copy of the file's structure: objects,
 * their instances, and each instance's resources, where a Multiple Resource
 * entry is followed by its Resource Instance entries. Every value is a view
 * into the caller's buffer, which must outlive the model. Known objects
 * (Security 0, Server 1, Access Control 2) are read through typed views;
 * every other object stays as raw TLV and is re-encoded unchanged.
 */
#ifndef UCB_BOOTSTRAP_H
#define UCB_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "tlv.h"
#include "ucb_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Object IDs the library knows. */
#define UCB_OID_SECURITY 0u
#define UCB_OID_SERVER 1u
#define UCB_OID_ACCESS_CONTROL 2u

/** "No such ID" for paths and optional identifiers. */
#define UCB_ID_NONE 0xFFFFFFFFu

/** A resource (or resource instance) of the model. */
struct ucb_bs_res {
    const uint8_t *value; /**< value bytes in the file (NULL for a Multiple Resource) */
    uint32_t offset;      /**< file offset of the TLV type byte */
    uint16_t len;         /**< value length (0 for a Multiple Resource) */
    uint16_t id;          /**< resource ID, or resource instance ID */
    uint16_t count;       /**< Multiple Resource: number of instance entries that follow */
    uint8_t kind;         /**< enum ucb_tlv_kind: RESOURCE, MULTIPLE_RESOURCE or RESOURCE_INSTANCE */
    uint8_t hdr_len;      /**< TLV header bytes in the file (0 in a built model: smallest form) */
};

/** An object instance of the model. */
struct ucb_bs_inst {
    uint32_t offset;  /**< file offset of the Object Instance TLV type byte */
    uint16_t iid;
    uint16_t object;  /**< index of its object in ucb_bootstrap.obj */
    uint16_t first;   /**< index of its first entry in ucb_bootstrap.res */
    uint16_t count;   /**< its entries in res, resource instances included */
};

/** An object entry of the file. */
struct ucb_bs_obj {
    uint32_t offset;  /**< file offset of the object ID */
    uint16_t oid;
    uint8_t major;    /**< 0 with minor 0: the implicit version byte 00 */
    uint8_t minor;
    uint16_t len;     /**< length field: bytes of instance TLVs */
    uint16_t first;   /**< index of its first instance in ucb_bootstrap.inst */
    uint16_t count;   /**< its instances */
};

/**
 * The decoded file. Caller-allocated (static storage or stack); about
 * 12*UCB_BS_MAX_OBJECTS + 12*UCB_BS_MAX_INSTANCES + 16*UCB_BS_MAX_RESOURCES
 * bytes on a 32-bit target.
 */
struct ucb_bootstrap {
    uint16_t declared_objects; /**< num_objects field of the header */
    uint16_t size;             /**< size field of the header */
    uint32_t file_len;         /**< bytes given to ucb_bs_decode() */
    /** Offset of the first trailing byte after 4+size that is not FF, or UCB_ID_NONE. */
    uint32_t trailing_garbage_offset;
    uint16_t nobj, ninst, nres;
    struct ucb_bs_obj obj[UCB_BS_MAX_OBJECTS];
    struct ucb_bs_inst inst[UCB_BS_MAX_INSTANCES];
    struct ucb_bs_res res[UCB_BS_MAX_RESOURCES];
};

/** What kind of structural fault stopped decoding. */
enum ucb_bs_fault_kind {
    UCB_BS_FAULT_NONE = 0,
    UCB_BS_FAULT_FILE_TRUNCATED,  /**< header or object header/payload runs past the data */
    UCB_BS_FAULT_FILE_TOO_LARGE,  /**< more than UCB_BOOTSTRAP_MAX bytes */
    UCB_BS_FAULT_COUNT_MISMATCH,  /**< header object count differs from the objects found */
    UCB_BS_FAULT_SIZE_MISMATCH,   /**< objects do not fill the header's size exactly */
    UCB_BS_FAULT_TLV_TRUNCATED,   /**< a TLV runs past its container */
    UCB_BS_FAULT_TLV_NESTING,     /**< a TLV kind not allowed where it stands */
    UCB_BS_FAULT_TLV_MALFORMED,   /**< any other TLV framing fault */
    UCB_BS_FAULT_CAPACITY         /**< the model is full (UCB_BS_MAX_*) */
};

/** Where and why decoding stopped. */
struct ucb_bs_fault {
    enum ucb_bs_fault_kind kind;
    int err;             /**< the negative ucb_err returned */
    uint32_t offset;     /**< file offset of the faulty element */
    uint32_t oid, iid, rid, riid; /**< path of the fault, UCB_ID_NONE where unknown */
    const char *what;    /**< static English text ("" with UCB_CONFIG_TEXT=0) */
};

/** Reset a model to empty. Cannot fail. */
UCB_API void ucb_bs_init(struct ucb_bootstrap *bs);

/**
 * Decode an EF LwM2M_Bootstrap file into `bs`. `file` must outlive `bs`.
 * Structural rules only: header, object framing, TLV framing and nesting
 * (object payloads must be Object Instance TLVs); value types and semantics
 * are the validator's. The header's object count must match the objects
 * found, and the objects must fill `size` exactly.
 *
 * Where a fault is reported (`out_fault->offset`, a file offset):
 * - FILE_TOO_LARGE at UCB_BOOTSTRAP_MAX (the first byte beyond the limit);
 * - FILE_TRUNCATED at 0 for input shorter than the header, at 2 (the size
 *   field) when 4+size runs past the input, and at the object's first byte
 *   when an object header or payload runs past the end of the input;
 * - SIZE_MISMATCH at the object's first byte when it runs past 4+size but
 *   not past the input, or at the first byte after the last counted object
 *   when bytes inside 4+size are left that do not form whole objects;
 * - COUNT_MISMATCH at 0 (the count field), when the counted objects end
 *   before 4+size and whole objects follow, or 4+size ends before the count;
 * - TLV_* and CAPACITY at the type byte of the element concerned.
 * The path (oid/iid/rid/riid) names the enclosing elements; for a TLV fault
 * it stops before the faulty element, for CAPACITY it includes it.
 * @param out_fault optional; filled on error.
 * @return 0, or UCB_ERR_TRUNCATED / UCB_ERR_MALFORMED / UCB_ERR_NESTING /
 *         UCB_ERR_TOO_LARGE / UCB_ERR_CAPACITY / UCB_ERR_ARG. On error `bs`
 *         holds what was decoded before the fault.
 */
UCB_API int ucb_bs_decode(struct ucb_bootstrap *bs, const uint8_t *file, size_t len,
                          struct ucb_bs_fault *out_fault);

/**
 * Encode the model as an EF LwM2M_Bootstrap file: header, objects in model
 * order, smallest TLV headers, value bytes unchanged. A NULL `out` measures.
 * @return the file size in bytes, UCB_ERR_BUFFER when `cap` is too small,
 *         UCB_ERR_TOO_LARGE above UCB_BOOTSTRAP_MAX, UCB_ERR_ARG for an
 *         inconsistent model.
 */
UCB_API int ucb_bs_encode(const struct ucb_bootstrap *bs, uint8_t *out, size_t cap);

/*
 * Model building (used by encoders such as `uiccboot encode`). Values are
 * views: the bytes must outlive the model. Each returns the new entry's
 * index (a count-like non-negative value) or UCB_ERR_CAPACITY / UCB_ERR_ARG.
 * Instances are appended to the last object, resources to the last instance,
 * resource instances to the last Multiple Resource of the last instance.
 */
UCB_API int ucb_bs_add_object(struct ucb_bootstrap *bs, uint16_t oid, uint8_t major,
                              uint8_t minor);
UCB_API int ucb_bs_add_instance(struct ucb_bootstrap *bs, uint16_t iid);
UCB_API int ucb_bs_add_resource(struct ucb_bootstrap *bs, uint16_t rid, const uint8_t *value,
                                size_t len);
UCB_API int ucb_bs_add_multiple(struct ucb_bootstrap *bs, uint16_t rid);
UCB_API int ucb_bs_add_resource_instance(struct ucb_bootstrap *bs, uint16_t riid,
                                         const uint8_t *value, size_t len);

/**
 * Find resource `rid` among the entries of instance `inst_index`.
 * @return its index in bs->res, or UCB_ERR_NOT_PRESENT.
 */
UCB_API int ucb_bs_find_res(const struct ucb_bootstrap *bs, size_t inst_index, uint16_t rid);

/** View a model entry as a TLV element, for the typed ucb_tlv_get_* accessors. */
UCB_API void ucb_bs_res_tlv(const struct ucb_bs_res *r, struct ucb_tlv *out);

/* ------------------------------------------------------------------------- */
/* Resource knowledge (LwM2M registry, objects 0-2, versions 1.0 and 1.1).   */

/** Value types of LwM2M Core Appendix C. */
enum ucb_type {
    UCB_TYPE_NONE = 0, /**< executable: no value */
    UCB_TYPE_STRING,
    UCB_TYPE_INTEGER,
    UCB_TYPE_UNSIGNED,
    UCB_TYPE_FLOAT,
    UCB_TYPE_BOOLEAN,
    UCB_TYPE_OPAQUE,
    UCB_TYPE_TIME,
    UCB_TYPE_OBJLNK
};

/** What the library knows of one resource. */
struct ucb_res_info {
    uint16_t oid;
    uint16_t rid;
    uint8_t type;      /**< enum ucb_type */
    bool multiple;     /**< a Multiple Resource */
    bool mandatory;    /**< Mandatory in the object definition */
    bool secret;       /**< never shown without an explicit request */
    uint8_t since_major, since_minor; /**< first object version that has it */
    const char *name;  /**< registry name ("" with UCB_CONFIG_TEXT=0) */
};

/** @return the entry for (oid, rid), or NULL when the library does not know it. */
UCB_API const struct ucb_res_info *ucb_res_info_find(uint16_t oid, uint16_t rid);

/** @return the registry name of a known object ("Security"...), or NULL. */
UCB_API const char *ucb_object_name(uint16_t oid);

/* ------------------------------------------------------------------------- */
/* Typed views of the known objects.                                         */

/** Security Mode values (resource /0/x/2). */
enum ucb_security_mode {
    UCB_SECMODE_PSK = 0,
    UCB_SECMODE_RPK = 1,
    UCB_SECMODE_CERTIFICATE = 2,
    UCB_SECMODE_NOSEC = 3,
    UCB_SECMODE_CERT_EST = 4
};

/** A byte view. */
struct ucb_view {
    const uint8_t *ptr;
    size_t len;
};

/**
 * Security instance (object 0). `present` has bit n set when resource n was
 * in the file and decoded with its type; fields of absent resources are 0.
 */
struct ucb_security {
    uint16_t iid;
    uint32_t present;
    struct ucb_view uri;          /**< 0 */
    bool bootstrap;               /**< 1 */
    int64_t mode;                 /**< 2 */
    struct ucb_view identity;     /**< 3 Public Key or Identity */
    struct ucb_view server_key;   /**< 4 Server Public Key */
    struct ucb_view secret_key;   /**< 5 Secret Key */
    int64_t sms_mode;             /**< 6 */
    struct ucb_view sms_params;   /**< 7 */
    struct ucb_view sms_secret;   /**< 8 */
    struct ucb_view sms_number;   /**< 9 */
    int64_t ssid;                 /**< 10 */
    int64_t holdoff;              /**< 11 Client Hold Off Time */
    int64_t bs_timeout;           /**< 12 Bootstrap-Server Account Timeout */
    uint64_t matching_type;       /**< 13 (1.1) */
    struct ucb_view sni;          /**< 14 (1.1) */
    uint64_t cert_usage;          /**< 15 (1.1) */
    uint16_t oscore_oid, oscore_iid; /**< 17 (1.1) */
};

/** Server instance (object 1). */
struct ucb_server {
    uint16_t iid;
    uint32_t present;
    int64_t ssid;          /**< 0 */
    int64_t lifetime;      /**< 1 */
    int64_t pmin;          /**< 2 */
    int64_t pmax;          /**< 3 */
    int64_t disable_timeout; /**< 5 */
    bool storing;          /**< 6 */
    struct ucb_view binding; /**< 7 */
};

/**
 * Access Control instance (object 2). The ACL entries are
 * bs->res[acl_first .. acl_first+acl_count): Resource Instance entries whose
 * `id` is the SSID (0 = default rights) and whose value is the rights Integer.
 */
struct ucb_acl {
    uint16_t iid;
    uint32_t present;
    int64_t target_oid;    /**< 0 */
    int64_t target_iid;    /**< 1 */
    int64_t owner;         /**< 3 */
    uint16_t acl_first;    /**< index in bs->res of the first ACL resource instance */
    uint16_t acl_count;    /**< ACL resource instances */
};

/**
 * Fill a typed view of instance `inst_index` (which must belong to object 0,
 * 1 or 2 respectively). A resource present with a malformed value is left out
 * of `present`; the first such fault is returned as UCB_ERR_TYPE with its
 * index in `*out_bad_res` (optional), but the view is still filled with all
 * else.
 * @return 0, UCB_ERR_TYPE, or UCB_ERR_ARG for a wrong object or index.
 */
UCB_API int ucb_bs_security(const struct ucb_bootstrap *bs, size_t inst_index,
                            struct ucb_security *out, int *out_bad_res);
UCB_API int ucb_bs_server(const struct ucb_bootstrap *bs, size_t inst_index,
                          struct ucb_server *out, int *out_bad_res);
UCB_API int ucb_bs_acl(const struct ucb_bootstrap *bs, size_t inst_index, struct ucb_acl *out,
                       int *out_bad_res);

#ifdef __cplusplus
}
#endif

#endif /* UCB_BOOTSTRAP_H */
