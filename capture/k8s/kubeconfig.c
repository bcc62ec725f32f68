/* kubeconfig.c - kubeconfig files and in-cluster settings (see kubeconfig.h).
 *
 * libyaml loads the whole file as a document (a few KB at most) and the
 * lookups walk its node graph: current-context names a context, the
 * context names a cluster and a user, each found by name in its list.  Only
 * the fields a bearer-token or client-certificate user needs are read; an
 * exec or auth-provider user is refused with a message saying so, rather
 * than silently sending no credentials. */
#include "kubeconfig.h"
#include "util/base64.h"
#include "util/wipe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

void kube_conf_free(kube_conf *kc)
{
    free(kc->server);
    free(kc->ca_file);
    free(kc->ca_data);
    wipe_free_str(kc->token);
    free(kc->token_file);
    free(kc->cert_file);
    free(kc->key_file);
    free(kc->cert_data);
    wipe_free(kc->key_data, kc->key_len);
    free(kc->namespace);
    memset(kc, 0, sizeof(*kc));
}

int kube_b64_decode(const char *s, size_t n, char **out, size_t *outlen)
{
    char *o = malloc(B64_DECODED_MAX(n) + 1);
    if (o == NULL)
        return -1;
    long len = b64_decode(s, n, (unsigned char *)o, B64_SKIP_SPACE);
    if (len < 0) {
        free(o);
        return -1;
    }
    o[len] = '\0';
    *out = o;
    *outlen = (size_t)len;
    return 0;
}

/* --- walking the YAML document ------------------------------------------- */

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

/* The scalar at m[key], or NULL when absent, empty or not a scalar. */
static const char *map_str(yaml_document_t *d, yaml_node_t *m, const char *key)
{
    yaml_node_t *v = map_get(d, m, key);
    if (v == NULL || v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0)
        return NULL;
    return (const char *)v->data.scalar.value;
}

/* In the list at root[list], the entry whose name is name: its [field]. */
static yaml_node_t *named(yaml_document_t *d, const char *list, const char *field, const char *name)
{
    yaml_node_t *seq = map_get(d, yaml_document_get_root_node(d), list);
    if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
        return NULL;
    for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top;
         i++) {
        yaml_node_t *e = yaml_document_get_node(d, *i);
        const char *n = map_str(d, e, "name");
        if (n != NULL && strcmp(n, name) == 0)
            return map_get(d, e, field);
    }
    return NULL;
}

/* --- filling the struct -------------------------------------------------- */

typedef struct loader {
    kube_conf *kc;
    yaml_document_t *d;
    const char *dir;
    char *err;
    size_t errlen;
} loader;

static int oom(loader *l)
{
    snprintf(l->err, l->errlen, "out of memory");
    return -1;
}

/* A file name from the kubeconfig, made relative to its directory. */
static int set_path(loader *l, char **dst, const char *v)
{
    if (v == NULL)
        return 0;
    size_t n = strlen(v) + (l->dir != NULL ? strlen(l->dir) : 0) + 2;
    if ((*dst = malloc(n)) == NULL)
        return oom(l);
    if (v[0] != '/' && l->dir != NULL)
        snprintf(*dst, n, "%s/%s", l->dir, v);
    else
        snprintf(*dst, n, "%s", v);
    return 0;
}

static int set_str(loader *l, char **dst, const char *v)
{
    if (v == NULL)
        return 0;
    return (*dst = strdup(v)) != NULL ? 0 : oom(l);
}

static int set_data(loader *l, char **dst, size_t *len, const char *v, const char *what)
{
    if (v == NULL)
        return 0;
    if (kube_b64_decode(v, strlen(v), dst, len) == 0)
        return 0;
    snprintf(l->err, l->errlen, "%s is not valid base64", what);
    return -1;
}

static int load_cluster(loader *l, yaml_node_t *c, const char *name)
{
    kube_conf *kc = l->kc;
    const char *server = map_str(l->d, c, "server");
    if (server == NULL) {
        snprintf(l->err, l->errlen, "cluster \"%s\" has no server", name);
        return -1;
    }
    if (set_str(l, &kc->server, server) < 0)
        return -1;
    size_t n = strlen(kc->server);
    while (n > 0 && kc->server[n - 1] == '/')
        kc->server[--n] = '\0';
    const char *insecure = map_str(l->d, c, "insecure-skip-tls-verify");
    kc->insecure = insecure != NULL && strcmp(insecure, "true") == 0;
    if (set_path(l, &kc->ca_file, map_str(l->d, c, "certificate-authority")) < 0)
        return -1;
    return set_data(l, &kc->ca_data, &kc->ca_len, map_str(l->d, c, "certificate-authority-data"),
                    "certificate-authority-data");
}

static int load_user(loader *l, yaml_node_t *u, const char *name)
{
    kube_conf *kc = l->kc;
    yaml_document_t *d = l->d;
    if (map_get(d, u, "exec") != NULL || map_get(d, u, "auth-provider") != NULL) {
        snprintf(l->err, l->errlen,
                 "user \"%s\" uses an exec or auth-provider plugin; give it a token or a "
                 "client certificate instead",
                 name);
        return -1;
    }
    if (set_str(l, &kc->token, map_str(d, u, "token")) < 0 ||
        set_path(l, &kc->token_file, map_str(d, u, "tokenFile")) < 0 ||
        set_path(l, &kc->cert_file, map_str(d, u, "client-certificate")) < 0 ||
        set_path(l, &kc->key_file, map_str(d, u, "client-key")) < 0 ||
        set_data(l, &kc->cert_data, &kc->cert_len, map_str(d, u, "client-certificate-data"),
                 "client-certificate-data") < 0 ||
        set_data(l, &kc->key_data, &kc->key_len, map_str(d, u, "client-key-data"),
                 "client-key-data") < 0)
        return -1;
    int cert = kc->cert_file != NULL || kc->cert_data != NULL;
    int key = kc->key_file != NULL || kc->key_data != NULL;
    if (cert != key) {
        snprintf(l->err, l->errlen,
                 "user \"%s\": a client certificate needs both a "
                 "certificate and a key",
                 name);
        return -1;
    }
    return 0;
}

static int load_context(loader *l)
{
    yaml_document_t *d = l->d;
    const char *cur = map_str(d, yaml_document_get_root_node(d), "current-context");
    if (cur == NULL) {
        snprintf(l->err, l->errlen, "no current-context");
        return -1;
    }
    yaml_node_t *ctx = named(d, "contexts", "context", cur);
    const char *cname = map_str(d, ctx, "cluster"), *uname = map_str(d, ctx, "user");
    if (ctx == NULL || cname == NULL) {
        snprintf(l->err, l->errlen, "context \"%s\" not found or without a cluster", cur);
        return -1;
    }
    yaml_node_t *cluster = named(d, "clusters", "cluster", cname);
    if (cluster == NULL) {
        snprintf(l->err, l->errlen, "cluster \"%s\" not found", cname);
        return -1;
    }
    if (set_str(l, &l->kc->namespace, map_str(d, ctx, "namespace")) < 0 ||
        load_cluster(l, cluster, cname) < 0)
        return -1;
    if (uname == NULL)
        return 0;
    yaml_node_t *user = named(d, "users", "user", uname);
    if (user == NULL) {
        snprintf(l->err, l->errlen, "user \"%s\" not found", uname);
        return -1;
    }
    return load_user(l, user, uname);
}

int kube_conf_parse(kube_conf *kc, const char *text, size_t len, const char *dir, char *err,
                    size_t errlen)
{
    yaml_parser_t p;
    yaml_document_t d;
    memset(kc, 0, sizeof(*kc));
    if (!yaml_parser_initialize(&p)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &d)) {
        snprintf(err, errlen, "line %lu: %s", (unsigned long)p.problem_mark.line + 1,
                 p.problem != NULL ? p.problem : "YAML error");
        yaml_parser_delete(&p);
        return -1;
    }
    int rc = -1;
    if (yaml_document_get_root_node(&d) == NULL)
        snprintf(err, errlen, "empty document");
    else {
        loader l = {kc, &d, dir, err, errlen};
        rc = load_context(&l);
    }
    yaml_document_delete(&d);
    yaml_parser_delete(&p);
    if (rc < 0)
        kube_conf_free(kc);
    return rc;
}

/* Read a whole (small) file into a NUL-terminated buffer. */
static int slurp(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    while (b != NULL) {
        len += fread(b + len, 1, cap - len - 1, f);
        if (len < cap - 1 || cap >= (64u << 20))
            break;
        char *nb = realloc(b, cap * 2);
        if (nb == NULL) {
            free(b);
            b = NULL;
        }
        b = nb;
        cap *= 2;
    }
    int bad = b == NULL || ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: %s", path, b == NULL ? "out of memory" : "read error");
        free(b);
        return -1;
    }
    b[len] = '\0';
    *out = b;
    *outlen = len;
    return 0;
}

int kube_conf_load(kube_conf *kc, const char *path, char *err, size_t errlen)
{
    char *text, *dir, e[400];
    size_t len;
    memset(kc, 0, sizeof(*kc));
    if (slurp(path, &text, &len, err, errlen) < 0)
        return -1;
    if ((dir = strdup(path)) == NULL) {
        wipe_free(text, len);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, strlen(dir) + 1, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int rc = kube_conf_parse(kc, text, len, dir, e, sizeof(e));
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, e);
    wipe_free(text, len);
    free(dir);
    return rc;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s/%s", dir, name);
    return s;
}

static int read_namespace(kube_conf *kc, const char *sa_dir)
{
    char *path = join(sa_dir, "namespace"), *text, e[256];
    size_t len;
    if (path == NULL)
        return -1;
    int rc = slurp(path, &text, &len, e, sizeof(e));
    free(path);
    if (rc < 0)
        return 0; /* optional */
    text[strcspn(text, " \r\n")] = '\0';
    if (text[0] != '\0')
        kc->namespace = text;
    else
        free(text);
    return 0;
}

int kube_conf_in_cluster(kube_conf *kc, const char *sa_dir, char *err, size_t errlen)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    memset(kc, 0, sizeof(*kc));
    if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0') {
        snprintf(err, errlen, "not in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set");
        return -1;
    }
    size_t n = strlen(host) + strlen(port) + 16;
    if ((kc->server = malloc(n)) == NULL)
        goto oom;
    if (strchr(host, ':') != NULL) /* IPv6 */
        snprintf(kc->server, n, "https://[%s]:%s", host, port);
    else
        snprintf(kc->server, n, "https://%s:%s", host, port);
    if ((kc->token_file = join(sa_dir, "token")) == NULL ||
        (kc->ca_file = join(sa_dir, "ca.crt")) == NULL || read_namespace(kc, sa_dir) < 0)
        goto oom;
    return 0;
oom:
    kube_conf_free(kc);
    snprintf(err, errlen, "out of memory");
    return -1;
}
