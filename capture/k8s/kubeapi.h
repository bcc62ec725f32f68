/* kubeapi.h - requests to a Kubernetes API server with libcurl.
 *
 * A kube_client holds one kube_conf and turns it into curl options for any
 * easy handle, so that the caller can run many streams in one curl multi
 * (log streams and a watch) and still make a plain blocking call (a list).
 * A token kept in a file is re-read when the file changes (the kubelet
 * rotates projected service account tokens), checked at every new request.
 * Every handle set up here shares the client's TLS session cache and waits
 * to multiplex on an HTTP/2 connection already being opened, so a multi of
 * many streams holds one connection, not one per stream.
 * Error answers from the API server are Status objects; kube_describe turns
 * one into a message that says what to fix, e.g. for RBAC which verb on
 * which resource to grant.  Nothing here prints or exits. */
#ifndef TETRA_KUBEAPI_H
#define TETRA_KUBEAPI_H

#include <stddef.h>
#include <curl/curl.h>
#include "util/buf.h"
#include "kubeconfig.h"

typedef struct kube_client kube_client;

/* A client for *kc, which it takes over (kc is zeroed).  NULL with err
 * filled when out of memory. */
kube_client *kube_client_new(kube_conf *kc, char *err, size_t errlen);
/* Free k.  Every easy handle set up with it must be cleaned up first (they
 * use its share handle). */
void kube_client_free(kube_client *k);

/* The server URL ("https://host:port"). */
const char *kube_client_server(const kube_client *k);

/* Set up h for GET server + path (path starts with '/', query escaped by
 * the caller): TLS, credentials, timeouts.  *hdrs receives a header list
 * the caller frees with curl_slist_free_all after the transfer (it holds
 * the token; NULL when there is none).  Returns 0, or -1 with err filled. */
int kube_client_setup(kube_client *k, CURL *h, const char *path, struct curl_slist **hdrs,
                      char *err, size_t errlen);

/* A blocking GET of path, at most timeout_ms.  Fills *status (0 when no
 * answer came) and appends the body to resp.  Returns 0 when an HTTP answer
 * came, -1 on a transport error with err filled. */
int kube_client_get(kube_client *k, const char *path, long timeout_ms, long *status, buf *resp,
                    char *err, size_t errlen);

/* URL-escape s into out (for label selectors).  Returns 0 or -1 when out
 * is too small. */
int kube_escape(const char *s, char *out, size_t n);

/* Describe an error answer: status, the Status body (may be NULL), and the
 * request as verb + resource + namespace ("get", "pods/log",
 * "kube-system").  403 becomes "forbidden: cannot VERB RESOURCE in
 * namespace NS; grant VERB on RESOURCE (API server: ...)". */
void kube_describe(long status, const char *body, size_t len, const char *verb,
                   const char *resource, const char *ns, char *out, size_t n);

#endif
