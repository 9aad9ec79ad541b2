/* Helpers shared by the unit tests (test code may allocate and print). */
#ifndef UCB_TEST_UTIL_H
#define UCB_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/**
 * Decode a hex string (spaces, newlines and ':' ignored) into `out`.
 * Returns the byte count; aborts the test program on bad hex or overflow.
 */
size_t test_hex(const char *hex, uint8_t *out, size_t cap);

/**
 * Read a file relative to the source root (UCB_SOURCE_ROOT) into a fresh
 * malloc'd buffer; *out_len gets its size. Aborts on failure.
 */
uint8_t *test_read_file(const char *relpath, size_t *out_len);

/**
 * Fail the current cmocka test unless `got` == `exp` (compared as long long),
 * naming the vector `name`, the expression and both values in decimal and hex.
 * Use in files that include cmocka.h.
 */
#define CHECK_EQ(name, got, exp)                                                   \
    do {                                                                           \
        long long g_ = (long long)(got), e_ = (long long)(exp);                    \
        if (g_ != e_)                                                              \
            fail_msg("%s: %s = %lld (0x%llx), expected %lld (0x%llx)", (name), #got, \
                     g_, (unsigned long long)g_, e_, (unsigned long long)e_);      \
    } while (0)

/**
 * Fail the current cmocka test unless the two byte strings are equal,
 * printing both in hex under `name`. test_check_hex() takes the expected
 * bytes as a hex string (as test_hex() reads it).
 */
void test_check_bytes(const char *name, const uint8_t *got, size_t got_len, const uint8_t *exp,
                      size_t exp_len);
void test_check_hex(const char *name, const uint8_t *got, size_t got_len, const char *hex);

#endif
