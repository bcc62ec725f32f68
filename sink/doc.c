/* doc.c - build the OpenSearch document of an event (see doc.h).
 *
 * Identity (format v1, never change it without a new version: a change
 * means replays of old events are indexed again): the strings kind,
 * node_name, time, <kind>.process.exec_id, <kind>.function_name and
 * <kind>.policy_name joined by 0x1f; when the event has no process exec_id
 * the compact, key-sorted JSON of the kind's payload is added instead, as
 * nothing else tells two such events apart.  The enrichment is deliberately
 * not part of it: an LLM answers differently on a replay. */
#include "doc.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const event_kinds[] = {"process_exec",       "process_exit",   "process_kprobe",
                                          "process_tracepoint", "process_loader", "process_uprobe",
                                          "process_throttle",   "process_lsm",    "process_usdt",
                                          "rate_limit_info",    "test",           NULL};

static const char *find_kind(json_t *ev, json_t **payload)
{
    for (int i = 0; event_kinds[i]; i++) {
        json_t *p = json_object_get(ev, event_kinds[i]);
        if (json_is_object(p)) {
            *payload = p;
            return event_kinds[i];
        }
    }
    return NULL;
}

/* The value at a dotted path of objects, or NULL. */
static json_t *at(json_t *o, const char *path)
{
    char key[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = 0;
        o = json_object_get(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

static const char *str(json_t *o, const char *path)
{
    json_t *v = at(o, path);
    return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

/* --- identity -------------------------------------------------------------- */

typedef struct h128 {
    uint64_t a, b;
} h128;

static void h_bytes(h128 *h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h->a = (h->a ^ s[i]) * 0x100000001b3ULL;
        h->b = (h->b ^ s[i]) * 0x100000001b3ULL;
        h->b ^= h->b >> 29;
    }
}

static void h_field(h128 *h, const char *s)
{
    if (s)
        h_bytes(h, s, strlen(s));
    h_bytes(h, "\x1f", 1);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

int doc_id(json_t *ev, char id[DOC_ID_LEN + 1])
{
    json_t *pl;
    const char *kind = find_kind(ev, &pl);
    if (!kind)
        return -1;
    h128 h = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    h_field(&h, "v1");
    h_field(&h, kind);
    h_field(&h, str(ev, "node_name"));
    h_field(&h, str(ev, "time"));
    const char *exec_id = str(pl, "process.exec_id");
    h_field(&h, exec_id);
    h_field(&h, str(pl, "function_name"));
    h_field(&h, str(pl, "policy_name"));
    if (!exec_id) {
        char *js = json_dumps(pl, JSON_COMPACT | JSON_SORT_KEYS);
        if (!js)
            return -1;
        h_field(&h, js);
        free(js);
    }
    snprintf(id, DOC_ID_LEN + 1, "%016llx%016llx", (unsigned long long)mix(h.a),
             (unsigned long long)mix(h.b ^ h.a));
    return 0;
}

/* --- index name -------------------------------------------------------------- */

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* The UTC day of an RFC 3339 time as written by protojson ("...Z"). */
static int parse_day(const char *t, struct tm *tm)
{
    int y, m, d;
    if (!t || strlen(t) < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T')
        return -1;
    if (digits(t, 4, &y) || digits(t + 5, 2, &m) || digits(t + 8, 2, &d))
        return -1;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    if (t[strlen(t) - 1] != 'Z')
        return -1;
    memset(tm, 0, sizeof *tm);
    tm->tm_year = y - 1900;
    tm->tm_mon = m - 1;
    tm->tm_mday = d;
    return 0;
}

static int index_name(const doc_conf *c, const char *t, char *out, size_t n)
{
    if (c->data_stream)
        return snprintf(out, n, "%s", c->data_stream) < (int)n ? 0 : -1;
    struct tm tm;
    if (parse_day(t, &tm) < 0)
        return -1;
    size_t len = strftime(out, n, c->index_pattern, &tm);
    return len ? 0 : -1;
}

/* --- ECS fields ------------------------------------------------------------------ */

/* Set obj[path] (dotted, objects made on the way), stealing v.  NULL v is
 * a no-op so callers can pass a lookup straight through. */
static int put(json_t *o, const char *path, json_t *v)
{
    if (!v)
        return 0;
    char key[64];
    for (;;) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            goto fail;
        memcpy(key, path, n);
        key[n] = 0;
        if (!path[n])
            return json_object_set_new(o, key, v);
        json_t *child = json_object_get(o, key);
        if (!child) {
            child = json_object();
            if (!child || json_object_set_new(o, key, child) < 0)
                goto fail;
        }
        o = child;
        path += n + 1;
    }
fail:
    json_decref(v);
    return -1;
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : NULL;
}

/* A copy of a string or a number as it stands in the event. */
static json_t *copy(json_t *o, const char *path)
{
    json_t *v = at(o, path);
    if (json_is_string(v) && !json_string_length(v))
        return NULL;
    return json_is_string(v) || json_is_integer(v) ? json_deep_copy(v) : NULL;
}

/* A number that protojson may have written as a string (64-bit). */
static json_t *num(json_t *o, const char *path)
{
    json_t *v = at(o, path);
    if (json_is_integer(v))
        return json_incref(v);
    if (!json_is_string(v))
        return NULL;
    char *end;
    long long x = strtoll(json_string_value(v), &end, 10);
    return *end || end == json_string_value(v) ? NULL : json_integer(x);
}

static json_t *as_string(json_t *o, const char *path)
{
    json_t *v = at(o, path);
    if (json_is_string(v))
        return json_incref(v);
    if (!json_is_integer(v))
        return NULL;
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)json_integer_value(v));
    return json_string(b);
}

static const char *basename_of(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p;
}

/* process.args: the executable then the argument string cut at blanks.
 * Tetragon gives the arguments as one string, so quoting is not undone. */
static json_t *args_array(const char *bin, const char *args)
{
    json_t *a = json_array();
    if (!a || (bin && json_array_append_new(a, json_string(bin)) < 0))
        goto fail;
    for (const char *p = args; p && *p;) {
        p += strspn(p, " \t");
        size_t n = strcspn(p, " \t");
        if (n && json_array_append_new(a, json_stringn(p, n)) < 0)
            goto fail;
        p += n;
    }
    return a;
fail:
    json_decref(a);
    return NULL;
}

/* Append a copy of s (when not NULL) to the array a.  Returns 0 or -1. */
static int push_str(json_t *a, const char *s)
{
    return s ? json_array_append_new(a, json_string(s)) : 0;
}

static json_t *label_array(json_t *labels)
{
    if (!json_is_object(labels) || !json_object_size(labels))
        return NULL;
    json_t *a = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(labels, k, v)
    {
        if (!a)
            return NULL;
        if (!json_is_string(v))
            continue;
        size_t n = strlen(k) + json_string_length(v) + 2;
        char *s = malloc(n);
        if (s)
            snprintf(s, n, "%s=%s", k, json_string_value(v));
        if (!s || push_str(a, s) < 0) {
            free(s);
            json_decref(a);
            return NULL;
        }
        free(s);
    }
    return a;
}

/* Container ids come as "containerd://<hex>"; ECS wants the bare id. */
static int put_container(json_t *d, json_t *c)
{
    const char *id = str(c, "id");
    const char *sep = id ? strstr(id, "://") : NULL;
    int r = 0;
    if (sep) {
        r |= put(d, "container.id", json_string(sep + 3));
        r |= put(d, "container.runtime", json_stringn(id, (size_t)(sep - id)));
    } else {
        r |= put(d, "container.id", jstr(id));
    }
    r |= put(d, "container.name", copy(c, "name"));
    r |= put(d, "container.image.name", copy(c, "image.name"));
    return r;
}

static int put_pod(json_t *d, json_t *pod)
{
    if (!pod)
        return 0;
    int r = 0;
    r |= put(d, "orchestrator.type", json_string("kubernetes"));
    r |= put(d, "orchestrator.namespace", copy(pod, "namespace"));
    r |= put(d, "orchestrator.resource.type", json_string("pod"));
    r |= put(d, "orchestrator.resource.name", copy(pod, "name"));
    r |= put(d, "orchestrator.resource.parent.name", copy(pod, "workload"));
    r |= put(d, "orchestrator.resource.parent.type", copy(pod, "workload_kind"));
    r |= put(d, "orchestrator.resource.label", label_array(at(pod, "pod_labels")));
    json_t *c = at(pod, "container");
    if (c)
        r |= put_container(d, c);
    return r;
}

static int put_process(json_t *d, json_t *p, json_t *parent)
{
    if (!p)
        return 0;
    const char *bin = str(p, "binary");
    const char *args = str(p, "arguments");
    int r = 0;
    r |= put(d, "process.executable", jstr(bin));
    r |= put(d, "process.name", jstr(basename_of(bin)));
    r |= put(d, "process.args", args_array(bin, args));
    if (bin && args) {
        size_t n = strlen(bin) + strlen(args) + 2;
        char *cl = malloc(n);
        if (!cl)
            return -1;
        snprintf(cl, n, "%s %s", bin, args);
        r |= put(d, "process.command_line", json_string(cl));
        free(cl);
    } else {
        r |= put(d, "process.command_line", jstr(bin));
    }
    r |= put(d, "process.pid", num(p, "pid"));
    r |= put(d, "process.user.id", as_string(p, "uid"));
    r |= put(d, "process.entity_id", copy(p, "exec_id"));
    r |= put(d, "process.working_directory", copy(p, "cwd"));
    r |= put(d, "process.parent.entity_id", copy(p, "parent_exec_id"));
    if (parent) {
        r |= put(d, "process.parent.executable", copy(parent, "binary"));
        r |= put(d, "process.parent.pid", num(parent, "pid"));
    }
    return r | put_pod(d, at(p, "pod"));
}

/* "IPPROTO_TCP" -> "tcp" (ECS network.transport is lower case). */
static json_t *transport(json_t *sock)
{
    const char *p = str(sock, "protocol");
    if (!p)
        return NULL;
    if (!strncmp(p, "IPPROTO_", 8))
        p += 8;
    char b[32];
    size_t i = 0;
    for (; p[i] && i < sizeof b - 1; i++)
        b[i] = (char)tolower((unsigned char)p[i]);
    b[i] = 0;
    return json_string(b);
}

/* Network peers from the first socket argument of a kprobe. */
static int put_network(json_t *d, json_t *args)
{
    size_t i;
    json_t *a;
    json_array_foreach(args, i, a)
    {
        json_t *s = at(a, "sock_arg");
        if (!s)
            s = at(a, "skb_arg");
        if (!json_is_object(s))
            continue;
        int r = 0;
        r |= put(d, "source.ip", copy(s, "saddr"));
        r |= put(d, "source.port", num(s, "sport"));
        r |= put(d, "destination.ip", copy(s, "daddr"));
        r |= put(d, "destination.port", num(s, "dport"));
        r |= put(d, "network.transport", transport(s));
        return r;
    }
    return 0;
}

static int put_probe(json_t *d, json_t *pl)
{
    int r = 0;
    r |= put(d, "tetragon_probe.function_name", copy(pl, "function_name"));
    r |= put(d, "tetragon_probe.policy_name", copy(pl, "policy_name"));
    r |= put(d, "rule.name", copy(pl, "policy_name"));
    r |= put(d, "tetragon_probe.action", copy(pl, "action"));
    json_t *args = at(pl, "args");
    if (json_is_array(args))
        r |= put_network(d, args);
    return r;
}

/* --- enrichment ---------------------------------------------------------------- */

static const char *const sev_names[] = {"unspecified", "info", "low", "medium", "high", "critical"};

int doc_severity(json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        return x >= 0 && x <= 5 ? (int)x : 0;
    }
    const char *s = json_string_value(v);
    if (!s)
        return 0;
    if (!strncmp(s, "SEVERITY_", 9))
        s += 9;
    for (int i = 1; i <= 5; i++)
        if (!strcasecmp(s, sev_names[i]))
            return i;
    return 0;
}

/* An enum name without its prefix, lower case: "SOURCE_LLM" -> "llm". */
static json_t *enum_label(json_t *v, const char *prefix)
{
    const char *s = json_string_value(v);
    if (!s)
        return NULL;
    size_t n = strlen(prefix);
    if (!strncmp(s, prefix, n))
        s += n;
    char b[64];
    size_t i = 0;
    for (; s[i] && i < sizeof b - 1; i++)
        b[i] = (char)tolower((unsigned char)s[i]);
    b[i] = 0;
    return json_string(b);
}

static int put_threat(json_t *d, json_t *techs)
{
    json_t *ids = json_array(), *names = json_array(), *tactics = json_array();
    int r = ids && names && tactics ? 0 : -1;
    size_t i;
    json_t *t;
    json_array_foreach(techs, i, t)
    {
        if (r < 0)
            break;
        r |= push_str(ids, str(t, "id"));
        r |= push_str(names, str(t, "name"));
        r |= push_str(tactics, str(t, "tactic"));
    }
    r |= put(d, "threat.framework", json_string("MITRE ATT&CK"));
    r |= put(d, "threat.technique.id", ids);
    r |= put(d, "threat.technique.name", names);
    r |= put(d, "threat.tactic.name", tactics);
    return r;
}

static int put_enrichment(json_t *d, json_t *e, int whole)
{
    if (!json_is_object(e))
        return 0;
    int r = whole ? put(d, "enrichment", json_incref(e)) : 0;
    int sev = doc_severity(at(e, "severity"));
    if (sev) {
        r |= put(d, "event.severity", json_integer(sev));
        r |= put(d, "event.severity_label", json_string(sev_names[sev]));
    }
    r |= put(d, "message", copy(e, "summary"));
    r |= put(d, "event.provider", enum_label(at(e, "source"), "SOURCE_"));
    json_t *techs = at(e, "techniques");
    if (json_is_array(techs) && json_array_size(techs))
        r |= put_threat(d, techs);
    return r;
}

/* --- the document ------------------------------------------------------------------ */

/* The ECS fields; with whole != 0 also the event and enrichment objects. */
static json_t *build(const doc_conf *c, json_t *ev, json_t *enr, const char *kind, json_t *pl,
                     int whole)
{
    json_t *d = json_object();
    if (!d)
        return NULL;
    int r = 0;
    r |= put(d, "@timestamp", copy(ev, "time"));
    r |= put(d, "event.kind", json_string(enr ? "alert" : "event"));
    r |= put(d, "event.module", json_string("tetragon"));
    r |= put(d, "event.action", json_string(kind));
    r |= put(d, "host.name", copy(ev, "node_name"));
    json_t *cluster = copy(ev, "cluster_name");
    r |= put(d, "orchestrator.cluster.name", cluster ? cluster : jstr(c->cluster_name));
    r |= put_process(d, at(pl, "process"), at(pl, "parent"));
    if (strcmp(kind, "process_exec") && strcmp(kind, "process_exit"))
        r |= put_probe(d, pl);
    r |= put_enrichment(d, enr, whole);
    if (whole)
        r |= put(d, "tetragon", json_incref(ev));
    if (r) {
        json_decref(d);
        return NULL;
    }
    return d;
}

/* Append v compact, without the newline. */
static int append_json(buf *out, json_t *v)
{
    /* Print into the room there is; only when it did not fit (the buffer
     * is reused, so rarely) print again into enough. */
    if (buf_reserve(out, 4096) < 0)
        return -1;
    size_t room = out->cap - out->len - 1;
    size_t need = json_dumpb(v, out->p + out->len, room, JSON_COMPACT);
    if (need > room) {
        if (buf_reserve(out, need + 1) < 0 ||
            json_dumpb(v, out->p + out->len, need, JSON_COMPACT) != need)
            return -1;
    }
    if (!need)
        return -1;
    out->len += need;
    out->p[out->len] = 0;
    return 0;
}

/* Append d with the texts spliced in before its closing brace.  d always
 * has members (event.kind at least), so a comma can follow them. */
static int append_spliced(buf *out, json_t *d, const doc_text *t)
{
    if (append_json(out, d) < 0)
        return -1;
    out->len--; /* the closing brace */
    int r = 0;
    if (t->enrichment) {
        r |= buf_puts(out, ",\"enrichment\":");
        r |= buf_append(out, t->enrichment, t->enrichment_len);
    }
    r |= buf_puts(out, ",\"tetragon\":");
    r |= buf_append(out, t->event, t->event_len);
    return r | buf_putc(out, '}');
}

int doc_build(const doc_conf *c, json_t *ev, json_t *enr, const doc_text *text, buf *out,
              doc_meta *m, const char **reason)
{
    json_t *pl;
    m->kind = find_kind(ev, &pl);
    if (!m->kind || doc_id(ev, m->id) < 0) {
        *reason = m->kind ? "no_memory" : "not_event";
        return -1;
    }
    struct tm day;
    if (!c->data_stream && parse_day(str(ev, "time"), &day) < 0) {
        *reason = "bad_time";
        return -1;
    }
    if (index_name(c, str(ev, "time"), m->index, sizeof m->index) < 0) {
        *reason = "bad_index";
        return -1;
    }
    json_t *d = build(c, ev, enr, m->kind, pl, text == NULL);
    *reason = "no_memory";
    if (!d)
        return -1;
    int r = buf_printf(out, "{\"create\":{\"_index\":\"%s\",\"_id\":\"%s\"}}\n", m->index, m->id);
    if (r == 0)
        r = text ? append_spliced(out, d, text) : append_json(out, d);
    json_decref(d);
    return r < 0 ? -1 : buf_putc(out, '\n');
}
