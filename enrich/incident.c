/* incident.c - open, join and close incidents; see incident.h.
 *
 * Incidents live in a slot table; a process refers to its incident by a
 * handle (slot number and the slot's generation), so a process still
 * pointing at a closed incident is told by the generation, with no
 * pointer to clear in 100,000 process entries.  Open incidents are on one
 * list; each node remembers the earliest event time at which one of its
 * incidents may be due, so expiry is a list walk at most once per due
 * time, not per event.  Changes go on a FIFO that inc_next() drains. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "extract.h"
#include "incident.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/hash.h"

#define SLOT_BITS 20
#define MAX_SLOTS (1u << SLOT_BITS)
#define MAX_DEPTH 64

typedef struct inode {
    lnode *ln;
    char *name;
    int64_t due;      /* earliest event time an incident may close, 0: none */
    int64_t seen_ms;  /* event clock when last seen */
    uint64_t wall_ms; /* monotonic time when last seen */
    int32_t lane;
    struct inode *next;
} inode;

struct incidents {
    inc_conf c;
    seqset *ss;
    lineage *lin;
    inode *nodes;
    incident **slot;
    uint32_t *gen;
    uint32_t nslots, *free_slots, nfree;
    incident *open;
    incident *chead, *ctail;
    facts_store st;
    inc_counts n;
    size_t nopen;
};

incidents *inc_new(const inc_conf *c, seqset *ss)
{
    incidents *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->c = *c;
    s->ss = ss;
    s->st = (facts_store)FACTS_STORE_INIT;
    if ((s->lin = lineage_new(c->lineage_cap, c->grace_ms)) == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

static void event_free(inc_event *e)
{
    free(e->kind);
    free(e->exec_id);
    free(e->parent_exec_id);
    free(e->binary);
    free(e->arguments);
    free(e->function);
    free(e->rules);
}

static void incident_free(incident *in)
{
    for (size_t i = 0; i < in->nev; i++)
        event_free(&in->ev[i]);
    free(in->ev);
    free(in->node);
    free(in->ns);
    free(in->pod);
    free(in->workload);
    free(in->root_exec_id);
    free(in->top_summary);
    free(in->seqst);
    if (in->story.have)
        finding_free(&in->story.f);
    free(in);
}

void inc_free(incidents *s)
{
    if (s == NULL)
        return;
    for (uint32_t i = 0; i < s->nslots; i++)
        if (s->slot[i])
            incident_free(s->slot[i]);
    for (inode *n = s->nodes, *next; n; n = next) {
        next = n->next;
        free(n->name);
        free(n);
    }
    free(s->slot);
    free(s->gen);
    free(s->free_slots);
    lineage_free(s->lin);
    facts_store_free(&s->st);
    free(s);
}

/* --- handles ------------------------------------------------------------------- */

static incident *by_handle(const incidents *s, uint32_t h)
{
    if (h == 0)
        return NULL;
    uint32_t i = (h & (MAX_SLOTS - 1)) - 1;
    if (i >= s->nslots || s->slot[i] == NULL || (h >> SLOT_BITS) != (s->gen[i] & 0xfff))
        return NULL;
    return s->slot[i]->status == INC_OPEN ? s->slot[i] : NULL;
}

static int take_slot(incidents *s, incident *in)
{
    uint32_t i;
    if (s->nfree > 0) {
        i = s->free_slots[--s->nfree];
    } else {
        if (s->nslots + 1 >= MAX_SLOTS)
            return -1;
        incident **sv = realloc(s->slot, (s->nslots + 1) * sizeof *sv);
        if (sv)
            s->slot = sv;
        uint32_t *gv = realloc(s->gen, (s->nslots + 1) * sizeof *gv);
        if (gv)
            s->gen = gv;
        uint32_t *fv = realloc(s->free_slots, (s->nslots + 1) * sizeof *fv);
        if (fv)
            s->free_slots = fv;
        if (!sv || !gv || !fv)
            return -1;
        i = s->nslots++;
        s->gen[i] = 0;
    }
    s->gen[i]++;
    s->slot[i] = in;
    in->handle = ((s->gen[i] & 0xfff) << SLOT_BITS) | (i + 1);
    return 0;
}

void inc_release(incidents *s, incident *in)
{
    uint32_t i = (in->handle & (MAX_SLOTS - 1)) - 1;
    if (i < s->nslots && s->slot[i] == in) {
        s->slot[i] = NULL;
        s->free_slots[s->nfree++] = i;
    }
    incident_free(in);
}

incident *inc_next_waiting(incidents *s, size_t *cursor)
{
    for (; *cursor < s->nslots; (*cursor)++) {
        incident *in = s->slot[*cursor];
        if (in && in->status != INC_OPEN && in->llm_pending) {
            (*cursor)++;
            return in;
        }
    }
    return NULL;
}

/* --- changes ------------------------------------------------------------------- */

static void changed(incidents *s, incident *in)
{
    if (in->queued)
        return;
    in->queued = 1;
    in->next_change = NULL;
    if (s->ctail)
        s->ctail->next_change = in;
    else
        s->chead = in;
    s->ctail = in;
}

incident *inc_next(incidents *s)
{
    incident *in = s->chead;
    if (in == NULL)
        return NULL;
    s->chead = in->next_change;
    if (s->chead == NULL)
        s->ctail = NULL;
    in->queued = 0;
    return in;
}

/* --- nodes and clocks ------------------------------------------------------------ */

static inode *node_of(incidents *s, const char *name)
{
    for (inode *n = s->nodes; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    inode *n = calloc(1, sizeof *n);
    if (n == NULL || (n->name = strdup(name)) == NULL ||
        (n->ln = lineage_node(s->lin, name)) == NULL) {
        if (n)
            free(n->name);
        free(n);
        return NULL;
    }
    n->next = s->nodes;
    s->nodes = n;
    return n;
}

static int64_t ms_of(int64_t sec, int32_t nanos)
{
    return sec * 1000 + nanos / 1000000;
}

static int64_t due_of(const incidents *s, const incident *in)
{
    int64_t idle = ms_of(in->last_sec, in->last_nanos) + s->c.idle_ms;
    int64_t max = ms_of(in->first_sec, in->first_nanos) + s->c.max_ms;
    return idle < max ? idle : max;
}

static void close_one(incidents *s, incident *in, int status)
{
    in->status = status;
    s->nopen--;
    if (status == INC_PARTIAL)
        s->n.partial++;
    else
        s->n.closed++;
    changed(s, in);
}

/* Close the node's incidents that are due at its clock; note the next due
 * time. */
static void expire(incidents *s, inode *n, int64_t clock)
{
    if (n->due == 0 || clock < n->due)
        return;
    n->due = 0;
    for (incident **pp = &s->open; *pp;) {
        incident *in = *pp;
        if (strcmp(in->node, n->name) != 0) {
            pp = &in->next_open;
            continue;
        }
        int64_t d = due_of(s, in);
        if (d <= clock) {
            *pp = in->next_open;
            close_one(s, in, INC_CLOSED);
            continue;
        }
        if (n->due == 0 || d < n->due)
            n->due = d;
        pp = &in->next_open;
    }
}

void inc_advance(incidents *s, uint64_t now_ms)
{
    for (inode *n = s->nodes; n; n = n->next) {
        if (n->due == 0 || now_ms - n->wall_ms < (uint64_t)s->c.idle_ms)
            continue;
        int64_t clock = lnode_clock(n->ln, n->seen_ms + (int64_t)(now_ms - n->wall_ms));
        expire(s, n, clock);
    }
}

void inc_close_all(incidents *s, int32_t lane, int status)
{
    for (incident **pp = &s->open; *pp;) {
        incident *in = *pp;
        if (lane >= 0 && in->lane != lane) {
            pp = &in->next_open;
            continue;
        }
        *pp = in->next_open;
        close_one(s, in, status);
    }
    for (inode *n = s->nodes; n; n = n->next)
        if (lane < 0 || n->lane == lane)
            n->due = 0;
}

/* --- the event's process ------------------------------------------------------------ */

typedef struct evproc {
    const Tetragon__Process *p, *parent;
    const char *function;
} evproc;

static evproc proc_of(const tetra_event *ev)
{
    evproc e = {0};
    switch (ev->event_case) {
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC:
        e.p = ev->process_exec->process, e.parent = ev->process_exec->parent;
        break;
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT:
        e.p = ev->process_exit->process, e.parent = ev->process_exit->parent;
        break;
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE:
        e.p = ev->process_kprobe->process, e.parent = ev->process_kprobe->parent;
        e.function = ev->process_kprobe->function_name;
        break;
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT:
        e.p = ev->process_tracepoint->process, e.parent = ev->process_tracepoint->parent;
        e.function = ev->process_tracepoint->event;
        break;
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE:
        e.p = ev->process_uprobe->process, e.parent = ev->process_uprobe->parent;
        e.function = ev->process_uprobe->symbol;
        break;
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LSM:
        e.p = ev->process_lsm->process, e.parent = ev->process_lsm->parent;
        e.function = ev->process_lsm->function_name;
        break;
    default:
        break;
    }
    return e;
}

static const char *str(const char *s)
{
    return s ? s : "";
}

static uint64_t pod_hash(const Tetragon__Process *p)
{
    if (p == NULL || p->pod == NULL || p->pod->name == NULL || p->pod->name[0] == '\0')
        return 0;
    char key[512];
    snprintf(key, sizeof key, "%s/%s", str(p->pod->namespace_), p->pod->name);
    return lineage_hash(key);
}

static int is_init(const Tetragon__Process *p)
{
    return p && p->pod && p->pod->container && p->pod->container->pid &&
           p->pod->container->pid->value == 1;
}

/* Put the parent and the process in the node's table; the process's
 * pointer (valid until the next put) or NULL when it is not tracked. */
static lproc *track(incidents *s, inode *n, const evproc *e, int severity, int exec)
{
    uint64_t pid = lineage_hash(e->p->exec_id),
             ppid = e->p->parent_exec_id && e->p->parent_exec_id[0]
                        ? lineage_hash(e->p->parent_exec_id)
                        : 0;
    uint8_t pflags = 0;
    if (e->parent && e->parent->exec_id && e->parent->exec_id[0]) {
        uint64_t gp = e->parent->parent_exec_id && e->parent->parent_exec_id[0]
                          ? lineage_hash(e->parent->parent_exec_id)
                          : 0;
        pflags = is_init(e->parent) ? LP_INIT | LP_BOUNDARY : 0;
        lproc *pp = lnode_put(n->ln, ppid, gp, pod_hash(e->parent), pflags);
        if (pp)
            pflags = pp->flags;
    }
    uint8_t flags = is_init(e->p) ? LP_INIT | LP_BOUNDARY : 0;
    /* the app's main process: started quietly by the container's init */
    if (exec && (pflags & LP_INIT) && severity < s->c.min_severity)
        flags |= LP_BOUNDARY;
    lproc *p = lnode_put(n->ln, pid, ppid, pod_hash(e->p), flags);
    if (p && exec && p->inc == 0 && ppid) { /* a child of a process in an incident joins it */
        lproc *par = lnode_get(n->ln, ppid);
        if (par && !(par->flags & LP_BOUNDARY) && by_handle(s, par->inc))
            p->inc = par->inc;
    }
    return p;
}

/* The incident of an ancestor of p in its pod below a boundary, or NULL;
 * *root gets the topmost such ancestor (p itself when none). */
static incident *ancestor_incident(incidents *s, inode *n, const lproc *p, const lproc **root)
{
    const lproc *cur = p;
    *root = p;
    for (int d = 0; d < MAX_DEPTH && cur->parent; d++) {
        const lproc *up = lnode_get(n->ln, cur->parent);
        if (up == NULL || up->pod != p->pod || (up->flags & LP_BOUNDARY))
            break;
        incident *in = by_handle(s, up->inc);
        if (in)
            return in;
        *root = cur = up;
    }
    return NULL;
}

/* --- building an incident ------------------------------------------------------------- */

static char *dup(const char *s)
{
    return strdup(s ? s : "");
}

static void make_id(incident *in, const char *root_exec_id, uint16_t ordinal)
{
    char key[1024];
    snprintf(key, sizeof key, "%s\x1f%s/%s", root_exec_id, in->ns, in->pod);
    uint64_t h = lineage_hash(key);
    if (ordinal <= 1)
        snprintf(in->id, sizeof in->id, "inc-%016llx", (unsigned long long)h);
    else
        snprintf(in->id, sizeof in->id, "inc-%016llx-%u", (unsigned long long)h, ordinal);
}

static incident *open_incident(incidents *s, inode *n, const tetra_event *ev,
                               const Tetragon__Process *p, const char *root_exec_id,
                               uint16_t ordinal, const char *workload)
{
    incident *in = calloc(1, sizeof *in);
    if (in == NULL)
        return NULL;
    const Tetragon__Pod *pod = p->pod;
    in->node = dup(ev->node_name);
    in->ns = dup(pod ? pod->namespace_ : "");
    in->pod = dup(pod ? pod->name : "");
    in->workload = dup(workload);
    in->root_exec_id = dup(root_exec_id);
    in->seqst = calloc(s->ss && s->ss->n ? s->ss->n : 1, sizeof *in->seqst);
    in->ev = calloc(s->c.max_events ? s->c.max_events : 1, sizeof *in->ev);
    if (!in->node || !in->ns || !in->pod || !in->workload || !in->root_exec_id || !in->seqst ||
        !in->ev || take_slot(s, in) < 0) {
        incident_free(in);
        return NULL;
    }
    make_id(in, root_exec_id, ordinal);
    in->status = INC_OPEN;
    in->lane = n->lane;
    in->first_sec = ev->time ? ev->time->seconds : 0;
    in->first_nanos = ev->time ? ev->time->nanos : 0;
    in->next_open = s->open;
    s->open = in;
    s->nopen++;
    s->n.opened++;
    changed(s, in);
    return in;
}

static void add_tech(incident *in, const char *id, const char *name, const char *tactic)
{
    if (id == NULL || id[0] == '\0')
        return;
    for (int i = 0; i < in->ntech; i++)
        if (strcmp(in->tech[i].id, id) == 0)
            return;
    if (in->ntech == INC_MAX_TECH)
        return;
    technique *t = &in->tech[in->ntech++];
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(t->name, sizeof t->name, "%s", str(name));
    snprintf(t->tactic, sizeof t->tactic, "%s", str(tactic));
}

static void add_rule(incident *in, const char *name)
{
    uint64_t h = lineage_hash(name);
    for (int i = 0; i < in->nrules; i++)
        if (in->rule_hash[i] == h)
            return;
    if (in->nrules < INC_MAX_RULES)
        in->rule_hash[in->nrules++] = h;
}

static int raise_to(incidents *s, incident *in, int sev)
{
    if (sev <= in->severity)
        return 0;
    in->severity = sev;
    changed(s, in);
    return 1;
}

/* The event's rule names joined by ' ' (new string, NULL when out of
 * memory). */
static char *join_rules(const Tetragonsidekick__Enrichment *en)
{
    buf b = BUF_INIT;
    int rc = buf_putc(&b, '\0');
    b.len = 0;
    for (size_t i = 0; rc == 0 && en && i < en->n_rules; i++)
        rc = (i && buf_putc(&b, ' ') < 0) || buf_puts(&b, en->rules[i]) < 0 ? -1 : 0;
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return b.p;
}

static int add_event(incident *in, size_t cap, const tetra_event *ev, const evproc *e, int sev,
                     const Tetragonsidekick__Enrichment *en)
{
    if (in->nev >= cap) {
        in->omitted++;
        return 0;
    }
    inc_event *x = &in->ev[in->nev];
    x->sec = ev->time ? ev->time->seconds : 0;
    x->nanos = ev->time ? ev->time->nanos : 0;
    x->severity = sev;
    const char *kind = event_kind(ev);
    x->kind = dup(kind);
    x->exec_id = dup(e->p->exec_id);
    x->parent_exec_id = dup(e->p->parent_exec_id);
    x->binary = dup(e->p->binary);
    x->arguments = dup(e->p->arguments);
    x->function = dup(e->function);
    x->rules = join_rules(en);
    if (!x->kind || !x->exec_id || !x->parent_exec_id || !x->binary || !x->arguments ||
        !x->function || !x->rules) {
        event_free(x);
        memset(x, 0, sizeof *x);
        return -1;
    }
    in->nev++;
    return 0;
}

/* Run the sequences over the event's facts; a completed one raises the
 * incident's severity and adds its technique. */
static int run_sequences(incidents *s, incident *in, const tetra_event *ev)
{
    facts fx;
    int fired[8];
    if (s->ss == NULL || s->ss->n == 0)
        return 0;
    if (facts_from_event(ev, &fx, &s->st) < 0)
        return -1;
    int nf = seq_feed(s->ss, &fx, in->seqst, fired, 8);
    for (int i = 0; i < nf; i++) {
        const seqdef *d = &s->ss->v[fired[i]];
        s->n.sequences++;
        if (in->nseq < INC_MAX_SEQ) {
            in->seq[in->nseq] = d->name;
            in->seq_summary[in->nseq++] = d->head && d->head->summary ? d->head->summary : d->name;
        }
        if (d->head) {
            add_tech(in, d->head->tech.id, d->head->tech.name, d->head->tech.tactic);
            raise_to(s, in, d->head->severity);
        }
        changed(s, in);
    }
    return 0;
}

static int join(incidents *s, incident *in, const tetra_event *ev, const evproc *e,
                const Tetragonsidekick__Enrichment *en)
{
    int sev = en ? (int)en->severity : SEV_INFO;
    in->count++;
    s->n.events++;
    in->last_sec = ev->time ? ev->time->seconds : in->last_sec;
    in->last_nanos = ev->time ? ev->time->nanos : in->last_nanos;
    if (add_event(in, s->c.max_events, ev, e, sev, en) < 0)
        return -1;
    for (size_t i = 0; en && i < en->n_techniques; i++)
        add_tech(in, en->techniques[i]->id, en->techniques[i]->name, en->techniques[i]->tactic);
    for (size_t i = 0; en && i < en->n_rules; i++)
        add_rule(in, en->rules[i]);
    if (en && sev > in->top_severity && en->summary) {
        char *t = strdup(en->summary);
        if (t == NULL)
            return -1;
        free(in->top_summary);
        in->top_summary = t;
        in->top_severity = sev;
    }
    raise_to(s, in, sev);
    return run_sequences(s, in, ev);
}

static void note_due(incidents *s, inode *n, const incident *in)
{
    int64_t d = due_of(s, in);
    if (n->due == 0 || d < n->due)
        n->due = d;
}

/* --- one event ---------------------------------------------------------------------- */

/* The incident the event belongs to, opened when it is suspicious and has
 * none; NULL when it belongs to none. */
static incident *place(incidents *s, inode *n, const tetra_event *ev, const evproc *e, int sev,
                       int *oom)
{
    int exec = ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC;
    lproc *p = track(s, n, e, sev, exec);
    incident *in = p ? by_handle(s, p->inc) : NULL;
    if (in || sev < s->c.min_severity)
        return in;
    if (p == NULL) { /* not tracked (the node's table is full): an incident of its own */
        char wl[128];
        workload_from_pod(e->p->pod ? str(e->p->pod->name) : "", wl, sizeof wl);
        in = open_incident(s, n, ev, e->p, e->p->exec_id, 1,
                           e->p->pod && e->p->pod->workload ? e->p->pod->workload : wl);
        *oom = in == NULL;
        return in;
    }
    const lproc *root;
    in = ancestor_incident(s, n, p, &root);
    if (in == NULL) {
        lproc *r = (lproc *)root;
        uint64_t rid = r->id;
        uint16_t ord = ++r->opened;
        /* the root's exec_id: the event's process or parent when it is one
         * of them, else the process's own (an older ancestor's string is
         * not kept) */
        const char *rx =
            rid == p->id ? e->p->exec_id
            : (e->parent && e->parent->exec_id && lineage_hash(e->parent->exec_id) == rid)
                ? e->parent->exec_id
                : e->p->exec_id;
        char wl[128] = "";
        if (e->p->pod && e->p->pod->workload && e->p->pod->workload[0])
            snprintf(wl, sizeof wl, "%s", e->p->pod->workload);
        else
            workload_from_pod(e->p->pod ? str(e->p->pod->name) : "", wl, sizeof wl);
        in = open_incident(s, n, ev, e->p, rx, ord, wl);
        if (in == NULL) {
            *oom = 1;
            return NULL;
        }
        r->inc = in->handle;
    }
    lproc *again = lnode_get(n->ln, p->id);
    if (again)
        again->inc = in->handle;
    return in;
}

int inc_feed(incidents *s, int32_t lane, const tetra_event *ev,
             const Tetragonsidekick__Enrichment *en)
{
    evproc e = proc_of(ev);
    if (e.p == NULL || e.p->exec_id == NULL || e.p->exec_id[0] == '\0')
        return 0;
    inode *n = node_of(s, str(ev->node_name));
    if (n == NULL)
        return -1;
    int64_t t = ev->time ? ms_of(ev->time->seconds, ev->time->nanos) : 0;
    int64_t clock = lnode_clock(n->ln, t);
    n->lane = lane;
    n->seen_ms = clock;
    n->wall_ms = mono_ms();
    expire(s, n, clock);
    int sev = en ? (int)en->severity : SEV_INFO, oom = 0;
    incident *in = place(s, n, ev, &e, sev, &oom);
    if (in == NULL)
        return oom ? -1 : 0;
    if (join(s, in, ev, &e, en) < 0)
        return -1;
    note_due(s, n, in);
    if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT) {
        lproc *p = lnode_get(n->ln, lineage_hash(e.p->exec_id));
        if (p && lnode_exit(n->ln, p, t) < 0)
            return -1;
    }
    return 0;
}

/* --- reading ---------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void inc_fingerprint(const incident *in, char out[17])
{
    uint64_t v[INC_MAX_RULES + INC_MAX_SEQ + 2];
    int n = 0;
    for (int i = 0; i < in->nrules; i++)
        v[n++] = in->rule_hash[i];
    for (int i = 0; i < in->nseq; i++)
        v[n++] = lineage_hash(in->seq[i]);
    qsort(v, (size_t)n, sizeof v[0], cmp_u64);
    v[n++] = lineage_hash(in->ns);
    v[n++] = lineage_hash(in->workload);
    snprintf(out, 17, "%016llx", (unsigned long long)fnv1a64(v, (size_t)n * sizeof v[0]));
}

void inc_counts_get(const incidents *s, inc_counts *out)
{
    *out = s->n;
    lineage_counts_get(s->lin, &out->lineage);
}

size_t inc_open_count(const incidents *s)
{
    return s->nopen;
}

size_t inc_lineage_bytes(const incidents *s)
{
    return lineage_bytes(s->lin);
}
