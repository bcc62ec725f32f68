/* test_fsutil.c - whole reads and writes and the atomic replacement the
 * state files use: the new content replaces the old in one step, no
 * temporary is left behind, a failed replacement leaves the old file as
 * it was and says which file and why. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "util/fsutil.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_fsutil.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *slurp(const char *path, size_t *n)
{
    static char text[4096];
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ssize_t r = fs_pread_full(fd, text, sizeof text - 1, 0);
    ck_assert_int_ge(r, 0);
    close(fd);
    text[r] = '\0';
    *n = (size_t)r;
    return text;
}

START_TEST(write_then_pread)
{
    char path[256], big[100000], back[100000];
    make_dir();
    snprintf(path, sizeof path, "%s/f", dir);
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fs_write_all(fd, big, sizeof big), 0);
    ck_assert_int_eq(fs_pread_full(fd, back, sizeof back, 0), (ssize_t)sizeof back);
    ck_assert_mem_eq(back, big, sizeof big);
    /* short only at the end of the file */
    ck_assert_int_eq(fs_pread_full(fd, back, 100, sizeof big - 40), 40);
    ck_assert_mem_eq(back, big + sizeof big - 40, 40);
    ck_assert_int_eq(fs_pread_full(fd, back, 10, sizeof big + 5), 0);
    close(fd);
    ck_assert_int_eq(fs_pread_full(fd, back, 10, 0), -1); /* closed fd */
    remove_dir();
}
END_TEST

START_TEST(replace_is_whole)
{
    char path[256], tmp[300], err[512];
    size_t n;
    make_dir();
    snprintf(path, sizeof path, "%s/state", dir);
    snprintf(tmp, sizeof tmp, "%s" FS_TMP_SUFFIX, path);
    ck_assert_int_eq(fs_replace_file(path, "one\n", 4, "state file", err, sizeof err), 0);
    ck_assert_str_eq(slurp(path, &n), "one\n");
    ck_assert_int_eq(fs_replace_file(path, "second\n", 7, "state file", err, sizeof err), 0);
    ck_assert_str_eq(slurp(path, &n), "second\n");
    ck_assert_int_eq(access(tmp, F_OK), -1);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0644 & ~umask(022));
    /* an empty file is a content too */
    ck_assert_int_eq(fs_replace_file(path, "", 0, "state file", err, sizeof err), 0);
    ck_assert_str_eq(slurp(path, &n), "");
    ck_assert_uint_eq(n, 0);
    remove_dir();
}
END_TEST

START_TEST(failure_keeps_old)
{
    char path[256], tmp[300], err[512];
    size_t n;
    make_dir();
    snprintf(path, sizeof path, "%s/state", dir);
    ck_assert_int_eq(fs_replace_file(path, "old\n", 4, "state file", err, sizeof err), 0);
    /* a directory where the temporary would go: it cannot be created */
    snprintf(tmp, sizeof tmp, "%s" FS_TMP_SUFFIX, path);
    ck_assert_int_eq(mkdir(tmp, 0700), 0);
    ck_assert_int_eq(fs_replace_file(path, "new\n", 4, "state file", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot write state file"));
    ck_assert_ptr_nonnull(strstr(err, tmp));
    ck_assert_str_eq(slurp(path, &n), "old\n");
    ck_assert_int_eq(rmdir(tmp), 0);
    /* a directory where the file goes: the rename fails, no temporary stays */
    char sub[200];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    char subfile[256];
    snprintf(subfile, sizeof subfile, "%s/x", sub);
    ck_assert_int_eq(fs_replace_file(subfile, "x", 1, "state file", err, sizeof err), 0);
    ck_assert_int_eq(fs_replace_file(sub, "y", 1, "state file", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot rename"));
    snprintf(tmp, sizeof tmp, "%s" FS_TMP_SUFFIX, sub);
    ck_assert_int_eq(access(tmp, F_OK), -1);
    /* a missing directory */
    snprintf(path, sizeof path, "%s/nope/state", dir);
    ck_assert_int_eq(fs_replace_file(path, "z", 1, "state file", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    remove_dir();
}
END_TEST

START_TEST(sync_dir_of)
{
    ck_assert_int_eq(fs_fsync_dir_of("/tmp/whatever"), 0);
    ck_assert_int_eq(fs_fsync_dir_of("relative-name"), 0); /* "." */
    ck_assert_int_eq(fs_fsync_dir_of("/etc-not-there/x"), -1);
    ck_assert_int_eq(fs_fsync_dir_of("/x"), 0); /* "/" */
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, write_then_pread);
    tcase_add_test(t, replace_is_whole);
    tcase_add_test(t, failure_keeps_old);
    tcase_add_test(t, sync_dir_of);
}

int main(void)
{
    return check_main("fsutil", add_tests);
}
