/*
 * Test helper: print the SCP03 session keys (S-ENC S-MAC S-RMAC, hex) of a
 * traced session, so tests/test_pcsc.py can check that none of them appears
 * in any trace, output or log.
 *
 *   scp03_session_keys KEYFILE IU-C-APDU-HEX IU-R-APDU-HEX
 *
 * KEYFILE is the JSON key file ({"kvn", "enc", "mac", "dek"}); the host
 * challenge is bytes 5..12 of INITIALIZE UPDATE, the card challenge bytes
 * 13..20 of its response (GP Amd D 7.1.1). Uses the library's own KDF
 * (apdu/scp03_int.h); the known-answer tests pin that KDF.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "scp03_int.h"
#include "uiccboot/scp03.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;

    while (h[0] != '\0' && h[1] != '\0' && n < cap) {
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1)
            return 0;
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

static void put(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02X", b[i]);
    putchar('\n');
}

int main(int argc, char **argv)
{
    static struct ucb_scp03 s;
    struct ucb_scp03_keys keys;
    uint8_t iu[64], iur[64];
    json_error_t jerr;
    json_t *doc;

    if (argc != 4) {
        fprintf(stderr, "usage: %s KEYFILE IU-HEX IUR-HEX\n", argv[0]);
        return 2;
    }
    doc = json_load_file(argv[1], 0, &jerr);
    if (doc == NULL)
        return 2;
    memset(&keys, 0, sizeof(keys));
    const char *enc = json_string_value(json_object_get(doc, "enc"));
    const char *mac = json_string_value(json_object_get(doc, "mac"));
    if (enc == NULL || mac == NULL)
        return 2;
    keys.len = (uint8_t)unhex(enc, keys.enc, sizeof(keys.enc));
    if (unhex(mac, keys.mac, sizeof(keys.mac)) != keys.len)
        return 2;
    json_decref(doc);
    if (unhex(argv[2], iu, sizeof(iu)) < 13 || unhex(argv[3], iur, sizeof(iur)) < 21)
        return 2;
    ucb_scp03_init(&s);
    if (ucb_scp03_derive(&s, &keys, iu + 5, iur + 13) != 0)
        return 1;
    put(s.s_enc, s.key_len);
    put(s.s_mac, s.key_len);
    put(s.s_rmac, s.key_len);
    return 0;
}
