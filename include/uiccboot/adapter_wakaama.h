/**
 * @file adapter_wakaama.h
 * @brief The adapter for Eclipse Wakaama (docs/integration/wakaama.md).
 *
 * Wakaama leaves objects 0 (Security), 1 (Server) and 2 (Access Control)
 * to the application and keeps its own cached list of servers, which it
 * rebuilds only in its STATE_INITIAL. This adapter provides those three
 * objects as real Wakaama objects (lwm2m_object_t: read, write, create,
 * delete, execute), stores their instances as LwM2M TLV in fixed arrays
 * inside struct ucb_wakaama, and exposes them to the bridge through
 * struct ucb_adapter. The application passes ucb_wakaama_object() for 0, 1
 * (and 2) to lwm2m_configure() with its other objects, and adds its own
 * accounts with ucb_wakaama_create().
 *
 * Taking a server out of use at once, without restarting the client:
 *  - disable_server(ssid) sends De-register (registration_deregister(), an
 *    internal Wakaama function: there is no public per-server call) and
 *    hides the account's Security instance from the core, so its server
 *    list never picks it up again until enable_server();
 *  - removing a Security or Server instance does the same;
 *  - commit() asks for a rebuild of the server list (STATE_INITIAL), which
 *    frees the retired server entries and closes their connections. The
 *    rebuild waits (in ucb_wakaama_before_step()) until each retired
 *    server's De-register, Register or Update exchange has ended, at most
 *    UCB_WAKAAMA_RETIRE_GRACE_S seconds; then its open transactions are
 *    dropped, so no reply or retransmission can reach a freed entry;
 *  - the observations of a retired server are unlinked before its entry is
 *    freed (Wakaama keeps a pointer to the server in each watcher).
 *
 * Wakaama has no callback before Register or Update. The application calls
 * ucb_wakaama_before_step() right before each lwm2m_step(): it finishes a
 * pending rebuild and, for every server whose Register or Update that step
 * would send, runs ucb_bridge_before_register() / _update() first (one
 * card check covers all card servers due in the same step).
 *
 * The adapter never allocates. Wakaama's read callback contract makes it
 * fill lwm2m_data_t arrays with lwm2m_data_new()/lwm2m_data_encode_*(),
 * which use the application's lwm2m_malloc(); the core frees them.
 * Instance bytes (keys included) are wiped when an instance is removed and
 * by ucb_wakaama_deinit().
 *
 * Build: compile with the same LWM2M_* definitions as the Wakaama core
 * (LWM2M_CLIENT_MODE and an endianness at least), against Wakaama's
 * include/, core/ and coap/ directories (README, -Dwakaama=PATH).
 */
#ifndef UCB_ADAPTER_WAKAAMA_H
#define UCB_ADAPTER_WAKAAMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <liblwm2m.h>

#include "adapter.h"
#include "bridge.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Instances each of the objects 0, 1 and 2 can hold (card and application together). */
#ifndef UCB_WAKAAMA_MAX_INSTANCES
#define UCB_WAKAAMA_MAX_INSTANCES 8
#endif
/** Largest TLV of one instance (a Security instance with certificates needs more). */
#ifndef UCB_WAKAAMA_INSTANCE_BYTES
#define UCB_WAKAAMA_INSTANCE_BYTES 512
#endif
/** Further objects the application may let the adapter host (ucb_wakaama_host_object()). */
#ifndef UCB_WAKAAMA_MAX_EXTRA
#define UCB_WAKAAMA_MAX_EXTRA 4
#endif
/** Longest wait, in seconds, for a retired server's exchanges before they are dropped. */
#ifndef UCB_WAKAAMA_RETIRE_GRACE_S
#define UCB_WAKAAMA_RETIRE_GRACE_S 3
#endif

/** One stored instance. The first two fields are Wakaama's lwm2m_list_t. */
struct ucb_wakaama_inst {
    struct ucb_wakaama_inst *next;
    uint16_t id;
    bool used;
    bool hidden;      /**< Security instance of a disabled account: not in the core's list */
    uint16_t len;
    uint8_t tlv[UCB_WAKAAMA_INSTANCE_BYTES];
};

struct ucb_wakaama;

/** One object. `obj` is what Wakaama sees; it must stay first. */
struct ucb_wakaama_object {
    lwm2m_object_t obj;
    struct ucb_wakaama *owner;
    struct ucb_wakaama_inst pool[UCB_WAKAAMA_MAX_INSTANCES];
};

/** The adapter's state. Caller-allocated (about 13 KB by default); fields are private. */
struct ucb_wakaama {
    lwm2m_context_t *lwm2m;
    struct ucb_bridge *bridge;          /**< for Bootstrap-Server writes, or NULL */
    struct ucb_wakaama_object security, server, acl;
    struct ucb_wakaama_object *extra[UCB_WAKAAMA_MAX_EXTRA];
    bool with_acl;
    bool rebuild_wanted;                /**< commit() asked for a server list rebuild */
    bool rebuild_armed;                 /**< state set to STATE_INITIAL, lwm2m_step() not yet run */
    lwm2m_client_state_t state_before;  /**< the state it replaced */
    bool retiring;                      /**< a retired server waits for the rebuild */
    time_t retired_at;                  /**< when the oldest unfinished retirement began */
    uint8_t scratch[UCB_WAKAAMA_INSTANCE_BYTES];
};

/**
 * Set up @p w for the Wakaama context @p lwm2m (from lwm2m_init(), before
 * lwm2m_configure()). @p with_acl: also provide object 2. Cannot fail.
 */
UCB_API void ucb_wakaama_init(struct ucb_wakaama *w, lwm2m_context_t *lwm2m, bool with_acl);

/** Wipe every stored instance. Call after lwm2m_close(). */
UCB_API void ucb_wakaama_deinit(struct ucb_wakaama *w);

/** The Wakaama object for @p oid (0, 1, 2 when enabled, or a hosted one) to pass to lwm2m_configure(), or NULL. */
UCB_API lwm2m_object_t *ucb_wakaama_object(struct ucb_wakaama *w, uint16_t oid);

/**
 * Host one more object, stored like 0-2 in @p o (caller-allocated), so that
 * card instances of it (an APN profile, say) can be applied; pass
 * ucb_wakaama_object(w, oid) to lwm2m_configure() or lwm2m_add_object().
 * Without it, the bridge's create() of such an object answers
 * UCB_ERR_UNSUPPORTED and the bridge refuses that card instance.
 * @return 0, UCB_ERR_ARG (0-2, or already hosted), UCB_ERR_CAPACITY.
 */
UCB_API int ucb_wakaama_host_object(struct ucb_wakaama *w, struct ucb_wakaama_object *o,
                                    uint16_t oid);

/** Fill @p out with the adapter's operations and context, for ucb_bridge_config. */
UCB_API void ucb_wakaama_adapter(struct ucb_wakaama *w, struct ucb_adapter *out);

/**
 * Let the adapter report Bootstrap-Server Writes, Creates and Deletes of
 * objects 0-2 to the bridge (ucb_bridge_notify()), so a card instance a
 * Bootstrap-Server replaced is never touched again. NULL: report nothing.
 */
UCB_API void ucb_wakaama_attach_bridge(struct ucb_wakaama *w, struct ucb_bridge *b);

/**
 * Add an instance the application owns (its own server account, say) from
 * resource TLVs. Same as the adapter's create(): 0, UCB_ERR_ADAPTER (exists,
 * or no room), UCB_ERR_UNSUPPORTED (object not hosted), UCB_ERR_BUFFER,
 * or the TLV decoder's error. Call ucb_wakaama_commit() after a batch.
 */
UCB_API int ucb_wakaama_create(struct ucb_wakaama *w, uint16_t oid, uint16_t iid,
                               const uint8_t *tlv, size_t len);

/** Ask for a server list rebuild (the adapter's commit()). @return 0. */
UCB_API int ucb_wakaama_commit(struct ucb_wakaama *w);

/**
 * The Server URI (/0/sec_iid/0) of a Security instance, NUL-terminated, for
 * the application's lwm2m_connect_server(). Hidden instances included.
 * @return its length, UCB_ERR_NOT_PRESENT, UCB_ERR_BUFFER, or a TLV error.
 */
UCB_API int ucb_wakaama_server_uri(const struct ucb_wakaama *w, uint16_t sec_iid, char *buf,
                                   size_t cap);

/**
 * Call right before every lwm2m_step(). Finishes a pending server list
 * rebuild when the retired servers' exchanges are over, then runs the
 * bridge's check for the servers whose Register or Update the next step
 * would send (@p b may be NULL: only the rebuild). @p now as lwm2m_gettime().
 * @return 0, or the first error a check returned other than
 *         UCB_ERR_NOT_PRESENT (an account the check removed).
 */
UCB_API int ucb_wakaama_before_step(struct ucb_wakaama *w, struct ucb_bridge *b, time_t now);

/** True while a rebuild waits for a retired server's exchange to end. */
UCB_API bool ucb_wakaama_busy(const struct ucb_wakaama *w);

#ifdef __cplusplus
}
#endif

#endif /* UCB_ADAPTER_WAKAAMA_H */
