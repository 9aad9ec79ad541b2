/*
 * SHA-256 (FIPS 180-4, 6.2). The reader fingerprints EF LwM2M_Bootstrap
 * with it so a client can tell whether the card's bootstrap data changed
 * (LwM2M CR-010 / BOOT-013) without keeping the file. Not used for keys or
 * MACs, so no constant-time care is needed beyond the algorithm itself.
 *
 * Written from the standard: 4.1.2 functions, 4.2.2 constants, 5.1.1
 * padding, 5.3.3 initial hash value, 6.2.2 hash computation.
 */
#include <string.h>

#include "pkcs15_int.h"
#include "uiccboot/card.h"

/* FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

/* FIPS 180-4 6.2.2: one 512-bit block. */
static void compress(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64];
    for (unsigned t = 0; t < 16u; t++) {
        w[t] = (uint32_t)p[4u * t] << 24 | (uint32_t)p[4u * t + 1u] << 16 |
               (uint32_t)p[4u * t + 2u] << 8 | (uint32_t)p[4u * t + 3u];
    }
    for (unsigned t = 16; t < 64u; t++) {
        const uint32_t s0 = rotr(w[t - 15u], 7) ^ rotr(w[t - 15u], 18) ^ (w[t - 15u] >> 3);
        const uint32_t s1 = rotr(w[t - 2u], 17) ^ rotr(w[t - 2u], 19) ^ (w[t - 2u] >> 10);
        w[t] = w[t - 16u] + s0 + w[t - 7u] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (unsigned t = 0; t < 64u; t++) {
        const uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        const uint32_t ch = (e & f) ^ (~e & g);
        const uint32_t t1 = k + S1 + ch + K[t] + w[t];
        const uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        const uint32_t t2 = S0 + maj;
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += k;
}

/* A wipe the compiler cannot drop as a dead store. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n-- > 0u) {
        *v++ = 0;
    }
}

void ucb_sha256_init(struct ucb_sha256_ctx *c)
{
    /* FIPS 180-4 5.3.3 */
    static const uint32_t H0[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    memcpy(c->h, H0, sizeof H0);
    c->fill = 0;
    c->total = 0;
}

void ucb_sha256_update(struct ucb_sha256_ctx *c, const uint8_t *data, size_t len)
{
    c->total += len;
    while (len > 0u) {
        if (c->fill == 0u && len >= 64u) {
            compress(c->h, data);
            data += 64;
            len -= 64u;
            continue;
        }
        size_t n = 64u - c->fill;
        if (n > len) {
            n = len;
        }
        memcpy(c->block + c->fill, data, n);
        c->fill += n;
        data += n;
        len -= n;
        if (c->fill == 64u) {
            compress(c->h, c->block);
            c->fill = 0;
        }
    }
}

void ucb_sha256_final(struct ucb_sha256_ctx *c, uint8_t out[32])
{
    /* FIPS 180-4 5.1.1: a 1 bit, zeros to 448 mod 512, the 64-bit bit length. */
    const uint64_t bits = c->total * 8u;
    c->block[c->fill++] = 0x80;
    if (c->fill > 56u) {
        memset(c->block + c->fill, 0, 64u - c->fill);
        compress(c->h, c->block);
        c->fill = 0;
    }
    memset(c->block + c->fill, 0, 56u - c->fill);
    for (unsigned i = 0; i < 8u; i++) {
        c->block[56u + i] = (uint8_t)(bits >> (56u - 8u * i));
    }
    compress(c->h, c->block);
    for (unsigned i = 0; i < 8u; i++) {
        out[4u * i] = (uint8_t)(c->h[i] >> 24);
        out[4u * i + 1u] = (uint8_t)(c->h[i] >> 16);
        out[4u * i + 2u] = (uint8_t)(c->h[i] >> 8);
        out[4u * i + 3u] = (uint8_t)c->h[i];
    }
    /* The file holds PSKs; leave no copy of its last block behind. */
    wipe(c, sizeof *c);
}

void ucb_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    struct ucb_sha256_ctx c;
    ucb_sha256_init(&c);
    if (len > 0u) {
        ucb_sha256_update(&c, data, len);
    }
    ucb_sha256_final(&c, out);
}
