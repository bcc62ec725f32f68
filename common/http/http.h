/* http.h - one place that turns connection settings into libcurl options.
 *
 * tetra-sink (OpenSearch) and tetra-enrich (an OpenAI-compatible API) both
 * talk HTTPS with a secret in a header.  This module owns how that is done:
 * basic auth, API key or bearer token, CA file, client certificate, timeouts,
 * and verification on unless insecure is set.  Secrets come from an
 * environment variable or a file, never from argv, and are never put in an
 * error message.  Nothing here prints or exits. */
#ifndef TETRA_HTTP_H
#define TETRA_HTTP_H

#include <stddef.h>
#include <curl/curl.h>
#include "util/buf.h"

typedef struct http_conf {
    char *user;       /* basic auth user, NULL for none */
    char *password;   /* basic auth password (secret) */
    char *api_key;    /* "Authorization: ApiKey ..." (secret) */
    char *bearer;     /* "Authorization: Bearer ..." (secret) */
    char *ca_file;    /* CA bundle for server verification */
    char *cert, *key; /* client certificate and key (PEM files) */
    int insecure;     /* 1: do not verify the server certificate */
    long timeout_ms;  /* whole request, 0 = none */
    long connect_timeout_ms;
    struct curl_slist *headers; /* built by http_conf_finish, owned */
} http_conf;

/* Where the TLS material of a connection comes from: for each of the CA,
 * the client certificate and its key, a file or PEM bytes in memory
 * (kubeconfig's *-data fields), or neither.  Nothing is owned. */
typedef struct http_tls {
    const char *ca_file, *cert_file, *key_file;
    const void *ca_pem, *cert_pem, *key_pem;
    size_t ca_len, cert_len, key_len;
    int insecure; /* 1: do not verify the server certificate */
} http_tls;

/* Apply t to an easy handle: the one place verification may be switched
 * off.  PEM bytes are not copied (CURL_BLOB_NOCOPY): they must outlive the
 * transfer.  Returns CURLE_OK, or the error of an option libcurl rejected
 * (in-memory PEM needs libcurl >= 7.77). */
CURLcode http_set_tls(CURL *h, const http_tls *t);

/* Append the header "Authorization: <scheme> <secret>" to *list; the
 * temporary copy of the secret is wiped.  Returns 0, or -1 when out of
 * memory (*list unchanged). */
int http_add_auth(struct curl_slist **list, const char *scheme, const char *secret);

/* Read a secret: the first line of file when one is named (the option
 * wins, as options do over the environment), else the value of
 * environment variable env if set and non-empty.  *out is NULL when
 * neither gives one.  Returns 0, or -1 with err filled (a file that cannot
 * be read, out of memory).  The caller frees *out. */
int http_secret(const char *env, const char *file, char **out, char *err, size_t errlen);

/* Build the header list from the auth settings and check they agree (at most
 * one of password/api_key/bearer).  Returns 0 or -1 with err filled. */
int http_conf_finish(http_conf *c, char *err, size_t errlen);

/* Free the strings and headers the conf owns (secrets are wiped first). */
void http_conf_free(http_conf *c);

/* Apply the conf to an easy handle (TLS, auth, timeouts, the header list
 * plus extra, which may be NULL and must outlive the transfer).  Returns 0,
 * or -1 with err filled. */
int http_setup(CURL *h, const http_conf *c, struct curl_slist *extra, char *err, size_t errlen);

/* 1 when curl's result r (with the error buffer's detail, may be NULL)
 * is a TLS failure only a configuration change can fix: the server's
 * certificate not verified, our certificate or CA file unusable, or the
 * server refusing our certificate (or its absence). */
int http_tls_refused(CURLcode r, const char *detail);

/* A curl write callback that appends to the buf passed as userdata. */
size_t http_buf_writer(char *p, size_t size, size_t n, void *userdata);

/* One blocking request: method ("GET", "PUT", ...) on url with an optional
 * JSON body (NULL for none).  Fills *status (0 when no HTTP answer came) and
 * appends the response body to resp.  Returns 0 when an HTTP answer came
 * (any status), -1 on a transport error with err filled; err then starts
 * with HTTP_TLS_REFUSED when TLS failed in a way retrying cannot fix. */
#define HTTP_TLS_REFUSED "TLS refused: "
int http_request(const http_conf *c, const char *method, const char *url, const char *body,
                 long *status, buf *resp, char *err, size_t errlen);

#endif
