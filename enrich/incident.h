/* incident.h - group enriched events into incidents along process
 * lineage, on event time.
 *
 * An incident opens when an event at or above min_severity arrives and
 * neither its process nor an ancestor (in the same pod, below a boundary)
 * is in an open incident; its root is the topmost such ancestor.  Later
 * events of processes in the incident, and of their descendants, join it;
 * a suspicious event whose ancestor is in an open incident joins that one.
 * Boundaries (the container's init, and the app's main process: a quiet
 * direct child of init) never join, so they do not pull their other
 * children in.  An incident closes when the node's event clock passes
 * last_time + idle or first_time + max; event time, so a replay gives the
 * same incidents.  A node that falls quiet would keep its incidents open
 * for ever, so inc_advance moves its clock on with wall time once it has
 * been quiet for the idle period (live streams only; a replay is never
 * quiet that long).
 *
 * The caller is told what changed through inc_next(): an incident that
 * opened, rose in severity, completed a sequence or closed is queued once
 * per change; the caller writes a record and, for a closed incident,
 * releases it (inc_release) when nothing refers to it any more. */
#ifndef TETRA_ENRICH_INCIDENT_H
#define TETRA_ENRICH_INCIDENT_H

#include <stddef.h>
#include <stdint.h>
#include "codec/event.h"
#include "finding.h"
#include "lineage.h"
#include "rules.h"
#include "sequence.h"
#include "tetragonsidekick/enriched.pb-c.h"

enum { INC_OPEN = 1, INC_CLOSED = 2, INC_PARTIAL = 3 }; /* as IncidentStatus */

typedef struct inc_conf {
    int min_severity; /* SEV_*: opens an incident (default low) */
    int64_t idle_ms, max_ms;
    size_t max_events;   /* timeline entries kept; the rest are counted */
    size_t lineage_cap;  /* processes per node */
    int64_t grace_ms;    /* exited processes kept this long */
    const char *cluster; /* may be NULL */
} inc_conf;

#define INC_MAX_TECH 12
#define INC_MAX_SEQ 8
#define INC_MAX_RULES 32

typedef struct inc_event {
    int64_t sec;
    int32_t nanos;
    int severity;
    char *kind, *exec_id, *parent_exec_id, *binary, *arguments, *function;
    char *rules; /* rule names joined by ' ' */
} inc_event;

/* The LLM's narrative of an incident, when one was written. */
typedef struct inc_story {
    finding f; /* summary, severity, techniques, indicators (touched), next steps */
    int have;
    int source, llm_status; /* TETRAGONSIDEKICK__SOURCE__*, __LLM_STATUS__* */
} inc_story;

typedef struct incident {
    char id[48];
    char *node, *ns, *pod, *workload, *root_exec_id;
    int status; /* INC_* */
    int64_t first_sec, last_sec;
    int32_t first_nanos, last_nanos;
    uint64_t count, omitted;
    inc_event *ev;
    size_t nev;
    int severity;
    technique tech[INC_MAX_TECH];
    int ntech;
    const char *seq[INC_MAX_SEQ]; /* fired sequence names (the seqset owns them) */
    const char *seq_summary[INC_MAX_SEQ];
    int nseq;
    char *top_summary; /* the rules' summary of the most severe event */
    int top_severity;
    uint64_t rule_hash[INC_MAX_RULES]; /* the behaviour: which rules matched */
    int nrules;
    uint32_t version; /* records written so far */
    int queued;       /* on the change queue */
    int32_t lane;     /* the input lane (partition) its node came from */
    /* for the LLM layer (incflow.c) */
    int llm_pending;   /* a request is in flight */
    int llm_asked_sev; /* escalation call made at this severity, 0: none */
    char llm_fp[17];   /* the fingerprint last asked about */
    inc_story story;
    /* internal */
    uint32_t handle;
    struct incident *next_open, *next_change;
    seqstate *seqst;
} incident;

typedef struct incidents incidents;

typedef struct inc_counts {
    uint64_t opened, closed, partial, events, sequences;
    lineage_counts lineage;
} inc_counts;

/* Incidents under c with the sequences of ss (borrowed: it must outlive
 * the set).  NULL when out of memory. */
incidents *inc_new(const inc_conf *c, seqset *ss);
/* Free s and every incident it still holds. */
void inc_free(incidents *s);

/* Take one enriched event that came from lane.  Returns 0, or -1 when out
 * of memory. */
int inc_feed(incidents *s, int32_t lane, const tetra_event *ev,
             const Tetragonsidekick__Enrichment *en);
/* Live streams: nodes quiet for the idle period of wall time move their
 * clocks on by the wall time that passed.  now_ms is a monotonic clock. */
void inc_advance(incidents *s, uint64_t now_ms);
/* Close every open incident (lane < 0) or those of lane with status
 * (INC_CLOSED at the end of input, INC_PARTIAL on a stop or a revoke). */
void inc_close_all(incidents *s, int32_t lane, int status);

/* The next incident that changed since it was last returned, or NULL. */
incident *inc_next(incidents *s);
/* Free a closed incident once its last record is written. */
void inc_release(incidents *s, incident *in);
/* The next closed incident after *cursor (start at 0) still held
 * because its LLM request is in flight, or NULL. */
incident *inc_next_waiting(incidents *s, size_t *cursor);
/* The incident's behaviour fingerprint (16 hex digits): rules, sequences,
 * namespace and workload, not the pod or the times. */
void inc_fingerprint(const incident *in, char out[17]);

void inc_counts_get(const incidents *s, inc_counts *out);
size_t inc_open_count(const incidents *s);
/* Bytes held by the process tables. */
size_t inc_lineage_bytes(const incidents *s);

#endif
