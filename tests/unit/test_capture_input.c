/* test_capture_input.c - the input backends behind one table: a plain file
 * reads to its end and says 0 there, stdin is "-" and is not closed, a
 * missing file fails with its name in the error, a named (Kubernetes)
 * input reads nothing, and only a followed file has positions to tell and
 * save. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "../../capture/input.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_capture_input.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fputs(text, fp) >= 0, 1);
    ck_assert_int_eq(fclose(fp), 0);
}

/* Read everything in chunks of n; returns the bytes (caller frees). */
static char *read_all(input *in, size_t n)
{
    char *all = calloc(1, 4096), err[256];
    size_t len = 0;
    ssize_t r;
    ck_assert_ptr_nonnull(all);
    while ((r = input_read(in, all + len, n, err, sizeof err)) > 0) {
        len += (size_t)r;
        ck_assert_uint_lt(len + n, 4096);
    }
    ck_assert_int_eq(r, 0);
    return all;
}

START_TEST(plain_file_to_its_end)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/events.json", dir);
    write_file(path, "{\"a\":1}\n{\"b\":2}\n");
    input *in = input_open_file(path, err, sizeof err);
    ck_assert_msg(in != NULL, "%s", err);
    ck_assert_str_eq(input_name(in), path);
    ck_assert_int_eq(input_follows(in), 0);
    char *all = read_all(in, 3); /* smaller than a record: reads continue */
    ck_assert_str_eq(all, "{\"a\":1}\n{\"b\":2}\n");
    free(all);
    /* at the end it stays at the end; waiting does not block */
    char b[8];
    ck_assert_int_eq(input_read(in, b, sizeof b, err, sizeof err), 0);
    input_wait(in, 10000);
    /* no positions: tell is zero, save is a no-op that succeeds */
    follow_pos p = input_tell(in);
    ck_assert_uint_eq(p.offset, 0);
    ck_assert_int_eq(input_save(in, p, err, sizeof err), 0);
    follow_stats st = input_stats(in);
    ck_assert_uint_eq(st.rotations, 0);
    input_close(in);
}
END_TEST

START_TEST(missing_file_named_in_error)
{
    char path[128], err[256] = "";
    snprintf(path, sizeof path, "%s/no-such-file", dir);
    ck_assert_ptr_null(input_open_file(path, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    input_close(NULL); /* harmless */
}
END_TEST

/* "-" is stdin (fd 0); closing the input must not close the process's
 * stdin, which main owns. */
START_TEST(dash_is_stdin_and_stays_open)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/stdin.json", dir);
    write_file(path, "{}\n");
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(dup2(fd, 0), 0);
    close(fd);
    input *in = input_open_file("-", err, sizeof err);
    ck_assert_msg(in != NULL, "%s", err);
    ck_assert_str_eq(input_name(in), "-");
    char *all = read_all(in, 64);
    ck_assert_str_eq(all, "{}\n");
    free(all);
    input_close(in);
    ck_assert_int_ne(fcntl(0, F_GETFD), -1);
}
END_TEST

START_TEST(named_input_reads_nothing)
{
    char err[256];
    static const char name[] = "kube-system/tetragon-x7k2p";
    input *in = input_open_named(name, err, sizeof err);
    ck_assert_msg(in != NULL, "%s", err);
    ck_assert_str_eq(input_name(in), name);
    char b[16];
    ck_assert_int_eq(input_read(in, b, sizeof b, err, sizeof err), 0);
    ck_assert_int_eq(input_follows(in), 0);
    input_wait(in, 10000); /* returns at once */
    input_close(in);
}
END_TEST

/* A followed file tells the position after the last byte read, and a
 * saved position is where the next open resumes. */
START_TEST(followed_file_resumes_from_saved)
{
    char path[128], state[128], err[256];
    snprintf(path, sizeof path, "%s/export.log", dir);
    snprintf(state, sizeof state, "%s/state", dir);
    write_file(path, "one\ntwo\n");
    input *in = input_open_follow(path, state, 0, err, sizeof err);
    ck_assert_msg(in != NULL, "%s", err);
    ck_assert_int_eq(input_follows(in), 1);
    char b[4];
    ck_assert_int_eq(input_read(in, b, sizeof b, err, sizeof err), 4);
    ck_assert_int_eq(memcmp(b, "one\n", 4), 0);
    follow_pos p = input_tell(in);
    ck_assert_uint_eq(p.offset, 4);
    ck_assert_uint_ne(p.ino, 0);
    ck_assert_int_eq(input_save(in, p, err, sizeof err), 0);
    input_close(in);

    in = input_open_follow(path, state, 0, err, sizeof err);
    ck_assert_msg(in != NULL, "%s", err);
    ck_assert_int_eq(input_read(in, b, sizeof b, err, sizeof err), 4);
    ck_assert_int_eq(memcmp(b, "two\n", 4), 0);
    ck_assert_uint_eq(input_tell(in).offset, 8);
    input_close(in);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, plain_file_to_its_end);
    tcase_add_test(tc, missing_file_named_in_error);
    tcase_add_test(tc, dash_is_stdin_and_stays_open);
    tcase_add_test(tc, named_input_reads_nothing);
    tcase_add_test(tc, followed_file_resumes_from_saved);
}

int main(void)
{
    return check_main("capture_input", add_tests);
}
