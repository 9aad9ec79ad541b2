/*
 * The rig of the bridge tests (test_bridge.c, test_bridge_sweep.c): the
 * in-process virtual UICC, the reference core and the RAM store wired to a
 * bridge, with an event log, plus helpers to build and compare client
 * states. Test code: it allocates and fails the current cmocka test.
 */
#ifndef UCB_BRIDGE_RIG_H
#define UCB_BRIDGE_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uiccboot/bridge.h"
#include "uiccboot/ref_core.h"
#include "uiccboot/scp03.h"
#include "vuicc.h"

#define RIG_MAX_ACTIONS 256

struct rig {
    struct vuicc *card;
    struct vuicc_profile prof;
    struct ucb_transport t;
    struct ucb_apdu apdu;
    struct ucb_ref_core core;
    struct ucb_adapter adapter;
    struct ucb_store_ram ram;
    struct ucb_store store;
    uint8_t file[UCB_BOOTSTRAP_MAX];
    uint8_t undo[UCB_BOOTSTRAP_MAX];
    struct ucb_bridge b;
    /* SCP03 (rig_alloc(true)): the card is a security domain that keeps the
     * file to sessions with C-MAC and R-ENC; the bridge reads at level 33. */
    bool scp03;
    struct ucb_scp03_keys sc_keys;
    struct ucb_scp03_config sc_cfg;
    struct ucb_scp03 sc_session;
    struct ucb_card_opts sc_opts;
    /* what the bridge reported */
    struct ucb_bridge_action act[RIG_MAX_ACTIONS];
    size_t n_act;
    int ev_count[16];
    bool verbose;
};

/* A rig with its card profile set (the card not yet created). */
struct rig *rig_alloc(bool scp03);
/* Create the card from bytes, or reload it (new content, same card object). */
void rig_load_bytes(struct rig *r, const uint8_t *f, size_t len);
void rig_load_card(struct rig *r, const char *fixture);
/* Transport, core, store and bridge, once the card exists. */
void rig_wire(struct rig *r);
/* rig_alloc + rig_load_card + rig_wire. */
struct rig *rig_new(const char *fixture, bool scp03);
/* A new bridge on the rig's card, core and store (a boot). */
void rig_bridge_new(struct rig *r);
void rig_free(struct rig *r);
/* Forget the actions and events reported so far. */
void rig_clear_log(struct rig *r);

/* Resource TLVs of a NoSec Security instance and of a Server instance. */
size_t rig_security_tlv(uint8_t *out, size_t cap, const char *uri, uint16_t ssid);
size_t rig_server_tlv(uint8_t *out, size_t cap, uint16_t ssid);
bool rig_has(const struct rig *r, uint16_t oid, uint16_t iid);

/* Every instance of the client core, byte for byte. */
struct snap {
    size_t n;
    struct {
        uint16_t oid, iid;
        size_t len;
        uint8_t tlv[UCB_REF_MAX_TLV];
    } i[UCB_REF_MAX_INSTANCES];
};

void snapshot(const struct rig *r, struct snap *s);
bool snap_same(const struct snap *a, const struct snap *b);

#endif
