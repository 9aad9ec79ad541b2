/**
 * @file bridge.h
 * @brief The bridge: keeps an LwM2M client core in step with the card.
 *
 * LwM2M Core "Bootstrap from Smartcard" (5.2.3.2 / 6.1.3.2): the client
 * applies the card's bootstrap data, checks at every Register and Update
 * with a server that came from the card that the data is unchanged,
 * disables and replaces what it applied when the card changed, and deletes
 * everything it created from the card when the card is gone.
 *
 * The bridge reads the card (card.h), validates the file (validate.h),
 * diffs it against the provenance record (store.h) and drives the client
 * core through an adapter (adapter.h). It owns no memory: the caller places
 * `struct ucb_bridge` (about 7 KB with the decoded model) and two buffers.
 *
 * Units of the diff. An *account* is the Security instance and the Server
 * instance that share a Short Server ID; the Security instance with
 * Bootstrap-Server = true is the *bootstrap account* (recorded with SSID 0).
 * Every other instance (Access Control, any other object) is a unit of its
 * own, keyed by object and card instance ID. A unit is unchanged when every
 * instance of it has the same 8-byte hash (first bytes of SHA-256 of the
 * instance's resource TLVs) as recorded; then nothing happens to it.
 *
 * Decisions (where the Core and the issue leave room):
 *  - A check reads the file with ucb_card_read_kept(): the first read walks
 *    the card and keeps the logical channel, the selected EF and the SCP03
 *    session; on an unchanged card a check then costs ceil(size / chunk) + 1
 *    C-APDUs (the file's READ BINARYs and a probe past its end). ICCID and
 *    SHA-256 are compared with provenance. A card event, a status word or a
 *    MAC failure closes what was kept and the next check walks again.
 *  - A walk the transport answers with UCB_ERR_CARD_REINSERTED or
 *    UCB_ERR_CARD_RESET (it reconnected after an event nobody polled for)
 *    is started once more by ucb_card_read_kept(), so an application need
 *    not poll the transport's card_event before a check.
 *  - Card gone: ucb_card_read_bootstrap() failing with UCB_ERR_CARD_REMOVED,
 *    UCB_ERR_CARD_NOT_FOUND or UCB_ERR_CARD_NO_DATA (no card, or a card
 *    without LwM2M data), or card_event(false). The card's share is then
 *    removed. Any other read error (timeout, transport, PIN, SCP03) changes
 *    nothing and is returned: the applied state stays as it is.
 *  - Another ICCID: every old unit is removed and every new one applied
 *    (new card, new sessions), even where contents are equal.
 *  - Invalid new content (any validator error): nothing is applied, the old
 *    state is kept, UCB_BRIDGE_EV_INVALID reports the error count.
 *  - Apply order: first every account that goes or changes is disabled
 *    (taken out of use before anything else moves); then removal in the
 *    order of seed CR 003 (D.2.2): card instances of other objects that go,
 *    then the Access Control instances that go, then per account: its
 *    entries in the remaining Access Control instances are removed and the
 *    ownership it held passes to the server with most of Write and Delete
 *    (ties: lowest SSID; nobody: 65535, bootstrap only), its observations
 *    are cancelled, its Server instance and then its Security instance are
 *    deleted, it is de-registered. Then creation: other objects, Access
 *    Control instances (targets remapped), then accounts, Security before
 *    Server, so no core ever sees a Server instance without credentials.
 *  - The ACL steps edit every remaining Access Control instance that names
 *    the departing SSID, card-created or not: an entry or ownership naming
 *    a server that no longer exists would pass its rights to the next
 *    server given that SSID. No other non-card instance is ever changed.
 *  - Before deleting an instance the bridge reads it back: absent, it is
 *    forgotten; one of its identity resources different from what the card
 *    wrote, it is marked DISOWNED and left alone. Identity resources are
 *    those only a Bootstrap-Server can write: every identifying resource of
 *    a Security instance (URI, Bootstrap-Server, mode, keys, SSID), the
 *    Short Server ID of a Server instance, the target of an Access Control
 *    instance. They are compared by value, so a core may give back its own
 *    encoding and default resources. A Device Management server writing
 *    the Lifetime of a card Server instance, or the ACL of a card Access
 *    Control instance, leaves it the card's: it is deleted with the card.
 *    Instances of other objects have no identity resources (a Server may
 *    write any of them): a Bootstrap-Server's Write to one of those must
 *    be reported with ucb_bridge_notify() to take it away from the card.
 *  - Instance ID taken by an instance the card did not create: the card
 *    instance is created under the lowest ID that is free and that no other
 *    card instance of the object wants; recorded with UCB_PROV_REMAPPED. A
 *    card Access Control instance whose target was remapped or refused is
 *    refused (UCB_BRIDGE_REFUSE): its rights would land on an instance the
 *    card did not create.
 *  - SSID of a card account already used by a Server instance the card did
 *    not create: the account is refused (UCB_BRIDGE_REFUSE action), the
 *    existing server kept; the rest of the card is applied.
 *  - Failure of any adapter operation: everything done in this apply is
 *    undone in reverse (created instances deleted, deleted instances created
 *    again from what was read before, ACL entries and owners restored,
 *    disabled servers enabled), UCB_BRIDGE_EV_APPLY_FAILED is reported and
 *    the error returned. De-registration and cancelled observations cannot
 *    be undone: the core registers again when the server is enabled.
 *    Provenance is saved only after a successful apply; a failing save
 *    rolls the apply back too. The adapter's commit() (if any) runs once
 *    at the end of every batch: after the apply, and after a rollback.
 *  - A core that removes Access Control instances with their target
 *    (UCB_CAP_CASCADE_ACL): before each delete the bridge saves the Access
 *    Control instances that target the instance, reports them as deleted
 *    (implied), re-creates after the apply those whose target came back
 *    under the same ID (an account replaced in place; non-card instances
 *    are not the apply's to remove), and restores them on rollback.
 *  - create() answering UCB_ERR_UNSUPPORTED (the core does not host that
 *    object) for an object other than Security and Server: that card
 *    instance is refused (UCB_BRIDGE_REFUSE), with any card Access Control
 *    instance that targets it, and the rest of the card is applied.
 *  - A step the core does by itself as part of another (UCB_CAP_IMPLIED_*)
 *    is reported as a SKIP action with `implied` set; a step the core
 *    cannot do at all as a SKIP without it. Either way nothing is called.
 *  - Bootstrap-Server Account Timeout (Security res 12 of the card's
 *    bootstrap account, > 0): the Core starts it at Bootstrap-Finish; a
 *    card bootstrap has none, so its clock starts at the first
 *    ucb_bridge_tick() after the account was applied (the end of the card
 *    bootstrap). The deadline is saved in provenance and survives reboots.
 *    When it passes, the bootstrap Security instance is deleted and not
 *    re-applied until the card content changes.
 *  - After a reboot, when none of the recorded instances exists in the core
 *    (a core without persistence), the card is applied afresh.
 */
#ifndef UCB_BRIDGE_H
#define UCB_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapter.h"
#include "apdu.h"
#include "bootstrap.h"
#include "card.h"
#include "export.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What one action did (or would have done, for SKIP and REFUSE). */
enum ucb_bridge_op {
    UCB_BRIDGE_CREATE = 0,          /**< /oid/iid created (iid may be remapped) */
    UCB_BRIDGE_DELETE,              /**< /oid/iid deleted */
    UCB_BRIDGE_DISABLE,             /**< server ssid taken out of use */
    UCB_BRIDGE_ENABLE,              /**< server ssid back in use */
    UCB_BRIDGE_DEREGISTER,          /**< server ssid de-registered */
    UCB_BRIDGE_CANCEL_OBSERVATIONS, /**< observations of ssid cancelled */
    UCB_BRIDGE_ACL_CHANGE,          /**< /2/iid: entries of ssid removed and/or owner changed */
    UCB_BRIDGE_SKIP,                /**< step for ssid skipped: the core lacks `skipped_op` */
    UCB_BRIDGE_REFUSE,              /**< card account ssid refused: SSID used by a non-card server */
    UCB_BRIDGE_DISOWN               /**< /oid/iid changed or deleted out of band: left alone */
};

/** One action of an apply. */
struct ucb_bridge_action {
    enum ucb_bridge_op op;
    uint16_t oid, iid;       /**< instance concerned (0xFFFF when none) */
    uint16_t ssid;           /**< server concerned (0xFFFF when none; 0 = bootstrap account) */
    uint16_t card_iid;       /**< CREATE: instance ID on the card */
    enum ucb_bridge_op skipped_op; /**< SKIP: the step not done */
    bool undo;               /**< part of a rollback */
    bool implied;            /**< SKIP: the core did the step itself (UCB_CAP_IMPLIED_*) */
};

enum ucb_bridge_event_kind {
    UCB_BRIDGE_EV_ACTION = 0,     /**< `action` was carried out */
    UCB_BRIDGE_EV_INSERTED,       /**< a card (another ICCID, or the first) applied */
    UCB_BRIDGE_EV_CHANGED,        /**< same card, new content applied */
    UCB_BRIDGE_EV_UNCHANGED,      /**< check: card and content unchanged, nothing done */
    UCB_BRIDGE_EV_REMOVED,        /**< card gone: its share removed */
    UCB_BRIDGE_EV_INVALID,        /**< new content invalid: nothing applied (`err`, `n_errors`) */
    UCB_BRIDGE_EV_READ_FAILED,    /**< card could not be read: nothing changed (`err`) */
    UCB_BRIDGE_EV_APPLY_FAILED,   /**< an adapter op or the store failed: rolled back (`err`) */
    UCB_BRIDGE_EV_BS_EXPIRED      /**< Bootstrap-Server Account Timeout passed */
};

struct ucb_bridge_event {
    enum ucb_bridge_event_kind kind;
    int err;                          /**< error, 0 where none */
    unsigned n_errors;                /**< INVALID: validator errors */
    const struct ucb_bridge_action *action; /**< ACTION only */
    const struct ucb_card_info *card; /**< last read, or NULL */
};

/** Receives each event. Must not call back into the bridge. */
typedef void (*ucb_bridge_event_fn)(void *ctx, const struct ucb_bridge_event *ev);

/** What the client should do after ucb_bridge_start(). */
enum ucb_bridge_next {
    UCB_BRIDGE_NEXT_REGISTER = 0,        /**< card servers applied: register */
    UCB_BRIDGE_NEXT_FACTORY_BOOTSTRAP,   /**< not configured from the card */
    UCB_BRIDGE_NEXT_CLIENT_BOOTSTRAP     /**< the card gave only a bootstrap account */
};

struct ucb_bridge_config {
    struct ucb_apdu *apdu;               /**< engine over the card transport */
    const struct ucb_card_opts *reader;  /**< reader options, or NULL */
    struct ucb_store store;
    struct ucb_adapter adapter;
    uint8_t *file_buf;                   /**< holds the card file; UCB_BOOTSTRAP_MAX bytes */
    size_t file_cap;
    /**
     * Undo space: the instances an apply deletes are read back into it
     * before deletion (rollback, out-of-band check). UCB_BOOTSTRAP_MAX is
     * enough for cores that give back what they were given; an apply that
     * does not fit fails with UCB_ERR_BUFFER and is rolled back.
     */
    uint8_t *undo_buf;
    size_t undo_cap;
    ucb_bridge_event_fn event;           /**< optional */
    void *event_ctx;
};

/** Most undo steps of one apply. */
#define UCB_BRIDGE_UNDO_MAX (3u * UCB_PROV_MAX + 16u)

/** Bridge state. Caller-allocated; fields are private. */
struct ucb_bridge {
    struct ucb_bridge_config cfg;
    struct ucb_provenance prov;      /**< what is applied now (as saved) */
    struct ucb_provenance next;      /**< being built by an apply */
    struct ucb_bootstrap bs;         /**< decoded card file (views into file_buf) */
    struct ucb_card_info info;       /**< last read */
    struct ucb_card_keep keep;       /**< channel, EF and SCP03 session kept between checks */
    struct {
        uint8_t kind;
        uint16_t oid, iid, ssid;
        uint32_t off, len;
    } undo[UCB_BRIDGE_UNDO_MAX];
    uint16_t n_undo;
    uint32_t undo_used;
    uint32_t bs_timeout;             /**< card bootstrap account timeout to start, 0 = none */
    bool started;
    bool undoing;
};

/** Set up @p b with @p cfg (copied). Cannot fail. */
UCB_API void ucb_bridge_init(struct ucb_bridge *b, const struct ucb_bridge_config *cfg);

/**
 * Close what the bridge keeps open on the card between checks (the logical
 * channel, and the SCP03 session, wiped). Accepts NULL; may be called twice.
 */
UCB_API void ucb_bridge_deinit(struct ucb_bridge *b);

/**
 * At boot, before any registration: load provenance, read the card, and
 * apply it (or remove the card's share when the card went while the device
 * was off). @p out_next says what the client does next.
 * @return 0 (also when there is no card: next = factory bootstrap), or an
 *         error (UCB_ERR_ARG; a store load failure is reported as an empty
 *         record and not returned; adapter and read errors are in events and
 *         returned, and @p out_next is still set).
 */
UCB_API int ucb_bridge_start(struct ucb_bridge *b, enum ucb_bridge_next *out_next);

/**
 * Call before Register / Update with server @p ssid. Cores differ in where
 * that is (docs/design.md): Zephyr's registration client reports an Update
 * about to be sent but not a Register; Wakaama and Anjay have no such
 * callback, so the application calls this before the step that may send
 * one (lwm2m_step(), anjay_sched_run()) for the servers due. A server the card did
 * not create costs nothing (provenance lookup, no APDU) and returns 0.
 * Otherwise the card is checked and any change applied. @return 0 when the
 * client may go on with @p ssid; UCB_ERR_NOT_PRESENT when the account is
 * gone (removed, changed to another SSID, refused); or the read, adapter or
 * store error (state as the event says: old, or new).
 */
UCB_API int ucb_bridge_before_register(struct ucb_bridge *b, uint16_t ssid);
UCB_API int ucb_bridge_before_update(struct ucb_bridge *b, uint16_t ssid);

/** Transport reported insertion (check and apply) or removal (remove the card's share). */
UCB_API int ucb_bridge_card_event(struct ucb_bridge *b, bool present);

/**
 * Clock hook (seconds, any monotonic origin that survives reboots if the
 * deadline should). Starts and enforces the Bootstrap-Server Account
 * Timeout of a card bootstrap account. @return 0 or an adapter/store error.
 */
UCB_API int ucb_bridge_tick(struct ucb_bridge *b, uint32_t now_s);

/**
 * The client changed (@p deleted false) or deleted /oid/iid out of band (a
 * Bootstrap-Server Write or Delete, Delete on "/" once per instance). A card instance becomes DISOWNED: never touched again, not
 * re-applied until the card content changes. Other instances: no effect.
 * @return 1 when it was a card instance, 0 when not, or a store error.
 */
UCB_API int ucb_bridge_notify(struct ucb_bridge *b, uint16_t oid, uint16_t iid, bool deleted);

/** @return true when @p ssid is an account the card created and the bridge still owns. */
UCB_API bool ucb_bridge_owns_ssid(const struct ucb_bridge *b, uint16_t ssid);

#ifdef __cplusplus
}
#endif

#endif /* UCB_BRIDGE_H */
