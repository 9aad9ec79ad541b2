/* The bridge tests' rig (bridge_rig.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_rig.h"
#include "test_util.h"
#include "uiccboot/tlv.h"

static void on_event(void *ctx, const struct ucb_bridge_event *ev)
{
    struct rig *r = ctx;
    if ((unsigned)ev->kind < 16) r->ev_count[ev->kind]++;
    if (ev->kind == UCB_BRIDGE_EV_ACTION && r->n_act < RIG_MAX_ACTIONS)
        r->act[r->n_act++] = *ev->action;
    if (r->verbose) {
        if (ev->kind == UCB_BRIDGE_EV_ACTION)
            printf("  action op=%d /%u/%u ssid=%u undo=%d\n", ev->action->op, ev->action->oid,
                   ev->action->iid, ev->action->ssid, ev->action->undo);
        else
            printf("  event %d err=%d\n", ev->kind, ev->err);
    }
}

struct rig *rig_alloc(bool scp03)
{
    struct rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    vuicc_profile_default(&r->prof);
    r->scp03 = scp03;
    if (scp03) {
        r->prof.scp03.len = 16;
        r->prof.scp03.kvn = 0x30;
        r->prof.scp03.i_param = 0x70;
        r->prof.scp03_required = true;
        for (size_t i = 0; i < 16; i++) {
            r->prof.scp03.enc[i] = r->sc_keys.enc[i] = (uint8_t)i;
            r->prof.scp03.mac[i] = r->sc_keys.mac[i] = (uint8_t)(0x10 + i);
            r->prof.scp03.dek[i] = r->sc_keys.dek[i] = (uint8_t)(0x20 + i);
        }
        r->sc_keys.len = 16;
        r->sc_keys.kvn = 0x30;
        r->sc_cfg.keys = &r->sc_keys;
        r->sc_cfg.level = UCB_SCP03_LEVEL_DEFAULT; /* 33 */
        ucb_scp03_init(&r->sc_session);
        r->sc_opts.scp03 = &r->sc_session;
        r->sc_opts.scp03_cfg = &r->sc_cfg;
    }
    return r;
}

void rig_load_card(struct rig *r, const char *fixture)
{
    size_t len;
    uint8_t *f = test_read_file(fixture, &len);
    rig_load_bytes(r, f, len);
    free(f);
}

void rig_bridge_new(struct rig *r)
{
    struct ucb_bridge_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.apdu = &r->apdu;
    cfg.reader = r->scp03 ? &r->sc_opts : NULL;
    cfg.store = r->store;
    cfg.adapter = r->adapter;
    cfg.file_buf = r->file;
    cfg.file_cap = sizeof r->file;
    cfg.undo_buf = r->undo;
    cfg.undo_cap = sizeof r->undo;
    cfg.event = on_event;
    cfg.event_ctx = r;
    ucb_bridge_init(&r->b, &cfg);
}

void rig_wire(struct rig *r)
{
    rig_card_transport(r);
    ucb_apdu_init(&r->apdu, &r->t);
    ucb_ref_core_init(&r->core);
    ucb_ref_core_adapter(&r->core, &r->adapter);
    ucb_store_ram_init(&r->ram, &r->store);
    rig_bridge_new(r);
}

struct rig *rig_new(const char *fixture, bool scp03)
{
    struct rig *r = rig_alloc(scp03);
    rig_load_card(r, fixture);
    rig_wire(r);
    return r;
}

void rig_free(struct rig *r)
{
    ucb_bridge_deinit(&r->b);
    ucb_apdu_deinit(&r->apdu);
    rig_card_free(r);
    free(r);
}

#if !RIG_PCSC
/* ---- the in-process card backend (the PC/SC one is rig_pcsc.c) ---- */

void rig_load_bytes(struct rig *r, const uint8_t *f, size_t len)
{
    char err[200] = "";
    if (r->card == NULL) {
        r->card = vuicc_new(&r->prof, f, len, err, sizeof err);
        if (r->card == NULL) fail_msg("vuicc_new: %s", err);
        r->loaded = true;
    } else if (vuicc_reload(r->card, &r->prof, f, len, err, sizeof err) != 0) {
        fail_msg("vuicc_reload: %s", err);
    }
}

void rig_card_remove(struct rig *r)
{
    vuicc_remove(r->card);
}

void rig_card_insert(struct rig *r)
{
    vuicc_insert(r->card);
}

bool rig_card_present(const struct rig *r)
{
    return vuicc_present(r->card);
}

uint32_t rig_apdu_count(const struct rig *r)
{
    return vuicc_apdu_count(r->card);
}

const char *rig_backend(void)
{
    return "in process";
}

bool rig_fault_selected(const char *kind)
{
    (void)kind;
    return true;
}

void rig_card_transport(struct rig *r)
{
    vuicc_transport(r->card, &r->t);
}

void rig_card_free(struct rig *r)
{
    vuicc_free(r->card);
    r->card = NULL;
}

int rig_setup(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: %s (no arguments)\n", argv[0]);
        return 2;
    }
    return 0;
}

void rig_teardown(void)
{
}
#endif

size_t rig_count_actions(const struct rig *r, enum ucb_bridge_op op, uint16_t oid, uint16_t iid)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_act; i++)
        if (r->act[i].op == op && !r->act[i].undo && (oid == RIG_ANY || r->act[i].oid == oid) &&
            (iid == RIG_ANY || r->act[i].iid == iid))
            n++;
    return n;
}

void rig_clear_log(struct rig *r)
{
    r->n_act = 0;
    memset(r->ev_count, 0, sizeof r->ev_count);
}

size_t rig_security_tlv(uint8_t *out, size_t cap, const char *uri, uint16_t ssid)
{
    struct ucb_tlv_writer w;
    ucb_tlv_writer_init(&w, out, cap);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 0, uri, strlen(uri));
    ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 1, false);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 2, 3);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 10, ssid);
    int n = ucb_tlv_writer_finish(&w);
    assert_true(n > 0);
    return (size_t)n;
}

size_t rig_server_tlv(uint8_t *out, size_t cap, uint16_t ssid)
{
    struct ucb_tlv_writer w;
    ucb_tlv_writer_init(&w, out, cap);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 0, ssid);
    ucb_tlv_put_int(&w, UCB_TLV_RESOURCE, 1, 600);
    ucb_tlv_put_bool(&w, UCB_TLV_RESOURCE, 6, true);
    ucb_tlv_put_raw(&w, UCB_TLV_RESOURCE, 7, "U", 1);
    int n = ucb_tlv_writer_finish(&w);
    assert_true(n > 0);
    return (size_t)n;
}

bool rig_has(const struct rig *r, uint16_t oid, uint16_t iid)
{
    const uint8_t *t;
    size_t len;
    return ucb_ref_core_get(&r->core, oid, iid, &t, &len) == 0;
}

void snapshot(const struct rig *r, struct snap *s)
{
    memset(s, 0, sizeof *s);
    s->n = ucb_ref_core_count(&r->core);
    for (size_t k = 0; k < s->n; k++) {
        const uint8_t *t;
        size_t len;
        assert_int_equal(ucb_ref_core_nth(&r->core, k, &s->i[k].oid, &s->i[k].iid, &t, &len), 0);
        s->i[k].len = len;
        memcpy(s->i[k].tlv, t, len);
    }
}

bool snap_same(const struct snap *a, const struct snap *b)
{
    if (a->n != b->n) return false;
    for (size_t k = 0; k < a->n; k++)
        if (a->i[k].oid != b->i[k].oid || a->i[k].iid != b->i[k].iid ||
            a->i[k].len != b->i[k].len || memcmp(a->i[k].tlv, b->i[k].tlv, a->i[k].len) != 0)
            return false;
    return true;
}
