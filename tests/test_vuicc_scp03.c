/*
 * Virtual UICC, card side of GlobalPlatform SCP03 (LwM2M Core Appendix H,
 * GP Card Spec Amendment D; host-tools/simcard/vuicc_scp03.c).
 *
 * The acceptance criteria are the published known-answer vectors of
 * spec-notes 3.4, replayed from the card's side: the card gets the vector's
 * key set, sequence counter and card challenge, and must answer the
 * vector's INITIALIZE UPDATE with the vector's response byte for byte,
 * accept its EXTERNAL AUTHENTICATE, unwrap its GET EID and answer with the
 * vector's wrapped response (R-MAC, R-ENC) byte for byte, then unwrap the
 * four case 1-4 commands (MAC chain and counter carried over) to the plain
 * commands of the vector. Vectors: osmocom/pysim
 * tests/unittests/test_globalplatform.py (AES-128/192/256 at levels 11, 03
 * and 33) and suma12/asterix SCP03.py (pseudo-random card challenge).
 *
 * The rest of the behaviour (level enforcement, session ends, the
 * scp03_required file, T=0, key files, hostile wrapped APDUs) is driven by a
 * small host written here on Mbed TLS; it proves itself on the same vectors
 * first (test_host_reproduces_the_pysim_vectors).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mbedtls/aes.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>

#include "test_util.h"
#include "vuicc.h"

#ifndef UCB_SOURCE_ROOT
#define UCB_SOURCE_ROOT "."
#endif

#define NORDIC_FILE "fixtures/bootstrap/valid-nordic-example-padded.bin"
#define LARGE_FILE "fixtures/bootstrap/valid-security-modes.bin" /* 2275 bytes */
#define AID_P15 "A000000063504B43532D3135"
#define AID_USIM "A0000000871002FF33FF018900000100"
#define SELECT_P15 "00A4040C0C" AID_P15
#define EID_PLAIN "bf3e125a1089882119900000000000000000000005"

static uint8_t *g_file;
static size_t g_file_len;

static int group_setup(void **state)
{
    (void)state;
    g_file = test_read_file(NORDIC_FILE, &g_file_len);
    return g_file_len == 60 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    free(g_file);
    return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static void print_hex(const char *what, const uint8_t *b, int n)
{
    fprintf(stderr, "%s (%d):", what, n);
    for (int i = 0; i < n; i++) fprintf(stderr, " %02X", b[i]);
    fprintf(stderr, "\n");
}

/* Send @p cmd_hex; the R-APDU must be exactly @p resp_hex. */
static void xchg_at(struct vuicc *c, const char *cmd_hex, const char *resp_hex, const char *file,
                    int line)
{
    uint8_t cmd[400], want[400], got[400];
    size_t n = test_hex(cmd_hex, cmd, sizeof cmd);
    size_t wn = test_hex(resp_hex, want, sizeof want);
    int r = vuicc_process(c, cmd, n, got, sizeof got);
    if (r != (int)wn || memcmp(got, want, wn) != 0) {
        print_hex("command", cmd, (int)n);
        print_hex("expected", want, (int)wn);
        print_hex("got", got, r);
        _fail(file, line);
    }
}
#define XCHG(c, cmd, resp) xchg_at((c), (cmd), (resp), __FILE__, __LINE__)

/* The status word of the answer to @p cmd_hex (the data is not checked). */
static unsigned sw_of(struct vuicc *c, const char *cmd_hex)
{
    uint8_t cmd[400], got[400];
    size_t n = test_hex(cmd_hex, cmd, sizeof cmd);
    int r = vuicc_process(c, cmd, n, got, sizeof got);
    assert_true(r >= 2);
    return (unsigned)(got[r - 2] << 8 | got[r - 1]);
}

static struct vuicc_scp03_keys key_file(const char *name)
{
    char path[4096], err[512] = "";
    struct vuicc_scp03_keys k;
    memset(&k, 0, sizeof k);
    snprintf(path, sizeof path, "%s/fixtures/cards/%s.json", UCB_SOURCE_ROOT, name);
    if (vuicc_scp03_keys_load(&k, path, err, sizeof err) != 0) fail_msg("%s", err);
    return k;
}

static struct vuicc_profile profile_with(const char *keys)
{
    struct vuicc_profile p;
    vuicc_profile_default(&p);
    if (keys) p.scp03 = key_file(keys);
    return p;
}

static struct vuicc *card_with(const struct vuicc_profile *p)
{
    char err[512] = "";
    struct vuicc *c = vuicc_new(p, g_file, g_file_len, err, sizeof err);
    if (!c) fail_msg("vuicc_new: %s", err);
    return c;
}

static const uint8_t eid[] = {0xbf, 0x3e, 0x12, 0x5a, 0x10, 0x89, 0x88, 0x21, 0x19, 0x90, 0x00,
                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05};

/* A card with the key file @p keys, GET EID, and the PKCS#15 application
 * selected on the basic channel. */
static struct vuicc *sd_card(const char *keys)
{
    struct vuicc_profile p = profile_with(keys);
    struct vuicc *c = card_with(&p);
    vuicc_scp03_set_eid(c, eid, sizeof eid);
    XCHG(c, SELECT_P15, "9000");
    return c;
}

/* ---- the published vectors ----------------------------------------------- */

/* Plain forms of the vector commands, without Le (the card caps Le). */
#define EID_CMD_PLAIN "80E2910006BF3E035C015A"
#define C1_PLAIN "80F22002"
#define C2_PLAIN "80ca0066"
#define C3_PLAIN "80F220020a4f0212345c054f9f70c5"
#define C4_PLAIN "80f28002024f00"

struct vector {
    const char *name, *keys;
    uint8_t level;
    const char *iu, *iur, *ea, *eid, *rsp, *c1, *c2, *c3, *c4;
};

/* osmocom/pysim tests/unittests/test_globalplatform.py (spec-notes 3.4 a). */
static const struct vector pysim[] = {
    {"AES-128 SL 11", "scp03-aes128", 0x11, "8050300008b13e5f938fc108c400",
     "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
     "84821100107d5f5826a993ebc89eea24957fa0b3ce", "84e291000ebf3e035c015a558d036518a2829700",
     "bf3e125a1089882119900000000000000000000005971be68992dbbdfa", "84f220020863a63f8959827fb2",
     "84ca006608a0c6a4a74166f7ce00", "84f22002124f0212345c054f9f70c52249b50272656536",
     "84f280020a4f00e91443f6dce6b8ed00"},
    {"AES-128 SL 03", "scp03-aes128", 0x03, "80503000088e1552d0513c60f300",
     "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
     "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
     "84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00", EID_PLAIN,
     "84f2200208c9811b11f1264cf1", "84ca006608e10ab60b3054798800",
     "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
     "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800"},
    {"AES-128 SL 33", "scp03-aes128", 0x33, "8050300008fdf38259a1e0de4400",
     "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
     "84823300108c36f96bcc00724a4e13ad591d7da3f0",
     "84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
     "f3ba2b1013aa6224f5e1c138d71805c569e5439b47576260b75fc021b25097cb2e68f8a0144975b9",
     "84f2200208ac6a59024bed84cc", "84ca006608409912ad8fb7aed000",
     "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
     "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00"},
    {"AES-192 SL 11", "scp03-aes192", 0x11, "80503100087396430b768b085b00",
     "000000000000000000003103708cfc23522ffdbf1e5df5542cac8fd866000003",
     "84821100102145ed30b146f5db252fb7e624cec244", "84e291000ebf3e035c015aff42cf801d14394400",
     "bf3e125a1089882119900000000000000000000005162fbd33e04940a9", "84f22002084584e4f6784811ee",
     "84ca006608937776ebe190fa3000", "84f22002124f0212345c054f9f70c59a52bddf3040368c",
     "84f280020a4f009804b11411f7393d00"},
    {"AES-192 SL 03", "scp03-aes192", 0x03, "805031000869c65da8202bf19f00",
     "00000000000000000000310370b570a67be38446717729d6dd3d2ec5b1000001",
     "848203001065df4f1a356a887905466516d9e5b7c1",
     "84e2910018d2c6fb477c5d4afe4fd4d21f17eff10d3578ec1774a12a2d00", EID_PLAIN,
     "84f2200208964e188f0b1bb697", "84ca006608f0820035a41d3e1800",
     "84f220021806b076ed452cd1fa84f77f5c08a146aa77a9286757dea791",
     "84f2800218d06527e39222dce091fabdb8e9b898417a67a6852d3577db00"},
    {"AES-192 SL 33", "scp03-aes192", 0x33, "80503100089b3f2eef0e8c937400",
     "00000000000000000000310370f6bb305a15bae1a68f79fb08212fbed7000002",
     "84823300109100bc22d58b45b86a26365ce39ff3cf",
     "84e29100188f7f946c84f70d17994bc6e8791251bb1bb1bf02cf8de58900",
     "c05176c1b6f72aae50c32cbee63b0e95998928fd4dfb2be9f27ffde8c8476f5909b4805cc4039599",
     "84f2200208d5d97754b6b3d2ba", "84ca006608516c82b8e30adbeb00",
     "84f2200218cc247f4761e6944277a4e0d6e32e44025b1e31537e2fc668",
     "84f2800218ba22b63d509bef5d093b43e5eaed03ed23144ab2d9cb51de00"},
    {"AES-256 SL 11", "scp03-aes256", 0x11, "805032000811666d57866c6f5400",
     "0000000000000000000032037053ea8847efa7674e41498a4d66cf0dee000003",
     "84821100102f2ad190eff2fafc4908996d1cebd310", "84e291000ebf3e035c015af4b680372542b59d00",
     "bf3e125a10898821199000000000000000000000058012dd7f01f1c4c1", "84f2200208d618b7da68d5fe52",
     "84ca0066088f3e055db23ad5e500", "84f22002124f0212345c054f9f70c5b6e15cc42404915e",
     "84f280020a4f00aa124aa74afe7f7500"},
    {"AES-256 SL 03", "scp03-aes256", 0x03, "8050320008c6066990fc426e1d00",
     "000000000000000000003203708682cd81bbd8919f2de3f2664581f118000001",
     "848203001077c493b632edadaf865a1e64acc07ce9",
     "84e29100183ddaa60594963befaada3525b492ede23c2ab2c1ce3afe4400", EID_PLAIN,
     "84f2200208480ddc8e419da38d", "84ca0066083e9d6a6c0b2d732000",
     "84f22002183ebfef2da8b04af2a85f491f299b76973df76ff08a4031be",
     "84f2800218783fff80990f5585b1055010ea95094a26e4a8f1ef4b18e100"},
    {"AES-256 SL 33", "scp03-aes256", 0x33, "805032000897b2055fe58599fd00",
     "00000000000000000000320370a8439a22cedf045fa9f1903b2834f26e000002",
     "8482330010508a0fd959d2e547c6b33154a6be2057",
     "84e29100187a5ef717eaf1e135ae92fe54429d0e465decda65f5fe5aea00",
     "ea90dbfa648a67c5eb6abc57f8530b97d0cd5647c5e8732016b55203b078dd2ace7f8bc5d1c1cd99",
     "84f2200208bcc5c17275545d93", "84ca00660804806aba9d543bb600",
     "84f2200218717222491556ec81a45f49ce48be33320024801a1c4cb0e0",
     "84f2800218561f105bccd3a1642904b251ccc1228beb80a82370a8637000"},
};
#define N_PYSIM (sizeof pysim / sizeof pysim[0])

/* Make the card's next INITIALIZE UPDATE use the vector's sequence counter
 * and card challenge (both are in the vector's response). */
static void inject(struct vuicc *c, const char *iur_hex)
{
    uint8_t iur[64];
    size_t n = test_hex(iur_hex, iur, sizeof iur);
    assert_true(n == 29 || n == 32);
    if (n == 32) vuicc_scp03_set_sequence(c, (uint32_t)(iur[29] << 16 | iur[30] << 8 | iur[31]));
    vuicc_scp03_set_card_challenge(c, iur + 13);
}

/* The Le the card executes a wrapped Le=00 with: what the level can wrap. */
static const char *le_for(uint8_t level)
{
    if (level & 0x20) return "EF"; /* 239: R-ENC padding and R-MAC fit in 256 */
    if (level & 0x10) return "F8"; /* 248: R-MAC fits */
    return "00";
}

static void last_command_is_at(struct vuicc *c, const char *plain, const char *le,
                               const char *name, const char *file, int line)
{
    char hex[600];
    uint8_t want[300], got[300];
    snprintf(hex, sizeof hex, "%s%s", plain, le ? le : "");
    size_t wn = test_hex(hex, want, sizeof want);
    size_t gn = vuicc_scp03_last_command(c, got, sizeof got);
    if (gn != wn || memcmp(got, want, wn) != 0) {
        fprintf(stderr, "%s: unwrapped command\n", name);
        print_hex("expected", want, (int)wn);
        print_hex("got", got, (int)gn);
        _fail(file, line);
    }
}
#define LAST_COMMAND_IS(c, plain, le, name) \
    last_command_is_at((c), (plain), (le), (name), __FILE__, __LINE__)

/* Replay one vector session on @p c (PKCS#15 selected on channel 0). */
static void replay(struct vuicc *c, const struct vector *v)
{
    char rsp[200];
    inject(c, v->iur);
    snprintf(rsp, sizeof rsp, "%s9000", v->iur);
    XCHG(c, v->iu, rsp);
    assert_int_equal(vuicc_scp03_level(c, 0), -1); /* not before EXTERNAL AUTHENTICATE */
    XCHG(c, v->ea, "9000");
    CHECK_EQ(v->name, vuicc_scp03_level(c, 0), v->level);
    snprintf(rsp, sizeof rsp, "%s9000", v->rsp);
    XCHG(c, v->eid, rsp);
    LAST_COMMAND_IS(c, EID_CMD_PLAIN, le_for(v->level), v->name);
    /* GET STATUS and GET DATA are not on this card: 6D00 after the C-MAC
     * verified (an error: no R-MAC), the chain and counter move on. */
    XCHG(c, v->c1, "6D00");
    LAST_COMMAND_IS(c, C1_PLAIN, NULL, v->name);
    XCHG(c, v->c2, "6D00");
    LAST_COMMAND_IS(c, C2_PLAIN, le_for(v->level), v->name);
    XCHG(c, v->c3, "6D00");
    LAST_COMMAND_IS(c, C3_PLAIN, NULL, v->name);
    XCHG(c, v->c4, "6D00");
    LAST_COMMAND_IS(c, C4_PLAIN, le_for(v->level), v->name);
    CHECK_EQ(v->name, vuicc_scp03_level(c, 0), v->level);
}

static void pysim_vectors_replay_byte_for_byte_on_the_card(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_PYSIM; i++) {
        struct vuicc *c = sd_card(pysim[i].keys);
        replay(c, &pysim[i]);
        vuicc_free(c);
    }
}

static void every_vector_session_runs_on_one_card_in_a_row(void **state)
{
    (void)state;
    /* A new INITIALIZE UPDATE ends the session before it: one card, three
     * sessions of the same key set back to back. */
    struct vuicc *c = sd_card("scp03-aes128");
    for (size_t i = 0; i < 3; i++) replay(c, &pysim[i]);
    vuicc_free(c);
}

static void the_session_of_each_logical_channel_is_its_own(void **state)
{
    (void)state;
    /* The C-MAC covers the CLA with the channel cleared, so the vector
     * commands with channel bits (81/85 for channel 1, C0/E0 for channel 4)
     * carry the same MACs. Channels 1 and 4 run sessions side by side. */
    struct vuicc *c = sd_card("scp03-aes128");
    for (int k = 1; k <= 4; k++) XCHG(c, "0070000001", k == 1 ? "019000" : k == 2 ? "029000"
                                                       : k == 3 ? "039000" : "049000");
    XCHG(c, "01A4040C0C" AID_P15, "9000");
    XCHG(c, "40A4040C0C" AID_P15, "9000");
    const struct vector *v = &pysim[0], *w = &pysim[2];
    char cmd[200], rsp[200];

    inject(c, v->iur);
    snprintf(cmd, sizeof cmd, "81%s", v->iu + 2);
    snprintf(rsp, sizeof rsp, "%s9000", v->iur);
    XCHG(c, cmd, rsp);
    snprintf(cmd, sizeof cmd, "85%s", v->ea + 2);
    XCHG(c, cmd, "9000");

    inject(c, w->iur);
    snprintf(cmd, sizeof cmd, "C0%s", w->iu + 2);
    snprintf(rsp, sizeof rsp, "%s9000", w->iur);
    XCHG(c, cmd, rsp);
    snprintf(cmd, sizeof cmd, "E0%s", w->ea + 2);
    XCHG(c, cmd, "9000");
    assert_int_equal(vuicc_scp03_level(c, 1), 0x11);
    assert_int_equal(vuicc_scp03_level(c, 4), 0x33);
    assert_int_equal(vuicc_scp03_level(c, 0), -1);

    snprintf(cmd, sizeof cmd, "E0%s", w->eid + 2);
    snprintf(rsp, sizeof rsp, "%s9000", w->rsp);
    XCHG(c, cmd, rsp);
    snprintf(cmd, sizeof cmd, "85%s", v->eid + 2);
    snprintf(rsp, sizeof rsp, "%s9000", v->rsp);
    XCHG(c, cmd, rsp);
    /* The basic channel has no session: plain commands as always. */
    XCHG(c, "00A4000C023F00", "9000");

    /* Closing channel 1 ends its session, not channel 4's. */
    XCHG(c, "00708001", "9000");
    assert_int_equal(vuicc_scp03_level(c, 1), -1);
    assert_int_equal(vuicc_scp03_level(c, 4), 0x33);
    snprintf(cmd, sizeof cmd, "E0%s", w->c1 + 2);
    XCHG(c, cmd, "6D00");
    /* Reopened, channel 1 starts without a session. */
    XCHG(c, "0070000001", "019000");
    snprintf(cmd, sizeof cmd, "85%s", v->eid + 2);
    XCHG(c, cmd, "6982");
    vuicc_free(c);
}

static void asterix_pseudo_random_challenge_is_byte_exact(void **state)
{
    (void)state;
    /* suma12/asterix SCP03.py (spec-notes 3.4 b): the card challenge is
     * KDF(Key-ENC, 02, 64, 00002A || A000000018434D08090A0B0C000000), not
     * injected. The profile has the key set inline. */
    struct vuicc_profile p;
    char path[4096], err[512] = "";
    vuicc_profile_default(&p);
    snprintf(path, sizeof path, "%s/fixtures/cards/scp03-pseudo-random.json", UCB_SOURCE_ROOT);
    if (vuicc_profile_load(&p, path, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(p.scp03.sequence, 0x2A);
    struct vuicc *c = card_with(&p);
    XCHG(c, "00A4040C0F A000000018434D08090A0B0C000000", "9000");
#define ASTERIX_IUR "000050C7606A8CF64800300370A3F5F144D19BE66E72BFCBDF4A14515F00002A"
    XCHG(c, "80503000080807060504030201", ASTERIX_IUR "9000"); /* case 3, as in the source */
    assert_int_equal(vuicc_scp03_sequence(c), 0x2B);
    XCHG(c, "8482010010AEB8DAD1865B85E249FC4CF184E61DCD", "9000");
    assert_int_equal(vuicc_scp03_level(c, 0), 0x01);

    /* The next challenge comes from counter 00002B. */
    uint8_t cmd[16], r[64];
    size_t n = test_hex("8050300008080706050403020100", cmd, sizeof cmd);
    assert_int_equal(vuicc_process(c, cmd, n, r, sizeof r), 34);
    assert_memory_not_equal(r + 13, "\xA3\xF5\xF1\x44\xD1\x9B\xE6\x6E", 8);
    assert_memory_equal(r + 29, "\x00\x00\x2B", 3);
    assert_int_equal(vuicc_scp03_level(c, 0), -1); /* the new IU ended the session */

    /* Counter back to 2A: the same challenge, then SL 03 and the wrapped
     * INSTALL [for install] of the vector, C-DECRYPTION with counter 1. */
    vuicc_scp03_set_sequence(c, 0x2A);
    XCHG(c, "8050300008080706050403020100", ASTERIX_IUR "9000");
    XCHG(c, "8482030010AEB8DAD1865B85E258959C22A57FE961", "9000");
    XCHG(c,
         "84E6020028DF31907FC027482D5DCB7DC028245F7C108CA4D2AFF12275079768E1EFE9429E840C2C64"
         "2490B205",
         "6D00");
    LAST_COMMAND_IS(c, "80E60200150A45786572636973655236000006EF04C602068200", NULL, "asterix");
    assert_int_equal(vuicc_scp03_level(c, 0), 0x03);
    vuicc_free(c);
}

/* The card challenge of the next INITIALIZE UPDATE (8050300008 + host challenge). */
static void challenge_of(struct vuicc *c, uint8_t out[8])
{
    uint8_t cmd[16], r[64];
    size_t n = test_hex("8050300008b13e5f938fc108c400", cmd, sizeof cmd);
    assert_int_equal(vuicc_process(c, cmd, n, r, sizeof r), 34);
    memcpy(out, r + 13, 8);
}

static void pseudo_random_challenge_follows_counter_and_aid(void **state)
{
    (void)state;
    /* Amd D 6.2.2.1: KDF(Key-ENC, 02, 64, counter || SD AID): the same
     * counter gives the same challenge, another counter or AID another. */
    uint8_t a[8], b[8], d[8];
    struct vuicc *c = sd_card("scp03-aes128");
    vuicc_scp03_set_sequence(c, 2);
    challenge_of(c, a);
    assert_int_equal(vuicc_scp03_sequence(c), 3);
    challenge_of(c, b);
    vuicc_scp03_set_sequence(c, 2);
    challenge_of(c, d);
    assert_memory_equal(a, d, 8);
    assert_memory_not_equal(a, b, 8);
    vuicc_free(c);

    struct vuicc_profile p = profile_with("scp03-aes128");
    p.aid[p.aid_len - 1] ^= 0x01;
    c = card_with(&p);
    uint8_t sel[64], r[8];
    char hex[64];
    snprintf(hex, sizeof hex, "00A4040C0C" AID_P15);
    size_t n = test_hex(hex, sel, sizeof sel);
    sel[n - 1] ^= 0x01;
    assert_int_equal(vuicc_process(c, sel, n, r, sizeof r), 2);
    vuicc_scp03_set_sequence(c, 2);
    challenge_of(c, d);
    assert_memory_not_equal(a, d, 8);
    vuicc_free(c);

    /* The counter is 3 bytes: once used up, no more sessions (6985). */
    c = sd_card("scp03-aes128");
    vuicc_scp03_set_sequence(c, 0xFFFFFF);
    challenge_of(c, a);
    XCHG(c, "8050300008b13e5f938fc108c400", "6985");
    vuicc_free(c);
}

static void random_challenges_differ_and_carry_no_counter(void **state)
{
    (void)state;
    struct vuicc_profile p = profile_with("scp03-aes128");
    p.scp03.i_param = 0x60; /* random challenge, R-MAC and R-ENC */
    struct vuicc *c = card_with(&p);
    XCHG(c, SELECT_P15, "9000");
    uint8_t cmd[16], r1[64], r2[64];
    size_t n = test_hex("8050000008b13e5f938fc108c400", cmd, sizeof cmd); /* P1 00: first key set */
    assert_int_equal(vuicc_process(c, cmd, n, r1, sizeof r1), 31);
    assert_int_equal(vuicc_process(c, cmd, n, r2, sizeof r2), 31);
    assert_memory_equal(r1 + 10, "\x30\x03\x60", 3);
    assert_memory_not_equal(r1 + 13, r2 + 13, 8);
    assert_int_equal(vuicc_scp03_sequence(c), 0);
    vuicc_free(c);
}

/* ---- a small host, on Mbed TLS ------------------------------------------- */

static void t_cmac(const uint8_t *key, size_t klen, const uint8_t *in, size_t n, uint8_t out[16])
{
    const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(
        klen == 16 ? MBEDTLS_CIPHER_AES_128_ECB
                   : klen == 24 ? MBEDTLS_CIPHER_AES_192_ECB : MBEDTLS_CIPHER_AES_256_ECB);
    assert_int_equal(mbedtls_cipher_cmac(info, key, klen * 8, in, n, out), 0);
}

static void t_aes(const uint8_t *key, size_t klen, int mode, const uint8_t *iv_in, uint8_t *buf,
                  size_t n)
{
    mbedtls_aes_context a;
    uint8_t iv[16];
    mbedtls_aes_init(&a);
    if (mode == MBEDTLS_AES_DECRYPT)
        assert_int_equal(mbedtls_aes_setkey_dec(&a, key, (unsigned)klen * 8), 0);
    else
        assert_int_equal(mbedtls_aes_setkey_enc(&a, key, (unsigned)klen * 8), 0);
    if (iv_in) {
        memcpy(iv, iv_in, 16);
        assert_int_equal(mbedtls_aes_crypt_cbc(&a, mode, n, iv, buf, buf), 0);
    } else {
        assert_int_equal(mbedtls_aes_crypt_ecb(&a, MBEDTLS_AES_ENCRYPT, buf, buf), 0);
    }
    mbedtls_aes_free(&a);
}

/* Amd D 4.1.5 KDF (spec-notes 3.2). */
static void t_kdf(const uint8_t *key, size_t klen, uint8_t dc, const uint8_t *ctx, size_t ctxlen,
                  uint8_t *out, size_t outlen)
{
    uint8_t in[64], block[16];
    memset(in, 0, 16);
    in[11] = dc;
    in[13] = (uint8_t)((outlen * 8) >> 8);
    in[14] = (uint8_t)(outlen * 8);
    memcpy(in + 16, ctx, ctxlen);
    for (size_t done = 0, i = 1; done < outlen; i++, done += 16) {
        in[15] = (uint8_t)i;
        t_cmac(key, klen, in, 16 + ctxlen, block);
        memcpy(out + done, block, outlen - done < 16 ? outlen - done : 16);
    }
}

struct host {
    struct vuicc *c;
    unsigned chan;
    size_t klen;
    uint8_t s_enc[32], s_mac[32], s_rmac[32], chain[16];
    uint32_t counter;
    uint8_t level;
    uint8_t sent[300];   /* the last C-APDU sent (before any GET RESPONSE) */
    size_t sent_len;
};

/* CLA of a channel-0 form CLA (00/04/80/84) on channel @p ch. */
static uint8_t cla_on(uint8_t cla0, unsigned ch)
{
    if (ch < 4) return (uint8_t)(cla0 | ch);
    return (uint8_t)((cla0 & 0x80 ? 0xC0 : 0x40) | (cla0 & 0x04 ? 0x20 : 0) | (ch - 4));
}

/* Send raw bytes; T=0 61xx is answered with plain GET RESPONSE. */
static unsigned raw(struct vuicc *c, unsigned ch, const uint8_t *cmd, size_t n, uint8_t *out,
                    size_t *out_len)
{
    uint8_t r[300];
    int got = vuicc_process(c, cmd, n, r, sizeof r);
    assert_true(got >= 2);
    size_t len = (size_t)got - 2;
    unsigned sw = (unsigned)(r[len] << 8 | r[len + 1]);
    memcpy(out, r, len);
    *out_len = len;
    while ((sw >> 8) == 0x61) {
        uint8_t gr[5] = {cla_on(0x00, ch), 0xC0, 0x00, 0x00, (uint8_t)sw};
        got = vuicc_process(c, gr, 5, r, sizeof r);
        assert_true(got >= 2);
        size_t m = (size_t)got - 2;
        memcpy(out + *out_len, r, m);
        *out_len += m;
        sw = (unsigned)(r[m] << 8 | r[m + 1]);
    }
    return sw;
}

/* INITIALIZE UPDATE (checking the card cryptogram) and EXTERNAL
 * AUTHENTICATE; returns the status word of the last one sent. */
static unsigned host_open_with(struct host *h, struct vuicc *c, unsigned ch,
                               const struct vuicc_scp03_keys *k, uint8_t level,
                               const uint8_t *host_ch)
{
    static uint8_t seed = 1;
    uint8_t cmd[32], r[300], ctx[16], cg[8], host_cg[8], in[16 + 5 + 8], mac[16];
    size_t n;
    memset(h, 0, sizeof *h);
    h->c = c;
    h->chan = ch;
    h->klen = k->len;
    h->level = level;
    cmd[0] = cla_on(0x80, ch);
    cmd[1] = 0x50;
    cmd[2] = k->kvn;
    cmd[3] = 0x00;
    cmd[4] = 0x08;
    for (int i = 0; i < 8; i++)
        cmd[5 + i] = ctx[i] = host_ch ? host_ch[i] : (uint8_t)(seed * 31u + (unsigned)i);
    seed++;
    cmd[13] = 0x00;
    unsigned sw = raw(c, ch, cmd, 14, r, &n);
    if (sw != 0x9000) return sw;
    assert_true(n == 29 || n == 32);
    memcpy(ctx + 8, r + 13, 8);
    t_kdf(k->enc, k->len, 0x04, ctx, 16, h->s_enc, k->len);
    t_kdf(k->mac, k->len, 0x06, ctx, 16, h->s_mac, k->len);
    t_kdf(k->mac, k->len, 0x07, ctx, 16, h->s_rmac, k->len);
    t_kdf(h->s_mac, k->len, 0x00, ctx, 16, cg, 8);
    assert_memory_equal(cg, r + 21, 8); /* card cryptogram */
    t_kdf(h->s_mac, k->len, 0x01, ctx, 16, host_cg, 8);
    memset(in, 0, 16);
    memcpy(in + 16, "\x84\x82", 2);
    in[18] = level;
    in[19] = 0x00;
    in[20] = 0x10;
    memcpy(in + 21, host_cg, 8);
    t_cmac(h->s_mac, k->len, in, sizeof in, mac);
    memcpy(h->chain, mac, 16);
    cmd[0] = cla_on(0x84, ch);
    memcpy(cmd + 1, "\x82", 1);
    cmd[2] = level;
    cmd[3] = 0x00;
    cmd[4] = 0x10;
    memcpy(cmd + 5, host_cg, 8);
    memcpy(cmd + 13, mac, 8);
    memcpy(h->sent, cmd, 21);
    h->sent_len = 21;
    return raw(c, ch, cmd, 21, r, &n);
}

static unsigned host_open(struct host *h, struct vuicc *c, unsigned ch,
                          const struct vuicc_scp03_keys *k, uint8_t level)
{
    return host_open_with(h, c, ch, k, level, NULL);
}

/*
 * Wrap the plain command @p plain_hex (channel-0 CLA), send it on the
 * session's channel, verify the R-MAC and decrypt. Returns the status word;
 * the plain response data in @p out / @p out_len. Fails the test when a
 * 9000/62xx/63xx response under R-MAC does not verify, or an error status
 * word under R-MAC comes with data.
 */
static unsigned host_xchg(struct host *h, const char *plain_hex, uint8_t *out, size_t *out_len)
{
    uint8_t p[300], cmd[300], data[300], in[400], mac[16], iv[16], r[600];
    size_t pn = test_hex(plain_hex, p, sizeof p), dn = 0, rn;
    bool has_le = false;
    assert_true(pn >= 4);
    if (pn == 5) {
        has_le = true;
    } else if (pn > 5) {
        dn = p[4];
        assert_true(pn == 5 + dn || pn == 6 + dn);
        has_le = pn == 6 + dn;
        memcpy(data, p + 5, dn);
    }
    h->counter++;
    if ((h->level & 0x02) && dn > 0) {
        data[dn++] = 0x80;
        while (dn % 16) data[dn++] = 0x00;
        memset(iv, 0, 16);
        iv[12] = (uint8_t)(h->counter >> 24);
        iv[13] = (uint8_t)(h->counter >> 16);
        iv[14] = (uint8_t)(h->counter >> 8);
        iv[15] = (uint8_t)h->counter;
        t_aes(h->s_enc, h->klen, MBEDTLS_AES_ENCRYPT, NULL, iv, 16);
        t_aes(h->s_enc, h->klen, MBEDTLS_AES_ENCRYPT, iv, data, dn);
    }
    memcpy(in, h->chain, 16);
    in[16] = (uint8_t)((p[0] & 0xF0) | 0x04);
    memcpy(in + 17, p + 1, 3);
    in[20] = (uint8_t)(dn + 8);
    memcpy(in + 21, data, dn);
    t_cmac(h->s_mac, h->klen, in, 21 + dn, mac);
    memcpy(h->chain, mac, 16);
    size_t n = 0;
    cmd[n++] = cla_on((uint8_t)((p[0] & 0xF0) | 0x04), h->chan);
    memcpy(cmd + n, p + 1, 3);
    n += 3;
    cmd[n++] = (uint8_t)(dn + 8);
    memcpy(cmd + n, data, dn);
    n += dn;
    memcpy(cmd + n, mac, 8);
    n += 8;
    if (has_le) cmd[n++] = p[pn - 1]; /* the plain Le: the card caps it to what fits */
    memcpy(h->sent, cmd, n);
    h->sent_len = n;
    unsigned sw = raw(h->c, h->chan, cmd, n, r, &rn);
    bool ok_sw = sw == 0x9000 || (sw >> 8) == 0x62 || (sw >> 8) == 0x63;
    if ((h->level & 0x10) && ok_sw) {
        assert_true(rn >= 8);
        rn -= 8;
        memcpy(in, h->chain, 16);
        memcpy(in + 16, r, rn);
        in[16 + rn] = (uint8_t)(sw >> 8);
        in[17 + rn] = (uint8_t)sw;
        t_cmac(h->s_rmac, h->klen, in, 18 + rn, mac);
        assert_memory_equal(mac, r + rn, 8); /* R-MAC */
        if ((h->level & 0x20) && rn > 0) {
            assert_true(rn % 16 == 0);
            memset(iv, 0, 16);
            iv[0] = 0x80;
            iv[12] = (uint8_t)(h->counter >> 24);
            iv[13] = (uint8_t)(h->counter >> 16);
            iv[14] = (uint8_t)(h->counter >> 8);
            iv[15] = (uint8_t)h->counter;
            t_aes(h->s_enc, h->klen, MBEDTLS_AES_ENCRYPT, NULL, iv, 16);
            t_aes(h->s_enc, h->klen, MBEDTLS_AES_DECRYPT, iv, r, rn);
            while (rn > 0 && r[rn - 1] == 0x00) rn--;
            assert_true(rn > 0 && r[rn - 1] == 0x80);
            rn--;
        }
    } else if (h->level & 0x10) {
        assert_int_equal(rn, 0); /* error status words come bare */
    }
    if (out) memcpy(out, r, rn);
    if (out_len) *out_len = rn;
    return sw;
}

static void test_host_reproduces_the_pysim_vectors(void **state)
{
    (void)state;
    /* The host of these tests, given the vector's host challenge and the
     * card the vector's card challenge, sends the vector's EXTERNAL
     * AUTHENTICATE and wrapped commands byte for byte and reads the plain
     * EID back, so its other uses below can be trusted. */
    for (size_t i = 0; i < N_PYSIM; i++) {
        const struct vector *v = &pysim[i];
        struct vuicc_scp03_keys k = key_file(v->keys);
        struct vuicc *c = sd_card(v->keys);
        struct host h;
        uint8_t iu[16], want[64], got[300];
        size_t got_len;
        test_hex(v->iu, iu, sizeof iu);
        inject(c, v->iur);
        CHECK_EQ(v->name, host_open_with(&h, c, 0, &k, v->level, iu + 5), 0x9000);
        size_t wn = test_hex(v->ea, want, sizeof want);
        CHECK_EQ(v->name, h.sent_len, wn);
        assert_memory_equal(h.sent, want, wn);

        CHECK_EQ(v->name, host_xchg(&h, EID_CMD_PLAIN "00", got, &got_len), 0x9000);
        wn = test_hex(v->eid, want, sizeof want);
        CHECK_EQ(v->name, h.sent_len, wn);
        assert_memory_equal(h.sent, want, wn);
        wn = test_hex(EID_PLAIN, want, sizeof want);
        CHECK_EQ(v->name, got_len, wn);
        assert_memory_equal(got, want, wn);

        const char *cases[4][2] = {{C1_PLAIN, v->c1}, {C2_PLAIN "00", v->c2},
                                   {C3_PLAIN, v->c3}, {C4_PLAIN "00", v->c4}};
        for (size_t j = 0; j < 4; j++) {
            CHECK_EQ(v->name, host_xchg(&h, cases[j][0], got, &got_len), 0x6D00);
            wn = test_hex(cases[j][1], want, sizeof want);
            CHECK_EQ(v->name, h.sent_len, wn);
            assert_memory_equal(h.sent, want, wn);
        }
        vuicc_free(c);
    }
}

/* ---- level enforcement and the end of a session --------------------------- */

#define IUR33 "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003"

/* Card with the AES-128 key set and an SL 33 session from the vector. */
static struct vuicc *session33(void)
{
    struct vuicc *c = sd_card("scp03-aes128");
    inject(c, pysim[2].iur);
    XCHG(c, pysim[2].iu, IUR33 "9000");
    XCHG(c, pysim[2].ea, "9000");
    assert_int_equal(vuicc_scp03_level(c, 0), 0x33);
    return c;
}

static void a_plain_command_in_a_session_is_refused_and_ends_it(void **state)
{
    (void)state;
    struct vuicc *c = session33();
    XCHG(c, "00A4000C025031", "6982");
    assert_int_equal(vuicc_scp03_level(c, 0), -1);
    /* Without the session, plain commands work again (the file is not
     * scp03_required) and wrapped ones are refused. */
    XCHG(c, "00A4000C025031", "9000");
    XCHG(c, pysim[2].eid, "6982");
    vuicc_free(c);

    c = session33();
    XCHG(c, "80E2910006BF3E035C015A00", "6982"); /* plain proprietary */
    assert_int_equal(vuicc_scp03_level(c, 0), -1);
    vuicc_free(c);

    c = session33();
    XCHG(c, "0CA4000C025031", "6982"); /* ISO secure messaging, not SCP03's */
    assert_int_equal(vuicc_scp03_level(c, 0), -1);
    vuicc_free(c);
}

static void a_bad_c_mac_is_refused_and_ends_the_session(void **state)
{
    (void)state;
    for (size_t pos = 0; pos < 3; pos++) {
        struct vuicc *c = session33();
        uint8_t cmd[64], r[300];
        size_t n = test_hex(pysim[2].eid, cmd, sizeof cmd);
        /* A flipped bit in the MAC, in the encrypted data, in P1. */
        size_t at = pos == 0 ? n - 2 : pos == 1 ? 7 : 2;
        cmd[at] ^= 0x01;
        assert_int_equal(vuicc_process(c, cmd, n, r, sizeof r), 2);
        assert_int_equal(r[0] << 8 | r[1], 0x6982);
        assert_int_equal(vuicc_scp03_level(c, 0), -1);
        /* The right command now finds no session. */
        XCHG(c, pysim[2].eid, "6982");
        vuicc_free(c);
    }
    /* Replaying the previous command (an old MAC) fails too. */
    struct vuicc *c = session33();
    char rsp[200];
    snprintf(rsp, sizeof rsp, "%s9000", pysim[2].rsp);
    XCHG(c, pysim[2].eid, rsp);
    XCHG(c, pysim[2].eid, "6982");
    assert_int_equal(vuicc_scp03_level(c, 0), -1);
    vuicc_free(c);
}

static void a_wrong_host_cryptogram_gets_6300_and_no_session(void **state)
{
    (void)state;
    for (size_t pos = 0; pos < 2; pos++) {
        struct vuicc *c = sd_card("scp03-aes128");
        uint8_t cmd[32], r[8];
        inject(c, pysim[2].iur);
        XCHG(c, pysim[2].iu, IUR33 "9000");
        size_t n = test_hex(pysim[2].ea, cmd, sizeof cmd);
        cmd[pos == 0 ? 5 : 20] ^= 0x80; /* host cryptogram, then C-MAC */
        assert_int_equal(vuicc_process(c, cmd, n, r, sizeof r), 2);
        assert_int_equal(r[0] << 8 | r[1], 0x6300);
        assert_int_equal(vuicc_scp03_level(c, 0), -1);
        /* One INITIALIZE UPDATE, one try: the right one now is out of order. */
        XCHG(c, pysim[2].ea, "6985");
        XCHG(c, pysim[2].eid, "6982");
        vuicc_free(c);
    }
    /* Any other command between the two abandons the handshake. */
    struct vuicc *c = sd_card("scp03-aes128");
    inject(c, pysim[2].iur);
    XCHG(c, pysim[2].iu, IUR33 "9000");
    XCHG(c, "00A4000C025031", "9000");
    XCHG(c, pysim[2].ea, "6985");
    assert_int_equal(vuicc_scp03_level(c, 0), -1);
    /* EXTERNAL AUTHENTICATE with no INITIALIZE UPDATE at all. */
    XCHG(c, pysim[2].ea, "6985");
    vuicc_free(c);
}

static void levels_the_i_parameter_does_not_allow_are_refused(void **state)
{
    (void)state;
    static const struct {
        uint8_t i;
        size_t vector;   /* index into pysim[] (AES-128, SL 11, 03, 33) */
        unsigned sw;
    } v[] = {
        {0x70, 0, 0x9000}, {0x70, 1, 0x9000}, {0x70, 2, 0x9000},
        {0x60, 2, 0x9000}, /* random challenge, R-MAC and R-ENC */
        {0x30, 0, 0x9000}, {0x30, 2, 0x6A86}, /* R-MAC, no R-ENC */
        {0x20, 0, 0x9000}, {0x20, 2, 0x6A86},
        {0x10, 1, 0x9000}, {0x10, 0, 0x6A86}, {0x10, 2, 0x6A86}, /* neither */
        {0x00, 1, 0x9000}, {0x00, 0, 0x6A86},
    };
    for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
        struct vuicc_profile p = profile_with("scp03-aes128");
        p.scp03.i_param = v[j].i;
        struct vuicc *c = card_with(&p);
        XCHG(c, SELECT_P15, "9000");
        const struct vector *w = &pysim[v[j].vector];
        inject(c, w->iur);
        uint8_t cmd[16], r[64];
        size_t n = test_hex(w->iu, cmd, sizeof cmd);
        int got = vuicc_process(c, cmd, n, r, sizeof r);
        CHECK_EQ(w->name, got, (v[j].i & 0x10) ? 34 : 31);
        CHECK_EQ(w->name, r[12], v[j].i);
        unsigned sw = sw_of(c, w->ea);
        if (sw != v[j].sw) fail_msg("i=%02X %s: got %04X want %04X", v[j].i, w->name, sw, v[j].sw);
        CHECK_EQ(w->name, vuicc_scp03_level(c, 0), sw == 0x9000 ? w->level : -1);
        vuicc_free(c);
    }
    /* Levels outside 01, 03, 11, 13, 33 (00 included: docs/simcard.md). */
    static const char *const bad[] = {"00", "02", "10", "12", "20", "21", "23", "31", "80", "FF"};
    for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
        struct vuicc *c = sd_card("scp03-aes128");
        char ea[64];
        inject(c, pysim[2].iur);
        XCHG(c, pysim[2].iu, IUR33 "9000");
        snprintf(ea, sizeof ea, "8482%s%s", bad[j], pysim[2].ea + 6);
        unsigned sw = sw_of(c, ea);
        if (sw != 0x6A86) fail_msg("level %s: got %04X", bad[j], sw);
        vuicc_free(c);
    }
}

static void initialize_update_checks_key_version_application_and_lengths(void **state)
{
    (void)state;
    struct vuicc_profile p = profile_with("scp03-aes128");
    struct vuicc *c = card_with(&p);
    /* The security domain is the PKCS#15 application: not the MF, not USIM. */
    XCHG(c, "8050300008b13e5f938fc108c400", "6985");
    XCHG(c, "00A4040C10" AID_USIM, "9000");
    XCHG(c, "8050300008b13e5f938fc108c400", "6985");
    XCHG(c, SELECT_P15, "9000");
    XCHG(c, "8050310008b13e5f938fc108c400", "6A88"); /* KVN 31: not on this card */
    XCHG(c, "8050300108b13e5f938fc108c400", "6A86"); /* P2 */
    XCHG(c, "8050300007b13e5f938fc108c4", "6700");   /* Lc 7 */
    XCHG(c, "80503000", "6700");
    XCHG(c, "8450300008b13e5f938fc108c400", "6982"); /* with secure messaging */
    XCHG(c, "9050300008b13e5f938fc108c400", "6884"); /* chaining */
    XCHG(c, "8350300008b13e5f938fc108c400", "6881"); /* channel 3 is closed */
    assert_int_equal(sw_of(c, "8050000008b13e5f938fc108c400"), 0x9000); /* 00: first key set */
    assert_int_equal(sw_of(c, "8050300008b13e5f938fc108c400"), 0x9000);
    /* A short Le gets the exact length, as any fixed-length answer. */
    XCHG(c, "8050300008b13e5f938fc108c410", "6C20");
    vuicc_free(c);
}

static void a_card_without_keys_has_no_security_domain(void **state)
{
    (void)state;
    struct vuicc_profile p = profile_with(NULL);
    struct vuicc *c = card_with(&p);
    XCHG(c, SELECT_P15, "9000");
    XCHG(c, "8050300008b13e5f938fc108c400", "6D00");
    XCHG(c, pysim[2].ea, "6D00");
    XCHG(c, "80E2910006BF3E035C015A00", "6E00"); /* other proprietary commands as before */
    XCHG(c, "80A4000C023F00", "6E00");
    XCHG(c, "04A4000C023F00", "6882");
    vuicc_free(c);
}

static void reset_and_removal_end_the_session(void **state)
{
    (void)state;
    struct vuicc *c = session33();
    uint8_t atr[8];
    assert_true(vuicc_reset(c, atr, sizeof atr) > 0);
    assert_int_equal(vuicc_scp03_level(c, 0), -1);
    XCHG(c, SELECT_P15, "9000");
    XCHG(c, pysim[2].eid, "6982");
    vuicc_free(c);

    c = session33();
    vuicc_remove(c);
    vuicc_insert(c);
    assert_int_equal(vuicc_scp03_level(c, 0), -1);
    XCHG(c, SELECT_P15, "9000");
    XCHG(c, pysim[2].eid, "6982");
    vuicc_free(c);
}

static void selecting_another_application_ends_the_session(void **state)
{
    (void)state;
    struct vuicc_scp03_keys k = key_file("scp03-aes128");
    struct vuicc *c = sd_card("scp03-aes128");
    struct host h;
    uint8_t out[300];
    size_t n;
    assert_int_equal(host_open(&h, c, 0, &k, 0x33), 0x9000);
    /* Files of the application, the MF, the application again: it stays. */
    assert_int_equal(host_xchg(&h, "00A4000C025031", out, &n), 0x9000);
    assert_int_equal(host_xchg(&h, "00A4000C023F00", out, &n), 0x9000);
    assert_int_equal(host_xchg(&h, SELECT_P15, out, &n), 0x9000);
    assert_int_equal(vuicc_scp03_level(c, 0), 0x33);
    /* Another application: its answer is still wrapped (host_xchg checks
     * the R-MAC), and then the session is over. */
    assert_int_equal(host_xchg(&h, "00A4040C10" AID_USIM, out, &n), 0x9000);
    assert_int_equal(vuicc_scp03_level(c, 0), -1);
    XCHG(c, "00A4000C023F00", "9000");
    vuicc_free(c);
}

static void closing_its_own_channel_answers_wrapped_and_ends_the_session(void **state)
{
    (void)state;
    struct vuicc_scp03_keys k = key_file("scp03-aes128");
    struct vuicc *c = sd_card("scp03-aes128");
    struct host h;
    size_t n;
    uint8_t out[300];
    XCHG(c, "0070000001", "019000");
    XCHG(c, "01A4040C0C" AID_P15, "9000");
    assert_int_equal(host_open(&h, c, 1, &k, 0x13), 0x9000);
    assert_int_equal(host_xchg(&h, "00708001", out, &n), 0x9000);
    assert_int_equal(n, 0);
    assert_int_equal(vuicc_scp03_level(c, 1), -1);
    XCHG(c, "01A4000C023F00", "6881");
    vuicc_free(c);
}

/* ---- scp03_required -------------------------------------------------------- */

static struct vuicc *required_card(const char *bootstrap, bool t0, uint8_t **file, size_t *len)
{
    struct vuicc_profile p;
    char path[4096], err[512] = "";
    vuicc_profile_default(&p);
    snprintf(path, sizeof path, "%s/fixtures/cards/scp03-required.json", UCB_SOURCE_ROOT);
    if (vuicc_profile_load(&p, path, err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(p.scp03_required);
    assert_int_equal(p.scp03.len, 16);
    assert_int_equal(p.scp03.kvn, 0x30);
    p.t0 = t0;
    *file = test_read_file(bootstrap, len);
    struct vuicc *c = vuicc_new(&p, *file, *len, err, sizeof err);
    if (!c) fail_msg("%s", err);
    return c;
}

/* Read the whole bootstrap EF through the session, @p chunk bytes a time. */
static void read_through(struct host *h, const uint8_t *want, size_t len, size_t chunk)
{
    uint8_t out[300];
    size_t n, off = 0;
    assert_int_equal(host_xchg(h, "00A4000C026432", out, &n), 0x9000);
    while (off < len) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "00B0%04X%02X", (unsigned)off, (unsigned)(chunk & 0xFF));
        unsigned sw = host_xchg(h, cmd, out, &n);
        assert_true(sw == 0x9000 || sw == 0x6282);
        /* Le=00 reads what the level can wrap: 239 bytes under R-ENC. */
        size_t want_n = len - off < (chunk ? chunk : 239) ? len - off : (chunk ? chunk : 239);
        if (n != want_n) fail_msg("offset %zu: %zu bytes, expected %zu", off, n, want_n);
        assert_memory_equal(out, want + off, n);
        off += n;
    }
}

static void required_file_is_read_only_under_c_mac_and_r_enc(void **state)
{
    (void)state;
    for (int t0 = 0; t0 <= 1; t0++) {
        uint8_t *file, out[300];
        size_t len, n;
        struct vuicc *c = required_card(LARGE_FILE, t0 != 0, &file, &len);
        struct vuicc_scp03_keys k = key_file("scp03-aes128");
        struct host h;
        /* Plain: ODF and DODF are public, the bootstrap EF is not. */
        XCHG(c, SELECT_P15, "9000");
        XCHG(c, "00A4000C025031", "9000");
        assert_int_equal(sw_of(c, "00B0000008"), 0x9000);
        XCHG(c, "00A4000C026430", "9000");
        assert_int_equal(sw_of(c, "00B0000008"), 0x9000);
        XCHG(c, "00A4000C026432", "9000");
        XCHG(c, "00B0000010", "6982");
        XCHG(c, "00D6000001FF", "6982");
        /* SL 33: readable, in 239-byte chunks (Le=00 capped) and small ones. */
        assert_int_equal(host_open(&h, c, 0, &k, 0x33), 0x9000);
        read_through(&h, file, len, 0x00);
        read_through(&h, file, 320, 0x40);
        /* Updating needs C-MAC and C-DEC; it works under SL 33 too. */
        assert_int_equal(host_xchg(&h, "00D6000002AABB", out, &n), 0x9000);
        const uint8_t *now = vuicc_file(c, &n);
        assert_memory_equal(now, "\xAA\xBB", 2);
        /* SL 13: C-DEC but no R-ENC: no reading, updating allowed. */
        assert_int_equal(host_open(&h, c, 0, &k, 0x13), 0x9000);
        assert_int_equal(host_xchg(&h, "00A4000C026432", out, &n), 0x9000);
        assert_int_equal(host_xchg(&h, "00B0000010", out, &n), 0x6982);
        assert_int_equal(host_xchg(&h, "00D6000002CCDD", out, &n), 0x9000);
        assert_int_equal(vuicc_scp03_level(c, 0), 0x13); /* refusals within the rules keep it */
        /* SL 11: neither. */
        assert_int_equal(host_open(&h, c, 0, &k, 0x11), 0x9000);
        assert_int_equal(host_xchg(&h, "00A4000C026432", out, &n), 0x9000);
        assert_int_equal(host_xchg(&h, "00B0000010", out, &n), 0x6982);
        assert_int_equal(host_xchg(&h, "00D6000002EEFF", out, &n), 0x6982);
        /* Sessions are per channel: channel 1 (opened under channel 0's
         * session) reads plain no more than before, then under its own
         * SL 33 session; channel 0 at SL 11 still cannot. */
        assert_int_equal(host_xchg(&h, "0070000001", out, &n), 0x9000);
        assert_int_equal(n, 1);
        assert_int_equal(out[0], 1);
        XCHG(c, "01A4040C0C" AID_P15, "9000");
        XCHG(c, "01A4000C026432", "9000");
        XCHG(c, "01B0000010", "6982");
        struct host h1;
        assert_int_equal(host_open(&h1, c, 1, &k, 0x33), 0x9000);
        size_t cur_len;
        const uint8_t *cur = vuicc_file(c, &cur_len); /* CCDD from the SL 13 update */
        assert_memory_equal(cur, "\xCC\xDD", 2);
        read_through(&h1, cur, cur_len, 0x00);
        assert_int_equal(host_xchg(&h, "00B0000010", out, &n), 0x6982);
        assert_int_equal(vuicc_scp03_level(c, 0), 0x11);
        assert_int_equal(vuicc_scp03_level(c, 1), 0x33);
        vuicc_free(c);
        free(file);
    }
}

static void aes192_and_aes256_sessions_read_the_file(void **state)
{
    (void)state;
    static const char *const sets[] = {"scp03-aes192", "scp03-aes256"};
    for (size_t i = 0; i < 2; i++) {
        uint8_t *file;
        size_t len;
        struct vuicc_profile p = profile_with(sets[i]);
        p.scp03_required = true;
        char err[256];
        file = test_read_file(LARGE_FILE, &len);
        struct vuicc *c = vuicc_new(&p, file, len, err, sizeof err);
        assert_non_null(c);
        struct vuicc_scp03_keys k = key_file(sets[i]);
        struct host h;
        XCHG(c, SELECT_P15, "9000");
        assert_int_equal(host_open(&h, c, 0, &k, 0x33), 0x9000);
        read_through(&h, file, len, 0x00);
        vuicc_free(c);
        free(file);
    }
}

/* ---- key files --------------------------------------------------------- */

static int load_keys_text(const char *json, struct vuicc_scp03_keys *k, char *err, size_t errlen)
{
    char path[] = "/tmp/vuicc-keys-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
    int r = vuicc_scp03_keys_load(k, path, err, errlen);
    unlink(path);
    return r;
}

#define K16 "\"000102030405060708090a0b0c0d0e0f\""
#define K24 "\"000102030405060708090a0b0c0d0e0f0001020304050607\""

static void key_files_load_and_name_the_bad_key(void **state)
{
    (void)state;
    struct vuicc_scp03_keys k = key_file("scp03-aes256");
    assert_int_equal(k.len, 32);
    assert_int_equal(k.kvn, 0x32);
    assert_int_equal(k.i_param, 0x70);
    assert_int_equal(k.mac[31], 0x1f);
    char err[512];
    memset(&k, 0, sizeof k);
    assert_int_equal(load_keys_text("{\"kvn\": \"3F\", \"i\": \"60\", \"enc\": " K16
                                    ", \"mac\": " K16 ", \"dek\": " K16
                                    ", \"diversification\": \"00112233445566778899\","
                                    " \"sequence\": 16777215, \"description\": \"x\"}",
                                    &k, err, sizeof err),
                     0);
    assert_int_equal(k.kvn, 0x3F);
    assert_int_equal(k.i_param, 0x60);
    assert_int_equal(k.sequence, 0xFFFFFF);
    assert_int_equal(k.diversification[9], 0x99);

    static const struct {
        const char *why, *json, *key;
    } v[] = {
        {"kvn missing", "{\"i\": 112, \"enc\": " K16 ", \"mac\": " K16 ", \"dek\": " K16 "}",
         "'kvn': missing"},
        {"i missing", "{\"kvn\": 48, \"enc\": " K16 ", \"mac\": " K16 ", \"dek\": " K16 "}",
         "'i': missing"},
        {"dek missing", "{\"kvn\": 48, \"i\": 112, \"enc\": " K16 ", \"mac\": " K16 "}",
         "'dek': missing"},
        {"unknown key", "{\"kvn\": 48, \"i\": 112, \"enc\": " K16 ", \"mac\": " K16
         ", \"dek\": " K16 ", \"kek\": " K16 "}", "'kek': unknown key"},
        {"kvn 0", "{\"kvn\": 0, \"i\": 112, \"enc\": " K16 ", \"mac\": " K16 ", \"dek\": " K16 "}",
         "'kvn'"},
        {"kvn 128", "{\"kvn\": 128, \"i\": 112, \"enc\": " K16 ", \"mac\": " K16 ", \"dek\": " K16
         "}", "'kvn'"},
        {"kvn a float", "{\"kvn\": 48.0, \"i\": 112, \"enc\": " K16 ", \"mac\": " K16
         ", \"dek\": " K16 "}", "'kvn'"},
        {"i RFU bits", "{\"kvn\": 48, \"i\": 80, \"enc\": " K16 ", \"mac\": " K16 ", \"dek\": " K16
         "}", "'i'"},
        {"i R-ENC without R-MAC", "{\"kvn\": 48, \"i\": 64, \"enc\": " K16 ", \"mac\": " K16
         ", \"dek\": " K16 "}", "'i'"},
        {"enc 15 bytes", "{\"kvn\": 48, \"i\": 112, \"enc\": \"000102030405060708090a0b0c0d0e\","
         " \"mac\": " K16 ", \"dek\": " K16 "}", "'enc'"},
        {"enc 20 bytes", "{\"kvn\": 48, \"i\": 112, \"enc\": \"000102030405060708090a0b0c0d0e0f"
         "00010203\", \"mac\": " K16 ", \"dek\": " K16 "}", "'enc'"},
        {"enc not hex", "{\"kvn\": 48, \"i\": 112, \"enc\": \"000102030405060708090a0b0c0d0eXY\","
         " \"mac\": " K16 ", \"dek\": " K16 "}", "'enc'"},
        {"enc a number", "{\"kvn\": 48, \"i\": 112, \"enc\": 12, \"mac\": " K16 ", \"dek\": " K16
         "}", "'enc'"},
        {"mac longer than enc", "{\"kvn\": 48, \"i\": 112, \"enc\": " K16 ", \"mac\": " K24
         ", \"dek\": " K16 "}", "'mac': key length differs"},
        {"dek longer than enc", "{\"kvn\": 48, \"i\": 112, \"enc\": " K16 ", \"mac\": " K16
         ", \"dek\": " K24 "}", "'dek': key length differs"},
        {"diversification 9 bytes", "{\"kvn\": 48, \"i\": 112, \"enc\": " K16 ", \"mac\": " K16
         ", \"dek\": " K16 ", \"diversification\": \"001122334455667788\"}", "'diversification'"},
        {"sequence too large", "{\"kvn\": 48, \"i\": 112, \"enc\": " K16 ", \"mac\": " K16
         ", \"dek\": " K16 ", \"sequence\": 16777216}", "'sequence'"},
        {"an array", "[1]", "expected an object"},
        {"duplicate enc", "{\"kvn\": 48, \"i\": 112, \"enc\": " K16 ", \"enc\": " K16
         ", \"mac\": " K16 ", \"dek\": " K16 "}", "/tmp/vuicc-keys-"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct vuicc_scp03_keys before;
        memset(&before, 0x5A, sizeof before);
        k = before;
        err[0] = '\0';
        int r = load_keys_text(v[i].json, &k, err, sizeof err);
        if (r != -1 || strstr(err, v[i].key) == NULL) {
            fprintf(stderr, "%s: r=%d err=\"%s\" (want %s)\n", v[i].why, r, err, v[i].key);
            fail();
        }
        assert_memory_equal(&k, &before, sizeof k); /* unchanged on failure */
    }
    /* A syntax error next to a key: the message does not quote the key. */
    assert_int_equal(load_keys_text("{\"kvn\": 48, \"enc\": 0f1e2d3c4b5a69788796a5b4c3d2e1f0}",
                                    &k, err, sizeof err),
                     -1);
    assert_null(strstr(err, "0f1e2d3c"));
    assert_non_null(strstr(err, "/tmp/vuicc-keys-"));
    assert_int_equal(vuicc_scp03_keys_load(&k, "/nonexistent/keys.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/keys.json"));
}

static int load_profile_text(const char *json, struct vuicc_profile *p, char *err, size_t errlen)
{
    char path[] = "/tmp/vuicc-profile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
    int r = vuicc_profile_load(p, path, err, errlen);
    unlink(path);
    return r;
}

static void profiles_take_keys_by_path_or_inline_and_check_them(void **state)
{
    (void)state;
    struct vuicc_profile p;
    char err[512], json[600];
    vuicc_profile_default(&p);
    /* By absolute path; scp03_required. */
    snprintf(json, sizeof json,
             "{\"scp03_keys\": \"%s/fixtures/cards/scp03-aes192.json\", \"scp03_required\": true}",
             UCB_SOURCE_ROOT);
    assert_int_equal(load_profile_text(json, &p, err, sizeof err), 0);
    assert_int_equal(p.scp03.len, 24);
    assert_true(p.scp03_required);
    /* Inline. */
    vuicc_profile_default(&p);
    assert_int_equal(load_profile_text("{\"scp03_keys\": {\"kvn\": 1, \"i\": 0, \"enc\": " K16
                                       ", \"mac\": " K16 ", \"dek\": " K16 "}}",
                                       &p, err, sizeof err),
                     0);
    assert_int_equal(p.scp03.kvn, 1);
    assert_int_equal(p.scp03.len, 16);

    static const struct {
        const char *why, *json, *key;
    } v[] = {
        {"keys a number", "{\"scp03_keys\": 5}", "'scp03_keys'"},
        {"keys empty path", "{\"scp03_keys\": \"\"}", "'scp03_keys'"},
        {"keys file missing", "{\"scp03_keys\": \"no-such-keys.json\"}", "no-such-keys.json"},
        {"inline bad mac", "{\"scp03_keys\": {\"kvn\": 1, \"i\": 0, \"enc\": " K16
         ", \"mac\": \"00\", \"dek\": " K16 "}}", "'scp03_keys.mac'"},
        {"inline missing kvn", "{\"scp03_keys\": {\"i\": 0, \"enc\": " K16 ", \"mac\": " K16
         ", \"dek\": " K16 "}}", "'scp03_keys.kvn': missing"},
        {"required not a bool", "{\"scp03_required\": 1}", "'scp03_required'"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        vuicc_profile_default(&p);
        err[0] = '\0';
        int r = load_profile_text(v[i].json, &p, err, sizeof err);
        if (r != -1 || strstr(err, v[i].key) == NULL) {
            fprintf(stderr, "%s: r=%d err=\"%s\" (want %s)\n", v[i].why, r, err, v[i].key);
            fail();
        }
    }
    /* Checks across keys happen when the card is built. */
    vuicc_profile_default(&p);
    p.scp03_required = true;
    assert_null(vuicc_new(&p, g_file, g_file_len, err, sizeof err));
    assert_non_null(strstr(err, "scp03_required"));
    p = profile_with("scp03-aes128");
    p.scp03.i_param = 0x50;
    assert_null(vuicc_new(&p, g_file, g_file_len, err, sizeof err));
    assert_non_null(strstr(err, "scp03_keys.i"));
    p = profile_with("scp03-aes128");
    p.scp03.len = 20;
    assert_null(vuicc_new(&p, g_file, g_file_len, err, sizeof err));
    assert_non_null(strstr(err, "scp03_keys"));
}

static void reload_keeps_a_session_only_with_the_same_keys(void **state)
{
    (void)state;
    struct vuicc *c = session33();
    struct vuicc_profile p = profile_with("scp03-aes128");
    char err[256], rsp[200];
    assert_int_equal(vuicc_reload(c, &p, g_file, g_file_len, err, sizeof err), 0);
    assert_int_equal(vuicc_scp03_level(c, 0), 0x33);
    snprintf(rsp, sizeof rsp, "%s9000", pysim[2].rsp);
    XCHG(c, pysim[2].eid, rsp);
    /* The sequence counter never goes back on the same card. */
    assert_int_equal(vuicc_scp03_sequence(c), 4);
    p.scp03.sequence = 2;
    p.scp03.kvn = 0x31; /* another key set */
    assert_int_equal(vuicc_reload(c, &p, g_file, g_file_len, err, sizeof err), 0);
    assert_int_equal(vuicc_scp03_level(c, 0), -1);
    assert_int_equal(vuicc_scp03_sequence(c), 4);
    p.scp03.sequence = 9;
    assert_int_equal(vuicc_reload(c, &p, g_file, g_file_len, err, sizeof err), 0);
    assert_int_equal(vuicc_scp03_sequence(c), 9);
    vuicc_free(c);
}

/* ---- hostile wrapped APDUs --------------------------------------------------- */

static uint32_t rng_state;

static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static void hostile_wrapped_apdus_never_crash_the_card(void **state)
{
    (void)state;
    static const uint8_t clas[] = {0x04, 0x84, 0x05, 0x87, 0x60, 0xE0, 0x6F, 0x0C,
                                   0x14, 0x80, 0x00, 0xC0, 0x94, 0xF3};
    static const uint8_t inss[] = {0xA4, 0xB0, 0xD6, 0x70, 0xC0, 0x50, 0x82, 0xE2, 0x20};
    for (int t0 = 0; t0 <= 1; t0++) {
        uint8_t *file;
        size_t len;
        struct vuicc *c = required_card(LARGE_FILE, t0 != 0, &file, &len);
        vuicc_scp03_set_eid(c, eid, sizeof eid);
        XCHG(c, "0070000001", "019000");
        rng_state = 0x5C03u + (uint32_t)t0;
        unsigned opened = 0, ended = 0;
        for (int i = 0; i < 30000; i++) {
            if (vuicc_scp03_level(c, 0) < 0) {
                /* Back into a session (any of the three AES-128 levels). */
                const struct vector *v = &pysim[rng() % 3];
                uint8_t b[64], r[300];
                size_t n = test_hex(SELECT_P15, b, sizeof b);
                vuicc_process(c, b, n, r, sizeof r);
                inject(c, v->iur);
                n = test_hex(v->iu, b, sizeof b);
                vuicc_process(c, b, n, r, sizeof r);
                if (t0) {
                    uint8_t gr[5] = {0x00, 0xC0, 0x00, 0x00, 0x20};
                    vuicc_process(c, gr, 5, r, sizeof r);
                }
                n = test_hex(v->ea, b, sizeof b);
                int got = vuicc_process(c, b, n, r, sizeof r);
                assert_int_equal(got, 2);
                assert_int_equal(r[0] << 8 | r[1], 0x9000);
                opened++;
            }
            uint8_t cmd[300], r[300];
            size_t n = rng() % 301;
            for (size_t j = 0; j < n; j++) cmd[j] = (uint8_t)rng();
            if (n > 0 && rng() % 8 != 0) cmd[0] = clas[rng() % sizeof clas];
            if (n > 1 && rng() % 4 != 0) cmd[1] = inss[rng() % sizeof inss];
            if (n > 5 && rng() % 2 == 0) cmd[4] = (uint8_t)(n - 5 - rng() % 2);
            bool in_session = vuicc_scp03_level(c, 0) >= 0;
            int got = vuicc_process(c, cmd, n, r, sizeof r);
            assert_true(got >= 2 && got <= 258);
            /* Never the plain bootstrap file (it is scp03_required). */
            if (got > 10) assert_memory_not_equal(r, file, 8);
            /* A random command on the session's channel (0) cannot carry a
             * valid C-MAC: whatever it was, the session is over after it,
             * except for plain GET RESPONSE and a too-short APDU. */
            bool chan0 = n >= 4 && (cmd[0] & 0x60) == 0x00 && (cmd[0] & 0x03) == 0;
            bool plain_gr = n >= 4 && (cmd[0] & 0x8C) == 0x00 && cmd[1] == 0xC0;
            if (in_session && chan0 && !plain_gr) {
                if (vuicc_scp03_level(c, 0) >= 0) {
                    print_hex("kept the session", cmd, (int)n);
                    fail();
                }
                ended++;
            }
        }
        /* The sweep did reach sessions and did end them. */
        assert_true(opened > 100);
        assert_true(ended > 100);
        vuicc_free(c);
        free(file);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pysim_vectors_replay_byte_for_byte_on_the_card),
        cmocka_unit_test(every_vector_session_runs_on_one_card_in_a_row),
        cmocka_unit_test(the_session_of_each_logical_channel_is_its_own),
        cmocka_unit_test(asterix_pseudo_random_challenge_is_byte_exact),
        cmocka_unit_test(pseudo_random_challenge_follows_counter_and_aid),
        cmocka_unit_test(random_challenges_differ_and_carry_no_counter),
        cmocka_unit_test(test_host_reproduces_the_pysim_vectors),
        cmocka_unit_test(a_plain_command_in_a_session_is_refused_and_ends_it),
        cmocka_unit_test(a_bad_c_mac_is_refused_and_ends_the_session),
        cmocka_unit_test(a_wrong_host_cryptogram_gets_6300_and_no_session),
        cmocka_unit_test(levels_the_i_parameter_does_not_allow_are_refused),
        cmocka_unit_test(initialize_update_checks_key_version_application_and_lengths),
        cmocka_unit_test(a_card_without_keys_has_no_security_domain),
        cmocka_unit_test(reset_and_removal_end_the_session),
        cmocka_unit_test(selecting_another_application_ends_the_session),
        cmocka_unit_test(closing_its_own_channel_answers_wrapped_and_ends_the_session),
        cmocka_unit_test(required_file_is_read_only_under_c_mac_and_r_enc),
        cmocka_unit_test(aes192_and_aes256_sessions_read_the_file),
        cmocka_unit_test(key_files_load_and_name_the_bad_key),
        cmocka_unit_test(profiles_take_keys_by_path_or_inline_and_check_them),
        cmocka_unit_test(reload_keeps_a_session_only_with_the_same_keys),
        cmocka_unit_test(hostile_wrapped_apdus_never_crash_the_card),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
