/* http.c - libcurl settings for authenticated HTTPS requests (see http.h). */
#include "http.h"
#include "util/wipe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_first_line(const char *file, char **out, char *err, size_t errlen)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        return -1;
    }
    char line[4096];
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!ok) {
        snprintf(err, errlen, "%s: empty secret file", file);
        return -1;
    }
    line[strcspn(line, "\r\n")] = 0;
    *out = strdup(line);
    wipe(line, sizeof line);
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int http_secret(const char *env, const char *file, char **out, char *err, size_t errlen)
{
    *out = NULL;
    /* a file named on the command line wins over the environment, as
     * options do everywhere else */
    if (file)
        return read_first_line(file, out, err, errlen);
    const char *v = env ? getenv(env) : NULL;
    if (v && *v) {
        *out = strdup(v);
        if (!*out) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    return 0;
}

int http_add_auth(struct curl_slist **list, const char *scheme, const char *secret)
{
    size_t n = strlen(scheme) + strlen(secret) + 24;
    char *h = malloc(n);
    if (!h)
        return -1;
    snprintf(h, n, "Authorization: %s %s", scheme, secret);
    struct curl_slist *l = curl_slist_append(*list, h);
    wipe_free(h, n);
    if (!l)
        return -1;
    *list = l;
    return 0;
}

static int add_header(http_conf *c, const char *scheme, const char *secret, char *err,
                      size_t errlen)
{
    if (http_add_auth(&c->headers, scheme, secret) == 0)
        return 0;
    snprintf(err, errlen, "out of memory");
    return -1;
}

int http_conf_finish(http_conf *c, char *err, size_t errlen)
{
    int n = (c->password != NULL) + (c->api_key != NULL) + (c->bearer != NULL);
    if (n > 1) {
        snprintf(err, errlen, "choose one of basic auth, API key and bearer token");
        return -1;
    }
    if (c->password && !c->user) {
        snprintf(err, errlen, "a password was given but no user");
        return -1;
    }
    if ((c->cert == NULL) != (c->key == NULL)) {
        snprintf(err, errlen, "a client certificate needs both a certificate and a key");
        return -1;
    }
    if (c->api_key)
        return add_header(c, "ApiKey", c->api_key, err, errlen);
    if (c->bearer)
        return add_header(c, "Bearer", c->bearer, err, errlen);
    return 0;
}

void http_conf_free(http_conf *c)
{
    free(c->user);
    wipe_free_str(c->password);
    wipe_free_str(c->api_key);
    wipe_free_str(c->bearer);
    free(c->ca_file);
    free(c->cert);
    free(c->key);
    curl_slist_free_all(c->headers);
    memset(c, 0, sizeof *c);
}

CURLcode http_set_tls(CURL *h, const http_tls *t)
{
    CURLcode r = CURLE_OK;
    if (t->insecure) {
        r |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        r |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (t->ca_file)
        r |= curl_easy_setopt(h, CURLOPT_CAINFO, t->ca_file);
    if (t->ca_pem) {
        struct curl_blob b = {(void *)t->ca_pem, t->ca_len, CURL_BLOB_NOCOPY};
        r |= curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
    }
    if (t->cert_file)
        r |= curl_easy_setopt(h, CURLOPT_SSLCERT, t->cert_file);
    if (t->key_file)
        r |= curl_easy_setopt(h, CURLOPT_SSLKEY, t->key_file);
    if (t->cert_pem) {
        struct curl_blob b = {(void *)t->cert_pem, t->cert_len, CURL_BLOB_NOCOPY};
        r |= curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
        r |= curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (t->key_pem) {
        struct curl_blob b = {(void *)t->key_pem, t->key_len, CURL_BLOB_NOCOPY};
        r |= curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
        r |= curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    return r;
}

static int set_tls(CURL *h, const http_conf *c)
{
    http_tls t = {
        .ca_file = c->ca_file, .cert_file = c->cert, .key_file = c->key, .insecure = c->insecure};
    return http_set_tls(h, &t) == CURLE_OK ? 0 : -1;
}

int http_setup(CURL *h, const http_conf *c, struct curl_slist *extra, char *err, size_t errlen)
{
    CURLcode r = CURLE_OK;
    r |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    r |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    r |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    r |= curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    r |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (c->password) {
        r |= curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        r |= curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
        r |= curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
    }
    r |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, extra ? extra : c->headers);
    if (r != CURLE_OK || set_tls(h, c) < 0) {
        snprintf(err, errlen, "libcurl rejected an option (TLS or auth not supported?)");
        return -1;
    }
    return 0;
}

size_t http_buf_writer(char *p, size_t size, size_t n, void *userdata)
{
    if (buf_append(userdata, p, size * n) < 0)
        return 0;
    return size * n;
}

/* The conf's headers plus a JSON content type, as a fresh list. */
static struct curl_slist *json_headers(const http_conf *c)
{
    struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");
    for (struct curl_slist *s = c->headers; s && l; s = s->next) {
        struct curl_slist *n = curl_slist_append(l, s->data);
        if (!n) {
            curl_slist_free_all(l);
            return NULL;
        }
        l = n;
    }
    return l;
}

int http_tls_refused(CURLcode r, const char *detail)
{
    switch (r) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return 1;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_RECV_ERROR:
        /* the server's alert about our certificate, e.g. "tlsv13 alert
         * certificate required": a restart or a reset never says that */
        return detail && strstr(detail, "alert") &&
               (strstr(detail, "certificate") || strstr(detail, "unknown ca"));
    default:
        return 0;
    }
}

int http_request(const http_conf *c, const char *method, const char *url, const char *body,
                 long *status, buf *resp, char *err, size_t errlen)
{
    char detail[CURL_ERROR_SIZE] = "";
    *status = 0;
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = json_headers(c);
    int rc = -1;
    if (!h || !hdr) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (http_setup(h, c, hdr, err, errlen) < 0)
        goto out;
    CURLcode r = curl_easy_setopt(h, CURLOPT_URL, url);
    r |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    r |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_buf_writer);
    r |= curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    r |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
    if (body)
        r |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    if (r != CURLE_OK) {
        snprintf(err, errlen, "libcurl rejected an option");
        goto out;
    }
    r = curl_easy_perform(h);
    if (r != CURLE_OK) { /* no url in the message: it may hold user:password */
        snprintf(err, errlen, "%s%s: %s%s%s", http_tls_refused(r, detail) ? HTTP_TLS_REFUSED : "",
                 method, curl_easy_strerror(r), detail[0] ? ": " : "", detail);
        goto out;
    }
    rc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status) == CURLE_OK ? 0 : -1;
    if (rc < 0)
        snprintf(err, errlen, "no response code");
out:
    curl_slist_free_all(hdr);
    if (h)
        curl_easy_cleanup(h);
    return rc;
}
