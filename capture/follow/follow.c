/* follow.c - the tail -F reader behind tetra-capture --follow, with a state
 * file that makes restarts exact.
 *
 * Files.  The followed path P (say dir/tetragon.log) has a stem ("tetragon",
 * the name without its last extension) and an extension (".log").  A
 * sibling is a regular file in the same directory whose name starts with
 * the stem and either ends with the extension (lumberjack's
 * tetragon-2024-01-01T00-00-00.000.log) or starts with "tetragon.log."
 * (logrotate's tetragon.log.1).  Compressed siblings (.gz .zst .xz .bz2)
 * and the state file itself are never siblings: their bytes are not the
 * stream.  Siblings are ordered oldest first by mtime, ties by name (the
 * lumberjack timestamp sorts by name); P itself always comes last.
 *
 * Reading.  We read the current file by fd with pread at our own offset.
 * At its end, and again on the first read after an idle spell, we check
 * for truncation (size below our offset, or the first bytes we saw have
 * changed: copytruncate followed by fast writes) and restart at 0; a
 * truncation and refill while we are busy reading is only seen at the
 * next end, and the copy copytruncate leaves is not searched for the bytes
 * we had not read yet.  At the end we also stat P.  A different inode
 * means rotation: read the old fd once more (the writer closed it before
 * renaming and our stat came after the rename, so this read drains it),
 * then list the siblings and queue, in order, every file not older than
 * the old one that we have not read yet, P last.  Usually that is just the
 * new P; it also catches a file created and rotated away between two of
 * our looks.  P missing: keep waiting on the old fd, as tail -F does.
 *
 * One follow_read call reads from exactly one file, one pread, so a chunk
 * never spans a file switch or a truncation: byte i of a chunk of length n
 * sits at {tell.dev, tell.ino, tell.offset - (n - i)}.  A chunk continues
 * the previous one iff its start equals the previous follow_tell().
 *
 * Waiting.  inotify on the directory (covers appends, creations, renames and
 * truncation of every file in it); when that is unavailable (no inotify,
 * directory missing, NFS) follow_wait just sleeps ms and the caller polls.
 *
 * State file (text, written to STATE.tmp, fsync, rename, fsync of the dir):
 *     tetra-follow-state 1
 *     path <followed path>
 *     dev <n>
 *     ino <n>
 *     offset <n>
 *     mtime <sec>.<nsec>        mtime of that file when the state was saved
 *     head <len> <fnv1a-64 hex>  hash of the file's first len (<= 128) bytes
 * Resume: look for dev/ino among P and its siblings.  Found, and at least
 * offset bytes long, and its first bytes hash the same: continue there at
 * offset, then every sibling after it in order, then P.  Found as P but
 * shorter or with other first bytes: P was truncated (or the inode reused)
 * while we were down, read P from 0.  Not found (or a sibling whose hash
 * differs: inode reused): the file is gone and its unread tail is lost;
 * read from 0 every sibling whose mtime is >= the saved mtime, then P.
 * Ties resolve towards sending again rather than skipping; a device number
 * that changed across a reboot also lands here and re-sends that file.  A
 * rotated file compressed while we were down is gone too.  With a state
 * file from_end is ignored.  A state file written for another path is an
 * error, so is a corrupt one: both say to delete it, which starts over at
 * the beginning of P.  To make a save possible for any position not yet
 * delivered, every file finished since the last save is remembered. */
#include "follow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEADLEN 128
#define HISTLEN 16 /* finished files kept at least, to never queue them again */
#define STATE_MAX 8192
#define STATE_MAGIC "tetra-follow-state 1"

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

/* What a state file says. */
typedef struct saved {
    char path[PATH_MAX];
    uint64_t dev, ino, offset, headhash;
    struct timespec mtime;
    size_t headlen;
} saved;

struct follow {
    char *path, *dir, *base, *stem, *ext;
    char *state, *state_tmp, *state_name; /* state_name: set when in dir */
    ffile cur;                            /* cur.fd -1: nothing open */
    ffile *q;                             /* opened, to read after cur */
    size_t qn, qi, qcap;
    ffile *hist; /* files finished with, oldest first, fds closed */
    size_t histn, histcap;
    int ifd, wd;
    int idle; /* the last read found nothing new */
    follow_stats st;
};

/* ---- small helpers ---------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *what, const char *path, int e)
{
    snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
    return -1;
}

static int oom(char *err, size_t errlen, const char *doing, const char *path)
{
    snprintf(err, errlen, "out of memory %s %s", doing, path);
    return -1;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int starts_with(const char *s, const char *pre)
{
    return strncmp(s, pre, strlen(pre)) == 0;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int ts_cmp(struct timespec a, struct timespec b)
{
    if (a.tv_sec != b.tv_sec)
        return a.tv_sec < b.tv_sec ? -1 : 1;
    if (a.tv_nsec != b.tv_nsec)
        return a.tv_nsec < b.tv_nsec ? -1 : 1;
    return 0;
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void ffile_init(ffile *ff)
{
    memset(ff, 0, sizeof *ff);
    ff->fd = -1;
}

static void ffile_from_stat(ffile *ff, int fd, const struct stat *sb)
{
    ffile_init(ff);
    ff->fd = fd;
    ff->dev = (uint64_t)sb->st_dev;
    ff->ino = (uint64_t)sb->st_ino;
    ff->mtime = sb->st_mtim;
}

static int same_file(const ffile *ff, uint64_t dev, uint64_t ino)
{
    return ff->dev == dev && ff->ino == ino && (dev | ino) != 0;
}

static ssize_t pread_full(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* ---- names ------------------------------------------------------------ */

static int split_path(follow *f)
{
    const char *slash = strrchr(f->path, '/');
    if (slash) {
        f->dir = slash == f->path ? xstrndup("/", 1) : xstrndup(f->path, (size_t)(slash - f->path));
        f->base = xstrndup(slash + 1, strlen(slash + 1));
    } else {
        f->dir = xstrndup(".", 1);
        f->base = xstrndup(f->path, strlen(f->path));
    }
    if (!f->dir || !f->base)
        return -1;
    const char *dot = strrchr(f->base, '.');
    if (!dot || dot == f->base)
        dot = f->base + strlen(f->base);
    f->stem = xstrndup(f->base, (size_t)(dot - f->base));
    f->ext = xstrndup(dot, strlen(dot));
    return f->stem && f->ext ? 0 : -1;
}

/* Remember the state file's name when it lives beside the followed file,
 * so that it and its temporary are never taken for rotated siblings. */
static int note_state_name(follow *f)
{
    const char *slash = strrchr(f->state, '/');
    char *sdir = !slash              ? xstrndup(".", 1)
                 : slash == f->state ? xstrndup("/", 1)
                                     : xstrndup(f->state, (size_t)(slash - f->state));
    if (!sdir)
        return -1;
    char *a = realpath(sdir, NULL), *b = realpath(f->dir, NULL);
    int same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    free(sdir);
    if (!same)
        return 0;
    const char *name = slash ? slash + 1 : f->state;
    f->state_name = xstrndup(name, strlen(name));
    return f->state_name ? 0 : -1;
}

static int is_compressed(const char *name)
{
    static const char *const sufs[] = {".gz", ".zst", ".xz", ".bz2", ".lz4"};
    for (size_t i = 0; i < sizeof sufs / sizeof sufs[0]; i++)
        if (ends_with(name, sufs[i]))
            return 1;
    return 0;
}

static int is_sibling(const follow *f, const char *name)
{
    if (strcmp(name, f->base) == 0 || !starts_with(name, f->stem))
        return 0;
    if (strlen(name) <= strlen(f->stem) || is_compressed(name))
        return 0;
    if (f->state_name) {
        if (strcmp(name, f->state_name) == 0)
            return 0;
        if (starts_with(name, f->state_name) && strcmp(name + strlen(f->state_name), ".tmp") == 0)
            return 0;
    }
    if (ends_with(name, f->ext))
        return 1;
    size_t bl = strlen(f->base);
    return strncmp(name, f->base, bl) == 0 && name[bl] == '.';
}

/* ---- listing the stream's files ---------------------------------------- */

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->is_path != b->is_path)
        return a->is_path - b->is_path;
    int c = ts_cmp(a->mtime, b->mtime);
    return c ? c : strcmp(a->name, b->name);
}

static void cands_free(cand *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].name);
    free(c);
}

static int cand_push(cand **c, size_t *n, size_t *cap, const char *name, const struct stat *sb,
                     int is_path)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        cand *p = realloc(*c, nc * sizeof *p);
        if (!p)
            return -1;
        *c = p;
        *cap = nc;
    }
    cand *e = &(*c)[*n];
    e->name = xstrndup(name, strlen(name));
    if (!e->name)
        return -1;
    e->dev = (uint64_t)sb->st_dev;
    e->ino = (uint64_t)sb->st_ino;
    e->mtime = sb->st_mtim;
    e->is_path = is_path;
    (*n)++;
    return 0;
}

/* Siblings oldest first, then the followed path if it exists. */
static int list_cands(follow *f, cand **out, size_t *outn, char *err, size_t errlen)
{
    cand *c = NULL;
    size_t n = 0, cap = 0;
    struct stat sb;
    *out = NULL;
    *outn = 0;
    DIR *d = opendir(f->dir);
    if (!d)
        return errno == ENOENT ? 0 : fail(err, errlen, "cannot list directory", f->dir, errno);
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de)
            break;
        if (!is_sibling(f, de->d_name))
            continue;
        if (fstatat(dirfd(d), de->d_name, &sb, 0) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (cand_push(&c, &n, &cap, de->d_name, &sb, 0) != 0)
            goto oom;
    }
    int rerr = errno;
    closedir(d);
    if (rerr) {
        cands_free(c, n);
        return fail(err, errlen, "cannot read directory", f->dir, rerr);
    }
    if (stat(f->path, &sb) == 0 && S_ISREG(sb.st_mode) && cand_push(&c, &n, &cap, f->base, &sb, 1))
        goto oom_open;
    if (n)
        qsort(c, n, sizeof *c, cand_cmp);
    *out = c;
    *outn = n;
    return 0;
oom:
    closedir(d);
oom_open:
    cands_free(c, n);
    return oom(err, errlen, "listing", f->dir);
}

/* Open a listed file and make sure it is still the one listed.
 * Returns 0 opened, 1 gone or replaced meanwhile (skip it), -1 error. */
static int cand_open(follow *f, const cand *c, ffile *ff, char *err, size_t errlen)
{
    char *full = join(f->dir, c->name);
    if (!full)
        return oom(err, errlen, "opening", c->name);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0) {
        int e = errno;
        int rc = e == ENOENT ? 1 : fail(err, errlen, "cannot open", full, e);
        free(full);
        return rc;
    }
    if (fstat(fd, &sb) != 0) {
        int rc = fail(err, errlen, "cannot stat", full, errno);
        close(fd);
        free(full);
        return rc;
    }
    free(full);
    if ((uint64_t)sb.st_dev != c->dev || (uint64_t)sb.st_ino != c->ino) {
        close(fd);
        return 1;
    }
    ffile_from_stat(ff, fd, &sb);
    return 0;
}

/* ---- the queue of files to read after the current one ------------------ */

static int queue_push(follow *f, const ffile *ff)
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
    if (same_file(&f->cur, dev, ino))
        return 1;
    for (size_t i = f->qi; i < f->qn; i++)
        if (same_file(&f->q[i], dev, ino))
            return 1;
    for (size_t i = 0; i < f->histn; i++)
        if (same_file(&f->hist[i], dev, ino))
            return 1;
    return 0;
}

/* Open and queue c[from..n) that we have not seen, skipping siblings older
 * than *min (when given).  The followed path always qualifies. */
static int queue_cands(follow *f, const cand *c, size_t n, size_t from, const struct timespec *min,
                       char *err, size_t errlen)
{
    for (size_t i = from; i < n; i++) {
        if (known(f, c[i].dev, c[i].ino))
            continue;
        if (min && !c[i].is_path && ts_cmp(c[i].mtime, *min) < 0)
            continue;
        ffile ff;
        int rc = cand_open(f, &c[i], &ff, err, errlen);
        if (rc < 0)
            return -1;
        if (rc > 0)
            continue;
        if (queue_push(f, &ff) != 0) {
            close(ff.fd);
            return oom(err, errlen, "following", f->path);
        }
    }
    return 0;
}

/* Forget the oldest n finished files. */
static void hist_drop(follow *f, size_t n)
{
    memmove(f->hist, f->hist + n, (f->histn - n) * sizeof *f->hist);
    f->histn -= n;
}

/* Remember a finished file: the last HISTLEN always, and with a state
 * file every one since the last save, for a follow_save naming it. */
static void hist_push(follow *f, const ffile *ff)
{
    if (!f->state && f->histn >= HISTLEN)
        hist_drop(f, f->histn - HISTLEN + 1);
    if (f->histn == f->histcap) {
        size_t nc = f->histcap ? f->histcap * 2 : HISTLEN;
        ffile *p = realloc(f->hist, nc * sizeof *p);
        if (p) {
            f->hist = p;
            f->histcap = nc;
        } else if (f->histn) {
            hist_drop(f, 1); /* out of memory: an old save may fail, reading goes on */
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
        return fail(err, errlen, "cannot read", f->path, errno);
    note_head(&f->cur, buf, (size_t)r);
    f->cur.off += (uint64_t)r;
    f->st.bytes += (uint64_t)r;
    return r;
}

/* Capture the first bytes of a file we start reading in its middle. */
static int load_head(ffile *ff, const char *path, char *err, size_t errlen)
{
    size_t want = ff->off < HEADLEN ? (size_t)ff->off : HEADLEN;
    ssize_t r = pread_full(ff->fd, ff->head, want, 0);
    if (r < 0)
        return fail(err, errlen, "cannot read", path, errno);
    ff->headlen = (size_t)r;
    return 0;
}

/* Same inode as before: did someone truncate it (copytruncate)? */
static int check_truncated(follow *f, char *err, size_t errlen)
{
    struct stat sb;
    unsigned char now[HEADLEN];
    if (fstat(f->cur.fd, &sb) != 0)
        return fail(err, errlen, "cannot stat", f->path, errno);
    f->cur.mtime = sb.st_mtim;
    int trunc = (uint64_t)sb.st_size < f->cur.off;
    if (!trunc && f->cur.headlen) {
        ssize_t r = pread_full(f->cur.fd, now, f->cur.headlen, 0);
        if (r < 0)
            return fail(err, errlen, "cannot read", f->path, errno);
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
        return fail(err, errlen, "cannot stat", f->path, errno);
    f->cur.mtime = sb.st_mtim;
    if (list_cands(f, &c, &n, err, errlen) != 0)
        return -1;
    int rc = queue_cands(f, c, n, 0, &f->cur.mtime, err, errlen);
    cands_free(c, n);
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
        return errno == ENOENT ? 0 : fail(err, errlen, "cannot open", f->path, errno);
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return fail(err, errlen, "cannot stat", f->path, e);
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
        return fail(err, errlen, "cannot stat", f->path, errno);
    }
    if (same_file(&f->cur, (uint64_t)sb.st_dev, (uint64_t)sb.st_ino))
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

/* ---- waiting ----------------------------------------------------------- */

static void watch_dir(follow *f)
{
    if (f->ifd < 0 || f->wd >= 0)
        return;
    f->wd = inotify_add_watch(f->ifd, f->dir,
                              IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                  IN_DELETE_SELF | IN_MOVE_SELF);
}

/* Drain queued events; 1 when one of them concerns the stream. */
static int drain_events(follow *f)
{
    _Alignas(struct inotify_event) char buf[4096];
    int relevant = 0;
    for (;;) {
        ssize_t r = read(f->ifd, buf, sizeof buf);
        if (r <= 0)
            break;
        for (char *p = buf; p < buf + r;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->mask & IN_IGNORED)
                f->wd = -1;
            if (ev->mask & (IN_IGNORED | IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF) ||
                ev->len == 0 || strcmp(ev->name, f->base) == 0 || is_sibling(f, ev->name))
                relevant = 1;
            p += sizeof *ev + ev->len;
        }
    }
    return relevant;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int follow_wait(follow *f, int ms)
{
    struct timespec t0;
    if (ms < 0)
        ms = 0;
    watch_dir(f);
    if (f->ifd < 0 || f->wd < 0) {
        if (poll(NULL, 0, ms) < 0 && errno == EINTR)
            return -1;
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        long left = ms - ms_since(&t0);
        struct pollfd p = {.fd = f->ifd, .events = POLLIN};
        if (left < 0)
            left = 0;
        int rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            return -1;
        if (rc <= 0)
            return 0;
        if (drain_events(f) || f->wd < 0 || left == 0)
            return 0;
    }
}

/* ---- the state file ----------------------------------------------------- */

static int corrupt(follow *f, char *err, size_t errlen, int line, const char *why)
{
    snprintf(err, errlen,
             "state file %s, line %d: %s; it was not written by this version of "
             "tetra-capture or is damaged: delete it to start again from the beginning of %s "
             "(events may be sent twice)",
             f->state, line, why, f->path);
    return -1;
}

static int parse_u64(const char *s, uint64_t *out, char endc)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != endc)
        return -1;
    *out = v;
    return 0;
}

/* One "key value" line into sv; returns 0 or -1 with a reason. */
static int parse_line(saved *sv, const char *key, const char *val, unsigned *seen, const char **why)
{
    uint64_t a, b;
    *why = "bad value";
    if (strcmp(key, "path") == 0) {
        if (strlen(val) >= sizeof sv->path)
            return -1;
        memcpy(sv->path, val, strlen(val) + 1);
        *seen |= 1;
    } else if (strcmp(key, "dev") == 0) {
        if (parse_u64(val, &sv->dev, '\0'))
            return -1;
        *seen |= 2;
    } else if (strcmp(key, "ino") == 0) {
        if (parse_u64(val, &sv->ino, '\0'))
            return -1;
        *seen |= 4;
    } else if (strcmp(key, "offset") == 0) {
        if (parse_u64(val, &sv->offset, '\0') || sv->offset > INT64_MAX)
            return -1;
        *seen |= 8;
    } else if (strcmp(key, "mtime") == 0) {
        const char *dot = strchr(val, '.');
        if (!dot || parse_u64(val, &a, '.') || parse_u64(dot + 1, &b, '\0'))
            return -1;
        if (a > INT64_MAX || b > 999999999)
            return -1;
        sv->mtime.tv_sec = (time_t)a;
        sv->mtime.tv_nsec = (long)b;
        *seen |= 16;
    } else if (strcmp(key, "head") == 0) {
        const char *sp = strchr(val, ' ');
        char *end;
        if (!sp || parse_u64(val, &a, ' ') || a > HEADLEN)
            return -1;
        errno = 0;
        sv->headhash = strtoull(sp + 1, &end, 16);
        if (errno || end == sp + 1 || *end)
            return -1;
        sv->headlen = (size_t)a;
        *seen |= 32;
    } else {
        *why = "unknown key";
        return -1;
    }
    return 0;
}

static int parse_state(follow *f, char *text, saved *sv, char *err, size_t errlen)
{
    unsigned seen = 0;
    int line = 0;
    char *save = NULL;
    memset(sv, 0, sizeof *sv);
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        const char *why;
        if (++line == 1) {
            if (strcmp(l, STATE_MAGIC) != 0)
                return corrupt(f, err, errlen, 1, "no version line");
            continue;
        }
        char *sp = strchr(l, ' ');
        if (!sp)
            return corrupt(f, err, errlen, line, "expected \"key value\"");
        *sp = '\0';
        if (parse_line(sv, l, sp + 1, &seen, &why) != 0)
            return corrupt(f, err, errlen, line, why);
    }
    if (line == 0)
        return corrupt(f, err, errlen, 1, "empty");
    if (seen != 63)
        return corrupt(f, err, errlen, line, "a key is missing");
    return 0;
}

/* 1 loaded, 0 no state file, -1 error. */
static int load_state(follow *f, saved *sv, char *err, size_t errlen)
{
    char *text = malloc(STATE_MAX + 1);
    if (!text)
        return oom(err, errlen, "reading", f->state);
    int fd = open(f->state, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(text);
        return e == ENOENT ? 0 : fail(err, errlen, "cannot open state file", f->state, e);
    }
    ssize_t r = pread_full(fd, text, STATE_MAX + 1, 0);
    int e = errno;
    close(fd);
    int rc;
    if (r < 0)
        rc = fail(err, errlen, "cannot read state file", f->state, e);
    else if (r > STATE_MAX)
        rc = corrupt(f, err, errlen, 0, "too large");
    else if (memchr(text, '\0', (size_t)r))
        rc = corrupt(f, err, errlen, 0, "binary data");
    else {
        text[r] = '\0';
        rc = parse_state(f, text, sv, err, errlen);
    }
    free(text);
    if (rc == 0 && strcmp(sv->path, f->path) != 0) {
        snprintf(err, errlen,
                 "state file %s belongs to %s, not %s: use another --state file, or delete "
                 "this one to start from the beginning of %s",
                 f->state, sv->path, f->path, f->path);
        return -1;
    }
    return rc < 0 ? -1 : 1;
}

/* Does the listed file still hold what we read, up to the saved offset? */
static int still_same(follow *f, ffile *ff, const saved *sv, char *err, size_t errlen)
{
    struct stat sb;
    unsigned char head[HEADLEN];
    if (fstat(ff->fd, &sb) != 0)
        return fail(err, errlen, "cannot stat", f->path, errno);
    if ((uint64_t)sb.st_size < sv->offset)
        return 0;
    ssize_t r = pread_full(ff->fd, head, sv->headlen, 0);
    if (r < 0)
        return fail(err, errlen, "cannot read", f->path, errno);
    return (size_t)r == sv->headlen && fnv1a(head, sv->headlen) == sv->headhash;
}

/* Queue the saved file at its offset and everything after it. */
static int resume_at(follow *f, const cand *c, size_t n, size_t k, const saved *sv, char *err,
                     size_t errlen)
{
    ffile ff;
    int rc = cand_open(f, &c[k], &ff, err, errlen);
    if (rc != 0)
        return rc;
    int same = still_same(f, &ff, sv, err, errlen);
    if (same < 0 || (same == 0 && !c[k].is_path)) {
        close(ff.fd);
        return same < 0 ? -1 : 1; /* a sibling that reused the inode: gone */
    }
    if (same) {
        ff.off = sv->offset;
        if (load_head(&ff, f->path, err, errlen) != 0) {
            close(ff.fd);
            return -1;
        }
    } else {
        f->st.truncations++;
    }
    if (queue_push(f, &ff) != 0) {
        close(ff.fd);
        return oom(err, errlen, "following", f->path);
    }
    return queue_cands(f, c, n, k + 1, NULL, err, errlen);
}

static int resume(follow *f, const saved *sv, char *err, size_t errlen)
{
    cand *c;
    size_t n, k;
    if (list_cands(f, &c, &n, err, errlen) != 0)
        return -1;
    for (k = 0; k < n; k++)
        if (c[k].dev == sv->dev && c[k].ino == sv->ino)
            break;
    int rc = k < n ? resume_at(f, c, n, k, sv, err, errlen) : 1;
    if (rc == 1)
        rc = queue_cands(f, c, n, 0, &sv->mtime, err, errlen);
    cands_free(c, n);
    if (rc == 0 && f->qn) {
        f->cur = f->q[f->qi++];
        if (f->qi == f->qn)
            f->qi = f->qn = 0;
    }
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir =
        slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrndup(".", 1);
    if (!dir)
        return errno = ENOMEM, -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int write_state(follow *f, const char *text, size_t len, char *err, size_t errlen)
{
    int fd = open(f->state_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(err, errlen, "cannot create state file", f->state_tmp, errno);
    if (write_all(fd, text, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(f->state_tmp);
        return fail(err, errlen, "cannot write state file", f->state_tmp, e);
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(f->state_tmp);
        return fail(err, errlen, "cannot write state file", f->state_tmp, e);
    }
    if (rename(f->state_tmp, f->state) != 0) {
        int e = errno;
        unlink(f->state_tmp);
        return fail(err, errlen, "cannot rename the new state file to", f->state, e);
    }
    if (fsync_dir_of(f->state) != 0)
        return fail(err, errlen, "cannot sync the directory of state file", f->state, errno);
    return 0;
}

/* The file a saved position names, if we still know it; *idx is its
 * place in the history (histn for the current file). */
static const ffile *pos_file(follow *f, follow_pos pos, size_t *idx)
{
    struct stat sb;
    if (same_file(&f->cur, pos.dev, pos.ino)) {
        if (f->cur.fd >= 0 && fstat(f->cur.fd, &sb) == 0)
            f->cur.mtime = sb.st_mtim;
        *idx = f->histn;
        return &f->cur;
    }
    for (size_t i = 0; i < f->histn; i++) {
        if (same_file(&f->hist[i], pos.dev, pos.ino)) {
            *idx = i;
            return &f->hist[i];
        }
    }
    return NULL;
}

int follow_save(follow *f, follow_pos pos, char *err, size_t errlen)
{
    char text[PATH_MAX + 512];
    if (!f->state || (pos.dev | pos.ino) == 0)
        return 0;
    size_t idx;
    const ffile *ff = pos_file(f, pos, &idx);
    if (!ff) {
        snprintf(err, errlen,
                 "cannot save state to %s: the position names file %" PRIu64 ":%" PRIu64
                 " which this reader no longer knows",
                 f->state, pos.dev, pos.ino);
        return -1;
    }
    size_t hl = ff->headlen < pos.offset ? ff->headlen : (size_t)pos.offset;
    int len = snprintf(text, sizeof text,
                       STATE_MAGIC "\npath %s\ndev %" PRIu64 "\nino %" PRIu64 "\noffset %" PRIu64
                                   "\nmtime %lld.%09ld\nhead %zu %016" PRIx64 "\n",
                       f->path, pos.dev, pos.ino, pos.offset, (long long)ff->mtime.tv_sec,
                       ff->mtime.tv_nsec, hl, fnv1a(ff->head, hl));
    if (len < 0 || (size_t)len >= sizeof text) {
        snprintf(err, errlen, "cannot save state to %s: path too long", f->state);
        return -1;
    }
    if (write_state(f, text, (size_t)len, err, errlen) != 0)
        return -1;
    /* positions only move forward: files before this one are done with */
    if (f->histn > HISTLEN)
        hist_drop(f, idx < f->histn - HISTLEN ? idx : f->histn - HISTLEN);
    return 0;
}

/* ---- open and close ----------------------------------------------------- */

static int init_names(follow *f, const char *path, const char *state_path)
{
    f->path = xstrndup(path, strlen(path));
    if (!f->path || split_path(f) != 0)
        return -1;
    if (!state_path)
        return 0;
    f->state = xstrndup(state_path, strlen(state_path));
    f->state_tmp = malloc(strlen(state_path) + 5);
    if (!f->state || !f->state_tmp)
        return -1;
    snprintf(f->state_tmp, strlen(state_path) + 5, "%s.tmp", state_path);
    return note_state_name(f);
}

static int start_fresh(follow *f, int from_end, char *err, size_t errlen)
{
    int rc = open_first(f, err, errlen);
    if (rc <= 0 || !from_end)
        return rc;
    struct stat sb;
    if (fstat(f->cur.fd, &sb) != 0)
        return fail(err, errlen, "cannot stat", f->path, errno);
    f->cur.off = (uint64_t)sb.st_size;
    return load_head(&f->cur, f->path, err, errlen);
}

static int open_inner(follow *f, int from_end, char *err, size_t errlen)
{
    saved *sv = malloc(sizeof *sv);
    if (!sv)
        return oom(err, errlen, "opening", f->path);
    int rc = f->state ? load_state(f, sv, err, errlen) : 0;
    if (rc > 0)
        rc = resume(f, sv, err, errlen);
    else if (rc == 0)
        rc = start_fresh(f, from_end, err, errlen);
    free(sv);
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
        oom(err, errlen, "following", path);
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
    watch_dir(f); /* before the first look, so no change slips between */
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
    free(f->state_tmp);
    free(f->state_name);
    free(f);
}
