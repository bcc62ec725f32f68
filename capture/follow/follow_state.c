/* follow_state.c - the state file of the follow reader: its format,
 * loading it, resuming from it, and saving a position.
 *
 * The state file is text, replaced atomically (util/fsutil.h):
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
 * delivered, every file finished since the last save is remembered
 * (follow.c keeps that history; a save forgets what lies before it). */
#include "follow_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/hash.h"

#define STATE_MAX 8192
#define STATE_MAGIC "tetra-follow-state 1"

/* What a state file says. */
typedef struct saved {
    char path[PATH_MAX];
    uint64_t dev, ino, offset, headhash;
    struct timespec mtime;
    size_t headlen;
} saved;

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
        return follow_oom(err, errlen, "reading", f->state);
    int fd = open(f->state, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(text);
        return e == ENOENT ? 0 : follow_fail(err, errlen, "cannot open state file", f->state, e);
    }
    ssize_t r = fs_pread_full(fd, text, STATE_MAX + 1, 0);
    int e = errno;
    close(fd);
    int rc;
    if (r < 0)
        rc = follow_fail(err, errlen, "cannot read state file", f->state, e);
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
        return follow_fail(err, errlen, "cannot stat", f->path, errno);
    if ((uint64_t)sb.st_size < sv->offset)
        return 0;
    ssize_t r = fs_pread_full(ff->fd, head, sv->headlen, 0);
    if (r < 0)
        return follow_fail(err, errlen, "cannot read", f->path, errno);
    return (size_t)r == sv->headlen && fnv1a64(head, sv->headlen) == sv->headhash;
}

/* Queue the saved file at its offset and everything after it. */
static int resume_at(follow *f, const cand *c, size_t n, size_t k, const saved *sv, char *err,
                     size_t errlen)
{
    ffile ff;
    int rc = siblings_open(f, &c[k], &ff, err, errlen);
    if (rc != 0)
        return rc;
    int same = still_same(f, &ff, sv, err, errlen);
    if (same < 0 || (same == 0 && !c[k].is_path)) {
        close(ff.fd);
        return same < 0 ? -1 : 1; /* a sibling that reused the inode: gone */
    }
    if (same) {
        ff.off = sv->offset;
        if (ffile_load_head(&ff, f->path, err, errlen) != 0) {
            close(ff.fd);
            return -1;
        }
    } else {
        f->st.truncations++;
    }
    if (follow_queue_push(f, &ff) != 0) {
        close(ff.fd);
        return follow_oom(err, errlen, "following", f->path);
    }
    return follow_queue_cands(f, c, n, k + 1, NULL, err, errlen);
}

static int resume(follow *f, const saved *sv, char *err, size_t errlen)
{
    cand *c;
    size_t n, k;
    if (siblings_list(f, &c, &n, err, errlen) != 0)
        return -1;
    for (k = 0; k < n; k++)
        if (c[k].dev == sv->dev && c[k].ino == sv->ino)
            break;
    int rc = k < n ? resume_at(f, c, n, k, sv, err, errlen) : 1;
    if (rc == 1)
        rc = follow_queue_cands(f, c, n, 0, &sv->mtime, err, errlen);
    siblings_free(c, n);
    if (rc == 0 && f->qn) {
        f->cur = f->q[f->qi++];
        if (f->qi == f->qn)
            f->qi = f->qn = 0;
    }
    return rc;
}

int follow_state_resume(follow *f, char *err, size_t errlen)
{
    saved *sv = malloc(sizeof *sv);
    if (!sv)
        return follow_oom(err, errlen, "opening", f->path);
    int rc = load_state(f, sv, err, errlen);
    if (rc > 0)
        rc = resume(f, sv, err, errlen) < 0 ? -1 : 1;
    free(sv);
    return rc;
}

/* The file a saved position names, if we still know it; *idx is its
 * place in the history (histn for the current file). */
static const ffile *pos_file(follow *f, follow_pos pos, size_t *idx)
{
    struct stat sb;
    if (ffile_same(&f->cur, pos.dev, pos.ino)) {
        if (f->cur.fd >= 0 && fstat(f->cur.fd, &sb) == 0)
            f->cur.mtime = sb.st_mtim;
        *idx = f->histn;
        return &f->cur;
    }
    for (size_t i = 0; i < f->histn; i++) {
        if (ffile_same(&f->hist[i], pos.dev, pos.ino)) {
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
                       ff->mtime.tv_nsec, hl, fnv1a64(ff->head, hl));
    if (len < 0 || (size_t)len >= sizeof text) {
        snprintf(err, errlen, "cannot save state to %s: path too long", f->state);
        return -1;
    }
    if (fs_replace_file(f->state, text, (size_t)len, "state file", err, errlen) != 0)
        return -1;
    /* positions only move forward: files before this one are done with */
    if (f->histn > HISTLEN)
        follow_hist_drop(f, idx < f->histn - HISTLEN ? idx : f->histn - HISTLEN);
    return 0;
}
