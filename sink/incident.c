/* incident.c - incident records to bulk "index" items (see incident.h).
 *
 * Unlike doc.c, which writes event documents straight into the bulk
 * buffer because there are many of them, an incident document is built as
 * a jansson tree: there is one per incident update, and the tree lets the
 * codec's protojson of the incident be kept whole under "incident" with a
 * few fields added beside it. */
#include "incident.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "codec/pjson_check.h"
#include "codec/pjson_wkt.h"

const char *incident_status_name(int status)
{
    switch (status) {
    case TETRAGONSIDEKICK__INCIDENT_STATUS__INCIDENT_STATUS_OPEN:
        return "open";
    case TETRAGONSIDEKICK__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED:
        return "closed";
    case TETRAGONSIDEKICK__INCIDENT_STATUS__INCIDENT_STATUS_PARTIAL:
        return "partial";
    default:
        return "unspecified";
    }
}

int incident_is_over(const incident *inc)
{
    return inc->status == TETRAGONSIDEKICK__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED ||
           inc->status == TETRAGONSIDEKICK__INCIDENT_STATUS__INCIDENT_STATUS_PARTIAL;
}

int incident_json_is(const char *data, size_t len)
{
    static const char key[] = "\"incident\"";
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", data[i]))
        i++;
    if (i == len || data[i++] != '{')
        return 0;
    while (i < len && strchr(" \t\r\n", data[i]))
        i++;
    return len - i >= sizeof key - 1 && !memcmp(data + i, key, sizeof key - 1);
}

uint64_t incident_order(const incident *inc)
{
    uint64_t ms = 0, rank = 0, v = inc->version < (1u << 18) - 1 ? inc->version : (1u << 18) - 1;
    if (inc->last_time && inc->last_time->seconds > 0)
        ms = (uint64_t)inc->last_time->seconds * 1000u + (uint64_t)inc->last_time->nanos / 1000000u;
    if (inc->status == TETRAGONSIDEKICK__INCIDENT_STATUS__INCIDENT_STATUS_PARTIAL)
        rank = 1;
    else if (inc->status == TETRAGONSIDEKICK__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED)
        rank = 2;
    if (ms > (UINT64_C(1) << 43)) /* past year 2248: keep the key inside int64 */
        ms = UINT64_C(1) << 43;
    return ms << 20 | rank << 18 | v;
}

/* An incident worth indexing has an id: the id is its _id. */
static int usable(const Tetragonsidekick__IncidentRecord *r, const incident **out,
                  const char **reason)
{
    *reason = "not_incident";
    if (!r->incident || !r->incident->id || !r->incident->id[0])
        return -1;
    *out = r->incident;
    return 0;
}

int incident_from_json(pj_arena *a, const char *data, size_t len, const incident **out,
                       const char **reason, char *msg, size_t msglen)
{
    ProtobufCMessage *m = NULL;
    pj_error err;
    pj_status s =
        pj_decode(a, &tetragonsidekick__incident_record__descriptor, data, len, &m, NULL, &err);
    if (s != PJ_OK) {
        *reason = pj_status_name(s);
        snprintf(msg, msglen, "%s%s%s at byte %zu", err.path, err.path[0] ? ": " : "", err.msg,
                 err.offset);
        return -1;
    }
    return usable((const Tetragonsidekick__IncidentRecord *)m, out, reason);
}

int incident_from_proto(pj_arena *a, const void *data, size_t len, const incident **out,
                        const char **reason)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(&tetragonsidekick__incident_record__descriptor,
                                                    pj_arena_allocator(a), len, data);
    *reason = "invalid_proto";
    if (!m)
        return -1;
    pj_error err;
    *reason = "bad_value";
    if (pj_check_ranges(m, &err) < 0)
        return -1;
    return usable((const Tetragonsidekick__IncidentRecord *)m, out, reason);
}

/* --- the document ---------------------------------------------------------------------------- */

/* A timestamp as protojson writes it (RFC 3339, UTC) into t. */
static int stamp(int64_t sec, int32_t nanos, char t[48])
{
    buf b = BUF_INIT;
    int r = wkt_put_timestamp(&b, sec, nanos);
    if (r == 0 && b.len - 2 < 48) {
        memcpy(t, b.p + 1, b.len - 2);
        t[b.len - 2] = 0;
    } else {
        r = -1;
    }
    buf_free(&b);
    return r;
}

/* When the incident began: first_time, or now for one without it. */
static int began(const incident_conf *c, const incident *inc, int64_t *sec, int32_t *nanos)
{
    if (inc->first_time && inc->first_time->seconds >= 0) {
        *sec = inc->first_time->seconds;
        *nanos = inc->first_time->nanos;
        return 0;
    }
    struct timespec now;
    if ((c->clock ? c->clock(&now) : clock_gettime(CLOCK_REALTIME, &now)) < 0)
        return -1;
    *sec = (int64_t)now.tv_sec;
    *nanos = (int32_t)now.tv_nsec;
    return 0;
}

static int set(json_t *obj, const char *key, json_t *v)
{
    return v ? json_object_set_new(obj, key, v) : -1;
}

static int set_str(json_t *obj, const char *key, const char *s)
{
    return s && *s ? set(obj, key, json_string(s)) : 0;
}

/* The distinct exec_ids of the root and the timeline, in order of first
 * appearance. */
static json_t *exec_ids(const incident *inc)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i <= inc->n_events; i++) {
        const char *id = i == 0               ? inc->root_exec_id
                         : inc->events[i - 1] ? inc->events[i - 1]->exec_id
                                              : NULL;
        int seen = !id || !*id;
        for (size_t k = 0; !seen && k < json_array_size(a); k++)
            seen = !strcmp(json_string_value(json_array_get(a, k)), id);
        if (!seen && json_array_append_new(a, json_string(id)) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* threat.*: the techniques as ECS arrays (member 0 id, 1 name, 2 tactic). */
static json_t *technique_list(const incident *inc, int member)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < inc->n_techniques; i++) {
        const Tetragonsidekick__Technique *t = inc->techniques[i];
        const char *s = !t ? NULL : member == 0 ? t->id : member == 1 ? t->name : t->tactic;
        if (s && *s && json_array_append_new(a, json_string(s)) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static int put_threat(json_t *doc, const incident *inc)
{
    if (!inc->n_techniques)
        return 0;
    json_t *tech = json_object(), *tactic = json_object();
    json_t *threat = json_pack("{s:s, s:o*, s:o*}", "framework", "MITRE ATT&CK", "technique", tech,
                               "tactic", tactic);
    if (!threat)
        return -1;
    if (set(tech, "id", technique_list(inc, 0)) < 0 ||
        set(tech, "name", technique_list(inc, 1)) < 0 ||
        set(tactic, "name", technique_list(inc, 2)) < 0) {
        json_decref(threat);
        return -1;
    }
    return set(doc, "threat", threat);
}

static int put_where(json_t *doc, const incident_conf *c, const incident *inc)
{
    json_t *host = json_object(), *orch = json_object(), *res = json_object();
    int r = host && orch && res ? 0 : -1;
    r |= set_str(host, "name", inc->node);
    const char *cluster = inc->cluster && *inc->cluster ? inc->cluster : c->cluster_name;
    if (cluster && *cluster)
        r |= set(orch, "cluster", json_pack("{s:s}", "name", cluster));
    r |= set_str(orch, "namespace", inc->namespace_);
    r |= set_str(res, "name", inc->pod);
    if (inc->pod && *inc->pod)
        r |= set_str(res, "type", "pod");
    if (inc->workload && *inc->workload)
        r |= set(res, "parent", json_pack("{s:s}", "name", inc->workload));
    r |= set(orch, "resource", res);
    res = NULL;
    r |= set(doc, "host", host);
    r |= set(doc, "orchestrator", orch);
    json_decref(res);
    return r ? -1 : 0;
}

/* event.*: an incident is an alert of the pipeline's own making. */
static int put_event(json_t *doc, const incident *inc, const char *ingested)
{
    json_t *ev = json_pack("{s:s, s:s, s:s}", "kind", "alert", "module", "tetragonsidekick",
                           "dataset", "incident");
    int sev = doc_severity((int)inc->severity);
    int r = ev ? 0 : -1;
    if (ev && sev) {
        r |= set(ev, "severity", json_integer(sev));
        r |= set_str(ev, "severity_label", doc_severity_name(sev));
    }
    if (ev)
        r |= set_str(ev, "ingested", ingested);
    return set(doc, "event", ev) | r;
}

/* "incident": the codec's protojson of the record, plus what searches
 * need that the message does not say directly. */
static json_t *incident_body(const incident *inc)
{
    buf b = BUF_INIT;
    json_t *o = NULL;
    if (pj_encode(&inc->base, &b) == 0)
        o = json_loadb(b.p, b.len, 0, NULL);
    buf_free(&b);
    if (!o)
        return NULL;
    int sev = doc_severity((int)inc->severity);
    /* enums as the short lower-case names dashboards show */
    if (set(o, "severity_score", json_integer(sev)) < 0 ||
        set_str(o, "severity", doc_severity_name(sev)) < 0 ||
        set_str(o, "status", incident_status_name(inc->status)) < 0 ||
        set(o, "exec_ids", exec_ids(inc)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *doc_of(const incident_conf *c, const incident *inc, const char *at,
                      const char *ingested)
{
    json_t *doc = json_pack("{s:s}", "@timestamp", at);
    if (!doc)
        return NULL;
    if (put_event(doc, inc, ingested) < 0 || put_where(doc, c, inc) < 0 ||
        set_str(doc, "message", inc->summary) < 0 || put_threat(doc, inc) < 0 ||
        set(doc, "incident", incident_body(inc)) < 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static int fail(buf *out, size_t start, const char **reason, const char *why)
{
    out->len = start;
    if (out->p)
        out->p[start] = 0;
    *reason = why;
    return -1;
}

/* The action line: external versioning by incident_order() when the
 * record has a version. */
static int put_action(buf *out, const char *index, const incident *inc)
{
    json_t *meta = json_pack("{s:s, s:s}", "_index", index, "_id", inc->id);
    if (meta && inc->version) {
        json_object_set_new(meta, "version", json_integer((json_int_t)incident_order(inc)));
        json_object_set_new(meta, "version_type", json_string("external"));
    }
    json_t *action = meta ? json_pack("{s:o}", "index", meta) : NULL;
    char *s = action ? json_dumps(action, JSON_COMPACT) : NULL;
    json_decref(action);
    int r = s && buf_puts(out, s) == 0 && buf_putc(out, '\n') == 0 ? 0 : -1;
    free(s);
    return r;
}

int incident_doc_build(const incident_conf *c, const incident *inc, buf *out, const char **reason)
{
    size_t start = out->len;
    int64_t sec;
    int32_t nanos;
    char at[48], now[48];
    struct timespec ts;
    if (began(c, inc, &sec, &nanos) < 0 || stamp(sec, nanos, at) < 0 ||
        (c->clock ? c->clock(&ts) : clock_gettime(CLOCK_REALTIME, &ts)) < 0 ||
        stamp((int64_t)ts.tv_sec, (int32_t)ts.tv_nsec, now) < 0)
        return fail(out, start, reason, "bad_time");
    time_t day_sec = (time_t)sec;
    struct tm day;
    char index[256];
    if (!gmtime_r(&day_sec, &day) || !strftime(index, sizeof index, c->index_pattern, &day))
        return fail(out, start, reason, "bad_index");
    json_t *doc = doc_of(c, inc, at, now);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    int r = text && put_action(out, index, inc) == 0 && buf_puts(out, text) == 0 &&
                    buf_putc(out, '\n') == 0
                ? 0
                : -1;
    free(text);
    return r < 0 ? fail(out, start, reason, "no_memory") : 0;
}
