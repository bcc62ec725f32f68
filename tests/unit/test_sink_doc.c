/* test_sink_doc.c - the document of an event: ECS fields, index, stable _id.
 *
 * The _id is pinned to a literal: if the identity or the hash changes,
 * replays of already indexed events would be indexed twice, so that change
 * must be deliberate (a new identity version) and this test says so. */
#include <check.h>
#include <string.h>

#include "../../sink/doc.c"

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

static json_t *load(const char *s)
{
    json_t *j = json_loads(s, 0, NULL);
    ck_assert_ptr_nonnull(j);
    return j;
}

static const doc_conf conf = {"tetragon-events-%Y.%m.%d", NULL, "prod"};

/* Build and return the document object (second line). */
static json_t *build_doc(const doc_conf *c, const char *ev, const char *enr, doc_meta *m)
{
    json_t *e = load(ev), *n = enr ? load(enr) : NULL;
    buf b = BUF_INIT;
    const char *reason = NULL;
    ck_assert_int_eq(doc_build(c, e, n, NULL, &b, m, &reason), 0);
    char *nl = strchr(b.p, '\n');
    ck_assert_ptr_nonnull(nl);
    json_t *action = json_loadb(b.p, (size_t)(nl - b.p), 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(action, "create"), "_id")),
                     m->id);
    json_t *d = json_loads(nl + 1, 0, NULL);
    ck_assert_ptr_nonnull(d);
    json_decref(action);
    json_decref(e);
    json_decref(n);
    buf_free(&b);
    return d;
}

static const char *s_at(json_t *d, const char *path)
{
    const char *s = json_string_value(at(d, path));
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
    json_t *args = at(d, "process.args");
    ck_assert_uint_eq(json_array_size(args), 5);
    ck_assert_str_eq(json_string_value(json_array_get(args, 2)), "http://x/");
    ck_assert_int_eq(json_integer_value(at(d, "process.pid")), 45);
    ck_assert_str_eq(s_at(d, "process.user.id"), "1000");
    ck_assert_str_eq(s_at(d, "process.entity_id"), "bm9kZTE6MTIzOjQ1");
    ck_assert_str_eq(s_at(d, "process.parent.executable"), "/bin/sh");
    ck_assert_int_eq(json_integer_value(at(d, "process.parent.pid")), 44); /* from a string */
    json_t *labels = at(d, "orchestrator.resource.label");
    ck_assert_uint_eq(json_array_size(labels), 2);
    ck_assert_str_eq(json_string_value(json_array_get(labels, 0)), "app.kubernetes.io/name=web");
    ck_assert_ptr_nonnull(at(d, "tetragon.process_exec.process.pod.pod_labels"));
    ck_assert_ptr_null(at(d, "threat"));
    ck_assert_ptr_null(at(d, "event.severity"));
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
    ck_assert_int_eq(json_integer_value(at(d, "destination.port")), 443);
    ck_assert_str_eq(s_at(d, "network.transport"), "tcp");
    ck_assert_int_eq(json_integer_value(at(d, "event.severity")), 4);
    ck_assert_str_eq(s_at(d, "event.severity_label"), "high");
    ck_assert_str_eq(s_at(d, "event.kind"), "alert");
    ck_assert_str_eq(s_at(d, "event.provider"), "llm");
    ck_assert_str_eq(s_at(d, "message"), "curl fetched a script");
    ck_assert_str_eq(json_string_value(json_array_get(at(d, "threat.technique.id"), 0)), "T1105");
    ck_assert_str_eq(json_string_value(json_array_get(at(d, "threat.tactic.name"), 0)),
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
    /* pinned: identity format v1 */
    ck_assert_str_eq(a.id, "8c3fbf6480ab3efad510e8da2470df17");
    json_decref(build_doc(&conf, kprobe_ev, NULL, &c));
    ck_assert_str_ne(a.id, c.id);
    /* another time is another event */
    json_t *e = load(exec_ev);
    json_object_set_new(e, "time", json_string("2024-03-05T23:59:59.123456790Z"));
    char id[DOC_ID_LEN + 1];
    ck_assert_int_eq(doc_id(e, id), 0);
    ck_assert_str_ne(id, a.id);
    /* unrelated fields do not count */
    json_object_set_new(e, "time", json_string("2024-03-05T23:59:59.123456789Z"));
    json_object_set_new(json_object_get(json_object_get(e, "process_exec"), "process"), "cwd",
                        json_string("/elsewhere"));
    ck_assert_int_eq(doc_id(e, id), 0);
    ck_assert_str_eq(id, a.id);
    json_decref(e);
}
END_TEST

START_TEST(data_stream_and_errors)
{
    doc_conf ds = {"x-%Y", "tetragon-ds", NULL};
    doc_meta m;
    json_decref(build_doc(&ds, exec_ev, NULL, &m));
    ck_assert_str_eq(m.index, "tetragon-ds");
    buf b = BUF_INIT;
    const char *reason = NULL;
    json_t *e = load("{\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}");
    ck_assert_int_eq(doc_build(&conf, e, NULL, NULL, &b, &m, &reason), -1);
    ck_assert_str_eq(reason, "not_event");
    json_decref(e);
    e = load("{\"process_exec\":{\"process\":{\"binary\":\"/x\"}},\"time\":\"yesterday\"}");
    ck_assert_int_eq(doc_build(&conf, e, NULL, NULL, &b, &m, &reason), -1);
    ck_assert_str_eq(reason, "bad_time");
    json_decref(e);
    buf_free(&b);
}
END_TEST

/* Carrying the event's text as it is gives the same document as printing
 * the parsed objects. */
START_TEST(spliced_text_same_document)
{
    json_t *e = load(kprobe_ev), *n = load(enr_json);
    char *et = json_dumps(e, JSON_COMPACT), *nt = json_dumps(n, JSON_COMPACT);
    doc_text tx = {et, strlen(et), nt, strlen(nt)};
    buf a = BUF_INIT, b = BUF_INIT;
    doc_meta m;
    const char *reason;
    ck_assert_int_eq(doc_build(&conf, e, n, NULL, &a, &m, &reason), 0);
    ck_assert_int_eq(doc_build(&conf, e, n, &tx, &b, &m, &reason), 0);
    ck_assert_uint_eq(a.p[a.len - 1], '\n');
    ck_assert_uint_eq(b.p[b.len - 1], '\n');
    json_t *da = json_loads(strchr(a.p, '\n') + 1, 0, NULL);
    json_t *db = json_loads(strchr(b.p, '\n') + 1, 0, NULL);
    ck_assert_ptr_nonnull(db);
    ck_assert(json_equal(da, db));
    tx.enrichment = NULL; /* a plain event */
    buf_reset(&b);
    ck_assert_int_eq(doc_build(&conf, e, NULL, &tx, &b, &m, &reason), 0);
    json_decref(db);
    db = json_loads(strchr(b.p, '\n') + 1, 0, NULL);
    ck_assert_ptr_nonnull(db);
    ck_assert_ptr_null(at(db, "enrichment"));
    ck_assert_str_eq(s_at(db, "tetragon.process_kprobe.function_name"), "tcp_connect");
    json_decref(da);
    json_decref(db);
    json_decref(e);
    json_decref(n);
    free(et);
    free(nt);
    buf_free(&a);
    buf_free(&b);
}
END_TEST

START_TEST(severity_values)
{
    json_t *v = json_string("SEVERITY_CRITICAL");
    ck_assert_int_eq(doc_severity(v), 5);
    json_decref(v);
    v = json_string("low");
    ck_assert_int_eq(doc_severity(v), 2);
    json_decref(v);
    v = json_integer(3);
    ck_assert_int_eq(doc_severity(v), 3);
    json_decref(v);
    v = json_string("nonsense");
    ck_assert_int_eq(doc_severity(v), 0);
    json_decref(v);
    ck_assert_int_eq(doc_severity(NULL), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sink_doc");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, exec_fields);
    tcase_add_test(tc, kprobe_network_and_enrichment);
    tcase_add_test(tc, id_is_identity_only);
    tcase_add_test(tc, data_stream_and_errors);
    tcase_add_test(tc, severity_values);
    tcase_add_test(tc, spliced_text_same_document);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
