/* test_enrich_llm.c - the parts of the LLM path that decide without a
 * server: schema validation of replies (accept and reject), the circuit
 * breaker's states, the spending policy, and the retry backoff. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "../../enrich/circuit.h"
#include "../../enrich/finding.h"
#include "../../enrich/llm.h"
#include "../../enrich/policy.h"

static const char good[] =
    "{\"summary\":\"A reverse shell.\",\"severity\":\"critical\",\"techniques\":[{\"id\":\"T1059.004\","
    "\"name\":\"Unix Shell\",\"tactic\":\"execution\"}],\"indicators\":[\"/dev/tcp\"],"
    "\"next_steps\":[\"isolate the pod\"],\"confidence\":0.9}";

static int parses(const char *json, char *err, size_t errlen)
{
    finding f;
    int rc = finding_from_json(json, strlen(json), &f, err, errlen);
    if (rc == 0)
        finding_free(&f);
    return rc;
}

START_TEST(valid_reply_accepted)
{
    finding f;
    char err[256];
    ck_assert_msg(finding_from_json(good, strlen(good), &f, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(f.severity, SEV_CRITICAL);
    ck_assert_str_eq(f.tech[0].id, "T1059.004");
    ck_assert_str_eq(f.next[0], "isolate the pod");
    char *again = finding_to_json(&f);
    finding g;
    ck_assert_int_eq(finding_from_json(again, strlen(again), &g, err, sizeof err), 0);
    ck_assert_str_eq(g.summary, f.summary);
    free(again);
    finding_free(&f);
    finding_free(&g);
}
END_TEST

START_TEST(bad_replies_rejected)
{
    static const struct {
        const char *from, *to, *why;
    } mut[] = {
        {"\"critical\"", "\"urgent\"", "severity"},
        {"\"T1059.004\"", "\"T59\"", "id"},
        {"\"T1059.004\"", "\"T1059.4\"", "id"},
        {"\"execution\"", "\"hacking\"", "tactic"},
        {"0.9}", "1.5}", "confidence"},
        {"0.9}", "0.9,\"extra\":1}", "6 schema fields"},
        {"\"A reverse shell.\"", "\"\"", "summary"},
        {"[\"/dev/tcp\"]", "\"/dev/tcp\"", "indicators"},
    };
    char err[256], json[1024];
    for (size_t i = 0; i < sizeof mut / sizeof mut[0]; i++) {
        const char *at = strstr(good, mut[i].from);
        ck_assert_ptr_nonnull(at);
        snprintf(json, sizeof json, "%.*s%s%s", (int)(at - good), good, mut[i].to,
                 at + strlen(mut[i].from));
        ck_assert_msg(parses(json, err, sizeof err) == -1, "accepted: %s", json);
        ck_assert_msg(strstr(err, mut[i].why) != NULL, "%s: reason was %s", mut[i].why, err);
    }
    ck_assert_int_eq(parses("not json", err, sizeof err), -1);
    ck_assert_int_eq(parses("[1,2]", err, sizeof err), -1);
    ck_assert_int_eq(parses("```json\n{}\n```", err, sizeof err), -1);
}
END_TEST

START_TEST(schema_is_json)
{
    json_error_t je;
    json_t *s = json_loads(finding_schema(), 0, &je);
    ck_assert_msg(s != NULL, "%s", je.text);
    ck_assert_int_eq(json_is_false(json_object_get(s, "additionalProperties")), 1);
    json_decref(s);
}
END_TEST

START_TEST(breaker_states)
{
    circuit c;
    circuit_init(&c, 3, 1000);
    ck_assert(circuit_allow(&c, 0));
    circuit_record(&c, 0, 10);
    circuit_record(&c, 0, 20);
    ck_assert(circuit_allow(&c, 30));
    circuit_record(&c, 0, 30); /* third failure opens */
    ck_assert_int_eq(c.state, CIRCUIT_OPEN);
    ck_assert(!circuit_allow(&c, 500));
    ck_assert(circuit_allow(&c, 1030)); /* cool-down over: one trial */
    ck_assert_int_eq(c.state, CIRCUIT_HALF_OPEN);
    ck_assert(!circuit_allow(&c, 1031)); /* only one trial at a time */
    circuit_record(&c, 0, 1040);         /* trial failed: open again */
    ck_assert(!circuit_allow(&c, 1500));
    ck_assert(circuit_allow(&c, 2040));
    circuit_record(&c, 1, 2050); /* trial succeeded: closed */
    ck_assert_int_eq(c.state, CIRCUIT_CLOSED);
    ck_assert(circuit_allow(&c, 2051));
    ck_assert_uint_eq(c.opens, 2);
}
END_TEST

START_TEST(policy_threshold_budget_rate)
{
    policy p;
    policy_init(&p, SEV_MEDIUM, 1000, 0, 0);
    uint64_t t = 86400000ULL * 100;
    ck_assert_int_eq(policy_decide(&p, SEV_LOW, t), POLICY_SKIP);
    ck_assert_int_eq(policy_decide(&p, SEV_HIGH, t), POLICY_CALL);
    policy_charge(&p, 1000, t);
    ck_assert_int_eq(policy_decide(&p, SEV_HIGH, t + 1), POLICY_BUDGET);
    ck_assert_int_eq(policy_decide(&p, SEV_HIGH, t + 86400000ULL), POLICY_CALL); /* next day */
    policy_init(&p, SEV_INFO, 0, 2, 0);                                          /* 2 per minute */
    ck_assert_int_eq(policy_decide(&p, SEV_INFO, t), POLICY_CALL);
    ck_assert_int_eq(policy_decide(&p, SEV_INFO, t), POLICY_CALL);
    ck_assert_int_eq(policy_decide(&p, SEV_INFO, t), POLICY_RATE);
    ck_assert_int_eq(policy_decide(&p, SEV_INFO, t + 30000), POLICY_CALL); /* refilled one */
}
END_TEST

START_TEST(backoff)
{
    llm_conf c = {.backoff_ms = 100, .max_wait_ms = 5000};
    ck_assert_uint_eq(llm_backoff_ms(&c, 0, -1, 0), 100);
    ck_assert_uint_eq(llm_backoff_ms(&c, 2, -1, 0), 400);
    ck_assert_uint_le(llm_backoff_ms(&c, 2, -1, 12345), 500);
    ck_assert_uint_ge(llm_backoff_ms(&c, 2, -1, 12345), 400);
    ck_assert_uint_eq(llm_backoff_ms(&c, 0, 3, 0), 3000);   /* Retry-After wins */
    ck_assert_uint_eq(llm_backoff_ms(&c, 10, -1, 0), 5000); /* capped */
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, valid_reply_accepted);
    tcase_add_test(tc, bad_replies_rejected);
    tcase_add_test(tc, schema_is_json);
    tcase_add_test(tc, breaker_states);
    tcase_add_test(tc, policy_threshold_budget_rate);
    tcase_add_test(tc, backoff);
}

int main(void)
{
    return check_main("enrich_llm", add_tests);
}
