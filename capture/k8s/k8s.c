/* k8s.c - the --k8s loop: configuration, pod slots, delivery positions.
 *
 * One thread, one curl multi: the pod watch and every log stream are
 * transfers in it, and their write callbacks hand complete lines to
 * record_handle() as they arrive, so the same outputs and dead-letter file
 * get them as with stdin.  Each handled line queues (events written so
 * far, pod, position); once the output says that many events are
 * delivered, the pod's delivered position moves there and --state saves it
 * about once a second and at the end, after the final flush.  In-memory
 * reconnects resume from what was passed on (the output keeps it); a
 * restarted tetra-capture resumes from what was delivered. */
#include "k8s.h"
#include "util/msg.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SYNC_INTERVAL_MS 1000
#define POLL_MS 200

unsigned k8s_backoff(unsigned cur, unsigned cap)
{
    unsigned next = cur == 0 ? 500 : cur * 2;
    return next > cap ? cap : next;
}

/* --- pod slots ------------------------------------------------------------ */

k8s_pod *k8s_pod_find(k8s *k, const char *uid)
{
    for (size_t i = 0; i < k->npods; i++)
        if (k->pods[i]->used && strcmp(k->pods[i]->uid, uid) == 0)
            return k->pods[i];
    return NULL;
}

static k8s_pod *free_slot(k8s *k)
{
    for (size_t i = 0; i < k->npods; i++)
        if (!k->pods[i]->used)
            return k->pods[i];
    k8s_pod **np = realloc(k->pods, (k->npods + 1) * sizeof(*np));
    if (np == NULL)
        return NULL;
    k->pods = np;
    k8s_pod *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->slot = k->npods;
    k->pods[k->npods++] = p;
    return p;
}

/* Start from the saved position of this pod's stream, if --state has one. */
static void restore(k8s *k, k8s_pod *p)
{
    for (size_t i = 0; i < k->nsaved; i++) {
        kube_pos *s = &k->saved[i];
        if (strcmp(s->uid, p->uid) != 0 || strcmp(s->container, k->container) != 0)
            continue;
        p->pos.ts = p->dts = s->ts;
        p->pos.count = p->dcount = s->count;
        k->saved[i] = k->saved[--k->nsaved];
        return;
    }
}

k8s_pod *k8s_pod_add(k8s *k, const char *uid)
{
    char err[256];
    k8s_pod *p = free_slot(k);
    if (p == NULL) {
        errorf("out of memory");
        return NULL;
    }
    unsigned gen = p->gen + 1;
    size_t slot = p->slot;
    buf line = p->line, eb = p->errbody;
    input *in = p->in;
    memset(p, 0, sizeof(*p));
    p->gen = gen;
    p->slot = slot;
    p->line = line;
    p->errbody = eb;
    p->used = 1;
    snprintf(p->uid, sizeof(p->uid), "%s", uid);
    p->in = in != NULL ? in : input_open_named(p->source, err, sizeof(err));
    if (p->in == NULL) {
        errorf("%s", err);
        p->used = 0;
        return NULL;
    }
    restore(k, p);
    return p;
}

void k8s_pod_remove(k8s *k, k8s_pod *p)
{
    k8s_logs_close(k, p);
    if (p->used)
        notef("%s: gone", p->source);
    p->used = 0;
    p->wanted = 0;
    k->dirty = 1;
}

/* --- delivery positions and --state -------------------------------------- */

static void apply_delivered(k8s *k)
{
    uint64_t done = output_done(k->c->out);
    follow_pos unused;
    (void)ckpt_pop_done(&k->c->ckpts, output_written(k->c->out), &unused);
    while (k->qlen > 0 && k->q[k->qhead].n <= done) {
        k8s_pend *e = &k->q[k->qhead];
        k8s_pod *p = k->pods[e->slot];
        if (p->used && p->gen == e->gen) {
            p->dts = e->ts;
            p->dcount = e->count;
            k->dirty = 1;
        }
        k->qhead = (k->qhead + 1) % k->qcap;
        k->qlen--;
    }
}

static int save(k8s *k)
{
    char err[512];
    const char *path = k->c->opts->state;
    if (path == NULL || !k->dirty || !k->listed)
        return 0;
    kube_pos *v = calloc(k->npods + 1, sizeof(*v));
    size_t n = 0;
    if (v == NULL) {
        errorf("out of memory");
        return -1;
    }
    for (size_t i = 0; i < k->npods; i++) {
        k8s_pod *p = k->pods[i];
        if (!p->used || p->dcount == 0)
            continue;
        snprintf(v[n].uid, sizeof(v[n].uid), "%s", p->uid);
        snprintf(v[n].container, sizeof(v[n].container), "%s", k->container);
        snprintf(v[n].name, sizeof(v[n].name), "%s/%s", k->ns, p->name);
        v[n].ts = p->dts;
        v[n++].count = p->dcount;
    }
    int rc = kube_state_save(path, v, n, err, sizeof(err));
    free(v);
    if (rc < 0) {
        errorf("saving the stream positions: %s", err);
        return -1;
    }
    k->dirty = 0;
    return 0;
}

static int sync_out(k8s *k, int save_too)
{
    char err[512];
    if (output_sync(k->c->out, 0, err, sizeof(err)) < 0) {
        errorf("%s", err);
        return -1;
    }
    k->handled = 0;
    apply_delivered(k);
    return save_too ? save(k) : 0;
}

/* --- configuration ------------------------------------------------------- */

/* The service account directory: TETRA_K8S_SA_DIR when set (tests, and
 * pods that mount the token somewhere else), else where the kubelet puts it. */
static const char *sa_dir(void)
{
    const char *d = getenv("TETRA_K8S_SA_DIR");
    return d != NULL && d[0] != '\0' ? d : KUBE_SA_DIR;
}

static int load_conf(const capture_opts *o, kube_conf *kc)
{
    char err[1024], home[1024];
    const char *path = o->kubeconfig, *env = getenv("KUBECONFIG");
    if (path == NULL && getenv("KUBERNETES_SERVICE_HOST") != NULL) {
        if (kube_conf_in_cluster(kc, sa_dir(), err, sizeof(err)) == 0)
            return 0;
        errorf("in-cluster configuration: %s", err);
        return -1;
    }
    if (path == NULL && env != NULL && env[0] != '\0') {
        snprintf(home, sizeof(home), "%.*s", (int)strcspn(env, ":"), env);
        path = home;
    } else if (path == NULL) {
        const char *h = getenv("HOME");
        snprintf(home, sizeof(home), "%s/.kube/config", h != NULL ? h : "");
        path = home;
    }
    if (kube_conf_load(kc, path, err, sizeof(err)) == 0)
        return 0;
    errorf("kubeconfig: %s", err);
    return -1;
}

static int k8s_open(k8s *k, capture *c)
{
    const capture_opts *o = c->opts;
    char err[1024];
    kube_conf kc;
    k->c = c;
    /* never NULL: cli.c's option table gives each its default */
    k->ns = o->k8s_namespace;
    k->selector = o->k8s_selector;
    k->container = o->k8s_container;
    if (kube_escape(k->selector, k->selector_q, sizeof(k->selector_q)) < 0) {
        errorf("--selector is too long");
        return -1;
    }
    if (o->state != NULL &&
        kube_state_load(o->state, &k->saved, &k->nsaved, err, sizeof(err)) < 0) {
        errorf("%s", err);
        return -1;
    }
    if (load_conf(o, &kc) < 0)
        return -1;
    if ((k->api = kube_client_new(&kc, err, sizeof(err))) == NULL) {
        kube_conf_free(&kc);
        errorf("%s", err);
        return -1;
    }
    if ((k->multi = curl_multi_init()) == NULL) {
        errorf("out of memory");
        return -1;
    }
    notef("following %s pods (%s), container %s, at %s", k->ns, k->selector, k->container,
          kube_client_server(k->api));
    return 0;
}

void k8s_close(k8s *k)
{
    k8s_watch_close(k);
    for (size_t i = 0; i < k->npods; i++) {
        k8s_logs_close(k, k->pods[i]);
        buf_free(&k->pods[i]->line);
        buf_free(&k->pods[i]->errbody);
        input_close(k->pods[i]->in);
        free(k->pods[i]);
    }
    free(k->pods);
    if (k->multi != NULL)
        curl_multi_cleanup(k->multi);
    kube_client_free(k->api);
    buf_free(&k->wbuf);
    free(k->q);
    free(k->saved);
}

/* --- the loop ------------------------------------------------------------ */

static void start_streams(k8s *k, uint64_t now)
{
    for (size_t i = 0; i < k->npods; i++) {
        k8s_pod *p = k->pods[i];
        if (!p->used)
            continue;
        if (p->close_at != 0 && now >= p->close_at) {
            k8s_pod_remove(k, p);
            continue;
        }
        if (p->wanted && p->h == NULL && now >= p->retry_at && k8s_logs_start(k, p) < 0) {
            p->backoff = k8s_backoff(p->backoff, 8000);
            p->retry_at = now + p->backoff;
        }
    }
}

static k8s_pod *pod_of(k8s *k, CURL *h)
{
    for (size_t i = 0; i < k->npods; i++)
        if (k->pods[i]->h == h)
            return k->pods[i];
    return NULL;
}

static void reap(k8s *k)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(k->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *h = m->easy_handle;
        CURLcode rc = m->data.result;
        if (h == k->wh) {
            k8s_watch_done(k, rc);
            continue;
        }
        k8s_pod *p = pod_of(k, h);
        if (p != NULL) {
            k8s_logs_done(k, p, rc);
            if (p->close_at != 0)
                k8s_pod_remove(k, p);
        }
    }
}

static int turn(k8s *k, uint64_t *last_sync)
{
    int running;
    uint64_t now = mono_ms();
    if (k8s_watch_step(k, now) < 0)
        return -1;
    start_streams(k, now);
    if (curl_multi_perform(k->multi, &running) != CURLM_OK) {
        errorf("libcurl multi failed");
        return -1;
    }
    reap(k);
    if (k->fatal)
        return -1;
    now = mono_ms();
    int due = now - *last_sync >= SYNC_INTERVAL_MS;
    if (due)
        *last_sync = now;
    if ((due || k->handled > 0) && sync_out(k, due) < 0)
        return -1;
    if (curl_multi_poll(k->multi, NULL, 0, POLL_MS, NULL) != CURLM_OK) {
        errorf("libcurl multi poll failed");
        return -1;
    }
    return 0;
}

int k8s_capture(capture *c, int (*finish)(capture *, int))
{
    k8s k;
    memset(&k, 0, sizeof(k));
    int status = EXIT_OK;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        errorf("libcurl initialisation failed");
        return finish(c, EXIT_RUNTIME);
    }
    if (k8s_open(&k, c) < 0)
        status = EXIT_RUNTIME;
    else {
        uint64_t last_sync = mono_ms();
        while (!*c->stop)
            if (turn(&k, &last_sync) < 0) {
                status = EXIT_RUNTIME;
                break;
            }
        k8s_watch_close(&k);
        for (size_t i = 0; i < k.npods; i++)
            k8s_logs_close(&k, k.pods[i]);
    }
    status = finish(c, status);
    apply_delivered(&k);
    if (k.multi != NULL && save(&k) < 0)
        status = EXIT_RUNTIME;
    k8s_close(&k);
    curl_global_cleanup();
    return status;
}
