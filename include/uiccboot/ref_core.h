/**
 * @file ref_core.h
 * @brief The reference in-memory LwM2M client core: implements every
 * operation of adapter.h, for the tests, `uiccboot watch` and the demo.
 *
 * Object instances of any object (0 Security, 1 Server, 2 Access Control
 * and any other ID) are kept as their resource TLVs in a fixed pool inside
 * the caller-owned `struct ucb_ref_core`. Server state (registered,
 * disabled, observations, registration counters) is kept per Short Server
 * ID. Every change is appended to a bounded operation log.
 *
 * Semantics chosen where a real core could differ (the adapter contract
 * suite, tests/adapter_contract.h, checks the ones adapter.h documents):
 * - create refuses an existing instance (UCB_ERR_ADAPTER), instance ID
 *   65535 (UCB_ERR_ARG), a payload over UCB_REF_MAX_TLV (UCB_ERR_TOO_LARGE),
 *   a malformed payload (the TLV decoder's error, or UCB_ERR_MALFORMED for a
 *   repeated resource ID), a full pool (UCB_ERR_CAPACITY), and a Server
 *   instance whose Short Server ID (resource 0, 1..65535) is not an integer
 *   (UCB_ERR_TYPE) or is already used by another Server instance
 *   (UCB_ERR_ADAPTER: a client has one Server instance per SSID).
 * - Creating a Server instance for an SSID clears that SSID's disabled flag
 *   (a new account is in use), but keeps its registration: de-registering
 *   remains a separate step (seed CR 003 de-registers after the Server
 *   instance is deleted).
 * - disable/enable/deregister/cancel_observations accept an SSID that has a
 *   Server instance or a known session (registered, observed, disabled),
 *   and give UCB_ERR_NOT_PRESENT otherwise. Disable also ends the
 *   registration (Server resource 4: the client de-registers); de-register
 *   and cancel_observations are independent of each other, so a test can
 *   see each step.
 * - acl_get gives UCB_ERR_BUFFER when the instance has more entries than
 *   @p cap (rather than a partial list the caller could write back), and
 *   UCB_ERR_INVALID when resource 0, 1 or 3 is missing or out of range.
 *   acl_set keeps every other resource, writes the entries sorted by SSID
 *   (resource 2 left out when there are none) and the owner.
 * - Only successful changes are logged.
 */
#ifndef UCB_REF_CORE_H
#define UCB_REF_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapter.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef UCB_REF_MAX_INSTANCES
/** Object instances the reference core holds, all objects together. */
#define UCB_REF_MAX_INSTANCES 64u
#endif
#ifndef UCB_REF_MAX_TLV
/** Largest resource TLV payload of one instance. */
#define UCB_REF_MAX_TLV 512u
#endif
#ifndef UCB_REF_MAX_SERVERS
/** Servers (SSIDs) whose session state is tracked. */
#define UCB_REF_MAX_SERVERS 16u
#endif
#ifndef UCB_REF_LOG_MAX
/** Log records kept; older ones are dropped first. */
#define UCB_REF_LOG_MAX 128u
#endif

/** Wildcard for ucb_ref_core_bs_delete(): every object / every instance. */
#define UCB_REF_ANY 0xFFFFu

/** What a log record reports. */
enum ucb_ref_op {
    UCB_REF_OP_CREATE = 1,   /**< adapter create */
    UCB_REF_OP_DELETE,       /**< adapter remove */
    UCB_REF_OP_DISABLE,      /**< adapter disable_server */
    UCB_REF_OP_ENABLE,       /**< adapter enable_server */
    UCB_REF_OP_DEREGISTER,   /**< adapter deregister (also the end of a registration by disable) */
    UCB_REF_OP_CANCEL_OBSERVATIONS, /**< adapter cancel_observations */
    UCB_REF_OP_ACL_SET,      /**< adapter acl_set; ssid is the new owner */
    UCB_REF_OP_REGISTER,     /**< ucb_ref_core_register() (the application) */
    UCB_REF_OP_OBSERVE,      /**< ucb_ref_core_observe() (the application) */
    UCB_REF_OP_BS_WRITE,     /**< ucb_ref_core_bs_write() (a Bootstrap-Server, out of band) */
    UCB_REF_OP_BS_DELETE,    /**< ucb_ref_core_bs_delete() (a Bootstrap-Server, out of band) */
    UCB_REF_OP_DM_WRITE      /**< ucb_ref_core_dm_write_int() (a Device Management server) */
};

/**
 * One log record. For instance operations oid/iid name the instance and
 * ssid is its Short Server ID (Security resource 10, Server resource 0,
 * Access Control owner) or 0; for server operations ssid is the server and
 * oid/iid its Server instance, or UCB_REF_ANY when it has none.
 */
struct ucb_ref_log_entry {
    uint8_t op; /**< enum ucb_ref_op */
    uint16_t oid;
    uint16_t iid;
    uint16_t ssid;
};

/** Session state of one server. */
struct ucb_ref_server {
    uint16_t ssid;          /**< 0: slot unused */
    bool registered;
    bool disabled;
    uint32_t observations;  /**< observations the server holds */
    uint32_t registrations; /**< Register (and Update) count */
    uint32_t deregistrations; /**< De-register count (deregister, or disable of a registered server) */
};

/** One stored instance. Private. */
struct ucb_ref_instance {
    bool used;
    uint16_t oid;
    uint16_t iid;
    uint16_t len;
    uint8_t tlv[UCB_REF_MAX_TLV];
};

/**
 * The core. Place it in static storage or on the heap of a test (about
 * 34 KB with the defaults); treat the fields as private and use the calls.
 */
struct ucb_ref_core {
    struct ucb_ref_instance inst[UCB_REF_MAX_INSTANCES];
    struct ucb_ref_server servers[UCB_REF_MAX_SERVERS];
    struct ucb_ref_log_entry log[UCB_REF_LOG_MAX];
    size_t log_total;      /**< records ever appended since the last clear */
    uint32_t caps;         /**< capabilities offered (ucb_ref_core_set_caps) */
    uint32_t mutations;    /**< mutating adapter operations attempted since init */
    uint32_t fail_at;      /**< 0, or the number of the mutating op that fails */
    uint32_t commits;      /**< successful commit() calls (end of the bridge's batches) */
    bool foreign_reads;    /**< read() answers in its own encoding (ucb_ref_core_foreign_reads) */
    struct ucb_adapter_ops ops; /**< the adapter's ops, NULL where caps withheld */
};

/** Every capability the reference core has. */
#define UCB_REF_CAPS_ALL \
    (UCB_CAP_DISABLE | UCB_CAP_DEREGISTER | UCB_CAP_OBSERVATIONS | UCB_CAP_ACL)

/**
 * Side effects the reference core can bundle, as some real cores do
 * (ucb_ref_core_set_caps): IMPLIED_DEREGISTER is always true of its
 * disable; with IMPLIED_CANCEL, disable, deregister and the deletion of a
 * Server instance also drop the server's observations; with CASCADE_ACL,
 * removing an instance also removes the Access Control instances that
 * target it (as Zephyr does).
 */
#define UCB_REF_CAPS_IMPLIED \
    (UCB_CAP_IMPLIED_DEREGISTER | UCB_CAP_IMPLIED_CANCEL | UCB_CAP_CASCADE_ACL)

/** Empty the core: no instances, no servers, empty log, all caps, no fault. Cannot fail. */
UCB_API void ucb_ref_core_init(struct ucb_ref_core *core);

/** Fill @p out with the adapter of @p core (ops inside the core, ctx = core). */
UCB_API void ucb_ref_core_adapter(struct ucb_ref_core *core, struct ucb_adapter *out);

/**
 * Offer only the capabilities in @p caps (a UCB_CAP_* mask, within
 * UCB_REF_CAPS_ALL | UCB_REF_CAPS_IMPLIED): caps() reports them and the
 * ops outside them become NULL, also for adapters filled before this call.
 */
UCB_API void ucb_ref_core_set_caps(struct ucb_ref_core *core, uint32_t caps);

/**
 * Make the @p k-th mutating adapter operation from now (create, remove,
 * disable, enable, deregister, cancel_observations, acl_set, commit; k = 1:
 * the next one) fail with UCB_ERR_ADAPTER without effect. Fires once. 0 disarms.
 */
UCB_API void ucb_ref_core_fail_at(struct ucb_ref_core *core, uint32_t k);

/** Mutating adapter operations attempted since init (failed ones too): sizes a fail_at sweep. */
UCB_API uint32_t ucb_ref_core_mutations(const struct ucb_ref_core *core);

/**
 * The application registers with server @p ssid (a second call counts as an
 * Update). @return 0, UCB_ERR_NOT_PRESENT (no Server instance has this
 * SSID), UCB_ERR_STATE (the server is disabled), UCB_ERR_CAPACITY.
 */
UCB_API int ucb_ref_core_register(struct ucb_ref_core *core, uint16_t ssid);

/** Server @p ssid observes something. @return 0, UCB_ERR_STATE when not registered. */
UCB_API int ucb_ref_core_observe(struct ucb_ref_core *core, uint16_t ssid);

/** Session state of @p ssid, or NULL when the core has never seen it. */
UCB_API const struct ucb_ref_server *ucb_ref_core_server(const struct ucb_ref_core *core,
                                                         uint16_t ssid);

/**
 * The stored resource TLVs of /oid/iid: @p out_tlv points into the core,
 * valid until the instance changes. @return 0 or UCB_ERR_NOT_PRESENT.
 */
UCB_API int ucb_ref_core_get(const struct ucb_ref_core *core, uint16_t oid, uint16_t iid,
                             const uint8_t **out_tlv, size_t *out_len);

/** Number of instances held. */
UCB_API size_t ucb_ref_core_count(const struct ucb_ref_core *core);

/**
 * The @p n-th instance in ascending (oid, iid) order, for printing the
 * client's objects. @return 0 or UCB_ERR_NOT_PRESENT when n >= count.
 * @p out_tlv / @p out_len may be NULL.
 */
UCB_API int ucb_ref_core_nth(const struct ucb_ref_core *core, size_t n, uint16_t *out_oid,
                             uint16_t *out_iid, const uint8_t **out_tlv, size_t *out_len);

/**
 * A Bootstrap-Server writes /oid/iid out of band (replacing the instance,
 * or creating it). Not an adapter operation: fail_at does not apply.
 * @return 0 or the errors of create.
 */
UCB_API int ucb_ref_core_bs_write(struct ucb_ref_core *core, uint16_t oid, uint16_t iid,
                                  const uint8_t *tlv, size_t len);

/**
 * A Bootstrap-Server deletes /oid/iid, /oid (iid UCB_REF_ANY) or /
 * (both UCB_REF_ANY) out of band. As LwM2M Bootstrap-Delete, the
 * Bootstrap-Server Account (a Security instance with resource 1 true) and
 * Device (object 3) instances are kept by a wildcard delete and refused
 * (UCB_ERR_ADAPTER) by name. @return the number of instances deleted, or
 * UCB_ERR_NOT_PRESENT when /oid/iid is absent.
 */
UCB_API int ucb_ref_core_bs_delete(struct ucb_ref_core *core, uint16_t oid, uint16_t iid);

/**
 * A Device Management server writes Integer resource @p rid of /oid/iid
 * (replacing it, or adding it): what a Write to a writable resource such
 * as the Server's Lifetime does. Not an adapter operation. The Security
 * object and resources a server may not write (Server 0, Access Control 0,
 * 1) are refused with UCB_ERR_ADAPTER. @return 0, UCB_ERR_NOT_PRESENT,
 * UCB_ERR_ADAPTER, UCB_ERR_TOO_LARGE.
 */
UCB_API int ucb_ref_core_dm_write_int(struct ucb_ref_core *core, uint16_t oid, uint16_t iid,
                                      uint16_t rid, int64_t value);

/**
 * Make read() answer as a core with its own storage would (@p on): every
 * Integer resource of objects 0-2 in 8 bytes, the resources in descending
 * ID order, and a Server instance without Notification Storing (resource
 * 6) given it as false. The bridge must still recognise its instances.
 */
UCB_API void ucb_ref_core_foreign_reads(struct ucb_ref_core *core, bool on);

/** Log records kept (at most UCB_REF_LOG_MAX; older ones dropped). */
UCB_API size_t ucb_ref_core_log_count(const struct ucb_ref_core *core);
/** Records appended since the last clear, dropped ones included. */
UCB_API size_t ucb_ref_core_log_total(const struct ucb_ref_core *core);
/** The @p i-th kept record, oldest first, or NULL. */
UCB_API const struct ucb_ref_log_entry *ucb_ref_core_log_at(const struct ucb_ref_core *core,
                                                            size_t i);
/** Forget the log. */
UCB_API void ucb_ref_core_log_clear(struct ucb_ref_core *core);

/** Short lower-case name of an op ("create", "delete", "disable", ...; "?" if unknown). */
UCB_API const char *ucb_ref_op_name(int op);

#ifdef __cplusplus
}
#endif

#endif /* UCB_REF_CORE_H */
