/* incident_out.h - the tetragonsidekick.IncidentRecord of an incident, as
 * a protojson line (stdout) or protobuf bytes (the incident topic).
 *
 * Every record is the whole incident as it stands, with its version one
 * more than the last record's: a consumer keeps the latest. */
#ifndef TETRA_ENRICH_INCIDENT_OUT_H
#define TETRA_ENRICH_INCIDENT_OUT_H

#include "util/buf.h"
#include "incident.h"
#include "codec/pjson.h"
#include "tetragonsidekick/incident.pb-c.h"

/* Build the record of in in arena a (strings borrowed from in, which must
 * outlive the record).  model names the LLM when the story is the LLM's.
 * NULL when out of memory. */
Tetragonsidekick__IncidentRecord *incident_record(const incident *in, const char *cluster,
                                                  const char *model, pj_arena *a);
/* The rules' summary of in (sequences first, then the most severe event)
 * into out.  Returns 0 or -1 (out of memory). */
int incident_rules_summary(const incident *in, buf *out);
/* Encode rec into out (replacing its content): one JSON line ending in
 * '\n', or protobuf bytes.  Returns 0 or -1 (out of memory). */
int incident_encode(const Tetragonsidekick__IncidentRecord *rec, int proto, buf *out);

#endif
