/* record.h - one input record, whatever its shape, as canonical JSON objects.
 *
 * The sink accepts enriched records (tetragonsidekick.EnrichedEvent) and
 * plain Tetragon events (tetragon.GetEventsResponse), as JSON lines or as
 * binary protobuf.  Every shape goes through the codec and comes out as the
 * canonical protojson of the event and of the enrichment, so the document
 * looks the same however the event arrived, and its _id too. */
#ifndef TETRA_SINK_RECORD_H
#define TETRA_SINK_RECORD_H

#include <stddef.h>
#include <jansson.h>
#include "buf.h"
#include "pjson.h"

typedef enum record_type {
    RECORD_AUTO,     /* JSON: by content; binary: enriched */
    RECORD_ENRICHED, /* tetragonsidekick.EnrichedEvent */
    RECORD_EVENT     /* tetragon.GetEventsResponse */
} record_type;

#define RECORD_TYPE_ENRICHED "tetragonsidekick.EnrichedEvent"

/* The canonical JSON text of the event and the enrichment lives in two
 * caller-owned buffers (reused between records), so the document can
 * carry it as it is instead of printing the parsed tree again. */
typedef struct record_bufs {
    buf event, enrichment;
} record_bufs;

typedef struct record {
    json_t *event;                           /* the GetEventsResponse object (owned) */
    json_t *enrichment;                      /* the Enrichment object or NULL (owned) */
    const buf *event_json, *enrichment_json; /* its text; enrichment_json NULL with it */
} record;

/* Decode a JSON record (an EnrichedEvent, or a GetEventsResponse when it
 * carries no "event").  bufs and a are reused by the caller between
 * records; r points into bufs until the next call.  Returns 0 and fills r,
 * or -1 with *reason (a counter name) and msg filled. */
int record_from_json(pj_arena *a, record_bufs *bufs, const char *data, size_t len, record *r,
                     const char **reason, char *msg, size_t msglen);

/* Decode a binary record of type t (RECORD_AUTO means enriched).  Returns
 * 0, or -1 with *reason set. */
int record_from_proto(pj_arena *a, record_bufs *bufs, const void *data, size_t len, record_type t,
                      record *r, const char **reason);

/* The type named by a message-type header value, RECORD_AUTO if unknown. */
record_type record_type_of(const char *name, size_t len);

/* Release what r owns; r may be cleared twice. */
void record_clear(record *r);

#endif
