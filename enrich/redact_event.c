/* redact_event.c - the redactor over the fields of an event (see
 * redact_event.h).
 *
 * The event is walked through protobuf-c's descriptors rather than by
 * naming each event kind: Tetragon adds kinds and argument types, and a
 * walker that finds Process and KprobeArgument messages wherever they sit
 * needs no change when it does.  Inside an argument every string is text
 * a workload chose (a path, a buffer, a command), so all of them go
 * through the redactor; outside, only a Process's arguments and
 * environment do, as the rest (pod names, labels, ids) is named by the
 * platform.  An environment variable is redacted as "KEY=VALUE" so that
 * the redactor's secret-key rule sees the key.  redact_view() returns its
 * input when nothing matched, so the common case copies nothing. */
#include "redact_event.h"

#include <string.h>

#include "tetragon/tetragon.pb-c.h"
#include "codec/utf8.h"

typedef struct walk {
    redactor *r;
    pj_arena *a;
    const void *const *skip;
    size_t nskip;
    unsigned *count;
} walk;

static char *arena_copy(pj_arena *a, const char *s, size_t n)
{
    char *p = pj_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* *s redacted; replaced by an arena copy only when it changed. */
static int redact_str(walk *w, char **s)
{
    if (!*s || !**s)
        return 0;
    const char *res = redact_view(w->r, *s, w->count);
    if (!res)
        return -1;
    if (res == *s)
        return 0;
    char *copy = arena_copy(w->a, res, strlen(res));
    if (!copy)
        return -1;
    *s = copy;
    return 0;
}

static int is_text(const ProtobufCBinaryData *b)
{
    for (size_t i = 0; i < b->len;) {
        size_t k = b->data[i] ? utf8_seq_len(b->data + i, b->len - i) : 0;
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* Bytes that are text are redacted as text; binary stays as it is (the
 * patterns are for text, and a rewrite could break a structure). */
static int redact_bytes(walk *w, ProtobufCBinaryData *b)
{
    if (b->len == 0 || !is_text(b))
        return 0;
    char *text = arena_copy(w->a, (const char *)b->data, b->len);
    if (!text)
        return -1;
    const char *res = redact_view(w->r, text, w->count);
    if (!res)
        return -1;
    if (res == text)
        return 0;
    size_t n = strlen(res);
    char *copy = arena_copy(w->a, res, n);
    if (!copy)
        return -1;
    b->data = (uint8_t *)copy;
    b->len = n;
    return 0;
}

static int redact_env(walk *w, Tetragon__EnvVar *v)
{
    const char *key = v->key ? v->key : "";
    size_t klen = strlen(key);
    const char *val = v->value ? v->value : "";
    size_t vlen = strlen(val);
    char *kv = pj_arena_alloc(w->a, klen + vlen + 2);
    if (!kv)
        return -1;
    memcpy(kv, key, klen);
    kv[klen] = '=';
    memcpy(kv + klen + 1, val, vlen + 1);
    const char *res = redact_view(w->r, kv, w->count);
    if (!res)
        return -1;
    if (res == kv)
        return 0;
    /* Keep the key as it was when the redactor left it; otherwise the
     * whole redacted text becomes the value so nothing secret survives. */
    if (strncmp(res, key, klen) == 0 && res[klen] == '=')
        res += klen + 1;
    char *copy = arena_copy(w->a, res, strlen(res));
    if (!copy)
        return -1;
    v->value = copy;
    return 0;
}

static int skipped(const walk *w, const void *m)
{
    for (size_t i = 0; i < w->nskip; i++)
        if (w->skip[i] == m)
            return 1;
    return 0;
}

static int walk_msg(walk *w, ProtobufCMessage *m, int in_arg);

/* Whether field f of m holds a value: a oneof member only when chosen. */
static int present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return 1;
    return *(const uint32_t *)((const char *)m + f->quantifier_offset) == f->id;
}

static int walk_field(walk *w, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, int in_arg)
{
    char *at = (char *)m + f->offset;
    int repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
    size_t n = repeated ? *(size_t *)((char *)m + f->quantifier_offset) : 1;
    for (size_t i = 0; i < n; i++) {
        int rc = 0;
        switch (f->type) {
        case PROTOBUF_C_TYPE_MESSAGE: {
            ProtobufCMessage *sub =
                repeated ? (*(ProtobufCMessage ***)at)[i] : *(ProtobufCMessage **)at;
            if (sub)
                rc = walk_msg(w, sub, in_arg);
            break;
        }
        case PROTOBUF_C_TYPE_STRING:
            if (in_arg)
                rc = redact_str(w, repeated ? &(*(char ***)at)[i] : (char **)at);
            break;
        case PROTOBUF_C_TYPE_BYTES:
            if (in_arg)
                rc = redact_bytes(w, repeated ? &(*(ProtobufCBinaryData **)at)[i]
                                              : (ProtobufCBinaryData *)at);
            break;
        default:
            break;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int walk_process(walk *w, Tetragon__Process *p)
{
    if (!skipped(w, p) && redact_str(w, &p->arguments) < 0)
        return -1;
    for (size_t i = 0; i < p->n_environment_variables; i++)
        if (p->environment_variables[i] && redact_env(w, p->environment_variables[i]) < 0)
            return -1;
    return 0;
}

static int walk_msg(walk *w, ProtobufCMessage *m, int in_arg)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (d == &tetragon__process__descriptor)
        return walk_process(w, (Tetragon__Process *)m);
    if (d == &tetragon__kprobe_argument__descriptor)
        in_arg = 1;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (present(m, f) && walk_field(w, m, f, in_arg) < 0)
            return -1;
    }
    return 0;
}

int redact_event_tree(redactor *r, pj_arena *a, ProtobufCMessage *m, const void *const *skip,
                      size_t nskip, unsigned *count)
{
    walk w = {r, a, skip, nskip, count};
    return m ? walk_msg(&w, m, 0) : 0;
}
