/* output.h - where decoded events go: stdout as JSON or binary, or Kafka.
 *
 * The program hands every event to output_write() and asks output_done()
 * how far delivery got; the backend (a const table of functions per kind)
 * decides what delivered means: written and flushed to stdout, or
 * acknowledged by the Kafka brokers.  Events are numbered in write order
 * from 0, so a caller can tie each to its input position. */
#ifndef TETRA_OUTPUT_H
#define TETRA_OUTPUT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <librdkafka/rdkafka.h>
#include "codec/event.h"

typedef enum output_kind {
    OUTPUT_JSON,  /* canonical protojson, one event per line */
    OUTPUT_PROTO, /* binary, each message preceded by its varint length */
    OUTPUT_KAFKA  /* binary message value, node_name key, kind/type headers */
} output_kind;

typedef struct output_conf {
    output_kind kind;
    FILE *fp;                    /* JSON/PROTO: where to write (stdout) */
    const char *topic;           /* KAFKA */
    rd_kafka_conf_t *kconf;      /* KAFKA: taken over by output_open in every case */
    volatile sig_atomic_t *stop; /* give up waiting for a full queue when set; may be NULL */
} output_conf;

typedef struct output output;

/* Parse "json" / "proto" into *kind.  Returns 0, or -1 for anything else. */
int output_kind_parse(const char *s, output_kind *kind);

/* Open an output.  Returns NULL with err filled on failure. */
output *output_open(const output_conf *oc, char *err, size_t errlen);

/* Encode and send one event.  Returns 0, or -1 with err filled (a write
 * error or a producer failure: the program should stop). */
int output_write(output *o, const tetra_event *ev, char *err, size_t errlen);

/* Push pending data along (fflush, serve delivery reports) waiting at most
 * ms.  Returns 0, or -1 with err filled when stdout failed. */
int output_sync(output *o, int ms, char *err, size_t errlen);

/* Events written so far / every event numbered below this was delivered. */
uint64_t output_written(const output *o);
uint64_t output_done(const output *o);

/* Flush everything: wait until every event was delivered or failed, or
 * *abort is set (may be NULL).  Returns how many events were not
 * delivered; err says why when that is > 0, or when a stdout write failed
 * (*failed set then).  output_done() stays valid afterwards. */
uint64_t output_flush(output *o, volatile sig_atomic_t *abort, int *failed, char *err,
                      size_t errlen);

/* Free o and its producer (events still queued are dropped).  o may be
 * NULL. */
void output_free(output *o);

#endif
