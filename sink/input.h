/* input.h - where tetra-sink's records come from: stdin or Kafka topics.
 *
 * The backends sit behind one const table of functions (as capture's
 * input.h does), so the loop in run.c reads, waits, commits and closes
 * without asking which one it holds.  An input hands every record it reads
 * to its host's callbacks and knows nothing of documents or OpenSearch; the
 * host tells it back when a record is finished (indexed, already there, or
 * dead-lettered), and a Kafka input commits only below its oldest
 * unfinished record (offsets.h).
 *
 * The sink may hold several inputs at once (the events topic and the
 * incidents topic), and bulk items and dead letters carry one int32
 * "partition" through to the finish.  A tag puts the input's slot in the
 * high bits of that number: Kafka partitions stay far below 2^24, and
 * stdin's -1 (no offsets) stays -1. */
#ifndef TETRA_SINK_INPUT_H
#define TETRA_SINK_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>
#include "record.h"

#define SINK_INPUTS_MAX 4

/* Where a record came from. */
typedef struct origin {
    int32_t part;  /* tagged Kafka partition (sink_tag), -1 for stdin */
    int64_t off;   /* Kafka offset, or byte offset in stdin */
    uint64_t line; /* stdin line where it starts, 0 when not known */
    uint64_t size; /* its full size, when the bytes at hand are only its head */
} origin;

/* The partition number of slot's partition part, and back. */
static inline int32_t sink_tag(int slot, int32_t part)
{
    return part < 0 ? -1 : (int32_t)((uint32_t)slot << 24 | (uint32_t)part);
}
static inline int sink_tag_slot(int32_t tagged)
{
    return tagged < 0 ? -1 : (int)((uint32_t)tagged >> 24);
}
static inline int32_t sink_tag_part(int32_t tagged)
{
    return tagged < 0 ? -1 : (int32_t)((uint32_t)tagged & 0xffffff);
}

/* What an input reads for.  Callbacks run from sink_input_read(). */
typedef struct sink_input_host {
    void *ctx;
    /* one record; binary: protobuf bytes, else a JSON text; t: its type
     * when the transport says (a Kafka header), RECORD_AUTO otherwise */
    void (*record)(void *ctx, const char *data, size_t len, int binary, record_type t,
                   const origin *o);
    /* a record the framer refused (reason is a counter name) */
    void (*reject)(void *ctx, const char *reason, const char *data, size_t len, const origin *o);
    /* 1 while the host holds enough: read no more */
    int (*full)(void *ctx);
} sink_input_host;

typedef struct sink_input sink_input;

/* stdin, JSON lines or (varint) length-prefixed protobuf records of type
 * (handed on as is) of at most max_record bytes.  Set non-blocking until
 * closed.  NULL with err filled. */
sink_input *sink_input_stdin(const sink_input_host *h, int varint, record_type type,
                             size_t max_record, char *err, size_t errlen);

/* A consumer of topic in slot (1 .. SINK_INPUTS_MAX-1 with slot 0 for the
 * first), taking conf in every case; type is what a record without a
 * message-type header is.  NULL with err filled. */
sink_input *sink_input_kafka(const sink_input_host *h, int slot, rd_kafka_conf_t *conf,
                             const char *topic, record_type type, char *err, size_t errlen);

/* Read what is there without blocking, a budget per call so delivery gets
 * its turn.  Returns how many records were handed out (0: none now), or
 * -1 with err filled when the input cannot go on. */
int sink_input_read(sink_input *in, char *err, size_t errlen);

/* The descriptor to wait on for more (-1: none, poll again soon). */
int sink_input_fd(const sink_input *in);

/* 1 once the input ended and every record it read was handed out. */
int sink_input_ended(const sink_input *in);

/* The record at (part, off) is finished (part as in its origin). */
void sink_input_finished(sink_input *in, int32_t part, int64_t off);

/* Commit what is finished; with force 0 only when commit_ms passed since
 * the last commit.  Returns how many partitions were committed. */
int sink_input_commit(sink_input *in, long commit_ms, int force);

/* Records read but not finished, for inputs that track them. */
size_t sink_input_inflight(const sink_input *in);

/* 1 for an input that commits (Kafka). */
int sink_input_commits(const sink_input *in);

/* Leave (a Kafka input commits what finished first) and free; in may be
 * NULL. */
void sink_input_close(sink_input *in);

#endif
