/**
 * @file adapter_zephyr.h
 * @brief The adapter (adapter.h) for Zephyr's LwM2M engine, and the hooks
 * that run the bridge's checks from Zephyr's registration client.
 *
 * Written against Zephyr main of 2025-06-18 (VERSION 4.1.99, between the
 * v4.1.0 and v4.2.0 tags); docs/integration/zephyr.md says what was
 * verified. Instances are created and deleted with the engine's public
 * lwm2m_create_object_inst() / lwm2m_delete_object_inst() and filled with
 * the lwm2m_set_*() setters; the engine's private headers are used only
 * where it offers no public call (listing instances, learning a resource's
 * type, ACL entries, disabling a server), each use commented in the source.
 *
 * What the engine can and cannot do (caps()):
 *  - UCB_CAP_DISABLE: lwm2m_server_disable(); disabling the server in use
 *    also de-registers it (UCB_CAP_IMPLIED_DEREGISTER). The registration
 *    client serves one server at a time, so no other server is registered.
 *  - UCB_CAP_IMPLIED_CANCEL: observations belong to the one connection and
 *    go when it closes (de-register, disable) or with a deleted instance.
 *  - UCB_CAP_ACL and UCB_CAP_CASCADE_ACL with CONFIG_LWM2M_ACCESS_CONTROL_ENABLE:
 *    deleting an instance deletes the Access Control instances that target
 *    it (the adapter does it itself, by instance ID, before the engine's
 *    own cascade, which deletes by array index).
 *  - No deregister() and no cancel_observations(): both are implied.
 *
 * Threads and locks. Every operation may be called from the application's
 * thread or from the registration client's event callback (the engine's
 * work queue, with the client's mutex held). The adapter never holds the
 * engine's registry lock while it calls into the registration client.
 * The library does not allocate, print or log.
 */
#ifndef UCB_ADAPTER_ZEPHYR_H
#define UCB_ADAPTER_ZEPHYR_H

#include <stdbool.h>
#include <stdint.h>

#include "adapter.h"
#include "bridge.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lwm2m_ctx; /* <zephyr/net/lwm2m.h> */

/**
 * Longest String resource value create() can hand to lwm2m_set_string()
 * (which wants a terminated copy). The engine's longest string resource of
 * objects 0-2 is the Security Server URI (254 characters).
 */
#ifndef UCB_ZEPHYR_STR_MAX
#define UCB_ZEPHYR_STR_MAX 255u
#endif

/** Adapter state. Caller-allocated (static storage); fields are private. */
struct ucb_zephyr_adapter {
    char str[UCB_ZEPHYR_STR_MAX + 1u]; /**< terminated copy of a string value */
    bool busy;              /**< a hook is inside the bridge: nested events are ignored */
    bool in_register_hook;  /**< inside ucb_zephyr_before_register() */
    bool current_touched;   /**< the server in use was disabled or deleted during a hook */
    bool pre_checked;       /**< the current registration was checked before Register */
};

/**
 * Set up @p z and fill @p out (ops and context) for ucb_bridge_config.
 * Cannot fail. Call after the engine's objects are initialised (they are by
 * the time main() runs).
 */
UCB_API void ucb_zephyr_adapter_init(struct ucb_zephyr_adapter *z, struct ucb_adapter *out);

/**
 * Call from the application's lwm2m_ctx_event_cb_t with every event
 * (the `enum lwm2m_rd_client_event` value as an int).
 *
 * - LWM2M_RD_CLIENT_EVENT_REG_UPDATE: the registration client is about to
 *   send an Update (it sends it about 100 ms later): runs
 *   ucb_bridge_before_update() for the server in use. When the card
 *   removed or changed that account, the bridge has disabled the server,
 *   and the client de-registers instead of updating.
 * - LWM2M_RD_CLIENT_EVENT_REGISTRATION_COMPLETE: Zephyr has no event before
 *   Register. When ucb_zephyr_before_register() did not run for this
 *   registration (no set_socketoptions hook, or the client re-used its
 *   socket), ucb_bridge_before_register() runs here, just *after* the
 *   Register: a changed account is then disabled (de-registered) and
 *   replaced at once.
 * - Every other event: nothing.
 *
 * Runs card I/O on the engine's work queue: the client waits meanwhile.
 * Events that arrive while the bridge is working (the engine reports
 * SERVER_DISABLED from inside a disable) are ignored.
 * @return what the bridge returned (0 when nothing was checked). The event
 *         callback has no return value; the result is for the application's
 *         own logging.
 */
UCB_API int ucb_zephyr_on_rd_event(struct ucb_zephyr_adapter *z, struct ucb_bridge *b,
                                   struct lwm2m_ctx *ctx, int event);

/**
 * The best point Zephyr offers before a Register: call it first in the
 * application's lwm2m_ctx::set_socketoptions callback, which the engine
 * runs after it selected the server and opened its socket and before it
 * sends Register (and also before a bootstrap request, where this does
 * nothing). Runs ucb_bridge_before_register() for the selected server.
 * Not called when the client retries a Register on an open socket; then
 * ucb_zephyr_on_rd_event() checks after the Register.
 *
 * @return 0: go on (the application then sets its socket options, e.g.
 *         lwm2m_set_default_sockopt()); or a negative errno (-ECANCELED)
 *         when the check disabled, removed or replaced the selected server:
 *         return it from set_socketoptions, so the engine drops this
 *         attempt (it reports a network error) and selects a server again.
 *         A card read error leaves the applied state as it was and returns 0.
 */
UCB_API int ucb_zephyr_before_register(struct ucb_zephyr_adapter *z, struct ucb_bridge *b,
                                       struct lwm2m_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* UCB_ADAPTER_ZEPHYR_H */
