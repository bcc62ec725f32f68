/* doc.h - one Tetragon event (plus its enrichment) as an OpenSearch document.
 *
 * The input is the decoded protobuf message, and the document is written
 * as JSON text straight into the bulk buffer: the Elastic Common Schema
 * fields people search and chart by (docs/SINK.md has the table) are read
 * from the structs, and the whole event and enrichment are appended by the
 * codec's encoder under "tetragon" and "enrichment".  No JSON tree is built
 * and nothing is parsed again, which is what a document used to cost most.
 * Each document gets a _id that depends only on the event's identity, so a
 * replay of the same event, even enriched differently, lands on the same
 * _id and is refused as a duplicate. */
#ifndef TETRA_SINK_DOC_H
#define TETRA_SINK_DOC_H

#include <stddef.h>
#include <time.h>
#include "util/buf.h"
#include "tetragon/events.pb-c.h"
#include "tetragonsidekick/enriched.pb-c.h"

#define DOC_ID_LEN 32 /* hex digits */

typedef struct doc_conf {
    const char *index_pattern; /* strftime pattern of the event's UTC day */
    const char *data_stream;   /* when set, every document goes there */
    const char *cluster_name;  /* used when the event carries none; may be NULL */
    /* the ingest time's clock, clock_gettime(CLOCK_REALTIME) when NULL */
    int (*clock)(struct timespec *now);
} doc_conf;

typedef struct doc_meta {
    char id[DOC_ID_LEN + 1];
    char index[256];
    const char *kind; /* "process_exec", ...; static storage */
} doc_meta;

/* Append one bulk "create" action line and the document line (each ending
 * in a newline) to out.  enr may be NULL (a plain event).
 * An event without a time, or with one before 1970, is indexed at the
 * time it is built: @timestamp and event.ingested are that time and tags
 * holds "time_missing" or "time_invalid".
 * Returns 0, or -1 with *reason set to a static counter name:
 * "not_event" (no event kind), "bad_time" (a time the codec cannot write,
 * or a broken clock), "bad_index" (the pattern gives an empty name) or
 * "no_memory".  On failure out is back at its length from before. */
int doc_build(const doc_conf *c, const Tetragon__GetEventsResponse *ev,
              const Tetragonsidekick__Enrichment *enr, buf *out, doc_meta *meta,
              const char **reason);

/* The _id of an event: 32 hex digits of a 128-bit hash of its identity
 * (see doc.c).  Returns 0, or -1 when the event has no kind or its time
 * cannot be written or, for an event without exec_id, out of memory. */
int doc_id(const Tetragon__GetEventsResponse *ev, char id[DOC_ID_LEN + 1]);

/* Check the strftime conversions of an index pattern: only those that
 * come from the event's UTC day and write digits (%Y %y %m %d %j %G %g %V
 * %U %W %u %w) and %% are allowed, so a name cannot change case or gain
 * spaces or colons with the date.  The other characters are the caller's
 * to check.  Returns how many date conversions the pattern has, or -1
 * with a message in err naming the first conversion that is not allowed. */
int doc_index_pattern_check(const char *pattern, char *err, size_t errlen);

/* Numeric severity (1 info .. 5 critical) of an enrichment severity, 0
 * for unspecified or a number the schema does not know. */
int doc_severity(int v);

/* The lower-case name of a numeric severity ("high"); "unspecified" for 0
 * or a number outside 1..5.  Events, incidents and alerts all name
 * severities with it, so a dashboard filter matches all three. */
const char *doc_severity_name(int severity);

#endif
