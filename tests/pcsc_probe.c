/*
 * PC/SC transport probe for tests/test_pcsc.py: one PC/SC connection kept
 * open across card events, driven by commands on standard input, one per
 * line, each answered with one line "<command> <rc> <error name>":
 *
 *   open [READER]  ucb_pcsc_open (reader 0 by default)
 *   read           ucb_card_read_bootstrap; on success also the size
 *   event          transport card_event
 *   reset          transport reset
 *   quit
 *
 * The test script removes, inserts and swaps the virtual card between
 * commands, so what the transport reports is checked on the same
 * connection a long-running client would hold.
 */
#include <stdio.h>
#include <string.h>

#include <uiccboot/host.h>
#include <uiccboot/uiccboot.h>

static const char *err_name(int rc)
{
    switch (rc) {
    case 0: return "OK";
    case UCB_ERR_TRANSPORT: return "TRANSPORT";
    case UCB_ERR_TIMEOUT: return "TIMEOUT";
    case UCB_ERR_CARD_REMOVED: return "CARD_REMOVED";
    case UCB_ERR_CARD_RESET: return "CARD_RESET";
    case UCB_ERR_CARD_REINSERTED: return "CARD_REINSERTED";
    default: return rc > 0 ? "OK" : "OTHER";
    }
}

int main(void)
{
    static struct ucb_pcsc pcsc;
    static struct ucb_apdu apdu;
    static uint8_t file[UCB_BOOTSTRAP_MAX];
    struct ucb_transport t;
    char line[256];
    bool open = false;

    memset(&t, 0, sizeof(t));
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        char *arg;
        int rc;

        line[strcspn(line, "\r\n")] = '\0';
        arg = strchr(line, ' ');
        if (arg != NULL)
            *arg++ = '\0';
        if (strcmp(line, "quit") == 0)
            break;
        if (strcmp(line, "open") == 0) {
            if (open)
                ucb_pcsc_close(&pcsc);
            rc = ucb_pcsc_open(&pcsc, arg != NULL ? arg : "0");
            open = rc == 0;
            if (open) {
                ucb_pcsc_transport(&pcsc, &t);
                ucb_apdu_init(&apdu, &t);
            }
            printf("open %d %s\n", rc, err_name(rc));
        } else if (!open) {
            printf("%s %d NOT_OPEN\n", line, UCB_ERR_STATE);
        } else if (strcmp(line, "read") == 0) {
            struct ucb_card_info info;

            rc = ucb_card_read_bootstrap(&apdu, NULL, file, sizeof(file), &info);
            printf("read %d %s %s\n", rc, err_name(rc), rc >= 0 ? info.iccid_str : "-");
        } else if (strcmp(line, "event") == 0) {
            rc = t.card_event(t.ctx);
            printf("event %d %s\n", rc, err_name(rc));
        } else if (strcmp(line, "reset") == 0) {
            uint8_t atr[40];
            size_t n = 0;

            rc = t.reset(t.ctx, atr, sizeof(atr), &n);
            printf("reset %d %s\n", rc, err_name(rc));
        } else {
            printf("%s %d UNKNOWN\n", line, UCB_ERR_ARG);
        }
    }
    if (open)
        ucb_pcsc_close(&pcsc);
    return 0;
}
