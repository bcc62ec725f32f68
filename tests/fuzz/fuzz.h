/* fuzz.h - what every fuzz target in tests/fuzz/ shares.
 *
 * Each target is one file that defines LLVMFuzzerTestOneInput() and
 * nothing else public, so the same object links two ways: with clang's
 * -fsanitize=fuzzer for `make fuzz`, and with replay.c's main for
 * `make test`, which feeds it the committed seeds and regression inputs
 * under the normal sanitizer build (no clang needed there).  A target
 * aborts on a broken invariant, so a wrong answer is a finding like a
 * crash. */
#ifndef TETRA_FUZZ_H
#define TETRA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The libFuzzer entry point: feed one input.  Always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a message when an invariant of the code under test fails:
 * libFuzzer then keeps the input as a crash. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
