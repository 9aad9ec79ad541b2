/*
 * Virtual UICC: a behavioural model of a 3G UICC with a PKCS#15
 * application holding the LwM2M bootstrap file (LwM2M Core Appendix G,
 * TS 102 221). Host-side test equipment: it allocates, it may print to
 * the log callback. Linked by the tests (in process, through
 * vuicc_transport()) and by the program uiccboot-simcard (through vpcd).
 *
 * Card layout (defaults; the profile can change FIDs, AID, sizes):
 *   MF 3F00
 *     EF DIR   2F00 linear fixed, SFI 1E: record 1 USIM app template,
 *                                         record 2 PKCS#15 app template
 *     EF ICCID 2FE2 transparent, SFI 02, 10 bytes
 *     ADF USIM (AID A0000000871002FF...) - selectable, empty
 *     ADF PKCS#15 (AID A000000063504B43532D3135, FID 7F50; EF.DIR path 3F00 7F50)
 *       EF ODF  5031: A7 06 30 04 04 02 64 30, FF padding
 *       EF DODF 6430: oidDO entry pointing at 6432
 *       EF LwM2M_Bootstrap 6432: the bootstrap file (size = file length,
 *                                or the profile's file_size, FF padded)
 * Commands, status words and the choices made where TS 102 221 leaves
 * room: docs/simcard.md.
 *
 * With an SCP03 key set (profile "scp03_keys", uiccboot-simcard
 * --scp03-keys) the PKCS#15 application is also a GlobalPlatform security
 * domain (LwM2M Core Appendix H, GP Card Spec Amendment D): INITIALIZE
 * UPDATE / EXTERNAL AUTHENTICATE open a secure channel on a logical
 * channel, and every later command on that channel must be wrapped at the
 * negotiated level (vuicc_scp03.c, docs/simcard.md "SCP03").
 */
#ifndef VUICC_H
#define VUICC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uiccboot/transport.h"

/* How the DODF names the LwM2M bootstrap object. */
enum vuicc_oid_form {
    VUICC_OID_CORRECT = 0,   /* oidDO id 06 04 67 2B 09 01 */
    VUICC_OID_DOUBLE,        /* oidDO id 06 06 06 04 67 2B 09 01 (spec example) */
    VUICC_OID_APPLICATION,   /* opaqueDO with applicationOID 2.23.43.9.1 */
    VUICC_OID_NONE           /* DODF holds no LwM2M entry */
};

/* What a fault does at its APDU index. */
enum vuicc_fault_kind {
    VUICC_FAULT_NONE = 0,
    VUICC_FAULT_SW,          /* answer the status word fault_sw, no data */
    VUICC_FAULT_REMOVE,      /* card removed: no answer, card absent until inserted */
    VUICC_FAULT_MUTE         /* no answer at all (transport timeout), card stays */
};

/* Largest SCP03 static key: AES-256. */
#define VUICC_SCP03_KEY_MAX 32u

/*
 * The SCP03 static key set of the security domain (GP Amd D 4.1.1). Secret:
 * never printed. len = 0: the card has no key set and no secure channel.
 */
struct vuicc_scp03_keys {
    uint8_t len;               /* 0 (no keys), 16, 24 or 32: AES-128/192/256 */
    uint8_t kvn;               /* key version number, 0x01-0x7F */
    uint8_t i_param;           /* i-parameter: 00, 10, 20, 30, 60 or 70 (Amd D 5.1) */
    uint8_t enc[VUICC_SCP03_KEY_MAX];
    uint8_t mac[VUICC_SCP03_KEY_MAX];
    uint8_t dek[VUICC_SCP03_KEY_MAX];
    uint8_t diversification[10]; /* key diversification data in INITIALIZE UPDATE; default 0 */
    uint32_t sequence;         /* first sequence counter (pseudo-random challenge), <= 0xFFFFFF */
};

struct vuicc_profile {
    char iccid[21];            /* digits; default "8988211000000430010" */
    char pin[9];               /* PIN digits; "" = no PIN on the card */
    uint8_t pin_key_ref;       /* default 0x01 (application PIN 1) */
    uint8_t pin_tries;         /* retry counter start, default 3 */
    bool pin_file;             /* bootstrap EF readable only after VERIFY; DODF entry private */
    bool t0;                   /* T=0 behaviour: 61xx for case 4, 6Cxx on a wrong Le */
    enum vuicc_oid_form oid;
    bool no_ef_dir;            /* card has no EF.DIR */
    bool no_channels;          /* MANAGE CHANNEL answers 6881 */
    bool no_iccid;             /* card has no EF ICCID */
    bool fcp_no_size;          /* FCPs of EFs omit tag 80 */
    bool refuse_p2_fcp;        /* SELECT with P2=04 answers 6A86 (only 0C accepted) */
    bool writable;             /* UPDATE BINARY allowed on the bootstrap EF (default true) */
    uint8_t aid[16];           /* PKCS#15 AID */
    size_t aid_len;
    uint16_t odf_fid, dodf_fid, file_fid;  /* defaults 5031, 6430, 6432 */
    size_t file_size;          /* EF size; 0 = the bootstrap file's length */
    struct vuicc_scp03_keys scp03; /* security domain keys; scp03.len = 0: none */
    bool scp03_required;       /* bootstrap EF only through SCP03 with C-MAC and R-ENC */
    /* fault knobs, counted over every C-APDU the card receives since load/insert (1-based) */
    uint32_t fault_at;         /* 0 = no fault */
    enum vuicc_fault_kind fault_kind;
    uint16_t fault_sw;
    uint32_t corrupt_at;       /* 0 = none: flip bits of one response byte at this APDU */
    size_t corrupt_byte;       /* index into the response data */
    uint8_t corrupt_xor;       /* default 0xFF */
    uint32_t delay_at;         /* 0 = none */
    uint32_t delay_ms;
};

struct vuicc;

/* Defaults as in the layout above. */
void vuicc_profile_default(struct vuicc_profile *p);

/*
 * Load a profile JSON file over @p p (keys documented in docs/simcard.md).
 * Returns 0, or -1 with a message naming the key in @p err.
 */
int vuicc_profile_load(struct vuicc_profile *p, const char *path, char *err, size_t errlen);

/*
 * Load an SCP03 key file (JSON {"kvn", "enc", "mac", "dek", "i"} and the
 * optional "diversification", "sequence", "description"; docs/simcard.md)
 * into @p k. Strict: an unknown or missing key, a wrong type, a key length
 * other than 16/24/32 bytes or keys of different lengths is an error naming
 * the key. Returns 0, or -1 with a message in @p err (never a key byte);
 * @p k is unchanged on failure.
 */
int vuicc_scp03_keys_load(struct vuicc_scp03_keys *k, const char *path, char *err,
                          size_t errlen);

/* New card from a profile and bootstrap bytes (copied). NULL on bad input, message in err. */
struct vuicc *vuicc_new(const struct vuicc_profile *p, const uint8_t *file, size_t len,
                        char *err, size_t errlen);
void vuicc_free(struct vuicc *c);

/* Replace profile and content (SIGHUP). A different ICCID means a different card:
 * the PIN state and channels are reset as for a new card. */
int vuicc_reload(struct vuicc *c, const struct vuicc_profile *p, const uint8_t *file, size_t len,
                 char *err, size_t errlen);

/* Power-on / reset: closes logical channels, clears PIN verification,
 * current DF = MF. Writes the ATR (T=1 for vpcd; T=0 profile still gives
 * T=0 procedure bytes in the APDU layer) and returns its length; returns 0
 * (nothing written) when the card is absent, @p atr is NULL or @p cap is
 * too small (the reset still happens when the card is present). */
size_t vuicc_reset(struct vuicc *c, uint8_t *atr, size_t cap);

/* Removal / insertion (SIGUSR1 / SIGUSR2). Insertion resets the card and
 * restarts the fault counter (a fault fires again at its index); inserting
 * a present card counts as a removal + insertion. */
void vuicc_remove(struct vuicc *c);
void vuicc_insert(struct vuicc *c);
bool vuicc_present(const struct vuicc *c);

/*
 * Process one C-APDU. Returns the R-APDU length written to @p rapdu
 * (data + SW), 0 when the card gives no answer (removed or mute fault),
 * or -1 when @p cap is too small.
 */
int vuicc_process(struct vuicc *c, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap);

/* Bootstrap EF content now (after UPDATE BINARY), and its size. */
const uint8_t *vuicc_file(const struct vuicc *c, size_t *out_len);

/* C-APDUs processed since creation / reload / insertion. */
uint32_t vuicc_apdu_count(const struct vuicc *c);

/*
 * SCP03 test hooks and introspection (test equipment only).
 *
 * vuicc_scp03_set_card_challenge: the next INITIALIZE UPDATE (on any
 * channel) uses @p challenge as its card challenge, in random and in
 * pseudo-random mode alike (so a test can also make the card lie); NULL
 * cancels. Without it the challenge is random (CTR_DRBG), or in
 * pseudo-random mode KDF(Key-ENC, 02, 64, sequence counter || SD AID).
 */
void vuicc_scp03_set_card_challenge(struct vuicc *c, const uint8_t challenge[8]);

/* The sequence counter the next pseudo-random INITIALIZE UPDATE uses (and
 * then increments); at most 0xFFFFFF. */
void vuicc_scp03_set_sequence(struct vuicc *c, uint32_t seq);
uint32_t vuicc_scp03_sequence(const struct vuicc *c);

/*
 * The card answers the proprietary command `80 E2 91 00` (pysim's GET EID,
 * spec-notes 3.4) with these bytes (copied, at most 64); len 0 removes the
 * command (6D00). Lets the SCP03 known-answer vectors run on this card.
 */
void vuicc_scp03_set_eid(struct vuicc *c, const uint8_t *data, size_t len);

/* Security level of the open SCP03 session on @p channel, or -1 when none. */
int vuicc_scp03_level(const struct vuicc *c, unsigned channel);

/* The plain C-APDU the card made of the last wrapped command it accepted
 * (CLA without the secure messaging bit, Lc/data decrypted, Le as
 * executed; only the header of a VERIFY). Returns its length (0 when
 * none), copies up to @p cap bytes. */
size_t vuicc_scp03_last_command(const struct vuicc *c, uint8_t *out, size_t cap);

/*
 * In-process transport for unit tests. transmit calls vuicc_process;
 * a no-answer becomes UCB_ERR_CARD_REMOVED (removed) or UCB_ERR_TIMEOUT
 * (mute); reset calls vuicc_reset; card_event reports removal and
 * removal+insertion since the previous call.
 * A delay fault longer than transmit's timeout_ms sleeps only timeout_ms
 * and gives UCB_ERR_TIMEOUT (the card still executed the command);
 * card_event also gives UCB_ERR_CARD_RESET after a vuicc_reset() that the
 * transport's reset did not do. flags = 0 (short APDUs, no auto GET RESPONSE).
 */
void vuicc_transport(struct vuicc *c, struct ucb_transport *out);

#endif /* VUICC_H */
