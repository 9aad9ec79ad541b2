/*
 * The rig of the bridge tests (test_bridge.c, test_bridge_sweep.c): a
 * virtual UICC, the reference core and the RAM store wired to a bridge, with
 * an event log, plus helpers to build and compare client states. Test code:
 * it allocates and fails the current cmocka test.
 *
 * Two card backends, one test source. Built plainly, the card is the
 * in-process virtual UICC (vuicc_transport()). Built with -DRIG_PCSC=1
 * (rig_pcsc.c), the same card runs in the program uiccboot-simcard behind
 * the real pcscd and the vsmartcard vpcd driver, and the bridge's engine
 * talks to it through the PC/SC transport of the host library; the bridge,
 * the core and the store stay in the test process. Tests reach the card
 * only through the rig_card_* / rig_load_* / rig_apdu_count functions, and
 * describe it only through r->prof (ICCID, SCP03 keys, fault knobs), which
 * takes effect at the next load or insertion in both backends.
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

#ifndef RIG_PCSC
#define RIG_PCSC 0
#endif

#define RIG_MAX_ACTIONS 256

struct rig_pcsc;

struct rig {
#if RIG_PCSC
    struct rig_pcsc *pc;           /* the card behind pcscd (rig_pcsc.c) */
#else
    struct vuicc *card;            /* the in-process card */
#endif
    bool loaded;                   /* the card exists */
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
/* Create the card from bytes, or reload it (new content, same card object;
 * another r->prof.iccid makes it another card, as vuicc_reload()). A reload
 * restarts the C-APDU count and the fault counter and keeps the card in or
 * out of the reader. */
void rig_load_bytes(struct rig *r, const uint8_t *f, size_t len);
void rig_load_card(struct rig *r, const char *fixture);

/* The card leaves the reader; returns once the transport can see it gone. */
void rig_card_remove(struct rig *r);
/* The card goes in (power-on state, fault counter and C-APDU count
 * restarted); a card already in is taken out first. Returns once the
 * transport can see it. */
void rig_card_insert(struct rig *r);
bool rig_card_present(const struct rig *r);
/* C-APDUs the card received since it was loaded, reloaded or inserted. */
uint32_t rig_apdu_count(const struct rig *r);
/* "in process" or "PC/SC", for messages. */
const char *rig_backend(void);
/* Whether a fault sweep covers fault kind @p kind ("sw", "remove", "mute",
 * "corrupt"): always in process; through PC/SC as --faults says, so the
 * runner can spread one sweep over several pcscd instances. */
bool rig_fault_selected(const char *kind);

/*
 * Call first and last in main(). In process: nothing to do, no arguments.
 * PC/SC: rig_setup() takes --simcard PATH (required), --workdir DIR,
 * --reader NAME, --vpcd HOST:PORT, --filter PATTERN and --skip PATTERN
 * (cmocka test filters), --faults LIST (rig_fault_selected) and
 * --no-poll-after-insert (rig_pcsc.c); it waits for pcscd to show the
 * reader and returns 0, 2 after a usage message, or 1 without pcscd.
 * rig_teardown() ends the card program.
 */
int rig_setup(int argc, char **argv);
void rig_teardown(void);
/* Transport, core, store and bridge, once the card exists. */
void rig_wire(struct rig *r);
/* The backend's share of rig_wire() and rig_free(): r->t over the card;
 * close it (in process: nothing). */
void rig_card_transport(struct rig *r);
void rig_card_free(struct rig *r);
/* rig_alloc + rig_load_card + rig_wire. */
struct rig *rig_new(const char *fixture, bool scp03);
/* A new bridge on the rig's card, core and store (a boot). */
void rig_bridge_new(struct rig *r);
void rig_free(struct rig *r);
/* Forget the actions and events reported so far. */
void rig_clear_log(struct rig *r);

/* Actions reported with @p op on /oid/iid (RIG_ANY: any), rollback steps not counted. */
#define RIG_ANY 0xFFFFu
size_t rig_count_actions(const struct rig *r, enum ucb_bridge_op op, uint16_t oid, uint16_t iid);

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
