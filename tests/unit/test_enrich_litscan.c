/* test_enrich_litscan.c - the one-pass literal scanner: overlapping and
 * nested literals are all found, case folding works both ways, empty
 * texts and empty literals are harmless, and on random texts the scanner
 * agrees with one strstr per literal (the search it replaced). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "../../enrich/litscan.h"

static litscan *make(int fold, const char *const *lits, size_t n)
{
    litscan *ls = litscan_new(fold);
    ck_assert_ptr_nonnull(ls);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(litscan_add(ls, lits[i], strlen(lits[i]), (unsigned)i), 0);
    ck_assert_int_eq(litscan_build(ls), 0);
    return ls;
}

/* The ids found in s, as a string of '0'/'1' by id. */
static void found(const litscan *ls, litscan_hits *h, const char *s, char *out, size_t n)
{
    litscan_scan(ls, s, h);
    for (size_t i = 0; i < n; i++)
        out[i] = litscan_hit(h, (unsigned)i) ? '1' : '0';
    out[n] = '\0';
}

START_TEST(overlapping_and_nested)
{
    static const char *const lits[] = {"he", "she", "his", "hers", "ushers!"};
    litscan *ls = make(0, lits, 5);
    litscan_hits h;
    char got[8];
    ck_assert_int_eq(litscan_hits_init(&h, ls), 0);
    found(ls, &h, "ushers", got, 5);
    ck_assert_str_eq(got, "11010"); /* she, he inside she, hers overlapping */
    found(ls, &h, "ahishe", got, 5);
    ck_assert_str_eq(got, "11100");
    found(ls, &h, "h", got, 5);
    ck_assert_str_eq(got, "00000"); /* the previous scan's hits are gone */
    found(ls, &h, "ushers!", got, 5);
    ck_assert_str_eq(got, "11011");
    litscan_hits_free(&h);
    litscan_free(ls);
}
END_TEST

START_TEST(case_folding)
{
    static const char *const lits[] = {"Bearer", "ya29.", "PRIVATE KEY"};
    litscan *exact = make(0, lits, 3), *fold = make(1, lits, 3);
    litscan_hits he, hf;
    char got[4];
    ck_assert_int_eq(litscan_hits_init(&he, exact), 0);
    ck_assert_int_eq(litscan_hits_init(&hf, fold), 0);
    found(exact, &he, "bearer YA29. private key", got, 3);
    ck_assert_str_eq(got, "000");
    found(fold, &hf, "bearer YA29. private key", got, 3);
    ck_assert_str_eq(got, "111");
    found(exact, &he, "Bearer ya29. PRIVATE KEY", got, 3);
    ck_assert_str_eq(got, "111");
    found(fold, &hf, "ya29x", got, 3); /* '.' is a byte, not a wildcard */
    ck_assert_str_eq(got, "000");
    litscan_hits_free(&he);
    litscan_hits_free(&hf);
    litscan_free(exact);
    litscan_free(fold);
}
END_TEST

START_TEST(empty_inputs)
{
    litscan *none = litscan_new(0);
    litscan_hits h;
    ck_assert_ptr_nonnull(none);
    ck_assert_int_eq(litscan_build(none), 0);
    ck_assert_uint_eq(litscan_ids(none), 0);
    ck_assert_int_eq(litscan_hits_init(&h, none), 0);
    litscan_scan(none, "", &h);
    litscan_scan(none, "anything", &h);
    ck_assert(!litscan_hit(&h, 0));
    litscan_hits_free(&h);
    litscan_free(none);

    litscan *ls = litscan_new(0);
    ck_assert_int_eq(litscan_add(ls, "", 0, 0), 0); /* ignored */
    ck_assert_int_eq(litscan_add(ls, "ab", 2, 1), 0);
    ck_assert_int_eq(litscan_add(ls, "cd", 2, 1), 0); /* two literals, one id */
    ck_assert_int_eq(litscan_build(ls), 0);
    ck_assert_int_eq(litscan_add(ls, "x", 1, 2), -1); /* built: closed */
    ck_assert_int_eq(litscan_hits_init(&h, ls), 0);
    litscan_scan(ls, "", &h);
    ck_assert(!litscan_hit(&h, 0) && !litscan_hit(&h, 1));
    litscan_scan(ls, "xxcd", &h);
    ck_assert(!litscan_hit(&h, 0) && litscan_hit(&h, 1));
    litscan_scan(ls, "a", &h);
    litscan_scan_more(ls, "b", &h); /* no match across two texts */
    ck_assert(!litscan_hit(&h, 1));
    litscan_scan_more(ls, "zab", &h);
    ck_assert(litscan_hit(&h, 1));
    ck_assert(!litscan_hit(&h, 99)); /* an id never added */
    litscan_hits_free(&h);
    litscan_free(ls);
}
END_TEST

/* On random texts over a small alphabet (many partial matches and
 * failure transitions), every literal is found exactly when strstr finds
 * it, folded or not. */
START_TEST(agrees_with_strstr)
{
    static const char *const lits[] = {"a",   "ab", "bab", "abba", "bbb",
                                       "cab", "Ab", "aBc", "ccc",  "b/c"};
    enum { N = sizeof lits / sizeof lits[0] };
    unsigned seed = 15;
    for (int fold = 0; fold <= 1; fold++) {
        litscan *ls = make(fold, lits, N);
        litscan_hits h;
        ck_assert_int_eq(litscan_hits_init(&h, ls), 0);
        for (int t = 0; t < 2000; t++) {
            char s[24], low[24];
            size_t n = (size_t)(rand_r(&seed) % 23);
            for (size_t i = 0; i < n; i++)
                s[i] = "abcAB/c"[rand_r(&seed) % 7];
            s[n] = '\0';
            litscan_scan(ls, s, &h);
            for (size_t i = 0; i <= n; i++)
                low[i] = (char)(fold && s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
            for (unsigned i = 0; i < N; i++) {
                char lit[8];
                size_t k = strlen(lits[i]);
                for (size_t j = 0; j <= k; j++)
                    lit[j] = (char)(fold && lits[i][j] >= 'A' && lits[i][j] <= 'Z' ? lits[i][j] + 32
                                                                                   : lits[i][j]);
                int want = strstr(low, lit) != NULL;
                ck_assert_msg(litscan_hit(&h, i) == want, "fold=%d text [%s] literal [%s]: got %d",
                              fold, s, lits[i], !want);
            }
        }
        litscan_hits_free(&h);
        litscan_free(ls);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, overlapping_and_nested);
    tcase_add_test(tc, case_folding);
    tcase_add_test(tc, empty_inputs);
    tcase_add_test(tc, agrees_with_strstr);
}

int main(void)
{
    return check_main("enrich_litscan", add_tests);
}
