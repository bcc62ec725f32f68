/* lineage.h - process trees, one per node, built from Tetragon's exec_id
 * and parent_exec_id, for grouping events into incidents.
 *
 * A process is known by the 64-bit hash of its exec_id (exec_ids are
 * cluster-wide unique, so a collision is as likely as any other 64-bit
 * one) and stores only what grouping needs: its parent's hash, its pod's
 * hash, whether it is a grouping boundary (the container's init or the
 * app's main process), the incident it belongs to, and when it exited.
 * That keeps a process at 40 bytes plus its hash slot, so 100,000 live
 * processes cost a few megabytes.
 *
 * Bounds: at most `cap` processes per node.  An exited process is kept
 * `grace_ms` of event time after its exit (late kprobe events still find
 * it), then evicted.  When the table is full an exited process is evicted
 * before its grace ends, oldest exit first (counted as evicted_early);
 * when every process is live, the new one is not tracked (counted as
 * refused): its events are then judged without ancestors.  Time is event
 * time: the node's clock is the latest event time seen from it. */
#ifndef TETRA_ENRICH_LINEAGE_H
#define TETRA_ENRICH_LINEAGE_H

#include <stddef.h>
#include <stdint.h>

enum { LP_BOUNDARY = 1, LP_INIT = 2 };

typedef struct lproc {
    uint64_t id;     /* hash of exec_id; 0: empty slot */
    uint64_t parent; /* hash of parent_exec_id, 0: none */
    uint64_t pod;    /* hash of namespace/pod, 0: not in a pod */
    int64_t exit_ms; /* event time of process_exit, 0: live */
    uint32_t inc;    /* incident handle (incident.c), 0: none */
    uint16_t opened; /* incidents rooted here so far, for their ids */
    uint8_t flags;   /* LP_* */
} lproc;

typedef struct lnode lnode;
typedef struct lineage lineage;

typedef struct lineage_counts {
    uint64_t live, tracked, evicted, evicted_early, refused, nodes;
} lineage_counts;

/* A lineage with at most cap processes per node and a grace of grace_ms.
 * NULL when out of memory. */
lineage *lineage_new(size_t cap, int64_t grace_ms);
void lineage_free(lineage *l);

/* The tree of node name (created on first use).  NULL when out of memory. */
lnode *lineage_node(lineage *l, const char *name);
/* Advance the node's clock to t_ms (never backwards) and evict what
 * outlived its grace.  Returns the clock. */
int64_t lnode_clock(lnode *n, int64_t t_ms);
/* The process with hash id, or NULL.  The pointer is valid until the next
 * lnode_put or lnode_clock on the node. */
lproc *lnode_get(lnode *n, uint64_t id);
/* The process id, added with parent, pod and flags when absent (a known
 * process keeps what it has; a 0 parent or pod is filled in).  NULL when
 * the node is full of live processes (refused) or out of memory. */
lproc *lnode_put(lnode *n, uint64_t id, uint64_t parent, uint64_t pod, uint8_t flags);
/* Mark p exited at t_ms (its grace starts).  Returns 0, or -1 when out of
 * memory (p then stays until the table needs room). */
int lnode_exit(lnode *n, lproc *p, int64_t t_ms);
/* Call fn for every process of the node (to drop incident handles). */
void lnode_each(lnode *n, void (*fn)(void *ctx, lproc *p), void *ctx);

void lineage_counts_get(const lineage *l, lineage_counts *out);
/* Bytes held by the tables, for the memory figures. */
size_t lineage_bytes(const lineage *l);

/* FNV-1a 64 of a string; never 0 (0 means "none"). */
uint64_t lineage_hash(const char *s);

#endif
