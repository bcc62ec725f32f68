/* check_main.h - the one main() body every unit test shares.
 *
 * Each test_*.c used to repeat the same dozen lines: make a suite and one
 * test case, add the tests, run them, free the runner, turn the failure
 * count into an exit status.  Only the list of tests differs, so that list
 * is all a test passes in; setup that must outlive the run (a global arena,
 * curl_global_init) stays in the test's own main around the call. */
#ifndef TETRA_CHECK_MAIN_H
#define TETRA_CHECK_MAIN_H

#include <check.h>

/* Runs a suite called name with one test case, "core", that add fills
 * (tests, fixtures, timeouts), reporting with CK_NORMAL.  Returns
 * EXIT_SUCCESS when every check passed and EXIT_FAILURE otherwise, for
 * main to return. */
int check_main(const char *name, void (*add)(TCase *tc));

#endif
