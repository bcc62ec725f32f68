/* litscan.h - find many literal strings in one pass over a text: an
 * Aho-Corasick automaton, built once, scanned per event field.
 *
 * The rules' prefilter (prefilter.h) and the redactor's hints each need to
 * know which of a few dozen literals a string contains.  One strstr per
 * literal read the same bytes dozens of times; the automaton reads each
 * byte once whatever the number of literals.  Literals are added with an
 * id, the automaton is built, and a scan marks the ids of every literal
 * that occurs, overlapping ones included ("he", "she" and "hers" in
 * "ushers" are all found).  A case-folding scanner matches ASCII letters
 * regardless of case (its literals and texts are folded alike). */
#ifndef TETRA_ENRICH_LITSCAN_H
#define TETRA_ENRICH_LITSCAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct litscan litscan;

/* The literals a scan found: hits->seen[id] == hits->gen for each.  One
 * per scanner and thread; litscan_hits_init sizes it. */
typedef struct litscan_hits {
    uint32_t *seen; /* owned, one per id */
    size_t n;
    uint32_t gen; /* bumped by every litscan_scan, so nothing is cleared */
} litscan_hits;

/* A new, empty scanner; fold != 0 for ASCII case-insensitive matching.
 * NULL when out of memory. */
litscan *litscan_new(int fold);
void litscan_free(litscan *ls);
/* Add the n bytes at lit under id (ids are small integers, may repeat
 * over literals).  Not after litscan_build.  An empty literal is ignored:
 * every text contains it, so it filters nothing.  Returns 0, or -1 when out
 * of memory. */
int litscan_add(litscan *ls, const char *lit, size_t n, unsigned id);
/* Make the automaton; no litscan_add after it.  Returns 0 or -1 (ENOMEM). */
int litscan_build(litscan *ls);
/* One more than the highest id added (0 when none). */
size_t litscan_ids(const litscan *ls);

/* Size hits for ls's ids.  Returns 0 or -1 (ENOMEM). */
int litscan_hits_init(litscan_hits *h, const litscan *ls);
void litscan_hits_free(litscan_hits *h);
/* Scan the NUL-terminated text s, starting a new generation of h: after
 * it, litscan_hit(h, id) says whether literal id occurs in s. */
void litscan_scan(const litscan *ls, const char *s, litscan_hits *h);
/* Scan again without starting a new generation: ids found in s are added
 * to those of the last litscan_scan. */
void litscan_scan_more(const litscan *ls, const char *s, litscan_hits *h);

static inline int litscan_hit(const litscan_hits *h, unsigned id)
{
    return id < h->n && h->seen[id] == h->gen;
}

#endif
