/* test_sink_incident.c - incident records as bulk "index" items.
 *
 * The records are the hand-written fixtures of the producer's contract
 * (tests/fixtures/incidents: one attack in five updates, one benign CI
 * incident in two), decoded by the sink's own reader, so what is checked
 * is what the program sends: the action line's index, _id and external
 * version, and the fields dashboards search by. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "../../sink/incident.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures/incidents/incidents.jsonl"
#endif

static pj_arena *arena;

/* Line n (0-based) of the fixture file into out (NUL-terminated). */
static void fixture_line(int n, char *out, size_t max)
{
    FILE *f = fopen(FIXTURES, "r");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i <= n; i++)
        ck_assert_ptr_nonnull(fgets(out, (int)max, f));
    fclose(f);
    out[strcspn(out, "\n")] = 0;
}

static int fixed_clock(struct timespec *now)
{
    now->tv_sec = 1764763200; /* 2025-12-03T12:00:00Z */
    now->tv_nsec = 0;
    return 0;
}

static const incident_conf conf = {INCIDENT_INDEX_DEFAULT, "fallback-cluster", fixed_clock};

/* Build the item of fixture line n; action and document parsed. */
static void build(int n, json_t **action, json_t **doc)
{
    static char line[65536];
    fixture_line(n, line, sizeof line);
    const incident *inc;
    const char *reason = NULL;
    char msg[256];
    pj_arena_reset(arena);
    ck_assert_int_eq(incident_json_is(line, strlen(line)), 1);
    ck_assert_int_eq(incident_from_json(arena, line, strlen(line), &inc, &reason, msg, sizeof msg),
                     0);
    buf out = BUF_INIT;
    ck_assert_int_eq(incident_doc_build(&conf, inc, &out, &reason), 0);
    char *nl = strchr(out.p, '\n');
    ck_assert_ptr_nonnull(nl);
    *action = json_loadb(out.p, (size_t)(nl - out.p), 0, NULL);
    *doc = json_loads(nl + 1, 0, NULL);
    ck_assert_ptr_nonnull(*action);
    ck_assert_ptr_nonnull(*doc);
    buf_free(&out);
}

START_TEST(action_is_index_with_external_version)
{
    json_t *a, *d;
    build(4, &a, &d); /* the attack's version 4 (line 5) */
    json_t *ix = json_object_get(a, "index");
    ck_assert_ptr_nonnull(ix);
    ck_assert_str_eq(json_string_value(json_object_get(ix, "_index")),
                     "tetragon-incidents-2026.11.20");
    ck_assert_str_eq(json_string_value(json_object_get(ix, "_id")), "inc-5f2c9e1a7b3d4c60");
    /* last event time in ms, then status (open), then the update number */
    json_int_t v = json_integer_value(json_object_get(ix, "version"));
    ck_assert_int_eq(v & ((1 << 18) - 1), 4);
    ck_assert_int_eq(v >> 18 & 3, 0);
    ck_assert_int_gt(v >> 20, (json_int_t)1763596800000); /* 2025-11-20 */
    ck_assert_str_eq(json_string_value(json_object_get(ix, "version_type")), "external");
    json_decref(a);
    json_decref(d);
}
END_TEST

START_TEST(document_fields)
{
    json_t *a, *d;
    build(4, &a, &d);
    ck_assert_str_eq(json_string_value(json_object_get(d, "@timestamp")),
                     "2026-11-20T09:14:02.118Z");
    json_t *ev = json_object_get(d, "event");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "kind")), "alert");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "dataset")), "incident");
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "severity")), 5);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "ingested")), "2025-12-03T12:00:00Z");
    json_t *orch = json_object_get(d, "orchestrator");
    ck_assert_str_eq(json_string_value(json_object_get(orch, "namespace")), "shop");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(orch, "cluster"), "name")),
                     "kind-shop");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(orch, "resource"), "name")),
                     "checkout-7f9c6d5b8-x2lqp");
    json_t *ids = json_object_get(json_object_get(json_object_get(d, "threat"), "technique"), "id");
    ck_assert_int_eq(json_array_size(ids), 3);
    ck_assert_str_eq(json_string_value(json_array_get(ids, 0)), "T1105");
    json_t *inc = json_object_get(d, "incident");
    ck_assert_str_eq(json_string_value(json_object_get(inc, "severity")), "critical");
    ck_assert_int_eq(json_integer_value(json_object_get(inc, "severity_score")), 5);
    ck_assert_str_eq(json_string_value(json_object_get(inc, "status")), "open");
    ck_assert_str_eq(json_string_value(json_object_get(inc, "intent")),
                     "remote access to the checkout pod");
    ck_assert_int_eq(json_array_size(json_object_get(inc, "events")), 5);
    json_decref(a);
    json_decref(d);
}
END_TEST

/* exec_ids: the root first, then each process of the timeline once, so a
 * search of process.entity_id in tetragon-* finds the events. */
START_TEST(exec_ids_distinct_root_first)
{
    json_t *a, *d;
    build(6, &a, &d); /* the attack closed: 5 steps, 4 processes, and the root */
    json_t *ids = json_object_get(json_object_get(d, "incident"), "exec_ids");
    ck_assert_int_eq(json_array_size(ids), 5);
    ck_assert_str_eq(json_string_value(json_array_get(ids, 0)),
                     "a2luZC13b3JrZXIyOjEyMzQ1Njc4OTAxMjM6NDIxMA==");
    for (size_t i = 0; i < json_array_size(ids); i++)
        for (size_t k = i + 1; k < json_array_size(ids); k++)
            ck_assert_str_ne(json_string_value(json_array_get(ids, i)),
                             json_string_value(json_array_get(ids, k)));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(d, "incident"), "status")),
                     "closed");
    json_decref(a);
    json_decref(d);
}
END_TEST

START_TEST(no_version_no_guard_and_no_time)
{
    const char *rec = "{\"incident\":{\"id\":\"inc-x\",\"status\":\"INCIDENT_STATUS_OPEN\"}}";
    const incident *inc;
    const char *reason;
    char msg[128];
    pj_arena_reset(arena);
    ck_assert_int_eq(incident_from_json(arena, rec, strlen(rec), &inc, &reason, msg, sizeof msg),
                     0);
    buf out = BUF_INIT;
    ck_assert_int_eq(incident_doc_build(&conf, inc, &out, &reason), 0);
    /* no version: a plain index; no first_time: filed under today */
    ck_assert_ptr_nonnull(strstr(out.p, "{\"index\":{\"_index\":\"tetragon-incidents-2025.12.03\","
                                        "\"_id\":\"inc-x\"}}\n"));
    ck_assert_ptr_null(strstr(out.p, "version_type"));
    /* the cluster the sink was given, for an incident without one */
    ck_assert_ptr_nonnull(strstr(out.p, "\"cluster\":{\"name\":\"fallback-cluster\"}"));
    buf_free(&out);
}
END_TEST

START_TEST(what_is_an_incident)
{
    ck_assert_int_eq(incident_json_is(" {\n \"incident\":{}}", 18), 1);
    ck_assert_int_eq(incident_json_is("{\"event\":{},\"incident\":{}}", 26), 0);
    ck_assert_int_eq(incident_json_is("{\"incidents\":{}}", 16), 0);
    ck_assert_int_eq(incident_json_is("{\"inc", 5), 0);
    const incident *inc;
    const char *reason = NULL;
    char msg[128];
    const char *noid = "{\"incident\":{\"pod\":\"p\"}}";
    ck_assert_int_eq(incident_from_json(arena, noid, strlen(noid), &inc, &reason, msg, sizeof msg),
                     -1);
    ck_assert_str_eq(reason, "not_incident");
    const char *bad = "{\"incident\":{\"id\":\"x\",\"version\":\"many\"}}";
    ck_assert_int_eq(incident_from_json(arena, bad, strlen(bad), &inc, &reason, msg, sizeof msg),
                     -1);
    ck_assert_str_eq(reason, "bad_value");
}
END_TEST

/* The Kafka form: the same record as binary protobuf, the same item. */
START_TEST(binary_same_item)
{
    static char line[65536];
    fixture_line(1, line, sizeof line);
    const incident *inc;
    const char *reason;
    char msg[128];
    pj_arena_reset(arena);
    ck_assert_int_eq(incident_from_json(arena, line, strlen(line), &inc, &reason, msg, sizeof msg),
                     0);
    Tetragonsidekick__IncidentRecord rec = TETRAGONSIDEKICK__INCIDENT_RECORD__INIT;
    rec.incident = (incident *)inc;
    size_t len = protobuf_c_message_get_packed_size(&rec.base);
    uint8_t *bin = malloc(len);
    ck_assert_ptr_nonnull(bin);
    protobuf_c_message_pack(&rec.base, bin);
    buf a = BUF_INIT, b = BUF_INIT;
    ck_assert_int_eq(incident_doc_build(&conf, inc, &a, &reason), 0);
    const incident *inc2;
    ck_assert_int_eq(incident_from_proto(arena, bin, len, &inc2, &reason), 0);
    ck_assert_int_eq(incident_doc_build(&conf, inc2, &b, &reason), 0);
    ck_assert_str_eq(a.p, b.p);
    ck_assert_int_eq(incident_from_proto(arena, "\xff\xff", 2, &inc2, &reason), -1);
    ck_assert_str_eq(reason, "invalid_proto");
    free(bin);
    buf_free(&a);
    buf_free(&b);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, action_is_index_with_external_version);
    tcase_add_test(tc, document_fields);
    tcase_add_test(tc, exec_ids_distinct_root_first);
    tcase_add_test(tc, no_version_no_guard_and_no_time);
    tcase_add_test(tc, what_is_an_incident);
    tcase_add_test(tc, binary_same_item);
}

int main(void)
{
    arena = pj_arena_new();
    if (!arena)
        return 1;
    int rc = check_main("sink_incident", add_tests);
    pj_arena_free(arena);
    return rc;
}
