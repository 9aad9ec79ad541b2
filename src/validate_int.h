/*
 * Internal to the validator (src/rules.c, src/validate.c); not installed.
 */
#ifndef UCB_VALIDATE_INT_H
#define UCB_VALIDATE_INT_H

#include "uiccboot/ucb_config.h"

/*
 * English text that UCB_CONFIG_TEXT=0 compiles out: clauses, summaries and
 * messages become "" (one shared literal), rule codes stay.
 */
#ifndef UCB_TEXT
#if UCB_CONFIG_TEXT
#define UCB_TEXT(s) s
#else
#define UCB_TEXT(s) ""
#endif
#endif

#endif /* UCB_VALIDATE_INT_H */
