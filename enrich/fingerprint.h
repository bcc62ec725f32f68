/* fingerprint.h - reduce an event to its behaviour, the base of the cache
 * key: two events with the same fingerprint get the same explanation.
 *
 * Kept: event kind, binary, argument shape, parent binary, namespace and
 * workload (not pod), function, policy, kprobe argument shape, and the
 * flags the rules depend on.  Masked: numbers, hex strings, UUIDs, long
 * random-looking names (pod hashes, temp names, build ids) and the name
 * that follows a temporary directory. */
#ifndef TETRA_ENRICH_FINGERPRINT_H
#define TETRA_ENRICH_FINGERPRINT_H

#include <stdint.h>
#include "util/buf.h"
#include "facts.h"

/* Append the masked form of s to out, at most max bytes of it.  Returns 0
 * or -1 (out of memory). */
int fp_normalize(const char *s, size_t max, buf *out);
/* Append the normalised behaviour text of fx to out (one line of
 * "key=value" separated by 0x1f).  Returns 0 or -1. */
int fp_text(const facts *fx, buf *out);
/* Write the fingerprint (16 lowercase hex digits and a NUL) into out[17],
 * using scratch for the text.  Returns 0 or -1. */
int fp_compute(const facts *fx, buf *scratch, char out[17]);

#endif
