/*
 * Virtual UICC: the card model described in vuicc.h.
 *
 * Behaviour follows ETSI TS 102 221 (file system clause 8, commands clause
 * 11, status words clause 10.2) and ISO/IEC 7816-4 (command APDU cases,
 * CLA coding), with LwM2M Core Appendix G for the PKCS#15 application
 * content. Every C-APDU is treated as hostile: it is parsed against its own
 * length before anything is looked at, and anything the model does not
 * implement gets an error status word, never a crash.
 *
 * Choices where the specifications leave room (also in docs/simcard.md):
 *  - The PKCS#15 ADF also has the FID 7F50 under the MF, so the path
 *    3F00 7F50 in its EF.DIR template (tag 51) is selectable. ADF USIM has
 *    no FID: it is reached by AID only.
 *  - Extended-length APDUs are refused with 6700: the ATR announces no
 *    extended-length support.
 *  - Le shorter than the data available: SELECT, MANAGE CHANNEL and READ
 *    RECORD answer 6Cxx (xx = exact length); READ BINARY returns Le bytes.
 *  - The PIN state (verified flag, retry counter) is card wide, not per
 *    channel or application; the retry counter survives resets.
 *  - SCP03 (only with a key set): the PKCS#15 application is the security
 *    domain; one session per logical channel, which ends on reset, removal,
 *    MANAGE CHANNEL close, a SELECT that makes another application current,
 *    a new INITIALIZE UPDATE, and any command on the channel that fails
 *    secure messaging. GET RESPONSE stays plain (transmission level).
 */
#include "vuicc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uiccboot/err.h"
#include "vuicc_scp03.h"

#define N_CHANNELS 20u        /* basic channel 0 and logical channels 1..19 */
#define RESP_MAX 256u         /* largest short response data field */
#define FILE_MAX 32768u       /* LwM2M Core Appendix G: EF LwM2M_Bootstrap <= 32 KB */
#define ADF_P15_FID 0x7F50u   /* our choice: FID of the PKCS#15 ADF under the MF */
#define EF_DIR_REC_LEN 0x26u  /* fits a template with a 16-byte AID, label, path */
#define ODF_SIZE 32u
#define DODF_SIZE 120u        /* as the real card of spec-notes 1.6 (FCP size 0x78) */

/* TS 102 221 10.2 status words used here. */
#define SW_OK 0x9000u
#define SW_EOF 0x6282u             /* end of file reached before reading Le bytes */
#define SW_WRONG_LENGTH 0x6700u
#define SW_NO_CHANNEL 0x6881u      /* logical channel not supported / not open */
#define SW_NO_SM 0x6882u           /* secure messaging not supported */
#define SW_NO_CHAINING 0x6884u     /* command chaining not supported */
#define SW_BAD_STRUCTURE 0x6981u   /* command incompatible with file structure */
#define SW_SECURITY 0x6982u
#define SW_PIN_BLOCKED 0x6983u
#define SW_CONDITIONS 0x6985u
#define SW_NO_EF 0x6986u           /* command not allowed (no EF selected) */
#define SW_FUNC_NOT_SUPPORTED 0x6A81u
#define SW_NOT_FOUND 0x6A82u
#define SW_RECORD_NOT_FOUND 0x6A83u
#define SW_BAD_P1P2 0x6A86u
#define SW_REF_NOT_FOUND 0x6A88u
#define SW_OFFSET 0x6B00u          /* wrong parameters: offset outside the EF */
#define SW_BAD_INS 0x6D00u
#define SW_BAD_CLA 0x6E00u
#define SW_TECHNICAL 0x6F00u

/* The card's files, at fixed indices (absent ones have present = false). */
enum node_id {
    N_MF = 0,
    N_EF_DIR,
    N_ICCID,
    N_ADF_USIM,
    N_ADF_P15,
    N_ODF,
    N_DODF,
    N_FILE,
    N_COUNT
};

enum node_type { T_DF, T_TRANSPARENT, T_LINEAR };

struct node {
    bool present;
    enum node_type type;
    int parent;            /* node index; -1 for the MF */
    uint16_t fid;          /* 0: no FID (ADF USIM) */
    uint8_t sfi;           /* 0: no SFI */
    uint8_t aid[16];       /* DF name of an ADF */
    size_t aid_len;
    uint8_t *data;         /* EF content */
    size_t size;           /* EF size in bytes */
    size_t rec_len;        /* linear fixed EF: record length and count */
    size_t n_recs;
    bool read_needs_pin;   /* READ BINARY refused (6982) before VERIFY */
    bool needs_scp;        /* READ/UPDATE BINARY only through SCP03 (scp03_required) */
    bool updatable;        /* UPDATE BINARY allowed */
    uint8_t arr_rec;       /* record in EF ARR 2F06 named by tag 8B */
};

/* Everything a profile and a bootstrap file determine. */
struct content {
    struct vuicc_profile p;
    struct node n[N_COUNT];
};

/* Per-channel state (TS 102 221 clause 8.6: each logical channel has its
 * own current DF, current EF and current application). */
struct channel {
    bool open;
    int df, ef, adf;       /* node indices; ef/adf -1 when none */
    uint8_t pending[RESP_MAX]; /* T=0: data waiting for GET RESPONSE */
    size_t pending_len;
    bool has_pending;
    uint16_t pending_sw;   /* status word after the last GET RESPONSE (9000 or a warning) */
    struct vscp_session scp; /* SCP03 session of this channel (GP Amd D) */
};

struct vuicc {
    struct content k;
    bool present;
    struct channel ch[N_CHANNELS];
    bool pin_verified;
    uint8_t pin_left;      /* retry counter, non-volatile */
    uint32_t count;        /* C-APDUs since creation / reload / insertion */
    uint32_t removals, resets;           /* events, for card_event */
    uint32_t seen_removals, seen_resets; /* what card_event last reported */
    /* SCP03 card state (vuicc_scp03.c) and test hooks. */
    uint32_t scp_seq;          /* sequence counter, non-volatile */
    bool scp_inject;           /* next card challenge from scp_challenge */
    uint8_t scp_challenge[8];
    uint8_t eid[64];           /* answer to 80 E2 91 00 (test hook) */
    size_t eid_len;
    bool in_sm;                /* executing the plain form of a wrapped command */
    uint8_t scp_last[262];     /* last unwrapped command (introspection) */
    size_t scp_last_len;
};

/* A parsed C-APDU (ISO 7816-4 5.1, short lengths only). */
struct capdu {
    uint8_t cla, ins, p1, p2;
    unsigned chan;
    const uint8_t *data;
    size_t lc;
    bool has_lc;
    size_t ne;             /* 1..256 when has_le */
    bool has_le;
};

struct resp {
    uint8_t data[RESP_MAX];
    size_t len;
    uint16_t sw;
};

/* USIM AID (ETSI TS 101 220 RID A000000087, app code 1002) of the spec's example card. */
static const uint8_t usim_aid[16] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF,
                                     0x33, 0xFF, 0x01, 0x89, 0x00, 0x00, 0x01, 0x00};
static const uint8_t p15_aid[12] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                    0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};

/* T=1 ATR: TS 3B, T0 80 (TD1 follows, no historical bytes), TD1 80 (T=0,
 * TD2 follows), TD2 01 (T=1), TCK = XOR of T0..TD2 (ISO 7816-3 8.2). */
static const uint8_t atr_bytes[] = {0x3B, 0x80, 0x80, 0x01, 0x01};

/* ------------------------------------------------------------------ utils */

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

static void sleep_ms(uint32_t ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static bool all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* TS 102 221 9.5.1: the key references a VERIFY may name. */
static bool key_ref_valid(uint8_t r)
{
    return (r >= 0x01 && r <= 0x08) || (r >= 0x0A && r <= 0x0E) || r == 0x11 ||
           (r >= 0x81 && r <= 0x88) || (r >= 0x8A && r <= 0x8E);
}

/* --------------------------------------------------------------- profile */

void vuicc_profile_default(struct vuicc_profile *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->iccid, sizeof p->iccid, "%s", "8988211000000430010");
    p->pin_key_ref = 0x01;
    p->pin_tries = 3;
    p->oid = VUICC_OID_CORRECT;
    p->writable = true;
    memcpy(p->aid, p15_aid, sizeof p15_aid);
    p->aid_len = sizeof p15_aid;
    p->odf_fid = 0x5031;
    p->dodf_fid = 0x6430;
    p->file_fid = 0x6432;
    p->fault_sw = 0x6F00;
    p->corrupt_xor = 0xFF;
}

static bool fid_usable(uint16_t fid)
{
    /* 3F00 MF, 7FFF current ADF, 3FFF/FFFF reserved (TS 102 221 8.3), our ADF FID. */
    return fid != 0 && fid != 0x3F00 && fid != 0x7FFF && fid != 0x3FFF && fid != 0xFFFF &&
           fid != ADF_P15_FID;
}

/* An SCP03 key set as the loader would accept it (GP Amd D 5.1; KVN range
 * GP Card Spec 11.1.8). Never names a key byte. */
static int scp03_check(const struct vuicc_scp03_keys *k, bool required, char *err, size_t errlen)
{
    if (k->len == 0) {
        if (required) {
            set_err(err, errlen, "scp03_required: the card has no SCP03 keys (scp03_keys or "
                                 "--scp03-keys)");
            return -1;
        }
        return 0;
    }
    if (k->len != 16 && k->len != 24 && k->len != 32) {
        set_err(err, errlen, "scp03_keys: keys must be 16, 24 or 32 bytes");
        return -1;
    }
    if (k->kvn < 0x01 || k->kvn > 0x7F) {
        set_err(err, errlen, "scp03_keys.kvn: must be 1 to 127 (0x01-0x7F)");
        return -1;
    }
    switch (k->i_param) {
    case 0x00: case 0x10: case 0x20: case 0x30: case 0x60: case 0x70:
        break;
    default:
        set_err(err, errlen, "scp03_keys.i: must be 0x00, 0x10, 0x20, 0x30, 0x60 or 0x70");
        return -1;
    }
    if (k->sequence > VSCP_SEQ_MAX) {
        set_err(err, errlen, "scp03_keys.sequence: at most 0xFFFFFF");
        return -1;
    }
    return 0;
}

static int profile_check(const struct vuicc_profile *p, size_t len, char *err, size_t errlen)
{
    char msg[160];
    if (memchr(p->iccid, 0, sizeof p->iccid) == NULL || !all_digits(p->iccid, 1, 20)) {
        set_err(err, errlen, "iccid: must be 1 to 20 decimal digits");
        return -1;
    }
    if (memchr(p->pin, 0, sizeof p->pin) == NULL ||
        (p->pin[0] != '\0' && !all_digits(p->pin, 4, 8))) {
        set_err(err, errlen, "pin: must be empty or 4 to 8 decimal digits");
        return -1;
    }
    if (!key_ref_valid(p->pin_key_ref)) {
        set_err(err, errlen, "pin_key_ref: not a TS 102 221 PIN key reference");
        return -1;
    }
    if (p->pin_tries < 1 || p->pin_tries > 15) {
        set_err(err, errlen, "pin_tries: must be 1 to 15");
        return -1;
    }
    if (p->pin_file && p->pin[0] == '\0') {
        set_err(err, errlen, "pin_file: the card has no pin");
        return -1;
    }
    if ((unsigned)p->oid > (unsigned)VUICC_OID_NONE) {
        set_err(err, errlen, "oid: unknown form");
        return -1;
    }
    if (p->aid_len < 5 || p->aid_len > 16) {
        set_err(err, errlen, "aid: must be 5 to 16 bytes");
        return -1;
    }
    if (p->aid_len == sizeof usim_aid && memcmp(p->aid, usim_aid, sizeof usim_aid) == 0) {
        set_err(err, errlen, "aid: equals the USIM AID");
        return -1;
    }
    if (!fid_usable(p->odf_fid) || !fid_usable(p->dodf_fid) || !fid_usable(p->file_fid)) {
        set_err(err, errlen, "odf_fid/dodf_fid/file_fid: reserved FID (0000, 3F00, 3FFF, 7F50, "
                             "7FFF, FFFF)");
        return -1;
    }
    if (p->odf_fid == p->dodf_fid || p->odf_fid == p->file_fid || p->dodf_fid == p->file_fid) {
        set_err(err, errlen, "odf_fid/dodf_fid/file_fid: must differ");
        return -1;
    }
    if (p->file_size > FILE_MAX || len > FILE_MAX) {
        snprintf(msg, sizeof msg, "file_size: the bootstrap EF holds at most %u bytes",
                 FILE_MAX);
        set_err(err, errlen, msg);
        return -1;
    }
    if (p->file_size != 0 && len > p->file_size) {
        snprintf(msg, sizeof msg, "file_size: bootstrap file (%zu bytes) larger than the EF "
                 "(%zu bytes)", len, p->file_size);
        set_err(err, errlen, msg);
        return -1;
    }
    if ((unsigned)p->fault_kind > (unsigned)VUICC_FAULT_MUTE) {
        set_err(err, errlen, "faults.kind: unknown kind");
        return -1;
    }
    return scp03_check(&p->scp03, p->scp03_required, err, errlen);
}

/* --------------------------------------------------------------- content */

/* Append tag, one-byte length and value (all our DER values are < 128 bytes). */
static size_t put_tlv(uint8_t *out, size_t pos, uint8_t tag, const uint8_t *v, size_t vlen)
{
    out[pos++] = tag;
    out[pos++] = (uint8_t)vlen;
    if (vlen) memcpy(out + pos, v, vlen);
    return pos + vlen;
}

/* TS 102 221 13.1: application template `61 L 4F AID 50 label [51 path]`. */
static size_t app_template(uint8_t *out, const uint8_t *aid, size_t aid_len, const char *label,
                           const uint8_t *path, size_t path_len)
{
    uint8_t in[64];
    size_t n = 0;
    n = put_tlv(in, n, 0x4F, aid, aid_len);
    n = put_tlv(in, n, 0x50, (const uint8_t *)label, strlen(label));
    if (path_len) n = put_tlv(in, n, 0x51, path, path_len);
    return put_tlv(out, 0, 0x61, in, n);
}

/* BCD with swapped nibbles, F padded (TS 102 221 13.2). */
static void iccid_encode(const char *digits, uint8_t out[10])
{
    memset(out, 0xFF, 10);
    for (size_t i = 0; digits[i] && i < 20; i++) {
        uint8_t d = (uint8_t)(digits[i] - '0');
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)((out[i / 2] & 0xF0) | d);
        else
            out[i / 2] = (uint8_t)((out[i / 2] & 0x0F) | (d << 4));
    }
}

/*
 * One DODF entry (PKCS#15 v1.1 PKCS15Data, LwM2M Core Appendix G DODF):
 * CommonObjectAttributes, CommonDataObjectAttributes, [1] typeAttributes.
 * Returns its length in @p out (at most 64 bytes).
 */
static size_t dodf_entry(const struct vuicc_profile *p, uint8_t *out)
{
    static const char label[] = "LwM2M Bootstrap";
    static const uint8_t oid_lwm2m[] = {0x06, 0x04, 0x67, 0x2B, 0x09, 0x01};
    static const uint8_t oid_double[] = {0x06, 0x06, 0x06, 0x04, 0x67, 0x2B, 0x09, 0x01};
    static const uint8_t oid_other[] = {0x06, 0x03, 0x2A, 0x03, 0x04}; /* 1.2.3.4 */
    uint8_t coa[16], cdoa[32], path[8], type[24], seq[24], body[64];
    size_t ncoa = 0, ncdoa = 0, npath, ntype, nseq, nbody = 0;

    /* CommonObjectAttributes: a private object names the PIN (authId) that
     * guards it; flags BIT STRING 07 80 = bit 0 (private) set. */
    if (p->pin_file) {
        static const uint8_t flags[] = {0x07, 0x80};
        ncoa = put_tlv(coa, ncoa, 0x03, flags, sizeof flags);
        ncoa = put_tlv(coa, ncoa, 0x04, &p->pin_key_ref, 1);
    }
    /* CommonDataObjectAttributes: applicationName, and for the draft form
     * (VUICC_OID_APPLICATION) the applicationOID. */
    ncdoa = put_tlv(cdoa, ncdoa, 0x0C, (const uint8_t *)label, sizeof label - 1);
    if (p->oid == VUICC_OID_APPLICATION) {
        memcpy(cdoa + ncdoa, oid_lwm2m, sizeof oid_lwm2m);
        ncdoa += sizeof oid_lwm2m;
    }
    /* Path SEQUENCE { OCTET STRING fid } of the bootstrap EF (relative to the ADF). */
    uint8_t fid[2] = {(uint8_t)(p->file_fid >> 8), (uint8_t)p->file_fid};
    uint8_t os[4];
    size_t nos = put_tlv(os, 0, 0x04, fid, 2);
    npath = put_tlv(path, 0, 0x30, os, nos);

    if (p->oid == VUICC_OID_APPLICATION) {
        /* opaqueDO: typeAttributes = ObjectValue, here the indirect Path. */
        ntype = put_tlv(type, 0, 0xA1, path, npath);
    } else {
        /* oidDO: typeAttributes = PKCS15OidDO SEQUENCE { id, value Path }. */
        size_t n = 0;
        const uint8_t *id = oid_lwm2m;
        size_t idlen = sizeof oid_lwm2m;
        if (p->oid == VUICC_OID_DOUBLE) {
            id = oid_double;
            idlen = sizeof oid_double;
        } else if (p->oid == VUICC_OID_NONE) {
            id = oid_other;
            idlen = sizeof oid_other;
        }
        uint8_t tmp[24];
        memcpy(tmp, id, idlen);
        n = idlen;
        memcpy(tmp + n, path, npath);
        n += npath;
        nseq = put_tlv(seq, 0, 0x30, tmp, n);
        ntype = put_tlv(type, 0, 0xA1, seq, nseq);
    }
    nbody = put_tlv(body, nbody, 0x30, coa, ncoa);
    nbody = put_tlv(body, nbody, 0x30, cdoa, ncdoa);
    memcpy(body + nbody, type, ntype);
    nbody += ntype;
    return put_tlv(out, 0, p->oid == VUICC_OID_APPLICATION ? 0x30 : 0xA1, body, nbody);
}

static void content_free(struct content *k)
{
    for (size_t i = 0; i < N_COUNT; i++) {
        free(k->n[i].data);
        k->n[i].data = NULL;
    }
    vscp_wipe(&k->p.scp03, sizeof k->p.scp03);
}

static void node_set(struct node *n, enum node_type t, int parent, uint16_t fid, uint8_t sfi)
{
    n->present = true;
    n->type = t;
    n->parent = parent;
    n->fid = fid;
    n->sfi = sfi;
    n->arr_rec = 1;
}

static bool node_alloc(struct node *n, size_t size)
{
    n->size = size;
    n->data = malloc(size ? size : 1);
    if (!n->data) return false;
    memset(n->data, 0xFF, size ? size : 1);
    return true;
}

static int content_build(struct content *k, const struct vuicc_profile *p, const uint8_t *file,
                         size_t len, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    if (profile_check(p, len, err, errlen) != 0) return -1;
    if (len && !file) {
        set_err(err, errlen, "bootstrap file: NULL data");
        return -1;
    }
    k->p = *p;
    struct node *n = k->n;

    node_set(&n[N_MF], T_DF, -1, 0x3F00, 0);

    if (!p->no_ef_dir) {
        /* TS 102 221 13.1: EF DIR, linear fixed, SFI 1E. Record 2's path
         * 3F00 7F50 is the PKCS#15 ADF's FID path (our choice). */
        static const uint8_t p15_path[4] = {0x3F, 0x00, ADF_P15_FID >> 8, ADF_P15_FID & 0xFF};
        node_set(&n[N_EF_DIR], T_LINEAR, N_MF, 0x2F00, 0x1E);
        n[N_EF_DIR].rec_len = EF_DIR_REC_LEN;
        n[N_EF_DIR].n_recs = 2;
        if (!node_alloc(&n[N_EF_DIR], 2 * EF_DIR_REC_LEN)) goto nomem;
        app_template(n[N_EF_DIR].data, usim_aid, sizeof usim_aid, "USIM", NULL, 0);
        app_template(n[N_EF_DIR].data + EF_DIR_REC_LEN, p->aid, p->aid_len, "PKCS15", p15_path,
                     sizeof p15_path);
    }
    if (!p->no_iccid) {
        node_set(&n[N_ICCID], T_TRANSPARENT, N_MF, 0x2FE2, 0x02);
        if (!node_alloc(&n[N_ICCID], 10)) goto nomem;
        iccid_encode(p->iccid, n[N_ICCID].data);
    }
    node_set(&n[N_ADF_USIM], T_DF, N_MF, 0, 0);
    memcpy(n[N_ADF_USIM].aid, usim_aid, sizeof usim_aid);
    n[N_ADF_USIM].aid_len = sizeof usim_aid;

    node_set(&n[N_ADF_P15], T_DF, N_MF, ADF_P15_FID, 0);
    memcpy(n[N_ADF_P15].aid, p->aid, p->aid_len);
    n[N_ADF_P15].aid_len = p->aid_len;

    /* Appendix G: EF ODF -> EF DODF -> EF LwM2M_Bootstrap, all transparent. */
    node_set(&n[N_ODF], T_TRANSPARENT, N_ADF_P15, p->odf_fid, 0);
    if (!node_alloc(&n[N_ODF], ODF_SIZE)) goto nomem;
    {
        const uint8_t odf[] = {0xA7, 0x06, 0x30, 0x04, 0x04, 0x02, (uint8_t)(p->dodf_fid >> 8),
                               (uint8_t)p->dodf_fid};
        memcpy(n[N_ODF].data, odf, sizeof odf);
    }
    node_set(&n[N_DODF], T_TRANSPARENT, N_ADF_P15, p->dodf_fid, 0);
    if (!node_alloc(&n[N_DODF], DODF_SIZE)) goto nomem;
    dodf_entry(p, n[N_DODF].data);

    node_set(&n[N_FILE], T_TRANSPARENT, N_ADF_P15, p->file_fid, 0);
    if (!node_alloc(&n[N_FILE], p->file_size ? p->file_size : len)) goto nomem;
    if (len) memcpy(n[N_FILE].data, file, len);
    n[N_FILE].read_needs_pin = p->pin_file;
    n[N_FILE].needs_scp = p->scp03_required;
    n[N_FILE].updatable = p->writable;
    n[N_FILE].arr_rec = p->pin_file ? 2 : 1;
    return 0;

nomem:
    content_free(k);
    set_err(err, errlen, "out of memory");
    return -1;
}

/* --------------------------------------------------------------- session */

static void channel_reset(struct channel *ch, bool open)
{
    vscp_session_wipe(&ch->scp); /* GP: the session ends with its channel */
    memset(ch, 0, sizeof *ch);
    ch->open = open;
    ch->df = N_MF;
    ch->ef = -1;
    ch->adf = -1;
}

/* Power-on state (TS 102 221 clause 6 / 11.1.17): only the basic channel
 * is open, the MF is selected, no PIN is verified. */
static void session_reset(struct vuicc *c)
{
    for (size_t i = 0; i < N_CHANNELS; i++) channel_reset(&c->ch[i], i == 0);
    c->pin_verified = false;
}

struct vuicc *vuicc_new(const struct vuicc_profile *p, const uint8_t *file, size_t len,
                        char *err, size_t errlen)
{
    if (!p) {
        set_err(err, errlen, "no profile");
        return NULL;
    }
    struct vuicc *c = calloc(1, sizeof *c);
    if (!c) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    if (content_build(&c->k, p, file, len, err, errlen) != 0) {
        free(c);
        return NULL;
    }
    c->present = true;
    c->pin_left = p->pin_tries;
    c->scp_seq = p->scp03.sequence;
    session_reset(c);
    return c;
}

void vuicc_free(struct vuicc *c)
{
    if (!c) return;
    content_free(&c->k);
    vscp_wipe(c, sizeof *c); /* session keys, unwrapped commands */
    free(c);
}

/* Same security domain: same key set and the same SD AID. */
static bool same_domain(const struct vuicc_profile *a, const struct vuicc_profile *b)
{
    const struct vuicc_scp03_keys *x = &a->scp03, *y = &b->scp03;
    return x->len == y->len && x->kvn == y->kvn && x->i_param == y->i_param &&
           memcmp(x->enc, y->enc, x->len) == 0 && memcmp(x->mac, y->mac, x->len) == 0 &&
           memcmp(x->dek, y->dek, x->len) == 0 &&
           memcmp(x->diversification, y->diversification, sizeof x->diversification) == 0 &&
           a->aid_len == b->aid_len && memcmp(a->aid, b->aid, a->aid_len) == 0;
}

int vuicc_reload(struct vuicc *c, const struct vuicc_profile *p, const uint8_t *file, size_t len,
                 char *err, size_t errlen)
{
    struct content k;
    if (!c || !p) {
        set_err(err, errlen, "no card or profile");
        return -1;
    }
    if (content_build(&k, p, file, len, err, errlen) != 0) return -1;
    bool same_card = strcmp(c->k.p.iccid, p->iccid) == 0;
    bool same_sd = same_domain(&c->k.p, p);
    content_free(&c->k);
    c->k = k;
    vscp_wipe(&k, sizeof k);
    c->count = 0;
    /* The sequence counter is non-volatile and never goes back on the same
     * card: a repeated pseudo-random challenge would allow a replay. */
    if (!same_card || p->scp03.sequence > c->scp_seq) c->scp_seq = p->scp03.sequence;
    if (!same_sd)
        for (size_t i = 0; i < N_CHANNELS; i++) vscp_session_wipe(&c->ch[i].scp);
    if (!same_card) {
        /* Another card in the reader: fresh PIN counter, power-on state, and
         * a removal + insertion for whoever watches the reader. */
        c->pin_left = p->pin_tries;
        session_reset(c);
        if (c->present) c->removals++;
        return 0;
    }
    /* Same card, new content (as after an OTA update): sessions stay, but a
     * selection of a file that no longer exists falls back to the MF. */
    if (p->pin[0] == '\0') c->pin_verified = false;
    if (c->pin_left > p->pin_tries) c->pin_left = p->pin_tries;
    for (size_t i = 0; i < N_CHANNELS; i++) {
        struct channel *ch = &c->ch[i];
        ch->has_pending = false;
        if ((ch->ef >= 0 && !c->k.n[ch->ef].present) || !c->k.n[ch->df].present ||
            (ch->adf >= 0 && !c->k.n[ch->adf].present)) {
            ch->df = N_MF;
            ch->ef = -1;
            ch->adf = -1;
        }
    }
    return 0;
}

size_t vuicc_reset(struct vuicc *c, uint8_t *atr, size_t cap)
{
    if (!c || !c->present) return 0;
    session_reset(c);
    c->resets++;
    if (!atr || cap < sizeof atr_bytes) return 0;
    memcpy(atr, atr_bytes, sizeof atr_bytes);
    return sizeof atr_bytes;
}

void vuicc_remove(struct vuicc *c)
{
    if (!c || !c->present) return;
    c->present = false;
    c->removals++;
    session_reset(c);
}

void vuicc_insert(struct vuicc *c)
{
    if (!c) return;
    if (c->present) c->removals++; /* taken out and put back */
    c->present = true;
    c->count = 0;
    session_reset(c);
}

bool vuicc_present(const struct vuicc *c)
{
    return c && c->present;
}

const uint8_t *vuicc_file(const struct vuicc *c, size_t *out_len)
{
    if (out_len) *out_len = c ? c->k.n[N_FILE].size : 0;
    return c ? c->k.n[N_FILE].data : NULL;
}

uint32_t vuicc_apdu_count(const struct vuicc *c)
{
    return c ? c->count : 0;
}

/* ---------------------------------------------------------------- files */

static bool is_df(const struct vuicc *c, int id)
{
    return id >= 0 && c->k.n[id].type == T_DF;
}

/* A present child of DF @p parent with FID @p fid, or -1. */
static int child_by_fid(const struct vuicc *c, int parent, uint16_t fid)
{
    for (int i = 0; i < N_COUNT; i++) {
        const struct node *n = &c->k.n[i];
        if (n->present && n->parent == parent && n->fid != 0 && n->fid == fid) return i;
    }
    return -1;
}

/* A present EF of DF @p parent with short file identifier @p sfi, or -1. */
static int child_by_sfi(const struct vuicc *c, int parent, uint8_t sfi)
{
    for (int i = 0; i < N_COUNT; i++) {
        const struct node *n = &c->k.n[i];
        if (n->present && n->parent == parent && n->sfi != 0 && n->sfi == sfi) return i;
    }
    return -1;
}

/*
 * SELECT by FID (TS 102 221 8.4.1): the MF, the current ADF (7FFF), the
 * current DF itself, a child of the current DF, its parent, or a DF that is
 * a child of that parent.
 */
static int find_fid(const struct vuicc *c, const struct channel *ch, uint16_t fid)
{
    if (fid == 0x3F00) return N_MF;
    if (fid == 0x7FFF) return ch->adf;
    const struct node *cur = &c->k.n[ch->df];
    if (cur->fid == fid) return ch->df;
    int r = child_by_fid(c, ch->df, fid);
    if (r >= 0) return r;
    if (cur->parent >= 0) {
        if (c->k.n[cur->parent].fid == fid) return cur->parent;
        r = child_by_fid(c, cur->parent, fid);
        if (r >= 0 && is_df(c, r)) return r;
    }
    return -1;
}

/* SELECT by path (P1 08 from the MF, 09 from the current DF); 7FFF as the
 * first element names the current ADF (TS 102 221 8.4.2). */
static int find_path(const struct vuicc *c, const struct channel *ch, int start,
                     const uint8_t *path, size_t len)
{
    int cur = start;
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint16_t fid = (uint16_t)(path[i] << 8 | path[i + 1]);
        if (!is_df(c, cur)) return -1; /* only the last element may be an EF */
        if (i == 0 && fid == 0x7FFF)
            cur = ch->adf;
        else
            cur = child_by_fid(c, cur, fid);
        if (cur < 0) return -1;
    }
    return cur;
}

/* Make @p id current on @p ch (TS 102 221 8.5). When the current DF is an
 * ADF (reached by AID, FID or path) it becomes the current application,
 * the one 7FFF names. */
static void make_current(struct channel *ch, const struct vuicc *c, int id)
{
    const struct node *n = &c->k.n[id];
    if (n->type == T_DF) {
        ch->df = id;
        ch->ef = -1;
    } else {
        ch->df = n->parent;
        ch->ef = id;
    }
    if (c->k.n[ch->df].aid_len) ch->adf = ch->df;
}

/* FCP template (TS 102 221 11.1.1.3). @p out holds at least 64 bytes. */
static size_t fcp_build(const struct vuicc *c, int id, uint8_t *out)
{
    const struct node *n = &c->k.n[id];
    const struct vuicc_profile *p = &c->k.p;
    size_t i = 2;
    out[i++] = 0x82; /* file descriptor */
    if (n->type == T_DF) {
        out[i++] = 2;
        out[i++] = 0x78; /* DF or ADF */
        out[i++] = 0x21;
    } else if (n->type == T_TRANSPARENT) {
        out[i++] = 2;
        out[i++] = 0x41; /* working EF, transparent */
        out[i++] = 0x21;
    } else {
        out[i++] = 5;
        out[i++] = 0x42; /* working EF, linear fixed */
        out[i++] = 0x21;
        out[i++] = (uint8_t)(n->rec_len >> 8);
        out[i++] = (uint8_t)n->rec_len;
        out[i++] = (uint8_t)n->n_recs;
    }
    if (n->fid) {
        out[i++] = 0x83;
        out[i++] = 2;
        out[i++] = (uint8_t)(n->fid >> 8);
        out[i++] = (uint8_t)n->fid;
    }
    if (n->type == T_DF && n->aid_len) {
        out[i++] = 0x84;
        out[i++] = (uint8_t)n->aid_len;
        memcpy(out + i, n->aid, n->aid_len);
        i += n->aid_len;
    }
    out[i++] = 0x8A; /* life cycle: operational, activated */
    out[i++] = 1;
    out[i++] = 0x05;
    out[i++] = 0x8B; /* security attributes: EF ARR 2F06, record */
    out[i++] = 3;
    out[i++] = 0x2F;
    out[i++] = 0x06;
    out[i++] = n->arr_rec;
    if (id == N_ADF_P15 && p->pin[0] != '\0') {
        /* PIN status template: PS_DO 90 with b8 set = the first key
         * reference (83) is enabled (TS 102 221 9.5.2). */
        out[i++] = 0xC6;
        out[i++] = 6;
        out[i++] = 0x90;
        out[i++] = 1;
        out[i++] = 0x80;
        out[i++] = 0x83;
        out[i++] = 1;
        out[i++] = p->pin_key_ref;
    }
    if (n->type != T_DF) {
        if (!p->fcp_no_size) {
            out[i++] = 0x80;
            out[i++] = 2;
            out[i++] = (uint8_t)(n->size >> 8);
            out[i++] = (uint8_t)n->size;
        }
        /* 88: SFI in b8-b4; empty = the EF has no SFI. */
        out[i++] = 0x88;
        if (n->sfi) {
            out[i++] = 1;
            out[i++] = (uint8_t)(n->sfi << 3);
        } else {
            out[i++] = 0;
        }
    }
    out[0] = 0x62;
    out[1] = (uint8_t)(i - 2);
    return i;
}

/* ------------------------------------------------------------- responses */

/* T=0 Le handling (61xx, exact 6Cxx) applies to the command as received: the
 * plain form of a wrapped command runs with T=1 semantics, so no 6Cxx that
 * the host would have to answer by resending an already MACed command;
 * the wrapped response then goes out through 61xx / GET RESPONSE. */
static bool t0_mode(const struct vuicc *c)
{
    return c->k.p.t0 && !c->in_sm;
}

/* Data of a fixed length (MANAGE CHANNEL, SELECT): a wrong Le gets 6Cxx with
 * the exact length; in T=1 mode Le=00 (up to 256) takes any length. */
static uint16_t give_exact(const struct vuicc *c, const struct capdu *a, struct resp *r,
                           const uint8_t *d, size_t n)
{
    bool ok = t0_mode(c) ? a->ne == n : (a->ne >= n);
    if (!ok) return (uint16_t)(0x6C00u | (n & 0xFFu));
    memcpy(r->data, d, n);
    r->len = n;
    return SW_OK;
}

/* T=0 case 4 (ISO 7816-3 12.2.5 / TS 102 221 7.3.1.1.4): the data stays on
 * the card and 61xx says how much there is for GET RESPONSE. */
static uint16_t give_later_sw(struct channel *ch, const uint8_t *d, size_t n, uint16_t sw)
{
    memcpy(ch->pending, d, n);
    ch->pending_len = n;
    ch->has_pending = true;
    ch->pending_sw = sw;
    return (uint16_t)(0x6100u | (n & 0xFFu));
}

static uint16_t give_later(struct channel *ch, const uint8_t *d, size_t n)
{
    return give_later_sw(ch, d, n, SW_OK);
}

/* ------------------------------------------------------------- commands */

/* SELECT (TS 102 221 11.1.1). */
static uint16_t cmd_select(struct vuicc *c, struct channel *ch, const struct capdu *a,
                           struct resp *r)
{
    const struct vuicc_profile *p = &c->k.p;
    /* P2: b8 0, b7-b6 00 (activation), b5-b3 001 FCP / 011 no data, b2-b1
     * 00 first occurrence (the only one, as AIDs here are unique). */
    bool want_fcp;
    if (a->p2 == 0x04)
        want_fcp = true;
    else if (a->p2 == 0x0C)
        want_fcp = false;
    else
        return SW_BAD_P1P2;
    if (want_fcp && p->refuse_p2_fcp) return SW_BAD_P1P2;

    int id = -1;
    switch (a->p1) {
    case 0x00: /* by FID */
        if (!a->has_lc || a->lc != 2) return SW_WRONG_LENGTH;
        id = find_fid(c, ch, (uint16_t)(a->data[0] << 8 | a->data[1]));
        break;
    case 0x01: /* child DF by FID */
        if (!a->has_lc || a->lc != 2) return SW_WRONG_LENGTH;
        id = child_by_fid(c, ch->df, (uint16_t)(a->data[0] << 8 | a->data[1]));
        if (!is_df(c, id)) id = -1;
        break;
    case 0x03: /* parent DF */
        if (a->has_lc) return SW_WRONG_LENGTH;
        id = c->k.n[ch->df].parent;
        break;
    case 0x04: /* by DF name (AID), exact match */
        if (!a->has_lc || a->lc > 16) return SW_WRONG_LENGTH;
        for (int i = 0; i < N_COUNT; i++) {
            const struct node *n = &c->k.n[i];
            if (n->present && n->aid_len == a->lc && memcmp(n->aid, a->data, a->lc) == 0) {
                id = i;
                break;
            }
        }
        break;
    case 0x08: /* path from the MF, MF not included */
    case 0x09: /* path from the current DF */
        if (!a->has_lc || a->lc % 2 != 0) return SW_WRONG_LENGTH;
        id = find_path(c, ch, a->p1 == 0x08 ? N_MF : ch->df, a->data, a->lc);
        break;
    default:
        return SW_BAD_P1P2;
    }
    if (id < 0) return SW_NOT_FOUND; /* selection unchanged */
    int old_adf = ch->adf;
    make_current(ch, c, id);
    /* Our choice: an SCP03 session belongs to the application it was opened
     * with; making another application current ends it (its response is
     * still wrapped, as the command was verified under the session). */
    if (ch->adf != old_adf) vscp_session_wipe(&ch->scp);

    if (!want_fcp) return SW_OK;
    uint8_t fcp[96];
    size_t n = fcp_build(c, id, fcp);
    if (t0_mode(c)) return give_later(ch, fcp, n);
    if (!a->has_le) return SW_OK; /* T=1 case 3: no response data */
    return give_exact(c, a, r, fcp, n);
}

/*
 * The EF a READ/UPDATE BINARY addresses: P1 b8 = 1 means P1 b5-b1 is an
 * SFI in the current DF (which becomes the current EF) and P2 the offset;
 * otherwise the current EF at the 15-bit offset P1 P2 (TS 102 221 11.1.3).
 * Returns 9000 with the node in @p out_id, or the error status word.
 */
static uint16_t binary_target(struct vuicc *c, struct channel *ch, const struct capdu *a,
                              int *out_id, size_t *offset)
{
    int id;
    if (a->p1 & 0x80) {
        uint8_t sfi = a->p1 & 0x1F;
        if ((a->p1 & 0x60) != 0 || sfi == 0) return SW_BAD_P1P2;
        id = child_by_sfi(c, ch->df, sfi);
        if (id < 0) return SW_NOT_FOUND;
        ch->ef = id;
        *offset = a->p2;
    } else {
        id = ch->ef;
        if (id < 0) return SW_NO_EF;
        *offset = (size_t)a->p1 << 8 | a->p2;
    }
    if (c->k.n[id].type != T_TRANSPARENT) return SW_BAD_STRUCTURE;
    *out_id = id;
    return SW_OK;
}

/*
 * scp03_required (our choice, docs/simcard.md): the bootstrap EF is read
 * only under an open SCP03 session on this channel whose level has the
 * @p need bits (reading: C-MAC and R-ENC; updating: C-MAC and C-DEC).
 */
static bool scp_allows(const struct channel *ch, unsigned need)
{
    return ch->scp.state == VSCP_OPEN && (ch->scp.level & need) == need;
}

/* READ BINARY (TS 102 221 11.1.3). */
static uint16_t cmd_read_binary(struct vuicc *c, struct channel *ch, const struct capdu *a,
                                struct resp *r)
{
    if (a->has_lc || !a->has_le) return SW_WRONG_LENGTH;
    size_t off;
    int id = -1;
    uint16_t w = binary_target(c, ch, a, &id, &off);
    if (w != SW_OK) return w;
    const struct node *n = &c->k.n[id];
    if (n->read_needs_pin && !c->pin_verified) return SW_SECURITY;
    if (n->needs_scp && !scp_allows(ch, VSCP_C_MAC | VSCP_R_ENC)) return SW_SECURITY;
    if (off >= n->size) return SW_OFFSET;
    size_t left = n->size - off;
    if (a->ne <= left) {
        memcpy(r->data, n->data + off, a->ne);
        r->len = a->ne;
        return SW_OK;
    }
    if (t0_mode(c)) return (uint16_t)(0x6C00u | left); /* left < ne <= 256 */
    memcpy(r->data, n->data + off, left);
    r->len = left;
    return SW_EOF;
}

/* READ RECORD (TS 102 221 11.1.5), absolute mode only. */
static uint16_t cmd_read_record(struct vuicc *c, struct channel *ch, const struct capdu *a,
                                struct resp *r)
{
    if (a->has_lc || !a->has_le) return SW_WRONG_LENGTH;
    uint8_t mode = a->p2 & 0x07, sfi = a->p2 >> 3;
    if (mode != 0x04 || a->p1 == 0 || a->p1 == 0xFF || sfi == 0x1F) return SW_BAD_P1P2;
    int id;
    if (sfi) {
        id = child_by_sfi(c, ch->df, sfi);
        if (id < 0) return SW_NOT_FOUND;
        ch->ef = id;
    } else {
        id = ch->ef;
        if (id < 0) return SW_NO_EF;
    }
    const struct node *n = &c->k.n[id];
    if (n->type != T_LINEAR) return SW_BAD_STRUCTURE;
    if (a->p1 > n->n_recs) return SW_RECORD_NOT_FOUND;
    const uint8_t *rec = n->data + (size_t)(a->p1 - 1) * n->rec_len;
    /* The record length is exact: any other Le gets 6Cxx, except Le=00 in
     * T=1 mode ("up to 256"). */
    if (a->ne != n->rec_len && (t0_mode(c) || a->ne != 256))
        return (uint16_t)(0x6C00u | (n->rec_len & 0xFFu));
    memcpy(r->data, rec, n->rec_len);
    r->len = n->rec_len;
    return SW_OK;
}

/* UPDATE BINARY (TS 102 221 11.1.4): only the bootstrap EF, when writable. */
static uint16_t cmd_update_binary(struct vuicc *c, struct channel *ch, const struct capdu *a)
{
    if (!a->has_lc || a->has_le) return SW_WRONG_LENGTH;
    size_t off;
    int id = -1;
    uint16_t w = binary_target(c, ch, a, &id, &off);
    if (w != SW_OK) return w;
    struct node *n = &c->k.n[id];
    if (!n->updatable) return SW_SECURITY;
    if (n->read_needs_pin && !c->pin_verified) return SW_SECURITY;
    if (n->needs_scp && !scp_allows(ch, VSCP_C_MAC | VSCP_C_DEC)) return SW_SECURITY;
    if (off >= n->size) return SW_OFFSET;
    if (a->lc > n->size - off) return SW_WRONG_LENGTH;
    memcpy(n->data + off, a->data, a->lc);
    return SW_OK;
}

/* MANAGE CHANNEL (TS 102 221 11.1.17). */
static uint16_t cmd_manage_channel(struct vuicc *c, struct channel *ch, const struct capdu *a,
                                   struct resp *r)
{
    if (c->k.p.no_channels) return SW_NO_CHANNEL;
    if (a->p1 == 0x00) {
        if (a->has_lc || !a->has_le) return SW_WRONG_LENGTH;
        if (a->p2 != 0x00) return SW_BAD_P1P2; /* the card assigns the number */
        unsigned k;
        for (k = 1; k < N_CHANNELS; k++)
            if (!c->ch[k].open) break;
        if (k == N_CHANNELS) return SW_FUNC_NOT_SUPPORTED;
        uint8_t num = (uint8_t)k;
        uint16_t w = give_exact(c, a, r, &num, 1);
        if (w != SW_OK) return w;
        /* Opened from the basic channel: the MF is current; from another
         * channel: that channel's current DF and application carry over. */
        channel_reset(&c->ch[k], true);
        if (a->chan != 0) {
            c->ch[k].df = ch->df;
            c->ch[k].adf = ch->adf;
        }
        return SW_OK;
    }
    if (a->p1 == 0x80) {
        if (a->has_lc || a->has_le) return SW_WRONG_LENGTH;
        if (a->p2 == 0 || a->p2 >= N_CHANNELS || !c->ch[a->p2].open) return SW_BAD_P1P2;
        channel_reset(&c->ch[a->p2], false);
        return SW_OK;
    }
    return SW_BAD_P1P2;
}

/* VERIFY PIN (TS 102 221 11.1.9). */
static uint16_t cmd_verify(struct vuicc *c, const struct capdu *a)
{
    const struct vuicc_profile *p = &c->k.p;
    if (a->has_le) return SW_WRONG_LENGTH;
    if (a->p1 != 0x00 || !key_ref_valid(a->p2)) return SW_BAD_P1P2;
    if (p->pin[0] == '\0' || a->p2 != p->pin_key_ref) return SW_REF_NOT_FOUND;
    if (!a->has_lc) {
        /* No data: report the state (TS 102 221 11.1.9.1). */
        if (c->pin_left == 0) return SW_PIN_BLOCKED;
        if (c->pin_verified) return SW_OK;
        return (uint16_t)(0x63C0u | c->pin_left);
    }
    if (a->lc != 8) return SW_WRONG_LENGTH;
    if (c->pin_left == 0) return SW_PIN_BLOCKED;
    uint8_t want[8];
    memset(want, 0xFF, sizeof want); /* TS 102 221 9.5.1: ASCII digits, FF padded */
    memcpy(want, p->pin, strlen(p->pin));
    uint8_t diff = 0;
    for (size_t i = 0; i < 8; i++) diff |= (uint8_t)(want[i] ^ a->data[i]);
    if (diff == 0) {
        c->pin_left = p->pin_tries;
        c->pin_verified = true;
        return SW_OK;
    }
    c->pin_left--;
    c->pin_verified = false;
    return (uint16_t)(0x63C0u | c->pin_left);
}

/* GET RESPONSE (TS 102 221 11.1.13): the data a T=0 case 4 command left. */
static uint16_t cmd_get_response(struct channel *ch, const struct capdu *a, struct resp *r)
{
    if (a->has_lc || !a->has_le) return SW_WRONG_LENGTH;
    if (a->p1 != 0 || a->p2 != 0) return SW_BAD_P1P2;
    if (!ch->has_pending) return SW_CONDITIONS;
    if (a->ne > ch->pending_len) return (uint16_t)(0x6C00u | (ch->pending_len & 0xFFu));
    memcpy(r->data, ch->pending, a->ne);
    r->len = a->ne;
    size_t rest = ch->pending_len - a->ne;
    if (rest == 0) {
        ch->has_pending = false;
        return ch->pending_sw;
    }
    memmove(ch->pending, ch->pending + a->ne, rest);
    ch->pending_len = rest;
    return (uint16_t)(0x6100u | rest);
}

/* ISO 7816-4 5.1: the four cases with short lengths. Extended lengths
 * (byte 5 = 00 and more than 5 bytes) are not supported. */
static bool parse_lengths(const uint8_t *b, size_t len, struct capdu *a)
{
    if (len < 4) return false;
    if (len == 4) return true;
    if (len == 5) {
        a->has_le = true;
        a->ne = b[4] ? b[4] : 256;
        return true;
    }
    size_t lc = b[4];
    if (lc == 0) return false;
    if (len != 5 + lc && len != 6 + lc) return false;
    a->has_lc = true;
    a->lc = lc;
    a->data = b + 5;
    if (len == 6 + lc) {
        a->has_le = true;
        a->ne = b[5 + lc] ? b[5 + lc] : 256;
    }
    return true;
}

/* A parsed CLA byte (TS 102 221 10.1.1, ISO 7816-4 5.4.1, GP Card Spec
 * 11.1.4). The first layout (00-1F interindustry, 80-9F proprietary) has
 * the channel in b2-b1, secure messaging in b4-b3 and chaining in b5; the
 * further layout (40-7F, C0-FF) has channel 4 + b4-b1, secure messaging in
 * b6 and chaining in b5. 20-3F and A0-BF (the GSM class) are refused. */
struct cla_info {
    unsigned chan;
    bool proprietary;      /* b8: GlobalPlatform commands (only with SCP03 keys) */
    bool sm;               /* any secure messaging indication */
    bool gp_sm;            /* the one SCP03 uses: b4-b3 = 01, or b6 in the further layout */
    bool chaining;
    uint8_t plain_cla;     /* the CLA without the secure messaging indication */
    uint8_t mac_cla;       /* the CLA as MACed: channel-0 form (04 / 84, chaining kept) */
};

static bool cla_parse(uint8_t cla, struct cla_info *ci)
{
    memset(ci, 0, sizeof *ci);
    ci->proprietary = (cla & 0x80) != 0;
    ci->chaining = (cla & 0x10) != 0;
    if ((cla & 0x60) == 0x00) {
        ci->chan = cla & 0x03u;
        ci->sm = (cla & 0x0C) != 0;
        ci->gp_sm = (cla & 0x0C) == 0x04;
        ci->plain_cla = (uint8_t)(cla & ~0x0Cu);
    } else if ((cla & 0x40) == 0x40) {
        ci->chan = 4u + (cla & 0x0Fu);
        ci->sm = ci->gp_sm = (cla & 0x20) != 0;
        ci->plain_cla = (uint8_t)(cla & ~0x20u);
    } else {
        return false;
    }
    /* GP Amd D 6.2.4 (spec-notes 3.3): the C-MAC covers the CLA with the
     * logical channel cleared. Our choice for channels 4-19: the CLA as
     * for channel 0, which is what a host that MACs the command before
     * putting the channel into CLA computes. */
    ci->mac_cla = (uint8_t)((cla & 0x80) | (cla & 0x10) | 0x04);
    return true;
}

/* GET EID, pysim's `80 E2 91 00` (a test hook: only when vuicc_scp03_set_eid()). */
static uint16_t cmd_get_eid(struct vuicc *c, struct channel *ch, const struct capdu *a,
                            struct resp *r)
{
    if (a->p1 != 0x91 || a->p2 != 0x00) return SW_BAD_P1P2;
    if (t0_mode(c)) return give_later(ch, c->eid, c->eid_len);
    if (!a->has_le) return SW_WRONG_LENGTH;
    return give_exact(c, a, r, c->eid, c->eid_len);
}

/*
 * INITIALIZE UPDATE (GP Amd D 7.1.1), S8 mode, plain CLA 80-83 / C0-CF.
 * Always ends what the channel had (GP: a new INITIALIZE UPDATE aborts the
 * current secure channel session), then: Lc 8 else 6700; P2 00 else 6A86;
 * P1 00 or our KVN else 6A88; the PKCS#15 application (the security
 * domain) current on this channel else 6985.
 */
static uint16_t cmd_initialize_update(struct vuicc *c, struct channel *ch, const struct capdu *a,
                                      struct resp *r)
{
    const struct vuicc_scp03_keys *k = &c->k.p.scp03;
    uint8_t out[VSCP_IU_RESP_MAX];
    vscp_session_wipe(&ch->scp);
    if (!a->has_lc || a->lc != 8) return SW_WRONG_LENGTH;
    if (a->p2 != 0x00) return SW_BAD_P1P2;
    if (a->p1 != 0x00 && a->p1 != k->kvn) return SW_REF_NOT_FOUND;
    if (ch->adf != N_ADF_P15) return SW_CONDITIONS;
    bool pseudo = (k->i_param & VSCP_I_PSEUDO) != 0;
    if (pseudo && c->scp_seq > VSCP_SEQ_MAX) return SW_CONDITIONS; /* counter used up */
    size_t n = vscp_initialize_update(k, c->k.p.aid, c->k.p.aid_len, c->scp_seq,
                                      c->scp_inject ? c->scp_challenge : NULL, a->data, &ch->scp,
                                      out);
    c->scp_inject = false;
    vscp_wipe(c->scp_challenge, sizeof c->scp_challenge);
    if (n == 0) return SW_TECHNICAL;
    if (pseudo) c->scp_seq++; /* GP Amd D 6.2.2.1: one counter value per challenge */
    if (t0_mode(c)) return give_later(ch, out, n);
    if (!a->has_le) {
        /* Case 3 in T=1 (as the asterix vector sends it): the response is
         * the point of the command, so it comes anyway. */
        memcpy(r->data, out, n);
        r->len = n;
        return SW_OK;
    }
    uint16_t w = give_exact(c, a, r, out, n);
    if (w != SW_OK) vscp_session_wipe(&ch->scp);
    return w;
}

/* The command as the card executes it, after CLA and (when it was wrapped)
 * secure messaging: the whole TS 102 221 checking order, then the command. */
static uint16_t dispatch_plain(struct vuicc *c, const struct cla_info *ci, const uint8_t *capdu,
                               size_t len, struct resp *r)
{
    struct capdu a;
    bool keys = c->k.p.scp03.len != 0;
    memset(&a, 0, sizeof a);
    a.cla = capdu[0];
    a.ins = capdu[1];
    a.p1 = capdu[2];
    a.p2 = capdu[3];
    a.chan = ci->chan;

    /* Interindustry commands of TS 102 221; GlobalPlatform ones in the
     * proprietary class only when the card has an SCP03 key set (without
     * one, a proprietary CLA is 6E00 as on a card with no security domain). */
    if (ci->proprietary) {
        /* Without a key set the PKCS#15 application is no security domain:
         * it does not know the GP instructions (our choice: 6D00; docs). */
        if (!keys) return a.ins == 0x50 || a.ins == 0x82 ? SW_BAD_INS : SW_BAD_CLA;
        if (a.ins != 0x50 && a.ins != 0x82 && !(a.ins == 0xE2 && c->eid_len != 0))
            return SW_BAD_INS;
    } else {
        switch (a.ins) {
        case 0xA4: case 0xB0: case 0xB2: case 0xD6: case 0x70: case 0x20: case 0xC0:
            break;
        default:
            return SW_BAD_INS;
        }
    }
    struct channel *ch = &c->ch[a.chan];
    /* EXTERNAL AUTHENTICATE that does not follow INITIALIZE UPDATE on its
     * channel (dispatch() takes the one that does); INITIALIZE UPDATE or
     * EXTERNAL AUTHENTICATE inside a session's wrapping. */
    if (ci->proprietary && (a.ins == 0x82 || (a.ins == 0x50 && c->in_sm)))
        return ch->open || c->in_sm ? SW_CONDITIONS : SW_NO_CHANNEL;
    /* Secure messaging outside a session: 6882 on a card without SCP03,
     * 6982 (security status not satisfied) on one that has it. */
    if (ci->sm) return keys ? SW_SECURITY : SW_NO_SM;
    if (ci->chaining) return SW_NO_CHAINING;
    if (!ch->open) return SW_NO_CHANNEL;
    /* Response data left for GET RESPONSE lives until the next command. */
    if (a.ins != 0xC0) ch->has_pending = false;
    if (!parse_lengths(capdu, len, &a)) return SW_WRONG_LENGTH;

    if (ci->proprietary) {
        if (a.ins == 0x50) return cmd_initialize_update(c, ch, &a, r);
        return cmd_get_eid(c, ch, &a, r);
    }
    switch (a.ins) {
    case 0xA4: return cmd_select(c, ch, &a, r);
    case 0xB0: return cmd_read_binary(c, ch, &a, r);
    case 0xB2: return cmd_read_record(c, ch, &a, r);
    case 0xD6: return cmd_update_binary(c, ch, &a);
    case 0x70: return cmd_manage_channel(c, ch, &a, r);
    case 0x20: return cmd_verify(c, &a);
    default:   return cmd_get_response(ch, &a, r);
    }
}

/* EXTERNAL AUTHENTICATE right after INITIALIZE UPDATE on its channel (GP
 * Amd D 7.1.2): opens the session or wipes it. */
static uint16_t external_authenticate(struct vuicc *c, struct channel *ch,
                                      const struct cla_info *ci, const uint8_t *capdu, size_t len)
{
    struct capdu a;
    memset(&a, 0, sizeof a);
    ch->has_pending = false;
    if (!parse_lengths(capdu, len, &a)) {
        vscp_session_wipe(&ch->scp);
        return SW_WRONG_LENGTH;
    }
    return vscp_external_authenticate(&ch->scp, c->k.p.scp03.i_param, ci->mac_cla, capdu[2],
                                      capdu[3], a.data, a.has_lc ? a.lc : 0, a.has_le);
}

/*
 * A command on a channel with an open SCP03 session (GP Amd D 6.2): it must
 * carry the SCP03 secure messaging indication and a C-MAC that verifies;
 * anything else (plain CLA, ISO secure messaging, bad lengths, MAC or
 * padding) is refused with 6982 and ends the session. The plain form runs
 * through dispatch_plain() with Le capped to what the level can wrap, and
 * its response is wrapped (R-ENC, R-MAC) with the session as it was for
 * this command, even when the command itself ended the session.
 */
static uint16_t secured(struct vuicc *c, struct channel *ch, const struct cla_info *ci,
                        const uint8_t *capdu, size_t len, struct resp *r)
{
    struct capdu a;
    struct vscp_session s;
    struct cla_info pci;
    uint8_t body[256], plain[262];
    size_t blen = 0, n = 0;
    uint16_t sw;

    memset(&a, 0, sizeof a);
    ch->has_pending = false;
    if (!ci->gp_sm || !parse_lengths(capdu, len, &a) || !a.has_lc) goto reject;
    s = ch->scp;
    if (vscp_unwrap(&s, ci->mac_cla, capdu, a.data, a.lc, body, &blen) != 0) {
        vscp_session_wipe(&s);
        goto reject;
    }
    /* The chaining value and counter move on, whatever the command does. */
    ch->scp = s;

    plain[n++] = ci->plain_cla;
    memcpy(plain + n, capdu + 1, 3);
    n += 3;
    if (blen) {
        plain[n++] = (uint8_t)blen;
        memcpy(plain + n, body, blen);
        n += blen;
    }
    if (a.has_le) {
        size_t ne = a.ne, cap = vscp_max_response(&s);
        if (ne > cap) ne = cap;
        plain[n++] = (uint8_t)(ne == 256 ? 0 : ne);
    }
    /* Introspection for tests; a VERIFY keeps its PIN to itself (header only). */
    c->scp_last_len = plain[1] == 0x20 ? 4 : n;
    memcpy(c->scp_last, plain, c->scp_last_len);
    cla_parse(plain[0], &pci);

    c->in_sm = true;
    sw = dispatch_plain(c, &pci, plain, n, r);
    c->in_sm = false;
    if (vscp_wrap(&s, r->data, &r->len, sw) != 0) {
        vscp_wipe(r->data, sizeof r->data);
        r->len = 0;
        sw = SW_TECHNICAL;
    }
    vscp_session_wipe(&s);
    vscp_wipe(body, sizeof body);
    vscp_wipe(plain, sizeof plain);
    if (c->k.p.t0 && r->len > 0) {
        /* T=0: the wrapped data waits for GET RESPONSE, which ends with
         * the status word the R-MAC covers. */
        uint16_t w = give_later_sw(ch, r->data, r->len, sw);
        vscp_wipe(r->data, r->len);
        r->len = 0;
        return w;
    }
    return sw;

reject:
    vscp_session_wipe(&ch->scp);
    vscp_wipe(body, sizeof body);
    return SW_SECURITY;
}

static uint16_t dispatch(struct vuicc *c, const uint8_t *capdu, size_t len, struct resp *r)
{
    struct cla_info ci;
    if (len < 4) return SW_WRONG_LENGTH;
    if (!cla_parse(capdu[0], &ci)) return SW_BAD_CLA;
    if (c->k.p.scp03.len != 0) {
        /* GP Amd D 6.2: on a channel with a session every command is checked,
         * except GET RESPONSE (transmission level, never wrapped) and a new
         * INITIALIZE UPDATE (which starts over). */
        struct channel *ch = &c->ch[ci.chan];
        uint8_t ins = capdu[1];
        bool get_response = !ci.proprietary && !ci.sm && ins == 0xC0;
        bool init_update = ci.proprietary && !ci.sm && ins == 0x50;
        if (ch->open && init_update) {
            /* GP: INITIALIZE UPDATE starts over; the session (or handshake)
             * before it ends even when this one is refused. */
            vscp_session_wipe(&ch->scp);
        } else if (ch->open && !get_response) {
            if (ch->scp.state == VSCP_PENDING) {
                if (ci.proprietary && ci.gp_sm && !ci.chaining && ins == 0x82)
                    return external_authenticate(c, ch, &ci, capdu, len);
                vscp_session_wipe(&ch->scp); /* any other command abandons the handshake */
            } else if (ch->scp.state == VSCP_OPEN) {
                return secured(c, ch, &ci, capdu, len, r);
            }
        }
    }
    return dispatch_plain(c, &ci, capdu, len, r);
}

/*
 * One C-APDU with the fault knobs. @p max_delay_ms caps a delay fault
 * (0 = no cap); *timed_out is set when the cap cut it short, as a host
 * would give up waiting while the card still does the work.
 */
static int process(struct vuicc *c, const uint8_t *capdu, size_t len, uint8_t *rapdu,
                   size_t cap, uint32_t max_delay_ms, bool *timed_out)
{
    const struct vuicc_profile *p;
    struct resp r;
    if (timed_out) *timed_out = false;
    if (!c || !c->present) return 0;
    if (!capdu) len = 0;
    p = &c->k.p;
    c->count++;
    if (p->delay_at != 0 && c->count == p->delay_at) {
        if (max_delay_ms != 0 && p->delay_ms > max_delay_ms) {
            sleep_ms(max_delay_ms);
            if (timed_out) *timed_out = true;
        } else {
            sleep_ms(p->delay_ms);
        }
    }
    if (p->fault_at != 0 && c->count == p->fault_at) {
        switch (p->fault_kind) {
        case VUICC_FAULT_SW:
            if (!rapdu || cap < 2) return -1;
            rapdu[0] = (uint8_t)(p->fault_sw >> 8);
            rapdu[1] = (uint8_t)p->fault_sw;
            return 2;
        case VUICC_FAULT_REMOVE:
            vuicc_remove(c);
            return 0;
        case VUICC_FAULT_MUTE:
            return 0;
        case VUICC_FAULT_NONE:
            break;
        }
    }
    memset(&r, 0, sizeof r);
    r.sw = dispatch(c, capdu, len, &r);
    if (p->corrupt_at != 0 && c->count == p->corrupt_at) {
        if (p->corrupt_byte < r.len)
            r.data[p->corrupt_byte] ^= p->corrupt_xor;
        else
            r.sw ^= (uint16_t)(p->corrupt_xor << 8);
    }
    if (!rapdu || cap < r.len + 2) return -1;
    memcpy(rapdu, r.data, r.len);
    rapdu[r.len] = (uint8_t)(r.sw >> 8);
    rapdu[r.len + 1] = (uint8_t)r.sw;
    return (int)(r.len + 2);
}

int vuicc_process(struct vuicc *c, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
    return process(c, capdu, len, rapdu, cap, 0, NULL);
}

/* ----------------------------------------------------------- SCP03 hooks */

void vuicc_scp03_set_card_challenge(struct vuicc *c, const uint8_t challenge[8])
{
    if (!c) return;
    c->scp_inject = challenge != NULL;
    if (challenge)
        memcpy(c->scp_challenge, challenge, sizeof c->scp_challenge);
    else
        vscp_wipe(c->scp_challenge, sizeof c->scp_challenge);
}

void vuicc_scp03_set_sequence(struct vuicc *c, uint32_t seq)
{
    if (c) c->scp_seq = seq > VSCP_SEQ_MAX ? VSCP_SEQ_MAX + 1u : seq;
}

uint32_t vuicc_scp03_sequence(const struct vuicc *c)
{
    return c ? c->scp_seq : 0;
}

void vuicc_scp03_set_eid(struct vuicc *c, const uint8_t *data, size_t len)
{
    if (!c) return;
    if (!data || len > sizeof c->eid) len = 0;
    if (len) memcpy(c->eid, data, len);
    c->eid_len = len;
}

int vuicc_scp03_level(const struct vuicc *c, unsigned channel)
{
    if (!c || channel >= N_CHANNELS || c->ch[channel].scp.state != VSCP_OPEN) return -1;
    return c->ch[channel].scp.level;
}

size_t vuicc_scp03_last_command(const struct vuicc *c, uint8_t *out, size_t cap)
{
    if (!c) return 0;
    if (out) memcpy(out, c->scp_last, c->scp_last_len < cap ? c->scp_last_len : cap);
    return c->scp_last_len;
}

/* ------------------------------------------------------------- transport */

static int t_transmit(void *ctx, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
                      size_t rapdu_cap, size_t *out_len, uint32_t timeout_ms)
{
    struct vuicc *c = ctx;
    bool timed_out;
    int n = process(c, capdu, capdu_len, rapdu, rapdu_cap, timeout_ms, &timed_out);
    if (timed_out) return UCB_ERR_TIMEOUT;
    if (n < 0) return UCB_ERR_BUFFER;
    if (n == 0) return c->present ? UCB_ERR_TIMEOUT : UCB_ERR_CARD_REMOVED;
    *out_len = (size_t)n;
    return 0;
}

static int t_reset(void *ctx, uint8_t *atr, size_t atr_cap, size_t *out_len)
{
    struct vuicc *c = ctx;
    uint8_t buf[sizeof atr_bytes];
    if (!c->present) return UCB_ERR_CARD_REMOVED;
    size_t n = vuicc_reset(c, buf, sizeof buf);
    c->seen_resets = c->resets; /* the caller asked for it: no event */
    if (atr) {
        if (atr_cap < n) return UCB_ERR_BUFFER;
        memcpy(atr, buf, n);
        if (out_len) *out_len = n;
    }
    return 0;
}

static int t_card_event(void *ctx)
{
    struct vuicc *c = ctx;
    if (!c->present) return UCB_ERR_CARD_REMOVED;
    if (c->removals != c->seen_removals) {
        c->seen_removals = c->removals;
        c->seen_resets = c->resets;
        return UCB_ERR_CARD_REINSERTED;
    }
    if (c->resets != c->seen_resets) {
        c->seen_resets = c->resets;
        return UCB_ERR_CARD_RESET;
    }
    return 0;
}

void vuicc_transport(struct vuicc *c, struct ucb_transport *out)
{
    memset(out, 0, sizeof *out);
    out->transmit = t_transmit;
    out->reset = t_reset;
    out->card_event = t_card_event;
    out->ctx = c;
    out->flags = 0;
}
