/* incident.h - incident records (tetragonsidekick.IncidentRecord) as
 * OpenSearch documents in tetragon-incidents-*.
 *
 * tetra-enrich rewrites an incident rather than appending to it: every
 * update is a whole record with the same id and a higher version.  So an
 * incident is indexed with the bulk "index" action under its own id, and
 * with external versioning (the record's version) so that an older update
 * arriving late (a replay, a retry, two partitions' worth of lag) is
 * refused by OpenSearch with a 409 instead of overwriting a newer one: the
 * index converges on the latest version whatever the order.  A record
 * without a version (0) is indexed without that guard.
 *
 * The document keeps the whole incident under "incident" (as the codec
 * writes it) and adds the fields dashboards search and link by: the ECS
 * host/orchestrator/threat fields the event documents have, a numeric
 * severity, and incident.exec_ids, the processes of its timeline, which
 * are the process.entity_id of its events in tetragon-*. */
#ifndef TETRA_SINK_INCIDENT_H
#define TETRA_SINK_INCIDENT_H

#include <stddef.h>
#include <time.h>
#include "util/buf.h"
#include "codec/pjson.h"
#include "tetragonsidekick/incident.pb-c.h"

typedef Tetragonsidekick__Incident incident;

#define INCIDENT_INDEX_DEFAULT "tetragon-incidents-%Y.%m.%d"

typedef struct incident_conf {
    const char *index_pattern; /* strftime pattern of first_time's UTC day */
    const char *cluster_name;  /* used when the incident carries none; may be NULL */
    /* the ingest time's clock, clock_gettime(CLOCK_REALTIME) when NULL */
    int (*clock)(struct timespec *now);
} incident_conf;

/* 1 when the JSON text's first key is "incident" (an incident line in a
 * stream of event lines), else 0.  Only the head is looked at. */
int incident_json_is(const char *data, size_t len);

/* Decode an IncidentRecord, JSON or binary, into arena a; *out points into
 * it.  Returns 0, or -1 with *reason (a counter name) and msg filled;
 * "not_incident" when the record has no incident or no id. */
int incident_from_json(pj_arena *a, const char *data, size_t len, const incident **out,
                       const char **reason, char *msg, size_t msglen);
int incident_from_proto(pj_arena *a, const void *data, size_t len, const incident **out,
                        const char **reason);

/* Append the bulk "index" action line and the document line for inc to
 * out.  Returns 0, or -1 with *reason a static counter name ("bad_time":
 * no usable first_time and a broken clock, "bad_index", "no_memory"); out
 * is then back at its former length.  An incident without first_time is
 * filed under the day it is indexed. */
int incident_doc_build(const incident_conf *c, const incident *inc, buf *out, const char **reason);

/* The lower-case name of a status ("open", "closed", "partial"). */
const char *incident_status_name(int status);

/* 1 for closed and partial: the incident gathers no more events. */
int incident_is_over(const incident *inc);

/* The order of an incident's updates, for OpenSearch's external version
 * and the alert book: last event time in ms, then status (open < partial
 * < closed), then the update number.  Not `version` alone: tetra-enrich
 * numbers updates from 1 again when it rebuilds an incident after a
 * restart, and those updates must still win over the old partial record
 * once they reach its last event time.  0 when the record says neither. */
uint64_t incident_order(const incident *inc);

#endif
