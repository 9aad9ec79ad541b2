/*
 * The crypto interface of SCP03 (apdu/ucb_crypto.h) on its backend:
 * AES-ECB (FIPS-197 appendix C, SP 800-38A F.1), AES-CBC (SP 800-38A F.2),
 * AES-CMAC (SP 800-38B appendix D = RFC 4493 section 4 for AES-128) for the
 * three key sizes, the GlobalPlatform key check values of spec-notes 3.2,
 * argument checks, wipe and the constant-time compare.
 *
 * Every vector is named after its source; every invalid call says why it
 * is invalid.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../apdu/ucb_crypto.h"
#include "test_util.h"
#include "uiccboot/err.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))


/* SP 800-38A / 800-38B example plaintext (four blocks). */
static const char *const sp_msg = "6bc1bee22e409f96e93d7e117393172a"
                                  "ae2d8a571e03ac9c9eb76fac45af8e51"
                                  "30c81c46a35ce411e5fbc1191a0a52ef"
                                  "f69f2445df4f9b17ad2b417be66c3710";
static const char *const sp_iv = "000102030405060708090a0b0c0d0e0f";

/* ------------------------------------------------------------------------- */
/* AES-ECB                                                                   */

struct ecb_vec {
    const char *name, *key, *in, *out;
};

static const struct ecb_vec ecb_vecs[] = {
    {"FIPS-197 C.1 AES-128", "000102030405060708090a0b0c0d0e0f",
     "00112233445566778899aabbccddeeff", "69c4e0d86a7b0430d8cdb78070b4c55a"},
    {"FIPS-197 C.2 AES-192", "000102030405060708090a0b0c0d0e0f1011121314151617",
     "00112233445566778899aabbccddeeff", "dda97ca4864cdfe06eaf70a0ec0d7191"},
    {"FIPS-197 C.3 AES-256", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089"},
    {"SP 800-38A F.1.1 ECB-AES128 block 1", "2b7e151628aed2a6abf7158809cf4f3c",
     "6bc1bee22e409f96e93d7e117393172a", "3ad77bb40d7a3660a89ecaf32466ef97"},
    {"SP 800-38A F.1.3 ECB-AES192 block 1", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
     "6bc1bee22e409f96e93d7e117393172a", "bd334f1d6e45f25ff712a214571fa5cc"},
    {"SP 800-38A F.1.5 ECB-AES256 block 1",
     "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
     "6bc1bee22e409f96e93d7e117393172a", "f3eed1bdb5d2a03c064b5a7e3db181f8"},
};

static void aes_ecb_matches_fips197_and_sp800_38a(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(ecb_vecs); i++) {
        const struct ecb_vec *v = &ecb_vecs[i];
        uint8_t key[32], in[16], out[16];
        size_t kl = test_hex(v->key, key, sizeof key);
        test_hex(v->in, in, sizeof in);
        CHECK_EQ(v->name, ucb_crypto_aes_ecb_encrypt(key, kl, in, out), 0);
        test_check_hex(v->name, out, 16, v->out);
        /* in place */
        CHECK_EQ(v->name, ucb_crypto_aes_ecb_encrypt(key, kl, in, in), 0);
        test_check_hex(v->name, in, 16, v->out);
    }
}

/* ------------------------------------------------------------------------- */
/* AES-CBC                                                                   */

struct cbc_vec {
    const char *name, *key, *ct;
};

static const struct cbc_vec cbc_vecs[] = {
    {"SP 800-38A F.2.1/F.2.2 CBC-AES128", "2b7e151628aed2a6abf7158809cf4f3c",
     "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
     "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"},
    {"SP 800-38A F.2.3/F.2.4 CBC-AES192", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
     "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
     "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd"},
    {"SP 800-38A F.2.5/F.2.6 CBC-AES256",
     "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
     "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
     "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"},
};

static void aes_cbc_matches_sp800_38a_both_ways_and_in_place(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cbc_vecs); i++) {
        const struct cbc_vec *v = &cbc_vecs[i];
        uint8_t key[32], iv[16], iv_copy[16], pt[64], buf[64];
        size_t kl = test_hex(v->key, key, sizeof key);
        test_hex(sp_iv, iv, sizeof iv);
        memcpy(iv_copy, iv, sizeof iv);
        test_hex(sp_msg, pt, sizeof pt);

        CHECK_EQ(v->name, ucb_crypto_aes_cbc_encrypt(key, kl, iv, pt, 64, buf), 0);
        test_check_hex(v->name, buf, 64, v->ct);
        test_check_bytes("IV not modified", iv, 16, iv_copy, 16);
        CHECK_EQ(v->name, ucb_crypto_aes_cbc_decrypt(key, kl, iv, buf, 64, buf), 0);
        test_check_bytes(v->name, buf, 64, pt, 64);

        /* in place both ways; and a prefix is the prefix of the ciphertext */
        memcpy(buf, pt, 64);
        CHECK_EQ(v->name, ucb_crypto_aes_cbc_encrypt(key, kl, iv, buf, 64, buf), 0);
        test_check_hex(v->name, buf, 64, v->ct);
        CHECK_EQ(v->name, ucb_crypto_aes_cbc_decrypt(key, kl, iv, buf, 64, buf), 0);
        test_check_bytes(v->name, buf, 64, pt, 64);
        CHECK_EQ(v->name, ucb_crypto_aes_cbc_encrypt(key, kl, iv, pt, 32, buf), 0);
        uint8_t ct[64];
        test_hex(v->ct, ct, sizeof ct);
        test_check_bytes(v->name, buf, 32, ct, 32);
        /* zero length is a no-op */
        CHECK_EQ(v->name, ucb_crypto_aes_cbc_encrypt(key, kl, iv, NULL, 0, NULL), 0);
    }
}

/* ------------------------------------------------------------------------- */
/* AES-CMAC                                                                  */

struct cmac_vec {
    const char *name, *key;
    size_t len; /* bytes of sp_msg */
    const char *tag;
};

#define K128 "2b7e151628aed2a6abf7158809cf4f3c"
#define K192 "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b"
#define K256 "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"

static const struct cmac_vec cmac_vecs[] = {
    {"RFC 4493 4 example 1 (empty)", K128, 0, "bb1d6929e95937287fa37d129b756746"},
    {"RFC 4493 4 example 2 (16 bytes)", K128, 16, "070a16b46b4d4144f79bdd9dd04a287c"},
    {"RFC 4493 4 example 3 (40 bytes)", K128, 40, "dfa66747de9ae63030ca32611497c827"},
    {"RFC 4493 4 example 4 (64 bytes)", K128, 64, "51f0bebf7e3b9d92fc49741779363cfe"},
    {"SP 800-38B D.2 example 5 (empty)", K192, 0, "d17ddf46adaacde531cac483de7a9367"},
    {"SP 800-38B D.2 example 6 (16 bytes)", K192, 16, "9e99a7bf31e710900662f65e617c5184"},
    {"SP 800-38B D.2 example 7 (40 bytes)", K192, 40, "8a1de5be2eb31aad089a82e6ee908b0e"},
    {"SP 800-38B D.2 example 8 (64 bytes)", K192, 64, "a1d5df0eed790f794d77589659f39a11"},
    {"SP 800-38B D.3 example 9 (empty)", K256, 0, "028962f61b7bf89efc6b551f4667d983"},
    {"SP 800-38B D.3 example 10 (16 bytes)", K256, 16, "28a7023f452e8f82bd4bf28d8c37c35c"},
    {"SP 800-38B D.3 example 11 (40 bytes)", K256, 40, "aaf3d8f1de5640c232f5b169b9c911e6"},
    {"SP 800-38B D.3 example 12 (64 bytes)", K256, 64, "e1992190549f6ed5696a2c056c315410"},
};

static void aes_cmac_matches_rfc4493_and_sp800_38b(void **state)
{
    (void)state;
    uint8_t msg[64];
    test_hex(sp_msg, msg, sizeof msg);
    for (size_t i = 0; i < ARRAY_LEN(cmac_vecs); i++) {
        const struct cmac_vec *v = &cmac_vecs[i];
        uint8_t key[32], tag[16];
        size_t kl = test_hex(v->key, key, sizeof key);
        struct ucb_crypto_part one = {msg, v->len};
        CHECK_EQ(v->name, ucb_crypto_aes_cmac(key, kl, &one, 1, tag), 0);
        test_check_hex(v->name, tag, 16, v->tag);
        if (v->len == 0) {
            /* no parts at all is the empty message too */
            memset(tag, 0xAA, sizeof tag);
            CHECK_EQ(v->name, ucb_crypto_aes_cmac(key, kl, NULL, 0, tag), 0);
            test_check_hex(v->name, tag, 16, v->tag);
        }
    }
}

/* Every split of the message into three parts (empty ones included) gives
 * the tag of the whole: the streaming holds the last block back correctly
 * across part boundaries. */
static void aes_cmac_parts_split_anywhere_give_the_same_tag(void **state)
{
    (void)state;
    uint8_t msg[64];
    test_hex(sp_msg, msg, sizeof msg);
    for (size_t i = 0; i < ARRAY_LEN(cmac_vecs); i++) {
        const struct cmac_vec *v = &cmac_vecs[i];
        uint8_t key[32], tag[16];
        size_t kl = test_hex(v->key, key, sizeof key);
        for (size_t a = 0; a <= v->len; a++) {
            for (size_t b = a; b <= v->len; b++) {
                struct ucb_crypto_part p[5] = {
                    {msg, a}, {NULL, 0}, {msg + a, b - a}, {msg + b, v->len - b}, {msg, 0}};
                CHECK_EQ(v->name, ucb_crypto_aes_cmac(key, kl, p, 5, tag), 0);
                test_check_hex(v->name, tag, 16, v->tag);
            }
        }
    }
}

/* ------------------------------------------------------------------------- */
/* Key check values and arguments                                            */

/* GP: KCV = first 3 bytes of AES-ECB(key, 16 x 01) (spec-notes 3.2, pysim). */
static void kcv_of_pysim_test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *key, *kcv;
    } v[] = {
        {"000102030405060708090a0b0c0d0e0f", "c35280"},
        {"101112131415161718191a1b1c1d1e1f", "013808"},
        {"202122232425262728292a2b2c2d2e2f", "840de5"},
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        uint8_t key[16], blk[16];
        test_hex(v[i].key, key, sizeof key);
        memset(blk, 0x01, sizeof blk);
        CHECK_EQ(v[i].key, ucb_crypto_aes_ecb_encrypt(key, 16, blk, blk), 0);
        test_check_hex(v[i].key, blk, 3, v[i].kcv);
    }
}

static void bad_key_lengths_and_partial_blocks_are_refused(void **state)
{
    (void)state;
    uint8_t key[33] = {0}, iv[16] = {0}, in[48] = {0}, out[48];
    struct ucb_crypto_part p = {in, 16};
    static const size_t bad_lens[] = {0, 8, 15, 17, 20, 31, 33};
    for (size_t i = 0; i < ARRAY_LEN(bad_lens); i++) {
        size_t kl = bad_lens[i]; /* not an AES key size */
        CHECK_EQ("ecb key length", ucb_crypto_aes_ecb_encrypt(key, kl, in, out), UCB_ERR_ARG);
        CHECK_EQ("cbc key length", ucb_crypto_aes_cbc_encrypt(key, kl, iv, in, 16, out),
                 UCB_ERR_ARG);
        CHECK_EQ("cbc-d key length", ucb_crypto_aes_cbc_decrypt(key, kl, iv, in, 16, out),
                 UCB_ERR_ARG);
        CHECK_EQ("cmac key length", ucb_crypto_aes_cmac(key, kl, &p, 1, out), UCB_ERR_ARG);
    }
    /* CBC lengths that are not whole blocks */
    CHECK_EQ("cbc 15 bytes", ucb_crypto_aes_cbc_encrypt(key, 16, iv, in, 15, out), UCB_ERR_ARG);
    CHECK_EQ("cbc-d 47 bytes", ucb_crypto_aes_cbc_decrypt(key, 16, iv, in, 47, out), UCB_ERR_ARG);
    /* a CMAC part with a length but no bytes */
    struct ucb_crypto_part hole = {NULL, 3};
    CHECK_EQ("cmac NULL part", ucb_crypto_aes_cmac(key, 16, &hole, 1, out), UCB_ERR_ARG);
    CHECK_EQ("cmac NULL key", ucb_crypto_aes_cmac(NULL, 16, &p, 1, out), UCB_ERR_ARG);
}

/* ------------------------------------------------------------------------- */
/* Random, wipe, compare                                                     */

static void random_fills_and_differs_between_calls(void **state)
{
    (void)state;
    uint8_t a[2000], b[2000]; /* more than one CTR_DRBG request */
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_EQ("random a", ucb_crypto_random(a, sizeof a), 0);
    CHECK_EQ("random b", ucb_crypto_random(b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    /* the tail of a long request is filled too: 64 zero bytes by chance is
     * 2^-512 */
    static const uint8_t zero[64] = {0};
    assert_memory_not_equal(a + sizeof a - 64, zero, 64);
    CHECK_EQ("random empty", ucb_crypto_random(NULL, 0), 0);
}

static void wipe_zeroes_exactly_the_range(void **state)
{
    (void)state;
    uint8_t buf[40];
    memset(buf, 0xA5, sizeof buf);
    ucb_crypto_wipe(buf + 4, 32);
    for (size_t i = 0; i < sizeof buf; i++)
        CHECK_EQ("wiped byte", buf[i], (i >= 4 && i < 36) ? 0x00 : 0xA5);
    ucb_crypto_wipe(buf, 0);
    CHECK_EQ("wipe 0 leaves byte 0", buf[0], 0xA5);
}

static void memcmp_ct_reports_any_difference_and_zero_when_equal(void **state)
{
    (void)state;
    uint8_t a[16], b[16];
    for (size_t i = 0; i < 16; i++) a[i] = b[i] = (uint8_t)(i * 17u);
    CHECK_EQ("equal", ucb_crypto_memcmp_ct(a, b, 16), 0);
    CHECK_EQ("zero length", ucb_crypto_memcmp_ct(a, b, 0), 0);
    for (size_t i = 0; i < 16; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit); /* one bit anywhere, first or last byte included */
            if (ucb_crypto_memcmp_ct(a, b, 16) == 0) fail_msg("bit %u of byte %zu unseen", bit, i);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* a difference past len is not looked at */
    b[15] ^= 1;
    CHECK_EQ("difference past len", ucb_crypto_memcmp_ct(a, b, 15), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aes_ecb_matches_fips197_and_sp800_38a),
        cmocka_unit_test(aes_cbc_matches_sp800_38a_both_ways_and_in_place),
        cmocka_unit_test(aes_cmac_matches_rfc4493_and_sp800_38b),
        cmocka_unit_test(aes_cmac_parts_split_anywhere_give_the_same_tag),
        cmocka_unit_test(kcv_of_pysim_test_keys),
        cmocka_unit_test(bad_key_lengths_and_partial_blocks_are_refused),
        cmocka_unit_test(random_fills_and_differs_between_calls),
        cmocka_unit_test(wipe_zeroes_exactly_the_range),
        cmocka_unit_test(memcmp_ct_reports_any_difference_and_zero_when_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
