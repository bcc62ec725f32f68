/* flow.h - the one record path of tetra-enrich: records in, enriched
 * records out, with many LLM requests in flight.
 *
 * stdin, Kafka at-least-once and Kafka transactions differ only in where
 * records come from, where they go and what is committed; that is a const
 * flow_io table each mode fills (run.c, kafka.c, txn.c), and flow_run()
 * is the loop they share.  A record that needs no LLM call leaves at once
 * (io->emit from inside flow_add); one that waits leaves when its answer,
 * failure or timeout comes, so output order is not input order unless
 * the flow is ordered, and then only within a lane (a partition).  Records of one behaviour share
 * one request (single flight).  At most max_pending records are held; flow_full() says when the
 * input must stop reading. */
#ifndef TETRA_ENRICH_FLOW_H
#define TETRA_ENRICH_FLOW_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "engine.h"

/* Where a record came from: a Kafka partition and offset, or lane 0 and
 * the record's number on stdin.  event_pb, when the reader sets it, is the
 * event as the protobuf bytes it came in (valid until the record is
 * emitted); the flow clears it when the enrichment changed the event
 * (redaction), so emit may write those bytes instead of packing the event
 * again (record_pack). */
typedef struct flow_tag {
    int32_t lane;
    int64_t off;
    const void *event_pb;
    size_t event_pb_len;
} flow_tag;

typedef struct flow flow;

typedef struct flow_io {
    /* Read records into f (flow_arena, then flow_add) until it is full or
     * nothing more is ready within wait_ms.  Returns 1, 0 at the end of the
     * input, or -1 on a failure it reported. */
    int (*read)(void *ctx, flow *f, int wait_ms);
    /* A record is finished: write or produce ee, or only note that the
     * record is done when ee is NULL (it was rejected).  Returns 0, or -1
     * on a failure it reported (the flow stops). */
    int (*emit)(void *ctx, flow_tag tag, Tetragonsidekick__EnrichedEvent *ee);
    /* Periodic work between reads: delivery reports, commits, flushing.
     * Returns 0, or -1 on a failure it reported. */
    int (*tick)(void *ctx, flow *f);
    int drain_on_stop; /* 1: on a stop, finish the held records first */
} flow_io;

typedef struct flow_conf {
    size_t max_pending; /* records held at once (>= 1) */
    int ordered;        /* emit each lane's records in the order flow_add saw
                         * them (lanes are independent of one another) */
    int wake_fd;        /* readable when input is ready, or -1 */
} flow_conf;

/* A flow over e calling io with ctx.  NULL when out of memory. */
flow *flow_new(engine *e, const flow_conf *c, const flow_io *io, void *ctx);
/* Free f; records still held are dropped without being emitted.  The
 * requests f made stay in the engine's LLM client, which drops them when
 * the engine is freed: one flow per engine. */
void flow_free(flow *f);

/* The arena the next record must be decoded into, or NULL when the flow
 * is full or out of memory.  Asking twice before flow_add gives the same
 * arena. */
pj_arena *flow_arena(flow *f);
/* Take the next record: ev decoded in flow_arena()'s arena, or NULL for a
 * record that was rejected (it is emitted, in its turn, with ee NULL).
 * Returns 0, or -1 on a failure (reported). */
int flow_add(flow *f, flow_tag tag, tetra_event *ev);

/* Move requests along for up to wait_ms and emit what finished.  Returns
 * 0, or -1 on a failure (reported). */
int flow_step(flow *f, int wait_ms);

/* Drop the held records of a lane (a revoked partition), or of every lane
 * when lane < 0, without emitting them; their requests still finish and
 * fill the cache. */
void flow_drop(flow *f, int32_t lane);

size_t flow_held(const flow *f);
int flow_full(const flow *f);

/* Read, enrich and emit until the input ends (and everything held left)
 * or *stop: 1 stops reading (and drains when the io says so), 2 stops at
 * once (prog_stop's second signal).  Returns 0, or -1 on a failure
 * (reported; a stop at once with records still held is one). */
int flow_run(flow *f, volatile sig_atomic_t *stop);

#endif
