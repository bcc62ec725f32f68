/* kubeconfig.h - how to reach and authenticate to a Kubernetes API server.
 *
 * Two sources give the same struct: a kubeconfig file (its current
 * context: the cluster's server and CA, the user's bearer token or client
 * certificate, each either a file or inline base64 data) and the in-cluster
 * setup of a pod (KUBERNETES_SERVICE_HOST/PORT plus the mounted service
 * account token, CA and namespace).  A token given as a file is kept as a
 * path so that the client can re-read it when the kubelet rotates it.
 * Kubeconfig files are YAML (JSON is YAML too), parsed with libyaml.
 * Nothing here prints or exits. */
#ifndef TETRA_KUBECONFIG_H
#define TETRA_KUBECONFIG_H

#include <stddef.h>

/* Where a pod finds its service account. */
#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

typedef struct kube_conf {
    char *server;  /* "https://host:port", no trailing slash */
    char *ca_file; /* PEM file to verify the server, or NULL */
    char *ca_data; /* PEM bytes (decoded certificate-authority-data), or NULL */
    size_t ca_len;
    char *token;                /* bearer token (secret), or NULL */
    char *token_file;           /* file holding the token, re-read when it changes, or NULL */
    char *cert_file, *key_file; /* client certificate / key files, or NULL */
    char *cert_data, *key_data; /* decoded inline PEM, or NULL (secret: key_data) */
    size_t cert_len, key_len;
    char *namespace; /* the context's (or pod's) namespace, or NULL */
    int insecure;    /* insecure-skip-tls-verify: true */
} kube_conf;

/* Load the current context of the kubeconfig at path.  Relative file names
 * in it are relative to the file's directory.  Returns 0, or -1 with err
 * filled (no secret is ever put in err).  kc must be zeroed or freed. */
int kube_conf_load(kube_conf *kc, const char *path, char *err, size_t errlen);

/* The same from text already in memory; dir resolves relative file names
 * (NULL: leave them as they are). */
int kube_conf_parse(kube_conf *kc, const char *text, size_t len, const char *dir, char *err,
                    size_t errlen);

/* In-cluster configuration from the environment (KUBERNETES_SERVICE_HOST,
 * KUBERNETES_SERVICE_PORT) and sa_dir (token, ca.crt, namespace; normally
 * KUBE_SA_DIR).  Returns 0, or -1 with err filled when not in a cluster. */
int kube_conf_in_cluster(kube_conf *kc, const char *sa_dir, char *err, size_t errlen);

/* Decode base64 (util/base64.h; white space ignored) into a new NUL-terminated
 * buffer.  Returns 0 with *out (caller frees) and *outlen, or -1 when the
 * text is not base64 or memory ran out. */
int kube_b64_decode(const char *s, size_t n, char **out, size_t *outlen);

/* Free everything kc owns (secrets wiped first) and zero it. */
void kube_conf_free(kube_conf *kc);

#endif
