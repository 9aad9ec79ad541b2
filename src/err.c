#include "uiccboot/err.h"
#include "uiccboot/ucb_config.h"

const char *ucb_strerror(int err)
{
#if UCB_CONFIG_STRERROR
    switch (err) {
    case UCB_OK: return "ok";
    case UCB_ERR_TRANSPORT: return "transport error";
    case UCB_ERR_TIMEOUT: return "timeout";
    case UCB_ERR_CARD_REMOVED: return "card removed";
    case UCB_ERR_CARD_RESET: return "card reset";
    case UCB_ERR_CARD_REINSERTED: return "card removed and inserted again";
    case UCB_ERR_MODEM: return "modem refused the command";
    case UCB_ERR_CARD_STATUS: return "card returned an error status";
    case UCB_ERR_CARD_NOT_FOUND: return "file or application not found on the card";
    case UCB_ERR_CARD_SECURITY: return "security status not satisfied";
    case UCB_ERR_CARD_PIN: return "PIN refused or blocked";
    case UCB_ERR_CARD_RESPONSE: return "malformed card response";
    case UCB_ERR_CARD_NO_DATA: return "no LwM2M bootstrap data object on the card";
    case UCB_ERR_SCP_AUTH: return "secure channel authentication failed";
    case UCB_ERR_SCP_MAC: return "secure channel MAC verification failed";
    case UCB_ERR_SCP_PROTOCOL: return "secure channel protocol error";
    case UCB_ERR_SCP_CRYPTO: return "crypto backend error";
    case UCB_ERR_MALFORMED: return "malformed data";
    case UCB_ERR_TRUNCATED: return "data truncated";
    case UCB_ERR_NESTING: return "TLV nesting not allowed";
    case UCB_ERR_TYPE: return "value does not match its type";
    case UCB_ERR_TOO_LARGE: return "data too large";
    case UCB_ERR_CAPACITY: return "model capacity exceeded";
    case UCB_ERR_INVALID: return "content failed validation";
    case UCB_ERR_NOT_PRESENT: return "not present";
    case UCB_ERR_ARG: return "invalid argument";
    case UCB_ERR_BUFFER: return "buffer too small";
    case UCB_ERR_UNSUPPORTED: return "not supported";
    case UCB_ERR_STATE: return "invalid state";
    case UCB_ERR_STORE: return "provenance store error";
    case UCB_ERR_ADAPTER: return "LwM2M client adapter error";
    default: return "unknown error";
    }
#else
    (void)err;
    return "";
#endif
}
