/* template.c - install the index template and ISM policy (see template.h). */
#include "template.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields events and incidents share, mapped once. */
#define MAP_TIME_AND_MESSAGE                                                                       \
    "\"@timestamp\":{\"type\":\"date_nanos\"},"                                                    \
    "\"message\":{\"type\":\"text\",\"fields\":{\"keyword\":{\"type\":\"keyword\",\"ignore_"       \
    "above\":"                                                                                     \
    "2048}}},"
#define MAP_HOST "\"host\":{\"properties\":{\"name\":{\"type\":\"keyword\"}}},"
#define MAP_THREAT                                                                                 \
    "\"threat\":{\"properties\":{\"framework\":{\"type\":\"keyword\"},"                            \
    "\"technique\":{\"properties\":{\"id\":{\"type\":\"keyword\"},\"name\":{\"type\":\"keyword\"}" \
    "}}"                                                                                           \
    ","                                                                                            \
    "\"tactic\":{\"properties\":{\"name\":{\"type\":\"keyword\"}}}}},"

/* The mappings, as JSON text so it reads like what OpenSearch shows.
 * tetragon (the raw event) is "dynamic": false: kept whole in _source,
 * its fields not indexed.  Indexed dynamically (about 850 fields over the
 * event kinds) it cost OpenSearch three quarters of its CPU per document
 * (2.7 of 3.5 ms on the project's 2-core machine), and every new index
 * stalled its first _bulk requests for tens of seconds on one
 * cluster-state update per new field; the fields people search are mapped
 * from the same event below.  Each text field is analysed once: the
 * summary is searched as text in message, which holds the same words, and
 * process.args is a keyword array as ECS has it (command_line is the text);
 * the two analyses they cost before were an eighth of OpenSearch's CPU per
 * document (v4).  A cluster that
 * wants some tetragon.* field indexed adds it to a template of a higher
 * version (unmapped fields stay unindexed, mapped ones are indexed). */
static const char mappings[] =
    "{\"dynamic\":true,\"date_detection\":false,\"numeric_detection\":false,"
    "\"dynamic_templates\":["
    "{\"other_strings\":{\"match_mapping_type\":\"string\","
    "\"mapping\":{\"type\":\"keyword\",\"ignore_above\":1024}}}],"
    "\"properties\":{" MAP_TIME_AND_MESSAGE
    "\"event\":{\"properties\":{\"kind\":{\"type\":\"keyword\"},\"module\":{\"type\":\"keyword\"},"
    "\"action\":{\"type\":\"keyword\"},\"provider\":{\"type\":\"keyword\"},"
    "\"severity\":{\"type\":\"long\"},\"severity_label\":{\"type\":\"keyword\"},"
    "\"ingested\":{\"type\":\"date_nanos\"}}},"
    "\"tags\":{\"type\":\"keyword\"}," MAP_HOST
    "\"orchestrator\":{\"properties\":{\"type\":{\"type\":\"keyword\"},"
    "\"namespace\":{\"type\":\"keyword\"},"
    "\"cluster\":{\"properties\":{\"name\":{\"type\":\"keyword\"}}},"
    "\"resource\":{\"properties\":{\"type\":{\"type\":\"keyword\"},\"name\":{\"type\":\"keyword\"},"
    "\"label\":{\"type\":\"keyword\",\"ignore_above\":1024},"
    "\"parent\":{\"properties\":{\"name\":{\"type\":\"keyword\"},\"type\":{\"type\":\"keyword\"}}}}"
    "}}},"
    "\"container\":{\"properties\":{\"id\":{\"type\":\"keyword\"},\"runtime\":{\"type\":"
    "\"keyword\"},"
    "\"name\":{\"type\":\"keyword\"},"
    "\"image\":{\"properties\":{\"name\":{\"type\":\"keyword\"}}}}},"
    "\"process\":{\"properties\":{\"executable\":{\"type\":\"keyword\",\"ignore_above\":4096},"
    "\"name\":{\"type\":\"keyword\"},"
    "\"args\":{\"type\":\"keyword\",\"ignore_above\":1024},"
    "\"command_line\":{\"type\":\"text\",\"fields\":{\"keyword\":{\"type\":\"keyword\",\"ignore_"
    "above\":4096}}},"
    "\"pid\":{\"type\":\"long\"},\"entity_id\":{\"type\":\"keyword\"},"
    "\"working_directory\":{\"type\":\"keyword\",\"ignore_above\":4096},"
    "\"user\":{\"properties\":{\"id\":{\"type\":\"keyword\"}}},"
    "\"parent\":{\"properties\":{\"executable\":{\"type\":\"keyword\",\"ignore_above\":4096},"
    "\"pid\":{\"type\":\"long\"},\"entity_id\":{\"type\":\"keyword\"}}}}},"
    "\"tetragon_probe\":{\"properties\":{\"function_name\":{\"type\":\"keyword\"},"
    "\"policy_name\":{\"type\":\"keyword\"},\"action\":{\"type\":\"keyword\"}}},"
    "\"rule\":{\"properties\":{\"name\":{\"type\":\"keyword\"}}},"
    "\"source\":{\"properties\":{\"ip\":{\"type\":\"ip\"},\"port\":{\"type\":\"long\"}}},"
    "\"destination\":{\"properties\":{\"ip\":{\"type\":\"ip\"},\"port\":{\"type\":\"long\"}}},"
    "\"network\":{\"properties\":{\"transport\":{\"type\":\"keyword\"}}}," MAP_THREAT
    "\"enrichment\":{\"properties\":{"
    "\"summary\":{\"type\":\"keyword\",\"ignore_above\":2048},"
    "\"severity\":{\"type\":\"keyword\"},"
    "\"techniques\":{\"properties\":{\"id\":{\"type\":\"keyword\"},\"name\":{\"type\":\"keyword\"},"
    "\"tactic\":{\"type\":\"keyword\"}}},"
    "\"indicators\":{\"type\":\"text\"},\"next_steps\":{\"type\":\"text\"},"
    "\"confidence\":{\"type\":\"float\"},\"source\":{\"type\":\"keyword\"},"
    "\"model\":{\"type\":\"keyword\"},\"prompt_version\":{\"type\":\"keyword\"},"
    "\"fingerprint\":{\"type\":\"keyword\"},\"llm_status\":{\"type\":\"keyword\"},"
    "\"latency_ms\":{\"type\":\"long\"},\"tokens_in\":{\"type\":\"long\"},"
    "\"tokens_out\":{\"type\":\"long\"},\"rules\":{\"type\":\"keyword\"}}},"
    "\"tetragon\":{\"type\":\"object\",\"dynamic\":false}}}";

/* Incident documents (incident.h): the ECS fields they share with events
 * mapped the same way, and the incident itself explicitly, its timeline
 * as plain objects (a nested type would cost a hidden document per step). */
static const char incident_mappings[] =
    "{\"dynamic\":true,\"date_detection\":false,\"numeric_detection\":false,"
    "\"dynamic_templates\":[{\"strings\":{\"match_mapping_type\":\"string\","
    "\"mapping\":{\"type\":\"keyword\",\"ignore_above\":1024}}}],"
    "\"properties\":{" MAP_TIME_AND_MESSAGE
    "\"event\":{\"properties\":{\"kind\":{\"type\":\"keyword\"},\"module\":{\"type\":\"keyword\"},"
    "\"dataset\":{\"type\":\"keyword\"},\"severity\":{\"type\":\"long\"},"
    "\"severity_label\":{\"type\":\"keyword\"},\"ingested\":{\"type\":\"date_nanos\"}}}," MAP_HOST
    "\"orchestrator\":{\"properties\":{\"namespace\":{\"type\":\"keyword\"},"
    "\"cluster\":{\"properties\":{\"name\":{\"type\":\"keyword\"}}},"
    "\"resource\":{\"properties\":{\"type\":{\"type\":\"keyword\"},\"name\":{\"type\":\"keyword\"},"
    "\"parent\":{\"properties\":{\"name\":{\"type\":\"keyword\"}}}}}}}," MAP_THREAT
    "\"incident\":{\"properties\":{"
    "\"id\":{\"type\":\"keyword\"},\"cluster\":{\"type\":\"keyword\"},"
    "\"node\":{\"type\":\"keyword\"},\"namespace\":{\"type\":\"keyword\"},"
    "\"pod\":{\"type\":\"keyword\"},\"workload\":{\"type\":\"keyword\"},"
    "\"status\":{\"type\":\"keyword\"},\"first_time\":{\"type\":\"date_nanos\"},"
    "\"last_time\":{\"type\":\"date_nanos\"},\"event_count\":{\"type\":\"long\"},"
    "\"events_omitted\":{\"type\":\"long\"},"
    "\"events\":{\"properties\":{\"time\":{\"type\":\"date_nanos\"},\"kind\":{\"type\":\"keyword\"}"
    ","
    "\"exec_id\":{\"type\":\"keyword\"},\"parent_exec_id\":{\"type\":\"keyword\"},"
    "\"binary\":{\"type\":\"keyword\",\"ignore_above\":4096},"
    "\"arguments\":{\"type\":\"text\",\"fields\":{\"keyword\":{\"type\":\"keyword\","
    "\"ignore_above\":4096}}},"
    "\"function\":{\"type\":\"keyword\"},\"severity\":{\"type\":\"keyword\"},"
    "\"rules\":{\"type\":\"keyword\"}}},"
    "\"severity\":{\"type\":\"keyword\"},\"severity_score\":{\"type\":\"long\"},"
    "\"techniques\":{\"properties\":{\"id\":{\"type\":\"keyword\"},\"name\":{\"type\":\"keyword\"},"
    "\"tactic\":{\"type\":\"keyword\"}}},"
    "\"summary\":{\"type\":\"text\",\"fields\":{\"keyword\":{\"type\":\"keyword\",\"ignore_above\":"
    "2048}}},"
    "\"source\":{\"type\":\"keyword\"},\"sequences\":{\"type\":\"keyword\"},"
    "\"root_exec_id\":{\"type\":\"keyword\"},\"version\":{\"type\":\"long\"},"
    "\"intent\":{\"type\":\"text\"},\"touched\":{\"type\":\"keyword\",\"ignore_above\":4096},"
    "\"next_steps\":{\"type\":\"text\"},\"fingerprint\":{\"type\":\"keyword\"},"
    "\"llm_status\":{\"type\":\"keyword\"},\"model\":{\"type\":\"keyword\"},"
    "\"exec_ids\":{\"type\":\"keyword\"}}}}}";

/* What tells the two templates apart. */
typedef struct kind {
    const char *mappings;
    int version, priority;
} kind;

/* Incidents rank above events so that an --index pattern whose glob
 * covers tetragon-incidents-* (say tetragon-%Y.%m.%d) does not make two
 * templates of one priority, which OpenSearch refuses. */
static const kind kinds[] = {{mappings, TEMPLATE_VERSION, 200},
                             {incident_mappings, INCIDENT_TEMPLATE_VERSION, 210}};

static const kind *kind_of(const template_conf *c)
{
    return &kinds[c->incidents ? 1 : 0];
}

/* The index pattern of the template: the daily pattern up to its first
 * conversion, then '*' ("tetragon-events-%Y.%m.%d" -> "tetragon-events-*"). */
static int index_glob(const template_conf *c, char *out, size_t n)
{
    if (c->data_stream)
        return snprintf(out, n, "%s", c->data_stream) < (int)n ? 0 : -1;
    size_t p = strcspn(c->index_pattern, "%");
    if (!p || p + 2 > n)
        return -1;
    memcpy(out, c->index_pattern, p);
    out[p] = '*';
    out[p + 1] = 0;
    return 0;
}

/* refresh_interval 500ms: a document is searchable within half a second
 * of its _bulk.  The wait for the next refresh is the largest share of the
 * pipeline's latency from capture to search (target p99 under 2 s,
 * bench/latency.sh): with OpenSearch's 1s the p99 at 5,000 events/s was
 * 1.7 to 2.2 s on the 2-core test machine, with 500ms 1.3 to 1.9 s, for
 * no CPU per document the bench could tell apart (a busy shard refreshes
 * no faster than it can, so it costs most where it is cheapest: little
 * to write); 5s put 2.5 s on the median by itself.  Set explicitly, so
 * an index nobody searched for a while does not go search-idle (no
 * refreshes until a search comes, which then waits).
 * Incidents get the same (their template, new in this release, stays v1). */
int template_body(const template_conf *c, buf *out)
{
    char glob[256];
    if (index_glob(c, glob, sizeof glob) < 0)
        return -1;
    const kind *k = kind_of(c);
    return buf_printf(out,
                      "{\"index_patterns\":[\"%s\"],\"priority\":%d,\"version\":%d,%s"
                      "\"_meta\":{\"managed_by\":\"tetra-sink\"},"
                      "\"template\":{\"settings\":{\"index\":{\"mapping\":{\"total_fields\":"
                      "{\"limit\":5000}},\"refresh_interval\":\"500ms\"}},\"mappings\":%s}}",
                      glob, k->priority, k->version, c->data_stream ? "\"data_stream\":{}," : "",
                      k->mappings);
}

/* One request to the cluster: method on the base URL plus path, with an
 * optional JSON body.  Returns 0 when an HTTP answer came, whatever its
 * status (a 404 is an answer for some callers and a failure for others, so
 * each judges *status itself), or -1 with err filled when none came.  The
 * response body is appended to resp, which the caller frees either way. */
static int os_request(const template_conf *c, const char *method, const char *path,
                      const char *body, long *status, buf *resp, char *err, size_t errlen)
{
    char url[1200];
    size_t ul = strlen(c->url);
    while (ul && c->url[ul - 1] == '/')
        ul--;
    snprintf(url, sizeof url, "%.*s%s", (int)ul, c->url, path);
    return http_request(c->http, method, url, body, status, resp, err, errlen);
}

/* The version of the installed template: -1 when there is none, 0 when it
 * has no version; and its first index pattern in pat ("" when none). */
static int installed_version(const template_conf *c, long *version, char *pat, size_t patlen,
                             char *err, size_t errlen)
{
    char path[300];
    snprintf(path, sizeof path, "/_index_template/%s", c->name);
    buf resp = BUF_INIT;
    long st;
    *version = -1;
    int r = os_request(c, "GET", path, NULL, &st, &resp, err, errlen);
    if (r == 0 && st == 200) {
        json_t *root = json_loadb(resp.p, resp.len, 0, NULL);
        json_t *t = json_array_get(json_object_get(root, "index_templates"), 0);
        json_t *it = json_object_get(t, "index_template");
        *version = (long)json_integer_value(json_object_get(it, "version"));
        const char *p0 =
            json_string_value(json_array_get(json_object_get(it, "index_patterns"), 0));
        snprintf(pat, patlen, "%s", p0 ? p0 : "");
        json_decref(root);
    } else if (r == 0 && st != 404) {
        snprintf(err, errlen, "GET index template: HTTP %ld: %.200s", st, resp.p ? resp.p : "");
        r = -1;
    }
    buf_free(&resp);
    return r;
}

static int put_json(const template_conf *c, const char *path, const char *body, char *err,
                    size_t errlen)
{
    buf resp = BUF_INIT;
    long st;
    int r = os_request(c, "PUT", path, body, &st, &resp, err, errlen);
    if (r == 0 && (st < 200 || st >= 300)) {
        snprintf(err, errlen, "PUT %s: HTTP %ld: %.300s", path, st, resp.p ? resp.p : "");
        r = -1;
    }
    buf_free(&resp);
    return r;
}

int template_install(const template_conf *c, const char **note, char *err, size_t errlen)
{
    long have;
    char pat[512] = "", glob[512];
    if (index_glob(c, glob, sizeof glob) < 0) {
        snprintf(err, errlen, "index pattern %s has no fixed prefix before its first %%",
                 c->index_pattern);
        return -1;
    }
    if (installed_version(c, &have, pat, sizeof pat, err, errlen) < 0)
        return -1;
    /* Same version for another --index pattern still needs the update,
     * or the new indices would get dynamic mappings. */
    int want = kind_of(c)->version;
    if (have > want || (have == want && strcmp(pat, glob) == 0)) {
        *note = have == want ? "current" : "newer version kept";
        return 0;
    }
    buf body = BUF_INIT;
    char path[300];
    snprintf(path, sizeof path, "/_index_template/%s", c->name);
    int r = template_body(c, &body);
    if (r < 0)
        snprintf(err, errlen, "cannot build the index template");
    else
        r = put_json(c, path, body.p, err, errlen);
    buf_free(&body);
    *note = have >= 0 ? "updated" : "installed";
    return r;
}

/* ISM answers under _plugins/_ism; without the plugin the path is unknown
 * (400 "no handler" or 404 without an ISM error type). */
static int ism_present(const template_conf *c, char *err, size_t errlen)
{
    buf resp = BUF_INIT;
    long st;
    int r = os_request(c, "GET", "/_plugins/_ism/explain/.no-such-index-tetra-sink", NULL, &st,
                       &resp, err, errlen);
    if (r == 0)
        r = st == 200 || (resp.p && strstr(resp.p, "index_not_found")) ? 1 : 0;
    buf_free(&resp);
    return r;
}

/* ISM refuses to overwrite a policy without its sequence number, so a
 * second start reads it first and updates it with if_seq_no. */
static int put_ism(const template_conf *c, const char *path, const buf *body, char *err,
                   size_t errlen)
{
    buf resp = BUF_INIT;
    long st;
    int r = os_request(c, "GET", path, NULL, &st, &resp, err, errlen);
    if (r == 0 && st == 200) {
        json_t *root = json_loadb(resp.p, resp.len, 0, NULL);
        char q[1300];
        snprintf(q, sizeof q, "%s?if_seq_no=%lld&if_primary_term=%lld", path,
                 (long long)json_integer_value(json_object_get(root, "_seq_no")),
                 (long long)json_integer_value(json_object_get(root, "_primary_term")));
        json_decref(root);
        r = put_json(c, q, body->p, err, errlen);
    } else if (r == 0) {
        r = put_json(c, path, body->p, err, errlen);
    }
    buf_free(&resp);
    return r;
}

int template_retention(const template_conf *c, char *err, size_t errlen)
{
    int have = ism_present(c, err, errlen);
    if (have <= 0)
        return have;
    char glob[256], path[300];
    if (index_glob(c, glob, sizeof glob) < 0) {
        snprintf(err, errlen, "index pattern %s has no fixed prefix before its first %%",
                 c->index_pattern);
        return -1;
    }
    buf body = BUF_INIT;
    int r =
        buf_printf(&body,
                   "{\"policy\":{\"description\":\"tetra-sink: delete after %d days\","
                   "\"default_state\":\"hot\",\"states\":["
                   "{\"name\":\"hot\",\"actions\":[],\"transitions\":[{\"state_name\":\"delete\","
                   "\"conditions\":{\"min_index_age\":\"%dd\"}}]},"
                   "{\"name\":\"delete\",\"actions\":[{\"delete\":{}}],\"transitions\":[]}],"
                   "\"ism_template\":[{\"index_patterns\":[\"%s\"],\"priority\":%d}]}}",
                   c->retention_days, c->retention_days, glob,
                   kind_of(c)->priority - 100); /* the templates' order, for the same reason */
    snprintf(path, sizeof path, "/_plugins/_ism/policies/%s-retention", c->name);
    if (r == 0)
        r = put_ism(c, path, &body, err, errlen);
    buf_free(&body);
    return r < 0 ? -1 : 1;
}
