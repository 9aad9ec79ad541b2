/*
 * The validator's rule table: one constant entry per enum ucb_rule_id, in
 * enum order. docs/validation.md is the same table for readers; keep both in
 * step.
 *
 * Clause numbers are those of LwM2M Core 1.1.1 (TS Core, 2019) unless
 * another document is named: G.3.4 is EF LwM2M_Bootstrap, 6.1.2 Bootstrap
 * Information, 6.2.1.1 Binding values, 7.2 Object Versioning, 7.3
 * Identifiers, 7.4.3 TLV, Appendix C data types, E.1/E.2/E.3 the Security,
 * Server and Access Control objects. "registry" is the OMA LwM2M object
 * registry (0.xml, 1.xml, 2.xml and version_history/).
 */
#include "uiccboot/validate.h"

#include "validate_int.h"

#if UCB_CONFIG_VALIDATOR

/* Clause prefix: section numbers are those of LwM2M Core 1.1.1. */
#define CORE "LwM2M Core 1.1.1 "
#define E UCB_SEV_ERROR
#define W UCB_SEV_WARNING
#define RULE(id, code, sev, clause, summary) \
    [UCB_RULE_##id] = {UCB_RULE_##id, code, sev, UCB_TEXT(clause), UCB_TEXT(summary)}

static const struct ucb_rule rules[] = {
    RULE(FILE_TRUNCATED, "FILE-TRUNCATED", E, CORE "G.3.4 (header, object header, object length)",
         "the file header or an object runs past the end of the data"),
    RULE(FILE_TOO_LARGE, "FILE-TOO-LARGE", E, CORE "G.3.4 (maximum file size 32 KB)",
         "the file is larger than 32 KB (UCB_BOOTSTRAP_MAX)"),
    RULE(FILE_COUNT_MISMATCH, "FILE-COUNT-MISMATCH", E, CORE "G.3.4 (num_objects)",
         "the header's object count differs from the objects in the file"),
    RULE(FILE_SIZE_MISMATCH, "FILE-SIZE-MISMATCH", E, CORE "G.3.4 (size of the object collection)",
         "the objects do not fill the header's size exactly"),
    RULE(FILE_TRAILING, "FILE-TRAILING", W, CORE "G.3.4 (content ends at 4 + size)",
         "bytes other than FF padding follow the declared content"),
    RULE(FILE_EMPTY, "FILE-EMPTY", W, CORE "G.3.4; 6.1.2 (Bootstrap Information)",
         "the file holds no object"),
    RULE(TLV_TRUNCATED, "TLV-TRUNCATED", E, CORE "7.4.3 (TLV length field)",
         "a TLV runs past its object or its parent TLV"),
    RULE(TLV_NESTING, "TLV-NESTING", E,
         CORE "7.4.3 (Object Instance > Resource / Multiple Resource > Resource Instance); "
              "G.3.4 (payload is Object Instance TLVs)",
         "a TLV kind stands where it is not allowed"),
    RULE(TLV_MALFORMED, "TLV-MALFORMED", E, CORE "7.4.3 (TLV type byte, identifier, length)",
         "a TLV header is malformed"),
    RULE(MODEL_CAPACITY, "MODEL-CAPACITY", E, "uiccboot limit UCB_BS_MAX_* (not a spec rule)",
         "the file has more objects, instances or resources than the model holds"),
    RULE(OBJ_DUPLICATE, "OBJ-DUPLICATE", E, CORE "7.3 (Object ID identifies the Object); G.3.4",
         "an object ID has two entries in the file"),
    RULE(OBJ_VERSION, "OBJ-VERSION", W,
         CORE "7.2 (Object Versioning); G.3.4 object_version; registry",
         "Security, Server or Access Control has a version other than 1.0, 1.1, 1.2"),
    RULE(INST_DUPLICATE, "INST-DUPLICATE", E,
         CORE "7.3 (Object Instance ID unique within the Object)",
         "an instance ID appears twice in one object"),
    RULE(RES_DUPLICATE, "RES-DUPLICATE", E, CORE "7.3 (Resource ID, Resource Instance ID); 7.4.3",
         "a resource ID appears twice in an instance, or a resource instance ID twice in a "
         "Multiple Resource"),
    RULE(RES_TYPE, "RES-TYPE", E,
         CORE "Appendix C (data types); 7.4.3 (TLV value encoding); registry 0.xml, 1.xml, 2.xml",
         "a value of a known resource does not decode as its type, or an executable resource "
         "carries a value"),
    RULE(RES_MULTIPLE, "RES-MULTIPLE", E,
         CORE "7.4.3 (Multiple Resource TLV); registry (Instances)",
         "a single resource is encoded as a Multiple Resource or the reverse"),
    RULE(RES_UNKNOWN, "RES-UNKNOWN", W,
         CORE "7.2; registry 0.xml, 1.xml, 2.xml and version_history",
         "a resource is not defined in the object (version) the file declares"),
    RULE(SEC_URI_MISSING, "SEC-URI-MISSING", E, CORE "E.1 Security res 0 (Mandatory); RFC 7252 6",
         "the account has no LwM2M Server URI"),
    RULE(SEC_URI_TOO_LONG, "SEC-URI-TOO-LONG", E, CORE "E.1 Security res 0 (0-255 bytes)",
         "the LwM2M Server URI is longer than 255 bytes"),
    RULE(SEC_URI_SCHEME, "SEC-URI-SCHEME", E,
         CORE "E.1 Security res 0; RFC 7252 6; RFC 8323 8; LwM2M Transport 1.1.1/1.2",
         "the URI scheme is none of coap, coaps, coap+tcp, coaps+tcp, coap+ws, coaps+ws, mqtt, "
         "mqtts, http, https, sms"),
    RULE(SEC_BS_FLAG_MISSING, "SEC-BS-FLAG-MISSING", E, CORE "E.1 Security res 1 (Mandatory)",
         "the account does not say whether it is a Bootstrap-Server account"),
    RULE(SEC_MODE_MISSING, "SEC-MODE-MISSING", E, CORE "E.1 Security res 2 (Mandatory)",
         "the account has no Security Mode"),
    RULE(SEC_MODE_RANGE, "SEC-MODE-RANGE", E, CORE "E.1 Security res 2 (0-4)",
         "the Security Mode is not 0..4"),
    RULE(SEC_PSK_IDENTITY_MISSING, "SEC-PSK-IDENTITY-MISSING", E,
         CORE "E.1.1.1 (PSK Identity in res 3); E.1 Security res 3",
         "a PSK account has no (or an empty) PSK identity"),
    RULE(SEC_PSK_KEY_MISSING, "SEC-PSK-KEY-MISSING", E,
         CORE "E.1.1.1 (PSK in res 5); E.1 Security res 5",
         "a PSK account has no (or an empty) PSK"),
    RULE(SEC_PSK_SIZE, "SEC-PSK-SIZE", W,
         CORE "E.1.1.1 (identities up to 128 bytes, keys up to 64 bytes MUST be supported); "
              "RFC 4279",
         "the PSK identity is over 128 bytes or the PSK over 64 bytes"),
    RULE(SEC_PUBLIC_KEY_MISSING, "SEC-PUBLIC-KEY-MISSING", E,
         CORE "E.1.1.2 (RPK), E.1.1.3 (Certificate); E.1 Security res 3",
         "an RPK or certificate account has no public key or certificate"),
    RULE(SEC_SECRET_KEY_MISSING, "SEC-SECRET-KEY-MISSING", E,
         CORE "E.1.1.2 (RPK), E.1.1.3 (Certificate); E.1 Security res 5",
         "an RPK or certificate account has no private key"),
    RULE(SEC_SERVER_KEY_MISSING, "SEC-SERVER-KEY-MISSING", W, CORE "E.1 Security res 4; E.1.1",
         "an RPK or certificate account has no server key or trust anchor"),
    RULE(SEC_NOSEC_KEYS, "SEC-NOSEC-KEYS", W, CORE "E.1 Security res 2 (3 = NoSec), res 3-5",
         "a NoSec account carries key material that will not be used"),
    RULE(SEC_SCHEME_MODE, "SEC-SCHEME-MODE", W,
         CORE "E.1 Security res 0, res 2; RFC 7252 6.1, 6.2 (coap vs coaps); RFC 8323 8",
         "the URI scheme does not match the Security Mode (plain scheme with security, or "
         "secure scheme with NoSec)"),
    RULE(SEC_SSID_MISSING, "SEC-SSID-MISSING", E,
         CORE "E.1 Security res 10 (MUST be set when res 1 is false)",
         "a non-bootstrap account has no Short Server ID"),
    RULE(SEC_SSID_RANGE, "SEC-SSID-RANGE", E,
         CORE "E.1 Security res 10 (1-65534); 7.3 (0 and 65535 MUST NOT identify a server)",
         "the Short Server ID is not 1..65534 (0..65535 on a bootstrap account)"),
    RULE(SEC_TIMER_RANGE, "SEC-TIMER-RANGE", E,
         CORE "E.1 Security res 11, res 12 (seconds; 0 = infinite account lifetime)",
         "the Client Hold Off Time or Bootstrap-Server Account Timeout is negative"),
    RULE(SEC_SMS_RANGE, "SEC-SMS-RANGE", E,
         CORE "E.1 Security res 6 (0-255), res 7 (6 bytes; E.1.2), res 8 (16, 32 or 48 bytes)",
         "an SMS security resource is out of range"),
    RULE(SRV_SSID_MISSING, "SRV-SSID-MISSING", E, CORE "E.2 Server res 0 (Mandatory)",
         "the Server instance has no Short Server ID"),
    RULE(SRV_SSID_RANGE, "SRV-SSID-RANGE", E, CORE "E.2 Server res 0 (1-65534); 7.3",
         "the Server's Short Server ID is not 1..65534"),
    RULE(SRV_LIFETIME_MISSING, "SRV-LIFETIME-MISSING", E, CORE "E.2 Server res 1 (Mandatory)",
         "the Server instance has no Lifetime"),
    RULE(SRV_LIFETIME_RANGE, "SRV-LIFETIME-RANGE", E, CORE "E.2 Server res 1 (seconds)",
         "the Lifetime is below 1 second"),
    RULE(SRV_BINDING_MISSING, "SRV-BINDING-MISSING", E, CORE "E.2 Server res 7 (Mandatory)",
         "the Server instance has no (or an empty) Binding"),
    RULE(SRV_BINDING_LETTERS, "SRV-BINDING-LETTERS", E,
         CORE "E.2 Server res 7, 6.2.1.1 (1.1: U, T, S, N, Q); LwM2M Core 1.0.2 5.3.1.1 "
              "(1.0: U, UQ, S, SQ, US, UQS); LwM2M Core 1.2 (adds M, H)",
         "the Binding is not valid for the Server object version"),
    RULE(SRV_STORING_MISSING, "SRV-STORING-MISSING", W,
         CORE "E.2 Server res 6 (Mandatory; default true)",
         "the Server instance has no Notification Storing flag"),
    RULE(SRV_PERIOD_RANGE, "SRV-PERIOD-RANGE", E, CORE "E.2 Server res 2, res 3 (seconds)",
         "a default period is negative, or the maximum period is below the minimum"),
    RULE(ACC_SECURITY_WITHOUT_SERVER, "ACC-SECURITY-WITHOUT-SERVER", E,
         CORE "6.1.2 (a Server Account pairs Security res 10 and Server res 0)",
         "a non-bootstrap Security instance has no Server instance with its SSID"),
    RULE(ACC_SERVER_WITHOUT_SECURITY, "ACC-SERVER-WITHOUT-SECURITY", E,
         CORE "6.1.2 (a Server Account pairs Security res 10 and Server res 0)",
         "a Server instance has no non-bootstrap Security instance with its SSID"),
    RULE(ACC_SSID_DUPLICATE, "ACC-SSID-DUPLICATE", E,
         CORE "6.1.2 (Short Server ID unique in the Client); 7.3",
         "two non-bootstrap Security instances, or two Server instances, share an SSID"),
    RULE(ACC_MULTIPLE_BOOTSTRAP, "ACC-MULTIPLE-BOOTSTRAP", E,
         CORE "6.1.2 (at most one Bootstrap-Server Account)",
         "more than one Security instance is a Bootstrap-Server account"),
    RULE(ACC_NONE, "ACC-NONE", W, CORE "6.1.2 (Bootstrap Information); 6.1.3.2",
         "the file holds no Security instance, so it provisions no account"),
    RULE(ACL_TARGET_MISSING, "ACL-TARGET-MISSING", E,
         CORE "E.3 Access Control res 0, res 1 (Mandatory)",
         "an Access Control instance has no target Object ID or Object Instance ID"),
    RULE(ACL_TARGET_RANGE, "ACL-TARGET-RANGE", E,
         CORE "E.3 Access Control res 0 (1..65534), res 1 (0..65535); registry 2.xml",
         "the target Object ID or Object Instance ID is out of range"),
    RULE(ACL_TARGET_DUPLICATE, "ACL-TARGET-DUPLICATE", E,
         CORE "E.3 Access Control res 0, res 1 (one instance per target)",
         "two Access Control instances name the same target"),
    RULE(ACL_OWNER_MISSING, "ACL-OWNER-MISSING", E, CORE "E.3 Access Control res 3 (Mandatory)",
         "an Access Control instance has no owner"),
    RULE(ACL_OWNER_UNKNOWN, "ACL-OWNER-UNKNOWN", E,
         CORE "E.3 Access Control res 3 (SSID of a Server; 65535 = bootstrap only)",
         "the owner is neither 65535 nor the SSID of a Server instance on the card"),
    RULE(ACL_ENTRY_UNKNOWN, "ACL-ENTRY-UNKNOWN", E,
         CORE "E.3 Access Control res 2 (Resource Instance ID = SSID; 0 = default rights)",
         "an ACL entry is for an SSID that no Server instance on the card has"),
    RULE(ACL_RIGHTS_RANGE, "ACL-RIGHTS-RANGE", E,
         CORE "E.3 Access Control res 2 (1.0: 16-bit; registry 1.1: 0..31, b0 R, b1 W, b2 E, b3 D, "
              "b4 C, other bits RFU)",
         "ACL rights are negative or above 16 bits (error), or set RFU bits (warning)"),
};

/* A rule added to the enum but not here fails the build (holes are caught by test_validate). */
_Static_assert(sizeof rules / sizeof rules[0] == UCB_RULE_COUNT, "one entry per rule");

const struct ucb_rule *ucb_rule_get(enum ucb_rule_id id)
{
    if ((unsigned)id >= (unsigned)UCB_RULE_COUNT)
        return NULL;
    return &rules[id];
}

#else
typedef int ucb_rules_unused; /* ISO C forbids an empty translation unit */
#endif /* UCB_CONFIG_VALIDATOR */
