/* kubeapi.c - credentials, TLS and error messages for the Kubernetes API
 * (see kubeapi.h). */
#include "kubeapi.h"
#include "http/http.h"
#include "util/wipe.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct kube_client {
    kube_conf kc;
    CURLSH *share;        /* TLS sessions and DNS, shared by every handle */
    char *token;          /* current token (from kc.token or kc.token_file) */
    struct stat token_st; /* the token file as last read */
    int token_read;
};

#define CONNECT_TIMEOUT_MS 5000L
/* libcurl's receive buffer, one per handle (default 16 KB); a log line is
 * about 2 KB and a follow stream trickles, so 4 KB costs no CPU per event
 * (bench/k8s.sh) and is 12 KB less heap per followed pod when every
 * stream is busy at once (docs/K8S-TESTING.md). */
#define RECV_BUFFER_BYTES 4096L

kube_client *kube_client_new(kube_conf *kc, char *err, size_t errlen)
{
    kube_client *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->share = curl_share_init();
    if (k->share == NULL ||
        curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
        curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
        snprintf(err, errlen, "libcurl: cannot share TLS sessions");
        if (k->share != NULL)
            curl_share_cleanup(k->share);
        free(k);
        return NULL;
    }
    k->kc = *kc;
    memset(kc, 0, sizeof(*kc));
    return k;
}

void kube_client_free(kube_client *k)
{
    if (k == NULL)
        return;
    kube_conf_free(&k->kc);
    (void)curl_share_cleanup(k->share);
    wipe_free_str(k->token);
    free(k);
}

const char *kube_client_server(const kube_client *k)
{
    return k->kc.server;
}

/* Re-read the token file when it is new or changed since the last read. */
static int refresh_token(kube_client *k, char *err, size_t errlen)
{
    struct stat st;
    if (k->kc.token_file == NULL)
        return 0;
    if (stat(k->kc.token_file, &st) < 0) {
        if (k->token != NULL)
            return 0; /* mid-rotation (symlink swap): keep the old token */
        snprintf(err, errlen, "%s: %s", k->kc.token_file, strerror(errno));
        return -1;
    }
    if (k->token_read && st.st_ino == k->token_st.st_ino && st.st_size == k->token_st.st_size &&
        st.st_mtim.tv_sec == k->token_st.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == k->token_st.st_mtim.tv_nsec)
        return 0;
    FILE *f = fopen(k->kc.token_file, "r");
    char line[8192];
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", k->kc.token_file, strerror(errno));
        return k->token != NULL ? 0 : -1;
    }
    int ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    line[ok ? strcspn(line, "\r\n") : 0] = '\0';
    if (line[0] == '\0') {
        snprintf(err, errlen, "%s: empty token file", k->kc.token_file);
        return k->token != NULL ? 0 : -1;
    }
    char *t = strdup(line);
    wipe(line, sizeof(line));
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    wipe_free_str(k->token);
    k->token = t;
    k->token_st = st;
    k->token_read = 1;
    return 0;
}

static CURLcode set_tls(CURL *h, const kube_conf *kc)
{
    http_tls t = {.ca_file = kc->ca_file,
                  .cert_file = kc->cert_file,
                  .key_file = kc->key_file,
                  .ca_pem = kc->ca_data,
                  .cert_pem = kc->cert_data,
                  .key_pem = kc->key_data,
                  .ca_len = kc->ca_len,
                  .cert_len = kc->cert_len,
                  .key_len = kc->key_len,
                  .insecure = kc->insecure};
    return http_set_tls(h, &t);
}

int kube_client_setup(kube_client *k, CURL *h, const char *path, struct curl_slist **hdrs,
                      char *err, size_t errlen)
{
    *hdrs = NULL;
    if (refresh_token(k, err, errlen) < 0)
        return -1;
    const char *token = k->token != NULL ? k->token : k->kc.token;
    if (token != NULL && http_add_auth(hdrs, "Bearer", token) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = strlen(k->kc.server) + strlen(path) + 1;
    char *url = malloc(n);
    if (url == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(url, n, "%s%s", k->kc.server, path);
    CURLcode r = curl_easy_setopt(h, CURLOPT_URL, url);
    free(url); /* libcurl copies it */
    r |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    r |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    r |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    r |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
    r |= curl_easy_setopt(h, CURLOPT_SHARE, k->share);
    r |= curl_easy_setopt(h, CURLOPT_BUFFERSIZE, RECV_BUFFER_BYTES);
    /* Wait for a connection that is being set up rather than open one
     * more: the API server speaks HTTP/2, so every stream of a curl multi
     * rides one TLS connection (libcurl's default is at most 100 streams a
     * connection), instead of a connection, TLS state and HTTP/2 session
     * (about 85 KB) per pod. */
    r |= curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    r |= set_tls(h, &k->kc);
    if (r != CURLE_OK) {
        snprintf(err, errlen, "libcurl rejected an option (TLS blobs need libcurl >= 7.77)");
        curl_slist_free_all(*hdrs);
        *hdrs = NULL;
        return -1;
    }
    return 0;
}

static size_t to_buf(char *p, size_t size, size_t n, void *userdata)
{
    return buf_append(userdata, p, size * n) < 0 ? 0 : size * n;
}

int kube_client_get(kube_client *k, const char *path, long timeout_ms, long *status, buf *resp,
                    char *err, size_t errlen)
{
    struct curl_slist *hdrs = NULL;
    CURL *h = curl_easy_init();
    int rc = -1;
    *status = 0;
    if (h == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (kube_client_setup(k, h, path, &hdrs, err, errlen) == 0) {
        CURLcode r = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
        r |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
        r |= curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
        if (r == CURLE_OK)
            r = curl_easy_perform(h);
        if (r != CURLE_OK)
            snprintf(err, errlen, "%s: %s", k->kc.server, curl_easy_strerror(r));
        else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status) != CURLE_OK)
            snprintf(err, errlen, "%s: no response code", k->kc.server);
        else
            rc = 0;
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

int kube_escape(const char *s, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t j = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
        if (j + (plain ? 1 : 3) >= n)
            return -1;
        if (plain)
            out[j++] = (char)c;
        else {
            out[j++] = '%';
            out[j++] = hex[c >> 4];
            out[j++] = hex[c & 15];
        }
    }
    if (j >= n)
        return -1;
    out[j] = '\0';
    return 0;
}

/* The "message" of a Status body, or the body's first line. */
static void status_message(const char *body, size_t len, char *out, size_t n)
{
    json_error_t je;
    out[0] = '\0';
    if (body == NULL || len == 0)
        return;
    json_t *j = json_loadb(body, len, 0, &je);
    const char *m = j != NULL ? json_string_value(json_object_get(j, "message")) : NULL;
    if (m != NULL)
        snprintf(out, n, "%s", m);
    else
        snprintf(out, n, "%.*s", (int)strcspn(body, "\n"), body);
    json_decref(j);
}

void kube_describe(long status, const char *body, size_t len, const char *verb,
                   const char *resource, const char *ns, char *out, size_t n)
{
    char msg[512];
    status_message(body, len, msg, sizeof(msg));
    if (status == 403)
        snprintf(out, n, "forbidden: cannot %s %s in namespace %s; grant %s on %s (API server: %s)",
                 verb, resource, ns, verb, resource, msg);
    else if (status == 401)
        snprintf(out, n,
                 "unauthorized (%s %s): the token or client certificate was not "
                 "accepted: %s",
                 verb, resource, msg);
    else
        snprintf(out, n, "%s %s in namespace %s: HTTP %ld: %s", verb, resource, ns, status, msg);
}
