/* follow.c - the tail -F reader behind tetra-capture --follow: reading,
 * rotation, truncation, opening and closing.
 *
 * We read the current file by fd with pread at our own offset.  At its
 * end, and again on the first read after an idle spell, we check for
 * truncation (size below our offset, or the first bytes we saw have
 * changed: copytruncate followed by fast writes) and restart at 0; a
 * truncation and refill while we are busy reading is only seen at the
 * next end, and the copy copytruncate leaves is not searched for the bytes
 * we had not read yet.  At the end we also stat P.  A different inode
 * means rotation: read the old fd once more (the writer closed it before
 * renaming and our stat came after the rename, so this read drains it),
 * then list the siblings (siblings.c) and queue, in order, every file not
 * older than the old one that we have not read yet, P last.  Usually that
 * is just the new P; it also catches a file created and rotated away
 * between two of our looks.  P missing: keep waiting on the old fd, as
 * tail -F does.
 *
 * One follow_read call reads from exactly one file, one pread, so a chunk
 * never spans a file switch or a truncation: byte i of a chunk of length n
 * sits at {tell.dev, tell.ino, tell.offset - (n - i)}.  A chunk continues
 * the previous one iff its start equals the previous follow_tell().
 *
 * Finished files go to a history, so none is queued twice and a state
 * file save (follow_state.c) can still name any position not yet
 * delivered.  Waiting is in watch.c. */
#include "follow_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util/fsutil.h"

int follow_fail(char *err, size_t errlen, const char *what, const char *path, int e)
{
    snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
    return -1;
}

int follow_oom(char *err, size_t errlen, const char *doing, const char *path)
{
    snprintf(err, errlen, "out of memory %s %s", doing, path);
    return -1;
}

static void ffile_init(ffile *ff)
{
    memset(ff, 0, sizeof *ff);
    ff->fd = -1;
}

void ffile_from_stat(ffile *ff, int fd, const struct stat *sb)
{
    ffile_init(ff);
    ff->fd = fd;
    ff->dev = (uint64_t)sb->st_dev;
    ff->ino = (uint64_t)sb->st_ino;
    ff->mtime = sb->st_mtim;
}

int ffile_same(const ffile *ff, uint64_t dev, uint64_t ino)
{
    return ff->dev == dev && ff->ino == ino && (dev | ino) != 0;
}

/* ---- the queue of files to read after the current one ------------------ */

int follow_queue_push(follow *f, const ffile *ff)
{
    if (f->qn == f->qcap) {
        size_t nc = f->qcap ? f->qcap * 2 : 8;
        ffile *p = realloc(f->q, nc * sizeof *p);
        if (!p)
            return -1;
        f->q = p;
        f->qcap = nc;
    }
    f->q[f->qn++] = *ff;
    return 0;
}

static int known(const follow *f, uint64_t dev, uint64_t ino)
{
    if (ffile_same(&f->cur, dev, ino))
        return 1;
    for (size_t i = f->qi; i < f->qn; i++)
        if (ffile_same(&f->q[i], dev, ino))
            return 1;
    for (size_t i = 0; i < f->histn; i++)
        if (ffile_same(&f->hist[i], dev, ino))
            return 1;
    return 0;
}

int follow_queue_cands(follow *f, const cand *c, size_t n, size_t from, const struct timespec *min,
                       char *err, size_t errlen)
{
    for (size_t i = from; i < n; i++) {
        if (known(f, c[i].dev, c[i].ino))
            continue;
        if (min && !c[i].is_path && timespec_cmp(c[i].mtime, *min) < 0)
            continue;
        ffile ff;
        int rc = siblings_open(f, &c[i], &ff, err, errlen);
        if (rc < 0)
            return -1;
        if (rc > 0)
            continue;
        if (follow_queue_push(f, &ff) != 0) {
            close(ff.fd);
            return follow_oom(err, errlen, "following", f->path);
        }
    }
    return 0;
}

void follow_hist_drop(follow *f, size_t n)
{
    memmove(f->hist, f->hist + n, (f->histn - n) * sizeof *f->hist);
    f->histn -= n;
}

/* Remember a finished file: the last HISTLEN always, and with a state
 * file every one since the last save, for a follow_save naming it. */
static void hist_push(follow *f, const ffile *ff)
{
    if (!f->state && f->histn >= HISTLEN)
        follow_hist_drop(f, f->histn - HISTLEN + 1);
    if (f->histn == f->histcap) {
        size_t nc = f->histcap ? f->histcap * 2 : HISTLEN;
        ffile *p = realloc(f->hist, nc * sizeof *p);
        if (p) {
            f->hist = p;
            f->histcap = nc;
        } else if (f->histn) {
            follow_hist_drop(f, 1); /* out of memory: an old save may fail, reading goes on */
        } else {
            return;
        }
    }
    f->hist[f->histn++] = *ff;
}

/* Finish the current file and move to the next queued one. */
static int advance(follow *f)
{
    if (f->qi >= f->qn)
        return 0;
    if (f->cur.fd >= 0) {
        close(f->cur.fd);
        f->cur.fd = -1;
        hist_push(f, &f->cur);
        f->st.rotations++;
    }
    f->cur = f->q[f->qi++];
    if (f->qi == f->qn)
        f->qi = f->qn = 0;
    return 1;
}

/* ---- reading ----------------------------------------------------------- */

static void note_head(ffile *ff, const char *buf, size_t n)
{
    if (ff->off >= HEADLEN || ff->off != ff->headlen)
        return;
    size_t k = HEADLEN - (size_t)ff->off;
    if (k > n)
        k = n;
    memcpy(ff->head + ff->off, buf, k);
    ff->headlen += k;
}

/* The current file: at most n bytes from our offset.  Returns the count,
 * 0 at its end, -1 with err filled. */
static ssize_t read_cur(follow *f, char *buf, size_t n, char *err, size_t errlen)
{
    ssize_t r;
    do
        r = pread(f->cur.fd, buf, n, (off_t)f->cur.off);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return follow_fail(err, errlen, "cannot read", f->path, errno);
    note_head(&f->cur, buf, (size_t)r);
    f->cur.off += (uint64_t)r;
    f->st.bytes += (uint64_t)r;
    return r;
}

int ffile_load_head(ffile *ff, const char *path, char *err, size_t errlen)
{
    size_t want = ff->off < HEADLEN ? (size_t)ff->off : HEADLEN;
    ssize_t r = fs_pread_full(ff->fd, ff->head, want, 0);
    if (r < 0)
        return follow_fail(err, errlen, "cannot read", path, errno);
    ff->headlen = (size_t)r;
    return 0;
}

/* Same inode as before: did someone truncate it (copytruncate)? */
static int check_truncated(follow *f, char *err, size_t errlen)
{
    struct stat sb;
    unsigned char now[HEADLEN];
    if (fstat(f->cur.fd, &sb) != 0)
        return follow_fail(err, errlen, "cannot stat", f->path, errno);
    f->cur.mtime = sb.st_mtim;
    int trunc = (uint64_t)sb.st_size < f->cur.off;
    if (!trunc && f->cur.headlen) {
        ssize_t r = fs_pread_full(f->cur.fd, now, f->cur.headlen, 0);
        if (r < 0)
            return follow_fail(err, errlen, "cannot read", f->path, errno);
        trunc = (size_t)r != f->cur.headlen || memcmp(now, f->cur.head, f->cur.headlen) != 0;
    }
    if (!trunc)
        return 0;
    f->cur.off = 0;
    f->cur.headlen = 0;
    f->st.truncations++;
    return 1;
}

/* The path names another file: queue it and anything rotated in between. */
static int rotate(follow *f, char *err, size_t errlen)
{
    struct stat sb;
    cand *c;
    size_t n;
    if (fstat(f->cur.fd, &sb) != 0)
        return follow_fail(err, errlen, "cannot stat", f->path, errno);
    f->cur.mtime = sb.st_mtim;
    if (siblings_list(f, &c, &n, err, errlen) != 0)
        return -1;
    int rc = follow_queue_cands(f, c, n, 0, &f->cur.mtime, err, errlen);
    siblings_free(c, n);
    if (rc != 0)
        return -1;
    return advance(f);
}

/* Nothing open yet: open the path if it has appeared (read it from 0). */
static int open_first(follow *f, char *err, size_t errlen)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0)
        return errno == ENOENT ? 0 : follow_fail(err, errlen, "cannot open", f->path, errno);
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return follow_fail(err, errlen, "cannot stat", f->path, e);
    }
    ffile_from_stat(&f->cur, fd, &sb);
    return 1;
}

/* At the end of the current file: 1 when there is somewhere new to read
 * from (or more data to drain), 0 when not, -1 on error. */
static int at_end(follow *f, char *buf, size_t n, ssize_t *got, char *err, size_t errlen)
{
    struct stat sb;
    if (advance(f))
        return 1;
    if (stat(f->path, &sb) != 0) {
        if (errno == ENOENT)
            return 0;
        return follow_fail(err, errlen, "cannot stat", f->path, errno);
    }
    if (ffile_same(&f->cur, (uint64_t)sb.st_dev, (uint64_t)sb.st_ino))
        return check_truncated(f, err, errlen);
    *got = read_cur(f, buf, n, err, errlen); /* drain what came before the rename */
    if (*got != 0)
        return 1;
    return rotate(f, err, errlen);
}

/* After an idle spell, look for a truncation before reading on: a file
 * truncated and refilled past our offset would otherwise hand us the tail
 * of its new content before its end told us anything. */
static int wake_check(follow *f, char *err, size_t errlen)
{
    if (!f->idle || f->cur.fd < 0)
        return 0;
    f->idle = 0;
    return check_truncated(f, err, errlen) < 0 ? -1 : 0;
}

static ssize_t read_some(follow *f, char *buf, size_t n, char *err, size_t errlen)
{
    if (wake_check(f, err, errlen) != 0)
        return -1;
    for (int tries = 0; tries < 8; tries++) {
        if (f->cur.fd < 0 && !advance(f)) {
            int rc = open_first(f, err, errlen);
            if (rc <= 0)
                return rc;
        }
        ssize_t r = read_cur(f, buf, n, err, errlen);
        if (r != 0)
            return r;
        r = 0;
        int rc = at_end(f, buf, n, &r, err, errlen);
        if (rc < 0 || r != 0)
            return r ? r : -1;
        if (rc == 0)
            return 0;
    }
    return 0;
}

ssize_t follow_read(follow *f, char *buf, size_t n, char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    ssize_t r = read_some(f, buf, n, err, errlen);
    f->idle = r == 0;
    return r;
}

follow_pos follow_tell(const follow *f)
{
    follow_pos p = {f->cur.dev, f->cur.ino, f->cur.off};
    return p;
}

follow_pos follow_tell_back(const follow *f, size_t back)
{
    follow_pos p = follow_tell(f);
    p.offset = back > p.offset ? 0 : p.offset - back;
    return p;
}

follow_stats follow_get_stats(const follow *f)
{
    return f->st;
}

/* ---- open and close ----------------------------------------------------- */

static int init_names(follow *f, const char *path, const char *state_path)
{
    f->path = strdup(path);
    if (!f->path || siblings_split_path(f) != 0)
        return -1;
    if (!state_path)
        return 0;
    f->state = strdup(state_path);
    if (!f->state)
        return -1;
    return siblings_note_state(f);
}

static int start_fresh(follow *f, int from_end, char *err, size_t errlen)
{
    int rc = open_first(f, err, errlen);
    if (rc <= 0 || !from_end)
        return rc;
    struct stat sb;
    if (fstat(f->cur.fd, &sb) != 0)
        return follow_fail(err, errlen, "cannot stat", f->path, errno);
    f->cur.off = (uint64_t)sb.st_size;
    return ffile_load_head(&f->cur, f->path, err, errlen);
}

static int open_inner(follow *f, int from_end, char *err, size_t errlen)
{
    int rc = f->state ? follow_state_resume(f, err, errlen) : 0;
    if (rc == 0)
        rc = start_fresh(f, from_end, err, errlen);
    return rc < 0 ? -1 : 0;
}

follow *follow_open(const char *path, const char *state_path, int from_end, char *err,
                    size_t errlen)
{
    if (!path || !*path || strchr(path, '\n')) {
        snprintf(err, errlen, "cannot follow \"%s\": empty name or a newline in it",
                 path ? path : "");
        return NULL;
    }
    follow *f = calloc(1, sizeof *f);
    if (!f) {
        follow_oom(err, errlen, "following", path);
        return NULL;
    }
    ffile_init(&f->cur);
    f->wd = -1;
    f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC); /* -1: we poll instead */
    if (init_names(f, path, state_path) != 0) {
        snprintf(err, errlen, "out of memory following %s", path);
        follow_close(f);
        return NULL;
    }
    follow_watch_start(f); /* before the first look, so no change slips between */
    if (open_inner(f, from_end, err, errlen) != 0) {
        follow_close(f);
        return NULL;
    }
    return f;
}

void follow_close(follow *f)
{
    if (!f)
        return;
    if (f->cur.fd >= 0)
        close(f->cur.fd);
    for (size_t i = f->qi; i < f->qn; i++)
        close(f->q[i].fd);
    if (f->ifd >= 0)
        close(f->ifd);
    free(f->q);
    free(f->hist);
    free(f->path);
    free(f->dir);
    free(f->base);
    free(f->stem);
    free(f->ext);
    free(f->state);
    free(f->state_name);
    free(f);
}
