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

#endif
