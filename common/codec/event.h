/* event.h - Tetragon events as the three filters see them.
 *
 * Wraps the codec for the one message type that flows through the raw
 * topic, tetragon.GetEventsResponse, and turns codec failures into the
 * rejection reasons every program counts (invalid_json, not_event,
 * unknown_kind, wrong_type, ...), so the three summary lines agree. */
#ifndef TETRA_EVENT_H
#define TETRA_EVENT_H

#include <stddef.h>
#include "pjson.h"
#include "tetragon/events.pb-c.h"

/* Kafka record headers written by tetra-capture and read downstream. */
#define TETRA_HDR_KIND "tetragon-event-kind" /* e.g. "process_exec" */
#define TETRA_HDR_TYPE "message-type"        /* TETRA_TYPE_EVENT */
#define TETRA_TYPE_EVENT "tetragon.GetEventsResponse"

typedef Tetragon__GetEventsResponse tetra_event;

/* Decode one JSON object into an event allocated in arena a.
 * Returns 0 and sets *out; or -1 with *reason set to a static counter name
 * ("invalid_json", "invalid_utf8", "too_deep", "wrong_type", "bad_value",
 * "not_event" for JSON that carries no event, "unknown_kind" for an object
 * whose only payload is a field this schema does not know, "no_memory")
 * and err describing the field and offset.  info may be NULL. */
int event_from_json(pj_arena *a, const char *json, size_t len, tetra_event **out,
                    const char **reason, pj_error *err, pj_decode_info *info);

/* Decode a binary GetEventsResponse. Returns 0, or -1 with *reason
 * "invalid_proto", "not_event", "unknown_kind" or "bad_value" (a time
 * protojson cannot write), and err (may be NULL) saying what and where. */
int event_from_proto(pj_arena *a, const void *data, size_t len, tetra_event **out,
                     const char **reason, pj_error *err);

/* The event kind as its proto field name ("process_exec"), or NULL when no
 * event is set.  Static storage. */
const char *event_kind(const tetra_event *ev);

#endif
