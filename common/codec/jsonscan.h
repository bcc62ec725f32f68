/* jsonscan.h - a strict JSON tokenizer that allocates nothing per token.
 *
 * The codec's hot path: one pass over a record checks the full RFC 8259
 * grammar (structure, literals, number syntax, string escapes, UTF-8 and
 * surrogate pairs, control characters, nesting depth) and leaves a flat
 * array of tokens pointing into the input.  Each token knows where its
 * subtree ends (next), so skipping an unknown field is one index jump, and
 * how many children it has (size), so arrays are allocated at their exact
 * length.  Strings are not unescaped here: most never need it. */
#ifndef TETRA_JSONSCAN_H
#define TETRA_JSONSCAN_H

#include <stddef.h>
#include <stdint.h>
#include "pjson.h"

enum { JT_OBJ = 1, JT_ARR, JT_STR, JT_NUM, JT_TRUE, JT_FALSE, JT_NULL };

typedef struct jtok {
    uint32_t start; /* strings: first byte after the quote */
    uint32_t len;   /* strings: bytes before the closing quote */
    uint32_t next;  /* index of the first token after this subtree */
    uint32_t size;  /* objects: members; arrays: elements */
    uint8_t type;
    uint8_t esc; /* strings: contains a backslash escape */
} jtok;

typedef struct jscan {
    jtok *t;
    size_t n, cap;
} jscan;

/* Tokenize s[0..len).  Exactly one value, surrounded by optional white
 * space.  Returns PJ_OK, or PJ_ERR_SYNTAX / PJ_ERR_UTF8 / PJ_ERR_DEPTH /
 * PJ_ERR_NOMEM with *erroff and *msg (static) set.  Inputs of 4 GiB or more
 * are refused with PJ_ERR_SYNTAX. */
pj_status jscan_run(jscan *sc, const char *s, size_t len, size_t *erroff, const char **msg);

/* Unescape the string token t of s into dst, which has room for t->len + 1
 * bytes (unescaping never grows a string).  Returns the length written;
 * dst is NUL-terminated. */
size_t jscan_unescape(const char *s, const jtok *t, char *dst);

void jscan_free(jscan *sc);

#endif
