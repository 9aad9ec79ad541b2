#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef UCB_SOURCE_ROOT
#define UCB_SOURCE_ROOT "."
#endif

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

size_t test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == ':') continue;
        int v = hexval(*p);
        if (v < 0) {
            fprintf(stderr, "test_hex: bad hex digit '%c'\n", *p);
            abort();
        }
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= cap) {
                fprintf(stderr, "test_hex: vector larger than %zu bytes\n", cap);
                abort();
            }
            out[n++] = (uint8_t)((hi << 4) | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        fprintf(stderr, "test_hex: odd number of digits\n");
        abort();
    }
    return n;
}

uint8_t *test_read_file(const char *relpath, size_t *out_len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", UCB_SOURCE_ROOT, relpath);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "test_read_file: cannot open %s\n", path);
        abort();
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    fclose(f);
    *out_len = len;
    return buf;
}

static char *hex_of(const uint8_t *b, size_t n)
{
    char *s = malloc(2 * n + 1);

    if (s == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        snprintf(s + 2 * i, 3, "%02x", b[i]);
    s[2 * n] = '\0';
    return s;
}

void test_check_bytes(const char *name, const uint8_t *got, size_t got_len, const uint8_t *exp,
                      size_t exp_len)
{
    if (got_len == exp_len && (exp_len == 0 || memcmp(got, exp, exp_len) == 0))
        return;
    char *g = hex_of(got, got_len), *e = hex_of(exp, exp_len);
    print_error("%s: bytes differ\n  got      (%zu): %s\n  expected (%zu): %s\n", name, got_len,
                g, exp_len, e);
    free(g);
    free(e);
    fail();
}

void test_check_hex(const char *name, const uint8_t *got, size_t got_len, const char *hex)
{
    uint8_t *exp = malloc(strlen(hex) / 2 + 1);

    if (exp == NULL)
        abort();
    size_t n = test_hex(hex, exp, strlen(hex) / 2 + 1);
    test_check_bytes(name, got, got_len, exp, n);
    free(exp);
}
