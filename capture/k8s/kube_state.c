/* kube_state.c - read and atomically replace the k8s state file (see
 * kube_state.h). */
#include "kube_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/fsutil.h"

#define MAGIC "tetra-capture-k8s-state 1"

static int field(char **p, char *dst, size_t n)
{
    char *s = *p;
    size_t len = strcspn(s, " \n");
    if (len == 0 || len >= n)
        return -1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    s += len;
    while (*s == ' ')
        s++;
    *p = s;
    return 0;
}

static int number(char **p, int64_t *out, int is_signed)
{
    char tmp[32], *end;
    if (field(p, tmp, sizeof(tmp)) < 0)
        return -1;
    errno = 0;
    if (is_signed)
        *out = (int64_t)strtoll(tmp, &end, 10);
    else {
        if (tmp[0] == '-')
            return -1;
        *out = (int64_t)strtoull(tmp, &end, 10);
    }
    return errno != 0 || *end != '\0' ? -1 : 0;
}

static int parse_line(char *line, kube_pos *e)
{
    int64_t ts, count;
    char *p = line;
    memset(e, 0, sizeof(*e));
    if (field(&p, e->uid, sizeof(e->uid)) < 0 ||
        field(&p, e->container, sizeof(e->container)) < 0 || number(&p, &ts, 1) < 0 ||
        number(&p, &count, 0) < 0 || field(&p, e->name, sizeof(e->name)) < 0)
        return -1;
    e->ts = ts;
    e->count = (uint64_t)count;
    return *p == '\n' || *p == '\0' ? 0 : -1;
}

static int add(kube_pos **v, size_t *n, size_t *cap, const kube_pos *e)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        kube_pos *nv = realloc(*v, nc * sizeof(*nv));
        if (nv == NULL)
            return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = *e;
    return 0;
}

static int read_all(FILE *f, const char *path, kube_pos **v, size_t *n, char *err, size_t errlen)
{
    char line[1024];
    size_t cap = 0;
    unsigned long no = 0;
    kube_pos e;
    while (fgets(line, sizeof(line), f) != NULL) {
        no++;
        if (no == 1) {
            if (strncmp(line, MAGIC "\n", sizeof(MAGIC)) != 0) {
                snprintf(err, errlen, "%s: not a tetra-capture k8s state file", path);
                return -1;
            }
            continue;
        }
        if (parse_line(line, &e) < 0) {
            snprintf(err, errlen, "%s:%lu: malformed entry", path, no);
            return -1;
        }
        if (add(v, n, &cap, &e) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    return 0;
}

int kube_state_load(const char *path, kube_pos **v, size_t *n, char *err, size_t errlen)
{
    *v = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = read_all(f, path, v, n, err, errlen);
    fclose(f);
    if (rc < 0) {
        free(*v);
        *v = NULL;
        *n = 0;
    }
    return rc;
}

/* The file's text: the version line, then one line per stream. */
static int format(buf *b, const kube_pos *v, size_t n)
{
    if (buf_printf(b, "%s\n", MAGIC) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (buf_printf(b, "%s %s %" PRId64 " %" PRIu64 " %s\n", v[i].uid, v[i].container, v[i].ts,
                       v[i].count, v[i].name[0] ? v[i].name : "-") < 0)
            return -1;
    return 0;
}

int kube_state_save(const char *path, const kube_pos *v, size_t n, char *err, size_t errlen)
{
    buf text = BUF_INIT;
    int rc;
    if (format(&text, v, n) < 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    } else {
        rc = fs_replace_file(path, text.p, text.len, "state file", err, errlen);
    }
    buf_free(&text);
    return rc;
}
