/* test_sink_alert.c - one alert per incident and severity, what the
 * alerts say, and the webhook's signature.
 *
 * The incidents are built as structs here, one field per step, so each
 * test reads as the sequence of updates it feeds the book. */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "check_main.h"
#include "../../sink/alert.h"

enum { OPEN = 1, CLOSED = 2, PARTIAL = 3 };
enum { INFO = 1, LOW, MEDIUM, HIGH, CRITICAL };

static incident upd(const char *id, unsigned version, int status, int severity)
{
    incident inc = TETRAGONSIDEKICK__INCIDENT__INIT;
    inc.id = (char *)id;
    inc.version = version;
    inc.status = (Tetragonsidekick__IncidentStatus)status;
    inc.severity = (Tetragonsidekick__Severity)severity;
    return inc;
}

/* Feed one update; returns how many notices, copied to out. */
static int note(alert_book *b, incident inc, alert_notice *out)
{
    return alert_book_note(b, &inc, HIGH, out, 8);
}

START_TEST(once_per_incident_and_severity)
{
    alert_book *b = alert_book_new(16);
    alert_notice n[8];
    ck_assert_int_eq(note(b, upd("a", 1, OPEN, MEDIUM), n), 0); /* below the minimum */
    ck_assert_int_eq(note(b, upd("a", 2, OPEN, HIGH), n), 1);
    ck_assert_int_eq(n[0].severity, HIGH);
    ck_assert_int_eq(n[0].resolved, 0);
    ck_assert_int_eq(n[0].late, 0);
    /* more events at the same severity: no second page */
    ck_assert_int_eq(note(b, upd("a", 3, OPEN, HIGH), n), 0);
    ck_assert_int_eq(note(b, upd("a", 4, OPEN, CRITICAL), n), 1);
    ck_assert_int_eq(n[0].severity, CRITICAL);
    ck_assert_int_eq(note(b, upd("a", 5, OPEN, CRITICAL), n), 0);
    /* another incident is another alert */
    ck_assert_int_eq(note(b, upd("b", 1, OPEN, HIGH), n), 1);
    alert_book_free(b);
}
END_TEST

START_TEST(close_resolves_what_fired)
{
    alert_book *b = alert_book_new(16);
    alert_notice n[8];
    note(b, upd("a", 1, OPEN, HIGH), n);
    note(b, upd("a", 2, OPEN, CRITICAL), n);
    ck_assert_int_eq(note(b, upd("a", 3, CLOSED, CRITICAL), n), 2);
    ck_assert_int_eq(n[0].severity, HIGH);
    ck_assert_int_eq(n[0].resolved, 1);
    ck_assert_int_eq(n[1].severity, CRITICAL);
    ck_assert_int_eq(n[1].resolved, 1);
    /* anything after the close is news to nobody */
    ck_assert_int_eq(note(b, upd("a", 4, CLOSED, CRITICAL), n), 0);
    /* partial is over as well; a low incident resolves nothing */
    note(b, upd("c", 1, OPEN, HIGH), n);
    ck_assert_int_eq(note(b, upd("c", 2, PARTIAL, HIGH), n), 1);
    ck_assert_int_eq(n[0].resolved, 1);
    note(b, upd("d", 1, OPEN, LOW), n);
    ck_assert_int_eq(note(b, upd("d", 2, CLOSED, LOW), n), 0);
    alert_book_free(b);
}
END_TEST

/* A replay or a late retry carries a version already seen. */
START_TEST(older_versions_ignored)
{
    alert_book *b = alert_book_new(16);
    alert_notice n[8];
    note(b, upd("a", 3, OPEN, HIGH), n);
    ck_assert_int_eq(note(b, upd("a", 2, OPEN, CRITICAL), n), 0);
    ck_assert_int_eq(note(b, upd("a", 3, OPEN, CRITICAL), n), 0);
    ck_assert_int_eq(note(b, upd("a", 1, OPEN, HIGH), n), 0);
    ck_assert_int_eq(note(b, upd("a", 4, OPEN, CRITICAL), n), 1);
    alert_book_free(b);
}
END_TEST

/* tetra-enrich numbers a rebuilt incident's updates from 1 again: its
 * later events, or its close at the same last event time, still count
 * as news over the old process's partial record. */
START_TEST(rebuilt_incident_counts_as_news)
{
    alert_book *b = alert_book_new(16);
    alert_notice n[8];
    Google__Protobuf__Timestamp t1 = GOOGLE__PROTOBUF__TIMESTAMP__INIT, t2 = t1;
    t1.seconds = 1763600000;
    t2.seconds = 1763600060;
    incident old = upd("a", 7, OPEN, MEDIUM), again = upd("a", 1, OPEN, HIGH);
    old.last_time = &t1;
    again.last_time = &t1;
    note(b, old, n);
    ck_assert_int_eq(note(b, again, n), 0); /* same time, lower number: a replay */
    again.last_time = &t2;
    ck_assert_int_eq(note(b, again, n), 1);
    ck_assert_int_eq(n[0].severity, HIGH);
    alert_book_free(b);
}
END_TEST

/* Closed before this sink saw it open: one firing alert that ends by
 * itself, not fired and resolved in the same breath. */
START_TEST(first_seen_over_fires_late)
{
    alert_book *b = alert_book_new(16);
    alert_notice n[8];
    ck_assert_int_eq(note(b, upd("a", 7, CLOSED, CRITICAL), n), 1);
    ck_assert_int_eq(n[0].severity, CRITICAL);
    ck_assert_int_eq(n[0].resolved, 0);
    ck_assert_int_eq(n[0].late, 1);
    ck_assert_int_eq(note(b, upd("a", 8, CLOSED, CRITICAL), n), 0);
    alert_book_free(b);
}
END_TEST

/* At the cap the oldest incident is forgotten, and only it. */
START_TEST(cap_forgets_the_oldest)
{
    alert_book *b = alert_book_new(3);
    alert_notice n[8];
    note(b, upd("a", 1, OPEN, HIGH), n);
    note(b, upd("b", 1, OPEN, HIGH), n);
    note(b, upd("c", 1, OPEN, HIGH), n);
    note(b, upd("d", 1, OPEN, HIGH), n);
    ck_assert_uint_eq(alert_book_size(b), 3);
    ck_assert_int_eq(note(b, upd("c", 2, OPEN, HIGH), n), 0); /* still known */
    ck_assert_int_eq(note(b, upd("a", 2, OPEN, HIGH), n), 1); /* forgotten: news again */
    alert_book_free(b);
}
END_TEST

static incident full(void)
{
    static Tetragonsidekick__Technique t1 = TETRAGONSIDEKICK__TECHNIQUE__INIT,
                                       t2 = TETRAGONSIDEKICK__TECHNIQUE__INIT;
    static Tetragonsidekick__Technique *techs[] = {&t1, &t2};
    static Google__Protobuf__Timestamp first = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    t1.id = "T1105";
    t1.name = "Ingress Tool Transfer";
    t2.id = "T1571";
    t2.name = "Non-Standard Port";
    first.seconds = 1763629442; /* 2025-11-20T09:04:02Z */
    incident inc = upd("inc-1", 2, OPEN, HIGH);
    inc.namespace_ = "shop";
    inc.pod = "checkout-1";
    inc.cluster = "";
    inc.summary = "a shell downloaded /tmp/.x and ran it";
    inc.event_count = 4;
    inc.n_techniques = 2;
    inc.techniques = techs;
    inc.first_time = &first;
    return inc;
}

START_TEST(alertmanager_body)
{
    incident inc = full();
    alert_notice firing = {HIGH, 0, 0}, resolved = {HIGH, 1, 0};
    int64_t now = 1763630000;
    buf b = BUF_INIT;
    ck_assert_int_eq(alert_am_body(&inc, &firing, now, &b), 0);
    json_t *arr = json_loads(b.p, 0, NULL);
    ck_assert_int_eq(json_array_size(arr), 1);
    json_t *a = json_array_get(arr, 0);
    json_t *l = json_object_get(a, "labels");
    ck_assert_str_eq(json_string_value(json_object_get(l, "alertname")), ALERT_NAME);
    ck_assert_str_eq(json_string_value(json_object_get(l, "severity")), "high");
    ck_assert_str_eq(json_string_value(json_object_get(l, "namespace")), "shop");
    ck_assert_str_eq(json_string_value(json_object_get(l, "pod")), "checkout-1");
    ck_assert_str_eq(json_string_value(json_object_get(l, "technique")), "T1105");
    ck_assert_str_eq(json_string_value(json_object_get(l, "incident_id")), "inc-1");
    ck_assert_ptr_null(json_object_get(l, "cluster")); /* empty: left out */
    json_t *ann = json_object_get(a, "annotations");
    ck_assert_str_eq(json_string_value(json_object_get(ann, "summary")),
                     "a shell downloaded /tmp/.x and ran it");
    ck_assert_str_eq(json_string_value(json_object_get(ann, "techniques")),
                     "T1105 Ingress Tool Transfer, T1571 Non-Standard Port");
    ck_assert_str_eq(json_string_value(json_object_get(ann, "event_count")), "4");
    ck_assert_str_eq(json_string_value(json_object_get(a, "startsAt")), "2025-11-20T09:04:02Z");
    ck_assert_str_eq(json_string_value(json_object_get(a, "endsAt")), "2025-11-20T09:43:20Z");
    json_decref(arr);
    buf_reset(&b);
    ck_assert_int_eq(alert_am_body(&inc, &resolved, now, &b), 0);
    arr = json_loads(b.p, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "endsAt")),
                     "2025-11-20T09:13:20Z");
    json_decref(arr);
    /* a start after now (a clock ahead) becomes now: an end before the
     * start is refused */
    inc.first_time->seconds = now + 100;
    buf_reset(&b);
    ck_assert_int_eq(alert_am_body(&inc, &resolved, now, &b), 0);
    arr = json_loads(b.p, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "startsAt")),
                     "2025-11-20T09:13:20Z");
    json_decref(arr);
    inc.first_time->seconds = 1763629442;
    buf_free(&b);
}
END_TEST

START_TEST(webhook_body)
{
    incident inc = full();
    alert_notice n = {HIGH, 1, 0};
    buf b = BUF_INIT;
    ck_assert_int_eq(alert_webhook_body(&inc, &n, 1763630000, &b), 0);
    json_t *w = json_loads(b.p, 0, NULL);
    ck_assert_ptr_nonnull(w);
    ck_assert_str_eq(json_string_value(json_object_get(w, "status")), "resolved");
    ck_assert_str_eq(json_string_value(json_object_get(w, "incident_id")), "inc-1");
    ck_assert_str_eq(json_string_value(json_object_get(w, "severity")), "high");
    json_t *whole = json_object_get(w, "incident");
    ck_assert_str_eq(json_string_value(json_object_get(whole, "pod")), "checkout-1");
    ck_assert_str_eq(json_string_value(json_object_get(whole, "severity")), "SEVERITY_HIGH");
    json_decref(w);
    buf_free(&b);
}
END_TEST

/* RFC 4231, test cases 1 and 2. */
START_TEST(hmac_sha256_vectors)
{
    char hex[65];
    const char *data = "what do ya want for nothing?";
    ck_assert_int_eq(alert_hmac_hex("Jefe", 4, data, strlen(data), hex), 0);
    ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    unsigned char key[20];
    memset(key, 0x0b, sizeof key);
    ck_assert_int_eq(alert_hmac_hex(key, sizeof key, "Hi There", 8, hex), 0);
    ck_assert_str_eq(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}
END_TEST

START_TEST(severity_names)
{
    ck_assert_int_eq(alert_severity_of("high"), HIGH);
    ck_assert_int_eq(alert_severity_of("info"), INFO);
    ck_assert_int_eq(alert_severity_of("critical"), CRITICAL);
    ck_assert_int_eq(alert_severity_of("HIGH"), 0);
    ck_assert_int_eq(alert_severity_of("unspecified"), 0);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, once_per_incident_and_severity);
    tcase_add_test(tc, close_resolves_what_fired);
    tcase_add_test(tc, older_versions_ignored);
    tcase_add_test(tc, rebuilt_incident_counts_as_news);
    tcase_add_test(tc, first_seen_over_fires_late);
    tcase_add_test(tc, cap_forgets_the_oldest);
    tcase_add_test(tc, alertmanager_body);
    tcase_add_test(tc, webhook_body);
    tcase_add_test(tc, hmac_sha256_vectors);
    tcase_add_test(tc, severity_names);
}

int main(void)
{
    return check_main("sink_alert", add_tests);
}
