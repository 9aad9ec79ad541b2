/**
 * @file adapter_anjay.h
 * @brief The adapter of adapter.h for AVSystem Anjay (tested with 3.14.0):
 * the adapter's own LwM2M objects 0 (Security), 1 (Server), optionally
 * 2 (Access Control) and other objects the card may fill.
 *
 * Why own objects and not Anjay's security/server modules. The modules
 * (anjay_security_object_install(), anjay_server_object_install()) offer
 * add, purge and persist, but no removal of one instance and no read-back
 * of what they hold (keys included), and Anjay has no public local read or
 * write of its data model. The bridge needs both: it deletes one account
 * at a time and reads an instance back before deleting it. The other way,
 * purging the modules and adding back every instance the card did not
 * write, would need the keys of those instances, which the modules do not
 * give back. So the adapter registers `anjay_dm_object_def_t` objects of
 * its own that keep every instance as its resource TLVs in fixed arrays of
 * `struct ucb_anjay`. To Anjay they are ordinary objects: it connects to
 * the servers they describe, and a LwM2M server reading /1 sees what the
 * card wrote. The Security object is read only by Anjay itself and by a
 * Bootstrap-Server (Anjay refuses every Device Management server access to
 * /0, LwM2M Core E.1), and, as in Anjay's own module, every Security
 * resource is listed read-only. The application therefore does not
 * install Anjay's security, server or access_control module.
 *
 * What the objects do with Anjay's own operations:
 * - Read, Discover, Observe of every present resource, with the type of the
 *   LwM2M registry for objects 0-2 (ucb_res_info_find()) and, for other
 *   objects, the type given by `ucb_anjay_config.res_type` (Opaque without).
 * - Write by a server to the writable Server resources (Lifetime, ...) and
 *   to the ACL and owner; Bootstrap-Write and Bootstrap-Delete of any
 *   instance, and Anjay's own Access Control upkeep. Transactions are
 *   Anjay's no-op ones: a multi-resource Write that fails half way keeps
 *   what it wrote.
 * - Execute of Server resources 4 (anjay_disable_server(), Disable Timeout
 *   read from /1/x/5), 8 (anjay_schedule_registration_update()) and 9
 *   (anjay_schedule_bootstrap_request(), LwM2M 1.1 builds).
 * - Resources of other objects are read-only to servers, so every change
 *   to them through Anjay comes from a Bootstrap-Server: the adapter queues
 *   it and ucb_anjay_before_sched_run() reports it with ucb_bridge_notify().
 *
 * Adapter operations (docs/integration/anjay.md has the table):
 * - list/create/remove/read/find_server/acl_get/acl_set work on the arrays,
 *   synchronously. create() gives UCB_ERR_UNSUPPORTED for an object the
 *   adapter does not host, UCB_ERR_ADAPTER for an existing instance or a
 *   Server instance whose SSID another one has, UCB_ERR_ARG for instance ID
 *   65535, UCB_ERR_TOO_LARGE above UCB_ANJAY_MAX_TLV, UCB_ERR_CAPACITY with
 *   every slot used, the decoder's error or UCB_ERR_MALFORMED (a repeated
 *   resource ID) for malformed TLV, UCB_ERR_TYPE for a value of objects 0-2
 *   that is not of its resource's type (or a multiple resource given as a
 *   single one, or a String holding a NUL byte).
 * - remove() also removes the Access Control instances that target the
 *   instance (UCB_CAP_CASCADE_ACL), as Anjay itself would at the next
 *   anjay_sched_run(); a removed instance's bytes are wiped.
 * - disable_server() calls anjay_disable_server_with_timeout(anjay, ssid,
 *   AVS_TIME_DURATION_INVALID); Anjay de-registers the server at the next
 *   anjay_sched_run() (UCB_CAP_IMPLIED_DEREGISTER). enable_server() calls
 *   anjay_enable_server(); when Anjay has not run the disable yet (it then
 *   refuses, the server being still active) it re-schedules the disable
 *   with a zero timeout instead, so the server ends enabled (adapter.h).
 *   Creating a Server instance for a disabled SSID enables it the same way.
 *   A server Anjay does not know yet (its instance created after the last
 *   anjay_sched_run()) is disabled at the next commit() or
 *   ucb_anjay_before_sched_run() that finds it known.
 * - No deregister (Anjay has no per-server call: it is implied by the
 *   disable, and by the removal of the Server instance), no
 *   cancel_observations (no API: Anjay drops a server's observations when
 *   its Server instance goes and invalidates them at the next Register, so
 *   UCB_CAP_IMPLIED_CANCEL; a disabled server keeps them until then, but
 *   sends nothing).
 * - commit() calls anjay_notify_instances_changed() for every object the
 *   batch changed; Anjay acts on it at the next anjay_sched_run().
 *
 * Capabilities: UCB_CAP_DISABLE | UCB_CAP_IMPLIED_DEREGISTER |
 * UCB_CAP_IMPLIED_CANCEL, plus UCB_CAP_ACL | UCB_CAP_CASCADE_ACL when the
 * adapter hosts object 2. Not UCB_CAP_IMPLIED_ACL: the bridge removes a
 * departing server's ACL entries and passes ownership on through acl_set()
 * before the Security instance goes, synchronously and undoably, so
 * Anjay's own clean-up (at notify time) then finds nothing to do.
 *
 * Memory: everything lives in `struct ucb_anjay`, placed by the caller
 * (about UCB_ANJAY_MAX_INSTANCES * (UCB_ANJAY_MAX_TLV + 8) bytes); the
 * adapter never allocates or prints. It is not thread-safe by itself: call
 * its operations and the bridge from the thread that runs anjay_sched_run()
 * (Anjay calls the object handlers from there).
 */
#ifndef UCB_ADAPTER_ANJAY_H
#define UCB_ADAPTER_ANJAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <anjay/dm.h>

#include "adapter.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef UCB_ANJAY_MAX_INSTANCES
/** Object instances the adapter holds, all its objects together. */
#define UCB_ANJAY_MAX_INSTANCES 24u
#endif
#ifndef UCB_ANJAY_MAX_TLV
/** Largest resource TLV payload of one instance (a Security instance with a certificate needs more). */
#define UCB_ANJAY_MAX_TLV 1024u
#endif
#ifndef UCB_ANJAY_MAX_SERVERS
/** Short Server IDs whose disable state the adapter tracks. */
#define UCB_ANJAY_MAX_SERVERS 8u
#endif
#ifndef UCB_ANJAY_MAX_OBJECTS
/** Objects other than 0, 1 and 2 the adapter can host. */
#define UCB_ANJAY_MAX_OBJECTS 4u
#endif
#ifndef UCB_ANJAY_MAX_PENDING
/** Out-of-band changes to other objects queued for ucb_bridge_notify(). */
#define UCB_ANJAY_MAX_PENDING 16u
#endif

struct ucb_anjay;
struct ucb_bridge;

/**
 * Value type (enum ucb_type) of resource @p rid of another object @p oid,
 * for Read and Write through Anjay. UCB_TYPE_OPAQUE serves the card's bytes
 * as they are (what a TLV reader sees either way).
 */
typedef uint8_t (*ucb_anjay_res_type_fn)(uint16_t oid, uint16_t rid);

/** What the adapter hosts. */
struct ucb_anjay_config {
    /** Also host object 2 (Access Control), instead of Anjay's access_control module. */
    bool access_control;
    /** Other objects the card may fill (not 0-2, at most UCB_ANJAY_MAX_OBJECTS), or NULL. */
    const uint16_t *other_oids;
    size_t n_other;
    /** Types of the other objects' resources; NULL: all Opaque. */
    ucb_anjay_res_type_fn res_type;
};

/** One object registered with Anjay. Private. */
struct ucb_anjay_object {
    const anjay_dm_object_def_t *def_ptr; /**< what Anjay holds: &def_ptr */
    anjay_dm_object_def_t def;
    struct ucb_anjay *owner;
    bool registered;
};

/** One instance. Private. */
struct ucb_anjay_instance {
    bool used;
    uint16_t oid;
    uint16_t iid;
    uint16_t len;
    uint8_t tlv[UCB_ANJAY_MAX_TLV];
};

/** Disable state of one SSID. Private. */
struct ucb_anjay_server {
    uint16_t ssid;       /**< 0: slot unused */
    bool disabled;       /**< what the bridge asked for */
    bool issued;         /**< anjay_disable_server_with_timeout() accepted it */
};

/** An out-of-band change to an instance of another object. Private. */
struct ucb_anjay_pending {
    uint16_t oid, iid;
    bool deleted;
};

/**
 * The adapter. Place it in static storage (it must outlive its objects'
 * registration with Anjay); treat the fields as private.
 */
struct ucb_anjay {
    anjay_t *anjay;
    struct ucb_anjay_config cfg;
    struct ucb_anjay_object obj[3u + UCB_ANJAY_MAX_OBJECTS];
    size_t n_obj;
    struct ucb_anjay_instance inst[UCB_ANJAY_MAX_INSTANCES];
    struct ucb_anjay_server srv[UCB_ANJAY_MAX_SERVERS];
    struct ucb_anjay_pending pending[UCB_ANJAY_MAX_PENDING];
    size_t n_pending;
    bool pending_lost;   /**< the queue overflowed: the oldest changes were not reported */
    uint32_t touched;    /**< bit i: obj[i] changed since the last commit() */
    struct ucb_adapter_ops ops;
};

/**
 * Register the adapter's objects with @p anjay (objects 0, 1, 2 when
 * cfg->access_control, and cfg->other_oids). Call once, before any server
 * is expected to register, and instead of Anjay's security, server and
 * access_control modules. @p a is initialised here.
 * @return 0, UCB_ERR_ARG (NULL, an OID out of range or repeated, too many
 *         other objects), UCB_ERR_ADAPTER (anjay_register_object() refused:
 *         the OID is taken, e.g. by a module). On error nothing stays registered.
 */
UCB_API int ucb_anjay_install(struct ucb_anjay *a, anjay_t *anjay,
                              const struct ucb_anjay_config *cfg);

/** Fill @p out with the adapter (ops inside @p a, ctx = @p a). */
UCB_API void ucb_anjay_adapter(struct ucb_anjay *a, struct ucb_adapter *out);

/**
 * Unregister the objects from Anjay (if it still runs: call before
 * anjay_delete(), or after it with a->anjay set to NULL) and wipe every
 * instance, keys included. Accepts NULL; may be called twice.
 */
UCB_API void ucb_anjay_deinit(struct ucb_anjay *a);

/**
 * Call right before each anjay_sched_run(). Reports queued out-of-band
 * changes with ucb_bridge_notify(); issues disables Anjay could not take
 * yet; then, for each server of object 1 whose next lifecycle operation
 * (anjay_next_planned_lifecycle_operation(): Register, Update, or the
 * handshake before them) is due or due within 50 ms, calls
 * ucb_bridge_before_update() when it is registered and
 * ucb_bridge_before_register() otherwise, so the card is checked before
 * Anjay sends it. Best effort (Anjay has no callback before Register or
 * Update): a Register retried inside one anjay_sched_run(), and the first
 * Register of a server created since the last anjay_sched_run() (Anjay
 * has not loaded it yet), are not seen.
 * @return 0, or the first error of the bridge or of ucb_bridge_notify()
 *         (UCB_ERR_NOT_PRESENT from a check is not an error here: that
 *         account is gone, the others are checked).
 */
UCB_API int ucb_anjay_before_sched_run(struct ucb_anjay *a, struct ucb_bridge *b);

#ifdef __cplusplus
}
#endif

#endif /* UCB_ADAPTER_ANJAY_H */
