/* follow_impl.h - the follow reader's shared state, private to
 * capture/follow/.
 *
 * The reader is split by job: follow.c reads, rotates, opens and closes;
 * siblings.c knows which files of the directory belong to the stream and
 * lists them in order; follow_state.c writes the state file and resumes
 * from it; watch.c waits for the directory to change.  They share one
 * struct follow and the per-file record below.  Nothing outside this
 * folder includes this header: the API is follow.h. */
#ifndef TETRA_FOLLOW_IMPL_H
#define TETRA_FOLLOW_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "follow.h"

#define HEADLEN 128 /* first bytes kept of each file, to notice truncation */
#define HISTLEN 16  /* finished files kept at least, to never queue them again */

/* One file we read or will read. */
typedef struct ffile {
    int fd;
    uint64_t dev, ino, off;
    struct timespec mtime;
    unsigned char head[HEADLEN];
    size_t headlen;
} ffile;

/* A directory entry that may belong to the stream. */
typedef struct cand {
    char *name;
    uint64_t dev, ino;
    struct timespec mtime;
    int is_path;
} cand;

struct follow {
    char *path, *dir, *base, *stem, *ext;
    char *state, *state_name; /* state_name: set when in dir */
    ffile cur;                /* cur.fd -1: nothing open */
    ffile *q;                 /* opened, to read after cur */
    size_t qn, qi, qcap;
    ffile *hist; /* files finished with, oldest first, fds closed */
    size_t histn, histcap;
    int ifd, wd;
    int idle; /* the last read found nothing new */
    follow_stats st;
};

static inline int timespec_cmp(struct timespec a, struct timespec b)
{
    if (a.tv_sec != b.tv_sec)
        return a.tv_sec < b.tv_sec ? -1 : 1;
    if (a.tv_nsec != b.tv_nsec)
        return a.tv_nsec < b.tv_nsec ? -1 : 1;
    return 0;
}

/* follow.c: messages, files, the queue and the history. */
int follow_fail(char *err, size_t errlen, const char *what, const char *path, int e);
int follow_oom(char *err, size_t errlen, const char *doing, const char *path);
void ffile_from_stat(ffile *ff, int fd, const struct stat *sb);
int ffile_same(const ffile *ff, uint64_t dev, uint64_t ino);
/* Capture the first bytes of a file we start reading in its middle. */
int ffile_load_head(ffile *ff, const char *path, char *err, size_t errlen);
int follow_queue_push(follow *f, const ffile *ff);
/* Open and queue c[from..n) that we have not seen, skipping siblings older
 * than *min (when given).  The followed path always qualifies. */
int follow_queue_cands(follow *f, const cand *c, size_t n, size_t from, const struct timespec *min,
                       char *err, size_t errlen);
/* Forget the oldest n finished files. */
void follow_hist_drop(follow *f, size_t n);

/* siblings.c: names and listing. */
/* Fill dir, base, stem and ext from path.  Returns 0 or -1 (out of memory). */
int siblings_split_path(follow *f);
/* Note the state file's name when it lives in dir.  Returns 0 or -1. */
int siblings_note_state(follow *f);
/* 1 when name (in dir) is a rotated sibling of the followed file. */
int siblings_is_member(const follow *f, const char *name);
/* Siblings oldest first, then the followed path if it exists.  Returns 0
 * with *out (free with siblings_free) or -1 with err filled. */
int siblings_list(follow *f, cand **out, size_t *outn, char *err, size_t errlen);
void siblings_free(cand *c, size_t n);
/* Open a listed file and make sure it is still the one listed.
 * Returns 0 opened, 1 gone or replaced meanwhile (skip it), -1 error. */
int siblings_open(follow *f, const cand *c, ffile *ff, char *err, size_t errlen);

/* follow_state.c: with a state file, queue where it says to go on.
 * Returns 1 resumed, 0 no state file yet, -1 error. */
int follow_state_resume(follow *f, char *err, size_t errlen);

/* watch.c: start watching the directory if not yet (and possible). */
void follow_watch_start(follow *f);

#endif
