/* test_capture_follow.c - the tail -F reader against real files in a temporary
 * directory: appends, a file that appears late, rename rotation while
 * reading and while stopped, truncation, the state file, and a saved file
 * that is gone by the time we restart.
 *
 * The file operations of each scenario happen before the reads that check
 * them, so the outcome does not depend on timing; only the follow_wait
 * tests measure time, with generous bounds. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "../../capture/follow/follow.h"

static char root[512]; /* made and removed by the parent, also after a failure */
static char dir[1024]; /* one per test, inside root */
static char logp[PATH_MAX];
static char statep[PATH_MAX];
static char err[512];

static void make_root(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/test_capture_follow.XXXXXX", t && *t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(root));
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void remove_root(void)
{
    if (root[0] && nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "test_capture_follow: cannot remove %s: %s\n", root, strerror(errno));
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "%s/t.XXXXXX", root);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(logp, sizeof logp, "%s/tetragon.log", dir);
    snprintf(statep, sizeof statep, "%s/tetragon.log.state", dir);
}

static const char *in_dir(const char *name)
{
    static char p[4][PATH_MAX];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void put(const char *path, const char *text, int flags)
{
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    ck_assert_int_eq(close(fd), 0);
}
#define append(p, t) put(p, t, O_APPEND)
#define replace(p, t) put(p, t, O_TRUNC)

static void age(const char *path, int secs)
{
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= secs;
    ts[1] = ts[0];
    ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static follow *open_ok(const char *state, int from_end)
{
    follow *f = follow_open(logp, state, from_end, err, sizeof err);
    ck_assert_msg(f != NULL, "follow_open: %s", err);
    return f;
}

/* Everything available now, in chunks of at most chunk bytes; checks that
 * every chunk is where follow_tell says it is (pread of that file). */
static const char *drain(follow *f, size_t chunk)
{
    static char out[8192];
    char buf[4096];
    size_t len = 0;
    ssize_t r;
    while ((r = follow_read(f, buf, chunk, err, sizeof err)) > 0) {
        follow_pos end = follow_tell(f);
        char dup[4096];
        int fd = -1;
        const char *names[] = {"tetragon.log", "tetragon-2024-01-01T00-00-00.000.log",
                               "tetragon-2024-01-01T00-00-01.000.log",
                               "tetragon-2024-01-01T00-00-02.000.log"};
        for (size_t i = 0; i < 4 && fd < 0; i++) {
            struct stat sb;
            if (stat(in_dir(names[i]), &sb) == 0 && (uint64_t)sb.st_ino == end.ino)
                fd = open(in_dir(names[i]), O_RDONLY);
        }
        if (fd >= 0) { /* the file may be deleted already: then skip this check */
            ck_assert_int_eq(pread(fd, dup, (size_t)r, (off_t)(end.offset - (uint64_t)r)), r);
            ck_assert(memcmp(dup, buf, (size_t)r) == 0);
            close(fd);
        }
        ck_assert_uint_lt(len + (size_t)r, sizeof out);
        memcpy(out + len, buf, (size_t)r);
        len += (size_t)r;
    }
    ck_assert_msg(r == 0, "follow_read: %s", err);
    out[len] = '\0';
    return out;
}

static void save_ok(follow *f, follow_pos pos)
{
    ck_assert_msg(follow_save(f, pos, err, sizeof err) == 0, "follow_save: %s", err);
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void *late_writer(void *arg)
{
    struct timespec d = {0, 50 * 1000000};
    nanosleep(&d, NULL);
    append((const char *)arg, "late\n");
    return NULL;
}

START_TEST(plain_appends)
{
    append(logp, "a\n");
    follow *f = open_ok(NULL, 0);
    ck_assert_str_eq(drain(f, 4096), "a\n");
    append(logp, "b\n");
    append(logp, "c\n");
    ck_assert_str_eq(drain(f, 1), "b\nc\n");
    ck_assert_uint_eq(follow_get_stats(f).bytes, 6);
    ck_assert_uint_eq(follow_get_stats(f).rotations, 0);
    follow_close(f);

    f = open_ok(NULL, 1); /* from the end, like tail -n0 */
    ck_assert_str_eq(drain(f, 4096), "");
    append(logp, "d\n");
    ck_assert_str_eq(drain(f, 4096), "d\n");
    follow_close(f);
}
END_TEST

START_TEST(wait_returns_when_data_arrives)
{
    append(logp, "a\n");
    follow *f = open_ok(NULL, 0);
    ck_assert_str_eq(drain(f, 4096), "a\n");
    pthread_t th;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(pthread_create(&th, NULL, late_writer, logp), 0);
    int rc = 0;
    while (!rc && elapsed_ms(&t0) < 5000) {
        ck_assert_int_eq(follow_wait(f, 5000), 0);
        rc = strcmp(drain(f, 4096), "late\n") == 0;
    }
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert(rc);
    ck_assert_int_lt(elapsed_ms(&t0), 2500); /* woken by inotify, not the 5 s timeout */

    ck_assert_int_eq(follow_wait(f, 0), 0); /* swallow what the writer left queued */
    clock_gettime(CLOCK_MONOTONIC, &t0);    /* nothing happens: back after ms */
    ck_assert_int_eq(follow_wait(f, 100), 0);
    ck_assert_int_ge(elapsed_ms(&t0), 90);
    ck_assert_int_lt(elapsed_ms(&t0), 2000);
    follow_close(f);
}
END_TEST

START_TEST(missing_then_created)
{
    follow *f = open_ok(statep, 0);
    ck_assert_int_eq(follow_read(f, (char[8]){0}, 8, err, sizeof err), 0);
    save_ok(f, follow_tell(f)); /* nothing opened yet: nothing to save */
    ck_assert_int_eq(access(statep, F_OK), -1);
    append(logp, "x\n");
    ck_assert_int_eq(follow_wait(f, 5000), 0);
    ck_assert_str_eq(drain(f, 4096), "x\n");
    follow_close(f);

    /* a directory that does not exist yet: polled */
    snprintf(logp, sizeof logp, "%s/sub/tetragon.log", dir);
    f = open_ok(NULL, 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(follow_wait(f, 50), 0);
    ck_assert_int_lt(elapsed_ms(&t0), 2000);
    ck_assert_str_eq(drain(f, 4096), "");
    ck_assert_int_eq(mkdir(in_dir("sub"), 0755), 0);
    append(logp, "y\n");
    ck_assert_str_eq(drain(f, 4096), "y\n");
    follow_close(f);
}
END_TEST

START_TEST(rotation_while_reading)
{
    int w = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0644);
    ck_assert_int_ge(w, 0);
    ck_assert_int_eq(write(w, "1\n2\n", 4), 4);
    follow *f = open_ok(NULL, 0);
    ck_assert_str_eq(drain(f, 3), "1\n2\n");

    ck_assert_int_eq(write(w, "3\n", 2), 2);
    ck_assert_int_eq(rename(logp, in_dir("tetragon-2024-01-01T00-00-00.000.log")), 0);
    ck_assert_int_eq(write(w, "4\n", 2), 2); /* the writer's last words, after the rename */
    ck_assert_int_eq(close(w), 0);
    append(logp, "5\n6\n");
    ck_assert_str_eq(drain(f, 3), "3\n4\n5\n6\n");
    ck_assert_uint_eq(follow_get_stats(f).rotations, 1);

    /* two rotations between two looks: the one in the middle is not lost */
    ck_assert_int_eq(rename(logp, in_dir("tetragon-2024-01-01T00-00-01.000.log")), 0);
    append(logp, "7\n");
    ck_assert_int_eq(rename(logp, in_dir("tetragon-2024-01-01T00-00-02.000.log")), 0);
    append(logp, "8\n");
    ck_assert_str_eq(drain(f, 3), "7\n8\n");
    ck_assert_uint_eq(follow_get_stats(f).rotations, 3);
    ck_assert_uint_eq(follow_get_stats(f).bytes, 16);
    follow_close(f);
}
END_TEST

START_TEST(rotation_path_missing_for_a_while)
{
    append(logp, "1\n");
    follow *f = open_ok(NULL, 0);
    ck_assert_str_eq(drain(f, 4096), "1\n");
    ck_assert_int_eq(rename(logp, in_dir("tetragon.log.1")), 0);
    append(in_dir("tetragon.log.1"), "2\n");
    ck_assert_str_eq(drain(f, 4096), "2\n"); /* still on the old fd */
    append(logp, "3\n");
    ck_assert_str_eq(drain(f, 4096), "3\n");
    follow_close(f);
}
END_TEST

START_TEST(restart_across_rotations)
{
    append(in_dir("tetragon-2023-12-31T00-00-00.000.log"), "old\n");
    age(in_dir("tetragon-2023-12-31T00-00-00.000.log"), 3600);
    append(in_dir("tetragon.pid"), "pid\n");
    append(in_dir("tetragon.log.2.gz"), "gz\n");
    append(logp, "l1\nl2\nl3\n");

    follow *f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "l1\nl2\nl3\n");
    save_ok(f, follow_tell_back(f, 3)); /* l1 and l2 delivered, l3 not */
    follow_close(f);

    append(logp, "l4\n");
    ck_assert_int_eq(rename(logp, in_dir("tetragon-2024-01-01T00-00-00.000.log")), 0);
    append(logp, "l5\nl6\n");
    ck_assert_int_eq(rename(logp, in_dir("tetragon-2024-01-01T00-00-01.000.log")), 0);
    append(logp, "l7\n");

    f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "l3\nl4\nl5\nl6\nl7\n");
    ck_assert_uint_eq(follow_get_stats(f).rotations, 2);
    save_ok(f, follow_tell(f));
    follow_close(f);

    f = open_ok(statep, 0); /* nothing twice */
    ck_assert_str_eq(drain(f, 4096), "");
    append(logp, "l8\n");
    ck_assert_str_eq(drain(f, 4096), "l8\n");
    follow_close(f);
}
END_TEST

START_TEST(truncation)
{
    append(logp, "aaa\nbbb\n");
    follow *f = open_ok(NULL, 0);
    ck_assert_str_eq(drain(f, 4096), "aaa\nbbb\n");
    replace(logp, "c\n"); /* copytruncate */
    ck_assert_str_eq(drain(f, 4096), "c\n");
    ck_assert_uint_eq(follow_get_stats(f).truncations, 1);
    replace(logp, "dddddddddd\n"); /* truncated and already longer than before */
    ck_assert_str_eq(drain(f, 4096), "dddddddddd\n");
    ck_assert_uint_eq(follow_get_stats(f).truncations, 2);
    follow_close(f);
}
END_TEST

START_TEST(truncation_while_stopped)
{
    append(logp, "first\n");
    follow *f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "first\n");
    save_ok(f, follow_tell(f));
    follow_close(f);

    replace(logp, "e\n"); /* shorter than the saved offset */
    f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "e\n");
    ck_assert_uint_eq(follow_get_stats(f).truncations, 1);
    save_ok(f, follow_tell(f));
    follow_close(f);

    replace(logp, "zzzzzzzzzz\n"); /* same inode, longer: caught by the first bytes */
    f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "zzzzzzzzzz\n");
    follow_close(f);
}
END_TEST

START_TEST(saved_file_gone)
{
    append(in_dir("tetragon-2023-12-31T00-00-00.000.log"), "old\n");
    age(in_dir("tetragon-2023-12-31T00-00-00.000.log"), 3600);
    append(logp, "g1\ng2\n");
    follow *f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "g1\ng2\n");
    save_ok(f, follow_tell_back(f, 3));
    follow_close(f);

    append(logp, "g3\n");
    ck_assert_int_eq(rename(logp, in_dir("tetragon-2024-01-01T00-00-00.000.log")), 0);
    append(logp, "g4\n");
    ck_assert_int_eq(rename(logp, in_dir("tetragon-2024-01-01T00-00-01.000.log")), 0);
    append(logp, "g5\n");
    ck_assert_int_eq(unlink(in_dir("tetragon-2024-01-01T00-00-00.000.log")), 0);

    f = open_ok(statep, 0); /* g2 and g3 went with the file; the rest follows */
    ck_assert_str_eq(drain(f, 4096), "g4\ng5\n");
    follow_close(f);
}
END_TEST

START_TEST(file_replaced_while_stopped)
{
    append(logp, "r1\nr2\n");
    follow *f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "r1\nr2\n");
    save_ok(f, follow_tell(f));
    follow_close(f);
    ck_assert_int_eq(unlink(logp), 0);
    append(logp, "s1\ns2\ns3\n"); /* may reuse the inode */
    f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "s1\ns2\ns3\n");
    follow_close(f);
}
END_TEST

START_TEST(save_position_in_previous_file)
{
    append(logp, "a\n");
    follow *f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "a\n");
    follow_pos end_of_a = follow_tell(f);
    ck_assert_int_eq(rename(logp, in_dir("tetragon.log.1")), 0);
    append(logp, "b\n");
    ck_assert_str_eq(drain(f, 4096), "b\n");
    save_ok(f, end_of_a); /* b read but not delivered yet */
    follow_pos bogus = {end_of_a.dev, end_of_a.ino + 12345, 1};
    ck_assert_int_eq(follow_save(f, bogus, err, sizeof err), -1);
    ck_assert_msg(strstr(err, statep) && strstr(err, "no longer knows"), "error was: %s", err);
    follow_close(f);
    f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "b\n");
    follow_close(f);
}
END_TEST

START_TEST(save_lagging_behind_many_rotations)
{
    char want[1024] = "", name[64], line[16];
    append(logp, "first\n");
    follow *f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "first\n");
    follow_pos delivered = follow_tell(f); /* the output is slow: nothing more goes out */
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "tetragon-2024-01-01T00-00-%02d.000.log", i);
        ck_assert_int_eq(rename(logp, in_dir(name)), 0);
        snprintf(line, sizeof line, "r%02d\n", i);
        append(logp, line);
        memcpy(want + 4 * i, line, 5);
        ck_assert_str_eq(drain(f, 4096), line);
    }
    save_ok(f, delivered);
    follow_close(f);
    f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), want);
    follow_close(f);
}
END_TEST

static void read_text(const char *path, char *out, size_t cap)
{
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    size_t n = fread(out, 1, cap - 1, fp);
    out[n] = '\0';
    fclose(fp);
}

START_TEST(state_file_written_atomically)
{
    char text[8192], want[8192];
    append(logp, "abc\ndef\n");
    follow *f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "abc\ndef\n");
    follow_pos p = follow_tell_back(f, 4);
    save_ok(f, p);
    read_text(statep, text, sizeof text);
    snprintf(want, sizeof want, "tetra-follow-state 1\npath %s\ndev %llu\nino %llu\noffset 4\n",
             logp, (unsigned long long)p.dev, (unsigned long long)p.ino);
    ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "state is:\n%s", text);
    ck_assert_ptr_nonnull(strstr(text, "\nhead 4 "));
    save_ok(f, follow_tell(f));
    read_text(statep, text, sizeof text);
    ck_assert_ptr_nonnull(strstr(text, "\noffset 8\n"));
    ck_assert_int_eq(access(in_dir("tetragon.log.state.tmp"), F_OK), -1);
    follow_close(f);

    /* a state file nobody can write: the error names it and says why */
    snprintf(statep, sizeof statep, "%s/nodir/state", dir);
    f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "abc\ndef\n");
    ck_assert_int_eq(follow_save(f, follow_tell(f), err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "nodir/state.tmp"));
    ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));
    follow_close(f);
}
END_TEST

static void expect_open_error(const char *state_text, const char *needle)
{
    replace(statep, state_text);
    ck_assert_ptr_null(follow_open(logp, statep, 0, err, sizeof err));
    ck_assert_msg(strstr(err, statep) && strstr(err, needle), "error was: %s", err);
}

START_TEST(state_file_corrupt)
{
    char good[8192];
    append(logp, "abc\n");
    expect_open_error("garbage\n", "delete it");
    expect_open_error("", "empty");
    expect_open_error("tetra-follow-state 1\ndev 1\nino 2\n", "missing");
    snprintf(good, sizeof good,
             "tetra-follow-state 1\npath %s\ndev 1\nino 2\noffset 12x\nmtime 1.0\nhead 0 0\n",
             logp);
    expect_open_error(good, "line 5");
    snprintf(good, sizeof good,
             "tetra-follow-state 1\npath /elsewhere/x.log\ndev 1\nino 2\noffset 1\nmtime "
             "1.0\nhead 0 0\n");
    expect_open_error(good, "belongs to /elsewhere/x.log");
    /* a well-formed state naming a file that never existed here: start at 0 */
    snprintf(good, sizeof good,
             "tetra-follow-state 1\npath %s\ndev 1\nino 2\noffset 1\nmtime 1.0\nhead 0 0\n", logp);
    replace(statep, good);
    follow *f = open_ok(statep, 0);
    ck_assert_str_eq(drain(f, 4096), "abc\n");
    follow_close(f);
}
END_TEST

/* A caller in miniature: cuts chunks into lines, delivers whole lines and
 * remembers where the last one ended, as tetra-capture does. */
typedef struct lines {
    char out[65536], part[256];
    size_t outlen, partlen;
    follow_pos last_end;
} lines;

static void take(lines *l, const char *buf, size_t n, follow *f)
{
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_lt(l->partlen, sizeof l->part);
        l->part[l->partlen++] = buf[i];
        if (buf[i] != '\n')
            continue;
        ck_assert_uint_lt(l->outlen + l->partlen, sizeof l->out);
        memcpy(l->out + l->outlen, l->part, l->partlen);
        l->outlen += l->partlen;
        l->partlen = 0;
        l->last_end = follow_tell_back(f, n - i - 1);
    }
}

static unsigned next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

static void read_some_chunks(follow *f, lines *l, unsigned *seed)
{
    char buf[24]; /* slower than the writer: it falls behind by several files */
    for (unsigned k = next_rand(seed) % 4; k > 0; k--) {
        ssize_t r = follow_read(f, buf, 1 + next_rand(seed) % sizeof buf, err, sizeof err);
        ck_assert_msg(r >= 0, "follow_read: %s", err);
        take(l, buf, (size_t)r, f);
    }
}

START_TEST(many_rotations_and_restarts)
{
    static lines l;
    char want[65536], line[64], name[64];
    size_t wantlen = 0;
    unsigned seed = 42, rotations = 0;
    int w = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0644);
    ck_assert_int_ge(w, 0);
    follow *f = open_ok(statep, 0);
    for (int i = 0; i < 600; i++) {
        int n = snprintf(line, sizeof line, "line %04d %.*s\n", i, (int)(next_rand(&seed) % 40),
                         "........................................");
        ck_assert_int_eq(write(w, line, (size_t)n), n);
        memcpy(want + wantlen, line, (size_t)n);
        wantlen += (size_t)n;
        if (i % 17 == 16) { /* lumberjack: rename, then a new file */
            snprintf(name, sizeof name, "tetragon-2024-01-01T00-%02u-%02u.000.log", rotations / 60,
                     rotations % 60);
            rotations++;
            ck_assert_int_eq(rename(logp, in_dir(name)), 0);
            ck_assert_int_eq(close(w), 0);
            w = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0644);
            ck_assert_int_ge(w, 0);
        }
        read_some_chunks(f, &l, &seed);
        if (i % 29 == 28) { /* stop and start again, dropping the partial line */
            save_ok(f, l.last_end);
            follow_close(f);
            l.partlen = 0;
            f = open_ok(statep, 0);
        }
    }
    ck_assert_int_eq(close(w), 0);
    char buf[4096];
    ssize_t r;
    while ((r = follow_read(f, buf, sizeof buf, err, sizeof err)) > 0)
        take(&l, buf, (size_t)r, f);
    ck_assert_msg(r == 0, "follow_read: %s", err);
    follow_close(f);
    ck_assert_uint_eq(l.partlen, 0);
    ck_assert_uint_eq(l.outlen, wantlen);
    ck_assert(memcmp(l.out, want, wantlen) == 0);
}
END_TEST

START_TEST(errors_name_path_and_cause)
{
    ck_assert_int_eq(mkdir(logp, 0755), 0); /* the "file" is a directory */
    follow *f = open_ok(NULL, 0);
    char buf[16];
    ck_assert_int_eq(follow_read(f, buf, sizeof buf, err, sizeof err), -1);
    ck_assert_msg(strstr(err, logp) && strstr(err, strerror(EISDIR)), "error was: %s", err);
    follow_close(f);

    ck_assert_ptr_null(follow_open(logp, dir, 0, err, sizeof err)); /* state is a directory */
    ck_assert_msg(strstr(err, dir) && strstr(err, strerror(EISDIR)), "error was: %s", err);
    ck_assert_ptr_null(follow_open("", NULL, 0, err, sizeof err));
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, plain_appends);
    tcase_add_test(tc, wait_returns_when_data_arrives);
    tcase_add_test(tc, missing_then_created);
    tcase_add_test(tc, rotation_while_reading);
    tcase_add_test(tc, rotation_path_missing_for_a_while);
    tcase_add_test(tc, restart_across_rotations);
    tcase_add_test(tc, truncation);
    tcase_add_test(tc, truncation_while_stopped);
    tcase_add_test(tc, saved_file_gone);
    tcase_add_test(tc, file_replaced_while_stopped);
    tcase_add_test(tc, save_position_in_previous_file);
    tcase_add_test(tc, save_lagging_behind_many_rotations);
    tcase_add_test(tc, many_rotations_and_restarts);
    tcase_add_test(tc, state_file_written_atomically);
    tcase_add_test(tc, state_file_corrupt);
    tcase_add_test(tc, errors_name_path_and_cause);
}

int main(void)
{
    return check_main("follow", add_tests);
}
