/* extract.c - the only enrich file that knows Tetragon's schema: it maps a
 * decoded GetEventsResponse onto the flat facts the rules and the
 * fingerprint use.
 *
 * Kprobe and tracepoint arguments are rendered as short text ("file
 * /etc/shadow", "sock tcp 10.0.0.1:40000 -> 1.2.3.4:4444", "cap
 * CAP_SYS_ADMIN") joined by " | ", so one rules-file regex can match any
 * argument type without a field per kind.  Byte arguments are left out:
 * they are payloads, not behaviour, and may carry secrets. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "extract.h"

static const char *s_or_empty(const char *s)
{
    return s ? s : "";
}

/* v in decimal into out (at least 11 bytes), NUL-terminated. */
static void u32_text(char *out, uint32_t v)
{
    char tmp[10];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0)
        *out++ = tmp[--n];
    *out = '\0';
}

static const char *cap_name(Tetragon__CapabilitiesType c)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&tetragon__capabilities_type__descriptor, (int)c);
    return v ? v->name : "CAP_UNKNOWN";
}

static int put_caps(buf *b, size_t n, const Tetragon__CapabilitiesType *v)
{
    for (size_t i = 0; i < n; i++)
        if ((b->len && buf_putc(b, ' ') < 0) || buf_puts(b, cap_name(v[i])) < 0)
            return -1;
    return 0;
}

/* Append the NULL-terminated list of strings (a NULL string counts as
 * empty) and then, when num >= 0, num in decimal: the pieces of one
 * argument's text, without printf on the per-event path. */
static int put_parts(buf *b, const char *const *parts, int64_t num)
{
    for (; *parts != NULL; parts++)
        if (buf_puts(b, *parts) < 0)
            return -1;
    return num >= 0 ? buf_put_i64(b, num) : 0;
}

#define PARTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static int put_path(buf *b, const char *kind, const char *path, const char *perm)
{
    int has_perm = perm && *perm;
    return put_parts(
        b, PARTS(kind, " ", s_or_empty(path), has_perm ? " " : "", has_perm ? perm : ""), -1);
}

static int put_sock(buf *b, const Tetragon__KprobeSock *s)
{
    if (put_parts(b, PARTS("sock ", s_or_empty(s->protocol), " ", s_or_empty(s->saddr), ":"),
                  s->sport) < 0)
        return -1;
    return put_parts(b, PARTS(" -> ", s_or_empty(s->daddr), ":"), s->dport);
}

/* Render one argument; arguments we do not describe are skipped. */
static int put_karg(buf *b, const Tetragon__KprobeArgument *a)
{
    switch (a->arg_case) {
    case TETRAGON__KPROBE_ARGUMENT__ARG_STRING_ARG:
        return put_parts(b, PARTS("string ", s_or_empty(a->string_arg)), -1);
    case TETRAGON__KPROBE_ARGUMENT__ARG_INT_ARG:
        return put_parts(b, PARTS("int "), -1) < 0 ? -1 : buf_put_i64(b, a->int_arg);
    case TETRAGON__KPROBE_ARGUMENT__ARG_UINT_ARG:
        return put_parts(b, PARTS("uint "), a->uint_arg);
    case TETRAGON__KPROBE_ARGUMENT__ARG_FILE_ARG:
        return put_path(b, "file", a->file_arg->path, a->file_arg->permission);
    case TETRAGON__KPROBE_ARGUMENT__ARG_PATH_ARG:
        return put_path(b, "path", a->path_arg->path, a->path_arg->permission);
    case TETRAGON__KPROBE_ARGUMENT__ARG_LINUX_BINPRM_ARG:
        return put_path(b, "binprm", a->linux_binprm_arg->path, a->linux_binprm_arg->permission);
    case TETRAGON__KPROBE_ARGUMENT__ARG_SOCK_ARG:
        return put_sock(b, a->sock_arg);
    case TETRAGON__KPROBE_ARGUMENT__ARG_SOCKADDR_ARG:
        return put_parts(b,
                         PARTS("sockaddr ", s_or_empty(a->sockaddr_arg->family), " ",
                               s_or_empty(a->sockaddr_arg->addr), ":"),
                         a->sockaddr_arg->port);
    case TETRAGON__KPROBE_ARGUMENT__ARG_MODULE_ARG:
        return put_parts(b, PARTS("module ", s_or_empty(a->module_arg->name)), -1);
    case TETRAGON__KPROBE_ARGUMENT__ARG_CAPABILITY_ARG:
        return put_parts(b, PARTS("cap ", s_or_empty(a->capability_arg->name)), -1);
    case TETRAGON__KPROBE_ARGUMENT__ARG_CRED_ARG:
        if (buf_puts(b, "cred ") < 0)
            return -1;
        return put_caps(b, a->cred_arg->n_effective, a->cred_arg->effective);
    case TETRAGON__KPROBE_ARGUMENT__ARG_CAP_EFFECTIVE_ARG:
        return put_parts(b, PARTS("caps ", s_or_empty(a->cap_effective_arg)), -1);
    case TETRAGON__KPROBE_ARGUMENT__ARG_KERNEL_CAP_T_ARG:
        return put_parts(b, PARTS("caps ", s_or_empty(a->kernel_cap_t_arg)), -1);
    default:
        return 0;
    }
}

static int put_kargs(buf *b, size_t n, Tetragon__KprobeArgument *const *v)
{
    for (size_t i = 0; i < n; i++) {
        size_t before = b->len;
        if (before && buf_puts(b, " | ") < 0)
            return -1;
        size_t mark = b->len;
        if (put_karg(b, v[i]) < 0)
            return -1;
        if (b->len == mark) { /* nothing rendered: drop the separator too */
            b->len = before;
            if (b->p)
                b->p[before] = '\0';
        }
    }
    return 0;
}

static int ishashy(const char *s, size_t n)
{
    int digit = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
        if (isdigit((unsigned char)s[i]))
            digit = 1;
    }
    return digit || n == 5;
}

void workload_from_pod(const char *pod, char *out, size_t cap)
{
    size_t n = strlen(pod);
    for (int cut = 0; cut < 2; cut++) {
        const char *dash = NULL;
        for (size_t i = n; i > 0; i--)
            if (pod[i - 1] == '-') {
                dash = pod + i - 1;
                break;
            }
        if (dash == NULL || dash == pod)
            break;
        size_t tail = n - (size_t)(dash - pod) - 1;
        if (tail == 0 || tail > 10 || !ishashy(dash + 1, tail))
            break;
        n = (size_t)(dash - pod);
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(out, pod, n);
    out[n] = '\0';
}

static void pod_facts(const Tetragon__Process *p, facts *fx, facts_store *st)
{
    const Tetragon__Pod *pod = p->pod;
    if (pod == NULL) {
        fx->f[F_IN_CONTAINER] = (p->docker && *p->docker) ? "yes" : "no";
        return;
    }
    fx->f[F_IN_CONTAINER] = "yes";
    fx->f[F_NAMESPACE] = s_or_empty(pod->namespace_);
    fx->f[F_POD] = s_or_empty(pod->name);
    if (pod->workload && *pod->workload) {
        fx->f[F_WORKLOAD] = pod->workload;
    } else {
        workload_from_pod(s_or_empty(pod->name), st->workload, sizeof st->workload);
        fx->f[F_WORKLOAD] = st->workload;
    }
    const Tetragon__Container *c = pod->container;
    if (c == NULL)
        return;
    fx->f[F_CONTAINER] = s_or_empty(c->name);
    if (c->image)
        fx->f[F_IMAGE] = s_or_empty(c->image->name);
    fx->f[F_EXEC_PROBE] = c->maybe_exec_probe ? "yes" : "no";
    fx->f[F_CONTAINER_INIT] = (c->pid && c->pid->value == 1) ? "yes" : "no";
    if (c->security_context && c->security_context->privileged)
        fx->f[F_PRIVILEGED] = "yes";
}

static int process_facts(const Tetragon__Process *p, const Tetragon__Process *parent, facts *fx,
                         facts_store *st)
{
    if (p != NULL) {
        fx->f[F_BINARY] = s_or_empty(p->binary);
        fx->f[F_ARGS] = s_or_empty(p->arguments);
        fx->f[F_CWD] = s_or_empty(p->cwd);
        fx->f[F_FLAGS] = s_or_empty(p->flags);
        if (p->uid) {
            u32_text(st->uid, p->uid->value);
            fx->f[F_UID] = st->uid;
        }
        pod_facts(p, fx, st);
        if (p->cap && put_caps(&st->caps, p->cap->n_effective, p->cap->effective) < 0)
            return -1;
        fx->f[F_CAPS] = st->caps.p ? st->caps.p : "";
    }
    if (parent != NULL) {
        fx->f[F_PARENT] = s_or_empty(parent->binary);
        fx->f[F_PARENT_ARGS] = s_or_empty(parent->arguments);
    }
    return 0;
}

/* Pick the process, parent, function, policy and arguments of each kind. */
static int kind_facts(const tetra_event *ev, facts *fx, facts_store *st)
{
    switch (ev->event_case) {
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC:
        return process_facts(ev->process_exec->process, ev->process_exec->parent, fx, st);
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT:
        return process_facts(ev->process_exit->process, ev->process_exit->parent, fx, st);
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE: {
        const Tetragon__ProcessKprobe *k = ev->process_kprobe;
        fx->f[F_FUNCTION] = s_or_empty(k->function_name);
        fx->f[F_POLICY] = s_or_empty(k->policy_name);
        if (put_kargs(&st->kargs, k->n_args, k->args) < 0)
            return -1;
        return process_facts(k->process, k->parent, fx, st);
    }
    case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT: {
        const Tetragon__ProcessTracepoint *t = ev->process_tracepoint;
        fx->f[F_FUNCTION] = s_or_empty(t->event);
        fx->f[F_POLICY] = s_or_empty(t->policy_name);
        if (put_kargs(&st->kargs, t->n_args, t->args) < 0)
            return -1;
        return process_facts(t->process, t->parent, fx, st);
    }
    default:
        return 0;
    }
}

int facts_from_event(const tetra_event *ev, facts *fx, facts_store *st)
{
    facts_clear(fx);
    buf_reset(&st->kargs);
    buf_reset(&st->caps);
    buf_reset(&st->any);
    st->uid[0] = st->workload[0] = '\0';
    fx->f[F_IN_CONTAINER] = fx->f[F_EXEC_PROBE] = fx->f[F_CONTAINER_INIT] = "no";
    fx->f[F_PRIVILEGED] = "no";
    const char *kind = event_kind(ev);
    fx->f[F_KIND] = kind ? kind : "";
    if (kind_facts(ev, fx, st) < 0)
        return -1;
    fx->f[F_KARGS] = st->kargs.p ? st->kargs.p : "";
    if (buf_puts(&st->any, fx->f[F_BINARY]) < 0 || buf_putc(&st->any, ' ') < 0 ||
        buf_puts(&st->any, fx->f[F_ARGS]) < 0 || buf_puts(&st->any, " | ") < 0 ||
        buf_puts(&st->any, fx->f[F_KARGS]) < 0)
        return -1;
    fx->f[F_ANY] = st->any.p;
    return 0;
}

void facts_store_free(facts_store *st)
{
    buf_free(&st->kargs);
    buf_free(&st->caps);
    buf_free(&st->any);
}
