/* record.h - one input record, whatever its shape, as decoded messages.
 *
 * The sink accepts enriched records (tetragonsidekick.EnrichedEvent) and
 * plain Tetragon events (tetragon.GetEventsResponse), as JSON lines or as
 * binary protobuf.  Every shape is decoded by the codec into the same
 * protobuf-c structs, from which the document is written (doc.h), so the
 * document looks the same however the event arrived, and its _id too. */
#ifndef TETRA_SINK_RECORD_H
#define TETRA_SINK_RECORD_H

#include <stddef.h>
#include "codec/pjson.h"
#include "tetragon/events.pb-c.h"
#include "tetragonsidekick/enriched.pb-c.h"

typedef enum record_type {
    RECORD_AUTO,     /* JSON: by content; binary: enriched */
    RECORD_ENRICHED, /* tetragonsidekick.EnrichedEvent */
    RECORD_EVENT,    /* tetragon.GetEventsResponse */
    RECORD_INCIDENT  /* tetragonsidekick.IncidentRecord (incident.h) */
} record_type;

#define RECORD_TYPE_ENRICHED "tetragonsidekick.EnrichedEvent"
#define RECORD_TYPE_INCIDENT "tetragonsidekick.IncidentRecord"

typedef struct record {
    const Tetragon__GetEventsResponse *event;       /* in the arena */
    const Tetragonsidekick__Enrichment *enrichment; /* in the arena, or NULL */
} record;

/* Decode a JSON record (an EnrichedEvent, or a GetEventsResponse when it
 * carries no "event") into arena a; r points into the arena until its next
 * reset.  Returns 0 and fills r, or -1 with *reason (a counter name) and
 * msg filled. */
int record_from_json(pj_arena *a, const char *data, size_t len, record *r, const char **reason,
                     char *msg, size_t msglen);

/* Decode a binary record of type t (RECORD_AUTO means enriched).  Returns
 * 0, or -1 with *reason set. */
int record_from_proto(pj_arena *a, const void *data, size_t len, record_type t, record *r,
                      const char **reason);

/* The type named by a message-type header value, RECORD_AUTO if unknown. */
record_type record_type_of(const char *name, size_t len);

#endif
