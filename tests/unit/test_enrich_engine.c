/* test_enrich_engine.c - the decisions of the per-event pipeline, with the
 * LLM's answers handed in directly (no server): rules only; the policy
 * threshold; a good answer merged under the rules' floor and cached; an
 * invalid answer remembered so it is not paid for twice; failures opening
 * the circuit breaker; a dry run that prints the request with the key
 * redacted; what leaves the process redacted; a bad rules file as a usage
 * error.  The record path that makes the calls (flow.c) is tested by
 * test_enrich_flow.c, the real model by tests/integration/50_enrich_*.sh. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "testkit.h"
#include "util/msg.h"
#include "../../enrich/engine.h"

#define ST(x) TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_##x
#define SRC(x) TETRAGONSIDEKICK__SOURCE__SOURCE_##x

static pj_arena *arena;
static engine *eng;
static char published[4][1024];
static int npublished;

static void publish(void *ctx, const char *key, const char *value)
{
    (void)ctx;
    if (npublished < 4)
        snprintf(published[npublished], sizeof published[0], "%s=%s", key, value);
    npublished++;
}

static engine_conf base_conf(void)
{
    engine_conf c = {.use_llm = 1,
                     .model = "m1",
                     .max_tokens = 100,
                     .min_severity = SEV_INFO,
                     .cache_max = 100,
                     .cache_ttl_s = 3600,
                     .breaker_failures = 2,
                     .breaker_cooldown_ms = 60000,
                     .publish = publish,
                     .llm = {.url = "http://127.0.0.1:1/v1",
                             .timeout_ms = 1000,
                             .connect_timeout_ms = 1000,
                             .concurrency = 1}};
    return c;
}

static void start(const engine_conf *c)
{
    char err[256];
    eng = engine_new(c, err, sizeof err);
    ck_assert_msg(eng != NULL, "%s", err);
}

static void setup(void)
{
    msg_init("test_enrich_engine", MSG_QUIET);
    arena = pj_arena_new();
    ck_assert_ptr_nonnull(arena);
    npublished = 0;
}

static void teardown(void)
{
    engine_free(eng);
    eng = NULL;
    pj_arena_free(arena);
}

/* The scenario event name, decoded into the arena; pid makes copies of the
 * same behaviour differ (a fingerprint leaves the pid out). */
static tetra_event *load(const char *name, int pid)
{
    char *text = scenario_read(name);
    char *p = strstr(text, "\"pid\":");
    if (p != NULL) {
        char num[8];
        snprintf(num, sizeof num, "%05d", 10000 + pid % 89999);
        memcpy(p + 6, num, 5); /* the fixtures' pids have five digits */
    }
    tetra_event *ev;
    const char *reason;
    pj_error perr;
    int rc = event_from_json(arena, text, strlen(text), &ev, &reason, &perr, NULL);
    ck_assert_msg(rc == 0, "%s: %s: %s %s", name, reason, perr.path, perr.msg);
    free(text);
    return ev;
}

static void begin(const char *name, int pid, enrich_job *j)
{
    char err[256];
    ck_assert_int_eq(engine_begin(eng, arena, load(name, pid), j, err, sizeof err), 0);
}

static Tetragonsidekick__Enrichment *end(enrich_job *j)
{
    char err[256];
    Tetragonsidekick__EnrichedEvent *ee = NULL;
    ck_assert_int_eq(engine_end(eng, j, &ee, err, sizeof err), 0);
    ck_assert_ptr_nonnull(ee);
    ck_assert_ptr_nonnull(ee->event);
    return ee->enrichment;
}

static const char good_reply[] =
    "{\"summary\":\"nc hands a shell to a remote peer.\",\"severity\":\"low\","
    "\"techniques\":[{\"id\":\"T1071\",\"name\":\"Application Layer Protocol\","
    "\"tactic\":\"command-and-control\"}],\"indicators\":[\"nc -e\"],"
    "\"next_steps\":[\"Isolate the pod.\"],\"confidence\":0.8}";

static void answer(enrich_job *j, int rc, const char *content)
{
    llm_reply r = {
        .content = BUF_INIT, .tokens_in = 300, .tokens_out = 40, .status = 200, .attempts = 1};
    if (content != NULL)
        ck_assert_int_eq(buf_puts(&r.content, content), 0);
    ck_assert_int_eq(engine_answer(eng, j, rc, &r, "HTTP 500"), 0);
    buf_free(&r.content);
}

static uint64_t counter(const char *name)
{
    stats st;
    stats_init(&st);
    ck_assert_int_eq(engine_stats_declare(&st), 0);
    engine_stats(eng, &st);
    return stats_get(&st, name);
}

static int has_rule_technique(const Tetragonsidekick__Enrichment *m, const char *id)
{
    for (size_t i = 0; i < m->n_techniques; i++)
        if (strcmp(m->techniques[i]->id, id) == 0)
            return 1;
    return 0;
}

START_TEST(rules_only)
{
    engine_conf c = base_conf();
    c.use_llm = 0;
    start(&c);
    enrich_job j;
    begin("reverse-shell-nc", 1, &j);
    ck_assert_int_eq(j.need_llm, 0);
    ck_assert_ptr_null(j.data);
    ck_assert_int_eq(engine_gate(eng, &j), 0);
    Tetragonsidekick__Enrichment *m = end(&j);
    ck_assert_int_eq(m->severity, SEV_CRITICAL);
    ck_assert_int_eq(m->source, SRC(RULES));
    ck_assert_int_eq(m->llm_status, ST(DISABLED));
    ck_assert_uint_ge(m->n_rules, 1);
    ck_assert(has_rule_technique(m, "T1059.004"));
    ck_assert_uint_eq(strlen(m->fingerprint), 16);
    ck_assert_str_ne(m->summary, "");
    ck_assert_str_eq(m->model, ""); /* no model named for a rules-only finding */
    ck_assert_uint_eq(counter("sev_critical"), 1);
    ck_assert_uint_eq(counter("llm_calls"), 0);
}
END_TEST

START_TEST(below_threshold_skipped)
{
    engine_conf c = base_conf();
    c.min_severity = SEV_HIGH;
    start(&c);
    enrich_job j;
    begin("normal-start", 1, &j);
    ck_assert_int_eq(j.need_llm, 0);
    Tetragonsidekick__Enrichment *m = end(&j);
    ck_assert_int_eq(m->llm_status, ST(SKIPPED_POLICY));
    ck_assert_int_eq(m->severity, SEV_INFO);
    ck_assert_uint_eq(counter("skipped_policy"), 1);
}
END_TEST

/* The LLM's words stand, its severity never below the rules', the rules'
 * techniques are kept; the answer is cached and published, so the same
 * behaviour later costs no call. */
START_TEST(answer_merged_and_cached)
{
    engine_conf c = base_conf();
    start(&c);
    enrich_job j;
    begin("reverse-shell-nc", 1, &j);
    ck_assert_int_eq(j.need_llm, 1);
    ck_assert_ptr_nonnull(j.data);
    ck_assert_int_eq(engine_gate(eng, &j), 1);
    char *body = engine_request(eng, &j);
    ck_assert_ptr_nonnull(body);
    ck_assert_ptr_nonnull(strstr(body, "\"model\":\"m1\""));
    free(body);
    answer(&j, LLM_OK, good_reply);
    Tetragonsidekick__Enrichment *m = end(&j);
    ck_assert_int_eq(m->llm_status, ST(OK));
    ck_assert_int_eq(m->source, SRC(LLM));
    ck_assert_str_eq(m->summary, "nc hands a shell to a remote peer.");
    ck_assert_int_eq(m->severity, SEV_CRITICAL); /* "low" raised to the rules' floor */
    ck_assert(has_rule_technique(m, "T1071"));
    ck_assert(has_rule_technique(m, "T1059.004"));
    ck_assert_str_eq(m->model, "m1");
    ck_assert_uint_eq(m->tokens_in, 300);
    ck_assert_int_eq(npublished, 1);
    ck_assert_ptr_nonnull(strstr(published[0], "nc hands a shell"));

    begin("reverse-shell-nc", 2, &j); /* the same behaviour, another process */
    ck_assert_int_eq(j.need_llm, 0);
    m = end(&j);
    ck_assert_int_eq(m->llm_status, ST(CACHED));
    ck_assert_int_eq(m->source, SRC(CACHE));
    ck_assert_str_eq(m->summary, "nc hands a shell to a remote peer.");
    ck_assert_uint_eq(m->tokens_in, 0);
    ck_assert_uint_eq(counter("cache_hits"), 1);
    ck_assert_uint_eq(counter("llm_calls"), 1);
    ck_assert_uint_eq(counter("tokens_in"), 300);
}
END_TEST

/* An invalid reply leaves the rules' finding, and the behaviour is not
 * asked again (the mark is cached and published, not taken for a finding). */
START_TEST(invalid_answer_not_paid_twice)
{
    engine_conf c = base_conf();
    start(&c);
    static const char *const bad[] = {"not json", "{\"summary\":\"x\"}", "", "[]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enrich_job j;
        begin("reverse-shell-nc", (int)i + 1, &j);
        if (i == 0) {
            ck_assert_int_eq(j.need_llm, 1);
            answer(&j, LLM_OK, bad[i]);
        } else {
            ck_assert_int_eq(j.need_llm, 0); /* remembered */
        }
        Tetragonsidekick__Enrichment *m = end(&j);
        ck_assert_int_eq(m->llm_status, ST(INVALID_OUTPUT));
        ck_assert_int_eq(m->source, SRC(RULES));
        ck_assert_int_eq(m->severity, SEV_CRITICAL);
    }
    ck_assert_uint_eq(counter("invalid_output"), 1);
    ck_assert_int_eq(npublished, 1);
    ck_assert_str_eq(strchr(published[0], '='), "=-");
}
END_TEST

/* Failures are not cached; after breaker_failures of them the circuit
 * opens and the next request is not made. */
START_TEST(failures_open_the_circuit)
{
    engine_conf c = base_conf();
    start(&c);
    for (int i = 0; i < 2; i++) {
        enrich_job j;
        begin("reverse-shell-nc", i + 1, &j);
        ck_assert_int_eq(j.need_llm, 1);
        ck_assert_int_eq(engine_gate(eng, &j), 1);
        answer(&j, LLM_FAIL, NULL);
        Tetragonsidekick__Enrichment *m = end(&j);
        ck_assert_int_eq(m->llm_status, ST(ERROR));
        ck_assert_int_eq(m->source, SRC(RULES));
    }
    enrich_job j;
    begin("reverse-shell-nc", 3, &j);
    ck_assert_int_eq(j.need_llm, 1); /* nothing cached for a failure */
    ck_assert_int_eq(engine_gate(eng, &j), 0);
    ck_assert_int_eq(j.need_llm, 0);
    Tetragonsidekick__Enrichment *m = end(&j);
    ck_assert_int_eq(m->llm_status, ST(CIRCUIT_OPEN));
    ck_assert_uint_eq(counter("llm_errors"), 2);
    ck_assert_uint_eq(counter("circuit_open"), 1);
    ck_assert_int_eq(npublished, 0);
}
END_TEST

/* A dry run prints each behaviour's request once, with the key redacted,
 * and never passes anything off as the LLM's answer or publishes it. */
START_TEST(dry_run_prints_once_redacted)
{
    FILE *out = tmpfile();
    ck_assert_ptr_nonnull(out);
    engine_conf c = base_conf();
    c.dry_run = 1;
    c.dry_out = out;
    c.llm.api_key = "sk-very-secret";
    start(&c);
    for (int i = 0; i < 2; i++) {
        enrich_job j;
        begin("reverse-shell-nc", i + 1, &j);
        ck_assert_int_eq(engine_gate(eng, &j), 0);
        Tetragonsidekick__Enrichment *m = end(&j);
        ck_assert_int_eq(m->source, SRC(RULES));
        ck_assert_int_ne(m->llm_status, ST(OK));
        ck_assert_int_ne(m->llm_status, ST(CACHED));
    }
    ck_assert_int_eq(npublished, 0);
    char text[1 << 16];
    rewind(out);
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = '\0';
    fclose(out);
    ck_assert_ptr_null(strstr(text, "sk-very-secret"));
    ck_assert_ptr_nonnull(strstr(text, "Bearer <redacted>"));
    ck_assert_ptr_nonnull(strstr(text, "\"url\":\"http://127.0.0.1:1/v1/chat/completions\""));
    ck_assert_ptr_eq(strchr(text, '\n'), text + n - 1); /* one line: printed once */
}
END_TEST

/* A secret in the arguments never reaches the prompt, and with
 * redact_event not the outgoing event either. */
START_TEST(secrets_redacted_before_leaving)
{
    engine_conf c = base_conf();
    c.redact_event = 1;
    start(&c);
    enrich_job j;
    begin("planted-secret", 1, &j);
    ck_assert_int_eq(j.need_llm, 1);
    ck_assert_ptr_null(strstr(j.data, "Pl4nted-S3cret-Value"));
    ck_assert_ptr_nonnull(strstr(j.data, "--password="));
    char *body = engine_request(eng, &j);
    ck_assert_ptr_null(strstr(body, "Pl4nted-S3cret-Value"));
    free(body);
    char err[256];
    Tetragonsidekick__EnrichedEvent *ee = NULL;
    ck_assert_int_eq(engine_end(eng, &j, &ee, err, sizeof err), 0);
    ck_assert_ptr_null(strstr(ee->event->process_exec->process->arguments, "Pl4nted-S3cret"));
    ck_assert_uint_ge(counter("redactions"), 1);
}
END_TEST

START_TEST(bad_rules_file_is_a_usage_error)
{
    char path[] = "/tmp/test_enrich_engine.XXXXXX", err[512] = "";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_gt(write(fd, "name=x severity=extreme\n", 24), 0);
    close(fd);
    const char *const files[] = {path, NULL};
    engine_conf c = base_conf();
    c.rules_files = files;
    ck_assert_ptr_null(engine_new(&c, err, sizeof err));
    ck_assert_int_eq(engine_bad_rules(), 1);
    ck_assert_ptr_nonnull(strstr(err, path));
    remove(path);
    c.rules_files = NULL;
    start(&c);
    ck_assert_int_eq(engine_bad_rules(), 0);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, rules_only);
    tcase_add_test(tc, below_threshold_skipped);
    tcase_add_test(tc, answer_merged_and_cached);
    tcase_add_test(tc, invalid_answer_not_paid_twice);
    tcase_add_test(tc, failures_open_the_circuit);
    tcase_add_test(tc, dry_run_prints_once_redacted);
    tcase_add_test(tc, secrets_redacted_before_leaving);
    tcase_add_test(tc, bad_rules_file_is_a_usage_error);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = check_main("enrich_engine", add_tests);
    curl_global_cleanup();
    return rc;
}
