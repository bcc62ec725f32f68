/* k8s_watch.c - which pods to follow: list, then watch from the list's
 * resourceVersion.
 *
 * The list is one blocking call (it is small and rare: at start, after a
 * 410 Gone, after the watch could not be resumed); the watch is a transfer
 * in the shared curl multi whose body is one JSON event a line.  Bookmarks
 * only move the resourceVersion on.  A watch that ends (the server's
 * timeout, or a broken connection) is started again from the last
 * resourceVersion seen; "410 Gone" (too old) means list again.  Pods
 * missing from a fresh list were deleted while we were not watching. */
#include "k8s.h"
#include "util/msg.h"
#include "util/clock.h"
#include "util/hash.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_TIMEOUT_MS 30000L
#define WATCH_TIMEOUT_S 240
#define BACKOFF_CAP_MS 8000u
#define DELETE_GRACE_MS 2000

static const char *jstr(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b != NULL)
        v = json_object_get(v, b);
    return json_string_value(v);
}

static int in_shard(const k8s *k, const char *node)
{
    const capture_opts *o = k->c->opts;
    return o->shard_n == 0 || fnv1a32(node, strlen(node)) % o->shard_n == o->shard_i;
}

static void set_rv(k8s *k, json_t *obj)
{
    const char *rv = jstr(obj, "metadata", "resourceVersion");
    if (rv != NULL && strlen(rv) < sizeof(k->rv))
        snprintf(k->rv, sizeof(k->rv), "%s", rv);
}

/* An ADDED/MODIFIED pod, or one in a list. */
static int upsert(k8s *k, json_t *pod)
{
    const char *uid = jstr(pod, "metadata", "uid"), *name = jstr(pod, "metadata", "name");
    const char *node = jstr(pod, "spec", "nodeName"), *phase = jstr(pod, "status", "phase");
    /* a uid that does not fit a slot could never be found again (every
     * event would add a slot, and a second stream of the same pod): no
     * real pod has one (they are 36-byte UUIDs), so such an object is
     * ignored like one without a uid (found by fuzzing) */
    if (uid == NULL || name == NULL || strlen(uid) >= KUBE_UID_MAX)
        return 0;
    k8s_pod *p = k8s_pod_find(k, uid);
    if (p == NULL) {
        if ((p = k8s_pod_add(k, uid)) == NULL)
            return -1;
        snprintf(p->name, sizeof(p->name), "%s", name);
        snprintf(p->source, sizeof(p->source), "k8s:%s/%s", k->ns, name);
    }
    snprintf(p->node, sizeof(p->node), "%s", node != NULL ? node : "");
    p->seen = 1;
    int was = p->wanted;
    p->wanted = phase != NULL && strcmp(phase, "Running") == 0 && node != NULL &&
                in_shard(k, node) && p->close_at == 0;
    if (p->wanted && !was)
        p->retry_at = 0; /* a pod that (re)starts running is followed now */
    return 0;
}

/* A pod that is gone: its stream is closed after a short grace, so lines
 * already on their way still arrive. */
static void gone(k8s *k, k8s_pod *p)
{
    p->wanted = 0;
    if (p->h == NULL)
        k8s_pod_remove(k, p);
    else if (p->close_at == 0)
        p->close_at = mono_ms() + DELETE_GRACE_MS;
}

static int apply_list(k8s *k, json_t *list)
{
    json_t *items = json_object_get(list, "items"), *it;
    size_t i;
    for (size_t j = 0; j < k->npods; j++)
        k->pods[j]->seen = 0;
    json_array_foreach(items, i, it)
        if (upsert(k, it) < 0)
            return -1;
    for (size_t j = 0; j < k->npods; j++)
        if (k->pods[j]->used && !k->pods[j]->seen)
            gone(k, k->pods[j]);
    set_rv(k, list);
    k->listed = 1;
    k->relist = 0;
    return 0;
}

static void fail_later(k8s *k, const char *what)
{
    k->watch_backoff = k8s_backoff(k->watch_backoff, BACKOFF_CAP_MS);
    k->watch_at = mono_ms() + k->watch_backoff;
    errorf("%s; retrying in %u ms", what, k->watch_backoff);
}

static int list(k8s *k)
{
    char path[1024], err[1024], what[1200];
    buf body = BUF_INIT;
    long status;
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods?labelSelector=%s", k->ns,
             k->selector_q);
    int rc = kube_client_get(k->api, path, LIST_TIMEOUT_MS, &status, &body, err, sizeof(err));
    if (rc < 0 || status != 200) {
        if (rc < 0)
            snprintf(what, sizeof(what), "listing pods: %s", err);
        else
            kube_describe(status, body.p, body.len, "list", "pods", k->ns, what, sizeof(what));
        buf_free(&body);
        fail_later(k, what);
        return 1;
    }
    json_error_t je;
    json_t *j = json_loadb(body.p, body.len, 0, &je);
    buf_free(&body);
    if (j == NULL) {
        fail_later(k, "listing pods: the answer is not JSON");
        return 1;
    }
    if (k->listed)
        (void)stats_add(&k->c->st, "k8s_relists", 1);
    rc = apply_list(k, j);
    json_decref(j);
    return rc;
}

/* An ERROR event: 410 means the resourceVersion is too old, list again. */
static void watch_error(k8s *k, json_t *status)
{
    const char *msg = jstr(status, "message", NULL);
    if (json_integer_value(json_object_get(status, "code")) == 410) {
        k->relist = 1;
        notef("pod watch expired (410 Gone): listing again");
    } else
        warnf("pod watch: %s", msg != NULL ? msg : "error");
}

int k8s_watch_event(k8s *k, const char *line, size_t n)
{
    json_error_t je;
    json_t *ev = json_loadb(line, n, 0, &je);
    if (ev == NULL)
        return 0;
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");
    const char *uid = jstr(obj, "metadata", "uid");
    int rc = 0;
    if (type != NULL && strcmp(type, "ERROR") == 0)
        watch_error(k, obj);
    else if (type != NULL) {
        set_rv(k, obj); /* BOOKMARK: only this */
        if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0)
            rc = upsert(k, obj);
        else if (strcmp(type, "DELETED") == 0 && uid != NULL) {
            k8s_pod *p = k8s_pod_find(k, uid);
            if (p != NULL)
                gone(k, p);
        }
    }
    json_decref(ev);
    return rc;
}

static size_t on_watch(char *data, size_t size, size_t nmemb, void *userdata)
{
    k8s *k = userdata;
    size_t n = size * nmemb;
    if (k->wstatus == 0 &&
        curl_easy_getinfo(k->wh, CURLINFO_RESPONSE_CODE, &k->wstatus) != CURLE_OK)
        k->wstatus = -1;
    if (buf_append(&k->wbuf, data, n) < 0)
        return 0;
    if (k->wstatus != 200)
        return n;
    size_t at = 0;
    char *nl;
    while ((nl = memchr(k->wbuf.p + at, '\n', k->wbuf.len - at)) != NULL) {
        size_t len = (size_t)(nl - (k->wbuf.p + at));
        if (k8s_watch_event(k, k->wbuf.p + at, len) < 0) {
            k->fatal = 1;
            return 0;
        }
        at += len + 1;
    }
    memmove(k->wbuf.p, k->wbuf.p + at, k->wbuf.len - at);
    k->wbuf.len -= at;
    return n;
}

static int watch(k8s *k)
{
    char path[1200], err[512];
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/%s/pods?labelSelector=%s&watch=true&allowWatchBookmarks=true"
             "&resourceVersion=%s&timeoutSeconds=%d",
             k->ns, k->selector_q, k->rv, WATCH_TIMEOUT_S);
    if ((k->wh = curl_easy_init()) == NULL) {
        errorf("out of memory");
        return -1;
    }
    if (kube_client_setup(k->api, k->wh, path, &k->whdrs, err, sizeof(err)) < 0) {
        k8s_watch_close(k);
        fail_later(k, err);
        return 0;
    }
    CURLcode r = curl_easy_setopt(k->wh, CURLOPT_WRITEFUNCTION, on_watch);
    r |= curl_easy_setopt(k->wh, CURLOPT_WRITEDATA, k);
    if (r != CURLE_OK || curl_multi_add_handle(k->multi, k->wh) != CURLM_OK) {
        errorf("libcurl rejected the pod watch");
        k8s_watch_close(k);
        return -1;
    }
    k->wstatus = 0;
    buf_reset(&k->wbuf);
    return 0;
}

int k8s_watch_step(k8s *k, uint64_t now)
{
    if (k->wh != NULL || now < k->watch_at)
        return 0;
    if (!k->listed || k->relist) {
        int rc = list(k);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    return watch(k);
}

void k8s_watch_close(k8s *k)
{
    if (k->wh != NULL) {
        (void)curl_multi_remove_handle(k->multi, k->wh);
        curl_easy_cleanup(k->wh);
    }
    curl_slist_free_all(k->whdrs);
    k->wh = NULL;
    k->whdrs = NULL;
}

void k8s_watch_done(k8s *k, CURLcode rc)
{
    char what[1200];
    long status = k->wstatus;
    k8s_watch_close(k);
    if (status == 200 && rc == CURLE_OK) { /* the server's timeout: watch on at once */
        k->watch_backoff = 0;
        k->watch_at = 0;
        return;
    }
    if (status == 410) {
        notef("pod watch: 410 Gone: listing again");
        k->relist = 1;
        k->watch_at = 0;
        return;
    }
    if (status != 200 && status > 0) {
        kube_describe(status, k->wbuf.p, k->wbuf.len, "watch", "pods", k->ns, what, sizeof(what));
        fail_later(k, what);
        return;
    }
    k->watch_backoff = k8s_backoff(k->watch_backoff, BACKOFF_CAP_MS);
    k->watch_at = mono_ms() + k->watch_backoff;
    if (!*k->c->stop)
        notef("pod watch broke (%s); again in %u ms", curl_easy_strerror(rc), k->watch_backoff);
}
