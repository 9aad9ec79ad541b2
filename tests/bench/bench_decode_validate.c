/*
 * Benchmark (not a test): decode + validate one bootstrap file N times and
 * print figures. Used under callgrind for docs/performance.md:
 *   valgrind --tool=callgrind --toggle-collect=ucb_bench_once \
 *     build/tests/bench/bench_decode_validate fixtures/bootstrap/r1-three-accounts.bin 1
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c11 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "uiccboot/uiccboot.h"

static struct ucb_bootstrap model;

/* One decode+validate; a separate function so callgrind can isolate it. */
int ucb_bench_once(const uint8_t *file, size_t len);
__attribute__((noinline)) int ucb_bench_once(const uint8_t *file, size_t len)
{
    struct ucb_validate_result res;
    return ucb_validate_file(file, len, &model, NULL, NULL, &res);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [ITERATIONS]\n", argv[0]);
        return 2;
    }
    const long iters = argc > 2 ? atol(argv[2]) : 100000;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 3;
    }
    static uint8_t buf[UCB_BOOTSTRAP_MAX + 1];
    const size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int errors = 0;
    for (long i = 0; i < iters; i++) {
        errors = ucb_bench_once(buf, len);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    printf("file %s: %zu bytes, %d validation errors\n", argv[1], len, errors);
    printf("decode+validate: %ld iterations, %.1f ns each\n", iters, iters > 0 ? ns / (double)iters : 0.0);
    printf("model size: %zu bytes (struct ucb_bootstrap)\n", sizeof model);
    return errors < 0 ? 1 : 0;
}
