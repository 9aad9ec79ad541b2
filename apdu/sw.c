/*
 * The status-word table: one list, read in order, that gives each status
 * word its error class and (with UCB_CONFIG_TEXT) its meaning.
 *
 * Sources: ETSI TS 102 221 10.2.1 (status conditions returned by the UICC),
 * ISO/IEC 7816-4 5.1.3 (interindustry SW1-SW2); 61xx and 6Cxx are T=0
 * procedure bytes (ISO 7816-3 10.3.3) that the engine consumes itself, they
 * only reach this table when a card loops on them.
 */
#include "uiccboot/apdu.h"
#include "uiccboot/err.h"

struct sw_entry {
    uint16_t sw;
    uint16_t mask;  /* FFFF exact word, FF00 any SW2, FFF0 63Cx */
    int8_t err;     /* ucb_sw_class() result */
#if UCB_CONFIG_TEXT
    const char *text;
#endif
};

#if UCB_CONFIG_TEXT
#define SW(sw, mask, err, text) {(sw), (mask), (int8_t)(err), (text)}
#else
#define SW(sw, mask, err, text) {(sw), (mask), (int8_t)(err)}
#endif

#define ALL 0xFFFFu
#define SW1 0xFF00u

#define OK 0
#define WARN 0   /* warnings: class 0, the caller inspects the word itself */
#define STATUS UCB_ERR_CARD_STATUS
#define NOT_FOUND UCB_ERR_CARD_NOT_FOUND
#define SECURITY UCB_ERR_CARD_SECURITY
#define PIN UCB_ERR_CARD_PIN

/* Exact words first, then the SW1-wide fallbacks; the first match wins. */
static const struct sw_entry sw_table[] = {
    /* TS 102 221 10.2.1.1 normal processing */
    SW(0x9000, ALL, OK, "normal ending of the command"),
    SW(0x9100, SW1, OK, "normal ending, proactive command pending"),
    SW(0x9200, SW1, OK, "normal ending, with extra information"),
    /* 10.2.1.2 postponed processing */
    SW(0x9300, ALL, STATUS, "SIM application toolkit busy"),
    /* 10.2.1.3 warnings */
    SW(0x6200, ALL, WARN, "warning: no information, memory unchanged"),
    SW(0x6281, ALL, WARN, "warning: part of returned data may be corrupted"),
    SW(0x6282, ALL, WARN, "warning: end of file or record reached before Le bytes"),
    SW(0x6283, ALL, WARN, "warning: selected file invalidated"),
    SW(0x6284, ALL, WARN, "warning: FCI not formatted as specified"),
    SW(0x6285, ALL, WARN, "warning: selected file in termination state"),
    SW(0x62F1, ALL, WARN, "warning: more data available"),
    SW(0x62F2, ALL, WARN, "warning: more data available, proactive command pending"),
    SW(0x62F3, ALL, WARN, "warning: response data available"),
    SW(0x63F1, ALL, WARN, "warning: more data expected"),
    SW(0x63F2, ALL, WARN, "warning: more data expected, proactive command pending"),
    /* 63Cx: VERIFY and friends, x tries left (TS 102 221 11.1.9) */
    SW(0x63C0, 0xFFF0u, PIN, "verification failed, retries left in SW2 low nibble"),
    /* 10.2.1.4 execution errors */
    SW(0x6400, ALL, STATUS, "execution error: no information, memory unchanged"),
    SW(0x6500, ALL, STATUS, "execution error: no information, memory changed"),
    SW(0x6581, ALL, STATUS, "memory problem"),
    /* 10.2.1.5 checking errors */
    SW(0x6700, ALL, STATUS, "wrong length"),
    SW(0x6B00, ALL, STATUS, "wrong parameters P1-P2 (e.g. offset beyond the file)"),
    SW(0x6D00, ALL, STATUS, "instruction not supported or invalid"),
    SW(0x6E00, ALL, STATUS, "class not supported"),
    SW(0x6F00, ALL, STATUS, "technical problem, no precise diagnosis"),
    /* functions in CLA not supported */
    SW(0x6800, ALL, STATUS, "function in CLA not supported"),
    SW(0x6881, ALL, STATUS, "logical channel not supported"),
    SW(0x6882, ALL, STATUS, "secure messaging not supported"),
    /* command not allowed */
    SW(0x6900, ALL, STATUS, "command not allowed"),
    SW(0x6981, ALL, STATUS, "command incompatible with file structure"),
    SW(0x6982, ALL, SECURITY, "security status not satisfied"),
    SW(0x6983, ALL, PIN, "authentication/PIN method blocked"),
    /* uicc.h: 6984 reported for a PIN ("referenced data invalidated") */
    SW(0x6984, ALL, PIN, "referenced data invalidated"),
    SW(0x6985, ALL, SECURITY, "conditions of use not satisfied"),
    SW(0x6986, ALL, STATUS, "command not allowed, no EF selected"),
    SW(0x6989, ALL, SECURITY, "command not allowed, secure channel security not satisfied"),
    /* wrong parameters */
    SW(0x6A80, ALL, STATUS, "incorrect parameters in the data field"),
    SW(0x6A81, ALL, STATUS, "function not supported"),
    SW(0x6A82, ALL, NOT_FOUND, "file or application not found"),
    SW(0x6A83, ALL, NOT_FOUND, "record not found"),
    SW(0x6A84, ALL, STATUS, "not enough memory space"),
    SW(0x6A86, ALL, STATUS, "incorrect parameters P1 to P2"),
    SW(0x6A87, ALL, STATUS, "Lc inconsistent with P1 to P2"),
    SW(0x6A88, ALL, NOT_FOUND, "referenced data not found"),
    /* 10.2.1.6 application errors */
    SW(0x9862, ALL, STATUS, "authentication error, application specific"),
    SW(0x9863, ALL, STATUS, "security session or association expired"),
    /* T=0 procedure bytes, only seen here when the card loops on them */
    SW(0x6100, SW1, STATUS, "response bytes still available"),
    SW(0x6C00, SW1, STATUS, "wrong length Le, exact length in SW2"),
    /* SW1-wide fallbacks */
    SW(0x6200, SW1, WARN, "warning, memory unchanged"),
    SW(0x6300, SW1, WARN, "warning, memory changed"),
    SW(0x6400, SW1, STATUS, "execution error, memory unchanged"),
    SW(0x6500, SW1, STATUS, "execution error, memory changed"),
    SW(0x6600, SW1, STATUS, "security-related issue"),
    SW(0x6700, SW1, STATUS, "wrong length"),
    SW(0x6800, SW1, STATUS, "function in CLA not supported"),
    SW(0x6900, SW1, STATUS, "command not allowed"),
    SW(0x6A00, SW1, STATUS, "wrong parameters P1-P2"),
    SW(0x9800, SW1, STATUS, "application error"),
};

static const struct sw_entry *sw_find(uint16_t sw)
{
    for (size_t i = 0; i < sizeof sw_table / sizeof sw_table[0]; i++) {
        if ((sw & sw_table[i].mask) == sw_table[i].sw) return &sw_table[i];
    }
    return NULL;
}

int ucb_sw_class(uint16_t sw)
{
    const struct sw_entry *e = sw_find(sw);
    return e ? e->err : UCB_ERR_CARD_STATUS;
}

bool ucb_sw_ok(uint16_t sw)
{
    /* TS 102 221 10.2.1.1: the three normal-ending forms */
    return sw == 0x9000u || (sw >> 8) == 0x91u || (sw >> 8) == 0x92u;
}

const char *ucb_sw_text(uint16_t sw)
{
#if UCB_CONFIG_TEXT
    const struct sw_entry *e = sw_find(sw);
    return e ? e->text : "unknown status word";
#else
    (void)sw;
    return "";
#endif
}
