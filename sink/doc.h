/* doc.h - one Tetragon event (plus its enrichment) as an OpenSearch document.
 *
 * The input is the event in canonical protojson (what pj_encode writes),
 * parsed with jansson, so this module knows field names but not the codec.
 * The document keeps the whole event under "tetragon" and the enrichment
 * under "enrichment", and adds the Elastic Common Schema fields people search
 * and chart by (docs/SINK.md has the table).  Each document gets a _id that
 * depends only on the event's identity, so a replay of the same event, even
 * enriched differently, lands on the same _id and is refused as a duplicate. */
#ifndef TETRA_SINK_DOC_H
#define TETRA_SINK_DOC_H

#include <stddef.h>
#include <jansson.h>
#include "buf.h"

#define DOC_ID_LEN 32 /* hex digits */

typedef struct doc_conf {
    const char *index_pattern; /* strftime pattern of the event's UTC day */
    const char *data_stream;   /* when set, every document goes there */
    const char *cluster_name;  /* used when the event carries none; may be NULL */
} doc_conf;

typedef struct doc_meta {
    char id[DOC_ID_LEN + 1];
    char index[256];
    const char *kind; /* "process_exec", ...; points into the event */
} doc_meta;

/* The JSON text of the event and the enrichment when the caller has it: the
 * document then carries these bytes as they are (the parsed objects are
 * only read), which saves printing the largest part of every document. */
typedef struct doc_text {
    const char *event;
    size_t event_len;
    const char *enrichment; /* NULL when there is none */
    size_t enrichment_len;
} doc_text;

/* Append one bulk "create" action line and the document line (each ending in
 * a newline) to out.  event is the GetEventsResponse object; enrichment may
 * be NULL; text may be NULL (the objects are printed then), else it must be
 * the text of exactly these objects.
 * Returns 0, or -1 with *reason set to a static counter name:
 * "not_event" (no event kind), "bad_time" (no or unparsable time, so no
 * stable index), "bad_index" (the pattern gives an empty name) or
 * "no_memory".  On failure out may hold a partial line; the caller keeps
 * the length from before and truncates. */
int doc_build(const doc_conf *c, json_t *event, json_t *enrichment, const doc_text *text, buf *out,
              doc_meta *meta, const char **reason);

/* The _id of an event: 32 hex digits of a 128-bit hash of its identity
 * (see doc.c).  Returns 0, or -1 when the event has no kind. */
int doc_id(json_t *event, char id[DOC_ID_LEN + 1]);

/* Numeric severity (1 info .. 5 critical, 0 unknown) of an enrichment
 * severity value, a name such as "SEVERITY_HIGH" or a number. */
int doc_severity(json_t *v);

#endif
