/* hash.h - FNV-1a, the one non-cryptographic hash of the tree.
 *
 * Used where a hash is stored or compared across processes, so its output
 * is a contract: the follow state file keeps the 64-bit hash of a file's
 * first bytes, enrich's fingerprints are 64-bit hashes that land in
 * OpenSearch, and --shard picks a node by the 32-bit hash of its name,
 * which every capture replica must compute alike.  Never change either
 * function's output. */
#ifndef TETRA_HASH_H
#define TETRA_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64 of the n bytes at p. */
uint64_t fnv1a64(const void *p, size_t n);

/* FNV-1a 32 of the n bytes at p. */
uint32_t fnv1a32(const void *p, size_t n);

#endif
