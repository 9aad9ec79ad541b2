/*
 * A firmware image that calls every entry point of the bridge, for
 * scripts/size-m4-image.sh: built with -DWITH_UCB and without, the
 * difference in .text is what uiccboot costs a firmware after
 * --gc-sections. The transport and adapter are stubs (their code is the
 * firmware's own).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef WITH_UCB
#include "uiccboot/bridge.h"
#include "uiccboot/err.h"
#include "uiccboot/transport.h"

static int t_tx(void *ctx, const uint8_t *c, size_t cl, uint8_t *r, size_t rc, size_t *rl,
                uint32_t to)
{
    (void)ctx, (void)c, (void)cl, (void)r, (void)rc, (void)to;
    *rl = 0;
    return UCB_ERR_TRANSPORT;
}
static uint32_t a_caps(void *c)
{
    (void)c;
    return 0;
}
static int a_list(void *c, uint16_t o, uint16_t *out, size_t cap)
{
    (void)c, (void)o, (void)out, (void)cap;
    return 0;
}
static int a_create(void *c, uint16_t o, uint16_t i, const uint8_t *t, size_t l)
{
    (void)c, (void)o, (void)i, (void)t, (void)l;
    return 0;
}
static int a_remove(void *c, uint16_t o, uint16_t i)
{
    (void)c, (void)o, (void)i;
    return 0;
}
static int a_read(void *c, uint16_t o, uint16_t i, uint8_t *t, size_t l)
{
    (void)c, (void)o, (void)i, (void)t, (void)l;
    return UCB_ERR_NOT_PRESENT;
}
static int a_find(void *c, uint16_t s, uint16_t *i)
{
    (void)c, (void)s, (void)i;
    return 0;
}
static const struct ucb_adapter_ops aops = {.caps = a_caps, .list = a_list, .create = a_create,
                                            .remove = a_remove, .read = a_read,
                                            .find_server = a_find};
static struct ucb_bridge b;
static struct ucb_apdu apdu;
static struct ucb_store_ram ram;
static uint8_t file[UCB_BOOTSTRAP_MAX], undo[UCB_BOOTSTRAP_MAX];
#endif

volatile int sink;

int main(void)
{
#ifdef WITH_UCB
    struct ucb_transport t;
    struct ucb_bridge_config cfg;
    enum ucb_bridge_next n;

    memset(&t, 0, sizeof t);
    t.transmit = t_tx;
    ucb_apdu_init(&apdu, &t);
    memset(&cfg, 0, sizeof cfg);
    cfg.apdu = &apdu;
    ucb_store_ram_init(&ram, &cfg.store);
    cfg.adapter.ops = &aops;
    cfg.file_buf = file;
    cfg.file_cap = sizeof file;
    cfg.undo_buf = undo;
    cfg.undo_cap = sizeof undo;
    ucb_bridge_init(&b, &cfg);
    sink = ucb_bridge_start(&b, &n);
    sink = ucb_bridge_before_register(&b, 101);
    sink = ucb_bridge_before_update(&b, 101);
    sink = ucb_bridge_card_event(&b, true);
    sink = ucb_bridge_tick(&b, 5);
    sink = ucb_bridge_notify(&b, 1, 0, false);
    ucb_bridge_deinit(&b);
#endif
    for (;;)
        sink++;
}
