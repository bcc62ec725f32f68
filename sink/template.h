/* template.h - the index template and retention policy the sink installs.
 *
 * The mapping is explicit for every field the sink adds (keyword ids,
 * text plus keyword for command lines and summaries, date_nanos, long, ip),
 * so searches and dashboards do not depend on what the first document
 * happened to look like.  The raw event under "tetragon" is kept whole in
 * _source but not indexed ("dynamic": false): indexing its ~850 fields
 * was most of OpenSearch's cost per document (template.c says how much),
 * and the fields people search are mapped from it above (pod labels as
 * "key=value" keywords in orchestrator.resource.label). */
#ifndef TETRA_SINK_TEMPLATE_H
#define TETRA_SINK_TEMPLATE_H

#include <stddef.h>
#include "util/buf.h"
#include "http/http.h"

/* Raise when the template changes: a running cluster with a lower version
 * gets ours at the next start; one with a higher version is left alone. */
#define TEMPLATE_VERSION 4
/* The same for the incident template (tetragon-incidents-*). */
#define INCIDENT_TEMPLATE_VERSION 1

typedef struct template_conf {
    const char *url; /* cluster base URL */
    const http_conf *http;
    const char *name;          /* template (and policy) name */
    const char *index_pattern; /* strftime pattern of daily indices */
    const char *data_stream;   /* or a data stream name */
    int retention_days;        /* 0: no ISM policy */
    int incidents;             /* 1: the incident template (incident.h) */
} template_conf;

/* Append the template body to out.  Returns 0 or -1 (out of memory, or a
 * pattern that gives no index prefix). */
int template_body(const template_conf *c, buf *out);

/* Install the template unless one of the same or a higher version is
 * there.  *note receives a static description of what happened
 * ("installed", "updated", "current", "newer version kept").  Returns 0,
 * or -1 with err filled. */
int template_install(const template_conf *c, const char **note, char *err, size_t errlen);

/* Create or update the ISM retention policy.  Returns 1 when done, 0 when
 * the ISM plugin is not installed (nothing done), -1 with err filled. */
int template_retention(const template_conf *c, char *err, size_t errlen);

#endif
