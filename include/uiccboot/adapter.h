/**
 * @file adapter.h
 * @brief What the bridge needs from an LwM2M client core: a small ops struct plus a context.
 *
 * An adapter knows one client core (Wakaama, Anjay, Zephyr, or the
 * reference in-memory core of ref_core.h) and exposes its object instances
 * and servers through these operations. The bridge (bridge.h) decides what
 * to create, delete, disable and de-register; the adapter only carries it
 * out. Operations a core cannot do are left NULL (and not in caps()); the
 * bridge skips them explicitly and reports the skip. Where a core does a
 * step by itself as part of another (Anjay's disable de-registers), the
 * adapter says so with a UCB_CAP_IMPLIED_* bit and the bridge reports the
 * step as implied instead of calling anything.
 *
 * Every operation returns 0 on success or a negative error
 * (UCB_ERR_ADAPTER when the core refused, UCB_ERR_NOT_PRESENT for an
 * instance or server that does not exist). Instance payloads are LwM2M TLV
 * (the resources of one Object Instance, as in EF LwM2M_Bootstrap), valid
 * for the call only. A core with typed setters (Anjay's
 * anjay_security_instance_t, Zephyr's lwm2m_set_*) walks them with
 * ucb_tlv_find() and the typed getters of tlv.h, and learns each
 * resource's type from ucb_res_info_find() (bootstrap.h); read() builds its
 * answer with the TLV writer of tlv.h.
 *
 * Operations may take effect asynchronously (a core that queues them on
 * its scheduler) provided the core carries them out in the order given, and
 * the end state of a batch is what the calls say: an enable_server() that
 * follows a disable_server() of the same server in one batch (a rollback)
 * leaves the server enabled, even when the core has not yet processed the
 * disable (Anjay). commit() marks the end of a batch, where such a core
 * refreshes its own state (Wakaama's server list, Anjay's
 * anjay_notify_instances_changed()); the core may finish the batch after
 * commit() returns (Wakaama frees a server only once its De-register
 * exchange ends). docs/design.md maps every operation onto Wakaama, Anjay
 * and Zephyr.
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
/** disable_server() also de-registers (a disable that follows Server resource 4 does,
 *  in every core checked): the de-register step is implied. */
#define UCB_CAP_IMPLIED_DEREGISTER 0x0100u
/** The core drops a server's observations itself when the server is de-registered
 *  or its Server instance deleted (the bridge cancels only for an account it
 *  deletes), and a disabled server sends none: the cancel step is implied.
 *  (Anjay keeps a disabled server's observations, silent, until its next
 *  Register; Zephyr drops them at the disable.) */
#define UCB_CAP_IMPLIED_CANCEL     0x0200u
/** The core removes a deleted server's ACL entries and passes its Access
 *  Control ownership on by itself: the bridge's ACL step is implied, and the
 *  new owner is the core's choice, not bridge.h's rule (Anjay weights Write
 *  and Delete differently and also deletes an Access Control instance left
 *  without entries, with its target). */
#define UCB_CAP_IMPLIED_ACL        0x0400u
/** Removing an instance also removes the Access Control instances that target
 *  it, at once or at commit() (Zephyr, Anjay). The bridge then saves those
 *  instances before the remove, so a rollback can restore them. */
#define UCB_CAP_CASCADE_ACL        0x0800u

/** find_server(): the core knows the SSID exists but not its Server instance ID. */
#define UCB_IID_UNKNOWN 0xFFFFu

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
     * Must fail (UCB_ERR_ADAPTER) if the instance exists. UCB_ERR_UNSUPPORTED
     * says the core does not host object @p oid at all (Anjay hosts only the
     * objects the application registered): for an object other than 0 and
     * 1 the bridge then refuses that card instance and applies the rest.
     * Required.
     */
    int (*create)(void *ctx, uint16_t oid, uint16_t iid, const uint8_t *tlv, size_t len);

    /** Delete /oid/iid. UCB_ERR_NOT_PRESENT if absent. Required. */
    int (*remove)(void *ctx, uint16_t oid, uint16_t iid);

    /**
     * Read /oid/iid back as resource TLVs into @p out (@p cap bytes).
     * @return the length, UCB_ERR_BUFFER, UCB_ERR_NOT_PRESENT. Required: the
     * bridge re-creates a deleted instance from it on rollback, and compares
     * the instance's identity resources with what the card wrote before it
     * deletes (bridge.h). The bytes need not be those given to create():
     * the core may add resources with default values, encode integers in
     * another width or reorder resources.
     */
    int (*read)(void *ctx, uint16_t oid, uint16_t iid, uint8_t *out, size_t cap);

    /**
     * Is there a Server instance (/1/x) with Short Server ID @p ssid?
     * @return 1 and its instance ID in @p out_iid (UCB_IID_UNKNOWN when the
     * core only knows SSIDs, as Anjay's anjay_server_get_ssids()), 0 when
     * none has, or an error. Required.
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

    /**
     * Optional (NULL: nothing to do). Called once after each batch of
     * operations the bridge made (an apply, its rollback, an expiry), so the
     * core can act on them together: rebuild its server list, notify its
     * data model, schedule a registration update. An error fails the batch:
     * it is rolled back, and commit() is called again after the rollback.
     */
    int (*commit)(void *ctx);
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
