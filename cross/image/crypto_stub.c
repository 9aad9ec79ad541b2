/* The firmware's own crypto (e.g. a hardware AES engine) behind
 * apdu/ucb_crypto.h: stubs, so scripts/size-m4-image.sh counts none of it. */
#include <stddef.h>
#include <stdint.h>

#include "ucb_crypto.h"

int ucb_crypto_aes_ecb_encrypt(const uint8_t *k, size_t kl, const uint8_t in[16], uint8_t out[16])
{
    (void)k, (void)kl, (void)in, (void)out;
    return -1;
}
int ucb_crypto_aes_cbc_encrypt(const uint8_t *k, size_t kl, const uint8_t iv[16],
                               const uint8_t *in, size_t n, uint8_t *out)
{
    (void)k, (void)kl, (void)iv, (void)in, (void)n, (void)out;
    return -1;
}
int ucb_crypto_aes_cbc_decrypt(const uint8_t *k, size_t kl, const uint8_t iv[16],
                               const uint8_t *in, size_t n, uint8_t *out)
{
    (void)k, (void)kl, (void)iv, (void)in, (void)n, (void)out;
    return -1;
}
int ucb_crypto_aes_cmac(const uint8_t *k, size_t kl, const struct ucb_crypto_part *p, size_t np,
                        uint8_t out[16])
{
    (void)k, (void)kl, (void)p, (void)np, (void)out;
    return -1;
}
int ucb_crypto_random(uint8_t *o, size_t n)
{
    (void)o, (void)n;
    return -1;
}
void ucb_crypto_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n-- > 0)
        *v++ = 0;
}
int ucb_crypto_memcmp_ct(const void *a, const void *b, size_t n)
{
    (void)a, (void)b, (void)n;
    return -1;
}
