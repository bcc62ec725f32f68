/* base64.h - base64 (RFC 4648) encoding and decoding into caller memory.
 *
 * Three users: the JSON codec (protobuf bytes fields, on the hot path of
 * every event that carries them), the dead-letter file (records that are
 * not UTF-8) and kubeconfig's inline certificates.  Encoding writes the
 * standard alphabet, padded.  Decoding takes the standard and the URL-safe
 * alphabet, with or without padding, as protobuf's JSON mapping asks;
 * kubeconfig data may also be wrapped, so white space can be skipped on
 * request.  Neither allocates: the caller sizes dst with the macros, so
 * the codec can decode into its arena. */
#ifndef TETRA_BASE64_H
#define TETRA_BASE64_H

#include <stddef.h>

/* Characters b64_encode writes for n bytes. */
#define B64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)
/* Room b64_decode needs at most for n characters of text. */
#define B64_DECODED_MAX(n) ((n) / 4 * 3 + 3)

/* b64_decode flags: skip space, tab, CR and LF anywhere. */
#define B64_SKIP_SPACE 1u

/* Write the padded base64 of the n bytes at src to dst (B64_ENCODED_LEN(n)
 * bytes, no NUL).  Returns the count written. */
size_t b64_encode(char *dst, const void *src, size_t n);

/* Decode the n characters at s into dst (room for B64_DECODED_MAX(n)).
 * Trailing '=' are optional; a '=' elsewhere, a character of neither
 * alphabet or a lone last character make it fail.  Returns the length
 * decoded, or -1 when malformed. */
long b64_decode(const char *s, size_t n, unsigned char *dst, unsigned flags);

#endif
