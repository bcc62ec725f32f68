/* incident_out.c - build and encode incident records; see incident_out.h.
 *
 * The protobuf-c message borrows the incident's strings and lives in an
 * arena the caller resets per record, so writing a record allocates
 * nothing that outlives it.  The story's words win over the rules' when
 * the LLM wrote one; its severity was already merged (never below the
 * rules'). */
#include <string.h>
#include "incident_out.h"

static char *astr(pj_arena *a, const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *p = pj_arena_alloc(a, n);
    if (p)
        memcpy(p, s ? s : "", n);
    return p;
}

static Google__Protobuf__Timestamp *stamp(pj_arena *a, int64_t sec, int32_t nanos)
{
    Google__Protobuf__Timestamp *t = pj_arena_alloc(a, sizeof *t);
    if (t == NULL)
        return NULL;
    google__protobuf__timestamp__init(t);
    t->seconds = sec;
    t->nanos = nanos;
    return t;
}

static Tetragonsidekick__IncidentEvent *event_msg(const inc_event *x, pj_arena *a)
{
    Tetragonsidekick__IncidentEvent *m = pj_arena_alloc(a, sizeof *m);
    if (m == NULL)
        return NULL;
    tetragonsidekick__incident_event__init(m);
    m->time = stamp(a, x->sec, x->nanos);
    m->kind = x->kind;
    m->exec_id = x->exec_id;
    m->parent_exec_id = x->parent_exec_id;
    m->binary = x->binary;
    m->arguments = x->arguments;
    m->function = x->function;
    m->severity = (Tetragonsidekick__Severity)x->severity;
    size_t n = 0;
    for (const char *p = x->rules; *p; n++)
        p += strcspn(p, " ") + (p[strcspn(p, " ")] ? 1 : 0);
    m->rules = pj_arena_alloc(a, (n ? n : 1) * sizeof *m->rules);
    if (m->time == NULL || m->rules == NULL)
        return NULL;
    const char *p = x->rules;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(p, " ");
        char *r = pj_arena_alloc(a, len + 1);
        if (r == NULL)
            return NULL;
        memcpy(r, p, len);
        r[len] = '\0';
        m->rules[i] = r;
        p += len + (p[len] ? 1 : 0);
    }
    m->n_rules = n;
    return m;
}

static int put_techs(Tetragonsidekick__Incident *m, const technique *t, int n, pj_arena *a)
{
    m->techniques = pj_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *m->techniques);
    if (m->techniques == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        Tetragonsidekick__Technique *x = pj_arena_alloc(a, sizeof *x);
        if (x == NULL)
            return -1;
        tetragonsidekick__technique__init(x);
        x->id = (char *)t[i].id;
        x->name = (char *)t[i].name;
        x->tactic = (char *)t[i].tactic;
        m->techniques[i] = x;
    }
    m->n_techniques = (size_t)n;
    return 0;
}

int incident_rules_summary(const incident *in, buf *out)
{
    buf_reset(out);
    int rc =
        buf_printf(out, "In %s/%s: ", in->ns[0] ? in->ns : "host", in->pod[0] ? in->pod : in->node);
    for (int i = 0; rc == 0 && i < in->nseq; i++)
        rc = buf_printf(out, "%s ", in->seq_summary[i]);
    if (rc == 0 && in->top_summary)
        rc = buf_puts(out, in->top_summary);
    if (rc == 0)
        rc = buf_printf(out, " (%llu events)", (unsigned long long)in->count);
    return rc < 0 ? -1 : buf_putc(out, '\0');
}

/* The story's lists: touched (indicators), next steps, and the intent as
 * the tactics its techniques name. */
static int put_story(Tetragonsidekick__Incident *m, const inc_story *s, pj_arena *a)
{
    const finding *f = &s->f;
    m->touched = pj_arena_alloc(a, (size_t)(f->nind ? f->nind : 1) * sizeof(char *));
    m->next_steps = pj_arena_alloc(a, (size_t)(f->nnext ? f->nnext : 1) * sizeof(char *));
    if (m->touched == NULL || m->next_steps == NULL)
        return -1;
    for (int i = 0; i < f->nind; i++)
        m->touched[i] = f->indicators[i];
    for (int i = 0; i < f->nnext; i++)
        m->next_steps[i] = f->next[i];
    m->n_touched = (size_t)f->nind;
    m->n_next_steps = (size_t)f->nnext;
    buf b = BUF_INIT;
    int rc = 0;
    for (int i = 0; rc == 0 && i < f->ntech; i++)
        if (f->tech[i].tactic[0] && (b.p == NULL || strstr(b.p, f->tech[i].tactic) == NULL))
            rc = buf_printf(&b, "%s%s", b.len ? ", " : "", f->tech[i].tactic);
    m->intent = rc == 0 ? astr(a, b.p) : NULL;
    buf_free(&b);
    m->summary = f->summary;
    return m->intent ? 0 : -1;
}

static int put_words(Tetragonsidekick__Incident *m, const incident *in, const char *model,
                     pj_arena *a)
{
    m->source =
        (Tetragonsidekick__Source)(in->story.source ? in->story.source
                                                    : TETRAGONSIDEKICK__SOURCE__SOURCE_RULES);
    m->llm_status =
        (Tetragonsidekick__LlmStatus)(in->story.llm_status
                                          ? in->story.llm_status
                                          : TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_DISABLED);
    if (in->story.have) {
        m->model = astr(a, model);
        return m->model && put_story(m, &in->story, a) == 0 ? 0 : -1;
    }
    buf b = BUF_INIT;
    int rc = incident_rules_summary(in, &b);
    m->summary = rc == 0 ? astr(a, b.p) : NULL;
    buf_free(&b);
    return m->summary ? 0 : -1;
}

Tetragonsidekick__IncidentRecord *incident_record(const incident *in, const char *cluster,
                                                  const char *model, pj_arena *a)
{
    Tetragonsidekick__IncidentRecord *r = pj_arena_alloc(a, sizeof *r);
    Tetragonsidekick__Incident *m = pj_arena_alloc(a, sizeof *m);
    if (r == NULL || m == NULL)
        return NULL;
    tetragonsidekick__incident_record__init(r);
    tetragonsidekick__incident__init(m);
    r->incident = m;
    m->id = (char *)in->id;
    m->cluster = astr(a, cluster);
    m->node = in->node;
    m->namespace_ = in->ns;
    m->pod = in->pod;
    m->workload = in->workload;
    m->root_exec_id = in->root_exec_id;
    m->status = (Tetragonsidekick__IncidentStatus)in->status;
    m->first_time = stamp(a, in->first_sec, in->first_nanos);
    m->last_time = stamp(a, in->last_sec, in->last_nanos);
    m->event_count = in->count;
    m->events_omitted = in->omitted;
    m->severity = (Tetragonsidekick__Severity)in->severity;
    m->version = in->version;
    m->fingerprint = pj_arena_alloc(a, 17);
    m->events = pj_arena_alloc(a, (in->nev ? in->nev : 1) * sizeof *m->events);
    m->sequences = pj_arena_alloc(a, (size_t)(in->nseq ? in->nseq : 1) * sizeof *m->sequences);
    if (!m->cluster || !m->first_time || !m->last_time || !m->fingerprint || !m->events ||
        !m->sequences)
        return NULL;
    inc_fingerprint(in, m->fingerprint);
    for (size_t i = 0; i < in->nev; i++)
        if ((m->events[i] = event_msg(&in->ev[i], a)) == NULL)
            return NULL;
    m->n_events = in->nev;
    for (int i = 0; i < in->nseq; i++)
        m->sequences[i] = (char *)in->seq[i];
    m->n_sequences = (size_t)in->nseq;
    const technique *t = in->story.have ? in->story.f.tech : in->tech;
    int nt = in->story.have ? in->story.f.ntech : in->ntech;
    if (put_techs(m, t, nt, a) < 0 || put_words(m, in, model, a) < 0)
        return NULL;
    return r;
}

int incident_encode(const Tetragonsidekick__IncidentRecord *rec, int proto, buf *out)
{
    buf_reset(out);
    if (!proto)
        return pj_encode(&rec->base, out) < 0 || buf_putc(out, '\n') < 0 ? -1 : 0;
    size_t n = protobuf_c_message_get_packed_size(&rec->base);
    if (buf_reserve(out, n) < 0)
        return -1;
    protobuf_c_message_pack(&rec->base, (uint8_t *)out->p);
    out->len = n;
    return 0;
}
