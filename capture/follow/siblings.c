/* siblings.c - which files of the directory belong to the followed
 * stream, and their order.
 *
 * The followed path P (say dir/tetragon.log) has a stem ("tetragon", the
 * name without its last extension) and an extension (".log").  A sibling
 * is a regular file in the same directory whose name starts with the stem
 * and either ends with the extension (lumberjack's
 * tetragon-2024-01-01T00-00-00.000.log) or starts with "tetragon.log."
 * (logrotate's tetragon.log.1).  Compressed siblings (.gz .zst .xz .bz2
 * .lz4) and the state file and its temporary are never siblings: their
 * bytes are not the stream.  Siblings are ordered oldest first by mtime,
 * ties by name (the lumberjack timestamp sorts by name); P itself always
 * comes last.  A listed file is opened by name and checked to still be
 * the inode listed, since rotation may happen between the two looks. */
#include "follow_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fsutil.h"

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

/* The directory part of path: ".", "/" or everything before the last '/'. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    return slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
}

int siblings_split_path(follow *f)
{
    const char *slash = strrchr(f->path, '/');
    f->dir = dir_of(f->path);
    f->base = strdup(slash ? slash + 1 : f->path);
    if (!f->dir || !f->base)
        return -1;
    const char *dot = strrchr(f->base, '.');
    if (!dot || dot == f->base)
        dot = f->base + strlen(f->base);
    f->stem = strndup(f->base, (size_t)(dot - f->base));
    f->ext = strdup(dot);
    return f->stem && f->ext ? 0 : -1;
}

/* Remember the state file's name when it lives beside the followed file,
 * so that it and its temporary are never taken for rotated siblings. */
int siblings_note_state(follow *f)
{
    char *sdir = dir_of(f->state);
    if (!sdir)
        return -1;
    char *a = realpath(sdir, NULL), *b = realpath(f->dir, NULL);
    int same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    free(sdir);
    if (!same)
        return 0;
    const char *slash = strrchr(f->state, '/');
    f->state_name = strdup(slash ? slash + 1 : f->state);
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

int siblings_is_member(const follow *f, const char *name)
{
    if (strcmp(name, f->base) == 0 || !starts_with(name, f->stem))
        return 0;
    if (strlen(name) <= strlen(f->stem) || is_compressed(name))
        return 0;
    if (f->state_name) {
        if (strcmp(name, f->state_name) == 0)
            return 0;
        if (starts_with(name, f->state_name) &&
            strcmp(name + strlen(f->state_name), FS_TMP_SUFFIX) == 0)
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
    int c = timespec_cmp(a->mtime, b->mtime);
    return c ? c : strcmp(a->name, b->name);
}

void siblings_free(cand *c, size_t n)
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
    e->name = strdup(name);
    if (!e->name)
        return -1;
    e->dev = (uint64_t)sb->st_dev;
    e->ino = (uint64_t)sb->st_ino;
    e->mtime = sb->st_mtim;
    e->is_path = is_path;
    (*n)++;
    return 0;
}

int siblings_list(follow *f, cand **out, size_t *outn, char *err, size_t errlen)
{
    cand *c = NULL;
    size_t n = 0, cap = 0;
    struct stat sb;
    *out = NULL;
    *outn = 0;
    DIR *d = opendir(f->dir);
    if (!d)
        return errno == ENOENT ? 0
                               : follow_fail(err, errlen, "cannot list directory", f->dir, errno);
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de)
            break;
        if (!siblings_is_member(f, de->d_name))
            continue;
        if (fstatat(dirfd(d), de->d_name, &sb, 0) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (cand_push(&c, &n, &cap, de->d_name, &sb, 0) != 0)
            goto out_of_memory;
    }
    int rerr = errno;
    closedir(d);
    if (rerr) {
        siblings_free(c, n);
        return follow_fail(err, errlen, "cannot read directory", f->dir, rerr);
    }
    if (stat(f->path, &sb) == 0 && S_ISREG(sb.st_mode) && cand_push(&c, &n, &cap, f->base, &sb, 1))
        goto out_of_memory_closed;
    if (n)
        qsort(c, n, sizeof *c, cand_cmp);
    *out = c;
    *outn = n;
    return 0;
out_of_memory:
    closedir(d);
out_of_memory_closed:
    siblings_free(c, n);
    return follow_oom(err, errlen, "listing", f->dir);
}

int siblings_open(follow *f, const cand *c, ffile *ff, char *err, size_t errlen)
{
    char *full = join(f->dir, c->name);
    if (!full)
        return follow_oom(err, errlen, "opening", c->name);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0) {
        int e = errno;
        int rc = e == ENOENT ? 1 : follow_fail(err, errlen, "cannot open", full, e);
        free(full);
        return rc;
    }
    if (fstat(fd, &sb) != 0) {
        int rc = follow_fail(err, errlen, "cannot stat", full, errno);
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
