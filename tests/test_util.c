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
