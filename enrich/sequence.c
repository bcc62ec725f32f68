/* sequence.c - parse and run multi-step rules; see sequence.h.
 *
 * A line is cut into steps at the words "then" and "or" (outside quotes),
 * and each piece becomes an ordinary rule named NAME#STEP in a private
 * ruleset: the first piece keeps the line's attributes (severity,
 * technique, summary), which is where the sequence reads them back from,
 * and later pieces get severity=info, which nothing reads.  One
 * rules_eval per event then says which steps it could be; seq_feed moves
 * each incident's states along in step order.  Paths are compared as
 * 64-bit hashes, so a state is a few dozen bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/buf.h"
#include "lineage.h"
#include "sequence.h"

#define WRITABLE "(/tmp|/dev/shm|/var/tmp|/run)/"
#define PERSIST                                                                                    \
    "/etc/cron|/var/spool/cron|authorized_keys|/[.](bashrc|profile|bash_profile|zshrc)|/etc/profile"
#define DISCOVERY                                                                                  \
    "/(whoami|id|uname|hostname|ifconfig|ip|netstat|ss|ps|env|printenv|lsblk|df|mount|getent)$"

const char *const seq_builtin[] = {
    "sequence=download-chmod-exec severity=critical confidence=0.9"
    " technique=T1204.002 technique_name=\"Malicious File\" tactic=execution"
    " summary=\"A file was downloaded into a writable directory, made executable and run.\""
    " next=\"Collect the file, hash it and block where it came from\""
    " kind=process_exec binary~=\"/(curl|wget|fetch|aria2c)$\" args~=\"" WRITABLE "\""
    " then kind=process_exec binary~=/chmod$ args~=\"[+]x|(^| )[0-7]?[0-7][1357][0-7]( |$)\" same_path=yes"
    " then kind=process_exec binary~=\"^" WRITABLE "\" same_path=yes",
    "sequence=token-then-apiserver severity=critical confidence=0.85"
    " technique=T1528 technique_name=\"Steal Application Access Token\" tactic=credential-access"
    " summary=\"The pod's service-account token was read, then the Kubernetes API server was called.\""
    " next=\"Check the API audit log for this service account and rotate its token\""
    " kind!=process_exit any~=\"/run/secrets/kubernetes[.]io/serviceaccount/token\""
    " then kind=process_exec args~=\"kubernetes[.]default|KUBERNETES_SERVICE|:6443|/api/v1/|/apis/\""
    " or kind=process_kprobe function~=connect kargs~=\"-> [^ ]*:(6443|443)( |$)\"",
    "sequence=persistence-then-activity severity=critical confidence=0.8"
    " technique=T1547 technique_name=\"Boot or Logon Autostart Execution\" tactic=persistence"
    " summary=\"A persistence location was written, then a new process or connection followed.\""
    " next=\"Read the persistence file and remove what was added\""
    " kind!=process_exit any~=\"" PERSIST "\""
    " then kind=process_exec any!~\"" PERSIST "\""
    " or kind=process_kprobe function~=connect",
    "sequence=discovery-archive-exfil severity=high confidence=0.8"
    " technique=T1041 technique_name=\"Exfiltration Over C2 Channel\" tactic=exfiltration"
    " summary=\"Discovery commands, then an archive, then an outbound transfer.\""
    " next=\"Find what the archive held and where it was sent\""
    " kind=process_exec binary~=\"" DISCOVERY "\""
    " then kind=process_exec binary~=\"/(tar|zip|gzip|7z|7za|rar|xz|bzip2|cpio)$\""
    " then kind=process_exec binary~=\"/(curl|wget|scp|rsync|nc|ncat|socat|rclone|sftp|ftp)$\""
    " or kind=process_kprobe function~=connect",
    NULL,
};

/* The next word of s from *pos (quote-aware, as rules.c reads words):
 * its start and end, or 0 at the end of the line. */
static int word_at(const char *s, size_t *pos, size_t *start, size_t *end)
{
    size_t i = *pos;
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
        i++;
    if (s[i] == '\0' || s[i] == '#')
        return 0;
    *start = i;
    for (int quoted = 0; s[i] != '\0'; i++) {
        if (!quoted && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
            break;
        if (quoted && s[i] == '\\' && s[i + 1] != '\0')
            i++;
        else if (s[i] == '"')
            quoted = !quoted;
    }
    *end = *pos = i;
    return 1;
}

static int word_is(const char *s, size_t a, size_t b, const char *w)
{
    return b - a == strlen(w) && strncmp(s + a, w, b - a) == 0;
}

int seq_is_line(const char *line)
{
    size_t pos = 0, a, b;
    return word_at(line, &pos, &a, &b) && strncmp(line + a, "sequence=", 9) == 0;
}

static int push_map(seqset *ss, int seq, int step, int same)
{
    size_t n = ss->nmap + 1;
    int *a = realloc(ss->rule_seq, n * sizeof *a);
    if (a)
        ss->rule_seq = a;
    int *b = realloc(ss->rule_step, n * sizeof *b);
    if (b)
        ss->rule_step = b;
    unsigned char *c = realloc(ss->rule_same, n);
    if (c)
        ss->rule_same = c;
    if (!a || !b || !c)
        return -1;
    ss->rule_seq[ss->nmap] = seq;
    ss->rule_step[ss->nmap] = step;
    ss->rule_same[ss->nmap] = (unsigned char)same;
    ss->nmap = n;
    return 0;
}

/* Compile one piece (the words in text) as the rule NAME#step. */
static int add_piece(seqset *ss, const char *name, int step, const char *text, int same,
                     const char *origin, char *err, size_t errlen)
{
    buf b = BUF_INIT;
    int rc = buf_printf(&b, "name=%s#%d %s%s", name, step + 1, step ? "severity=info " : "", text);
    if (rc < 0)
        snprintf(err, errlen, "out of memory");
    else if ((rc = rules_add_line(&ss->rs, b.p, origin, err, errlen)) == 0 &&
             (rc = push_map(ss, (int)ss->n, step, same)) < 0)
        snprintf(err, errlen, "out of memory");
    buf_free(&b);
    return rc;
}

static int add_def(seqset *ss, const char *name, int nsteps, char *err, size_t errlen)
{
    seqdef *nv = realloc(ss->v, (ss->n + 1) * sizeof *nv);
    if (nv == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ss->v = nv;
    nv[ss->n] = (seqdef){.name = strdup(name), .nsteps = nsteps};
    if (nv[ss->n].name == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ss->n++;
    return 0;
}

/* Cut the line into pieces and compile them; name is the sequence=
 * value. */
static int parse_steps(seqset *ss, const char *line, const char *name, const char *origin,
                       int *nsteps, char *err, size_t errlen)
{
    buf piece = BUF_INIT;
    size_t pos = 0, a, b;
    int step = 0, same = 0, rc = 0, more = 1;
    while (rc == 0 && more) {
        more = word_at(line, &pos, &a, &b);
        int cut = !more || word_is(line, a, b, "then") || word_is(line, a, b, "or");
        if (!cut) {
            if (word_is(line, a, b, "same_path=yes"))
                same = 1;
            else if (strncmp(line + a, "sequence=", 9) != 0)
                rc = buf_append(&piece, line + a, b - a) < 0 || buf_putc(&piece, ' ') < 0 ? -1 : 0;
            if (rc < 0)
                snprintf(err, errlen, "out of memory");
            continue;
        }
        if (piece.len == 0) {
            snprintf(err, errlen, "sequence %s: empty step", name);
            rc = -1;
            break;
        }
        if (step == 0 && same) {
            snprintf(err, errlen, "sequence %s: same_path=yes on the first step", name);
            rc = -1;
            break;
        }
        rc = add_piece(ss, name, step, piece.p, same, origin, err, errlen);
        buf_reset(&piece);
        same = 0;
        if (more && word_is(line, a, b, "then") && ++step == SEQ_MAX_STEPS) {
            snprintf(err, errlen, "sequence %s: at most %d steps", name, SEQ_MAX_STEPS);
            rc = -1;
        }
    }
    buf_free(&piece);
    *nsteps = step + 1;
    return rc;
}

/* A disable=NAME line: remember NAME (it may name a rule, not a sequence). */
static int note_disable(seqset *ss, const char *line, size_t a, size_t b, char *err, size_t errlen)
{
    char **nv = realloc(ss->off, (ss->noff + 1) * sizeof *nv);
    if (nv == NULL || (nv[ss->noff] = strndup(line + a + 8, b - a - 8)) == NULL) {
        if (nv)
            ss->off = nv;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ss->off = nv;
    ss->noff++;
    return 0;
}

int seq_add_line(seqset *ss, const char *line, const char *origin, char *err, size_t errlen)
{
    size_t pos = 0, a, b;
    if (word_at(line, &pos, &a, &b) && strncmp(line + a, "disable=", 8) == 0 && b - a > 8)
        return note_disable(ss, line, a, b, err, errlen);
    pos = 0;
    if (!seq_is_line(line))
        return 0;
    (void)word_at(line, &pos, &a, &b);
    char name[96];
    if (b - a - 9 == 0 || b - a - 9 >= sizeof name || memchr(line + a, '"', b - a) != NULL) {
        snprintf(err, errlen, "sequence= needs a plain name under %zu bytes", sizeof name);
        return -1;
    }
    memcpy(name, line + a + 9, b - a - 9);
    name[b - a - 9] = '\0';
    size_t nmap = ss->nmap;
    int nsteps = 0;
    err[0] = '\0';
    int rc = parse_steps(ss, line, name, origin, &nsteps, err, errlen);
    if (rc == 0 && nsteps < 2) {
        snprintf(err, errlen, "sequence %s has one step: write it as a rule", name);
        rc = -1;
    }
    if (rc == 0)
        rc = add_def(ss, name, nsteps, err, errlen);
    /* a refused line's steps stay in the ruleset, mapped to nothing */
    for (size_t i = nmap; rc < 0 && i < ss->nmap; i++)
        ss->rule_seq[i] = -1;
    return rc;
}

static int add_line(void *ss, const char *line, const char *origin, char *err, size_t errlen)
{
    return seq_add_line(ss, line, origin, err, errlen);
}

int seq_load_file(seqset *ss, const char *path, char *err, size_t errlen)
{
    return rules_file_lines(path, add_line, ss, err, errlen);
}

int seq_load_builtin(seqset *ss, char *err, size_t errlen)
{
    char origin[32], e[256];
    for (size_t i = 0; seq_builtin[i] != NULL; i++) {
        snprintf(origin, sizeof origin, "builtin-sequence:%zu", i + 1);
        e[0] = '\0';
        if (seq_add_line(ss, seq_builtin[i], origin, e, sizeof e) < 0) {
            snprintf(err, errlen, "%s: %s", origin, e);
            return -1;
        }
    }
    return 0;
}

int seq_prepare(seqset *ss, char *err, size_t errlen)
{
    for (size_t i = 0; i < ss->n; i++) {
        ss->v[i].disabled = 0;
        for (size_t k = 0; k < ss->noff; k++)
            ss->v[i].disabled |= strcmp(ss->off[k], ss->v[i].name) == 0;
        ss->v[i].head = NULL;
        for (size_t r = 0; r < ss->nmap && ss->v[i].head == NULL; r++)
            if (ss->rule_seq[r] == (int)i && ss->rule_step[r] == 0)
                ss->v[i].head = &ss->rs.v[r];
    }
    return rules_prepare(&ss->rs, err, errlen);
}

void seq_free(seqset *ss)
{
    rules_free(&ss->rs);
    for (size_t i = 0; i < ss->n; i++)
        free(ss->v[i].name);
    free(ss->v);
    free(ss->rule_seq);
    free(ss->rule_step);
    free(ss->rule_same);
    for (size_t i = 0; i < ss->noff; i++)
        free(ss->off[i]);
    free(ss->off);
    memset(ss, 0, sizeof *ss);
}

/* --- running ------------------------------------------------------------------- */

/* Hash every absolute path the text names: words starting with '/', or
 * with '/' after "=" (--output=/tmp/x); trailing quotes and punctuation
 * are cut. */
static int text_paths(const char *s, uint64_t *out, int n, int max)
{
    char w[256];
    while (*s && n < max) {
        while (*s == ' ' || *s == '|')
            s++;
        size_t len = strcspn(s, " |");
        const char *p = memchr(s, '/', len);
        if (p && (p == s || p[-1] == '=' || p[-1] == '"' || p[-1] == '\'')) {
            size_t k = len - (size_t)(p - s);
            while (k > 1 && strchr("\"';,)", p[k - 1]))
                k--;
            if (k < sizeof w && k > 1) {
                memcpy(w, p, k);
                w[k] = '\0';
                out[n++] = lineage_hash(w);
            }
        }
        s += len;
    }
    return n;
}

static int event_paths(const facts *fx, uint64_t *out, int max)
{
    int n = text_paths(fx->f[F_BINARY], out, 0, max);
    n = text_paths(fx->f[F_ARGS], out, n, max);
    return text_paths(fx->f[F_KARGS], out, n, max);
}

static int shares_path(const seqstate *st, const uint64_t *paths, int np)
{
    for (int i = 0; i < np; i++)
        for (int k = 0; k < st->npaths; k++)
            if (paths[i] == st->paths[k])
                return 1;
    return 0;
}

static void keep_paths(seqstate *st, const uint64_t *paths, int np, int append)
{
    if (!append)
        st->npaths = 0;
    for (int i = 0; i < np && st->npaths < SEQ_MAX_PATHS; i++)
        st->paths[st->npaths++] = paths[i];
}

int seq_feed(seqset *ss, const facts *fx, seqstate *st, int *fired, int max)
{
    verdict v;
    uint64_t paths[16];
    int np = -1, nfired = 0;
    if (ss->n == 0)
        return 0;
    rules_eval(&ss->rs, fx, &v);
    for (size_t m = 0; m < v.nmatched; m++) {
        size_t r = (size_t)(v.matched[m] - ss->rs.v);
        if (r >= ss->nmap || ss->rule_seq[r] < 0)
            continue;
        int s = ss->rule_seq[r], step = ss->rule_step[r];
        seqstate *q = &st[s];
        if (ss->v[s].disabled || q->fired || (step != q->step && !(step == 0 && q->step == 1)))
            continue;
        if (np < 0)
            np = event_paths(fx, paths, 16);
        if (ss->rule_same[r] && !shares_path(q, paths, np))
            continue;
        if (step == 0 && q->step == 1) { /* another first step: remember its paths too */
            keep_paths(q, paths, np, 1);
            continue;
        }
        keep_paths(q, paths, np, 0);
        q->step++;
        if (q->step == ss->v[s].nsteps) {
            q->fired = 1;
            if (nfired < max)
                fired[nfired++] = s;
        }
    }
    return nfired;
}
