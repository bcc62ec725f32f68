/* wipe.h - overwrite secrets before their memory is given back.
 *
 * Passwords, tokens and private keys read from files or the environment
 * should not linger in freed heap or dead stack frames, where a core dump
 * or a later allocation could show them.  A memset just before free() or
 * before a buffer goes out of scope is a dead store the compiler may drop;
 * explicit_bzero (glibc) is one it must keep.  Nothing here fails. */
#ifndef TETRA_WIPE_H
#define TETRA_WIPE_H

#include <stddef.h>

/* Zero the n bytes at p, a store the compiler keeps. */
void wipe(void *p, size_t n);

/* Zero the n bytes at p, then free p.  NULL is ignored. */
void wipe_free(void *p, size_t n);

/* Zero the string s up to its terminator, then free s.  NULL is ignored. */
void wipe_free_str(char *s);

#endif
