/* test_sink_doc.c - the document of an event: ECS fields, index, stable _id.
 *
 * Events are written here as JSON and decoded by the sink's own record
 * reader, so the documents are built from protobuf structs exactly as in
 * the program.  The _id is pinned to a literal: if the identity or the hash
 * changes, replays of already indexed events would be indexed twice, so
 * that change must be deliberate (a new identity version) and this test
 * says so.  One whole document is pinned too: it is what the earlier,
 * jansson-built documents were byte for byte, so the direct writer is held
 * to the same output. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "../../sink/doc.h"
#include "../../sink/record.h"

static const char *exec_ev =
    "{\"process_exec\":{\"process\":{\"exec_id\":\"bm9kZTE6MTIzOjQ1\",\"pid\":45,\"uid\":1000,"
    "\"cwd\":\"/\",\"binary\":\"/usr/bin/curl\",\"arguments\":\"-s  http://x/ -o /tmp/y\","
    "\"parent_exec_id\":\"cGFyZW50\",\"pod\":{\"namespace\":\"shop\",\"name\":\"web-1\","
    "\"workload\":\"web\",\"workload_kind\":\"Deployment\","
    "\"pod_labels\":{\"app.kubernetes.io/name\":\"web\",\"app\":\"x\"},"
    "\"container\":{\"id\":\"containerd://abc123\",\"name\":\"main\","
    "\"image\":{\"name\":\"nginx:1\"}}}},\"parent\":{\"binary\":\"/bin/sh\",\"pid\":\"44\"}},"
    "\"node_name\":\"node1\",\"time\":\"2024-03-05T23:59:59.123456789Z\"}";

static const char *kprobe_ev =
    "{\"process_kprobe\":{\"process\":{\"exec_id\":\"ZQ==\",\"binary\":\"/usr/bin/nc\"},"
    "\"function_name\":\"tcp_connect\",\"policy_name\":\"connect\",\"action\":\"KPROBE_ACTION_"
    "POST\","
    "\"args\":[{\"sock_arg\":{\"family\":\"AF_INET\",\"protocol\":\"IPPROTO_TCP\","
    "\"saddr\":\"10.0.0.1\",\"daddr\":\"1.1.1.1\",\"sport\":40000,\"dport\":443}}]},"
    "\"node_name\":\"node2\",\"time\":\"2024-03-06T00:00:00Z\"}";

static const char *enr_json =
    "{\"summary\":\"curl fetched a script\",\"severity\":\"SEVERITY_HIGH\","
    "\"techniques\":[{\"id\":\"T1105\",\"name\":\"Ingress Tool Transfer\","
    "\"tactic\":\"command-and-control\"}],\"source\":\"SOURCE_LLM\"}";

static const doc_conf conf = {"tetragon-events-%Y.%m.%d", NULL, "prod", NULL};

static pj_arena *arena;

/* Decode a JSON event (and enrichment) into the arena, as the sink does. */
static record decode(const char *ev, const char *enr)
{
    buf in = BUF_INIT;
    if (enr)
        ck_assert_int_eq(buf_printf(&in, "{\"event\":%s,\"enrichment\":%s}", ev, enr), 0);
    else
        ck_assert_int_eq(buf_puts(&in, ev), 0);
    record r;
    const char *reason = NULL;
    char msg[200];
    ck_assert_int_eq(record_from_json(arena, in.p, in.len, &r, &reason, msg, sizeof msg), 0);
    buf_free(&in);
    return r;
}

/* Build the document; returns the bulk text (free it) and the meta. */
static char *build_text(const doc_conf *c, const char *ev, const char *enr, doc_meta *m)
{
    record r = decode(ev, enr);
    buf b = BUF_INIT;
    const char *reason = NULL;
    ck_assert_int_eq(doc_build(c, r.event, r.enrichment, &b, m, &reason), 0);
    ck_assert_uint_eq(b.p[b.len - 1], '\n');
    return b.p;
}

/* Build and return the document object (second line). */
static json_t *build_doc(const doc_conf *c, const char *ev, const char *enr, doc_meta *m)
{
    char *text = build_text(c, ev, enr, m);
    char *nl = strchr(text, '\n');
    ck_assert_ptr_nonnull(nl);
    json_t *action = json_loadb(text, (size_t)(nl - text), 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(action, "create"), "_id")),
                     m->id);
    json_t *d = json_loads(nl + 1, 0, NULL);
    ck_assert_ptr_nonnull(d);
    json_decref(action);
    free(text);
    return d;
}

/* The value at a dotted path of objects, or NULL. */
static json_t *jat(json_t *o, const char *path)
{
    char key[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        ck_assert_uint_lt(n, sizeof key);
        memcpy(key, path, n);
        key[n] = 0;
        o = json_object_get(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

static const char *s_at(json_t *d, const char *path)
{
    const char *s = json_string_value(jat(d, path));
    ck_assert_msg(s != NULL, "missing %s", path);
    return s;
}

START_TEST(exec_fields)
{
    doc_meta m;
    json_t *d = build_doc(&conf, exec_ev, NULL, &m);
    ck_assert_str_eq(m.index, "tetragon-events-2024.03.05");
    ck_assert_str_eq(s_at(d, "@timestamp"), "2024-03-05T23:59:59.123456789Z");
    ck_assert_str_eq(s_at(d, "event.action"), "process_exec");
    ck_assert_str_eq(s_at(d, "event.kind"), "event");
    ck_assert_str_eq(s_at(d, "host.name"), "node1");
    ck_assert_str_eq(s_at(d, "orchestrator.cluster.name"), "prod");
    ck_assert_str_eq(s_at(d, "orchestrator.namespace"), "shop");
    ck_assert_str_eq(s_at(d, "orchestrator.resource.name"), "web-1");
    ck_assert_str_eq(s_at(d, "orchestrator.resource.parent.name"), "web");
    ck_assert_str_eq(s_at(d, "container.id"), "abc123");
    ck_assert_str_eq(s_at(d, "container.runtime"), "containerd");
    ck_assert_str_eq(s_at(d, "container.image.name"), "nginx:1");
    ck_assert_str_eq(s_at(d, "process.executable"), "/usr/bin/curl");
    ck_assert_str_eq(s_at(d, "process.name"), "curl");
    ck_assert_str_eq(s_at(d, "process.command_line"), "/usr/bin/curl -s  http://x/ -o /tmp/y");
    json_t *args = jat(d, "process.args");
    ck_assert_uint_eq(json_array_size(args), 5);
    ck_assert_str_eq(json_string_value(json_array_get(args, 2)), "http://x/");
    ck_assert_int_eq(json_integer_value(jat(d, "process.pid")), 45);
    ck_assert_str_eq(s_at(d, "process.user.id"), "1000");
    ck_assert_str_eq(s_at(d, "process.entity_id"), "bm9kZTE6MTIzOjQ1");
    ck_assert_str_eq(s_at(d, "process.parent.executable"), "/bin/sh");
    ck_assert_int_eq(json_integer_value(jat(d, "process.parent.pid")), 44); /* from a string */
    json_t *labels = jat(d, "orchestrator.resource.label");
    ck_assert_uint_eq(json_array_size(labels), 2);
    ck_assert_str_eq(json_string_value(json_array_get(labels, 0)), "app.kubernetes.io/name=web");
    ck_assert_ptr_nonnull(jat(d, "tetragon.process_exec.process.pod.pod_labels"));
    ck_assert_ptr_null(jat(d, "threat"));
    ck_assert_ptr_null(jat(d, "event.severity"));
    json_decref(d);
}
END_TEST

START_TEST(kprobe_network_and_enrichment)
{
    doc_meta m;
    json_t *d = build_doc(&conf, kprobe_ev, enr_json, &m);
    ck_assert_str_eq(m.index, "tetragon-events-2024.03.06");
    ck_assert_str_eq(s_at(d, "tetragon_probe.function_name"), "tcp_connect");
    ck_assert_str_eq(s_at(d, "rule.name"), "connect");
    ck_assert_str_eq(s_at(d, "source.ip"), "10.0.0.1");
    ck_assert_str_eq(s_at(d, "destination.ip"), "1.1.1.1");
    ck_assert_int_eq(json_integer_value(jat(d, "destination.port")), 443);
    ck_assert_str_eq(s_at(d, "network.transport"), "tcp");
    ck_assert_int_eq(json_integer_value(jat(d, "event.severity")), 4);
    ck_assert_str_eq(s_at(d, "event.severity_label"), "high");
    ck_assert_str_eq(s_at(d, "event.kind"), "alert");
    ck_assert_str_eq(s_at(d, "event.provider"), "llm");
    ck_assert_str_eq(s_at(d, "message"), "curl fetched a script");
    ck_assert_str_eq(json_string_value(json_array_get(jat(d, "threat.technique.id"), 0)), "T1105");
    ck_assert_str_eq(json_string_value(json_array_get(jat(d, "threat.tactic.name"), 0)),
                     "command-and-control");
    ck_assert_str_eq(s_at(d, "enrichment.severity"), "SEVERITY_HIGH");
    json_decref(d);
}
END_TEST

START_TEST(id_is_identity_only)
{
    doc_meta a, b, c;
    json_decref(build_doc(&conf, exec_ev, NULL, &a));
    json_decref(build_doc(&conf, exec_ev, enr_json, &b));
    ck_assert_str_eq(a.id, b.id); /* enrichment does not change it */
    /* pinned: identity format v2 (v1 gave 8c3fbf6480ab3efad510e8da2470df17) */
    ck_assert_str_eq(a.id, "f63ebdedb141f46cd5b4fdf965c83984");
    json_decref(build_doc(&conf, kprobe_ev, NULL, &c));
    ck_assert_str_ne(a.id, c.id);
    /* another time is another event */
    record r = decode(exec_ev, NULL);
    Tetragon__GetEventsResponse *e = (Tetragon__GetEventsResponse *)r.event;
    e->time->nanos++;
    char id[DOC_ID_LEN + 1];
    ck_assert_int_eq(doc_id(e, id), 0);
    ck_assert_str_ne(id, a.id);
    /* unrelated fields do not count */
    e->time->nanos--;
    e->process_exec->process->cwd = "/elsewhere";
    ck_assert_int_eq(doc_id(e, id), 0);
    ck_assert_str_eq(id, a.id);
}
END_TEST

/* Identity v2: two kprobe events of one process in one nanosecond (two
 * CPUs) differ by thread or by arguments, and both must be kept. */
START_TEST(id_sees_thread_and_args)
{
    record r = decode(kprobe_ev, NULL);
    Tetragon__GetEventsResponse *e = (Tetragon__GetEventsResponse *)r.event;
    char base[DOC_ID_LEN + 1], id[DOC_ID_LEN + 1];
    ck_assert_int_eq(doc_id(e, base), 0);
    Tetragon__KprobeArgument *arg = e->process_kprobe->args[0];
    uint32_t dport = arg->sock_arg->dport;
    arg->sock_arg->dport = dport + 1;
    ck_assert_int_eq(doc_id(e, id), 0);
    ck_assert_str_ne(id, base);
    arg->sock_arg->dport = dport;
    ck_assert_int_eq(doc_id(e, id), 0);
    ck_assert_str_eq(id, base);
    /* without its argument it is another event */
    size_t n = e->process_kprobe->n_args;
    e->process_kprobe->n_args = 0;
    ck_assert_int_eq(doc_id(e, id), 0);
    ck_assert_str_ne(id, base);
    e->process_kprobe->n_args = n;
    Google__Protobuf__UInt32Value tid = GOOGLE__PROTOBUF__UINT32_VALUE__INIT;
    tid.value = 4242;
    e->process_kprobe->process->tid = &tid;
    char with_tid[DOC_ID_LEN + 1];
    ck_assert_int_eq(doc_id(e, with_tid), 0);
    ck_assert_str_ne(with_tid, base);
    tid.value = 4243;
    ck_assert_int_eq(doc_id(e, id), 0);
    ck_assert_str_ne(id, with_tid);
    e->process_kprobe->process->tid = NULL;
}
END_TEST

/* An event without an exec_id is told apart by its whole payload. */
START_TEST(id_without_exec_id)
{
    doc_meta a, b;
    json_decref(build_doc(&conf,
                          "{\"process_throttle\":{\"type\":\"THROTTLE_START\",\"cgroup\":\"a\"},"
                          "\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}",
                          NULL, &a));
    json_decref(build_doc(&conf,
                          "{\"process_throttle\":{\"type\":\"THROTTLE_START\",\"cgroup\":\"b\"},"
                          "\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}",
                          NULL, &b));
    ck_assert_str_ne(a.id, b.id);
}
END_TEST

START_TEST(data_stream_and_errors)
{
    doc_conf ds = {"x-%Y", "tetragon-ds", NULL, NULL};
    doc_meta m;
    json_decref(build_doc(&ds, exec_ev, NULL, &m));
    ck_assert_str_eq(m.index, "tetragon-ds");
    buf b = BUF_INIT;
    const char *reason = NULL;
    Tetragon__GetEventsResponse e = TETRAGON__GET_EVENTS_RESPONSE__INIT;
    e.node_name = "n";
    ck_assert_int_eq(buf_puts(&b, "kept"), 0);
    ck_assert_int_eq(doc_build(&conf, &e, NULL, &b, &m, &reason), -1);
    ck_assert_str_eq(reason, "not_event");
    record r = decode("{\"process_exec\":{\"process\":{\"binary\":\"/x\"}}}", NULL);
    Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    t.seconds = 253402300800LL; /* year 10000: not even protojson can write it */
    ((Tetragon__GetEventsResponse *)r.event)->time = &t;
    ck_assert_int_eq(doc_build(&conf, r.event, NULL, &b, &m, &reason), -1);
    ck_assert_str_eq(reason, "bad_time");
    ck_assert_str_eq(b.p, "kept"); /* a failure leaves the buffer as it was */
    buf_free(&b);
}
END_TEST

/* The index of the exec event moved to another day, under a pattern. */
static const char *index_on(const char *day, const char *pattern)
{
    static doc_meta m;
    char ev[1024];
    const char *at = strstr(exec_ev, "2024-03-05T");
    ck_assert_ptr_nonnull(at);
    snprintf(ev, sizeof ev, "%.*s%s%s", (int)(at - exec_ev), exec_ev, day, at + 10);
    doc_conf c = {pattern, NULL, NULL, NULL};
    free(build_text(&c, ev, NULL, &m));
    return m.index;
}

/* Week and day-of-year conversions need the weekday and day of the year,
 * not only the date: across a year boundary they differ from %Y. */
START_TEST(index_week_and_day_of_year)
{
    /* 2024-12-30 is a Monday, in ISO week 2025-W01 */
    ck_assert_str_eq(index_on("2024-12-30", "t-%G.%V"), "t-2025.01");
    ck_assert_str_eq(index_on("2024-12-30", "t-%g.%V"), "t-25.01");
    ck_assert_str_eq(index_on("2024-12-30", "t-%Y.%j"), "t-2024.365");
    ck_assert_str_eq(index_on("2024-12-30", "t-%Y.%U"), "t-2024.52");
    ck_assert_str_eq(index_on("2024-12-30", "t-%Y.%W"), "t-2024.53");
    ck_assert_str_eq(index_on("2024-12-30", "t-%u%w-%y%m%d%%"), "t-11-241230%");
    /* 2021-01-01 is a Friday, still in ISO week 2020-W53 */
    ck_assert_str_eq(index_on("2021-01-01", "t-%G.%V"), "t-2020.53");
    ck_assert_str_eq(index_on("2021-01-01", "t-%Y.%j.%U.%W"), "t-2021.001.00.00");
    ck_assert_str_eq(index_on("2024-05-14", "t-%G.%V-%Y.%j-%U"), "t-2024.20-2024.135-19");
    ck_assert_str_eq(index_on("2024-02-29", "t-%j-%u"), "t-060-4");
}
END_TEST

START_TEST(index_pattern_conversions)
{
    char err[300];
    ck_assert_int_eq(doc_index_pattern_check("tetragon-events-%Y.%m.%d", err, sizeof err), 3);
    ck_assert_int_eq(doc_index_pattern_check("t-%G.%V-%g%y%j%U%W%u%w", err, sizeof err), 9);
    ck_assert_int_eq(doc_index_pattern_check("t-%%-%Y", err, sizeof err), 1);
    ck_assert_int_eq(doc_index_pattern_check("t-%%", err, sizeof err), 0);
    ck_assert_int_eq(doc_index_pattern_check("t", err, sizeof err), 0);
    /* names, upper case, spaces, colons, hours the day does not have */
    const char *bad[] = {"t-%Y-%b", "t-%B", "t-%c",  "t-%Z",  "t-%p", "t-%H",
                         "t-%s",    "t-%e", "t-%-d", "t-%Ey", "t-%F"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        ck_assert_int_eq(doc_index_pattern_check(bad[i], err, sizeof err), -1);
        char conv[4] = {'\'', '%', strrchr(bad[i], '%')[1], 0}; /* the last one is bad */
        ck_assert_msg(strstr(err, conv) != NULL, "%s: %s", bad[i], err);
        ck_assert_msg(strstr(err, "%Y %y %m %d %j %G %g %V %U %W %u %w") != NULL, "%s", err);
    }
    ck_assert_int_eq(doc_index_pattern_check("t-%Y%", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "lone '%'"));
}
END_TEST

static const char *kprobe_doc_v1 =
    "{\"@timestamp\":\"2024-03-06T00:00:00Z\",\"event\":{\"kind\":\"alert\",\"module"
    "\":\"tetragon\",\"action\":\"process_kprobe\",\"severity\":4,\"severity_label\""
    ":\"high\",\"provider\":\"llm\"},\"host\":{\"name\":\"node2\"},\"orchestrator\":{\"c"
    "luster\":{\"name\":\"prod\"}},\"process\":{\"executable\":\"/usr/bin/nc\",\"name"
    "\":\"nc\",\"args\":[\"/usr/bin/nc\"],\"command_line\":\"/usr/bin/nc\",\"entity_i"
    "d\":\"ZQ==\"},\"tetragon_probe\":{\"function_name\":\"tcp_connect\",\"policy_n"
    "ame\":\"connect\",\"action\":\"KPROBE_ACTION_POST\"},\"rule\":{\"name\":\"connec"
    "t\"},\"source\":{\"ip\":\"10.0.0.1\",\"port\":40000},\"destination\":{\"ip\":\"1.1"
    ".1.1\",\"port\":443},\"network\":{\"transport\":\"tcp\"},\"message\":\"curl fetc"
    "hed a script\",\"threat\":{\"framework\":\"MITRE ATT&CK\",\"technique\":{\"id\""
    ":[\"T1105\"],\"name\":[\"Ingress Tool Transfer\"]},\"tactic\":{\"name\":[\"comm"
    "and-and-control\"]}},\"enrichment\":{\"summary\":\"curl fetched a script\","
    "\"severity\":\"SEVERITY_HIGH\",\"techniques\":[{\"id\":\"T1105\",\"name\":\"Ingre"
    "ss Tool Transfer\",\"tactic\":\"command-and-control\"}],\"source\":\"SOURCE_"
    "LLM\"},\"tetragon\":{\"process_kprobe\":{\"process\":{\"exec_id\":\"ZQ==\",\"bin"
    "ary\":\"/usr/bin/nc\"},\"function_name\":\"tcp_connect\",\"args\":[{\"sock_arg"
    "\":{\"family\":\"AF_INET\",\"protocol\":\"IPPROTO_TCP\",\"saddr\":\"10.0.0.1\",\"d"
    "addr\":\"1.1.1.1\",\"sport\":40000,\"dport\":443}}],\"action\":\"KPROBE_ACTION"
    "_POST\",\"policy_name\":\"connect\"},\"node_name\":\"node2\",\"time\":\"2024-03-"
    "06T00:00:00Z\"}}";

/* The enriched kprobe document is the one the jansson builder wrote. */
START_TEST(document_pinned)
{
    doc_meta m;
    char *text = build_text(&conf, kprobe_ev, enr_json, &m);
    char *nl = strchr(text, '\n');
    ck_assert_ptr_nonnull(nl);
    nl[strlen(nl) - 1] = 0;
    ck_assert_str_eq(nl + 1, kprobe_doc_v1);
    free(text);
}
END_TEST

/* Read as binary protobuf, the same record gives the same bytes. */
START_TEST(binary_same_document)
{
    doc_meta m;
    char *text = build_text(&conf, kprobe_ev, enr_json, &m);
    record r = decode(kprobe_ev, enr_json);
    Tetragonsidekick__EnrichedEvent ee = TETRAGONSIDEKICK__ENRICHED_EVENT__INIT;
    ee.event = (Tetragon__GetEventsResponse *)r.event;
    ee.enrichment = (Tetragonsidekick__Enrichment *)r.enrichment;
    size_t n = protobuf_c_message_get_packed_size(&ee.base);
    uint8_t *bin = malloc(n);
    ck_assert_ptr_nonnull(bin);
    ck_assert_uint_eq(protobuf_c_message_pack(&ee.base, bin), n);
    record rb;
    const char *reason = NULL;
    ck_assert_int_eq(record_from_proto(arena, bin, n, RECORD_ENRICHED, &rb, &reason), 0);
    buf b = BUF_INIT;
    ck_assert_int_eq(doc_build(&conf, rb.event, rb.enrichment, &b, &m, &reason), 0);
    ck_assert_str_eq(b.p, text);
    buf_free(&b);
    free(bin);
    free(text);
}
END_TEST

/* Strings that need escaping, and bytes that are not UTF-8 (binary input
 * is not checked), still make valid JSON with the codec's replacement. */
START_TEST(escaping)
{
    record r = decode(exec_ev, NULL);
    Tetragon__Process *p = r.event->process_exec->process;
    p->binary = "/bin/\"q\\\x01\xff";
    p->pod->pod_labels[0]->value = "a\"b";
    buf b = BUF_INIT;
    doc_meta m;
    const char *reason = NULL;
    ck_assert_int_eq(doc_build(&conf, r.event, NULL, &b, &m, &reason), 0);
    json_t *d = json_loads(strchr(b.p, '\n') + 1, 0, NULL);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(s_at(d, "process.executable"), "/bin/\"q\\\x01\xef\xbf\xbd");
    ck_assert_str_eq(s_at(d, "process.name"), "\"q\\\x01\xef\xbf\xbd");
    ck_assert_str_eq(json_string_value(json_array_get(jat(d, "orchestrator.resource.label"), 0)),
                     "app.kubernetes.io/name=a\"b");
    ck_assert_str_eq(s_at(d, "process.command_line"),
                     "/bin/\"q\\\x01\xef\xbf\xbd -s  http://x/ -o /tmp/y");
    json_decref(d);
    buf_free(&b);
}
END_TEST

/* A fixed clock: 2026-12-03T12:34:56.789Z. */
static int fixed_clock(struct timespec *now)
{
    now->tv_sec = 1796301296;
    now->tv_nsec = 789000000;
    return 0;
}

static int broken_clock(struct timespec *now)
{
    (void)now;
    return -1;
}

/* An event without a time is indexed at the ingest time and says so; its
 * _id does not depend on when it came, so a replay is still a duplicate. */
START_TEST(time_missing_is_ingest_time)
{
    static const char *ev = "{\"process_exec\":{\"process\":{\"exec_id\":\"eA==\","
                            "\"binary\":\"/x\"}},\"node_name\":\"n\"}";
    doc_conf c = conf;
    c.clock = fixed_clock;
    doc_meta m, again;
    json_t *d = build_doc(&c, ev, NULL, &m);
    ck_assert_str_eq(s_at(d, "@timestamp"), "2026-12-03T12:34:56.789Z");
    ck_assert_str_eq(s_at(d, "event.ingested"), "2026-12-03T12:34:56.789Z");
    json_t *tags = json_object_get(d, "tags");
    ck_assert_uint_eq(json_array_size(tags), 1);
    ck_assert_str_eq(json_string_value(json_array_get(tags, 0)), "time_missing");
    ck_assert_ptr_null(jat(d, "tetragon.time")); /* the event itself is left as it came */
    ck_assert_str_eq(m.index, "tetragon-events-2026.12.03");
    json_decref(d);
    c.clock = NULL; /* the real clock, later: same document id */
    json_decref(build_doc(&c, ev, NULL, &again));
    ck_assert_str_eq(m.id, again.id);
    c.clock = broken_clock;
    record r = decode(ev, NULL);
    buf b = BUF_INIT;
    const char *reason = NULL;
    ck_assert_int_eq(doc_build(&c, r.event, NULL, &b, &m, &reason), -1);
    ck_assert_str_eq(reason, "bad_time");
    buf_free(&b);
}
END_TEST

/* A time before 1970 has no index day: ingest time, tagged time_invalid,
 * the original kept in the event. An event with a time carries neither. */
START_TEST(time_invalid_is_ingest_time)
{
    doc_conf c = conf;
    c.clock = fixed_clock;
    doc_meta m;
    json_t *d = build_doc(&c,
                          "{\"process_exec\":{\"process\":{\"binary\":\"/x\"}},"
                          "\"time\":\"1969-12-31T00:00:00Z\"}",
                          NULL, &m);
    ck_assert_str_eq(s_at(d, "@timestamp"), "2026-12-03T12:34:56.789Z");
    ck_assert_str_eq(s_at(d, "event.ingested"), "2026-12-03T12:34:56.789Z");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(d, "tags"), 0)),
                     "time_invalid");
    ck_assert_str_eq(s_at(d, "tetragon.time"), "1969-12-31T00:00:00Z");
    json_decref(d);
    d = build_doc(&c, exec_ev, NULL, &m);
    ck_assert_ptr_null(json_object_get(d, "tags"));
    ck_assert_ptr_null(jat(d, "event.ingested"));
    json_decref(d);
}
END_TEST

START_TEST(severity_values)
{
    ck_assert_int_eq(doc_severity(TETRAGONSIDEKICK__SEVERITY__SEVERITY_CRITICAL), 5);
    ck_assert_int_eq(doc_severity(TETRAGONSIDEKICK__SEVERITY__SEVERITY_LOW), 2);
    ck_assert_int_eq(doc_severity(0), 0);
    ck_assert_int_eq(doc_severity(9), 0); /* a number the schema lacks */
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, exec_fields);
    tcase_add_test(tc, kprobe_network_and_enrichment);
    tcase_add_test(tc, id_is_identity_only);
    tcase_add_test(tc, data_stream_and_errors);
    tcase_add_test(tc, index_week_and_day_of_year);
    tcase_add_test(tc, index_pattern_conversions);
    tcase_add_test(tc, severity_values);
    tcase_add_test(tc, time_missing_is_ingest_time);
    tcase_add_test(tc, time_invalid_is_ingest_time);
    tcase_add_test(tc, id_without_exec_id);
    tcase_add_test(tc, id_sees_thread_and_args);
    tcase_add_test(tc, document_pinned);
    tcase_add_test(tc, binary_same_document);
    tcase_add_test(tc, escaping);
}

int main(void)
{
    arena = pj_arena_new();
    if (!arena)
        return 1;
    int rc = check_main("sink_doc", add_tests);
    pj_arena_free(arena);
    return rc;
}
