/**
 * @file uiccboot.h
 * @brief Umbrella header of libuiccboot.
 */
#ifndef UCB_UICCBOOT_H
#define UCB_UICCBOOT_H

#include "ucb_config.h"
#include "err.h"
#include "tlv.h"
#include "bootstrap.h"
#include "validate.h"
#include "transport.h"
#include "apdu.h"
#include "fcp.h"
#include "uicc.h"
#include "at.h"
#include "card.h"
#include "scp03.h"

#endif /* UCB_UICCBOOT_H */
