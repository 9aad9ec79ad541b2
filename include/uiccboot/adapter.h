/**
 * @file adapter.h
 * @brief What the bridge needs from an LwM2M client core: a small ops struct plus a context.
 *
 * An adapter knows one client core (Wakaama, Anjay, Zephyr, or the
 * reference in-memory core of ref_core.h) and exposes its object instances
 * and servers through these operations. The bridge (bridge.h) decides what
 * to create, delete, disable and de-register; the adapter only carries it
 * out. Operations a core cannot do are left NULL (and not in caps()); the
 * bridge skips them explicitly and reports the skip.
 *
 * Every operation returns 0 on success or a negative error
 * (UCB_ERR_ADAPTER when the core refused, UCB_ERR_NOT_PRESENT for an
 * instance or server that does not exist). Instance payloads are LwM2M TLV
 * (the resources of one Object Instance, as in EF LwM2M_Bootstrap), valid
 * for the call only.
 */
#ifndef UCB_ADAPTER_H
#define UCB_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Capability bits (caps()). */
#define UCB_CAP_DISABLE       0x0001u /**< disable_server / enable_server */
#define UCB_CAP_DEREGISTER    0x0002u /**< deregister */
#define UCB_CAP_OBSERVATIONS  0x0004u /**< cancel_observations */
#define UCB_CAP_ACL           0x0008u /**< acl_get / acl_set */

/** One ACL entry of an Access Control instance (/2/x/2/ssid = rights). */
struct ucb_acl_entry {
    uint16_t ssid;     /**< 0 = default entry for servers without their own */
    uint16_t rights;   /**< bits: Read 1, Write 2, Execute 4, Delete 8, Create 16 */
};

/** Most ACL entries one Access Control instance may carry through the adapter. */
#define UCB_ACL_MAX 16u

struct ucb_adapter_ops {
    /** UCB_CAP_* the core supports. Required. */
    uint32_t (*caps)(void *ctx);

    /**
     * List the instance IDs of object @p oid in ascending order into
     * @p out (at most @p cap). @return the number of instances (may exceed
     * @p cap: then only @p cap were written) or an error. Required.
     */
    int (*list)(void *ctx, uint16_t oid, uint16_t *out, size_t cap);

    /**
     * Create /oid/iid from @p tlv (the Object Instance's resource TLVs).
     * Must fail (UCB_ERR_ADAPTER) if the instance exists. Required.
     */
    int (*create)(void *ctx, uint16_t oid, uint16_t iid, const uint8_t *tlv, size_t len);

    /** Delete /oid/iid. UCB_ERR_NOT_PRESENT if absent. Required. */
    int (*remove)(void *ctx, uint16_t oid, uint16_t iid);

    /**
     * Read /oid/iid back as resource TLVs into @p out (@p cap bytes).
     * @return the length, UCB_ERR_BUFFER, UCB_ERR_NOT_PRESENT. Required: the
     * bridge uses it to roll back a delete and to notice an instance the
     * client changed out of band.
     */
    int (*read)(void *ctx, uint16_t oid, uint16_t iid, uint8_t *out, size_t cap);

    /**
     * The Short Server ID of the Server instance that exists for @p ssid:
     * find it. @return 1 and @p out_iid when a Server instance (/1/x) has
     * this SSID, 0 when none has, or an error. Required.
     */
    int (*find_server)(void *ctx, uint16_t ssid, uint16_t *out_iid);

    /** Take server @p ssid out of use at once (no registration, no traffic) / back in use. */
    int (*disable_server)(void *ctx, uint16_t ssid);
    int (*enable_server)(void *ctx, uint16_t ssid);

    /** De-register from server @p ssid (LwM2M De-register) and drop its connection. */
    int (*deregister)(void *ctx, uint16_t ssid);

    /** Cancel every observation server @p ssid holds. */
    int (*cancel_observations)(void *ctx, uint16_t ssid);

    /**
     * Access Control instance /2/acl_iid: its target (/oid/iid of resources
     * 0 and 1), its ACL entries (at most @p cap) and owner. @return the
     * number of entries or an error.
     */
    int (*acl_get)(void *ctx, uint16_t acl_iid, uint16_t *out_oid, uint16_t *out_iid,
                   struct ucb_acl_entry *entries, size_t cap, uint16_t *out_owner);

    /** Replace the ACL entries and the owner of /2/acl_iid. */
    int (*acl_set)(void *ctx, uint16_t acl_iid, const struct ucb_acl_entry *entries, size_t n,
                   uint16_t owner);
};

/** An adapter: the core's operations and their context, owned by the caller. */
struct ucb_adapter {
    const struct ucb_adapter_ops *ops;
    void *ctx;
};

#ifdef __cplusplus
}
#endif

#endif /* UCB_ADAPTER_H */
