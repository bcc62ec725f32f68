/* flow.c - the concurrent record path (see flow.h).
 *
 * Records live in a fixed table of max_pending slots, each with its own
 * arena reused from record to record, so memory is bounded by the table
 * whatever the input size or the LLM's latency.  A slot is free, waiting
 * (its job joined a request) or done (ordered mode only: finished, held
 * until every record before it left).  Requests in flight are found by
 * cache key in a small hash table; each lists the slots that wait for it,
 * the first being the one it was made for.  A request whose waiters were
 * all dropped (a revoked partition) still finishes and fills the cache, so
 * the next owner of those records finds the answer there.  In ordered mode
 * each lane (a Kafka partition; stdin is lane 0) keeps its held records in
 * arrival order in a list, and a record leaves when every record before it
 * in its lane left: a slow record holds back its own partition only. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include "flow.h"
#include "util/msg.h"
#include "util/hash.h"

#define NBUCKETS 1024

enum { R_FREE, R_WAIT, R_DONE };

typedef struct rec {
    int state;
    flow_tag tag;
    pj_arena *a;
    enrich_job j;
    Tetragonsidekick__EnrichedEvent *ee; /* R_DONE: what to emit, NULL for nothing */
    struct req *req;                     /* R_WAIT: the request waited for */
    struct rec *next_waiter;
    struct rec *next_in_lane; /* ordered mode: the lane's next record */
    int in_lane;
} rec;

typedef struct req {
    struct req *hnext;
    rec *first, *last; /* waiters, in the order they came */
    char key[256];
} req;

typedef struct lane_q {
    rec *head, *tail;
} lane_q;

#define MAX_LANES (1 << 20) /* partitions of one topic, with room to spare */

struct flow {
    engine *e;
    llm *llm;
    flow_conf c;
    const flow_io *io;
    void *ctx;
    rec *recs;
    size_t *free_slots, nfree;
    rec *next; /* reserved by flow_arena for the next flow_add */
    req *buckets[NBUCKETS];
    lane_q *lanes; /* ordered mode: held records per lane, in arrival order */
    size_t nlanes;
    size_t held;
    int failed;
};

flow *flow_new(engine *e, const flow_conf *c, const flow_io *io, void *ctx)
{
    flow *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    *f = (flow){.e = e, .llm = engine_llm(e), .c = *c, .io = io, .ctx = ctx};
    if (f->c.max_pending == 0)
        f->c.max_pending = 1;
    f->recs = calloc(f->c.max_pending, sizeof *f->recs);
    f->free_slots = calloc(f->c.max_pending, sizeof *f->free_slots);
    if (f->recs == NULL || f->free_slots == NULL) {
        flow_free(f);
        return NULL;
    }
    for (size_t i = 0; i < f->c.max_pending; i++)
        f->free_slots[f->nfree++] = f->c.max_pending - 1 - i;
    return f;
}

void flow_free(flow *f)
{
    if (f == NULL)
        return;
    flow_drop(f, -1);
    for (size_t b = 0; b < NBUCKETS; b++)
        while (f->buckets[b]) {
            req *q = f->buckets[b];
            f->buckets[b] = q->hnext;
            free(q); /* the LLM client still has q as ud: freed after it below */
        }
    for (size_t i = 0; f->recs && i < f->c.max_pending; i++)
        pj_arena_free(f->recs[i].a);
    free(f->recs);
    free(f->free_slots);
    free(f->lanes);
    free(f);
}

size_t flow_held(const flow *f)
{
    return f->held;
}

int flow_full(const flow *f)
{
    return f->next == NULL && f->nfree == 0;
}

/* --- slots ------------------------------------------------------------------- */

pj_arena *flow_arena(flow *f)
{
    if (f->next == NULL) {
        if (f->nfree == 0)
            return NULL;
        rec *r = &f->recs[f->free_slots[f->nfree - 1]];
        if (r->a == NULL && (r->a = pj_arena_new()) == NULL)
            return NULL;
        f->nfree--;
        f->next = r;
        pj_arena_reset(r->a);
    }
    return f->next->a;
}

/* --- ordered mode: lanes -------------------------------------------------------- */

/* The lane of tag, grown on first use; NULL when out of memory or out of
 * range (reported). */
static lane_q *lane_of(flow *f, int32_t id)
{
    if (id < 0 || id >= MAX_LANES) {
        errorf("record lane %d out of range", (int)id);
        return NULL;
    }
    if ((size_t)id >= f->nlanes) {
        size_t n = (size_t)id + 1 > 2 * f->nlanes ? (size_t)id + 1 : 2 * f->nlanes;
        lane_q *l = realloc(f->lanes, n * sizeof *l);
        if (l == NULL) {
            errorf("out of memory");
            return NULL;
        }
        memset(l + f->nlanes, 0, (n - f->nlanes) * sizeof *l);
        f->lanes = l;
        f->nlanes = n;
    }
    return &f->lanes[id];
}

static void lane_push(lane_q *l, rec *r)
{
    r->next_in_lane = NULL;
    r->in_lane = 1;
    if (l->tail)
        l->tail->next_in_lane = r;
    else
        l->head = r;
    l->tail = r;
}

/* Take r out of its lane wherever it is (a record given up on a failure). */
static void lane_unlink(flow *f, rec *r)
{
    lane_q *l = &f->lanes[r->tag.lane];
    rec *prev = NULL;
    for (rec *w = l->head; w; prev = w, w = w->next_in_lane)
        if (w == r) {
            if (prev)
                prev->next_in_lane = w->next_in_lane;
            else
                l->head = w->next_in_lane;
            if (l->tail == w)
                l->tail = prev;
            break;
        }
    r->in_lane = 0;
}

/* Empty the lane id, or every lane when id < 0 (its records are dropped). */
static void lane_clear(flow *f, int32_t id)
{
    for (size_t i = 0; i < f->nlanes; i++) {
        if (id >= 0 && (size_t)id != i)
            continue;
        for (rec *r = f->lanes[i].head; r; r = r->next_in_lane)
            r->in_lane = 0;
        f->lanes[i].head = f->lanes[i].tail = NULL;
    }
}

static void release(flow *f, rec *r)
{
    if (r->in_lane)
        lane_unlink(f, r);
    r->state = R_FREE;
    r->ee = NULL;
    r->req = NULL;
    f->free_slots[f->nfree++] = (size_t)(r - f->recs);
    f->held--;
}

/* Emit what may leave from the head of r's lane. */
static int emit_in_order(flow *f, const rec *r0)
{
    lane_q *l = &f->lanes[r0->tag.lane];
    while (l->head && l->head->state == R_DONE) {
        rec *r = l->head;
        l->head = r->next_in_lane;
        if (l->head == NULL)
            l->tail = NULL;
        r->in_lane = 0;
        int rc = f->io->emit(f->ctx, r->tag, r->ee);
        release(f, r);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* r is finished with ee (NULL: nothing to write). */
static int finish(flow *f, rec *r, Tetragonsidekick__EnrichedEvent *ee)
{
    if (f->c.ordered) {
        r->state = R_DONE;
        r->ee = ee;
        return emit_in_order(f, r);
    }
    int rc = f->io->emit(f->ctx, r->tag, ee);
    release(f, r);
    return rc;
}

static int complete(flow *f, rec *r)
{
    Tetragonsidekick__EnrichedEvent *ee;
    char err[256];
    if (engine_end(f->e, &r->j, &ee, err, sizeof err) < 0) {
        errorf("%s", err);
        release(f, r);
        return -1;
    }
    if (r->j.event_changed)
        r->tag.event_pb = NULL; /* its bytes are stale */
    return finish(f, r, ee);
}

/* --- requests in flight ------------------------------------------------------------ */

static size_t bucket(const char *key)
{
    return (size_t)(fnv1a64(key, strlen(key)) % NBUCKETS);
}

static req *find(const flow *f, const char *key)
{
    for (req *q = f->buckets[bucket(key)]; q; q = q->hnext)
        if (strcmp(q->key, key) == 0)
            return q;
    return NULL;
}

static void unlink_req(flow *f, req *q)
{
    for (req **pp = &f->buckets[bucket(q->key)]; *pp; pp = &(*pp)->hnext)
        if (*pp == q) {
            *pp = q->hnext;
            return;
        }
}

static void join(req *q, rec *r)
{
    r->req = q;
    r->next_waiter = NULL;
    if (q->last)
        q->last->next_waiter = r;
    else
        q->first = r;
    q->last = r;
}

static void leave(req *q, rec *r)
{
    rec *prev = NULL;
    for (rec *w = q->first; w; prev = w, w = w->next_waiter)
        if (w == r) {
            if (prev)
                prev->next_waiter = w->next_waiter;
            else
                q->first = w->next_waiter;
            if (q->last == w)
                q->last = prev;
            return;
        }
}

/* Make the request r's job needs; r is its first waiter. */
static int ask(flow *f, rec *r)
{
    req *q = calloc(1, sizeof *q);
    char *body = q ? engine_request(f->e, &r->j) : NULL;
    if (body == NULL) {
        free(q);
        return -1;
    }
    snprintf(q->key, sizeof q->key, "%s", r->j.key);
    size_t b = bucket(q->key);
    q->hnext = f->buckets[b];
    f->buckets[b] = q;
    join(q, r);
    if (llm_submit(f->llm, body, q) == 0)
        return 0;
    unlink_req(f, q);
    free(q);
    r->req = NULL;
    return -1;
}

/* The outcome of q: the answer goes to the cache and to every waiter. */
static void on_done(void *ctx, void *ud, int rc, llm_reply *rep, const char *err)
{
    flow *f = ctx;
    req *q = ud;
    enrich_job lead;
    int first = 1;
    memset(&lead, 0, sizeof lead);
    snprintf(lead.key, sizeof lead.key, "%s", q->key);
    unlink_req(f, q);
    int oom = engine_answer(f->e, &lead, rc, rep, err) < 0;
    for (rec *w = q->first, *next; w; w = next) {
        next = w->next_waiter;
        w->req = NULL;
        oom |= engine_share(f->e, &lead, &w->j, first) < 0;
        first = 0;
        if (complete(f, w) < 0)
            f->failed = 1;
    }
    engine_discard(&lead);
    free(q);
    if (oom) {
        errorf("out of memory");
        f->failed = 1;
    }
}

/* --- records in ---------------------------------------------------------------- */

static int begin(flow *f, rec *r, tetra_event *ev)
{
    char err[256];
    if (engine_begin(f->e, r->a, ev, &r->j, err, sizeof err) < 0) {
        engine_discard(&r->j);
        errorf("%s", err);
        return -1;
    }
    if (!r->j.need_llm)
        return complete(f, r);
    req *q = find(f, r->j.key);
    if (q != NULL) { /* single flight: wait for the request in flight */
        join(q, r);
        return 0;
    }
    int g = engine_gate(f->e, &r->j);
    if (g == 0)
        return complete(f, r);
    if (g > 0 && ask(f, r) == 0)
        return 0;
    engine_discard(&r->j);
    errorf("out of memory");
    return -1;
}

int flow_add(flow *f, flow_tag tag, tetra_event *ev)
{
    if (f->next == NULL && flow_arena(f) == NULL) {
        errorf("out of memory, or a record past --max-pending");
        return -1;
    }
    lane_q *l = f->c.ordered ? lane_of(f, tag.lane) : NULL;
    if (f->c.ordered && l == NULL)
        return -1;
    rec *r = f->next;
    f->next = NULL;
    r->state = R_WAIT;
    r->tag = tag;
    f->held++;
    if (l)
        lane_push(l, r);
    if (ev == NULL)
        return finish(f, r, NULL);
    int rc = begin(f, r, ev);
    if (rc < 0 && r->state == R_WAIT && r->req == NULL)
        release(f, r);
    return rc;
}

/* --- driving -------------------------------------------------------------------- */

/* wake_fd: the input's descriptor while reading it would take a record,
 * else -1 (at its end it would wake the wait at once, and so would a full
 * flow's unread input). */
static int step(flow *f, int wait_ms, int wake_fd)
{
    if (f->llm && llm_pending(f->llm) > 0) {
        if (llm_run(f->llm, wait_ms, wake_fd, on_done, f) < 0) {
            errorf("LLM client: curl failed");
            return -1;
        }
    } else if (wait_ms > 0 && wake_fd >= 0) {
        struct pollfd p = {wake_fd, POLLIN, 0};
        (void)poll(&p, 1, wait_ms);
    }
    return f->failed ? -1 : 0;
}

int flow_step(flow *f, int wait_ms)
{
    return step(f, wait_ms, -1);
}

void flow_drop(flow *f, int32_t lane)
{
    lane_clear(f, lane);
    for (size_t i = 0; f->recs && i < f->c.max_pending; i++) {
        rec *r = &f->recs[i];
        if (r->state == R_FREE || (lane >= 0 && r->tag.lane != lane))
            continue;
        if (r->state == R_WAIT) {
            if (r->req)
                leave(r->req, r);
            engine_discard(&r->j);
        }
        release(f, r);
    }
}

/* A second stop signal (util/prog.h): leave now.  Records still held are
 * not written; that is a failure to report unless there were none. */
static int stopped_now(const flow *f)
{
    if (f->held == 0)
        return 0;
    errorf("stopped by a second signal: %zu held record%s not written", f->held,
           f->held == 1 ? " was" : "s were");
    return -1;
}

int flow_run(flow *f, volatile sig_atomic_t *stop)
{
    int eof = 0;
    for (;;) {
        if (*stop > 1)
            return stopped_now(f);
        if (*stop && !eof) {
            if (!f->io->drain_on_stop)
                return 0;
            eof = 1;
        }
        if (eof && f->held == 0)
            return 0;
        int busy = f->llm && llm_pending(f->llm) > 0;
        if (!eof && !flow_full(f)) {
            int r = f->io->read(f->ctx, f, busy ? 0 : 100);
            if (r < 0)
                return -1;
            if (r == 0)
                eof = 1;
        }
        /* waiting: on the LLM, and on the input when it has a descriptor;
         * without one (Kafka) come back to it every 10 ms */
        int reading = !eof && !flow_full(f);
        int wait = !busy ? 0 : (!reading || f->c.wake_fd >= 0) ? 100 : 10;
        if (step(f, wait, reading ? f->c.wake_fd : -1) < 0 || f->io->tick(f->ctx, f) < 0)
            return -1;
    }
}
