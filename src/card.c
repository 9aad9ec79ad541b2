/*
 * The Appendix G walk (LwM2M Core G.2.1, G.2.5): ICCID, EF.DIR, logical
 * channel, PKCS#15 ADF, EF(ODF), EF(DODF), EF LwM2M_Bootstrap.
 *
 * Talks to the card only through apdu/ (uicc.h). Every file's content is
 * the card's and hostile: ODF/DODF/EF.DIR go through the parsers of
 * pkcs15.c, and the bootstrap file is only reported when exactly the FCP
 * size was read.
 *
 * Choices where the specifications are silent (also in card.h):
 *  - EF.DIR present without a PKCS#15 template: UCB_ERR_CARD_NO_DATA.
 *    Appendix G signals the application's presence by that template; a
 *    card that omits it can still be read with UCB_CARD_SKIP_EF_DIR or an
 *    AID option. Only a missing EF.DIR (6A82) falls back to the standard
 *    AID, as Nordic's reader does for every card.
 *  - Paths from the ODF and DODF (and the fixed-path option) that do not
 *    start with 3F00 are relative to the PKCS#15 ADF. They are selected
 *    from the MF through 7FFF (the current application, TS 102 221 8.4.2),
 *    `00 A4 08 04 7FFF <path>`, the form of the real trace of spec-notes
 *    1.6, so a path through a sub-DF cannot move the anchor for the next.
 *  - EF(ODF) and EF(DODF) are read into a 512-byte work buffer: a larger
 *    file is read up to 512 bytes and parsed as far as that goes (an entry
 *    cut there is UCB_ERR_MALFORMED unless an earlier entry matched).
 *  - The key reference to verify is taken from the PIN status template of
 *    the ADF's FCP (TS 102 221 9.5.2); without one no PIN is guessed: the
 *    card's own answer (6982) ends the read.
 *  - A failed MANAGE CHANNEL close after a good read fails the read
 *    (UCB_STEP_CLOSE_CHANNEL): the channel may still be open on the card.
 */
#include <string.h>

#include "pkcs15_int.h"
#include "uiccboot/card.h"
#include "uiccboot/err.h"
#include "uiccboot/fcp.h"
#include "uiccboot/uicc.h"

/* RID A000000063 (PKCS#15) + PIX "PKCS-15" (LwM2M Core Appendix G.3). */
const uint8_t ucb_pkcs15_aid[UCB_PKCS15_AID_LEN] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                                    0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};
/* 2.23.43.9.1: 2*40+23 = 103 = 67, 43 = 2B, 9, 1. */
const uint8_t ucb_lwm2m_oid[UCB_LWM2M_OID_LEN] = {0x67, 0x2B, 0x09, 0x01};

#define WORK_MAX 512u          /* EF.DIR records, ODF, DODF, write read-back */
#define CHUNK 256u             /* short READ BINARY */
#define ICCID_SFI 0x02u        /* TS 102 221 13.2: EF ICCID 2FE2, SFI 02 */
#define PIN_MAX 8u             /* TS 102 221 9.5.1: 4..8 digits */
#define DIR_RECORDS_UNKNOWN 16u /* records tried when the FCP gives no count */
#define OID_MAX 126u           /* pkcs15.c: the double form needs a short length */

struct walk {
    struct ucb_apdu *a;
    const struct ucb_card_opts *o;
    struct ucb_card_info *out;
    uint32_t n0;               /* a->n_commands at the start */
    uint8_t caller_channel;
    bool caller_secret;        /* a->trace_secret_data at the start */
    uint8_t channel;           /* logical channel this call opened, 0 = none */
    bool dead;                 /* a transport error: the card does not answer */
    bool want_pin;             /* the DODF entry is private or modifiable */
    bool pin_tried;            /* at most one verification per call */
    bool scp03;                /* an SCP03 session of this call is installed */
    bool keep;                 /* success leaves channel, EF and session open */
    const uint8_t *oid;
    size_t oid_len;
    struct ucb_fcp adf;        /* FCP of the PKCS#15 ADF: its PIN status template */
    struct ucb_fcp ef;         /* FCP of the bootstrap EF: its size */
    uint8_t work[WORK_MAX];
};

/* A wipe the compiler cannot drop as a dead store. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n-- > 0u) {
        *v++ = 0;
    }
}

/* Every card command goes through here: the result names the command's
 * status word, and a transport error means nothing more may be sent. The
 * status word comes by pointer so it is read after the command ran (the
 * order in which arguments are evaluated is unspecified). */
static int cmd(struct walk *w, int rc, const uint16_t *sw)
{
    w->out->sw = *sw;
    if (UCB_ERR_IS_TRANSPORT(rc)) {
        w->dead = true;
    }
    return rc;
}

static bool starts_with(const uint8_t *p, size_t len, uint8_t b0, uint8_t b1)
{
    return len >= 2u && p[0] == b0 && p[1] == b1;
}

/* Parser faults become one error for the caller: the file is not what
 * Appendix G describes. */
static int parse_error(int rc)
{
    return rc == UCB_ERR_NOT_PRESENT ? UCB_ERR_CARD_NO_DATA : UCB_ERR_MALFORMED;
}

/* ---- ICCID ---- */

static void iccid_digits(struct ucb_card_info *out)
{
    /* TS 102 221 13.2: BCD, the first digit in the low nibble, F padded. */
    size_t k = 0;
    for (size_t i = 0; i < out->iccid_len; i++) {
        const uint8_t nib[2] = {(uint8_t)(out->iccid[i] & 0x0Fu), (uint8_t)(out->iccid[i] >> 4)};
        for (size_t j = 0; j < 2u; j++) {
            if (nib[j] == 0x0Fu) {
                continue;
            }
            static const char hex[] = "0123456789ABCDE";
            out->iccid_str[k++] = hex[nib[j]];
        }
    }
    out->iccid_str[k] = '\0';
}

/* ITU-T E.118: the last digit of an ICCID is a Luhn check digit. */
static bool iccid_luhn_ok(const char *d)
{
    size_t n = 0;
    unsigned sum = 0;

    while (d[n] != '\0') {
        n++;
    }
    if (n < 2u) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char c = d[n - 1u - i];
        if (c < '0' || c > '9') {
            return false;
        }
        unsigned v = (unsigned)(c - '0');
        if ((i & 1u) != 0u) {
            v *= 2u;
            if (v > 9u) {
                v -= 9u;
            }
        }
        sum += v;
    }
    return sum % 10u == 0u;
}

/* One read of EF ICCID into @p b: READ BINARY by SFI 02, or SELECT 2FE2 and
 * READ BINARY for a card that refuses the SFI form. 1 = read, 0 = the card
 * has no EF ICCID, < 0 = error. */
static int read_iccid_once(struct walk *w, uint8_t b[UCB_ICCID_MAX])
{
    static const uint8_t fid[2] = {0x2F, 0xE2};
    uint16_t sw = 0;
    int rc;

    /* One command: READ BINARY with SFI 02 selects and reads EF ICCID. */
    rc = cmd(w, ucb_uicc_read_binary_sfi(w->a, ICCID_SFI, 0, b, UCB_ICCID_MAX, &sw), &sw);
    if (rc < 0 && UCB_ERR_IS_CARD(rc) && rc != UCB_ERR_CARD_RESPONSE) {
        /* A card refusing the SFI form (6A82, 6A86, 6981, 6B00, 6D00...):
         * select 2FE2 from the MF and read it. */
        rc = cmd(w, ucb_uicc_select_path(w->a, fid, sizeof fid, true, NULL, &sw), &sw);
        if (rc == UCB_ERR_CARD_NOT_FOUND) {
            return 0;
        }
        if (rc < 0) {
            return rc;
        }
        rc = cmd(w, ucb_uicc_read_binary(w->a, 0, b, UCB_ICCID_MAX, 0, &sw), &sw);
    }
    if (rc < 0) {
        return rc;
    }
    if (rc != (int)UCB_ICCID_MAX) {
        return UCB_ERR_CARD_RESPONSE; /* TS 102 221 13.2: the EF is 10 bytes */
    }
    return 1;
}

/*
 * The ICCID is read in plain (before any secure channel) and is the card's
 * identity for the bridge: a corrupted transfer would look like another
 * card. Its Luhn digit (ITU-T E.118) is checked; on a mismatch it is read
 * once more: a second read that passes is taken, the same failing value
 * twice is the card's own (a card without a valid check digit, accepted),
 * and two different failing values are an error.
 */
static int read_iccid(struct walk *w)
{
    struct ucb_card_info *out = w->out;
    uint8_t b[UCB_ICCID_MAX];
    int rc;

    out->step = UCB_STEP_ICCID;
    w->a->channel = 0;
    rc = read_iccid_once(w, b);
    if (rc <= 0) {
        if (rc == 0) {
            out->route |= UCB_ROUTE_NO_ICCID;
        }
        return rc;
    }
    memcpy(out->iccid, b, sizeof b);
    out->iccid_len = (uint8_t)sizeof b;
    iccid_digits(out);
    if (iccid_luhn_ok(out->iccid_str)) {
        return 0;
    }
    uint8_t again[UCB_ICCID_MAX];
    rc = read_iccid_once(w, again);
    if (rc <= 0) {
        return rc < 0 ? rc : UCB_ERR_CARD_RESPONSE;
    }
    if (memcmp(again, b, sizeof b) == 0) {
        return 0; /* the card's own ICCID, check digit and all */
    }
    memcpy(out->iccid, again, sizeof again);
    iccid_digits(out);
    return iccid_luhn_ok(out->iccid_str) ? 0 : UCB_ERR_CARD_RESPONSE;
}

/* ---- EF.DIR ---- */

static void set_aid(struct ucb_card_info *out, const uint8_t *aid, size_t len)
{
    memcpy(out->aid, aid, len);
    out->aid_len = (uint8_t)len;
}

static int find_pkcs15_aid(struct walk *w)
{
    static const uint8_t fid[2] = {0x2F, 0x00};
    struct ucb_card_info *out = w->out;
    struct ucb_fcp fcp;
    uint16_t sw = 0;
    int rc;

    out->step = UCB_STEP_EF_DIR;
    w->a->channel = 0;
    rc = cmd(w, ucb_uicc_select_path(w->a, fid, sizeof fid, true, &fcp, &sw), &sw);
    if (rc == UCB_ERR_CARD_NOT_FOUND) {
        set_aid(out, ucb_pkcs15_aid, UCB_PKCS15_AID_LEN);
        out->route |= UCB_ROUTE_NO_EF_DIR;
        return 0;
    }
    if (rc < 0) {
        return rc;
    }

    /* TS 102 221 11.1.1.4.3: a linear fixed EF's descriptor gives the
     * record length and count; READ RECORD asks for exactly that length. */
    unsigned n = DIR_RECORDS_UNKNOWN;
    size_t len = 0;
    if ((fcp.has & UCB_FCP_HAS_RECORDS) != 0u) {
        n = fcp.n_records;
        if (fcp.record_len >= 1u && fcp.record_len <= UCB_APDU_MAX_NE) {
            len = fcp.record_len;
        }
    }
    bool unreadable = false;
    for (unsigned r = 1; r <= n && r <= 254u; r++) {
        rc = cmd(w, ucb_uicc_read_record(w->a, (uint8_t)r, 0, w->work, len, &sw), &sw);
        if (rc == UCB_ERR_CARD_NOT_FOUND) {
            break; /* 6A83: no more records */
        }
        if (rc < 0) {
            return rc;
        }
        struct ucb_dir_app app;
        const int prc = ucb_pkcs15_dir_record(w->work, (size_t)rc, &app);
        if (prc == UCB_ERR_NOT_PRESENT) {
            continue;
        }
        if (prc < 0) {
            unreadable = true; /* another application's record, maybe */
            continue;
        }
        if (ucb_pkcs15_is_pkcs15_aid(app.aid, app.aid_len)) {
            set_aid(out, app.aid, app.aid_len);
            out->route |= UCB_ROUTE_EF_DIR;
            return 0;
        }
    }
    return unreadable ? UCB_ERR_MALFORMED : UCB_ERR_CARD_NO_DATA;
}

/* ---- files ---- */

/*
 * SELECT a path as PKCS#15 writes it: 3F00... from the MF, anything else
 * relative to the PKCS#15 application (see the file comment).
 */
static int select_path(struct walk *w, const uint8_t *path, size_t len, struct ucb_fcp *fcp)
{
    uint8_t full[UCB_PATH_MAX];
    uint16_t sw = 0;
    int rc;

    if (starts_with(path, len, 0x3F, 0x00)) {
        if (len < 4u) {
            return UCB_ERR_MALFORMED; /* the MF is not an EF */
        }
        rc = ucb_uicc_select_path(w->a, path + 2, len - 2u, true, fcp, &sw);
    } else if (starts_with(path, len, 0x7F, 0xFF)) {
        rc = ucb_uicc_select_path(w->a, path, len, true, fcp, &sw);
    } else if (len + 2u <= sizeof full) {
        full[0] = 0x7F;
        full[1] = 0xFF;
        memcpy(full + 2, path, len);
        rc = ucb_uicc_select_path(w->a, full, len + 2u, true, fcp, &sw);
    } else {
        rc = ucb_uicc_select_path(w->a, path, len, false, fcp, &sw);
    }
    return cmd(w, rc, &sw);
}

/* Read EF(ODF) or EF(DODF), just selected, into the work buffer. */
static int read_small(struct walk *w, const struct ucb_fcp *fcp)
{
    const bool sized = (fcp->has & UCB_FCP_HAS_SIZE) != 0u;
    size_t want = WORK_MAX;
    uint16_t sw = 0;

    if (sized && fcp->size < want) {
        want = fcp->size;
    }
    if (want == 0u) {
        return 0;
    }
    const int rc = cmd(w, ucb_uicc_read_binary(w->a, 0, w->work, want, 0, &sw), &sw);
    if (rc < 0) {
        return rc;
    }
    if (sized && (size_t)rc < want) {
        return UCB_ERR_CARD_RESPONSE; /* the file ended before its FCP size */
    }
    return rc;
}

static int find_bootstrap_path(struct walk *w)
{
    static const uint8_t odf_fid[2] = {0x50, 0x31}; /* PKCS#15 5.4.2, Appendix G.3 */
    struct ucb_card_info *out = w->out;
    struct ucb_fcp fcp;
    uint8_t dodf[UCB_PATH_MAX];
    const uint8_t *p;
    size_t plen;
    int rc;

    out->step = UCB_STEP_ODF;
    out->route |= UCB_ROUTE_ODF_DEFAULT;
    if ((rc = select_path(w, odf_fid, sizeof odf_fid, &fcp)) < 0 ||
        (rc = read_small(w, &fcp)) < 0) {
        return rc;
    }
    rc = ucb_pkcs15_odf_dodf(w->work, (size_t)rc, &p, &plen);
    if (rc < 0) {
        return parse_error(rc);
    }
    memcpy(dodf, p, plen); /* the work buffer is reused for the DODF */

    out->step = UCB_STEP_DODF;
    if ((rc = select_path(w, dodf, plen, &fcp)) < 0 || (rc = read_small(w, &fcp)) < 0) {
        return rc;
    }
    struct ucb_dodf_match m;
    rc = ucb_pkcs15_dodf_find(w->work, (size_t)rc, w->oid, w->oid_len, &m);
    if (rc < 0) {
        return parse_error(rc);
    }
    out->route |= m.form;
    if (w->o->oid != NULL) {
        out->route |= UCB_ROUTE_OID_OVERRIDE;
    }
    /* Appendix G.2.4: either flag means cardholder verification. */
    if (m.private_flag || m.modifiable_flag) {
        out->route |= UCB_ROUTE_PRIVATE;
        w->want_pin = true;
    }
    memcpy(out->path, m.path, m.path_len);
    out->path_len = (uint8_t)m.path_len;
    return 0;
}

/* ---- PIN ---- */

static int verify_pin(struct walk *w)
{
    const struct ucb_card_opts *o = w->o;
    struct ucb_card_info *out = w->out;
    const enum ucb_card_step resume = out->step;
    uint8_t tries = 0;
    uint16_t sw = 0;
    int rc;

    out->step = UCB_STEP_PIN;
    w->pin_tried = true;
    /* TS 102 221 9.5.2: the application's PIN status template names the
     * key references that guard it. */
    const int ref = ucb_fcp_pin_ref(&w->adf);
    if (ref < 0) {
        return UCB_ERR_CARD_SECURITY;
    }
    rc = cmd(w, ucb_uicc_pin_tries(w->a, (uint8_t)ref, &tries, &sw), &sw);
    if (rc < 0) {
        return rc;
    }
    if (tries != 0xFFu) {
        if (o->pin == NULL) {
            return UCB_ERR_CARD_SECURITY;
        }
        /* The last try is never spent: a wrong PIN would block the card.
         * Refused before asking, so nobody types a PIN for nothing. */
        if (tries <= 1u) {
            return UCB_ERR_CARD_PIN;
        }
        uint8_t pin[PIN_MAX];
        size_t n = 0;
        rc = o->pin(o->pin_ctx, (uint8_t)ref, tries, pin, sizeof pin, &n);
        if (rc >= 0) {
            rc = n > sizeof pin ? UCB_ERR_ARG
                                : cmd(w, ucb_uicc_verify_pin(w->a, (uint8_t)ref, pin, n, &tries,
                                                             &sw),
                                      &sw);
        }
        wipe(pin, sizeof pin);
        if (rc < 0) {
            return rc;
        }
        out->route |= UCB_ROUTE_PIN_VERIFIED;
    }
    out->pin_ref = (uint8_t)ref;
    out->step = resume;
    return 0;
}

/* A 6982 answer that a PIN may cure: verify (once) and tell the caller
 * to send the command again. Without a PIN status template there is no
 * PIN to try, and the 6982 stands as the command's own answer. */
static bool pin_cures(struct walk *w, int *rc)
{
    if (*rc != UCB_ERR_CARD_SECURITY || w->pin_tried || ucb_fcp_pin_ref(&w->adf) < 0) {
        return false;
    }
    *rc = verify_pin(w);
    return *rc == 0;
}

/* ---- the secure channel (Appendix H) ---- */

/* LwM2M Core Appendix H: with the PKCS#15 application selected on the
 * channel, authenticate (GP Amd D: INITIALIZE UPDATE, EXTERNAL
 * AUTHENTICATE); everything after runs inside the session. Under the
 * prefer policy a card that plainly has no SCP03 key set (INS or CLA not
 * supported, referenced key data not found) is read in plain; a failed
 * authentication never is. */
static int secure_channel(struct walk *w)
{
    const struct ucb_card_opts *o = w->o;
    struct ucb_card_info *out = w->out;
    struct ucb_scp03_config cfg = *o->scp03_cfg;
    struct ucb_scp03_info info;
    uint16_t sw = 0;
    int rc;

    out->step = UCB_STEP_SECURE_CHANNEL;
    if (cfg.sd_aid == NULL) {
        /* The security domain is the application the session protects. */
        cfg.sd_aid = out->aid;
        cfg.sd_aid_len = out->aid_len;
    }
    rc = cmd(w, ucb_scp03_open(o->scp03, w->a, &cfg, &info, &sw), &sw);
    if (rc == 0) {
        w->scp03 = true;
        out->route |= UCB_ROUTE_SCP03;
        out->scp03_level = info.level;
        out->scp03_kvn = info.kvn;
        return 0;
    }
    if (o->scp03_policy == UCB_SCP03_PREFER && UCB_ERR_IS_CARD(rc) &&
        (sw == 0x6D00u || sw == 0x6E00u || sw == 0x6A88u)) {
        out->route |= UCB_ROUTE_SCP03_SKIPPED;
        return 0;
    }
    return rc;
}

/* ---- the walk up to the selected bootstrap EF ---- */

static int locate(struct walk *w)
{
    const struct ucb_card_opts *o = w->o;
    struct ucb_card_info *out = w->out;
    uint16_t sw = 0;
    int rc;
    /* A fixed path from the MF: a card without PKCS#15 (no EF.DIR, no ADF). */
    const bool from_mf = o->path != NULL && starts_with(o->path, o->path_len, 0x3F, 0x00);

    if ((o->flags & UCB_CARD_SKIP_ICCID) == 0u && (rc = read_iccid(w)) < 0) {
        return rc;
    }
    if (!from_mf) {
        if (o->aid != NULL) {
            set_aid(out, o->aid, o->aid_len);
            out->route |= UCB_ROUTE_AID_OVERRIDE;
        } else if ((o->flags & UCB_CARD_SKIP_EF_DIR) != 0u) {
            set_aid(out, ucb_pkcs15_aid, UCB_PKCS15_AID_LEN);
        } else if ((rc = find_pkcs15_aid(w)) < 0) {
            return rc;
        }
    }

    /* G.2.5 step 2: MANAGE CHANNEL (TS 102 221 11.1.17), on the basic channel. */
    if ((o->flags & UCB_CARD_BASIC_CHANNEL) != 0u) {
        out->route |= UCB_ROUTE_BASIC_CHANNEL;
    } else {
        uint8_t ch = 0;
        out->step = UCB_STEP_OPEN_CHANNEL;
        w->a->channel = 0;
        rc = cmd(w, ucb_uicc_open_channel(w->a, &ch, &sw), &sw);
        if (rc == UCB_ERR_UNSUPPORTED) {
            out->route |= UCB_ROUTE_BASIC_CHANNEL; /* 6881: the basic channel it is */
        } else if (rc < 0) {
            return rc;
        } else {
            w->channel = ch;
            out->channel = ch;
            out->route |= UCB_ROUTE_LOGICAL_CHANNEL;
        }
    }
    w->a->channel = w->channel;

    /* G.2.5 step 3: direct application selection; the FCP is kept for its
     * PIN status template. */
    if (!from_mf) {
        out->step = UCB_STEP_SELECT_ADF;
        rc = cmd(w, ucb_uicc_select_aid(w->a, out->aid, out->aid_len, &w->adf, &sw), &sw);
        if (rc < 0) {
            return rc;
        }
        if (o->scp03_cfg != NULL && (rc = secure_channel(w)) < 0) {
            return rc;
        }
    }

    if (o->path != NULL) {
        memcpy(out->path, o->path, o->path_len);
        out->path_len = (uint8_t)o->path_len;
        out->route |= UCB_ROUTE_FIXED_PATH;
    } else if ((rc = find_bootstrap_path(w)) < 0) {
        return rc;
    }

    /* Without a PIN status template there is no PIN to present: the card
     * decides, and its 6982 would be the answer. */
    if (w->want_pin && ucb_fcp_pin_ref(&w->adf) >= 0 && (rc = verify_pin(w)) < 0) {
        return rc;
    }
    out->step = UCB_STEP_SELECT_FILE;
    rc = select_path(w, out->path, out->path_len, &w->ef);
    if (pin_cures(w, &rc)) {
        rc = select_path(w, out->path, out->path_len, &w->ef);
    }
    return rc < 0 ? rc : 0;
}

/* ---- begin / end ---- */

static const struct ucb_card_opts no_opts;

static int begin(struct walk *w, struct ucb_apdu *a, const struct ucb_card_opts *o,
                 struct ucb_card_info *out)
{
    memset(out, 0, sizeof *out);
    w->a = a;
    w->o = o != NULL ? o : &no_opts;
    w->out = out;
    w->n0 = a->n_commands;
    w->caller_channel = a->channel;
    w->caller_secret = a->trace_secret_data;
    w->channel = 0;
    w->dead = false;
    w->want_pin = false;
    w->pin_tried = false;
    w->scp03 = false;
    w->keep = false;
    w->oid = ucb_lwm2m_oid;
    w->oid_len = UCB_LWM2M_OID_LEN;
    memset(&w->adf, 0, sizeof w->adf);
    memset(&w->ef, 0, sizeof w->ef);

    o = w->o;
    if ((o->aid != NULL && (o->aid_len < 5u || o->aid_len > UCB_AID_MAX)) ||
        (o->oid != NULL && (o->oid_len < 1u || o->oid_len > OID_MAX)) ||
        (o->path != NULL &&
         (o->path_len < 2u || o->path_len > UCB_PATH_MAX || (o->path_len % 2u) != 0u ||
          (starts_with(o->path, o->path_len, 0x3F, 0x00) && o->path_len < 4u))) ||
        /* A secure channel needs its session storage and an application to
         * bind to (Appendix H): not a path from the MF. */
        (o->scp03_cfg != NULL &&
         (o->scp03 == NULL || (o->path != NULL && starts_with(o->path, o->path_len, 0x3F, 0x00))))) {
        return UCB_ERR_ARG;
    }
    if (o->oid != NULL) {
        w->oid = o->oid;
        w->oid_len = o->oid_len;
    }
    return 0;
}

/* Close what this call opened, restore the caller's channel, account. */
static int finish(struct walk *w, int rc)
{
    struct ucb_card_info *out = w->out;

    /* A kept read leaves the logical channel open with the EF selected,
     * and the secure channel installed (ucb_card_read_kept). */
    if (rc >= 0 && w->keep && w->channel != 0u) {
        w->a->channel = w->caller_channel;
        w->a->trace_secret_data = w->caller_secret;
        out->n_commands = w->a->n_commands - w->n0;
        out->step = UCB_STEP_DONE;
        wipe(w->work, sizeof w->work);
        return rc;
    }
    /* The session ends with the call: keys and chaining value wiped, the
     * hook taken out of the engine before the plain MANAGE CHANNEL close. */
    if (w->scp03) {
        ucb_scp03_close(w->o->scp03);
        w->scp03 = false;
    }
    if (w->channel != 0u && !w->dead) {
        uint16_t sw = 0;
        const int crc = ucb_uicc_close_channel(w->a, w->channel, &sw);
        if (rc >= 0) {
            /* A failure keeps its own step and status word for the report. */
            out->sw = sw;
            if (crc < 0) {
                out->step = UCB_STEP_CLOSE_CHANNEL;
                rc = crc;
            }
        }
    }
    w->a->channel = w->caller_channel;
    w->a->trace_secret_data = w->caller_secret;
    out->n_commands = w->a->n_commands - w->n0;
    if (rc >= 0) {
        out->step = UCB_STEP_DONE;
    } else {
        out->size = 0;
        memset(out->sha256, 0, sizeof out->sha256);
    }
    wipe(w->work, sizeof w->work);
    return rc;
}

/* ---- read ---- */

static int read_file(struct walk *w, uint8_t *buf, size_t cap, size_t *touched)
{
    struct ucb_card_info *out = w->out;
    uint16_t sw = 0;
    int rc;

    /* The file holds PSKs: a trace shows its bytes only as secret. */
    w->a->trace_secret_data = true;
    out->step = UCB_STEP_READ_FILE;
    if ((w->ef.has & UCB_FCP_HAS_SIZE) != 0u) {
        /* G.3.4: at most 32 KB, the size is the FCP's (TS 102 221 tag 80). */
        const size_t size = w->ef.size;
        if (size > UCB_UICC_MAX_FILE) {
            return UCB_ERR_TOO_LARGE;
        }
        if (size > cap) {
            return UCB_ERR_BUFFER;
        }
        if (size == 0u) {
            return 0;
        }
        *touched = size;
        rc = cmd(w, ucb_uicc_read_binary(w->a, 0, buf, size, CHUNK, &sw), &sw);
        if (pin_cures(w, &rc)) {
            out->step = UCB_STEP_READ_FILE;
            rc = cmd(w, ucb_uicc_read_binary(w->a, 0, buf, size, CHUNK, &sw), &sw);
        }
        if (rc < 0) {
            return rc;
        }
        /* Never a partial file: the card ended before its own size. */
        return (size_t)rc == size ? rc : UCB_ERR_CARD_RESPONSE;
    }

    /* No size in the FCP: read to the end of the file (6282 / 6B00). */
    out->route |= UCB_ROUTE_SIZE_UNKNOWN;
    const size_t limit = cap < UCB_UICC_MAX_FILE ? cap : UCB_UICC_MAX_FILE;
    *touched = limit;
    rc = 0;
    if (limit > 0u) {
        rc = cmd(w, ucb_uicc_read_binary(w->a, 0, buf, limit, CHUNK, &sw), &sw);
        if (pin_cures(w, &rc)) {
            out->step = UCB_STEP_READ_FILE;
            rc = cmd(w, ucb_uicc_read_binary(w->a, 0, buf, limit, CHUNK, &sw), &sw);
        }
        if (rc < 0) {
            return rc;
        }
    }
    if ((size_t)rc == limit && limit < UCB_UICC_MAX_FILE) {
        /* The buffer is full: the file may go on. One byte more tells. */
        uint8_t more;
        const int mrc = cmd(w, ucb_uicc_read_binary(w->a, (uint32_t)limit, &more, 1, 1, &sw), &sw);
        if (mrc > 0) {
            return UCB_ERR_BUFFER;
        }
        if (mrc < 0 && sw != 0x6B00u) {
            return mrc;
        }
    }
    return rc;
}

static int read_walk(struct ucb_apdu *a, const struct ucb_card_opts *opts, uint8_t *buf,
                     size_t cap, struct ucb_card_info *out, struct ucb_card_keep *k)
{
    struct ucb_card_info scratch;
    struct walk w;
    size_t touched = 0;

    if (out == NULL) {
        out = &scratch;
    }
    if (a == NULL) {
        memset(out, 0, sizeof *out);
        return UCB_ERR_ARG;
    }
    int rc = begin(&w, a, opts, out);
    if (rc == 0 && buf == NULL && cap > 0u) {
        rc = UCB_ERR_ARG;
    }
    if (rc < 0) {
        out->n_commands = 0;
        return rc;
    }
    w.keep = k != NULL;
    rc = locate(&w);
    if (rc >= 0) {
        rc = read_file(&w, buf, cap, &touched);
    }
    if (rc >= 0) {
        out->size = (size_t)rc;
        ucb_sha256(buf, out->size, out->sha256);
    }
    if (k != NULL && rc >= 0 && w.channel != 0u && (w.ef.has & UCB_FCP_HAS_SIZE) != 0u) {
        k->open = true;
        k->channel = w.channel;
        k->scp03 = w.scp03;
        k->size = (uint32_t)out->size;
        k->info = *out;
    } else {
        w.keep = false; /* the basic channel is shared: never kept */
    }
    rc = finish(&w, rc);
    if (rc < 0) {
        /* What a failed read left in the buffer is no file: do not leave
         * half a set of PSKs in it either. */
        if (buf != NULL && touched > 0u) {
            wipe(buf, touched);
        }
        return rc;
    }
    return (int)out->size;
}

int ucb_card_read_bootstrap(struct ucb_apdu *a, const struct ucb_card_opts *opts, uint8_t *buf,
                            size_t cap, struct ucb_card_info *out)
{
    return read_walk(a, opts, buf, cap, out, NULL);
}

/* ---- kept reads: the check at every Register/Update ---- */

void ucb_card_keep_init(struct ucb_card_keep *k)
{
    if (k != NULL) {
        memset(k, 0, sizeof *k);
    }
}

void ucb_card_keep_close(struct ucb_apdu *a, const struct ucb_card_opts *opts,
                         struct ucb_card_keep *k, bool card_answers)
{
    if (k == NULL || !k->open) {
        return;
    }
    if (k->scp03 && opts != NULL && opts->scp03 != NULL) {
        ucb_scp03_close(opts->scp03);
    }
    if (card_answers && a != NULL) {
        uint16_t sw = 0;
        const uint8_t saved = a->channel;
        (void)ucb_uicc_close_channel(a, k->channel, &sw);
        a->channel = saved;
    }
    memset(k, 0, sizeof *k);
}

/* The fast path of a kept read: the EF is still selected on our channel
 * (and the secure channel still installed), so only its READ BINARYs are
 * sent, plus one READ BINARY past its end that must answer 6B00 (the file
 * did not grow). 1 = read, 0 = fall back to a full walk, < 0 = the card is
 * gone (no walk can help). */
static int kept_fast(struct ucb_apdu *a, const struct ucb_card_opts *o, struct ucb_card_keep *k,
                     uint8_t *buf, size_t cap, struct ucb_card_info *out)
{
    const uint32_t n0 = a->n_commands;
    const uint8_t saved = a->channel;
    const bool saved_secret = a->trace_secret_data;
    uint16_t sw = 0;
    uint8_t probe;
    int rc;

    if (a->transport.card_event != NULL) {
        rc = a->transport.card_event(a->transport.ctx);
        if (rc != 0) {
            /* reset, removal, re-insertion: channel and session are gone */
            ucb_card_keep_close(a, o, k, false);
            return rc == UCB_ERR_CARD_REMOVED ? rc : 0;
        }
    }
    if (k->size > cap || (k->scp03 && (o->scp03 == NULL || !ucb_scp03_active(o->scp03)))) {
        ucb_card_keep_close(a, o, k, true);
        return 0;
    }
    a->channel = k->channel;
    a->trace_secret_data = true;
    rc = ucb_uicc_read_binary(a, 0, buf, k->size, CHUNK, &sw);
    int more = -1;
    if (rc == (int)k->size && k->size < UCB_UICC_MAX_FILE) {
        more = ucb_uicc_read_binary(a, k->size, &probe, 1, 1, &sw);
    }
    a->channel = saved;
    a->trace_secret_data = saved_secret;
    if (UCB_ERR_IS_TRANSPORT(rc) || UCB_ERR_IS_TRANSPORT(more)) {
        ucb_card_keep_close(a, o, k, false);
        if (buf != NULL && k->size > 0u) {
            wipe(buf, k->size <= cap ? k->size : cap);
        }
        return (rc == UCB_ERR_CARD_REMOVED || more == UCB_ERR_CARD_REMOVED) ? UCB_ERR_CARD_REMOVED
                                                                            : 0;
    }
    if (rc != (int)k->size || (k->size < UCB_UICC_MAX_FILE && !(more < 0 && sw == 0x6B00u))) {
        /* the file changed size, the channel or session is gone: walk again */
        ucb_card_keep_close(a, o, k, true);
        return 0;
    }
    *out = k->info;
    out->size = k->size;
    ucb_sha256(buf, k->size, out->sha256);
    out->n_commands = a->n_commands - n0;
    out->step = UCB_STEP_DONE;
    return 1;
}

int ucb_card_read_kept(struct ucb_apdu *a, const struct ucb_card_opts *opts,
                       struct ucb_card_keep *k, uint8_t *buf, size_t cap,
                       struct ucb_card_info *out)
{
    struct ucb_card_info scratch;

    if (out == NULL) {
        out = &scratch;
    }
    if (a == NULL || k == NULL || (buf == NULL && cap > 0u)) {
        memset(out, 0, sizeof *out);
        return UCB_ERR_ARG;
    }
    if (opts == NULL) {
        opts = &no_opts;
    }
    if (k->open) {
        const uint32_t n0 = a->n_commands;
        const int fast = kept_fast(a, opts, k, buf, cap, out);
        if (fast == 1) {
            return (int)out->size;
        }
        if (fast < 0) {
            memset(out, 0, sizeof *out);
            out->n_commands = a->n_commands - n0;
            return fast;
        }
    }
    int rc = read_walk(a, opts, buf, cap, out, k);
    if (rc == UCB_ERR_CARD_REINSERTED || rc == UCB_ERR_CARD_RESET) {
        /* The transport saw the card go and come back (or reset) since the
         * last command and has reconnected: walk whatever card it is now,
         * once, so a caller need not poll card_event before a check. */
        rc = read_walk(a, opts, buf, cap, out, k);
    }
    return rc;
}

/* ---- write ---- */

static int write_file(struct walk *w, const uint8_t *data, size_t len, bool pad_ff)
{
    struct ucb_card_info *out = w->out;
    struct ucb_sha256_ctx h;
    uint16_t sw = 0;
    size_t total = len;
    int rc;

    out->step = UCB_STEP_WRITE_FILE;
    w->a->trace_secret_data = true; /* the file holds PSKs */
    if ((w->ef.has & UCB_FCP_HAS_SIZE) != 0u) {
        if (len > w->ef.size) {
            return UCB_ERR_TOO_LARGE;
        }
        if (pad_ff) {
            total = w->ef.size > UCB_UICC_MAX_FILE ? UCB_UICC_MAX_FILE : w->ef.size;
        }
    }
    rc = cmd(w, ucb_uicc_update_binary(w->a, 0, data, len, &sw), &sw);
    if (pin_cures(w, &rc)) {
        out->step = UCB_STEP_WRITE_FILE;
        rc = cmd(w, ucb_uicc_update_binary(w->a, 0, data, len, &sw), &sw);
    }
    if (rc < 0) {
        return rc;
    }
    memset(w->work, 0xFF, CHUNK);
    for (size_t off = len; off < total;) {
        const size_t n = total - off < CHUNK ? total - off : CHUNK;
        rc = cmd(w, ucb_uicc_update_binary(w->a, (uint32_t)off, w->work, n, &sw), &sw);
        if (rc < 0) {
            return rc;
        }
        off += n;
    }

    /* Read back what the card now holds and compare, a chunk at a time. */
    out->step = UCB_STEP_VERIFY_FILE;
    ucb_sha256_init(&h);
    for (size_t off = 0; off < total;) {
        const size_t n = total - off < CHUNK ? total - off : CHUNK;
        rc = cmd(w, ucb_uicc_read_binary(w->a, (uint32_t)off, w->work, n, CHUNK, &sw), &sw);
        if (rc >= 0 && (size_t)rc != n) {
            rc = UCB_ERR_CARD_RESPONSE;
        }
        for (size_t i = 0; rc >= 0 && i < n; i++) {
            const uint8_t want = off + i < len ? data[off + i] : 0xFFu;
            if (w->work[i] != want) {
                rc = UCB_ERR_CARD_RESPONSE;
            }
        }
        if (rc < 0) {
            wipe(&h, sizeof h);
            return rc;
        }
        ucb_sha256_update(&h, w->work, n);
        off += n;
    }
    ucb_sha256_final(&h, out->sha256);
    out->size = total;
    return 0;
}

int ucb_card_write_bootstrap(struct ucb_apdu *a, const struct ucb_card_opts *opts,
                             const uint8_t *data, size_t len, bool pad_ff,
                             struct ucb_card_info *out)
{
    struct ucb_card_info scratch;
    struct walk w;

    if (out == NULL) {
        out = &scratch;
    }
    if (a == NULL) {
        memset(out, 0, sizeof *out);
        return UCB_ERR_ARG;
    }
    int rc = begin(&w, a, opts, out);
    if (rc == 0 && data == NULL && len > 0u) {
        rc = UCB_ERR_ARG;
    }
    if (rc == 0 && len > UCB_UICC_MAX_FILE) {
        rc = UCB_ERR_TOO_LARGE;
    }
    if (rc < 0) {
        out->n_commands = 0;
        return rc;
    }
    rc = locate(&w);
    if (rc >= 0) {
        rc = write_file(&w, data, len, pad_ff);
    }
    rc = finish(&w, rc);
    return rc < 0 ? rc : 0;
}

const char *ucb_card_step_name(enum ucb_card_step step)
{
#if UCB_CONFIG_TEXT
    switch (step) {
    case UCB_STEP_NONE: return "before any card command";
    case UCB_STEP_ICCID: return "reading EF ICCID";
    case UCB_STEP_EF_DIR: return "reading EF.DIR";
    case UCB_STEP_OPEN_CHANNEL: return "opening a logical channel";
    case UCB_STEP_SELECT_ADF: return "SELECT of the PKCS#15 application";
    case UCB_STEP_ODF: return "reading EF(ODF)";
    case UCB_STEP_DODF: return "reading EF(DODF)";
    case UCB_STEP_PIN: return "PIN verification";
    case UCB_STEP_SELECT_FILE: return "SELECT of the bootstrap EF";
    case UCB_STEP_READ_FILE: return "reading the bootstrap EF";
    case UCB_STEP_WRITE_FILE: return "writing the bootstrap EF";
    case UCB_STEP_VERIFY_FILE: return "reading back the bootstrap EF";
    case UCB_STEP_CLOSE_CHANNEL: return "closing the logical channel";
    case UCB_STEP_SECURE_CHANNEL: return "opening the SCP03 secure channel";
    case UCB_STEP_DONE: return "done";
    }
    return "unknown step";
#else
    (void)step;
    return "";
#endif
}
