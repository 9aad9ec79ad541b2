/*
 * What the library knows of objects 0-2: OMA LwM2M registry 0.xml, 1.xml,
 * 2.xml and their 1.0 / 1.1 version history (spec-notes 2.1-2.3).
 */
#include <stddef.h>

#include "uiccboot/bootstrap.h"

#if UCB_CONFIG_TEXT
#define NAME(s) s
#else
#define NAME(s) ""
#endif

/* oid, rid, type, multiple, mandatory, secret, since major.minor, name */
#define R(o, r, t, m, man, sec, maj, min, n)                                          \
    {(o), (r), UCB_TYPE_##t, (m), (man), (sec), (maj), (min), NAME(n)}

/* Sorted by object, then resource ID, with no gaps (see ucb_res_info_find). */
static const struct ucb_res_info res_table[] = {
    R(0, 0, STRING, 0, 1, 0, 1, 0, "LWM2M Server URI"),
    R(0, 1, BOOLEAN, 0, 1, 0, 1, 0, "Bootstrap-Server"),
    R(0, 2, INTEGER, 0, 1, 0, 1, 0, "Security Mode"),
    R(0, 3, OPAQUE, 0, 1, 0, 1, 0, "Public Key or Identity"),
    R(0, 4, OPAQUE, 0, 1, 0, 1, 0, "Server Public Key"),
    R(0, 5, OPAQUE, 0, 1, 1, 1, 0, "Secret Key"),
    R(0, 6, INTEGER, 0, 0, 0, 1, 0, "SMS Security Mode"),
    R(0, 7, OPAQUE, 0, 0, 0, 1, 0, "SMS Binding Key Parameters"),
    R(0, 8, OPAQUE, 0, 0, 1, 1, 0, "SMS Binding Secret Key(s)"),
    R(0, 9, STRING, 0, 0, 0, 1, 0, "LwM2M Server SMS Number"),
    R(0, 10, INTEGER, 0, 0, 0, 1, 0, "Short Server ID"),
    R(0, 11, INTEGER, 0, 0, 0, 1, 0, "Client Hold Off Time"),
    R(0, 12, INTEGER, 0, 0, 0, 1, 0, "Bootstrap-Server Account Timeout"),
    R(0, 13, UNSIGNED, 0, 0, 0, 1, 1, "Matching Type"),
    R(0, 14, STRING, 0, 0, 0, 1, 1, "SNI"),
    R(0, 15, UNSIGNED, 0, 0, 0, 1, 1, "Certificate Usage"),
    R(0, 16, UNSIGNED, 1, 0, 0, 1, 1, "DTLS/TLS Ciphersuite"),
    R(0, 17, OBJLNK, 0, 0, 0, 1, 1, "OSCORE Security Mode"),

    R(1, 0, INTEGER, 0, 1, 0, 1, 0, "Short Server ID"),
    R(1, 1, INTEGER, 0, 1, 0, 1, 0, "Lifetime"),
    R(1, 2, INTEGER, 0, 0, 0, 1, 0, "Default Minimum Period"),
    R(1, 3, INTEGER, 0, 0, 0, 1, 0, "Default Maximum Period"),
    R(1, 4, NONE, 0, 0, 0, 1, 0, "Disable"),
    R(1, 5, INTEGER, 0, 0, 0, 1, 0, "Disable Timeout"),
    R(1, 6, BOOLEAN, 0, 1, 0, 1, 0, "Notification Storing When Disabled or Offline"),
    R(1, 7, STRING, 0, 1, 0, 1, 0, "Binding"),
    R(1, 8, NONE, 0, 1, 0, 1, 0, "Registration Update Trigger"),
    R(1, 9, NONE, 0, 0, 0, 1, 1, "Bootstrap-Request Trigger"),
    R(1, 10, OBJLNK, 0, 0, 0, 1, 1, "APN Link"),
    R(1, 11, UNSIGNED, 0, 0, 0, 1, 1, "TLS-DTLS Alert Code"),
    R(1, 12, TIME, 0, 0, 0, 1, 1, "Last Bootstrapped"),
    R(1, 13, UNSIGNED, 0, 0, 0, 1, 1, "Registration Priority Order"),
    R(1, 14, UNSIGNED, 0, 0, 0, 1, 1, "Initial Registration Delay Timer"),
    R(1, 15, BOOLEAN, 0, 0, 0, 1, 1, "Registration Failure Block"),
    R(1, 16, BOOLEAN, 0, 0, 0, 1, 1, "Bootstrap on Registration Failure"),
    R(1, 17, UNSIGNED, 0, 0, 0, 1, 1, "Communication Retry Count"),
    R(1, 18, UNSIGNED, 0, 0, 0, 1, 1, "Communication Retry Timer"),
    R(1, 19, UNSIGNED, 0, 0, 0, 1, 1, "Communication Sequence Delay Timer"),
    R(1, 20, UNSIGNED, 0, 0, 0, 1, 1, "Communication Sequence Retry Count"),
    R(1, 21, BOOLEAN, 0, 0, 0, 1, 1, "Trigger"),
    R(1, 22, STRING, 0, 0, 0, 1, 1, "Preferred Transport"),
    R(1, 23, BOOLEAN, 0, 0, 0, 1, 1, "Mute Send"),

    R(2, 0, INTEGER, 0, 1, 0, 1, 0, "Object ID"),
    R(2, 1, INTEGER, 0, 1, 0, 1, 0, "Object Instance ID"),
    R(2, 2, INTEGER, 1, 0, 0, 1, 0, "ACL"),
    R(2, 3, INTEGER, 0, 1, 0, 1, 0, "Access Control Owner"),
};

_Static_assert(sizeof res_table / sizeof res_table[0] == 18 + 24 + 4,
               "object_first/object_count must describe res_table");

/* Resource IDs of each known object are contiguous from 0, so a lookup is
 * an index: where each object's rows start in res_table, and how many. */
static const uint8_t object_first[] = {0, 18, 42};
static const uint8_t object_count[] = {18, 24, 4};

const struct ucb_res_info *ucb_res_info_find(uint16_t oid, uint16_t rid)
{
    if (oid >= sizeof object_first || rid >= object_count[oid]) {
        return NULL;
    }
    return &res_table[object_first[oid] + rid];
}

const char *ucb_object_name(uint16_t oid)
{
    switch (oid) {
    case UCB_OID_SECURITY:
        return NAME("Security");
    case UCB_OID_SERVER:
        return NAME("Server");
    case UCB_OID_ACCESS_CONTROL:
        return NAME("Access Control");
    default:
        return NULL;
    }
}
