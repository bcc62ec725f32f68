/* engine.c - the enrichment pipeline of one event; see engine.h.
 *
 * Order of decisions on the LLM path: policy threshold (skipped_policy),
 * cache (cached), budget and rate (budget_exhausted / skipped_policy),
 * circuit breaker (circuit_open), the call (error), validation
 * (invalid_output), then ok.  Everything that reaches the LLM or the output
 * record has been through the redactor first. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine.h"
#include "redact_event.h"
#include "fingerprint.h"
#include "http/metrics.h"
#include "util/msg.h"
#include "finding.h"
#include "prompt.h"
#include "rules_builtin.h"
#include "util/clock.h"

/* Atomic: the metrics thread reads them (engine_stats) while the loop counts. */
typedef struct counters {
    _Atomic uint64_t llm_calls, llm_ok, llm_errors, llm_invalid, cache_hits, cache_misses;
    _Atomic uint64_t skipped_policy, budget_exhausted, rate_limited, circuit_open, tokens_in;
    _Atomic uint64_t tokens_out, redactions, retries_429, llm_shared, sev[SEV_CRITICAL + 1];
} counters;

struct engine {
    engine_conf c;
    ruleset rules;
    redactor *red;
    cache *cache;
    llm *llm;
    circuit breaker;
    policy pol;
    facts_store st;
    prompt_tmpl *tmpl; /* the one-event request body, made once (use_llm) */
    buf red_args, red_pargs, red_kargs, red_cwd, scratch, summary;
    counters n;
    int bad_rules;
};

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int load_rules(engine *e, char *err, size_t errlen)
{
    for (const char *const *f = e->c.rules_files; f && *f; f++)
        if (rules_load_file(&e->rules, *f, err, errlen) < 0)
            return -1;
    if (!e->c.no_builtin && rules_load_builtin(&e->rules, err, errlen) < 0)
        return -1;
    return 0;
}

static void memo_free(void *p);
static int last_bad_rules;

/* Requests wait in the LLM client's queue; one whose turn comes while the
 * circuit is open is not sent (llm_set_gate). */
static int breaker_lets_through(void *ctx)
{
    engine *e = ctx;
    return !circuit_blocked(&e->breaker, mono_ms());
}

int engine_bad_rules(void)
{
    return last_bad_rules;
}

engine *engine_new(const engine_conf *c, char *err, size_t errlen)
{
    engine *e = calloc(1, sizeof *e);
    last_bad_rules = 0;
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->c = *c;
    if (load_rules(e, err, errlen) < 0) {
        e->bad_rules = 1;
        goto fail;
    }
    if ((e->red = redact_new(err, errlen)) == NULL)
        goto fail;
    if ((e->cache = cache_new(c->cache_max ? c->cache_max : 1, c->cache_ttl_s)) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    cache_set_memo_free(e->cache, memo_free);
    if (c->use_llm && !c->dry_run && (e->llm = llm_new(&c->llm, err, errlen)) == NULL)
        goto fail;
    if (c->use_llm && (e->tmpl = prompt_tmpl_new(c->model, c->mode, c->max_tokens)) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (e->llm)
        llm_set_gate(e->llm, breaker_lets_through, e);
    circuit_init(&e->breaker, c->breaker_failures, c->breaker_cooldown_ms);
    policy_init(&e->pol, c->min_severity, c->daily_tokens, c->rpm, c->tpm);
    return e;
fail:
    last_bad_rules = e->bad_rules;
    engine_free(e);
    return NULL;
}

void engine_free(engine *e)
{
    if (e == NULL)
        return;
    rules_free(&e->rules);
    redact_free(e->red);
    cache_free(e->cache);
    llm_free(e->llm);
    prompt_tmpl_free(e->tmpl);
    facts_store_free(&e->st);
    buf *bufs[] = {&e->red_args, &e->red_pargs, &e->red_kargs,
                   &e->red_cwd,  &e->scratch,   &e->summary};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        buf_free(bufs[i]);
    free(e);
}

cache *engine_cache(engine *e)
{
    return e->cache;
}

llm *engine_llm(engine *e)
{
    return e->llm;
}

/* --- redaction of the facts that leave the process --------------------------- */

/* A field is copied into b only when redaction changed it: then and only
 * then does fx->f[f] stop pointing at the event's own text. */
static int redact_field(engine *e, facts *fx, fact_field f, buf *b)
{
    unsigned n = 0;
    const char *res = redact_view(e->red, fx->f[f], &n);
    if (res == NULL)
        return -1;
    e->n.redactions += n;
    if (res == fx->f[f])
        return 0;
    buf_reset(b);
    if (buf_puts(b, res) < 0)
        return -1;
    fx->f[f] = b->p;
    return 0;
}

static int redact_facts(engine *e, const facts *raw, facts *out)
{
    *out = *raw;
    if (redact_field(e, out, F_ARGS, &e->red_args) < 0 ||
        redact_field(e, out, F_PARENT_ARGS, &e->red_pargs) < 0 ||
        redact_field(e, out, F_KARGS, &e->red_kargs) < 0 ||
        redact_field(e, out, F_CWD, &e->red_cwd) < 0)
        return -1;
    out->f[F_ANY] = "";
    return 0;
}

/* --- the rules' finding -------------------------------------------------------- */

static int add_tech(finding *f, const technique *t)
{
    for (int i = 0; i < f->ntech; i++)
        if (strcmp(f->tech[i].id, t->id) == 0)
            return 0;
    if (f->ntech == FINDING_MAX_TECH)
        return 0;
    f->tech[f->ntech++] = *t;
    return 0;
}

static int add_item(char **v, int *n, const char *s)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(v[i], s) == 0)
            return 0;
    if (*n == FINDING_MAX_LIST)
        return 0;
    if ((v[*n] = strdup(s)) == NULL)
        return -1;
    (*n)++;
    return 0;
}

static int rules_finding(const verdict *v, const char *summary, finding *f)
{
    memset(f, 0, sizeof *f);
    f->severity = v->severity;
    f->confidence = v->confidence;
    if ((f->summary = strdup(summary)) == NULL)
        return -1;
    for (size_t i = 0; i < v->nmatched; i++) {
        const rule *r = v->matched[i];
        if (r->tech.id[0])
            add_tech(f, &r->tech);
        if (add_item(f->indicators, &f->nind, r->indicator) < 0)
            return -1;
        for (int j = 0; j < r->nnext; j++)
            if (add_item(f->next, &f->nnext, r->next[j]) < 0)
                return -1;
    }
    return 0;
}

/* The LLM's words with the rules' floor: severity never below the rules',
 * techniques and next steps are the union. */
static int merge(finding *rules, finding *llm_f)
{
    if (llm_f->severity < rules->severity)
        llm_f->severity = rules->severity;
    for (int i = 0; i < rules->ntech; i++)
        add_tech(llm_f, &rules->tech[i]);
    for (int i = 0; i < rules->nind; i++)
        if (add_item(llm_f->indicators, &llm_f->nind, rules->indicators[i]) < 0)
            return -1;
    for (int i = 0; i < rules->nnext; i++)
        if (add_item(llm_f->next, &llm_f->nnext, rules->next[i]) < 0)
            return -1;
    return 0;
}

/* --- the LLM path -------------------------------------------------------------- */

static int dry_print(engine *e, const char *body)
{
    const char *auth = !e->c.llm.api_key || !e->c.llm.api_key[0] ? NULL
                       : e->c.llm.azure                          ? "\"api-key\":\"<redacted>\""
                                        : "\"Authorization\":\"Bearer <redacted>\"";
    char url[1100];
    if (llm_endpoint_url(&e->c.llm, url, sizeof url) < 0)
        return -1;
    fprintf(e->c.dry_out,
            "{\"method\":\"POST\",\"url\":\"%s\",\"headers\":{\"Content-Type\":"
            "\"application/json\"%s%s},\"body\":%s}\n",
            url, auth ? "," : "", auth ? auth : "", body);
    return ferror(e->c.dry_out) ? -1 : 0;
}

static void account(engine *e, enrich_job *j, const llm_reply *r)
{
    e->n.tokens_in += r->tokens_in;
    e->n.tokens_out += r->tokens_out;
    policy_charge(&e->pol, (uint64_t)r->tokens_in + r->tokens_out, wall_ms());
    j->tokens_in = r->tokens_in;
    j->tokens_out = r->tokens_out;
}

static void set_status(engine *e, enrich_job *j, int ok)
{
    if (ok) {
        e->n.llm_ok++;
        j->have = 1;
        j->status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_OK;
        j->source = TETRAGONSIDEKICK__SOURCE__SOURCE_LLM;
    } else {
        e->n.llm_invalid++;
        j->status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_INVALID_OUTPUT;
    }
}

/* Validate the reply content for j. */
static void validate(engine *e, enrich_job *j, const llm_reply *r)
{
    const char *c = r->content.p ? r->content.p : "";
    char err[256] = "";
    uint64_t skipped;
    set_status(e, j, finding_from_json(c, r->content.len, &j->got, err, sizeof err) == 0);
    if (err[0] && msg_ratelimit("invalid_output", 10, &skipped))
        notef("LLM reply rejected: %s", err);
}

static void failed(engine *e, enrich_job *j, const char *err)
{
    uint64_t skipped;
    if (msg_ratelimit("llm_error", 10, &skipped))
        warnf("LLM: %s", err);
    circuit_record(&e->breaker, 0, mono_ms());
    e->n.llm_errors++;
    j->status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_ERROR;
}

/* The cached value of a behaviour whose reply failed validation: not a
 * JSON object, so never taken for a finding, and not empty, so the
 * compacted topic does not read it as a tombstone. */
#define INVALID_MARK "-"
/* A dry run prints the request once per behaviour and marks it in the
 * cache with DRY_MARK, never a made-up finding: nothing a dry run does may
 * pass for an LLM's answer.  The mark is not published. */
#define DRY_MARK "~"

/* 1: a usable explanation in *got; 2: this behaviour was asked before and
 * the reply was invalid (INVALID_MARK), so do not pay for it again;
 * 0: miss. */
static int from_cache(engine *e, const char *key, finding *got)
{
    void **memo = NULL;
    const char *hit = cache_get_memo(e->cache, key, wall_ms() / 1000, &memo);
    char err[128];
    if (hit == NULL)
        return 0;
    if (strcmp(hit, INVALID_MARK) == 0)
        return 2;
    if (strcmp(hit, DRY_MARK) == 0)
        return 3;
    if (*memo != NULL)
        return finding_copy(got, *memo) == 0;
    if (finding_from_json(hit, strlen(hit), got, err, sizeof err) < 0)
        return 0;
    finding *keep = malloc(sizeof *keep); /* parse once per entry, copy on later hits */
    if (keep != NULL && finding_copy(keep, got) == 0)
        *memo = keep;
    else
        free(keep);
    return 1;
}

static void memo_free(void *p)
{
    finding_free(p);
    free(p);
}

static int store_invalid(engine *e, const char *key)
{
    int rc = cache_put(e->cache, key, INVALID_MARK, wall_ms() / 1000);
    if (rc == 0 && e->c.publish)
        e->c.publish(e->c.publish_ctx, key, INVALID_MARK);
    return rc;
}

static int store(engine *e, const char *key, const finding *f)
{
    char *s = finding_to_json(f);
    if (s == NULL)
        return -1;
    int rc = cache_put(e->cache, key, s, wall_ms() / 1000);
    if (rc == 0 && !e->c.dry_run && e->c.publish)
        e->c.publish(e->c.publish_ctx, key, s);
    free(s);
    return rc;
}

static int gate(engine *e, int severity, enrich_job *o)
{
    switch (policy_decide(&e->pol, severity, wall_ms())) {
    case POLICY_SKIP:
        e->n.skipped_policy++;
        o->status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_SKIPPED_POLICY;
        return 0;
    case POLICY_BUDGET:
        e->n.budget_exhausted++;
        o->status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_BUDGET_EXHAUSTED;
        return 0;
    case POLICY_RATE:
        e->n.rate_limited++;
        o->status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_SKIPPED_POLICY;
        return 0;
    default:
        break;
    }
    if (!circuit_allow(&e->breaker, mono_ms())) {
        e->n.circuit_open++;
        o->status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_CIRCUIT_OPEN;
        return 0;
    }
    return 1;
}

static int dry_run(engine *e, enrich_job *j)
{
    char *body = prompt_build(j->data, e->c.model, e->c.mode, e->c.max_tokens);
    int rc = body ? dry_print(e, body) : -1;
    free(body);
    return (rc < 0 || cache_put(e->cache, j->key, DRY_MARK, wall_ms() / 1000) < 0) ? -1 : 0;
}

/* Policy threshold and cache: decide whether j needs the LLM (need_llm,
 * with its data block), or what stands instead.  Returns 0, or -1 out of
 * memory. */
static int llm_path(engine *e, const facts *red, const char *summary, enrich_job *j)
{
    j->source = TETRAGONSIDEKICK__SOURCE__SOURCE_RULES;
    j->status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_DISABLED;
    if (!e->c.use_llm)
        return 0;
    if (j->v.severity < e->pol.min_severity) {
        e->n.skipped_policy++;
        j->status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_SKIPPED_POLICY;
        return 0;
    }
    if (cache_key(j->key, sizeof j->key, j->fp, e->c.model, PROMPT_VERSION) < 0)
        return 0;
    int hit = from_cache(e, j->key, &j->got);
    if (hit == 3)
        return 0; /* a dry run printed this request already */
    if (hit > 0) {
        e->n.cache_hits++;
        j->have = hit == 1;
        j->source = hit == 1 ? TETRAGONSIDEKICK__SOURCE__SOURCE_CACHE : j->source;
        j->status = hit == 1 ? TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_CACHED
                             : TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_INVALID_OUTPUT;
        return 0;
    }
    e->n.cache_misses++;
    if ((j->data = prompt_data(red, &j->v, summary)) == NULL)
        return -1;
    j->need_llm = 1;
    return 0;
}

int engine_gate(engine *e, enrich_job *j)
{
    if (!j->need_llm)
        return 0;
    if (e->c.dry_run || !gate(e, j->v.severity, j)) {
        j->need_llm = 0;
        return e->c.dry_run ? (dry_run(e, j) < 0 ? -1 : 0) : 0;
    }
    return 1;
}

char *engine_request(engine *e, const enrich_job *j)
{
    return prompt_fill(e->tmpl, j->data);
}

int engine_answer(engine *e, enrich_job *j, int rc, const llm_reply *r, const char *err)
{
    j->need_llm = 0;
    e->n.retries_429 += r->retried_429;
    if (r->attempts > 0)
        e->n.llm_calls++;
    if (r->refused && r->attempts == 0) { /* never sent: the circuit opened meanwhile */
        e->n.circuit_open++;
        j->status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_CIRCUIT_OPEN;
        return 0;
    }
    if (rc != LLM_OK) {
        failed(e, j, err);
        return 0;
    }
    circuit_record(&e->breaker, 1, mono_ms());
    account(e, j, r);
    validate(e, j, r);
    if (j->have && store(e, j->key, &j->got) < 0)
        return -1;
    if (j->status == TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_INVALID_OUTPUT &&
        store_invalid(e, j->key) < 0)
        return -1;
    return 0;
}

int engine_share(engine *e, const enrich_job *from, enrich_job *to, int first)
{
    to->need_llm = 0;
    to->status = from->status;
    if (from->have)
        to->source = from->source; /* else the rules' enrichment stands */
    to->tokens_in = first ? from->tokens_in : 0;
    to->tokens_out = first ? from->tokens_out : 0;
    if (!first)
        e->n.llm_shared++;
    if (from->have) {
        if (finding_copy(&to->got, &from->got) < 0)
            return -1;
        to->have = 1;
    }
    return 0;
}

/* --- the Enrichment message ---------------------------------------------------- */

static char *astr(pj_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = pj_arena_alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static char **astrv(pj_arena *a, char *const *v, size_t n)
{
    char **out = pj_arena_alloc(a, (n ? n : 1) * sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if ((out[i] = astr(a, v[i])) == NULL)
            return NULL;
    return out;
}

static int put_techs(pj_arena *a, Tetragonsidekick__Enrichment *m, const finding *f)
{
    m->techniques = pj_arena_alloc(a, (size_t)(f->ntech ? f->ntech : 1) * sizeof *m->techniques);
    if (m->techniques == NULL)
        return -1;
    for (int i = 0; i < f->ntech; i++) {
        Tetragonsidekick__Technique *t = pj_arena_alloc(a, sizeof *t);
        if (t == NULL)
            return -1;
        tetragonsidekick__technique__init(t);
        if ((t->id = astr(a, f->tech[i].id)) == NULL ||
            (t->name = astr(a, f->tech[i].name)) == NULL ||
            (t->tactic = astr(a, f->tech[i].tactic)) == NULL)
            return -1;
        m->techniques[i] = t;
    }
    m->n_techniques = (size_t)f->ntech;
    return 0;
}

static int put_rules(pj_arena *a, Tetragonsidekick__Enrichment *m, const verdict *v)
{
    m->rules = pj_arena_alloc(a, (v->nmatched ? v->nmatched : 1) * sizeof *m->rules);
    if (m->rules == NULL)
        return -1;
    for (size_t i = 0; i < v->nmatched; i++)
        if ((m->rules[i] = astr(a, v->matched[i]->name)) == NULL)
            return -1;
    m->n_rules = v->nmatched;
    return 0;
}

static Tetragonsidekick__Enrichment *build(engine *e, pj_arena *a, const finding *f,
                                           const verdict *v, const char *fp, const enrich_job *o)
{
    Tetragonsidekick__Enrichment *m = pj_arena_alloc(a, sizeof *m);
    if (m == NULL)
        return NULL;
    tetragonsidekick__enrichment__init(m);
    m->severity = (Tetragonsidekick__Severity)f->severity;
    m->confidence = f->confidence;
    m->source = (Tetragonsidekick__Source)o->source;
    m->llm_status = (Tetragonsidekick__LlmStatus)o->status;
    m->tokens_in = o->tokens_in;
    m->tokens_out = o->tokens_out;
    if ((m->summary = astr(a, f->summary)) == NULL || (m->fingerprint = astr(a, fp)) == NULL ||
        put_techs(a, m, f) < 0 || put_rules(a, m, v) < 0 ||
        (m->indicators = astrv(a, f->indicators, (size_t)f->nind)) == NULL ||
        (m->next_steps = astrv(a, f->next, (size_t)f->nnext)) == NULL)
        return NULL;
    m->n_indicators = (size_t)f->nind;
    m->n_next_steps = (size_t)f->nnext;
    if (o->source != TETRAGONSIDEKICK__SOURCE__SOURCE_RULES) {
        if ((m->model = astr(a, e->c.model)) == NULL ||
            (m->prompt_version = astr(a, PROMPT_VERSION)) == NULL)
            return NULL;
    }
    return m;
}

/* The arguments of the event's process and parent as redacted for the
 * facts, kept in the arena when redaction changed them, so the event
 * itself is redacted without running the patterns a second time. */
static int keep_redacted(engine *e, const facts *raw, const facts *red, enrich_job *j)
{
    if (!e->c.redact_event)
        return 0;
    if (raw->f[F_ARGS] != red->f[F_ARGS] && (j->red_args = astr(j->a, red->f[F_ARGS])) == NULL)
        return -1;
    if (raw->f[F_PARENT_ARGS] != red->f[F_PARENT_ARGS] &&
        (j->red_pargs = astr(j->a, red->f[F_PARENT_ARGS])) == NULL)
        return -1;
    return 0;
}

/* Redact the event itself: the arguments of its process and parent with
 * what the facts already hold, then everything else that can carry a
 * secret (environments, other processes, traced-call arguments) through
 * redact_event_tree.  Returns 0 or -1 (out of memory). */
static int redact_event(engine *e, enrich_job *j)
{
    if (!e->c.redact_event)
        return 0;
    Tetragon__Process *p = NULL, *q = NULL;
    const tetra_event *ev = j->ev;
    switch (ev->event_case) {
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC:
        p = ev->process_exec->process;
        q = ev->process_exec->parent;
        break;
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT:
        p = ev->process_exit->process;
        q = ev->process_exit->parent;
        break;
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE:
        p = ev->process_kprobe->process;
        q = ev->process_kprobe->parent;
        break;
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT:
        p = ev->process_tracepoint->process;
        q = ev->process_tracepoint->parent;
        break;
    default:
        break;
    }
    if (p && j->red_args)
        p->arguments = j->red_args;
    if (q && j->red_pargs)
        q->arguments = j->red_pargs;
    const void *done[] = {p, q};
    unsigned n = 0;
    int rc = redact_event_tree(e->red, j->a, (ProtobufCMessage *)ev, done, 2, &n);
    e->n.redactions += n;
    j->event_changed = n > 0 || (p && j->red_args) || (q && j->red_pargs);
    return rc;
}

/* --- one event ---------------------------------------------------------------- */

int engine_begin(engine *e, pj_arena *a, tetra_event *ev, enrich_job *j, char *err, size_t errlen)
{
    facts fx, red;
    memset(j, 0, sizeof *j);
    j->a = a;
    j->ev = ev;
    j->t0 = mono_ms();
    int rc = facts_from_event(ev, &fx, &e->st);
    if (rc == 0) {
        rules_eval(&e->rules, &fx, &j->v);
        rc = redact_facts(e, &fx, &red);
        if (rc == 0)
            rc = keep_redacted(e, &fx, &red, j);
    }
    buf_reset(&e->summary);
    if (rc < 0 || rules_summary(&j->v, &red, &e->summary) < 0 || buf_putc(&e->summary, '\0') < 0 ||
        fp_compute(&red, &e->scratch, j->fp) < 0 ||
        rules_finding(&j->v, e->summary.p, &j->rf) < 0 || llm_path(e, &red, e->summary.p, j) < 0) {
        snprintf(err, errlen, "out of memory while enriching");
        return -1;
    }
    return 0;
}

static void job_free(enrich_job *j)
{
    finding_free(&j->rf);
    if (j->have)
        finding_free(&j->got);
    free(j->data);
    j->data = NULL;
    j->have = 0;
}

void engine_discard(enrich_job *j)
{
    job_free(j);
}

int engine_end(engine *e, enrich_job *j, Tetragonsidekick__EnrichedEvent **out, char *err,
               size_t errlen)
{
    Tetragonsidekick__EnrichedEvent *ee = pj_arena_alloc(j->a, sizeof *ee);
    Tetragonsidekick__Enrichment *m = NULL;
    int rc = ee ? 0 : -1;
    if (rc == 0 && j->have)
        rc = merge(&j->rf, &j->got);
    if (rc == 0 && (m = build(e, j->a, j->have ? &j->got : &j->rf, &j->v, j->fp, j)) == NULL)
        rc = -1;
    if (rc == 0)
        rc = redact_event(e, j);
    job_free(j);
    if (rc < 0) {
        snprintf(err, errlen, "out of memory while enriching");
        return -1;
    }
    tetragonsidekick__enriched_event__init(ee);
    ee->event = j->ev;
    ee->enrichment = m;
    int sev = (int)m->severity;
    e->n.sev[sev >= 0 && sev <= SEV_CRITICAL ? sev : 0]++;
    m->latency_ms = (uint32_t)(mono_ms() - j->t0);
    *out = ee;
    return 0;
}

/* --- counters -------------------------------------------------------------------- */

static const char *const counter_names[] = {
    "llm_calls",    "llm_ok",         "llm_errors",       "invalid_output", "cache_hits",
    "cache_misses", "skipped_policy", "budget_exhausted", "rate_limited",   "circuit_open",
    "tokens_in",    "tokens_out",     "redactions",       "retries_429",    "llm_shared",
    "sev_info",     "sev_low",        "sev_medium",       "sev_high",       "sev_critical",
};

int engine_stats_declare(stats *st)
{
    for (size_t i = 0; i < sizeof counter_names / sizeof counter_names[0]; i++)
        if (stats_declare(st, counter_names[i]) < 0)
            return -1;
    return 0;
}

void engine_stats(const engine *e, stats *st)
{
    const counters *n = &e->n;
    const uint64_t v[] = {
        n->llm_calls,    n->llm_ok,          n->llm_errors,     n->llm_invalid,
        n->cache_hits,   n->cache_misses,    n->skipped_policy, n->budget_exhausted,
        n->rate_limited, n->circuit_open,    n->tokens_in,      n->tokens_out,
        n->redactions,   n->retries_429,     n->llm_shared,     n->sev[SEV_INFO],
        n->sev[SEV_LOW], n->sev[SEV_MEDIUM], n->sev[SEV_HIGH],  n->sev[SEV_CRITICAL]};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        stats_add(st, counter_names[i], v[i]);
}

double engine_cost(const engine *e)
{
    return ((double)e->n.tokens_in * e->c.price_in + (double)e->n.tokens_out * e->c.price_out) /
           1e6;
}

void engine_list_rules(FILE *fp)
{
    for (size_t i = 0; rules_builtin[i] != NULL; i++)
        fprintf(fp, "%s\n", rules_builtin[i]);
}
