/* utf8.c - the external definition of utf8_seq_len(), whose inline body is
 * in utf8.h (see there for why it is inline).  C11 emits it in exactly the
 * one file that declares the function extern. */
#include "utf8.h"

extern inline size_t utf8_seq_len(const unsigned char *s, size_t n);
