/* litscan.c - the Aho-Corasick scanner of litscan.h.
 *
 * Why our own and not Hyperscan: measured on the rules' and the redactor's
 * literals over the bench corpus's fields (short strings, a few dozen
 * literals), this table walk costs about what hs_scan's per-call set-up
 * does, and Hyperscan is built for x86 only (Debian's libhyperscan is
 * amd64-only; arm64, Graviton, would need vectorscan, a second package
 * with its own quirks).  The whole automaton is some 150 lines.
 *
 * While literals are added the trie keeps 256 next-state slots per state.
 * litscan_build turns it into a DFA in breadth-first order (a missing edge
 * becomes the edge of the failure state, which is complete already), then
 * shrinks the rows to byte classes: every byte that occurs in no literal
 * shares class 0, so a row is a few dozen entries and the table stays in
 * cache.  Each state lists the ids of the literals ending there; dict[s]
 * is the nearest state down the failure chain that lists any, so a scan
 * reports the literals that end inside longer ones as well. */
#include <stdlib.h>
#include <string.h>
#include "litscan.h"

#define NONE UINT32_MAX

struct litscan {
    int fold, built;
    uint32_t nstates, cap; /* states in use and allocated while adding */
    uint32_t *go;          /* adding: 256 next states per state, NONE for no edge */
    uint32_t *lit_state;   /* the state each literal ends in, per literal */
    unsigned *lit_id;
    size_t nlit, litcap, nids;
    /* built */
    uint16_t cls[256];
    uint32_t ncls;
    uint32_t *delta;           /* nstates * ncls entries: next row's offset << 1 | its mark */
    uint32_t *dict;            /* next state with literals down the failure chain */
    uint32_t *own_off, *own_n; /* this state's ids in own[] */
    unsigned *own;
    unsigned char *mark; /* 1 when the state or its dict chain ends a literal */
};

/* A delta entry: the next state's row offset, shifted, and in bit 0
 * whether it ends a literal, so the scan loop reads one table only. */
static uint32_t entry(const litscan *ls, uint32_t s)
{
    return (s * ls->ncls) << 1 | ls->mark[s];
}

static unsigned char fold_byte(const litscan *ls, unsigned char c)
{
    return ls->fold && c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

litscan *litscan_new(int fold)
{
    litscan *ls = calloc(1, sizeof *ls);
    if (ls == NULL)
        return NULL;
    ls->fold = fold != 0;
    ls->cap = 64;
    ls->go = malloc((size_t)ls->cap * 256 * sizeof *ls->go);
    if (ls->go == NULL) {
        free(ls);
        return NULL;
    }
    memset(ls->go, 0xff, 256 * sizeof *ls->go);
    ls->nstates = 1;
    return ls;
}

void litscan_free(litscan *ls)
{
    if (ls == NULL)
        return;
    free(ls->go);
    free(ls->lit_state);
    free(ls->lit_id);
    free(ls->delta);
    free(ls->dict);
    free(ls->own_off);
    free(ls->own_n);
    free(ls->own);
    free(ls->mark);
    free(ls);
}

static uint32_t new_state(litscan *ls)
{
    if (ls->nstates == ls->cap) {
        uint32_t *g = realloc(ls->go, (size_t)ls->cap * 2 * 256 * sizeof *g);
        if (g == NULL)
            return NONE;
        ls->go = g;
        ls->cap *= 2;
    }
    memset(ls->go + (size_t)ls->nstates * 256, 0xff, 256 * sizeof *ls->go);
    return ls->nstates++;
}

static int remember(litscan *ls, uint32_t state, unsigned id)
{
    if (ls->nlit == ls->litcap) {
        size_t cap = ls->litcap ? ls->litcap * 2 : 32;
        uint32_t *s = realloc(ls->lit_state, cap * sizeof *s);
        if (s == NULL)
            return -1;
        ls->lit_state = s;
        unsigned *i = realloc(ls->lit_id, cap * sizeof *i);
        if (i == NULL)
            return -1;
        ls->lit_id = i;
        ls->litcap = cap;
    }
    ls->lit_state[ls->nlit] = state;
    ls->lit_id[ls->nlit++] = id;
    if (id + (size_t)1 > ls->nids)
        ls->nids = id + (size_t)1;
    return 0;
}

int litscan_add(litscan *ls, const char *lit, size_t n, unsigned id)
{
    if (ls->built)
        return -1;
    if (n == 0)
        return 0;
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = fold_byte(ls, (unsigned char)lit[i]);
        uint32_t next = ls->go[(size_t)s * 256 + c];
        if (next == NONE) {
            if ((next = new_state(ls)) == NONE)
                return -1;
            ls->go[(size_t)s * 256 + c] = next;
        }
        s = next;
    }
    return remember(ls, s, id);
}

size_t litscan_ids(const litscan *ls)
{
    return ls->nids;
}

/* Byte classes: 0 for bytes of no literal, one class per byte that occurs
 * (upper-case letters share their lower-case class when folding). */
static void make_classes(litscan *ls)
{
    unsigned char used[256] = {0};
    for (uint32_t s = 0; s < ls->nstates; s++)
        for (unsigned c = 0; c < 256; c++)
            if (ls->go[(size_t)s * 256 + c] != NONE)
                used[c] = 1;
    ls->ncls = 1;
    for (unsigned c = 0; c < 256; c++)
        ls->cls[c] = used[c] ? (uint16_t)ls->ncls++ : 0;
    for (unsigned c = 'A'; ls->fold && c <= 'Z'; c++)
        ls->cls[c] = ls->cls[c + ('a' - 'A')];
}

/* Complete go[] into a DFA in breadth-first order; fills dict[]. */
static int make_dfa(litscan *ls, uint32_t *fail)
{
    uint32_t *queue = malloc((size_t)ls->nstates * sizeof *queue);
    size_t head = 0, tail = 0;
    if (queue == NULL)
        return -1;
    fail[0] = 0;
    ls->dict[0] = NONE;
    for (unsigned c = 0; c < 256; c++) {
        uint32_t *t = &ls->go[c];
        if (*t == NONE)
            *t = 0;
        else
            fail[*t] = 0, ls->dict[*t] = NONE, queue[tail++] = *t;
    }
    while (head < tail) {
        uint32_t u = queue[head++];
        for (unsigned c = 0; c < 256; c++) {
            uint32_t *t = &ls->go[(size_t)u * 256 + c];
            uint32_t via_fail = ls->go[(size_t)fail[u] * 256 + c];
            if (*t == NONE) {
                *t = via_fail;
                continue;
            }
            uint32_t v = *t, f = via_fail;
            fail[v] = f;
            ls->dict[v] = ls->own_n[f] ? f : ls->dict[f];
            queue[tail++] = v;
        }
    }
    free(queue);
    return 0;
}

/* Group the literals' ids by their end state. */
static int make_outputs(litscan *ls)
{
    for (size_t i = 0; i < ls->nlit; i++)
        ls->own_n[ls->lit_state[i]]++;
    uint32_t off = 0;
    for (uint32_t s = 0; s < ls->nstates; s++) {
        ls->own_off[s] = off;
        off += ls->own_n[s];
        ls->own_n[s] = 0;
    }
    if ((ls->own = malloc((ls->nlit ? ls->nlit : 1) * sizeof *ls->own)) == NULL)
        return -1;
    for (size_t i = 0; i < ls->nlit; i++) {
        uint32_t s = ls->lit_state[i];
        ls->own[ls->own_off[s] + ls->own_n[s]++] = ls->lit_id[i];
    }
    return 0;
}

int litscan_build(litscan *ls)
{
    size_t n = ls->nstates;
    uint32_t *fail = malloc(n * sizeof *fail);
    ls->dict = malloc(n * sizeof *ls->dict);
    ls->own_off = calloc(n, sizeof *ls->own_off);
    ls->own_n = calloc(n, sizeof *ls->own_n);
    ls->mark = calloc(n, 1);
    int rc = -1;
    if (fail && ls->dict && ls->own_off && ls->own_n && ls->mark && make_outputs(ls) == 0) {
        make_classes(ls);
        if (n * ls->ncls < (1u << 31)) /* entries hold offsets shifted by one */
            ls->delta = malloc(n * ls->ncls * sizeof *ls->delta);
        if (ls->delta && make_dfa(ls, fail) == 0)
            rc = 0;
    }
    free(fail);
    if (rc < 0)
        return -1;
    unsigned rep[257]; /* a byte of each class */
    for (unsigned c = 256; c-- > 0;)
        rep[ls->cls[c]] = fold_byte(ls, (unsigned char)c);
    for (size_t s = 0; s < n; s++)
        ls->mark[s] = ls->own_n[s] != 0 || ls->dict[s] != NONE;
    for (size_t s = 0; s < n; s++)
        for (uint32_t k = 0; k < ls->ncls; k++)
            ls->delta[s * ls->ncls + k] = entry(ls, ls->go[s * 256 + rep[k]]);
    free(ls->go);
    ls->go = NULL;
    ls->built = 1;
    return 0;
}

int litscan_hits_init(litscan_hits *h, const litscan *ls)
{
    h->n = ls->nids;
    h->gen = 0;
    h->seen = calloc(h->n ? h->n : 1, sizeof *h->seen);
    return h->seen ? 0 : -1;
}

void litscan_hits_free(litscan_hits *h)
{
    free(h->seen);
    h->seen = NULL;
    h->n = 0;
}

static void report(const litscan *ls, uint32_t s, litscan_hits *h)
{
    if (ls->own_n[s] == 0)
        s = ls->dict[s];
    for (; s != NONE; s = ls->dict[s])
        for (uint32_t i = 0; i < ls->own_n[s]; i++)
            h->seen[ls->own[ls->own_off[s] + i]] = h->gen;
}

void litscan_scan_more(const litscan *ls, const char *s, litscan_hits *h)
{
    const unsigned char *p = (const unsigned char *)s;
    const uint32_t *delta = ls->delta;
    const uint16_t *cls = ls->cls;
    uint32_t e = 0;
    if (!ls->built)
        return;
    for (; *p != '\0'; p++) {
        e = delta[(e >> 1) + cls[*p]];
        if (e & 1)
            report(ls, (e >> 1) / ls->ncls, h);
    }
}

void litscan_scan(const litscan *ls, const char *s, litscan_hits *h)
{
    if (++h->gen == 0) { /* wrapped: an old mark could read as new */
        memset(h->seen, 0, h->n * sizeof *h->seen);
        h->gen = 1;
    }
    litscan_scan_more(ls, s, h);
}
