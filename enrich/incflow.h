/* incflow.h - --incidents: incident building as a layer over a mode's
 * flow_io, so stdin and Kafka modes gain incidents without a change to the
 * record path itself.
 *
 * The layer's emit passes each finished record to the mode's emit first,
 * then feeds it to the incidents (incident.h) and writes the incident
 * records that changed: on stdout as protojson lines between the event
 * lines, or to the incident topic as protobuf keyed by incident id.  Its
 * tick moves the incidents' own LLM requests along (one client apart from
 * the per-event one, so the two never see each other's requests) and
 * closes incidents of nodes gone quiet, then calls the mode's tick. */
#ifndef TETRA_ENRICH_INCFLOW_H
#define TETRA_ENRICH_INCFLOW_H

#include <signal.h>
#include "cli.h"
#include "flow.h"
#include "util/stats.h"

typedef struct incflow incflow;

/* A layer over inner (with inner_ctx) for o's settings, using e's cache.
 * In Kafka mode (o->in_topic) records go to o->incident_topic, else to
 * stdout.  NULL with err filled. */
incflow *incflow_new(const enrich_opts *o, engine *e, const flow_io *inner, void *inner_ctx,
                     volatile sig_atomic_t *stop, char *err, size_t errlen);
/* The ops and context to give flow_new. */
const flow_io *incflow_ops(const incflow *x);
/* A partition was revoked: close its nodes' incidents as partial and
 * deliver their records. */
void incflow_revoke(incflow *x, int32_t lane);
/* The end of the run: close what is open (as partial when stopped by a
 * signal, else closed), finish the LLM requests of closing incidents and
 * write the last records.  Returns 0, or -1 when a record could not be
 * written (reported). */
int incflow_finish(incflow *x, int stopped);
/* Add the layer's counters to st and free it. */
void incflow_free(incflow *x, stats *st);

#endif
